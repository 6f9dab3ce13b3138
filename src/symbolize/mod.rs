//! Symbolization: file:line and inline chains for a report's frames from
//! the kernel's own debug info (`--vmlinux`, `--modules`, `--debuginfo`).
//!
//! A stage between parsing and the walk: [`Symbolizer::symbolize`] takes a
//! parsed [`Report`] and fills each frame's `file`/`line`, inserting every
//! inlined callee as a frame of its own (`inline: true`) before the frame
//! it was inlined into, the way syzbot's symbolized reports print them, so
//! titles, the walk and signatures read both the same way.
//!
//! Resolution follows the kernel's tools:
//! * `func+0xoff/0xsize` is placed by the symbol table (KASLR does not
//!   matter): a stack frame at its call site (return address minus one),
//!   a `RIP:`/`pc :` line at its exact address;
//! * the printed `/0xsize` must be the size kallsyms would give that
//!   symbol in this image; when it is not, the image is not the kernel (or
//!   module) that printed the log: that is said once and none of its
//!   frames are touched from then on;
//! * a bare address (`[<ffffffff81234567>]` without a symbol, or a `?`
//!   frame with only an address) is placed with the load offset computed
//!   from the frames of the same report that print both an address and a
//!   symbol (KASLR for vmlinux, the load address for a module).
//!
//! Nothing here prints: what has to be said (a wrong vmlinux, a module not
//! found) is collected, each message once, for the caller to show
//! ([`Symbolizer::take_messages`]).

pub mod image;
mod units;

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use compact_str::CompactString;

use crate::model::{Frame, Report};
use crate::vocab::frame::base_name;
use image::{Image, ImageError, SourceFrame, Sym};

/// Where debug images come from (the `--vmlinux`, `--modules` and
/// `--debuginfo` options).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SymbolizeArgs {
    /// Kernel image with DWARF for file:line and inline frames (a build's
    /// `vmlinux`, a distro's `/usr/lib/debug/boot/vmlinux-<release>`).
    pub vmlinux: Option<PathBuf>,
    /// Directory searched recursively for `<module>.ko` / `<module>.ko.debug`
    /// with DWARF, for `[module]` frames.
    pub modules: Option<PathBuf>,
    /// Debug-info directory with a `.build-id/xx/yyyy.debug` tree: finds the
    /// vmlinux and modules by the build ids the log prints
    /// (CONFIG_STACKTRACE_BUILD_ID).
    pub debuginfo: Option<PathBuf>,
}

impl SymbolizeArgs {
    /// Whether any source of debug info was given.
    pub fn any(&self) -> bool {
        self.vmlinux.is_some() || self.modules.is_some() || self.debuginfo.is_some()
    }
}

/// Which image a frame belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Owner {
    Vmlinux,
    Module(String),
}

/// Per-image state across reports.
#[derive(Default)]
struct Seen {
    /// Modules by name: `None` once a lookup failed (said once).
    modules: HashMap<String, Option<Arc<Image>>>,
    /// Images by build id (from `--debuginfo`).
    by_build_id: HashMap<String, Option<Arc<Image>>>,
    /// Images found not to be what printed the log.
    wrong: BTreeSet<PathBuf>,
    /// Every message said, to say each once.
    said: BTreeSet<String>,
    /// Messages not yet taken.
    pending: Vec<String>,
    /// `--modules` listing: module name (`-` as `_`) to candidate files.
    index: Option<HashMap<String, Vec<PathBuf>>>,
}

/// Fills frames from debug info. Cheap to share across threads (`triage`).
pub struct Symbolizer {
    args: SymbolizeArgs,
    vmlinux: Option<Arc<Image>>,
    seen: Mutex<Seen>,
}

impl std::fmt::Debug for Symbolizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Symbolizer")
            .field("args", &self.args)
            .field("vmlinux", &self.vmlinux)
            .finish()
    }
}

/// How a frame is to be looked up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Site {
    /// A return address: look up the call instruction (address minus one).
    Return,
    /// The faulting PC itself (`RIP:`, `pc :`, `NIP`).
    Exact,
}

