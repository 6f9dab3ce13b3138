//! Mail in: the splats of a mailing-list thread, each with the message that
//! first posted it (`splatdec mail`, and the default decoder when an input
//! is mail).
//!
//! Inputs are an mbox (a public-inbox/lore `t.mbox.gz` thread export is
//! one), a single message (`.eml`), a maildir (its `new/` and `cur/`), or a
//! directory of such files; compressed by gzip, xz or zstd or not, which
//! [`crate::input::open`] recognises by magic bytes. What an input is comes
//! from its content ([`sniff`]), not its name. mboxes are split by
//! [`mbox`]; each message is parsed by the `mail-parser` crate (MIME
//! structure, quoted-printable, base64, RFC 2047 headers, charsets), and
//! its text parts (text/plain bodies and text attachments, messages
//! forwarded inside it, attachments of another type or compressed that
//! hold text, such as a `dmesg.txt.gz`; the HTML body as text when there
//! is no plain one)
//! are joined into one text, with `format=flowed` undone ([`flowed`]). The
//! decoder reads that text as it reads a log, so `> `-quoted copies are
//! found too.
//!
//! A [`Thread`] collects the reports of every message and keeps them apart
//! by signature ([`crate::triage::signature`]): each distinct report is
//! attributed to the first message that carries it, by `Date:` and then by
//! the order messages were read (messages without a valid date come after
//! the dated ones), and the later messages that carry it (quoting it in a
//! reply, or posting it again) are its `replies`. A copy cut short (a
//! reply that quotes only the top of a splat) has a signature of its own;
//! when it is incomplete and an earlier report of the same kind and title
//! is whole, it counts as a copy of that one.
//!
//! Memory: one message at a time is held (at most [`MAX_MESSAGE_BYTES`]),
//! plus per distinct report its first analysis, and a few
//! header fields per message.

pub mod flowed;
pub mod mbox;
pub mod render;
pub mod reply;

use std::collections::HashMap;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use mail_parser::{Address, HeaderValue, MessageParser, MimeHeaders, PartType};

use crate::triage::signature::sighting;
use crate::{Analysis, Decoder, ReportKind};

/// The largest message held whole; the rest of a longer one is skipped
/// and the message says so.
pub const MAX_MESSAGE_BYTES: usize = 32 << 20;

/// Bytes looked at to tell mail from a log.
const SNIFF_BYTES: usize = 4096;

/// What a mail input holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// Messages after `From ` separators.
    Mbox,
    /// One message (an `.eml` file).
    Message,
}

/// Header names every mail reader meets; two of them among the first
/// lines make a message.
const MAIL_HEADERS: &[&str] = &[
    "from",
    "to",
    "cc",
    "subject",
    "date",
    "message-id",
    "received",
    "return-path",
    "mime-version",
    "in-reply-to",
    "references",
    "delivered-to",
    "content-type",
    "content-transfer-encoding",
    "reply-to",
    "sender",
    "x-mailer",
    "user-agent",
    "list-id",
    "dkim-signature",
    "x-original-to",
    "arc-seal",
    "authentication-results",
];

/// `Name: value`: a field name of printable ASCII without `:`.
fn header_name(line: &[u8]) -> Option<&[u8]> {
    let colon = memchr::memchr(b':', line)?;
    let name = &line[..colon];
    (!name.is_empty() && name.len() <= 76 && name.iter().all(|&b| (33..=126).contains(&b)))
        .then_some(name)
}

