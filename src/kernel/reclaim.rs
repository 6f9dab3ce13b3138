//! What memory reclaim runs into on its way back to a held lock, from the
//! table in `data/reclaim_reach.toml`: filesystem code, block I/O, or
//! something else (a driver's shrinker, an MMU notifier, a priming
//! annotation). The fix for a cycle through `fs_reclaim` depends on it:
//! a NOFS scope keeps reclaim out of filesystems, a NOIO scope out of
//! block I/O too, and neither helps when reclaim reaches the lock another
//! way.
//!
//! ```
//! use splatdec::kernel::reclaim::{reach_of, Reach};
//! use splatdec::model::Frame;
//! let frames: Vec<Frame> = ["mutex_lock_nested", "xfs_reclaim_inode", "super_cache_scan", "do_shrink_slab", "shrink_slab", "kswapd"]
//!     .iter().map(|f| Frame::named(f)).collect();
//! assert_eq!(reach_of("&xfs_nondir_ilock_class", &frames).unwrap().reach, Reach::Filesystem);
//! ```

use std::sync::OnceLock;

use serde::Deserialize;

use crate::kernel::frames::class_of;
use crate::model::Frame;

/// What reclaim went through to reach the lock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    /// Filesystem code: inode or dentry eviction, writeback, a
    /// filesystem's shrinker. A NOFS scope keeps reclaim out.
    Filesystem,
    /// Block I/O: swap writeout, a block device's queue or submission
    /// path. A NOIO scope keeps reclaim out (and implies NOFS).
    BlockIo,
    /// Neither: a driver's shrinker, an MMU notifier, a dma_fence wait, a
    /// priming annotation. No allocation scope removes the dependency.
    Other,
}

/// What decided the reach: the frame or lock class it was read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReclaimSide {
    /// What reclaim went through to reach the lock (filesystem, block I/O or
    /// other).
    pub reach: Reach,
    /// The function (or, when no frame decided, the lock class) that
    /// showed it.
    pub via: String,
    /// True when `via` is a lock class, not a function.
    pub via_lock: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    exact: Vec<String>,
    #[serde(default)]
    prefixes: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
enum SideName {
    BlockIo,
    Filesystem,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Side {
    reach: SideName,
    paths: Vec<String>,
    exact: Vec<String>,
    prefixes: Vec<String>,
    classes: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Table {
    entry: Entry,
    side: Vec<Side>,
}

fn table() -> &'static Table {
    static T: OnceLock<Table> = OnceLock::new();
    T.get_or_init(|| {
        toml::from_str(include_str!("data/reclaim_reach.toml")).expect("reclaim_reach.toml parses")
    })
}

impl Side {
    fn reach(&self) -> Reach {
        match self.reach {
            SideName::BlockIo => Reach::BlockIo,
            SideName::Filesystem => Reach::Filesystem,
        }
    }

    fn has_frame(&self, f: &Frame) -> bool {
        if let Some(file) = &f.file {
            let file = file.trim_start_matches("./");
            if self.paths.iter().any(|p| file.starts_with(p.as_str())) {
                return true;
            }
        }
        let name = f.base.as_str();
        self.exact.iter().any(|e| e == name)
            || self.prefixes.iter().any(|p| name.starts_with(p.as_str()))
    }

