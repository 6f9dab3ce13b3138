//! Opening an input as a stream of text, whatever it was stored as.
//!
//! Every command reads through here (decoding, `check`, `graph`,
//! `triage`), files and standard input alike:
//!
//! * gzip, xz and zstd are recognised by their magic bytes (not by the
//!   file's name) and decompressed while they are read, through a fixed
//!   buffer: memory stays bounded by the format's own window (an xz
//!   dictionary, at most 64 MiB at `xz -9`), never by the text's size.
//!   Concatenated members (`cat a.gz b.gz`, log rotation) are one text.
//! * A compressed stream that breaks (cut short, corrupt) yields all the
//!   text before the break, then an error naming where it broke.
//! * A binary that is not a log (an ELF such as vmlinux, another archive
//!   format, data with no lines) is refused with an error saying what it
//!   looks like, before anything is decoded.

use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// How an input is stored, from its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    /// Plain text.
    None,
    /// gzip (`1f 8b`).
    Gzip,
    /// xz (`fd 37 7a 58 5a 00`).
    Xz,
    /// zstd (`28 b5 2f fd`).
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

    /// The compression a file's name claims (`.gz`, `.xz`, `.zst`).
    pub fn claimed_by(path: &Path) -> Compression {
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

    /// The compression whose magic bytes `head` starts with.
    pub fn sniff(head: &[u8]) -> Compression {
        if head.starts_with(&[0x1f, 0x8b]) {
            Compression::Gzip
        } else if head.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0x00]) {
            Compression::Xz
        } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
            Compression::Zstd
        } else {
            Compression::None
        }
    }
}

/// Bytes looked at to recognise a format: a magic number, or whether the
/// data reads as text at all.
const SNIFF_BYTES: usize = 4096;

/// What a binary that is not a log looks like, when `head` (the first
/// bytes of an input, after any decompression) is one.
pub fn binary_kind(head: &[u8]) -> Option<&'static str> {
    const MAGICS: &[(&[u8], &str)] = &[
        (
            b"\x7fELF",
            "an ELF binary (a vmlinux or module?), not a log",
        ),
        (b"BZh", "bzip2 data (not supported: decompress it first)"),
        (b"PK\x03\x04", "a zip archive"),
        (b"7z\xbc\xaf\x27\x1c", "a 7-zip archive"),
        (
            b"\x04\x22\x4d\x18",
            "lz4 data (not supported: decompress it first)",
        ),
        (b"\x89PNG", "a PNG image"),
        (b"%PDF", "a PDF document"),
    ];
    if let Some((_, what)) = MAGICS.iter().find(|(m, _)| head.starts_with(m)) {
        // bzip2's magic is three letters: only with its block size digit.
        let bzip2_digit = head.get(3).is_some_and(|c| (b'1'..=b'9').contains(c));
        if !head.starts_with(b"BZh") || bzip2_digit {
            return Some(what);
        }
    }
    if head.len() >= 512 {
        // Text has control bytes only as blanks, line ends, escapes and
        // the odd NUL a console leaves; data has them everywhere.
        let control = head
            .iter()
            .filter(|&&c| c < 0x20 && !matches!(c, b'\t' | b'\n' | b'\r' | 0x0c | 0x1b | 0))
            .count();
        let lines = memchr::memchr2_iter(b'\n', b'\r', head).count();
        if control * 10 > head.len() || (lines == 0 && control * 50 > head.len()) {
            return Some("binary data, not a log");
        }
    }
    None
}

/// Open `path` for streaming text (see the module documentation).
/// `counted` sees the bytes read from disk, for progress.
pub fn open_path(
    path: &Path,
    counted: impl Fn(u64) + Send + 'static,
) -> io::Result<Box<dyn Read + Send>> {
    let file = Counting {
        inner: File::open(path)?,
        add: counted,
    };
    open_claimed(Box::new(file), Compression::claimed_by(path))
}

/// [`open_path`] for any reader (standard input).
pub fn open_reader(reader: Box<dyn Read + Send>) -> io::Result<Box<dyn Read + Send>> {
    open_claimed(reader, Compression::None)
}

