//! Matching a report against the known-issues table
//! ([`crate::kernel::known`]), over the typed report only.
//!
//! An entry matches when
//!
//! * the report is of the entry's kind;
//! * every class the entry lists is among the report's lock classes, as
//!   lockdep prints them with the `#N` version taken off (and the `/N`
//!   subclass too, unless the entry names one);
//! * its functions are among the report's reliable frames and acquire
//!   (`at:`) sites, compiler suffixes stripped, as strongly as the entry
//!   needs: an entry with classes needs one function that is code under
//!   suspicion (not lock, allocator, lockdep, wait or entry machinery, nor
//!   a dispatch layer such as the workqueue or syscall entry) or that took
//!   one of the report's locks (an `at:` site, or the backtrace's caller of
//!   the lock operation); an
//!   entry without classes, which the kind and functions alone must
//!   identify, needs two such functions, or one that is where the report
//!   fired (among the first [`GUILTY_WINDOW`] such frames of the
//!   backtrace).
//!
//! The renderers and triage read the resulting [`KnownMatch`]; none of them
//! matches anything themselves.

use std::collections::BTreeSet;

use serde::Serialize;

use crate::classify::Class;
use crate::kernel::frames::class_of;
use crate::kernel::known::{is_generic_path, KnownEntry, KnownTable};
use crate::kernel::version::{KernelRelease, KernelVersion};
use crate::model::{Frame, Lock, Report};
use crate::vocab::frame::base_name;

/// How many code-under-suspicion frames at the top of the backtrace count
/// as "where the report fired" for an entry without classes.
pub const GUILTY_WINDOW: usize = 2;

/// A report that matched a known issue (JSON `known`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KnownMatch {
    /// The known-issue entry's id.
    pub id: String,
    /// The entry's verdict (what upstream concluded).
    pub verdict: Class,
    /// The entry's one-sentence summary: the bug and how the fix resolves it.
    pub summary: String,
    /// The fix's full 40-hex mainline commit id.
    pub fix_commit: String,
    /// The fix commit's subject line.
    pub fix_subject: String,
    /// First mainline release with the fix (`6.8`), when known.
    pub fixed_in: Option<String>,
    /// Stable releases that got the backport.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub stable: Vec<String>,
    /// A lore.kernel.org link to the report or the patch thread.
    pub lore: String,
    /// The syzbot bug page, when the entry names one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub report: Option<String>,
    /// The entry's classes, as the report printed them.
    pub matched_classes: Vec<String>,
    /// The entry's functions found in the report.
    pub matched_functions: Vec<String>,
    /// True when the report's kernel is older than the fix, false when it
    /// should already have it, null when the report cannot tell.
    pub kernel_predates_fix: Option<bool>,
    /// That comparison in words.
    pub kernel_note: String,
    /// True when the classifier could not decide and this match gave the
    /// verdict its class.
    pub raised_verdict: bool,
    /// `builtin` or the `--known` file the entry came from.
    pub origin: String,
}

impl KnownMatch {
    /// The fix commit's 12-digit abbreviation.
    pub fn short_commit(&self) -> &str {
        &self.fix_commit[..self.fix_commit.len().min(12)]
    }

    /// `known: <summary> — fixed by <12-hex> ("<subject>") in <fixed_in>`.
    pub fn headline(&self) -> String {
        let mut s = format!(
            "known: {} \u{2014} fixed by {} (\"{}\")",
            self.summary.trim_end_matches('.'),
            self.short_commit(),
            self.fix_subject
        );
        if let Some(f) = &self.fixed_in {
            s.push_str(&format!(" in {f}"));
        }
        if !self.stable.is_empty() {
            s.push_str(&format!(" (stable {})", self.stable.join(", ")));
        }
        s
    }
}

