//! One ELF image with its symbol table and DWARF: a vmlinux (mapped, never
//! read whole) or a module (`.ko`, relocatable: its debug sections are
//! relocated against a layout of our own, see [`Image::open`]).
//!
//! DWARF lookups go through `addr2line::Context`, built per compilation
//! unit (see `symbolize::units`): a unit is parsed, header and all, only when
//! an address in it is first asked for, so symbolizing a 200-frame log of
//! a distro vmlinux touches the units its frames fall in and no others.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use compact_str::CompactString;

use super::units::{Reader, Units};
use object::{
    Object, ObjectKind, ObjectSection, ObjectSymbol, RelocationKind, RelocationTarget,
    SectionFlags, SectionIndex, SymbolKind,
};

/// Why an image cannot be used. Every message names the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImageError {
    /// The file could not be opened, read or mapped.
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        error: String,
    },
    /// The file is not an ELF object.
    NotElf {
        /// The file.
        path: PathBuf,
        /// What the object parser said (or the format it found instead).
        error: String,
    },
    /// No `.symtab`: `func+off` frames cannot be placed.
    Stripped {
        /// The file.
        path: PathBuf,
    },
    /// No `.debug_info`/`.debug_line`: no file:line to give.
    NoDwarf {
        /// The file.
        path: PathBuf,
    },
    /// An architecture we cannot read, or not the vmlinux's.
    ForeignArch {
        /// The file.
        path: PathBuf,
        /// The architecture found, or how it differs from the vmlinux's.
        what: String,
    },
    /// The DWARF is there but unreadable.
    BadDwarf {
        /// The file.
        path: PathBuf,
        /// What the DWARF reader said.
        error: String,
    },
}

impl fmt::Display for ImageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ImageError::Io { path, error } => write!(f, "{}: {error}", path.display()),
            ImageError::NotElf { path, error } => {
                write!(f, "{}: not an ELF file ({error})", path.display())
            }
            ImageError::Stripped { path } => write!(
                f,
                "{}: stripped (no symbol table): frames cannot be placed in it",
                path.display()
            ),
            ImageError::NoDwarf { path } => write!(
                f,
                "{}: no DWARF debug info (.debug_info/.debug_line): build with CONFIG_DEBUG_INFO, or use the distro's -dbg image",
                path.display()
            ),
            ImageError::ForeignArch { path, what } => write!(f, "{}: {what}", path.display()),
            ImageError::BadDwarf { path, error } => {
                write!(f, "{}: unreadable DWARF: {error}", path.display())
            }
        }
    }
}

impl std::error::Error for ImageError {}

/// The file's bytes: mapped for a vmlinux, read for the (small) modules
/// whose debug sections need relocating anyway.
enum Bytes {
    Mapped(memmap2::Mmap),
    Owned(Vec<u8>),
}

impl std::ops::Deref for Bytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            Bytes::Mapped(m) => m,
            Bytes::Owned(v) => v,
        }
    }
}

/// Map `file` read-only.
///
/// This is the library's one `unsafe` operation. A mapping is only unsound
/// if the file changes underneath it (a truncation raises SIGBUS, a rewrite
/// changes bytes already parsed); debug images are build outputs nobody
/// rewrites in place while a decoder reads them, which is the same premise
/// addr2line, gdb and perf map them under. No fuzz target reaches this.
#[allow(unsafe_code)]
fn map(file: &File) -> io::Result<memmap2::Mmap> {
    // SAFETY: read-only private mapping; see the function comment for the
    // premise that the file is not modified while mapped.
    unsafe { memmap2::Mmap::map(file) }
}

/// The bytes and, for the sections that had to be rewritten (decompressed,
/// relocated), their new contents by section name.
struct Owner {
    bytes: Bytes,
    rewritten: HashMap<String, Vec<u8>>,
}

self_cell::self_cell!(
    struct Dwarf {
        owner: Owner,
        #[not_covariant]
        dependent: Units,
    }
);

/// A function symbol of the image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sym {
    /// The symbol's name as in the symbol table.
    pub name: CompactString,
    /// Address in the image (for a module: in our layout of its sections).
    pub addr: u64,
    /// `st_size` (0 for assembly labels).
    pub size: u64,
    /// The distance to the next symbol, or to the end of the section: the
    /// size kallsyms prints for it (it knows no `st_size`).
    pub span: u64,
    /// True when no later symbol shares the section, so kallsyms' size may
    /// run past the section's end (module sections are laid out
    /// back-to-back in memory).
    pub last_in_section: bool,
}

