//! A report's lock cycle, computed once for the renderers, the lock graph
//! and triage: its locks in dependency order and its edges, each with the
//! function that created it (the first interesting frame of the stack that
//! recorded it, by the frame-class table in [`crate::kernel::frames`]).

use crate::kernel::frames::{class_of, first_interesting};
use crate::model::{Frame, Report, ReportKind};

/// A frame that tells nothing about the code under suspicion: unreliable,
/// or added by the report's own printing (lockdep, the sleep checks, the
/// stack dumper).
pub fn is_noise(f: &Frame) -> bool {
    !f.reliable || class_of(&f.base).is_reporting()
}

/// The frame of a saved stack that "did" it: the first reliable frame
/// outside the machinery (see [`first_interesting`]).
pub fn actor(frames: &[Frame]) -> Option<&Frame> {
    first_interesting(frames)
}

/// The function that took `lock`: its `at:` site when that is the code
/// under suspicion, else (an `at:` inside a primitive or lockdep, such as
/// `__ww_mutex_lock` or `__might_fault`) the first interesting frame of
/// `stack`, the stack that acquisition was printed with, if any.
pub fn taking_site(lock: &crate::model::Lock, stack: &[Frame]) -> Option<String> {
    lock.at
        .as_ref()
        .filter(|f| !crate::kernel::frames::class_of(&f.base).is_machinery())
        .map(|f| f.base.to_string())
        .or_else(|| first_interesting(stack).map(|f| f.base.to_string()))
}

/// One edge of a lock cycle: `from` was held while `to` was taken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edge {
    pub from: String,
    pub to: String,
    /// The function that took `to` with `from` held, when a stack shows it.
    pub via: Option<String>,
    /// The stack the edge comes from (`chain #1`, `current`).
    pub stack: String,
}

/// A report's lock cycle, read once for everyone who shows or keys it (the
/// text renderer, the lock graph, triage signatures).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LockCycle {
    /// The lock classes in dependency order, starting at the lock being
    /// acquired: `S, L1, ..., Ln`, where `L(k-1) -> Lk` was recorded
    /// earlier and `Ln -> S` is the dependency being added. A report
    /// without a dependency chain gives what it shows of the new edge:
    /// the lock being acquired, then the one held.
    pub locks: Vec<String>,
    /// The edges the report shows, with the function behind each.
    pub edges: Vec<Edge>,
}

/// The lock cycle of a report. For a circular report the chain entries
/// `#n .. #1` give S -> ... -> T (entry #k's stack took L_k while L_(k-1)
/// was held, L_0 = S) and the current attempt gives T -> S. Every other
/// report (and a circular one cut before its chain) shows one edge at
/// most: the lock held -> the lock being acquired.
pub fn lock_cycle(r: &Report) -> LockCycle {
    let mut c = LockCycle::default();
    match r.kind {
        ReportKind::CircularDependency if !r.chain.is_empty() => {
            // chain is printed #n first; index k means L_k.
            let mut by_index: Vec<&crate::model::ChainEntry> = r.chain.iter().collect();
            by_index.sort_by_key(|e| e.index);
            let s = r
                .acquiring
                .as_ref()
                .map(|l| l.class.clone())
                .or_else(|| by_index.first().map(|e| e.lock.class.clone()))
                .unwrap_or_default();
            c.locks.push(s.clone());
            let mut prev = s.clone();
            for e in by_index.iter().filter(|e| e.index >= 1) {
                c.locks.push(e.lock.class.clone());
                c.edges.push(Edge {
                    from: prev.clone(),
                    to: e.lock.class.clone(),
                    via: actor(&e.stack).map(|f| f.base.to_string()),
                    stack: format!("chain #{}", e.index),
                });
                prev = e.lock.class.clone();
            }
            let current = by_index
                .iter()
                .find(|e| e.index == 0)
                .map(|e| actor(&e.stack).map(|f| f.base.to_string()))
                .unwrap_or(None)
                .or_else(|| {
                    r.acquiring
                        .as_ref()
                        .and_then(|l| taking_site(l, &r.backtrace))
                });
            c.edges.push(Edge {
                from: prev,
                to: s,
                via: current,
                stack: "current".to_string(),
            });
        }
        // A circular report cut before its chain (or quoted without it)
        // may still print `Chain exists of: S --> P --> T`: the lock being
        // acquired, the lock just before the held one on the recorded path,
        // and the held one. Locks between S and P are not printed.
        ReportKind::CircularDependency if r.chain_exists_of.len() == 3 => {
            let [s, p, t] = [0, 1, 2].map(|i| r.chain_exists_of[i].clone());
            c.locks = vec![s.clone(), p.clone(), t.clone()];
            c.edges.push(Edge {
                from: s.clone(),
                to: p.clone(),
                via: None,
                stack: "Chain exists of (a path: locks between may be elided)".to_string(),
            });
            c.edges.push(Edge {
                from: p,
                to: t.clone(),
                via: None,
                stack: "Chain exists of".to_string(),
            });
            c.edges.push(Edge {
                from: t,
                to: s,
                via: r
                    .acquiring
                    .as_ref()
                    .and_then(|l| taking_site(l, &r.backtrace)),
                stack: "current".to_string(),
            });
        }
        _ => {
            c.locks = [&r.acquiring, &r.holding]
                .into_iter()
                .flatten()
                .map(|l| l.class.clone())
                .collect();
            if let (Some(h), Some(a)) = (&r.holding, &r.acquiring) {
                c.edges.push(Edge {
                    from: h.class.clone(),
                    to: a.class.clone(),
                    via: taking_site(a, &r.backtrace),
                    stack: "current".to_string(),
                });
            }
        }
    }
    c
}

/// The edges of a report's dependency cycle, in cycle order starting at
/// the lock being acquired: S -> L1 -> ... -> T -> S (see [`lock_cycle`]).
pub fn cycle_edges(r: &Report) -> Vec<Edge> {
    lock_cycle(r).edges
}
