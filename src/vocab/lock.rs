//! Lock lines, as `print_lock()` and friends print them across versions:
//!
//! * <=4.15: ` (&mm->mmap_sem){++++}, at: [<ffffffff81234567>] func+0x1/0x2`
//! * 4.17-5.9: `00000000deadbeef (&mm->mmap_sem){++++}, at: func+0x1/0x2`
//! * 5.10+: `ffff888012345678 (&mm->mmap_lock){++++}-{3:3}, at: func+0x1/0x2`
//! * held-lock entries add ` #N: ` in front; chain entries are
//!   `-> #N (class){usage}-{o:i}:`; irq reports print bare ` (class){usage}`.
//!
//! Class names are kept exactly as printed. They may themselves contain
//! parentheses (`(work_completion)(&x->work)`, `&q->q_usage_counter(io)#55`),
//! so the name ends at the `)` that precedes the usage braces, not the first
//! `)`.

use nom::{
    bytes::complete::{tag, take_while1},
    character::complete::{char, digit1, space0},
    combinator::map_res,
    sequence::{delimited, preceded, separated_pair, tuple},
    IResult,
};

use super::frame::parse_frame;
use crate::model::{FrameContext, IrqContext, Lock, Task, UsageBit, UsageChar, WaitType};
use crate::vocab::trim::TrimWs;

fn usage_char(c: char) -> Option<UsageChar> {
    match c {
        '.' => Some(UsageChar::Unused),
        '-' => Some(UsageChar::InIrq),
        '+' => Some(UsageChar::IrqEnabled),
        '?' => Some(UsageChar::Both),
        _ => None,
    }
}

/// Decode a usage string body (without braces): for each state in
/// lockdep_states.h order, the write char then the read char. Four chars
/// mean HARDIRQ, SOFTIRQ (4.14+); six add RECLAIM_FS (2.6.29-4.13).
pub fn decode_usage(body: &str) -> Option<Vec<UsageBit>> {
    const STATES: [&str; 3] = ["HARDIRQ", "SOFTIRQ", "RECLAIM_FS"];
    // Every usage character is ASCII, so bytes are characters here.
    let chars = body.as_bytes();
    if chars.is_empty() || chars.len() % 2 != 0 || chars.len() > 6 {
        return None;
    }
    let mut out = Vec::with_capacity(chars.len());
    for (i, c) in chars.iter().enumerate() {
        out.push(UsageBit {
            state: STATES[i / 2],
            access: if i % 2 == 0 { "write" } else { "read" },
            mark: usage_char(char::from(*c))?,
        });
    }
    Some(out)
}

fn usage_body(i: &str) -> IResult<&str, &str> {
    delimited(
        char('{'),
        take_while1(|c| matches!(c, '.' | '-' | '+' | '?')),
        char('}'),
    )(i)
}

fn small_u8(i: &str) -> IResult<&str, u8> {
    map_res(digit1, str::parse::<u8>)(i)
}

/// `-{3:3}`
fn wait_type(i: &str) -> IResult<&str, WaitType> {
    let (i, (outer, inner)) = preceded(
        tag("-{"),
        nom::sequence::terminated(separated_pair(small_u8, char(':'), small_u8), char('}')),
    )(i)?;
    Ok((i, WaitType { outer, inner }))
}

/// `context-{4:4}` of invalid-wait-context reports.
pub fn parse_wait_context(line: &str) -> Option<WaitType> {
    let rest = line.trim_ws().strip_prefix("context")?;
    wait_type(rest).ok().map(|(_, w)| w)
}

/// Find the end of a parenthesised class name starting at `s[0] == '('`:
/// the `)` immediately followed by `{`, or else the last `)` before `, at:`
/// / end of text.
fn split_class(s: &str) -> Option<(&str, &str)> {
    let body = s.strip_prefix('(')?;
    // Prefer `){` followed by a valid usage string.
    for at in memchr::memchr_iter(b')', body.as_bytes()) {
        if body.as_bytes().get(at + 1) == Some(&b'{') && usage_body(&body[at + 1..]).is_ok() {
            return Some((&body[..at], &body[at + 1..]));
        }
    }
    // No usage: the name runs to the last `)` before `, at:`/` at:`/end.
    let end_search = body
        .find(", at:")
        .or_else(|| body.find(") at:").map(|p| p + 1))
        .unwrap_or(body.len());
    let close = body[..end_search].rfind(')')?;
    Some((&body[..close], &body[close + 1..]))
}

