//! GFP masks: bit layouts per kernel era, `%pGg` decoding, parsing of
//! symbolic masks, and what a mask allows.
//!
//! The `___GFP_*` bits were renumbered four times between 4.4 and 6.10
//! (`GFP_KERNEL` is `0x24000c0` on 4.4, `0x14000c0` on 4.10-4.17,
//! `0x6000c0` on 4.18-5.0 and `0xcc0` since 5.1), and since 6.10 the tail
//! bits depend on the kernel config. A number from a log is meaningless
//! without the layout of the kernel that printed it, so every [`GfpMask`]
//! carries its [`GfpLayout`].
//!
//! The layouts are data, embedded from `data/gfp.toml`, one entry per era
//! with the kernel file and trees it was read from. The data states the
//! default config it assumes for config-dependent bits (`CONFIG_LOCKDEP=y`,
//! `CONFIG_KASAN_HW_TAGS=n`, `CONFIG_SLAB_OBJ_EXT=y`).
//!
//! [`decode`] reproduces the kernel's `%pGg` (lib/vsprintf.c
//! `format_flags()` over mm/debug.c's `gfpflag_names`, which is
//! `__def_gfpflag_names` from include/trace/events/mmflags.h):
//!
//! ```text
//! for each (mask, name) in table order, while flags != 0:
//!     if flags & mask == mask: print name; flags &= ~mask; print '|' if flags
//! if flags != 0: print flags as 0x<lowercase hex>
//! ```
//!
//! so composites win over single bits, leftover unknown bits are printed in
//! hex and never dropped, and a zero mask prints nothing (`mode:0x0()`).

mod explain;
mod expr;

use std::collections::BTreeMap;
use std::fmt;
use std::sync::OnceLock;

use serde::Deserialize;

use super::version::KernelVersion;

pub use explain::explain;

/// The embedded layout table.
const DATA: &str = include_str!("data/gfp.toml");

/// One GFP bit, identified by name across eras (its value depends on the
/// layout). The set is the union of every modelled kernel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum GfpFlag {
    /// `__GFP_DMA`: allocate from ZONE_DMA.
    Dma,
    /// `__GFP_HIGHMEM`: highmem pages are fine (32-bit).
    Highmem,
    /// `__GFP_DMA32`: allocate below 4 GiB (ZONE_DMA32).
    Dma32,
    /// `__GFP_MOVABLE`: page can be moved by compaction.
    Movable,
    /// `__GFP_RECLAIMABLE`: slab pages freeable by shrinkers.
    Reclaimable,
    /// `__GFP_HIGH`: high priority: may dip into reserves.
    High,
    /// `__GFP_IO`: reclaim may start physical I/O.
    Io,
    /// `__GFP_FS`: reclaim may call into filesystems.
    Fs,
    /// `__GFP_COLD`: a cache-cold page will do.
    Cold,
    /// `__GFP_ZERO`: return zeroed memory.
    Zero,
    /// `__GFP_ATOMIC`: caller cannot sleep (atomic reserves).
    Atomic,
    /// `__GFP_DIRECT_RECLAIM`: may sleep and reclaim memory itself.
    DirectReclaim,
    /// `__GFP_KSWAPD_RECLAIM`: wake kswapd at the low watermark.
    KswapdReclaim,
    /// `__GFP_WRITE`: caller will dirty the page.
    Write,
    /// `__GFP_NOWARN`: no allocation-failure warning.
    Nowarn,
    /// `__GFP_REPEAT`: try harder before failing.
    Repeat,
    /// `__GFP_RETRY_MAYFAIL`: retry reclaim hard, may fail, no OOM.
    RetryMayfail,
    /// `__GFP_NOFAIL`: never fail: retry forever.
    Nofail,
    /// `__GFP_NORETRY`: light reclaim only, fail early, no OOM.
    Noretry,
    /// `__GFP_MEMALLOC`: may use all memory reserves.
    Memalloc,
    /// `__GFP_COMP`: compound page.
    Comp,
    /// `__GFP_NOMEMALLOC`: never use reserves, even in PF_MEMALLOC.
    Nomemalloc,
    /// `__GFP_HARDWALL`: enforce the cpuset memory policy.
    Hardwall,
    /// `__GFP_THISNODE`: this NUMA node only, no fallback.
    Thisnode,
    /// `__GFP_ACCOUNT`: charge to the caller's memory cgroup.
    Account,
    /// `__GFP_NOACCOUNT`: do not charge to the memory cgroup.
    Noaccount,
    /// `__GFP_NOTRACK`: not tracked by kmemcheck.
    Notrack,
    /// `__GFP_OTHER_NODE`: NUMA statistics: for another node.
    OtherNode,
    /// `__GFP_ZEROTAGS`: zero MTE tags along with the memory.
    Zerotags,
    /// `__GFP_SKIP_KASAN_POISON`: KASAN: skip poisoning on free.
    SkipKasanPoison,
    /// `__GFP_SKIP_KASAN_UNPOISON`: KASAN: skip unpoisoning on alloc.
    SkipKasanUnpoison,
    /// `__GFP_SKIP_ZERO`: KASAN HW tags: skip zeroing.
    SkipZero,
    /// `__GFP_SKIP_KASAN`: KASAN HW tags: skip unpoisoning.
    SkipKasan,
    /// `__GFP_NOLOCKDEP`: lockdep ignores its reclaim context.
    Nolockdep,
    /// `__GFP_NO_OBJ_EXT`: slab: no object extension vector.
    NoObjExt,
    /// `__GFP_WAIT` (up to 4.3): may sleep, which then meant direct
    /// reclaim too; 4.4 split it into `__GFP_DIRECT_RECLAIM` and
    /// `__GFP_KSWAPD_RECLAIM`.
    Wait,
    /// `__GFP_NO_GROW` (up to 2.6.23): slab-internal.
    NoGrow,
    /// `__GFP_NO_KSWAPD` (2.6.38-4.3): do not wake kswapd.
    NoKswapd,
    /// `__GFP_KMEMCG` (3.8-3.14): charge to the memory cgroup.
    Kmemcg,
}

impl GfpFlag {
    /// Every flag, in declaration order.
    pub const ALL: [GfpFlag; 39] = [
        GfpFlag::Dma,
        GfpFlag::Highmem,
        GfpFlag::Dma32,
        GfpFlag::Movable,
        GfpFlag::Reclaimable,
        GfpFlag::High,
        GfpFlag::Io,
        GfpFlag::Fs,
        GfpFlag::Cold,
        GfpFlag::Zero,
        GfpFlag::Atomic,
        GfpFlag::DirectReclaim,
        GfpFlag::KswapdReclaim,
        GfpFlag::Write,
        GfpFlag::Nowarn,
        GfpFlag::Repeat,
        GfpFlag::RetryMayfail,
        GfpFlag::Nofail,
        GfpFlag::Noretry,
        GfpFlag::Memalloc,
        GfpFlag::Comp,
        GfpFlag::Nomemalloc,
        GfpFlag::Hardwall,
        GfpFlag::Thisnode,
        GfpFlag::Account,
        GfpFlag::Noaccount,
        GfpFlag::Notrack,
        GfpFlag::OtherNode,
        GfpFlag::Zerotags,
        GfpFlag::SkipKasanPoison,
        GfpFlag::SkipKasanUnpoison,
        GfpFlag::SkipZero,
        GfpFlag::SkipKasan,
        GfpFlag::Nolockdep,
        GfpFlag::NoObjExt,
        GfpFlag::Wait,
        GfpFlag::NoGrow,
        GfpFlag::NoKswapd,
        GfpFlag::Kmemcg,
    ];