/// Is `head` (the first bytes of an input, decompressed) mail? An mbox
/// starts with a `From ` line followed by a header line; a message starts
/// with header lines (continuations indented) up to its first empty line,
/// at least two of them fields every mail has (`From`, `Date`,
/// `Message-ID`, `Received`, `Subject`, ...). Kernel logs start with
/// neither.
pub fn sniff(head: &[u8]) -> Option<Layout> {
    let mut lines: Vec<&[u8]> = head
        .split(|&b| b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
        .collect();
    // The last piece is cut unless the head ends a line.
    if !head.ends_with(b"\n") {
        lines.pop();
    }
    let first = *lines.first()?;
    if first.starts_with(b"From ") && first.len() > 5 {
        return lines
            .get(1)
            .and_then(|l| header_name(l))
            .map(|_| Layout::Mbox);
    }
    let mut known = 0;
    for (i, line) in lines.iter().enumerate() {
        if line.is_empty() {
            break;
        }
        if line[0] == b' ' || line[0] == b'\t' {
            if i == 0 {
                return None;
            }
            continue;
        }
        let name = header_name(line)?;
        let name = String::from_utf8_lossy(name).to_ascii_lowercase();
        if MAIL_HEADERS.contains(&name.as_str()) {
            known += 1;
        }
    }
    (known >= 2).then_some(Layout::Message)
}

/// An input opened and recognised.
pub enum Input {
    /// Not mail: the text, for the log decoder (nothing consumed).
    Log(Box<dyn Read + Send>),
    /// Mail of this layout.
    Mail(Layout, Box<dyn BufRead + Send>),
    /// A directory: its message files, in order (a maildir's `new/` and
    /// `cur/` by name, which starts with the delivery time; otherwise the
    /// directory's files by name).
    Dir(Vec<PathBuf>),
}

/// Open `path` (`-` is standard input), decompressing by magic bytes, and
/// say whether it is mail.
pub fn open(path: &Path) -> io::Result<Input> {
    if path.as_os_str() != "-" && path.is_dir() {
        return dir_files(path).map(Input::Dir);
    }
    let r = if path.as_os_str() == "-" {
        crate::input::open::open_reader(Box::new(io::stdin()))?
    } else {
        crate::input::open::open_path(path, |_| {})?
    };
    classify(r)
}

/// Recognise an already opened (decompressed) text.
pub fn classify(mut r: Box<dyn Read + Send>) -> io::Result<Input> {
    let mut head = Vec::with_capacity(SNIFF_BYTES);
    (&mut r).take(SNIFF_BYTES as u64).read_to_end(&mut head)?;
    let layout = sniff(&head);
    let whole: Box<dyn Read + Send> = Box::new(io::Cursor::new(head).chain(r));
    Ok(match layout {
        Some(l) => Input::Mail(l, Box::new(BufReader::with_capacity(64 * 1024, whole))),
        None => Input::Log(whole),
    })
}

fn dir_files(dir: &Path) -> io::Result<Vec<PathBuf>> {
    let sub: Vec<PathBuf> = ["new", "cur"]
        .iter()
        .map(|s| dir.join(s))
        .filter(|p| p.is_dir())
        .collect();
    let dirs = if sub.is_empty() {
        vec![dir.to_path_buf()]
    } else {
        sub
    };
    let mut files = Vec::new();
    for d in dirs {
        let mut here: Vec<PathBuf> = std::fs::read_dir(&d)?
            .filter_map(|e| e.ok())
            .map(|e| e.path())
            .filter(|p| p.is_file())
            .filter(|p| {
                !p.file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with('.'))
            })
            .collect();
        here.sort();
        files.extend(here);
    }
    Ok(files)
}

/// The fields of a message the output names, and where it was read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Meta {
    /// `FILE#N`: the Nth message of FILE (1 for a single message); the
    /// reports of the message carry it as their `source`.
    pub source: String,
    /// Its `Message-ID`, without the angle brackets.
    pub message_id: Option<String>,
    /// The first `From` address, `Name <addr>` (decoded, untrusted).
    pub from: Option<String>,
    /// `Date`, as RFC 3339 with the sender's offset.
    pub date: Option<String>,
    /// `Date` in seconds since the epoch, for ordering.
    pub timestamp: Option<i64>,
    /// `Subject`, decoded (untrusted).
    pub subject: Option<String>,
    /// The first `In-Reply-To` id, without angle brackets: the message this
    /// one answers.
    pub in_reply_to: Option<String>,
    /// The `References` ids, as the header lists them (oldest first by
    /// convention).
    pub references: Vec<String>,
    /// `Reply-To` addresses, `Name <addr>` (decoded, untrusted), where a
    /// reply goes.
    pub reply_to: Vec<String>,
    /// `To` addresses, `Name <addr>` (decoded, untrusted).
    pub to: Vec<String>,
    /// `Cc` addresses, `Name <addr>` (decoded, untrusted).
    pub cc: Vec<String>,
    /// Problems reading it (cut at the size cap).
    pub problems: Vec<String>,
}

