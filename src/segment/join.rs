//! Rejoining lines that a mail client, a narrow terminal or a broken
//! `pr_cont` split, before segmentation sees them.
//!
//! A join is made only where it is certain: the pieces together read as
//! one line of a shape the line vocabulary knows (a banner, a lock line
//! with its `at:` frame, a held-lock entry, a frame, the `CPU: ... Comm:`
//! line with its kernel version, `in_atomic(): ... name: comm`), and the
//! first piece alone is not that whole line (a banner that does not match,
//! a lock line whose `at:` is empty, a frame cut after `+0x1f/`). The
//! continuation must sit at the same mail-quoting depth and come from the
//! same printk caller (see [`may_continue`]). Every join is recorded with the line
//! numbers of its pieces ([`crate::segment::RawReport::joined`]), so a
//! reader can see what was put together.
//!
//! [`pair`] decides two pieces; [`held_pieces`] decides a held-lock entry
//! printed in several pieces (`#0: ` / `ffff...` / ` (` / `class` /
//! `){+.+.}-{3:3}` / `, at: ...`), which is only joined once the pieces
//! make a whole entry.

use crate::input::Prefix;
use crate::model::FrameContext;
use crate::segment::banner::{match_banner, Prefilter};
use crate::vocab::frame::{classify_trace_line, parse_frame_ref, FrameRef, TraceLineRef};
use crate::vocab::lock::parse_held_header;
use crate::vocab::lock::{is_held_lock, parse_chain_header, parse_held_lock, parse_lock};
use crate::vocab::trim::TrimWs;

/// The most pieces one joined line is made of.
pub const MAX_PIECES: usize = 8;

/// May a line with prefix `next` continue a line with prefix `first`?
/// Only at the same quoting depth, from the same printk caller when both
/// name one, and never a /dev/kmsg dictionary line or a fence.
/// A timestamp does not stop a join: a broken `pr_cont` gives each piece
/// its own, and a log stamped after the fact (syslog, a CI harness) stamps
/// a mail-wrapped half like any line. The shapes decide.
pub fn may_continue(first: &Prefix, next: &Prefix) -> bool {
    next.quote_depth == first.quote_depth
        && (first.caller.is_none() || next.caller.is_none() || first.caller == next.caller)
        && !next.kmsg_dict
        && !next.fence
        && !first.kmsg_dict
}

/// The widest line quoted-printable writes (RFC 2045 6.7: 76 characters,
/// the soft break's `=` included), and the narrowest a soft break is
/// trusted on: encoders break as late as they can.
const QP_WIDEST: usize = 76;
const QP_NARROWEST: usize = 60;

/// `a` continued by `b` across a quoted-printable soft break: the encoded
/// line (`a_line_len` bytes as read) ends in a lone `=` at the width
/// encoders break at, and the `=` is not text. Kernel lines do not end in
/// a lone `=` (a ruler is all `=`), so the break is certain; the pieces
/// are joined as they were split, with no space added or removed.
pub fn soft_break(a: &str, a_line_len: usize, b: &str) -> Option<String> {
    let body = a.strip_suffix('=')?;
    // `!=`, `<=`, `+=` ... end C expressions the kernel prints
    // (DEBUG_LOCKS_WARN_ON's condition, a mail client breaking after it);
    // quoted-printable writes a literal `=` as `=3D`, so its soft breaks
    // follow text, not an operator. A ruler is all `=`.
    if body.ends_with([
        '=', '!', '<', '>', '+', '-', '*', '/', '&', '|', '^', '%', '~',
    ]) || b.trim().is_empty()
    {
        return None;
    }
    if !(QP_NARROWEST..=QP_WIDEST).contains(&a_line_len) {
        return None;
    }
    Some(format!("{body}{b}"))
}

/// The joined text of `a` followed by `b` when the two are certainly one
/// line split in two; `None` otherwise.
#[cfg(test)]
pub fn pair(a: &str, b: &str) -> Option<String> {
    pair_bounded(a, b, true, true)
}

/// [`pair`], told which pieces cannot hold a banner needle: `a_may` false
/// when `a` holds none ([`Prefilter::may_match`]), `b_may` likewise (a
/// piece without one has none in any part of it either). The segmenter
/// knows this for most lines from the scan of the raw bytes, and the result
/// is the same as [`pair`]'s.
pub fn pair_bounded(a: &str, b: &str, a_may: bool, b_may: bool) -> Option<String> {
    if let Some(j) = step_after_its_indent(a, b) {
        return Some(j);
    }
    let at = a.trim_end_ws();
    let bt = b.trim_ws();
    if at.trim_start_ws().is_empty() || bt.is_empty() {
        return None;
    }
    let spaced = || format!("{at} {bt}");
    // A banner: the pieces together match the table, neither alone does.
    // Only possible when the pieces together hold a banner needle: in one
    // piece or across the join (tested first, without building the join).
    // The joined text is tried first: most pieces that hold a needle are
    // not banners together either (`kernel/locking/lockdep.c:` frames).
    if needle_in_join(at, bt, a_may, b_may) {
        let j = spaced();
        if match_banner(&j).is_some()
            && (!a_may || match_banner(a).is_none())
            && (!b_may || match_banner(b).is_none())
        {
            return Some(j);
        }
    }
    if let Some(j) = ident(at, b) {
        return Some(j);
    }
    let a0 = at.trim_start_ws();
    // `in_atomic(): 1, ... name:` / `comm`.
    if a0.starts_with("in_atomic():") && a0.ends_with(" name:") && !prints_alone(bt) {
        return Some(spaced());
    }
    if let Some(j) = lock_continued(at, bt) {
        return Some(j);
    }
    // A lock line broken after its instance address (` #1: ffff88814c5be0e8`
    // / `(&type->s_umount_key#58){++++}-{4:4}, at: ...`).
    let addr = memchr::memrchr(b' ', a0.as_bytes()).map_or(a0, |i| &a0[i + 1..]);
    if crate::vocab::body::is_lone_address(addr) && bt.starts_with('(') {
        let j = spaced();
        let head = a0.len() == addr.len() || held_start(at);
        let whole_head = |l: crate::model::Lock| l.usage.is_some();
        if head
            && (parse_lock(&j, 0).is_some_and(whole_head)
                || parse_held_lock(&j, 0).is_some_and(whole_head))
        {
            return Some(j);
        }
    }
    if hardware_continued(a0, bt) {
        return Some(spaced());
    }
    if let Some(j) = scenario_continued(at, bt) {
        return Some(j);
    }
    if let Some(j) = code_continued(a0, at, bt) {
        return Some(j);
    }
    frame_continued(at, bt)
}