/// One function of a location's inline chain, innermost first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceFrame {
    /// The function's name as DWARF gives it, when it does.
    pub function: Option<String>,
    /// Relative to the source tree when the unit's build directory is a
    /// prefix of it.
    pub file: Option<String>,
    /// The source line, when known.
    pub line: Option<u32>,
}

/// An opened image.
pub struct Image {
    /// The file the image was opened from.
    pub path: PathBuf,
    /// The ELF's GNU build id in lower-case hex, when it has one (compared
    /// with the build id a report prints).
    pub build_id: Option<String>,
    /// A relocatable module rather than a linked kernel.
    pub relocatable: bool,
    /// The ELF's architecture.
    pub arch: object::Architecture,
    /// Function symbols by address.
    syms: Vec<Sym>,
    by_name: HashMap<CompactString, Vec<u32>>,
    /// `addr2line::Context` caches parsed units in cells that are not
    /// `Sync`; lookups are short, so one lock per image.
    dwarf: Mutex<Dwarf>,
}

impl fmt::Debug for Image {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Image")
            .field("path", &self.path)
            .field("build_id", &self.build_id)
            .field("symbols", &self.syms.len())
            .finish()
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn is_alloc(flags: SectionFlags) -> bool {
    matches!(flags, SectionFlags::Elf { sh_flags, .. } if sh_flags.contains(object::elf::SHF_ALLOC))
}

fn is_exec(flags: SectionFlags) -> bool {
    matches!(flags, SectionFlags::Elf { sh_flags, .. } if sh_flags.contains(object::elf::SHF_EXECINSTR))
}

/// Symbols kallsyms leaves out or that name no function start.
fn skip_symbol(name: &str) -> bool {
    name.is_empty()
        || name.starts_with(".L")
        || name.starts_with("$")
        || name.starts_with("__crc_")
        || name.starts_with("__kstrtab")
}

/// Where each allocated section of a relocatable module goes in our
/// layout: back to back from 64 KiB, each at its alignment, so that every
/// function has an address of its own (all are 0-based in the file) and
/// none is 0 (which DWARF readers take for "no address").
fn module_layout(file: &object::File<'_>) -> HashMap<SectionIndex, u64> {
    let mut base = HashMap::new();
    let mut at: u64 = 0x10000;
    for s in file.sections() {
        if !is_alloc(s.flags()) {
            continue;
        }
        let align = s.align().max(1);
        at = at.div_ceil(align) * align;
        base.insert(s.index(), at);
        at += s.size().max(1);
    }
    base
}

/// The section's contents, decompressed when the ELF compressed it.
fn section_bytes<'d>(s: &object::Section<'d, '_>) -> Result<Cow<'d, [u8]>, String> {
    let c = s.compressed_data().map_err(|e| e.to_string())?;
    match c.format {
        object::CompressionFormat::None => Ok(Cow::Borrowed(c.data)),
        object::CompressionFormat::Zlib => {
            let mut out = Vec::with_capacity(c.uncompressed_size.min(1 << 30) as usize);
            flate2::read::ZlibDecoder::new(c.data)
                .read_to_end(&mut out)
                .map_err(|e| e.to_string())?;
            Ok(Cow::Owned(out))
        }
        object::CompressionFormat::Zstandard => {
            let mut out = Vec::with_capacity(c.uncompressed_size.min(1 << 30) as usize);
            let mut d = ruzstd::StreamingDecoder::new(c.data).map_err(|e| e.to_string())?;
            d.read_to_end(&mut out).map_err(|e| e.to_string())?;
            Ok(Cow::Owned(out))
        }
        _ => Err("unknown section compression".to_string()),
    }
}

/// Apply a module's absolute relocations to one debug section, in place.
fn relocate(
    file: &object::File<'_>,
    s: &object::Section<'_, '_>,
    data: &mut [u8],
    layout: &HashMap<SectionIndex, u64>,
) {
    let little = file.is_little_endian();
    for (offset, r) in s.relocations() {
        if r.kind() != RelocationKind::Absolute {
            continue;
        }
        let target = match r.target() {
            RelocationTarget::Symbol(i) => match file.symbol_by_index(i) {
                Ok(sym) => {
                    let base = sym
                        .section_index()
                        .and_then(|i| layout.get(&i).copied())
                        .unwrap_or(0);
                    base.wrapping_add(sym.address())
                }
                Err(_) => continue,
            },
            RelocationTarget::Section(i) => layout.get(&i).copied().unwrap_or(0),
            _ => 0,
        };
        let Ok(at) = usize::try_from(offset) else {
            continue;
        };
        let width = usize::from(r.size() / 8);
        let Some(slot) = data.get_mut(at..at.saturating_add(width)) else {
            continue;
        };
        let old = match (width, little) {
            (8, true) => u64::from_le_bytes(slot.try_into().unwrap_or([0; 8])),
            (8, false) => u64::from_be_bytes(slot.try_into().unwrap_or([0; 8])),
            (4, true) => u64::from(u32::from_le_bytes(slot.try_into().unwrap_or([0; 4]))),
            (4, false) => u64::from(u32::from_be_bytes(slot.try_into().unwrap_or([0; 4]))),
            _ => continue,
        };
        let mut v = target.wrapping_add(r.addend() as u64);
        if r.has_implicit_addend() {
            v = v.wrapping_add(old);
        }
        match (width, little) {
            (8, true) => slot.copy_from_slice(&v.to_le_bytes()),
            (8, false) => slot.copy_from_slice(&v.to_be_bytes()),
            (4, true) => slot.copy_from_slice(&(v as u32).to_le_bytes()),
            _ => slot.copy_from_slice(&(v as u32).to_be_bytes()),
        }
    }
}

const DEBUG_SECTIONS: [&str; 12] = [
    ".debug_abbrev",
    ".debug_addr",
    ".debug_aranges",
    ".debug_info",
    ".debug_line",
    ".debug_line_str",
    ".debug_loclists",
    ".debug_ranges",
    ".debug_rnglists",
    ".debug_str",
    ".debug_str_offsets",
    ".debug_types",
];

impl Image {
    /// Open `path`: an ELF with a symbol table and DWARF.
    pub fn open(path: &Path) -> Result<Image, ImageError> {
        let io_err = |e: io::Error| ImageError::Io {
            path: path.to_path_buf(),
            error: e.to_string(),
        };
        let f = File::open(path).map_err(io_err)?;
        let mapped = map(&f).map_err(io_err)?;
        // Relocatable objects are read (their debug sections are copied
        // and rewritten anyway); linked images stay mapped.
        let relocatable = matches!(
            object::File::parse(&*mapped).map(|o| o.kind()),
            Ok(ObjectKind::Relocatable)
        );
        let bytes = if relocatable {
            Bytes::Owned(mapped.to_vec())
        } else {
            Bytes::Mapped(mapped)
        };
        Self::from_bytes(path, bytes)
    }

