//! Reading the registry (`loa cells import`): a CSV file (UTF-8, with or without BOM) or the first
//! sheet of an .xlsx, header `code,name,district,commune,parent,tags`. Every row is checked before
//! anything is written; one bad row fails the import and every bad line is reported. The rows are
//! then applied in one transaction: new codes added, known ones updated, the rest reported (and
//! retired with `--deactivate-missing`).

use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::path::Path;

use serde_json::json;
use sqlx::SqlitePool;

use super::CellCode;
use crate::audit::{self, Actor};

/// The registry's columns, in the documented order.
pub const COLUMNS: [&str; 6] = ["code", "name", "district", "commune", "parent", "tags"];
const REQUIRED: [&str; 3] = ["code", "name", "district"];

/// One checked row of the registry.
#[derive(Debug, Clone, PartialEq)]
pub struct RegistryRow {
    /// Line in the file (the header is line 1).
    pub line: usize,
    pub code: CellCode,
    pub name: String,
    pub district: String,
    pub commune: Option<String>,
    pub parent: Option<String>,
    pub tags: BTreeSet<String>,
}

/// One problem in the file.
#[derive(Debug, Clone, PartialEq)]
pub struct RowError {
    pub line: usize,
    pub column: String,
    pub reason: String,
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.column.is_empty() {
            write!(f, "line {}: {}", self.line, self.reason)
        } else {
            write!(f, "line {}, column {}: {}", self.line, self.column, self.reason)
        }
    }
}

/// Why a registry file was refused.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The file could not be read or is not a CSV/XLSX file.
    #[error("{0}")]
    Unreadable(String),
    /// Rows that are wrong; nothing was written.
    #[error("{} bad line(s), nothing was written:\n{}", .0.len(), .0.iter().map(|e| format!("  {e}")).collect::<Vec<_>>().join("\n"))]
    Rows(Vec<RowError>),
}

/// Reads and checks a registry file, by its extension.
pub fn read_file(path: &Path) -> Result<Vec<RegistryRow>, ImportError> {
    let ext = path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).unwrap_or_default();
    let unreadable = |e: std::io::Error| ImportError::Unreadable(format!("cannot read {}: {e}", path.display()));
    match ext.as_str() {
        "csv" => parse_csv(&std::fs::read(path).map_err(unreadable)?),
        "xlsx" => {
            std::fs::metadata(path).map_err(unreadable)?;
            parse_xlsx(path)
        }
        _ => Err(ImportError::Unreadable(format!(
            "{}: expected a .csv or .xlsx file (header {})",
            path.display(),
            COLUMNS.join(",")
        ))),
    }
}

/// Parses registry CSV bytes.
pub fn parse_csv(bytes: &[u8]) -> Result<Vec<RegistryRow>, ImportError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let lines = crate::text::LineStarts::of(bytes);
    // a record's position may fall on the line break before it (the `\n` of a `\r\n`)
    let line_of = |mut at: usize| {
        while bytes.get(at).is_some_and(|b| matches!(b, b'\r' | b'\n')) {
            at += 1;
        }
        lines.line_at(at)
    };
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(bytes);
    let mut records: Vec<(usize, Vec<Result<String, ()>>)> = Vec::new();
    for (i, rec) in reader.byte_records().enumerate() {
        let rec = rec.map_err(|e| {
            let line = e.position().map(|p| line_of(p.byte() as usize)).unwrap_or(i + 1);
            ImportError::Rows(vec![RowError {
                line,
                column: String::new(),
                reason: format!("not readable as CSV: {e}"),
            }])
        })?;
        let line = rec.position().map(|p| line_of(p.byte() as usize)).unwrap_or(i + 1);
        let fields = rec.iter().map(|f| std::str::from_utf8(f).map(str::to_string).map_err(|_| ())).collect();
        records.push((line, fields));
    }
    check(records)
}