impl Meta {
    /// How the output names the message: `<id>`, or its source without one.
    pub fn name(&self) -> String {
        match &self.message_id {
            Some(id) => format!("<{id}>"),
            None => self.source.clone(),
        }
    }
}

/// A parsed message: its fields and its text.
#[derive(Debug, Clone)]
pub struct Message {
    /// The message's fields.
    pub meta: Meta,
    /// The text parts, decoded and joined (`\n` line ends).
    pub text: String,
}

fn addresses(a: Option<&Address<'_>>) -> Vec<String> {
    let Some(a) = a else {
        return Vec::new();
    };
    a.iter()
        .filter_map(|addr| {
            let name = addr.name().map(str::trim).filter(|n| !n.is_empty());
            match (name, addr.address()) {
                (Some(n), Some(a)) => Some(format!("{n} <{a}>")),
                (None, Some(a)) => Some(a.to_string()),
                (Some(n), None) => Some(n.to_string()),
                (None, None) => None,
            }
        })
        .collect()
}

fn ids(v: &HeaderValue<'_>) -> Vec<String> {
    match v {
        HeaderValue::Text(t) => vec![t.to_string()],
        HeaderValue::TextList(l) => l.iter().map(|t| t.to_string()).collect(),
        _ => Vec::new(),
    }
}

/// Parse one message; `None` when it has neither headers nor body.
pub fn parse(raw: &[u8], source: String) -> Option<Message> {
    let msg = MessageParser::default().parse(raw)?;
    let date = msg.date().filter(|d| d.is_valid());
    let meta = Meta {
        source,
        message_id: msg.message_id().map(str::to_string),
        from: addresses(msg.from()).into_iter().next(),
        date: date.map(|d| d.to_rfc3339()),
        timestamp: date.map(|d| d.to_timestamp()),
        subject: msg.subject().map(str::to_string),
        in_reply_to: ids(msg.in_reply_to()).into_iter().next(),
        references: ids(msg.references()),
        reply_to: addresses(msg.reply_to()),
        to: addresses(msg.to()),
        cc: addresses(msg.cc()),
        problems: Vec::new(),
    };
    let mut text = String::new();
    texts(&msg, &mut text, 0);
    Some(Message { meta, text })
}

/// Forwarded messages inside messages, followed this deep.
const MAX_NESTING: usize = 4;

fn push_text(out: &mut String, t: &str) {
    if !out.is_empty() {
        if !out.ends_with('\n') {
            out.push('\n');
        }
        out.push('\n');
    }
    // One line-end convention for the decoder's line numbers.
    if t.contains('\r') {
        out.push_str(&t.replace("\r\n", "\n"));
    } else {
        out.push_str(t);
    }
}

fn texts(msg: &mail_parser::Message<'_>, out: &mut String, depth: usize) {
    let mut any = false;
    for part in &msg.parts {
        match &part.body {
            PartType::Text(t) => {
                let ct = part.content_type();
                let attr = |k: &str| {
                    ct.and_then(|c| c.attribute(k)).is_some_and(|v| {
                        v.eq_ignore_ascii_case(if k == "format" { "flowed" } else { "yes" })
                    })
                };
                if attr("format") {
                    push_text(out, &flowed::decode(t, attr("delsp")));
                } else {
                    push_text(out, t);
                }
                any = true;
            }
            PartType::Binary(b) | PartType::InlineBinary(b) => {
                if let Some(t) = attached_text(b) {
                    push_text(out, &t);
                }
            }
            PartType::Message(inner) if depth < MAX_NESTING => {
                texts(inner, out, depth + 1);
                any = true;
            }
            _ => {}
        }
    }
    if !any {
        if let Some(t) = msg.body_text(0) {
            push_text(out, &t);
        }
    }
}