    /// The kernel's name, `__GFP_DIRECT_RECLAIM`.
    pub fn name(self) -> &'static str {
        match self {
            GfpFlag::Dma => "__GFP_DMA",
            GfpFlag::Highmem => "__GFP_HIGHMEM",
            GfpFlag::Dma32 => "__GFP_DMA32",
            GfpFlag::Movable => "__GFP_MOVABLE",
            GfpFlag::Reclaimable => "__GFP_RECLAIMABLE",
            GfpFlag::High => "__GFP_HIGH",
            GfpFlag::Io => "__GFP_IO",
            GfpFlag::Fs => "__GFP_FS",
            GfpFlag::Cold => "__GFP_COLD",
            GfpFlag::Zero => "__GFP_ZERO",
            GfpFlag::Atomic => "__GFP_ATOMIC",
            GfpFlag::DirectReclaim => "__GFP_DIRECT_RECLAIM",
            GfpFlag::KswapdReclaim => "__GFP_KSWAPD_RECLAIM",
            GfpFlag::Write => "__GFP_WRITE",
            GfpFlag::Nowarn => "__GFP_NOWARN",
            GfpFlag::Repeat => "__GFP_REPEAT",
            GfpFlag::RetryMayfail => "__GFP_RETRY_MAYFAIL",
            GfpFlag::Nofail => "__GFP_NOFAIL",
            GfpFlag::Noretry => "__GFP_NORETRY",
            GfpFlag::Memalloc => "__GFP_MEMALLOC",
            GfpFlag::Comp => "__GFP_COMP",
            GfpFlag::Nomemalloc => "__GFP_NOMEMALLOC",
            GfpFlag::Hardwall => "__GFP_HARDWALL",
            GfpFlag::Thisnode => "__GFP_THISNODE",
            GfpFlag::Account => "__GFP_ACCOUNT",
            GfpFlag::Noaccount => "__GFP_NOACCOUNT",
            GfpFlag::Notrack => "__GFP_NOTRACK",
            GfpFlag::OtherNode => "__GFP_OTHER_NODE",
            GfpFlag::Zerotags => "__GFP_ZEROTAGS",
            GfpFlag::SkipKasanPoison => "__GFP_SKIP_KASAN_POISON",
            GfpFlag::SkipKasanUnpoison => "__GFP_SKIP_KASAN_UNPOISON",
            GfpFlag::SkipZero => "__GFP_SKIP_ZERO",
            GfpFlag::SkipKasan => "__GFP_SKIP_KASAN",
            GfpFlag::Nolockdep => "__GFP_NOLOCKDEP",
            GfpFlag::NoObjExt => "__GFP_NO_OBJ_EXT",
            GfpFlag::Wait => "__GFP_WAIT",
            GfpFlag::NoGrow => "__GFP_NO_GROW",
            GfpFlag::NoKswapd => "__GFP_NO_KSWAPD",
            GfpFlag::Kmemcg => "__GFP_KMEMCG",
        }
    }

    /// The name without `__GFP_` (the key used in `data/gfp.toml`).
    pub fn key(self) -> &'static str {
        &self.name()["__GFP_".len()..]
    }

    /// A flag from `__GFP_X`, `___GFP_X` or the bare key `X`.
    pub fn from_name(name: &str) -> Option<GfpFlag> {
        let key = name
            .strip_prefix("___GFP_")
            .or_else(|| name.strip_prefix("__GFP_"))
            .unwrap_or(name);
        GfpFlag::ALL.into_iter().find(|f| f.key() == key)
    }

    /// What the flag asks of the allocator, in one short line.
    pub fn meaning(self) -> &'static str {
        match self {
            GfpFlag::Dma => "allocate from ZONE_DMA",
            GfpFlag::Highmem => "highmem pages are fine (32-bit)",
            GfpFlag::Dma32 => "allocate below 4 GiB (ZONE_DMA32)",
            GfpFlag::Movable => "page can be moved by compaction",
            GfpFlag::Reclaimable => "slab pages freeable by shrinkers",
            GfpFlag::High => "high priority: may dip into reserves",
            GfpFlag::Io => "reclaim may start physical I/O",
            GfpFlag::Fs => "reclaim may call into filesystems",
            GfpFlag::Cold => "a cache-cold page will do",
            GfpFlag::Zero => "return zeroed memory",
            GfpFlag::Atomic => "caller cannot sleep (atomic reserves)",
            GfpFlag::DirectReclaim => "may sleep and reclaim memory itself",
            GfpFlag::KswapdReclaim => "wake kswapd at the low watermark",
            GfpFlag::Write => "caller will dirty the page",
            GfpFlag::Nowarn => "no allocation-failure warning",
            GfpFlag::Repeat => "try harder before failing",
            GfpFlag::RetryMayfail => "retry reclaim hard, may fail, no OOM",
            GfpFlag::Nofail => "never fail: retry forever",
            GfpFlag::Noretry => "light reclaim only, fail early, no OOM",
            GfpFlag::Memalloc => "may use all memory reserves",
            GfpFlag::Comp => "compound page",
            GfpFlag::Nomemalloc => "never use reserves, even in PF_MEMALLOC",
            GfpFlag::Hardwall => "enforce the cpuset memory policy",
            GfpFlag::Thisnode => "this NUMA node only, no fallback",
            GfpFlag::Account => "charge to the caller's memory cgroup",
            GfpFlag::Noaccount => "do not charge to the memory cgroup",
            GfpFlag::Notrack => "not tracked by kmemcheck",
            GfpFlag::OtherNode => "NUMA statistics: for another node",
            GfpFlag::Zerotags => "zero MTE tags along with the memory",
            GfpFlag::SkipKasanPoison => "KASAN: skip poisoning on free",
            GfpFlag::SkipKasanUnpoison => "KASAN: skip unpoisoning on alloc",
            GfpFlag::SkipZero => "KASAN HW tags: skip zeroing",
            GfpFlag::SkipKasan => "KASAN HW tags: skip unpoisoning",
            GfpFlag::Nolockdep => "lockdep ignores its reclaim context",
            GfpFlag::NoObjExt => "slab: no object extension vector",
            GfpFlag::Wait => "may sleep and reclaim memory itself",
            GfpFlag::NoGrow => "slab internal: do not grow the cache",
            GfpFlag::NoKswapd => "do not wake kswapd",
            GfpFlag::Kmemcg => "charge to the caller's memory cgroup",
        }
    }
}

/// Why a GFP expression could not be turned into a mask.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GfpError {
    /// Nothing to parse.
    Empty,
    /// The expression is malformed at byte `at`.
    Syntax {
        /// The whole expression.
        input: String,
        /// Byte offset of the error in `input`.
        at: usize,
        /// What the parser wanted there (`')'`, `a hex or decimal number`, ...).
        expected: &'static str,
    },
    /// No kernel ever had this name.
    UnknownName {
        /// The name as written.
        name: String,
    },
    /// The name exists, but not in this layout; `present_in` lists the
    /// layouts that have it.
    NotInLayout {
        /// The name as written.
        name: String,
        /// The id of the layout it was looked up in.
        layout: String,
        /// The ids of the layouts that define it.
        present_in: Vec<String>,
    },
    /// A number does not fit a 32-bit `gfp_t`.
    Overflow {
        /// The number as written.
        token: String,
    },
}

