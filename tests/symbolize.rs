//! Symbolization against an image this test builds: fixtures/symbolize/
//! inline.c compiled with `cc -g -O2` (skipped, saying so, without a C
//! compiler). The program prints its own return addresses, so the frames
//! are real call sites; the inline chains and lines splatdec gives are
//! checked against the source's `site:` markers and, when binutils is
//! installed, against `addr2line -f -i` at the same addresses.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use object::{Object, ObjectSection, ObjectSymbol, SymbolKind};
use splatdec::symbolize::image::ImageError;
use splatdec::{Frame, SymbolizeArgs, Symbolizer};

const SOURCE: &str = "fixtures/symbolize/inline.c";

struct Built {
    /// The build directory (the DWARF's comp_dir).
    tree: PathBuf,
    exe: PathBuf,
    /// The same source as a relocatable object, named like a module.
    modules: PathBuf,
    /// Return addresses of leaf_lock (into middle), middle (into caller)
    /// and caller (into main).
    sites: Vec<u64>,
}

impl Drop for Built {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.tree);
    }
}

fn cc() -> String {
    std::env::var("CC").unwrap_or_else(|_| "cc".to_string())
}

fn compile(tree: &Path, args: &[&str]) -> bool {
    Command::new(cc())
        .current_dir(tree)
        .args(args)
        .status()
        .is_ok_and(|s| s.success())
}

/// Build the test image in a fresh directory, or None (with a message)
/// when there is no C compiler.
fn build(tag: &str) -> Option<Built> {
    if Command::new(cc()).arg("--version").output().is_err() {
        eprintln!("skipping: no C compiler ({}) to build the test image", cc());
        return None;
    }
    let tree = std::env::temp_dir().join(format!("splatdec-sym-{}-{tag}", std::process::id()));
    let _ = fs::remove_dir_all(&tree);
    fs::create_dir_all(tree.join("fixtures/symbolize")).unwrap();
    fs::create_dir_all(tree.join("mods/kernel/drivers")).unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    fs::copy(root.join(SOURCE), tree.join(SOURCE)).unwrap();
    let common = ["-g", "-O2", "-fno-omit-frame-pointer"];
    let mut exe_args: Vec<&str> = common.to_vec();
    exe_args.extend(["-fno-pie", "-no-pie", "-Wl,--build-id", "-o", "inl", SOURCE]);
    if !compile(&tree, &exe_args) {
        let mut plain: Vec<&str> = common.to_vec();
        plain.extend(["-Wl,--build-id", "-o", "inl", SOURCE]);
        assert!(compile(&tree, &plain), "cc could not build {SOURCE}");
    }
    let mut ko: Vec<&str> = common.to_vec();
    ko.extend([
        "-fno-pie",
        "-c",
        "-o",
        "mods/kernel/drivers/fix-mod.ko",
        SOURCE,
    ]);
    assert!(compile(&tree, &ko), "cc -c could not build {SOURCE}");
    let out = Command::new(tree.join("inl")).output().unwrap();
    let sites: Vec<u64> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| u64::from_str_radix(l.trim(), 16).unwrap())
        .collect();
    assert_eq!(sites.len(), 3);
    Some(Built {
        exe: tree.join("inl"),
        modules: tree.join("mods"),
        tree,
        sites,
    })
}

/// Function symbols of `path` with the size kallsyms would print (the
/// distance to the next symbol of the section), written independently of
/// the code under test.
fn kallsyms(path: &Path) -> Vec<(String, u64, u64)> {
    let data = fs::read(path).unwrap();
    let file = object::File::parse(&*data).unwrap();
    let mut v: Vec<(String, u64, object::SectionIndex)> = file
        .symbols()
        .filter(|s| s.kind() == SymbolKind::Text && s.is_definition())
        .filter_map(|s| Some((s.name().ok()?.to_string(), s.address(), s.section_index()?)))
        .collect();
    v.sort_by_key(|s| s.1);
    let mut out = Vec::new();
    for (i, (name, addr, sec)) in v.iter().enumerate() {
        let end = v[i + 1..]
            .iter()
            .find(|n| n.1 > *addr && n.2 == *sec)
            .map(|n| n.1)
            .unwrap_or_else(|| {
                let s = file.section_by_index(*sec).unwrap();
                s.address() + s.size()
            });
        out.push((name.clone(), *addr, end - addr));
    }
    out
}

