//! The whole pipeline: decode, walk, verdict and every renderer. Output
//! never carries a raw control character, JSON lines are single lines of
//! valid JSON, and chunked reading finds the same reports.
#![no_main]

use std::io::{self, Read};

use libfuzzer_sys::fuzz_target;
use splatdec::render::{escape::is_dangerous, json, text};
use splatdec::{Analysis, Decoder};

struct Chunked<'a> {
    data: &'a [u8],
    step: usize,
}

impl Read for Chunked<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.step.min(buf.len()).min(self.data.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

fn analyses<R: Read>(r: R) -> Vec<Analysis> {
    let mut out = Vec::new();
    Decoder::new()
        .with_source("fuzz")
        .decode_analyzed(r, &mut |a| out.push(a))
        .expect("reading memory cannot fail");
    out
}

fuzz_target!(|data: &[u8]| {
    let all = analyses(data);
    for a in &all {
        let line = json::report_line(a);
        assert!(!line.contains('\n'), "a JSON line spans lines");
        assert!(!line.chars().any(is_dangerous), "raw control in JSON");
        let v: serde_json::Value = serde_json::from_str(&line).expect("valid JSON");
        assert!(v.get("kind").is_some());
        for out in [text::analysis_with(a, true), text::summary(&a.report)] {
            assert!(
                !out.chars().any(|c| c != '\n' && is_dangerous(c)),
                "raw control in text output: {out:?}"
            );
            assert!(!out.contains('\t'), "tab in text output");
        }
        assert!(
            a.report.complete || !a.report.problems.is_empty(),
            "incomplete without a reason"
        );
    }
    let mut doc = Vec::new();
    json::write_document(&mut doc, &all).expect("writing to memory");
    serde_json::from_slice::<serde_json::Value>(&doc).expect("valid JSON document");
    // Reading in small pieces finds the same reports (small inputs only:
    // this doubles the cost of a run, and the line layer's own target
    // checks chunking on any size).
    if data.len() > 4096 {
        return;
    }
    let step = data.len() % 7 + 1;
    let chunked = analyses(Chunked { data, step });
    assert_eq!(all.len(), chunked.len());
    for (a, b) in all.iter().zip(&chunked) {
        assert_eq!(json::report_line(a), json::report_line(b));
    }
});
