//! The line layer: every parser reads through it.
//!
//! [`LineReader`] streams any `Read` through a fixed buffer, splits lines on
//! `\n` (tolerating `\r\n` and lone `\r` line ends), keeps 1-based line
//! numbers, caps the length it keeps of any one line (an overlong line is
//! truncated and flagged, never held whole), and never fails on bad bytes:
//! text is decoded lossily. [`RawLine`] gives the bytes for cheap prefilters;
//! [`RawLine::decode`] strips the logging prefixes into a [`Line`].

pub mod prefix;

use std::io::{self, BufRead, BufReader, Read};

pub use prefix::{Caller, Prefix};

/// The most bytes of one line that are kept. Kernel lines are at most about
/// 1 KiB (printk's LOG_LINE_MAX) plus logging prefixes; anything longer is
/// not kernel text and is cut here so memory stays bounded.
pub const MAX_LINE_BYTES: usize = 8 * 1024;

/// One decoded input line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// 1-based line number in the input.
    pub no: u64,
    /// The kernel text with all logging prefixes removed.
    pub text: String,
    /// What was stripped.
    pub prefix: Prefix,
    /// The line was longer than [`MAX_LINE_BYTES`] and was cut.
    pub truncated: bool,
}

/// A line as read, before prefix stripping.
#[derive(Debug)]
pub struct RawLine<'a> {
    pub no: u64,
    pub bytes: &'a [u8],
    pub truncated: bool,
    /// A line end followed the line; false when the input stopped inside
    /// it (a log cut mid-line).
    pub terminated: bool,
    after_kmsg: bool,
}

impl RawLine<'_> {
    /// Strip prefixes and decode (lossily) into an owned [`Line`].
    pub fn decode(&self) -> Line {
        let text = String::from_utf8_lossy(self.bytes);
        let (prefix, rest) = prefix::strip(&text, self.after_kmsg);
        Line {
            no: self.no,
            text: rest.to_string(),
            prefix,
            truncated: self.truncated,
        }
    }
}

/// Streams lines out of a reader with bounded memory.
pub struct LineReader<R> {
    inner: BufReader<R>,
    buf: Vec<u8>,
    no: u64,
    /// The previous line was a /dev/kmsg record header, so ` KEY=value`
    /// lines are its dictionary.
    after_kmsg: bool,
    /// A lone `\r` ended the previous line: swallow a following `\n`.
    pending_cr: bool,
    /// The previous line ended with `\r\n`: a `\r` starting this line is
    /// a line end of its own (a blank CRLF line), not a leftover.
    crlf_end: bool,
    eof: bool,
}

impl<R: Read> LineReader<R> {
    pub fn new(reader: R) -> Self {
        LineReader {
            inner: BufReader::with_capacity(256 * 1024, reader),
            buf: Vec::with_capacity(1024),
            no: 0,
            after_kmsg: false,
            pending_cr: false,
            crlf_end: false,
            eof: false,
        }
    }

    /// The number of the last line returned.
    pub fn line_number(&self) -> u64 {
        self.no
    }

    /// The next line, or `None` at end of input.
    pub fn next_raw(&mut self) -> io::Result<Option<RawLine<'_>>> {
        if self.eof {
            return Ok(None);
        }
        self.buf.clear();
        let mut truncated = false;
        let mut terminated = false;
        let mut got_any = false;
        loop {
            let chunk = match self.inner.fill_buf() {
                Ok(c) => c,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if chunk.is_empty() {
                self.eof = true;
                break;
            }
            let mut chunk = chunk;
            if self.pending_cr {
                self.pending_cr = false;
                if chunk[0] == b'\n' {
                    self.inner.consume(1);
                    self.crlf_end = true;
                    continue;
                }
            }
            // A CR at the start of a line (`\n\r`, `\r\r\n` endings from
            // serial consoles) is part of the previous line end, not an
            // empty line.
            if self.buf.is_empty() && !got_any && chunk[0] == b'\r' && !self.crlf_end && self.no > 0
            {
                let n = chunk.iter().take_while(|&&c| c == b'\r').count();
                self.inner.consume(n);
                self.pending_cr = true;
                continue;
            }
            got_any = true;
            // Split on \n, and on a \r that is not followed by \n (old Mac
            // line ends; serial consoles sometimes emit them).
            let end = memchr::memchr2(b'\n', b'\r', chunk);
            let (take, consumed, done) = match end {
                Some(i) if chunk[i] == b'\n' => {
                    self.crlf_end = false;
                    (i, i + 1, true)
                }
                Some(i) => {
                    // `\r`: either CRLF or a lone CR.
                    if i + 1 < chunk.len() {
                        let skip = if chunk[i + 1] == b'\n' { 2 } else { 1 };
                        self.crlf_end = skip == 2;
                        (i, i + skip, true)
                    } else {
                        self.pending_cr = true;
                        self.crlf_end = false;
                        (i, i + 1, true)
                    }
                }
                None => (chunk.len(), chunk.len(), false),
            };
            let room = MAX_LINE_BYTES.saturating_sub(self.buf.len());
            if take > room {
                truncated = true;
            }
            chunk = &chunk[..take.min(room)];
            self.buf.extend_from_slice(chunk);
            self.inner.consume(consumed);
            if done {
                terminated = true;
                break;
            }
        }
        if !got_any && self.buf.is_empty() {
            return Ok(None);
        }
        self.no += 1;
        let after_kmsg = self.after_kmsg;
        // Track kmsg records: the header shape is cheap to test. Mail
        // quoting may wrap them, so look past it.
        let unquoted = skip_quoting(&self.buf);
        self.after_kmsg =
            looks_like_kmsg(unquoted) || (after_kmsg && unquoted.first() == Some(&b' '));
        Ok(Some(RawLine {
            no: self.no,
            bytes: &self.buf,
            truncated,
            terminated,
            after_kmsg,
        }))
    }
}

