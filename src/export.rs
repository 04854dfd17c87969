//! A pack's figures as a spreadsheet: an .xlsx (rust_xlsxwriter) with the sheets Summary, Cells
//! and Reports, Vietnamese headers; or the Cells sheet as CSV. Text that came from people is always
//! written as text, never as a formula; in CSV, text a spreadsheet would take for a formula gets
//! a leading apostrophe.

use std::path::Path;

use crate::db::DbPool;
use anyhow::Context;
use chrono_tz::Tz;
use rust_xlsxwriter::{Format, Workbook, Worksheet};

use crate::lifecycle::DeliveryState;
use crate::stats::{self, View};

/// One row of the Cells sheet.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CellRow {
    pub code: String,
    pub name: String,
    /// The unit the cell hung from when the pack went out: its name and code.
    pub unit: String,
    pub unit_code: String,
    pub state: DeliveryState,
    pub sent_at: Option<i64>,
    pub error: Option<String>,
    pub acked_at: Option<i64>,
    pub acked_by: Option<String>,
    pub late: Option<crate::db::Flag>,
    pub meeting_date: Option<String>,
    pub attendance: Option<i64>,
    pub report: Option<String>,
}

/// The Cells sheet's headers.
pub const CELL_HEADERS: [&str; 12] = [
    "Mã chi bộ",
    "Tên chi bộ",
    "Đơn vị",
    "Mã đơn vị",
    "Gửi lúc",
    "Trạng thái",
    "Xác nhận lúc",
    "Người xác nhận",
    "Muộn",
    "Ngày sinh hoạt",
    "Số đảng viên dự",
    "Nội dung báo cáo",
];

/// The unit a delivery's cell hung from when the pack went out (the root for a delivery without).
const DELIVERY_UNIT: &str =
    "LEFT JOIN units u ON u.id = COALESCE(d.unit_id, (SELECT id FROM units WHERE parent_id IS NULL))";

/// The cells a pack went to (within the subtree of unit `within`, or all), with what each answered.
pub async fn cell_rows(pool: &DbPool, pack_id: i64, within: Option<i64>) -> sqlx::Result<Vec<CellRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT c.code, c.name, COALESCE(u.name, '') AS unit, COALESCE(u.code, '') AS unit_code,
                d.state, d.sent_at, d.error, a.at AS acked_at, a.user_name AS acked_by, a.late,
                r.meeting_date, r.attendance, r.body AS report
         FROM deliveries d JOIN cells c ON c.id = d.cell_id {DELIVERY_UNIT}
         LEFT JOIN acks a ON a.pack_id = $1 AND a.cell_id = d.cell_id
         LEFT JOIN reports r ON r.pack_id = $1 AND r.cell_id = d.cell_id AND r.superseded_by IS NULL
         WHERE d.broadcast_id IN (SELECT id FROM broadcasts WHERE pack_id = $1 AND kind = 'pack')
           AND (d.state || '') <> 'cancelled'
           AND ($2 IS NULL OR u.id IN (SELECT descendant FROM unit_paths WHERE ancestor = $2))
         ORDER BY 3, c.code"
    )))
    .bind(pack_id)
    .bind(within)
    .fetch_all(pool)
    .await
}

fn state_word(state: DeliveryState) -> &'static str {
    match state {
        DeliveryState::Sent => "đã gửi",
        DeliveryState::Failed => "không gửi được",
        _ => "đang gửi",
    }
}

impl CellRow {
    /// The row as text, in the order of [`CELL_HEADERS`].
    pub fn texts(&self, tz: Tz) -> [String; 12] {
        let time = |t: Option<i64>| t.map(|t| crate::dates::table(t, tz)).unwrap_or_default();
        let state = match (&self.error, self.state) {
            (Some(e), DeliveryState::Failed) => format!("{}: {e}", state_word(DeliveryState::Failed)),
            (_, s) => state_word(s).to_string(),
        };
        [
            self.code.clone(),
            self.name.clone(),
            self.unit.clone(),
            self.unit_code.clone(),
            time(self.sent_at),
            state,
            time(self.acked_at),
            self.acked_by.clone().unwrap_or_default(),
            match self.late.map(bool::from) {
                Some(true) => "có".into(),
                Some(false) => "không".into(),
                None => String::new(),
            },
            self.meeting_date.clone().unwrap_or_default(),
            self.attendance.map(|n| n.to_string()).unwrap_or_default(),
            self.report.clone().unwrap_or_default(),
        ]
    }
}

