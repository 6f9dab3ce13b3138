//! The knowledge base: how kernel functions change the allocation context
//! (gfp mask, task flags, fs_reclaim) for the code they call, per kernel
//! version, kept as data.
//!
//! The entries live in `src/kernel/kb/*.toml` (schema and how to add a
//! function: `src/kernel/kb/README.md`), embedded in the binary; users add
//! or override entries with `--kb FILE`. Every entry names its source (the
//! kernel file and version it was read from) and carries examples that the
//! tests replay through the walk.

use std::collections::HashMap;
use std::fmt;
use std::sync::OnceLock;

use serde::Deserialize;

use super::version::KernelVersion;

/// What a function does to the `fs_reclaim` lockdep map.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FsReclaimOp {
    /// `fs_reclaim_acquire(gfp)`: taken only when the version's
    /// `__need_fs_reclaim(gfp)` says so.
    Acquire,
    /// `__fs_reclaim_acquire()`: taken unconditionally (kswapd).
    AcquireAlways,
    /// `fs_reclaim_release(gfp)`.
    Release,
}

/// Callees the compiler inlined between a frame and the next printed one.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InlinePath {
    /// The next printed frame this path leads to (`*` for any).
    pub to: String,
    /// The inlined functions in call order, outermost first.
    pub via: Vec<String>,
    /// Functions the innermost `via` step called and that returned before
    /// the next printed frame was called (4.14-4.17 `__perform_reclaim`
    /// calls `fs_reclaim_acquire()` after setting `PF_MEMALLOC`): their
    /// effects persist, but they are not on the stack, so the walk shows
    /// them as calls that returned, never as inlined frames.
    #[serde(default)]
    pub returned: Vec<String>,
}

/// Where a mask comes from when it is read from an object the trace does
/// not show (the walk then restarts from an unknown mask of that origin).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum GfpOrigin {
    /// The mask the caller passed in (the walk's starting point). As an
    /// entry's `gfp_origin` it marks a boundary: the function passes no
    /// mask to what it calls (a bio carries none), so the walk forgets
    /// what it knew and says "caller's gfp" again below it.
    Caller,
    /// `mapping_gfp_mask(mapping)`: per address space, set by the
    /// filesystem or block layer.
    Mapping,
    /// `vmf->gfp_mask` of a page fault (`__get_fault_gfp_mask()`).
    Fault,
}

impl GfpOrigin {
    /// How the walk names the unknown mask.
    pub fn label(self) -> &'static str {
        match self {
            GfpOrigin::Caller => "caller's gfp",
            GfpOrigin::Mapping => "mapping's gfp",
            GfpOrigin::Fault => "fault's gfp",
        }
    }

    /// The word an example's `before`/`after` uses for it.
    pub fn example_word(self) -> &'static str {
        match self {
            GfpOrigin::Caller => "caller",
            GfpOrigin::Mapping => "mapping",
            GfpOrigin::Fault => "fault",
        }
    }
}

/// A worked example, replayed by the tests.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Example {
    /// The release the example is replayed on (`4.15`); must be inside the
    /// entry's range.
    pub kernel: String,
    /// The mask the caller passes (a gfp expression; `caller` for an unknown
    /// mask).
    pub before: String,
    /// The mask the entry must pass on: an expression, or `mapping|BITS`
    /// (`fault|...`, `caller|...`) for an unknown mask of that origin with
    /// those bits known set.
    pub after: String,
    /// Task flags (`PF_MEMALLOC_NOFS`, ...) set when the function is entered.
    #[serde(default)]
    pub task_before: Vec<String>,
    /// Task flags the entry must leave set; checked when either task list is
    /// given.
    #[serde(default)]
    pub task_after: Vec<String>,
    /// Whether the entry must take `fs_reclaim` (checked when given).
    pub fs_reclaim: Option<bool>,
}