/// A non-text attachment that holds text after all: a log attached as
/// `application/octet-stream`, or gzip/xz/zstd-compressed (`dmesg.txt.gz`),
/// recognised by content as every input is ([`crate::input::open`]);
/// images, archives and other binaries are refused there. At most
/// [`MAX_MESSAGE_BYTES`] of it are read.
fn attached_text(bytes: &[u8]) -> Option<String> {
    let r = crate::input::open::open_reader(Box::new(io::Cursor::new(bytes.to_vec()))).ok()?;
    let mut text = Vec::new();
    // A stream that breaks still gives what came before the break.
    let _ = r.take(MAX_MESSAGE_BYTES as u64).read_to_end(&mut text);
    if text.is_empty()
        || crate::input::open::binary_kind(&text[..text.len().min(SNIFF_BYTES)]).is_some()
    {
        return None;
    }
    Some(String::from_utf8_lossy(&text).into_owned())
}

/// Read every message of an opened mail input, handing each to `sink`
/// (an error naming the message for one that could not be parsed).
pub fn read_messages(
    layout: Layout,
    reader: Box<dyn BufRead + Send>,
    file: &str,
    sink: &mut dyn FnMut(Result<Message, String>),
) -> io::Result<()> {
    match layout {
        Layout::Message => {
            let mut raw = Vec::new();
            let n = reader
                .take(MAX_MESSAGE_BYTES as u64 + 1)
                .read_to_end(&mut raw)?;
            let cut = n > MAX_MESSAGE_BYTES;
            raw.truncate(MAX_MESSAGE_BYTES);
            deliver(&raw, format!("{file}#1"), cut, sink);
        }
        Layout::Mbox => {
            for m in mbox::Splitter::new(reader) {
                let m = m?;
                deliver(&m.bytes, format!("{file}#{}", m.number), m.truncated, sink);
            }
        }
    }
    Ok(())
}

fn deliver(raw: &[u8], source: String, cut: bool, sink: &mut dyn FnMut(Result<Message, String>)) {
    match parse(raw, source.clone()) {
        Some(mut m) => {
            if cut {
                m.meta.problems.push(format!(
                    "the message is longer than {} MiB; the rest of it was not read",
                    MAX_MESSAGE_BYTES >> 20
                ));
            }
            sink(Ok(m))
        }
        None => sink(Err(format!("{source}: not a mail message; skipped"))),
    }
}

/// What [`add_path`] found at a path.
pub enum Added {
    /// Mail: its messages were added to the thread.
    Mail,
    /// Not mail: the text, unread, for the log decoder.
    Log(Box<dyn Read + Send>),
}

/// Add every message at `path` (an mbox, a message, a maildir or a
/// directory of message files; `-` is standard input) to `thread`. A
/// message that cannot be parsed, or a file in a directory that is not
/// mail, is handed to `warn` (naming it) and the rest is still read. An
/// input that is not mail is given back unread.
pub fn add_path(
    thread: &mut Thread,
    path: &Path,
    warn: &mut dyn FnMut(String),
) -> io::Result<Added> {
    let name = path.display().to_string();
    let mut sink = |m: Result<Message, String>| match m {
        Ok(m) => thread.add(m),
        Err(problem) => warn(problem),
    };
    match open(path)? {
        Input::Log(r) => Ok(Added::Log(r)),
        Input::Mail(layout, r) => {
            read_messages(layout, r, &name, &mut sink)?;
            Ok(Added::Mail)
        }
        Input::Dir(files) => {
            for f in files {
                let fname = f.display().to_string();
                let r = crate::input::open::open_path(&f, |_| {}).and_then(classify);
                match r {
                    Ok(Input::Mail(layout, r)) => {
                        if let Err(e) = read_messages(layout, r, &fname, &mut sink) {
                            sink(Err(format!("{fname}: {e}")));
                        }
                    }
                    Ok(_) => sink(Err(format!(
                        "{fname}: neither an mbox nor a mail message; skipped"
                    ))),
                    Err(e) => sink(Err(format!("{fname}: {e}; skipped"))),
                }
            }
            Ok(Added::Mail)
        }
    }
}