/// A CSV writer for files people open in a spreadsheet: every field quoted, so that a separator
/// inside a name (`;` is Excel's list separator on Vietnamese Windows) never splits it.
pub fn csv_writer<W: std::io::Write>(out: W) -> csv::Writer<W> {
    csv::WriterBuilder::new().quote_style(csv::QuoteStyle::Always).from_writer(out)
}

/// Text that came from people, made safe for a spreadsheet: a formula start (`=`, `+`, `-`, `@`,
/// or a tab or carriage return first) is written as text with a `'` before it, at the start and
/// after any separator (`,`, `;`, a tab) or line break, in case a spreadsheet splits the field
/// there after all (one that ignores the quotes, a user's "text to columns").
pub fn neutralise(s: String) -> String {
    const FORMULA: [char; 4] = ['=', '+', '-', '@'];
    const BREAKS: [char; 5] = [',', ';', '\t', '\n', '\r'];
    if !s.starts_with(FORMULA) && !s.starts_with(['\t', '\r']) && !s.contains(BREAKS) {
        return s;
    }
    let mut out = String::with_capacity(s.len() + 4);
    let mut after_break = true;
    for (i, ch) in s.chars().enumerate() {
        if after_break && (FORMULA.contains(&ch) || (i == 0 && (ch == '\t' || ch == '\r'))) {
            out.push('\'');
        }
        // spaces after a separator do not stop a spreadsheet from reading a formula
        after_break = BREAKS.contains(&ch) || (after_break && ch == ' ');
        out.push(ch);
    }
    out
}

/// Writes the Cells sheet as CSV (UTF-8 with a byte-order mark, so that spreadsheets read the
/// Vietnamese right).
pub fn write_csv(out: &mut dyn std::io::Write, rows: &[CellRow], tz: Tz) -> anyhow::Result<()> {
    out.write_all("\u{feff}".as_bytes())?;
    let mut w = csv_writer(out);
    w.write_record(CELL_HEADERS)?;
    for r in rows {
        w.write_record(r.texts(tz).map(neutralise))?;
    }
    w.flush()?;
    Ok(())
}

#[derive(Debug, Clone, sqlx::FromRow)]
struct ReportRow {
    code: String,
    name: String,
    unit: String,
    user_name: String,
    at: i64,
    meeting_date: String,
    attendance: i64,
    body: String,
    attachment_kind: Option<String>,
    attachment_name: Option<String>,
    attachment_sha256: Option<String>,
    #[sqlx(try_from = "crate::db::Flag")]
    late: bool,
    #[sqlx(try_from = "crate::db::Flag")]
    current: bool,
    id: i64,
}

fn text(ws: &mut Worksheet, row: u32, col: u16, s: &str) -> anyhow::Result<()> {
    // always a string: a name that looks like a formula stays text
    ws.write_string(row, col, s)?;
    Ok(())
}

fn headers(ws: &mut Worksheet, names: &[&str], widths: &[f64]) -> anyhow::Result<()> {
    let bold = Format::new().set_bold();
    for (i, h) in names.iter().enumerate() {
        ws.write_string_with_format(0, i as u16, *h, &bold)?;
        ws.set_column_width(i as u16, widths.get(i).copied().unwrap_or(14.0))?;
    }
    ws.set_freeze_panes(1, 0)?;
    Ok(())
}

/// Writes the pack's workbook to `path`, through a temporary file next to it (nothing half-written
/// is left under the name asked for).
pub async fn write_xlsx(
    pool: &DbPool,
    config: &crate::config::Config,
    pack_id: i64,
    view: View,
    path: &Path,
) -> anyhow::Result<()> {
    let bytes = xlsx_bytes(pool, config, pack_id, view).await?;
    let tmp = path.with_extension("xlsx.part");
    std::fs::write(&tmp, &bytes).with_context(|| format!("failed to write {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("failed to write {}", path.display()))?;
    Ok(())
}

/// The pack's workbook, in memory: the summary by the units of `view`, the cells and reports of
/// its scope.
pub async fn xlsx_bytes(
    pool: &DbPool,
    config: &crate::config::Config,
    pack_id: i64,
    view: View,
) -> anyhow::Result<Vec<u8>> {
    let s = stats::pack(pool, pack_id, view).await?.with_context(|| format!("no pack {pack_id}"))?;
    let within = Some(s.within.id);
    let cells = cell_rows(pool, pack_id, within).await?;
    let reports: Vec<ReportRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT c.code, c.name, COALESCE(u.name, '') AS unit, r.user_name, r.at, r.meeting_date,
                r.attendance, r.body, r.attachment_kind, r.attachment_name, r.attachment_sha256, r.late,
                r.superseded_by IS NULL AS current, r.id
         FROM reports r JOIN cells c ON c.id = r.cell_id JOIN deliveries d ON d.id = r.delivery_id {DELIVERY_UNIT}
         WHERE r.pack_id = $1 AND ($2 IS NULL OR u.id IN (SELECT descendant FROM unit_paths WHERE ancestor = $2))
         ORDER BY 3, c.code, r.id"
    )))
    .bind(pack_id)
    .bind(within)
    .fetch_all(pool)
    .await?;
    let (tz, level) = (config.timezone, config.organisation.level_name(s.level));
    let (since, until) = situation_window(pool, pack_id, s.period.as_deref(), tz).await?;
    let situations = crate::situations::between(pool, within, since, until, false).await?;
    // laying out the workbook takes a CPU for up to seconds (100,000 cells): off the async tasks
    tokio::task::spawn_blocking(move || {
        let mut wb = build_xlsx(&s, &cells, &reports, &level, tz)?;
        situations_sheet(&mut wb, "Situations", &situations, tz, Some(pack_id))?;
        Ok(wb.save_to_buffer()?)
    })
    .await?
}

