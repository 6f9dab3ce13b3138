//! JSON output, schema `splatdec/1`.
//!
//! `--format json` writes `{"schema":"splatdec/1","reports":[...]}`;
//! `--format jsonl` one report object per line. Field names are a contract
//! (see README): new fields may be added, none renamed.

use std::io::{self, Write};

use serde::Serialize;

use crate::escape;

/// The schema identifier written in `--format json` output.
pub const SCHEMA: &str = "splatdec/1";

#[derive(Serialize)]
struct Document<'a, T> {
    schema: &'static str,
    reports: &'a [T],
}

/// One report (a [`crate::Report`] or an [`crate::Analysis`]) as a single
/// JSON line (no trailing newline).
pub fn report_line<T: Serialize>(r: &T) -> String {
    escape::json(serde_json::to_string(r).expect("reports serialize"))
}

/// Write the whole document form.
pub fn write_document<T: Serialize>(out: &mut dyn Write, reports: &[T]) -> io::Result<()> {
    let doc = Document {
        schema: SCHEMA,
        reports,
    };
    let s = escape::json(serde_json::to_string_pretty(&doc).expect("reports serialize"));
    out.write_all(s.as_bytes())?;
    out.write_all(b"\n")
}

/// The opening of a streamed document; follow with [`write_element`]s and
/// [`write_document_end`].
pub fn write_document_start(out: &mut dyn Write) -> io::Result<()> {
    write!(out, "{{\n  \"schema\": \"{SCHEMA}\",\n  \"reports\": [")
}

/// One element of a streamed document.
pub fn write_element<T: Serialize>(out: &mut dyn Write, r: &T, first: bool) -> io::Result<()> {
    let body = escape::json(serde_json::to_string_pretty(r).expect("reports serialize"));
    if !first {
        out.write_all(b",")?;
    }
    out.write_all(b"\n")?;
    for line in body.lines() {
        out.write_all(b"    ")?;
        out.write_all(line.as_bytes())?;
        out.write_all(b"\n")?;
    }
    Ok(())
}

/// The end of a streamed document.
pub fn write_document_end(out: &mut dyn Write, any: bool) -> io::Result<()> {
    if any {
        out.write_all(b"  ]\n}\n")
    } else {
        out.write_all(b"]\n}\n")
    }
}

/// Write one JSONL line.
pub fn write_line<T: Serialize>(out: &mut dyn Write, r: &T) -> io::Result<()> {
    out.write_all(report_line(r).as_bytes())?;
    out.write_all(b"\n")
}
