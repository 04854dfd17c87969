//! Reading the registry (`loa cells import`): a CSV file (UTF-8, with or without BOM) or the first
//! sheet of an .xlsx, in one of two layouts, told apart by the header:
//!
//! - the organisation's tree, `code,name,parent_code[,kind][,tags][,members]`: units and cells in
//!   one file, parents before or after their children. A row is a cell when its kind says so
//!   (`chi-bo`, `chi bộ`, `cell`) or, with no kind, when no row hangs from it; every other row is a
//!   unit. The row with no parent is the province's committee. Checked as a tree: an unknown
//!   parent, a cycle, a duplicate code, a cell with children, a second root — each named with its
//!   line;
//! - the old layout, `code,name,district,commune,parent,tags`: each row a cell; its district and
//!   commune become units of the tree (see [`crate::units::ensure_legacy`]).
//!
//! `members` (party members in a cell) is optional in both. Every row is checked before anything
//! is written; one bad row fails the import and every bad line is reported. The rows are then
//! applied in one transaction: new codes added, known ones updated (a unit may move under a new
//! parent, its cells with it; what was recorded stays with the cells), the cells not in the file
//! reported (and retired with `--deactivate-missing`).

use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::path::Path;

use crate::db::DbPool;
use serde_json::json;

use super::CellCode;
use crate::audit::{self, Actor};

/// The registry's columns, in the documented order (the old layout's, then the tree's).
pub const COLUMNS: [&str; 9] =
    ["code", "name", "district", "commune", "parent", "tags", "parent_code", "kind", "members"];
/// The two layouts' headers, as the error messages show them.
const LAYOUTS: &str =
    "code,name,parent_code,kind,tags,members (the organisation's tree) or code,name,district,commune,parent,tags";
const REQUIRED: [&str; 3] = ["code", "name", "district"];
const REQUIRED_TREE: [&str; 3] = ["code", "name", "parent_code"];
/// The kinds that make a row a cell in the tree layout (compared without case).
pub const CELL_KINDS: [&str; 4] = ["chi-bo", "chi bộ", "chi bo", "cell"];
/// The most party members a cell may list.
pub const MAX_MEMBERS: i64 = 10_000;

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
    /// Tree layout: the code of the unit this row hangs from (`None` for the root, and for every
    /// row of the old layout).
    pub parent_code: Option<String>,
    /// Tree layout: the row's kind as written.
    pub kind: Option<String>,
    /// Party members in the cell, when given.
    pub members: Option<i64>,
    /// Tree layout: the row is a unit, not a cell.
    pub unit: bool,
}