/// A report lock class split into its name, `#N` version and `/N`
/// subclass (`&foo#2/1` is `&foo`, `2`, `1`).
fn split_class(class: &str) -> (&str, Option<&str>) {
    let mut s = class.trim();
    // A usage string some shapes keep on the class (`&foo{+.+.}`).
    if let Some(i) = s.find('{') {
        if s.ends_with('}') {
            s = s[..i].trim_end();
        }
    }
    let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    let mut sub = None;
    if let Some((a, b)) = s.rsplit_once('/') {
        if digits(b) {
            sub = Some(b);
            s = a;
        }
    }
    if let Some((a, b)) = s.rsplit_once('#') {
        if digits(b) {
            s = a;
        }
    }
    (s, sub)
}

/// Does the report class `printed` name the entry class `want`? The `#N`
/// version never matters; the subclass only when the entry names one.
pub fn class_matches(printed: &str, want: &str) -> bool {
    split_matches(split_class(printed), want)
}

/// [`class_matches`] for a class already split by [`split_class`].
fn split_matches(printed: (&str, Option<&str>), want: &str) -> bool {
    want_matches(printed, split_want(want))
}

/// An entry class as [`split_matches`] compares it: the name, and the
/// subclass when it names one.
fn split_want(want: &str) -> (&str, Option<&str>) {
    match want.rsplit_once('/') {
        Some((w, ws)) if !ws.is_empty() && ws.bytes().all(|b| b.is_ascii_digit()) => (w, Some(ws)),
        _ => (want, None),
    }
}

/// [`split_matches`] with the entry class split once ([`split_want`]).
fn want_matches((name, sub): (&str, Option<&str>), (w, ws): (&str, Option<&str>)) -> bool {
    name == w && (ws.is_none() || sub == ws)
}

/// The lock classes a report names, as printed.
fn report_classes(r: &Report) -> Vec<&str> {
    let mut out: Vec<&str> = Vec::new();
    let named = r
        .acquiring
        .iter()
        .chain(&r.holding)
        .chain(&r.other_locks)
        .chain(&r.releasing)
        .chain(&r.nest_lock)
        .chain(r.chain.iter().map(|c| &c.lock));
    out.extend(named.map(|l| l.class.as_str()));
    out.extend(r.chain_exists_of.iter().map(String::as_str));
    if let Some(s) = &r.scenario {
        out.extend(s.steps.iter().filter_map(|st| st.lock.as_deref()));
    }
    if !r.kind.row().names_its_locks {
        out.extend(r.held_locks.iter().map(|l| l.class.as_str()));
        for h in &r.held_lock_lists {
            out.extend(h.locks.iter().map(|l| l.class.as_str()));
        }
    }
    out
}

/// Every lock of the report, for their acquire sites.
fn all_locks(r: &Report) -> impl Iterator<Item = &Lock> {
    r.acquiring
        .iter()
        .chain(&r.holding)
        .chain(&r.other_locks)
        .chain(&r.releasing)
        .chain(&r.nest_lock)
        .chain(r.chain.iter().map(|c| &c.lock))
        .chain(&r.held_locks)
        .chain(r.held_lock_lists.iter().flat_map(|h| &h.locks))
}

/// The source-level names of every reliable frame and acquire site.
fn report_functions(r: &Report) -> BTreeSet<&str> {
    let mut frames: Vec<&Frame> = Vec::new();
    frames.extend(&r.backtrace);
    for c in &r.chain {
        frames.extend(&c.stack);
    }
    for t in &r.traces {
        frames.extend(&t.frames);
    }
    for l in all_locks(r) {
        frames.extend(&l.at);
        frames.extend(&l.at_inlined);
    }
    if let Some(a) = &r.atomic_sleep {
        frames.extend(&a.preemption_disabled_at);
    }
    if let Some(ev) = &r.irq_events {
        frames.extend(ev.events.iter().filter_map(|e| e.frame.as_ref()));
    }
    frames
        .into_iter()
        .filter(|f| f.reliable)
        .map(|f| base_name(&f.function))
        .filter(|f| !f.is_empty())
        .collect()
}