    fn from_bytes(path: &Path, bytes: Bytes) -> Result<Image, ImageError> {
        let p = || path.to_path_buf();
        let file = object::File::parse(&*bytes).map_err(|e| ImageError::NotElf {
            path: p(),
            error: e.to_string(),
        })?;
        if file.format() != object::BinaryFormat::Elf {
            return Err(ImageError::NotElf {
                path: p(),
                error: format!("{:?}", file.format()),
            });
        }
        let arch = file.architecture();
        if arch == object::Architecture::Unknown {
            return Err(ImageError::ForeignArch {
                path: p(),
                what: "an ELF machine type this reader does not know".to_string(),
            });
        }
        let relocatable = file.kind() == ObjectKind::Relocatable;
        let layout = if relocatable {
            module_layout(&file)
        } else {
            HashMap::new()
        };
        let base_of = |i: Option<SectionIndex>| -> u64 {
            if relocatable {
                i.and_then(|i| layout.get(&i).copied()).unwrap_or(0)
            } else {
                0
            }
        };
        // Function symbols, with kallsyms' idea of their size.
        let mut syms: Vec<(Sym, SectionIndex)> = Vec::new();
        let mut any_symbol = false;
        for s in file.symbols() {
            any_symbol = true;
            if !s.is_definition() && s.kind() != SymbolKind::Unknown {
                continue;
            }
            if !matches!(
                s.kind(),
                SymbolKind::Text | SymbolKind::Unknown | SymbolKind::Label
            ) {
                continue;
            }
            let Some(sec) = s.section_index() else {
                continue;
            };
            let Ok(section) = file.section_by_index(sec) else {
                continue;
            };
            if !is_exec(section.flags()) {
                continue;
            }
            let Ok(name) = s.name() else { continue };
            if skip_symbol(name) {
                continue;
            }
            syms.push((
                Sym {
                    name: CompactString::from(name),
                    addr: base_of(Some(sec)) + s.address(),
                    size: s.size(),
                    span: 0,
                    last_in_section: false,
                },
                sec,
            ));
        }
        if !any_symbol {
            return Err(ImageError::Stripped { path: p() });
        }
        syms.sort_by(|a, b| {
            a.0.addr
                .cmp(&b.0.addr)
                .then_with(|| a.0.name.cmp(&b.0.name))
        });
        // Span: to the next higher address in the same section, else to the
        // section's end.
        let n = syms.len();
        for i in 0..n {
            let (addr, sec) = (syms[i].0.addr, syms[i].1);
            let next = syms[i + 1..]
                .iter()
                .find(|(s, _)| s.addr > addr)
                .filter(|(_, s2)| *s2 == sec)
                .map(|(s, _)| s.addr);
            let (span, last) = match next {
                Some(nx) => (nx - addr, false),
                None => {
                    let end = file
                        .section_by_index(sec)
                        .map(|s| base_of(Some(sec)) + s.address() + s.size())
                        .unwrap_or(addr);
                    (end.saturating_sub(addr), true)
                }
            };
            syms[i].0.span = span;
            syms[i].0.last_in_section = last;
        }
        let syms: Vec<Sym> = syms.into_iter().map(|(s, _)| s).collect();
        let mut by_name: HashMap<CompactString, Vec<u32>> = HashMap::with_capacity(n);
        for (i, s) in syms.iter().enumerate() {
            by_name.entry(s.name.clone()).or_default().push(i as u32);
        }
        let has = |name: &str| file.section_by_name(name).is_some_and(|s| s.size() > 0);
        if !has(".debug_info") || !has(".debug_line") {
            return Err(ImageError::NoDwarf { path: p() });
        }
        let build_id = file.build_id().ok().flatten().map(hex);
        // Sections to rewrite: compressed ones, and a module's relocated ones.
        let mut rewritten = HashMap::new();
        for name in DEBUG_SECTIONS {
            let Some(s) = file.section_by_name(name) else {
                continue;
            };
            let data = section_bytes(&s).map_err(|e| ImageError::BadDwarf {
                path: p(),
                error: format!("{name}: {e}"),
            })?;
            let needs_reloc = relocatable && s.relocations().next().is_some();
            if !needs_reloc {
                if let Cow::Owned(v) = data {
                    rewritten.insert(name.to_string(), v);
                }
                continue;
            }
            let mut v = data.into_owned();
            relocate(&file, &s, &mut v, &layout);
            rewritten.insert(name.to_string(), v);
        }
        let little = file.is_little_endian();
        drop(file);
        let owner = Owner { bytes, rewritten };
        let dwarf = Dwarf::try_new(owner, |o: &Owner| -> Result<Units<'_>, String> {
            let file = object::File::parse(&*o.bytes).map_err(|e| e.to_string())?;
            let endian = if little {
                gimli::RunTimeEndian::Little
            } else {
                gimli::RunTimeEndian::Big
            };
            // Every section a DWARF reader asks for, as gimli names them.
            let mut sections: HashMap<&'static str, &[u8]> = HashMap::new();
            let record = |id: gimli::SectionId| -> Result<Reader<'_>, gimli::Error> {
                let name = id.name();
                let data = match o.rewritten.get(name) {
                    Some(v) => v.as_slice(),
                    None => file
                        .section_by_name(name)
                        .and_then(|s| s.data().ok())
                        .unwrap_or(&[]),
                };
                sections.insert(name, data);
                Ok(gimli::EndianSlice::new(data, endian))
            };
            gimli::Dwarf::load(record).map_err(|e| e.to_string())?;
            Units::new(sections, endian)
        })
        .map_err(|e| ImageError::BadDwarf {
            path: p(),
            error: e,
        })?;
        Ok(Image {
            path: path.to_path_buf(),
            build_id,
            relocatable,
            arch,
            syms,
            by_name,
            dwarf: Mutex::new(dwarf),
        })
    }

    /// The function symbols called `name`.
    pub fn named(&self, name: &str) -> impl Iterator<Item = &Sym> {
        self.by_name
            .get(name)
            .into_iter()
            .flatten()
            .map(|&i| &self.syms[i as usize])
    }

    /// The function symbol whose span holds `addr`.
    pub fn symbol_at(&self, addr: u64) -> Option<&Sym> {
        let i = self.syms.partition_point(|s| s.addr <= addr);
        let s = self.syms.get(i.checked_sub(1)?)?;
        (addr < s.addr + s.span.max(1)).then_some(s)
    }

    /// Whether `name` (a DWARF subprogram's) is the function symbol at
    /// `addr` or one of its aliases there, suffixes such as `.cold` or
    /// `.isra.0` set aside.
    pub fn names_at(&self, addr: u64, name: &str) -> bool {
        let from = self.syms.partition_point(|s| s.addr < addr);
        self.syms[from..]
            .iter()
            .take_while(|s| s.addr == addr)
            .any(|s| s.name == name || crate::vocab::frame::base_name(&s.name) == name)
    }

    /// The address range the image's functions cover.
    pub fn text_range(&self) -> Option<(u64, u64)> {
        let first = self.syms.first()?;
        let last = self.syms.last()?;
        Some((first.addr, last.addr + last.span))
    }

    /// The inline chain at `probe`, innermost first (what
    /// `addr2line -f -i` prints), with paths relative to the unit's build
    /// directory. Empty when the DWARF has nothing for the address.
    pub fn frames(&self, probe: u64) -> Result<Vec<SourceFrame>, String> {
        let mut guard = self.dwarf.lock().unwrap_or_else(|p| p.into_inner());
        guard.with_dependent_mut(|_, units| {
            units.with(
                probe,
                |ctx| {
                    let comp_dir = ctx
                        .find_dwarf_and_unit(probe)
                        .skip_all_loads()
                        .and_then(|u| u.comp_dir)
                        .map(|d| d.to_string_lossy().into_owned());
                    let mut it = ctx
                        .find_frames(probe)
                        .skip_all_loads()
                        .map_err(|e| e.to_string())?;
                    let mut out = Vec::new();
                    while let Some(f) = it.next().map_err(|e| e.to_string())? {
                        let function = f
                            .function
                            .as_ref()
                            .and_then(|n| n.raw_name().ok().map(|s| s.into_owned()));
                        let (file, line) = match &f.location {
                            Some(l) => (
                                l.file.map(|p| relative(p, comp_dir.as_deref())),
                                l.line.filter(|&n| n > 0),
                            ),
                            None => (None, None),
                        };
                        out.push(SourceFrame {
                            function,
                            file,
                            line,
                        });
                        if out.len() >= 64 {
                            break;
                        }
                    }
                    Ok(out)
                },
                |out| !out.is_empty(),
            )
        })
    }

    /// The build directory (`DW_AT_comp_dir`) of the unit holding `probe`.
    pub fn comp_dir(&self, probe: u64) -> Option<String> {
        let mut guard = self.dwarf.lock().unwrap_or_else(|p| p.into_inner());
        guard.with_dependent_mut(|_, units| {
            units
                .with(
                    probe,
                    |ctx| {
                        Ok(ctx
                            .find_dwarf_and_unit(probe)
                            .skip_all_loads()
                            .and_then(|u| u.comp_dir)
                            .map(|d| d.to_string_lossy().into_owned()))
                    },
                    Option::is_some,
                )
                .ok()
                .flatten()
        })
    }
}