/// The largest registry workbook read: a province's registry is a few hundred kilobytes.
pub const MAX_XLSX_BYTES: u64 = 20 * 1024 * 1024;
/// The most its parts may unpack to (a zip bomb is refused before anything is unpacked).
pub const MAX_XLSX_UNPACKED: u64 = 200 * 1024 * 1024;
/// The widest sheet read: the registry has six columns; anything past column Z is refused.
pub const MAX_XLSX_COLUMNS: u32 = 26;
/// The most rows a registry sheet may have (a whole country's cells, with room to spare).
pub const MAX_XLSX_ROWS: u32 = 500_000;

/// Checks a workbook's size, and what its parts say they unpack to, before anything is unpacked.
fn check_workbook_size(path: &Path) -> Result<(), ImportError> {
    let unreadable = |e: String| ImportError::Unreadable(format!("{}: {e}", path.display()));
    let size = std::fs::metadata(path).map_err(|e| unreadable(format!("cannot read it: {e}")))?.len();
    if size > MAX_XLSX_BYTES {
        return Err(unreadable(format!(
            "{:.1} MB; a registry workbook may be at most {} MB (save the sheet alone, or as CSV)",
            size as f64 / 1_048_576.0,
            MAX_XLSX_BYTES / 1_048_576
        )));
    }
    let file = std::fs::File::open(path).map_err(|e| unreadable(format!("cannot read it: {e}")))?;
    let mut zip = zip::ZipArchive::new(file).map_err(|e| unreadable(format!("not a readable .xlsx workbook: {e}")))?;
    let mut unpacked: u64 = 0;
    for i in 0..zip.len() {
        let part = zip.by_index_raw(i).map_err(|e| unreadable(format!("not a readable .xlsx workbook: {e}")))?;
        unpacked = unpacked.saturating_add(part.size());
    }
    if unpacked > MAX_XLSX_UNPACKED {
        return Err(unreadable(format!(
            "its parts unpack to {} MB; a registry workbook may unpack to at most {} MB",
            unpacked / 1_048_576,
            MAX_XLSX_UNPACKED / 1_048_576
        )));
    }
    Ok(())
}

/// A column's letters as a spreadsheet shows them (0 = A, 26 = AA).
fn column_letters(mut c: u32) -> String {
    let mut out = Vec::new();
    loop {
        out.push(b'A' + (c % 26) as u8);
        if c < 26 {
            break;
        }
        c = c / 26 - 1;
    }
    out.reverse();
    String::from_utf8(out).expect("ASCII")
}

/// Parses the first sheet of an .xlsx workbook. Its cells are read one by one, as they are stored
/// (a cell at XFD1048576 costs nothing until it is found, and is then refused): a sheet is never
/// laid out as a whole grid, which a 1 KB file could make billions of cells big. Lines are the
/// sheet's row numbers, as Excel shows them.
pub fn parse_xlsx(path: &Path) -> Result<Vec<RegistryRow>, ImportError> {
    use calamine::{DataRef, Reader, Xlsx, open_workbook};
    check_workbook_size(path)?;
    let mut book: Xlsx<_> = open_workbook(path)
        .map_err(|e| ImportError::Unreadable(format!("{}: not a readable .xlsx workbook: {e}", path.display())))?;
    let first = book
        .sheet_names()
        .into_iter()
        .next()
        .ok_or_else(|| ImportError::Unreadable(format!("{}: the workbook has no sheet", path.display())))?;
    let unreadable = |e: calamine::XlsxError| {
        ImportError::Unreadable(format!("{}: the first sheet cannot be read: {e}", path.display()))
    };
    let mut cells = book.worksheet_cells_reader(&first).map_err(unreadable)?;
    let mut rows: std::collections::BTreeMap<u32, Vec<String>> = std::collections::BTreeMap::new();
    let mut errors = Vec::new();
    while let Some(cell) = cells.next_cell().map_err(unreadable)? {
        let (r, c) = cell.get_position();
        let text = match cell.get_value() {
            DataRef::Empty => continue,
            DataRef::String(s) => s.clone(),
            DataRef::SharedString(s) => s.to_string(),
            DataRef::Int(i) => i.to_string(),
            // whole numbers typed as numbers (a code like 1001) read as written
            DataRef::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
            other => calamine::Data::from(other.clone()).to_string(),
        };
        if text.trim().is_empty() {
            continue;
        }
        if c >= MAX_XLSX_COLUMNS {
            errors.push(RowError {
                line: r as usize + 1,
                column: column_letters(c),
                reason: format!(
                    "a value past column {}; the registry's columns are {}",
                    column_letters(MAX_XLSX_COLUMNS - 1),
                    COLUMNS.join(",")
                ),
            });
            if errors.len() >= 20 {
                break;
            }
            continue;
        }
        if r >= MAX_XLSX_ROWS {
            errors.push(RowError {
                line: r as usize + 1,
                column: String::new(),
                reason: format!("the sheet goes past row {MAX_XLSX_ROWS}"),
            });
            break;
        }
        let row = rows.entry(r).or_default();
        if row.len() <= c as usize {
            row.resize(c as usize + 1, String::new());
        }
        row[c as usize] = text;
    }
    if !errors.is_empty() {
        return Err(ImportError::Rows(errors));
    }
    let records = rows.into_iter().map(|(r, fields)| (r as usize + 1, fields.into_iter().map(Ok).collect())).collect();
    check(records)
}