/// `func+0xoff/0xsize` for return address `ret`.
fn frame_text(syms: &[(String, u64, u64)], ret: u64) -> String {
    let (name, addr, span) = syms
        .iter()
        .find(|(_, a, z)| *a < ret && ret - 1 < a + z)
        .unwrap_or_else(|| panic!("no symbol for {ret:#x}"));
    format!("{name}+{:#x}/{span:#x}", ret - addr)
}

fn splat(frames: &[String], suffix: &str, cpu_tail: &str) -> String {
    let f = |i: usize| format!("{}{suffix}", frames[i]);
    format!(
        "============================================\n\
WARNING: possible recursive locking detected\n\
6.1.0-fixture #1 Not tainted\n\
--------------------------------------------\n\
fixture/1 is trying to acquire lock:\n\
ffff888000000000 (&fix->lock){{+.+.}}-{{3:3}}, at: {}\n\
\n\
but task is already holding lock:\n\
ffff888000000000 (&fix->lock){{+.+.}}-{{3:3}}, at: {}\n\
\n\
other info that might help us debug this:\n\
 Possible unsafe locking scenario:\n\
\n\
       CPU0\n\
       ----\n\
  lock(&fix->lock);\n\
  lock(&fix->lock);\n\
\n\
 *** DEADLOCK ***\n\
\n\
 May be due to missing lock nesting notation\n\
\n\
1 lock held by fixture/1:\n\
 #0: ffff888000000000 (&fix->lock){{+.+.}}-{{3:3}}, at: {}\n\
\n\
stack backtrace:\n\
CPU: 0 PID: 1 Comm: fixture Not tainted 6.1.0-fixture #1{cpu_tail}\n\
Call Trace:\n\
 <TASK>\n\
 {}\n\
 {}\n\
 {}\n\
 entry_SYSCALL_64_after_hwframe+0x63/0xcd\n\
 </TASK>\n",
        f(0),
        f(1),
        f(1),
        f(0),
        f(1),
        f(2)
    )
}

/// The line of the `site:NAME` marker in the source.
fn site_line(name: &str) -> u32 {
    let src = fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(SOURCE)).unwrap();
    let tag = format!("/* site:{name} */");
    1 + src.lines().position(|l| l.contains(&tag)).unwrap() as u32
}

/// (function, file, line) of the frames splatdec printed for one input
/// frame: its inline frames, then itself.
fn chains(frames: &[Frame]) -> Vec<Vec<(String, String, u32)>> {
    let mut out = Vec::new();
    let mut cur = Vec::new();
    for f in frames {
        cur.push((
            f.base.to_string(),
            f.file.clone().unwrap_or_default(),
            f.line.unwrap_or(0),
        ));
        if !f.inline {
            out.push(std::mem::take(&mut cur));
        }
    }
    out
}

fn expected() -> Vec<Vec<(String, String, u32)>> {
    let e = |f: &str, site: &str| (f.to_string(), SOURCE.to_string(), site_line(site));
    vec![
        vec![
            e("take_inner", "take_inner"),
            e("take_outer", "take_outer"),
            e("middle", "middle"),
        ],
        vec![e("caller", "caller")],
        vec![e("main", "main")],
        // Not in the image: left as printed.
        vec![(
            "entry_SYSCALL_64_after_hwframe".to_string(),
            String::new(),
            0,
        )],
    ]
}

