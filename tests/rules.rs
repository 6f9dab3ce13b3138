//! Every classifier rule fires on a report made for it and stays silent on
//! a look-alike. Fixtures: fixtures/real (public threads), fixtures/walk and
//! fixtures/rules (hand-made).

use std::fs;

use splatdec::classify::{rules, Class, Confidence};
use splatdec::kernel::version::KernelVersion;
use splatdec::{Analysis, WalkOptions};

fn analyze(rel: &str, kernel: Option<&str>) -> Analysis {
    let data = fs::read(format!("{}/fixtures/{rel}", env!("CARGO_MANIFEST_DIR"))).unwrap();
    let opts = WalkOptions {
        kernel: kernel.map(|k| k.parse::<KernelVersion>().unwrap()),
        ..WalkOptions::default()
    };
    let mut out = Vec::new();
    splatdec::decode_analyzed(&data[..], rel, &opts, &mut |a| out.push(a)).unwrap();
    out.into_iter()
        .next()
        .unwrap_or_else(|| panic!("{rel}: no report"))
}

fn fired(a: &Analysis) -> Vec<String> {
    a.verdict.rules.iter().map(|h| h.rule.clone()).collect()
}

/// A fixture and the `--kernel` to walk it with.
type Input = (&'static str, Option<&'static str>);

