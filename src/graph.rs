//! The lock dependency graph of one or several reports (petgraph).
//!
//! Nodes are lock classes; an edge A -> B means B was taken while A was
//! held, labelled with the function that did it and the reports that show
//! it. Edges come from each report's dependency cycle (chain entries and the
//! current acquisition) and from held-lock lists (each lock held before the
//! one being acquired). Merging several reports can close cycles that no
//! single report shows; those are pointed out.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use petgraph::algo::tarjan_scc;
use petgraph::graphmap::DiGraphMap;

use crate::analysis::cycle::cycle_edges;
use crate::escape;
use crate::Analysis;

/// One merged edge.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EdgeInfo {
    /// Functions that took the target with the source held.
    pub via: BTreeSet<String>,
    /// `source:line` of the reports that show the edge.
    pub reports: BTreeSet<String>,
}

/// The merged graph.
#[derive(Debug, Default)]
pub struct LockGraph {
    names: Vec<String>,
    ids: BTreeMap<String, usize>,
    edges: BTreeMap<(usize, usize), EdgeInfo>,
    /// Per report, the lock classes of the cycle it shows itself.
    report_cycles: Vec<BTreeSet<usize>>,
}

/// A cycle (strongly connected set of classes) in the merged graph.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cycle {
    pub classes: Vec<String>,
    /// True when no single report shows all of these classes in its own
    /// cycle: the cycle only appears once reports are merged.
    pub only_when_merged: bool,
}

impl LockGraph {
    fn node(&mut self, name: &str) -> usize {
        if let Some(&i) = self.ids.get(name) {
            return i;
        }
        let i = self.names.len();
        self.names.push(name.to_string());
        self.ids.insert(name.to_string(), i);
        i
    }

    fn add_edge(&mut self, from: &str, to: &str, via: Option<&str>, report: &str) {
        if from == to && via.is_none() {
            return;
        }
        let (a, b) = (self.node(from), self.node(to));
        let e = self.edges.entry((a, b)).or_default();
        if let Some(v) = via {
            e.via.insert(v.to_string());
        }
        e.reports.insert(report.to_string());
    }

    /// Add one analysed report's edges.
    pub fn add(&mut self, a: &Analysis) {
        let r = &a.report;
        let tag = format!("{}:{}", r.source, r.line);
        let mut cyc = BTreeSet::new();
        for edge in cycle_edges(r) {
            self.add_edge(&edge.from, &edge.to, edge.via.as_deref(), &tag);
            cyc.insert(self.node(&edge.from));
            cyc.insert(self.node(&edge.to));
        }
        if r.kind == crate::model::ReportKind::CircularDependency {
            self.report_cycles.push(cyc);
        }
        // Held locks were taken in order, each before the next and before
        // the lock being acquired.
        if let Some(acq) = &r.acquiring {
            for h in &r.held_locks {
                if h.class != acq.class {
                    self.add_edge(
                        &h.class,
                        &acq.class,
                        acq.at.as_ref().map(|f| f.base.as_str()),
                        &tag,
                    );
                }
            }
        }
        for w in r.held_locks.windows(2) {
            self.add_edge(
                &w[0].class,
                &w[1].class,
                w[1].at.as_ref().map(|f| f.base.as_str()),
                &tag,
            );
        }
    }

