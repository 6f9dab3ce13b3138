//! Hung-task reports (kind `held_locks_dump` with a hung-task banner):
//! another task's output interleaved without caller ids, the blocker line
//! of 6.16+ kernels with its owner's stack, the hung task's own held locks,
//! and one all-locks dump per khungtaskd round. Line shapes from
//! kernel/hung_task.c (check_hung_task, debug_show_blocker),
//! kernel/sched/core.c (sched_show_task) and kernel/locking/lockdep.c
//! (debug_show_all_locks, lockdep_print_held_locks). Fixtures:
//! fixtures/shapes/hung-*.txt (hand-made, README there).

use std::fs;
use std::path::Path;

use splatdec::{Report, ReportKind};

fn fixture(name: &str) -> String {
    fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures/shapes")
            .join(name),
    )
    .unwrap()
}

fn bases(frames: &[splatdec::Frame]) -> Vec<&str> {
    frames.iter().map(|f| f.base.as_str()).collect()
}

fn held_by(r: &Report) -> Vec<String> {
    r.held_lock_lists
        .iter()
        .map(|h| {
            h.task
                .as_ref()
                .map_or("?".into(), |t| format!("{}/{}", t.comm, t.pid))
        })
        .collect()
}

#[test]
fn an_interleaved_task_stack_is_not_the_hung_task_stack() {
    let text = fixture("hung-interleaved-foreign-task-4.17.txt");
    let v = splatdec::decode_str(&text, "-");
    assert_eq!(
        v.len(),
        1,
        "{:?}",
        v.iter().map(|r| &r.title).collect::<Vec<_>>()
    );
    let r = &v[0];
    assert_eq!(r.kind, ReportKind::HeldLocksDump);
    // The hung task's own stack, from its sched_show_task() line on; not
    // should_fail's, printed before it by another task.
    assert_eq!(r.title, "INFO: task hung in quxdev_release_workfn");
    assert_eq!(
        bases(&r.backtrace),
        [
            "__schedule",
            "schedule",
            "quxdev_wait_for_idle",
            "quxdev_release_workfn",
            "process_one_work",
            "worker_thread",
            "kthread",
            "ret_from_fork"
        ]
    );
    assert!(r.traces.is_empty(), "{:?}", r.traces);
    assert!(r.complete, "{:?}", r.problems);
    assert!(
        r.problems
            .iter()
            .any(|p| matches!(p, splatdec::model::Problem::ForeignStackLines(_))),
        "{:?}",
        r.problems
    );
    let unparsed: Vec<&str> = r.unparsed.iter().map(|k| k.text.trim()).collect();
    for foreign in [
        "dump_stack+0x1b9/0x294",
        "should_fail+0x8c0/0xa40",
        "__kmalloc+0x14e/0x760",
    ] {
        assert!(
            unparsed.iter().any(|u| u.ends_with(foreign)),
            "{foreign} not kept apart: {unparsed:?}"
        );
    }
    // The dump goes on past the foreign lines spliced into it.
    assert_eq!(
        held_by(r),
        ["khungtaskd/893", "kworker/0:2/7731", "syz-executor2/20417"]
    );
    // The hung task's own held locks are the report's.
    let own: Vec<&str> = r.held_locks.iter().map(|l| l.class.as_str()).collect();
    assert_eq!(
        own,
        [
            "(wq_completion)\"events\"",
            "(work_completion)(&qd->release_work)"
        ]
    );
}

