//! The labeled set: real splats from public threads (fixtures/real), each
//! with the maintainers' verdict in its .toml sidecar. Prints the confusion
//! matrix; asserts that no true deadlock is called a false positive (or the
//! reverse) at high confidence, and that at least 80% of the decided ones
//! are classified as the maintainers concluded.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use splatdec::classify::{Class, Confidence};
use splatdec::WalkOptions;

fn label(sidecar: &str) -> Option<Class> {
    sidecar.lines().find_map(|l| {
        let v = l.strip_prefix("verdict = ")?;
        Class::parse(v.trim().trim_matches('"'))
    })
}

#[test]
fn labeled_set_confusion_matrix() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/real");
    let mut entries: Vec<_> = fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    entries.sort();
    let mut matrix: BTreeMap<(Class, Class), usize> = BTreeMap::new();
    let (mut decided, mut correct) = (0usize, 0usize);
    let mut serious = Vec::new();
    let mut misses = Vec::new();
    for toml in &entries {
        let want = label(&fs::read_to_string(toml).unwrap()).expect("sidecar has a verdict");
        let log = fs::read(toml.with_extension("txt")).unwrap();
        let name = toml.file_stem().unwrap().to_string_lossy().into_owned();
        let mut got = Vec::new();
        splatdec::decode_analyzed(&log[..], &name, &WalkOptions::default(), &mut |a| {
            got.push(a)
        })
        .unwrap();
        let a = got.first().unwrap_or_else(|| panic!("{name}: no report"));
        let v = &a.verdict;
        *matrix.entry((want, v.class)).or_default() += 1;
        if want == Class::Undetermined {
            continue;
        }
        decided += 1;
        if v.class == want {
            correct += 1;
        } else {
            misses.push(format!(
                "  {name}: maintainers {want}, splatdec {} ({}, {})",
                v.class,
                v.rule,
                v.confidence.as_str()
            ));
        }
        let opposite = matches!(
            (want, v.class),
            (Class::TrueDeadlock, Class::FalsePositive)
                | (Class::FalsePositive, Class::TrueDeadlock)
        );
        if opposite && v.confidence == Confidence::High {
            serious.push(format!(
                "{name}: {want} called {} at high confidence",
                v.class
            ));
        }
    }
    eprintln!("confusion matrix (rows: maintainers, columns: splatdec)");
    let short = |c: Class| &c.as_str()[..c.as_str().len().min(8)];
    eprint!("{:>18}", "");
    for c in Class::ALL {
        eprint!("{:>10}", short(c));
    }
    eprintln!();
    for want in Class::ALL {
        eprint!("{:>18}", want.as_str());
        for got in Class::ALL {
            eprint!("{:>10}", matrix.get(&(want, got)).copied().unwrap_or(0));
        }
        eprintln!();
    }
    let rate = correct as f64 / decided.max(1) as f64;
    eprintln!(
        "decided correctly: {correct}/{decided} = {:.1}%",
        rate * 100.0
    );
    for m in &misses {
        eprintln!("{m}");
    }
    assert!(
        decided >= 25,
        "the labeled set needs at least 25 decided splats, has {decided}"
    );
    assert!(serious.is_empty(), "{serious:?}");
    assert!(rate >= 0.80, "only {:.1}% decided correctly", rate * 100.0);
}
