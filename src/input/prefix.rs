//! Recognising and stripping the prefixes that logging layers put in front
//! of kernel text: mail quoting, syslog/journalctl, `dmesg -x`, /dev/kmsg
//! records, syslog levels, `dmesg -T`/ISO stamps, printk timestamps and
//! printk caller ids.
//!
//! Written by hand over bytes rather than with regexes because it runs on
//! every line inside a report; each matcher is anchored and linear.

use serde::Serialize;

/// The printk caller id of CONFIG_PRINTK_CALLER: `[T1234]` (a task) or `[C1]`
/// (a CPU in interrupt context).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case", tag = "type", content = "id")]
pub enum Caller {
    /// `[T1234]`: printed from task context, by the task with this pid.
    Task(u32),
    /// `[C1]`: printed outside task context (an interrupt), on this CPU.
    Cpu(u32),
}

/// Where a stripped field sits in the line given to [`strip`], as byte
/// offsets: recording it costs no allocation, which matters because every
/// line inside a report is stripped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Span {
    /// Byte offset where the field starts.
    pub start: u32,
    /// Byte offset just past its end.
    pub end: u32,
}

impl Span {
    /// The span of `part`, a subslice of `line`.
    fn of(line: &str, part: &str) -> Span {
        let start = (part.as_ptr() as usize).saturating_sub(line.as_ptr() as usize);
        let start = start.min(line.len());
        let end = (start + part.len()).min(line.len());
        Span {
            start: start as u32,
            end: end as u32,
        }
    }

    /// The text this span covers in `line` (empty if `line` is not the
    /// line it was taken from and the span does not fit).
    pub fn get(self, line: &str) -> &str {
        line.get(self.start as usize..self.end as usize)
            .unwrap_or("")
    }
}

/// What was stripped from one line. Text fields are [`Span`]s into the
/// whole line (see [`crate::input::Line::full`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Prefix {
    /// Mail quote depth (`> > ` is 2).
    pub quote_depth: u8,
    /// A wall-clock stamp from syslog, journalctl, `dmesg -T` or ISO output.
    pub wall_time: Option<Span>,
    /// Host name from syslog/journalctl lines.
    pub host: Option<Span>,
    /// Syslog priority `<N>` or the kmsg record's faclev, or from `dmesg -x`.
    pub level: Option<u8>,
    /// /dev/kmsg sequence number.
    pub seq: Option<u64>,
    /// printk time in seconds as printed (`12.345678`), or kmsg microseconds.
    pub timestamp: Option<Span>,
    /// The printk caller id (`[T1234]`, `[C1]`), when CONFIG_PRINTK_CALLER
    /// printed one; the segmenter uses it to keep interleaved reports apart.
    pub caller: Option<Caller>,
    /// True when the line is a /dev/kmsg dictionary line (` KEY=value`)
    /// rather than kernel text.
    pub kmsg_dict: bool,
    /// True when the line was a /dev/kmsg record header.
    pub kmsg: bool,
    /// True when the line opened or closed a Markdown code fence.
    pub fence: bool,
}