/// Open `reader`, whose name claims `claimed`: a file named `.xz` that
/// holds no compressed stream at all is a broken archive, not a log.
fn open_claimed(
    reader: Box<dyn Read + Send>,
    claimed: Compression,
) -> io::Result<Box<dyn Read + Send>> {
    let consumed = Arc::new(AtomicU64::new(0));
    let mut raw = Counting {
        inner: reader,
        add: {
            let c = consumed.clone();
            move |n| {
                c.fetch_add(n, Ordering::Relaxed);
            }
        },
    };
    let head = peek(&mut raw, SNIFF_BYTES)?;
    let compression = Compression::sniff(&head);
    let raw: Box<dyn Read + Send> = Box::new(io::Cursor::new(head.clone()).chain(raw));
    let text: Box<dyn Read + Send> = match compression {
        Compression::None => {
            if let Some(name) = claimed.name() {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("broken {name} stream: no {name} header at its start"),
                ));
            }
            if let Some(what) = binary_kind(&head) {
                return Err(io::Error::new(io::ErrorKind::InvalidData, what));
            }
            return Ok(raw);
        }
        Compression::Gzip => Box::new(flate2::read::MultiGzDecoder::new(BufReader::new(raw))),
        Compression::Xz => Box::new(xz2::read::XzDecoder::new_multi_decoder(BufReader::new(raw))),
        Compression::Zstd => Box::new(ruzstd::StreamingDecoder::new(raw).map_err(|e| {
            let e = io::Error::new(io::ErrorKind::InvalidData, e);
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("broken zstd stream: {}", decompression_error_sentence(&e)),
            )
        })?),
    };
    let mut text = Decompressed {
        inner: text,
        format: compression.name().unwrap_or("compressed"),
        consumed,
        produced: 0,
        done: false,
    };
    // What the archive holds must be text too. A stream that breaks in
    // its first bytes still gives what came before the break, then the
    // error.
    let mut inner_head = Vec::with_capacity(SNIFF_BYTES);
    let failed = (&mut text)
        .take(SNIFF_BYTES as u64)
        .read_to_end(&mut inner_head)
        .err();
    if let Some(what) = binary_kind(&inner_head) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("{} data holding {what}", text.format),
        ));
    }
    let rest: Box<dyn Read + Send> = match failed {
        Some(e) => Box::new(Failed(Some(e))),
        None => Box::new(text),
    };
    Ok(Box::new(io::Cursor::new(inner_head).chain(rest)))
}

/// Up to `n` bytes from the start of `r` (fewer only at its end).
fn peek(r: &mut dyn Read, n: usize) -> io::Result<Vec<u8>> {
    let mut head = Vec::with_capacity(n);
    r.take(n as u64).read_to_end(&mut head)?;
    Ok(head)
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

/// Counts bytes read from the underlying reader.
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

/// A decompressor whose errors say where the stream broke: after how much
/// text, at about which compressed byte (the decompressor reads ahead by
/// at most its buffer).
struct Decompressed {
    inner: Box<dyn Read + Send>,
    format: &'static str,
    consumed: Arc<AtomicU64>,
    produced: u64,
    done: bool,
}

impl Read for Decompressed {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.done {
            return Ok(0);
        }
        match self.inner.read(buf) {
            Ok(n) => {
                self.produced += n as u64;
                Ok(n)
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => Err(e),
            Err(e) => {
                // One error, then the end: the text before it stands.
                self.done = true;
                let at = self.consumed.load(Ordering::Relaxed);
                let why = decompression_error_sentence(&e);
                Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!(
                        "broken {} stream near compressed byte {at} (after {} bytes of text): {why}",
                        self.format, self.produced
                    ),
                ))
            }
        }
    }
}