/// What binutils says at the call sites, paths relative to the build
/// tree, or None without binutils.
fn binutils(b: &Built, image: &Path, probes: &[u64]) -> Option<Vec<Vec<(String, String, u32)>>> {
    let mut cmd = Command::new("addr2line");
    cmd.arg("-f").arg("-i").arg("-e").arg(image);
    for p in probes {
        cmd.arg(format!("{p:#x}"));
    }
    let Ok(out) = cmd.output() else {
        eprintln!("binutils addr2line not installed: comparison skipped");
        return None;
    };
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let prefix = format!("{}/", b.tree.display());
    let lines: Vec<&str> = text.lines().collect();
    let pairs: Vec<(String, String, u32)> = lines
        .chunks(2)
        .map(|c| {
            let (file, line) = c[1].rsplit_once(':').unwrap();
            let line: u32 = line.split_whitespace().next().unwrap().parse().unwrap_or(0);
            let file = file.strip_prefix(&prefix).unwrap_or(file).to_string();
            (c[0].to_string(), file, line)
        })
        .collect();
    // addr2line prints each address's chain back to back: split them at
    // the outermost functions, which are the symbols the frames name.
    let mut out = Vec::new();
    let mut cur = Vec::new();
    let outer = ["middle", "caller", "main"];
    for p in pairs {
        let last = outer.contains(&p.0.as_str());
        cur.push(p);
        if last {
            out.push(std::mem::take(&mut cur));
        }
    }
    Some(out)
}

fn symbolized(text: &str, args: &SymbolizeArgs) -> (splatdec::Analysis, Vec<String>) {
    let d = splatdec::Decoder::new()
        .with_source("fixture.txt")
        .with_symbols(args)
        .unwrap();
    let mut all = Vec::new();
    d.decode_analyzed(text.as_bytes(), &mut |a| all.push(a))
        .unwrap();
    assert_eq!(all.len(), 1);
    let msgs = d
        .symbolizer()
        .map(Symbolizer::take_messages)
        .unwrap_or_default();
    (all.remove(0), msgs)
}

