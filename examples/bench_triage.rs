//! Triage benchmark: generate large, realistic corpora with a seeded RNG
//! and measure decoding speed, report throughput and peak memory, beside
//! `grep -c` over the same files.
//!
//! ```sh
//! cargo run --release --example bench_triage              # defaults below
//! cargo run --release --example bench_triage -- --noise-mb 2048 --reports 100000
//! # the mix taken from other logs (syzkaller's report test data) instead of fixtures/
//! cargo run --release --example bench_triage -- --templates ../shared/corpus/syzkaller-report
//! # some parts only, fewer runs
//! cargo run --release --example bench_triage -- --only long,growth --runs 5
//! ```
//!
//! Corpora written to `--dir` (default `target/bench-triage`):
//!
//! * `noise.log`: `--noise-mb` MiB of ordinary kernel log lines with a
//!   lockdep report every ~4 MiB — the serial-console capture case;
//! * `reports.log`: `--reports` reports back to back with a few noise
//!   lines between them — the syzkaller/CI case — and the same split into
//!   two files for the parallel run;
//! * `long.log`: `--long-reports` long real reports back to back: the
//!   circular dependencies and fs_reclaim reports of 60 lines or more of
//!   `fixtures/real` and `fixtures/labeled`, symbolized and not;
//!   `long-{1,4,16}x.log` the same at 1/16, 4/16 and 16/16 of that, for
//!   how cost grows with the input.
//!
//! And `--corpus DIR` (default: syzkaller's report test data at
//! `../shared/corpus/syzkaller-report` when present) is triaged as it is,
//! one directory of files.
//!
//! Reports are the real splats of `fixtures/` (every report kind), with
//! fresh addresses, pids and timestamps, each printed in one of six prefix
//! styles (printk time, printk time + caller id, syslog, /dev/kmsg,
//! `dmesg -T`, none). Every measurement runs in a child process (this
//! binary, `measure` mode) so that its peak RSS (`VmHWM`) is its own; each
//! figure is the median of `--runs` runs (by CPU time) after a warm-up run.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

/// The allocator the `splatdec` binary uses (mimalloc), counting calls:
/// `stages` prints allocations per report, the other cost a profile shows
/// besides parsing itself.
struct Counting;

static ALLOCATIONS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

