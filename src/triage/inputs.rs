//! What triage reads: finding the inputs under the given paths, in an order
//! that does not depend on the file system's, and opening each as a stream
//! of text whatever its compression.
//!
//! * A file is one input; `-` is standard input.
//! * A directory is walked recursively, entries in byte order of their
//!   names; dot-entries, symbolic links to directories (a link cycle would
//!   never end; name the target to read it) and special files are skipped.
//! * A syzkaller crash directory — one holding a `description` file and
//!   `reportN` or `logN` files (syz-manager's `crashes/<hash>/`) — is one
//!   input and one bug: its `reportN` files are decoded (its `logN` console
//!   logs when it has no report file with a lockdep report) and every
//!   report in them is counted.
//! * A syzkaller workdir (a directory with `crashes/` and `corpus.db`) is
//!   read through its `crashes/` only: the rest is the fuzzer's own state.
//! * gzip, xz and zstd files (by their magic bytes) are decompressed while
//!   they are read, never whole; binaries that are not logs are refused.

use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

/// One thing to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unit {
    /// Standard input (`-`).
    Stdin,
    /// One file (gzip, xz or zstd files are decompressed as they are read).
    File(PathBuf),
    /// A syzkaller crash directory: one bug.
    CrashDir {
        /// The directory.
        dir: PathBuf,
        /// `reportN` files, in N order.
        reports: Vec<PathBuf>,
        /// `logN` files, in N order.
        logs: Vec<PathBuf>,
    },
}

impl Unit {
    /// Bytes on disk (compressed size), for the progress bar.
    pub fn size(&self) -> u64 {
        let len = |p: &PathBuf| fs::metadata(p).map(|m| m.len()).unwrap_or(0);
        match self {
            Unit::Stdin => 0,
            Unit::File(p) => len(p),
            Unit::CrashDir { reports, logs, .. } => reports.iter().chain(logs).map(len).sum(),
        }
    }
}

/// An input that could not be read, and why.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct InputError {
    /// The input's path as given, or as found under a directory.
    pub path: String,
    /// Why it could not be read (the I/O error's text).
    pub reason: String,
}

impl InputError {
    /// The error `e` met on `path`.
    pub fn new(path: &Path, e: &io::Error) -> Self {
        InputError {
            path: path.display().to_string(),
            reason: e.to_string(),
        }
    }
}

/// Every unit under `paths`, in argument order and, inside a directory, in
/// name order; and the paths that could not be listed.
pub fn discover(paths: &[PathBuf]) -> (Vec<Unit>, Vec<InputError>) {
    let mut units = Vec::new();
    let mut errors = Vec::new();
    for p in paths {
        if p.as_os_str() == "-" {
            units.push(Unit::Stdin);
            continue;
        }
        match fs::metadata(p) {
            Ok(m) if m.is_dir() => walk(p, &mut units, &mut errors),
            Ok(_) => units.push(Unit::File(p.clone())),
            Err(e) => errors.push(InputError::new(p, &e)),
        }
    }
    (units, errors)
}

/// `reportN` / `logN` names: the N, when `name` is `stem` followed by
/// digits only.
fn numbered(name: &str, stem: &str) -> Option<u64> {
    let digits = name.strip_prefix(stem)?;
    if digits.is_empty() || !digits.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// The sorted entries of a directory: (name, path, is_dir). Left out:
/// dot-entries, links to directories, and anything that is not a regular
/// file or directory (a FIFO or device found while walking would block or
/// never end; named on the command line, it is read).
fn entries(dir: &Path) -> io::Result<Vec<(String, PathBuf, bool)>> {
    let mut out = Vec::new();
    for e in fs::read_dir(dir)? {
        let e = e?;
        let name = e.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') {
            continue;
        }
        let path = e.path();
        let ft = e.file_type()?;
        let is_dir = if ft.is_symlink() {
            match fs::metadata(&path) {
                Ok(m) if m.is_file() => false,
                Ok(_) => continue,
                // A dangling link is reported when it is opened.
                Err(_) => false,
            }
        } else if ft.is_dir() || ft.is_file() {
            ft.is_dir()
        } else {
            continue;
        };
        out.push((name, path, is_dir));
    }
    out.sort();
    Ok(out)
}

fn walk(dir: &Path, units: &mut Vec<Unit>, errors: &mut Vec<InputError>) {
    let list = match entries(dir) {
        Ok(l) => l,
        Err(e) => {
            errors.push(InputError::new(dir, &e));
            return;
        }
    };
    let has = |n: &str, want_dir: bool| list.iter().any(|(name, _, d)| name == n && *d == want_dir);
    if has("crashes", true) && has("corpus.db", false) {
        walk(&dir.join("crashes"), units, errors);
        return;
    }
    if has("description", false) {
        let mut reports: Vec<(u64, PathBuf)> = Vec::new();
        let mut logs: Vec<(u64, PathBuf)> = Vec::new();
        for (name, path, is_dir) in &list {
            if *is_dir {
                continue;
            }
            if let Some(n) = numbered(name, "report") {
                reports.push((n, path.clone()));
            } else if let Some(n) = numbered(name, "log") {
                logs.push((n, path.clone()));
            }
        }
        if !reports.is_empty() || !logs.is_empty() {
            reports.sort();
            logs.sort();
            units.push(Unit::CrashDir {
                dir: dir.to_path_buf(),
                reports: reports.into_iter().map(|(_, p)| p).collect(),
                logs: logs.into_iter().map(|(_, p)| p).collect(),
            });
            return;
        }
    }
    for (_, path, is_dir) in list {
        if is_dir {
            walk(&path, units, errors);
        } else {
            units.push(Unit::File(path));
        }
    }
}

