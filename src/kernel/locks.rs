//! What a lock class name tells (`data/lock_classes.toml`): classes that
//! are not locks (lockdep maps for waits, references and contexts), names
//! from shared init helpers (one class for unrelated objects), and `#N`
//! numbered names. The graph and the text output say so, because aliasing
//! false positives start there.

use std::sync::OnceLock;

use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Pseudo {
    #[serde(default)]
    exact: Vec<String>,
    #[serde(default)]
    prefixes: Vec<String>,
    #[serde(default)]
    suffixes: Vec<String>,
    what: String,
}

impl Pseudo {
    fn matches(&self, c: &str) -> bool {
        self.exact.iter().any(|e| e == c)
            || self.prefixes.iter().any(|x| c.starts_with(x.as_str()))
            || self.suffixes.iter().any(|x| c.ends_with(x.as_str()))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Table {
    pseudo: Vec<Pseudo>,
    shared_init: Vec<Pseudo>,
    per_inode: Vec<Pseudo>,
    internal_inode: Vec<Pseudo>,
    path_operation: Vec<Pseudo>,
    freeze_level: Vec<FreezeLevel>,
    socket_slock: Vec<Pseudo>,
    per_socket: Vec<Pseudo>,
    dept_waitqueue_wait: Vec<Pseudo>,
    dept_shared_wait: Vec<Pseudo>,
    stacking_fs: Vec<Pseudo>,
    dir_only_lockers: Vec<Pseudo>,
    file_mapping: Vec<Pseudo>,
    driver_registered: Vec<Pseudo>,
    lock_type: Vec<TypeRow>,
}

/// One level of a superblock's freeze protection (`[[freeze_level]]`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FreezeLevel {
    name: String,
    /// 1 for SB_FREEZE_WRITE, 2 for SB_FREEZE_PAGEFAULT, 3 for SB_FREEZE_FS.
    pub level: u8,
    /// What takes the level for read.
    pub what: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TypeRow {
    #[serde(rename = "type")]
    ty: LockType,
    prefixes: Vec<String>,
    #[serde(default)]
    class_suffixes: Vec<String>,
}

/// The type of a real lock, as far as the report shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LockType {
    /// spinlock_t or raw_spinlock_t.
    Spinlock,
    /// rwlock_t.
    Rwlock,
    /// A seqcount (seqcount_t, a u64_stats_sync on 32-bit): a writer's
    /// sequence, no lock primitive of its own.
    Seqcount,
}

/// The lock type the primitive `base` (the frame after lock_acquire)
/// takes, if the table knows it.
pub fn type_of_primitive(base: &str) -> Option<LockType> {
    table()
        .lock_type
        .iter()
        .find(|r| r.prefixes.iter().any(|p| base.starts_with(p.as_str())))
        .map(|r| r.ty)
}

/// The lock type of `class`, from the primitives that took it in `stacks`
/// (each innermost first, printed from inside lockdep), else from a name
/// only one type uses. `None` when nothing shows it (or for pseudo-locks).
pub fn lock_type<'a>(
    class: &str,
    stacks: impl IntoIterator<Item = &'a [crate::model::Frame]>,
) -> Option<LockType> {
    if pseudo_lock(class).is_some() {
        return None;
    }
    for s in stacks {
        if let Some(t) = acquiring_primitive(s).and_then(|f| type_of_primitive(&f.base)) {
            return Some(t);
        }
    }
    let c = without_key_number(class);
    table()
        .lock_type
        .iter()
        .find(|r| r.class_suffixes.iter().any(|x| c.ends_with(x.as_str())))
        .map(|r| r.ty)
}

fn table() -> &'static Table {
    static T: OnceLock<Table> = OnceLock::new();
    T.get_or_init(|| {
        toml::from_str::<Table>(include_str!("data/lock_classes.toml"))
            .expect("lock_classes.toml parses")
    })
}

