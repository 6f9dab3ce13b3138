//! Symbolization benchmark on a real distro kernel (never run in CI).
//!
//! ```sh
//! apt-get install linux-image-6.1.0-57-cloud-amd64-dbg linux-source-6.1
//! tar -xJf /usr/src/linux-source-6.1.tar.xz linux-source-6.1/scripts/decode_stacktrace.sh
//! cargo build --release --example bench_symbolize --bin splatdec
//! target/release/examples/bench_symbolize \
//!     --vmlinux /usr/lib/debug/boot/vmlinux-6.12.118+deb12-cloud-amd64 \
//!     --decode-stacktrace linux-source-6.1/scripts/decode_stacktrace.sh
//! ```
//!
//! What it does:
//! 1. takes `--frames` (1,000) call sites of the vmlinux: `objdump -d` over
//!    `_stext.._etext`, every `call` instruction, evenly spaced picks; the
//!    return address is the next instruction's;
//! 2. writes them as `func+0xoff/0xsize` frames (symbol and size from the
//!    `System.map` beside the vmlinux, the size kallsyms prints: the
//!    distance to the next text symbol) into lockdep reports of 20 frames;
//! 3. symbolizes them in-process and reports open time, first-frame
//!    latency (open plus one lookup), frames per second, and agreement with
//!    `addr2line -a -f -i -e vmlinux` at return address minus one
//!    (function, file and line chains, inline frames included);
//! 4. times one `addr2line` process over all the addresses, the
//!    `splatdec --vmlinux` command over the log (wall time and peak RSS
//!    via `/usr/bin/time`), and `decode_stacktrace.sh` over the first
//!    `--script-frames` frames (it runs `nm` and `addr2line` per frame,
//!    so it is timed on a subset and extrapolated).

use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use splatdec::{SymbolizeArgs, Symbolizer};

struct Opts {
    vmlinux: PathBuf,
    system_map: Option<PathBuf>,
    frames: usize,
    script: Option<PathBuf>,
    script_frames: usize,
    dir: PathBuf,
    /// Modules (`.ko` with DWARF) to check the same way.
    modules: Vec<PathBuf>,
    module_frames: usize,
}

fn parse_args() -> Opts {
    let mut o = Opts {
        vmlinux: PathBuf::from("/usr/lib/debug/boot/vmlinux-6.12.118+deb12-cloud-amd64"),
        system_map: None,
        frames: 1000,
        script: None,
        script_frames: 20,
        dir: PathBuf::from("target/bench-symbolize"),
        modules: Vec::new(),
        module_frames: 200,
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut v = || it.next().unwrap_or_else(|| panic!("{a} needs a value"));
        match a.as_str() {
            "--vmlinux" => o.vmlinux = v().into(),
            "--system-map" => o.system_map = Some(v().into()),
            "--frames" => o.frames = v().parse().expect("--frames N"),
            "--decode-stacktrace" => o.script = Some(v().into()),
            "--script-frames" => o.script_frames = v().parse().expect("--script-frames N"),
            "--dir" => o.dir = v().into(),
            "--module" => o.modules.push(v().into()),
            "--module-frames" => o.module_frames = v().parse().expect("--module-frames N"),
            _ => panic!("unknown option {a}"),
        }
    }
    o
}

/// Text symbols of System.map, sorted, with kallsyms' size.
fn system_map(path: &Path) -> Vec<(u64, String, u64)> {
    let text = fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut syms: Vec<(u64, String)> = text
        .lines()
        .filter_map(|l| {
            let mut w = l.split_whitespace();
            let addr = u64::from_str_radix(w.next()?, 16).ok()?;
            let kind = w.next()?;
            let name = w.next()?;
            matches!(kind, "t" | "T" | "w" | "W").then(|| (addr, name.to_string()))
        })
        .collect();
    syms.sort();
    let mut out = Vec::with_capacity(syms.len());
    for (i, (a, n)) in syms.iter().enumerate() {
        let next = syms[i + 1..].iter().find(|s| s.0 > *a).map(|s| s.0);
        if let Some(nx) = next {
            out.push((*a, n.clone(), nx - a));
        }
    }
    out
}

