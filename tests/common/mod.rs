//! Shared by the hardening tests: push bytes through every stage and check
//! what must hold for any input.
#![allow(dead_code)]

use splatdec::escape::is_dangerous;
use splatdec::kernel::gfp;
use splatdec::kernel::version::KernelVersion;
use splatdec::model::FrameContext;
use splatdec::render::{json, text};
use splatdec::vocab::frame::parse_trace_line;
use splatdec::{Analysis, WalkOptions};

/// Decode, walk and classify `data`, render every report in every format,
/// and check the output invariants: no raw control characters, JSON lines
/// are one valid JSON object each, an incomplete report says why.
pub fn run_pipeline(data: &[u8]) -> Vec<Analysis> {
    let opts = WalkOptions::default();
    let mut out = Vec::new();
    splatdec::decode_analyzed(data, "test", &opts, &mut |a| out.push(a))
        .expect("reading memory cannot fail");
    for a in &out {
        check_rendered(a);
    }
    out
}

pub fn check_rendered(a: &Analysis) {
    let line = json::report_line(a);
    assert!(!line.contains('\n'), "a JSON line spans lines");
    assert!(!line.chars().any(is_dangerous), "raw control in JSON");
    let v: serde_json::Value = serde_json::from_str(&line).expect("valid JSON");
    assert!(v.get("kind").is_some());
    for out in [
        text::analysis(a),
        text::analysis_with(a, true),
        text::summary(&a.report),
    ] {
        assert!(
            !out.chars().any(|c| c != '\n' && is_dangerous(c)),
            "raw control in text output: {out:?}"
        );
        assert!(!out.contains('\t'), "tab in text output");
    }
    assert!(
        a.report.complete || !a.report.problems.is_empty(),
        "incomplete without a reason: {:?}",
        a.report
    );
}

/// Every line of `data` through the frame parser with a running context.
pub fn run_frames(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let mut ctx = FrameContext::Task;
    for (no, line) in text.split('\n').enumerate() {
        let _ = parse_trace_line(line, no as u64 + 1, &mut ctx);
    }
}

/// `data` (first byte: layout choice) through the GFP parser and explainer.
pub fn run_gfp(data: &[u8]) {
    let Some((&sel, rest)) = data.split_first() else {
        return;
    };
    let versions = [(4, 4), (4, 15), (5, 17), (6, 15)];
    let (major, minor) = versions[usize::from(sel) % versions.len()];
    let v = KernelVersion::release(major, minor);
    let input = String::from_utf8_lossy(rest);
    // `%pGg` prints nothing for 0, which is no expression.
    if let Some(mask) = gfp::parse(&input, v).ok().filter(|m| m.bits() != 0) {
        let again = gfp::parse(&mask.decode(), v).expect("decoded masks parse back");
        assert_eq!(again.bits(), mask.bits());
    }
    for version in [Some(v), None] {
        let out = match gfp::explain(&input, version) {
            Ok(t) => t,
            Err(e) => e.to_string(),
        };
        assert!(
            !out.chars().any(|c| c != '\n' && is_dangerous(c)),
            "raw control in {out:?}"
        );
    }
}

/// Everything: line layer, frames, pipeline.
pub fn run_all(data: &[u8]) -> Vec<Analysis> {
    let lines = splatdec::input::read_lines(data).expect("reading memory cannot fail");
    for (i, l) in lines.iter().enumerate() {
        assert_eq!(l.no, i as u64 + 1);
    }
    run_frames(data);
    run_pipeline(data)
}
