//! Frame classes, kept as data (`data/frames.toml`): which frames of a stack
//! are lockdep and stack-dump internals, lock primitives, allocator
//! internals, vmalloc entry points or inode reclaim, and which lock class
//! names are XFS inode locks. The classifier and the renderers ask here
//! instead of carrying their own lists.

use std::sync::OnceLock;

use serde::Deserialize;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Class {
    #[serde(default)]
    exact: Vec<String>,
    #[serde(default)]
    prefixes: Vec<String>,
    #[serde(default)]
    contains: Vec<String>,
}

impl Class {
    fn matches(&self, name: &str) -> bool {
        self.exact.iter().any(|e| e == name)
            || self.prefixes.iter().any(|p| name.starts_with(p.as_str()))
            || self.contains.iter().any(|c| name.contains(c.as_str()))
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Table {
    lockdep_internal: Class,
    lock_primitive: Class,
    allocator_internal: Class,
    vmalloc_entry: Class,
    inode_reclaim: Class,
    xfs_inode_lock: Class,
}

fn table() -> &'static Table {
    static T: OnceLock<Table> = OnceLock::new();
    T.get_or_init(|| toml::from_str(include_str!("data/frames.toml")).expect("frames.toml parses"))
}

/// Lockdep's checking/reporting frames, the stack dumper, WARN plumbing.
pub fn is_lockdep_internal(base: &str) -> bool {
    table().lockdep_internal.matches(base)
}

/// Lock, wait and flush primitives.
pub fn is_lock_primitive(base: &str) -> bool {
    table().lock_primitive.matches(base)
}

/// Allocator internals between an allocation site and fs_reclaim.
pub fn is_allocator_internal(base: &str) -> bool {
    table().allocator_internal.matches(base)
}

/// A vmalloc entry point whose caller passes the gfp mask.
pub fn is_vmalloc_entry(base: &str) -> bool {
    table().vmalloc_entry.matches(base)
}

/// Inode reclaim or eviction (generic and XFS), or kswapd.
pub fn is_inode_reclaim(base: &str) -> bool {
    table().inode_reclaim.matches(base)
}

/// An XFS inode lock class name.
pub fn is_xfs_inode_lock(class: &str) -> bool {
    table().xfs_inode_lock.matches(class)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes() {
        assert!(is_lockdep_internal("__lock_acquire"));
        assert!(is_lockdep_internal("lockdep_hardirqs_on"));
        assert!(!is_lockdep_internal("xfs_ilock"));
        assert!(is_lock_primitive("_raw_spin_lock_irqsave"));
        assert!(is_lock_primitive("down_write_nested"));
        assert!(!is_lock_primitive("xfs_ilock"));
        assert!(is_allocator_internal("kmem_cache_alloc_node"));
        assert!(is_allocator_internal("__kasan_slab_alloc"));
        assert!(!is_allocator_internal("gfs2_alloc_sort_buffer"));
        assert!(is_vmalloc_entry("__vmalloc") && !is_vmalloc_entry("vmalloc_to_page"));
        assert!(is_inode_reclaim("xfs_reclaim_inode") && is_inode_reclaim("evict"));
        assert!(
            is_xfs_inode_lock("&xfs_nondir_ilock_class") && !is_xfs_inode_lock("&ip->i_rw_mutex")
        );
    }
}
