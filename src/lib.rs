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
//! * [`segment`] finds report banners with a cheap prefilter and decides
//!   where each report ends, separating interleaved callers;
//! * [`parse`] turns a report's lines into the [`model`] types;
//! * [`render`] writes them out; all escaping of untrusted text happens there;
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

pub mod check;
pub mod classify;
pub mod graph;
pub mod input;
pub mod kernel;
pub mod model;
pub mod parse;
pub mod render;
pub mod segment;
pub mod symbolize;
#[cfg(test)]
pub(crate) mod test_support;
pub mod triage;
pub mod walk;

use std::io::{self, Read};

use serde::Serialize;

pub use model::{Frame, Lock, Report, ReportKind};
pub use symbolize::{SymbolizeArgs, Symbolizer};
pub use walk::{RulesUsed, TraceWalk, WalkOptions};

/// A report with everything the later stages derived from it. Serialized
/// flat: the report's fields, then `walk_rules` and `gfp_walk`.
#[derive(Debug, Clone, Serialize)]
pub struct Analysis {
    #[serde(flatten)]
    pub report: Report,
    /// The kernel rules the walk used and where the version came from.
    pub walk_rules: RulesUsed,
    /// The allocation context along every stack, outermost frame first.
    pub gfp_walk: Vec<TraceWalk>,
    /// Is it a real deadlock, a false positive, ...: the classifier's verdict.
    pub verdict: classify::Verdict,
}

/// Run the stages after parsing on one report.
pub fn analyze(report: Report, opts: &WalkOptions<'_>) -> Analysis {
    let (walk_rules, gfp_walk) = walk::walk_report(&report, opts);
    let verdict = classify::classify(&classify::Ctx {
        report: &report,
        walks: &gfp_walk,
        walk_rules: &walk_rules,
        version: report
            .kernel
            .as_deref()
            .and_then(kernel::version::KernelVersion::from_release),
    });
    Analysis {
        report,
        walk_rules,
        gfp_walk,
        verdict,
    }
}

/// Symbolize `report` (when a [`Symbolizer`] is given), then run the
/// stages after parsing on it.
pub fn analyze_with(
    mut report: Report,
    opts: &WalkOptions<'_>,
    sym: Option<&Symbolizer>,
) -> Analysis {
    if let Some(s) = sym {
        s.symbolize(&mut report);
    }
    analyze(report, opts)
}

/// Decode and analyze every report of `reader`, streaming.
pub fn decode_analyzed<R: Read>(
    reader: R,
    source: &str,
    opts: &WalkOptions<'_>,
    sink: &mut dyn FnMut(Analysis),
) -> io::Result<()> {
    decode_analyzed_with(reader, source, opts, None, sink)
}

/// [`decode_analyzed`] with symbolization between parsing and the walk.
pub fn decode_analyzed_with<R: Read>(
    reader: R,
    source: &str,
    opts: &WalkOptions<'_>,
    sym: Option<&Symbolizer>,
    sink: &mut dyn FnMut(Analysis),
) -> io::Result<()> {
    decode(reader, source, &mut |r| sink(analyze_with(r, opts, sym)))
}

/// Decode every report in `reader`, streaming, and hand each to `sink` in
/// the order the reports began.
///
/// On a read error the reports found so far (including the one being read,
/// marked incomplete) are still delivered before the error is returned.
pub fn decode<R: Read>(reader: R, source: &str, sink: &mut dyn FnMut(Report)) -> io::Result<()> {
    let mut lines = input::LineReader::new(reader);
    let mut seg = segment::Segmenter::new();
    segment::drive(&mut lines, &mut seg, &mut |raw| {
        sink(parse::parse_report(&raw, source))
    })
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