use std::alloc::GlobalAlloc;

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: std::alloc::Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        // SAFETY: the caller's contract is passed on unchanged.
        unsafe { mimalloc::MiMalloc.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: std::alloc::Layout) {
        // SAFETY: as above.
        unsafe { mimalloc::MiMalloc.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: std::alloc::Layout, size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        // SAFETY: as above.
        unsafe { mimalloc::MiMalloc.realloc(ptr, layout, size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations() -> u64 {
    ALLOCATIONS.load(std::sync::atomic::Ordering::Relaxed)
}

/// splitmix64: a tiny seeded generator, so the corpus is the same on every
/// run and machine.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    fn pick<'a, T>(&mut self, v: &'a [T]) -> &'a T {
        &v[self.below(v.len() as u64) as usize]
    }
}

/// Ordinary console lines; `#` becomes a number, `@` a hex word.
const NOISE: &[&str] = &[
    "audit: type=1400 audit(1700000000.#:#): avc:  denied  { read } for  pid=# comm=\"syz-executor.#\" name=\"event#\" dev=\"devtmpfs\" ino=# scontext=system_u:system_r:kernel_t:s0",
    "loop#: detected capacity change from 0 to #",
    "EXT4-fs (loop#): mounted filesystem @ without journal. Quota mode: none.",
    "netdevsim netdevsim# netdevsim#: renamed from eth#",
    "IPv6: ADDRCONF(NETDEV_CHANGE): veth#: link becomes ready",
    "bridge0: port #(bridge_slave_#) entered forwarding state",
    "usb #-#: new high-speed USB device number # using dummy_hcd",
    "usb #-#: New USB device found, idVendor=@, idProduct=@, bcdDevice= #.#",
    "kworker/u4:# (#) used greatest stack depth: # bytes left",
    "random: crng reseeded on system resumption",
    "systemd[1]: Started Journal Service.",
    "TCP: request_sock_TCP: Possible SYN flooding on port #. Sending cookies.",
    "device hsr_slave_# entered promiscuous mode",
    "FAT-fs (loop#): Directory bread(block #) failed",
    "syz-executor.#: attempt to access beyond end of device",
    "nbd: couldn't find device at index #",
    "print_req_error: I/O error, dev loop#, sector # op 0x0:(READ) flags 0x0 phys_seg # prio class 0",
    "Bluetooth: hci#: command 0x# tx timeout",
    "ieee80211 phy#: Selected rate control algorithm 'minstrel_ht'",
    "wlan#: Created IBSS using preconfigured BSSID @",
    "overlayfs: upper fs does not support tmpfile.",
    "capability: warning: `syz-executor.#' uses 32-bit capabilities (legacy support in use)",
    "mmap: syz-executor.# (#) uses deprecated remap_file_pages() syscall. See Documentation/mm/remap_file_pages.rst.",
    "x86/PAT: syz-executor.#:# map pfn RAM range req write-combining for [mem 0x@-0x@], got write-back",
    "team0: Port device team_slave_# added",
    "batman_adv: batadv0: Interface activated: batadv_slave_#",
    "sd #:0:0:0: [sda] # 512-byte logical blocks: (# GB/# GiB)",
    "EXT4-fs error (device loop#): ext4_fill_super:#: inode #: comm syz-executor.#: iget: bad i_size value: #",
    "blk_update_request: I/O error, dev nbd#, sector # op 0x1:(WRITE) flags 0x800 phys_seg # prio class 0",
    "hrtimer: interrupt took # ns",
];

const MONTHS: &[&str] = &["Jan", "Feb", "Mar", "Apr", "May", "Jun"];

/// Kernel text with `#`/`@` filled in.
fn fill(t: &str, rng: &mut Rng, out: &mut String) {
    for c in t.chars() {
        match c {
            '#' => out.push_str(&rng.below(5000).to_string()),
            '@' => out.push_str(&format!("{:08x}", rng.next() as u32)),
            c => out.push(c),
        }
    }
}

/// Where the generated lines are in time.
struct Clock {
    usec: u64,
    seq: u64,
}

/// The printk prefix styles reports and noise are printed in.
#[derive(Clone, Copy)]
enum Style {
    Printk,
    PrintkCaller(u32),
    Syslog,
    Kmsg,
    DmesgCtime,
    Plain,
}

impl Style {
    fn pick(rng: &mut Rng) -> Style {
        match rng.below(6) {
            0 => Style::Printk,
            1 => Style::PrintkCaller(1 + rng.below(30000) as u32),
            2 => Style::Syslog,
            3 => Style::Kmsg,
            4 => Style::DmesgCtime,
            _ => Style::Plain,
        }
    }

    fn prefix(self, clock: &mut Clock, out: &mut String) {
        clock.usec += 137;
        clock.seq += 1;
        let (s, us) = (clock.usec / 1_000_000, clock.usec % 1_000_000);
        match self {
            Style::Printk => out.push_str(&format!("[{s:5}.{us:06}] ")),
            Style::PrintkCaller(t) => {
                out.push_str(&format!("[{s:5}.{us:06}][{:>6}] ", format!("T{t}")))
            }
            Style::Syslog => out.push_str(&format!(
                "{} {:2} {:02}:{:02}:{:02} ci-host kernel: [{s:5}.{us:06}] ",
                MONTHS[(s / 2_592_000 % 6) as usize],
                1 + s / 86_400 % 28,
                s / 3600 % 24,
                s / 60 % 60,
                s % 60
            )),
            Style::Kmsg => out.push_str(&format!("4,{},{},-;", clock.seq, clock.usec)),
            Style::DmesgCtime => out.push_str(&format!(
                "[Sat {} {:2} {:02}:{:02}:{:02} 2026] ",
                MONTHS[(s / 2_592_000 % 6) as usize],
                1 + s / 86_400 % 28,
                s / 3600 % 24,
                s / 60 % 60,
                s % 60
            )),
            Style::Plain => {}
        }
    }
}

/// One report template: its kind and its lines, prefixes stripped.
struct Template {
    kind: splatdec::ReportKind,
    lines: Vec<String>,
}

/// The reports of every fixture (or of every file in `from`, such as
/// syzkaller's report test data), as templates that re-decode to one report
/// of the same kind in every prefix style.
fn templates(from: Option<&Path>) -> Vec<Template> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let dirs: Vec<PathBuf> = match from {
        Some(dir) => vec![dir.to_path_buf()],
        None => ["real", "rules", "walk", "formats"]
            .iter()
            .map(|d| root.join(d))
            .collect(),
    };
    templates_of(dirs, from.is_some())
}

/// The long real reports of `fixtures/real` and `fixtures/labeled`: circular
/// dependencies and fs_reclaim reports of 60 lines or more, symbolized
/// (syzbot's `file:line` and `[inline]` frames) and not.
fn long_templates() -> Vec<Template> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    templates_of(vec![root.join("real"), root.join("labeled")], false)
        .into_iter()
        .filter(|t| {
            t.lines.len() >= 60
                && (t.kind == splatdec::ReportKind::CircularDependency
                    || t.lines.iter().any(|l| l.contains("fs_reclaim")))
        })
        .collect()
}