#[test]
fn the_blocker_line_keeps_the_owner_and_its_stack_apart() {
    let text = fixture("hung-blocker-owner-6.16.txt");
    let v = splatdec::decode_str(&text, "-");
    assert_eq!(v.len(), 1);
    let r = &v[0];
    assert!(r.complete, "{:?}", r.problems);
    assert_eq!(r.title, "INFO: task hung in quxdev_reset_work");
    assert!(bases(&r.backtrace).contains(&"quxdev_reset_work"));
    assert!(!bases(&r.backtrace).contains(&"quxd_thread"));
    assert!(r.traces.is_empty(), "{:?}", r.traces);
    let b = r.blocked_on.as_ref().unwrap();
    assert_eq!(b.lock, "mutex");
    assert_eq!(b.task.as_ref().unwrap().pid, 91);
    let o = b.owner.as_ref().unwrap();
    assert_eq!((o.comm.as_str(), o.pid), ("quxd", 917));
    assert_eq!(
        bases(&b.owner_stack),
        [
            "__schedule",
            "schedule",
            "schedule_timeout",
            "quxd_thread",
            "kthread",
            "ret_from_fork",
            "ret_from_fork_asm"
        ]
    );
    assert_eq!(held_by(r), ["khungtaskd/38", "kworker/u8:3/91", "quxd/917"]);
    // The hung task's own list: the mutex it waits on is its last entry,
    // the one its owner holds.
    assert_eq!(r.held_locks.last().unwrap().class, "&qd->cfg_mutex");
    let text = {
        let a = splatdec::analyze(r.clone(), &splatdec::WalkOptions::default());
        splatdec::render::text::analysis(&a)
    };
    assert!(
        text.contains("blocked on: a mutex, likely owned by quxd/917"),
        "{text}"
    );
    assert!(
        text.contains("stack of the likely owner quxd/917"),
        "{text}"
    );
}

#[test]
fn blocker_line_shapes() {
    use splatdec::vocab::body::parse_blocker;
    let b = parse_blocker(
        "INFO: task NvmlTaskRunner:11290 <reader> blocked on an rw-semaphore likely owned by task VLLM::EngineCor:46249 <writer>",
    )
    .unwrap();
    assert_eq!(b.lock, "rw-semaphore");
    assert_eq!(b.role.as_deref(), Some("reader"));
    assert_eq!(b.owner_role.as_deref(), Some("writer"));
    assert_eq!(b.owner.unwrap().comm, "VLLM::EngineCor");
    let b = parse_blocker(
        "INFO: task kworker/0:0:9 blocked on a semaphore likely last held by task kworker/1:66:4095",
    )
    .unwrap();
    assert!(b.last_holder);
    assert_eq!(b.task.unwrap().comm, "kworker/0:0");
    let b = parse_blocker("INFO: task cat:115 is blocked on a mutex, but the owner is not found.")
        .unwrap();
    assert!(b.owner.is_none());
    assert_eq!(b.task.unwrap().pid, 115);
    assert!(parse_blocker("INFO: task cat:115 blocked for more than 120 seconds.").is_none());
}

/// Two khungtaskd rounds, each with its own all-locks dump: two reports.
/// The second dump is not merged into the first report even when the first
/// one's `=====` ruler was lost.
#[test]
fn one_dump_per_round() {
    let round = |pid: u32, ruler: bool| {
        format!(
            "INFO: task quxd:{pid} blocked for more than 120 seconds.\n      Not tainted 6.12.0 #1\n\"echo 0 > /proc/sys/kernel/hung_task_timeout_secs\" disables this message.\ntask:quxd            state:D stack:0     pid:{pid}   tgid:{pid}   ppid:2      flags:0x00004000\nCall Trace:\n <TASK>\n __schedule+0x4e0/0xbf0\n schedule+0x27/0xc0\n quxd_flush+0x1c4/0x2b0\n kthread+0x108/0x220\n ret_from_fork+0x134/0x160\n ret_from_fork_asm+0x1a/0x30\n </TASK>\n\nShowing all locks held in the system:\n1 lock held by khungtaskd/38:\n #0: ffffffff82b5a0e0 (rcu_read_lock){{....}}-{{1:3}}, at: debug_show_all_locks+0x36/0x1c0\n1 lock held by quxd/{pid}:\n #0: ffff888104b2c0a8 (&qd->cfg_mutex){{+.+.}}-{{4:4}}, at: quxd_flush+0x9a/0x2b0\n\n{}",
            if ruler { "=============================================\n\n" } else { "" }
        )
    };
    for ruler in [true, false] {
        let log = format!("{}{}", round(100, ruler), round(200, true));
        let v = splatdec::decode_str(&log, "-");
        assert_eq!(
            v.len(),
            2,
            "ruler {ruler}: {:?}",
            v.iter().map(|r| &r.title).collect::<Vec<_>>()
        );
        for (r, pid) in v.iter().zip([100, 200]) {
            assert_eq!(r.task.as_ref().unwrap().pid, pid);
            assert_eq!(
                r.held_lock_lists.len(),
                2,
                "ruler {ruler}: {:?}",
                held_by(r)
            );
            assert_eq!(r.held_locks[0].class, "&qd->cfg_mutex");
            assert!(r.complete, "{:?}", r.problems);
        }
    }
}