/// What one frame resolved to.
#[derive(Debug, Clone)]
struct Placed {
    /// Symbol start in the image.
    sym_addr: u64,
    /// The address looked up.
    probe: u64,
}

/// Why a frame was not placed.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Miss {
    /// No function symbol of that name.
    NoSymbol,
    /// Symbols of that name exist but none has the printed size.
    SizeMismatch { printed: u64, have: Vec<u64> },
    /// Several symbols fit and their source lines differ.
    Ambiguous,
    /// Nothing to look up (no offset, offset past the symbol).
    Unplaceable,
}

impl Symbolizer {
    /// Open the images named by `args`. The vmlinux is opened now (its
    /// errors are returned: the user asked for it by name); modules and
    /// build-id lookups happen when a frame needs them.
    pub fn new(args: &SymbolizeArgs) -> Result<Symbolizer, ImageError> {
        let vmlinux = match &args.vmlinux {
            Some(p) => Some(Arc::new(Image::open(p)?)),
            None => None,
        };
        if let Some(d) = &args.modules {
            if !d.is_dir() {
                return Err(ImageError::Io {
                    path: d.clone(),
                    error: "not a directory".to_string(),
                });
            }
        }
        if let Some(d) = &args.debuginfo {
            if !d.is_dir() {
                return Err(ImageError::Io {
                    path: d.clone(),
                    error: "not a directory".to_string(),
                });
            }
        }
        Ok(Symbolizer {
            args: args.clone(),
            vmlinux,
            seen: Mutex::new(Seen::default()),
        })
    }

    /// The vmlinux image opened with `--vmlinux`.
    pub fn vmlinux(&self) -> Option<&Image> {
        self.vmlinux.as_deref()
    }