/// The bytes x86's `Code:` line prints (arch/x86/kernel/dumpstack.c,
/// show_opcodes(): `PROLOGUE_SIZE` 42 bytes, the byte at the faulting
/// address in `<>`, `EPILOGUE_SIZE` 21 bytes).
const CODE_BYTES: usize = 64;

/// The byte tokens of a piece of a `Code:` line (`0f`, `<0f>`), and how
/// many of them are marked; `None` when any word is something else.
fn code_bytes(t: &str) -> Option<(usize, usize)> {
    let mut n = 0;
    let mut marked = 0;
    for w in t.split_ascii_whitespace() {
        let hex = match w.strip_prefix('<').and_then(|r| r.strip_suffix('>')) {
            Some(h) => {
                marked += 1;
                h
            }
            None => w,
        };
        if hex.len() != 2 || !hex.bytes().all(|c| c.is_ascii_hexdigit()) {
            return None;
        }
        n += 1;
    }
    (n > 0).then_some((n, marked))
}

/// x86's `Code:` line broken by a mail client between two of its bytes:
/// the first piece is `Code:` and bytes only, short of the 64 the kernel
/// prints, and the next is bytes only (no kernel line is), together at
/// most 64 with at most one marked. The pieces are joined with a space.
fn code_continued(a0: &str, at: &str, bt: &str) -> Option<String> {
    let (n1, m1) = code_bytes(a0.strip_prefix("Code: ")?)?;
    let (n2, m2) = code_bytes(bt)?;
    (n1 + n2 <= CODE_BYTES && m1 + m2 <= 1).then(|| format!("{at} {bt}"))
}

/// The frame a line names: a frame line's, or the faulting PC of a
/// register dump (`RIP: 0010:func+0x1f/0x80 file.c:12`).
/// A symbolized PC of an inlined callee has no offset
/// (`RIP: 0010:arch_local_irq_restore arch/x86/include/asm/paravirt.h:767`):
/// it is read as a frame after the code segment selector.
fn frame_or_pc(t: &str) -> Option<FrameRef<'_>> {
    let mut ctx = FrameContext::Task;
    match classify_trace_line(t, &mut ctx) {
        TraceLineRef::Frame(f) | TraceLineRef::Register(Some(f)) => Some(f),
        TraceLineRef::Register(None) => {
            let rest = t
                .trim_start_ws()
                .strip_prefix("RIP: ")
                .or_else(|| t.trim_start_ws().strip_prefix("EIP: "))?;
            let (sel, pc) = rest.split_once(':')?;
            if sel.len() != 4 || !sel.bytes().all(|c| c.is_ascii_hexdigit()) {
                return None;
            }
            frame_of(pc).filter(|f| f.file.is_some())
        }
        _ => None,
    }
}

/// `Hardware name: vendor product, BIOS version date` (dump_stack's arch
/// description, as x86 builds it from DMI) broken by a mail client: before
/// `BIOS` (`... product,` / `BIOS version date`), inside the product
/// (`Google, Inc.` / `product, BIOS`), or after `BIOS` (`..., BIOS` /
/// `version MM/DD/YYYY`). The line names `BIOS` once, so a piece that
/// brings it (or its version and date) continues one that lacks it.
fn hardware_continued(a0: &str, bt: &str) -> bool {
    if !a0.starts_with("Hardware name: ") || prints_alone(bt) {
        return false;
    }
    let has_bios = a0.contains(" BIOS ") || a0.ends_with(", BIOS");
    let is_date = |w: &str| {
        let p: Vec<&str> = w.split('/').collect();
        p.len() == 3
            && p.iter()
                .all(|x| !x.is_empty() && x.bytes().all(|c| c.is_ascii_digit()))
            && p[2].len() == 4
    };
    if !has_bios {
        return (a0.ends_with(',') && bt.starts_with("BIOS "))
            || ((bt.ends_with(", BIOS") || bt.contains(", BIOS ")) && !bt.contains("Hardware"));
    }
    // `..., BIOS` / `version date`: the version and its date, nothing more.
    let words: Vec<&str> = bt.split_whitespace().collect();
    a0.ends_with(", BIOS")
        && (1..=3).contains(&words.len())
        && words.last().is_some_and(|w| is_date(w))
}

