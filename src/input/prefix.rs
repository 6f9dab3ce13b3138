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
    Task(u32),
    Cpu(u32),
}

/// Where a stripped field sits in the line given to [`strip`], as byte
/// offsets: recording it costs no allocation, which matters because every
/// line inside a report is stripped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Span {
    pub start: u32,
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
    pub caller: Option<Caller>,
    /// True when the line is a /dev/kmsg dictionary line (` KEY=value`)
    /// rather than kernel text.
    pub kmsg_dict: bool,
    /// True when the line was a /dev/kmsg record header.
    pub kmsg: bool,
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

    // Transport prefixes: at most one of these.
    if let Some((rest, host, time)) = strip_syslog(line) {
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
        if let Some((rest, caller)) = strip_caller(line) {
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
    // `dmesg` and journald escape a newline embedded in a record
    // (`pr_warn("\nfoo")`) as a literal `\x0a`.
    while let Some(rest) = line.strip_prefix("\\x0a") {
        line = rest;
    }
    while let Some(rest) = line.strip_suffix("\\x0a") {
        line = rest;
    }
    (p, line)
}

/// `> `, `>> `, `> > `, `>` ... Returns the depth and the rest. Quoting is
/// only recognised at the very start of a line. Some mail and web archives
/// quote with `: ` or `| ` instead; kernel lines never start with those.
fn strip_quote(line: &str) -> (u8, &str) {
    let b = line.as_bytes();
    let mut i = 0;
    let mut depth: u8 = 0;
    let mut last_end = 0;
    while i < b.len() {
        let alt_quote =
            matches!(b[i], b':' | b'|') && (b.get(i + 1) == Some(&b' ') || i + 1 == b.len());
        if b[i] == b'>' || alt_quote {
            depth = depth.saturating_add(1);
            i += 1;
            last_end = i;
            // One optional space after each `>`.
            if i < b.len() && b[i] == b' ' {
                // Only eat the space if another `>` follows or it is the
                // separator before the quoted text.
                i += 1;
                last_end = i;
            }
        } else {
            break;
        }
    }
    if depth == 0 {
        return (0, line);
    }
    (depth, &line[last_end..])
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
    if dot == start || b.get(dot) != Some(&b'.') {
        return None;
    }
    let close = digits(dot + 1);
    if close == dot + 1 || b.get(close) != Some(&b']') {
        return None;
    }
    Some((&line[close + 1..], &line[start..close]))
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
    fn crlf_and_plain() {
        assert_eq!(text("plain text\r"), "plain text");
        assert_eq!(text(" -> #1 (&x){+.+.}:"), " -> #1 (&x){+.+.}:");
        assert_eq!(
            text("[<ffffffff81234567>] func+0x1/0x2"),
            "[<ffffffff81234567>] func+0x1/0x2"
        );
    }
}
