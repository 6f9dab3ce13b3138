//! Every input a fuzzer (fuzz/, see README "Hardening") crashed on, kept
//! as a plain test: the bytes go through the stage that failed and the
//! whole pipeline.

mod common;

use common::{run_all, run_gfp};

/// gfp_expr: `splatdec gfp` echoed the printed names, NUL bytes and all,
/// into its explanation.
#[test]
fn gfp_explain_echoed_nul_bytes() {
    let data = b"\x07mode:0x14102c0(GFP_KERNEL|__GFP_NOWAR9\0\0\0\0\0\0\0NOMEMALLOC)";
    run_gfp(data);
    run_all(data);
}

/// Not from the fuzzer (its inputs are too short to find it): 100,000
/// nested parentheses overflowed the stack of the recursive-descent GFP
/// parser.
#[test]
fn gfp_deep_nesting_is_an_error_not_a_stack_overflow() {
    use splatdec::kernel::{gfp, version::KernelVersion};
    let v = KernelVersion::release(6, 1);
    let deep = format!("{}GFP_KERNEL{}", "(".repeat(100_000), ")".repeat(100_000));
    assert!(gfp::parse(&deep, v).is_err());
    let tildes = format!("{}GFP_KERNEL", "~".repeat(100_000));
    assert!(gfp::parse(&tildes, v).is_err());
    assert!(gfp::explain(&deep, None).is_err());
    // Shallow nesting still works.
    let ok = format!("{}GFP_KERNEL{}", "(".repeat(10), ")".repeat(10));
    assert_eq!(
        gfp::parse(&ok, v).unwrap().bits(),
        gfp::parse("GFP_KERNEL", v).unwrap().bits()
    );
}

// Defects the property tests (tests/properties.rs) found, pinned with the
// smallest input that showed each.

fn one(log: &str) -> splatdec::Report {
    let reps = splatdec::decode_str(log, "-");
    assert_eq!(reps.len(), 1, "{reps:#?}");
    reps.into_iter().next().unwrap()
}

const RECURSIVE_HEAD: &str = "\
WARNING: possible recursive locking detected
6.8.0 #1 Not tainted
kworker/0:1/12 is trying to acquire lock:
ffff888010c8a0b0 (&a->lock){+.+.}-{3:3}, at: f+0x1/0x2

but task is already holding lock:
ffff888010c8a0b0 (&a->lock){+.+.}-{3:3}, at: g+0x1/0x2

stack backtrace:
CPU: 0 PID: 12 Comm: kworker/0:1 Not tainted 6.8.0 #1
Call Trace:
 <TASK>
 dump_stack_lvl+0x1/0x2
 f+0x1/0x2
";

#[test]
fn another_tasks_line_after_ret_from_fork_does_not_close_the_report() {
    let own = format!("{RECURSIVE_HEAD} kthread+0x1/0x2\n ret_from_fork+0x1/0x2\n ret_from_fork_asm+0x1/0x2\n </TASK>\n");
    let mut log = String::new();
    for line in own.lines() {
        log.push_str(&format!("[    1.0][ T12] {line}\n"));
        if line.contains("ret_from_fork+") {
            log.push_str("[    1.0][T99] audit: something else\n");
        }
    }
    let r = one(&log);
    assert_eq!(r.backtrace.last().unwrap().function, "ret_from_fork_asm");
    assert_eq!(r.interleaved.len(), 1);
}

#[test]
fn a_trace_cut_mid_line_is_incomplete() {
    // The cut left a lone space of the next frame line.
    let r = one(&format!("{RECURSIVE_HEAD} "));
    assert!(!r.complete, "{:?}", r.problems);
    let r = one(&format!("{RECURSIVE_HEAD}[    1.2"));
    assert!(!r.complete, "{:?}", r.problems);
}

#[test]
fn a_trace_ending_at_kthread_or_do_syscall_64_was_cut() {
    for root in ["kthread", "do_syscall_64"] {
        let r = one(&format!("{RECURSIVE_HEAD} {root}+0x1/0x2\n"));
        assert!(!r.complete, "{root}: {:?}", r.problems);
        let r = one(&format!(
            "{RECURSIVE_HEAD} {root}+0x1/0x2\n ret_from_fork+0x1/0x2\n"
        ));
        assert!(r.complete, "{root}: {:?}", r.problems);
    }
}

#[test]
fn a_foreign_line_then_the_end_of_input_leaves_the_trace_open() {
    let r = one(&format!("{RECURSIVE_HEAD}VFS: Disk quotas dquot_6.6.0\n"));
    assert!(!r.complete, "{:?}", r.problems);
    // A blank line ends a trace.
    let r = one(&format!(
        "{RECURSIVE_HEAD} kthread+0x1/0x2\n ret_from_fork+0x1/0x2\n\n"
    ));
    assert!(r.complete, "{:?}", r.problems);
}

const HELD_TO_USER: &str = "\
WARNING: lock held when returning to user space!
6.0.0 #0 Not tainted
syz-executor.3/10164 is leaving the kernel with locks still held!
1 lock held by syz-executor.3/10164:
";

