//! Splitting an mbox into its messages.
//!
//! An mbox is messages one after another, each starting with a `From `
//! line (`From sender date`; public-inbox writes `From mboxrd@z Thu Jan  1
//! 00:00:00 1970`). A separator is a `From ` line at the start of the file
//! or right after an empty line, as mboxo and mboxrd writers put it; a
//! `From ` line inside a paragraph is body text. Body lines that began with
//! `From ` were escaped to `>From ` by the writer, and mboxrd escapes
//! `>From ` again to `>>From `: one `>` is taken off every line that
//! matches `>+From ` (for mboxo, which escapes only the first level, this
//! also unescapes a `>From ` the sender typed; no splat line starts so).
//! The empty line a writer puts before the next separator is taken off.
//!
//! Memory stays bounded whatever the file: a message is held whole only up
//! to [`super::MAX_MESSAGE_BYTES`] (the rest is skipped and the message
//! says it was cut), a line up to [`MAX_LINE_BYTES`].

use std::io::{self, BufRead};

/// The longest line kept; mail lines are at most 998 bytes (RFC 5322), so
/// only a broken or hostile file reaches it. The rest of such a line is
/// skipped.
pub const MAX_LINE_BYTES: usize = 64 * 1024;

/// One message of an mbox, as bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawMessage {
    /// 1-based position of the message in its file.
    pub number: usize,
    /// 1-based line of its `From ` separator in the (decompressed) file.
    pub line: u64,
    /// The message (headers and body), without its `From ` separator line,
    /// with one `>` taken off each `>+From ` line and the blank line before
    /// the next separator dropped.
    pub bytes: Vec<u8>,
    /// True when the message was longer than the cap and cut there.
    pub truncated: bool,
}

/// The messages of an mbox, read as the file is read.
pub struct Splitter<R> {
    reader: R,
    line: Vec<u8>,
    line_no: u64,
    prev_blank: bool,
    current: Option<RawMessage>,
    count: usize,
    limit: usize,
    done: bool,
    error: Option<io::Error>,
}

impl<R: BufRead> Splitter<R> {
    /// A splitter that keeps at most [`super::MAX_MESSAGE_BYTES`] of each
    /// message.
    pub fn new(reader: R) -> Self {
        Self::with_limit(reader, super::MAX_MESSAGE_BYTES)
    }

    /// A splitter that keeps at most `limit` bytes of each message.
    pub fn with_limit(reader: R, limit: usize) -> Self {
        Splitter {
            reader,
            line: Vec::with_capacity(256),
            line_no: 0,
            prev_blank: true,
            current: None,
            count: 0,
            limit,
            done: false,
            error: None,
        }
    }
}

fn finish(mut m: RawMessage) -> RawMessage {
    if m.bytes.ends_with(b"\r\n\r\n") {
        m.bytes.truncate(m.bytes.len() - 2);
    } else if m.bytes.ends_with(b"\n\n") {
        m.bytes.pop();
    }
    m
}

