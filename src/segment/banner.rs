//! Banner matching: which printed line starts which report kind.
//!
//! The banner rows are the kind table's ([`crate::kind`]): adding a banner is
//! adding a row there. Each row's pattern is matched against the prefix-stripped,
//! trimmed line. Both banner generations are accepted: the bracketed
//! `[ INFO: ... ]` of <=4.11 and the plain `WARNING: ...` of 4.12+.
//!
//! Matching is only attempted on lines that pass [`Prefilter`], an
//! Aho-Corasick scan for a distinctive substring of every row, so ordinary
//! log lines cost one linear scan.

use std::sync::OnceLock;

use aho_corasick::{AhoCorasick, MatchKind};
use regex::Regex;

use crate::kind::BannerRow;
use crate::model::{BannerStyle, ReportKind};
use crate::vocab::trim::TrimWs;

/// The banner rows of every kind, in table order ([`crate::kind`]).
fn rows() -> &'static [(ReportKind, &'static BannerRow)] {
    static R: OnceLock<Vec<(ReportKind, &'static BannerRow)>> = OnceLock::new();
    R.get_or_init(|| crate::kind::banner_rows().collect())
}

/// A matched banner line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Banner {
    /// The kind the matching row is for.
    pub kind: ReportKind,
    /// The bracketed `[ INFO: ... ]` form of old kernels, or the plain one.
    pub style: BannerStyle,
    /// `WARNING`, `BUG`, `INFO` or empty.
    pub tag: String,
    /// The banner text as printed (trimmed).
    pub text: String,
    /// Pattern captures after the tag (e.g. the irq state names, the
    /// `MAX_*` name, the `at FILE:LINE` of sleeping-function reports).
    pub captures: Vec<String>,
    /// True when this row names a hung task (`INFO: task ... blocked`).
    pub hung_task: bool,
    /// True when this row opens a held-locks dump directly (`Showing all
    /// locks held in the system:`).
    pub opens_dump: bool,
    /// No banner was printed: the report was pasted from a body line on
    /// (`match_headless`); `text` is empty.
    pub headless: bool,
}

struct Compiled {
    prefilter: AhoCorasick,
    /// The needles and the tags banners start with (`WARNING:`, `INFO:`,
    /// `BUG:`): a banner a mail client broke inside its needle keeps its
    /// tag on the first piece, which the joiner must see.
    starts: AhoCorasick,
    rows: Vec<(ReportKind, Regex)>,
    /// The distinct needles, every occurrence reported (overlapping
    /// search), so a candidate line is tried only against its rows.
    needles: AhoCorasick,
    /// For each distinct needle, the rows (bit `i` for `rows()[i]`) it
    /// belongs to.
    rows_of_needle: Vec<u64>,
    /// Each needle cut at each of its spaces: the part before the space
    /// and the part after it ([`Prefilter::spans_join`]), listed under the
    /// last byte of the part before (256: that part is empty).
    space_cuts: Vec<Vec<(&'static [u8], &'static [u8])>>,
}

/// The distinct banner needles, in table order: what the prefilter looks
/// for (the benchmark hands the same list to `grep -F -f`).
pub fn needles() -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    for (_, r) in rows() {
        if !out.contains(&r.needle) {
            out.push(r.needle);
        }
    }
    out
}

fn compiled() -> &'static Compiled {
    static C: OnceLock<Compiled> = OnceLock::new();
    C.get_or_init(|| Compiled {
        // Leftmost-first lets aho-corasick use its SIMD (Teddy) searcher,
        // about four times faster over ordinary log text than the standard
        // automaton; whether any needle occurs does not depend on it.
        prefilter: AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostFirst)
            .build(rows().iter().map(|(_, r)| r.needle))
            .expect("banner needles are valid"),
        starts: AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostFirst)
            .build(rows().iter().map(|(_, r)| r.needle).chain(start_strings()))
            .expect("banner needles are valid"),
        rows: rows()
            .iter()
            .map(|(kind, r)| {
                (
                    *kind,
                    Regex::new(r.pattern).expect("banner pattern is valid"),
                )
            })
            .collect(),
        needles: AhoCorasick::new(needles()).expect("banner needles are valid"),
        rows_of_needle: needles()
            .iter()
            .map(|n| {
                rows()
                    .iter()
                    .enumerate()
                    .filter(|(_, (_, r))| r.needle == *n)
                    .fold(0u64, |m, (i, _)| m | (1 << i))
            })
            .collect(),
        space_cuts: {
            let mut t = vec![Vec::new(); 257];
            for n in needles() {
                let b = n.as_bytes();
                for k in memchr::memchr_iter(b' ', b) {
                    let at = k.checked_sub(1).map_or(256, |i| b[i] as usize);
                    t[at].push((&b[..k], &b[k + 1..]));
                }
            }
            t
        },
    })
}