/// One function's effect on the allocation context.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FnEntry {
    /// Normalized base name as printed in traces.
    pub name: String,
    /// Other names the function is printed under (renames across versions,
    /// wrappers that share its effect).
    #[serde(default)]
    pub aliases: Vec<String>,
    /// First version the entry holds for (inclusive).
    pub since: Option<String>,
    /// Last version it holds for (inclusive).
    pub until: Option<String>,
    /// The gfp passed to callees regardless of the caller's.
    pub gfp_set: Option<String>,
    /// `gfp_set` is the mask reclaim runs with (kswapd's
    /// `scan_control.gfp_mask`), not one the function allocates with.
    #[serde(default)]
    pub gfp_for_reclaim: bool,
    /// Bits OR-ed into the gfp passed on.
    pub gfp_or: Option<String>,
    /// Bits cleared from the gfp passed on.
    pub gfp_clear: Option<String>,
    /// Prose: where the gfp comes from when not from the caller.
    pub gfp_from: Option<String>,
    /// The mask is read from an object the trace does not show (the
    /// mapping, the fault): the caller's mask no longer applies and the
    /// walk continues from an unknown mask named after its origin. Applied
    /// before `gfp_or`/`gfp_clear`; exclusive with `gfp_set`.
    pub gfp_origin: Option<GfpOrigin>,
    /// The gfp to assume when the walk does not know the caller's (a
    /// per-object default such as `sk->sk_allocation`); the walk says it
    /// assumed it.
    pub gfp_default: Option<String>,
    /// Task flags (`PF_MEMALLOC`, `PF_MEMALLOC_NOFS`, ...) the function sets
    /// for its callees.
    #[serde(default)]
    pub task_set: Vec<String>,
    /// Task flags it clears for its callees (a scope's `restore`).
    #[serde(default)]
    pub task_clear: Vec<String>,
    /// Enter the memalloc scope the caller's mask implies: NOFS when it
    /// lacks `__GFP_FS` but has `__GFP_IO`, NOIO when it lacks both (5.17+
    /// vmalloc around its page-table allocations).
    #[serde(default)]
    pub scope_from_gfp: bool,
    /// What the function does to the `fs_reclaim` lockdep map, if anything.
    pub fs_reclaim: Option<FsReclaimOp>,
    /// The function allocates, or checks its mask as an allocation would
    /// (`might_alloc`); shown in the entry's summary, not used by the walk.
    #[serde(default)]
    pub allocates: bool,
    /// The function enters direct reclaim: the walk notes it.
    #[serde(default)]
    pub direct_reclaim: bool,
    /// One sentence in the author's words: why the entry says what it says
    /// (`UNVERIFIED` marks what was not read in source).
    pub reason: Option<String>,
    /// Kernel file and version(s) the entry was read from.
    pub source: String,
    /// Callees inlined between this frame and the next printed one, per next
    /// frame.
    #[serde(default)]
    pub inline: Vec<InlinePath>,
    /// Worked examples, replayed through the walk by the tests.
    #[serde(default)]
    pub example: Vec<Example>,
    /// Which file the entry came from (filled in by the loader).
    #[serde(skip)]
    pub origin: String,
}

impl FnEntry {
    /// Does the entry hold for `v`? Unknown versions match every entry
    /// whose range is open at the top (the newest rules).
    pub fn holds_for(&self, v: Option<KernelVersion>) -> bool {
        let parse = |s: &Option<String>| s.as_deref().and_then(|s| s.parse::<KernelVersion>().ok());
        match v {
            Some(v) => {
                let v = v.without_patch();
                parse(&self.since).is_none_or(|s| v >= s)
                    && parse(&self.until).is_none_or(|u| v <= u)
            }
            None => self.until.is_none(),
        }
    }

    /// Does this entry change anything for its callees?
    pub fn has_effect(&self) -> bool {
        self.gfp_set.is_some()
            || self.gfp_origin.is_some()
            || self.gfp_default.is_some()
            || self.gfp_or.is_some()
            || self.gfp_clear.is_some()
            || !self.task_set.is_empty()
            || !self.task_clear.is_empty()
            || self.scope_from_gfp
            || self.fs_reclaim.is_some()
            || self.direct_reclaim
    }

    /// The versions the entry holds for, as the README's entry table
    /// writes them (`all`, `<=4.13`, `4.14-4.17`, `6.1+`).
    pub fn version_range(&self) -> String {
        match (&self.since, &self.until) {
            (None, None) => "all".to_string(),
            (None, Some(u)) => format!("<={u}"),
            (Some(s), None) => format!("{s}+"),
            (Some(s), Some(u)) => format!("{s}-{u}"),
        }
    }