/// Where a sighting sorts: dated messages by date, then the undated;
/// ties in reading order.
type Key = (bool, i64, usize);

/// A distinct report of a thread, as the output shows it.
#[derive(Debug, Clone)]
pub struct Distinct {
    /// The report decoded and analysed, as the earliest message that
    /// carried it has it.
    pub analysis: Analysis,
    /// The message that first carried it.
    pub first: Meta,
    /// The later messages that carry it, in thread order, by
    /// [`Meta::name`] without brackets (their Message-Id, or their source
    /// when they have none).
    pub replies: Vec<String>,
    /// How many more reports of this signature the first message carries
    /// (several hung tasks of one round, a quoted copy and the full
    /// report): folded into this one, not shown.
    pub more_in_message: usize,
}

struct Group {
    kind: ReportKind,
    title: String,
    complete: bool,
    first: Key,
    meta: usize,
    analysis: Analysis,
    sightings: Vec<(Key, usize)>,
    /// The messages of this signature's own reports (not of copies merged
    /// in), one entry a report.
    own: Vec<usize>,
    /// Merged into another group (a cut-short copy of it).
    merged: Option<usize>,
}

/// The reports of one or more messages, kept apart by signature.
pub struct Thread {
    decoder: Decoder,
    metas: Vec<Meta>,
    groups: Vec<Group>,
    by_sig: HashMap<String, usize>,
    /// The message whose copies are kept for `--reply`.
    keep: Option<String>,
    /// (signature, lines) of each report in that message.
    kept: Vec<(String, Vec<String>)>,
    kept_meta: Option<usize>,
}

/// A Message-Id as given on the command line or in a header: without
/// angle brackets and surrounding space.
pub fn bare_id(id: &str) -> &str {
    let id = id.trim();
    let id = id.strip_prefix('<').unwrap_or(id);
    id.strip_suffix('>').unwrap_or(id)
}

/// The lines of `a`'s report in `text`, with the `=====` rule lockdep
/// prints above its banner when there is one (quoted or not).
fn span(text: &str, a: &Analysis) -> Vec<String> {
    let mut from = a.report.line.saturating_sub(1) as usize;
    let to = a.report.end_line.max(a.report.line) as usize;
    if from > 0 {
        let above = text.split('\n').nth(from - 1).unwrap_or("");
        let bare = above.trim_start_matches(['>', ' ']).trim_end();
        if bare.len() >= 8 && bare.bytes().all(|b| b == b'=') {
            from -= 1;
        }
    }
    text.split('\n')
        .skip(from)
        .take(to - from)
        .map(str::to_string)
        .collect()
}

impl Thread {
    /// A thread that decodes each message with `decoder` (its walk options
    /// and knowledge).
    pub fn new(decoder: Decoder) -> Self {
        Thread {
            decoder,
            metas: Vec::new(),
            groups: Vec::new(),
            by_sig: HashMap::new(),
            keep: None,
            kept: Vec::new(),
            kept_meta: None,
        }
    }

    /// Keep the copies found in the message with this Message-Id (for a
    /// reply to it).
    pub fn keep_copies_of(mut self, message_id: &str) -> Self {
        self.keep = Some(bare_id(message_id).to_string());
        self
    }

    /// How many messages were added.
    pub fn messages(&self) -> usize {
        self.metas.len()
    }

