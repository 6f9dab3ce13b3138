//! Report shapes (fixtures/shapes, hand-made; README there): what the
//! parser, the text renderer and the lock graph make of them. Each check
//! reads the fixture's own lines for what it expects where it can.

use std::fs;
use std::path::{Path, PathBuf};

use splatdec::graph::LockGraph;
use splatdec::{Analysis, WalkOptions};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/shapes")
        .join(name)
}

fn analyses(path: &Path) -> Vec<Analysis> {
    let data = fs::read(path).unwrap();
    let mut out = Vec::new();
    splatdec::decode_analyzed(&data[..], "-", &WalkOptions::default(), &mut |a| {
        out.push(a)
    })
    .unwrap();
    out
}

fn text(a: &Analysis) -> String {
    let mut out = Vec::new();
    splatdec::render::text::write_analyses(&mut out, std::slice::from_ref(a)).unwrap();
    String::from_utf8(out).unwrap()
}

/// `from --> to  by ...` lines of the graph's text, as (from, to, via).
fn graph_edges(a: &Analysis) -> Vec<(String, String, String)> {
    let g = LockGraph::from_analyses([a]);
    g.to_text()
        .lines()
        .filter_map(|l| {
            let l = l.trim();
            let (from, rest) = l.split_once(" --> ")?;
            let rest = rest.split("  [").next()?;
            let (to, via) = match rest.split_once("  by ") {
                Some((t, v)) => (t, v),
                None => (rest, ""),
            };
            Some((from.to_string(), to.to_string(), via.to_string()))
        })
        .collect()
}

/// The report runs through arm32's `Exception stack(...)` dumps: the
/// interrupted task's frames after the one under `__irq_svc` are in the
/// backtrace, and the report ends on the fixture's last line (the user
/// registers under `ret_fast_syscall`), complete.
#[test]
fn arm32_exception_stack_does_not_end_the_report() {
    let path = fixture("arm32-exception-stack-ipi.txt");
    let log = fs::read_to_string(&path).unwrap();
    let reps = analyses(&path);
    assert_eq!(reps.len(), 1);
    let r = &reps[0].report;
    assert_eq!(r.end_line as usize, log.lines().count(), "{:?}", r.problems);
    assert!(r.complete, "{:?}", r.problems);
    let bt: Vec<&str> = r.backtrace.iter().map(|f| f.base.as_str()).collect();
    // arm32 prints `[<pc>] (func) from [<lr>] (caller+off)`: each line is
    // a frame of `func`, the interrupted task's from demo_lookup on.
    for f in [
        "gic_handle_irq",
        "demo_lookup",
        "demo_read",
        "ksys_read",
        "sys_read",
    ] {
        assert!(bt.contains(&f), "{f} missing from {bt:?}");
    }
    // The dump's words are not frames.
    assert!(
        bt.iter().all(|f| !f.bytes().all(|c| c.is_ascii_hexdigit())),
        "{bt:?}"
    );
    assert!(
        r.unparsed.is_empty(),
        "{:?}",
        r.unparsed.iter().map(|k| &k.text).collect::<Vec<_>>()
    );
}

/// A real arm32 report from syzkaller's test data (read in place, skipped
/// when the corpus is absent): an IPI-time report whose backtrace goes
/// through `Exception stack(...)` into the idle task's frames.
#[test]
fn arm32_exception_stack_in_syzkaller_corpus() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/syzkaller-report/553");
    let Ok(data) = fs::read(&path) else {
        eprintln!("corpus absent: skipped");
        return;
    };
    let text = String::from_utf8_lossy(&data);
    let lines: Vec<&str> = text.lines().collect();
    let last_frame = lines
        .iter()
        .rposition(|l| l.contains(") from [<"))
        .expect("the corpus file has arm32 frames");
    let reps = splatdec::decode_str(&text, "-");
    let r = &reps[0];
    let bt: Vec<&str> = r.backtrace.iter().map(|f| f.base.as_str()).collect();
    for f in ["gic_handle_irq", "arch_cpu_idle", "do_idle", "start_kernel"] {
        assert!(bt.contains(&f), "{f} missing from {bt:?}");
    }
    // Line numbers are 1-based.
    assert!(
        r.end_line as usize > last_frame,
        "{} {last_frame}",
        r.end_line
    );
}

/// Old-layout safe -> unsafe paths: the stack under the held irq-safe lock
/// is the current one, where the lock being taken was acquired; it is
/// never named as the irq-safe lock's acquisition.
#[test]
fn safe_side_stack_is_named_by_the_lock_it_acquires() {
    let reps = analyses(&fixture("safe-unsafe-old-layout-long-name.txt"));
    let r = &reps[0].report;
    let held = &r.holding.as_ref().unwrap().class;
    let acq = &r.acquiring.as_ref().unwrap().class;
    let names: Vec<&str> = r.traces.iter().map(|t| t.name.as_str()).collect();
    assert!(
        names.contains(&format!("{acq}: acquired at (with {held} held)").as_str()),
        "{names:?}"
    );
    assert!(
        !names.contains(&format!("{held}: acquired at").as_str()),
        "{names:?}"
    );
    assert!(
        names.contains(&format!("{acq}: acquired at").as_str()),
        "{names:?}"
    );
    let out = text(&reps[0]);
    assert!(!out.contains(&format!("{held}: acquired at")), "{out}");
}