/// Strip every recognised prefix from `line` (already without its line
/// terminator) and return the kernel text that remains.
///
/// `after_kmsg` says whether the previous line was a /dev/kmsg record, which
/// is the only case where a line starting with ` KEY=` is a dictionary line.
pub fn strip(mut line: &str, after_kmsg: bool) -> (Prefix, &str) {
    let whole = line;
    let span = |part: &str| Some(Span::of(whole, part));
    let mut p = Prefix::default();
    if let Some(rest) = line.strip_suffix('\r') {
        line = rest;
    }
    // Mail quoting comes first: it wraps everything else.
    let (depth, rest) = strip_quote(line);
    p.quote_depth = depth;
    line = rest;

    if after_kmsg && is_kmsg_dict(line) {
        p.kmsg_dict = true;
        return (p, line);
    }

    // A Markdown code fence opening or closing a pasted log (GitHub,
    // GitLab, Discourse): the fence and its info string are not text.
    if let Some(rest) = strip_fence(line) {
        p.fence = true;
        line = rest;
    }

    // Transport prefixes: at most one of these.
    if let Some(rest) = strip_kernel_tag_alone(line) {
        // A bare `kernel: ` tag: syslog lines whose date and host were cut
        // off by whoever pasted them.
        line = rest;
    } else if let Some((rest, host, time)) = strip_syslog(line) {
        p.host = span(host);
        p.wall_time = span(time);
        line = rest;
    } else if let Some((rest, host, time)) = strip_iso_syslog(line) {
        p.host = span(host);
        p.wall_time = span(time);
        line = rest;
    } else if let Some((rest, level)) = strip_dmesg_decode(line) {
        p.level = Some(level);
        line = rest;
    } else if let Some((rest, level, seq, usec, caller)) = strip_kmsg(line) {
        p.kmsg = true;
        p.level = Some(level);
        p.seq = Some(seq);
        p.timestamp = span(usec);
        p.caller = caller;
        line = rest;
    }

    if let Some((rest, level)) = strip_level(line) {
        p.level = Some(level);
        line = rest;
        // Intel CI (igt) logs put a space between the level and the time:
        // `<4> [  197.079335] text`.
        if let Some(r) = rest.strip_prefix(' ') {
            if strip_printk_time(r).is_some() {
                line = r;
            }
        }
    } else if let Some(r) = line.strip_prefix([' ', '\t']) {
        // A log indented as a Markdown code block or by a mail client:
        // blanks before a printk time are not kernel text.
        let r = r.trim_start_matches([' ', '\t']);
        if strip_printk_time(r).is_some() {
            line = r;
        }
    }
    if let Some((rest, stamp)) = strip_ctime(line) {
        p.wall_time = span(stamp);
        line = rest;
    } else if let Some((rest, stamp)) = strip_iso_stamp(line) {
        p.wall_time = span(stamp);
        line = rest;
    }
    if let Some((rest, ts)) = strip_printk_time(line) {
        p.timestamp = span(ts);
        line = rest;
        // util-linux dmesg (2.38+) prints the caller id a space after the
        // time: `[   17.106212] [   T1346] text`.
        let spaced = line.strip_prefix(' ').and_then(strip_caller);
        if let Some((rest, caller)) = strip_caller(line).or(spaced) {
            p.caller = Some(caller);
            line = rest;
        }
        // printk puts exactly one space after the prefix.
        line = line.strip_prefix(' ').unwrap_or(line);
        // journalctl -o short-monotonic: `[   95.67] [host ]kernel: text`.
        if let Some(rest) = strip_journal_tag(line) {
            line = rest;
        }
    } else if let Some((rest, caller)) = strip_caller(line) {
        // A caller id without a timestamp (printk.time=0).
        p.caller = Some(caller);
        line = rest.strip_prefix(' ').unwrap_or(rest);
    }
    // MediaTek's Android kernels tag each printk with its module:
    // `[name:lockdep&]WARNING: inconsistent lock state`.
    if let Some(rest) = strip_module_name_tag(line) {
        line = rest;
    }
    // `dmesg` and journald escape a newline embedded in a record
    // (`pr_warn("\nfoo")`) as a literal `\x0a`, rsyslog as `#012`.
    while let Some(rest) = line
        .strip_prefix("\\x0a")
        .or_else(|| line.strip_prefix("#012"))
    {
        line = rest;
    }
    while let Some(rest) = line
        .strip_suffix("\\x0a")
        .or_else(|| line.strip_suffix("#012"))
    {
        line = rest;
    }
    (p, line)
}