    /// Decode one message and add its reports.
    pub fn add(&mut self, msg: Message) {
        let order = self.metas.len();
        let key: Key = (
            msg.meta.timestamp.is_none(),
            msg.meta.timestamp.unwrap_or(0),
            order,
        );
        let keep_this = self.keep.is_some()
            && self.kept_meta.is_none()
            && msg.meta.message_id.as_deref().map(bare_id) == self.keep.as_deref();
        if keep_this {
            self.kept_meta = Some(order);
        }
        self.metas.push(msg.meta);
        // Each report is grouped as soon as it is decoded, so a message
        // holding a long log never has all its analyses in memory at once.
        let decoder = self
            .decoder
            .clone()
            .with_source(self.metas[order].source.clone());
        // Reading from a string cannot fail.
        let _ = decoder.decode_analyzed(msg.text.as_bytes(), &mut |a| {
            self.sight(a, key, order, &msg.text, keep_this)
        });
    }

    /// Add one report of message `order`.
    fn sight(&mut self, a: Analysis, key: Key, order: usize, text: &str, keep_this: bool) {
        let sig = sighting(&a.report).signature.hash;
        if keep_this {
            self.kept.push((sig.clone(), span(text, &a)));
        }
        match self.by_sig.get(&sig) {
            None => {
                self.by_sig.insert(sig, self.groups.len());
                self.groups.push(Group {
                    kind: a.report.kind,
                    title: a.report.title.clone(),
                    complete: a.report.complete,
                    first: key,
                    meta: order,
                    analysis: a,
                    sightings: vec![(key, order)],
                    own: vec![order],
                    merged: None,
                });
            }
            Some(&g) => {
                let group = &mut self.groups[g];
                group.sightings.push((key, order));
                group.own.push(order);
                group.complete |= a.report.complete;
                // The earliest message's report; of its copies in that
                // message, the first complete one (a reply quoting the top
                // of a splat before pasting it whole).
                let fuller =
                    key == group.first && a.report.complete && !group.analysis.report.complete;
                if key < group.first || fuller {
                    group.first = key;
                    group.meta = order;
                    group.analysis = a;
                }
            }
        }
    }

    /// Merge cut-short copies into the whole report they copy: the
    /// earliest complete report of the same kind and title, posted before.
    fn merge(&mut self) {
        let mut whole: HashMap<(ReportKind, &str), usize> = HashMap::new();
        for (j, g) in self.groups.iter().enumerate() {
            if g.complete {
                let e = whole.entry((g.kind, g.title.as_str())).or_insert(j);
                if g.first < self.groups[*e].first {
                    *e = j;
                }
            }
        }
        let moves: Vec<(usize, usize)> = self
            .groups
            .iter()
            .enumerate()
            .filter(|(_, g)| !g.complete)
            .filter_map(|(i, g)| {
                let j = *whole.get(&(g.kind, g.title.as_str()))?;
                (self.groups[j].first < g.first).then_some((i, j))
            })
            .collect();
        for (i, j) in moves {
            let moved = std::mem::take(&mut self.groups[i].sightings);
            self.groups[j].sightings.extend(moved);
            self.groups[i].merged = Some(j);
        }
    }

    fn root(&self, mut g: usize) -> usize {
        while let Some(j) = self.groups[g].merged {
            g = j;
        }
        g
    }