    /// Build from many reports.
    pub fn from_analyses<'a>(items: impl IntoIterator<Item = &'a Analysis>) -> LockGraph {
        let mut g = LockGraph::default();
        for a in items {
            g.add(a);
        }
        g
    }

    fn petgraph(&self) -> DiGraphMap<usize, ()> {
        let mut g = DiGraphMap::new();
        for i in 0..self.names.len() {
            g.add_node(i);
        }
        for &(a, b) in self.edges.keys() {
            g.add_edge(a, b, ());
        }
        g
    }

    /// Every cycle (strongly connected component of more than one class, or
    /// a class with an edge to itself), deterministic order.
    pub fn cycles(&self) -> Vec<Cycle> {
        let g = self.petgraph();
        let mut out = Vec::new();
        for mut scc in tarjan_scc(&g) {
            let self_loop = scc.len() == 1 && self.edges.contains_key(&(scc[0], scc[0]));
            if scc.len() < 2 && !self_loop {
                continue;
            }
            scc.sort();
            let set: BTreeSet<usize> = scc.iter().copied().collect();
            let shown = self.report_cycles.iter().any(|c| set.is_subset(c));
            let mut classes: Vec<String> = scc.iter().map(|&i| self.names[i].clone()).collect();
            classes.sort();
            out.push(Cycle {
                classes,
                only_when_merged: !shown,
            });
        }
        out.sort_by(|a, b| a.classes.cmp(&b.classes));
        out
    }

    fn in_cycle(&self) -> BTreeSet<usize> {
        let g = self.petgraph();
        let mut s = BTreeSet::new();
        for scc in tarjan_scc(&g) {
            if scc.len() > 1 || self.edges.contains_key(&(scc[0], scc[0])) {
                s.extend(scc);
            }
        }
        s
    }

    /// Graphviz DOT; edges inside cycles are red and bold.
    pub fn to_dot(&self) -> String {
        let hot = self.in_cycle();
        let q = |s: &str| {
            let s = escape::text(s);
            format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
        };
        let mut out = String::from(
            "digraph locks {\n  rankdir=LR;\n  node [shape=box, fontname=\"monospace\"];\n",
        );
        for (i, n) in self.names.iter().enumerate() {
            let extra = if hot.contains(&i) { ", color=red" } else { "" };
            let _ = writeln!(out, "  n{i} [label={}{extra}];", q(n));
        }
        for (&(a, b), info) in &self.edges {
            let label = info.via.iter().cloned().collect::<Vec<_>>().join("\\n");
            let style = if hot.contains(&a) && hot.contains(&b) {
                ", color=red, penwidth=2"
            } else {
                ""
            };
            let _ = writeln!(out, "  n{a} -> n{b} [label={}{style}];", q(&label));
        }
        out.push_str("}\n");
        out
    }

    /// Plain text: every edge, then the cycles.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "{} lock classes, {} dependencies",
            self.names.len(),
            self.edges.len()
        );
        for (&(a, b), info) in &self.edges {
            let via = if info.via.is_empty() {
                String::new()
            } else {
                format!(
                    "  by {}",
                    info.via.iter().cloned().collect::<Vec<_>>().join(", ")
                )
            };
            let _ = writeln!(
                out,
                "  {} --> {}{}  [{} report(s)]",
                escape::text(&self.names[a]),
                escape::text(&self.names[b]),
                escape::text(&via),
                info.reports.len()
            );
        }
        let cycles = self.cycles();
        if cycles.is_empty() {
            out.push_str("no cycles\n");
        }
        for c in cycles {
            let names: Vec<String> = c
                .classes
                .iter()
                .map(|s| escape::text(s).into_owned())
                .collect();
            let _ = writeln!(
                out,
                "cycle: {}{}",
                names.join(" <-> "),
                if c.only_when_merged {
                    "  (no single report shows it: it appears only when reports are merged)"
                } else {
                    ""
                }
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn analyze(text: &str, name: &str) -> Vec<Analysis> {
        let mut out = Vec::new();
        crate::decode_analyzed(
            text.as_bytes(),
            name,
            &crate::WalkOptions::default(),
            &mut |a| out.push(a),
        )
        .unwrap();
        out
    }

    /// A recursive-locking-free report that only records A held, B taken.
    fn order(a: &str, b: &str, f: &str) -> String {
        format!(
            "======================================================\n\
WARNING: possible circular locking dependency detected\n\
6.1.0 #1 Not tainted\n\
------------------------------------------------------\n\
t/1 is trying to acquire lock:\n\
ffff888000000002 ({b}){{+.+.}}-{{3:3}}, at: {f}+0x1/0x2\n\
\n\
but task is already holding lock:\n\
ffff888000000001 ({a}){{+.+.}}-{{3:3}}, at: {f}+0x1/0x2\n\
\n\
the existing dependency chain (in reverse order) is:\n\
\n\
-> #1 ({a}){{+.+.}}-{{3:3}}:\n\
       lock_acquire+0x1/0x2\n\
       other_{f}+0x1/0x2\n\
\n\
-> #0 ({b}){{+.+.}}-{{3:3}}:\n\
       lock_acquire+0x1/0x2\n\
       {f}+0x1/0x2\n\
\n"
        )
    }

    #[test]
    fn single_report_cycle_and_dot() {
        let a = analyze(&order("A", "B", "f"), "x");
        let g = LockGraph::from_analyses(&a);
        let c = g.cycles();
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].classes, ["A", "B"]);
        assert!(!c[0].only_when_merged);
        let dot = g.to_dot();
        assert!(dot.starts_with("digraph locks {"));
        assert!(dot.contains("color=red"));
        assert!(g.to_text().contains("A --> B"));
    }

    #[test]
    fn merged_reports_reveal_a_longer_cycle() {
        // Each report shows a two-lock cycle; together A->B, B->A, C->D, D->C
        // plus held-lock edges B->C and D->A make A,B,C,D one component.
        let mut text = order("A", "B", "f");
        text.push_str(&order("C", "D", "g"));
        let mut items = analyze(&text, "x");
        assert_eq!(items.len(), 2);
        // Add cross edges through held-locks lists.
        items[0].report.held_locks = vec![crate::model::Lock {
            class: "D".into(),
            ..Default::default()
        }];
        items[1].report.held_locks = vec![crate::model::Lock {
            class: "B".into(),
            ..Default::default()
        }];
        let g = LockGraph::from_analyses(&items);
        let c = g.cycles();
        assert_eq!(c.len(), 1, "{c:?}");
        assert_eq!(c[0].classes, ["A", "B", "C", "D"]);
        assert!(c[0].only_when_merged);
    }
}