/// The time a pack's Situations sheet covers: its period (a month or a quarter, in `tz`), or, for
/// a pack with none, from its first sending to now.
async fn situation_window(pool: &DbPool, pack_id: i64, period: Option<&str>, tz: Tz) -> anyhow::Result<(i64, i64)> {
    let start = |d| crate::dates::start_of(d, tz);
    if let Some(p) = period.and_then(|p| crate::packs::period::Period::parse(p).ok()) {
        return Ok((start(p.first_day()), start(p.next_day())));
    }
    let sent: Option<i64> =
        sqlx::query_scalar("SELECT min(created_at) FROM broadcasts WHERE pack_id = $1 AND kind = 'pack'")
            .bind(pack_id)
            .fetch_one(pool)
            .await?;
    Ok((sent.unwrap_or(i64::MAX), i64::MAX))
}

/// A sheet of situation reports, one a row, oldest first: when, where from, the topic, severity,
/// place and text, the files, the state and the handling; with `request`, whether each answers
/// that situation request.
pub fn situations_sheet(
    wb: &mut Workbook,
    name: &str,
    rows: &[crate::situations::Situation],
    tz: Tz,
    request: Option<i64>,
) -> anyhow::Result<()> {
    let ws = wb.add_worksheet().set_name(name)?;
    let mut names = vec![
        "Số",
        "Gửi lúc",
        "Đơn vị",
        "Mã chi bộ",
        "Người gửi",
        "Chủ đề",
        "Mức độ",
        "Địa điểm",
        "Nội dung",
        "Số tệp",
        "Tình trạng",
        "Ghi chú xử lý",
    ];
    if request.is_some() {
        names.push("Trả lời đề nghị này");
    }
    headers(ws, &names, &[6.0, 17.0, 24.0, 12.0, 20.0, 22.0, 10.0, 24.0, 60.0, 7.0, 10.0, 40.0, 10.0])?;
    for (i, s) in rows.iter().enumerate() {
        let row = i as u32 + 1;
        ws.write_number(row, 0, s.id as f64)?;
        text(ws, row, 1, &crate::dates::table(s.created_at, tz))?;
        text(ws, row, 2, &s.unit)?;
        text(ws, row, 3, s.cell.as_deref().unwrap_or(""))?;
        text(ws, row, 4, &s.user_name)?;
        text(ws, row, 5, &s.topic)?;
        let severity = match s.severity {
            crate::situations::Severity::Normal => "thường",
            crate::situations::Severity::Attention => "cần chú ý",
            crate::situations::Severity::Urgent => "khẩn",
        };
        text(ws, row, 6, severity)?;
        text(ws, row, 7, &s.place)?;
        text(ws, row, 8, &s.body)?;
        ws.write_number(row, 9, s.files as f64)?;
        let status = match s.status.as_str() {
            "new" => "mới",
            "seen" => "đã xem",
            _ => "đã xử lý",
        };
        text(ws, row, 10, status)?;
        text(ws, row, 11, s.handled_note.as_deref().unwrap_or(""))?;
        if let Some(pack) = request {
            text(ws, row, 12, if s.pack_id == Some(pack) { "có" } else { "" })?;
        }
    }
    Ok(())
}