    /// The distinct reports, in thread order of their first posting, and
    /// the message [`Thread::keep_copies_of`] named, when it was read.
    pub fn finish(mut self) -> Finished {
        self.merge();
        let roots: Vec<usize> = (0..self.groups.len()).map(|g| self.root(g)).collect();
        let mut order: Vec<usize> = (0..self.groups.len())
            .filter(|&g| self.groups[g].merged.is_none())
            .collect();
        order.sort_by_key(|&g| self.groups[g].first);
        let position: HashMap<usize, usize> =
            order.iter().enumerate().map(|(i, &g)| (g, i)).collect();
        let target = self.kept_meta.map(|m| ReplyTarget {
            meta: self.metas[m].clone(),
            copies: self
                .kept
                .iter()
                .filter_map(|(sig, lines)| {
                    let g = roots[*self.by_sig.get(sig)?];
                    Some((position[&g], lines.clone()))
                })
                .collect(),
        });
        let mut groups: Vec<Option<Group>> = std::mem::take(&mut self.groups)
            .into_iter()
            .map(Some)
            .collect();
        let reports = order
            .iter()
            .map(|&g| {
                let g = groups[g].take().expect("each group once");
                let mut s = g.sightings.clone();
                s.sort();
                let mut replies: Vec<String> = Vec::new();
                for (_, m) in s {
                    if m == g.meta {
                        continue;
                    }
                    let name = self.metas[m].name();
                    let name = bare_id(&name).to_string();
                    if !replies.contains(&name) {
                        replies.push(name);
                    }
                }
                let in_first = g.own.iter().filter(|&&m| m == g.meta).count();
                Distinct {
                    analysis: g.analysis,
                    first: self.metas[g.meta].clone(),
                    replies,
                    more_in_message: in_first.saturating_sub(1),
                }
            })
            .collect();
        Finished {
            messages: self.metas.len(),
            reports,
            target,
        }
    }
}

/// What a thread gave.
#[derive(Debug, Clone)]
pub struct Finished {
    /// Messages read.
    pub messages: usize,
    /// The distinct reports, in thread order of their first posting.
    pub reports: Vec<Distinct>,
    /// The message a reply is for, when it was among them.
    pub target: Option<ReplyTarget>,
}

/// The message a reply answers and the reports it carries.
#[derive(Debug, Clone)]
pub struct ReplyTarget {
    /// The message's fields.
    pub meta: Meta,
    /// Each report the message carries: its index in
    /// [`Finished::reports`] and its lines as this message has them.
    pub copies: Vec<(usize, Vec<String>)>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn sniff_tells_mail_from_logs() {
        assert_eq!(
            sniff(b"From mboxrd@z Thu Jan  1 00:00:00 1970\nFrom: a <a@b>\n"),
            Some(Layout::Mbox)
        );
        assert_eq!(
            sniff(b"Received: from x\n\tby y\nFrom: a@b\nSubject: s\n\nbody\n"),
            Some(Layout::Message)
        );
        assert_eq!(sniff(b"[    0.000000] Linux version 6.1.0\n"), None);
        assert_eq!(
            sniff(b"WARNING: possible recursive locking detected\n"),
            None
        );
        // One mail-like line is not enough; a non-header line ends it.
        assert_eq!(sniff(b"Subject: hello\n\nbody\n"), None);
        assert_eq!(sniff(b"Date: x\nnot a header\nFrom: y\n"), None);
        assert_eq!(sniff(b"From here on\nthe log\n"), None);
    }

    #[test]
    fn bare_ids() {
        assert_eq!(bare_id(" <a@b> "), "a@b");
        assert_eq!(bare_id("a@b"), "a@b");
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        /// Any bytes as an mbox or a message: no panic, every message
        /// counted, each report attributed to one of them.
        #[test]
        fn any_bytes_are_read_without_panic(body in proptest::collection::vec(any::<u8>(), 0..2048)) {
            let mut raw = b"From x Thu Jan  1 00:00:00 1970\nFrom: a@b\nContent-Type: multipart/mixed; boundary=b\n\n".to_vec();
            raw.extend_from_slice(&body);
            raw.extend_from_slice(b"\nWARNING: possible recursive locking detected\n");
            let mut thread = Thread::new(Decoder::new());
            let mut problems = Vec::new();
            for layout in [Layout::Mbox, Layout::Message] {
                let r: Box<dyn BufRead + Send> = Box::new(io::Cursor::new(raw.clone()));
                read_messages(layout, r, "t", &mut |m| match m {
                    Ok(m) => thread.add(m),
                    Err(e) => problems.push(e),
                })
                .unwrap();
            }
            let n = thread.messages();
            let f = thread.finish();
            prop_assert!(n + problems.len() >= 2);
            for d in &f.reports {
                prop_assert!(d.first.source.starts_with("t#"));
            }
        }
    }
}