impl fmt::Display for GfpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GfpError::Empty => f.write_str("empty GFP expression"),
            GfpError::Syntax {
                input,
                at,
                expected,
            } => write!(
                f,
                "bad GFP expression {input:?} at offset {at}: expected {expected}"
            ),
            GfpError::UnknownName { name } => write!(f, "unknown GFP name {name}"),
            GfpError::NotInLayout {
                name,
                layout,
                present_in,
            } => {
                write!(f, "{name} does not exist in the {layout} layout")?;
                if !present_in.is_empty() {
                    write!(f, " (it exists in: {})", present_in.join(", "))?;
                }
                Ok(())
            }
            GfpError::Overflow { token } => {
                write!(f, "{token} does not fit a 32-bit gfp_t")
            }
        }
    }
}

impl std::error::Error for GfpError {}

/// One era's bit values, composites and `%pGg` name table.
#[derive(Debug)]
pub struct GfpLayout {
    id: String,
    since: KernelVersion,
    last_verified: Option<KernelVersion>,
    verified_in: Option<String>,
    printk_names: bool,
    source: String,
    names_source: String,
    note: Option<String>,
    /// Flags that exist in the default config, with their values.
    flags: Vec<(GfpFlag, u32)>,
    /// Flags compiled out in the default config (value 0), and what they
    /// depend on.
    absent: Vec<(GfpFlag, String)>,
    /// `GFP_*` and `__GFP_RECLAIM`, in definition order.
    composites: Vec<(String, u32)>,
    /// The `%pGg` table, resolved to masks, in table order.
    names: Vec<(String, u32)>,
}

/// How much a version's layout was checked against source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Coverage {
    /// The version lies between releases whose source was read.
    Verified,
    /// The layout is believed to apply but no tree of this version (or of
    /// this layout at all) was read.
    Unverified,
    /// Older than every modelled layout; the oldest is used.
    TooOld,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    layout: Vec<RawLayout>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLayout {
    id: String,
    since: String,
    last_verified: Option<String>,
    verified_in: Option<String>,
    printk_names: bool,
    source: String,
    names_source: String,
    note: Option<String>,
    composites: Vec<(String, String)>,
    names: Vec<String>,
    flags: BTreeMap<String, u32>,
    #[serde(default)]
    absent: BTreeMap<String, String>,
}

/// Every layout, oldest first. The data is compiled in and checked by the
/// unit tests, so a malformed table is a build-time bug, not an input error.
pub fn layouts() -> &'static [GfpLayout] {
    static LAYOUTS: OnceLock<Vec<GfpLayout>> = OnceLock::new();
    LAYOUTS.get_or_init(|| load(DATA).unwrap_or_else(|e| panic!("embedded gfp.toml: {e}")))
}

fn load(text: &str) -> Result<Vec<GfpLayout>, String> {
    let raw: RawFile = toml::from_str(text).map_err(|e| e.to_string())?;
    let mut out: Vec<GfpLayout> = Vec::new();
    for r in raw.layout {
        let layout = build_layout(r)?;
        if let Some(prev) = out.last() {
            if prev.since >= layout.since {
                return Err(format!("layout {} is out of order", layout.id));
            }
        }
        out.push(layout);
    }
    if out.is_empty() {
        return Err("no layouts".into());
    }
    Ok(out)
}

fn build_layout(r: RawLayout) -> Result<GfpLayout, String> {
    let version = |s: &str| {
        s.parse::<KernelVersion>()
            .map_err(|e| format!("layout {}: {e}", r.id))
    };
    let since = version(&r.since)?;
    let last_verified = r.last_verified.as_deref().map(version).transpose()?;
    let mut flags = Vec::new();
    for (key, value) in &r.flags {
        let flag = GfpFlag::from_name(key)
            .ok_or_else(|| format!("layout {}: unknown flag {key}", r.id))?;
        if value.count_ones() != 1 {
            return Err(format!("layout {}: {key} is not a single bit", r.id));
        }
        flags.push((flag, *value));
    }
    flags.sort_by_key(|&(_, v)| v);
    let mut absent = Vec::new();
    for (key, why) in &r.absent {
        let flag = GfpFlag::from_name(key)
            .ok_or_else(|| format!("layout {}: unknown flag {key}", r.id))?;
        absent.push((flag, why.clone()));
    }
    let mut layout = GfpLayout {
        id: r.id.clone(),
        since,
        last_verified,
        verified_in: r.verified_in,
        printk_names: r.printk_names,
        source: r.source,
        names_source: r.names_source,
        note: r.note,
        flags,
        absent,
        composites: Vec::new(),
        names: Vec::new(),
    };
    for (name, definition) in &r.composites {
        let value = expr::evaluate(definition, &layout)
            .map_err(|e| format!("layout {}: {name}: {e}", r.id))?
            .value;
        layout.composites.push((name.clone(), value));
    }
    for name in &r.names {
        let value = layout
            .lookup(name)
            .ok_or_else(|| format!("layout {}: name table entry {name} is undefined", r.id))?;
        if value == 0 {
            // A zero mask would match every value in decode().
            return Err(format!("layout {}: name table entry {name} is 0", r.id));
        }
        layout.names.push((name.clone(), value));
    }
    Ok(layout)
}