/// Open `path` for streaming text, decompressing gzip, xz and zstd by
/// their magic bytes and refusing binaries ([`crate::input::open`]).
/// `counted` sees the bytes read from disk (for progress).
pub fn open(
    path: &Path,
    counted: impl Fn(u64) + Send + 'static,
) -> io::Result<Box<dyn Read + Send>> {
    crate::input::open::open_path(path, counted)
}

/// Header keys of syzkaller's parser test data (pkg/report/testdata):
/// `TITLE: ...` lines and friends, then a blank line, then the log.
const TESTDATA_KEYS: &[&str] = &[
    "TITLE",
    "ALT",
    "TYPE",
    "CORRUPTED",
    "PANICKED",
    "EXECUTOR",
    "FRAME",
    "SUPPRESSED",
    "START",
    "END",
];

/// The most header a testdata file is looked for in.
const HEADER_PEEK: usize = 8 * 1024;

/// Look for a testdata header at the start of `reader`: how many lines to
/// skip (the blank line included), and a reader that still yields every
/// byte. Only lines with a known key or a `#` comment, closed by a blank
/// line, count, so a log that begins with `WARNING: ...` and a blank line
/// is not mistaken for one. The header's `TITLE:` is not used: it names
/// the first crash syzkaller found, which need not be a lockdep report.
///
/// A read error while peeking is not returned here: the bytes before it
/// are decoded first and the error comes after them, as it would have
/// without the peek.
pub fn sniff_header(mut reader: Box<dyn Read + Send>) -> (u64, Box<dyn Read + Send>) {
    let mut peek = Vec::with_capacity(HEADER_PEEK);
    let failed = (&mut reader)
        .take(HEADER_PEEK as u64)
        .read_to_end(&mut peek)
        .err();
    let header = header_lines(&peek).unwrap_or(0);
    let rest: Box<dyn Read + Send> = match failed {
        Some(e) => Box::new(Failed(Some(e))),
        None => reader,
    };
    (header, Box::new(io::Cursor::new(peek).chain(rest)))
}

/// A reader whose next read fails with a saved error, once.
struct Failed(Option<io::Error>);

impl Read for Failed {
    fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
        match self.0.take() {
            Some(e) => Err(e),
            None => Ok(0),
        }
    }
}

/// The line that starts the expected-output section of a syzkaller
/// testdata file: what follows it is syzkaller's own report, not log text.
const EXPECTED_REPORT: &[u8] = b"REPORT:";

/// The text of a testdata file's log: everything up to a line that is
/// exactly `REPORT:` (line end `\n` or `\r\n`, or the end of input),
/// streamed through a small buffer.
pub struct UntilExpectedReport<R> {
    inner: R,
    buf: crate::input::ReadBuffer,
    /// Unread data is `buf[start..end]`.
    start: usize,
    end: usize,
    /// The byte before `buf[start]` ended a line (or nothing was read).
    at_line_start: bool,
    eof: bool,
    done: bool,
    /// A read error met with text still buffered: returned after it.
    pending_error: Option<io::Error>,
}

impl<R: Read> UntilExpectedReport<R> {
    /// Bytes held back at the end of the buffer until more arrive: a
    /// marker line (`REPORT:\r\n`) is decided only when it is whole.
    const HOLD: usize = EXPECTED_REPORT.len() + 2;

    /// Read `inner`'s text up to its `REPORT:` line.
    pub fn new(inner: R) -> Self {
        UntilExpectedReport {
            inner,
            buf: crate::input::ReadBuffer::new(64 * 1024),
            start: 0,
            end: 0,
            at_line_start: true,
            eof: false,
            done: false,
            pending_error: None,
        }
    }

    /// The first marker line in the buffered data: where it starts, and
    /// whether it is one for certain (`false`: its line end has not been
    /// read yet).
    fn marker(&self) -> Option<(usize, bool)> {
        let data = &self.buf[self.start..self.end];
        let mut from = 0;
        while let Some(i) = memchr::memmem::find(&data[from..], EXPECTED_REPORT) {
            let at = from + i;
            from = at + 1;
            let line_start = if at == 0 {
                self.at_line_start
            } else {
                data[at - 1] == b'\n'
            };
            if !line_start {
                continue;
            }
            let after = &data[at + EXPECTED_REPORT.len()..];
            if after.starts_with(b"\n") || after.starts_with(b"\r\n") {
                return Some((self.start + at, true));
            }
            if after.is_empty() || after == b"\r" {
                return Some((self.start + at, self.eof));
            }
        }
        None
    }
}