/// A second `Showing all locks held in the system:` after a hung task's
/// dump (sysrq-d, another caller of debug_show_all_locks()) is a report of
/// its own, even when the first dump's ruler was lost.
#[test]
fn a_second_dump_is_another_report() {
    let log = "INFO: task quxd:100 blocked for more than 120 seconds.\n      Not tainted 6.12.0 #1\n\"echo 0 > /proc/sys/kernel/hung_task_timeout_secs\" disables this message.\ntask:quxd            state:D stack:0     pid:100   tgid:100   ppid:2      flags:0x00004000\nCall Trace:\n <TASK>\n __schedule+0x4e0/0xbf0\n schedule+0x27/0xc0\n quxd_flush+0x1c4/0x2b0\n kthread+0x108/0x220\n ret_from_fork+0x134/0x160\n ret_from_fork_asm+0x1a/0x30\n </TASK>\n\nShowing all locks held in the system:\n1 lock held by quxd/100:\n #0: ffff888104b2c0a8 (&qd->cfg_mutex){+.+.}-{4:4}, at: quxd_flush+0x9a/0x2b0\n\nShowing all locks held in the system:\n1 lock held by bash/7:\n #0: ffff888104b2c0b0 (&tty->ldisc_sem){++++}-{0:0}, at: tty_ldisc_ref_wait+0x24/0x80\n\n=============================================\n";
    let v = splatdec::decode_str(log, "-");
    let titles: Vec<&str> = v.iter().map(|r| r.title.as_str()).collect();
    assert_eq!(
        titles,
        [
            "INFO: task hung in quxd_flush",
            "Showing all locks held in the system"
        ]
    );
    assert_eq!(held_by(&v[0]), ["quxd/100"]);
    assert_eq!(held_by(&v[1]), ["bash/7"]);
}