/// A step of the scenario table (`lock(class);`, `rlock(...)`,
/// `sync(...)`) broken inside its class by a mail client:
/// `                               lock(&sb->s_type->i_mutex_key` / `#14/1);`.
/// The first piece opens the step and does not close it; the second is the
/// rest of the class and the `);` that ends every step, nothing else. The
/// step keeps the first piece's indent (its CPU column).
fn scenario_continued(at: &str, bt: &str) -> Option<String> {
    let a0 = at.trim_start_ws();
    // Every step ends with `);`: the cheapest test first.
    if !bt.ends_with(");") {
        return None;
    }
    let (action, class) = a0.split_once('(')?;
    if action.is_empty()
        || !action.bytes().all(|c| c.is_ascii_lowercase() || c == b'_')
        || class.is_empty()
        || class.contains(';')
        || bt.contains(char::is_whitespace)
        || bt.matches(';').count() != 1
    {
        return None;
    }
    let rest = bt.strip_suffix(");")?;
    // A break at a space inside the class (`&per_cpu(x, cpu)`) keeps it.
    let sep = if class.ends_with(',') { " " } else { "" };
    let body = format!("{class}{sep}{rest}");
    let depth = body.bytes().try_fold(0i32, |d, c| {
        let d = match c {
            b'(' => d + 1,
            b')' => d - 1,
            _ => d,
        };
        (d >= 0).then_some(d)
    });
    (depth == Some(0)).then(|| format!("{at}{sep}{bt}"))
}

/// A scenario step whose line a mail client broke at the last space of
/// its indentation: a piece of nothing but blanks (lockdep prints no such
/// line; its blank lines are empty), then the step with no indentation
/// (`                               ` / `lock(&ctx->mutex);`). The step
/// gets its indentation (its CPU column) back.
fn step_after_its_indent(a: &str, b: &str) -> Option<String> {
    if a.len() < 2 || !a.bytes().all(|c| c == b' ' || c == b'\t') {
        return None;
    }
    if b.starts_with([' ', '\t']) || !is_scenario_step(b.trim_end_ws()) {
        return None;
    }
    Some(format!("{a}{b}"))
}

/// `lock(class);`, `local_irq_disable();`, `<Interrupt>`: a whole step of
/// the scenario table (the class's parentheses balanced).
fn is_scenario_step(t: &str) -> bool {
    if t == "<Interrupt>" {
        return true;
    }
    let Some((action, rest)) = t.split_once('(') else {
        return false;
    };
    let Some(body) = rest.strip_suffix(");") else {
        return false;
    };
    !action.is_empty()
        && action.bytes().all(|c| c.is_ascii_lowercase() || c == b'_')
        && !body.contains(';')
        && body.bytes().try_fold(0i32, |d, c| {
            let d = match c {
                b'(' => d + 1,
                b')' => d - 1,
                _ => d,
            };
            (d >= 0).then_some(d)
        }) == Some(0)
}

/// Does `at + " " + bt` hold a banner needle (the prefilter of
/// [`match_banner`] on the joined text)? A needle there is in `at`, in `bt`,
/// or covers the space between them ([`Prefilter::spans_join`]).
/// `a_may`/`b_may` false: that piece holds none ([`pair_bounded`]).
fn needle_in_join(at: &str, bt: &str, a_may: bool, b_may: bool) -> bool {
    (a_may && Prefilter::may_match(at.as_bytes()))
        || (b_may && Prefilter::may_match(bt.as_bytes()))
        || Prefilter::spans_join(at.as_bytes(), bt.as_bytes())
}

/// Lines the kernel prints on their own, which never continue another.
fn prints_alone(t: &str) -> bool {
    match_banner(t).is_some()
        || parse_lock(t, 0).is_some()
        || is_held_lock(t)
        || parse_held_header(t).is_some()
        || parse_frame_ref(t, FrameContext::Task).is_some()
        || [
            "CPU: ",
            "Hardware name: ",
            "Call Trace:",
            "Call trace:",
            "preempt_count:",
        ]
        .iter()
        .any(|p| t.starts_with(p))
}

/// A kernel release as printed (`5.16.0`, `4.17.0-rc2+`, `2.6.29`).
fn is_release(w: &str) -> bool {
    let mut parts = w.splitn(2, '.');
    let major = parts.next().unwrap_or("");
    let rest = parts.next().unwrap_or("");
    !major.is_empty()
        && major.len() <= 2
        && major.bytes().all(|c| c.is_ascii_digit())
        && rest.bytes().next().is_some_and(|c| c.is_ascii_digit())
}

fn has_release(t: &str) -> bool {
    t.split_whitespace().any(is_release)
}

/// `CPU: 1 PID: 812 Comm: frobd Not tainted` / `5.16.0 #3`, the same with
/// `Tainted: G W`, split at `Comm:`, or a hung task's `Not tainted` line.
fn ident(at: &str, b: &str) -> Option<String> {
    let bt = b.trim_ws();
    let a0 = at.trim_start_ws();
    let cpu_line = (a0.starts_with("CPU: ") && a0.contains("PID: ")) || a0.starts_with("Pid: ");
    let taint_line = a0 == "Not tainted" || a0.starts_with("Tainted: ");
    if !(cpu_line || taint_line) || has_release(a0) {
        return None;
    }
    let first = bt.split_whitespace().next()?;
    let continues = is_release(first)
        || (cpu_line && a0.ends_with(" Not") && bt.starts_with("tainted ") && has_release(bt))
        || (cpu_line
            && (a0.ends_with("Comm:") || a0.ends_with("comm:"))
            && (bt.contains("ainted") || has_release(bt)))
        || (cpu_line
            && !a0.contains("omm:")
            && (bt.starts_with("Comm: ") || bt.starts_with("comm: ")));
    let spaced = format!("{at} {bt}");
    if continues && has_release(&spaced) {
        return Some(spaced);
    }
    taint_continued(a0, at, b)
}