/// Checks the header and every row; collects every problem.
fn check(records: Vec<(usize, Vec<Result<String, ()>>)>) -> Result<Vec<RegistryRow>, ImportError> {
    let mut errors = Vec::new();
    let mut rows =
        records.into_iter().filter(|(_, f)| !f.iter().all(|x| x.as_ref().is_ok_and(|s| s.trim().is_empty())));
    let Some((header_line, header)) = rows.next() else {
        return Err(ImportError::Rows(vec![RowError {
            line: 1,
            column: String::new(),
            reason: format!("the file is empty; expected the header {}", COLUMNS.join(",")),
        }]));
    };
    // the header: known columns, each once, the required ones present
    let mut index: HashMap<&'static str, usize> = HashMap::new();
    for (i, h) in header.iter().enumerate() {
        let Ok(h) = h else {
            errors.push(RowError {
                line: header_line,
                column: format!("#{}", i + 1),
                reason: "not valid UTF-8; save the file as UTF-8".into(),
            });
            continue;
        };
        let name = h.trim().to_ascii_lowercase();
        match COLUMNS.iter().find(|c| **c == name) {
            Some(c) if index.contains_key(c) => {
                errors.push(RowError { line: header_line, column: name.clone(), reason: "column appears twice".into() })
            }
            Some(c) => {
                index.insert(c, i);
            }
            None if name.is_empty() => {}
            None => errors.push(RowError {
                line: header_line,
                column: h.trim().to_string(),
                reason: format!("unknown column; the columns are {}", COLUMNS.join(",")),
            }),
        }
    }
    for r in REQUIRED {
        if !index.contains_key(r) {
            errors.push(RowError {
                line: header_line,
                column: r.into(),
                reason: "required column is missing from the header".into(),
            });
        }
    }
    if !errors.is_empty() {
        return Err(ImportError::Rows(errors));
    }

    let mut out = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (line, fields) in rows {
        let mut bad = |column: &str, reason: String| errors.push(RowError { line, column: column.into(), reason });
        let mut get = |col: &'static str| -> Option<String> {
            let i = *index.get(col)?;
            match fields.get(i) {
                // invisible characters (pasted from the web or Word) go, Vietnamese is composed
                Some(Ok(s)) => Some(crate::text::visible(s).trim().to_string()),
                Some(Err(())) => {
                    bad(col, "not valid UTF-8; save the file as UTF-8".into());
                    None
                }
                None => Some(String::new()),
            }
        };
        let code = get("code");
        let name = get("name");
        let district = get("district");
        let commune = get("commune").filter(|s| !s.is_empty());
        let parent = get("parent").filter(|s| !s.is_empty());
        let tags_raw = get("tags").unwrap_or_default();
        if fields.len() > header.len()
            && fields[header.len()..].iter().any(|f| f.as_ref().is_ok_and(|s| !s.trim().is_empty()))
        {
            bad("", format!("{} fields, but the header has {}", fields.len(), header.len()));
        }
        let code = match code.map(|c| CellCode::parse(&c)) {
            Some(Ok(c)) => {
                let key = c.as_str().to_ascii_uppercase();
                if let Some(first) = seen.get(&key) {
                    bad("code", format!("duplicate code {c} (first on line {first})"));
                } else {
                    seen.insert(key, line);
                }
                Some(c)
            }
            Some(Err(e)) => {
                bad("code", e);
                None
            }
            None => None,
        };
        let mut text = |col: &str, v: Option<String>, required: bool, max: usize| -> Option<String> {
            match v {
                Some(s) if s.is_empty() && required => {
                    bad(col, "missing".into());
                    None
                }
                Some(s) if s.chars().count() > max => {
                    bad(col, format!("longer than {max} characters"));
                    None
                }
                Some(s) if s.chars().any(char::is_control) => {
                    bad(col, "contains a control character".into());
                    None
                }
                other => other,
            }
        };
        let name = text("name", name, true, 200);
        let district = text("district", district, true, 100);
        let commune = text("commune", commune, false, 100);
        let parent = text("parent", parent, false, 200);
        let mut tags = BTreeSet::new();
        for t in tags_raw.split(';').map(str::trim).filter(|t| !t.is_empty()) {
            if t.chars().count() > 50 || t.chars().any(char::is_control) {
                bad("tags", format!("tag {t:?} is longer than 50 characters or has a control character"));
            } else {
                tags.insert(t.to_string());
            }
        }
        if let (Some(code), Some(name), Some(district)) = (code, name, district) {
            out.push(RegistryRow { line, code, name, district, commune, parent, tags });
        }
    }
    if !errors.is_empty() {
        errors.sort_by_key(|e| e.line);
        return Err(ImportError::Rows(errors));
    }
    if out.is_empty() {
        return Err(ImportError::Rows(vec![RowError {
            line: header_line + 1,
            column: String::new(),
            reason: "no cells after the header".into(),
        }]));
    }
    Ok(out)
}

