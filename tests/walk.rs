//! Acceptance of the allocation-context walk (issue 3): the seed's 4.15
//! trace walks exactly as Tetsuo Handa's hand walk concludes, and the other
//! reference traces show what their kernels' rules imply.

use std::fs;

use splatdec::kernel::version::KernelVersion;
use splatdec::{Analysis, TraceWalk, WalkOptions};

fn analyze(rel: &str, kernel: Option<&str>) -> Vec<Analysis> {
    let path = format!("{}/fixtures/{rel}", env!("CARGO_MANIFEST_DIR"));
    let data = fs::read(&path).unwrap();
    let opts = WalkOptions {
        kernel: kernel.map(|k| k.parse::<KernelVersion>().unwrap()),
        ..WalkOptions::default()
    };
    let mut out = Vec::new();
    splatdec::decode_analyzed(&data[..], rel, &opts, &mut |a| out.push(a)).unwrap();
    out
}

fn trace<'a>(a: &'a Analysis, name: &str) -> &'a TraceWalk {
    a.gfp_walk
        .iter()
        .find(|t| t.trace.starts_with(name))
        .unwrap_or_else(|| panic!("no walk of {name}"))
}

const SEED: &str = "real/001-fs-reclaim-recursive-btrfs-releasepage.txt";
const NOMEM: &str = "GFP_KERNEL|__GFP_NOWARN|__GFP_NOMEMALLOC";

#[test]
fn seed_walks_as_the_hand_walk_concludes_on_4_15() {
    let a = &analyze(SEED, None)[0];
    assert_eq!(a.walk_rules.version.to_string(), "4.15");
    assert_eq!(a.walk_rules.from, splatdec::walk::RulesFrom::Report);
    let t = trace(a, "backtrace");
    let at = |name: &str| {
        t.frames
            .iter()
            .position(|f| f.function == name)
            .unwrap_or_else(|| panic!("{name} not in the walk"))
    };
    // sk_stream_alloc_skb is reached with GFP_KERNEL.
    let sk = &t.frames[at("sk_stream_alloc_skb")];
    assert_eq!(sk.gfp, "GFP_KERNEL");
    // __kmalloc_reserve adds __GFP_NOMEMALLOC|__GFP_NOWARN.
    let kr = &t.frames[at("__kmalloc_reserve")];
    assert_eq!(kr.gfp, NOMEM);
    assert!(kr
        .note
        .as_deref()
        .unwrap()
        .contains("adds __GFP_NOMEMALLOC|__GFP_NOWARN"));
    // Direct reclaim: __perform_reclaim (inlined) sets PF_MEMALLOC and the
    // fs_reclaim acquisition that follows it is taken (depth 1).
    let pr = at("__perform_reclaim");
    assert!(t.frames[pr].inlined);
    assert!(t.frames[pr].task_flags.contains(&"PF_MEMALLOC".to_string()));
    assert_eq!(t.frames[pr].direct_reclaim_possible, Some(false));
    let first_acquire = &t.frames[pr + 1];
    assert_eq!(
        (
            first_acquire.function.as_str(),
            first_acquire.fs_reclaim_depth
        ),
        ("fs_reclaim_acquire", 1)
    );
    assert!(!first_acquire.nested_fs_reclaim);
    // The mask reaches kmem_cache_alloc unchanged...
    assert_eq!(t.frames[at("kmem_cache_alloc")].gfp, NOMEM);
    // ...whose inlined slab_pre_alloc_hook leads to the nested acquisition:
    // __need_fs_reclaim() is true only because __GFP_NOMEMALLOC defeats the
    // PF_MEMALLOC test.
    let hook = t
        .frames
        .iter()
        .rposition(|f| f.function == "slab_pre_alloc_hook")
        .unwrap();
    assert!(t.frames[hook].inlined);
    let nested = &t.frames[hook + 1];
    assert_eq!(nested.function, "fs_reclaim_acquire");
    assert!(!nested.inlined);
    assert!(nested.nested_fs_reclaim);
    assert_eq!(nested.fs_reclaim_depth, 2);
    assert!(nested
        .note
        .as_deref()
        .unwrap()
        .contains("__GFP_NOMEMALLOC defeats"));
    assert_eq!(t.frames.iter().filter(|f| f.nested_fs_reclaim).count(), 1);
}

