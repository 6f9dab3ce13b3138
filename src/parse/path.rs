//! The dependency paths irq reports print after the held locks, and what
//! each `... acquired at:` stack under a class is the acquisition of.
//!
//! lockdep prints a path from its BFS leaf back to the root
//! (kernel/locking/lockdep.c: print_shortest_lock_dependencies()), one class
//! per entry, each entry's saved trace under it. What that trace is depends
//! on the search direction:
//!
//! - forward entries (`A -> B`, in A's `locks_after`): class B, the stack
//!   where B was acquired with A held;
//! - backward entries (`B <- A`, in B's `locks_before`): class A, but still
//!   the stack where B was acquired with A held, so the stack under a class
//!   is the acquisition of the next class printed;
//! - the root has no saved edge: lockdep stores the current stack in it
//!   (`prev_root->trace = save_trace()`, `root->trace = save_trace()`).
//!
//! `HARDIRQ-safe -> HARDIRQ-unsafe` reports print the safe side backwards:
//! older kernels with print_shortest_lock_dependencies() (a stack under
//! every class, the root's being the acquisition of the lock being
//! acquired), newer ones with print_shortest_lock_dependencies_backwards(),
//! which prints no stack under the first class and shifts each stack to the
//! class it acquires. The layout tells them apart: a stack under the first
//! class means the old one. Irq inversion reports print both directions
//! with print_shortest_lock_dependencies(); their root is the lock whose
//! state just changed, and its stack is the current one, where the state
//! changed (not necessarily an acquisition).

use crate::model::{DependencyEdge, Report};

/// Which path a class dump belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum PathSide {
    /// `the dependencies between X-irq-safe lock and the holding lock:`
    SafeToHeld,
    /// `the dependencies between the lock to be acquired and X-irq-unsafe
    /// lock:`
    AcquiredToUnsafe,
    /// `the shortest dependencies between 2nd lock and 1st lock:` of an irq
    /// inversion; `took` when this lock took the other in the past.
    Inversion { took: bool },
}

#[derive(Debug, Clone)]
struct Entry {
    class: String,
    trace: Option<usize>,
}

/// One path being read: its classes in printed order (leaf first, root
/// last) and the trace read under each.
#[derive(Debug, Clone)]
pub(super) struct DepPath {
    side: PathSide,
    entries: Vec<Entry>,
}

impl DepPath {
    pub(super) fn new(side: PathSide) -> Self {
        DepPath {
            side,
            entries: Vec::new(),
        }
    }

    /// A `-> (class)` header.
    pub(super) fn class(&mut self, class: &str) {
        self.entries.push(Entry {
            class: class.to_string(),
            trace: None,
        });
    }

    /// An `... acquired at:` stack under the last class, stored as trace
    /// `index` of the report.
    pub(super) fn trace(&mut self, index: usize) {
        if let Some(e) = self.entries.last_mut() {
            if e.trace.is_none() {
                e.trace = Some(index);
            }
        }
    }

    /// Name the path's traces by what they are. The class after the
    /// root, for the old safe-side layout, is the lock being acquired.
    pub(super) fn finish(self, r: &mut Report) {
        let n = self.entries.len();
        let acquiring = r
            .acquiring
            .as_ref()
            .map(|l| l.class.clone())
            .unwrap_or_else(|| "the lock being acquired".to_string());
        let successor = |k: usize| -> String {
            match self.entries.get(k + 1) {
                Some(e) => e.class.clone(),
                None => acquiring.clone(),
            }
        };
        for (k, e) in self.entries.iter().enumerate() {
            let Some(i) = e.trace else { continue };
            let root = k + 1 == n;
            let name = match self.side {
                PathSide::AcquiredToUnsafe => continue,
                PathSide::SafeToHeld => {
                    if self.entries[0].trace.is_none() {
                        // The shifted layout: already the class's own.
                        continue;
                    }
                    held_name(&successor(k), &e.class)
                }
                PathSide::Inversion { .. } if root => {
                    format!("{}: current stack, where its state changed", e.class)
                }
                PathSide::Inversion { took: true } => continue,
                PathSide::Inversion { took: false } => held_name(&successor(k), &e.class),
            };
            if let Some(t) = r.traces.get_mut(i) {
                t.name = name;
            }
        }
        if let PathSide::Inversion { took } = self.side {
            let path = self.inversion_path(r, took);
            if let Some(inv) = r.irq_inversion.as_mut() {
                inv.path = path;
            }
        }
    }