/// Is this template's stack symbolized (syzbot's `file:line` frames)?
fn symbolized(t: &Template) -> bool {
    t.lines
        .iter()
        .filter(|l| l.contains(".c:") || l.contains(".h:"))
        .count()
        >= 5
}

/// The bytes of a log as triage reads it: a syzkaller testdata file's
/// expected report (after its `REPORT:` line) is not log text.
fn log_text(bytes: Vec<u8>) -> Vec<u8> {
    let (header, reader) = splatdec::triage::inputs::sniff_header(Box::new(io::Cursor::new(bytes)));
    let mut out = Vec::new();
    let mut r: Box<dyn io::Read> = if header > 0 {
        Box::new(splatdec::triage::inputs::UntilExpectedReport::new(reader))
    } else {
        reader
    };
    let _ = io::Read::read_to_end(&mut r, &mut out);
    out
}

fn templates_of(dirs: Vec<PathBuf>, any_name: bool) -> Vec<Template> {
    let mut files = Vec::new();
    for dir in dirs {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
            .map(|d| d.filter_map(|e| e.ok()).map(|e| e.path()).collect())
            .unwrap_or_default();
        entries.sort();
        files.extend(
            entries
                .into_iter()
                .filter(|p| any_name || p.extension().is_some_and(|e| e == "txt")),
        );
    }
    let mut out = Vec::new();
    for f in files {
        let Ok(bytes) = std::fs::read(&f) else {
            continue;
        };
        let bytes = log_text(bytes);
        let lines = match splatdec::input::read_lines(&bytes[..]) {
            Ok(l) => l,
            Err(_) => continue,
        };
        for r in splatdec::decode_all(&bytes[..], "t").unwrap_or_default() {
            if !r.interleaved.is_empty() {
                continue;
            }
            let text: Vec<String> = lines
                .iter()
                .filter(|l| l.no >= r.line && l.no <= r.end_line && !l.prefix.kmsg_dict)
                .map(|l| l.text.to_string())
                .collect();
            let t = Template {
                kind: r.kind,
                lines: text,
            };
            // fixtures/formats/ prints one report in many prefix styles;
            // stripped, they are one template, counted once.
            if !out.iter().any(|o: &Template| o.lines == t.lines) && survives(&t) {
                out.push(t);
            }
        }
    }
    out
}

/// Does the template decode to one report of its kind in every style,
/// between noise lines?
fn survives(t: &Template) -> bool {
    let mut rng = Rng(1);
    let mut clock = Clock { usec: 0, seq: 0 };
    (0..6).all(|i| {
        let style = match i {
            0 => Style::Printk,
            1 => Style::PrintkCaller(7),
            2 => Style::Syslog,
            3 => Style::Kmsg,
            4 => Style::DmesgCtime,
            _ => Style::Plain,
        };
        let mut s = String::new();
        noise_line(&mut rng, &mut clock, &mut s);
        report(t, style, &mut rng, &mut clock, &mut s);
        noise_line(&mut rng, &mut clock, &mut s);
        let reps = splatdec::decode_str(&s, "t");
        let ok = reps.len() == 1 && reps[0].kind == t.kind;
        if !ok && std::env::var_os("BENCH_DEBUG").is_some() {
            eprintln!(
                "template {:?} style {i}: {} reports {:?}\n{s}",
                t.kind,
                reps.len(),
                reps.iter().map(|r| r.kind).collect::<Vec<_>>()
            );
        }
        ok
    })
}

fn noise_line(rng: &mut Rng, clock: &mut Clock, out: &mut String) {
    // Noise comes from other tasks: printk time, sometimes a caller id.
    let style = if rng.below(4) == 0 {
        Style::PrintkCaller(1 + rng.below(30000) as u32)
    } else {
        Style::Printk
    };
    style.prefix(clock, out);
    let text = *rng.pick(NOISE);
    fill(text, rng, out);
    out.push('\n');
}