fn symbol_for(map: &[(u64, String, u64)], addr: u64) -> Option<&(u64, String, u64)> {
    let i = map.partition_point(|s| s.0 <= addr);
    let s = map.get(i.checked_sub(1)?)?;
    (addr < s.0 + s.2).then_some(s)
}

/// Return addresses of every call in `_stext.._etext`, from objdump.
fn call_sites(vmlinux: &Path, start: u64, end: u64) -> Vec<u64> {
    calls_by_objdump(&[
        format!("--start-address={start:#x}"),
        format!("--stop-address={end:#x}"),
        vmlinux.display().to_string(),
    ])
}

/// The address after each `call` in `objdump -d ARGS`.
fn calls_by_objdump(args: &[String]) -> Vec<u64> {
    let mut child = Command::new("objdump")
        .args(["-d", "--no-show-raw-insn"])
        .args(args)
        .stdout(Stdio::piped())
        .spawn()
        .expect("objdump (binutils) is needed");
    let out = child.stdout.take().unwrap();
    let mut sites = Vec::new();
    let mut after_call = false;
    for line in BufReader::new(out).lines().map_while(Result::ok) {
        let t = line.trim_start();
        let Some((addr, rest)) = t.split_once(":\t") else {
            continue;
        };
        let Ok(addr) = u64::from_str_radix(addr, 16) else {
            continue;
        };
        if after_call {
            sites.push(addr);
        }
        after_call = rest.starts_with("call");
    }
    let _ = child.wait();
    sites
}

fn report(frames: &[String], n: usize) -> String {
    let mut s = format!(
        "============================================\n\
WARNING: possible recursive locking detected\n\
6.1.0-57-cloud-amd64 #1 Not tainted\n\
--------------------------------------------\n\
bench/{n} is trying to acquire lock:\n\
ffff888000000000 (&bench->lock){{+.+.}}-{{3:3}}, at: {}\n\
\n\
stack backtrace:\n\
CPU: 0 PID: {n} Comm: bench Not tainted 6.1.0-57-cloud-amd64 #1 Debian 6.1.192-3\n\
Call Trace:\n\
 <TASK>\n",
        frames[0]
    );
    for f in frames {
        s.push(' ');
        s.push_str(f);
        s.push('\n');
    }
    s.push_str(" </TASK>\n\n");
    s
}

type Chain = Vec<(String, String, u32)>;

/// Strip what differs only in how the build directory is written.
fn norm_file(f: &str, prefixes: &[String]) -> String {
    let mut f = f;
    for p in prefixes {
        if let Some(r) = f.strip_prefix(p.as_str()) {
            f = r;
        }
    }
    lexical(f)
}

/// `a/./b/../c` as `a/c`: binutils prints the path the unit wrote (the
/// directory entry joined with the file name), splatdec the file it names.
fn lexical(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for c in path.split('/') {
        match c {
            "" | "." => {}
            ".." if parts.last().is_some_and(|p| *p != "..") => {
                parts.pop();
            }
            c => parts.push(c),
        }
    }
    let joined = parts.join("/");
    if path.starts_with('/') {
        format!("/{joined}")
    } else {
        joined
    }
}

/// `addr2line -a -f -i` output, per address.
fn parse_addr2line(text: &str, prefixes: &[String]) -> Vec<Chain> {
    let mut out: Vec<Chain> = Vec::new();
    let mut lines = text.lines().peekable();
    while let Some(l) = lines.next() {
        if l.starts_with("0x") {
            out.push(Vec::new());
            continue;
        }
        let func = l.to_string();
        let loc = lines.next().unwrap_or("??:0");
        let (file, line) = loc.rsplit_once(':').unwrap_or((loc, "0"));
        let line: u32 = line
            .split_whitespace()
            .next()
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        let file = if file == "??" {
            String::new()
        } else {
            norm_file(file, prefixes)
        };
        if let Some(c) = out.last_mut() {
            c.push((func, file, line));
        }
    }
    out
}