/// The bytes after leading mail quoting (`> `, `>> `, `> > `).
fn skip_quoting(b: &[u8]) -> &[u8] {
    let mut i = 0;
    while i < b.len() && b[i] == b'>' {
        i += 1;
        if b.get(i) == Some(&b' ') {
            i += 1;
        }
    }
    &b[i..]
}

fn looks_like_kmsg(b: &[u8]) -> bool {
    // `N,N,N,X` before a `;` within the first 64 bytes.
    let head = &b[..b.len().min(64)];
    match memchr::memchr(b';', head) {
        Some(semi) => {
            let h = &head[..semi];
            h.first().is_some_and(|c| c.is_ascii_digit())
                && h.iter().filter(|&&c| c == b',').count() >= 3
        }
        None => false,
    }
}

/// Read all lines of `reader` into decoded [`Line`]s. Convenience for tests
/// and small inputs; the decoder itself streams.
pub fn read_lines<R: Read>(reader: R) -> io::Result<Vec<Line>> {
    let mut r = LineReader::new(reader);
    let mut out = Vec::new();
    while let Some(raw) = r.next_raw()? {
        out.push(raw.decode());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_all_line_ends_and_numbers_lines() {
        let lines = read_lines(&b"a\nb\r\nc\rd\n\ne"[..]).unwrap();
        let texts: Vec<_> = lines.iter().map(|l| l.text.as_str()).collect();
        assert_eq!(texts, ["a", "b", "c", "d", "", "e"]);
        assert_eq!(lines.last().unwrap().no, 6);
    }

    #[test]
    fn empty_input_has_no_lines() {
        assert!(read_lines(&b""[..]).unwrap().is_empty());
        assert_eq!(read_lines(&b"\n"[..]).unwrap().len(), 1);
    }

    #[test]
    fn invalid_utf8_and_nul_survive() {
        let lines = read_lines(&b"ok\xff\xfe\x00x\n"[..]).unwrap();
        assert_eq!(lines.len(), 1);
        assert!(lines[0].text.starts_with("ok"));
        assert!(lines[0].text.ends_with("\0x"));
    }

    #[test]
    fn overlong_lines_are_cut_and_flagged() {
        let mut data = vec![b'x'; MAX_LINE_BYTES * 3];
        data.extend_from_slice(b"\nnext\n");
        let lines = read_lines(&data[..]).unwrap();
        assert_eq!(lines.len(), 2);
        assert!(lines[0].truncated);
        assert_eq!(lines[0].text.len(), MAX_LINE_BYTES);
        assert_eq!(lines[1].text, "next");
        assert!(!lines[1].truncated);
    }

    #[test]
    fn serial_console_line_ends_add_no_blank_lines() {
        let texts = |data: &[u8]| -> Vec<String> {
            read_lines(data)
                .unwrap()
                .into_iter()
                .map(|l| l.text)
                .collect()
        };
        assert_eq!(texts(b"a\r\r\nb\r\r\n"), ["a", "b"]);
        assert_eq!(texts(b"a\n\rb\n\r"), ["a", "b"]);
        assert_eq!(texts(b"a\n\nb\n"), ["a", "", "b"]);
    }

    #[test]
    fn quoted_kmsg_dictionary_lines() {
        let lines = read_lines(&b"> 6,1,2,-;hello\n>  SUBSYSTEM=pci\n> next\n"[..]).unwrap();
        assert!(lines[1].prefix.kmsg_dict);
        assert!(!lines[2].prefix.kmsg_dict);
    }

    #[test]
    fn crlf_split_across_buffer_boundary() {
        // A reader that returns one byte at a time exercises the pending CR.
        struct OneByte<'a>(&'a [u8]);
        impl Read for OneByte<'_> {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                if self.0.is_empty() || buf.is_empty() {
                    return Ok(0);
                }
                buf[0] = self.0[0];
                self.0 = &self.0[1..];
                Ok(1)
            }
        }
        let lines = read_lines(OneByte(b"ab\r\ncd\r\n")).unwrap();
        let texts: Vec<_> = lines.iter().map(|l| l.text.as_str()).collect();
        assert_eq!(texts, ["ab", "cd"]);
    }

    #[test]
    fn kmsg_dictionary_lines_are_recognised() {
        let lines =
            read_lines(&b"6,1,2,-;hello\n SUBSYSTEM=pci\n DEVICE=+pci:0\nnext\n"[..]).unwrap();
        assert!(lines[1].prefix.kmsg_dict);
        assert!(lines[2].prefix.kmsg_dict);
        assert!(!lines[3].prefix.kmsg_dict);
    }
}
