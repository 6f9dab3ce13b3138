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
//! * `.gz`, `.xz` and `.zst`/`.zstd` files are decompressed while they are
//!   read, never whole.

use std::fs::{self, File};
use std::io::{self, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{sync_channel, Receiver};
use std::thread::JoinHandle;

/// One thing to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unit {
    Stdin,
    File(PathBuf),
    /// A syzkaller crash directory: one bug.
    CrashDir {
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
    pub path: String,
    pub reason: String,
}

impl InputError {
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

/// How a file is compressed, from its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    None,
    Gzip,
    Xz,
    Zstd,
}

impl Compression {
    /// The format's name, `None` for plain text.
    pub fn name(self) -> Option<&'static str> {
        match self {
            Compression::None => None,
            Compression::Gzip => Some("gzip"),
            Compression::Xz => Some("xz"),
            Compression::Zstd => Some("zstd"),
        }
    }

    pub fn of(path: &Path) -> Compression {
        let ext = path
            .extension()
            .map(|e| e.to_string_lossy().to_ascii_lowercase());
        match ext.as_deref() {
            Some("gz") => Compression::Gzip,
            Some("xz") => Compression::Xz,
            Some("zst") | Some("zstd") => Compression::Zstd,
            _ => Compression::None,
        }
    }
}

/// Open `path` for streaming, decompressing by extension. `counted` sees
/// the bytes read from disk (for progress).
pub fn open(
    path: &Path,
    counted: impl Fn(u64) + Send + 'static,
) -> io::Result<Box<dyn Read + Send>> {
    let file = Counting {
        inner: File::open(path)?,
        add: counted,
    };
    Ok(match Compression::of(path) {
        Compression::None => Box::new(file),
        // Concatenated members (`cat a.gz b.gz`, log rotation) are one text.
        Compression::Gzip => Box::new(flate2::read::MultiGzDecoder::new(BufReader::new(file))),
        Compression::Zstd => Box::new(
            ruzstd::StreamingDecoder::new(file)
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e.to_string()))?,
        ),
        Compression::Xz => Box::new(XzReader::spawn(Box::new(BufReader::new(file)))),
    })
}

/// Counts bytes read from the underlying file.
struct Counting<R, F> {
    inner: R,
    add: F,
}

impl<R: Read, F: Fn(u64)> Read for Counting<R, F> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        (self.add)(n as u64);
        Ok(n)
    }
}

/// Chunks in flight between the xz thread and the reader: with 64 KiB
/// chunks, at most 256 KiB waiting.
const XZ_CHANNEL_CHUNKS: usize = 4;

/// lzma-rs decompresses xz only by writing into a `Write`; a thread runs
/// it into a bounded channel so that the text is still pulled line by line
/// and never sits whole in memory. Dropping the reader ends the thread.
struct XzReader {
    rx: Option<Receiver<io::Result<Vec<u8>>>>,
    chunk: Vec<u8>,
    at: usize,
    thread: Option<JoinHandle<()>>,
}

struct ChannelWriter {
    tx: std::sync::mpsc::SyncSender<io::Result<Vec<u8>>>,
    pending: Vec<u8>,
}

impl ChannelWriter {
    const CHUNK: usize = 64 * 1024;

    fn send_pending(&mut self) -> io::Result<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let chunk = std::mem::replace(&mut self.pending, Vec::with_capacity(Self::CHUNK));
        self.tx
            .send(Ok(chunk))
            .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "reader gone"))
    }
}

impl Write for ChannelWriter {
    /// Takes at most one chunk's room per call (lzma-rs writes with
    /// `write_all`, so a dictionary-sized write becomes many chunks).
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let room = Self::CHUNK - self.pending.len();
        let n = buf.len().min(room);
        self.pending.extend_from_slice(&buf[..n]);
        if self.pending.len() >= Self::CHUNK {
            self.send_pending()?;
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.send_pending()
    }
}

impl XzReader {
    fn spawn(mut input: Box<dyn io::BufRead + Send>) -> Self {
        let (tx, rx) = sync_channel(XZ_CHANNEL_CHUNKS);
        let thread = std::thread::spawn(move || {
            let mut w = ChannelWriter {
                tx: tx.clone(),
                pending: Vec::with_capacity(ChannelWriter::CHUNK),
            };
            let result = lzma_rs::xz_decompress(&mut input, &mut w)
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e.to_string()))
                .and_then(|_| w.flush());
            if let Err(e) = result {
                // The reader may be gone already; nothing else to tell.
                let _ = tx.send(Err(e));
            }
        });
        XzReader {
            rx: Some(rx),
            chunk: Vec::new(),
            at: 0,
            thread: Some(thread),
        }
    }
}

impl Read for XzReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.at >= self.chunk.len() {
            let Some(rx) = &self.rx else { return Ok(0) };
            match rx.recv() {
                Ok(Ok(chunk)) => {
                    self.chunk = chunk;
                    self.at = 0;
                }
                Ok(Err(e)) => {
                    self.rx = None;
                    return Err(e);
                }
                // The sender is gone after a clean end.
                Err(_) => {
                    self.rx = None;
                    return Ok(0);
                }
            }
        }
        let n = buf.len().min(self.chunk.len() - self.at);
        buf[..n].copy_from_slice(&self.chunk[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

impl Drop for XzReader {
    fn drop(&mut self) {
        // Closing the channel makes a blocked writer fail, so the join ends.
        self.rx = None;
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
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

    #[test]
    fn numbered_names() {
        assert_eq!(numbered("report12", "report"), Some(12));
        assert_eq!(numbered("report", "report"), None);
        assert_eq!(numbered("repro.report", "report"), None);
        assert_eq!(numbered("log0", "log"), Some(0));
        assert_eq!(numbered("logx", "log"), None);
    }

    #[test]
    fn compression_by_extension() {
        assert_eq!(Compression::of(Path::new("a/b.log.GZ")), Compression::Gzip);
        assert_eq!(Compression::of(Path::new("b.xz")), Compression::Xz);
        assert_eq!(Compression::of(Path::new("b.zst")), Compression::Zstd);
        assert_eq!(Compression::of(Path::new("b.log")), Compression::None);
    }
}
