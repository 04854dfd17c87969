//! How the CLI prints lists: a table for people, CSV or JSON for scripts. JSON is one value (an
//! array of objects whose keys are the table's columns in snake_case).

use std::io::Write;

use clap::ValueEnum;
use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{ContentArrangement, Table};
use serde_json::{Map, Value};

use crate::export::neutralise;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Table,
    Csv,
    Json,
}

/// One column: its snake_case key and how a row shows in it.
pub struct Column<T> {
    pub key: &'static str,
    /// Text that came from people: neutralised in CSV (see [`crate::export::neutralise`]).
    pub people: bool,
    pub text: fn(&T) -> String,
    pub json: fn(&T) -> Value,
}

/// Prints `rows` in `format` to `out`.
pub fn print<T>(out: &mut dyn Write, format: Format, columns: &[Column<T>], rows: &[T]) -> anyhow::Result<()> {
    match format {
        Format::Table => {
            let mut table = Table::new();
            table.load_style(UTF8_FULL_CONDENSED).set_content_arrangement(ContentArrangement::Dynamic);
            table.set_header(columns.iter().map(|c| c.key));
            for r in rows {
                table.add_row(columns.iter().map(|c| (c.text)(r)));
            }
            writeln!(out, "{table}")?;
            writeln!(out, "{} row(s)", rows.len())?;
        }
        Format::Csv => {
            let mut w = crate::export::csv_writer(out);
            w.write_record(columns.iter().map(|c| c.key))?;
            for r in rows {
                w.write_record(columns.iter().map(|c| if c.people { neutralise((c.text)(r)) } else { (c.text)(r) }))?;
            }
            w.flush()?;
        }
        Format::Json => {
            let list: Vec<Value> = rows
                .iter()
                .map(|r| Value::Object(columns.iter().map(|c| (c.key.to_string(), (c.json)(r))).collect::<Map<_, _>>()))
                .collect();
            serde_json::to_writer_pretty(&mut *out, &list)?;
            writeln!(out)?;
        }
    }
    Ok(())
}