    /// A one-line summary of the entry's effects (the README's entry
    /// table is generated from it and checked by a test).
    pub fn effect_summary(&self) -> String {
        let mut parts: Vec<String> = Vec::new();
        if let Some(g) = &self.gfp_set {
            parts.push(format!("gfp = {g}"));
        }
        match self.gfp_origin {
            Some(GfpOrigin::Caller) => parts.push("passes no gfp on".to_string()),
            Some(o) => parts.push(format!("gfp = the {}", o.label())),
            None => {}
        }
        if let Some(g) = &self.gfp_default {
            parts.push(format!("assume {g} if unknown"));
        }
        if let Some(g) = &self.gfp_or {
            parts.push(format!("+ {g}"));
        }
        if let Some(g) = &self.gfp_clear {
            parts.push(format!("- {g}"));
        }
        match self.fs_reclaim {
            Some(FsReclaimOp::Acquire) => parts.push("fs_reclaim acquire".to_string()),
            Some(FsReclaimOp::AcquireAlways) => {
                parts.push("fs_reclaim acquire (unconditional)".to_string())
            }
            Some(FsReclaimOp::Release) => parts.push("fs_reclaim release".to_string()),
            None => {}
        }
        parts.extend(self.task_set.iter().map(|f| format!("sets {f}")));
        parts.extend(self.task_clear.iter().map(|f| format!("clears {f}")));
        if self.scope_from_gfp {
            parts.push("NOFS/NOIO scope from the mask".to_string());
        }
        if self.allocates {
            parts.push("allocation check".to_string());
        }
        if self.direct_reclaim {
            parts.push("direct reclaim".to_string());
        }
        for p in &self.inline {
            let mut s = format!("inline to {} via [{}]", p.to, p.via.join(", "));
            if !p.returned.is_empty() {
                s.push_str(&format!(", then calls [{}]", p.returned.join(", ")));
            }
            parts.push(s);
        }
        if parts.is_empty() {
            parts.push("passes the mask on".to_string());
        }
        let mut out = parts.join("; ");
        let unverified = |t: &str| t.contains("UNVERIFIED");
        if unverified(&self.source) || self.reason.as_deref().is_some_and(unverified) {
            out.push_str(" (partly UNVERIFIED)");
        }
        out
    }

    /// The path (inlined callees, then calls that returned) between this
    /// frame and the next printed `next`.
    pub fn inline_to(&self, next: &str) -> Option<&InlinePath> {
        self.inline
            .iter()
            .find(|p| p.to == next)
            .or_else(|| self.inline.iter().find(|p| p.to == "*"))
    }
}

/// A problem loading a knowledge-base file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KbError {
    /// The file the problem is in (`builtin:NAME.toml`, or the `--kb` path).
    pub origin: String,
    /// What is wrong (the TOML error, or the entry and rule it breaks).
    pub message: String,
}

impl fmt::Display for KbError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.origin, self.message)
    }
}

impl std::error::Error for KbError {}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct KbFile {
    #[serde(rename = "fn", default)]
    fns: Vec<FnEntry>,
}

/// All entries, indexed by name and alias.
#[derive(Debug, Clone, Default)]
pub struct KnowledgeBase {
    entries: Vec<FnEntry>,
    by_name: HashMap<String, Vec<usize>>,
    /// Changes whenever entries are added (0: never, the empty base), so
    /// that the walk's memo ([`crate::walk`]) tells contents apart: two
    /// bases with the same generation hold the same entries (a clone).
    generation: u64,
}

/// The embedded files.
const BUILTIN: &[(&str, &str)] = &[
    ("block.toml", include_str!("kb/block.toml")),
    ("btrfs.toml", include_str!("kb/btrfs.toml")),
    ("ext4_jbd2.toml", include_str!("kb/ext4_jbd2.toml")),
    ("mempool.toml", include_str!("kb/mempool.toml")),
    ("misc.toml", include_str!("kb/misc.toml")),
    ("net.toml", include_str!("kb/net.toml")),
    ("page_alloc.toml", include_str!("kb/page_alloc.toml")),
    ("pagecache.toml", include_str!("kb/pagecache.toml")),
    ("radix_xarray.toml", include_str!("kb/radix_xarray.toml")),
    ("reclaim.toml", include_str!("kb/reclaim.toml")),
    ("slab.toml", include_str!("kb/slab.toml")),
    ("vmalloc.toml", include_str!("kb/vmalloc.toml")),
    ("xfs.toml", include_str!("kb/xfs.toml")),
];

