//! The line layer: every parser reads through it.
//!
//! [`LineReader`] streams any `Read` through a fixed buffer, splits lines on
//! `\n` (tolerating `\r\n` and lone `\r` line ends), keeps 1-based line
//! numbers, caps the length it keeps of any one line (an overlong line is
//! truncated and flagged, never held whole), and never fails on bad bytes:
//! text is decoded lossily. [`RawLine`] gives the bytes for cheap prefilters;
//! [`RawLine::text`] and [`RawLine::line`] strip the logging prefixes into a
//! [`Line`], which borrows its text. Lines that are kept (a report's) go
//! into a [`Lines`] buffer: one growing string for all of them, not an
//! allocation per line.

pub mod buffer;
pub mod open;
pub mod prefix;
pub mod unescape;

use std::borrow::Cow;
use std::io::{self, Read};

pub use buffer::ReadBuffer;
pub use prefix::{Caller, Prefix, Span};

/// The most bytes of one line that are kept. Kernel lines are at most about
/// 1 KiB (printk's LOG_LINE_MAX) plus logging prefixes; anything longer is
/// not kernel text and is cut here so memory stays bounded.
pub const MAX_LINE_BYTES: usize = 8 * 1024;

/// One decoded input line, borrowing its text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Line<'a> {
    /// 1-based line number in the input.
    pub no: u64,
    /// The kernel text with all logging prefixes removed.
    pub text: &'a str,
    /// The whole line as read (web-archive and quoted-printable escapes
    /// undone), prefixes included, line end excluded: the text `prefix`'s
    /// spans point into.
    pub full: &'a str,
    /// What was stripped.
    pub prefix: Prefix,
    /// The line was longer than [`MAX_LINE_BYTES`] and was cut.
    pub truncated: bool,
}

impl<'a> Line<'a> {
    /// The printk time as printed (`12.345678`), or kmsg microseconds.
    pub fn timestamp(&self) -> Option<&'a str> {
        self.prefix.timestamp.map(|s| s.get(self.full))
    }

    /// The wall-clock stamp of syslog, journalctl, `dmesg -T` or ISO output.
    pub fn wall_time(&self) -> Option<&'a str> {
        self.prefix.wall_time.map(|s| s.get(self.full))
    }

    /// The host name of a syslog or journalctl line.
    pub fn host(&self) -> Option<&'a str> {
        self.prefix.host.map(|s| s.get(self.full))
    }

    /// The line from a printk time glued after other console text on
    /// (`host login: [ 16.3] INFO: ...`), with its own prefix and the same
    /// line number; `None` when there is none. The mail quoting of the
    /// whole line is kept.
    pub fn glued_tail(&self) -> Option<Line<'a>> {
        let (mut prefix, start) = prefix::strip_glued(self.full, self.text)?;
        prefix.quote_depth = self.prefix.quote_depth;
        Some(Line {
            text: self.full.get(start..)?,
            prefix,
            ..*self
        })
    }
}

/// Where one kept line sits in its [`Lines`] buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Row {
    no: u64,
    /// The whole line is `buf[start..end]`, its text `buf[text..text_end]`.
    start: usize,
    end: usize,
    text: usize,
    text_end: usize,
    prefix: Prefix,
    truncated: bool,
}

/// Kept lines in one text buffer. A report holds its lines here: pushing a
/// line copies its bytes once onto the end of the buffer, and dropping the
/// report frees two allocations however many lines it had.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Lines {
    buf: String,
    rows: Vec<Row>,
}

impl Lines {
    /// No lines.
    pub fn new() -> Self {
        Self::default()
    }

    /// Room for `lines` lines of `bytes` bytes in all before any growth:
    /// a report is sized for a typical one up front instead of growing
    /// through a dozen reallocations.
    pub fn with_capacity(lines: usize, bytes: usize) -> Self {
        Lines {
            buf: String::with_capacity(bytes),
            rows: Vec::with_capacity(lines),
        }
    }

    /// Keep a copy of `line`.
    pub fn push(&mut self, line: &Line<'_>) {
        let start = self.buf.len();
        self.buf.push_str(line.full);
        let end = self.buf.len();
        // The text is normally a piece of the whole line; a line built by
        // hand may carry other text, kept after it.
        let offset = (line.text.as_ptr() as usize).wrapping_sub(line.full.as_ptr() as usize);
        let (text, text_end) =
            if offset <= line.full.len() && line.text.len() <= line.full.len() - offset {
                (start + offset, start + offset + line.text.len())
            } else {
                self.buf.push_str(line.text);
                (end, self.buf.len())
            };
        self.rows.push(Row {
            no: line.no,
            start,
            end,
            text,
            text_end,
            prefix: line.prefix,
            truncated: line.truncated,
        });
    }

