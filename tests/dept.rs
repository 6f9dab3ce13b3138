//! DEPT reports (kind `dept`): the summary's contexts, each `[S]`/`[W]`/`[E]`
//! step with its own site and stack, the dependency cycle, completeness,
//! titles and signatures. Fixtures: fixtures/dept (two real reports from
//! public threads, two hand-made from the printk format strings of
//! kernel/dependency/dept.c; sources beside each).

use std::fs;
use std::path::Path;

use splatdec::{Report, ReportKind};

fn fixture(name: &str) -> String {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/dept")
        .join(name);
    fs::read_to_string(p).unwrap()
}

fn one(text: &str) -> Report {
    let mut v = splatdec::decode_str(text, "-");
    assert_eq!(
        v.len(),
        1,
        "{:#?}",
        v.iter().map(|r| &r.title).collect::<Vec<_>>()
    );
    v.remove(0)
}

const TED: &str = "001-dept-ext4-i-data-sem-pglocked-5.18.txt";
const KASAN: &str = "002-dept-kasan-report-lock-vmap-area-4-contexts-6.15.txt";

#[test]
fn two_context_report_is_typed_and_never_glued() {
    let r = one(&fixture(TED));
    assert_eq!(r.kind, ReportKind::Dept);
    assert!(r.complete, "{:?}", r.problems);
    assert!(!r.corrupted);
    assert_eq!(r.title, "DEPT: circular dependency in ext4_mb_init_group");
    assert_eq!(
        r.kernel.as_deref(),
        Some("5.18.0-rc5-xfstests-dept-00021-g8d3d751c9964")
    );
    assert!(r.unparsed.is_empty(), "{:?}", r.unparsed);
    // No DEPT stack lands in the lockdep sections.
    assert!(r.traces.is_empty() && r.chain.is_empty() && r.acquiring.is_none());
    let d = r.dept.as_ref().unwrap();
    assert_eq!(d.deadlock, "DEADLOCK");
    assert_eq!(d.details, 2);
    let [a, b] = &d.contexts[..] else {
        panic!("{:?}", d.contexts)
    };
    assert_eq!((a.name.as_str(), b.name.as_str()), ("A", "B"));
    assert_eq!(
        (a.start.function.as_str(), a.start.class.as_str()),
        ("down_write", "&ei->i_data_sem")
    );
    assert_eq!(
        (a.wait.function.as_str(), a.wait.class.as_str()),
        ("folio_wait_bit_common", "pglocked")
    );
    assert_eq!(a.event.function, "up_write");
    assert_eq!(b.start.function, "(unknown)");
    // Each step keeps its own site and stack.
    assert_eq!(a.start.at[0].base, "ext4_map_blocks");
    assert_eq!(a.start.stack.len(), 11);
    assert_eq!(
        a.start.stack.last().unwrap().base,
        "entry_SYSCALL_64_after_hwframe"
    );
    assert_eq!(a.wait.at[0].base, "__filemap_get_folio");
    assert_eq!(a.wait.stack.len(), 16);
    assert_eq!(a.wait.stack[0].base, "folio_wait_bit_common");
    assert!(a.event.at.is_empty() && a.event.stack.is_empty(), "(N/A)");
    assert!(b.start.at.is_empty() && b.start.stack.is_empty(), "(N/A)");
    assert_eq!(b.wait.stack.len(), 14);
    assert_eq!(b.event.at[0].base, "ext4_bio_write_page");
    assert_eq!(b.event.stack.len(), 16);
    assert_eq!(d.cycle, ["&ei->i_data_sem", "pglocked"]);
    // dump_stack() is the final backtrace, read as any report's.
    assert_eq!(r.backtrace.first().unwrap().base, "dump_stack_lvl");
    assert_eq!(r.task.as_ref().unwrap().comm, "dirstress");
}

#[test]
fn four_contexts_quoted_and_symbolized() {
    let r = one(&fixture(KASAN));
    assert!(r.complete, "{:?}", r.problems);
    assert_eq!(r.title, "DEPT: circular dependency in find_vmap_area");
    let d = r.dept.as_ref().unwrap();
    let names: Vec<&str> = d.contexts.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["A", "B", "C", "D"]);
    assert_eq!(d.details, 4);
    assert_eq!(
        d.cycle,
        [
            "report_lock",
            "&vn->busy.lock",
            "&ndev->lock",
            "&tb->tb6_lock"
        ]
    );
    let a = &d.contexts[0];
    // A symbolized site: the inlined frame, then the function it is in.
    assert_eq!(a.wait.at.len(), 2);
    assert!(a.wait.at[0].inline && !a.wait.at[1].inline);
    assert_eq!(a.wait.at[1].base, "find_vmap_area");
    let c = &d.contexts[2];
    assert_eq!(c.start.function, "write_lock");
    assert_eq!(c.wait.at.len(), 3);
    // The lock cycle the graph and the signature read.
    let cycle = splatdec::cycle::lock_cycle(&r);
    assert_eq!(cycle.edges.len(), 4);
    assert_eq!(cycle.edges[0].via.as_deref(), Some("find_vmap_area"));
    assert_eq!(cycle.edges[0].stack, "context A");
}