    /// An irq inversion's path in dependency order, when it was printed
    /// from the other lock to this one: `this -> ... -> other` when this
    /// lock took the other, `other -> ... -> this` when it was taken by it.
    fn inversion_path(&self, r: &Report, took: bool) -> Vec<DependencyEdge> {
        let q = &self.entries;
        let this = r.acquiring.as_ref().map(|l| l.class.as_str());
        let other = r.other_locks.first().map(|l| l.class.as_str());
        let ends = q.first().map(|e| e.class.as_str()) == other
            && q.last().map(|e| e.class.as_str()) == this;
        if q.len() < 2 || !ends {
            return Vec::new();
        }
        let name = |k: usize| {
            q[k].trace
                .and_then(|i| r.traces.get(i))
                .map(|t| t.name.clone())
        };
        if took {
            (0..q.len() - 1)
                .rev()
                .map(|k| DependencyEdge {
                    from: q[k + 1].class.clone(),
                    to: q[k].class.clone(),
                    trace: name(k),
                })
                .collect()
        } else {
            (0..q.len() - 1)
                .map(|k| DependencyEdge {
                    from: q[k].class.clone(),
                    to: q[k + 1].class.clone(),
                    trace: name(k),
                })
                .collect()
        }
    }
}

fn held_name(acquired: &str, held: &str) -> String {
    format!("{acquired}: acquired at (with {held} held)")
}

#[cfg(test)]
mod tests {
    use crate::parse::tests::parse_all;

    fn names(text: &str) -> Vec<String> {
        parse_all(text)[0]
            .traces
            .iter()
            .map(|t| t.name.clone())
            .collect()
    }

    const SAFE_UNSAFE_HEAD: &str = "\
=====================================================
WARNING: HARDIRQ-safe -> HARDIRQ-unsafe lock order detected
5.10.0 #1 Not tainted
-----------------------------------------------------
t/1 [HC0[0]:SC0[0]:HE0:SE1] is trying to acquire:
ffff0001 (&b->lock){+.+.}-{2:2}, at: take_b+0x1/0x2

and this task is already holding:
ffff0002 (&a->lock){-...}-{2:2}, at: take_a+0x1/0x2
which would create a new lock dependency:
 (&a->lock){-...}-{2:2} -> (&b->lock){+.+.}-{2:2}

";

    /// Old layout, zero-length paths: the stack under the held (safe)
    /// lock is the current one, the acquisition of the lock being taken.
    #[test]
    fn old_safe_side_root_stack_is_the_acquisition_of_the_new_lock() {
        let text = format!(
            "{SAFE_UNSAFE_HEAD}the dependencies between HARDIRQ-irq-safe lock and the holding lock:
-> (&a->lock){{-...}}-{{2:2}} {{
   IN-HARDIRQ-W at:
                    _raw_spin_lock+0x1/0x2
                    irq_a+0x1/0x2
 }}
 ... key      at: [<ffff0003>] __key.1+0x0/0x8
 ... acquired at:
   _raw_spin_lock+0x1/0x2
   take_b+0x1/0x2

the dependencies between the lock to be acquired
 and HARDIRQ-irq-unsafe lock:
-> (&b->lock){{+.+.}}-{{2:2}} {{
   HARDIRQ-ON-W at:
                    _raw_spin_lock+0x1/0x2
                    task_b+0x1/0x2
 }}
 ... key      at: [<ffff0004>] __key.2+0x0/0x8
 ... acquired at:
   _raw_spin_lock+0x1/0x2
   take_b+0x1/0x2

stack backtrace:
"
        );
        let n = names(&text);
        assert!(
            n.contains(&"&b->lock: acquired at (with &a->lock held)".to_string()),
            "{n:?}"
        );
        assert!(n.contains(&"&b->lock: acquired at".to_string()), "{n:?}");
        assert!(!n.contains(&"&a->lock: acquired at".to_string()), "{n:?}");
    }