/// A CPU or taint line cut inside its taint field (`... Tainted: G` /
/// `       O      5.17.0-dbg-DEV #24`): the rest of the flags, then the
/// release. The continuation's own indent is kept, so the flags keep what
/// the mail client left of their columns. Every word before the release
/// must be a taint flag group the field reading takes.
fn taint_continued(a0: &str, at: &str, b: &str) -> Option<String> {
    let field = a0.split_once("Tainted: ")?.1;
    let (head, used) = crate::kernel::taint::parse_field(field)?;
    if !field[used..].trim_ws().is_empty() {
        return None;
    }
    let bt = b.trim_ws();
    let words: Vec<&str> = bt.split_whitespace().collect();
    let n = words.iter().position(|w| is_release(w))?;
    if n == 0 {
        return None;
    }
    let joined = format!("{at} {}", b.trim_end_ws());
    let jfield = joined.split_once("Tainted: ")?.1;
    let (whole, used) = crate::kernel::taint::parse_field(jfield)?;
    let letters: usize = words[..n].iter().map(|w| w.len()).sum();
    let next = jfield[used..].split_whitespace().next();
    (whole.flags.len() == head.flags.len() + letters && next.is_some_and(is_release))
        .then_some(joined)
}

/// A lock-shaped line (lock line, held-lock entry, chain header) and the
/// text of its `at:` field (what follows `at:`), if it has one.
fn lock_shape(t: &str) -> Option<(bool, Option<&str>)> {
    let at = find_at(t).map(|i| t[i + 3..].trim_ws());
    // A site that is an address alone (`at: [<c0a6a8cd>]`) still awaits
    // its symbol.
    let named = |l: crate::model::Lock| l.at.is_some_and(|f| !f.function.starts_with("0x"));
    if let Some(l) = parse_held_lock(t, 0) {
        return Some((named(l), at));
    }
    if let Some((_, l)) = parse_chain_header(t, 0) {
        return Some((named(l), at));
    }
    parse_lock(t, 0).map(|l| (named(l), at))
}

/// Where the first `at:` in `t` starts (`t.find("at:")`, by its colons).
fn find_at(t: &str) -> Option<usize> {
    let b = t.as_bytes();
    memchr::memchr_iter(b':', b)
        .find(|&i| i >= 2 && &b[i - 2..i] == b"at")
        .map(|i| i - 2)
}

fn has_lock_at(t: &str) -> bool {
    lock_shape(t).is_some_and(|(has, _)| has)
}

/// `[<c0a6a8cd>]` alone (an address whose symbol went to the next line).
fn is_bare_angle(t: &str) -> bool {
    let t = t.trim_ws();
    let t = t.strip_prefix("? ").unwrap_or(t);
    t.strip_prefix("[<")
        .and_then(|r| r.strip_suffix(">]"))
        .is_some_and(|h| !h.is_empty() && h.bytes().all(|c| c.is_ascii_hexdigit()))
}

/// A lock line wrapped before or after its `at:`.
fn lock_continued(at: &str, bt: &str) -> Option<String> {
    // What the pieces must look like for any of the joins below, tested
    // before the (costlier) lock parsers: most lines are frames, with no
    // `at:` and no `at:` to follow.
    let site = find_at(at).map(|i| at[i + 3..].trim_ws());
    let may_join = match site {
        None => bt.starts_with("at:") || bt.starts_with(", at:"),
        Some(f) => {
            is_module_tag(bt)
                || ((f.is_empty() || is_bare_angle(f))
                    && (is_cut_frame(bt) || is_symbol_site(bt) || frame_of(bt).is_some()))
                || (f.ends_with('/') && bt.starts_with("0x"))
                || (!f.is_empty() && is_location(bt))
        }
    };
    if !may_join {
        return None;
    }
    let (has_at, at_text) = lock_shape(at)?;
    // A site whose `[module]` went to the next line.
    if let Some(f) = at_text.filter(|_| is_module_tag(bt)) {
        if frame_of(f).is_some_and(|g| g.module.is_none()) {
            let j = format!("{at} {bt}");
            return lock_shape(&j).is_some_and(|(h, _)| h).then_some(j);
        }
    }
    if has_at {
        return None;
    }
    let joined = match at_text {
        // Split before `at:`.
        None if bt.starts_with("at:") || bt.starts_with(", at:") => {
            if bt.starts_with(',') {
                format!("{at}{bt}")
            } else {
                format!("{at} {bt}")
            }
        }
        // Split after `at:`, or after the `[<address>]` of the frame.
        Some(f)
            if (f.is_empty() || is_bare_angle(f))
                && (frame_of(bt).is_some() || is_cut_frame(bt) || is_symbol_site(bt)) =>
        {
            return Some(format!("{at} {bt}"));
        }
        // Split inside the frame: after `+0x1f/`.
        Some(f) if f.ends_with('/') && bt.starts_with("0x") => format!("{at}{bt}"),
        // A symbolized site whose `file:line [inline]` went to the next line.
        Some(f) if !f.is_empty() && is_location(bt) => format!("{at} {bt}"),
        _ => return None,
    };
    // Split before `at:`: whatever the site is, the line is one lock line
    // (an `at:` line never stands alone); its site may continue further.
    let before = at_text.is_none();
    let whole = if before {
        lock_shape(&joined).is_some_and(|(_, a)| a.is_some_and(|a| !a.is_empty()))
    } else {
        has_lock_at(&joined)
    };
    whole.then_some(joined)
}

/// A site whose location went on to the next line: `[<addr>] inode_lock`,
/// `spin_lock_bh` (a symbol alone, an address before it or not).
fn is_symbol_site(bt: &str) -> bool {
    let t = match bt.strip_prefix("[<").and_then(|r| r.split_once(">]")) {
        Some((hex, rest)) if hex.bytes().all(|c| c.is_ascii_hexdigit()) => rest.trim_ws(),
        Some(_) => return false,
        None => bt,
    };
    !t.is_empty()
        && t.bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'.')
}