    fn at(&self, r: &Row) -> Line<'_> {
        Line {
            no: r.no,
            text: &self.buf[r.text..r.text_end],
            full: &self.buf[r.start..r.end],
            prefix: r.prefix,
            truncated: r.truncated,
        }
    }

    /// How many lines are kept.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// True when no line is kept.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The `i`th line (0-based), if there is one.
    pub fn get(&self, i: usize) -> Option<Line<'_>> {
        self.rows.get(i).map(|r| self.at(r))
    }

    /// The first line, if any.
    pub fn first(&self) -> Option<Line<'_>> {
        self.rows.first().map(|r| self.at(r))
    }

    /// The last line, if any.
    pub fn last(&self) -> Option<Line<'_>> {
        self.rows.last().map(|r| self.at(r))
    }

    /// Every line, in order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = Line<'_>> + ExactSizeIterator + '_ {
        self.rows.iter().map(|r| self.at(r))
    }

    /// Keep only the first `n` lines (and free nothing: the buffer is
    /// reused by later pushes).
    pub fn truncate(&mut self, n: usize) {
        self.rows.truncate(n);
        let end = self.rows.last().map_or(0, |r| r.end.max(r.text_end));
        self.buf.truncate(end);
    }

    /// Bytes of text held.
    pub fn text_bytes(&self) -> usize {
        self.buf.len()
    }
}

/// A line as read, before prefix stripping.
#[derive(Debug)]
pub struct RawLine<'a> {
    /// The 1-based line number in the input.
    pub no: u64,
    /// The line's bytes, without its line end (cut at [`MAX_LINE_BYTES`] when
    /// `truncated`).
    pub bytes: &'a [u8],
    /// The line was longer than [`MAX_LINE_BYTES`] and was cut.
    pub truncated: bool,
    /// A line end followed the line; false when the input stopped inside
    /// it (a log cut mid-line).
    pub terminated: bool,
    after_kmsg: bool,
    /// From [`LineReader::next_raw_marked`]: whether its `find` matched
    /// in the line (`None` from [`LineReader::next_raw`]).
    pub marked: Option<bool>,
}

impl<'a> RawLine<'a> {
    /// The line as text: borrowed when it is valid UTF-8, as kernel text
    /// nearly always is; otherwise each bad sequence becomes U+FFFD.
    ///
    /// Text a web archive or mail transport encoded is decoded here (HTML
    /// entities, emptied `[<address>]` brackets, quoted-printable escapes:
    /// see [`unescape`]), so the text is owned only for such lines.
    ///
    /// A no-break space (U+00A0, or a lone Latin-1 0xA0 byte in a line
    /// that is not UTF-8) becomes a space: mail clients (Thunderbird,
    /// Apple Mail) write it for the runs of spaces in a pasted log's
    /// printk prefix and indentation (`[\u{a0} 909.366208] ...`), and the
    /// kernel never prints one.
    pub fn text(&self) -> Cow<'a, str> {
        let text = match std::str::from_utf8(self.bytes) {
            Ok(s) if memchr::memchr(0xa0, self.bytes).is_some() => {
                Cow::Owned(s.replace('\u{a0}', " "))
            }
            Ok(s) => Cow::Borrowed(s),
            Err(_) => Cow::Owned(lossy_nbsp(self.bytes)),
        };
        match unescape::unescape(&text) {
            Some(decoded) => Cow::Owned(decoded),
            None => text,
        }
    }

    /// Strip the logging prefixes from `full`, this line's
    /// [`RawLine::text`].
    pub fn line<'b>(&self, full: &'b str) -> Line<'b> {
        let (prefix, text) = prefix::strip(full, self.after_kmsg);
        Line {
            no: self.no,
            text,
            full,
            prefix,
            truncated: self.truncated,
        }
    }
}

/// `bytes` (not UTF-8) as text: each invalid sequence becomes U+FFFD, as
/// in `String::from_utf8_lossy`, except that a 0xA0 byte in one, a Latin-1
/// no-break space, becomes a space.
fn lossy_nbsp(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() + 8);
    for chunk in bytes.utf8_chunks() {
        out.push_str(chunk.valid());
        let bad = chunk.invalid();
        if bad.is_empty() {
            continue;
        }
        if bad.iter().any(|&b| b != 0xa0) {
            out.push(char::REPLACEMENT_CHARACTER);
        }
        out.extend(bad.iter().filter(|&&b| b == 0xa0).map(|_| ' '));
    }
    out
}