impl<R: Read> Read for UntilExpectedReport<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        loop {
            if self.done || out.is_empty() {
                return Ok(0);
            }
            let safe = if self.eof {
                self.end
            } else {
                self.end.saturating_sub(Self::HOLD).max(self.start)
            };
            let upto = match self.marker() {
                Some((m, true)) if m == self.start => {
                    self.done = true;
                    return Ok(0);
                }
                Some((m, _)) => m.min(safe),
                None => safe,
            };
            if upto > self.start {
                let n = out.len().min(upto - self.start);
                out[..n].copy_from_slice(&self.buf[self.start..self.start + n]);
                self.start += n;
                self.at_line_start = out[n - 1] == b'\n';
                return Ok(n);
            }
            if self.eof {
                return match self.pending_error.take() {
                    Some(e) => Err(e),
                    None => Ok(0),
                };
            }
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
            match self.inner.read(&mut self.buf[self.end..]) {
                Ok(0) => self.eof = true,
                Ok(n) => self.end += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    // Hand out what is buffered first; the error comes
                    // after it.
                    self.eof = true;
                    if self.end == self.start {
                        return Err(e);
                    }
                    self.pending_error = Some(e);
                }
            }
        }
    }
}

/// Lines of a testdata header at the start of `peek`, the blank line
/// included.
fn header_lines(peek: &[u8]) -> Option<u64> {
    let mut lines = 0;
    let mut rest = peek;
    loop {
        let nl = memchr::memchr(b'\n', rest)?;
        let raw = &rest[..nl];
        rest = &rest[nl + 1..];
        let line = raw.strip_suffix(b"\r").unwrap_or(raw);
        if line.contains(&b'\r') {
            return None;
        }
        lines += 1;
        if line.is_empty() {
            return (lines > 1).then_some(lines);
        }
        if line.starts_with(b"#") {
            continue;
        }
        let key = line.split(|&c| c == b':').next()?;
        if line.len() == key.len() || !TESTDATA_KEYS.iter().any(|k| k.as_bytes() == key) {
            return None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn testdata_headers_and_look_alikes() {
        assert_eq!(
            header_lines(b"TITLE: possible deadlock in f\nTYPE: LOCKDEP\n\n[ 1.0] x\n"),
            Some(3)
        );
        assert_eq!(header_lines(b"# comment\nTITLE:\r\n\nlog\n"), Some(3));
        assert!(header_lines(b"WARNING: possible recursive locking detected\n\nx\n").is_none());
        assert!(header_lines(b"TITLE\n\nx\n").is_none());
        assert!(header_lines(b"\nlog\n").is_none());
        assert!(header_lines(b"TITLE: never ends\n").is_none());
    }

    /// Reads `data` through [`UntilExpectedReport`] in reads of `chunk`
    /// bytes from a source handing out `feed` bytes at a time.
    fn until_report(data: &[u8], feed: usize, chunk: usize) -> Vec<u8> {
        struct Trickle<'a>(&'a [u8], usize);
        impl Read for Trickle<'_> {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                let n = self.1.min(buf.len()).min(self.0.len());
                buf[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        let mut r = UntilExpectedReport::new(Trickle(data, feed));
        let mut out = Vec::new();
        let mut buf = vec![0; chunk];
        loop {
            match r.read(&mut buf).unwrap() {
                0 => return out,
                n => out.extend_from_slice(&buf[..n]),
            }
        }
    }

    #[test]
    fn testdata_logs_end_at_the_expected_report() {
        let log = b"TITLE: x\n\n[ 1.0] WARNING: y\nline REPORT:\nREPORT: not it\n";
        for (data, want) in [
            ([&log[..], b"REPORT:\nWARNING: y\n"].concat(), log.to_vec()),
            ([&log[..], b"REPORT:\r\nx\n"].concat(), log.to_vec()),
            ([&log[..], b"REPORT:"].concat(), log.to_vec()),
            (log.to_vec(), log.to_vec()),
            (b"REPORT:\nx\n".to_vec(), Vec::new()),
            (b"REPORTS:\nx\n".to_vec(), b"REPORTS:\nx\n".to_vec()),
        ] {
            for (feed, chunk) in [(1, 1), (3, 7), (1000, 1000), (5, 64)] {
                assert_eq!(
                    String::from_utf8_lossy(&until_report(&data, feed, chunk)),
                    String::from_utf8_lossy(&want),
                    "feed {feed}, chunk {chunk}"
                );
            }
        }
    }

    #[test]
    fn numbered_names() {
        assert_eq!(numbered("report12", "report"), Some(12));
        assert_eq!(numbered("report", "report"), None);
        assert_eq!(numbered("repro.report", "report"), None);
        assert_eq!(numbered("log0", "log"), Some(0));
        assert_eq!(numbered("logx", "log"), None);
    }
}