/// A `/proc/self/status` figure in kB (`VmHWM`, `RssAnon`, `RssFile`).
fn status_kb(field: &str) -> u64 {
    fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.strip_prefix(field).is_some_and(|r| r.starts_with(':')))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

/// One comparison of splatdec's chains with binutils' at the same
/// addresses.
struct Pass<'a> {
    image: &'a Path,
    frames: &'a [String],
    probes: &'a [u64],
    /// The symbol (address, name, kallsyms size) each frame names.
    syms: &'a [(u64, String, u64)],
    /// Every text symbol of the image, the same way.
    all: &'a [(u64, String, u64)],
    ours: &'a [Chain],
    theirs: &'a [Chain],
    prefixes: &'a [String],
    out: PathBuf,
    /// Whether llvm-addr2line's function names count: in a relocatable
    /// module every section starts at 0 and LLVM 14 names functions from
    /// symbols of any of them, so only its files and lines are compared.
    llvm_names: bool,
}

fn agreement(p: &Pass) {
    // Names of every text symbol by address (aliases share one), and how
    // many symbols share a name and a size (the log cannot tell those
    // apart).
    let mut names_at: HashMap<u64, Vec<&str>> = HashMap::new();
    let mut same_name_size: HashMap<(&str, u64), usize> = HashMap::new();
    for (a, n, z) in p.all {
        names_at.entry(*a).or_default().push(n.as_str());
        *same_name_size.entry((n.as_str(), *z)).or_default() += 1;
    }
    // The outermost function: splatdec keeps the name the log printed;
    // binutils prints the DWARF subprogram's, which may be an alias at the
    // same address (`__x64_sys_geteuid` is also `__do_sys_geteuid`).
    let same_fn = |i: usize, ours: &str, theirs: &str| {
        ours == theirs
            || names_at.get(&p.syms[i].0).is_some_and(|v| {
                v.iter()
                    .any(|n| splatdec::vocab::frame::base_name(n) == theirs)
            })
    };
    let compare = |i: usize, a: &Chain, b: &Chain| -> (bool, bool, bool) {
        let n = a.len();
        let funcs = n == b.len()
            && a[..n - 1]
                .iter()
                .map(|x| &x.0)
                .eq(b[..n - 1].iter().map(|x| &x.0))
            && same_fn(i, &a[n - 1].0, &b[n - 1].0);
        let files = a.iter().map(|x| &x.1).eq(b.iter().map(|x| &x.1));
        let lines = a.iter().map(|x| x.2).eq(b.iter().map(|x| x.2));
        (funcs, files, lines)
    };
    let mut agree = BTreeMap::new();
    let mut differing: Vec<usize> = Vec::new();
    for (i, (a, b)) in p.ours.iter().zip(p.theirs).enumerate() {
        // A frame addr2line knows nothing about stays as printed for us.
        let b_known: Chain = if b.iter().all(|x| x.1.is_empty()) {
            vec![(
                a.last().map(|x| x.0.clone()).unwrap_or_default(),
                String::new(),
                0,
            )]
        } else {
            b.clone()
        };
        let (funcs, files, lines) = compare(i, a, &b_known);
        *agree.entry("function chains").or_insert(0) += usize::from(funcs);
        *agree.entry("file chains").or_insert(0) += usize::from(files);
        *agree.entry("line chains").or_insert(0) += usize::from(lines);
        *agree.entry("all three").or_insert(0) += usize::from(funcs && files && lines);
        if !(funcs && files && lines) {
            differing.push(i);
        }
    }
    let n = p.frames.len();
    println!(
        "compared: {} of {n} (addr2line gave {})",
        p.ours.len().min(p.theirs.len()),
        p.theirs.len()
    );
    for (k, v) in &agree {
        println!(
            "  identical {k}: {v} ({:.1}%)",
            100.0 * *v as f64 / n as f64
        );
    }
    let inline_frames: usize = p.ours.iter().map(|c| c.len() - 1).sum();
    println!("  inline frames: {inline_frames}");
    // Each difference, with LLVM's reading of the same address as a third
    // opinion when llvm-addr2line is installed.
    let llvm: Vec<Chain> = if differing.is_empty() {
        Vec::new()
    } else {
        let mut cmd = Command::new("llvm-addr2line");
        cmd.args(["-a", "-f", "-i", "-e"]).arg(p.image);
        for &i in &differing {
            cmd.arg(format!("{:#x}", p.probes[i]));
        }
        match cmd.output() {
            Ok(out) => parse_addr2line(&String::from_utf8_lossy(&out.stdout), p.prefixes),
            Err(_) => Vec::new(),
        }
    };
    let mut kinds: BTreeMap<&str, usize> = BTreeMap::new();
    let mut diffs = Vec::new();
    for (k, &i) in differing.iter().enumerate() {
        let (a, b) = (&p.ours[i], &p.theirs[i]);
        let (_, name, size) = &p.syms[i];
        let kind = if a.len() == 1 && a[0].1.is_empty() {
            if same_name_size
                .get(&(name.as_str(), *size))
                .copied()
                .unwrap_or(0)
                > 1
            {
                "left as printed: several symbols share this name and size"
            } else {
                "left as printed: the DWARF puts the address in another function"
            }
        } else if llvm.get(k).is_some_and(|l| {
            let (f, fi, li) = compare(i, a, l);
            (f || !p.llvm_names) && fi && li
        }) {
            if p.llvm_names {
                "binutils alone: llvm-addr2line reads it as splatdec does"
            } else {
                "binutils alone: llvm-addr2line gives splatdec's files and lines"
            }
        } else {
            "splatdec differs"
        };
        *kinds.entry(kind).or_default() += 1;
        diffs.push(format!(
            "{} at {:#x} [{kind}]\n  splatdec       {a:?}\n  addr2line      {b:?}\n  llvm-addr2line {:?}",
            p.frames[i],
            p.probes[i],
            llvm.get(k)
        ));
    }
    for (k, n) in &kinds {
        println!("  differs, {k}: {n}");
    }
    if !diffs.is_empty() {
        fs::write(&p.out, diffs.join("\n") + "\n").unwrap();
        println!("  each difference: {}", p.out.display());
    }
}