/// The `N` of a `#N` suffix: lockdep's count of classes that share the
/// name (one per key: per filesystem type, per driver instance that
/// registers its own key, ...). Locks with different numbers are different
/// classes.
pub fn key_number(class: &str) -> Option<u32> {
    let base = without_key_number(class);
    (base.len() < class.len()).then(|| class[base.len() + 1..].parse().ok())?
}

/// What a name from a shared init helper stands for, if it is one.
pub fn shared_init(class: &str) -> Option<&'static str> {
    what_of(&table().shared_init, without_key_number(class))
}

/// The `what` of the first row of `rows` that matches `c`.
fn what_of(rows: &'static [Pseudo], c: &str) -> Option<&'static str> {
    rows.iter().find(|p| p.matches(c)).map(|p| p.what.as_str())
}

/// What a lock embedded in an inode stands for, if `class` is one (the
/// `#N` key number and a `/N` subclass taken off): every inode of the
/// filesystem type shares the class.
pub fn per_inode(class: &str) -> Option<&'static str> {
    let c = match class.rfind('/') {
        Some(i) if i + 1 < class.len() && class[i + 1..].bytes().all(|b| b.is_ascii_digit()) => {
            &class[..i]
        }
        _ => class,
    };
    what_of(&table().per_inode, without_key_number(c))
}

/// What filesystem-internal inode the function `base` locks, if it is
/// one that only ever locks such an inode (no directory entry reaches it).
pub fn internal_inode(base: &str) -> Option<&'static str> {
    what_of(&table().internal_inode, base)
}

/// Is `base` a namespace operation (the inodes it locks were reached by
/// a path lookup)?
pub fn path_operation(base: &str) -> bool {
    what_of(&table().path_operation, base).is_some()
}

/// The class name without lockdep's `#N` instance-key suffix.
fn without_key_number(class: &str) -> &str {
    match class.rfind('#') {
        Some(i) if class[i + 1..].bytes().all(|c| c.is_ascii_digit()) && i + 1 < class.len() => {
            &class[..i]
        }
        _ => class,
    }
}

/// The superblock freeze level `class` is (`sb_writers#3`, `sb_internal`),
/// if it is one: freeze_super() takes the levels' write sides in order.
pub fn freeze_level(class: &str) -> Option<&'static FreezeLevel> {
    let c = without_key_number(class);
    table().freeze_level.iter().find(|f| f.name == c)
}

/// The spinlock half of a socket lock (`slock-AF_INET`): what it is.
pub fn socket_slock(class: &str) -> Option<&'static str> {
    what_of(&table().socket_slock, without_key_number(class))
}

/// A lock embedded in one socket (`clock-AF_INET`, the callback lock):
/// what it is.
pub fn per_socket(class: &str) -> Option<&'static str> {
    what_of(&table().per_socket, without_key_number(class))
}

/// A DEPT `[W]` function that is a wait-queue style wait (the task may
/// drop its locks between registering and sleeping): what it is.
pub fn dept_waitqueue_wait(function: &str) -> Option<&'static str> {
    what_of(&table().dept_waitqueue_wait, function)
}

/// A DEPT wait class that one map serves for every object: what it is.
pub fn dept_shared_wait(class: &str) -> Option<&'static str> {
    what_of(&table().dept_shared_wait, class)
}

/// A spinning lock primitive (spinlock or rwlock), leading underscores
/// ignored (`__raw_spin_lock_irqsave`).
pub fn spinning_primitive(function: &str) -> bool {
    matches!(
        type_of_primitive(function.trim_start_matches('_')),
        Some(LockType::Spinlock | LockType::Rwlock)
    )
}

/// A function of a stacking filesystem (ecryptfs, overlayfs): what it is.
pub fn stacking_fs(base: &str) -> Option<&'static str> {
    what_of(&table().stacking_fs, base)
}

/// A function that locks an inode only when it is a directory.
pub fn dir_only_locker(base: &str) -> Option<&'static str> {
    what_of(&table().dir_only_lockers, base)
}

/// A frame of mmap(2) calling a file's ->mmap.
pub fn file_mapping(base: &str) -> Option<&'static str> {
    what_of(&table().file_mapping, base)
}