fn redact(s: &str) -> String {
    let re = regex::Regex::new(r"\+0x[0-9a-f]+/0x[0-9a-f]+").unwrap();
    let s = re.replace_all(s, "+0x?/0x?");
    let re = regex::Regex::new(r#""(offset|size)": \d+"#).unwrap();
    re.replace_all(&s, "\"$1\": \"?\"").into_owned()
}

#[test]
fn vmlinux_frames_get_lines_and_inline_frames_like_addr2line() {
    let Some(b) = build("vmlinux") else { return };
    let syms = kallsyms(&b.exe);
    let frames: Vec<String> = b.sites.iter().map(|&s| frame_text(&syms, s)).collect();
    let text = splat(&frames, "", "");
    let args = SymbolizeArgs {
        vmlinux: Some(b.exe.clone()),
        ..SymbolizeArgs::default()
    };
    let (a, msgs) = symbolized(&text, &args);
    assert!(msgs.is_empty(), "{msgs:?}");
    let got = chains(&a.report.backtrace);
    assert_eq!(got, expected());
    if let Some(want) = binutils(
        &b,
        &b.exe,
        &b.sites.iter().map(|s| s - 1).collect::<Vec<_>>(),
    ) {
        assert_eq!(got[..3], want[..], "splatdec and binutils addr2line differ");
    }
    // The lock sites: the real frame plus its inlined callees.
    let acq = a.report.acquiring.as_ref().unwrap();
    let at = acq.at.as_ref().unwrap();
    assert_eq!(
        (at.file.as_deref(), at.line),
        (Some(SOURCE), Some(site_line("middle")))
    );
    let inl: Vec<&str> = acq.at_inlined.iter().map(|f| f.base.as_str()).collect();
    assert_eq!(inl, ["take_inner", "take_outer"]);
    // The walk follows the real chain and says so: mixed, as the entry
    // frame is not in the image.
    let w = &a.gfp_walk[0];
    assert_eq!(w.inlines, splatdec::walk::InlineSource::Mixed);
    let walked: Vec<(&str, bool)> = w
        .frames
        .iter()
        .map(|f| (f.function.as_str(), f.inlined))
        .collect();
    assert_eq!(
        walked,
        [
            ("entry_SYSCALL_64_after_hwframe", false),
            ("main", false),
            ("caller", false),
            ("middle", false),
            ("take_outer", true),
            ("take_inner", true)
        ]
    );
    let opts = splatdec::render::text::TextOptions::default();
    insta::assert_snapshot!(
        "symbolized_text",
        redact(&splatdec::render::text::render(&a, &opts))
    );
    let json = serde_json::to_string_pretty(&a.report.backtrace).unwrap();
    insta::assert_snapshot!("symbolized_backtrace_json", redact(&json));
}

#[test]
fn module_frames_resolve_in_the_relocated_ko() {
    let Some(b) = build("module") else { return };
    let ko = b.modules.join("kernel/drivers/fix-mod.ko");
    let syms = kallsyms(&ko);
    // The module holds the same code: offsets into each function are the
    // executable's; sizes are the module's own.
    let exe_syms = kallsyms(&b.exe);
    let frames: Vec<String> = b
        .sites
        .iter()
        .map(|&s| {
            let t = frame_text(&exe_syms, s);
            let (name, rest) = t.split_once('+').unwrap();
            let off = rest.split('/').next().unwrap();
            let span = syms.iter().find(|x| x.0 == name).unwrap().2;
            format!("{name}+{off}/{span:#x}")
        })
        .collect();
    let text = splat(&frames, " [fix_mod]", "");
    let args = SymbolizeArgs {
        modules: Some(b.modules.clone()),
        ..SymbolizeArgs::default()
    };
    let (a, msgs) = symbolized(&text, &args);
    assert!(msgs.is_empty(), "{msgs:?}");
    assert_eq!(chains(&a.report.backtrace), expected());
    assert!(a
        .report
        .backtrace
        .iter()
        .filter(|f| f.file.is_some())
        .all(|f| f.module.as_deref() == Some("fix_mod")));
}

#[test]
fn build_ids_find_images_in_a_debuginfo_tree() {
    let Some(b) = build("buildid") else { return };
    let data = fs::read(&b.exe).unwrap();
    let id: String = object::File::parse(&*data)
        .unwrap()
        .build_id()
        .unwrap()
        .expect("linked with --build-id")
        .iter()
        .map(|x| format!("{x:02x}"))
        .collect();
    let dir = b.tree.join("debug/.build-id").join(&id[..2]);
    fs::create_dir_all(&dir).unwrap();
    fs::copy(&b.exe, dir.join(format!("{}.debug", &id[2..]))).unwrap();
    let syms = kallsyms(&b.exe);
    let frames: Vec<String> = b.sites.iter().map(|&s| frame_text(&syms, s)).collect();
    let args = SymbolizeArgs {
        debuginfo: Some(b.tree.join("debug")),
        ..SymbolizeArgs::default()
    };
    let (a, msgs) = symbolized(&splat(&frames, "", &format!(" {id}")), &args);
    assert!(msgs.is_empty(), "{msgs:?}");
    assert_eq!(a.report.build_id.as_deref(), Some(id.as_str()));
    assert_eq!(chains(&a.report.backtrace), expected());
    // Another build id: nothing found, nothing changed.
    let other = "ab".repeat(20);
    let (a, _) = symbolized(&splat(&frames, "", &format!(" {other}")), &args);
    assert!(a
        .report
        .backtrace
        .iter()
        .all(|f| f.file.is_none() && !f.inline));
}

#[test]
fn bare_addresses_are_placed_with_the_kaslr_offset() {
    let Some(b) = build("kaslr") else { return };
    let syms = kallsyms(&b.exe);
    // Kernel-looking addresses: the image's, moved by a KASLR-like slide.
    let slide: u64 = 0xffff_ffff_8000_0000;
    let f0 = frame_text(&syms, b.sites[0]);
    let f2 = frame_text(&syms, b.sites[2]);
    let text = splat(
        &[
            format!("[<{:016x}>] {f0}", b.sites[0] + slide),
            format!(
                "[<{:016x}>] ? 0x{:016x}",
                b.sites[1] + slide,
                b.sites[1] + slide
            ),
            format!("[<{:016x}>] {f2}", b.sites[2] + slide),
        ],
        "",
        "",
    );
    let args = SymbolizeArgs {
        vmlinux: Some(b.exe.clone()),
        ..SymbolizeArgs::default()
    };
    let (a, _) = symbolized(&text, &args);
    let bare = a
        .report
        .backtrace
        .iter()
        .find(|f| !f.reliable)
        .expect("the ? frame");
    assert_eq!(bare.base, "caller");
    assert_eq!(bare.line, Some(site_line("caller")));
    assert_eq!(bare.address, Some(b.sites[1] + slide));
}

#[test]
fn a_wrong_image_is_named_once_and_frames_stay_as_printed() {
    let Some(b) = build("wrong") else { return };
    let syms = kallsyms(&b.exe);
    let mut frames: Vec<String> = b.sites.iter().map(|&s| frame_text(&syms, s)).collect();
    // Another build: middle is a different size there.
    frames[0] = frames[0].replace('/', "/0x1").replacen("/0x10x", "/0x1", 1);
    let text = splat(&frames, "", "");
    let args = SymbolizeArgs {
        vmlinux: Some(b.exe.clone()),
        ..SymbolizeArgs::default()
    };
    let sym = Symbolizer::new(&args).unwrap();
    for _ in 0..2 {
        let mut r = splatdec::decode_str(&text, "x").remove(0);
        let before = r.backtrace.clone();
        sym.symbolize(&mut r);
        assert_eq!(r.backtrace, before);
    }
    let msgs = sym.take_messages();
    assert_eq!(msgs.len(), 1, "{msgs:?}");
    assert!(
        msgs[0].contains("not the build") && msgs[0].contains(&b.exe.display().to_string()),
        "{}",
        msgs[0]
    );
}

#[test]
fn unusable_images_are_clear_errors_naming_the_file() {
    let Some(b) = build("errors") else { return };
    // Without -g: no DWARF.
    assert!(compile(&b.tree, &["-O2", "-o", "nodebug", SOURCE]));
    let e = Symbolizer::new(&SymbolizeArgs {
        vmlinux: Some(b.tree.join("nodebug")),
        ..SymbolizeArgs::default()
    })
    .unwrap_err();
    assert!(matches!(e, ImageError::NoDwarf { .. }), "{e}");
    assert!(e.to_string().contains("nodebug"), "{e}");
    // Linked with -s: no symbol table.
    if compile(&b.tree, &["-g", "-O2", "-s", "-o", "stripped", SOURCE]) {
        let e = Symbolizer::new(&SymbolizeArgs {
            vmlinux: Some(b.tree.join("stripped")),
            ..SymbolizeArgs::default()
        })
        .unwrap_err();
        assert!(
            matches!(e, ImageError::Stripped { .. } | ImageError::NoDwarf { .. }),
            "{e}"
        );
        assert!(e.to_string().contains("stripped"), "{e}");
    }
    // An ELF machine nobody knows.
    let mut data = fs::read(&b.exe).unwrap();
    data[18] = 0x34;
    data[19] = 0x12;
    let odd = b.tree.join("odd-machine");
    fs::write(&odd, &data).unwrap();
    let e = Symbolizer::new(&SymbolizeArgs {
        vmlinux: Some(odd),
        ..SymbolizeArgs::default()
    })
    .unwrap_err();
    assert!(e.to_string().contains("odd-machine"), "{e}");
    // A module directory without the module, and a module of another
    // architecture than the vmlinux: said, frames untouched.
    let syms = kallsyms(&b.exe);
    let frames: Vec<String> = b.sites.iter().map(|&s| frame_text(&syms, s)).collect();
    let text = splat(&frames, " [absent]", "");
    let (a, msgs) = symbolized(
        &text,
        &SymbolizeArgs {
            modules: Some(b.modules.clone()),
            ..SymbolizeArgs::default()
        },
    );
    assert!(a.report.backtrace.iter().all(|f| f.file.is_none()));
    assert_eq!(msgs.len(), 1, "{msgs:?}");
    assert!(msgs[0].contains("no absent.ko"), "{}", msgs[0]);
    let ko = b.modules.join("kernel/drivers/fix-mod.ko");
    let mut data = fs::read(&ko).unwrap();
    let machine = u16::from_le_bytes([data[18], data[19]]);
    let other: u16 = if machine == 183 { 62 } else { 183 };
    data[18..20].copy_from_slice(&other.to_le_bytes());
    fs::write(&ko, &data).unwrap();
    let (a, msgs) = symbolized(
        &splat(&frames, " [fix_mod]", ""),
        &SymbolizeArgs {
            vmlinux: Some(b.exe.clone()),
            modules: Some(b.modules.clone()),
            ..SymbolizeArgs::default()
        },
    );
    assert!(a.report.backtrace.iter().all(|f| f.file.is_none()));
    assert!(
        msgs.iter()
            .any(|m| m.contains("fix-mod.ko") && m.contains("module")),
        "{msgs:?}"
    );
}

#[test]
fn the_cli_symbolizes_with_vmlinux_in_every_command() {
    let Some(b) = build("cli") else { return };
    let syms = kallsyms(&b.exe);
    let frames: Vec<String> = b.sites.iter().map(|&s| frame_text(&syms, s)).collect();
    let log = b.tree.join("splat.txt");
    fs::write(&log, splat(&frames, "", "")).unwrap();
    let bin = env!("CARGO_BIN_EXE_splatdec");
    let run = |args: &[&str]| {
        let out = Command::new(bin).args(args).output().unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let exe = b.exe.to_str().unwrap();
    let log_s = log.to_str().unwrap();
    let (code, out, err) = run(&["--vmlinux", exe, log_s]);
    assert_eq!(code, Some(0), "{err}");
    let want = format!("take_inner {SOURCE}:{} [inline]", site_line("take_inner"));
    assert!(out.contains(&want), "{out}");
    for cmd in [
        &["check", "--vmlinux", exe, log_s][..],
        &["graph", "--vmlinux", exe, log_s],
        &["triage", "--vmlinux", exe, log_s],
    ] {
        let (code, _, err) = run(cmd);
        assert!(
            code == Some(0) || code == Some(1),
            "{cmd:?}: {code:?} {err}"
        );
        assert!(err.is_empty(), "{cmd:?}: {err}");
    }
    // A file that is no image: named, frames left as printed, exit 2.
    let (code, out, err) = run(&["--vmlinux", log_s, log_s]);
    assert_eq!(code, Some(2));
    assert!(
        err.contains("splat.txt") && err.contains("not an ELF"),
        "{err}"
    );
    assert!(!out.contains("[inline]"), "{out}");
}

/// Which part of the unknown unit to damage.
#[derive(Debug, Clone, Copy)]
enum Damage {
    /// The first DIE after the unit's root: its functions cannot be read.
    Dies,
    /// The line program after its header: its rows cannot be read.
    Lines,
}

type Slice<'a> = gimli::EndianSlice<'a, gimli::LittleEndian>;

/// The DWARF of a parsed (uncompressed, little-endian) image.
fn dwarf_of<'a>(file: &object::File<'a>) -> gimli::Dwarf<Slice<'a>> {
    let load = |id: gimli::SectionId| -> Result<_, gimli::Error> {
        let d = file
            .section_by_name(id.name())
            .and_then(|s| s.data().ok())
            .unwrap_or(&[]);
        Ok(gimli::EndianSlice::new(d, gimli::LittleEndian))
    };
    gimli::Dwarf::load(load).unwrap()
}