/// (rule, where it fires, a look-alike where it must not).
const CASES: &[(&str, Input, Input)] = &[
    (
        "sleep-in-rcu-read-section",
        ("rules/sleep-in-rcu-read-section.txt", None),
        // RCU nest depth 0 as expected: another state forbids the sleep.
        ("rules/sleep-in-non-block.txt", None),
    ),
    (
        "fs-reclaim-nested-memalloc",
        ("real/001-fs-reclaim-recursive-btrfs-releasepage.txt", None),
        // fs_reclaim in a cycle whose allocation is not made by a
        // PF_MEMALLOC reclaimer: the rule must stay silent.
        (
            "real/025-fs-reclaim-xfs-ilock-kswapd-stackdepot-nolockdep.txt",
            None,
        ),
    ),
    (
        "vmalloc-nofs-ignored",
        ("walk/vmalloc-nofs-gfs2-5.10.txt", None),
        ("walk/vmalloc-nofs-gfs2-5.10.txt", Some("6.1")),
    ),
    (
        "fs-reclaim-cycle-cannot-recurse",
        ("walk/vmalloc-nofs-gfs2-5.10.txt", Some("6.1")),
        ("walk/vmalloc-nofs-gfs2-5.10.txt", None),
    ),
    (
        "xfs-inode-reclaim-alias",
        (
            "real/025-fs-reclaim-xfs-ilock-kswapd-stackdepot-nolockdep.txt",
            None,
        ),
        ("walk/vmalloc-nofs-gfs2-5.10.txt", None),
    ),
    (
        "sb-freeze-level-held",
        (
            "labeled/130-btrfs-tree-lock-sb-internal-clone-read-mode-ppc64.txt",
            None,
        ),
        // The same report with sb_writers held on another superblock: a
        // lower level of a different superblock does not exclude this
        // one's freezer.
        ("rules/sb-freeze-level-other-sb.txt", None),
    ),
    (
        "fs-reclaim-cycle",
        ("walk/vmalloc-nofs-gfs2-5.10.txt", None),
        ("real/006-slab-mutex-kernfs-count-sysfs.txt", None),
    ),
    (
        "cross-release-completion",
        (
            "real/004-crossrelease-loop-ext4-submit-bio-wait-syzbot.txt",
            None,
        ),
        ("real/016-work-completion-psock-sockmap-reltime.txt", None),
    ),
    (
        "workqueue-flush-cycle",
        (
            "real/029-work-completion-wm8994-accdet-arm32-unwind.txt",
            None,
        ),
        ("real/006-slab-mutex-kernfs-count-sysfs.txt", None),
    ),
    (
        "recursive-same-instance",
        ("rules/recursive-same-instance.txt", None),
        ("rules/recursive-different-instances.txt", None),
    ),
    (
        "recursive-different-instances",
        ("rules/recursive-different-instances.txt", None),
        ("rules/recursive-same-instance.txt", None),
    ),
    (
        "recursive-stacked-instances",
        (
            "real/030-recursive-locking-dm-io-lock-nested-dm-2.6.18.txt",
            None,
        ),
        ("rules/recursive-different-instances.txt", None),
    ),
    (
        "inconsistent-irq-state",
        ("rules/inconsistent-softirq.txt", None),
        (
            "real/003-khugepaged-anon-vma-reclaim-fs-inconsistent.txt",
            None,
        ),
    ),
    (
        "inconsistent-reclaim-fs",
        (
            "real/003-khugepaged-anon-vma-reclaim-fs-inconsistent.txt",
            None,
        ),
        ("rules/inconsistent-softirq.txt", None),
    ),
    (
        "socket-owner-excludes-softirq",
        (
            "labeled/382-sk-callback-lock-slock-af-inet-irq-inversion-owner-bit-2.6.19.txt",
            None,
        ),
        // The same locks, but the held locks show the task taking the
        // callback lock with softirqs on without owning the socket.
        ("rules/socket-callback-lock-not-owned.txt", None),
    ),
    (
        "dept-wait-under-spinlock",
        (
            "labeled/356-dept-ata-port-wait-eh-host-lock-prepare-to-wait-quoted.txt",
            None,
        ),
        // A DEPT cycle of spinlocks waiting on spinlocks: no wait-queue
        // wait inside a spinning lock's section.
        (
            "dept/002-dept-kasan-report-lock-vmap-area-4-contexts-6.15.txt",
            None,
        ),
    ),
    (
        "dept-shared-wait-class",
        (
            "labeled/357-dept-ext4-i-data-sem-bit-wait-buffer-class-quoted-interleaved.txt",
            None,
        ),
        // jbd2's per-journal wait queues and a per-inode lock: no class
        // that one map serves for every object.
        (
            "labeled/358-dept-jbd2-j-wait-commit-invalidate-lock-three-contexts.txt",
            None,
        ),
    ),
    (
        "irq-lock-inversion",
        (
            "real/014-irq-inversion-siglock-alloc-lock-oom-adj.txt",
            None,
        ),
        (
            "real/015-softirq-safe-unsafe-dm-bufio-verity-tasklet.txt",
            None,
        ),
    ),
    (
        "irq-safe-unsafe-order",
        (
            "real/015-softirq-safe-unsafe-dm-bufio-verity-tasklet.txt",
            None,
        ),
        (
            "real/014-irq-inversion-siglock-alloc-lock-oom-adj.txt",
            None,
        ),
    ),
    (
        "invalid-wait-context-rt",
        (
            "real/007-invalid-wait-context-pool-lock-hikey960-arm64.txt",
            None,
        ),
        ("rules/invalid-wait-context-mutex.txt", None),
    ),
    (
        "invalid-wait-context",
        ("rules/invalid-wait-context-mutex.txt", None),
        (
            "real/033-invalid-wait-context-port-lock-printk-x86.txt",
            None,
        ),
    ),
    (
        "sleep-in-non-block",
        ("rules/sleep-in-non-block.txt", None),
        ("real/017-sleeping-atomic-rt-loongarch-tlb-init.txt", None),
    ),
    (
        "rt-sleeping-lock-in-atomic",
        ("real/017-sleeping-atomic-rt-loongarch-tlb-init.txt", None),
        ("rules/sleep-in-non-block.txt", None),
    ),
    (
        "sleep-in-atomic",
        ("walk/nofs-xfs-log-ticket-5.10.txt", None),
        (
            "real/018-scheduling-while-atomic-2.6.17-rt8-x86_64.txt",
            None,
        ),
    ),
    (
        "scheduling-while-atomic",
        (
            "real/018-scheduling-while-atomic-2.6.17-rt8-x86_64.txt",
            None,
        ),
        ("walk/nofs-xfs-log-ticket-5.10.txt", None),
    ),
    (
        "unlock-imbalance",
        (
            "real/008-bad-unlock-balance-ptlock-madvise-syzbot.txt",
            None,
        ),
        ("real/020-still-has-locks-held-hdmi-codec-arm32.txt", None),
    ),
    (
        "held-lock-freed",
        (
            "real/009-held-lock-freed-kswapd-xfs-2.6.18-syslog.txt",
            None,
        ),
        (
            "real/008-bad-unlock-balance-ptlock-madvise-syzbot.txt",
            None,
        ),
    ),
    (
        "locks-leaked",
        (
            "real/027-lock-held-returning-user-mac80211-local-mtx-syzbot.txt",
            None,
        ),
        (
            "real/008-bad-unlock-balance-ptlock-madvise-syzbot.txt",
            None,
        ),
    ),
    (
        "nested-lock-not-taken",
        (
            "real/021-nested-lock-not-taken-evict-ntfs3-gpf-syzbot.txt",
            None,
        ),
        ("real/020-still-has-locks-held-hdmi-codec-arm32.txt", None),
    ),
    (
        "invalid-subclass",
        (
            "labeled/280-kvm-sev-vcpu-mutex-subclass-8-invalid-subclass-quoted.txt",
            None,
        ),
        ("real/013-non-static-key-neigh-seqlock-2.6.19.txt", None),
    ),
    (
        "missing-lockdep-key",
        ("real/013-non-static-key-neigh-seqlock-2.6.19.txt", None),
        ("real/012-max-lockdep-chain-hlocks-btrfs-journal.txt", None),
    ),
    (
        "lockdep-capacity",
        ("real/012-max-lockdep-chain-hlocks-btrfs-journal.txt", None),
        ("real/013-non-static-key-neigh-seqlock-2.6.19.txt", None),
    ),
    (
        "lockdep-self-check",
        ("real/023-lockdep-warn-on-nr-unused-locks-powerpc.txt", None),
        (
            "real/026-debug-locks-warn-mutex-magic-zynqmp-arm64.txt",
            None,
        ),
    ),
    (
        "lock-debug-check",
        (
            "real/026-debug-locks-warn-mutex-magic-zynqmp-arm64.txt",
            None,
        ),
        ("real/023-lockdep-warn-on-nr-unused-locks-powerpc.txt", None),
    ),
    (
        "rcu-debug-locks-off-race",
        ("rules/rcu-debug-locks-off.txt", None),
        // The same report read as a 4.19 kernel's: before 5.12 the value
        // does not prove a race.
        ("rules/rcu-debug-locks-off.txt", Some("4.19")),
    ),
    (
        "rcu-lockdep-already-off",
        ("rules/rcu-debug-locks-off.txt", Some("4.19")),
        ("rules/rcu-debug-locks-off.txt", None),
    ),
    (
        "rcu-reader-helper-without-reader",
        (
            "labeled/316-rcu-ip-tunnel-init-flow-l3mdev-dev-get-by-index.txt",
            None,
        ),
        // An RCU list walked by ip_tunnel_find() (no _rcu helper).
        ("real/010-suspicious-rcu-ip-tunnel-find-rtnl.txt", None),
    ),
    (
        "rcu-protected-accessor-in-reader",
        (
            "labeled/160-netlabel-cipso-rcu-dereference-protected-socket-create.txt",
            None,
        ),
        ("real/010-suspicious-rcu-ip-tunnel-find-rtnl.txt", None),
    ),
    (
        "rcu-list-lock-not-protecting",
        (
            "labeled/314-rcu-genlmsg-multicast-allns-l2tp-decoded.txt",
            None,
        ),
        // A list the table knows, walked with its update-side lock
        // (rtnl_mutex for the IP tunnel hash) held.
        ("real/010-suspicious-rcu-ip-tunnel-find-rtnl.txt", None),
    ),
    (
        "rcu-list-under-lock",
        ("real/010-suspicious-rcu-ip-tunnel-find-rtnl.txt", None),
        // The namespace list walked under genl_mutex, which does not
        // protect it: the rule must stay silent.
        (
            "labeled/314-rcu-genlmsg-multicast-allns-l2tp-decoded.txt",
            None,
        ),
    ),
    (
        "rcu-outside-watching",
        ("real/011-suspicious-rcu-idle-arm64-kprobe-brk.txt", None),
        ("real/010-suspicious-rcu-ip-tunnel-find-rtnl.txt", None),
    ),
    (
        "rcu-suspicious",
        ("real/010-suspicious-rcu-ip-tunnel-find-rtnl.txt", None),
        ("real/012-max-lockdep-chain-hlocks-btrfs-journal.txt", None),
    ),
    (
        "cycle-one-call-path",
        (
            "labeled/174-pciehp-ist-single-threaded-circular-identical-stacks-virtio.txt",
            None,
        ),
        // Two orders from two different syscalls.
        ("real/006-slab-mutex-kernfs-count-sysfs.txt", None),
    ),
    (
        "array-element-class-cycle",
        (
            "labeled/108-nfnetlink-subsys-mutex-class-commit-mutex.txt",
            None,
        ),
        ("real/006-slab-mutex-kernfs-count-sysfs.txt", None),
    ),
    (
        "inode-locks-cycle",
        (
            "labeled/116-f2fs-i-sem-i-xattr-sem-overlayfs-syzbot.txt",
            None,
        ),
        // An inode's i_rwsem in a cycle with two locks that are not in
        // an inode (btrfs fs_info locks): the rule must stay silent.
        (
            "labeled/150-btrfs-cleaner-mutex-subvol-sem-i-mutex-qgroup-disable.txt",
            None,
        ),
    ),
    (
        "recursive-stacking-filesystem",
        (
            "labeled/167-ecryptfs-s-vfs-rename-mutex-recursive-2.6.31-commit-quoted.txt",
            None,
        ),
        // Stacked device-mapper instances: recursion, but no stacking
        // filesystem's frame calls the acquisition.
        (
            "real/030-recursive-locking-dm-io-lock-nested-dm-2.6.18.txt",
            None,
        ),
    ),
    (
        "inode-dir-vs-file-alias",
        (
            "labeled/169-hugetlbfs-i-mutex-dir-vs-file-mmap-sem-readdir-indented.txt",
            None,
        ),
        // The same cycle with the held i_mutex taken by a file write, not
        // a directory read: both orders can be on one file.
        ("rules/inode-mutex-file-write-vs-mmap.txt", None),
    ),
    (
        "driver-registered-class-cycle",
        (
            "labeled/135-thermal-tz-lock-wiphy-mtx-cpuhp-iwlmld-different-zones.txt",
            None,
        ),
        // The same cycle with both &tz->lock paths coming from one driver:
        // they may be on the same zone.
        ("rules/thermal-zone-lock-one-driver.txt", None),
    ),
    (
        "hung-task-uninterruptible",
        (
            "labeled/232-ibmveth-pool-store-napi-disable-hung-task-locks.txt",
            None,
        ),
        // Hung-task reports of idle (state I) workers: the rule must stay
        // silent.
        (
            "real/024-hung-task-held-locks-dump-rcu-gp-state-I.txt",
            None,
        ),
    ),
    (
        "internal-inode-alias",
        (
            "labeled/150-btrfs-cleaner-mutex-subvol-sem-i-mutex-qgroup-disable.txt",
            None,
        ),
        // A cycle of f2fs per-inode locks taken on inodes found by path on
        // both sides (an overlayfs copy-up): no internal inode.
        (
            "labeled/116-f2fs-i-sem-i-xattr-sem-overlayfs-syzbot.txt",
            None,
        ),
    ),
    (
        "circular-dependency",
        ("real/006-slab-mutex-kernfs-count-sysfs.txt", None),
        ("real/001-fs-reclaim-recursive-btrfs-releasepage.txt", None),
    ),
];