/// A report from `t` with fresh addresses and pids.
fn report(t: &Template, style: Style, rng: &mut Rng, clock: &mut Clock, out: &mut String) {
    let salt = rng.next();
    for line in &t.lines {
        style.prefix(clock, out);
        // New kernel addresses: the 8 hex digits after `ffff8880`.
        let mut rest = line.as_str();
        while let Some(i) = rest.find("ffff888") {
            let (head, tail) = rest.split_at(i);
            out.push_str(head);
            let hex = tail.bytes().take_while(u8::is_ascii_hexdigit).count();
            if hex == 16 {
                out.push_str(&format!(
                    "ffff888{:09x}",
                    (salt ^ hex as u64) & 0xf_ffff_ffff
                ));
            } else {
                out.push_str(&tail[..hex.max(1)]);
            }
            rest = &tail[hex.max(1)..];
        }
        out.push_str(rest);
        out.push('\n');
    }
}

/// Write `reports` reports (or noise up to `noise_bytes`) into `files`.
fn generate(
    paths: &[PathBuf],
    templates: &[Template],
    reports: u64,
    noise_bytes: u64,
    seed: u64,
) -> io::Result<u64> {
    let mut rng = Rng(seed);
    let mut clock = Clock { usec: 0, seq: 0 };
    let mut outs: Vec<BufWriter<File>> = paths
        .iter()
        .map(|p| File::create(p).map(|f| BufWriter::with_capacity(1 << 20, f)))
        .collect::<io::Result<_>>()?;
    let mut written = 0u64;
    let mut made = 0u64;
    let mut buf = String::with_capacity(1 << 16);
    let mut i = 0usize;
    loop {
        buf.clear();
        if noise_bytes > 0 {
            if written >= noise_bytes {
                break;
            }
            // About one report per 4 MiB of noise.
            for _ in 0..200 {
                noise_line(&mut rng, &mut clock, &mut buf);
            }
            if rng.below(210) == 0 {
                report(
                    rng.pick(templates),
                    Style::pick(&mut rng),
                    &mut rng,
                    &mut clock,
                    &mut buf,
                );
                made += 1;
            }
        } else {
            if made >= reports {
                break;
            }
            for _ in 0..1 + rng.below(3) {
                noise_line(&mut rng, &mut clock, &mut buf);
            }
            // Every kind in turn, so each is well represented.
            report(
                &templates[made as usize % templates.len()],
                Style::pick(&mut rng),
                &mut rng,
                &mut clock,
                &mut buf,
            );
            made += 1;
        }
        let n = outs.len();
        outs[i % n].write_all(buf.as_bytes())?;
        written += buf.len() as u64;
        i += 1;
    }
    for o in &mut outs {
        o.flush()?;
    }
    Ok(made)
}

fn vm_hwm_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

/// Child mode: run one measurement and print `seconds reports bytes hwm_kib`.
fn measure(mode: &str, jobs: usize, files: &[PathBuf]) -> io::Result<()> {
    let start = Instant::now();
    let mut written = 0u64;
    let (reports, bytes) = match mode {
        // What `splatdec triage --format jsonl` does.
        "triage" => {
            let opts = splatdec::triage::Options {
                jobs: Some(jobs),
                progress: false,
                decoder: splatdec::Decoder::new(),
                details: false,
            };
            let o = splatdec::triage::triage(files, &opts)?;
            let view = splatdec::triage::output::View {
                format: splatdec::triage::Format::Jsonl,
                group_by: splatdec::triage::GroupBy::Signature,
                top: None,
            };
            splatdec::triage::output::write(&mut io::sink(), &o, &view)?;
            (o.reports, o.bytes)
        }
        // What `splatdec --format jsonl` does: every report's full
        // analysis as one JSON line.
        "full-jsonl" => {
            let decoder = splatdec::Decoder::new().with_source("f");
            let mut n = 0u64;
            let mut bytes = 0u64;
            let mut out = Counted(BufWriter::new(io::sink()), 0);
            for f in files {
                bytes += std::fs::metadata(f)?.len();
                decoder.decode_analyzed(File::open(f)?, &mut |a| {
                    n += 1;
                    let _ = splatdec::render::json::write_line(&mut out, &a);
                })?;
            }
            written = out.1;
            (n, bytes)
        }
        "stages" => return stages(files, None),
        // One stage alone (0 segment, 1 + parse, 2 + analyze, 3 +
        // signature, 4 + JSON line), to profile it: `perf record bench_triage measure 1 ...`.
        "0" | "1" | "2" | "3" | "4" => return stages(files, mode.parse().ok()),
        _ => return Err(io::Error::other("unknown mode")),
    };
    let secs = start.elapsed().as_secs_f64();
    let memo = splatdec::walk::memo::stats();
    println!(
        "{secs} {} {reports} {bytes} {} {written} {} {}",
        cpu_seconds(),
        vm_hwm_kib(),
        memo.hits,
        memo.misses
    );
    Ok(())
}