#[test]
fn seed_under_later_rules_takes_no_nested_fs_reclaim() {
    for (kernel, max_depth) in [("4.17", 0), ("4.19", 1), ("6.6", 1)] {
        let a = &analyze(SEED, Some(kernel))[0];
        assert_eq!(
            (a.walk_rules.version.to_string(), a.walk_rules.from),
            (kernel.to_string(), splatdec::walk::RulesFrom::Kernel)
        );
        let t = trace(a, "backtrace");
        assert!(t.frames.iter().all(|f| !f.nested_fs_reclaim), "{kernel}");
        let depth = t.frames.iter().map(|f| f.fs_reclaim_depth).max().unwrap();
        assert_eq!(depth, max_depth, "{kernel}");
    }
}

#[test]
fn vmalloc_gfp_nofs_before_and_after_vmalloc_honoured_it() {
    let before = &analyze("walk/vmalloc-nofs-gfs2-5.10.txt", None)[0];
    let t = trace(before, "chain #1");
    let pte = t
        .frames
        .iter()
        .find(|f| f.function == "__pte_alloc_kernel")
        .unwrap();
    assert_eq!(pte.gfp, "GFP_KERNEL|__GFP_ZERO");
    let last = t.frames.last().unwrap();
    assert_eq!(
        (last.function.as_str(), last.fs_reclaim_depth),
        ("fs_reclaim_acquire", 1)
    );

    let after = &analyze("walk/vmalloc-nofs-gfs2-5.10.txt", Some("6.1"))[0];
    let t = trace(after, "chain #1");
    let area = t
        .frames
        .iter()
        .find(|f| f.function == "__vmalloc_area_node")
        .unwrap();
    assert!(area.task_flags.contains(&"PF_MEMALLOC_NOFS".to_string()));
    let last = t.frames.last().unwrap();
    assert_eq!(last.fs_reclaim_depth, 0);
    assert!(last.note.as_deref().unwrap().contains("not taken"));
}

#[test]
fn kswapd_holds_fs_reclaim_and_never_direct_reclaims() {
    let a = &analyze(
        "real/025-fs-reclaim-xfs-ilock-kswapd-stackdepot-nolockdep.txt",
        None,
    )[0];
    let t = trace(a, "backtrace");
    let k = t
        .frames
        .iter()
        .position(|f| f.function == "kswapd")
        .unwrap();
    for f in &t.frames[k..] {
        assert!(
            f.task_flags.contains(&"PF_KSWAPD".to_string()),
            "{}",
            f.function
        );
        assert_eq!(f.direct_reclaim_possible, Some(false), "{}", f.function);
    }
    assert_eq!(t.frames.last().unwrap().fs_reclaim_depth, 1);
}

#[test]
fn gfp_nofs_inside_a_nofs_scope() {
    let a = &analyze("walk/nofs-xfs-log-ticket-5.10.txt", None)[0];
    let t = trace(a, "backtrace");
    let tic = t
        .frames
        .iter()
        .find(|f| f.function == "xlog_ticket_alloc")
        .unwrap();
    assert_eq!(tic.gfp, "GFP_NOFS|__GFP_NOFAIL");
    assert!(tic.task_flags.contains(&"PF_MEMALLOC_NOFS".to_string()));
}

#[test]
fn gfp_atomic_path_cannot_reclaim() {
    let a = &analyze("walk/atomic-napi-zone-lock-6.9.txt", None)[0];
    let t = trace(a, "backtrace");
    let n = t
        .frames
        .iter()
        .position(|f| f.function == "napi_alloc_skb")
        .unwrap();
    assert_eq!(t.frames[n].gfp, "GFP_ATOMIC");
    for f in &t.frames[n..] {
        assert_eq!(f.direct_reclaim_possible, Some(false), "{}", f.function);
        assert_eq!(f.fs_reclaim_depth, 0);
    }
}