    /// Messages for the user (each said once), oldest first.
    pub fn take_messages(&self) -> Vec<String> {
        std::mem::take(&mut self.lock().pending)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Seen> {
        self.seen.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn say(&self, msg: String) {
        let mut s = self.lock();
        if s.said.insert(msg.clone()) {
            s.pending.push(msg);
        }
    }

    fn is_wrong(&self, img: &Image) -> bool {
        self.lock().wrong.contains(&img.path)
    }

    /// The `.build-id/xx/yyyy.debug` file for `id`, opened once.
    fn by_build_id(&self, id: &str) -> Option<Arc<Image>> {
        let dir = self.args.debuginfo.as_ref()?;
        if let Some(hit) = self.lock().by_build_id.get(id) {
            return hit.clone();
        }
        let found = if id.len() > 2 {
            let p = dir
                .join(".build-id")
                .join(&id[..2])
                .join(format!("{}.debug", &id[2..]));
            if p.is_file() {
                match Image::open(&p) {
                    Ok(img) => {
                        if img.build_id.as_deref() == Some(id) {
                            Some(Arc::new(img))
                        } else {
                            self.say(format!(
                                "--debuginfo: {} has build id {}, not {id}: not used",
                                p.display(),
                                img.build_id.as_deref().unwrap_or("(none)")
                            ));
                            None
                        }
                    }
                    Err(e) => {
                        self.say(format!("--debuginfo: {e}"));
                        None
                    }
                }
            } else {
                None
            }
        } else {
            None
        };
        self.lock()
            .by_build_id
            .insert(id.to_string(), found.clone());
        found
    }

    /// The vmlinux for report `r`: by its build id when the log prints one
    /// and `--debuginfo` has it, else `--vmlinux` (checked against the
    /// printed build id).
    fn vmlinux_for(&self, r: &Report) -> Option<Arc<Image>> {
        if let Some(id) = r.build_id.as_deref() {
            if let Some(img) = self.by_build_id(id) {
                return Some(img);
            }
            if let Some(v) = &self.vmlinux {
                if let Some(have) = v.build_id.as_deref().filter(|h| *h != id) {
                    self.say(format!(
                        "--vmlinux {}: build id {have}, but the log's kernel has {id}: not the kernel that printed it; its frames are left as printed",
                        v.path.display()
                    ));
                    return None;
                }
            }
        }
        self.vmlinux.clone()
    }

    /// The image of module `name`, found once by build id or in `--modules`.
    fn module(&self, name: &str, build_id: Option<&str>) -> Option<Arc<Image>> {
        if let Some(img) = build_id.and_then(|id| self.by_build_id(id)) {
            return Some(img);
        }
        let key = name.replace('-', "_");
        if let Some(hit) = self.lock().modules.get(&key) {
            return hit.clone();
        }
        let found = self.find_module(&key, build_id);
        self.lock().modules.insert(key, found.clone());
        found
    }

    fn find_module(&self, key: &str, build_id: Option<&str>) -> Option<Arc<Image>> {
        let dir = self.args.modules.as_ref()?;
        let candidates = {
            let mut s = self.lock();
            let index = s.index.get_or_insert_with(|| index_modules(dir));
            index.get(key).cloned().unwrap_or_default()
        };
        if candidates.is_empty() {
            self.say(format!(
                "--modules {}: no {key}.ko or {key}.ko.debug in it: frames of [{key}] are left as printed",
                dir.display()
            ));
            return None;
        }
        let mut errors = Vec::new();
        for p in &candidates {
            match Image::open(p) {
                Ok(img) => {
                    if let (Some(want), Some(have)) = (build_id, img.build_id.as_deref()) {
                        if want != have {
                            errors.push(format!(
                                "{}: build id {have}, the log's [{key}] has {want}",
                                p.display()
                            ));
                            continue;
                        }
                    }
                    if let Some(v) = &self.vmlinux {
                        if v.arch != img.arch {
                            errors.push(format!(
                                "{}: a {:?} module, the vmlinux is {:?}",
                                p.display(),
                                img.arch,
                                v.arch
                            ));
                            continue;
                        }
                    }
                    return Some(Arc::new(img));
                }
                Err(e) => errors.push(e.to_string()),
            }
        }
        self.say(format!(
            "--modules: no usable image for [{key}]: {}; its frames are left as printed",
            errors.join("; ")
        ));
        None
    }

    fn image_for(
        &self,
        owner: &Owner,
        vmlinux: Option<&Arc<Image>>,
        build_id: Option<&str>,
    ) -> Option<Arc<Image>> {
        let img = match owner {
            Owner::Vmlinux => vmlinux.cloned(),
            Owner::Module(m) => self.module(m, build_id),
        }?;
        (!self.is_wrong(&img)).then_some(img)
    }

    /// Resolve `f` (printed symbol and offset) in `img`.
    fn place(
        &self,
        img: &Image,
        f: &Frame,
        site: Site,
        load: Option<i128>,
    ) -> Result<Placed, Miss> {
        let off = f.offset.ok_or(Miss::Unplaceable)?;
        if f.function.is_empty() {
            return Err(Miss::Unplaceable);
        }
        let all: Vec<&Sym> = img.named(&f.function).collect();
        if all.is_empty() {
            return Err(Miss::NoSymbol);
        }
        let fits = |s: &&Sym| match f.size {
            None => true,
            Some(z) => size_fits(img, s, z),
        };
        let fit: Vec<&Sym> = all.iter().copied().filter(fits).collect();
        if fit.is_empty() {
            let mut have: Vec<u64> = all.iter().map(|s| s.span).collect();
            have.sort_unstable();
            have.dedup();
            return Err(Miss::SizeMismatch {
                printed: f.size.unwrap_or(0),
                have,
            });
        }
        let probe_of = |s: &Sym| -> Option<u64> {
            let limit = f.size.unwrap_or(s.span).max(s.span);
            match site {
                Site::Exact => (off < limit.max(1)).then_some(s.addr + off),
                // Offset 0 is no return address (a `_THIS_IP_` or a
                // function pointer): looked up as it is.
                Site::Return if off == 0 => Some(s.addr),
                Site::Return => (off <= limit).then_some(s.addr + off - 1),
            }
        };
        let mut chosen: Vec<&Sym> = fit.clone();
        if chosen.len() > 1 {
            // The printed address, with the load offset, picks one.
            if let (Some(a), Some(l)) = (f.address, load) {
                let by_addr: Vec<&Sym> = fit
                    .iter()
                    .copied()
                    .filter(|s| i128::from(a) - l == i128::from(s.addr + off))
                    .collect();
                if !by_addr.is_empty() {
                    chosen = by_addr;
                }
            }
        }
        if chosen.len() > 1 {
            // Same name, same size: fine if they read the same.
            let first = probe_of(chosen[0]).map(|p| img.frames(p));
            let same = chosen[1..]
                .iter()
                .all(|s| probe_of(s).map(|p| img.frames(p)) == first);
            if !same {
                return Err(Miss::Ambiguous);
            }
        }
        let s = chosen[0];
        let probe = probe_of(s).ok_or(Miss::Unplaceable)?;
        Ok(Placed {
            sym_addr: s.addr,
            probe,
        })
    }

    /// Symbolize every frame of `r` that the images cover.
    pub fn symbolize(&self, r: &mut Report) {
        let vmlinux = self.vmlinux_for(r);
        // Pass 1: check the sizes of every frame against its image, and
        // learn the load offsets from frames printing an address.
        let mut images: HashMap<Owner, Option<Arc<Image>>> = HashMap::new();
        let mut offsets: HashMap<Owner, Vec<i128>> = HashMap::new();
        let mut mismatch: HashMap<Owner, (String, u64, Vec<u64>)> = HashMap::new();
        visit(r, &mut |f, site| {
            if f.file.is_some() || f.inline {
                return;
            }
            let owner = owner_of(f);
            let img = images
                .entry(owner.clone())
                .or_insert_with(|| self.image_for(&owner, vmlinux.as_ref(), f.build_id.as_deref()))
                .clone();
            let Some(img) = img else { return };
            match self.place(&img, f, site, None) {
                Ok(p) => {
                    if let (Some(a), Some(off)) = (f.address, f.offset) {
                        offsets
                            .entry(owner)
                            .or_default()
                            .push(i128::from(a) - i128::from(p.sym_addr + off));
                    }
                }
                Err(Miss::SizeMismatch { printed, have }) => {
                    mismatch
                        .entry(owner)
                        .or_insert_with(|| (f.function.to_string(), printed, have));
                }
                Err(_) => {}
            }
        });
        for (owner, (func, printed, have)) in &mismatch {
            let Some(Some(img)) = images.get(owner) else {
                continue;
            };
            let what = match owner {
                Owner::Vmlinux => "the kernel".to_string(),
                Owner::Module(m) => format!("module {m}"),
            };
            let have = have
                .iter()
                .map(|h| format!("{h:#x}"))
                .collect::<Vec<_>>()
                .join(", ");
            self.say(format!(
                "{}: not the build of {what} that printed the log: it prints {func}+.../{printed:#x}, this file's {func} is {have} long; none of its frames are symbolized",
                img.path.display()
            ));
            self.lock().wrong.insert(img.path.clone());
            images.insert(owner.clone(), None);
        }
        // One load offset per image: the one most frames agree on.
        let loads: HashMap<Owner, i128> = offsets
            .into_iter()
            .filter_map(|(o, v)| majority(&v).map(|m| (o, m)))
            .collect();
        // Pass 2: fill the frames.
        let ctx = Fill {
            sym: self,
            images: &images,
            loads: &loads,
        };
        rewrite(r, &ctx);
    }
}

/// Whether the printed size `z` is what kallsyms would print for `s`.
fn size_fits(img: &Image, s: &Sym, z: u64) -> bool {
    if z == s.span {
        return true;
    }
    if img.relocatable {
        // A module's kallsyms size runs to the next symbol of the loaded
        // module: past the section when the symbol is its last, and never
        // short of the function itself.
        return s.last_in_section && z >= s.size.max(s.span);
    }
    false
}

/// The value most entries share (ties: the smallest), when at least half
/// the entries agree.
fn majority(v: &[i128]) -> Option<i128> {
    let mut counts: HashMap<i128, usize> = HashMap::new();
    for x in v {
        *counts.entry(*x).or_default() += 1;
    }
    let (val, n) = counts
        .into_iter()
        .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0)))?;
    (n * 2 >= v.len()).then_some(val)
}