/// A writer that counts what goes through it.
struct Counted<W>(W, u64);

impl<W: Write> Write for Counted<W> {
    fn write(&mut self, b: &[u8]) -> io::Result<usize> {
        let n = self.0.write(b)?;
        self.1 += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

/// Where one thread's time goes per report: each stage run alone over
/// the whole input (in memory), so the differences are the stage costs.
fn stages(files: &[PathBuf], only: Option<u8>) -> io::Result<()> {
    use splatdec::input::LineReader;
    use splatdec::stages::{drive, Segmenter};
    let mut data = Vec::new();
    for f in files {
        data.extend(std::fs::read(f)?);
    }
    let decoder = splatdec::Decoder::new();
    let mut allocs = Vec::new();
    let mut time = |f: &mut dyn FnMut() -> u64| {
        let (t, a) = (cpu_seconds(), allocations());
        let n = f();
        allocs.push(allocations() - a);
        (cpu_seconds() - t, n)
    };
    let (t_lines, lines) = time(&mut || {
        let mut r = LineReader::new(&data[..]);
        let mut n = 0;
        while let Ok(Some(_)) = r.next_raw() {
            n += 1;
        }
        n
    });
    let run = |work: u8| {
        // Each pass starts with an empty walk memo, as a real run does.
        splatdec::walk::memo::forget();
        let mut n = 0u64;
        let mut seg = Segmenter::new();
        let _ = drive(&mut LineReader::new(&data[..]), &mut seg, &mut |raw| {
            n += 1;
            if work >= 1 {
                let r = splatdec::stages::parse_report(&raw, "f");
                if work >= 2 {
                    let a = decoder.analyze(r);
                    if work >= 3 {
                        std::hint::black_box(splatdec::triage::signature::sighting(&a.report));
                    }
                    if work >= 4 {
                        let _ = splatdec::render::json::write_line(&mut io::sink(), &a);
                    }
                } else {
                    std::hint::black_box(r);
                }
            }
        });
        n
    };
    if let Some(stage) = only {
        let (t, n) = time(&mut || run(stage));
        println!(
            "stage {stage}: {n} reports, {:.1} µs each",
            t * 1e6 / n.max(1) as f64
        );
        return Ok(());
    }
    let (t_seg, reports) = time(&mut || run(0));
    let (t_parse, _) = time(&mut || run(1));
    let before = splatdec::walk::memo::stats();
    let (t_analyze, _) = time(&mut || run(2));
    let after = splatdec::walk::memo::stats();
    let memo = splatdec::walk::memo::MemoStats {
        hits: after.hits - before.hits,
        misses: after.misses - before.misses,
    };
    let (t_sig, _) = time(&mut || run(3));
    let (t_json, _) = time(&mut || run(4));
    let us = |t: f64| t * 1e6 / reports.max(1) as f64;
    println!(
        "{} lines, {reports} reports, {:.1} MB",
        lines,
        data.len() as f64 / 1e6
    );
    let per = |a: u64| a as f64 / reports.max(1) as f64;
    println!("per report, one thread:    CPU µs   allocations");
    let rows = [
        ("read lines (input)", t_lines, allocs[0]),
        ("segment (segment)", t_seg - t_lines, allocs[1] - allocs[0]),
        ("parse (parse)", t_parse - t_seg, allocs[2] - allocs[1]),
        (
            "walk + verdict (analyze)",
            t_analyze - t_parse,
            allocs[3] - allocs[2],
        ),
        (
            "signature (triage)",
            t_sig - t_analyze,
            allocs[4] - allocs[3],
        ),
    ];
    for (name, t, a) in rows {
        println!("  {name:<24} {:7.1} {:11.1}", us(t), per(a));
    }
    println!(
        "  {:<24} {:7.1} {:11.1}  = {:.0} reports/s per core",
        "total (triage)",
        us(t_sig),
        per(allocs[4]),
        reports as f64 / t_sig
    );
    println!(
        "  walk memo: {} of {} stack walks were hits ({:.1}%), {} computed",
        memo.hits,
        memo.hits + memo.misses,
        memo.hit_rate() * 100.0,
        memo.misses
    );
    println!(
        "  {:<24} {:7.1} {:11.1}  (--format jsonl: {:.0} reports/s per core)",
        "+ JSON line (render)",
        us(t_json - t_sig),
        per(allocs[5] - allocs[4]),
        reports as f64 / (t_json - t_sig + t_analyze).max(1e-9)
    );
    Ok(())
}

/// CPU time of this process (all threads), from /proc/self/stat.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the `(comm)`: utime and stime are the 12th and 13th.
    let after = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<&str> = after.split_whitespace().collect();
    let field = |i: usize| f.get(i).and_then(|x| x.parse::<f64>().ok()).unwrap_or(0.0);
    // Clock ticks; USER_HZ is 100 on Linux.
    (field(11) + field(12)) / 100.0
}

struct Run {
    /// Wall-clock seconds.
    secs: f64,
    /// CPU seconds (user + system, all threads).
    cpu: f64,
    reports: u64,
    bytes: u64,
    hwm_kib: u64,
    /// Bytes of output (`full-jsonl`), else 0.
    written: u64,
    /// Stack walks found in the walk memo, and computed.
    memo: splatdec::walk::memo::MemoStats,
}

fn child(mode: &str, jobs: usize, files: &[PathBuf]) -> io::Result<Run> {
    let exe = std::env::current_exe()?;
    let out = Command::new(exe)
        .arg("measure")
        .arg(mode)
        .arg(jobs.to_string())
        .args(files)
        .output()?;
    if !out.status.success() {
        return Err(io::Error::other(
            String::from_utf8_lossy(&out.stderr).into_owned(),
        ));
    }
    let s = String::from_utf8_lossy(&out.stdout);
    let v: Vec<f64> = s
        .split_whitespace()
        .filter_map(|x| x.parse().ok())
        .collect();
    if v.len() != 8 {
        return Err(io::Error::other(format!("bad child output: {s}")));
    }
    Ok(Run {
        secs: v[0],
        cpu: v[1],
        reports: v[2] as u64,
        bytes: v[3] as u64,
        hwm_kib: v[4] as u64,
        written: v[5] as u64,
        memo: splatdec::walk::memo::MemoStats {
            hits: v[6] as u64,
            misses: v[7] as u64,
        },
    })
}

/// The median run of `n` by CPU time, after one warm-up run that fills the
/// page cache (it is not counted).
fn best(n: usize, mut f: impl FnMut() -> io::Result<Run>) -> io::Result<Run> {
    f()?;
    let mut runs = Vec::new();
    for _ in 0..n.max(1) {
        runs.push(f()?);
    }
    runs.sort_by(|a, b| a.cpu.total_cmp(&b.cpu));
    let mid = runs.len() / 2;
    Ok(runs.swap_remove(mid))
}

/// `grep -c ARGS FILE` under /usr/bin/time: wall and CPU seconds, and
/// grep's count.
fn grep(args: &[&str], file: &Path) -> io::Result<Run> {
    let out = Command::new("/usr/bin/time")
        .args(["-f", "%e %U %S", "grep", "-c"])
        .args(args)
        .arg(file)
        .output()?;
    let times: Vec<f64> = String::from_utf8_lossy(&out.stderr)
        .lines()
        .last()
        .unwrap_or("")
        .split_whitespace()
        .filter_map(|x| x.parse().ok())
        .collect();
    if times.len() != 3 {
        return Err(io::Error::other(
            "could not time grep (is /usr/bin/time installed?)",
        ));
    }
    Ok(Run {
        secs: times[0],
        cpu: times[1] + times[2],
        reports: String::from_utf8_lossy(&out.stdout)
            .trim()
            .parse()
            .unwrap_or(0),
        bytes: std::fs::metadata(file)?.len(),
        hwm_kib: 0,
        written: 0,
        memo: Default::default(),
    })
}

fn arg(args: &[String], name: &str, default: u64) -> u64 {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn describe(name: &str, templates: &[Template]) {
    let mut kinds: Vec<_> = templates.iter().map(|t| t.kind).collect();
    kinds.sort();
    kinds.dedup();
    let lines: usize = templates.iter().map(|t| t.lines.len()).sum();
    let bytes: usize = templates
        .iter()
        .flat_map(|t| &t.lines)
        .map(|l| l.len() + 1)
        .sum();
    println!(
        "{name}: {} reports of {} kinds, {:.0} lines and {:.1} KB each on average, {} symbolized",
        templates.len(),
        kinds.len(),
        lines as f64 / templates.len().max(1) as f64,
        bytes as f64 / 1e3 / templates.len().max(1) as f64,
        templates.iter().filter(|t| symbolized(t)).count()
    );
}

fn main() -> io::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("measure") {
        let jobs = args.get(2).and_then(|j| j.parse().ok()).unwrap_or(1);
        let files: Vec<PathBuf> = args.iter().skip(3).map(PathBuf::from).collect();
        return measure(&args[1], jobs, &files);
    }
    let noise_mb = arg(&args, "--noise-mb", 1024);
    let reports = arg(&args, "--reports", 100_000);
    let long_reports = arg(&args, "--long-reports", 40_000);
    let seed = arg(&args, "--seed", 42);
    let runs = arg(&args, "--runs", 3) as usize;
    let path_arg = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .map(PathBuf::from)
    };
    let dir = path_arg("--dir")
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-triage"));
    std::fs::create_dir_all(&dir)?;
    // `--corpus DIR`: a directory of logs triaged as it is (default:
    // syzkaller's report test data beside the checkout, when present).
    let corpus = path_arg("--corpus").or_else(|| {
        let d = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/syzkaller-report");
        d.is_dir().then_some(d)
    });
    // `--only noise,mix,long,growth,corpus`: the parts to run.
    let only = args
        .iter()
        .position(|a| a == "--only")
        .and_then(|i| args.get(i + 1))
        .cloned()
        .unwrap_or_else(|| "noise,mix,long,growth,corpus".into());
    let part = |p: &str| only.split(',').any(|o| o == p);