#[test]
fn unknown_gfp_says_so() {
    let a = &analyze("real/006-slab-mutex-kernfs-count-sysfs.txt", None)[0];
    for t in &a.gfp_walk {
        assert_eq!(t.frames[0].gfp, "caller's gfp", "{}", t.trace);
        assert_eq!(t.frames[0].direct_reclaim_possible, None);
    }
}

#[test]
fn newest_rules_when_the_report_has_no_version() {
    let log = "WARNING: possible recursive locking detected\n\
               swapper/0/1 is trying to acquire lock:\n";
    let a = splatdec::analyze(
        splatdec::decode_str(log, "-").remove(0),
        &WalkOptions::default(),
    );
    assert_eq!(a.walk_rules.from, splatdec::walk::RulesFrom::Newest);
}

/// Issue 11 item 11: `--kernel 4.16`/`4.17` (where the 2018 fs_reclaim fix
/// is believed/known present) must not turn the seed's decided false
/// positive into a silent `undetermined`: the verdict stays decided by the
/// report's own 4.15 rules, one confidence step lower, and the explanation
/// names the version fact and the frame where the walks part.
#[test]
fn kernel_override_never_silently_undecides_the_seed() {
    let own = &analyze(SEED, None)[0];
    assert_eq!(own.verdict.rule, "fs-reclaim-nested-memalloc");
    assert_eq!(own.verdict.confidence.as_str(), "high");
    for kernel in ["4.16", "4.17", "5.10"] {
        let a = &analyze(SEED, Some(kernel))[0];
        // The walk shown is still the one asked for ...
        assert_eq!(a.walk_rules.version.to_string(), kernel);
        let v = &a.verdict;
        // ... but the verdict is decided, and says why.
        assert_ne!(v.class.as_str(), "undetermined", "{kernel}");
        assert_eq!(v.rule, "fs-reclaim-nested-memalloc", "{kernel}");
        assert_eq!(v.confidence.as_str(), "medium", "{kernel}");
        let e = &v.explanation;
        assert!(
            e.starts_with(&format!(
                "Decided with the report's own kernel rules (4.15): with the --kernel {kernel} rules no rule decides"
            )),
            "{e}"
        );
        assert!(e.contains("from 4.16, a PF_MEMALLOC task is exempt"), "{e}");
        assert!(e.contains("lockdep: fix fs_reclaim warning"), "{e}");
        // The first frame where the walks part: on 4.16/4.17 the nested
        // acquisition; from 4.18 __perform_reclaim takes fs_reclaim itself.
        let at = if kernel == "5.10" {
            "at __perform_reclaim"
        } else {
            "at fs_reclaim_acquire"
        };
        assert!(e.contains(at), "{e}");
        assert!(
            v.evidence
                .iter()
                .any(|l| l.starts_with(&format!("--kernel {kernel}: no rule decides"))),
            "{:?}",
            v.evidence
        );
    }
    // A --kernel value with the same outcome changes nothing.
    let same = &analyze(SEED, Some("4.14"))[0];
    assert_eq!(same.verdict.confidence.as_str(), "high");
    assert!(!same.verdict.explanation.contains("Decided with"));
}

