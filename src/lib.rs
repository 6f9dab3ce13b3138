//! splatdec: an offline decoder for Linux kernel lockdep splats.
//!
//! The pipeline reads one way, each stage a module with a typed value
//! between stages, and one [`Decoder`] runs it for every front end (the
//! command line, triage, mail, the triage benchmark and the pipeline fuzz
//! targets):
//!
//! ```text
//! bytes --input--> Line --segment--> RawReport --parse--> Report
//!       --symbolize (with debug info)--> Report --walk--> TraceWalk per stack
//!       --classify--> Verdict        analysis: report + walks + verdict + known issue
//!       --render--> text | json | markdown
//! ```
//!
//! The stages:
//!
//! * [`input`] reads any bytes as lines: bounded streaming reads, gzip, xz
//!   and zstd by magic bytes, printk/syslog/kmsg/mail prefixes and printk
//!   caller ids stripped, line numbers kept;
//! * `segment` finds report banners with a cheap prefilter, decides where
//!   each report ends, separates interleaved callers and rejoins lines a
//!   mail client or `pr_cont` split;
//! * `parse` turns a report's lines into the [`model`] types, judges
//!   completeness and damage, and gives the syzkaller-compatible title;
//! * [`symbolize`] (only with `--vmlinux`/`--modules`/`--debuginfo`) adds
//!   file:line and inlined callees to the frames;
//! * [`walk`] follows the allocation context (gfp mask, task flags,
//!   `fs_reclaim`) frame by frame along every stack;
//! * [`classify`] gives the verdict: a rule table and one predicate per
//!   rule over the typed report and its walks;
//! * [`analysis`] bundles a report with its walks, its verdict and the known
//!   issue it matches;
//! * [`render`] writes them out (text, JSON, markdown).
//!
//! `segment` and `parse` are private; [`stages`] exposes their entry points
//! for tools that drive or time one stage alone.
//!
//! Beside the stages:
//!
//! * [`cycle`] computes a report's lock cycle once, for classify, render,
//!   graph and triage;
//! * [`kind`] is the table of report kinds: one row per kind holds every
//!   per-kind decision the stages make (banners, segmenter hints, title
//!   recipe, completeness, signature slots, lock cycle);
//! * [`vocab`] says what one line means on its own (frames, lock lines,
//!   held-lock headers, report wording, DEPT lines); segment and parse both
//!   read it;
//! * [`kernel`] is kernel knowledge kept as data: versions, GFP layouts,
//!   task-flag and reclaim rules, the allocation-context knowledge base,
//!   known issues, frame and lock classes, taint flags;
//! * [`escape`] makes untrusted text safe; every stage that prints uses it;
//! * [`decoder`] holds the options one run decodes with;
//! * [`triage`] reads many inputs in parallel and groups their reports by
//!   bug (`splatdec triage`);
//! * [`graph`] merges reports into one lock graph (`splatdec graph`);
//! * [`mail`] reads mailing-list threads and writes replies
//!   (`splatdec mail`);
//! * [`check`] gates CI on verdicts (`splatdec check`).
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
#![warn(missing_docs)]

pub mod analysis;
pub mod check;
pub mod classify;
pub mod cycle;
pub mod decoder;
pub mod escape;
pub mod graph;
pub mod input;
pub mod kernel;
pub mod kind;
pub mod mail;
pub mod model;
mod parse;
pub mod render;
mod segment;
pub mod stages;
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