/// What every tagged banner starts with (the `(WARNING|INFO|BUG)` of the
/// table's patterns, and DEPT's own `DEPT:`/`Dept:` tag). With the kind
/// table's headless phrases and fragment openers (and the first words of
/// the freed-lock line, which a mail client may break before the phrase),
/// these are the lines a report may start from.
const BANNER_TAGS: &[&str] = &[
    "WARNING:",
    "INFO:",
    "BUG:",
    // DEPT's banners carry no WARNING/INFO/BUG tag.
    "DEPT:",
    "Dept:",
    " is freeing memory ",
];

/// Every string a report may start from: [`BANNER_TAGS`], then the kind
/// table's headless phrases and fragment openers.
fn start_strings() -> impl Iterator<Item = &'static str> {
    BANNER_TAGS
        .iter()
        .copied()
        .chain(crate::kind::headless_phrases().map(|(_, p)| p))
        .chain(crate::kind::fragment_openers().map(|(_, p)| p))
}

/// A report's first body line (`kworker/0:1/42 is trying to acquire
/// lock:`) seen with no banner before it: the start of a report pasted
/// without its banner. The line must name its task (`comm/pid`) first.
/// A line that opens a section lockdep prints further down (the kind
/// table's fragment openers: `Chain exists of:`, the scenario, ...) starts
/// a report pasted from the middle of its body.
pub fn match_headless(text: &str) -> Option<Banner> {
    let t = text.trim_ws();
    if let Some((kind, _)) = crate::kind::fragment_openers().find(|(_, p)| t.starts_with(p)) {
        return Some(headless_banner(kind));
    }
    // The first body line of each lockdep report, by the kind table's
    // `headless` phrases.
    let (kind, phrase) = crate::kind::headless_phrases().find(|(_, p)| t.contains(p))?;
    // lockdep_rcu_suspicious() names no task first: its first body line is
    // `file:line message!`.
    if kind == ReportKind::SuspiciousRcuUsage {
        return crate::vocab::body::is_rcu_location(t).then(|| headless_banner(kind));
    }
    let who = t.split(' ').next()?;
    crate::vocab::lock::parse_task(who)?;
    // `comm/pid [HC0[0]:SC0[0]:HE1:SE1] takes:` and the like: the task,
    // then at most the irq context, then the phrase.
    let at = t.find(phrase)?;
    let between = t[who.len()..at].trim_ws();
    if !(between.is_empty()
        || (between.starts_with("[HC") && between.ends_with(']'))
        || phrase.starts_with(']'))
    {
        return None;
    }
    Some(headless_banner(kind))
}

/// The banner of a report pasted without one.
fn headless_banner(kind: ReportKind) -> Banner {
    Banner {
        kind,
        style: BannerStyle::Plain,
        tag: String::new(),
        text: String::new(),
        captures: Vec::new(),
        hung_task: false,
        opens_dump: false,
        headless: true,
    }
}

/// The cheap test run on every line outside a report.
pub struct Prefilter;

impl Prefilter {
    /// True when `bytes` may hold a banner.
    #[inline]
    pub fn may_match(bytes: &[u8]) -> bool {
        compiled().prefilter.is_match(bytes)
    }

    /// Does `a`, a space, then `b` hold a needle that covers that space?
    /// Exactly the needles of `a + " " + b` that lie in neither piece, found
    /// without building the joined text: every needle cut at each of its
    /// spaces, the part before it ending `a` and the part after it starting `b`.
    pub fn spans_join(a: &[u8], b: &[u8]) -> bool {
        let c = compiled();
        // Only the cuts whose part before the space ends with `a`'s last
        // byte (or is empty) can match.
        let by_last = a.last().map_or(&[][..], |&l| &c.space_cuts[l as usize][..]);
        c.space_cuts[256]
            .iter()
            .chain(by_last)
            .any(|&(before, after)| a.ends_with(before) && b.starts_with(after))
    }