/// A frame cut after its offset or the `/` of its size: `func+0x5d9/`.
fn is_cut_frame(bt: &str) -> bool {
    let b = bt.as_bytes();
    let name = b
        .iter()
        .take_while(|&&c| c.is_ascii_alphanumeric() || c == b'_' || c == b'.')
        .count();
    let rest = &bt[name..];
    let Some(hex) = rest.strip_prefix("+0x") else {
        return false;
    };
    let hex = hex.strip_suffix('/').unwrap_or(hex);
    name > 0 && !hex.is_empty() && hex.bytes().all(|c| c.is_ascii_hexdigit())
}

/// `path/file.c:123`, optionally `[inline]` after it (what syzbot's
/// symbolized frames print after the symbol).
fn is_location(bt: &str) -> bool {
    // The first word must hold a `:`: none at all, or whitespace before
    // the first one, and it cannot (most frames and lines, tested without
    // splitting words).
    let b = bt.as_bytes();
    match memchr::memchr(b':', b) {
        None => return false,
        Some(c) if b[..c].iter().any(u8::is_ascii_whitespace) => return false,
        Some(_) => {}
    }
    let mut w = bt.split_whitespace();
    let Some(loc) = w.next() else {
        return false;
    };
    let Some((path, line)) = loc.rsplit_once(':') else {
        return false;
    };
    path.contains('.')
        && !path.contains('(')
        && line.parse::<u32>().is_ok()
        && matches!((w.next(), w.next()), (None, _) | (Some("[inline]"), None))
}

/// `[barfs]`: a module tag alone.
fn is_module_tag(bt: &str) -> bool {
    bt.strip_prefix('[')
        .and_then(|r| r.strip_suffix(']'))
        .is_some_and(|m| {
            let name = m.split_whitespace().next().unwrap_or("");
            !name.is_empty()
                && name
                    .bytes()
                    .all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'-')
                && !name.bytes().all(|c| c.is_ascii_hexdigit())
        })
}

fn frame_of(t: &str) -> Option<FrameRef<'_>> {
    parse_frame_ref(t, FrameContext::Task)
}

/// A frame line wrapped: after its `[<address>]`, inside `+0x1f/0x2a`,
/// before its `[module]` or its `file:line`, or inside `[<file.c:12>]`.
fn frame_continued(at: &str, bt: &str) -> Option<String> {
    let a0 = at.trim_start_ws();
    let indent = |s: &str| s.len() - s.trim_start_ws().len();
    // `[<c009f3f3>]` / `generic_file_buffered_write+0x95/0xea`: the symbol
    // moved to the start of the next line (less indented than a frame).
    if is_bare_angle(a0) && !bt.starts_with("[<") {
        let j = format!("{at} {bt}");
        if frame_of(bt).is_some_and(|f| f.offset.is_some())
            && frame_of(&j).is_some_and(|f| f.address.is_some() && f.offset.is_some())
        {
            return Some(j);
        }
        return None;
    }
    // `func+0x95/` / `0xea`, at the end of any line (a frame, a lock
    // line's site, an irq event): the symbol and its size rejoined.
    if a0.ends_with('/') && bt.starts_with("0x") {
        // Just after the last character that cannot be in a symbol (which
        // may be several bytes long: untrusted text).
        let sym_start = at
            .char_indices()
            .rfind(|&(_, c)| !(c.is_ascii_alphanumeric() || "_.$+/".contains(c)))
            .map_or(0, |(i, c)| i + c.len_utf8());
        let size = bt[2..].bytes().take_while(u8::is_ascii_hexdigit).count();
        let after = bt[2 + size..].chars().next();
        let j = format!("{at}{bt}");
        return (is_cut_frame(&at[sym_start..])
            && size > 0
            && after.is_none_or(|c| c.is_whitespace() || c == ')' || c == ']'))
        .then_some(j);
    }
    // `[<kernel/locking/lockdep.c:269` / `kernel/locking/lockdep.c:22>] func`.
    // Two-byte needles, found by their first byte (a memmem searcher
    // built for each of them costs more than the search).
    let has_close = |t: &str| {
        let b = t.as_bytes();
        memchr::memchr_iter(b'>', b).any(|i| b.get(i + 1) == Some(&b']'))
    };
    let last_open = |t: &str| {
        let b = t.as_bytes();
        memchr::memrchr_iter(b'<', b)
            .find(|&i| i > 0 && b[i - 1] == b'[')
            .map(|i| i - 1)
    };
    if let Some(open) = has_close(bt).then(|| last_open(a0)).flatten() {
        if !has_close(&a0[open..]) && frame_of(a0).is_none() {
            let j = format!("{at} {bt}");
            return frame_of(&j).is_some().then_some(j);
        }
    }
    // A symbolized frame (or a register dump's faulting PC) whose
    // `[inline]` went to the next line: the frame names its file and line
    // and is not inlined yet.
    if bt == "[inline]" {
        let f = frame_or_pc(a0)?;
        let j = format!("{at} {bt}");
        return (f.file.is_some() && !f.inline && frame_or_pc(&j).is_some_and(|g| g.inline))
            .then_some(j);
    }
    // The joins below need a module tag or a location for the next piece:
    // tested before parsing this one.
    let module_tag = is_module_tag(bt);
    if !(module_tag || (indent(bt) == 0 && is_location(bt))) {
        return None;
    }
    let f = frame_or_pc(a0)?;
    if module_tag && f.module.is_none() {
        let j = format!("{at} {bt}");
        return frame_or_pc(&j)
            .is_some_and(|g| g.module.is_some())
            .then_some(j);
    }
    if f.file.is_none() && indent(bt) == 0 && is_location(bt) {
        let j = format!("{at} {bt}");
        return frame_or_pc(&j)
            .is_some_and(|g| g.file.is_some())
            .then_some(j);
    }
    None
}