/// Parse the `at:` part: `, at: [<addr>] func+0x1/0x2` or `, at: func+...`.
fn parse_at(rest: &str, no: u64) -> Option<crate::model::Frame> {
    let idx = rest.find("at:")?;
    let after = rest[idx + 3..].trim_ws();
    parse_frame(after, FrameContext::Task, no)
}

/// Parse a lock line (without the ` #N: ` prefix). Returns `None` when the
/// text is not lock-shaped.
pub fn parse_lock(text: &str, no: u64) -> Option<Lock> {
    let (address, class, mut rest) = lock_head(text)?;
    let mut lock = Lock {
        source_line: no,
        address: address.map(str::to_string),
        class: class.to_string(),
        ..Lock::default()
    };
    if let Ok((r, body)) = usage_body(rest) {
        lock.usage = Some(format!("{{{body}}}"));
        lock.usage_bits = decode_usage(body).unwrap_or_default();
        rest = r;
        if let Ok((r, w)) = wait_type(rest) {
            lock.wait = Some(w);
            rest = r;
        }
    }
    lock.at = parse_at(rest, no);
    Some(lock)
}

/// A lock line whose class is printed bare, without its parentheses and
/// usage: `&sb->s_type->i_mutex_key#14, at: iterate_dir+0x7d/0x15c` (a
/// report trimmed by hand in a changelog or a mail), `ffff8880 &x->lock`
/// (an address, then the class), or the class alone. Only a reader that
/// already expects a lock line (after `is trying to acquire lock:`, or
/// behind a held-lock index) asks this: on its own such a line is not
/// recognisably a lock. `None` for anything with spaces in the class, a
/// frame, a header (a `:` in the name) or a line ending a sentence.
pub fn parse_bare_lock(text: &str, no: u64) -> Option<Lock> {
    let t = text.trim_ws();
    let (head, at) = match t.find(", at:") {
        Some(pos) => (&t[..pos], Some(&t[pos..])),
        None => (t, None),
    };
    let mut words = head.split_whitespace();
    let (address, class) = match (words.next()?, words.next(), words.next()) {
        (class, None, None) => (None, class),
        (addr, Some(class), None)
            if addr == "<RELEASED>"
                || (addr.len() >= 8 && addr.bytes().all(|c| c.is_ascii_hexdigit())) =>
        {
            (Some(addr), class)
        }
        _ => return None,
    };
    if !is_bare_class(class) {
        return None;
    }
    let frame = match at {
        Some(rest) => Some(parse_at(rest, no)?),
        None => None,
    };
    Some(Lock {
        source_line: no,
        address: address.map(str::to_string),
        class: class.to_string(),
        at: frame,
        ..Lock::default()
    })
}

/// Whether `c` can be a lock class name printed without its parentheses:
/// one word of the characters class names are made of (C expressions,
/// `#N` and `/N` suffixes, `[depth]` indexes), balanced, not an address,
/// not a frame (`func+0x1/0x2`), not a header word (`Call Trace:`).
fn is_bare_class(c: &str) -> bool {
    let b = c.as_bytes();
    let Some(&first) = b.first() else {
        return false;
    };
    if c.len() > 200
        || !(first.is_ascii_alphabetic() || first == b'&' || first == b'_' || first == b'*')
        || c.contains("+0x")
        || c.ends_with(['.', '!', ',', ';'])
        || (c.len() >= 8 && b.iter().all(|x| x.is_ascii_hexdigit()))
    {
        return false;
    }
    let mut paren = 0i32;
    let mut bracket = 0i32;
    for &x in b {
        match x {
            b'(' => paren += 1,
            b')' => paren -= 1,
            b'[' => bracket += 1,
            b']' => bracket -= 1,
            b'&' | b'-' | b'>' | b'_' | b'#' | b'/' | b'.' | b'*' => {}
            x if x.is_ascii_alphanumeric() => {}
            _ => return false,
        }
        if paren < 0 || bracket < 0 {
            return false;
        }
    }
    paren == 0 && bracket == 0
}