/// Code under suspicion: not lock, allocation, lockdep, wait, stack-dump
/// or entry machinery, nor a dispatch layer many unrelated stacks pass
/// through ([`is_generic_path`]). Sanitizer frames count: a known issue
/// that names one is a bug of that sanitizer.
fn is_own_code(function: &str) -> bool {
    use crate::kernel::frames::FrameClass;
    let c = class_of(function);
    !matches!(
        c,
        FrameClass::Lockdep
            | FrameClass::SleepCheck
            | FrameClass::StackDump
            | FrameClass::LockPrimitive
            | FrameClass::Wait
            | FrameClass::Allocator
            | FrameClass::Root
    ) && !is_generic_path(function)
}

/// The first code-under-suspicion frames of the backtrace: where the
/// report fired.
fn firing_frames(r: &Report) -> Vec<&str> {
    r.backtrace
        .iter()
        .filter(|f| f.reliable)
        .map(|f| base_name(&f.function))
        .filter(|f| is_own_code(f))
        .take(GUILTY_WINDOW)
        .collect()
}

/// Where the report's locks were taken: the acquire (`at:`) sites of the
/// locks it names, and the backtrace's first frame above lockdep, the
/// sleep checks and the lock primitives (the caller of the lock operation
/// the report is about). A listed function found here is evidence even
/// when it is generic code: it took the lock.
fn lock_sites(r: &Report) -> BTreeSet<&str> {
    use crate::kernel::frames::FrameClass;
    let mut out = BTreeSet::new();
    let named = r
        .acquiring
        .iter()
        .chain(&r.holding)
        .chain(&r.other_locks)
        .chain(&r.releasing)
        .chain(&r.nest_lock);
    for l in named {
        if let Some(at) = &l.at {
            out.insert(base_name(&at.function));
        }
    }
    let top = r.backtrace.iter().filter(|f| f.reliable).find(|f| {
        !matches!(
            class_of(&f.base),
            FrameClass::Lockdep
                | FrameClass::SleepCheck
                | FrameClass::StackDump
                | FrameClass::LockPrimitive
        )
    });
    if let Some(f) = top {
        out.insert(base_name(&f.function));
    }
    out
}

/// What one entry matched in a report.
struct Hit<'e> {
    entry: &'e KnownEntry,
    classes: Vec<String>,
    functions: Vec<String>,
    /// Matched functions on the backtrace's path, the lock taker aside.
    on_path: usize,
}

/// The report's classes that `e` names, when the report is of `e`'s kind
/// and names every one of them.
fn class_match(
    e: &KnownEntry,
    r: &Report,
    classes: &[(&str, (&str, Option<&str>))],
) -> Option<Vec<String>> {
    if e.kind != r.kind {
        return None;
    }
    let mut matched_classes = Vec::new();
    for want in &e.classes {
        let want = split_want(want);
        let (printed, _) = classes.iter().find(|(_, c)| want_matches(*c, want))?;
        matched_classes.push(printed.to_string());
    }
    Some(matched_classes)
}

/// `e`, whose kind and classes matched ([`class_match`]), against the
/// report's functions.
fn try_entry<'e>(
    e: &'e KnownEntry,
    r: &Report,
    matched_classes: Vec<String>,
    functions: &BTreeSet<&str>,
    firing: &[&str],
    sites: &BTreeSet<&str>,
) -> Option<Hit<'e>> {
    let found: Vec<&str> = e
        .functions
        .iter()
        .map(String::as_str)
        .filter(|f| functions.contains(f))
        .collect();
    let own: Vec<&str> = found
        .iter()
        .copied()
        .filter(|f| is_own_code(f) || sites.contains(f))
        .collect();
    let enough = if e.classes.is_empty() {
        own.len() >= 2 || own.iter().any(|f| firing.contains(f) || sites.contains(f))
    } else {
        !own.is_empty()
    };
    if !enough {
        return None;
    }
    // The backtrace is the path that closed the report (for a cycle, the
    // edge just added): an entry naming a caller on it, other than the
    // function that takes the lock being acquired (which only repeats the
    // class), is closer to this report than one whose functions are all
    // elsewhere.
    let taker = r
        .acquiring
        .as_ref()
        .and_then(|l| l.at.as_ref())
        .map(|f| base_name(&f.function));
    let on_path = r
        .backtrace
        .iter()
        .filter(|f| f.reliable)
        .map(|f| base_name(&f.function))
        .filter(|f| Some(*f) != taker && own.contains(f))
        .collect::<BTreeSet<_>>()
        .len();
    Some(Hit {
        entry: e,
        classes: matched_classes,
        functions: found.iter().map(|f| f.to_string()).collect(),
        on_path,
    })
}