/// The workbook of [`xlsx_bytes`] from what it read.
fn build_xlsx(
    s: &stats::PackStats,
    cells: &[CellRow],
    reports: &[ReportRow],
    level: &str,
    tz: Tz,
) -> anyhow::Result<Workbook> {
    let mut wb = Workbook::new();
    let bold = Format::new().set_bold();
    let pct = Format::new().set_num_format("0.0%");
    {
        let ws = wb.add_worksheet().set_name("Summary")?;
        ws.set_column_width(0, 28.0)?;
        let t = &s.total;
        let lines: [(&str, String); 4] = [
            ("Định hướng", s.title.clone()),
            (
                "Kỳ",
                s.period
                    .clone()
                    .and_then(|p| crate::packs::period::Period::parse(&p).ok())
                    .map(|p| p.label(crate::i18n::Locale::Vi))
                    .unwrap_or_default(),
            ),
            ("Đơn vị", s.within.name.clone()),
            ("Theo cấp", level.to_string()),
        ];
        let mut row = 0;
        for (k, v) in lines {
            ws.write_string_with_format(row, 0, k, &bold)?;
            text(ws, row, 1, &v)?;
            row += 1;
        }
        let figures: [(&str, i64); 7] = [
            ("Số chi bộ được gửi", t.targeted),
            ("Đã gửi tới", t.delivered),
            ("Không gửi được", t.unreachable),
            ("Đã xác nhận", t.acknowledged),
            ("Xác nhận muộn", t.late),
            ("Đã báo cáo", t.reported),
            ("Chưa kết nối", t.not_connected),
        ];
        for (k, v) in figures {
            ws.write_string_with_format(row, 0, k, &bold)?;
            ws.write_number(row, 1, v as f64)?;
            row += 1;
        }
        ws.write_string_with_format(row, 0, "Tỉ lệ xác nhận", &bold)?;
        ws.write_number_with_format(row, 1, t.ack_rate(), &pct)?;
        ws.write_string_with_format(row + 1, 0, "Tỉ lệ báo cáo", &bold)?;
        ws.write_number_with_format(row + 1, 1, t.report_rate(), &pct)?;
        row += 3;
        let cols = [
            "Đơn vị",
            "Được gửi",
            "Đã gửi tới",
            "Đã xác nhận",
            "Tỉ lệ xác nhận",
            "Đã báo cáo",
            "Tỉ lệ báo cáo",
            "Chưa kết nối",
            "Mã đơn vị",
        ];
        for (i, h) in cols.iter().enumerate() {
            ws.write_string_with_format(row, i as u16, *h, &bold)?;
        }
        for g in &s.groups {
            row += 1;
            text(ws, row, 0, &g.unit.name)?;
            ws.write_number(row, 1, g.counts.targeted as f64)?;
            ws.write_number(row, 2, g.counts.delivered as f64)?;
            ws.write_number(row, 3, g.counts.acknowledged as f64)?;
            ws.write_number_with_format(row, 4, g.counts.ack_rate(), &pct)?;
            ws.write_number(row, 5, g.counts.reported as f64)?;
            ws.write_number_with_format(row, 6, g.counts.report_rate(), &pct)?;
            ws.write_number(row, 7, g.counts.not_connected as f64)?;
            text(ws, row, 8, &g.unit.code)?;
        }
    }
    {
        let ws = wb.add_worksheet().set_name("Cells")?;
        headers(ws, &CELL_HEADERS, &[12.0, 28.0, 14.0, 16.0, 17.0, 16.0, 17.0, 20.0, 6.0, 14.0, 10.0, 60.0])?;
        for (i, r) in cells.iter().enumerate() {
            for (j, v) in r.texts(tz).iter().enumerate() {
                if j == 10 && !v.is_empty() {
                    ws.write_number(i as u32 + 1, j as u16, v.parse::<f64>().unwrap_or_default())?;
                } else {
                    text(ws, i as u32 + 1, j as u16, v)?;
                }
            }
        }
    }
    {
        let ws = wb.add_worksheet().set_name("Reports")?;
        let names = [
            "Mã chi bộ",
            "Tên chi bộ",
            "Đơn vị",
            "Người báo cáo",
            "Gửi lúc",
            "Ngày sinh hoạt",
            "Số đảng viên dự",
            "Nội dung",
            "Tệp kèm",
            "Muộn",
            "Hiện hành",
            "Tệp lưu tại",
            "Số báo cáo",
        ];
        headers(ws, &names, &[12.0, 28.0, 14.0, 20.0, 17.0, 14.0, 10.0, 60.0, 24.0, 6.0, 10.0, 30.0, 10.0])?;
        for (i, r) in reports.iter().enumerate() {
            let row = i as u32 + 1;
            text(ws, row, 0, &r.code)?;
            text(ws, row, 1, &r.name)?;
            text(ws, row, 2, &r.unit)?;
            text(ws, row, 3, &r.user_name)?;
            text(ws, row, 4, &crate::dates::table(r.at, tz))?;
            text(ws, row, 5, &r.meeting_date)?;
            ws.write_number(row, 6, r.attendance as f64)?;
            text(ws, row, 7, &r.body)?;
            // the kind and, once kept in the store, the file's name and where it is
            let kind = match r.attachment_kind.as_deref() {
                Some("photo") => "ảnh",
                Some(_) => "tệp",
                None => "",
            };
            let shown = match &r.attachment_name {
                Some(name) if !kind.is_empty() => format!("{kind}: {name}"),
                _ => kind.to_string(),
            };
            text(ws, row, 8, &shown)?;
            text(ws, row, 11, &r.attachment_sha256.as_ref().map(|h| format!("files/{h}")).unwrap_or_default())?;
            text(ws, row, 9, if r.late { "có" } else { "không" })?;
            text(ws, row, 10, if r.current { "có" } else { "không (đã sửa)" })?;
            ws.write_number(row, 12, r.id as f64)?;
        }
    }
    Ok(wb)
}