/// File offsets in `exe` where filler.c's unit can be damaged without
/// touching what every reader needs up front (unit headers, root DIEs,
/// line program headers): (first child DIE, an abbreviation code absent
/// from that unit's table), and the start of its line program.
fn filler_unit(exe: &Path) -> ((usize, u8), usize) {
    let data = fs::read(exe).unwrap();
    let file = object::File::parse(&*data).unwrap();
    let section = |name: &str| {
        let s = file.section_by_name(name).unwrap();
        assert_eq!(
            s.compressed_file_range().unwrap().format,
            object::CompressionFormat::None,
            "{name} is compressed: damage it before decompression"
        );
        (s.data().unwrap(), s.file_range().unwrap().0 as usize)
    };
    let (info, info_at) = section(".debug_info");
    let (line, line_at) = section(".debug_line");
    let dwarf = dwarf_of(&file);
    let mut units = dwarf.units();
    while let Some(header) = units.next().unwrap() {
        let unit = dwarf.unit(header).unwrap();
        let name = unit.name.map(|n| n.to_string_lossy().into_owned());
        if !name.is_some_and(|n| n.ends_with("filler.c")) {
            continue;
        }
        let mut entries = unit.entries();
        entries.next_dfs().unwrap().unwrap(); // the root
        let (_, child) = entries.next_dfs().unwrap().unwrap();
        let die = child.offset().to_debug_info_offset(&unit.header).unwrap().0;
        assert!(info[die] < 0x80, "a one-byte abbreviation code");
        let absent = (1..0x80u8)
            .rev()
            .find(|c| unit.abbreviations.get(u64::from(*c)).is_none())
            .unwrap();
        let program = unit
            .line_program
            .as_ref()
            .unwrap()
            .header()
            .raw_program_buf()
            .offset_from(gimli::EndianSlice::new(line, gimli::LittleEndian));
        return ((info_at + die, absent), line_at + program);
    }
    panic!("no unit for filler.c in {}", exe.display());
}