/// A held-lock entry whose class is printed bare (` #0: ffff8880
/// &ovl_i_mutex_key[depth]`): see [`parse_bare_lock`].
pub fn parse_bare_held_lock(text: &str, no: u64) -> Option<Lock> {
    let (rest, n) = held_index(text).ok()?;
    let mut lock = parse_bare_lock(rest, no)?;
    lock.index = Some(n);
    Some(lock)
}

/// What every lock line starts with: the instance address or marker (if
/// printed), the class name, and the rest (usage, wait type, `at:`). `None`
/// when the text is not lock-shaped; nothing after the class can make it so.
fn lock_head(text: &str) -> Option<(Option<&str>, &str, &str)> {
    let mut t = text.trim_start_ws();
    let mut address = None;
    // `(ptrval)` is the 32-bit spelling of the unhashed-pointer marker.
    if let Some(marker) = ["<RELEASED>", "(____ptrval____)", "(ptrval)"]
        .iter()
        .find(|m| t.starts_with(**m))
    {
        // A racy dump's released entry; an early-boot unhashed pointer.
        t = t[marker.len()..].trim_start_ws();
        address = Some(*marker);
    } else if !t.starts_with('(') {
        // An instance address: hex digits, then a space.
        let sp = t.find(' ')?;
        let addr = &t[..sp];
        if addr.len() < 8 || !addr.bytes().all(|c| c.is_ascii_hexdigit()) {
            return None;
        }
        address = Some(addr);
        t = t[sp..].trim_start_ws();
    }
    let (class, rest) = split_class(t)?;
    if class.is_empty() {
        return None;
    }
    Some((address, class, rest))
}

/// Whether [`parse_held_lock`] would find a held-lock entry in `text`,
/// without building it: the segmenter asks this of every line of a
/// held-locks dump just to see where the dump ends.
pub fn is_held_lock(text: &str) -> bool {
    held_index(text).is_ok_and(|(rest, _)| lock_head(rest).is_some())
}

/// A held-lock entry: ` #N: <lock line>`.
pub fn parse_held_lock(text: &str, no: u64) -> Option<Lock> {
    let (rest, n) = held_index(text).ok()?;
    let mut lock = parse_lock(rest, no)?;
    lock.index = Some(n);
    Some(lock)
}

fn held_index(i: &str) -> IResult<&str, u32> {
    delimited(
        tuple((space0, char('#'))),
        map_res(digit1, str::parse::<u32>),
        char(':'),
    )(i)
}

/// A chain entry header `-> #N (class){usage}-{o:i}:`.
pub fn parse_chain_header(text: &str, no: u64) -> Option<(u32, Lock)> {
    let (rest, n) = chain_index(text).ok()?;
    let body = rest.trim_ws().strip_suffix(':')?;
    let lock = parse_lock(body, no)?;
    Some((n, lock))
}

fn chain_index(i: &str) -> IResult<&str, u32> {
    preceded(
        tuple((space0, tag("->"), space0, char('#'))),
        map_res(digit1, str::parse::<u32>),
    )(i)
}

/// `N lock(s) held by comm/pid:` or `no locks held by comm/pid.`
/// Returns (count, task).
pub fn parse_held_header(text: &str) -> Option<(u32, Option<Task>)> {
    let t = text.trim_ws();
    // A count or `no`: most lines are rejected by their first byte.
    if !t
        .as_bytes()
        .first()
        .is_some_and(|c| c.is_ascii_digit() || *c == b'n')
    {
        return None;
    }
    let (count, rest) = if let Some(r) = t.strip_prefix("no locks held by ") {
        (0, r)
    } else {
        let sp = t.find(' ')?;
        let n: u32 = t[..sp].parse().ok()?;
        let r = t[sp + 1..]
            .strip_prefix("locks held by ")
            .or_else(|| t[sp + 1..].strip_prefix("lock held by "))?;
        (n, r)
    };
    let rest = rest.trim_end_matches([':', '.']);
    Some((count, parse_task(rest)))
}