impl GfpLayout {
    /// The layout for `version`: the newest one whose `since` is not after
    /// it (the oldest one for versions older than every layout).
    pub fn for_version(version: KernelVersion) -> &'static GfpLayout {
        let all = layouts();
        let v = version.without_patch();
        all.iter().rev().find(|l| l.since <= v).unwrap_or(&all[0])
    }

    /// The newest layout (the current kernel tree).
    pub fn newest() -> &'static GfpLayout {
        layouts().last().expect("at least one layout")
    }

    /// Short identifier, the first release it applies to (`4.15`).
    pub fn id(&self) -> &str {
        &self.id
    }

    /// First release this layout applies to.
    pub fn since(&self) -> KernelVersion {
        self.since
    }

    /// The newest release whose source was read and matched, if any.
    pub fn last_verified(&self) -> Option<KernelVersion> {
        self.last_verified
    }

    /// The source trees this layout was read from (keys of
    /// kernel-facts.md section 0.1).
    pub fn verified_in(&self) -> Option<&str> {
        self.verified_in.as_deref()
    }

    /// False for kernels that printed GFP masks as bare numbers (4.4).
    pub fn printk_names(&self) -> bool {
        self.printk_names
    }

    /// The kernel file and versions the values come from.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Where the `%pGg` name table comes from.
    pub fn names_source(&self) -> &str {
        &self.names_source
    }

    /// Caveats about this layout, if any.
    pub fn note(&self) -> Option<&str> {
        self.note.as_deref()
    }

    /// The next layout, if this is not the newest.
    fn next(&self) -> Option<&'static GfpLayout> {
        let all = layouts();
        let i = all.iter().position(|l| l.id == self.id)?;
        all.get(i + 1)
    }

    /// The releases this layout applies to, for humans: `4.15-4.17`,
    /// `6.15+`.
    pub fn range_label(&self) -> String {
        match self.next().and_then(|n| previous_release(n.since)) {
            Some(last) if last == self.since => self.since.to_string(),
            Some(last) => format!("{}-{}", self.since, last),
            None => format!("{}+", self.since),
        }
    }

    /// How well `version` is covered by this layout.
    pub fn coverage(&self, version: KernelVersion) -> Coverage {
        let v = version.without_patch();
        if v < self.since {
            return Coverage::TooOld;
        }
        match self.last_verified {
            Some(last) if v <= last => Coverage::Verified,
            _ => Coverage::Unverified,
        }
    }

    /// The value of `flag`, or `None` when this kernel (in the default
    /// config) has no such bit.
    pub fn value(&self, flag: GfpFlag) -> Option<u32> {
        self.flags.iter().find(|(f, _)| *f == flag).map(|&(_, v)| v)
    }

    /// The bit that lets an allocation sleep in direct reclaim:
    /// `__GFP_DIRECT_RECLAIM`, or `__GFP_WAIT` up to 4.3 (0 if neither).
    pub fn direct_reclaim_bit(&self) -> u32 {
        self.value(GfpFlag::DirectReclaim)
            .or_else(|| self.value(GfpFlag::Wait))
            .unwrap_or(0)
    }

    /// The flag that owns `bit` (a single bit), if any.
    pub fn flag_for_bit(&self, bit: u32) -> Option<GfpFlag> {
        self.flags.iter().find(|(_, v)| *v == bit).map(|&(f, _)| f)
    }

    /// Flags that exist in this layout, in bit order.
    pub fn flags(&self) -> impl Iterator<Item = (GfpFlag, u32)> + '_ {
        self.flags.iter().copied()
    }

    /// Whether `flag` exists only with a config option the default config
    /// leaves off, and what that is.
    pub fn absent_reason(&self, flag: GfpFlag) -> Option<&str> {
        self.absent
            .iter()
            .find(|(f, _)| *f == flag)
            .map(|(_, why)| why.as_str())
    }

    /// The value of a composite (`GFP_KERNEL`, `__GFP_RECLAIM`).
    pub fn composite(&self, name: &str) -> Option<u32> {
        self.composites
            .iter()
            .find(|(n, _)| n == name)
            .map(|&(_, v)| v)
    }

    /// Composites in definition order.
    pub fn composites(&self) -> impl Iterator<Item = (&str, u32)> + '_ {
        self.composites.iter().map(|(n, v)| (n.as_str(), *v))
    }

    /// Every bit some flag of this layout uses.
    pub fn known_bits(&self) -> u32 {
        self.flags.iter().fold(0, |acc, &(_, v)| acc | v)
    }

    /// A composite or flag by its kernel name; flags compiled out in the
    /// default config are 0, as the preprocessor makes them.
    fn lookup(&self, name: &str) -> Option<u32> {
        if let Some(v) = self.composite(name) {
            return Some(v);
        }
        if !name.starts_with("__GFP_") && !name.starts_with("___GFP_") {
            return None;
        }
        let flag = GfpFlag::from_name(name)?;
        match self.value(flag) {
            Some(v) => Some(v),
            None => self.absent_reason(flag).map(|_| 0),
        }
    }

    /// What `%pGg` prints for `bits` on this kernel.
    pub fn decode(&self, bits: u32) -> String {
        let mut out = String::new();
        let mut flags = bits;
        for (name, mask) in &self.names {
            if flags == 0 {
                break;
            }
            if flags & mask != *mask {
                continue;
            }
            out.push_str(name);
            flags &= !mask;
            if flags != 0 {
                out.push('|');
            }
        }
        if flags != 0 {
            out.push_str(&format!("{flags:#x}"));
        }
        out
    }

    /// Parse a symbolic or numeric expression against this layout (see
    /// [`parse`]).
    pub fn parse(&self, input: &str) -> Result<GfpMask, GfpError> {
        self.parse_with_notes(input).map(|(mask, _)| mask)
    }

    /// [`GfpLayout::parse`], plus remarks worth showing a human (names
    /// that are 0 in the default config).
    pub(crate) fn parse_with_notes(&self, input: &str) -> Result<(GfpMask, Vec<String>), GfpError> {
        match expr::evaluate(input, self) {
            Ok(e) => Ok((
                GfpMask {
                    bits: e.value,
                    layout: self.resolve_static(),
                },
                e.notes,
            )),
            Err(GfpError::NotInLayout { name, layout, .. }) => {
                let present_in: Vec<String> = layouts()
                    .iter()
                    .filter(|l| l.lookup(&name).is_some())
                    .map(|l| l.id.clone())
                    .collect();
                if present_in.is_empty() {
                    Err(GfpError::UnknownName { name })
                } else {
                    Err(GfpError::NotInLayout {
                        name,
                        layout,
                        present_in,
                    })
                }
            }
            Err(e) => Err(e),
        }
    }

    /// `self` as the `'static` table entry it always is.
    fn resolve_static(&self) -> &'static GfpLayout {
        layouts()
            .iter()
            .find(|l| l.id == self.id)
            .expect("layouts only come from the static table")
    }
}

/// The release before `v` (`5.1` -> `5.0`, `5.0` -> `4.20`).
fn previous_release(v: KernelVersion) -> Option<KernelVersion> {
    if v.major == 2 {
        // 2.6.x: the third number is the release.
        return (v.patch > 0).then(|| KernelVersion::new(2, 6, v.patch - 1));
    }
    if v.minor > 0 {
        return Some(KernelVersion::release(v.major, v.minor - 1));
    }
    // Last minor of each major series.
    let last = match v.major {
        3 => return Some(KernelVersion::new(2, 6, 39)),
        4 => 19, // 3.19 -> 4.0
        5 => 20, // 4.20 -> 5.0
        6 => 19, // 5.19 -> 6.0
        7 => 19, // 6.19 -> 7.0
        _ => return None,
    };
    Some(KernelVersion::release(v.major - 1, last))
}

/// The layout for an optional version: the newest when none is given.
pub fn layout_for(version: Option<KernelVersion>) -> &'static GfpLayout {
    match version {
        Some(v) => GfpLayout::for_version(v),
        None => GfpLayout::newest(),
    }
}

/// How much of the emergency reserves an allocation may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reserves {
    /// `__GFP_NOMEMALLOC`: none, even for `PF_MEMALLOC` tasks.
    Forbidden,
    /// Normal watermarks (a `PF_MEMALLOC` task still gets all reserves).
    Normal,
    /// `__GFP_HIGH` (and `__GFP_ATOMIC` up to 6.2): below the min watermark.
    High,
    /// `__GFP_MEMALLOC`: no watermarks at all.
    All,
}

/// A GFP mask as one kernel defines it.
#[derive(Clone, Copy)]
pub struct GfpMask {
    bits: u32,
    layout: &'static GfpLayout,
}

impl fmt::Debug for GfpMask {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "GfpMask({:#x} @ {})", self.bits, self.layout.id)
    }
}

impl PartialEq for GfpMask {
    fn eq(&self, other: &Self) -> bool {
        self.bits == other.bits && std::ptr::eq(self.layout, other.layout)
    }
}

impl Eq for GfpMask {}

impl fmt::Display for GfpMask {
    /// The kernel's `%#x(%pGg)`: `0xcc0(GFP_KERNEL)`, `0x0()`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:#x}({})", self.bits, self.decode())
    }
}

impl GfpMask {
    /// `bits` as the kernel `version` defines them.
    pub fn new(bits: u32, version: KernelVersion) -> Self {
        Self::with_layout(bits, GfpLayout::for_version(version))
    }

    /// `bits` read with `layout` (when the caller has the layout itself
    /// rather than a kernel version).
    pub fn with_layout(bits: u32, layout: &'static GfpLayout) -> Self {
        GfpMask { bits, layout }
    }

    /// The raw mask value.
    pub fn bits(self) -> u32 {
        self.bits
    }