    // `--templates DIR`: the reports of the logs in DIR instead of fixtures/.
    let from = path_arg("--templates");
    let templates = templates(from.as_deref());
    let long = long_templates();
    describe(
        &format!(
            "mix (from {})",
            from.as_deref()
                .map_or("fixtures/".into(), |p| p.display().to_string())
        ),
        &templates,
    );
    describe(
        "long (fixtures/real and fixtures/labeled: circular and fs_reclaim, 60+ lines)",
        &long,
    );
    println!("seed {seed}");
    let noise = dir.join("noise.log");
    let many = dir.join("reports.log");
    let halves = [dir.join("reports-a.log"), dir.join("reports-b.log")];
    let long_log = dir.join("long.log");
    let t = Instant::now();
    if part("noise") {
        let n = generate(
            std::slice::from_ref(&noise),
            &templates,
            0,
            noise_mb << 20,
            seed,
        )?;
        println!("generated {} ({n} reports)", noise.display());
    }
    if part("mix") {
        let n = generate(
            std::slice::from_ref(&many),
            &templates,
            reports,
            0,
            seed + 1,
        )?;
        generate(&halves, &templates, reports, 0, seed + 1)?;
        println!("generated {} ({n} reports)", many.display());
    }
    if part("long") || part("growth") {
        let n = generate(
            std::slice::from_ref(&long_log),
            &long,
            long_reports,
            0,
            seed + 2,
        )?;
        println!("generated {} ({n} reports)", long_log.display());
    }
    let growth: Vec<(u64, PathBuf)> = if part("growth") {
        let mut g = Vec::new();
        for x in [1u64, 4, 16] {
            let f = dir.join(format!("long-{x}x.log"));
            let n = generate(
                std::slice::from_ref(&f),
                &long,
                long_reports / 16 * x,
                0,
                seed + 2,
            )?;
            g.push((n, f));
        }
        g
    } else {
        Vec::new()
    };
    println!("generated in {:.1} s", t.elapsed().as_secs_f64());

