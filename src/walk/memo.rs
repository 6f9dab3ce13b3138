//! The walk of a stack, remembered per distinct (stack, kernel rules) pair.
//!
//! A walk reads only the stack's frames (function, `[inline]`, reliable,
//! `file:line`), the kernel version whose rules apply and the knowledge
//! base, so a stack that recurs (one bug reported thousands of times, the
//! same chain in many reports) is walked once per thread and copied after
//! that. The input line numbers differ between sightings: the memo keeps,
//! for each frame of the walk, which frame of the stack it came from (none
//! for the callees the knowledge base restored) and takes the line numbers
//! from the stack at hand.
//!
//! Bounded: a thread keeps at most [`CAPACITY`] walks and starts afresh
//! when it is full, so memory stays flat whatever the input.

use std::cell::RefCell;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};

use super::{InlineSource, StackId, TraceWalk, WalkFrame};
use crate::kernel::version::KernelVersion;
use crate::model::Frame;

/// Walks a thread remembers before it starts afresh.
pub const CAPACITY: usize = 1024;

static HITS: AtomicU64 = AtomicU64::new(0);
static MISSES: AtomicU64 = AtomicU64::new(0);

/// How often a stack's walk was found in the memo, over every thread of
/// the process so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MemoStats {
    /// Walks copied from the memo.
    pub hits: u64,
    /// Walks computed (and remembered).
    pub misses: u64,
}

impl MemoStats {
    /// Hits among all lookups, 0.0 to 1.0 (0.0 before any).
    pub fn hit_rate(&self) -> f64 {
        let n = self.hits + self.misses;
        if n == 0 {
            0.0
        } else {
            self.hits as f64 / n as f64
        }
    }
}

/// The memo's counts so far ([`MemoStats`]).
pub fn stats() -> MemoStats {
    MemoStats {
        hits: HITS.load(Ordering::Relaxed),
        misses: MISSES.load(Ordering::Relaxed),
    }
}

/// Forget this thread's walks (the counts stay): for measurements that
/// run the same input more than once.
pub fn forget() {
    MEMO.with(|m| {
        if let Ok(mut m) = m.try_borrow_mut() {
            m.clear();
        }
    });
}

/// What a walk reads of one frame.
#[derive(Debug, Clone, PartialEq, Eq)]
struct KeyFrame {
    base: compact_str::CompactString,
    inline: bool,
    reliable: bool,
    file: Option<String>,
    line: Option<u32>,
}

impl KeyFrame {
    fn of(f: &Frame) -> KeyFrame {
        KeyFrame {
            base: f.base.clone(),
            inline: f.inline,
            reliable: f.reliable,
            file: f.file.clone(),
            line: f.line,
        }
    }

    fn is(&self, f: &Frame) -> bool {
        self.inline == f.inline
            && self.reliable == f.reliable
            && self.line == f.line
            && self.base == f.base
            && self.file == f.file
    }
}

/// One remembered walk.
struct Entry {
    kb: u64,
    v: KernelVersion,
    key: Vec<KeyFrame>,
    frames: Vec<WalkFrame>,
    /// Per frame of the walk: 1 + the index in the stack of the frame it
    /// stands for, 0 for a restored callee.
    origins: Vec<u32>,
    skipped_unreliable: usize,
    inlines: InlineSource,
}

impl Entry {
    fn is(&self, kb: u64, v: KernelVersion, frames: &[Frame]) -> bool {
        self.kb == kb
            && self.v == v
            && self.key.len() == frames.len()
            && self.key.iter().zip(frames).all(|(k, f)| k.is(f))
    }
}

/// A walk computed: the walk and, per frame, where it came from (as in
/// [`Entry::origins`]).
pub(super) struct Computed {
    pub walk: TraceWalk,
    pub origins: Vec<u32>,
}

thread_local! {
    static MEMO: RefCell<HashMap<u64, Entry>> = RefCell::new(HashMap::new());
}

/// FxHash (rustc's): a multiply and a rotate per word, plenty for a key
/// that is compared in full on every hit.
struct Fx(u64);