#[test]
fn cut_reports_say_what_is_missing() {
    let full = fixture(TED);
    let cut_at = |needle: &str| -> Report {
        let end = full.find(needle).unwrap();
        one(&full[..end])
    };
    for (cut, missing) in [
        ("context B's detail", "the detail of every context"),
        ("context A\n", "the dependency contexts"),
    ] {
        let r = cut_at(cut);
        assert!(!r.complete, "{cut}");
        assert!(
            r.problems.iter().any(|p| p.to_string().contains(missing)),
            "{cut}: {:?}",
            r.problems
        );
    }
    // Never glued: what was read of context A stays context A's.
    let r = cut_at("[ 1538.550660] [E] up_write");
    let d = r.dept.unwrap();
    assert_eq!(d.contexts[0].wait.stack.len(), 16);
    assert!(r.traces.is_empty());
}

#[test]
fn older_series_banner_and_indentation() {
    // Series before 2023 print `Dept:`; the fixture's 4-space diagram is
    // the older indentation already.
    let text = fixture(TED).replace("DEPT: Circular", "Dept: Circular");
    let r = one(&text);
    assert_eq!(r.kind, ReportKind::Dept);
    assert!(r.complete, "{:?}", r.problems);
    assert_eq!(r.dept.unwrap().contexts.len(), 2);
}

#[test]
fn aa_deadlock_in_an_irq() {
    let r = one(&fixture("003-dept-aa-hardirq-handmade.txt"));
    assert!(r.complete, "{:?}", r.problems);
    assert_eq!(r.title, "DEPT: circular dependency in mydrv_irq");
    let d = r.dept.unwrap();
    assert_eq!(d.deadlock, "AA DEADLOCK");
    assert_eq!(d.cycle, ["&priv->lock"]);
    let a = &d.contexts[0];
    assert_eq!(a.irqs, ["hardirq"]);
    let en = a.irq_enabled.as_ref().unwrap();
    assert_eq!(en.at[0].base, "mydrv_poll");
    assert_eq!(en.stack[0].base, "_raw_spin_unlock_irq");
    assert_eq!(a.wait.at[0].base, "mydrv_irq");
    assert_eq!(a.start.stack[0].base, "_raw_spin_lock");
}

#[test]
fn recover_dependency_lists_event_sites() {
    let r = one(&fixture("004-dept-recover-event-sites-handmade.txt"));
    assert!(r.complete, "{:?}", r.problems);
    assert_eq!(
        r.title,
        "DEPT: circular recover dependency in mydrv_rx_complete"
    );
    let d = r.dept.unwrap();
    assert!(d.contexts.is_empty());
    assert_eq!(d.event_sites.len(), 2);
    assert_eq!(d.event_sites[0].from, "mydrv_rx_done@mydrv_rx_complete");
    assert_eq!(d.event_sites[0].to, "mydrv_tx_done@mydrv_tx_complete");
}

#[test]
fn signature_is_the_canonical_cycle() {
    let r = one(&fixture(TED));
    let s = splatdec::triage::signature::sighting(&r);
    assert!(
        s.signature
            .key
            .contains("cycle: &ei->i_data_sem -> pglocked"),
        "{}",
        s.signature.key
    );
    // Keyed on the cycle rotated to its smallest class, so the same
    // cycle reported from another context's wait is one group.
    let r = one(&fixture(KASAN));
    assert_eq!(
        splatdec::triage::signature::canonical_cycle(&r),
        [
            "&ndev->lock",
            "&tb->tb6_lock",
            "report_lock",
            "&vn->busy.lock"
        ]
    );
    let key = splatdec::triage::signature::sighting(&r).signature.key;
    assert!(
        key.starts_with("kind: dept | cycle: &ndev->lock -> "),
        "{key}"
    );
}

#[test]
fn a_lockdep_report_has_no_dept_section() {
    let text = "WARNING: possible recursive locking detected\n";
    let r = one(text);
    assert!(r.dept.is_none());
    assert!(!splatdec::render::json::report_line(&r).contains("\"dept\""));
}