/// The situation reports of a span as a workbook: by topic and severity, by unit, then every
/// report (the Situations sheet of a pack's workbook).
pub fn situations_xlsx(
    topics: &[crate::situations::TopicCount],
    units: &[crate::situations::UnitCount],
    rows: &[crate::situations::Situation],
    tz: Tz,
) -> anyhow::Result<Vec<u8>> {
    let mut wb = Workbook::new();
    {
        let ws = wb.add_worksheet().set_name("Theo chủ đề")?;
        headers(
            ws,
            &["Chủ đề", "Tổng", "Thường", "Cần chú ý", "Khẩn", "Đã xử lý"],
            &[34.0, 8.0, 8.0, 10.0, 8.0, 10.0],
        )?;
        for (i, t) in topics.iter().enumerate() {
            let row = i as u32 + 1;
            text(ws, row, 0, &t.topic)?;
            for (j, n) in [t.total, t.normal(), t.attention, t.urgent, t.handled].iter().enumerate() {
                ws.write_number(row, j as u16 + 1, *n as f64)?;
            }
        }
    }
    {
        let ws = wb.add_worksheet().set_name("Theo đơn vị")?;
        headers(
            ws,
            &["Đơn vị", "Mã đơn vị", "Tổng", "Cần chú ý", "Khẩn", "Đã xử lý"],
            &[34.0, 12.0, 8.0, 10.0, 8.0, 10.0],
        )?;
        for (i, u) in units.iter().enumerate() {
            let row = i as u32 + 1;
            text(ws, row, 0, &u.name)?;
            text(ws, row, 1, &u.code)?;
            for (j, n) in [u.total, u.attention, u.urgent, u.handled].iter().enumerate() {
                ws.write_number(row, j as u16 + 2, *n as f64)?;
            }
        }
    }
    situations_sheet(&mut wb, "Báo cáo", rows, tz, None)?;
    Ok(wb.save_to_buffer()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_starts_are_text_at_the_start_and_after_any_separator_or_line_break() {
        assert_eq!(neutralise("=HYPERLINK(\"x\")".into()), "'=HYPERLINK(\"x\")");
        assert_eq!(neutralise("@cmd".into()), "'@cmd");
        assert_eq!(neutralise("\tx".into()), "'\tx");
        assert_eq!(neutralise("Chi bộ 1".into()), "Chi bộ 1");
        assert_eq!(neutralise("ok;=cmd|' /C calc'!A0".into()), "ok;'=cmd|' /C calc'!A0");
        assert_eq!(neutralise("ok,+1".into()), "ok,'+1");
        assert_eq!(neutralise("ok;  =1".into()), "ok;  '=1");
        assert_eq!(neutralise("ok\t-2+3".into()), "ok\t'-2+3");
        assert_eq!(neutralise("dòng 1\n@SUM(A1)".into()), "dòng 1\n'@SUM(A1)");
        assert_eq!(neutralise("dòng 1\r\n=1".into()), "dòng 1\r\n'=1");
        // a formula character inside a word is no formula
        assert_eq!(neutralise("Nà Pài - Kim Lư; đủ".into()), "Nà Pài - Kim Lư; đủ");
    }

    #[test]
    fn every_csv_field_is_quoted() {
        let mut buf = Vec::new();
        {
            let mut w = csv_writer(&mut buf);
            w.write_record(["NR-001", &neutralise("ok;=cmd".into()), "a\tb"]).unwrap();
            w.flush().unwrap();
        }
        assert_eq!(String::from_utf8(buf).unwrap(), "\"NR-001\",\"ok;'=cmd\",\"a\tb\"\n");
    }
}
