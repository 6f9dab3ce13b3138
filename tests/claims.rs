//! The claims test: over every fixture log and every report in it, the
//! decoded output must agree with the log itself. Each check reads the
//! log's own lines independently of the parser and compares:
//!
//! 1. every taint letter the log prints is kept (`tainted`, `taint`);
//! 2. `holding` is among the printed held locks, where the report prints
//!    both and its held-locks list is whole;
//! 3. no lockdep internal, lock primitive, sleep check, allocator entry or
//!    stack printer is named as the function behind a lock-cycle edge or
//!    as where a usage was acquired;
//! 4. the in-interrupt and irq-enabled acquisition sites of an
//!    inconsistent-lock-state report are in the stacks the log prints them
//!    in (the `{STATE} state was registered at:` trace for the `from`
//!    state, the backtrace for the new use);
//!    and an acquisition site is a caller of the lock primitive, never a
//!    frame printed above it (the unwinder's or lockdep's own);
//! 5. a lock being released is never labelled as acquired, and the other
//!    lock of an irq inversion is never labelled as held;
//! 6. every reference a reader sees is public: a commit id with its
//!    subject, a lore.kernel.org link, or a kernel source or
//!    documentation path.
//!
//! and, over the verdict: an invalid wait context's fix names the held
//! lock whose inner wait type forbids the sleep; the workqueue pseudo-lock
//! said to be waited on is the one the named flush acquires.
//!
//! The library is checked in-process; with `SPLATDEC_BIN=path` the checks
//! run against that binary instead (an older build, to see which claims it
//! got wrong).

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use splatdec::kernel::frames::{class_of, FrameClass};