    fn has_class(&self, class: &str) -> bool {
        self.classes.iter().any(|c| class.starts_with(c.as_str()))
    }
}

/// True for the functions reclaim is entered through (kswapd, direct
/// reclaim, shrink_slab, fs_reclaim_acquire): frames beyond them belong to
/// whoever allocated, not to reclaim.
pub fn is_reclaim_entry(name: &str) -> bool {
    let e = &table().entry;
    e.exact.iter().any(|x| x == name) || e.prefixes.iter().any(|p| name.starts_with(p.as_str()))
}

/// What reclaim went through to take `class`, read from `frames` (the
/// stack of that acquisition, innermost first): the frames from the lock
/// up to the innermost reclaim entry point, or, when it has none (a
/// priming annotation), up to the function that took the lock. Block I/O is checked before filesystems
/// (writeback that reaches the block layer needs NOIO). `None` when the
/// stack is empty and the class says nothing.
pub fn reach_of(class: &str, frames: &[Frame]) -> Option<ReclaimSide> {
    let t = table();
    let reliable: Vec<&Frame> = frames.iter().filter(|f| f.reliable).collect();
    // Up to the reclaim entry; with none (a priming annotation), only up
    // to the function that took the lock: frames beyond it are whoever
    // called that code (a syscall through the VFS is not filesystem
    // reclaim).
    let end = reliable
        .iter()
        .position(|f| is_reclaim_entry(&f.base))
        .or_else(|| {
            reliable
                .iter()
                .position(|f| !class_of(&f.base).is_machinery())
                .map(|i| i + 1)
        })
        .unwrap_or(reliable.len());
    let inner = &reliable[..end];
    for side in &t.side {
        if let Some(f) = inner.iter().find(|f| side.has_frame(f)) {
            return Some(ReclaimSide {
                reach: side.reach(),
                via: f.base.to_string(),
                via_lock: false,
            });
        }
    }
    for side in &t.side {
        if side.has_class(class) {
            return Some(ReclaimSide {
                reach: side.reach(),
                via: class.to_string(),
                via_lock: true,
            });
        }
    }
    // Neither: name the code that took the lock, when the stack shows it.
    let taker = inner.iter().find(|f| !class_of(&f.base).is_machinery());
    match taker {
        Some(f) => Some(ReclaimSide {
            reach: Reach::Other,
            via: f.base.to_string(),
            via_lock: false,
        }),
        None if !class.is_empty() && !frames.is_empty() => Some(ReclaimSide {
            reach: Reach::Other,
            via: class.to_string(),
            via_lock: true,
        }),
        None => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stack(names: &[&str]) -> Vec<Frame> {
        names.iter().map(|n| Frame::named(n)).collect()
    }

    #[test]
    fn filesystem_shrinker_is_filesystem() {
        let s = stack(&[
            "down_write",
            "btrfs_evict_inode",
            "evict",
            "prune_icache_sb",
            "super_cache_scan",
            "do_shrink_slab",
            "shrink_slab",
            "shrink_node",
            "kswapd",
        ]);
        let side = reach_of("&delayed_node->mutex", &s).unwrap();
        assert_eq!(side.reach, Reach::Filesystem);
        assert_eq!(side.via, "btrfs_evict_inode");
    }

    #[test]
    fn only_frames_inside_reclaim_count() {
        // The allocating caller is a syscall through the VFS; what reclaim
        // ran is a driver's shrinker.
        let s = stack(&[
            "mutex_lock_nested",
            "i915_gem_shrinker_scan",
            "do_shrink_slab",
            "shrink_slab",
            "try_to_free_pages",
            "__alloc_pages_slowpath",
            "ext4_file_write_iter",
            "vfs_write",
            "ksys_write",
        ]);
        let side = reach_of("&dev->struct_mutex", &s).unwrap();
        assert_eq!(side.reach, Reach::Other);
        assert_eq!(side.via, "i915_gem_shrinker_scan");
    }

    #[test]
    fn block_wins_over_filesystem_and_paths_count() {
        let mut s = stack(&["down_read", "blk_alloc_queue", "xfs_something"]);
        assert_eq!(reach_of("x", &s).unwrap().reach, Reach::BlockIo);
        s = stack(&["lock_acquire", "mystery_fn"]);
        s[1].file = Some("drivers/block/mystery.c".into());
        assert_eq!(reach_of("x", &s).unwrap().reach, Reach::BlockIo);
    }

    #[test]
    fn without_a_reclaim_entry_only_the_taker_counts() {
        // A driver priming its lock order from an ioctl: the VFS frames
        // below it are the caller, not reclaim.
        let mut s = stack(&[
            "lock_acquire",
            "mydrv_prime_lockdep",
            "mydrv_ioctl",
            "vfs_ioctl",
            "__x64_sys_ioctl",
        ]);
        s[3].file = Some("fs/ioctl.c".into());
        let side = reach_of("&mydrv->lock", &s).unwrap();
        assert_eq!(side.reach, Reach::Other);
        assert_eq!(side.via, "mydrv_prime_lockdep");
    }

    #[test]
    fn class_decides_only_when_frames_do_not() {
        let s = stack(&[
            "lock_acquire",
            "fs_reclaim_acquire",
            "__kmalloc",
            "some_init",
        ]);
        let side = reach_of("&q->q_usage_counter(io)#26", &s).unwrap();
        assert_eq!(side.reach, Reach::BlockIo);
        let side = reach_of("mmu_notifier_invalidate_range_start", &s).unwrap();
        assert_eq!(side.reach, Reach::Other);
        assert!(reach_of("x", &[]).is_none());
    }
}
