//! The layered layout behind `graph --format svg` over arbitrary graphs:
//! it never panics, every coordinate is finite and inside the drawing,
//! nodes never overlap, every edge runs from its source to its target,
//! and a large graph is laid out in bounded time.

use proptest::prelude::*;
use splatdec::render::layered::{layout, Input};

fn graph() -> impl Strategy<Value = Input> {
    (1usize..40).prop_flat_map(|n| {
        (
            prop::collection::vec((20.0f64..300.0, prop::sample::select(vec![24.0, 38.0])), n),
            prop::collection::vec((0..n, 0..n), 0..(3 * n)),
        )
            .prop_map(|(sizes, mut edges)| {
                edges.sort();
                edges.dedup();
                let label_widths = edges
                    .iter()
                    .map(|&(a, b)| ((a * 7 + b * 13) % 150) as f64)
                    .collect();
                Input {
                    sizes,
                    edges,
                    label_widths,
                }
            })
    })
}

fn check(input: &Input) {
    let l = layout(input);
    assert_eq!(l.nodes.len(), input.sizes.len());
    assert_eq!(l.routes.len(), input.edges.len());
    assert!(l.width.is_finite() && l.height.is_finite());
    for (i, a) in l.nodes.iter().enumerate() {
        assert!(a.x >= 0.0 && a.y >= 0.0, "{a:?}");
        assert!(
            a.x + a.w <= l.width + 1e-6 && a.y + a.h <= l.height + 1e-6,
            "{a:?} in {}x{}",
            l.width,
            l.height
        );
        for b in &l.nodes[i + 1..] {
            let apart = a.x + a.w <= b.x + 1e-6
                || b.x + b.w <= a.x + 1e-6
                || a.y + a.h <= b.y + 1e-6
                || b.y + b.h <= a.y + 1e-6;
            assert!(apart, "{a:?} overlaps {b:?}");
        }
    }
    for (r, &(a, b)) in l.routes.iter().zip(&input.edges) {
        assert!(r.points.len() >= 2);
        for p in r.points.iter().chain(std::iter::once(&r.label)) {
            assert!(
                p.0.is_finite() && p.1.is_finite() && p.1 <= l.height + 1e-6,
                "{p:?}"
            );
        }
        if a == b {
            assert!(r.self_loop);
            continue;
        }
        // The route starts on its source's side and ends on its target's.
        let (s, t) = (r.points[0], *r.points.last().unwrap());
        let (na, nb) = (l.nodes[a], l.nodes[b]);
        let on = |p: (f64, f64), n: splatdec::render::layered::Rect| {
            ((p.0 - n.x).abs() < 1e-6 || (p.0 - n.x - n.w).abs() < 1e-6)
                && p.1 >= n.y - 1e-6
                && p.1 <= n.y + n.h + 1e-6
        };
        assert!(on(s, na) && on(t, nb), "{r:?} {na:?} {nb:?}");
        // Forward edges go right, reversed ones left.
        assert_eq!(r.reversed, t.0 < s.0, "{r:?}");
        assert!(!r.path().is_empty());
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn any_graph_lays_out_cleanly(input in graph()) {
        check(&input);
    }
}

#[test]
fn a_large_graph_is_laid_out_in_bounded_time() {
    // 600 classes, 1500 random dependencies: far more than a merged
    // triage of a big farm gives (the real fixtures: 41 and 53), and
    // random, so long edges split into many points.
    let n = 600;
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let mut edges: Vec<(usize, usize)> = (0..1500)
        .map(|_| ((next() % n as u64) as usize, (next() % n as u64) as usize))
        .collect();
    edges.sort();
    edges.dedup();
    let input = Input {
        sizes: vec![(160.0, 24.0); n],
        label_widths: vec![90.0; edges.len()],
        edges,
    };
    let t = std::time::Instant::now();
    check(&input);
    let took = t.elapsed();
    // A debug build on a loaded 2-core machine; release is ~20x faster.
    assert!(took.as_secs() < 30, "{took:?}");
    eprintln!("{n} nodes, {} edges: {took:?}", input.edges.len());
}