fn fixture_logs() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let mut out = Vec::new();
    for dir in ["real", "labeled", "rules", "walk", "formats", "shapes"] {
        let Ok(rd) = std::fs::read_dir(root.join(dir)) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            if p.extension().is_some_and(|x| x == "txt") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// The JSON and text output for `path`: from `SPLATDEC_BIN` when set (to
/// check another build), else from the library in-process.
fn outputs(path: &Path) -> (Option<Value>, String) {
    if let Some(b) = std::env::var_os("SPLATDEC_BIN") {
        let run = |args: &[&str]| {
            let out = Command::new(&b)
                .args(args)
                .arg(path)
                .output()
                .expect("the binary runs");
            String::from_utf8_lossy(&out.stdout).into_owned()
        };
        return (
            serde_json::from_str(&run(&["--format", "json"])).ok(),
            run(&[]),
        );
    }
    let data = std::fs::read(path).unwrap();
    let mut items = Vec::new();
    splatdec::decode_analyzed(
        &data[..],
        &path.display().to_string(),
        &splatdec::WalkOptions::default(),
        &mut |a| items.push(a),
    )
    .unwrap();
    let reports: Vec<Value> = items
        .iter()
        .map(|a| serde_json::from_str(&splatdec::render::json::report_line(a)).unwrap())
        .collect();
    let mut text = Vec::new();
    splatdec::render::text::write_analyses(&mut text, &items).unwrap();
    (
        Some(serde_json::json!({ "reports": reports })),
        String::from_utf8_lossy(&text).into_owned(),
    )
}

/// The set taint letters a `Tainted: ` field prints, read straight from the
/// log: compact (`G        W  OE`) or verbose (`[W]=WARN, [O]=OOT_MODULE`).
fn taint_letters_in(line: &str) -> Option<String> {
    let rest = &line[line.find("Tainted: ")? + "Tainted: ".len()..];
    let mut letters = String::new();
    if rest.starts_with('[') {
        for part in rest.split(", ") {
            let b = part.as_bytes();
            if b.len() >= 4 && b[0] == b'[' && b[2] == b']' && b[3] == b'=' {
                letters.push(b[1] as char);
            } else {
                break;
            }
        }
    } else {
        for tok in rest.split(' ').filter(|t| !t.is_empty()) {
            if tok.bytes().all(|c| c.is_ascii_uppercase()) && tok.len() <= 20 {
                letters.extend(tok.chars().filter(|&c| c != 'G'));
            } else {
                break;
            }
        }
    }
    Some(letters)
}

fn classes(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|l| l["class"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn frame_names(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|f| f["base"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// The frames a stack prints without `?` (the unwinder's guesses left out).
fn reliable_frame_names(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter(|f| f["reliable"].as_bool() != Some(false))
                .filter_map(|f| f["base"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn is_public_reference(r: &str) -> bool {
    let lower = r.to_ascii_lowercase();
    if ["seed", "kernel-facts", "search index", "shared/", "../"]
        .iter()
        .any(|w| lower.contains(w))
    {
        return false;
    }
    let first = r.split_whitespace().next().unwrap_or("");
    let commit = first.len() >= 7
        && first.len() <= 40
        && first.bytes().all(|c| c.is_ascii_hexdigit())
        && r.split_whitespace().count() >= 2;
    let lore = r.starts_with("https://lore.kernel.org/");
    let path = [
        "Documentation/",
        "kernel/",
        "mm/",
        "fs/",
        "include/",
        "lib/",
        "drivers/",
        "net/",
        "arch/",
        "block/",
        "security/",
    ]
    .iter()
    .any(|p| r.starts_with(p));
    commit || lore || path
}

/// The class of the lock line printed right after the line containing
/// `needle` (`(&c->spinlock){..-.}-{2:2}`, with or without an address).
fn lock_after(span: &[&str], needle: &str) -> Option<String> {
    let i = span.iter().position(|l| l.contains(needle))?;
    let line = span[i + 1..]
        .iter()
        .map(|l| splatdec::input::prefix::strip(l, false).1.trim())
        .find(|l| !l.is_empty())?;
    let open = line.find('(')?;
    let close = line.rfind("){")?;
    (close > open).then(|| line[open + 1..close].to_string())
}

/// Every claim that the log contradicts, for one input file.
fn wrong_claims(path: &Path) -> Vec<String> {
    let log = String::from_utf8_lossy(&std::fs::read(path).unwrap()).into_owned();
    let lines: Vec<&str> = log.lines().collect();
    let (json, text) = outputs(path);
    let Some(json) = json else {
        return vec!["output is not JSON".to_string()];
    };
    let name = path.file_name().unwrap().to_string_lossy().into_owned();
    let mut wrong = Vec::new();
    let reports = json["reports"].as_array().cloned().unwrap_or_default();
    for r in &reports {
        let at = format!("{name}:{}", r["line"]);
        let (first, last) = (
            r["line"].as_u64().unwrap_or(1) as usize,
            r["end_line"].as_u64().unwrap_or(0) as usize,
        );
        let span = lines
            .get(first.saturating_sub(1)..last.min(lines.len()))
            .unwrap_or(&[]);
        // 1. Taint letters.
        if let Some(printed) = span.iter().find_map(|l| taint_letters_in(l)) {
            let mut kept: String = r["tainted"]
                .as_str()
                .map(|t| taint_letters_in(t).unwrap_or_default())
                .unwrap_or_default();
            if let Some(flags) = r["taint"]["flags"].as_array() {
                kept.extend(
                    flags
                        .iter()
                        .filter_map(|f| f["letter"].as_str())
                        .flat_map(str::chars),
                );
            }
            for c in printed.chars() {
                if !kept.contains(c) {
                    wrong.push(format!(
                        "{at}: taint letter {c} printed by the log is lost ({:?})",
                        r["tainted"]
                    ));
                }
            }
        }
        // 2. `holding` among the held locks, when the list is whole.
        let held = classes(&r["held_locks"]);
        let whole = r["held_locks_count"].as_u64() == Some(held.len() as u64);
        if let Some(h) = r["holding"]["class"].as_str() {
            if whole && !held.is_empty() && !held.iter().any(|c| c == h) {
                wrong.push(format!(
                    "{at}: `holding` {h} is not among the held locks {held:?}"
                ));
            }
        }
        // 5. Roles: released locks are not acquired; an inversion's other
        // lock is not held.
        let kind = r["kind"].as_str().unwrap_or("");
        if kind == "bad_unlock_balance" && !r["acquiring"].is_null() {
            wrong.push(format!(
                "{at}: the lock being released is reported as being acquired"
            ));
        }
        if kind == "irq_lock_inversion" {
            if let Some(h) = r["holding"]["class"].as_str() {
                if !held.iter().any(|c| c == h) {
                    wrong.push(format!("{at}: {h} (taken in the past) is reported as held"));
                }
            }
        }
        // 3 and 4: sites named in the verdict's evidence.
        let evidence: Vec<String> = r["verdict"]["evidence"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|e| e.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        let registered_trace = r["traces"].as_array().and_then(|a| {
            a.iter().find(|t| {
                t["name"]
                    .as_str()
                    .is_some_and(|n| n.ends_with("state was registered at"))
            })
        });
        let registered: Vec<String> = registered_trace
            .map(|t| frame_names(&t["frames"]))
            .unwrap_or_default();
        let backtrace = frame_names(&r["backtrace"]);
        let backtrace_reliable = reliable_frame_names(&r["backtrace"]);
        let registered_reliable: Vec<String> = registered_trace
            .map(|t| reliable_frame_names(&t["frames"]))
            .unwrap_or_default();
        let from_in_irq = r["usage_transition"]["from"]
            .as_str()
            .is_some_and(|f| f.starts_with("IN-"));
        for e in &evidence {
            let Some((what, site)) = e.rsplit_once(" acquisition via ") else {
                continue;
            };
            if site == "?" {
                continue;
            }
            if class_of(site).is_machinery() {
                wrong.push(format!(
                    "{at}: {site} (lock or lockdep machinery) named as an acquisition site"
                ));
            }
            let in_irq = what.starts_with("in-") || what.starts_with("irq-context");
            // The in-irq use is the registered state when `from` is IN-...
            let stack = if in_irq == from_in_irq {
                &registered
            } else {
                &backtrace
            };
            if kind == "inconsistent_lock_state"
                && !stack.is_empty()
                && !stack.iter().any(|f| f == site)
            {
                wrong.push(format!(
                    "{at}: `{e}` names a site that is not in the stack the log prints that use in"
                ));
            }
            // Where a lock was taken is a caller of the lock primitive that
            // took it: never a frame printed inside it (the unwinder's and
            // lockdep's own frames above the primitive).
            let reliable = if in_irq == from_in_irq {
                &registered_reliable
            } else {
                &backtrace_reliable
            };
            let primitive = reliable
                .iter()
                .position(|f| class_of(f) == FrameClass::LockPrimitive);
            if let (Some(p), Some(s)) = (primitive, reliable.iter().position(|f| f == site)) {
                if s < p {
                    wrong.push(format!(
                        "{at}: `{e}` names {site}, printed above the lock primitive {} (inside the locking and reporting code)",
                        reliable[p]
                    ));
                }
            }
        }
        // 7. irq_safe_unsafe_order: `other_locks` are the irq-safe lock
        // and then the irq-unsafe one, as the log names them.
        if kind == "irq_safe_unsafe_order" {
            let others = classes(&r["other_locks"]);
            for (k, needle) in [(0, "-irq-safe lock:"), (1, "-irq-unsafe lock:")] {
                let Some(printed) = lock_after(span, needle) else {
                    continue;
                };
                if others.get(k) != Some(&printed) {
                    wrong.push(format!(
                        "{at}: other_locks[{k}] is {:?}, the log's lock after `{needle}` is {printed}",
                        others.get(k)
                    ));
                }
            }
        }
        // 8. A circular explanation's cycle closes on the lock it starts
        // from (it is a cycle, read in dependency order).
        if let Some(path) = r["verdict"]["explanation"]
            .as_str()
            .and_then(|x| x.strip_prefix("The cycle "))
            .and_then(|x| x.split_once(" closes when"))
            .map(|(p, _)| p.split(" -> ").collect::<Vec<_>>())
        {
            if path.len() < 3 || path.first() != path.last() {
                wrong.push(format!("{at}: the explained cycle {path:?} does not close"));
            }
        }
        // 10. An invalid wait context's fix names what forbids the sleep:
        // the held lock with the smallest inner wait type below the
        // acquired lock's outer one (check_wait_context()), read from the
        // held-lock lines' `{outer:inner}`.
        if kind == "invalid_wait_context" {
            let w = &r["acquiring"]["wait"];
            let (o, i) = (
                w["outer"].as_u64().unwrap_or(0),
                w["inner"].as_u64().unwrap_or(0),
            );
            let next_outer = if o > 0 { o } else { i };
            let ctx_inner = r["wait_context"]["inner"].as_u64().unwrap_or(u64::MAX);
            let culprit = r["held_locks"]
                .as_array()
                .into_iter()
                .flatten()
                .rev()
                .filter_map(|l| Some((l["class"].as_str()?, l["wait"]["inner"].as_u64()?)))
                .filter(|(_, n)| *n > 0 && *n < next_outer)
                .min_by_key(|(_, n)| *n);
            let fix = r["verdict"]["fix"].as_str().unwrap_or("");
            if let Some((c, n)) = culprit {
                if i >= 4 && n <= ctx_inner && !fix.contains(c) {
                    wrong.push(format!(
                        "{at}: the fix does not name {c} (inner wait type {n}), which forbids the sleep: {fix:?}"
                    ));
                }
            }
        }
        // 11. The workqueue pseudo-lock said to be waited on is the one the
        // named flush or cancel acquires: the chain entry whose stack runs
        // through that frame.
        if r["verdict"]["rule"].as_str() == Some("workqueue-flush-cycle") {
            let said = evidence
                .iter()
                .find_map(|e| e.strip_prefix("workqueue pseudo-lock "));
            let site = evidence
                .iter()
                .find_map(|e| e.strip_prefix("flush/cancel site: "));
            if let (Some(said), Some(site)) = (said, site) {
                let flushed = r["chain"].as_array().into_iter().flatten().find(|e| {
                    reliable_frame_names(&e["stack"]).iter().any(|f| f == site)
                        && e["lock"]["class"].as_str().is_some_and(|c| {
                            c.starts_with("(work_completion)") || c.starts_with("(wq_completion)")
                        })
                });
                if let Some(c) = flushed.and_then(|e| e["lock"]["class"].as_str()) {
                    if c != said {
                        wrong.push(format!(
                            "{at}: {said} is named as waited on, but {site} acquires {c}"
                        ));
                    }
                }
            }
        }
        // 6. References.
        if let Some(refs) = r["verdict"]["references"].as_array() {
            for x in refs.iter().filter_map(|x| x.as_str()) {
                if !is_public_reference(x) {
                    wrong.push(format!("{at}: reference {x:?} is not public and checkable"));
                }
            }
        }
    }
    // 9. No headline ends in syzkaller's placeholder frame `corrupted`.
    let text_lines: Vec<&str> = text.lines().collect();
    for (i, l) in text_lines.iter().enumerate() {
        let head = l.starts_with('[') && l.contains("] ");
        let next = text_lines.get(i + 1).map(|n| n.trim()).unwrap_or("");
        if head && (l.ends_with(" in corrupted") || (l.ends_with(" in") && next == "corrupted")) {
            wrong.push(format!(
                "{name}: headline names syzkaller's `corrupted` placeholder: {l}"
            ));
        }
    }
    // 3: the function behind each edge of the text's lock cycle.
    for l in text.lines() {
        let t = l.trim();
        if let Some((_, by)) = t.split_once("  by ") {
            let f = by.split_whitespace().next().unwrap_or("");
            if f != "?" && class_of(f).is_machinery() {
                wrong.push(format!(
                    "{name}: {f} (machinery) named as the function behind an edge: {t}"
                ));
            }
        }
    }
    wrong
}

#[test]
fn no_decoded_report_says_what_its_log_contradicts() {
    let logs = fixture_logs();
    assert!(logs.len() > 100, "fixtures found: {}", logs.len());
    let mut wrong = Vec::new();
    for p in &logs {
        wrong.extend(wrong_claims(p));
    }
    for w in &wrong {
        eprintln!("{w}");
    }
    assert!(
        wrong.is_empty(),
        "{} wrong claims over {} logs",
        wrong.len(),
        logs.len()
    );
}

#[test]
fn the_checks_catch_false_claims() {
    assert_eq!(
        taint_letters_in("CPU: 1 PID: 2 Comm: x Tainted: G           OE 5.15.0 #1").as_deref(),
        Some("OE")
    );
    assert_eq!(
        taint_letters_in("Tainted: [W]=WARN, [O]=OOT_MODULE").as_deref(),
        Some("WO")
    );
    assert!(is_public_reference(
        "2e517d681632 lockdep: fix fs_reclaim warning"
    ));
    assert!(is_public_reference("https://lore.kernel.org/r/x@y"));
    assert!(is_public_reference(
        "Documentation/locking/lockdep-design.rst"
    ));
    assert!(!is_public_reference("shared seed 002 (Tetsuo Handa)"));
    assert!(!is_public_reference("kernel-facts 7.7"));
    assert!(!is_public_reference("CONFIG_PROVE_RAW_LOCK_NESTING"));
    assert!(class_of("check_prevs_add").is_machinery());
    assert!(class_of("__might_fault").is_machinery());
    assert!(class_of("__ww_mutex_lock").is_machinery());
}