/// A frame the log printed as an address only (`[<...>] 0xffff...`,
/// `? 0xffff...`): kallsyms found no symbol for it.
fn is_bare(f: &Frame) -> bool {
    f.offset.is_none()
        && f.address.is_some()
        && (f.function.is_empty() || f.function.starts_with("0x"))
}

fn owner_of(f: &Frame) -> Owner {
    match &f.module {
        Some(m) => Owner::Module(m.replace('-', "_")),
        None => Owner::Vmlinux,
    }
}

/// Call `f` on every single frame of the report (lists and lone frames),
/// with how it is to be looked up.
fn visit(r: &mut Report, f: &mut dyn FnMut(&mut Frame, Site)) {
    for fr in &mut r.backtrace {
        f(fr, Site::Return);
    }
    for e in &mut r.chain {
        for fr in &mut e.stack {
            f(fr, Site::Return);
        }
    }
    for t in &mut r.traces {
        let site = trace_site(&t.name);
        for fr in &mut t.frames {
            f(fr, site);
        }
    }
    for_each_lock(r, &mut |l| {
        if let Some(at) = &mut l.at {
            f(at, Site::Return);
        }
    });
    if let Some(ev) = &mut r.irq_events {
        for e in &mut ev.events {
            if let Some(fr) = &mut e.frame {
                f(fr, Site::Return);
            }
        }
    }
    if let Some(fr) = r
        .atomic_sleep
        .as_mut()
        .and_then(|a| a.preemption_disabled_at.as_mut())
    {
        f(fr, Site::Return);
    }
}