/// The image of three units: inline.c, filler.c (no frame falls in it)
/// and hook.c (overrides filler.c's weak filler_hook); with its call sites.
fn build_three(b: &Built) -> (PathBuf, Vec<u64>) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let (filler, hook) = ("fixtures/symbolize/filler.c", "fixtures/symbolize/hook.c");
    for f in [filler, hook] {
        fs::copy(root.join(f), b.tree.join(f)).unwrap();
    }
    let common = ["-g", "-O2", "-fno-omit-frame-pointer"];
    let mut args: Vec<&str> = common.to_vec();
    args.extend(["-fno-pie", "-no-pie", "-o", "three", SOURCE, filler, hook]);
    if !compile(&b.tree, &args) {
        let mut plain: Vec<&str> = common.to_vec();
        plain.extend(["-o", "three", SOURCE, filler, hook]);
        assert!(compile(&b.tree, &plain), "cc could not build the image");
    }
    let exe = b.tree.join("three");
    let out = Command::new(&exe).output().unwrap();
    let sites: Vec<u64> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| u64::from_str_radix(l.trim(), 16).unwrap())
        .collect();
    (exe, sites)
}

#[test]
fn units_no_frame_falls_in_are_never_parsed() {
    let Some(b) = build("lazy") else { return };
    let (exe, sites) = build_three(&b);
    let syms = kallsyms(&exe);
    let frames: Vec<String> = sites.iter().map(|&s| frame_text(&syms, s)).collect();
    let filler_fn = syms.iter().find(|s| s.0 == "filler_fn").unwrap().1;
    let ((die, absent), program) = filler_unit(&exe);
    for damage in [Damage::Dies, Damage::Lines] {
        let mut data = fs::read(&exe).unwrap();
        match damage {
            Damage::Dies => data[die] = absent,
            // An extended opcode longer than the whole section.
            Damage::Lines => {
                data[program..program + 6].copy_from_slice(&[0, 0xff, 0xff, 0xff, 0xff, 0x0f])
            }
        }
        let damaged = b.tree.join(format!("three-{damage:?}"));
        fs::write(&damaged, &data).unwrap();
        let args = SymbolizeArgs {
            vmlinux: Some(damaged.clone()),
            ..SymbolizeArgs::default()
        };
        // Opening reads every unit's header, not its contents; the frames
        // of inline.c read inline.c's unit only.
        let (a, msgs) = symbolized(&splat(&frames, "", ""), &args);
        assert!(msgs.is_empty(), "{damage:?}: {msgs:?}");
        assert_eq!(chains(&a.report.backtrace), expected(), "{damage:?}");
        // The damage is real: asking for an address in filler.c reads the
        // unit and fails.
        let sym = Symbolizer::new(&args).unwrap();
        let img = sym.vmlinux().unwrap();
        assert!(img.frames(sites[0] - 1).is_ok());
        assert!(
            img.frames(filler_fn + 4).is_err(),
            "{damage:?}: filler.c's unit read without error: the damage missed"
        );
    }
}

