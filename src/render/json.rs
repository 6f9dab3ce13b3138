//! JSON output, schema `splatdec/1`.
//!
//! `--format json` writes `{"schema":"splatdec/1","reports":[...]}`;
//! `--format jsonl` one report object per line. Field names are a contract
//! (see README): new fields may be added, none renamed.
//!
//! JSON Lines are written in one pass straight from the report's
//! `Serialize` impls (no intermediate value, no second escaping pass): the
//! formatter escapes what JSON requires and, in the same pass, the
//! characters that are legal in JSON but dangerous on a terminal (DEL, C1
//! controls, bidi controls) as `\uXXXX`; runs of plain ASCII are copied as
//! they are.

use std::cell::RefCell;
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

/// serde_json's compact formatter, with the characters [`escape::json`]
/// escapes (at or above DEL and dangerous) escaped as the string is written.
struct TerminalSafe;

impl serde_json::ser::Formatter for TerminalSafe {
    fn write_string_fragment<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        // serde_json hands over the runs between the characters it escapes
        // itself (quote, backslash, C0 controls); everything below DEL is
        // safe as it is.
        let bytes = fragment.as_bytes();
        if bytes.iter().all(|&b| b < 0x7f) {
            return writer.write_all(bytes);
        }
        let mut start = 0;
        for (i, c) in fragment.char_indices() {
            if c as u32 >= 0x7f && escape::is_dangerous(c) {
                writer.write_all(&bytes[start..i])?;
                write!(writer, "\\u{:04x}", c as u32)?;
                start = i + c.len_utf8();
            }
        }
        writer.write_all(&bytes[start..])
    }
}

/// Append `r` as one compact JSON object to `out`.
fn write_compact<T: Serialize + ?Sized>(out: &mut Vec<u8>, r: &T) -> io::Result<()> {
    let mut ser = serde_json::Serializer::with_formatter(out, TerminalSafe);
    r.serialize(&mut ser).map_err(io::Error::other)
}

/// One report (a [`crate::Report`] or an [`crate::Analysis`]) as a single
/// JSON line (no trailing newline).
pub fn report_line<T: Serialize>(r: &T) -> String {
    let mut buf = Vec::with_capacity(4096);
    if write_compact(&mut buf, r).is_err() {
        // Our types serialize without error; keep the old path's output
        // rather than panic if one ever does not.
        return escape::json(serde_json::to_string(r).unwrap_or_default());
    }
    // Only whole UTF-8 strings and ASCII were written.
    String::from_utf8(buf).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// Write the whole document form.
pub fn write_document<T: Serialize>(out: &mut dyn Write, reports: &[T]) -> io::Result<()> {
    let doc = Document {
        schema: SCHEMA,
        reports,
    };
    let s = escape::json(serde_json::to_string_pretty(&doc).map_err(io::Error::other)?);
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
    let body = escape::json(serde_json::to_string_pretty(r).map_err(io::Error::other)?);
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

thread_local! {
    /// The line being written, kept between calls so that a stream of
    /// reports reuses one buffer.
    static LINE: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// Write one JSONL line.
pub fn write_line<T: Serialize>(out: &mut dyn Write, r: &T) -> io::Result<()> {
    LINE.with(|line| {
        // A nested call (a Serialize impl writing a line) gets its own buffer.
        let mut own = Vec::new();
        let mut guard = line.try_borrow_mut().ok();
        let buf = guard.as_deref_mut().unwrap_or(&mut own);
        buf.clear();
        write_compact(buf, r)?;
        buf.push(b'\n');
        let res = out.write_all(buf);
        // Do not keep a pathological report's buffer for the rest of the run.
        if buf.capacity() > 1 << 20 {
            *buf = Vec::new();
        }
        res
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The one-pass writer gives exactly what serde_json followed by
    /// [`escape::json`] gives, for every kind of character.
    #[test]
    fn one_pass_escaping_matches_the_two_pass_form() {
        let samples = [
            "plain ascii &lock->wait_lock",
            "quote \" backslash \\ tab \t newline \n nul \0 esc \x1b",
            "del \x7f c1 \u{85}\u{9b} nbsp \u{a0} e-acute \u{e9}",
            "bidi \u{202e}evil\u{202c} \u{2066}x\u{2069} \u{200e}\u{200f} \u{061c}",
            "emoji \u{1f600} cjk \u{4e2d} fffe \u{fffe}",
            "",
        ];
        for s in samples {
            let v = vec![s.to_string(), format!("{s}{s}")];
            let want = escape::json(serde_json::to_string(&v).unwrap());
            assert_eq!(report_line(&v), want, "{s:?}");
            let mut out = Vec::new();
            write_line(&mut out, &v).unwrap();
            assert_eq!(out, format!("{want}\n").into_bytes());
        }
    }
}