/// Console text glued before a kernel line on the same line (a login
/// prompt, a shell's output without its newline: `host login: [ 16.3]
/// INFO: ...`): the prefix and text from the printk time inside `text`
/// on, with spans into `full` (`text` is a piece of `full`). `None` when
/// no printk time follows other text.
pub fn strip_glued(full: &str, text: &str) -> Option<(Prefix, usize)> {
    let b = text.as_bytes();
    let base = (text.as_ptr() as usize).checked_sub(full.as_ptr() as usize)?;
    if base + text.len() > full.len() {
        return None;
    }
    let mut from = 1;
    while let Some(i) = memchr::memchr(b'[', b.get(from..)?) {
        let at = from + i;
        from = at + 1;
        // Glued text ends with a blank or a prompt's `:`/`#`/`$`/`>`.
        if !matches!(b[at - 1], b' ' | b'\t' | b':' | b'#' | b'$' | b'>') {
            continue;
        }
        let tail = &text[at..];
        let Some((rest, _)) = strip_printk_time(tail) else {
            continue;
        };
        if rest.trim().is_empty() {
            continue;
        }
        let (mut p, rest) = strip(tail, false);
        let shift = |s: Option<Span>| {
            s.map(|s| Span {
                start: s.start + (base + at) as u32,
                end: s.end + (base + at) as u32,
            })
        };
        p.timestamp = shift(p.timestamp);
        p.wall_time = shift(p.wall_time);
        p.host = shift(p.host);
        let start = (rest.as_ptr() as usize) - (full.as_ptr() as usize);
        return Some((p, start));
    }
    None
}

/// `> `, `>> `, `> > `, `>` ... Returns the depth and the rest. Quoting is
/// only recognised at the start of a line, after blanks at most (a mail
/// client's or a forum's indentation: `  > > text`, `>\t> text`). Some mail
/// and web archives quote with `: `, `| ` or ` | ` instead; kernel lines
/// never start with those.
fn strip_quote(line: &str) -> (u8, &str) {
    let b = line.as_bytes();
    let blank = |c: u8| c == b' ' || c == b'\t';
    // Is there a quote mark at `i`, after blanks? Where it is.
    let mark_at = |i: usize, first: bool| -> Option<usize> {
        let mut j = i;
        while j < b.len() && blank(b[j]) {
            j += 1;
        }
        let c = *b.get(j)?;
        let next_ok = b.get(j + 1).is_none_or(|&n| blank(n));
        let ok = match c {
            b'>' => true,
            // `|` or `:` only with a blank (or nothing) after them, and `:`
            // only at the very start: kernel text has ` : ` in places.
            b'|' => next_ok,
            b':' => next_ok && j == 0 && first,
            _ => false,
        };
        ok.then_some(j)
    };
    let mut i = 0;
    let mut depth: u8 = 0;
    while let Some(j) = mark_at(i, depth == 0) {
        depth = depth.saturating_add(1);
        i = j + 1;
        // One blank after each mark belongs to the quoting.
        if i < b.len() && blank(b[i]) {
            i += 1;
        }
    }
    if depth == 0 {
        return (0, line);
    }
    (depth, &line[i..])
}

/// A Markdown code fence: three or more backticks or tildes, then an
/// optional info string (`text`, `console`); the text glued after a fence
/// that is not an info string (```` ```[  1.0] WARNING: ... ````) is kept.
fn strip_fence(line: &str) -> Option<&str> {
    let b = line.as_bytes();
    let c = *b.first()?;
    if c != b'`' && c != b'~' {
        return None;
    }
    let n = b.iter().take_while(|&&x| x == c).count();
    if n < 3 {
        return None;
    }
    let rest = &line[n..];
    let info = rest.trim();
    if info.is_empty()
        || info
            .bytes()
            .all(|x| x.is_ascii_alphanumeric() || x == b'-' || x == b'_')
    {
        return Some("");
    }
    Some(rest)
}

/// A bare `kernel: ` tag at the start of a line (no date, no host): what
/// is left of a syslog line when someone pastes from the tag on.
fn strip_kernel_tag_alone(line: &str) -> Option<&str> {
    if !line.starts_with("kernel") {
        return None;
    }
    strip_kernel_tag(line)
}

/// kmsg dictionary line: a space, then `KEY=` with an upper-case key.
fn is_kmsg_dict(line: &str) -> bool {
    let b = line.as_bytes();
    if b.first() != Some(&b' ') {
        return false;
    }
    let key_end = b[1..].iter().position(|&c| c == b'=');
    match key_end {
        Some(n) if n > 0 => b[1..1 + n]
            .iter()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || *c == b'_'),
        _ => false,
    }
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];
const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

fn is_digit(b: &[u8], i: usize) -> bool {
    b.get(i).is_some_and(|c| c.is_ascii_digit())
}