#[test]
fn a_held_locks_list_cut_before_its_locks_is_incomplete() {
    let r = one(HELD_TO_USER);
    assert!(!r.complete, "{:?}", r.problems);
    let r = one(&format!(
        "{HELD_TO_USER} #0: ffff888147acaa88 (&local->mtx)"
    ));
    assert!(!r.complete, "cut inside the lock line: {:?}", r.problems);
    let r = one(&format!(
        "{HELD_TO_USER} #0: ffff888147acaa88 (&local->mtx){{+.+.}}-{{3:3}}, at: f+0x1/0x2\n"
    ));
    assert!(r.complete, "{:?}", r.problems);
}

#[test]
fn an_inlined_acquire_site_without_its_caller_is_incomplete() {
    let r = one(&format!(
        "{HELD_TO_USER} #0: ffff888147acaa88 (&local->mtx){{+.+.}}-{{3:3}}, at: f net/x.c:217 [inline]\n"
    ));
    assert!(!r.complete, "{:?}", r.problems);
}

#[test]
fn a_capacity_report_cut_before_its_stack_is_incomplete() {
    let head =
        "BUG: MAX_LOCKDEP_CHAIN_HLOCKS too low!\nturning off the locking correctness validator.\n";
    let r = one(head);
    assert!(!r.complete, "{:?}", r.problems);
    // Cut inside a wrapped line that would have been junk.
    let r = one(&format!(
        "{head}Please attach the output of /proc/lock_stat to\nthe bug report\n["
    ));
    assert!(!r.complete, "{:?}", r.problems);
}

/// pipeline: a scenario header `CPU0` followed by NUL bytes became a
/// column name, which the text renderer printed raw.
#[test]
fn scenario_column_names_carry_no_controls() {
    let data = include_bytes!("fuzz_inputs/pipeline-scenario-column-nul.txt");
    let all = run_all(data);
    assert!(all.iter().any(|a| a.report.scenario.is_some()));
    for a in &all {
        for cpu in a.report.scenario.iter().flat_map(|s| &s.cpus) {
            assert!(cpu.bytes().all(|c| c.is_ascii_alphanumeric()), "{cpu:?}");
        }
    }
}

/// A blank line in a CRLF file vanished (a `\r` at the start of a line was
/// taken for the rest of the previous line's end), so every line number
/// after it was off by one.
#[test]
fn blank_crlf_lines_are_kept_and_counted() {
    let texts = |data: &[u8]| -> Vec<(u64, String)> {
        splatdec::input::read_lines(data)
            .unwrap()
            .iter()
            .map(|l| (l.no, l.text.to_string()))
            .collect()
    };
    let want = vec![
        (1, "a".to_string()),
        (2, String::new()),
        (3, "b".to_string()),
    ];
    assert_eq!(texts(b"a\r\n\r\nb\r\n"), want);
    assert_eq!(texts(b"a\n\nb\n"), want);
    assert_eq!(texts(b"a\r\r\n\r\r\nb\r\r\n"), want);
    // Serial-console endings still add no lines.
    assert_eq!(
        texts(b"a\n\rb\n\r"),
        vec![(1, "a".to_string()), (2, "b".to_string())]
    );
    // One byte at a time: the CRLF split across reads.
    struct OneByte<'a>(&'a [u8]);
    impl std::io::Read for OneByte<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            if self.0.is_empty() || buf.is_empty() {
                return Ok(0);
            }
            buf[0] = self.0[0];
            self.0 = &self.0[1..];
            Ok(1)
        }
    }
    let one: Vec<_> = splatdec::input::read_lines(OneByte(b"a\r\n\r\nb\r\n"))
        .unwrap()
        .iter()
        .map(|l| (l.no, l.text.to_string()))
        .collect();
    assert_eq!(one, want);
}

/// A whole report followed by the first bytes of an unrelated line that a
/// body-phase report absorbs as junk: the cut junk line does not make the
/// report incomplete.
#[test]
fn a_cut_junk_line_after_a_whole_report_does_not_make_it_incomplete() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/real/013-non-static-key-neigh-seqlock-2.6.19.txt");
    let text = std::fs::read_to_string(path).unwrap();
    let whole = one(&text);
    assert!(whole.complete, "{:?}", whole.problems);
    let r = one(&format!("{text}usb 1-1: new hi"));
    assert!(r.complete, "{:?}", r.problems);
}

/// ... nor does a cut line that is blank so far (a printk prefix whose
/// text the cut removed).
#[test]
fn a_cut_blank_line_after_a_whole_report_does_not_make_it_incomplete() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/real/024-hung-task-held-locks-dump-rcu-gp-state-I.txt");
    let text: String = std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .skip(14)
        .take(15)
        .map(|l| format!("{l}\n"))
        .collect();
    let whole = one(&text);
    assert!(whole.complete, "{:?}", whole.problems);
    let r = one(&format!("{text}\n[   12.345678] "));
    assert!(r.complete, "{:?}", r.problems);
}

/// A hung task's stack cut right after `kthread`, leaving only the printk
/// prefix of the next line, is incomplete (`ret_from_fork` follows).
#[test]
fn a_hung_task_stack_cut_after_kthread_is_incomplete() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/real/024-hung-task-held-locks-dump-rcu-gp-state-I.txt");
    let text: String = std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .skip(14)
        .take_while(|l| !l.contains("kthread_complete_and_exit"))
        .map(|l| format!("{l}\n"))
        .collect();
    assert!(text.trim_end().ends_with("kthread+0xe6/0x110"));
    let r = one(&format!("{text}[  249.263997] "));
    assert!(!r.complete, "{:?}", r.problems);
}