/// The entry addresses of the DWARF subprograms called `want`.
fn dwarf_low_pcs(exe: &Path, want: &str) -> Vec<u64> {
    let data = fs::read(exe).unwrap();
    let file = object::File::parse(&*data).unwrap();
    let dwarf = dwarf_of(&file);
    let mut out = Vec::new();
    let mut units = dwarf.units();
    while let Some(header) = units.next().unwrap() {
        let unit = dwarf.unit(header).unwrap();
        let mut entries = unit.entries();
        while let Some((_, e)) = entries.next_dfs().unwrap() {
            if e.tag() != gimli::DW_TAG_subprogram {
                continue;
            }
            let name = e
                .attr_value(gimli::DW_AT_name)
                .unwrap()
                .and_then(|v| dwarf.attr_string(&unit, v).ok())
                .map(|n| n.to_string_lossy().into_owned());
            if name.as_deref() != Some(want) {
                continue;
            }
            if let Some(gimli::AttributeValue::Addr(a)) = e.attr_value(gimli::DW_AT_low_pc).unwrap()
            {
                out.push(a);
            }
        }
    }
    out
}

#[test]
fn code_the_symbol_table_does_not_name_is_left_as_printed() {
    let Some(b) = build("weak") else { return };
    let (exe, sites) = build_three(&b);
    let syms = kallsyms(&exe);
    // Two bodies called filler_hook: hook.c's (the symbol) and filler.c's
    // weak one, which only the DWARF names.
    let named = syms.iter().find(|s| s.0 == "filler_hook").unwrap().1;
    let weak = dwarf_low_pcs(&exe, "filler_hook")
        .into_iter()
        .find(|&a| a != named)
        .expect("the weak body of filler_hook in the image");
    // kallsyms counts the weak body to the symbol before it.
    let dead = frame_text(&syms, weak + 1);
    assert!(!dead.starts_with("filler_hook+"), "{dead}");
    let frames = vec![
        frame_text(&syms, sites[0]),
        frame_text(&syms, sites[1]),
        dead.clone(),
    ];
    let args = SymbolizeArgs {
        vmlinux: Some(exe.clone()),
        ..SymbolizeArgs::default()
    };
    let (a, msgs) = symbolized(&splat(&frames, "", ""), &args);
    assert!(msgs.is_empty(), "{msgs:?}");
    let got = chains(&a.report.backtrace);
    assert_eq!(got[..2], expected()[..2]);
    // Not the function the log names: no line of filler_hook under its name.
    let base = dead.split('+').next().unwrap().to_string();
    assert_eq!(got[2], [(base, String::new(), 0)], "{dead}");
}

