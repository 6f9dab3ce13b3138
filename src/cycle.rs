//! A report's lock cycle, computed once for the classifier, the renderers,
//! the lock graph and triage: its locks in dependency order and its edges, each with the
//! function that created it (the first interesting frame of the stack that
//! recorded it, by the frame-class table in [`crate::kernel::frames`]).

use crate::kernel::frames::{class_of, first_interesting};
use crate::kind::Cycle;
use crate::model::{Frame, Report};

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
    /// The lock class held.
    pub from: String,
    /// The lock class taken while it was held.
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
    match r.kind.row().cycle {
        Cycle::DependencyChain if !r.chain.is_empty() => {
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
        Cycle::DependencyChain if r.chain_exists_of.len() == 3 => {
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
        // `this lock took another ... in the past` is this --> other,
        // `was taken by another` other --> this: the path lockdep printed
        // when it reached this lock, else that one dependency (a path:
        // locks between may be elided).
        Cycle::IrqInversion => {
            let this = r.acquiring.as_ref().map(|l| l.class.clone());
            let other = r.other_locks.first().map(|l| l.class.clone());
            let Some(inv) = &r.irq_inversion else {
                return c;
            };
            if !inv.path.is_empty() {
                c.locks.push(inv.path[0].from.clone());
                for e in &inv.path {
                    c.locks.push(e.to.clone());
                    let stack = e
                        .trace
                        .as_ref()
                        .and_then(|n| r.traces.iter().find(|t| &t.name == n));
                    c.edges.push(Edge {
                        from: e.from.clone(),
                        to: e.to.clone(),
                        via: stack
                            .and_then(|t| actor(&t.frames))
                            .map(|f| f.base.to_string()),
                        stack: e
                            .trace
                            .clone()
                            .unwrap_or_else(|| "shortest dependencies".to_string()),
                    });
                }
            } else if let (Some(this), Some(other)) = (this, other) {
                let (from, to) = if inv.this_took_other {
                    (this, other)
                } else {
                    (other, this)
                };
                c.locks = vec![from.clone(), to.clone()];
                c.edges.push(Edge {
                    from,
                    to,
                    via: None,
                    stack: "irq inversion (a path: locks between may be elided)".to_string(),
                });
            }
        }
        // DEPT: context A's event class waits for its wait's class, and
        // so on round the cycle (the contexts in cycle order, each edge by
        // the function at its wait's site).
        Cycle::Dept => {
            let Some(d) = &r.dept else { return c };
            if d.cycle.is_empty() {
                return c;
            }
            c.locks = d.cycle.clone();
            for (i, from) in d.cycle.iter().enumerate() {
                let Some(ctx) = d.contexts.iter().find(|x| &x.start.class == from) else {
                    continue;
                };
                c.edges.push(Edge {
                    from: from.clone(),
                    to: d.cycle[(i + 1) % d.cycle.len()].clone(),
                    via: actor(&ctx.wait.at)
                        .or_else(|| actor(&ctx.wait.stack))
                        .map(|f| f.base.to_string()),
                    stack: format!("context {}", ctx.name),
                });
            }
        }
        Cycle::DependencyChain | Cycle::HeldToAcquiring => {
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

/// Every dependency a report states, for the lock graph: its cycle's
/// edges ([`lock_cycle`]), the held locks in the order they were taken
/// (each before the next), and the lock being acquired after the held
/// locks. A state report (inconsistent lock state, irq inversion) names a
/// lock that may already be held: then only the locks held before it
/// precede it, and the site is its own `at:`; when it is not in a complete
/// held list it is the lock being acquired (lockdep counts a lock as held
/// only once its acquisition was checked, see `__lock_acquire()`).
pub fn report_edges(r: &Report) -> Vec<Edge> {
    let mut out = lock_cycle(r).edges;
    let held = &r.held_locks;
    if let Some(acq) = &r.acquiring {
        let state_report = r.kind.row().state_lock;
        let complete = r.held_locks_count == Some(held.len() as u32);
        let (before, via) = match held.iter().position(|h| same_lock(h, acq)) {
            Some(k) if state_report => (&held[..k], taking_site(&held[k], &[])),
            None if state_report && !complete => (&held[..0], None),
            _ => (&held[..], taking_site(acq, &r.backtrace)),
        };
        // Two entries of one class (an rcu_read_lock nested in another,
        // two instances under a subclass) are nesting lockdep accepted,
        // not a self-dependency: only a recursive-locking report's own
        // edge makes a class depend on itself.
        for h in before.iter().filter(|h| h.class != acq.class) {
            out.push(Edge {
                from: h.class.clone(),
                to: acq.class.clone(),
                via: via.clone(),
                stack: "held locks".to_string(),
            });
        }
    }
    for w in held.windows(2).filter(|w| w[0].class != w[1].class) {
        out.push(Edge {
            from: w[0].class.clone(),
            to: w[1].class.clone(),
            via: taking_site(&w[1], &[]),
            stack: "held locks".to_string(),
        });
    }
    out
}

/// A held-list entry that is `lock`: its class, and its address when both
/// print one.
fn same_lock(h: &crate::model::Lock, lock: &crate::model::Lock) -> bool {
    h.class == lock.class
        && match (&h.address, &lock.address) {
            (Some(a), Some(b)) => a == b,
            _ => true,
        }
}

/// The edges of a report's dependency cycle, in cycle order starting at
/// the lock being acquired: S -> L1 -> ... -> T -> S (see [`lock_cycle`]).
pub fn cycle_edges(r: &Report) -> Vec<Edge> {
    lock_cycle(r).edges
}