    /// True when `bytes` may hold a banner or the first piece of a banner
    /// split over two lines (a banner tag).
    #[inline]
    pub fn may_start(bytes: &[u8]) -> bool {
        compiled().starts.is_match(bytes)
    }

    /// Where the first possible banner needle or banner tag in `bytes`
    /// starts ([`Prefilter::may_start`] over a whole buffer of lines).
    #[inline]
    pub fn find_start(bytes: &[u8]) -> Option<usize> {
        compiled().starts.find(bytes).map(|m| m.start())
    }
}

const _: () = assert!(
    crate::kind::BANNER_ROWS <= 64,
    "rows_of_needle holds a u64 mask"
);

/// Match a prefix-stripped line against the banner table.
pub fn match_banner(text: &str) -> Option<Banner> {
    let t = text.trim_ws();
    let c = compiled();
    // The leftmost needle: no needle starts before it.
    let first = c.prefilter.find(t.as_bytes())?;
    let (inner, style) = match t.strip_prefix("[ ").and_then(|r| r.strip_suffix(" ]")) {
        Some(inner) => (inner.trim_ws(), BannerStyle::Bracketed),
        None => (t, BannerStyle::Plain),
    };
    // Only the rows whose needle the line holds can match; trying them in
    // table order keeps the first-row-wins rule. `inner` lies inside `t`,
    // so its needles start no earlier than the leftmost one of `t`.
    let offset = inner.as_ptr() as usize - t.as_ptr() as usize;
    let from = first.start().saturating_sub(offset).min(inner.len());
    let candidates = c
        .needles
        .find_overlapping_iter(aho_corasick::Input::new(inner).span(from..inner.len()))
        .fold(0u64, |m, hit| {
            m | c.rows_of_needle[hit.pattern().as_usize()]
        });
    for (i, (kind, re)) in c.rows.iter().enumerate() {
        // `is_match` first: `captures` allocates its slots.
        if candidates & (1 << i) == 0 || !re.is_match(inner) {
            continue;
        }
        if let Some(c) = re.captures(inner) {
            let tag = c.get(1).map(|m| m.as_str().to_string()).unwrap_or_default();
            let captures = c
                .iter()
                .skip(2)
                .map(|m| m.map(|m| m.as_str().to_string()).unwrap_or_default())
                .collect();
            return Some(Banner {
                kind: *kind,
                style,
                tag,
                text: t.to_string(),
                captures,
                hung_task: rows()[i].1.hung_task,
                opens_dump: rows()[i].1.opens_dump,
                headless: false,
            });
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(t: &str) -> Option<ReportKind> {
        match_banner(t).map(|b| b.kind)
    }

    #[test]
    fn an_rcu_message_line_starts_a_report_pasted_without_its_banner() {
        let b =
            match_headless("net/ipv4/ipmr_base.c:313 RCU-list traversed in non-reader section!!");
        assert_eq!(b.map(|b| b.kind), Some(ReportKind::SuspiciousRcuUsage));
        let b =
            match_headless("include/linux/rcupdate.h:12 suspicious rcu_dereference_check() usage!");
        assert_eq!(b.map(|b| b.kind), Some(ReportKind::SuspiciousRcuUsage));
        // The phrase without a source location before it is prose.
        assert!(match_headless("the RCU-list traversed in non-reader section! warning").is_none());
    }

    /// Banner lines of both generations (older bracketed `[ INFO: ... ]`,
    /// newer `WARNING:`) and the kind each one opens.
    const BANNER_KINDS: &[(&str, ReportKind)] = {
        use ReportKind::*;
        &[
            (
                "WARNING: possible circular locking dependency detected",
                CircularDependency,
            ),
            (
                "[ INFO: possible circular locking dependency detected ]",
                CircularDependency,
            ),
            ("[ INFO: inconsistent lock state ]", InconsistentLockState),
            ("WARNING: inconsistent lock state", InconsistentLockState),
            (
                "WARNING: possible irq lock inversion dependency detected",
                IrqLockInversion,
            ),
            (
                "[ INFO: HARDIRQ-safe -> HARDIRQ-unsafe lock order detected ]",
                IrqSafeUnsafeOrder,
            ),
            ("[ BUG: bad unlock balance detected! ]", BadUnlockBalance),
            ("WARNING: bad unlock balance detected!", BadUnlockBalance),
            ("WARNING: bad contention detected!", BadContention),
            ("WARNING: held lock freed!", HeldLockFreed),
            (
                "WARNING: syz-executor/123 still has locks held!",
                LocksStillHeld,
            ),
            (
                "[ BUG: lock held when returning to user space! ]",
                LockHeldReturningToUser,
            ),
            ("WARNING: Nested lock was not taken", NestedLockNotTaken),
            ("[ INFO: suspicious RCU usage. ]", SuspiciousRcuUsage),
            ("WARNING: suspicious RCU usage", SuspiciousRcuUsage),
            ("[ BUG: Invalid wait context ]", InvalidWaitContext),
            ("BUG: MAX_LOCKDEP_KEYS too low!", LockdepCapacity),
            ("BUG: MAX_STACK_TRACE_ENTRIES too low!", LockdepCapacity),
            ("INFO: trying to register non-static key.", NonStaticKey),
            ("BUG: looking up invalid subclass: 8", InvalidSubclass),
            (
                "BUG: scheduling while atomic: syz/1/0x00000002",
                SchedulingWhileAtomic,
            ),
            (
                "WARNING: CPU: 1 PID: 7 at kernel/locking/lockdep.c:3312 __lock_acquire+0x1/0x2",
                LockdepWarning,
            ),
            ("DEBUG_LOCKS_WARN_ON(chain_key != 0)", LockdepWarning),
            ("Showing all locks held in the system:", HeldLocksDump),
        ]
    };

    #[test]
    fn both_banner_generations() {
        for &(line, want) in BANNER_KINDS {
            assert_eq!(kind(line), Some(want), "{line}");
        }
        let b = match_banner("[ INFO: possible recursive locking detected ]").unwrap();
        assert_eq!(
            (b.kind, b.style, b.tag.as_str()),
            (ReportKind::RecursiveLocking, BannerStyle::Bracketed, "INFO")
        );
        let b =
            match_banner("WARNING: SOFTIRQ-safe -> SOFTIRQ-unsafe lock order detected").unwrap();
        assert_eq!(b.captures, ["SOFTIRQ", "SOFTIRQ"]);
        let b = match_banner(
            "BUG: sleeping function called from invalid context at kernel/locking/mutex.c:580",
        )
        .unwrap();
        assert_eq!(b.captures, ["kernel/locking/mutex.c:580"]);
        let b = match_banner("INFO: task syz-executor:1234 blocked for more than 143 seconds.")
            .unwrap();
        assert!(b.hung_task);
    }

    /// Trying only the rows whose needle a line holds finds what the
    /// prefilter followed by every row in turn finds: checked over every
    /// line of every fixture.
    #[test]
    fn needle_dispatch_agrees_with_trying_every_row() {
        let mut seen = 0;
        crate::test_support::for_each_fixture_line(|path, l| {
            let t = l.text.trim_ws();
            let inner = t
                .strip_prefix("[ ")
                .and_then(|r| r.strip_suffix(" ]"))
                .map_or(t, str::trim);
            // The old way: the prefilter, then every row in turn.
            let every_row = rows()
                .iter()
                .zip(&compiled().rows)
                .filter(|_| !t.is_empty() && Prefilter::may_match(t.as_bytes()))
                .find(|(_, (_, re))| re.is_match(inner));
            seen += usize::from(every_row.is_some());
            assert_eq!(
                match_banner(l.text).map(|b| b.kind),
                every_row.map(|((k, _), _)| *k),
                "{}:{}",
                path.display(),
                l.no
            );
        });
        assert!(seen > 50, "only {seen} banner lines in the fixtures");
    }

    #[test]
    fn look_alikes_do_not_match() {
        for t in [
            "INFO: lockdep is turned off.",
            "WARNING: CPU: 0 PID: 1 at net/core/dev.c:1 f+0x1/0x2",
            "possible circular locking dependency detected",
            "the existing dependency chain (in reverse order) is:",
            "BUG: KASAN: use-after-free in lock_acquire",
            "> WARNING: possible circular locking dependency detected but more",
            "",
        ] {
            assert_eq!(kind(t), None, "{t}");
        }
    }
}