    /// Old layout, a path of two classes on the safe side: each stack is
    /// the acquisition of the class printed after it.
    #[test]
    fn old_safe_side_stacks_shift_to_the_next_class() {
        let text = format!(
            "{SAFE_UNSAFE_HEAD}the dependencies between HARDIRQ-irq-safe lock and the holding lock:
 -> (&s->lock){{-...}}-{{2:2}} {{
 }}
  ... key      at: [<ffff0005>] __key.3+0x0/0x8
  ... acquired at:
   _raw_spin_lock+0x1/0x2
   take_a_under_s+0x1/0x2

-> (&a->lock){{-...}}-{{2:2}} {{
 }}
 ... key      at: [<ffff0003>] __key.1+0x0/0x8
 ... acquired at:
   _raw_spin_lock+0x1/0x2
   take_b+0x1/0x2

stack backtrace:
"
        );
        let n = names(&text);
        assert_eq!(
            n,
            [
                "&a->lock: acquired at (with &s->lock held)",
                "&b->lock: acquired at (with &a->lock held)"
            ]
        );
    }

    /// The shifted layout (print_shortest_lock_dependencies_backwards):
    /// no stack under the first class, each stack is its class's own.
    #[test]
    fn shifted_safe_side_keeps_the_class_names() {
        let text = format!(
            "{SAFE_UNSAFE_HEAD}the dependencies between HARDIRQ-irq-safe lock and the holding lock:
 -> (&s->lock){{-...}}-{{2:2}} {{
 }}
  ... key      at: [<ffff0005>] __key.3+0x0/0x8
-> (&a->lock){{-...}}-{{2:2}} {{
 }}
 ... key      at: [<ffff0003>] __key.1+0x0/0x8
 ... acquired at:
   _raw_spin_lock+0x1/0x2
   take_a_under_s+0x1/0x2

stack backtrace:
"
        );
        assert_eq!(names(&text), ["&a->lock: acquired at"]);
    }

    const INVERSION: &str = "\
========================================================
WARNING: possible irq lock inversion dependency detected
5.3.0 #1 Not tainted
--------------------------------------------------------
t/1 just changed the state of lock:
ffff0001 (&a->lock){..-.}, at: irq_a+0x1/0x2
but this lock WAY another, SOFTIRQ-STATE lock in the past:
 (&o->lock){+.+.}

and interrupts could create inverse lock ordering between them.

the shortest dependencies between 2nd lock and 1st lock:
 -> (&o->lock){+.+.} {
 }
  ... key      at: [<ffff0005>] __key.3+0x0/0x8
  ... acquired at:
   _raw_spin_lock+0x1/0x2
   edge_site+0x1/0x2

-> (&a->lock){..-.} {
 }
 ... key      at: [<ffff0003>] __key.1+0x0/0x8
 ... acquired at:
   mark_lock+0x1/0x2
   irq_a+0x1/0x2

stack backtrace:
";

    #[test]
    fn inversion_root_stack_is_the_current_one() {
        let took = INVERSION.replace("WAY", "took").replace("STATE", "unsafe");
        assert_eq!(
            names(&took),
            [
                "&o->lock: acquired at",
                "&a->lock: current stack, where its state changed"
            ]
        );
        let taken = INVERSION
            .replace("WAY", "was taken by")
            .replace("STATE", "safe");
        assert_eq!(
            names(&taken),
            [
                "&a->lock: acquired at (with &o->lock held)",
                "&a->lock: current stack, where its state changed"
            ]
        );
    }

    #[test]
    fn inversion_path_in_dependency_order() {
        let path = |text: &str| -> Vec<(String, String, Option<String>)> {
            parse_all(text)[0]
                .irq_inversion
                .as_ref()
                .unwrap()
                .path
                .iter()
                .map(|e| (e.from.clone(), e.to.clone(), e.trace.clone()))
                .collect()
        };
        let took = INVERSION.replace("WAY", "took").replace("STATE", "unsafe");
        assert_eq!(
            path(&took),
            [(
                "&a->lock".to_string(),
                "&o->lock".to_string(),
                Some("&o->lock: acquired at".to_string())
            )]
        );
        let taken = INVERSION
            .replace("WAY", "was taken by")
            .replace("STATE", "safe");
        assert_eq!(
            path(&taken),
            [(
                "&o->lock".to_string(),
                "&a->lock".to_string(),
                Some("&a->lock: acquired at (with &o->lock held)".to_string())
            )]
        );
        // Cut before the root: no path is claimed.
        let cut: String = took
            .lines()
            .take_while(|l| !l.starts_with("-> (&a->lock)"))
            .map(|l| format!("{l}\n"))
            .collect();
        assert!(path(&cut).is_empty());
    }
}