/// `HH:MM:SS` at `i`.
fn is_clock(b: &[u8], i: usize) -> bool {
    is_digit(b, i)
        && is_digit(b, i + 1)
        && b.get(i + 2) == Some(&b':')
        && is_digit(b, i + 3)
        && is_digit(b, i + 4)
        && b.get(i + 5) == Some(&b':')
        && is_digit(b, i + 6)
        && is_digit(b, i + 7)
}

/// After a host name: `kernel: ` or `kernel[123]: `.
fn strip_kernel_tag(rest: &str) -> Option<&str> {
    let r = rest.strip_prefix("kernel")?;
    let r = if let Some(r2) = r.strip_prefix('[') {
        let close = r2.find(']')?;
        if !r2[..close].bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        &r2[close + 1..]
    } else {
        r
    };
    let r = r.strip_prefix(':')?;
    Some(r.strip_prefix(' ').unwrap_or(r))
}

/// `kernel: ` or `host kernel: ` after a monotonic stamp.
fn strip_journal_tag(line: &str) -> Option<&str> {
    if let Some(r) = strip_kernel_tag(line) {
        return Some(r);
    }
    let sp = line.find(' ')?;
    let host = &line[..sp];
    if host.is_empty() || host.contains(':') || host.contains('[') {
        return None;
    }
    strip_kernel_tag(&line[sp + 1..])
}

/// Classic syslog / journalctl short: `Nov 21 10:00:00 host kernel: `.
fn strip_syslog(line: &str) -> Option<(&str, &str, &str)> {
    let b = line.as_bytes();
    if b.len() < 16
        || !b[0].is_ascii_uppercase()
        || b[3] != b' '
        || !MONTHS.iter().any(|m| line.starts_with(m))
    {
        return None;
    }
    // Day: two digits or space + digit.
    if !(b[4] == b' ' || b[4].is_ascii_digit()) || !b[5].is_ascii_digit() || b[6] != b' ' {
        return None;
    }
    if !is_clock(b, 7) {
        return None;
    }
    // journalctl -o short-precise adds `.123456`.
    let mut i = 15;
    if b.get(i) == Some(&b'.') {
        i += 1;
        while is_digit(b, i) {
            i += 1;
        }
    }
    if b.get(i) != Some(&b' ') {
        return None;
    }
    let time = &line[..i];
    let rest = &line[i + 1..];
    let sp = rest.find(' ')?;
    let host = &rest[..sp];
    let after_host = &rest[sp + 1..];
    // Old klogd setups wrote the printk time right after the host name.
    let text = strip_kernel_tag(after_host)
        .or_else(|| strip_printk_time(after_host).map(|_| after_host))?;
    Some((text, host, time))
}

/// RFC 3339 syslog: `2026-11-21T10:00:00.123456+00:00 host kernel: `.
fn strip_iso_syslog(line: &str) -> Option<(&str, &str, &str)> {
    let (rest, stamp) = strip_iso_stamp(line)?;
    let sp = rest.find(' ')?;
    let host = &rest[..sp];
    let text = strip_kernel_tag(&rest[sp + 1..])?;
    Some((text, host, stamp))
}

/// `YYYY-MM-DDTHH:MM:SS[,.]ffffff[+-]zzzz ` (dmesg --time-format iso, rsyslog).
fn strip_iso_stamp(line: &str) -> Option<(&str, &str)> {
    let b = line.as_bytes();
    if b.len() < 20 {
        return None;
    }
    let date_ok = (0..4).all(|i| is_digit(b, i))
        && b[4] == b'-'
        && is_digit(b, 5)
        && is_digit(b, 6)
        && b[7] == b'-'
        && is_digit(b, 8)
        && is_digit(b, 9)
        && (b[10] == b'T' || b[10] == b' ')
        && is_clock(b, 11);
    if !date_ok {
        return None;
    }
    let mut i = 19;
    if matches!(b.get(i), Some(b',') | Some(b'.')) {
        i += 1;
        while is_digit(b, i) {
            i += 1;
        }
    }
    if b.get(i) == Some(&b'Z') {
        i += 1;
    } else if matches!(b.get(i), Some(b'+') | Some(b'-')) {
        i += 1;
        while is_digit(b, i) || b.get(i) == Some(&b':') {
            i += 1;
        }
    }
    if b.get(i) != Some(&b' ') {
        return None;
    }
    Some((&line[i + 1..], &line[..i]))
}