/// How to apply a registry.
#[derive(Debug, Clone, Copy, Default)]
pub struct ImportOptions {
    /// Check and count, then roll back.
    pub dry_run: bool,
    /// Retire the cells that are not in the file.
    pub deactivate_missing: bool,
}

/// What an import did (or, in a dry run, would do).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ImportSummary {
    pub added: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub retired: usize,
    /// Codes in the database (not retired) that the file does not have.
    pub missing: Vec<String>,
    pub dry_run: bool,
}

impl fmt::Display for ImportSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} added, {} updated, {} unchanged, {} retired",
            self.added, self.updated, self.unchanged, self.retired
        )?;
        if self.dry_run {
            write!(f, " (dry run: nothing was written)")?;
        }
        if !self.missing.is_empty() && self.retired == 0 {
            let shown: Vec<&str> = self.missing.iter().take(20).map(String::as_str).collect();
            let more =
                if self.missing.len() > 20 { format!(" and {} more", self.missing.len() - 20) } else { String::new() };
            write!(
                f,
                "\n{} cell(s) in the database are not in the file and were kept: {}{more}\n(import with --deactivate-missing to retire them)",
                self.missing.len(),
                shown.join(", ")
            )?;
        }
        Ok(())
    }
}

#[derive(sqlx::FromRow)]
struct Existing {
    id: i64,
    code: String,
    name: String,
    district: String,
    commune: Option<String>,
    parent: Option<String>,
    tags: String,
    status: String,
    chat_id: Option<i64>,
}