    let mb = |b: u64| b as f64 / 1e6;
    println!();
    println!("Median of {runs} runs by CPU time, after one warm-up run. CPU = user + system");
    println!("seconds of the process (all threads); per-CPU-second rates depend less than wall");
    println!("time on what else the machine is running.");
    println!();
    println!(
        "{:<42} {:>7} {:>7} {:>8} {:>10} {:>13} {:>8}",
        "run", "wall s", "CPU s", "MB/s", "MB/CPU-s", "reports/CPU-s", "peak RSS"
    );
    let line = |name: &str, r: &Run, ours: bool| {
        let rss = if ours {
            format!("{} MB", r.hwm_kib / 1024)
        } else {
            "-".to_string()
        };
        let per_cpu = if ours {
            format!("{:.0}", r.reports as f64 / r.cpu)
        } else {
            format!("({} lines)", r.reports)
        };
        println!(
            "{name:<42} {:>7.2} {:>7.2} {:>8.0} {:>10.0} {:>13} {:>8}",
            r.secs,
            r.cpu,
            mb(r.bytes) / r.secs,
            mb(r.bytes) / r.cpu,
            per_cpu,
            rss
        );
        if ours && r.memo.hits + r.memo.misses > 0 {
            println!(
                "{:<42} walk memo: {:.1}% of {} stack walks were hits, {} computed",
                "",
                r.memo.hit_rate() * 100.0,
                r.memo.hits + r.memo.misses,
                r.memo.misses
            );
        }
        if r.written > 0 {
            println!(
                "{:<42} {:.0} bytes of JSON per report, {:.2}x the input",
                "",
                r.written as f64 / r.reports.max(1) as f64,
                r.written as f64 / r.bytes.max(1) as f64
            );
        }
    };
    let needles = dir.join("needles.txt");
    std::fs::write(
        &needles,
        splatdec::stages::banner_needles().join("\n") + "\n",
    )?;
    let needles = needles.to_string_lossy().into_owned();
    let stages_of = |file: &Path| -> io::Result<()> {
        let out = Command::new(std::env::current_exe()?)
            .args(["measure", "stages", "1"])
            .arg(file)
            .output()?;
        print!("{}", String::from_utf8_lossy(&out.stdout));
        Ok(())
    };
    if part("noise") {
        println!("noise.log: {:.1} MB", mb(std::fs::metadata(&noise)?.len()));
        let g = best(runs, || {
            grep(&["-F", "circular locking dependency"], &noise)
        })?;
        line("  grep -c -F 'circular locking dependency'", &g, false);
        line(
            "  grep -c -F -f needles.txt",
            &best(runs, || grep(&["-F", "-f", needles.as_str()], &noise))?,
            false,
        );
        let r = best(runs, || child("triage", 1, std::slice::from_ref(&noise)))?;
        line("  splatdec triage --jobs 1", &r, true);
        println!(
            "  splatdec CPU time / grep -c one literal: {:.2}x",
            r.cpu / g.cpu.max(0.01)
        );
    }
    if part("mix") {
        println!("reports.log: {:.1} MB", mb(std::fs::metadata(&many)?.len()));
        line(
            "  splatdec triage --jobs 1",
            &best(runs, || child("triage", 1, std::slice::from_ref(&many)))?,
            true,
        );
        line(
            "  splatdec --format jsonl (every report)",
            &best(runs, || child("full-jsonl", 1, std::slice::from_ref(&many)))?,
            true,
        );
        line(
            "  triage --jobs 2 over reports-{a,b}.log",
            &best(runs, || child("triage", 2, &halves))?,
            true,
        );
        println!();
        stages_of(&many)?;
    }
    if part("long") {
        println!(
            "long.log (long real reports back to back): {:.1} MB",
            mb(std::fs::metadata(&long_log)?.len())
        );
        line(
            "  splatdec triage --jobs 1",
            &best(runs, || child("triage", 1, std::slice::from_ref(&long_log)))?,
            true,
        );
        line(
            "  splatdec --format jsonl (every report)",
            &best(runs, || {
                child("full-jsonl", 1, std::slice::from_ref(&long_log))
            })?,
            true,
        );
        println!();
        stages_of(&long_log)?;
    }
    if !growth.is_empty() {
        println!("growth (long reports, triage --jobs 1):");
        for (n, f) in &growth {
            let r = best(runs, || child("triage", 1, std::slice::from_ref(f)))?;
            println!(
                "  {n:>7} reports, {:>6.1} MB: {:>6.2} CPU s, {:>5.1} µs per report, peak RSS {} MB",
                mb(r.bytes),
                r.cpu,
                r.cpu * 1e6 / r.reports.max(1) as f64,
                r.hwm_kib / 1024
            );
        }
    }
    if let (true, Some(c)) = (part("corpus"), corpus.as_ref()) {
        println!(
            "corpus {} as it is (triage over the directory):",
            c.display()
        );
        line(
            "  splatdec triage --jobs 1",
            &best(runs, || child("triage", 1, std::slice::from_ref(c)))?,
            true,
        );
    }
    Ok(())
}
