//! Pathological inputs (issue 6): each finishes in time linear in its
//! size with memory bounded by the documented caps, and what is too big is
//! truncated and flagged, never dropped silently.
//!
//! The inputs are generated while they are read (a [`Read`] that makes
//! bytes on demand), so nothing big is held in memory or written to disk.
//! The tests here run in CI in a debug build within seconds. The big
//! versions are `#[ignore]`d; run them in release, one at a time so the
//! peak-RSS figures are per case:
//!
//! ```sh
//! cargo test --release --test pathological -- --ignored --test-threads=1 --nocapture
//! ```
//!
//! Each prints its size, time and peak RSS (VmHWM from /proc/self/status,
//! reset before each case through /proc/self/clear_refs) and fails if the
//! peak exceeds the bound README "Hardening" documents.

mod common;

use std::io::{self, Read};
use std::time::{Duration, Instant};

use splatdec::input::MAX_LINE_BYTES;
use splatdec::stages::limits::{
    MAX_OPEN_REPORTS, MAX_QUEUED_REPORTS, MAX_REPORT_BYTES, MAX_REPORT_LINES,
};
use splatdec::Report;

/// Bytes made on demand: a `head`, then `body(i)` for i in 0.. until
/// `total` bytes have been produced, then a `tail`.
struct Generated<F: FnMut(u64) -> Vec<u8>> {
    head: Vec<u8>,
    body: F,
    tail: Vec<u8>,
    total: u64,
    made: u64,
    i: u64,
    pending: Vec<u8>,
    pos: usize,
    tail_done: bool,
}

impl<F: FnMut(u64) -> Vec<u8>> Generated<F> {
    fn new(head: &[u8], total: u64, body: F, tail: &[u8]) -> Self {
        Generated {
            head: head.to_vec(),
            body,
            tail: tail.to_vec(),
            total,
            made: 0,
            i: 0,
            pending: Vec::new(),
            pos: 0,
            tail_done: false,
        }
    }
}