#[test]
fn a_faulting_pc_is_looked_up_at_its_own_address() {
    let Some(b) = build("rip") else { return };
    let syms = kallsyms(&b.exe);
    let frames: Vec<String> = b.sites.iter().map(|&s| frame_text(&syms, s)).collect();
    // The instruction after leaf_lock's call in middle: a RIP there is
    // that instruction, a stack frame there is the call before it.
    let ret = b.sites[0];
    let at = frame_text(&syms, ret);
    let text = format!(
        "------------[ cut here ]------------\n\
DEBUG_LOCKS_WARN_ON(lock->magic != lock)\n\
WARNING: CPU: 0 PID: 1 at fixtures/symbolize/inline.c:37 {at}\n\
Modules linked in:\n\
CPU: 0 PID: 1 Comm: fixture Not tainted 6.1.0-fixture #1\n\
RIP: 0010:{at}\n\
RSP: 0018:ffffc90000003e48 EFLAGS: 00010286\n\
Call Trace:\n\
 <TASK>\n\
 {}\n\
 {}\n\
 entry_SYSCALL_64_after_hwframe+0x63/0xcd\n\
 </TASK>\n\
---[ end trace 0000000000000000 ]---\n",
        frames[1], frames[2]
    );
    let args = SymbolizeArgs {
        vmlinux: Some(b.exe.clone()),
        ..SymbolizeArgs::default()
    };
    let (a, msgs) = symbolized(&text, &args);
    assert!(msgs.is_empty(), "{msgs:?}");
    let pc = a
        .report
        .traces
        .iter()
        .find(|t| t.name == "faulting pc")
        .expect("the RIP line as the faulting pc");
    let got = chains(&pc.frames);
    assert_eq!(chains(&a.report.backtrace), expected()[1..]);
    let Some(want) = binutils(&b, &b.exe, &[ret]) else {
        return;
    };
    let want: Vec<(String, String, u32)> = want.into_iter().flatten().collect();
    assert_eq!(
        got,
        [want],
        "splatdec and binutils addr2line differ at {ret:#x}"
    );
}