impl RegistryRow {
    /// Whether the row comes from a file in the tree layout.
    pub fn in_tree(&self) -> bool {
        self.unit || self.parent_code.is_some()
    }
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
            "{}: expected a .csv or .xlsx file (header {LAYOUTS})",
            path.display()
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
            reason: format!("the file is empty; expected the header {LAYOUTS}"),
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
                reason: format!("unknown column; the columns are {LAYOUTS}"),
            }),
        }
    }
    let tree = index.contains_key("parent_code");
    for r in if tree { REQUIRED_TREE } else { REQUIRED } {
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
        let district = if tree { Some(get("district").unwrap_or_default()) } else { get("district") };
        let commune = get("commune").filter(|s| !s.is_empty());
        let parent = get("parent").filter(|s| !s.is_empty());
        let tags_raw = get("tags").unwrap_or_default();
        let parent_code = get("parent_code").filter(|s| !s.is_empty());
        let kind = get("kind").filter(|s| !s.is_empty());
        let members_raw = get("members").unwrap_or_default();
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
        let district = text("district", district, !tree, 100);
        let commune = text("commune", commune, false, 100);
        let parent = text("parent", parent, false, 200);
        let parent_code = text("parent_code", parent_code, false, 100);
        let kind = text("kind", kind, false, 50);
        let members = match members_raw.as_str() {
            "" => None,
            m => match m.parse::<i64>() {
                Ok(n) if (0..=MAX_MEMBERS).contains(&n) => Some(n),
                _ => {
                    bad("members", format!("{m:?} is not a number of members from 0 to {MAX_MEMBERS}"));
                    None
                }
            },
        };
        let mut tags = BTreeSet::new();
        for t in tags_raw.split(';').map(str::trim).filter(|t| !t.is_empty()) {
            if t.chars().count() > 50 || t.chars().any(char::is_control) {
                bad("tags", format!("tag {t:?} is longer than 50 characters or has a control character"));
            } else {
                tags.insert(t.to_string());
            }
        }
        if let (Some(code), Some(name), Some(district)) = (code, name, district) {
            let (district, commune) = if tree { (String::new(), None) } else { (district, commune) };
            out.push(RegistryRow {
                line,
                code,
                name,
                district,
                commune,
                parent,
                tags,
                parent_code,
                kind,
                members,
                unit: false,
            });
        }
    }
    if tree {
        errors.extend(check_tree(&mut out));
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

/// The tree layout's checks within the file: decides which rows are units (a kind that is not a
/// cell's, or rows hanging from it) and which are cells, and names every row that breaks the tree.
/// A parent not in the file is checked against the database when the file is applied.
fn check_tree(rows: &mut [RegistryRow]) -> Vec<RowError> {
    let mut errors = Vec::new();
    let key = |c: &str| c.to_ascii_uppercase();
    let by_code: HashMap<String, usize> = rows.iter().enumerate().map(|(i, r)| (key(r.code.as_str()), i)).collect();
    let has_children: BTreeSet<String> = rows.iter().filter_map(|r| r.parent_code.as_deref().map(key)).collect();
    for r in rows.iter_mut() {
        let cell_kind = r.kind.as_deref().map(|k| CELL_KINDS.contains(&k.trim().to_lowercase().as_str()));
        r.unit = match cell_kind {
            Some(is_cell) => !is_cell,
            None => has_children.contains(&key(r.code.as_str())) || r.parent_code.is_none(),
        };
    }
    let mut root: Option<usize> = None;
    for r in rows.iter() {
        let Some(parent) = r.parent_code.as_deref() else {
            if !r.unit {
                errors.push(RowError {
                    line: r.line,
                    column: "parent_code".into(),
                    reason: "missing: a cell hangs from a unit".into(),
                });
            } else if let Some(first) = root {
                errors.push(RowError {
                    line: r.line,
                    column: "parent_code".into(),
                    reason: format!("a second row without a parent; the province's committee is on line {first}"),
                });
            } else {
                root = Some(r.line);
            }
            continue;
        };
        if key(parent) == key(r.code.as_str()) {
            errors.push(RowError {
                line: r.line,
                column: "parent_code".into(),
                reason: "a unit cannot be its own parent".into(),
            });
            continue;
        }
        if let Some(&p) = by_code.get(&key(parent))
            && !rows[p].unit
        {
            errors.push(RowError {
                line: r.line,
                column: "parent_code".into(),
                reason: format!("{parent} is a cell (line {}); only a unit has cells or units under it", rows[p].line),
            });
        }
        if !r.unit && has_children.contains(&key(r.code.as_str())) {
            errors.push(RowError {
                line: r.line,
                column: "kind".into(),
                reason: "a cell cannot have rows under it".into(),
            });
        }
    }
    // a cycle: following the parents from a row comes back to it
    let mut reported: BTreeSet<usize> = BTreeSet::new();
    for start in 0..rows.len() {
        if rows[start].parent_code.as_deref().is_some_and(|p| key(p) == key(rows[start].code.as_str())) {
            continue; // its own parent, named above
        }
        let mut seen = vec![start];
        let mut at = start;
        while let Some(&p) = rows[at].parent_code.as_deref().and_then(|c| by_code.get(&key(c))) {
            if p == start {
                if seen.iter().all(|i| !reported.contains(i)) {
                    let path: Vec<&str> = seen.iter().chain([&start]).map(|&i| rows[i].code.as_str()).collect();
                    errors.push(RowError {
                        line: rows[start].line,
                        column: "parent_code".into(),
                        reason: format!("a cycle: {}", path.join(" → ")),
                    });
                    reported.extend(seen.iter().copied());
                }
                break;
            }
            if seen.contains(&p) {
                break;
            }
            seen.push(p);
            at = p;
        }
    }
    errors
}

/// Writes the tree layout's units: the root row renames the province's committee; a known code is
/// updated (and moved, when its parent changed); a new one is added under its parent. A parent
/// must be in the file or already a unit; a move may not put a unit under its own subtree.
/// Returns every unit's id by code (upper case).
async fn apply_units(
    tx: &mut crate::db::WriteTx,
    rows: &[RegistryRow],
    s: &mut ImportSummary,
) -> anyhow::Result<HashMap<String, i64>> {
    let key = |c: &str| c.to_ascii_uppercase();
    let known: Vec<(i64, String, Option<i64>, String, String)> =
        sqlx::query_as("SELECT id, code, parent_id, name, kind FROM units").fetch_all(&mut **tx).await?;
    let mut ids: HashMap<String, i64> = known.iter().map(|(id, code, ..)| (key(code), *id)).collect();
    let in_file: HashMap<String, &RegistryRow> =
        rows.iter().filter(|r| r.unit).map(|r| (key(r.code.as_str()), r)).collect();
    let mut errors = Vec::new();
    for r in rows {
        if let Some(p) = r.parent_code.as_deref()
            && !in_file.contains_key(&key(p))
            && !ids.contains_key(&key(p))
        {
            errors.push(RowError {
                line: r.line,
                column: "parent_code".into(),
                reason: format!("no unit {p} in the file or in the registry"),
            });
        }
    }
    let cells: BTreeSet<String> = sqlx::query_scalar::<_, String>("SELECT upper(code) FROM cells")
        .fetch_all(&mut **tx)
        .await?
        .into_iter()
        .collect();
    for r in rows {
        let code = key(r.code.as_str());
        if !r.unit && ids.contains_key(&code) {
            let reason = format!("{} is a unit in the registry; give its kind (a cell's kind is chi-bo)", r.code);
            errors.push(RowError { line: r.line, column: "kind".into(), reason });
        } else if r.unit && cells.contains(&code) {
            let reason = format!("{} is a cell in the registry; a unit needs a code of its own", r.code);
            errors.push(RowError { line: r.line, column: "code".into(), reason });
        }
    }
    if !errors.is_empty() {
        errors.sort_by_key(|e| e.line);
        return Err(ImportError::Rows(errors).into());
    }
    let now = crate::dates::now();
    // the root row: the province's committee as the file names it
    if let Some(root) = rows.iter().find(|r| r.unit && r.parent_code.is_none()) {
        let id: i64 = sqlx::query_scalar("SELECT id FROM units WHERE parent_id IS NULL").fetch_one(&mut **tx).await?;
        sqlx::query("UPDATE units SET code = $1, name = $2, kind = COALESCE($3, kind), updated_at = $4 WHERE id = $5")
            .bind(root.code.as_str())
            .bind(&root.name)
            .bind(&root.kind)
            .bind(now)
            .bind(id)
            .execute(&mut **tx)
            .await?;
        ids.retain(|_, v| *v != id);
        ids.insert(key(root.code.as_str()), id);
    }
    // parents before children: a unit is written once its parent has an id
    let mut pending: Vec<&RegistryRow> = rows.iter().filter(|r| r.unit && r.parent_code.is_some()).collect();
    let mut moved_units: Vec<(i64, &RegistryRow)> = Vec::new();
    // the units of the file written so far (the root row first)
    let mut written: BTreeSet<String> =
        rows.iter().filter(|r| r.unit && r.parent_code.is_none()).map(|r| key(r.code.as_str())).collect();
    while !pending.is_empty() {
        let before = pending.len();
        let mut later = Vec::new();
        for r in pending {
            let parent = key(r.parent_code.as_deref().unwrap_or_default());
            let ready = !in_file.contains_key(&parent) || written.contains(&parent);
            let Some(&parent_id) = ids.get(&parent).filter(|_| ready) else {
                later.push(r);
                continue;
            };
            let kind = r.kind.clone().unwrap_or_default();
            match ids.get(&key(r.code.as_str())).copied() {
                Some(id) => {
                    let old = known.iter().find(|k| k.0 == id);
                    let old_parent = old.and_then(|k| k.2);
                    let this_moves = old_parent != Some(parent_id);
                    if this_moves {
                        moved_units.push((id, r));
                    }
                    let same = old.is_some_and(|k| k.3 == r.name && k.4 == kind) && !this_moves;
                    if same {
                        written.insert(key(r.code.as_str()));
                        continue;
                    }
                    sqlx::query("UPDATE units SET name = $1, kind = $2, parent_id = $3, retired_at = NULL, updated_at = $4 WHERE id = $5")
                        .bind(&r.name)
                        .bind(&kind)
                        .bind(parent_id)
                        .bind(now)
                        .bind(id)
                        .execute(&mut **tx)
                        .await?;
                    s.units_updated += 1;
                }
                None => {
                    let id = crate::units::add(tx, r.code.as_str(), &r.name, &kind, parent_id).await?;
                    ids.insert(key(r.code.as_str()), id);
                    s.units_added += 1;
                }
            }
            written.insert(key(r.code.as_str()));
        }
        if later.len() == before {
            // only a cycle through the registry can leave rows waiting; check_tree has named those in the file
            let lines: Vec<String> = later.iter().map(|r| r.line.to_string()).collect();
            anyhow::bail!("units on lines {} wait for each other", lines.join(", "));
        }
        pending = later;
    }
    if !moved_units.is_empty() {
        // a move may not put a unit under its own subtree: from each unit moved, the parents as
        // they now stand must reach the root without coming back to it
        let parents: HashMap<i64, Option<i64>> =
            sqlx::query_as::<_, (i64, Option<i64>)>("SELECT id, parent_id FROM units")
                .fetch_all(&mut **tx)
                .await?
                .into_iter()
                .collect();
        for (id, r) in &moved_units {
            let mut at = parents.get(id).copied().flatten();
            for _ in 0..parents.len() {
                let Some(p) = at else { break };
                if p == *id {
                    let reason = format!(
                        "{} is under {} in the registry: a unit cannot move under itself",
                        r.parent_code.as_deref().unwrap_or_default(),
                        r.code
                    );
                    return Err(ImportError::Rows(vec![RowError {
                        line: r.line,
                        column: "parent_code".into(),
                        reason,
                    }])
                    .into());
                }
                at = parents.get(&p).copied().flatten();
            }
        }
        crate::units::rebuild_paths(tx).await?;
        // the cells of a moved unit go with it: their district and commune follow the tree
        let mut tree_cells: Vec<(i64, i64)> = Vec::new();
        for (unit, _) in &moved_units {
            let under: Vec<(i64, i64)> = sqlx::query_as(
                "SELECT c.id, c.unit_id FROM cells c JOIN unit_paths p ON p.descendant = c.unit_id WHERE p.ancestor = $1",
            )
            .bind(unit)
            .fetch_all(&mut **tx)
            .await?;
            tree_cells.extend(under);
        }
        let mut places: HashMap<i64, (String, Option<String>)> = HashMap::new();
        for (cell, unit) in tree_cells {
            let (district, commune) = crate::units::legacy_place(tx, &mut places, unit).await?;
            sqlx::query("UPDATE cells SET district = $1, commune = $2, updated_at = $3 WHERE id = $4")
                .bind(district)
                .bind(commune)
                .bind(now)
                .bind(cell)
                .execute(&mut **tx)
                .await?;
        }
    }
    Ok(ids)
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
    /// Units of the tree layout added and updated (or moved).
    pub units_added: usize,
    pub units_updated: usize,
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
        if self.units_added + self.units_updated > 0 {
            write!(f, "; units: {} added, {} updated", self.units_added, self.units_updated)?;
        }
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
    unit_id: Option<i64>,
    members: Option<i64>,
}

/// Applies checked rows in one transaction.
pub async fn apply(
    pool: &DbPool,
    rows: &[RegistryRow],
    opts: ImportOptions,
    actor: Actor,
) -> anyhow::Result<ImportSummary> {
    let mut tx = crate::db::begin_write(pool).await?;
    let existing: Vec<Existing> = sqlx::query_as(
        "SELECT c.id, c.code, c.name, c.district, c.commune, c.parent, c.status, c.chat_id, c.unit_id, c.members,
                COALESCE((SELECT string_agg(tag, ';') FROM (SELECT tag FROM cell_tags t WHERE t.cell_id = c.id ORDER BY tag) AS o), '') AS tags
         FROM cells c",
    )
    .fetch_all(&mut *tx)
    .await?;
    let mut by_code: HashMap<String, &Existing> = existing.iter().map(|e| (e.code.to_ascii_uppercase(), e)).collect();
    let now = crate::dates::now();
    let mut s = ImportSummary { dry_run: opts.dry_run, ..Default::default() };
    // the tree layout's units first: every cell's unit must exist before the cell is written
    let units =
        if rows.iter().any(RegistryRow::in_tree) { apply_units(&mut tx, rows, &mut s).await? } else { HashMap::new() };
    let mut places: HashMap<i64, (String, Option<String>)> = HashMap::new();
    for row in rows.iter().filter(|r| !r.unit) {
        let tags = row.tags.iter().cloned().collect::<Vec<_>>().join(";");
        // the unit the row stands for in the organisation's tree; in the tree layout the cell's
        // district and commune are its units at the first and second level (for the views by
        // district until they read the tree)
        let placed;
        let (unit, row) = match row.parent_code.as_deref() {
            None => (crate::units::ensure_legacy(&mut tx, &row.district, row.commune.as_deref()).await?, row),
            Some(parent) => {
                let unit = *units
                    .get(&parent.to_ascii_uppercase())
                    .ok_or_else(|| anyhow::anyhow!("line {}: the unit {parent} was not written", row.line))?;
                let (district, commune) = crate::units::legacy_place(&mut tx, &mut places, unit).await?;
                placed = RegistryRow { district, commune, ..row.clone() };
                (unit, &placed)
            }
        };
        let id = match by_code.remove(&row.code.as_str().to_ascii_uppercase()) {
            None => {
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO cells (code, name, district, commune, parent, unit_id, members, status, created_at, updated_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, 'unbound', $8, $9) RETURNING id",
                )
                .bind(row.code.as_str())
                .bind(&row.name)
                .bind(&row.district)
                .bind(&row.commune)
                .bind(&row.parent)
                .bind(unit)
                .bind(row.members)
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
                    && e.unit_id == Some(unit)
                    && e.members == row.members
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
                    "UPDATE cells SET name = $1, district = $2, commune = $3, parent = $4, unit_id = $5, members = $6, status = $7,
                         updated_at = $8
                     WHERE id = $9",
                )
                .bind(&row.name)
                .bind(&row.district)
                .bind(&row.commune)
                .bind(&row.parent)
                .bind(unit)
                .bind(row.members)
                .bind(status)
                .bind(now)
                .bind(e.id)
                .execute(&mut *tx)
                .await?;
                sqlx::query("DELETE FROM cell_tags WHERE cell_id = $1").bind(e.id).execute(&mut *tx).await?;
                s.updated += 1;
                e.id
            }
        };
        for t in &row.tags {
            sqlx::query("INSERT INTO cell_tags (cell_id, tag) VALUES ($1, $2)")
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
            sqlx::query("UPDATE cells SET status = 'retired', updated_at = $1 WHERE id = $2")
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

    /// A province in today's shape, children before their parents on purpose.
    const TREE: &str = "code,name,parent_code,kind,tags,members
CB-001,Chi bộ thôn Nà Pài,X-BV,chi-bo,xa,23
X-BV,Đảng ủy xã Bằng Vân,TN,dang-uy-xa,,
CB-002,Chi bộ thôn Khuổi Luông,BP-1,,,
BP-1,Đảng bộ bộ phận Bản Chang,X-BV,,,
TN,Đảng bộ tỉnh Thái Nguyên,,tinh,,
CQ-1,Đảng ủy Cơ quan tỉnh,TN,dang-uy-co-quan,,
CB-003,Chi bộ Văn phòng,CQ-1,Chi bộ,,9
";

    #[test]
    fn the_tree_layout_tells_units_from_cells_in_any_order() {
        let rows = parse_csv(TREE.as_bytes()).unwrap();
        let units: Vec<&str> = rows.iter().filter(|r| r.unit).map(|r| r.code.as_str()).collect();
        let cells: Vec<&str> = rows.iter().filter(|r| !r.unit).map(|r| r.code.as_str()).collect();
        assert_eq!(units, ["X-BV", "BP-1", "TN", "CQ-1"]);
        assert_eq!(cells, ["CB-001", "CB-002", "CB-003"], "a kind, or no rows under it, makes a cell");
        assert_eq!(rows[0].members, Some(23));
        assert_eq!(rows[0].parent_code.as_deref(), Some("X-BV"));
        assert!(rows.iter().all(|r| r.district.is_empty()), "the tree, not a district, places a cell");
    }

    #[tokio::test]
    async fn the_sample_registry_in_examples_reads_and_applies() {
        let rows = parse_csv(include_bytes!("../../examples/to-chuc.csv")).unwrap();
        assert_eq!(rows.iter().filter(|r| r.unit).count(), 5);
        let (_dir, pool) = fresh().await;
        let s = apply(&pool, &rows, Default::default(), Actor::Cli).await.unwrap();
        assert_eq!((s.added, s.units_added), (4, 4));
        let mut conn = pool.acquire().await.unwrap();
        let root = crate::units::root(&mut conn).await.unwrap();
        assert_eq!((root.code.as_str(), root.name.as_str()), ("TN", "Đảng bộ tỉnh Thái Nguyên"));
        assert_eq!(crate::units::children(&mut conn, root.id).await.unwrap().len(), 3);
    }

    #[test]
    fn a_broken_tree_is_named_line_by_line() {
        let got = errors(
            "code,name,parent_code,kind,members
TN,Tỉnh,,,
T2,Tỉnh thứ hai,,,
A,Xã A,B,,
B,Xã B,A,,
C,Chi bộ C,TN,chi-bo,
D,Chi bộ D,C,chi-bo,
E,Xã E,E,,
F,Chi bộ F,,chi-bo,
G,Chi bộ G,TN,chi-bo,nhiều
",
        );
        assert_eq!(
            got,
            [
                "line 3, column parent_code: a second row without a parent; the province's committee is on line 2",
                "line 4, column parent_code: a cycle: A → B → A",
                "line 6, column kind: a cell cannot have rows under it",
                "line 7, column parent_code: C is a cell (line 6); only a unit has cells or units under it",
                "line 8, column parent_code: a unit cannot be its own parent",
                "line 9, column parent_code: missing: a cell hangs from a unit",
                "line 10, column members: \"nhiều\" is not a number of members from 0 to 10000",
            ]
        );
        let dup = errors("code,name,parent_code\nTN,Tỉnh,\nA,Xã,TN\na,Xã khác,TN\n");
        assert_eq!(dup, ["line 4, column code: duplicate code a (first on line 3)"]);
        let header = errors("code,name,kind\nA,Xã,\n");
        assert_eq!(
            header,
            ["line 1, column district: required column is missing from the header"],
            "no parent_code: the old layout"
        );
    }

    async fn fresh() -> (tempfile::TempDir, DbPool) {
        let dir = tempfile::tempdir().unwrap();
        let pool = crate::db::open(&format!("sqlite://{}/loa.db", dir.path().display())).await.unwrap();
        (dir, pool)
    }

    /// Each cell's unit path (codes from the root down) and its district and commune.
    async fn placed(pool: &DbPool) -> Vec<(String, String, String, Option<String>)> {
        let cells: Vec<(String, i64, String, Option<String>)> =
            sqlx::query_as("SELECT code, unit_id, district, commune FROM cells ORDER BY code")
                .fetch_all(pool)
                .await
                .unwrap();
        let mut out = Vec::new();
        for (code, unit, district, commune) in cells {
            let mut conn = pool.acquire().await.unwrap();
            let mut path: Vec<String> =
                crate::units::ancestors(&mut conn, unit).await.unwrap().into_iter().map(|u| u.code).collect();
            path.reverse();
            path.push(crate::units::get(&mut conn, unit).await.unwrap().unwrap().code);
            out.push((code, path.join("/"), district, commune));
        }
        out
    }

    #[tokio::test]
    async fn a_tree_registry_builds_the_tree_and_a_reorganisation_moves_cells_with_their_units() {
        let (_dir, pool) = fresh().await;
        let s = apply(&pool, &parse_csv(TREE.as_bytes()).unwrap(), Default::default(), Actor::Cli).await.unwrap();
        assert_eq!((s.units_added, s.units_updated, s.added), (3, 0, 3), "the root row renames the committee");
        let p = |code: &str, path: &str, d: &str, c: Option<&str>| {
            (code.to_string(), path.to_string(), d.to_string(), c.map(String::from))
        };
        assert_eq!(
            placed(&pool).await,
            [
                p("CB-001", "TN/X-BV", "Đảng ủy xã Bằng Vân", None),
                p("CB-002", "TN/X-BV/BP-1", "Đảng ủy xã Bằng Vân", Some("Đảng bộ bộ phận Bản Chang")),
                p("CB-003", "TN/CQ-1", "Đảng ủy Cơ quan tỉnh", None),
            ]
        );
        let members: Option<i64> =
            sqlx::query_scalar("SELECT members FROM cells WHERE code = 'CB-003'").fetch_one(&pool).await.unwrap();
        assert_eq!(members, Some(9));
        // the same file again changes nothing
        let again = apply(&pool, &parse_csv(TREE.as_bytes()).unwrap(), Default::default(), Actor::Cli).await.unwrap();
        assert_eq!((again.added, again.updated, again.unchanged), (0, 0, 3));
        assert_eq!((again.units_added, again.units_updated), (0, 0), "an unchanged unit is not counted as updated");
        // a merger: Bằng Vân's sub-committee moves under the agency committee; only the units need listing
        let merged = "code,name,parent_code,kind\nBP-1,Đảng bộ bộ phận Bản Chang,CQ-1,dang-bo-bo-phan\n";
        let err = apply(&pool, &parse_csv(merged.as_bytes()).unwrap(), Default::default(), Actor::Cli).await;
        assert!(err.is_ok(), "{err:?}");
        assert_eq!(
            placed(&pool).await[1],
            p("CB-002", "TN/CQ-1/BP-1", "Đảng ủy Cơ quan tỉnh", Some("Đảng bộ bộ phận Bản Chang"))
        );
        // a unit cannot move under its own subtree; an unknown parent is named
        let looped = "code,name,parent_code,kind\nCQ-1,Đảng ủy Cơ quan tỉnh,BP-1,dang-uy\n";
        let kindless = "code,name,parent_code\nCQ-1,Đảng ủy Cơ quan tỉnh,TN\n";
        let e =
            apply(&pool, &parse_csv(kindless.as_bytes()).unwrap(), Default::default(), Actor::Cli).await.unwrap_err();
        assert!(e.to_string().contains("line 2, column kind: CQ-1 is a unit in the registry"), "{e}");
        let e = apply(&pool, &parse_csv(looped.as_bytes()).unwrap(), Default::default(), Actor::Cli).await.unwrap_err();
        assert!(e.to_string().contains("line 2, column parent_code: BP-1 is under CQ-1"), "{e}");
        let unknown = "code,name,parent_code,kind\nCB-9,Chi bộ 9,X-KHONG,chi-bo\n";
        let e =
            apply(&pool, &parse_csv(unknown.as_bytes()).unwrap(), Default::default(), Actor::Cli).await.unwrap_err();
        assert!(
            e.to_string().contains("line 2, column parent_code: no unit X-KHONG in the file or in the registry"),
            "{e}"
        );
        let cells: i64 = sqlx::query_scalar("SELECT count(*) FROM cells").fetch_one(&pool).await.unwrap();
        assert_eq!(cells, 3, "nothing written by a refused file");
    }

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
                "line 1, column huyen: unknown column; the columns are code,name,parent_code,kind,tags,members (the organisation's tree) or code,name,district,commune,parent,tags",
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
            [
                "line 1: the file is empty; expected the header code,name,parent_code,kind,tags,members (the organisation's tree) or code,name,district,commune,parent,tags"
            ]
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
