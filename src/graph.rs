//! The lock dependency graph of one or several reports (petgraph).
//!
//! Nodes are lock classes; an edge A -> B means B was taken while A was
//! held, labelled with the function that did it and the reports that show
//! it. Edges are the dependencies each report states
//! ([`report_edges`]): its dependency cycle (chain entries and the current
//! acquisition), an irq inversion's path, and held-lock lists in the order
//! the locks were taken. Merging several reports can close cycles that no
//! single report shows; those are pointed out.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use petgraph::algo::tarjan_scc;
use petgraph::graphmap::DiGraphMap;

use crate::cycle::report_edges;
use crate::escape;
use crate::kernel::locks::pseudo_lock;
use crate::Analysis;

/// `source:line` tags kept per edge (the count goes on): memory stays one
/// small record per distinct edge however many reports show it.
pub const MAX_EDGE_SOURCES: usize = 32;

/// One merged edge.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EdgeInfo {
    /// Functions that took the target with the source held.
    pub via: BTreeSet<String>,
    /// `source:line` of the first reports that show the edge (at most
    /// [`MAX_EDGE_SOURCES`], the smallest).
    pub reports: BTreeSet<String>,
    /// How many reports show the edge.
    pub count: u64,
}

/// The merged graph.
#[derive(Debug, Default)]
pub struct LockGraph {
    names: Vec<String>,
    ids: BTreeMap<String, usize>,
    edges: BTreeMap<(usize, usize), EdgeInfo>,
    /// The distinct edge sets single reports show: a cycle is claimed to
    /// need several reports only when no single report's edges close it.
    /// (Reports of one bug share their set, so this grows with distinct
    /// bugs, not with reports.)
    report_edges: BTreeSet<Vec<(usize, usize)>>,
}