/// `path` relative to the source tree: the build directory prefix removed,
/// `.`/`..` resolved, and what still climbs out of the build directory (an
/// out-of-tree build's `../`) dropped.
pub fn relative(path: &str, comp_dir: Option<&str>) -> String {
    let mut rest = path;
    if let Some(dir) = comp_dir.map(|d| d.trim_end_matches('/')) {
        if !dir.is_empty() {
            if let Some(r) = rest.strip_prefix(dir).and_then(|r| r.strip_prefix('/')) {
                rest = r;
            }
        }
    }
    let absolute = rest.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for c in rest.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                if parts.pop().is_none() && absolute {
                    // `/..` is `/`.
                }
            }
            c => parts.push(c),
        }
    }
    let joined = parts.join("/");
    if absolute {
        format!("/{joined}")
    } else {
        joined
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_lose_the_build_directory() {
        let d = Some("/build/linux-6.1");
        assert_eq!(relative("/build/linux-6.1/mm/slub.c", d), "mm/slub.c");
        assert_eq!(
            relative("/build/linux-6.1/./include/linux/slab.h", d),
            "include/linux/slab.h"
        );
        assert_eq!(
            relative("/build/obj/../mm/slub.c", Some("/build/obj")),
            "mm/slub.c"
        );
        assert_eq!(
            relative("/usr/lib/gcc/x86_64/stddef.h", d),
            "/usr/lib/gcc/x86_64/stddef.h"
        );
        assert_eq!(relative("mm/slub.c", None), "mm/slub.c");
        // A sibling directory sharing the prefix's characters is not under it.
        assert_eq!(
            relative("/build/linux-6.10/mm/a.c", d),
            "/build/linux-6.10/mm/a.c"
        );
    }

    #[test]
    fn a_text_file_is_not_an_image() {
        let dir = std::env::temp_dir().join(format!("splatdec-img-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("not-elf");
        std::fs::write(&p, b"hello\n").unwrap();
        let e = Image::open(&p).unwrap_err();
        assert!(matches!(e, ImageError::NotElf { .. }), "{e}");
        assert!(e.to_string().contains("not-elf"), "{e}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