/// Applies checked rows in one transaction.
pub async fn apply(
    pool: &SqlitePool,
    rows: &[RegistryRow],
    opts: ImportOptions,
    actor: Actor,
) -> anyhow::Result<ImportSummary> {
    let mut tx = crate::db::begin_write(pool).await?;
    let existing: Vec<Existing> = sqlx::query_as(
        "SELECT c.id, c.code, c.name, c.district, c.commune, c.parent, c.status, c.chat_id,
                COALESCE((SELECT group_concat(tag, ';') FROM (SELECT tag FROM cell_tags t WHERE t.cell_id = c.id ORDER BY tag)), '') AS tags
         FROM cells c",
    )
    .fetch_all(&mut *tx)
    .await?;
    let mut by_code: HashMap<String, &Existing> = existing.iter().map(|e| (e.code.to_ascii_uppercase(), e)).collect();
    let now = crate::dates::now();
    let mut s = ImportSummary { dry_run: opts.dry_run, ..Default::default() };
    for row in rows {
        let tags = row.tags.iter().cloned().collect::<Vec<_>>().join(";");
        // the unit the row's district and commune stand for in the organisation's tree
        let unit = crate::units::ensure_legacy(&mut tx, &row.district, row.commune.as_deref()).await?;
        let id = match by_code.remove(&row.code.as_str().to_ascii_uppercase()) {
            None => {
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO cells (code, name, district, commune, parent, unit_id, status, created_at, updated_at)
                     VALUES (?, ?, ?, ?, ?, ?, 'unbound', ?, ?) RETURNING id",
                )
                .bind(row.code.as_str())
                .bind(&row.name)
                .bind(&row.district)
                .bind(&row.commune)
                .bind(&row.parent)
                .bind(unit)
                .bind(now)
                .bind(now)
                .fetch_one(&mut *tx)
                .await?;
                s.added += 1;
                id
            }
            Some(e) => {
                let same = e.name == row.name
                    && e.district == row.district
                    && e.commune == row.commune
                    && e.parent == row.parent
                    && e.tags == tags
                    && e.status != "retired";
                if same {
                    s.unchanged += 1;
                    continue;
                }
                // a retired cell that comes back is unbound again, or active if it kept its chat
                let status = match (e.status.as_str(), e.chat_id) {
                    ("retired", Some(_)) => "active",
                    ("retired", None) => "unbound",
                    (other, _) => other,
                };
                sqlx::query(
                    "UPDATE cells SET name = ?, district = ?, commune = ?, parent = ?, unit_id = ?, status = ?, updated_at = ?
                     WHERE id = ?",
                )
                .bind(&row.name)
                .bind(&row.district)
                .bind(&row.commune)
                .bind(&row.parent)
                .bind(unit)
                .bind(status)
                .bind(now)
                .bind(e.id)
                .execute(&mut *tx)
                .await?;
                sqlx::query("DELETE FROM cell_tags WHERE cell_id = ?").bind(e.id).execute(&mut *tx).await?;
                s.updated += 1;
                e.id
            }
        };
        for t in &row.tags {
            sqlx::query("INSERT INTO cell_tags (cell_id, tag) VALUES (?, ?)")
                .bind(id)
                .bind(t)
                .execute(&mut *tx)
                .await?;
        }
    }
    let mut missing: Vec<&Existing> = by_code.into_values().filter(|e| e.status != "retired").collect();
    missing.sort_by(|a, b| a.code.cmp(&b.code));
    s.missing = missing.iter().map(|e| e.code.clone()).collect();
    if opts.deactivate_missing {
        for e in &missing {
            sqlx::query("UPDATE cells SET status = 'retired', updated_at = ? WHERE id = ?")
                .bind(now)
                .bind(e.id)
                .execute(&mut *tx)
                .await?;
            s.retired += 1;
        }
    }
    let details = json!({
        "added": s.added, "updated": s.updated, "unchanged": s.unchanged, "retired": s.retired,
        "missing": s.missing.len(), "rows": rows.len(),
    });
    audit::record(&mut tx, actor, "cells.import", None, "ok", details).await?;
    if opts.dry_run {
        tx.rollback().await?;
    } else {
        tx.commit().await?;
    }
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errors(csv: &str) -> Vec<String> {
        match parse_csv(csv.as_bytes()) {
            Err(ImportError::Rows(e)) => e.iter().map(ToString::to_string).collect(),
            other => panic!("expected row errors, got {other:?}"),
        }
    }

    #[test]
    fn vietnamese_names_survive_byte_for_byte_with_or_without_bom() {
        let body = "code,name,district,commune,parent,tags\nNR-001,Chi bộ thôn Nà Pài,Na Rì,Xã Kim Lư,Đảng bộ xã Kim Lư,xa;vung-cao\n";
        for bytes in [body.as_bytes().to_vec(), [b"\xEF\xBB\xBF".as_slice(), body.as_bytes()].concat()] {
            let rows = parse_csv(&bytes).unwrap();
            assert_eq!(rows.len(), 1);
            assert_eq!(rows[0].name, "Chi bộ thôn Nà Pài");
            assert_eq!(rows[0].district, "Na Rì");
            assert_eq!(rows[0].commune.as_deref(), Some("Xã Kim Lư"));
            assert_eq!(rows[0].tags.iter().cloned().collect::<Vec<_>>(), ["vung-cao", "xa"]);
            assert_eq!(rows[0].line, 2);
        }
    }

    #[test]
    fn columns_may_come_in_any_order_and_optional_ones_may_be_absent() {
        let rows = parse_csv("District,Code,Name\nBa Bể,BB-1,Chi bộ 1\n".as_bytes()).unwrap();
        assert_eq!(rows[0].code.as_str(), "BB-1");
        assert_eq!(rows[0].commune, None);
    }

    #[test]
    fn every_bad_line_is_reported_with_its_column_and_reason() {
        let e = errors(
            "code,name,district,commune,parent,tags\n\
             NR-001,Chi bộ 1,Na Rì,,,\n\
             ,Chi bộ 2,Na Rì,,,\n\
             NR-001,Chi bộ 3,Na Rì,,,\n\
             NR 004,,Na Rì,,,\n\
             NR-005,Chi bộ 5,,,,\n",
        );
        assert_eq!(
            e,
            [
                "line 3, column code: missing",
                "line 4, column code: duplicate code NR-001 (first on line 2)",
                "line 5, column code: \"NR 004\" has ' '; a code uses only A-Z a-z 0-9 - _ .",
                "line 5, column name: missing",
                "line 6, column district: missing",
            ]
        );
    }

    #[test]
    fn an_unknown_or_missing_column_fails_at_the_header() {
        assert_eq!(
            errors("code,name,huyen\nX,Y,Z\n"),
            [
                "line 1, column huyen: unknown column; the columns are code,name,district,commune,parent,tags",
                "line 1, column district: required column is missing from the header",
            ]
        );
    }

    #[test]
    fn bad_encoding_names_the_line_and_column() {
        let mut bytes = b"code,name,district\nNR-1,Chi b".to_vec();
        bytes.extend_from_slice(&[0xF4, 0x20]); // "ô" in Windows-1258, not UTF-8
        bytes.extend_from_slice(b",Na Ri\n");
        let e = match parse_csv(&bytes) {
            Err(ImportError::Rows(e)) => e,
            other => panic!("{other:?}"),
        };
        assert_eq!(e[0].to_string(), "line 2, column name: not valid UTF-8; save the file as UTF-8");
    }

    #[test]
    fn extra_fields_and_an_empty_file_are_refused() {
        assert_eq!(errors("code,name,district\nA,B,C,D\n"), ["line 2: 4 fields, but the header has 3"]);
        assert_eq!(
            errors(""),
            ["line 1: the file is empty; expected the header code,name,district,commune,parent,tags"]
        );
        assert_eq!(errors("code,name,district\n"), ["line 2: no cells after the header"]);
    }

    #[test]
    fn quoted_fields_keep_commas_and_quotes_and_line_numbers_count_real_lines() {
        let rows = parse_csv("code,name,district\nA,\"Chi bộ \"\"Đoàn Kết\"\", thôn 1\",Ba Bể\n".as_bytes()).unwrap();
        assert_eq!(rows[0].name, "Chi bộ \"Đoàn Kết\", thôn 1");
        // a line break inside a quoted name is refused, and the next row keeps its real line
        assert_eq!(
            errors("code,name,district\nB,\"hai\ndòng\",Ba Bể\nC,,Ba Bể\n"),
            ["line 2, column name: contains a control character", "line 4, column name: missing"]
        );
    }
}