/// A lock class of a core object each driver registers for itself.
pub fn driver_registered(class: &str) -> Option<&'static str> {
    what_of(&table().driver_registered, without_key_number(class))
}

/// What a pseudo-lock class stands for, or `None` for a real lock.
pub fn pseudo_lock(class: &str) -> Option<&'static str> {
    what_of(&table().pseudo, without_key_number(class))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pseudo_locks_are_named_and_real_locks_are_not() {
        assert!(pseudo_lock("rcu_read_lock").is_some());
        assert!(pseudo_lock("fs_reclaim").is_some());
        assert!(pseudo_lock("(wq_completion)events").is_some());
        assert!(pseudo_lock("(work_completion)(&pw->work)").is_some());
        assert!(pseudo_lock("kn->active#4").is_some());
        assert!(pseudo_lock("reservation_ww_class_acquire").is_some());
        assert!(pseudo_lock("reservation_ww_class_mutex").is_none());
        assert!(pseudo_lock("&mm->mmap_lock").is_none());
        assert!(pseudo_lock("&sb->s_type->i_mutex_key#3").is_none());
    }

    #[test]
    fn lock_types_from_primitives_and_names() {
        use crate::model::Frame;
        let st: Vec<Frame> = ["lock_acquire", "_raw_spin_lock_irqsave", "f"]
            .iter()
            .map(|n| Frame::named(n))
            .collect();
        assert_eq!(
            lock_type("&x->lock", [st.as_slice()]),
            Some(LockType::Spinlock)
        );
        let st: Vec<Frame> = ["lock_acquire", "_raw_read_lock_bh", "f"]
            .iter()
            .map(|n| Frame::named(n))
            .collect();
        assert_eq!(
            lock_type("nl_table_lock", [st.as_slice()]),
            Some(LockType::Rwlock)
        );
        assert_eq!(lock_type("&syncp->seq#2", []), Some(LockType::Seqcount));
        assert_eq!(lock_type("fs_reclaim", []), None);
        assert_eq!(lock_type("&hwq->cq_lock", []), None);
    }

    #[test]
    fn numbered_and_shared_names() {
        assert_eq!(key_number("&type->s_umount_key#58"), Some(58));
        assert_eq!(key_number("&ei->i_data_sem"), None);
        assert_eq!(key_number("&ei->i_data_sem/2"), None);
        assert!(shared_init("&x->wait#12").is_some());
        assert!(shared_init("&xa->xa_lock#3").is_some());
        assert!(shared_init("&mm->mmap_lock").is_none());
    }

    #[test]
    fn internal_inodes_and_path_operations() {
        assert!(internal_inode("prealloc_file_extent_cluster").is_some());
        assert!(internal_inode("btrfs_rename").is_none());
        assert!(path_operation("vfs_rename"));
        assert!(!path_operation("prealloc_file_extent_cluster"));
    }

    #[test]
    fn freeze_levels_in_order() {
        assert_eq!(freeze_level("sb_writers#12").map(|f| f.level), Some(1));
        assert_eq!(freeze_level("sb_pagefaults").map(|f| f.level), Some(2));
        assert_eq!(freeze_level("sb_internal#2").map(|f| f.level), Some(3));
        assert!(freeze_level("&type->s_umount_key#25").is_none());
        assert!(freeze_level("sb_internal_lock").is_none());
    }

    #[test]
    fn per_inode_classes_with_key_numbers_and_subclasses() {
        let inode = [
            "&ea_inode->i_rwsem#8/1",
            "&ei->i_data_sem/3",
            "&sb->s_type->i_mutex_key#15",
            "&fi->i_xattr_sem",
        ];
        let other = ["&mm->mmap_lock", "&type->s_umount_key#25", "fs_reclaim"];
        for c in inode {
            assert!(per_inode(c).is_some(), "{c}");
        }
        for c in other {
            assert!(per_inode(c).is_none(), "{c}");
        }
    }
}