/// Bytes read from the input at a time. Lines up to this long are handed
/// out in place (no copy); longer ones are cut to [`MAX_LINE_BYTES`].
const READ_BUFFER: usize = 256 * 1024;

/// Streams lines out of a reader with bounded memory.
///
/// Line ends follow serial consoles: a line ends at `\n` or `\r`; a `\n`
/// right after a `\r` line end, and `\r`s at the start of a line (`\n\r`,
/// `\r\r\n`), belong to the previous line end rather than making blank
/// lines. [`LineReader::skip_lines_without`] applies the same rules to whole
/// buffers at once, so a caller that only looks for rare lines pays per
/// buffer, not per line.
pub struct LineReader<R> {
    inner: R,
    buf: ReadBuffer,
    /// Unread data is `buf[start..end]`.
    start: usize,
    end: usize,
    /// A line cut at [`MAX_LINE_BYTES`] (the rest of it is discarded).
    long: Vec<u8>,
    no: u64,
    /// The previous line was a /dev/kmsg record header, so ` KEY=value`
    /// lines are its dictionary.
    after_kmsg: bool,
    /// A `\r` ended the previous line: swallow a following `\n`.
    pending_cr: bool,
    /// The previous line ended with `\r\n` (or nothing was read yet): a
    /// `\r` starting this line ends a blank line of its own, where after a
    /// plain `\n` it is a serial console's leftover (`\n\r`).
    crlf_end: bool,
    eof: bool,
    /// The last needle scan of [`LineReader::next_raw_marked`].
    scan: Option<Scan>,
}

/// One needle scan over buffered text: `buf[from..to]` was searched and its
/// first match (if any) starts at `hit`. Valid until the buffer moves.
#[derive(Debug, Clone, Copy)]
struct Scan {
    from: usize,
    to: usize,
    hit: Option<usize>,
}

/// Where a needle first matches in a haystack (see
/// [`LineReader::next_raw_marked`]).
type NeedleFinder<'f> = &'f mut dyn FnMut(&[u8]) -> Option<usize>;

/// Where the next line is, once [`LineReader::find_line`] found it.
enum Found {
    /// `buf[start..end]`; its line end (if any) is at `end` when `next`
    /// is past it.
    InBuffer { end: usize, next: usize },
    /// In `long`, cut.
    Long,
}

impl<R: Read> LineReader<R> {
    /// A reader of `reader`'s lines, numbered from 1.
    pub fn new(reader: R) -> Self {
        LineReader {
            inner: reader,
            buf: ReadBuffer::new(READ_BUFFER),
            start: 0,
            end: 0,
            long: Vec::new(),
            no: 0,
            after_kmsg: false,
            pending_cr: false,
            crlf_end: true,
            eof: false,
            scan: None,
        }
    }

    /// The number of the last line returned.
    pub fn line_number(&self) -> u64 {
        self.no
    }