/// The scenario's CPU1 steps stay CPU1's when a lock name is too long for
/// the column: whatever the layout, no CPU1 step of the log is printed
/// where a CPU0 step would be.
#[test]
fn long_scenario_steps_keep_their_cpu() {
    let reps = analyses(&fixture("safe-unsafe-old-layout-long-name.txt"));
    let a = &reps[0];
    let s = a.report.scenario.as_ref().unwrap();
    let out = text(a);
    let body: Vec<&str> = out
        .lines()
        .skip_while(|l| *l != "unsafe scenario:")
        .skip(1)
        .take_while(|l| !l.is_empty())
        .collect();
    let labelled = body.iter().all(|l| l.trim_start().starts_with("CPU"));
    if labelled {
        assert_eq!(body.len(), s.steps.len(), "{body:?}");
        for (line, st) in body.iter().zip(&s.steps) {
            assert!(
                line.trim_start().starts_with(&format!("CPU{}: ", st.cpu)),
                "{line:?} is not CPU{}'s",
                st.cpu
            );
        }
    } else {
        for (line, st) in body[1..].iter().zip(&s.steps) {
            let col = line.len() - line.trim_start().len();
            assert_eq!(col > 2, st.cpu > 0, "{line:?} in {body:?}");
        }
    }
    // This fixture's CPU1 lock does not fit at 80 columns: labelled.
    assert!(labelled, "{body:?}");
}

/// An inconsistent-state report states no dependency of its `takes:` lock
/// on locks taken after it, and the graph does not label an edge with the
/// function that re-enabled interrupts.
#[test]
fn inconsistent_state_graph_keeps_the_held_order() {
    let reps = analyses(&fixture("inconsistent-irq-enabled-under-held-lock.txt"));
    let edges = graph_edges(&reps[0]);
    let has = |f: &str, t: &str| edges.iter().any(|(a, b, _)| a == f && b == t);
    assert!(has("&dev->mutex", "&dev->irq_lock"), "{edges:?}");
    assert!(has("&dev->irq_lock", "&dev->stats_lock"), "{edges:?}");
    assert!(!has("&dev->stats_lock", "&dev->irq_lock"), "{edges:?}");
    for (_, to, via) in &edges {
        if to == "&dev->irq_lock" {
            assert_eq!(via, "demo_queue_locked", "{edges:?}");
        }
        assert!(!via.contains("demo_stats_update"), "{edges:?}");
    }
    assert!(LockGraph::from_analyses([&reps[0]]).cycles().is_empty());
}

/// An irq inversion contributes its dependency: `was taken by another`
/// is other --> this, labelled by the function in the path's stack.
#[test]
fn irq_inversion_graph_has_its_dependency() {
    let reps = analyses(&fixture("irq-inversion-taken-by-safe.txt"));
    let r = &reps[0].report;
    let inv = r.irq_inversion.as_ref().unwrap();
    assert!(!inv.this_took_other);
    let edges = graph_edges(&reps[0]);
    assert!(
        edges.iter().any(|(a, b, via)| a == "&hub->event_lock"
            && b == "&port->lock"
            && via == "demo_port_event"),
        "{edges:?}"
    );
    assert!(
        !edges
            .iter()
            .any(|(a, b, _)| a == "&port->lock" && b == "&hub->event_lock"),
        "{edges:?}"
    );
    let names: Vec<&str> = r.traces.iter().map(|t| t.name.as_str()).collect();
    assert!(
        names.contains(&"&port->lock: acquired at (with &hub->event_lock held)"),
        "{names:?}"
    );
    assert!(
        names.contains(&"&port->lock: current stack, where its state changed"),
        "{names:?}"
    );
}

/// Cut inside the interrupted task's part (after the register dump under
/// `__irq_svc`, before its frames), the report is not complete; cut after
/// the user registers under `ret_fast_syscall`, it is.
#[test]
fn arm32_cut_after_the_irq_exception_stack_is_incomplete() {
    let log = fs::read_to_string(fixture("arm32-exception-stack-ipi.txt")).unwrap();
    let lines: Vec<&str> = log.lines().collect();
    let irq = lines
        .iter()
        .position(|l| l.contains("(__irq_svc+"))
        .unwrap();
    let resume = lines
        .iter()
        .skip(irq + 1)
        .position(|l| l.contains(") from [<"))
        .unwrap()
        + irq
        + 1;
    for cut in irq + 2..resume {
        let text: String = lines[..cut].iter().map(|l| format!("{l}\n")).collect();
        let r = &splatdec::decode_str(&text, "-")[0];
        assert!(!r.complete, "cut after line {cut}: {:?}", r.problems);
    }
    let r = &splatdec::decode_str(&log, "-")[0];
    assert!(r.complete, "{:?}", r.problems);
}

/// An untimed log pasted as a Markdown 4-space code block (issue 13): the
/// block's indentation is not the kernel's, so the lines kept unparsed
/// read as in the log the block was made from (fixtures/real/004, quoted
/// there), and the report is the same apart from its lines.
#[test]
fn code_block_indentation_is_not_kept_in_unparsed_text() {
    let block = analyses(&fixture("markdown-indented-crossrelease-4.14.txt"));
    let real = analyses(
        &Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures/real/004-crossrelease-loop-ext4-submit-bio-wait-syzbot.txt"),
    );
    assert_eq!(block.len(), 1);
    let texts = |a: &Analysis| -> Vec<String> {
        a.report.unparsed.iter().map(|k| k.text.clone()).collect()
    };
    let got = texts(&block[0]);
    assert!(!got.is_empty());
    assert_eq!(got, texts(&real[0]));
    assert!(got.iter().all(|t| !t.starts_with("    ")), "{got:?}");
    let r = &block[0].report;
    assert_eq!(r.scenario, real[0].report.scenario);
    assert_eq!(r.backtrace.len(), real[0].report.backtrace.len());
}