/// Read one line (with its `\n`) into `buf`, keeping at most `cap` bytes
/// of it; returns the bytes consumed (0 at the end of the input).
fn read_line_capped<R: BufRead>(r: &mut R, buf: &mut Vec<u8>, cap: usize) -> io::Result<usize> {
    buf.clear();
    let mut total = 0;
    loop {
        let avail = match r.fill_buf() {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if avail.is_empty() {
            return Ok(total);
        }
        let (take, done) = match memchr::memchr(b'\n', avail) {
            Some(i) => (i + 1, true),
            None => (avail.len(), false),
        };
        let room = cap.saturating_sub(buf.len());
        buf.extend_from_slice(&avail[..take.min(room)]);
        r.consume(take);
        total += take;
        if done {
            if buf.last() != Some(&b'\n') {
                buf.push(b'\n');
            }
            return Ok(total);
        }
    }
}

impl<R: BufRead> Iterator for Splitter<R> {
    type Item = io::Result<RawMessage>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return self.error.take().map(Err);
        }
        loop {
            match read_line_capped(&mut self.reader, &mut self.line, MAX_LINE_BYTES) {
                Ok(0) => {
                    self.done = true;
                    return self.current.take().map(|m| Ok(finish(m)));
                }
                Ok(_) => {}
                Err(e) => {
                    // What was read of the message before the error is
                    // still delivered; the error comes next.
                    self.done = true;
                    return Some(match self.current.take() {
                        Some(m) => {
                            self.error = Some(e);
                            Ok(finish(m))
                        }
                        None => Err(e),
                    });
                }
            }
            self.line_no += 1;
            let line = &self.line;
            let blank = line == b"\n" || line == b"\r\n";
            if self.prev_blank && line.starts_with(b"From ") {
                self.prev_blank = false;
                self.count += 1;
                let next = RawMessage {
                    number: self.count,
                    line: self.line_no,
                    bytes: Vec::new(),
                    truncated: false,
                };
                if let Some(done) = self.current.replace(next) {
                    return Some(Ok(finish(done)));
                }
                continue;
            }
            self.prev_blank = blank;
            let Some(m) = &mut self.current else {
                // Text before the first separator is not a message.
                continue;
            };
            let gts = line.iter().take_while(|&&b| b == b'>').count();
            let body = if gts > 0 && line[gts..].starts_with(b"From ") {
                &line[1..]
            } else {
                &line[..]
            };
            if m.bytes.len() + body.len() > self.limit {
                m.truncated = true;
            } else {
                m.bytes.extend_from_slice(body);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(s: &str) -> Vec<RawMessage> {
        Splitter::new(s.as_bytes()).map(Result::unwrap).collect()
    }

    #[test]
    fn separators_need_a_blank_line_before_them() {
        let m = split(
            "From a@b Mon Jan  1 00:00:00 2024\nSubject: one\n\nbody\nFrom here on, text\n>From quoted\n>>From twice\n\nFrom c@d Mon Jan  1 00:00:01 2024\nSubject: two\n\nx\n",
        );
        assert_eq!(m.len(), 2);
        assert_eq!(
            String::from_utf8_lossy(&m[0].bytes),
            "Subject: one\n\nbody\nFrom here on, text\nFrom quoted\n>From twice\n"
        );
        assert_eq!((m[0].number, m[0].line), (1, 1));
        assert_eq!((m[1].number, m[1].line), (2, 9));
        assert_eq!(String::from_utf8_lossy(&m[1].bytes), "Subject: two\n\nx\n");
    }

    #[test]
    fn crlf_and_text_before_the_first_separator() {
        let m = split("junk\r\n\r\nFrom x\r\nA: b\r\n\r\nbody\r\n\r\nFrom y\r\nA: c\r\n");
        assert_eq!(m.len(), 2);
        assert_eq!(m[0].bytes, b"A: b\r\n\r\nbody\r\n");
        assert_eq!(m[1].bytes, b"A: c\r\n");
    }

    #[test]
    fn a_message_over_the_cap_is_cut_and_says_so() {
        let text = format!("From x\nA: b\n\n{}\nFrom y\nA: c\n", "y".repeat(100));
        let m: Vec<_> = Splitter::with_limit(text.as_bytes(), 20)
            .map(Result::unwrap)
            .collect();
        assert_eq!(m.len(), 1, "the second separator follows no blank line");
        assert!(m[0].truncated);
        assert!(m[0].bytes.len() <= 20);
    }

    #[test]
    fn overlong_lines_are_cut() {
        let text = format!("From x\nA: {}\n", "z".repeat(3 * MAX_LINE_BYTES));
        let m = split(&text);
        assert!(m[0].bytes.len() <= MAX_LINE_BYTES + 1);
        assert!(m[0].bytes.ends_with(b"\n"));
    }
}