    /// Move what is unread to the front of the buffer and read more after
    /// it. False at end of input.
    fn refill(&mut self) -> io::Result<bool> {
        self.scan = None;
        if self.eof {
            return Ok(false);
        }
        if self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        if self.end == self.buf.len() {
            // Full of one unfinished line: the caller cuts it.
            return Ok(true);
        }
        loop {
            match self.inner.read(&mut self.buf[self.end..]) {
                Ok(0) => {
                    self.eof = true;
                    return Ok(false);
                }
                Ok(n) => {
                    self.end += n;
                    return Ok(true);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        }
    }

    /// Consume what is left of the previous line end (a `\n` after a `\r`,
    /// `\r`s at the start of a line). False at end of input.
    fn at_line_start(&mut self) -> io::Result<bool> {
        loop {
            if self.start == self.end && !self.refill()? {
                return Ok(false);
            }
            let b = self.buf[self.start];
            if self.pending_cr {
                self.pending_cr = false;
                if b == b'\n' {
                    self.start += 1;
                    self.crlf_end = true;
                    continue;
                }
            }
            if b == b'\r' && !self.crlf_end {
                let run = self.buf[self.start..self.end]
                    .iter()
                    .take_while(|&&c| c == b'\r')
                    .count();
                self.start += run;
                self.pending_cr = true;
                continue;
            }
            return Ok(true);
        }
    }

    /// Find the end of the line starting at `start` (reading more as
    /// needed). Does not consume it.
    fn find_line(&mut self) -> io::Result<Found> {
        let mut from = self.start;
        loop {
            if let Some(i) = memchr::memchr2(b'\n', b'\r', &self.buf[from..self.end]) {
                let t = from + i;
                return Ok(Found::InBuffer {
                    end: t,
                    next: t + 1,
                });
            }
            if self.end - self.start > MAX_LINE_BYTES {
                self.cut_long_line()?;
                return Ok(Found::Long);
            }
            let seen = self.end - self.start;
            if !self.refill()? {
                // The last line, without a line end.
                return Ok(Found::InBuffer {
                    end: self.end,
                    next: self.end,
                });
            }
            from = self.start + seen;
        }
    }

    /// Keep the first [`MAX_LINE_BYTES`] of an overlong line in `long` and
    /// drop the rest of it, up to and including its line end.
    fn cut_long_line(&mut self) -> io::Result<()> {
        self.long.clear();
        self.long
            .extend_from_slice(&self.buf[self.start..self.start + MAX_LINE_BYTES]);
        self.start = self.end;
        loop {
            if self.start == self.end && !self.refill()? {
                return Ok(());
            }
            let chunk = &self.buf[self.start..self.end];
            match memchr::memchr2(b'\n', b'\r', chunk) {
                Some(i) => {
                    self.start += i;
                    self.end_line(self.start);
                    return Ok(());
                }
                None => self.start = self.end,
            }
        }
    }

    /// Consume the line end at `t` (a `\n` or `\r`).
    fn end_line(&mut self, t: usize) {
        self.start = t + 1;
        self.crlf_end = false;
        if self.buf[t] == b'\r' {
            self.pending_cr = true;
        }
    }

    /// The next line, or `None` at end of input.
    pub fn next_raw(&mut self) -> io::Result<Option<RawLine<'_>>> {
        self.next_line(None)
    }

    /// [`LineReader::next_raw`], with [`RawLine::marked`] telling whether
    /// `find` (which returns where its first match in a haystack starts)
    /// matches in the line. `find` runs over everything buffered at once
    /// and again only past a match or after a read, so a caller that tests
    /// every line for rare needles pays per buffer, not per line.
    pub fn next_raw_marked(
        &mut self,
        find: &mut dyn FnMut(&[u8]) -> Option<usize>,
    ) -> io::Result<Option<RawLine<'_>>> {
        self.next_line(Some(find))
    }

    /// Does `find` match in `buf[from..to]`, a whole line? Needles never
    /// hold a line end, so the first match in the buffer from the line's
    /// start falls inside the line exactly when the line holds one.
    fn line_matches(
        &mut self,
        from: usize,
        to: usize,
        find: &mut dyn FnMut(&[u8]) -> Option<usize>,
    ) -> bool {
        let scan = match self.scan {
            Some(s) if s.from <= from && to <= s.to && s.hit.is_none_or(|h| h >= from) => s,
            _ => {
                let s = Scan {
                    from,
                    to: self.end,
                    hit: find(&self.buf[from..self.end]).map(|m| from + m),
                };
                self.scan = Some(s);
                s
            }
        };
        scan.hit.is_some_and(|h| h < to)
    }