impl<F: FnMut(u64) -> Vec<u8>> Read for Generated<F> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.pos == self.pending.len() {
            self.pos = 0;
            if !self.head.is_empty() {
                self.pending = std::mem::take(&mut self.head);
            } else if self.made < self.total {
                self.pending = (self.body)(self.i);
                self.i += 1;
                self.made += self.pending.len() as u64;
            } else if !self.tail_done {
                self.tail_done = true;
                self.pending = std::mem::take(&mut self.tail);
            } else {
                return Ok(0);
            }
        }
        let n = buf.len().min(self.pending.len() - self.pos);
        buf[..n].copy_from_slice(&self.pending[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// A body that repeats one chunk.
fn repeat(chunk: &[u8]) -> impl FnMut(u64) -> Vec<u8> {
    let chunk = chunk.to_vec();
    move |_| chunk.clone()
}

const CIRCULAR: &str = "\
======================================================
WARNING: possible circular locking dependency detected
6.1.0 #1 Not tainted
------------------------------------------------------
kworker/0:1/12 is trying to acquire lock:
ffff888010c8a0b0 (&a->lock){+.+.}-{3:3}, at: f+0x1/0x2

but task is already holding lock:
ffff888010c8a0c0 (&b->lock){+.+.}-{3:3}, at: g+0x1/0x2

which lock already depends on the new lock.

the existing dependency chain (in reverse order) is:

-> #1 (&b->lock){+.+.}-{3:3}:
       lock_acquire+0x1/0x2
       g+0x1/0x2

-> #0 (&a->lock){+.+.}-{3:3}:
       lock_acquire+0x1/0x2
       f+0x1/0x2

other info that might help us debug this:

1 lock held by kworker/0:1/12:
 #0: ffff888010c8a0c0 (&b->lock){+.+.}-{3:3}, at: g+0x1/0x2

stack backtrace:
CPU: 0 PID: 12 Comm: kworker/0:1 Not tainted 6.1.0 #1
Call Trace:
 <TASK>
 dump_stack_lvl+0x1/0x2
 f+0x1/0x2
 kthread+0x1/0x2
 ret_from_fork+0x1/0x2
 </TASK>
";

/// Decode `r`, keeping only what the checks need of each report so the
/// test itself holds no more than a few bytes per report.
fn decode_counting<R: Read>(r: R, mut each: impl FnMut(&Report)) -> (u64, Duration) {
    let start = Instant::now();
    let mut n = 0;
    splatdec::decode(r, "pathological", &mut |rep| {
        n += 1;
        each(&rep);
    })
    .expect("generated input reads");
    (n, start.elapsed())
}

fn decode_all<R: Read>(r: R) -> Vec<Report> {
    let mut v = Vec::new();
    splatdec::decode(r, "pathological", &mut |rep| v.push(rep)).expect("reads");
    v
}

/// Peak RSS of this process in KiB since the last [`reset_peak`].
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn reset_peak() {
    // "5" resets the peak RSS counter (Linux 4.0+); harmless elsewhere.
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// The documented memory bound for the decoder's working set (README
/// "Hardening"): every queued report at its byte cap, plus per-line
/// overhead, plus the line buffer; and the test binary's own baseline.
const PEAK_RSS_BOUND_MIB: u64 = 512;

fn report_peak(name: &str, bytes: u64, took: Duration) {
    let peak = peak_rss_kib().unwrap_or(0);
    eprintln!(
        "{name}: {:.1} MB in {:.2?} ({:.0} MB/s), peak RSS {} MiB",
        bytes as f64 / 1e6,
        took,
        bytes as f64 / 1e6 / took.as_secs_f64().max(1e-9),
        peak / 1024
    );
    assert!(
        peak / 1024 <= PEAK_RSS_BOUND_MIB,
        "{name}: peak RSS {} MiB over the {PEAK_RSS_BOUND_MIB} MiB bound",
        peak / 1024
    );
}

// ---------------------------------------------------------------------
// One enormous line.

fn huge_line(size: u64) {
    // A report whose lock line is followed by an endless line, then the
    // rest of the report; and a second report after it.
    let (head, rest) = CIRCULAR.split_at(CIRCULAR.find("but task").unwrap());
    let tail = format!("\n{rest}{CIRCULAR}");
    let r = Generated::new(
        head.as_bytes(),
        size,
        repeat(&[b'x'; 64 * 1024]),
        tail.as_bytes(),
    );
    reset_peak();
    let start = Instant::now();
    let reps = decode_all(r);
    report_peak("one huge line", size, start.elapsed());
    assert_eq!(reps.len(), 2, "the report around the line and the next");
    assert!(reps[0]
        .problems
        .iter()
        .any(|p| p.to_string().contains("overlong line was truncated")));
    assert!(reps[0]
        .unparsed
        .iter()
        .all(|l| l.text.len() <= MAX_LINE_BYTES));
    assert!(reps[1].complete, "{:?}", reps[1].problems);
}

#[test]
fn a_line_of_16_mb_is_cut_and_flagged() {
    huge_line(16 << 20);
}

#[test]
#[ignore = "100 MB: run in release (see the module docs)"]
fn a_line_of_100_mb_is_cut_and_flagged() {
    huge_line(100 << 20);
}

#[test]
fn a_huge_line_outside_any_report_costs_nothing() {
    let r = Generated::new(b"", 8 << 20, repeat(&[b'y'; 4096]), CIRCULAR.as_bytes());
    let reps = decode_all(r);
    assert_eq!(reps.len(), 1);
    assert!(reps[0].complete, "{:?}", reps[0].problems);
}

// ---------------------------------------------------------------------
// Endless sections: capped at MAX_REPORT_LINES, flagged, and the rest of
// the input is still read (a report after them is found).

fn endless_section(name: &str, head: &str, line: impl Fn(u64) -> String, entries: u64) {
    let r = Generated::new(
        head.as_bytes(),
        u64::MAX,
        move |i| line(i).into_bytes(),
        b"",
    );
    // `total` is in bytes; stop after `entries` generated lines instead.
    let mut r = r;
    let one = (r.body)(0).len() as u64;
    r.total = one * entries;
    let r = r.chain(CIRCULAR.as_bytes());
    reset_peak();
    let mut seen = Vec::new();
    let (n, took) = decode_counting(r, |rep| {
        seen.push((
            rep.complete,
            rep.problems.clone(),
            rep.end_line - rep.line + 1,
        ))
    });
    report_peak(name, one * entries, took);
    assert_eq!(n, 2, "{name}: the capped report and the one after it");
    let (complete, problems, lines) = &seen[0];
    assert!(!complete);
    assert!(
        problems
            .iter()
            .any(|p| p.to_string().contains("report truncated at")),
        "{name}: {problems:?}"
    );
    assert!(
        *lines as usize <= MAX_REPORT_LINES + 1,
        "{name}: {lines} lines"
    );
    assert!(seen[1].0, "{name}: the next report {:?}", seen[1].1);
}

const CHAIN_HEAD: &str = "\
WARNING: possible circular locking dependency detected
6.1.0 #1 Not tainted
kworker/0:1/12 is trying to acquire lock:
ffff888010c8a0b0 (&a->lock){+.+.}-{3:3}, at: f+0x1/0x2

the existing dependency chain (in reverse order) is:
";

fn chain_entry(i: u64) -> String {
    format!("\n-> #{i} (&lock{i}){{+.+.}}-{{3:3}}:\n       lock_acquire+0x1/0x2\n")
}

const TRACE_HEAD: &str = "\
WARNING: possible recursive locking detected
6.1.0 #1 Not tainted
stack backtrace:
CPU: 0 PID: 12 Comm: kworker/0:1 Not tainted 6.1.0 #1
Call Trace:
";

fn unreliable_frame(i: u64) -> String {
    format!(" ? frame_{}+0x1/0x2\n", i % 1000)
}

#[test]
fn a_hundred_thousand_chain_entries_are_capped() {
    endless_section("100k chain entries", CHAIN_HEAD, chain_entry, 100_000);
}

#[test]
#[ignore = "a million entries: run in release (see the module docs)"]
fn a_million_chain_entries_are_capped() {
    endless_section("1M chain entries", CHAIN_HEAD, chain_entry, 1_000_000);
}

#[test]
fn a_hundred_thousand_unreliable_frames_are_capped() {
    endless_section("100k ? frames", TRACE_HEAD, unreliable_frame, 100_000);
}

#[test]
#[ignore = "a million frames: run in release (see the module docs)"]
fn a_million_unreliable_frames_are_capped() {
    endless_section("1M ? frames", TRACE_HEAD, unreliable_frame, 1_000_000);
}

#[test]
fn long_lines_fill_the_byte_cap_first() {
    // 8 KiB frame lines: MAX_REPORT_BYTES is reached long before
    // MAX_REPORT_LINES.
    let frame = |i: u64| format!(" f{i}_{}+0x1/0x2\n", "a".repeat(8000));
    let per = frame(0).len() as u64;
    let entries = 4 * MAX_REPORT_BYTES as u64 / per;
    let mut seen = Vec::new();
    let r = Generated::new(
        TRACE_HEAD.as_bytes(),
        per * entries,
        move |i| frame(i).into_bytes(),
        b"",
    );
    let (n, _) = decode_counting(r, |rep| {
        seen.push((rep.complete, rep.backtrace.len(), rep.problems.clone()))
    });
    assert_eq!(n, 1);
    let (complete, frames, problems) = &seen[0];
    assert!(!complete);
    assert!(
        problems
            .iter()
            .any(|p| p.to_string().contains("report truncated at")),
        "{problems:?}"
    );
    assert!(
        (*frames as u64) < entries / 2,
        "{frames} frames kept of {entries}"
    );
    assert!(*frames * 8000 <= MAX_REPORT_BYTES + 16 * 1024);
}

// ---------------------------------------------------------------------
// Quoting, NULs, invalid UTF-8.

#[test]
fn deeply_quoted_report_decodes_like_the_plain_one() {
    let plain = common::run_all(CIRCULAR.as_bytes());
    assert_eq!(plain.len(), 1);
    for depth in [1, 7, 255, 256, 1000, 3000] {
        let quote = "> ".repeat(depth);
        let quoted: String = CIRCULAR.lines().map(|l| format!("{quote}{l}\n")).collect();
        let got = common::run_all(quoted.as_bytes());
        assert_eq!(got.len(), 1, "depth {depth}");
        assert_eq!(got[0].report.title, plain[0].report.title, "depth {depth}");
        assert_eq!(
            got[0].report.complete, plain[0].report.complete,
            "depth {depth}"
        );
        assert_eq!(got[0].report.chain.len(), 2, "depth {depth}");
    }
    // Quoting deeper than a line can hold: the line is cut, nothing else.
    let deep = format!(
        "{}WARNING: possible recursive locking detected\n",
        ">".repeat(1 << 20)
    );
    let got = common::run_all(deep.as_bytes());
    assert!(got.is_empty(), "the banner was cut off with the line");
}

#[test]
fn nul_bytes_anywhere() {
    // A megabyte of NULs, then a report with NULs inside its lines.
    let mut data = vec![0u8; 1 << 20];
    data.push(b'\n');
    let with_nuls = CIRCULAR
        .replace("&a->lock", "&a->\0lock")
        .replace("kworker", "kwork\0er");
    data.extend_from_slice(with_nuls.as_bytes());
    data.extend_from_slice(b"\0\0\0\n\0");
    let got = common::run_all(&data);
    assert_eq!(got.len(), 1);
    let r = &got[0].report;
    assert!(r.complete, "{:?}", r.problems);
    assert_eq!(r.acquiring.as_ref().unwrap().class, "&a->\0lock");
    let json = splatdec::render::json::report_line(&got[0]);
    assert!(json.contains("&a->\\u0000lock"));
    let text = splatdec::render::text::analysis(&got[0]);
    assert!(text.contains("&a->\\x00lock") && !text.contains('\0'));
}

#[test]
fn invalid_utf8_anywhere() {
    let mut data = Vec::new();
    for (i, line) in CIRCULAR.lines().enumerate() {
        // Break every third line with bytes that are never UTF-8, and
        // split a multi-byte character across lines.
        data.extend_from_slice(line.as_bytes());
        if i % 3 == 0 {
            data.extend_from_slice(b" \xff\xfe\xc3");
        }
        data.push(b'\n');
    }
    let got = common::run_all(&data);
    assert_eq!(got.len(), 1);
    assert!(!got[0].report.chain.is_empty());
    // Invalid UTF-8 inside a lock class survives as U+FFFD.
    let bad = CIRCULAR.replace("&b->lock", "&b->\u{1b}[31m").into_bytes();
    let mut bad2 = bad.clone();
    let at = bad2.windows(3).position(|w| w == b"&b-").unwrap();
    bad2.insert(at + 1, 0xff);
    let got = common::run_all(&bad2);
    assert_eq!(got.len(), 1);
    assert!(got[0]
        .report
        .holding
        .as_ref()
        .unwrap()
        .class
        .contains('\u{fffd}'));
}

// ---------------------------------------------------------------------
// Nothing but banners.

const BANNER: &[u8] = b"WARNING: possible circular locking dependency detected\n";

fn banners_only(total: u64) {
    let r = Generated::new(b"", total, repeat(BANNER), b"");
    let expected = total.div_ceil(BANNER.len() as u64);
    reset_peak();
    let mut incomplete = 0;
    let (n, took) = decode_counting(r, |rep| {
        if !rep.complete && !rep.problems.is_empty() {
            incomplete += 1;
        }
    });
    report_peak("banners only", total, took);
    assert_eq!(n, expected, "one report per banner");
    assert_eq!(incomplete, n, "each flagged incomplete with a reason");
}

#[test]
fn four_megabytes_of_banners_give_one_report_each() {
    banners_only(4 << 20);
}

#[test]
#[ignore = "1 GB, streamed: run in release (see the module docs)"]
fn a_gigabyte_of_banners_gives_one_report_each() {
    banners_only(1 << 30);
}

/// Banners of many interleaved tasks: reports are evicted past
/// MAX_OPEN_REPORTS, each still comes out, flagged.
fn many_callers(total_banners: u64, callers: u64) {
    let line = |i: u64| {
        format!(
            "[  1.{:06}][T{}] WARNING: possible circular locking dependency detected\n",
            i % 1_000_000,
            1000 + i % callers
        )
        .into_bytes()
    };
    let per = line(0).len() as u64;
    let r = Generated::new(b"", per * total_banners, line, b"");
    reset_peak();
    let mut evicted = 0;
    let (n, took) = decode_counting(r, |rep| {
        assert!(!rep.complete);
        if rep
            .problems
            .iter()
            .any(|p| p.to_string().contains("too many reports were open"))
        {
            evicted += 1;
        }
    });
    report_peak("interleaved banners", per * total_banners, took);
    assert_eq!(n, total_banners);
    assert!(evicted > 0 && evicted <= total_banners);
}

#[test]
fn banners_of_a_hundred_tasks_are_all_kept() {
    const { assert!(MAX_OPEN_REPORTS < 100 && MAX_QUEUED_REPORTS < 1000) };
    many_callers(20_000, 100);
}

/// The worst case for memory: MAX_OPEN_REPORTS reports open at once, each
/// fed to its byte cap with 8 KiB lines, while other tasks print 8 KiB
/// lines that are set aside beside every open report.
fn worst_case_memory(rounds: u64) {
    let open = MAX_OPEN_REPORTS as u64;
    let long = "z".repeat(MAX_LINE_BYTES - 40);
    let line = move |i: u64| {
        let caller = i % (open + 1);
        let text = if i < open {
            "WARNING: possible recursive locking detected".to_string()
        } else if caller == open {
            format!("foreign {long}")
        } else {
            format!("  {long}")
        };
        format!("[  1.000000][T{}] {text}\n", 100 + caller).into_bytes()
    };
    let per = line(open).len() as u64;
    let total = per * rounds;
    let r = Generated::new(b"", total, line, b"");
    reset_peak();
    let (n, took) = decode_counting(r, |_| {});
    report_peak("worst-case open reports", total, took);
    assert!(n >= open);
}

#[test]
fn sixteen_open_reports_of_long_lines_stay_bounded() {
    worst_case_memory(2_000);
}

#[test]
#[ignore = "fills every report to its cap: run in release (see the module docs)"]
fn sixteen_open_reports_at_their_caps_stay_bounded() {
    worst_case_memory(40_000);
}

// ---------------------------------------------------------------------
// Linear time.

/// Time to decode `make(n)`; the best of five to smooth out noise.
fn best_time(make: &dyn Fn() -> Box<dyn Read>) -> Duration {
    (0..5)
        .map(|_| decode_counting(make(), |_| {}).1)
        .min()
        .unwrap()
}

/// Wall-clock timing, so not part of CI (a busy machine makes any timed
/// assertion flaky; the guide keeps timing out of tests). Run it by hand:
/// `cargo test --release --test pathological -- --ignored linear`.
#[test]
#[ignore = "timed: run by hand with --ignored"]
fn decoding_time_is_linear_in_size() {
    // Adversarial line shapes at the line-length cap, inside a report's
    // trace (every line goes through the frame and section parsers).
    let shapes: [(&str, String); 5] = [
        (
            "suffix chain",
            format!(" f{}+0x1/0x2\n", ".isra.1".repeat(1100)),
        ),
        (
            "brackets",
            format!(" {}\n", "[<ffffffff81000000>] ".repeat(380)),
        ),
        ("parens", format!(" {}f+0x1/0x2\n", "(".repeat(8000))),
        (
            "lock-ish",
            format!(" #0: {} (x){{+.+.}}, at: f+0x1/0x2\n", "ffff ".repeat(1600)),
        ),
        (
            "phrases",
            format!("{}\n", " held by  is trying to acquire".repeat(260)),
        ),
    ];
    for (name, line) in shapes {
        let line = line.into_bytes();
        let make = |n: u64| {
            let line = line.clone();
            let per = line.len() as u64;
            move || -> Box<dyn Read> {
                Box::new(Generated::new(
                    TRACE_HEAD.as_bytes(),
                    per * n,
                    repeat(&line),
                    b"",
                ))
            }
        };
        // Under the line cap: every line is in the one report.
        let small = best_time(&make(100));
        let big = best_time(&make(400));
        let ratio = big.as_secs_f64() / small.as_secs_f64().max(1e-6);
        eprintln!("{name}: 100 lines {small:.2?}, 400 lines {big:.2?} (x{ratio:.1})");
        // Linear is 4x; quadratic would be 16x. Leave room for a busy
        // machine.
        assert!(
            ratio < 10.0 || big < Duration::from_millis(50),
            "{name}: 4x the input took {ratio:.1}x the time"
        );
    }
}

#[test]
fn foreign_text_kept_beside_a_report_is_capped() {
    use splatdec::stages::limits::MAX_INTERLEAVED_BYTES;
    let mut log = String::new();
    let long = "q".repeat(MAX_LINE_BYTES - 40);
    let own: Vec<String> = CIRCULAR
        .lines()
        .map(|l| format!("[  1.0][T1] {l}\n"))
        .collect();
    for (i, l) in own.iter().enumerate() {
        log.push_str(l);
        if i == 5 {
            for _ in 0..40 {
                log.push_str(&format!("[  1.0][T2] {long}\n"));
            }
        }
    }
    let got = decode_all(log.as_bytes());
    assert_eq!(got.len(), 1);
    let r = &got[0];
    let kept: usize = r.interleaved.iter().map(|l| l.text.len()).sum();
    assert!(kept <= MAX_INTERLEAVED_BYTES, "{kept} bytes set aside");
    assert!(r.interleaved.len() < 40);
    assert!(
        r.problems.iter().any(|p| p
            .to_string()
            .contains("interleaved foreign lines were dropped")),
        "{:?}",
        r.problems
    );
    assert_eq!(r.chain.len(), 2);
}