/// 4.14-4.17 `__perform_reclaim` calls `fs_reclaim_acquire()` after setting
/// PF_MEMALLOC and before `try_to_free_pages()`: the walk keeps its effect
/// (fs_reclaim held) but shows a call that returned, not an inlined frame.
#[test]
fn fs_reclaim_acquire_before_try_to_free_pages_is_a_returned_call_on_4_15() {
    let a = &analyze(SEED, None)[0];
    let t = trace(a, "backtrace");
    let i = t
        .frames
        .iter()
        .position(|f| f.function == "try_to_free_pages")
        .expect("try_to_free_pages in the walk");
    let acquire = &t.frames[i - 1];
    assert_eq!(acquire.function, "fs_reclaim_acquire");
    assert!(acquire.returned && !acquire.inlined, "{acquire:?}");
    assert_eq!(acquire.fs_reclaim_depth, 1);
    assert_eq!(t.frames[i].fs_reclaim_depth, 1);
    // Printed frames are never marked as returned calls.
    assert!(t
        .frames
        .iter()
        .filter(|f| f.source_line != 0)
        .all(|f| !f.returned));
}

/// Readahead allocates with the mapping's mask, which the trace does not
/// show; below bio submission the mask above no longer applies.
#[test]
fn readahead_mask_is_the_mappings_and_bio_submission_ends_it() {
    let a = &analyze(
        "real/028-zram-init-lock-reclaim-fs-inconsistent-3.7.txt",
        None,
    )[0];
    let t = a
        .gfp_walk
        .iter()
        .find(|t| {
            t.frames
                .iter()
                .any(|f| f.function == "__do_page_cache_readahead")
        })
        .expect("a walk through readahead");
    let at = |name: &str| t.frames.iter().find(|f| f.function == name).unwrap();
    assert_eq!(
        at("__do_page_cache_readahead").gfp,
        "mapping's gfp|__GFP_NOWARN|__GFP_NORETRY"
    );
    assert_eq!(at("submit_bh").gfp, "caller's gfp");
    assert!(!at("kmalloc_order_trace").gfp.contains("NORETRY"));
}

/// JSON writes a walk frame's state only where it changes: read back, with
/// every left-out state field taken from the frame before, each frame is the
/// whole frame, for every fixture with a walk.
#[test]
fn compact_walk_json_reads_back_to_every_frames_whole_state() {
    const STATE: [&str; 5] = [
        "gfp",
        "gfp_bits",
        "task_flags",
        "fs_reclaim_depth",
        "direct_reclaim_possible",
    ];
    let mut frames = 0;
    let mut left_out = 0;
    for dir in ["walk", "real", "labeled", "symbolize"] {
        let root = format!("{}/fixtures/{dir}", env!("CARGO_MANIFEST_DIR"));
        let mut files: Vec<_> = fs::read_dir(&root)
            .unwrap()
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "txt"))
            .collect();
        files.sort();
        for f in files {
            let rel = format!("{dir}/{}", f.file_name().unwrap().to_string_lossy());
            for a in analyze(&rel, None) {
                let line: serde_json::Value =
                    serde_json::from_str(&splatdec::render::json::report_line(&a)).unwrap();
                for (w, jw) in a.gfp_walk.iter().zip(line["gfp_walk"].as_array().unwrap()) {
                    let mut state = serde_json::Map::new();
                    for (f, jf) in w.frames.iter().zip(jw["frames"].as_array().unwrap()) {
                        let mut got = jf.as_object().unwrap().clone();
                        for k in STATE {
                            match got.get(k) {
                                Some(v) => {
                                    state.insert(k.to_string(), v.clone());
                                }
                                None => {
                                    left_out += 1;
                                    got.insert(k.to_string(), state[k].clone());
                                }
                            }
                        }
                        for (k, absent) in [
                            ("note", serde_json::Value::Null),
                            ("kb", serde_json::Value::Null),
                            ("nested_fs_reclaim", serde_json::Value::Bool(false)),
                        ] {
                            got.entry(k).or_insert(absent);
                        }
                        let want = serde_json::to_value(f).unwrap();
                        assert_eq!(serde_json::Value::Object(got), want, "{rel} {}", w.trace);
                        frames += 1;
                    }
                    assert_eq!(
                        w.frames.len(),
                        jw["frames"].as_array().unwrap().len(),
                        "{rel}"
                    );
                }
            }
        }
    }
    assert!(frames > 1000, "{frames} frames");
    assert!(left_out > frames, "{left_out} state fields left out");
}
