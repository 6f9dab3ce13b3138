//! splatdec: an offline decoder for Linux kernel lockdep splats.
//!
//! The pipeline reads one way, each stage a module with a typed value
//! between stages:
//!
//! ```text
//! bytes --input--> Line --segment--> RawReport --parse--> Report --render--> text | json
//! ```
//!
//! * [`input`] strips printk/syslog/kmsg/mail prefixes, keeps line numbers,
//!   tolerates any bytes and bounds line length;
//! * [`kind`] is the table of report kinds: one row per kind holds every
//!   per-kind decision the stages make (banners, segmenter hints, title
//!   recipe, completeness, signature slots, lock cycle);
//! * [`vocab`] says what one line means on its own (frames, lock lines,
//!   held-lock headers, report wording); segment and parse both read it;
//! * [`segment`] finds report banners with a cheap prefilter and decides
//!   where each report ends, separating interleaved callers;
//! * [`parse`] turns a report's lines into the [`model`] types;
//! * [`analysis`] bundles what walk and classify derive from a report, and
//!   its lock cycle (one computation for render, graph and triage);
//! * [`render`] writes them out; untrusted text is made safe by [`escape`],
//!   which every stage that prints uses;
//! * [`triage`] reads many inputs in parallel and groups their reports by
//!   bug (`splatdec triage`).
//!
//! ```
//! let log = "WARNING: possible recursive locking detected\n";
//! let reports = splatdec::decode_str(log, "-");
//! assert_eq!(reports.len(), 1);
//! assert!(!reports[0].complete);
//! ```

// Untrusted input is all this crate reads; it has no unsafe code, which is
// also why it is fuzzed without a sanitizer (see README, Hardening). The one
// exception is mapping a debug image read-only (`symbolize::image::map`),
// which the text decoder and every fuzz target never reach.
#![deny(unsafe_code)]

pub mod analysis;
pub mod check;
pub mod classify;
pub mod decoder;
pub mod escape;
pub mod graph;
pub mod input;
pub mod kernel;
pub mod kind;
pub mod mail;
pub mod model;
pub mod parse;
pub mod render;
pub mod segment;
pub mod symbolize;
#[cfg(test)]
pub(crate) mod test_support;
pub mod triage;
pub mod vocab;
pub mod walk;

use std::io::{self, Read};

pub use analysis::{analyze, Analysis};
pub use decoder::Decoder;
pub use model::{Frame, Lock, Report, ReportKind};
pub use symbolize::{SymbolizeArgs, Symbolizer};
pub use walk::{RulesUsed, TraceWalk, WalkOptions};

/// Decode and analyze every report of `reader`, streaming (a
/// [`Decoder`] with these walk options and source name).
pub fn decode_analyzed<R: Read>(
    reader: R,
    source: &str,
    opts: &WalkOptions<'_>,
    sink: &mut dyn FnMut(Analysis),
) -> io::Result<()> {
    Decoder::new()
        .with_source(source)
        .decode(reader, &mut |r| sink(analyze(r, opts)))
}

/// Decode every report in `reader`, streaming, and hand each to `sink` in
/// the order the reports began (a [`Decoder`] with default options).
///
/// On a read error the reports found so far (including the one being read,
/// marked incomplete) are still delivered before the error is returned.
pub fn decode<R: Read>(reader: R, source: &str, sink: &mut dyn FnMut(Report)) -> io::Result<()> {
    Decoder::new().with_source(source).decode(reader, sink)
}

/// Decode every report of `reader` into a vector. On a read error the
/// reports decoded before it are lost with the error; use [`decode`] to keep
/// them.
pub fn decode_all<R: Read>(reader: R, source: &str) -> io::Result<Vec<Report>> {
    let mut out = Vec::new();
    decode(reader, source, &mut |r| out.push(r))?;
    Ok(out)
}

/// Decode every report of an in-memory text.
pub fn decode_str(text: &str, source: &str) -> Vec<Report> {
    let mut out = Vec::new();
    // Reading from a slice cannot fail.
    let _ = decode(text.as_bytes(), source, &mut |r| out.push(r));
    out
}