    fn next_line(&mut self, find: Option<NeedleFinder<'_>>) -> io::Result<Option<RawLine<'_>>> {
        if !self.at_line_start()? {
            return Ok(None);
        }
        let (from, to, truncated, terminated) = match self.find_line()? {
            Found::InBuffer { end, next } => {
                let from = self.start;
                let terminated = next > end;
                if terminated {
                    self.end_line(end);
                } else {
                    self.start = end;
                }
                let cut = end - from > MAX_LINE_BYTES;
                (
                    Some(from),
                    from + (end - from).min(MAX_LINE_BYTES),
                    cut,
                    terminated,
                )
            }
            Found::Long => (None, 0, true, !self.eof),
        };
        self.no += 1;
        let marked = match (find, from) {
            (None, _) => None,
            (Some(f), Some(from)) => Some(self.line_matches(from, to, f)),
            (Some(f), None) => Some(f(&self.long).is_some()),
        };
        let bytes: &[u8] = match from {
            Some(from) => &self.buf[from..to],
            None => &self.long,
        };
        let after_kmsg = self.after_kmsg;
        self.after_kmsg = kmsg_state_after(after_kmsg, bytes);
        Ok(Some(RawLine {
            no: self.no,
            bytes,
            truncated,
            terminated,
            after_kmsg,
            marked,
        }))
    }

    /// Skip every line in which `find` finds nothing, stopping at the start
    /// of the first line where it finds something (or at end of input).
    /// Skipped lines are numbered and tracked exactly as [`next_raw`] would
    /// have; `find` returns the offset of its first match in a haystack
    /// that may hold many lines.
    ///
    /// This is the idle path of the decoder: an Aho-Corasick scan over the
    /// whole read buffer and a newline count replace per-line work.
    ///
    /// [`next_raw`]: LineReader::next_raw
    pub fn skip_lines_without(
        &mut self,
        find: &mut dyn FnMut(&[u8]) -> Option<usize>,
    ) -> io::Result<()> {
        loop {
            if !self.at_line_start()? {
                return Ok(());
            }
            let hay = &self.buf[self.start..self.end];
            let (upto, done) = match find(hay) {
                // Up to the start of the line with the match.
                Some(m) => (
                    memchr::memrchr2(b'\n', b'\r', &hay[..m]).map_or(0, |i| i + 1),
                    true,
                ),
                // Every complete line; the unfinished one is kept.
                None => (
                    memchr::memrchr2(b'\n', b'\r', hay).map_or(0, |i| i + 1),
                    false,
                ),
            };
            if upto > 0 {
                self.skip_complete(self.start + upto);
            }
            if done {
                return Ok(());
            }
            if upto == 0 {
                // One unfinished line and nothing in it so far: read more,
                // unless it is overlong or the input ends (next_raw then
                // handles it).
                if self.end - self.start > MAX_LINE_BYTES || !self.refill()? {
                    return Ok(());
                }
            }
        }
    }

    /// Consume the complete lines of `buf[start..to]` (which ends with a
    /// line end), counting them and following the kmsg state.
    fn skip_complete(&mut self, to: usize) {
        let region = &self.buf[self.start..to];
        let (lines, pending_cr, crlf_end, kmsg) = if memchr::memchr(b'\r', region).is_none() {
            (
                memchr::memchr_iter(b'\n', region).count() as u64,
                false,
                false,
                kmsg_state_after_region(self.after_kmsg, region),
            )
        } else {
            count_lines_with_cr(region, self.after_kmsg, self.crlf_end)
        };
        self.no += lines;
        self.pending_cr = pending_cr;
        self.crlf_end = crlf_end;
        self.after_kmsg = kmsg;
        self.start = to;
    }
}

/// Lines of `region` (from a line start, ending with a line end) under the
/// serial-console rules: how many, whether a `\r` ended the last one (so a
/// following `\n` still belongs to it), and the kmsg state after them.
fn count_lines_with_cr(region: &[u8], mut kmsg: bool, crlf_end: bool) -> (u64, bool, bool, bool) {
    #[derive(PartialEq, Clone, Copy)]
    enum State {
        /// At a line start after `\n` (or after a `\r` run and its `\n`
        /// that followed plain text): a `\r` here is a leftover.
        StartLf,
        /// At a line start after `\r\n`: a `\r` here ends a blank line.
        StartCrlf,
        /// After a `\r`: a `\n` or more `\r`s are still the line end.
        AfterCr,
        /// Inside a line's text.
        Text,
    }
    let mut state = if crlf_end {
        State::StartCrlf
    } else {
        State::StartLf
    };
    let mut lines = 0;
    let mut prev = 0;
    for t in memchr::memchr2_iter(b'\n', b'\r', region) {
        let text = &region[prev..t];
        if !text.is_empty() {
            state = State::Text;
        }
        prev = t + 1;
        let c = region[t];
        let ends_line = match state {
            State::Text => true,
            State::StartLf => c == b'\n',
            State::StartCrlf => true,
            State::AfterCr => false,
        };
        if ends_line {
            lines += 1;
            kmsg = kmsg_state_after(kmsg, &text[..text.len().min(MAX_LINE_BYTES)]);
        }
        state = match (state, c) {
            (State::AfterCr, b'\n') => State::StartCrlf,
            (_, b'\n') => State::StartLf,
            _ => State::AfterCr,
        };
    }
    (
        lines,
        state == State::AfterCr,
        state == State::StartCrlf,
        kmsg,
    )
}

/// The kmsg state after the `\n`-terminated lines of `region` (no `\r` in
/// it), given the state before them. Walking back: a kmsg header sets it,
/// a line not starting with a space clears it, a dictionary-looking line
/// defers to the line before — so usually only the last line is looked at.
fn kmsg_state_after_region(before: bool, region: &[u8]) -> bool {
    let body = region.strip_suffix(b"\n").unwrap_or(region);
    for line in body.rsplit(|&c| c == b'\n') {
        let unquoted = skip_quoting(&line[..line.len().min(MAX_LINE_BYTES)]);
        if looks_like_kmsg(unquoted) {
            return true;
        }
        if unquoted.first() != Some(&b' ') {
            return false;
        }
    }
    before
}

/// The kmsg state after one line.
fn kmsg_state_after(before: bool, line: &[u8]) -> bool {
    // Track kmsg records: the header shape is cheap to test. Mail quoting
    // may wrap them, so look past it.
    let unquoted = skip_quoting(line);
    looks_like_kmsg(unquoted) || (before && unquoted.first() == Some(&b' '))
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
    // `N,N,N,X` before a `;` within the first 64 bytes. Nearly every line
    // fails the first test, so it comes first.
    if !b.first().is_some_and(u8::is_ascii_digit) {
        return false;
    }
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

/// Read all lines of `reader` into decoded [`Lines`]. Convenience for tests
/// and small inputs; the decoder itself streams.
pub fn read_lines<R: Read>(reader: R) -> io::Result<Lines> {
    let mut r = LineReader::new(reader);
    let mut out = Lines::new();
    while let Some(raw) = r.next_raw()? {
        let full = raw.text();
        out.push(&raw.line(&full));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_break_spaces_are_spaces() {
        // UTF-8 U+00A0 (Thunderbird's printk time and indentation) and a
        // Latin-1 0xA0 byte in a line that is not UTF-8.
        let data = "[\u{a0} 909.366208]\u{a0} \u{a0} lock(x);\n"
            .as_bytes()
            .to_vec();
        let mut latin1 = b"[\xa0 909.366208]\xa0 \xa0 lock(\xe9);\n".to_vec();
        latin1.extend_from_slice(&data);
        let lines = read_lines(&latin1[..]).unwrap();
        let a = lines.get(0).unwrap();
        assert_eq!(a.full, "[  909.366208]    lock(\u{fffd});");
        assert_eq!(
            (a.text, a.timestamp()),
            ("   lock(\u{fffd});", Some("909.366208"))
        );
        let b = lines.get(1).unwrap();
        assert_eq!((b.text, b.timestamp()), ("   lock(x);", Some("909.366208")));
        assert_eq!(lossy_nbsp(b"\xe2\xa0x"), "\u{fffd} x");
    }

    #[test]
    fn splits_all_line_ends_and_numbers_lines() {
        let lines = read_lines(&b"a\nb\r\nc\rd\n\ne"[..]).unwrap();
        let texts: Vec<_> = lines.iter().map(|l| l.text).collect();
        assert_eq!(texts, ["a", "b", "c", "d", "", "e"]);
        assert_eq!(lines.last().unwrap().no, 6);
    }

    #[test]
    fn kept_lines_share_one_buffer_and_keep_their_prefix() {
        let data = b"[    1.500000][ T42] first\nNov 21 10:00:00 box kernel: second\n";
        let lines = read_lines(&data[..]).unwrap();
        let a = lines.get(0).unwrap();
        assert_eq!(
            (a.no, a.text, a.timestamp()),
            (1, "first", Some("1.500000"))
        );
        assert_eq!(a.full, "[    1.500000][ T42] first");
        assert_eq!(a.prefix.caller, Some(Caller::Task(42)));
        let b = lines.last().unwrap();
        assert_eq!((b.text, b.host()), ("second", Some("box")));
        assert_eq!(b.wall_time(), Some("Nov 21 10:00:00"));
        // A line whose text is not a piece of its whole line (a parser's
        // joined line) keeps both.
        let mut kept = Lines::new();
        let joined = String::from("joined text");
        kept.push(&Line { text: &joined, ..a });
        kept.push(&b);
        assert_eq!(kept.get(0).unwrap().text, "joined text");
        assert_eq!(kept.get(0).unwrap().full, a.full);
        kept.truncate(1);
        assert_eq!(kept.len(), 1);
        kept.push(&a);
        assert_eq!(kept.last().unwrap().text, "first");
        assert_eq!(kept.iter().rev().map(|l| l.no).collect::<Vec<_>>(), [1, 1]);
        assert_eq!(
            kept.text_bytes(),
            2 * a.full.len() + joined.len(),
            "truncate gave the dropped line's bytes back"
        );
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
        let l = lines.first().unwrap();
        assert!(l.text.starts_with("ok"));
        assert!(l.text.ends_with("\0x"));
    }

    #[test]
    fn overlong_lines_are_cut_and_flagged() {
        let mut data = vec![b'x'; MAX_LINE_BYTES * 3];
        data.extend_from_slice(b"\nnext\n");
        let lines = read_lines(&data[..]).unwrap();
        assert_eq!(lines.len(), 2);
        let (a, b) = (lines.get(0).unwrap(), lines.get(1).unwrap());
        assert!(a.truncated);
        assert_eq!(a.text.len(), MAX_LINE_BYTES);
        assert_eq!(b.text, "next");
        assert!(!b.truncated);
    }

    #[test]
    fn serial_console_line_ends_add_no_blank_lines() {
        let texts = |data: &[u8]| -> Vec<String> {
            read_lines(data)
                .unwrap()
                .iter()
                .map(|l| l.text.to_string())
                .collect()
        };
        assert_eq!(texts(b"a\r\r\nb\r\r\n"), ["a", "b"]);
        assert_eq!(texts(b"a\n\rb\n\r"), ["a", "b"]);
        assert_eq!(texts(b"a\n\nb\n"), ["a", "", "b"]);
    }

    #[test]
    fn quoted_kmsg_dictionary_lines() {
        let lines = read_lines(&b"> 6,1,2,-;hello\n>  SUBSYSTEM=pci\n> next\n"[..]).unwrap();
        assert!(lines.get(1).unwrap().prefix.kmsg_dict);
        assert!(!lines.get(2).unwrap().prefix.kmsg_dict);
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
        let texts: Vec<_> = lines.iter().map(|l| l.text).collect();
        assert_eq!(texts, ["ab", "cd"]);
    }

    /// The line splitting as it was before whole-buffer skipping: one line
    /// at a time through a `BufReader`. The reader must agree with it.
    mod reference {
        use super::super::{kmsg_state_after, MAX_LINE_BYTES};
        use std::io::{BufRead, BufReader, Read};

        /// (number, bytes, truncated, after_kmsg) of every line.
        pub fn lines<R: Read>(r: R) -> Vec<(u64, Vec<u8>, bool, bool)> {
            let mut inner = BufReader::with_capacity(64, r);
            let (mut no, mut after_kmsg, mut pending_cr) = (0, false, false);
            let mut crlf_end = true;
            let mut out = Vec::new();
            loop {
                let mut buf = Vec::new();
                let (mut truncated, mut got_any, mut eof) = (false, false, false);
                loop {
                    let chunk = inner.fill_buf().unwrap();
                    if chunk.is_empty() {
                        eof = true;
                        break;
                    }
                    if pending_cr {
                        pending_cr = false;
                        if chunk[0] == b'\n' {
                            inner.consume(1);
                            crlf_end = true;
                            continue;
                        }
                    }
                    if buf.is_empty() && !got_any && chunk[0] == b'\r' && !crlf_end {
                        let n = chunk.iter().take_while(|&&c| c == b'\r').count();
                        inner.consume(n);
                        pending_cr = true;
                        continue;
                    }
                    got_any = true;
                    crlf_end = false;
                    let (take, consumed, done) = match memchr::memchr2(b'\n', b'\r', chunk) {
                        Some(i) if chunk[i] == b'\n' => (i, i + 1, true),
                        Some(i) if i + 1 < chunk.len() => {
                            let crlf = chunk[i + 1] == b'\n';
                            crlf_end = crlf;
                            (i, i + if crlf { 2 } else { 1 }, true)
                        }
                        Some(i) => {
                            pending_cr = true;
                            (i, i + 1, true)
                        }
                        None => (chunk.len(), chunk.len(), false),
                    };
                    let room = MAX_LINE_BYTES.saturating_sub(buf.len());
                    truncated |= take > room;
                    buf.extend_from_slice(&chunk[..take.min(room)]);
                    inner.consume(consumed);
                    if done {
                        break;
                    }
                }
                if !got_any && buf.is_empty() {
                    return out;
                }
                no += 1;
                let before = after_kmsg;
                after_kmsg = kmsg_state_after(before, &buf);
                out.push((no, buf, truncated, before));
                if eof {
                    return out;
                }
            }
        }
    }

    /// Hands out the input in a repeating pattern of small reads.
    struct Trickle<'a>(&'a [u8], &'a [usize], usize);

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = self.1[self.2 % self.1.len()]
                .min(buf.len())
                .min(self.0.len());
            self.2 += 1;
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    fn all_lines<R: Read>(r: R) -> Vec<(u64, Vec<u8>, bool, bool)> {
        let mut lr = LineReader::new(r);
        let mut out = Vec::new();
        while let Some(l) = lr.next_raw().unwrap() {
            out.push((l.no, l.bytes.to_vec(), l.truncated, l.after_kmsg));
        }
        out
    }

    /// The lines containing `needle`, found by skipping the others.
    fn skipped_to<R: Read>(r: R, needle: &[u8]) -> Vec<(u64, Vec<u8>, bool, bool)> {
        let finder = memchr::memmem::Finder::new(needle);
        let mut lr = LineReader::new(r);
        let mut out = Vec::new();
        loop {
            lr.skip_lines_without(&mut |h| finder.find(h)).unwrap();
            match lr.next_raw().unwrap() {
                Some(l) => {
                    if finder.find(l.bytes).is_some() {
                        out.push((l.no, l.bytes.to_vec(), l.truncated, l.after_kmsg));
                    }
                }
                None => return out,
            }
        }
    }

    /// Every line through [`LineReader::next_raw_marked`], checking its
    /// mark against a search of the line alone: equal, except that a line
    /// cut at the length cap may be marked for a needle cut with it.
    fn marked_lines<R: Read>(r: R, needle: &[u8]) -> Vec<(u64, Vec<u8>, bool, bool)> {
        let finder = memchr::memmem::Finder::new(needle);
        let mut lr = LineReader::new(r);
        let mut out = Vec::new();
        while let Some(l) = lr.next_raw_marked(&mut |h| finder.find(h)).unwrap() {
            let has = finder.find(l.bytes).is_some();
            let marked = l.marked.expect("next_raw_marked marks every line");
            assert!(
                marked == has || (l.truncated && marked),
                "line {} marked {marked}, holds the needle: {has}",
                l.no
            );
            out.push((l.no, l.bytes.to_vec(), l.truncated, l.after_kmsg));
        }
        out
    }

    proptest::proptest! {
        #[test]
        fn splitting_and_skipping_agree_with_line_by_line(
            parts in proptest::collection::vec(
                proptest::prop_oneof![
                    proptest::strategy::Just(&b"\n"[..]),
                    proptest::strategy::Just(&b"\r"[..]),
                    proptest::strategy::Just(&b"\r\n"[..]),
                    proptest::strategy::Just(&b"text"[..]),
                    proptest::strategy::Just(&b" KEY=v"[..]),
                    proptest::strategy::Just(&b"6,1,2,-;"[..]),
                    proptest::strategy::Just(&b"> "[..]),
                    proptest::strategy::Just(&b"ZZ"[..]),
                    proptest::strategy::Just(&b"\xff"[..]),
                ],
                0..60,
            ),
            sizes in proptest::collection::vec(1usize..9, 1..4),
        ) {
            let data: Vec<u8> = parts.concat();
            let want = reference::lines(&data[..]);
            proptest::prop_assert_eq!(&all_lines(&data[..]), &want);
            proptest::prop_assert_eq!(&all_lines(Trickle(&data, &sizes, 0)), &want);
            proptest::prop_assert_eq!(&marked_lines(&data[..], b"ZZ"), &want);
            proptest::prop_assert_eq!(&marked_lines(Trickle(&data, &sizes, 0), b"ZZ"), &want);
            let with_zz: Vec<_> = want
                .iter()
                .filter(|l| memchr::memmem::find(&l.1, b"ZZ").is_some())
                .cloned()
                .collect();
            proptest::prop_assert_eq!(&skipped_to(&data[..], b"ZZ"), &with_zz);
            proptest::prop_assert_eq!(&skipped_to(Trickle(&data, &sizes, 0), b"ZZ"), &with_zz);
        }
    }

    #[test]
    fn long_lines_and_buffer_boundaries_agree_with_line_by_line() {
        let mut data = Vec::new();
        for len in [
            10,
            MAX_LINE_BYTES - 1,
            MAX_LINE_BYTES,
            MAX_LINE_BYTES + 1,
            300_000,
            5,
        ] {
            data.extend(std::iter::repeat_n(b'x', len));
            data.extend_from_slice(b"ZZ\r\n");
            data.extend(std::iter::repeat_n(b'y', len / 2));
            data.push(b'\r');
        }
        // Lines straddling the 256 KiB read buffer at every phase.
        for _ in 0..40_000 {
            data.extend_from_slice(b"[    1.000000] noise line\n");
        }
        data.extend_from_slice(b"ZZ last");
        let want = reference::lines(&data[..]);
        assert_eq!(all_lines(&data[..]), want);
        assert_eq!(all_lines(Trickle(&data, &[4093, 7, 65536], 0)), want);
        assert_eq!(marked_lines(&data[..], b"ZZ"), want);
        assert_eq!(
            marked_lines(Trickle(&data, &[4093, 7, 65536], 0), b"ZZ"),
            want
        );
        let with_zz: Vec<_> = want
            .iter()
            .filter(|l| memchr::memmem::find(&l.1, b"ZZ").is_some())
            .cloned()
            .collect();
        assert_eq!(skipped_to(&data[..], b"ZZ"), with_zz);
        assert_eq!(
            skipped_to(Trickle(&data, &[4093, 7, 65536], 0), b"ZZ"),
            with_zz
        );
    }

    #[test]
    fn kmsg_dictionary_lines_are_recognised() {
        let lines =
            read_lines(&b"6,1,2,-;hello\n SUBSYSTEM=pci\n DEVICE=+pci:0\nnext\n"[..]).unwrap();
        let dict = |i| lines.get(i).unwrap().prefix.kmsg_dict;
        assert!(dict(1));
        assert!(dict(2));
        assert!(!dict(3));
    }
}