#[cfg(test)]
mod line_tests {
    use super::*;

    #[test]
    fn lines_are_numbered_as_an_editor_shows_them() {
        for (csv, line) in [
            ("code,name,district\nNR-001,Chi bộ 1,Na Rì\nNR-002,,Na Rì\n", 3),
            ("\u{feff}code,name,district\r\nNR-001,Chi bộ 1,Na Rì\r\nNR-002,,Na Rì\r\n", 3),
            ("code,name,district\n\nNR-001,Chi bộ 1,Na Rì\nNR-002,,Na Rì\n", 4),
            ("code,name,district\nNR-001,\"Chi bộ\n1\",Na Rì\nNR-002,,Na Rì\n", 4),
            ("code,name,district\rNR-001,Chi bộ 1,Na Rì\rNR-002,,Na Rì\r", 3),
        ] {
            let Err(ImportError::Rows(e)) = parse_csv(csv.as_bytes()) else { panic!() };
            let missing = e.iter().find(|e| e.reason == "missing").expect("the empty name");
            assert_eq!(missing.line, line, "{csv:?}: {e:?}");
        }
    }
}

#[cfg(test)]
mod xlsx_tests {
    use super::*;

    fn book(path: &Path, cells: &[(u32, u16, &str)]) {
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        for (r, c, text) in cells {
            sheet.write_string(*r, *c, *text).unwrap();
        }
        book.save(path).unwrap();
    }