#[test]
fn every_rule_fires_on_its_case_and_not_on_its_look_alike() {
    let mut failures = Vec::new();
    for (rule, (hit, hk), (miss, mk)) in CASES {
        let a = analyze(hit, *hk);
        if !fired(&a).contains(&rule.to_string()) {
            failures.push(format!(
                "{rule} did not fire on {hit} ({hk:?}): {:?}",
                fired(&a)
            ));
        }
        let b = analyze(miss, *mk);
        if fired(&b).contains(&rule.to_string()) {
            failures.push(format!("{rule} fired on look-alike {miss} ({mk:?})"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_rule_in_the_table_has_a_case() {
    for r in rules() {
        assert!(
            CASES.iter().any(|(id, _, _)| *id == r.id),
            "rule {} has no fires/look-alike case",
            r.id
        );
    }
}

#[test]
fn primary_verdicts_of_reference_reports() {
    let seed = analyze("real/001-fs-reclaim-recursive-btrfs-releasepage.txt", None);
    assert_eq!(
        (seed.verdict.class, seed.verdict.confidence),
        (Class::FalsePositive, Confidence::High)
    );
    assert!(seed.verdict.explanation.contains("__GFP_NOMEMALLOC"));
    let later = analyze(
        "real/001-fs-reclaim-recursive-btrfs-releasepage.txt",
        Some("4.17"),
    );
    // With --kernel 4.17 the 2018 fix exempts PF_MEMALLOC tasks, so 4.17's
    // rules alone would not decide: the report's own (4.15) decision is
    // kept one step lower, and the explanation says why.
    assert_eq!(
        (later.verdict.class, later.verdict.confidence),
        (Class::FalsePositive, Confidence::Medium)
    );
    assert!(
        later.verdict.explanation.contains("4.16"),
        "{}",
        later.verdict.explanation
    );
    let vm = analyze("walk/vmalloc-nofs-gfs2-5.10.txt", None);
    assert_eq!(
        (vm.verdict.class, vm.verdict.rule.as_str()),
        (Class::TrueDeadlock, "vmalloc-nofs-ignored")
    );
    assert!(
        vm.verdict.fix.contains("memalloc_nofs_save"),
        "{}",
        vm.verdict.fix
    );
    assert!(
        vm.verdict.fix.contains("gfs2_alloc_sort_buffer"),
        "{}",
        vm.verdict.fix
    );
}

#[test]
fn taint_lowers_confidence_and_says_why() {
    let a = analyze("rules/rcu-debug-locks-off.txt", None);
    assert_eq!(a.verdict.confidence, Confidence::Low);
    assert!(a
        .verdict
        .explanation
        .contains("the kernel had already warned (W)"));
}

#[test]
fn undetermined_says_what_is_missing() {
    let a = analyze(
        "real/024-hung-task-held-locks-dump-rcu-gp-state-I.txt",
        None,
    );
    assert_eq!(a.verdict.class, Class::Undetermined);
    assert!(a.verdict.explanation.starts_with("Missing:"));
}

#[test]
fn interrupts_reenabled_under_a_lock_are_not_called_an_acquisition() {
    let a = analyze("rules/inconsistent-hardirq-reenabled.txt", None);
    assert_eq!(a.verdict.rule, "inconsistent-irq-state");
    let v = &a.verdict;
    // The backtrace enables hardirqs (mark_held_locks); nothing is taken.
    assert!(
        v.evidence
            .iter()
            .any(|e| e.contains("enabled by _raw_spin_unlock_irq in mydrv_debugfs_show")),
        "{:?}",
        v.evidence
    );
    assert!(!v.evidence.iter().any(|e| e.contains("enabled acquisition")));
    assert!(v.fix.contains("restoring forms"), "{}", v.fix);
    assert!(
        !v.fix.contains("Take mydrv_list_lock with hardirq disabled"),
        "{}",
        v.fix
    );
    // The registered use is the in-irq one.
    assert!(v
        .evidence
        .iter()
        .any(|e| e == "in-hardirq acquisition via mydrv_obj_remove"));
    // A plain acquisition with irqs enabled keeps the lock-type advice.
    let plain = analyze("rules/inconsistent-softirq.txt", None);
    assert!(
        plain.verdict.fix.contains("spin_lock_bh()"),
        "{}",
        plain.verdict.fix
    );
    assert!(
        !plain.verdict.fix.contains("rwlock"),
        "{}",
        plain.verdict.fix
    );
}

#[test]
fn locks_still_held_tells_the_freezer_check_from_task_exit() {
    let frozen = analyze("rules/locks-still-held-freezer.txt", None);
    assert_eq!(frozen.verdict.rule, "locks-leaked");
    assert!(
        frozen.verdict.summary.contains("freeze"),
        "{}",
        frozen.verdict.summary
    );
    assert!(
        frozen.verdict.fix.contains("mydrv_wait_for_link"),
        "{}",
        frozen.verdict.fix
    );
    assert!(
        frozen.verdict.fix.contains("&dev->cfg_mutex"),
        "{}",
        frozen.verdict.fix
    );
    let exit = analyze("rules/locks-still-held-exit.txt", None);
    assert_eq!(exit.verdict.rule, "locks-leaked");
    assert!(
        !exit.verdict.summary.contains("freeze"),
        "{}",
        exit.verdict.summary
    );
    assert!(exit.verdict.fix.contains("unlock"), "{}", exit.verdict.fix);
}