/// `comm/pid` where comm may itself contain `/` (`kworker/u8:3/123`).
pub fn parse_task(s: &str) -> Option<Task> {
    let s = s.trim_ws();
    let slash = s.rfind('/')?;
    let pid: u32 = s[slash + 1..].parse().ok()?;
    let comm = &s[..slash];
    if comm.is_empty() {
        return None;
    }
    Some(Task {
        comm: comm.to_string(),
        pid,
    })
}

fn hc_field<'a>(name: &'static str) -> impl FnMut(&'a str) -> IResult<&'a str, (u32, u32)> {
    move |i| {
        let (i, _) = tag(name)(i)?;
        let (i, a) = map_res(digit1, str::parse::<u32>)(i)?;
        let (i, b) = delimited(char('['), map_res(digit1, str::parse::<u32>), char(']'))(i)?;
        Ok((i, (a, b)))
    }
}

fn flag_field<'a>(name: &'static str) -> impl FnMut(&'a str) -> IResult<&'a str, bool> {
    move |i| {
        let (i, _) = tag(name)(i)?;
        let (i, v) = map_res(digit1, str::parse::<u32>)(i)?;
        Ok((i, v != 0))
    }
}

/// `[HC0[0]:SC1[1]:HE1:SE0]` anywhere in a context line.
pub fn parse_irq_context(text: &str) -> Option<IrqContext> {
    let start = text.find("[HC")?;
    let s = &text[start + 1..];
    let (_, ((hc, hcn), _, (sc, scn), _, he, _, se)) = tuple((
        hc_field("HC"),
        char(':'),
        hc_field("SC"),
        char(':'),
        flag_field("HE"),
        char(':'),
        flag_field("SE"),
    ))(s)
    .ok()?;
    Some(IrqContext {
        hardirq: hc,
        hardirq_count: hcn,
        softirq: sc,
        softirq_count: scn,
        hardirqs_enabled: he,
        softirqs_enabled: se,
    })
}

/// ` (A){..} -> (B){..}` of `which would create a new lock dependency:`.
pub fn parse_dependency(text: &str, no: u64) -> Option<(Lock, Lock)> {
    let t = text.trim_ws();
    let mut from = 0;
    while let Some(pos) = t[from..].find(" -> (") {
        let at = from + pos;
        if let (Some(a), Some(b)) = (parse_lock(&t[..at], no), parse_lock(&t[at + 4..], no)) {
            return Some((a, b));
        }
        from = at + 4;
    }
    None
}

/// An optional helper for `is trying to release lock (name) at:` lines:
/// the class between the first `(` and the last `)` before ` at:`.
pub fn class_in_parens(text: &str) -> Option<String> {
    let open = text.find('(')?;
    let end = text.rfind(") at:").or_else(|| text.rfind(')'))?;
    if end <= open {
        return None;
    }
    Some(text[open + 1..end].to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The segmenter's cheap test says what the full parse would, on every
    /// line of every fixture and on look-alikes.
    #[test]
    fn is_held_lock_agrees_with_parse_held_lock() {
        let mut held = 0;
        crate::test_support::for_each_fixture_line(|_, l| {
            let full = parse_held_lock(l.text, 1).is_some();
            assert_eq!(is_held_lock(l.text), full, "{}", l.text);
            held += usize::from(full);
        });
        assert!(held > 50, "only {held} held-lock lines in the fixtures");
        for t in [
            " #0: (x){+.+.}, at: f+0x1/0x2",
            " #1: ffff8880 (&x->y){++++}-{3:3}",
            " #2: <RELEASED> (z){....}",
            " #3: 1234 (short address){+.+.}",
            " #4: ()",
            " #5 (no colon){+.+.}",
            " #6: ffff8880",
        ] {
            assert_eq!(is_held_lock(t), parse_held_lock(t, 1).is_some(), "{t}");
        }
    }

    /// lib/vsprintf.c (4.15+) prints `(____ptrval____)` for an unhashed
    /// pointer on 64-bit and `(ptrval)` on 32-bit, before the hash key is
    /// ready.
    #[test]
    fn unhashed_pointer_markers_are_addresses_not_classes() {
        for m in ["(____ptrval____)", "(ptrval)"] {
            let l = parse_held_lock(
                &format!(" #0: {m} (cpu_hotplug_lock.rw_sem){{++++}}, at: f+0x1/0x2"),
                1,
            )
            .unwrap();
            assert_eq!(l.address.as_deref(), Some(m));
            assert_eq!(l.class, "cpu_hotplug_lock.rw_sem");
        }
    }

    #[test]
    fn old_style_lock_line() {
        let l = parse_lock(
            " (&sb->s_type->i_mutex_key#9){+.+.+.}, at: [<ffffffff81234567>] do_last+0x1/0x2",
            3,
        )
        .unwrap();
        assert_eq!(l.class, "&sb->s_type->i_mutex_key#9");
        assert_eq!(l.usage.as_deref(), Some("{+.+.+.}"));
        assert_eq!(l.usage_bits.len(), 6);
        assert_eq!(l.usage_bits[4].state, "RECLAIM_FS");
        assert_eq!(l.address, None);
        let at = l.at.unwrap();
        assert_eq!(at.function, "do_last");
        assert_eq!(at.address, Some(0xffffffff81234567));
    }

    #[test]
    fn modern_lock_line_with_wait_type() {
        let l = parse_lock(
            "ffff888012345678 (&mm->mmap_lock){++++}-{3:3}, at: __might_fault+0x8f/0x110",
            1,
        )
        .unwrap();
        assert_eq!(l.class, "&mm->mmap_lock");
        assert_eq!(l.address.as_deref(), Some("ffff888012345678"));
        assert_eq!(l.wait, Some(WaitType { outer: 3, inner: 3 }));
        assert_eq!(l.usage_bits[0].mark, UsageChar::IrqEnabled);
        assert_eq!(l.at.unwrap().function, "__might_fault");
    }

    #[test]
    fn class_names_with_parentheses() {
        let l = parse_lock(
            "ffffc90000e7fd80 ((work_completion)(&(&wb->dwork)->work)){+.+.}-{0:0}, at: process_one_work+0x1/0x2",
            1,
        )
        .unwrap();
        assert_eq!(l.class, "(work_completion)(&(&wb->dwork)->work)");
        let l = parse_lock(
            "ffff88801 ((wq_completion)events){+.+.}-{0:0}, at: x+0x1/0x2",
            1,
        )
        .unwrap();
        assert_eq!(l.class, "(wq_completion)events");
        let l = parse_lock(
            "ffff88801 (&q->q_usage_counter(io)#55){++++}-{0:0}, at: x+0x1/0x2",
            1,
        )
        .unwrap();
        assert_eq!(l.class, "&q->q_usage_counter(io)#55");
        let l = parse_lock(
            " (&ei->i_data_sem/2){++++}, at: [<0000000084f438c2>] y+0x1/0x2",
            1,
        )
        .unwrap();
        assert_eq!(l.class, "&ei->i_data_sem/2");
        let l = parse_lock(" (fs_reclaim){+.+.}", 1).unwrap();
        assert_eq!(l.class, "fs_reclaim");
        assert!(l.at.is_none());
    }

    #[test]
    fn held_lock_entries() {
        let l = parse_held_lock(
            " #0:  (&type->s_umount_key#31){++++.+}, at: [<ffffffff81>] f+0x1/0x2",
            1,
        )
        .unwrap();
        assert_eq!(l.index, Some(0));
        assert_eq!(l.class, "&type->s_umount_key#31");
        let l = parse_held_lock(
            " #12: ffff8880 (rcu_read_lock){....}-{1:2}, at: g+0x1/0x2",
            1,
        )
        .unwrap();
        assert_eq!(l.index, Some(12));
        assert_eq!(l.wait, Some(WaitType { outer: 1, inner: 2 }));
        assert!(parse_held_lock(" #0: garbage", 1).is_none());
    }

    #[test]
    fn chain_headers() {
        let (n, l) = parse_chain_header("-> #1 (fs_reclaim){+.+.}-{0:0}:", 1).unwrap();
        assert_eq!((n, l.class.as_str()), (1, "fs_reclaim"));
        let (n, l) = parse_chain_header("-> #0 (&mm->mmap_sem){++++}:", 1).unwrap();
        assert_eq!((n, l.class.as_str()), (0, "&mm->mmap_sem"));
        assert!(parse_chain_header("-> #x", 1).is_none());
    }

    #[test]
    fn held_headers_and_tasks() {
        let (n, t) = parse_held_header("3 locks held by kworker/u8:3/1234:").unwrap();
        assert_eq!(n, 3);
        let t = t.unwrap();
        assert_eq!((t.comm.as_str(), t.pid), ("kworker/u8:3", 1234));
        let (n, t) = parse_held_header("no locks held by swapper/0/1.").unwrap();
        assert_eq!((n, t.unwrap().pid), (0, 1));
        let (n, _) = parse_held_header("1 lock held by sshd/24800:").unwrap();
        assert_eq!(n, 1);
        assert!(parse_held_header("Showing all locks held").is_none());
    }

    #[test]
    fn irq_context_and_dependency_and_wait_context() {
        let c = parse_irq_context("swapper/0/0 [HC0[0]:SC1[1]:HE1:SE0] takes:").unwrap();
        assert_eq!(
            (
                c.softirq,
                c.softirq_count,
                c.hardirqs_enabled,
                c.softirqs_enabled
            ),
            (1, 1, true, false)
        );
        let (a, b) = parse_dependency(" (&(&q->lock)->rlock){..-.} -> (&x->y){+.+.}", 1).unwrap();
        assert_eq!(a.class, "&(&q->lock)->rlock");
        assert_eq!(b.class, "&x->y");
        assert_eq!(
            parse_wait_context("context-{4:4}"),
            Some(WaitType { outer: 4, inner: 4 })
        );
        assert_eq!(
            class_in_parens("syz/1 is trying to release lock (&mrt->mfc_lock) at:").as_deref(),
            Some("&mrt->mfc_lock")
        );
    }

    #[test]
    fn bare_class_lock_lines() {
        let l =
            parse_bare_lock("&sb->s_type->i_mutex_key#14, at: iterate_dir+0x7d/0x15c", 3).unwrap();
        assert_eq!(l.class, "&sb->s_type->i_mutex_key#14");
        assert_eq!(l.at.unwrap().function, "iterate_dir");
        assert!(l.address.is_none() && l.usage.is_none());
        let l = parse_bare_held_lock(" #0: ffff888012345678 &ovl_i_mutex_key[depth]", 1).unwrap();
        assert_eq!(l.index, Some(0));
        assert_eq!(l.class, "&ovl_i_mutex_key[depth]");
        assert_eq!(l.address.as_deref(), Some("ffff888012345678"));
        let l = parse_bare_lock("&q->q_usage_counter(io)#55", 1).unwrap();
        assert_eq!(l.class, "&q->q_usage_counter(io)#55");
        for t in [
            "ffff888012345678",
            "Call Trace:",
            "dump_stack+0x1/0x2",
            "iterate_dir+0x7d/0x15c",
            "(fs_reclaim){+.+.}",
            "other info that might help us debug this:",
            "lock(&a->b);",
            "&x->y, at: not a frame at all",
            "*** DEADLOCK ***",
            "...",
            "&a[0",
        ] {
            assert!(parse_bare_lock(t, 1).is_none(), "{t}");
        }
    }

    #[test]
    fn usage_decoding() {
        let bits = decode_usage("-.-.").unwrap();
        assert_eq!(bits[0].mark, UsageChar::InIrq);
        assert_eq!(bits[1].access, "read");
        assert!(decode_usage("+.+").is_none());
        assert!(decode_usage("xx").is_none());
    }
}