impl Hasher for Fx {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            self.word(u64::from_le_bytes(c.try_into().unwrap_or([0; 8])));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut w = [0u8; 8];
            w[..rest.len()].copy_from_slice(rest);
            self.word(u64::from_le_bytes(w));
        }
    }

    fn write_u8(&mut self, i: u8) {
        self.word(i as u64);
    }

    fn write_u32(&mut self, i: u32) {
        self.word(i as u64);
    }

    fn write_u64(&mut self, i: u64) {
        self.word(i);
    }

    fn write_usize(&mut self, i: usize) {
        self.word(i as u64);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

impl Fx {
    fn word(&mut self, w: u64) {
        self.0 = (self.0.rotate_left(5) ^ w).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

fn hash(kb: u64, v: KernelVersion, frames: &[Frame]) -> u64 {
    let mut h = Fx(0);
    kb.hash(&mut h);
    v.hash(&mut h);
    frames.len().hash(&mut h);
    for f in frames {
        f.base.hash(&mut h);
        (f.inline, f.reliable).hash(&mut h);
        f.file.hash(&mut h);
        f.line.hash(&mut h);
    }
    h.finish()
}

/// The walk of `frames` under knowledge base generation `kb` and version
/// `v`, named `name`/`stack`: from the memo when this thread walked the
/// same stack under the same rules before, else from `compute` (and then
/// remembered).
pub(super) fn walk(
    kb: u64,
    v: KernelVersion,
    name: &str,
    stack: StackId,
    frames: &[Frame],
    compute: impl FnOnce() -> Computed,
) -> TraceWalk {
    let h = hash(kb, v, frames);
    let found = MEMO.with(|m| {
        let m = m.try_borrow().ok()?;
        let e = m.get(&h).filter(|e| e.is(kb, v, frames))?;
        let mut out = e.frames.clone();
        for (wf, &o) in out.iter_mut().zip(&e.origins) {
            wf.source_line = match o {
                0 => 0,
                i => frames[i as usize - 1].source_line,
            };
        }
        Some(TraceWalk {
            trace: name.to_string(),
            stack,
            frames: out,
            skipped_unreliable: e.skipped_unreliable,
            inlines: e.inlines,
        })
    });
    if let Some(w) = found {
        HITS.fetch_add(1, Ordering::Relaxed);
        return w;
    }
    MISSES.fetch_add(1, Ordering::Relaxed);
    let Computed { walk, origins } = compute();
    MEMO.with(|m| {
        let Ok(mut m) = m.try_borrow_mut() else {
            return;
        };
        if m.len() >= CAPACITY {
            m.clear();
        }
        // A different stack with the same hash keeps its place.
        m.entry(h).or_insert_with(|| Entry {
            kb,
            v,
            key: frames.iter().map(KeyFrame::of).collect(),
            frames: walk.frames.clone(),
            origins,
            skipped_unreliable: walk.skipped_unreliable,
            inlines: walk.inlines,
        });
    });
    walk
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::kb::KnowledgeBase;
    use crate::walk::{walk_report, WalkOptions};

    /// A walk copied from the memo is the walk computed afresh, line
    /// numbers included, for every report of every fixture: each log is
    /// read again with a line before it, so every frame's line differs
    /// from the remembered one.
    #[test]
    fn a_remembered_walk_is_the_walk_computed() {
        let opts = WalkOptions {
            kb: KnowledgeBase::builtin(),
            kernel: None,
        };
        let mut restored = 0;
        for path in crate::test_support::fixture_logs() {
            let text = std::fs::read_to_string(&path).expect("fixture logs are readable");
            let shifted = format!("unrelated line\n{text}");
            let (plain, moved) = (
                crate::decode_str(&text, "t"),
                crate::decode_str(&shifted, "t"),
            );
            assert_eq!(plain.len(), moved.len(), "{}", path.display());
            for (a, b) in plain.iter().zip(&moved) {
                forget();
                let fresh = walk_report(b, &opts);
                forget();
                let _ = walk_report(a, &opts);
                let before = stats().hits;
                let remembered = walk_report(b, &opts);
                assert_eq!(remembered, fresh, "{}", path.display());
                if !fresh.1.is_empty() {
                    assert!(stats().hits > before, "{}: no memo hit", path.display());
                }
                restored += fresh
                    .1
                    .iter()
                    .flat_map(|w| &w.frames)
                    .filter(|f| f.source_line == 0)
                    .count();
            }
        }
        // Restored callees (no input line) were among the frames copied.
        assert!(restored > 0);
    }

    /// Another knowledge base is another key, even at the same address.
    #[test]
    fn adding_entries_changes_the_generation() {
        let mut kb = KnowledgeBase::builtin().clone();
        let old = kb.generation();
        kb.add_toml("", "empty.toml").expect("an empty file parses");
        assert_ne!(kb.generation(), old);
        assert_eq!(KnowledgeBase::default().generation(), 0);
    }
}