/// The `.text` functions of a module with kallsyms' size (to the next
/// symbol of the section, `__pfx_` padding symbols included, as the module
/// loader keeps them).
fn module_symbols(ko: &Path) -> Vec<(u64, String, u64)> {
    use object::{Object, ObjectSection, ObjectSymbol};
    let data = fs::read(ko).unwrap_or_else(|e| panic!("{}: {e}", ko.display()));
    let file = object::File::parse(&*data).expect("an ELF module");
    let text = file.section_by_name(".text").expect("a .text section");
    let mut syms: Vec<(u64, String)> = file
        .symbols()
        .filter(|s| s.section_index() == Some(text.index()))
        .filter(|s| {
            matches!(
                s.kind(),
                object::SymbolKind::Text | object::SymbolKind::Unknown
            )
        })
        .filter_map(|s| Some((s.address(), s.name().ok()?.to_string())))
        .filter(|(_, n)| !n.is_empty() && !n.starts_with(".L"))
        .collect();
    syms.sort();
    syms.dedup();
    let mut out = Vec::with_capacity(syms.len());
    for (i, (a, n)) in syms.iter().enumerate() {
        let next = syms[i + 1..]
            .iter()
            .find(|s| s.0 > *a)
            .map_or(text.size(), |s| s.0);
        out.push((*a, n.clone(), next - a));
    }
    out
}