/// The best matching entry of `table` for `r`: user entries before
/// built-in ones, then the one with most functions on the backtrace's path
/// (the lock taker aside), then the most evidence, then table order.
pub fn find(r: &Report, table: &KnownTable) -> Option<KnownMatch> {
    if !table.entries().iter().any(|e| e.kind == r.kind) {
        return None;
    }
    // Split once here, not once per entry and class.
    let classes: Vec<(&str, (&str, Option<&str>))> = report_classes(r)
        .into_iter()
        .map(|c| (c, split_class(c)))
        .collect();
    // The entries whose kind and classes match, before collecting the
    // report's functions (most reports match no entry's classes).
    let candidates: Vec<(usize, &KnownEntry, Vec<String>)> = table
        .entries()
        .iter()
        .enumerate()
        .filter_map(|(i, e)| class_match(e, r, &classes).map(|c| (i, e, c)))
        .collect();
    if candidates.is_empty() {
        return None;
    }
    let functions = report_functions(r);
    let firing = firing_frames(r);
    let sites = lock_sites(r);
    let best = candidates
        .into_iter()
        .filter_map(|(i, e, c)| try_entry(e, r, c, &functions, &firing, &sites).map(|h| (i, h)))
        .min_by_key(|(i, h)| {
            (
                !h.entry.is_user(),
                std::cmp::Reverse(h.on_path),
                std::cmp::Reverse(2 * h.classes.len() + h.functions.len()),
                *i,
            )
        })?
        .1;
    let e = best.entry;
    let (predates, note) = fix_status(r.kernel.as_ref(), e);
    Some(KnownMatch {
        id: e.id.clone(),
        verdict: e.verdict,
        summary: e.summary.clone(),
        fix_commit: e.fix_commit.clone(),
        fix_subject: e.fix_subject.clone(),
        fixed_in: e.fixed_in.map(|v| v.to_string()),
        stable: e.stable.iter().map(|v| v.to_string()).collect(),
        lore: e.lore.clone(),
        report: e.report.clone(),
        matched_classes: best.classes,
        matched_functions: best.functions,
        kernel_predates_fix: predates,
        kernel_note: note,
        raised_verdict: false,
        origin: if e.is_user() {
            e.origin.clone()
        } else {
            "builtin".to_string()
        },
    })
}