/// The start of a held-lock entry that is not yet whole (`#0: ` with the
/// rest of the entry still to come).
pub fn held_start(t: &str) -> bool {
    let t0 = t.trim_start_ws();
    let Some(rest) = t0.strip_prefix('#') else {
        return false;
    };
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    digits > 0
        && rest[digits..].starts_with(':')
        && parse_held_lock(t, 0).is_none_or(|l| l.at.is_none())
}

/// Held-lock pieces so far, `so_far`, and the next, `next`: the pieces
/// concatenated as printed (a broken `pr_cont` keeps every space) or, where
/// a mail client dropped the space at the break, with one between. `true`
/// when they make a whole entry with its `at:` frame, `false` when more
/// pieces may complete it; `None` when `next` cannot be one of them.
pub fn held_pieces(so_far: &str, next: &str) -> Option<(String, bool)> {
    let n = next.trim_ws();
    if n.is_empty()
        || held_start(next)
        || parse_held_header(n).is_some()
        || match_banner(n).is_some()
    {
        return None;
    }
    // Inside the class name (an open parenthesis, no usage yet) a space
    // may belong to the name (`&per_cpu(x, cpu)`): a piece that starts
    // with one there cannot be placed with certainty.
    let depth = so_far.bytes().fold(0i32, |d, c| match c {
        b'(' => d + 1,
        b')' => d - 1,
        _ => d,
    });
    let in_class = depth > 0 && !so_far.contains('{');
    if in_class && next.starts_with(char::is_whitespace) {
        return None;
    }
    let direct = format!("{so_far}{next}");
    let spaced = if in_class {
        direct.clone()
    } else {
        format!("{} {}", so_far.trim_end_ws(), next.trim_start_ws())
    };
    let whole = |t: &str| parse_held_lock(t, 0).is_some_and(|l| l.at.is_some());
    if whole(&direct) {
        return Some((direct, true));
    }
    if whole(&spaced) {
        return Some((spaced, true));
    }
    if direct.len() >= 1024 {
        return None;
    }
    // Not whole yet: keep the reading that is a lock entry already, if one
    // is (an address and a class broken apart), else the pieces as printed.
    if parse_held_lock(&spaced, 0).is_some() && parse_held_lock(&direct, 0).is_none() {
        Some((spaced, false))
    } else {
        Some((direct, false))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn quoted_printable_soft_breaks_join_as_split() {
        let a = "[   17.106216] [   T1346] CPU: 2 UID: 1000 PID: 1346 Comm: wireplumber Not=";
        let b = " tainted 6.13.0-rc2-debug #352";
        let text = "CPU: 2 UID: 1000 PID: 1346 Comm: wireplumber Not=";
        assert_eq!(
            soft_break(text, a.len(), b).as_deref(),
            Some("CPU: 2 UID: 1000 PID: 1346 Comm: wireplumber Not tainted 6.13.0-rc2-debug #352")
        );
        // A short line ending in `=`, a ruler, or nothing to continue with.
        assert_eq!(soft_break("gfp=", 4, "0x10"), None);
        assert_eq!(soft_break(&"=".repeat(70), 70, "x"), None);
        assert_eq!(soft_break(text, a.len(), "  "), None);
        // A C condition broken after its operator by a mail client.
        let cond = "[ 7410.877772] DEBUG_LOCKS_WARN_ON(debug_atomic_read(nr_unused_locks) !=";
        assert_eq!(soft_break(&cond[15..], cond.len(), "nr_unused)"), None);
        assert_eq!(soft_break(text, 90, b), None);
    }

    use super::*;

    /// A multi-byte character before a cut symbol (a bidi override in
    /// hostile input) must not split a character.
    #[test]
    fn cut_symbol_after_a_multibyte_character() {
        assert_eq!(
            pair(" r\u{202e}escuer_thread+0x2f8/", "0x3a0").as_deref(),
            Some(" r\u{202e}escuer_thread+0x2f8/0x3a0")
        );
    }

    /// The needle test across a join without building the joined text
    /// agrees with the prefilter on the joined text, for every needle cut
    /// at every byte and with text around it.
    #[test]
    fn needles_across_the_join() {
        for n in crate::segment::banner::needles() {
            for cut in 0..=n.len() {
                let (x, y) = n.split_at(cut);
                for (a, b) in [
                    (x.to_string(), y.to_string()),
                    (format!("x {x}"), format!("{y} y")),
                    (format!("{x}q"), y.to_string()),
                    (x.to_string(), format!("q{y}")),
                ] {
                    let (at, bt) = (a.trim_end_ws(), b.trim_ws());
                    if at.is_empty() || bt.is_empty() {
                        continue;
                    }
                    let a_may = Prefilter::may_match(at.as_bytes());
                    let b_may = Prefilter::may_match(bt.as_bytes());
                    assert_eq!(
                        needle_in_join(at, bt, a_may, b_may),
                        Prefilter::may_match(format!("{at} {bt}").as_bytes()),
                        "{at:?} / {bt:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn banners_split_in_two() {
        // The needle itself across the break, in neither piece.
        assert_eq!(
            pair("WARNING: possible circular", "locking dependency detected").as_deref(),
            Some("WARNING: possible circular locking dependency detected")
        );
        assert_eq!(
            pair("WARNING: possible circular", "locking order detected"),
            None
        );
        assert_eq!(
            pair("[ INFO: possible circular locking dependency detected", "]").as_deref(),
            Some("[ INFO: possible circular locking dependency detected ]")
        );
        assert_eq!(
            pair(
                "BUG: sleeping function called from invalid context at ",
                "kernel/locking/rwsem.c:624"
            )
            .as_deref(),
            Some(
                "BUG: sleeping function called from invalid context at kernel/locking/rwsem.c:624"
            )
        );
        // A whole banner does not take the next line.
        assert_eq!(
            pair(
                "WARNING: possible recursive locking detected",
                "5.10.0 #1 Not tainted"
            ),
            None
        );
    }

    #[test]
    fn ident_lines() {
        assert_eq!(
            pair("CPU: 1 PID: 812 Comm: frobd Not tainted ", "5.16.0 #3").as_deref(),
            Some("CPU: 1 PID: 812 Comm: frobd Not tainted 5.16.0 #3")
        );
        assert_eq!(
            pair("CPU: 1 PID: 812 Comm:", "frobd Not tainted 5.16.0 #3").as_deref(),
            Some("CPU: 1 PID: 812 Comm: frobd Not tainted 5.16.0 #3")
        );
        assert_eq!(
            pair("      Not tainted", "5.0.0 #1").as_deref(),
            Some("      Not tainted 5.0.0 #1")
        );
        // Cut inside the taint field (fixtures/labeled/280, Peter Gonda's
        // quoted splat): the flags and release on the next line.
        assert_eq!(
            pair(
                "CPU: 185 PID: 28570 Comm: sev_migrate_tes Tainted: G",
                "       O      5.17.0-dbg-DEV #24"
            )
            .as_deref(),
            Some("CPU: 185 PID: 28570 Comm: sev_migrate_tes Tainted: G        O      5.17.0-dbg-DEV #24")
        );
        assert_eq!(
            pair("Tainted: G        W", "  OE     6.1.0-rc1 #1").as_deref(),
            Some("Tainted: G        W   OE     6.1.0-rc1 #1")
        );
        // Not flags before the release, or no release: no join.
        assert_eq!(
            pair("CPU: 1 PID: 8 Comm: a Tainted: G", "was 5.1.0 #1"),
            None
        );
        assert_eq!(pair("CPU: 1 PID: 8 Comm: a Tainted: G", "  W"), None);
        assert_eq!(
            pair("CPU: 1 PID: 8 Comm: a Tainted: G W", "  W 5.1.0"),
            None
        );
        // Whole already.
        assert_eq!(
            pair(
                "CPU: 1 PID: 8 Comm: a Not tainted 5.1.0 #1",
                "Hardware name: x"
            ),
            None
        );
        assert_eq!(
            pair("CPU: 1 PID: 8 Comm: a Not tainted", "Hardware name: x"),
            None
        );
    }

    #[test]
    fn hardware_name_lines() {
        // Three pieces (fixtures/labeled/280): inside the product, then
        // after `BIOS`.
        let one = pair(
            "Hardware name: Google, Inc.",
            "    Arcadia_IT_80/Arcadia_IT_80, BIOS",
        )
        .unwrap();
        assert_eq!(
            one,
            "Hardware name: Google, Inc. Arcadia_IT_80/Arcadia_IT_80, BIOS"
        );
        assert_eq!(
            pair(&one, "30.6.12-gce 09/27/2021").as_deref(),
            Some("Hardware name: Google, Inc. Arcadia_IT_80/Arcadia_IT_80, BIOS 30.6.12-gce 09/27/2021")
        );
        assert!(pair(
            "Hardware name: QEMU Standard PC (i440FX + PIIX, 1996),",
            "BIOS 1.16 04/01/2014"
        )
        .is_some());
        // Whole already, or not a continuation.
        assert_eq!(
            pair("Hardware name: x, BIOS 1.2 01/02/2003", "4.5 01/02/2003"),
            None
        );
        assert_eq!(pair("Hardware name: Google, Inc.", "Call Trace:"), None);
        assert_eq!(
            pair("Hardware name: x, BIOS", "some words here and more"),
            None
        );
        assert_eq!(
            pair("Hardware name: linux,dummy-virt (DT)", "12/12/2012"),
            None
        );
    }

    #[test]
    fn scenario_step_after_its_indentation() {
        let indent = " ".repeat(31);
        assert_eq!(
            pair(&indent, "lock(&q->m);").as_deref(),
            Some(format!("{indent}lock(&q->m);").as_str())
        );
        assert_eq!(
            pair(&indent, "<Interrupt>").as_deref(),
            Some(format!("{indent}<Interrupt>").as_str())
        );
        // Not a whole step, an indented one, or no indentation to give.
        assert_eq!(pair(&indent, "lock(&q->m"), None);
        assert_eq!(pair(&indent, " lock(&q->m);"), None);
        assert_eq!(pair(&indent, "Call Trace:"), None);
        assert_eq!(pair(" ", "lock(&q->m);"), None);
        assert_eq!(pair("", "lock(&q->m);"), None);
    }

    #[test]
    fn scenario_steps_split() {
        assert_eq!(
            pair(
                "                               lock(&sb->s_type->i_mutex_key",
                "#14/1);"
            )
            .as_deref(),
            Some("                               lock(&sb->s_type->i_mutex_key#14/1);")
        );
        assert_eq!(
            pair("  lock((work_completion)(&(&wb->dwork)", "->work));").as_deref(),
            Some("  lock((work_completion)(&(&wb->dwork)->work));")
        );
        // Whole already, or more than the rest of a class.
        assert_eq!(pair("  lock(&a->b);", "lock(&c);"), None);
        assert_eq!(pair("  lock(&a->b", "x); lock(y);"), None);
        assert_eq!(pair("  lock(&a->b", "and more words);"), None);
        assert_eq!(pair("  lock(&a->b", "x));"), None);
        assert_eq!(pair("  *** DEADLOCK", "***"), None);
    }

    #[test]
    fn lock_lines_split_around_at() {
        assert_eq!(
            pair(
                "ffff8880534abcc1 (&frob->lock){....}-{3:3}, at: ",
                "frob_enter+0x66d/0xb23"
            )
            .as_deref(),
            Some("ffff8880534abcc1 (&frob->lock){....}-{3:3}, at: frob_enter+0x66d/0xb23")
        );
        assert_eq!(
            pair(
                " #0: ffff88809951b2b5 (&bar->mutex){+.+.}-{4:4}, ",
                "at: bar_setup+0x94f/0xa7c"
            )
            .as_deref(),
            Some(" #0: ffff88809951b2b5 (&bar->mutex){+.+.}-{4:4}, at: bar_setup+0x94f/0xa7c")
        );
        assert_eq!(
            pair(
                " (frob_cache_mutex){--..}, at: [<c0a6a8cd>]",
                "mutex_lock+0x9c/0x6e1"
            )
            .as_deref(),
            Some(" (frob_cache_mutex){--..}, at: [<c0a6a8cd>] mutex_lock+0x9c/0x6e1")
        );
        assert!(pair(
            "000000005176fed6 (&(&frob->hash_lock)->rlock){+.-.}, at: spin_lock_bh  ",
            "/./include/linux/spinlock.h:906 [inline]"
        )
        .is_some());
        // A lock line with its frame does not take a frame line after it.
        assert_eq!(pair("ffff (&x){....}, at: f+0x1/0x2", " g+0x1/0x2"), None);
        assert_eq!(
            pair(
                "ffff8880534abcc1 (&frob->lock){....}-{3:3}, at: ",
                "random words"
            ),
            None
        );
    }

    #[test]
    fn frames_split() {
        assert_eq!(
            pair(
                "       [<c009f3f3>]",
                "generic_file_buffered_write+0x95/0xea"
            )
            .as_deref(),
            Some("       [<c009f3f3>] generic_file_buffered_write+0x95/0xea")
        );
        assert_eq!(
            pair(
                "       [<e8e6f968>] barfs_file_write+0x410/0x1e62",
                "[barfs]"
            )
            .as_deref(),
            Some("       [<e8e6f968>] barfs_file_write+0x410/0x1e62 [barfs]")
        );
        assert_eq!(
            pair(" shrink_frob_cache+0xc0/", "0x392").as_deref(),
            Some(" shrink_frob_cache+0xc0/0x392")
        );
        // Two frames are two frames.
        assert_eq!(pair(" a+0x1/0x2", " b+0x1/0x2"), None);
        // `[inline]` or the location of a symbolized frame, or of a
        // register dump's faulting PC, on the next line.
        assert_eq!(
            pair("  __dump_stack lib/dump_stack.c:77", "[inline]").as_deref(),
            Some("  __dump_stack lib/dump_stack.c:77 [inline]")
        );
        assert_eq!(
            pair(
                "RIP: 0010:arch_local_irq_restore arch/x86/include/asm/paravirt.h:767  ",
                "[inline]"
            )
            .as_deref(),
            Some("RIP: 0010:arch_local_irq_restore arch/x86/include/asm/paravirt.h:767 [inline]")
        );
        assert_eq!(
            pair(
                "RIP: 0010:console_unlock+0xa65/0xf20",
                "kernel/printk/printk.c:2471"
            )
            .as_deref(),
            Some("RIP: 0010:console_unlock+0xa65/0xf20 kernel/printk/printk.c:2471")
        );
        // Inlined already, or no location to be inlined at.
        assert_eq!(pair("  f lib/a.c:7 [inline]", "[inline]"), None);
        assert_eq!(pair("  f+0x1/0x2", "[inline]"), None);
        assert_eq!(pair("RIP: 0033:0x45bd1a", "[inline]"), None);
        assert_eq!(
            pair("  [<00000035a1c40247>]", " =======================",),
            None
        );
    }

    #[test]
    fn code_lines_split() {
        let one = pair(
            "Code: 20 00 74 0c 48 c7 c7 90 63 aa 88 e8 a5 44 50 00 48 83 3d fd cc 4b 07  ",
            "00 0f 84 7d 04 00 00 e8 52 1b 17 00 48 8b 7c 24 28 57 9d <0f> 1f 44 00 00  ",
        )
        .unwrap();
        assert!(one.contains(" 07 00 0f 84 7d "), "{one}");
        let two = pair(&one, "f6 44 24 1f 01 75 52 e8 3a 1b 17 00 eb 63 0f 1f 84").unwrap();
        assert_eq!(two.split_whitespace().count(), 65);
        // No more than the 64 bytes the kernel prints, one of them marked.
        assert_eq!(pair(&two, "00"), None);
        assert_eq!(pair("Code: <0f> 0b", "<48> 89"), None);
        // Not bytes alone, or not a `Code:` line of bytes.
        assert_eq!(pair("Code: 0f 0b", "RSP: 0018:ffffc900"), None);
        assert_eq!(
            pair("Code: Unable to access opcode bytes at", "0x45bcf0."),
            None
        );
        assert_eq!(pair("  0f 0b 48", "89 e5"), None);
    }

    #[test]
    fn held_lock_pieces() {
        let pieces = [
            " #0: ",
            "66570856911bed65",
            " (",
            "(wq_completion)frob_wq",
            "){+.+.}-{0:0}",
        ];
        let mut so_far = pieces[0].to_string();
        assert!(held_start(&so_far));
        for p in &pieces[1..] {
            let (j, whole) = held_pieces(&so_far, p).unwrap();
            assert!(!whole, "{j}");
            so_far = j;
        }
        let (j, whole) = held_pieces(
            &so_far,
            ", at: process_one_work+0x5d5/0x1c64 kernel/workqueue.c:446",
        )
        .unwrap();
        assert!(whole);
        assert_eq!(
            j,
            " #0: 66570856911bed65 ((wq_completion)frob_wq){+.+.}-{0:0}, at: process_one_work+0x5d5/0x1c64 kernel/workqueue.c:446"
        );
        assert!(held_pieces(" #0: ", " #1: ffff (x){....}, at: f+0x1/0x2").is_none());
    }
}