/// Why a decompressor failed, as a sentence for the user: `truncated` when
/// the stream ends early (an `UnexpectedEof` anywhere in the error chain),
/// otherwise `corrupt data` with the decompressor's own words where they
/// are words. Some decoders (ruzstd) put Rust `Debug` structures in their
/// messages (`DecompressLiteralsError(DecodedLiteralCountMismatch { .. })`):
/// those parts are dropped, the readable head is kept.
pub fn decompression_error_sentence(e: &io::Error) -> String {
    let mut source: Option<&(dyn std::error::Error + 'static)> =
        e.get_ref().map(|x| x as &(dyn std::error::Error + 'static));
    let mut truncated = e.kind() == io::ErrorKind::UnexpectedEof;
    while let Some(s) = source {
        if let Some(io) = s.downcast_ref::<io::Error>() {
            truncated |= io.kind() == io::ErrorKind::UnexpectedEof;
        }
        source = s.source();
    }
    // ruzstd keeps some io errors only in its Debug form.
    truncated |= format!("{e:?}").contains("UnexpectedEof");
    if truncated {
        return "truncated".to_string();
    }
    let msg = e.to_string();
    let readable: Vec<&str> = msg
        .split(": ")
        .take_while(|part| !part.contains(['(', '{', '[']))
        .map(str::trim)
        .filter(|part| !part.is_empty())
        .collect();
    if readable.is_empty() {
        return "corrupt data".to_string();
    }
    let mut detail = readable.join(": ");
    if let Some(first) = detail.get(..1) {
        let lower = first.to_lowercase();
        detail.replace_range(..1, &lower);
    }
    if detail.contains("corrupt") {
        detail
    } else {
        format!("corrupt data: {detail}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    const LOG: &[u8] = b"[    1.000000] WARNING: possible recursive locking detected\n\
        [    1.000001] swapper/0/1 is trying to acquire lock:\n";

    fn read_all(r: io::Result<Box<dyn Read + Send>>) -> (Vec<u8>, Option<String>) {
        let mut r = r.unwrap();
        let mut out = Vec::new();
        let mut buf = [0u8; 100];
        loop {
            match r.read(&mut buf) {
                Ok(0) => return (out, None),
                Ok(n) => out.extend_from_slice(&buf[..n]),
                Err(e) => return (out, Some(e.to_string())),
            }
        }
    }

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    fn xz(data: &[u8]) -> Vec<u8> {
        let mut e = xz2::write::XzEncoder::new(Vec::new(), 6);
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    /// Text long enough that a cut leaves some of it decodable.
    fn long_log() -> Vec<u8> {
        let mut v = Vec::new();
        for i in 0..20_000u32 {
            v.extend_from_slice(format!("[ {i}.000000] line {}\n", i * 7919 % 1000).as_bytes());
        }
        v
    }

    #[test]
    fn formats_by_magic_not_name() {
        for data in [
            LOG.to_vec(),
            gzip(LOG),
            xz(LOG),
            [gzip(LOG), gzip(LOG)].concat(),
        ] {
            let (text, err) = read_all(open_reader(Box::new(io::Cursor::new(data.clone()))));
            assert_eq!(err, None);
            assert!(text.starts_with(LOG), "{:?}", Compression::sniff(&data));
        }
        let (text, _) = read_all(open_reader(Box::new(io::Cursor::new(
            [xz(LOG), xz(LOG)].concat(),
        ))));
        assert_eq!(text, [LOG, LOG].concat());
        assert_eq!(Compression::sniff(&gzip(LOG)), Compression::Gzip);
        assert_eq!(Compression::sniff(&xz(LOG)), Compression::Xz);
        assert_eq!(Compression::sniff(LOG), Compression::None);
    }

    #[test]
    fn truncated_streams_keep_the_text_before_the_break() {
        let log = long_log();
        for (name, packed) in [("gzip", gzip(&log)), ("xz", xz(&log))] {
            let cut = &packed[..packed.len() * 2 / 3];
            let (text, err) = read_all(open_reader(Box::new(io::Cursor::new(cut.to_vec()))));
            let err = err.unwrap_or_else(|| panic!("{name}: a cut stream must fail"));
            assert!(
                err.contains(name) && err.contains("compressed byte"),
                "{err}"
            );
            assert!(text.len() > log.len() / 3, "{name}: {} bytes", text.len());
            assert!(
                log.starts_with(&text),
                "{name}: the text before the break is exact"
            );
        }
    }

    #[test]
    fn a_stream_broken_in_its_first_bytes_still_gives_them() {
        let packed = gzip(LOG);
        let cut = &packed[..packed.len() - 12];
        let (text, err) = read_all(open_reader(Box::new(io::Cursor::new(cut.to_vec()))));
        assert!(err.is_some_and(|e| e.contains("broken gzip stream")));
        assert!(LOG.starts_with(&text));
        let err = open_path(Path::new("/nonexistent/x.log"), |_| {})
            .err()
            .unwrap();
        assert_eq!(err.kind(), io::ErrorKind::NotFound);
    }

    #[test]
    fn a_name_claiming_compression_without_its_header_is_broken() {
        let err = open_claimed(Box::new(io::Cursor::new(LOG.to_vec())), Compression::Xz)
            .err()
            .unwrap();
        assert!(err.to_string().starts_with("broken xz stream"), "{err}");
        // The bytes decide the format: gzip data in a `.xz` file reads.
        let ok = open_claimed(Box::new(io::Cursor::new(gzip(LOG))), Compression::Xz);
        assert_eq!(read_all(ok).0, LOG);
        assert_eq!(
            Compression::claimed_by(Path::new("a/b.log.ZST")),
            Compression::Zstd
        );
        assert_eq!(
            Compression::claimed_by(Path::new("b.log")),
            Compression::None
        );
    }

    #[test]
    fn decompressor_errors_read_as_sentences() {
        let debugish = io::Error::other(
            "Failed to parse block header: DecompressLiteralsError(DecodedLiteralCountMismatch { decoded: 6442, expected: 6455 })",
        );
        assert_eq!(
            decompression_error_sentence(&debugish),
            "corrupt data: failed to parse block header"
        );
        let eof = io::Error::new(io::ErrorKind::UnexpectedEof, "failed to fill whole buffer");
        assert_eq!(decompression_error_sentence(&eof), "truncated");

        #[derive(Debug)]
        struct Wrapper(io::Error);
        impl std::fmt::Display for Wrapper {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "BlockContentReadError({:?})", self.0)
            }
        }
        impl std::error::Error for Wrapper {
            fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
                Some(&self.0)
            }
        }
        let nested = io::Error::other(Wrapper(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "short",
        )));
        assert_eq!(decompression_error_sentence(&nested), "truncated");
        assert_eq!(
            decompression_error_sentence(&io::Error::other("lzma data error")),
            "corrupt data: lzma data error"
        );
        assert_eq!(
            decompression_error_sentence(&io::Error::other(
                "corrupt gzip stream does not have a matching checksum"
            )),
            "corrupt gzip stream does not have a matching checksum"
        );
        assert_eq!(
            decompression_error_sentence(&io::Error::other("Weird(3)")),
            "corrupt data"
        );
    }

    #[test]
    fn binaries_are_refused_with_what_they_are() {
        let mut elf = b"\x7fELF\x02\x01\x01".to_vec();
        elf.resize(8192, 0);
        let err = open_reader(Box::new(io::Cursor::new(elf.clone())))
            .err()
            .unwrap();
        assert!(err.to_string().contains("ELF"), "{err}");
        let err = open_reader(Box::new(io::Cursor::new(gzip(&elf))))
            .err()
            .unwrap();
        assert!(
            err.to_string().contains("gzip data holding an ELF"),
            "{err}"
        );
        let noise: Vec<u8> = (0..4096u32)
            .map(|i| (i.wrapping_mul(2654435761) >> 24) as u8)
            .collect();
        assert!(open_reader(Box::new(io::Cursor::new(noise))).is_err());
        // Text with a few odd bytes, an empty input, NUL padding: logs.
        let mut text = long_log();
        text[100] = 0x01;
        text[200] = 0;
        assert!(open_reader(Box::new(io::Cursor::new(text))).is_ok());
        assert!(open_reader(Box::new(io::Cursor::new(Vec::new()))).is_ok());
        assert_eq!(binary_kind(b"BZ: not bzip2"), None);
        let mut padded = vec![0u8; 4096];
        padded.extend_from_slice(LOG);
        assert!(open_reader(Box::new(io::Cursor::new(padded))).is_ok());
    }
}