    #[test]
    fn a_sheets_rows_are_its_lines_and_cells_far_away_are_refused_unread() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.xlsx");
        // a blank row 2: the bad name is on the sheet's row 4
        book(
            &p,
            &[
                (0, 0, "code"),
                (0, 1, "name"),
                (0, 2, "district"),
                (2, 0, "NR-001"),
                (2, 1, "Chi bộ 1"),
                (2, 2, "Na Rì"),
            ]
            .into_iter()
            .chain([(3, 0, "NR-002"), (3, 2, "Na Rì")])
            .collect::<Vec<_>>(),
        );
        let Err(ImportError::Rows(e)) = parse_xlsx(&p) else { panic!() };
        assert_eq!(
            e.iter().map(|e| (e.line, e.column.as_str(), e.reason.as_str())).collect::<Vec<_>>(),
            [(4, "name", "missing")]
        );

        // a tiny file with a value at XFD1048576: a grid of it would be 17 billion cells
        book(&p, &[(0, 0, "code"), (0, 1, "name"), (0, 2, "district"), (1_048_575, 16_383, "x")]);
        assert!(std::fs::metadata(&p).unwrap().len() < 10_000);
        let Err(ImportError::Rows(e)) = parse_xlsx(&p) else { panic!() };
        assert_eq!(e[0].line, 1_048_576);
        assert_eq!(e[0].column, "XFD");
        assert!(e[0].reason.starts_with("a value past column Z"), "{e:?}");
        // and far down in a column of its own
        book(&p, &[(0, 0, "code"), (0, 1, "name"), (0, 2, "district"), (900_000, 0, "x")]);
        let Err(ImportError::Rows(e)) = parse_xlsx(&p) else { panic!() };
        assert_eq!(e[0].reason, "the sheet goes past row 500000");
    }

    #[test]
    fn column_letters_are_a_spreadsheets() {
        assert_eq!([0, 25, 26, 27, 701, 702, 16_383].map(column_letters), ["A", "Z", "AA", "AB", "ZZ", "AAA", "XFD"]);
    }
}