/// Does the kernel that printed the report predate the fix? By version
/// numbers only: a stable backport counts when the entry lists it for the
/// report's branch; a release candidate of the fix's own release cannot
/// be told, nor a linux-next build of the release before it.
pub fn fix_status(release: Option<&KernelRelease>, e: &KnownEntry) -> (Option<bool>, String) {
    let Some(fixed) = e.fixed_in else {
        return (
            None,
            "the entry does not record the first release with the fix".to_string(),
        );
    };
    let Some((text, v)) = release.and_then(|t| Some((t.as_str(), t.version()?))) else {
        return (
            None,
            "the report does not say which kernel release printed it".to_string(),
        );
    };
    let shown = crate::escape::text(text).into_owned();
    let lower = text.to_ascii_lowercase();
    let rel = v.without_patch();
    if lower.contains("-next") || lower.contains("next-") {
        // linux-next at release X carries what the next release will, at
        // most: a fix first released later than that is not in it. The
        // major number has only ever moved on after a .19 or .20 (2.6.39,
        // 3.19, 4.20, 5.19, 6.19), so below .19 the next is X.(Y+1).
        let mut next = vec![KernelVersion::release(rel.major, rel.minor + 1)];
        if rel.minor >= 19 || rel.major == 2 {
            next.push(KernelVersion::release(rel.major + 1, 0));
        }
        if rel.major > 2 && next.iter().all(|n| fixed > *n) {
            return (
                Some(true),
                format!("kernel {shown} (a linux-next build) predates the fix (in {fixed})"),
            );
        }
        return (
            None,
            format!("kernel {shown} is a linux-next build: its version does not tell whether the fix is in it"),
        );
    }
    if rel < fixed {
        if let Some(s) = e.stable.iter().find(|s| s.without_patch() == rel) {
            if v >= *s {
                return (
                    Some(false),
                    format!("kernel {shown} is at or after stable {s}, which has the fix: it should already be present, so this may be a regression or a different bug"),
                );
            }
            return (
                Some(true),
                format!("kernel {shown} predates the fix (in {fixed}, backported to {s})"),
            );
        }
        return (
            Some(true),
            format!("kernel {shown} predates the fix (in {fixed})"),
        );
    }
    if rel == fixed && lower.contains("-rc") {
        return (
            None,
            format!(
                "kernel {shown} is a release candidate of {fixed}: the fix may or may not be in it"
            ),
        );
    }
    (
        Some(false),
        format!("kernel {shown} is at or after {fixed}, which has the fix: it should already be present, so this may be a regression or a different bug"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::known::parse_file;

    const LOG: &str = "\
======================================================
WARNING: possible circular locking dependency detected
6.6.0-rc1 #1 Not tainted
------------------------------------------------------
kworker/0:1/42 is trying to acquire lock:
ffff888012345678 (&foo->lock#3){+.+.}-{3:3}, at: foo_take_lock.isra.0+0x10/0x20

but task is already holding lock:
ffff888012345679 (&bar->mutex/1){+.+.}-{3:3}, at: bar_do_work+0x10/0x20

which lock already depends on the new lock.


the existing dependency chain (in reverse order) is:

-> #1 (&bar->mutex/1){+.+.}-{3:3}:
       lock_acquire+0x10/0x20
       __mutex_lock+0x10/0x20
       bar_do_work+0x10/0x20
       bar_worker+0x10/0x20
       process_one_work+0x10/0x20

-> #0 (&foo->lock#3){+.+.}-{3:3}:
       lock_acquire+0x10/0x20
       __mutex_lock+0x10/0x20
       foo_take_lock.isra.0+0x10/0x20
       foo_handler.constprop.0+0x10/0x20
       process_one_work+0x10/0x20

other info that might help us debug this:

 Possible unsafe locking scenario:

       CPU0                    CPU1
       ----                    ----
  lock(&bar->mutex/1);
                               lock(&foo->lock#3);
                               lock(&bar->mutex/1);
  lock(&foo->lock#3);

 *** DEADLOCK ***

1 lock held by kworker/0:1/42:
 #0: ffff888012345679 (&bar->mutex/1){+.+.}-{3:3}, at: bar_do_work+0x10/0x20

stack backtrace:
CPU: 0 PID: 42 Comm: kworker/0:1 Not tainted 6.6.0-rc1 #1
Call Trace:
 <TASK>
 dump_stack_lvl+0x10/0x20
 check_noncircular+0x10/0x20
 __lock_acquire+0x10/0x20
 lock_acquire+0x10/0x20
 __mutex_lock+0x10/0x20
 foo_take_lock.isra.0+0x10/0x20
 foo_handler.constprop.0+0x10/0x20
 process_one_work+0x10/0x20
 worker_thread+0x10/0x20
 kthread+0x10/0x20
 ret_from_fork+0x10/0x20
 </TASK>
";

    fn report() -> Report {
        crate::decode_str(LOG, "t").remove(0)
    }

    fn table(entries: &str) -> KnownTable {
        KnownTable::from_entries(parse_file(entries, "test.toml").unwrap())
    }

    fn entry(id: &str, kind: &str, classes: &str, functions: &str, fixed_in: &str) -> String {
        format!(
            "[[known]]\nid = {id:?}\nkind = {kind:?}\nclasses = {classes}\nfunctions = {functions}\nverdict = \"true_deadlock\"\nsummary = \"Foo and bar nest the other way.\"\nfix_commit = \"{}\"\nfix_subject = \"foo: fix lock order\"\nfixed_in = {fixed_in:?}\nstable = [\"6.1.70\"]\nlore = \"https://lore.kernel.org/all/x/\"\nverified = \"test\"\n",
            "0123456789abcdef0123456789abcdef01234567"
        )
    }

    #[test]
    fn classes_match_without_version_and_optional_subclass() {
        assert!(class_matches("&foo->lock#3", "&foo->lock"));
        assert!(class_matches("&foo->lock", "&foo->lock"));
        assert!(class_matches("&bar->mutex/1", "&bar->mutex"));
        assert!(class_matches("&bar->mutex#2/1", "&bar->mutex/1"));
        assert!(class_matches("&bar->mutex/1", "&bar->mutex/1"));
        assert!(!class_matches("&bar->mutex", "&bar->mutex/1"));
        assert!(!class_matches("&bar->mutex/2", "&bar->mutex/1"));
        assert!(class_matches("&foo{+.+.}", "&foo"));
        assert!(!class_matches("&foo->lock2", "&foo->lock"));
        assert!(!class_matches("&foo->lock", "&foo->lock2"));
        assert!(class_matches(
            "(wq_completion)events",
            "(wq_completion)events"
        ));
    }

    #[test]
    fn matches_by_kind_classes_and_a_function_with_suffixes_stripped() {
        let r = report();
        let t = table(&entry(
            "foo-bar",
            "circular_dependency",
            "[\"&foo->lock\", \"&bar->mutex\"]",
            "[\"foo_handler\"]",
            "6.8",
        ));
        let m = find(&r, &t).expect("matches");
        assert_eq!(m.id, "foo-bar");
        assert_eq!(m.matched_classes, ["&foo->lock#3", "&bar->mutex/1"]);
        assert_eq!(m.matched_functions, ["foo_handler"]);
        assert_eq!(m.kernel_predates_fix, Some(true));
        assert_eq!(m.origin, "test.toml");
        assert!(m.headline().starts_with(
            "known: Foo and bar nest the other way \u{2014} fixed by 0123456789ab (\"foo: fix lock order\") in 6.8"
        ));
    }

    #[test]
    fn a_missing_class_or_function_or_other_kind_does_not_match() {
        let r = report();
        for e in [
            entry(
                "c",
                "circular_dependency",
                "[\"&foo->lock\", \"&baz->mutex\"]",
                "[\"foo_handler\"]",
                "6.8",
            ),
            entry(
                "f",
                "circular_dependency",
                "[\"&foo->lock\", \"&bar->mutex\"]",
                "[\"qux_handler\"]",
                "6.8",
            ),
            entry(
                "k",
                "recursive_locking",
                "[\"&foo->lock\"]",
                "[\"foo_handler\"]",
                "6.8",
            ),
            // Only machinery functions: no evidence about the bug's path.
            entry(
                "m",
                "circular_dependency",
                "[\"&foo->lock\"]",
                "[\"process_one_work\", \"__mutex_lock\"]",
                "6.8",
            ),
            // Generic dispatch code that did not take the lock.
            entry(
                "g",
                "circular_dependency",
                "[\"&foo->lock\"]",
                "[\"process_one_work\"]",
                "6.8",
            ),
            // The entry names a subclass the report does not have.
            entry(
                "s",
                "circular_dependency",
                "[\"&bar->mutex/2\"]",
                "[\"bar_do_work\"]",
                "6.8",
            ),
        ] {
            assert_eq!(find(&r, &table(&e)), None, "{e}");
        }
    }

    #[test]
    fn entries_without_classes_need_stronger_function_evidence() {
        let r = report();
        // One own function, neither where the report fired nor where a
        // lock was taken: not enough.
        let weak = entry("w", "circular_dependency", "[]", "[\"bar_worker\"]", "6.8");
        assert_eq!(find(&r, &table(&weak)), None);
        // Where the lock held was taken.
        let site = entry("a", "circular_dependency", "[]", "[\"bar_do_work\"]", "6.8");
        assert_eq!(find(&r, &table(&site)).unwrap().id, "a");
        // Two own functions of the report: enough.
        let two = entry(
            "t",
            "circular_dependency",
            "[]",
            "[\"bar_worker\", \"foo_handler\"]",
            "6.8",
        );
        assert_eq!(find(&r, &table(&two)).unwrap().id, "t");
        // One function where the report fired (top of the backtrace).
        let top = entry(
            "p",
            "circular_dependency",
            "[]",
            "[\"foo_take_lock\"]",
            "6.8",
        );
        assert_eq!(find(&r, &table(&top)).unwrap().id, "p");
    }

    #[test]
    fn the_best_entry_wins_and_user_entries_first() {
        let r = report();
        let loose = entry(
            "loose",
            "circular_dependency",
            "[\"&foo->lock\"]",
            "[\"foo_handler\"]",
            "6.8",
        );
        let tight = entry(
            "tight",
            "circular_dependency",
            "[\"&foo->lock\", \"&bar->mutex\"]",
            "[\"foo_handler\", \"bar_do_work\"]",
            "6.8",
        );
        let t = table(&(loose.clone() + &tight));
        assert_eq!(find(&r, &t).unwrap().id, "tight");
        let builtin = KnownTable::from_entries(parse_file(&tight, "builtin:x.toml").unwrap());
        let user = builtin.with_user_entries(parse_file(&loose, "mine.toml").unwrap());
        assert_eq!(find(&r, &user).unwrap().id, "loose");
    }

    #[test]
    fn every_builtin_entry_names_code_that_can_identify_it() {
        let mut dead = Vec::new();
        for e in KnownTable::builtin().entries() {
            // Generic or allocator code counts only where it took the lock.
            let own = e.functions.iter().filter(|f| is_own_code(f)).count();
            if own == 0 && e.classes.is_empty() {
                dead.push(format!("{}: {:?}", e.id, e.functions));
            }
        }
        assert!(
            dead.is_empty(),
            "entries no report can match:\n{}",
            dead.join("\n")
        );
    }

    #[test]
    fn kernel_versions_against_the_fix() {
        let e = &parse_file(
            &entry("v", "circular_dependency", "[\"&a\"]", "[\"f\"]", "6.8"),
            "t",
        )
        .unwrap()[0];
        let rel = |k: &str| Some(KernelRelease::new(k));
        let s = |k: Option<&str>| fix_status(k.map(KernelRelease::new).as_ref(), e).0;
        assert_eq!(s(Some("6.7.0-rc1")), Some(true));
        assert_eq!(s(Some("6.8.0-rc3-syzkaller-00001-gabc")), None);
        assert_eq!(s(Some("6.8.0")), Some(false));
        assert_eq!(s(Some("6.12.1")), Some(false));
        assert_eq!(s(Some("6.1.69")), Some(true));
        assert_eq!(s(Some("6.1.70")), Some(false));
        assert_eq!(s(Some("6.7.0-rc1-next-20231120")), None);
        assert_eq!(s(Some("6.6.0-rc1-next-20230920")), Some(true));
        assert_eq!(s(Some("syzkaller")), None);
        assert_eq!(s(None), None);
        assert!(fix_status(rel("6.9.0").as_ref(), e)
            .1
            .contains("regression or a different bug"));
        assert!(fix_status(rel("6.7.2").as_ref(), e)
            .1
            .contains("predates the fix"));
    }
}