/// A read-acquisition primitive and what recursion on it does.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReadAcquire {
    prefixes: Vec<String>,
    /// The lock type (`rwsem`, `rwlock_t`, ...).
    pub lock: String,
    /// What a second read acquisition of a lock already held does.
    pub recursion: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReadTable {
    read: Vec<ReadAcquire>,
}

/// An embedded data table, parsed once.
fn parsed<T: serde::de::DeserializeOwned>(cell: &'static OnceLock<T>, text: &str) -> &'static T {
    cell.get_or_init(|| toml::from_str(text).expect("embedded lock table parses"))
}

/// The read primitive a frame's base name is, if it is one.
pub fn read_acquire(base: &str) -> Option<&'static ReadAcquire> {
    static T: OnceLock<ReadTable> = OnceLock::new();
    parsed(&T, include_str!("data/read_acquire.toml"))
        .read
        .iter()
        .find(|r| r.prefixes.iter().any(|p| base.starts_with(p.as_str())))
}

/// The primitive that took the lock in a backtrace printed from inside
/// lockdep: the first frame after `lock_acquire` (innermost first), if
/// the backtrace shows one.
pub fn acquiring_primitive(frames: &[crate::model::Frame]) -> Option<&crate::model::Frame> {
    let i = frames
        .iter()
        .position(|f| f.base == "lock_acquire" || f.base == "lock_acquire_shared")?;
    frames[i + 1..].iter().find(|f| f.reliable)
}

#[cfg(test)]
mod read_tests {
    use super::*;

    #[test]
    fn read_primitives_by_lock_type() {
        assert_eq!(read_acquire("down_read").unwrap().lock, "rwsem");
        assert_eq!(read_acquire("down_read_nested").unwrap().lock, "rwsem");
        assert_eq!(read_acquire("_raw_read_lock_bh").unwrap().lock, "rwlock_t");
        assert_eq!(
            read_acquire("percpu_down_read").unwrap().lock,
            "percpu-rwsem"
        );
        assert!(read_acquire("down_write").is_none());
        assert!(read_acquire("_raw_spin_lock").is_none());
    }
}

/// An RCU-protected list and the locks that protect its walkers
/// (`data/rcu_lists.toml`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RcuList {
    walkers: Vec<String>,
    /// The list, in words.
    pub list: String,
    /// Lockdep class names (exact, or a `->field`/`.field` suffix).
    pub locks: Vec<String>,
    /// Where the kernel declares it.
    pub source: String,
}

impl RcuList {
    /// Does the held class `class` protect the list?
    pub fn protected_by(&self, class: &str) -> bool {
        let c = without_key_number(class);
        self.locks.iter().any(|l| {
            c == l
                || c.strip_suffix(l.as_str())
                    .is_some_and(|p| p.ends_with("->") || p.ends_with('.'))
        })
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RcuListTable {
    list: Vec<RcuList>,
}

/// The RCU list the function `walker` (a base name) walks, if the table
/// knows it.
pub fn rcu_list(walker: &str) -> Option<&'static RcuList> {
    static T: OnceLock<RcuListTable> = OnceLock::new();
    parsed(&T, include_str!("data/rcu_lists.toml"))
        .list
        .iter()
        .find(|l| l.walkers.iter().any(|w| w == walker))
}

#[cfg(test)]
mod rcu_list_tests {
    use super::*;

    #[test]
    fn lists_and_their_update_side_locks() {
        let nft = rcu_list("nft_table_lookup").unwrap();
        assert!(nft.protected_by("&nft_net->commit_mutex"));
        assert!(nft.protected_by("&net->nft.commit_mutex"));
        assert!(!nft.protected_by("&nft_net->commit_mutex_x"));
        assert!(!nft.protected_by("rtnl_mutex"));
        let ns = rcu_list("genlmsg_multicast_allns").unwrap();
        assert!(ns.protected_by("net_rwsem"));
        assert!(!ns.protected_by("genl_mutex"));
        assert!(rcu_list("ip_tunnel_find")
            .unwrap()
            .protected_by("rtnl_mutex"));
        assert!(rcu_list("dev_get_by_index_rcu").is_none());
    }
}