/// Module frames: `func+0xoff/0xsize [module]` at the module's own call
/// sites, symbolized with `--modules` (the module's directory) and compared
/// with `addr2line -j .text` at the same section offsets.
fn module_pass(o: &Opts, ko: &Path, prefixes: &[String]) {
    let file_name = ko.file_name().unwrap().to_string_lossy().into_owned();
    let module = file_name.split('.').next().unwrap().replace('-', "_");
    println!("module {module} ({}):", ko.display());
    let map = module_symbols(ko);
    let all = calls_by_objdump(&[
        "-j".to_string(),
        ".text".to_string(),
        ko.display().to_string(),
    ]);
    let step = (all.len() / o.module_frames).max(1);
    let mut picks: Vec<(u64, String)> = Vec::new();
    let mut syms = Vec::new();
    for &ret in all.iter().step_by(step) {
        if picks.len() == o.module_frames {
            break;
        }
        if let Some(s) = symbol_for(&map, ret - 1) {
            picks.push((
                ret,
                format!("{}+{:#x}/{:#x} [{module}]", s.1, ret - s.0, s.2),
            ));
            syms.push(s.clone());
        }
    }
    let frames: Vec<String> = picks.iter().map(|p| p.1.clone()).collect();
    let log: String = frames
        .chunks(20)
        .enumerate()
        .map(|(i, c)| report(c, i + 1))
        .collect();
    let args = SymbolizeArgs {
        modules: Some(ko.parent().unwrap().to_path_buf()),
        ..SymbolizeArgs::default()
    };
    let sym = Symbolizer::new(&args).expect("module directory");
    let mut reports = splatdec::decode_str(&log, "modules.log");
    let t = Instant::now();
    for r in &mut reports {
        sym.symbolize(r);
    }
    let secs = t.elapsed().as_secs_f64();
    for m in sym.take_messages() {
        println!("  symbolizer said: {m}");
    }
    println!(
        "  {} frames of {} call sites in {secs:.3} s (module opened on the first frame)",
        frames.len(),
        all.len()
    );
    let ours = chains_of(&reports);
    let probes: Vec<u64> = picks.iter().map(|p| p.0 - 1).collect();
    let mut cmd = Command::new("addr2line");
    cmd.args(["-a", "-f", "-i", "-j", ".text", "-e"]).arg(ko);
    for p in &probes {
        cmd.arg(format!("{p:#x}"));
    }
    let out = cmd.output().expect("binutils addr2line");
    let theirs = parse_addr2line(&String::from_utf8_lossy(&out.stdout), prefixes);
    agreement(&Pass {
        image: ko,
        frames: &frames,
        probes: &probes,
        syms: &syms,
        all: &map,
        ours: &ours,
        theirs: &theirs,
        prefixes,
        out: o.dir.join(format!("differences-{module}.txt")),
        llvm_names: false,
    });
}

/// Each printed frame's chain: its inline frames, then itself.
fn chains_of(reports: &[splatdec::Report]) -> Vec<Chain> {
    let mut ours: Vec<Chain> = Vec::new();
    for r in reports {
        let mut cur: Chain = Vec::new();
        for f in &r.backtrace {
            cur.push((
                f.base.to_string(),
                f.file.clone().unwrap_or_default(),
                f.line.unwrap_or(0),
            ));
            if !f.inline {
                ours.push(std::mem::take(&mut cur));
            }
        }
    }
    ours
}