fn trace_site(name: &str) -> Site {
    if name == "faulting pc" {
        Site::Exact
    } else {
        Site::Return
    }
}

fn for_each_lock(r: &mut Report, f: &mut dyn FnMut(&mut crate::model::Lock)) {
    for l in r
        .acquiring
        .iter_mut()
        .chain(r.holding.iter_mut())
        .chain(r.other_locks.iter_mut())
        .chain(r.held_locks.iter_mut())
    {
        f(l);
    }
    for e in &mut r.chain {
        f(&mut e.lock);
    }
    for h in &mut r.held_lock_lists {
        for l in &mut h.locks {
            f(l);
        }
    }
}

/// What pass 2 needs.
struct Fill<'a> {
    sym: &'a Symbolizer,
    images: &'a HashMap<Owner, Option<Arc<Image>>>,
    loads: &'a HashMap<Owner, i128>,
}

impl Fill<'_> {
    /// For a frame without a symbol but with an address: the image and
    /// symbol the address falls in, with the report's load offsets.
    fn place_bare(&self, f: &mut Frame, site: Site) -> Option<Owner> {
        let a = i128::from(f.address?);
        for (owner, load) in self.loads {
            let Some(Some(img)) = self.images.get(owner) else {
                continue;
            };
            let Ok(local) = u64::try_from(a - load) else {
                continue;
            };
            let Some((lo, hi)) = img.text_range() else {
                continue;
            };
            if local < lo || local >= hi {
                continue;
            }
            // A return address can be the first byte after its function.
            let at = match site {
                Site::Return => local.saturating_sub(1),
                Site::Exact => local,
            };
            let Some(s) = img.symbol_at(at) else {
                continue;
            };
            f.function = s.name.clone();
            f.base = CompactString::from(base_name(&s.name));
            f.offset = Some(local - s.addr);
            f.size = Some(s.span);
            if let Owner::Module(m) = owner {
                f.module = Some(m.clone());
            }
            return Some(owner.clone());
        }
        None
    }

    /// The chain for `f`, innermost first, or None to leave it as printed.
    fn chain(&self, f: &mut Frame, site: Site) -> Option<Vec<SourceFrame>> {
        if f.file.is_some() || f.inline {
            return None;
        }
        let owner = if is_bare(f) {
            self.place_bare(f, site)?
        } else {
            owner_of(f)
        };
        let img = self.images.get(&owner)?.as_ref()?;
        let placed = self
            .sym
            .place(img, f, site, self.loads.get(&owner).copied())
            .ok()?;
        let chain = img.frames(placed.probe).ok()?;
        // The debug info must put the address in the function the symbol
        // table names: code that no symbol covers (the body of a `__weak`
        // function another definition replaced) is counted by kallsyms to
        // the symbol before it, and its lines are another function's.
        let outer = chain.last()?;
        if let Some(name) = outer.function.as_deref() {
            if !img.names_at(placed.sym_addr, name) {
                return None;
            }
        }
        outer.file.is_some().then_some(chain)
    }

    /// Fill `f` with the outermost entry; the inlined callees as frames.
    fn apply(&self, f: &mut Frame, chain: &[SourceFrame]) -> Vec<Frame> {
        let Some((outer, inner)) = chain.split_last() else {
            return Vec::new();
        };
        f.file = outer.file.clone();
        f.line = outer.line;
        inner
            .iter()
            .map(|c| {
                let name = CompactString::from(c.function.as_deref().unwrap_or("??"));
                Frame {
                    base: CompactString::from(base_name(&name)),
                    function: name,
                    offset: None,
                    size: None,
                    module: f.module.clone(),
                    build_id: None,
                    file: c.file.clone(),
                    line: c.line,
                    inline: true,
                    reliable: f.reliable,
                    context: f.context,
                    address: None,
                    source_line: f.source_line,
                }
            })
            .collect()
    }

    fn list(&self, frames: &mut Vec<Frame>, site: Site) {
        let mut out = Vec::with_capacity(frames.len());
        for mut f in std::mem::take(frames) {
            if let Some(chain) = self.chain(&mut f, site) {
                let inl = self.apply(&mut f, &chain);
                out.extend(inl);
            }
            out.push(f);
        }
        *frames = out;
    }
}

