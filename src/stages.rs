//! The segmenter and the section parser one at a time.
//!
//! Most users want [`crate::Decoder`], which runs every stage. These entry
//! points are for tools that drive or time one stage alone: the triage
//! benchmark measures segmenting and parsing separately, and the tests hold
//! the segmenter's limits and banner table to their promises. The modules
//! behind them (`segment`, `parse`) are private: their other items are the
//! stages' own business and may change at any time.

pub use crate::segment::banner::needles as banner_needles;
pub use crate::segment::{drive, limits, match_banner, Banner, RawReport, Segmenter};

/// Parse one segmented report into the typed [`crate::Report`]; `source`
/// names the input it came from (a file name, `-` for standard input).
pub fn parse_report(raw: &RawReport, source: &str) -> crate::Report {
    crate::parse::parse_report(raw, source)
}