/// A cycle (strongly connected set of classes) in the merged graph.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cycle {
    /// The classes of the cycle, in name order.
    pub classes: Vec<String>,
    /// The classes in dependency order (`A --> B --> ... --> A` closes
    /// back on the first), when one directed path visits each once;
    /// otherwise empty and the cycle is shown by its edges.
    pub order: Vec<String>,
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

    fn add_edge(
        &mut self,
        from: &str,
        to: &str,
        via: Option<&str>,
        report: &str,
        mine: &mut BTreeSet<(usize, usize)>,
    ) {
        if from == to && via.is_none() {
            return;
        }
        let (a, b) = (self.node(from), self.node(to));
        let e = self.edges.entry((a, b)).or_default();
        if let Some(v) = via {
            e.via.insert(v.to_string());
        }
        if mine.insert((a, b)) {
            e.count += 1;
            e.reports.insert(report.to_string());
            if e.reports.len() > MAX_EDGE_SOURCES {
                e.reports.pop_last();
            }
        }
    }

    /// Add one analysed report's edges.
    pub fn add(&mut self, a: &Analysis) {
        let r = &a.report;
        let tag = format!("{}:{}", r.source, r.line);
        let mut mine = BTreeSet::new();
        for edge in report_edges(r) {
            self.add_edge(&edge.from, &edge.to, edge.via.as_deref(), &tag, &mut mine);
        }
        self.report_edges.insert(mine.into_iter().collect());
    }

    /// Does some single report's own edge set contain a cycle through all
    /// of `set`?
    fn one_report_shows(&self, set: &BTreeSet<usize>) -> bool {
        self.report_edges.iter().any(|edges| {
            let mut g: DiGraphMap<usize, ()> = DiGraphMap::new();
            for &(a, b) in edges {
                if set.contains(&a) && set.contains(&b) {
                    g.add_edge(a, b, ());
                }
            }
            if set.len() == 1 {
                let n = *set.iter().next().unwrap_or(&usize::MAX);
                return g.contains_edge(n, n);
            }
            tarjan_scc(&g).into_iter().any(|scc| scc.len() == set.len())
        })
    }

    /// One directed cycle through every class of `scc`, if there is one
    /// (depth-first; sccs of lock graphs are small, and the search stops
    /// after a bounded number of steps).
    fn cycle_order(&self, scc: &[usize]) -> Vec<usize> {
        if scc.len() == 1 {
            return vec![scc[0]];
        }
        let set: BTreeSet<usize> = scc.iter().copied().collect();
        let succ = |n: usize| -> Vec<usize> {
            self.edges
                .keys()
                .filter(|(a, b)| *a == n && set.contains(b))
                .map(|&(_, b)| b)
                .collect()
        };
        let start = scc[0];
        let mut path = vec![start];
        let mut budget = 10_000u32;
        fn dfs(
            path: &mut Vec<usize>,
            n: usize,
            start: usize,
            budget: &mut u32,
            succ: &dyn Fn(usize) -> Vec<usize>,
        ) -> bool {
            if *budget == 0 {
                return false;
            }
            *budget -= 1;
            for next in succ(path[path.len() - 1]) {
                if next == start && path.len() == n {
                    return true;
                }
                if !path.contains(&next) {
                    path.push(next);
                    if dfs(path, n, start, budget, succ) {
                        return true;
                    }
                    path.pop();
                }
            }
            false
        }
        if dfs(&mut path, scc.len(), start, &mut budget, &succ) {
            path
        } else {
            Vec::new()
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
            let shown = self.one_report_shows(&set);
            let order: Vec<String> = self
                .cycle_order(&scc)
                .into_iter()
                .map(|i| self.names[i].clone())
                .collect();
            let mut classes: Vec<String> = scc.iter().map(|&i| self.names[i].clone()).collect();
            classes.sort();
            out.push(Cycle {
                classes,
                order,
                only_when_merged: !shown,
            });
        }
        out.sort_by(|a, b| a.classes.cmp(&b.classes));
        out
    }

    /// The cycle (strongly connected component) each class is in, if any:
    /// an edge is a cycle edge when both ends are in the same one.
    fn components(&self) -> Vec<Option<usize>> {
        let g = self.petgraph();
        let mut comp = vec![None; self.names.len()];
        let mut sccs: Vec<Vec<usize>> = tarjan_scc(&g)
            .into_iter()
            .filter(|scc| scc.len() > 1 || self.edges.contains_key(&(scc[0], scc[0])))
            .map(|mut scc| {
                scc.sort();
                scc
            })
            .collect();
        sccs.sort();
        for (i, scc) in sccs.iter().enumerate() {
            for &n in scc {
                comp[n] = Some(i);
            }
        }
        comp
    }

    /// Is the edge `a -> b` part of a cycle?
    fn cycle_edge(comp: &[Option<usize>], a: usize, b: usize) -> bool {
        comp[a].is_some() && comp[a] == comp[b]
    }

    /// True when there are no edges.
    pub fn is_empty(&self) -> bool {
        self.edges.is_empty()
    }

    /// An SVG drawing of the graph (see [`crate::render::svg`]).
    pub fn to_svg(&self) -> String {
        self.to_svg_with_id("lockgraph")
    }

    /// [`LockGraph::to_svg`] with its ids under `id` (several drawings on
    /// one page).
    pub fn to_svg_with_id(&self, id: &str) -> String {
        let comp = self.components();
        let nodes: Vec<crate::render::svg::Node<'_>> = self
            .names
            .iter()
            .enumerate()
            .map(|(i, n)| crate::render::svg::Node {
                name: n,
                pseudo: pseudo_lock(n),
                in_cycle: comp[i].is_some(),
            })
            .collect();
        let edges: Vec<crate::render::svg::Edge<'_>> = self
            .edges
            .iter()
            .map(|(&(a, b), info)| crate::render::svg::Edge {
                from: a,
                to: b,
                via: info.via.iter().map(String::as_str).collect(),
                reports: info.count,
                cycle: Self::cycle_edge(&comp, a, b),
            })
            .collect();
        let cycles = self.cycles().len();
        crate::render::svg::graph(&nodes, &edges, cycles, id)
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
        let comp = self.components();
        let q = |s: &str| {
            let s = escape::text(s);
            format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
        };
        let mut out = String::from(
            "digraph locks {\n  rankdir=LR;\n  node [shape=box, fontname=\"monospace\"];\n",
        );
        for (i, n) in self.names.iter().enumerate() {
            let extra = if hot.contains(&i) { ", color=red" } else { "" };
            match pseudo_lock(n) {
                Some(what) => {
                    let label = format!("{n}\n(pseudo-lock: {what})");
                    let _ = writeln!(out, "  n{i} [label={}, style=dashed{extra}];", q(&label));
                }
                None => {
                    let _ = writeln!(out, "  n{i} [label={}{extra}];", q(n));
                }
            }
        }
        for (&(a, b), info) in &self.edges {
            let label = info.via.iter().cloned().collect::<Vec<_>>().join("\\n");
            let style = if Self::cycle_edge(&comp, a, b) {
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
                info.count
            );
        }
        let pseudo: Vec<(String, &str)> = self
            .names
            .iter()
            .filter_map(|n| pseudo_lock(n).map(|w| (escape::text(n).into_owned(), w)))
            .collect();
        for (n, what) in &pseudo {
            let _ = writeln!(out, "pseudo-lock {n}: {what}, not a lock");
        }
        let cycles = self.cycles();
        if cycles.is_empty() {
            out.push_str("no cycles\n");
        }
        for c in cycles {
            let esc = |s: &String| escape::text(s).into_owned();
            let shown = if c.order.is_empty() {
                // No single directed tour: list the edges inside the set.
                let set: BTreeSet<&String> = c.classes.iter().collect();
                let edges: Vec<String> = self
                    .edges
                    .keys()
                    .filter(|(a, b)| set.contains(&self.names[*a]) && set.contains(&self.names[*b]))
                    .map(|&(a, b)| format!("{} --> {}", esc(&self.names[a]), esc(&self.names[b])))
                    .collect();
                edges.join(", ")
            } else {
                let mut names: Vec<String> = c.order.iter().map(esc).collect();
                names.push(esc(&c.order[0]));
                names.join(" --> ")
            };
            let _ = writeln!(
                out,
                "cycle: {shown}{}",
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

    #[test]
    fn cycles_keep_their_direction() {
        let a = analyze(&order("A", "B", "f"), "x");
        let text = LockGraph::from_analyses(&a).to_text();
        // The cycle reads in dependency order and closes on its first class.
        assert!(
            text.contains("cycle: A --> B --> A") || text.contains("cycle: B --> A --> B"),
            "{text}"
        );
        assert!(!text.contains("<->"), "{text}");
    }

    #[test]
    fn a_recursive_report_shows_its_own_self_cycle() {
        let log = "============================================\n\
WARNING: possible recursive locking detected\n\
6.1.0 #1 Not tainted\n\
--------------------------------------------\n\
t/1 is trying to acquire lock:\n\
ffff888000000002 (&x->lock){+.+.}-{3:3}, at: g+0x1/0x2\n\
\n\
but task is already holding lock:\n\
ffff888000000001 (&x->lock){+.+.}-{3:3}, at: f+0x1/0x2\n\
\n";
        let a = analyze(log, "x");
        let g = LockGraph::from_analyses(&a);
        let c = g.cycles();
        assert_eq!(c.len(), 1, "{c:?}");
        assert!(!c[0].only_when_merged, "one report shows it");
    }

    #[test]
    fn nested_entries_of_one_class_in_a_held_list_are_not_a_cycle() {
        let mut items = analyze(&order("A", "B", "f"), "x");
        items[0].report.held_locks = ["rcu_read_lock", "rcu_read_lock"]
            .into_iter()
            .map(|c| crate::model::Lock {
                class: c.into(),
                ..Default::default()
            })
            .collect();
        let g = LockGraph::from_analyses(&items);
        assert!(g
            .cycles()
            .iter()
            .all(|c| !c.classes.contains(&"rcu_read_lock".to_string())));
        assert!(g.to_text().contains("pseudo-lock rcu_read_lock"));
    }
}