const FACILITIES: [&str; 20] = [
    "kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron", "authpriv",
    "ftp", "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7",
];
const LEVELS: [&str; 8] = [
    "emerg", "alert", "crit", "err", "warn", "notice", "info", "debug",
];

/// `dmesg -x`: `kern  :warn  : `.
fn strip_dmesg_decode(line: &str) -> Option<(&str, u8)> {
    // Every facility name is lower case: most lines fail at the first byte.
    if !line.as_bytes().first()?.is_ascii_lowercase() {
        return None;
    }
    let fac = FACILITIES.iter().find(|f| line.starts_with(**f))?;
    let rest = line[fac.len()..].trim_start_matches(' ');
    let rest = rest.strip_prefix(':')?;
    let (lvl_idx, lvl) = LEVELS
        .iter()
        .enumerate()
        .find(|(_, l)| rest.starts_with(**l))?;
    let rest = rest[lvl.len()..].trim_start_matches(' ');
    let rest = rest.strip_prefix(':')?;
    Some((rest.strip_prefix(' ').unwrap_or(rest), lvl_idx as u8))
}

fn parse_u64(s: &str) -> Option<u64> {
    if s.is_empty() || s.len() > 20 || !s.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// /dev/kmsg: `faclev,seq,usec,flag[,caller=T123][,more];text`.
#[allow(clippy::type_complexity)]
fn strip_kmsg(line: &str) -> Option<(&str, u8, u64, &str, Option<Caller>)> {
    if !line.as_bytes().first()?.is_ascii_digit() {
        return None;
    }
    let semi = line.find(';')?;
    let header = &line[..semi];
    let mut parts = header.split(',');
    let faclev = parse_u64(parts.next()?)?;
    let seq = parse_u64(parts.next()?)?;
    let usec = parts.next()?;
    parse_u64(usec)?;
    let flag = parts.next()?;
    if !matches!(flag, "-" | "c" | "+") {
        return None;
    }
    let mut caller = None;
    for extra in parts {
        if let Some(c) = extra.strip_prefix("caller=") {
            caller = parse_caller_id(c);
        }
    }
    Some((&line[semi + 1..], (faclev & 7) as u8, seq, usec, caller))
}

/// `<4>` syslog priority; the kernel facility keeps it in 0..=7 but user
/// facilities can be larger, so accept up to three digits.
fn strip_level(line: &str) -> Option<(&str, u8)> {
    let rest = line.strip_prefix('<')?;
    let close = rest.find('>')?;
    if close == 0 || close > 3 {
        return None;
    }
    let n: u32 = rest[..close].parse().ok()?;
    Some((&rest[close + 1..], (n & 7) as u8))
}

/// `dmesg -T`: `[Sat Nov 21 10:00:00 2026] `.
fn strip_ctime(line: &str) -> Option<(&str, &str)> {
    let rest = line.strip_prefix('[')?;
    let b = rest.as_bytes();
    if b.len() < 25
        || !b[0].is_ascii_uppercase()
        || b[3] != b' '
        || !DAYS.iter().any(|d| rest.starts_with(d))
    {
        return None;
    }
    if !MONTHS.iter().any(|m| rest[4..].starts_with(m)) || b[7] != b' ' {
        return None;
    }
    if !(b[8] == b' ' || b[8].is_ascii_digit()) || !b[9].is_ascii_digit() || b[10] != b' ' {
        return None;
    }
    if !is_clock(b, 11) || b[19] != b' ' || !(20..24).all(|i| is_digit(b, i)) || b[24] != b']' {
        return None;
    }
    let after = &rest[25..];
    Some((after.strip_prefix(' ').unwrap_or(after), &rest[..24]))
}

/// printk time: `[   12.345678]` (any amount of padding).
///
/// One pass over the bytes: it runs on nearly every line of a report.
fn strip_printk_time(line: &str) -> Option<(&str, &str)> {
    let b = line.as_bytes();
    if b.first() != Some(&b'[') {
        return None;
    }
    let mut i = 1;
    while b.get(i) == Some(&b' ') {
        i += 1;
    }
    // `dmesg --reltime` / `-d` print `[  +0.003631]`.
    if b.get(i) == Some(&b'+') {
        i += 1;
        while b.get(i) == Some(&b' ') {
            i += 1;
        }
    }
    let start = i;
    let digits = |mut i: usize| {
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        i
    };
    let dot = digits(start);
    // A comma is the decimal separator of `dmesg -d` under some locales
    // (`[+0,003927]`); only with printk's six fraction digits.
    let comma = b.get(dot) == Some(&b',');
    if dot == start || !(b.get(dot) == Some(&b'.') || comma) {
        return None;
    }
    let close = digits(dot + 1);
    if close == dot + 1 || b.get(close) != Some(&b']') || comma && close - dot - 1 != 6 {
        return None;
    }
    Some((&line[close + 1..], &line[start..close]))
}

/// `[name:lockdep&]`: a module-name tag some vendor kernels (MediaTek)
/// print before each record's text.
fn strip_module_name_tag(line: &str) -> Option<&str> {
    let rest = line.strip_prefix("[name:")?;
    let end = rest.find("&]")?;
    let name = &rest[..end];
    (!name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-'))
    .then(|| &rest[end + 2..])
}

fn parse_caller_id(s: &str) -> Option<Caller> {
    let s = s.trim_start_matches(' ');
    if !s.is_char_boundary(1.min(s.len())) {
        return None;
    }
    let (kind, num) = s.split_at(1.min(s.len()));
    let n: u32 = num.parse().ok()?;
    match kind {
        "T" => Some(Caller::Task(n)),
        "C" => Some(Caller::Cpu(n)),
        _ => None,
    }
}

/// printk caller id: `[ T1234]`, `[T24950]`, `[    C1]`.
fn strip_caller(line: &str) -> Option<(&str, Caller)> {
    let rest = line.strip_prefix('[')?;
    // The id is short: look for its `]` in the first bytes only.
    let close = memchr::memchr(b']', &rest.as_bytes()[..rest.len().min(13)])?;
    if close > 12 {
        return None;
    }
    let caller = parse_caller_id(&rest[..close])?;
    Some((&rest[close + 1..], caller))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(line: &str) -> &str {
        strip(line, false).1
    }

    /// A span's text in the line it was taken from.
    fn at(line: &str, span: Option<Span>) -> Option<&str> {
        span.map(|s| s.get(line))
    }

    #[test]
    fn printk_time_and_caller() {
        let l = "[  513.624689][ T4448] WARNING: x";
        let (p, t) = strip(l, false);
        assert_eq!(t, "WARNING: x");
        assert_eq!(at(l, p.timestamp), Some("513.624689"));
        assert_eq!(p.caller, Some(Caller::Task(4448)));
        let (p, t) = strip("[  733.821164][    C1]  lock_acquire+0x1/0x2", false);
        assert_eq!(t, " lock_acquire+0x1/0x2");
        assert_eq!(p.caller, Some(Caller::Cpu(1)));
        assert_eq!(text("[    0.000000] Linux version"), "Linux version");
        // util-linux dmesg's caller id, a space after the time.
        let (p, t) = strip(
            "[   17.106212] [   T1346] BUG: MAX_LOCKDEP_CHAIN_HLOCKS too low!",
            false,
        );
        assert_eq!(t, "BUG: MAX_LOCKDEP_CHAIN_HLOCKS too low!");
        assert_eq!(p.caller, Some(Caller::Task(1346)));
        assert_eq!(
            text("[    1.000000] [drm] Initialized"),
            "[drm] Initialized"
        );
    }

    #[test]
    fn level_and_time() {
        let (p, t) = strip("<4>[   12.345678] hello", false);
        assert_eq!((p.level, t), (Some(4), "hello"));
    }

    #[test]
    fn kmsg_record_and_dict() {
        let (p, t) = strip("4,1234,5678,-;WARNING: x", false);
        assert_eq!(t, "WARNING: x");
        assert_eq!((p.level, p.seq, p.kmsg), (Some(4), Some(1234), true));
        let (p, _) = strip("6,9,10,c,caller=T77;text", false);
        assert_eq!(p.caller, Some(Caller::Task(77)));
        assert!(strip(" SUBSYSTEM=pci", true).0.kmsg_dict);
        assert!(!strip(" SUBSYSTEM=pci", false).0.kmsg_dict);
        assert!(!strip(" lock_acquire+0x1/0x2", true).0.kmsg_dict);
    }

    #[test]
    fn dmesg_ctime_and_decode() {
        let l = "[Sat Nov 21 10:00:00 2026] WARNING: x";
        let (p, t) = strip(l, false);
        assert_eq!(t, "WARNING: x");
        assert_eq!(at(l, p.wall_time), Some("Sat Nov 21 10:00:00 2026"));
        let (p, t) = strip("kern  :warn  : [   1.000000] WARNING: x", false);
        assert_eq!((p.level, t), (Some(4), "WARNING: x"));
        assert_eq!(text("kern  :info  :  #0: (x){+.+.}"), " #0: (x){+.+.}");
    }

    #[test]
    fn syslog_and_journal() {
        let l = "Nov 21 10:00:00 myhost kernel: WARNING: x";
        let (p, t) = strip(l, false);
        assert_eq!(t, "WARNING: x");
        assert_eq!(at(l, p.host), Some("myhost"));
        assert_eq!(at(l, p.wall_time), Some("Nov 21 10:00:00"));
        let l = "2026-11-21T10:00:00.1+00:00 h2 kernel: [  7.000001] x";
        let (p, _) = strip(l, false);
        assert_eq!(at(l, p.host), Some("h2"));
        assert_eq!(at(l, p.timestamp), Some("7.000001"));
        let l = "6,9,10,-;x";
        assert_eq!(at(l, strip(l, false).0.timestamp), Some("10"));
        assert_eq!(
            text("Nov  1 10:00:00 h kernel: [   12.345678]  func+0x1/0x2"),
            " func+0x1/0x2"
        );
        assert_eq!(
            text("2026-11-21T10:00:00.123456+00:00 h kernel: BUG: x"),
            "BUG: x"
        );
        assert_eq!(
            text("Nov 21 10:00:00 h sshd[12]: hi"),
            "Nov 21 10:00:00 h sshd[12]: hi"
        );
    }

    #[test]
    fn mail_quoting() {
        assert_eq!(strip("> > WARNING: x", false).0.quote_depth, 2);
        assert_eq!(text("> > WARNING: x"), "WARNING: x");
        assert_eq!(text(">> [ 1.0]  func+0x1/0x2"), " func+0x1/0x2");
        assert_eq!(text(">"), "");
        assert_eq!(text("> "), "");
    }

    #[test]
    fn more_archive_shapes() {
        assert_eq!(text(": WARNING: x"), "WARNING: x");
        assert_eq!(
            text("other info that might help us debug this:\\x0a"),
            "other info that might help us debug this:"
        );
        assert_eq!(strip("[é] x", false).0.caller, None);
        assert_eq!(strip("[\u{fffd}1] x", false).0.caller, None);
        assert_eq!(strip("6,1,2,-,caller=é;x", false).0.caller, None);
        assert_eq!(
            text("[    1.0] \\x0aand this task is already holding:"),
            "and this task is already holding:"
        );
        assert_eq!(text("| WARNING: x"), "WARNING: x");
        assert_eq!(text("> [  +0.003631] WARNING: x"), "WARNING: x");
        assert_eq!(text("[   95.674507] kernel: BUG: x"), "BUG: x");
        assert_eq!(text("[   95.674507] myhost kernel: BUG: x"), "BUG: x");
        assert_eq!(
            text("> Dec  1 08:35:41 reforged [ 3052.513937] [ BUG: x ]"),
            "[ BUG: x ]"
        );
        assert_eq!(text("[   1.0] kernelfoo: x"), "kernelfoo: x");
    }

    #[test]
    fn ci_mail_and_paste_shapes() {
        // Intel CI: level, a space, the printk time.
        let (p, t) = strip(
            "<4> [  197.079335]  #0: ffff (&x){....}-{2:2}, at: f+0x1/0x2",
            false,
        );
        assert_eq!(
            (p.level, t),
            (Some(4), " #0: ffff (&x){....}-{2:2}, at: f+0x1/0x2")
        );
        assert!(p.timestamp.is_some());
        // A level and a space before text that is not a time stay text.
        assert_eq!(text("<4> hello"), " hello");
        // ` | ` quoting.
        let (p, t) = strip(" |  dump_backtrace+0x15d/0xd84", false);
        assert_eq!((p.quote_depth, t), (1, " dump_backtrace+0x15d/0xd84"));
        assert_eq!(text(" | BUG: x"), "BUG: x");
        // A bare `kernel: ` tag, with rsyslog's `#012` for an embedded
        // newline.
        assert_eq!(
            text("> kernel: #012but task is already holding lock:"),
            "but task is already holding lock:"
        );
        assert_eq!(text("kernel: [   12.5] WARNING: x"), "WARNING: x");
        assert_eq!(text("kernelfoo: x"), "kernelfoo: x");
        // Mail quoting with indentation and tabs.
        let (p, t) = strip("  > >\t[    1.0]  f+0x1/0x2", false);
        assert_eq!((p.quote_depth, t), (2, " f+0x1/0x2"));
        assert_eq!(strip(">\t> x", false), strip("> > x", false));
        assert_eq!(text(">   [<c0100>] f+0x1/0x2"), "  [<c0100>] f+0x1/0x2");
        // Indented as a code block.
        assert_eq!(text("    [   12.345678] WARNING: x"), "WARNING: x");
        assert_eq!(text("    lock_acquire+0x1/0x2"), "    lock_acquire+0x1/0x2");
        // Markdown fences.
        let (p, t) = strip("```text", false);
        assert!(p.fence);
        assert_eq!(t, "");
        assert_eq!(text("> ```"), "");
        assert_eq!(text("```[  1.0] WARNING: x"), "WARNING: x");
        assert_eq!(text("``not a fence"), "``not a fence");
        // Kernel text that only looks like quoting.
        assert_eq!(text(" -> #1 (&x){+.+.}:"), " -> #1 (&x){+.+.}:");
        assert_eq!(text("a | b"), "a | b");
        assert_eq!(text(" |x"), " |x");
    }

    #[test]
    fn console_text_glued_before_a_line() {
        let full = "buildhost login: [ 1120.078639] INFO: trying to register non-static key.";
        let (_, text) = strip(full, false);
        let (p, start) = strip_glued(full, text).unwrap();
        assert_eq!(&full[start..], "INFO: trying to register non-static key.");
        assert_eq!(at(full, p.timestamp), Some("1120.078639"));
        let full = "> syzkaller login: [   16.3][ T1] WARNING: x";
        let (q, text) = strip(full, false);
        let (p, start) = strip_glued(full, text).unwrap();
        assert_eq!((&full[start..], q.quote_depth), ("WARNING: x", 1));
        assert_eq!(p.caller, Some(Caller::Task(1)));
        assert!(strip_glued("[ 1.0] x", "[ 1.0] x").is_none());
        assert!(strip_glued("a[1.0] x", "a[1.0] x").is_none());
        assert!(strip_glued("a [1.0] ", "a [1.0] ").is_none());
        assert!(strip_glued("no time here", "no time here").is_none());
    }

    #[test]
    fn vendor_tags_and_locale_decimal_commas() {
        assert_eq!(
            text("[name:lockdep&]WARNING: inconsistent lock state"),
            "WARNING: inconsistent lock state"
        );
        assert_eq!(text("[  12.345678] [name:ufs_mtk&]x"), "x");
        assert_eq!(text("[name:has space&]x"), "[name:has space&]x");
        let (p, t) = strip(
            "[+0,003927] WARNING: possible recursive locking detected",
            false,
        );
        assert_eq!(t, "WARNING: possible recursive locking detected");
        assert!(p.timestamp.is_some());
        // Not a timestamp: a comma with other than six digits.
        assert_eq!(text("[0,1] x"), "[0,1] x");
    }

    #[test]
    fn crlf_and_plain() {
        assert_eq!(text("plain text\r"), "plain text");
        assert_eq!(text(" -> #1 (&x){+.+.}:"), " -> #1 (&x){+.+.}:");
        assert_eq!(
            text("[<ffffffff81234567>] func+0x1/0x2"),
            "[<ffffffff81234567>] func+0x1/0x2"
        );
    }
}