    /// The bit layout the value is read with.
    pub fn layout(self) -> &'static GfpLayout {
        self.layout
    }

    /// Whether `flag` is set (false when the layout has no such bit).
    pub fn has(self, flag: GfpFlag) -> bool {
        self.layout.value(flag).is_some_and(|v| self.bits & v == v)
    }

    /// The same mask with `flag` set (unchanged if the layout lacks it).
    pub fn with(self, flag: GfpFlag) -> Self {
        let v = self.layout.value(flag).unwrap_or(0);
        GfpMask {
            bits: self.bits | v,
            ..self
        }
    }

    /// The same mask with `flag` cleared.
    pub fn without(self, flag: GfpFlag) -> Self {
        let v = self.layout.value(flag).unwrap_or(0);
        GfpMask {
            bits: self.bits & !v,
            ..self
        }
    }

    /// Set flags, in bit order.
    pub fn flags(self) -> Vec<GfpFlag> {
        self.layout
            .flags()
            .filter(|&(_, v)| self.bits & v != 0)
            .map(|(f, _)| f)
            .collect()
    }

    /// Bits no flag of this layout uses.
    pub fn unknown_bits(self) -> u32 {
        self.bits & !self.layout.known_bits()
    }

    /// What `%pGg` prints for this mask.
    pub fn decode(self) -> String {
        self.layout.decode(self.bits)
    }

    /// `__GFP_DIRECT_RECLAIM` (`gfpflags_allow_blocking()`; `__GFP_WAIT`
    /// up to 4.3): the caller may sleep and reclaim memory itself. Whether
    /// it actually can also depends on the task (`PF_MEMALLOC` forbids it),
    /// see [`crate::kernel::task::direct_reclaim_possible`].
    pub fn may_direct_reclaim(self) -> bool {
        self.has(GfpFlag::DirectReclaim) || self.has(GfpFlag::Wait)
    }

    /// `__GFP_KSWAPD_RECLAIM`: kswapd is woken at the low watermark. Up
    /// to 4.3 there was no such bit: the slow path woke kswapd for every
    /// allocation unless `__GFP_NO_KSWAPD` (2.6.38+) was set.
    pub fn may_kswapd_reclaim(self) -> bool {
        if self.layout.value(GfpFlag::KswapdReclaim).is_some() {
            self.has(GfpFlag::KswapdReclaim)
        } else {
            !self.has(GfpFlag::NoKswapd)
        }
    }

    /// `__GFP_FS`: reclaim on behalf of this allocation may enter
    /// filesystems (shrinkers, writeback, inode eviction).
    pub fn may_enter_fs(self) -> bool {
        self.has(GfpFlag::Fs)
    }

    /// `__GFP_IO`: reclaim may start physical I/O.
    pub fn may_do_io(self) -> bool {
        self.has(GfpFlag::Io)
    }

    /// No `__GFP_DIRECT_RECLAIM`: the allocator never sleeps for this
    /// allocation (`GFP_NOWAIT`, `GFP_ATOMIC`, `alloc_pages_nolock()`).
    pub fn is_nonblocking(self) -> bool {
        !self.may_direct_reclaim()
    }

    /// Non-blocking with access to the atomic reserves: `GFP_ATOMIC`-like
    /// (`__GFP_HIGH`, or `__GFP_ATOMIC` up to 6.2).
    pub fn is_atomic(self) -> bool {
        self.is_nonblocking() && (self.has(GfpFlag::High) || self.has(GfpFlag::Atomic))
    }

    /// Non-blocking without reserves: `GFP_NOWAIT`-like.
    pub fn is_nowait(self) -> bool {
        self.is_nonblocking() && !self.is_atomic()
    }

    /// `__GFP_NOMEMALLOC`: no emergency reserves, even under `PF_MEMALLOC`.
    pub fn no_memalloc(self) -> bool {
        self.has(GfpFlag::Nomemalloc)
    }

    /// `__GFP_MEMALLOC`: all reserves.
    pub fn memalloc(self) -> bool {
        self.has(GfpFlag::Memalloc)
    }

    /// `__GFP_NOLOCKDEP` (4.12+, CONFIG_LOCKDEP): lockdep does not
    /// annotate this allocation's reclaim context.
    pub fn nolockdep(self) -> bool {
        self.has(GfpFlag::Nolockdep)
    }

    /// `__GFP_NOWARN`.
    pub fn nowarn(self) -> bool {
        self.has(GfpFlag::Nowarn)
    }

    /// `__GFP_NOFAIL`.
    pub fn nofail(self) -> bool {
        self.has(GfpFlag::Nofail)
    }

    /// `__GFP_NORETRY`.
    pub fn noretry(self) -> bool {
        self.has(GfpFlag::Noretry)
    }

    /// `__GFP_RETRY_MAYFAIL` (4.13+) or its predecessor `__GFP_REPEAT`.
    pub fn retry_mayfail(self) -> bool {
        self.has(GfpFlag::RetryMayfail) || self.has(GfpFlag::Repeat)
    }

    /// Reserve access from the mask alone (`__gfp_pfmemalloc_flags()` and
    /// `gfp_to_alloc_flags()`: `__GFP_NOMEMALLOC` wins over everything).
    pub fn reserves(self) -> Reserves {
        if self.no_memalloc() {
            Reserves::Forbidden
        } else if self.memalloc() {
            Reserves::All
        } else if self.has(GfpFlag::High) || self.has(GfpFlag::Atomic) {
            Reserves::High
        } else {
            Reserves::Normal
        }
    }
}

/// What the kernel `version`'s `%pGg` prints for `mask`.
///
/// ```
/// use splatdec::kernel::{gfp, version::KernelVersion};
/// let v415 = KernelVersion::release(4, 15);
/// assert_eq!(gfp::decode(0x14000c0, v415), "GFP_KERNEL");
/// assert_eq!(gfp::decode(0x6000c0, v415), "__GFP_IO|__GFP_FS|__GFP_DIRECT_RECLAIM|0x200000");
/// ```
pub fn decode(mask: u32, version: KernelVersion) -> String {
    GfpLayout::for_version(version).decode(mask)
}