fn rewrite(r: &mut Report, ctx: &Fill<'_>) {
    ctx.list(&mut r.backtrace, Site::Return);
    for e in &mut r.chain {
        ctx.list(&mut e.stack, Site::Return);
    }
    for t in &mut r.traces {
        let site = trace_site(&t.name);
        ctx.list(&mut t.frames, site);
    }
    for_each_lock(r, &mut |l| {
        if !l.at_inlined.is_empty() {
            return;
        }
        if let Some(at) = &mut l.at {
            if let Some(chain) = ctx.chain(at, Site::Return) {
                l.at_inlined = ctx.apply(at, &chain);
            }
        }
    });
    if let Some(ev) = &mut r.irq_events {
        for e in &mut ev.events {
            if let Some(fr) = &mut e.frame {
                if let Some(chain) = ctx.chain(fr, Site::Return) {
                    let _ = ctx.apply(fr, &chain);
                }
            }
        }
    }
    if let Some(fr) = r
        .atomic_sleep
        .as_mut()
        .and_then(|a| a.preemption_disabled_at.as_mut())
    {
        if let Some(chain) = ctx.chain(fr, Site::Return) {
            let _ = ctx.apply(fr, &chain);
        }
    }
}

/// Module files under `dir` by module name (`-` written `_`): `name.ko`
/// and `name.ko.debug`, nearest first.
fn index_modules(dir: &Path) -> HashMap<String, Vec<PathBuf>> {
    let mut out: HashMap<String, Vec<PathBuf>> = HashMap::new();
    let mut stack = vec![(dir.to_path_buf(), 0u32)];
    while let Some((d, depth)) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        let mut entries: Vec<_> = rd.flatten().collect();
        entries.sort_by_key(|e| e.file_name());
        for e in entries {
            let p = e.path();
            let Ok(ft) = e.file_type() else { continue };
            if ft.is_dir() {
                // Bounded: symlink loops and absurd trees end here.
                if depth < 16 {
                    stack.push((p, depth + 1));
                }
                continue;
            }
            let name = e.file_name().to_string_lossy().into_owned();
            let stem = name
                .strip_suffix(".ko.debug")
                .or_else(|| name.strip_suffix(".ko"));
            if let Some(stem) = stem {
                out.entry(stem.replace('-', "_")).or_default().push(p);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn majority_needs_half() {
        assert_eq!(majority(&[5, 5, 7]), Some(5));
        assert_eq!(majority(&[5, 7, 9]), None);
        assert_eq!(majority(&[]), None);
        assert_eq!(majority(&[3]), Some(3));
    }
}
