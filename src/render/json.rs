//! JSON output, schema `splatdec/1`.
//!
//! `--format json` writes `{"schema":"splatdec/1","reports":[...]}`;
//! `--format jsonl` one report object per line. Field names are a contract
//! (see README): new fields may be added, none renamed.

use std::io::{self, Write};

use serde::Serialize;

use super::escape;
use crate::model::Report;

/// The schema identifier written in `--format json` output.
pub const SCHEMA: &str = "splatdec/1";

#[derive(Serialize)]
struct Document<'a> {
    schema: &'static str,
    reports: &'a [Report],
}

/// One report as a single JSON line (no trailing newline).
pub fn report_line(r: &Report) -> String {
    escape::json(serde_json::to_string(r).expect("reports serialize"))
}

/// Write the whole document form.
pub fn write_document(out: &mut dyn Write, reports: &[Report]) -> io::Result<()> {
    let doc = Document {
        schema: SCHEMA,
        reports,
    };
    let s = escape::json(serde_json::to_string_pretty(&doc).expect("reports serialize"));
    out.write_all(s.as_bytes())?;
    out.write_all(b"\n")
}

/// Write one JSONL line.
pub fn write_line(out: &mut dyn Write, r: &Report) -> io::Result<()> {
    out.write_all(report_line(r).as_bytes())?;
    out.write_all(b"\n")
}