/// Parse `GFP_NOFS|__GFP_NOWARN`, `GFP_KERNEL & ~__GFP_FS`, `0x6000c0` or
/// a printed `%pGg` list such as `GFP_KERNEL|0x200000` as `version`
/// defines the names. `|`, `&`, `~` and parentheses work as in C; names
/// are case-insensitive.
pub fn parse(expr: &str, version: KernelVersion) -> Result<GfpMask, GfpError> {
    GfpLayout::for_version(version).parse(expr)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(major: u32, minor: u32) -> KernelVersion {
        KernelVersion::release(major, minor)
    }

    #[test]
    fn embedded_table_loads_and_is_ordered() {
        let all = layouts();
        assert!(all.len() >= 12);
        for pair in all.windows(2) {
            assert!(pair[0].since < pair[1].since);
        }
        for l in all {
            // No two flags share a bit, and every name resolves.
            let mut seen = 0u32;
            for (f, bit) in l.flags() {
                assert_eq!(seen & bit, 0, "{} {:?}", l.id(), f);
                seen |= bit;
            }
            assert!(!l.names.is_empty());
        }
    }

    /// Composite values per era, from kernel-facts.md section 1.4 (computed
    /// there from the verified bit tables; recomputed here from the data).
    #[test]
    fn composite_values_per_era() {
        let expect: &[(KernelVersion, &[(&str, u32)])] = &[
            (
                v(4, 4),
                &[
                    ("GFP_KERNEL", 0x24000c0),
                    ("GFP_ATOMIC", 0x2080020),
                    ("GFP_NOWAIT", 0x2000000),
                    ("GFP_NOIO", 0x2400000),
                    ("GFP_NOFS", 0x2400040),
                    ("GFP_USER", 0x24200c0),
                    ("GFP_HIGHUSER", 0x24200c2),
                    ("GFP_HIGHUSER_MOVABLE", 0x24200ca),
                    ("GFP_TRANSHUGE", 0x4352ca),
                ],
            ),
            (
                v(4, 10),
                &[
                    ("GFP_KERNEL", 0x14000c0),
                    ("GFP_KERNEL_ACCOUNT", 0x15000c0),
                    ("GFP_ATOMIC", 0x1080020),
                    ("GFP_NOWAIT", 0x1000000),
                    ("GFP_NOFS", 0x1400040),
                    ("GFP_TRANSHUGE_LIGHT", 0x342ca),
                    ("GFP_TRANSHUGE", 0x4342ca),
                ],
            ),
            (
                v(4, 13),
                &[("GFP_KERNEL", 0x14000c0), ("GFP_TRANSHUGE", 0x4342ca)],
            ),
            (
                v(4, 14),
                &[("GFP_KERNEL", 0x14000c0), ("GFP_USER", 0x14200c0)],
            ),
            (
                v(4, 15),
                &[
                    ("GFP_KERNEL", 0x14000c0),
                    ("GFP_NOIO", 0x1400000),
                    ("GFP_HIGHUSER_MOVABLE", 0x14200ca),
                ],
            ),
            (
                v(4, 19),
                &[
                    ("GFP_KERNEL", 0x6000c0),
                    ("GFP_KERNEL_ACCOUNT", 0x7000c0),
                    ("GFP_ATOMIC", 0x480020),
                    ("GFP_NOWAIT", 0x400000),
                    ("GFP_NOFS", 0x600040),
                    ("GFP_TRANSHUGE", 0x2342ca),
                ],
            ),
            (
                v(5, 4),
                &[
                    ("GFP_KERNEL", 0xcc0),
                    ("GFP_ATOMIC", 0xa20),
                    ("GFP_KERNEL_ACCOUNT", 0x400cc0),
                    ("GFP_NOWAIT", 0x800),
                    ("GFP_NOIO", 0xc00),
                    ("GFP_USER", 0x100cc0),
                    ("GFP_HIGHUSER_MOVABLE", 0x100cca),
                    ("GFP_TRANSHUGE_LIGHT", 0x1c20ca),
                    ("GFP_TRANSHUGE", 0x1c24ca),
                ],
            ),
            (v(5, 10), &[("GFP_KERNEL", 0xcc0), ("GFP_DMA32", 0x4)]),
            (
                v(5, 15),
                &[
                    ("GFP_HIGHUSER_MOVABLE", 0x1100cca),
                    ("GFP_TRANSHUGE_LIGHT", 0x11c20ca),
                    ("GFP_TRANSHUGE", 0x11c24ca),
                ],
            ),
            (
                v(6, 1),
                &[
                    ("GFP_ATOMIC", 0xa20),
                    ("GFP_HIGHUSER_MOVABLE", 0x100cca),
                    ("GFP_TRANSHUGE", 0x1c24ca),
                ],
            ),
            (v(6, 6), &[("GFP_ATOMIC", 0x820), ("GFP_NOWAIT", 0x800)]),
            (v(6, 8), &[("GFP_ATOMIC", 0x820), ("GFP_NOWAIT", 0x2800)]),
            (v(6, 18), &[("GFP_NOWAIT", 0x2800), ("GFP_KERNEL", 0xcc0)]),
        ];
        for (version, rows) in expect {
            let l = GfpLayout::for_version(*version);
            for (name, value) in *rows {
                assert_eq!(l.composite(name), Some(*value), "{name} on {version}");
            }
        }
    }

    #[test]
    fn nolockdep_per_era() {
        let cases = [
            (v(4, 11), None),
            (v(4, 12), Some(0x2000000)),
            (v(4, 17), Some(0x2000000)),
            (v(4, 19), Some(0x800000)),
            (v(5, 10), Some(0x800000)),
            (v(5, 15), Some(0x2000000)),
            (v(6, 1), Some(0x8000000)),
            (v(6, 6), Some(0x4000000)),
            (v(6, 12), Some(0x1000000)),
            (v(6, 18), Some(0x1000000)),
        ];
        for (version, want) in cases {
            let l = GfpLayout::for_version(version);
            assert_eq!(l.value(GfpFlag::Nolockdep), want, "{version}");
        }
    }

    #[test]
    fn seed_mask_on_4_15() {
        // kmalloc_reserve(): GFP_KERNEL | __GFP_NOMEMALLOC | __GFP_NOWARN.
        let v415 = v(4, 15);
        let m = parse("GFP_KERNEL | __GFP_NOMEMALLOC | __GFP_NOWARN", v415).unwrap();
        assert_eq!(m.bits(), 0x14000c0 | 0x10000 | 0x200);
        assert_eq!(m.bits(), 0x14102c0);
        // mmflags.h (4.15) lists __GFP_NOWARN before __GFP_NOMEMALLOC.
        assert_eq!(m.decode(), "GFP_KERNEL|__GFP_NOWARN|__GFP_NOMEMALLOC");
        assert_eq!(
            m.to_string(),
            "0x14102c0(GFP_KERNEL|__GFP_NOWARN|__GFP_NOMEMALLOC)"
        );
        assert!(m.no_memalloc() && m.may_direct_reclaim() && m.may_enter_fs());
    }

    #[test]
    fn gfp_kernel_of_4_19_on_4_15_keeps_unknown_bit() {
        assert_eq!(
            decode(0x6000c0, v(4, 15)),
            "__GFP_IO|__GFP_FS|__GFP_DIRECT_RECLAIM|0x200000"
        );
        assert_eq!(decode(0x6000c0, v(4, 19)), "GFP_KERNEL");
        // On 4.14 the same bit was __GFP_NOTRACK.
        assert_eq!(
            decode(0x6000c0, v(4, 14)),
            "__GFP_IO|__GFP_FS|__GFP_NOTRACK|__GFP_DIRECT_RECLAIM"
        );
    }

    #[test]
    fn zero_and_unknown_bits() {
        assert_eq!(decode(0, v(6, 6)), "");
        assert_eq!(GfpMask::new(0, v(6, 6)).to_string(), "0x0()");
        assert_eq!(decode(0xfc000000, v(5, 10)), "0xfc000000");
        assert_eq!(decode(0x20 | 0xfc000000, v(5, 10)), "__GFP_HIGH|0xfc000000");
        // 0x200 is unused from 6.3 on.
        assert_eq!(decode(0xcc0 | 0x200, v(6, 6)), "GFP_KERNEL|0x200");
    }

    #[test]
    fn era_a_and_era_b_order() {
        let m = "GFP_KERNEL|__GFP_NOWARN|__GFP_ZERO";
        assert_eq!(
            parse(m, v(6, 14)).unwrap().decode(),
            "GFP_KERNEL|__GFP_NOWARN|__GFP_ZERO"
        );
        assert_eq!(
            parse(m, v(6, 18)).unwrap().decode(),
            "GFP_KERNEL|__GFP_ZERO|__GFP_NOWARN"
        );
        // NOLOCKDEP has a name only in the bit-order table (6.15+).
        assert_eq!(decode(0x1000cc0, v(6, 12)), "GFP_KERNEL|0x1000000");
        assert_eq!(decode(0x1000cc0, v(6, 18)), "GFP_KERNEL|__GFP_NOLOCKDEP");
        assert_eq!(decode(0x34000c0, v(4, 12)), "GFP_KERNEL|0x2000000");
        assert_eq!(decode(0xe000c0, v(4, 19)), "GFP_KERNEL|0x800000");
        assert_eq!(decode(0x800cc0, v(5, 4)), "GFP_KERNEL|0x800000");
        // GFP_NOWAIT absorbs __GFP_NOWARN from 6.8 on.
        assert_eq!(decode(0x2800, v(6, 6)), "GFP_NOWAIT|__GFP_NOWARN");
        assert_eq!(decode(0x2800, v(6, 8)), "GFP_NOWAIT");
        assert_eq!(decode(0x100cc0, v(5, 10)), "GFP_USER");
        assert_eq!(decode(0x500cc0, v(6, 18)), "GFP_USER|__GFP_ACCOUNT");
    }

    #[test]
    fn round_trip_every_layout() {
        for l in layouts() {
            // Every composite and every single flag decodes to a name list
            // that parses back to the same bits.
            let mut masks: Vec<u32> = l.composites().map(|(_, v)| v).collect();
            masks.extend(l.flags().map(|(_, v)| v));
            masks.push(l.composite("GFP_KERNEL").unwrap() | l.value(GfpFlag::Nowarn).unwrap());
            masks.push(l.known_bits());
            masks.push(0x8000_0000);
            for bits in masks {
                let text = l.decode(bits);
                let back = if text.is_empty() {
                    0
                } else {
                    l.parse(&text).unwrap().bits()
                };
                assert_eq!(back, bits, "layout {} {bits:#x} -> {text}", l.id());
            }
        }
    }

    #[test]
    fn listed_versions_round_trip() {
        let versions = [
            v(4, 4),
            v(4, 10),
            v(4, 13),
            v(4, 14),
            v(4, 15),
            v(5, 4),
            v(5, 10),
            v(5, 15),
            v(6, 1),
            v(6, 6),
            v(6, 18),
        ];
        let old = [
            KernelVersion::new(2, 6, 18),
            KernelVersion::new(2, 6, 24),
            KernelVersion::new(2, 6, 32),
            v(3, 0),
            v(3, 13),
            v(4, 2),
        ];
        for version in old {
            for expr in [
                "GFP_KERNEL",
                "GFP_NOFS|__GFP_NOWARN",
                "GFP_KERNEL | __GFP_NOMEMALLOC",
                "GFP_ATOMIC|__GFP_NOWARN",
                "GFP_NOIO",
                "GFP_HIGHUSER",
                "GFP_DMA32|__GFP_ZERO",
            ] {
                let m = parse(expr, version).unwrap();
                let again = parse(&m.decode(), version).unwrap();
                assert_eq!(m, again, "{expr} on {version}");
            }
        }
        for version in versions {
            for expr in [
                "GFP_KERNEL",
                "GFP_NOFS|__GFP_NOWARN",
                "GFP_KERNEL | __GFP_NOMEMALLOC",
                "GFP_ATOMIC|__GFP_NOWARN",
                "GFP_NOIO",
                "GFP_HIGHUSER_MOVABLE",
                "GFP_TRANSHUGE",
                "GFP_DMA32|__GFP_ZERO",
            ] {
                let m = parse(expr, version).unwrap();
                let again = parse(&m.decode(), version).unwrap();
                assert_eq!(m, again, "{expr} on {version}");
            }
        }
    }

    #[test]
    fn parse_forms() {
        let v415 = v(4, 15);
        assert_eq!(parse("0x6000c0", v415).unwrap().bits(), 0x6000c0);
        assert_eq!(
            parse("GFP_KERNEL & ~__GFP_FS", v415).unwrap().bits(),
            0x1400040
        );
        assert_eq!(
            parse("GFP_KERNEL & ~__GFP_FS", v415).unwrap(),
            parse("GFP_NOFS", v415).unwrap()
        );
        assert_eq!(
            parse("gfp_kernel|__gfp_nowarn", v415).unwrap().bits(),
            0x14002c0
        );
        assert_eq!(
            parse("(GFP_KERNEL|__GFP_ZERO)&~__GFP_RECLAIM", v415)
                .unwrap()
                .bits(),
            0x80c0
        );
        assert_eq!(parse("___GFP_IO", v415).unwrap().bits(), 0x40);
        assert_eq!(parse("192", v415).unwrap().bits(), 192);
    }

    #[test]
    fn parse_errors() {
        let v66 = v(6, 6);
        assert_eq!(parse("", v66), Err(GfpError::Empty));
        assert!(matches!(
            parse("GFP_KERNEL|", v66),
            Err(GfpError::Syntax { .. })
        ));
        assert!(matches!(
            parse("GFP_KERNEL GFP_NOFS", v66),
            Err(GfpError::Syntax { .. })
        ));
        assert!(matches!(
            parse("GFP_BOGUS", v66),
            Err(GfpError::UnknownName { .. })
        ));
        match parse("__GFP_ATOMIC", v66) {
            Err(GfpError::NotInLayout { present_in, .. }) => {
                assert!(present_in.contains(&"6.1".to_string()))
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            parse("GFP_TEMPORARY", v66),
            Err(GfpError::NotInLayout { .. })
        ));
        assert!(matches!(
            parse("0x100000000", v66),
            Err(GfpError::Overflow { .. })
        ));
        // Compiled out in the default config: 0, as the preprocessor has it.
        assert_eq!(
            parse("GFP_KERNEL|__GFP_SKIP_KASAN", v66).unwrap().bits(),
            0xcc0
        );
    }

    #[test]
    fn predicates() {
        let v = v(6, 6);
        let atomic = parse("GFP_ATOMIC", v).unwrap();
        assert!(atomic.is_atomic() && atomic.is_nonblocking() && !atomic.is_nowait());
        assert!(atomic.may_kswapd_reclaim() && !atomic.may_direct_reclaim());
        assert_eq!(atomic.reserves(), Reserves::High);
        let nowait = parse("GFP_NOWAIT", v).unwrap();
        assert!(nowait.is_nowait() && !nowait.is_atomic());
        let nofs = parse("GFP_NOFS", v).unwrap();
        assert!(nofs.may_direct_reclaim() && nofs.may_do_io() && !nofs.may_enter_fs());
        let k = parse("GFP_KERNEL|__GFP_NOMEMALLOC|__GFP_NOLOCKDEP", v).unwrap();
        assert!(k.no_memalloc() && k.nolockdep());
        assert_eq!(k.reserves(), Reserves::Forbidden);
        assert!(!parse("GFP_KERNEL", KernelVersion::release(4, 11))
            .unwrap()
            .nolockdep());
        let old = parse("GFP_ATOMIC", KernelVersion::release(4, 4)).unwrap();
        assert!(old.is_atomic() && old.has(GfpFlag::Atomic));
        assert_eq!(k.without(GfpFlag::Fs).bits(), k.bits() & !0x80);
        assert_eq!(k.flags()[0], GfpFlag::Io);
    }

    #[test]
    fn layout_lookup_and_coverage() {
        assert_eq!(GfpLayout::for_version(v(4, 15)).id(), "4.15");
        assert_eq!(GfpLayout::for_version(v(4, 17)).id(), "4.15");
        assert_eq!(
            GfpLayout::for_version(KernelVersion::new(4, 4, 96)).id(),
            "4.4"
        );
        assert_eq!(GfpLayout::for_version(v(5, 0)).id(), "4.18");
        assert_eq!(GfpLayout::for_version(v(3, 10)).id(), "3.8");
        assert_eq!(GfpLayout::for_version(v(4, 3)).id(), "4.1");
        assert_eq!(
            GfpLayout::for_version(KernelVersion::new(2, 6, 32)).id(),
            "2.6.31"
        );
        assert_eq!(
            GfpLayout::for_version(KernelVersion::new(2, 6, 39)).range_label(),
            "2.6.38-3.7"
        );
        assert_eq!(GfpLayout::newest().id(), "6.15");
        assert_eq!(layout_for(None).id(), "6.15");
        let l = GfpLayout::for_version(v(4, 15));
        assert_eq!(l.coverage(v(4, 16)), Coverage::Verified);
        assert_eq!(l.range_label(), "4.15-4.17");
        assert_eq!(GfpLayout::for_version(v(4, 19)).range_label(), "4.18-5.0");
        assert_eq!(GfpLayout::newest().range_label(), "6.15+");
        assert_eq!(
            GfpLayout::for_version(v(5, 12)).coverage(v(5, 12)),
            Coverage::Unverified
        );
        assert_eq!(
            GfpLayout::for_version(v(3, 10)).coverage(v(3, 10)),
            Coverage::Verified
        );
        let v2612 = KernelVersion::new(2, 6, 12);
        assert_eq!(GfpLayout::for_version(v2612).id(), "2.6.18");
        assert_eq!(
            GfpLayout::for_version(v2612).coverage(v2612),
            Coverage::TooOld
        );
        // Gaps between checked releases are flagged.
        let v2632 = KernelVersion::new(2, 6, 32);
        assert_eq!(
            GfpLayout::for_version(v2632).coverage(v2632),
            Coverage::Unverified
        );
        assert_eq!(
            GfpLayout::for_version(v(3, 5)).coverage(v(3, 5)),
            Coverage::Unverified
        );
    }

    /// Pre-4.4 eras, from each era's own include/linux/gfp.h: GFP_KERNEL
    /// is 0xd0 (__GFP_WAIT|__GFP_IO|__GFP_FS) in every one, GFP_NOFS 0x50,
    /// GFP_NOIO 0x10, GFP_ATOMIC 0x20 (__GFP_HIGH alone) and GFP_NOWAIT 0.
    #[test]
    fn pre_4_4_eras_decode_and_reclaim() {
        let eras = [
            KernelVersion::new(2, 6, 18),
            KernelVersion::new(2, 6, 24),
            KernelVersion::new(2, 6, 32),
            KernelVersion::new(2, 6, 38),
            v(3, 0),
            v(3, 13),
            v(4, 2),
            v(4, 3),
        ];
        for version in eras {
            let l = GfpLayout::for_version(version);
            assert_eq!(l.value(GfpFlag::Wait), Some(0x10), "{version}");
            assert_eq!(l.value(GfpFlag::DirectReclaim), None, "{version}");
            assert_eq!(l.direct_reclaim_bit(), 0x10);
            assert_eq!(l.composite("GFP_KERNEL"), Some(0xd0), "{version}");
            assert_eq!(l.composite("GFP_NOFS"), Some(0x50), "{version}");
            assert_eq!(l.composite("GFP_NOIO"), Some(0x10), "{version}");
            assert_eq!(l.composite("GFP_ATOMIC"), Some(0x20), "{version}");
            assert_eq!(l.composite("GFP_NOWAIT"), Some(0), "{version}");

            let kernel = GfpMask::new(0xd0, version);
            assert_eq!(kernel.decode(), "GFP_KERNEL", "{version}");
            assert_eq!(
                kernel.flags(),
                vec![GfpFlag::Wait, GfpFlag::Io, GfpFlag::Fs]
            );
            assert!(kernel.may_direct_reclaim() && kernel.may_enter_fs() && kernel.may_do_io());
            assert!(kernel.may_kswapd_reclaim() && !kernel.is_nonblocking());

            let nofs = GfpMask::new(0x50, version);
            assert_eq!(nofs.decode(), "GFP_NOFS");
            assert!(nofs.may_direct_reclaim() && nofs.may_do_io() && !nofs.may_enter_fs());

            let noio = GfpMask::new(0x10, version);
            assert_eq!(noio.decode(), "__GFP_WAIT");
            assert!(noio.may_direct_reclaim() && !noio.may_do_io());

            let atomic = GfpMask::new(0x20, version);
            assert_eq!(atomic.decode(), "__GFP_HIGH");
            assert!(atomic.is_atomic() && !atomic.may_direct_reclaim());
            assert_eq!(atomic.reserves(), Reserves::High);

            // The same number on 4.4 is __GFP_RECLAIMABLE|__GFP_IO|__GFP_FS:
            // it cannot reclaim there.
            assert!(!GfpMask::new(0xd0, v(4, 4)).may_direct_reclaim());
        }
    }

    /// Bits that changed meaning inside the pre-4.4 span.
    #[test]
    fn pre_4_4_era_differences() {
        let v2618 = KernelVersion::new(2, 6, 18);
        let v2624 = KernelVersion::new(2, 6, 24);
        let v2632 = KernelVersion::new(2, 6, 32);
        let v2638 = KernelVersion::new(2, 6, 38);
        // 0x2000: __GFP_NO_GROW (slab) in 2.6.18, unused in 2.6.24-3.5,
        // __GFP_MEMALLOC from 3.6 (3.13 read).
        assert_eq!(decode(0xd0 | 0x2000, v2618), "GFP_KERNEL|__GFP_NO_GROW");
        assert_eq!(decode(0xd0 | 0x2000, v2624), "GFP_KERNEL|0x2000");
        assert_eq!(decode(0xd0 | 0x2000, v(3, 13)), "GFP_KERNEL|__GFP_MEMALLOC");
        // __GFP_MOVABLE: 0x100000 in 2.6.24, 0x08 later.
        assert_eq!(
            parse("GFP_HIGHUSER_MOVABLE", v2624).unwrap().bits(),
            0x1200d2
        );
        assert_eq!(
            parse("GFP_HIGHUSER_MOVABLE", v2632).unwrap().bits(),
            0x200da
        );
        // 0x100000: __GFP_KMEMCG (3.8-3.14), __GFP_NOACCOUNT (4.1-4.3).
        assert_eq!(decode(0xd0 | 0x100000, v(3, 13)), "GFP_KERNEL|__GFP_KMEMCG");
        assert_eq!(
            decode(0xd0 | 0x100000, v(4, 2)),
            "GFP_KERNEL|__GFP_NOACCOUNT"
        );
        // __GFP_NO_KSWAPD (2.6.38+) is the only way to keep kswapd asleep.
        let thp = parse("GFP_TRANSHUGE", v2638).unwrap();
        assert_eq!(thp.bits(), 0x4352da);
        assert!(thp.has(GfpFlag::NoKswapd) && !thp.may_kswapd_reclaim());
        assert!(thp.may_direct_reclaim());
        assert_eq!(parse("GFP_TRANSHUGE", v(4, 2)).unwrap().bits(), 0x4352da);
        assert!(parse("__GFP_NO_KSWAPD", v2632).is_err());
        // __GFP_DIRECT_RECLAIM does not exist before 4.4.
        assert!(matches!(
            parse("__GFP_DIRECT_RECLAIM", v(4, 3)),
            Err(GfpError::NotInLayout { .. })
        ));
        assert!(matches!(
            parse("__GFP_WAIT", v(4, 4)),
            Err(GfpError::NotInLayout { .. })
        ));
    }

    #[test]
    fn flag_names() {
        for f in GfpFlag::ALL {
            assert_eq!(GfpFlag::from_name(f.name()), Some(f));
            assert!(f.meaning().len() <= 42, "{}", f.name());
        }
        assert_eq!(GfpFlag::from_name("___GFP_FS"), Some(GfpFlag::Fs));
        assert_eq!(GfpFlag::from_name("FS"), Some(GfpFlag::Fs));
    }
}