/// A hung-task report ends at the first line after a blank line that is
/// no kernel text, even when that text is indented (review 3: a patch
/// quoting a 3-frame hung-task trace before its trailers and diff; a lone
/// banner before `ps` and `perf report` output). Shapes of those posts,
/// names invented.
#[test]
fn a_hung_task_report_ends_before_the_posters_text() {
    let patch = "\
The qux lookup can block for long:

INFO: task qux.0.17:5995 blocked for more than 143 seconds.
Call Trace:
 inode_lock_nested include/linux/fs.h:1073 [inline]
 __qux_dirop fs/qux/namei.c:2923 [inline]
 qux_dirop fs/qux/namei.c:2934 [inline]

Reported-by: Some Body <some@example.org>
Signed-off-by: Some Body <some@example.org>
---
 fs/qux/namei.c | 2 +-
 1 file changed, 1 insertion(+), 1 deletion(-)

diff --git a/fs/qux/namei.c b/fs/qux/namei.c
--- a/fs/qux/namei.c
+++ b/fs/qux/namei.c
@@ -2160,7 +2160,7 @@ qux_dirop(struct inode *inode,
 \t\t\t\terror = -EIO;
 \t\t\t\tgoto failed;
";
    let ps = "\
[Thu Oct  9 09:49:59 2025] INFO: task quxd:45649 blocked for more than 70565 seconds.

me@node:~$ ps -p 50674 -o pid,etime,cputime,comm
    PID     ELAPSED     TIME COMMAND
  50674    20:18:25 20:14:15 kworker/u400:20+flush-9:127

A perf profile shows:

    32.09%  kworker/u400:20  [kernel.kallsyms]  [k] qux_get_group_info
            |
            |--11.91%--qux_mb_prefetch
            |          qux_mb_regular_allocator
            |          kthread
";
    for (text, first, last) in [(patch, 3, 7), (ps, 1, 1)] {
        let v = splatdec::decode_str(text, "-");
        assert_eq!(v.len(), 1, "{text}");
        let r = &v[0];
        assert_eq!(r.kind, ReportKind::HeldLocksDump);
        assert_eq!((r.line, r.end_line), (first, last), "{:?}", r.unparsed);
        assert!(r.unparsed.is_empty(), "{:?}", r.unparsed);
    }
}

/// khungtaskd prints the hung tasks of a round, then one all-locks dump
/// (kernel/hung_task.c: check_hung_uninterruptible_tasks()): the first
/// hung task's own list is in the dump printed after the second task, and
/// is attached to its report, marked as taken from that dump (review 3:
/// syzbot's `1 lock held by syz.3.1794/12741` was left unattached).
#[test]
fn a_later_dump_gives_an_earlier_hung_task_its_locks() {
    let text = "\
INFO: task quxd:101 blocked for more than 143 seconds.
      Not tainted 6.18.0 #1
\"echo 0 > /proc/sys/kernel/hung_task_timeout_secs\" disables this message.
task:quxd            state:D stack:0     pid:101   tgid:101   ppid:1      flags:0x00004004
Call Trace:
 <TASK>
 __schedule+0x1/0x2
 schedule+0x1/0x2
 qux_wait+0x1/0x2
 </TASK>
INFO: task quxd:102 blocked for more than 144 seconds.
      Not tainted 6.18.0 #1
\"echo 0 > /proc/sys/kernel/hung_task_timeout_secs\" disables this message.
task:quxd            state:D stack:0     pid:102   tgid:102   ppid:1      flags:0x00004004
Call Trace:
 <TASK>
 __schedule+0x1/0x2
 schedule+0x1/0x2
 qux_lock+0x1/0x2
 </TASK>

Showing all locks held in the system:
1 lock held by khungtaskd/32:
 #0: ffffffff8e13aee0 (rcu_read_lock){....}-{1:3}, at: debug_show_all_locks+0x2e/0x180
1 lock held by quxd/101:
 #0: ffff88805a0c8a40 (&qux->mutex){+.+.}-{4:4}, at: qux_wait+0x1/0x2
2 locks held by quxd/102:
 #0: ffff88805a0c8b40 (&qux->other){+.+.}-{4:4}, at: qux_lock+0x1/0x2
 #1: ffff88805a0c8a40 (&qux->mutex){+.+.}-{4:4}, at: qux_lock+0x1/0x2

=============================================
";
    let v = splatdec::decode_str(text, "-");
    assert_eq!(v.len(), 2);
    let (a, b) = (&v[0], &v[1]);
    assert_eq!(a.task.as_ref().unwrap().pid, 101);
    assert_eq!(held_by(a), ["quxd/101"]);
    assert_eq!(a.held_lock_lists[0].from_dump, Some(b.line));
    let classes: Vec<&str> = a.held_locks.iter().map(|l| l.class.as_str()).collect();
    assert_eq!(classes, ["&qux->mutex"]);
    assert_eq!(a.held_locks_count, Some(1));
    // The later report keeps its own dump as printed.
    assert!(b.held_lock_lists.iter().all(|h| h.from_dump.is_none()));
    assert_eq!(b.held_locks.len(), 2);
}