fn main() {
    let o = parse_args();
    fs::create_dir_all(&o.dir).unwrap();
    let map_path = o.system_map.clone().unwrap_or_else(|| {
        let name = o.vmlinux.file_name().unwrap().to_string_lossy();
        o.vmlinux
            .with_file_name(name.replacen("vmlinux", "System.map", 1))
    });
    let map = system_map(&map_path);
    let find = |n: &str| map.iter().find(|s| s.1 == n).map(|s| s.0);
    let (stext, etext) = (find("_stext").unwrap_or(map[0].0), find("_etext").unwrap());
    let t = Instant::now();
    // objdump over the whole text takes a while: its call sites are kept
    // per vmlinux (by file name and size) for the next run.
    let size = fs::metadata(&o.vmlinux).map(|m| m.len()).unwrap_or(0);
    let cache = o.dir.join(format!(
        "call-sites-{}-{size}.txt",
        o.vmlinux.file_name().unwrap().to_string_lossy()
    ));
    let all: Vec<u64> = match fs::read_to_string(&cache) {
        Ok(text) => text
            .lines()
            .filter_map(|l| u64::from_str_radix(l, 16).ok())
            .collect(),
        Err(_) => {
            let all = call_sites(&o.vmlinux, stext, etext);
            let text: String = all.iter().map(|a| format!("{a:x}\n")).collect();
            fs::write(&cache, text).unwrap();
            all
        }
    };
    eprintln!(
        "objdump: {} call sites in {:.1} s",
        all.len(),
        t.elapsed().as_secs_f64()
    );
    // Evenly spaced picks whose call lies in a System.map text symbol.
    let mut picks: Vec<(u64, String)> = Vec::new();
    let step = (all.len() / o.frames).max(1);
    for &ret in all.iter().step_by(step) {
        if picks.len() == o.frames {
            break;
        }
        if let Some((a, name, size)) = symbol_for(&map, ret - 1) {
            picks.push((ret, format!("{name}+{:#x}/{size:#x}", ret - a)));
        }
    }
    let frames: Vec<String> = picks.iter().map(|p| p.1.clone()).collect();
    let mut log = String::new();
    for (i, chunk) in frames.chunks(20).enumerate() {
        log.push_str(&report(chunk, i + 1));
    }
    let log_path = o.dir.join("frames.log");
    fs::write(&log_path, &log).unwrap();
    let addrs: String = picks.iter().map(|p| format!("{:#x}\n", p.0 - 1)).collect();
    fs::write(o.dir.join("addresses.txt"), &addrs).unwrap();
    println!("frames: {} (of {} call sites)", frames.len(), all.len());

    // splatdec in-process: open, first frame, then everything.
    let args = SymbolizeArgs {
        vmlinux: Some(o.vmlinux.clone()),
        ..SymbolizeArgs::default()
    };
    let t = Instant::now();
    let sym = Symbolizer::new(&args).expect("vmlinux opens");
    let open = t.elapsed();
    let mut first = splatdec::decode_str(&report(&frames[..1], 0), "first");
    sym.symbolize(&mut first[0]);
    let first_frame = t.elapsed();
    let (anon0, file0) = (status_kb("RssAnon") / 1024, status_kb("RssFile") / 1024);
    let mut reports = splatdec::decode_str(&log, "frames.log");
    let t = Instant::now();
    for r in &mut reports {
        sym.symbolize(r);
    }
    let all_time = t.elapsed();
    println!("after the first frame: RssAnon {anon0} MB, RssFile {file0} MB");
    let msgs = sym.take_messages();
    if !msgs.is_empty() {
        println!("symbolizer said: {msgs:?}");
    }
    println!(
        "splatdec (in-process): open {:.1} ms, first frame {:.1} ms, {} frames in {:.3} s = {:.0} frames/s; VmHWM {} MB (now: RssAnon {} MB, RssFile {} MB)",
        open.as_secs_f64() * 1e3,
        first_frame.as_secs_f64() * 1e3,
        frames.len(),
        all_time.as_secs_f64(),
        frames.len() as f64 / all_time.as_secs_f64(),
        status_kb("VmHWM") / 1024,
        status_kb("RssAnon") / 1024,
        status_kb("RssFile") / 1024
    );
    let ours = chains_of(&reports);

    // One addr2line process over every address.
    let t = Instant::now();
    let mut child = Command::new("addr2line")
        .args(["-a", "-f", "-i", "-e"])
        .arg(&o.vmlinux)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("binutils addr2line");
    {
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(addrs.as_bytes()).unwrap();
    }
    let out = child.wait_with_output().unwrap();
    let a2l_time = t.elapsed();
    println!(
        "addr2line (one process): {:.2} s = {:.0} frames/s",
        a2l_time.as_secs_f64(),
        frames.len() as f64 / a2l_time.as_secs_f64()
    );
    let comp_dir = sym
        .vmlinux()
        .and_then(|v| v.comp_dir(picks[0].0 - 1))
        .unwrap_or_default();
    // binutils writes the build directory in more than one way; our paths
    // have it removed (and its parent: the source tree).
    let mut prefixes = vec![format!("{comp_dir}/")];
    let mut parts: Vec<&str> = comp_dir.split('/').collect();
    while parts.len() > 1 {
        parts.pop();
        let p = parts.join("/");
        if let Some(rel) = comp_dir.strip_prefix(&format!("{p}/")) {
            prefixes.push(format!("{rel}/"));
        }
    }
    let theirs = parse_addr2line(&String::from_utf8_lossy(&out.stdout), &prefixes);
    let syms: Vec<(u64, String, u64)> = picks
        .iter()
        .map(|p| symbol_for(&map, p.0 - 1).unwrap().clone())
        .collect();
    agreement(&Pass {
        image: &o.vmlinux,
        frames: &frames,
        probes: &picks.iter().map(|p| p.0 - 1).collect::<Vec<_>>(),
        syms: &syms,
        all: &map,
        ours: &ours,
        theirs: &theirs,
        prefixes: &prefixes,
        out: o.dir.join("differences.txt"),
        llvm_names: true,
    });
    for ko in &o.modules {
        module_pass(&o, ko, &prefixes);
    }

    // The command, as a user runs it: wall time and peak RSS.
    let bin = std::env::current_exe()
        .unwrap()
        .parent()
        .and_then(|p| p.parent())
        .map(|p| p.join("splatdec"))
        .unwrap();
    if bin.exists() && Path::new("/usr/bin/time").exists() {
        let out = Command::new("/usr/bin/time")
            .args(["-f", "%e %M"])
            .arg(&bin)
            .arg("--vmlinux")
            .arg(&o.vmlinux)
            .arg("--format")
            .arg("json")
            .arg(&log_path)
            .stdout(Stdio::null())
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        let last = err.lines().last().unwrap_or("");
        let mut w = last.split_whitespace();
        let wall: f64 = w.next().and_then(|x| x.parse().ok()).unwrap_or(0.0);
        let rss: u64 = w.next().and_then(|x| x.parse().ok()).unwrap_or(0);
        println!(
            "splatdec --vmlinux --format json frames.log: {wall:.2} s wall (whole run: decode, symbolize, walk, classify, render), peak RSS {} MB",
            rss / 1024
        );
    }

    // decode_stacktrace.sh on a subset.
    if let Some(script) = &o.script {
        let n = o.script_frames.min(frames.len());
        let subset: String = frames[..n].iter().map(|f| format!(" {f}\n")).collect();
        let t = Instant::now();
        let mut child = Command::new("bash")
            .arg(script)
            .arg(&o.vmlinux)
            .arg(
                comp_dir
                    .rsplit_once("/debian/")
                    .map_or(comp_dir.as_str(), |x| x.0),
            )
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("bash");
        child
            .stdin
            .take()
            .unwrap()
            .write_all(subset.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        let secs = t.elapsed().as_secs_f64();
        let decoded = String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter(|l| l.contains('('))
            .count();
        println!(
            "decode_stacktrace.sh: {n} frames in {secs:.1} s = {:.2} frames/s ({decoded} decoded); 1,000 frames would take ~{:.0} s",
            n as f64 / secs,
            secs / n as f64 * 1000.0
        );
    }
}