impl KnowledgeBase {
    /// The embedded knowledge base. Its files are checked by the tests, so
    /// a load failure here is a build defect.
    pub fn builtin() -> &'static KnowledgeBase {
        static KB: OnceLock<KnowledgeBase> = OnceLock::new();
        KB.get_or_init(|| {
            let mut kb = KnowledgeBase::default();
            for (name, text) in BUILTIN {
                kb.add_toml(text, &format!("builtin:{name}"))
                    .expect("embedded knowledge base parses");
            }
            kb
        })
    }

    /// Parse and add a file's entries. Entries added later take precedence
    /// over earlier ones with the same name and version range.
    pub fn add_toml(&mut self, text: &str, origin: &str) -> Result<usize, KbError> {
        let file: KbFile = toml::from_str(text).map_err(|e| KbError {
            origin: origin.to_string(),
            message: e.to_string(),
        })?;
        let n = file.fns.len();
        // Before any entry is added, so that even a file refused halfway
        // leaves a base the memo does not confuse with the one before.
        static GENERATIONS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        self.generation = 1 + GENERATIONS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        for mut e in file.fns {
            for v in [&e.since, &e.until].into_iter().flatten() {
                if v.parse::<KernelVersion>().is_err() {
                    return Err(KbError {
                        origin: origin.to_string(),
                        message: format!("{}: bad version {v:?}", e.name),
                    });
                }
            }
            if e.gfp_origin.is_some() && e.gfp_set.is_some() {
                return Err(KbError {
                    origin: origin.to_string(),
                    message: format!("{}: gfp_origin and gfp_set exclude each other", e.name),
                });
            }
            if e.source.trim().is_empty() {
                return Err(KbError {
                    origin: origin.to_string(),
                    message: format!("{}: every entry needs a source", e.name),
                });
            }
            e.origin = origin.to_string();
            let idx = self.entries.len();
            for key in std::iter::once(&e.name).chain(e.aliases.iter()) {
                self.by_name.entry(key.clone()).or_default().push(idx);
            }
            self.entries.push(e);
        }
        Ok(n)
    }

    /// The entry for `name` that holds for `version`; the most recently
    /// added wins (user files override the builtin ones).
    pub fn lookup(&self, name: &str, version: Option<KernelVersion>) -> Option<&FnEntry> {
        self.by_name
            .get(name)?
            .iter()
            .rev()
            .map(|&i| &self.entries[i])
            .find(|e| e.holds_for(version))
    }

    /// Does any entry, for any version, name `name`? A helper the
    /// knowledge base knows only for other releases did not exist (or
    /// was not called) in this one.
    pub fn knows(&self, name: &str) -> bool {
        self.by_name.contains_key(name)
    }

    /// Which contents this base holds: equal generations, equal entries
    /// (see the field).
    pub(crate) fn generation(&self) -> u64 {
        self.generation
    }

    /// Every entry, in load order.
    pub fn entries(&self) -> &[FnEntry] {
        &self.entries
    }

    /// Number of distinct function names covered.
    pub fn function_count(&self) -> usize {
        self.entries
            .iter()
            .map(|e| e.name.as_str())
            .collect::<std::collections::HashSet<_>>()
            .len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The README's entry table, as generated from the builtin entries.
    fn entry_table(kb: &KnowledgeBase) -> String {
        let cell = |s: &str| s.replace('|', "&#124;");
        let mut t =
            String::from("| file | function (aliases) | versions | effect |\n|---|---|---|---|\n");
        for e in kb.entries() {
            let name = if e.aliases.is_empty() {
                e.name.clone()
            } else {
                format!("{} ({})", e.name, e.aliases.join(", "))
            };
            let origin = e.origin.trim_start_matches("builtin:");
            t.push_str(&format!(
                "| {origin} | {} | {} | {} |\n",
                cell(&name),
                e.version_range(),
                cell(&e.effect_summary())
            ));
        }
        t
    }

    /// `src/kernel/kb/README.md` lists every entry: the table must be the
    /// generated one. `SPLATDEC_UPDATE_KB_README=1 cargo test --lib kb::`
    /// rewrites it.
    #[test]
    fn readme_entry_table_is_current() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/src/kernel/kb/README.md");
        let readme = std::fs::read_to_string(path).expect("kb README");
        let marker = "## Entries\n\n";
        let at = readme.find(marker).expect("an `## Entries` section") + marker.len();
        let want = entry_table(KnowledgeBase::builtin());
        let have = &readme[at..];
        if have != want {
            if std::env::var_os("SPLATDEC_UPDATE_KB_README").is_some() {
                std::fs::write(path, format!("{}{want}", &readme[..at])).expect("write README");
            } else {
                panic!("src/kernel/kb/README.md's entry table is stale: run SPLATDEC_UPDATE_KB_README=1 cargo test --lib kb::");
            }
        }
    }

    /// Every `*.toml` of `src/kernel/kb/` is embedded, and the README's
    /// file table (`| file | covers |`) has one row per embedded file: a
    /// file added to the directory but not to [`BUILTIN`] would be ignored
    /// silently, and one missing from the table would be undocumented.
    #[test]
    fn readme_file_table_lists_every_embedded_file() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/src/kernel/kb");
        let mut on_disk: Vec<String> = std::fs::read_dir(dir)
            .expect("kb directory")
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter(|n| n.ends_with(".toml"))
            .collect();
        on_disk.sort();
        let mut embedded: Vec<String> = BUILTIN.iter().map(|(n, _)| n.to_string()).collect();
        embedded.sort();
        assert_eq!(on_disk, embedded, "src/kernel/kb/*.toml against BUILTIN");
        let readme = std::fs::read_to_string(format!("{dir}/README.md")).expect("kb README");
        let table = readme
            .split("| file | covers |\n|---|---|\n")
            .nth(1)
            .expect("a `| file | covers |` table");
        let mut rows: Vec<String> = table
            .lines()
            .take_while(|l| l.starts_with("| `"))
            .filter_map(|l| Some(l.strip_prefix("| `")?.split_once('`')?.0.to_string()))
            .collect();
        rows.sort();
        assert_eq!(rows, embedded, "README file table against BUILTIN");
    }

    #[test]
    fn builtin_loads_and_is_large_enough() {
        let kb = KnowledgeBase::builtin();
        assert!(
            kb.function_count() >= 60,
            "{} functions",
            kb.function_count()
        );
        for e in kb.entries() {
            assert!(!e.source.is_empty(), "{} has no source", e.name);
            assert!(!e.example.is_empty(), "{} has no example", e.name);
        }
    }

    #[test]
    fn version_ranges_select_entries() {
        let mut kb = KnowledgeBase::default();
        kb.add_toml(
            r#"
[[fn]]
name = "f"
until = "4.15"
gfp_or = "__GFP_NOWARN"
source = "test"
[[fn]]
name = "f"
since = "4.16"
source = "test"
"#,
            "test",
        )
        .unwrap();
        let v = |s: &str| s.parse::<KernelVersion>().ok();
        assert!(kb.lookup("f", v("4.15")).unwrap().gfp_or.is_some());
        assert!(kb.lookup("f", v("4.16")).unwrap().gfp_or.is_none());
        assert!(kb.lookup("f", None).unwrap().gfp_or.is_none());
        assert!(kb.lookup("g", None).is_none());
    }

    #[test]
    fn user_entries_override_and_errors_name_the_file() {
        let mut kb = KnowledgeBase::default();
        kb.add_toml("[[fn]]\nname = \"f\"\nsource = \"a\"\n", "a.toml")
            .unwrap();
        kb.add_toml(
            "[[fn]]\nname = \"f\"\nsource = \"b\"\ngfp_set = \"GFP_NOFS\"\n",
            "b.toml",
        )
        .unwrap();
        assert_eq!(kb.lookup("f", None).unwrap().origin, "b.toml");
        let err = kb
            .add_toml("[[fn]]\nname = \"f\"\n", "bad.toml")
            .unwrap_err();
        assert!(err.to_string().starts_with("bad.toml:"), "{err}");
        let err = kb
            .add_toml(
                "[[fn]]\nname = \"f\"\nsource = \"x\"\nsince = \"soon\"\n",
                "v.toml",
            )
            .unwrap_err();
        assert!(err.message.contains("bad version"), "{err}");
        assert!(kb
            .add_toml(
                "[[fn]]\nname = \"f\"\nsource = \"x\"\nbogus = 1\n",
                "u.toml"
            )
            .is_err());
    }
}
