//! The line layer: any bytes, read in one piece and in small chunks, give
//! the same lines; line numbers count up by one; kept text is bounded; LF
//! and CRLF line ends give the same lines.
#![no_main]

use std::io::{self, Read};

use libfuzzer_sys::fuzz_target;
use splatdec::input::{LineReader, MAX_LINE_BYTES};

/// Hands out the input `step` bytes at a time, to move buffer boundaries.
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

fn lines<R: Read>(r: R) -> Vec<(u64, String, bool, splatdec::input::Prefix)> {
    let mut lr = LineReader::new(r);
    let mut out = Vec::new();
    while let Some(raw) = lr.next_raw().expect("reading memory cannot fail") {
        assert!(raw.bytes.len() <= MAX_LINE_BYTES);
        let full = raw.text();
        let l = raw.line(&full);
        // Lossy decoding turns one bad byte into U+FFFD (3 bytes).
        assert!(l.text.len() <= 3 * MAX_LINE_BYTES);
        // Every stripped field is a piece of the whole line.
        for span in [l.prefix.timestamp, l.prefix.wall_time, l.prefix.host]
            .into_iter()
            .flatten()
        {
            assert!(span.start <= span.end && span.end as usize <= full.len());
        }
        out.push((l.no, l.text.to_string(), l.truncated, l.prefix));
    }
    out
}

fuzz_target!(|data: &[u8]| {
    let (step, data) = match data.split_first() {
        Some((s, rest)) => (usize::from(*s % 17) + 1, rest),
        None => (1, data),
    };
    let whole = lines(data);
    for (i, l) in whole.iter().enumerate() {
        assert_eq!(l.0, i as u64 + 1, "line numbers count up by one");
    }
    let chunked = lines(Chunked { data, step });
    assert_eq!(whole, chunked, "chunk size {step} changed the lines");
    // CRLF line ends read as the same lines, numbered the same.
    if !data.contains(&b'\r') {
        let mut crlf = Vec::with_capacity(data.len() * 2);
        for &b in data {
            if b == b'\n' {
                crlf.push(b'\r');
            }
            crlf.push(b);
        }
        let texts = |v: &[(u64, String, bool, splatdec::input::Prefix)]| -> Vec<(u64, String)> {
            v.iter().map(|l| (l.0, l.1.clone())).collect()
        };
        let got = lines(&crlf[..]);
        // A line cut at the length cap may lose a different tail; compare
        // where no line was cut.
        if !whole.iter().any(|l| l.2) {
            assert_eq!(texts(&got), texts(&whole), "CRLF changed the lines");
        }
    }
});
