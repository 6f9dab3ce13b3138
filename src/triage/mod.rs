//! Bulk triage: every report of many logs, deduplicated and counted.
//!
//! A syzkaller workdir with thousands of crash directories, a folder of CI
//! console logs, a 2 GB serial capture: `splatdec triage PATH...` answers
//! what kinds of splat there are, how many distinct ones, which are real and
//! which are known false positives.
//!
//! ```text
//! paths --inputs--> units --(rayon: decode, walk, classify)--> sightings
//!       --signature--> cells --group--> rows --output--> table | jsonl | csv
//! ```
//!
//! * [`inputs`] finds the units (files, standard input, syzkaller crash
//!   directories) in a fixed order and opens each as a decompressed stream;
//! * each unit is decoded on a rayon worker through the streaming decoder
//!   (one fixed read buffer; a report's analysis is reduced to a small
//!   [`signature::Sighting`] and dropped at once), so memory does not grow
//!   with input size;
//! * [`signature`] says which reports are the same bug;
//! * [`group`] counts them in cells whose merge does not depend on order,
//!   so output is the same for any thread count;
//! * [`output`] writes the summary and the rows.
//!
//! An input that cannot be opened, or whose stream breaks (a truncated
//! archive), is listed with the reason; reports decoded before the break
//! still count, the run goes on, and the exit status is 2.

pub mod baseline;
pub mod group;
pub mod html;
pub mod inputs;
pub mod output;
pub mod signature;

use std::io::{self, BufWriter, IsTerminal, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rayon::prelude::*;

use crate::input::LineReader;
use crate::kernel::version::KernelVersion;
use crate::{Analysis, Decoder};
pub use group::GroupBy;
use group::{add, Cell, CellKey, Cells, Seen};
use inputs::{InputError, Unit};
pub use output::Format;

/// A whole `splatdec triage` run, as [`run`] takes it: the inputs, how to
/// decode them and how to show the groups. The command line fills it from
/// its options; a library user builds it directly.
#[derive(Debug, Clone)]
pub struct TriageArgs {
    /// Files and directories to read; `-` is standard input.
    pub paths: Vec<PathBuf>,
    /// Output format.
    pub format: Format,
    /// What one output row stands for.
    pub group_by: GroupBy,
    /// Only the N largest groups (the table shows 20 unless told).
    pub top: Option<usize>,
    /// Worker threads (`None`: one per CPU).
    pub jobs: Option<u16>,
    /// Kernel version whose rules the allocation-context walk uses,
    /// overriding the version each report prints.
    pub kernel: Option<KernelVersion>,
    /// Extra knowledge-base files; their entries take precedence over the
    /// built-in ones.
    pub kb: Vec<PathBuf>,
    /// Extra known-issues files, matched before the built-in entries.
    pub known: Vec<PathBuf>,
    /// A previous `triage --format jsonl` output to mark groups against.
    pub baseline: Option<PathBuf>,
    /// Debug images for symbolizing the reports' frames.
    pub symbols: crate::symbolize::SymbolizeArgs,
}

impl TriageArgs {
    /// Triage `paths` with the defaults: the table, grouped by signature,
    /// built-in knowledge, no debug images.
    pub fn new(paths: Vec<PathBuf>) -> Self {
        TriageArgs {
            paths,
            format: Format::Table,
            group_by: GroupBy::Signature,
            top: None,
            jobs: None,
            kernel: None,
            kb: Vec::new(),
            known: Vec::new(),
            baseline: None,
            symbols: crate::symbolize::SymbolizeArgs::default(),
        }
    }
}

/// How a triage run goes.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Worker threads; `None` for one per CPU.
    pub jobs: Option<usize>,
    /// Draw a progress bar on stderr (only when it is a terminal).
    pub progress: bool,
    /// How reports are decoded, symbolized and walked (`--kernel`, `--kb`,
    /// `--vmlinux`/`--modules`/`--debuginfo`).
    pub decoder: Decoder,
    /// Keep each group's first report decoded, and its lock graph
    /// ([`group::Detail`], for `--format html`).
    pub details: bool,
}

/// Everything a run found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outcome {
    /// Every report's cell: the counts per (signature, title, verdict, rule,
    /// known issue), merged across inputs.
    pub cells: Cells,
    /// Units read (files, standard input, crash directories).
    pub inputs: usize,
    /// Of which syzkaller crash directories.
    pub crash_dirs: usize,
    /// Files opened.
    pub files: usize,
    /// Bytes of text decoded (after decompression).
    pub bytes: u64,
    /// Reports decoded.
    pub reports: u64,
    /// What could not be read: paths that could not be listed first (in
    /// argument order), then inputs that failed, in input order.
    pub errors: Vec<InputError>,
}

/// What one unit gave.
#[derive(Default)]
struct UnitResult {
    cells: Cells,
    files: usize,
    bytes: u64,
    reports: u64,
    errors: Vec<InputError>,
}

/// Triage `paths`.
pub fn triage(paths: &[PathBuf], opts: &Options) -> io::Result<Outcome> {
    let (units, mut errors) = inputs::discover(paths);
    let bar = progress_bar(&units, opts.progress);
    let mut pool = rayon::ThreadPoolBuilder::new();
    if let Some(n) = opts.jobs {
        pool = pool.num_threads(n.max(1));
    }
    let pool = pool.build().map_err(io::Error::other)?;
    let results: Vec<UnitResult> = pool.install(|| {
        units
            .par_iter()
            .enumerate()
            .map(|(i, u)| read_unit(i, u, &bar, &opts.decoder, opts.details))
            .collect()
    });
    bar.finish_and_clear();
    let mut out = Outcome {
        inputs: units.len(),
        crash_dirs: units
            .iter()
            .filter(|u| matches!(u, Unit::CrashDir { .. }))
            .count(),
        ..Outcome::default()
    };
    for r in results {
        out.files += r.files;
        out.bytes += r.bytes;
        out.reports += r.reports;
        errors.extend(r.errors);
        for (k, c) in r.cells {
            add(&mut out.cells, k, c);
        }
    }
    out.errors = errors;
    Ok(out)
}

fn progress_bar(units: &[Unit], wanted: bool) -> ProgressBar {
    if !wanted {
        return ProgressBar::hidden();
    }
    let total: u64 = units.iter().map(Unit::size).sum();
    let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
    if let Ok(style) = ProgressStyle::with_template(
        "{elapsed_precise} [{wide_bar}] {bytes}/{total_bytes} {bytes_per_sec}",
    ) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}

/// Counts decoded bytes for [`Outcome::bytes`].
struct TextCount<R> {
    inner: R,
    n: Arc<AtomicU64>,
}

impl<R: Read> Read for TextCount<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.n.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// One decoded report of a unit, reduced to what grouping needs.
struct Found {
    key: CellKey,
    cell: Cell,
}

fn found(a: &Analysis, unit: usize, ordinal: u64) -> Found {
    let s = signature::sighting(&a.report);
    let seen = Seen {
        unit,
        ordinal,
        source: a.report.source.clone(),
        line: a.report.line,
    };
    Found {
        cell: Cell::new(&s, seen),
        key: CellKey {
            signature: s.signature,
            title: s.title,
            verdict: a.verdict.class,
            rule: a.verdict.rule.clone(),
            known: a.known.as_ref().map(|k| k.id.clone()),
        },
    }
}

/// Decode one file (or standard input) into `on`, counting what was read.
fn decode_file(
    path: Option<&std::path::Path>,
    decoder: &Decoder,
    bar: &ProgressBar,
    res: &mut UnitResult,
    on: &mut dyn FnMut(Analysis),
) {
    let source = path.map_or_else(|| "-".to_string(), |p| p.display().to_string());
    let opened = match path {
        None => crate::input::open::open_reader(Box::new(io::stdin())),
        Some(p) => {
            let bar = bar.clone();
            inputs::open(p, move |n| bar.inc(n))
        }
    };
    let reader = match opened {
        Ok(r) => r,
        Err(e) => {
            res.errors.push(InputError {
                reason: e.to_string(),
                path: source,
            });
            return;
        }
    };
    res.files += 1;
    let n = Arc::new(AtomicU64::new(0));
    let counted = Box::new(TextCount {
        inner: reader,
        n: n.clone(),
    });
    let (header_lines, reader) = inputs::sniff_header(counted);
    let decoder = decoder.clone().with_source(source.as_str());
    let result = decode_stream(reader, &decoder, header_lines, on);
    res.bytes += n.load(Ordering::Relaxed);
    if let Err(e) = result {
        res.errors.push(InputError {
            reason: e.to_string(),
            path: source,
        });
    }
}

/// The streaming decoder with a header skipped: lines keep their numbers.
fn decode_stream(
    reader: Box<dyn Read + Send>,
    decoder: &Decoder,
    skip: u64,
    on: &mut dyn FnMut(Analysis),
) -> io::Result<()> {
    // A syzkaller testdata file ends its log at `REPORT:`: the expected
    // report after it is syzkaller's output, not log text, and would
    // count every report twice.
    let reader: Box<dyn Read + Send> = if skip > 0 {
        Box::new(inputs::UntilExpectedReport::new(reader))
    } else {
        reader
    };
    let mut lines = LineReader::new(reader);
    for _ in 0..skip {
        if lines.next_raw()?.is_none() {
            return Ok(());
        }
    }
    decoder.decode_lines_analyzed(&mut lines, on)
}

fn read_unit(
    index: usize,
    unit: &Unit,
    bar: &ProgressBar,
    decoder: &Decoder,
    details: bool,
) -> UnitResult {
    let mut res = UnitResult::default();
    match unit {
        Unit::Stdin | Unit::File(_) => {
            let path = match unit {
                Unit::File(p) => Some(p.as_path()),
                _ => None,
            };
            let mut cells = Cells::new();
            let mut ordinal = 0;
            decode_file(path, decoder, bar, &mut res, &mut |a| {
                let mut f = found(&a, index, ordinal);
                ordinal += 1;
                // The first report of a cell in this unit is the earliest
                // the unit has: only it can be the cell's detail.
                if details && !cells.contains_key(&f.key) {
                    f.cell.detail = Some(Arc::new(group::Detail::of(&a)));
                }
                add(&mut cells, f.key, f.cell);
            });
            res.reports = ordinal;
            res.cells = cells;
        }
        Unit::CrashDir { reports, logs, .. } => {
            // One bug: the first report names it, every report counts.
            let mut bug: Option<Found> = None;
            let mut ordinal = 0;
            for set in [reports, logs] {
                for file in set {
                    decode_file(Some(file), decoder, bar, &mut res, &mut |a| {
                        let f = found(&a, index, ordinal);
                        ordinal += 1;
                        match &mut bug {
                            None => {
                                let mut f = f;
                                if details {
                                    f.cell.detail = Some(Arc::new(group::Detail::of(&a)));
                                }
                                bug = Some(f)
                            }
                            Some(b) => {
                                b.cell.count += 1;
                                b.cell.last = f.cell.last;
                            }
                        }
                    });
                }
                if bug.is_some() {
                    break;
                }
            }
            res.reports = ordinal;
            if let Some(mut b) = bug {
                b.cell.crash_dirs = 1;
                add(&mut res.cells, b.key, b.cell);
            }
        }
    }
    res
}

/// The `splatdec triage` command: run, print, and say how it went. Errors
/// go to `err` (and into the table's summary); the exit status is 2 when
/// some input could not be read or a debug image could not be used.
///
/// `err` must not hold the lock on the process's stderr (pass
/// `io::stderr()`, not `io::stderr().lock()`): when stderr is a terminal
/// the progress bar is drawn on it from the worker threads.
pub fn run(args: &TriageArgs, out: &mut dyn Write, err: &mut dyn Write) -> ExitCode {
    // A baseline that cannot be used stops the run before any input is
    // read: a comparison against half a file would mark old bugs new.
    let baseline = args.baseline.as_deref().map(|p| {
        baseline::Baseline::read(p).and_then(|b| b.check_group_by(args.group_by).map(|_| b))
    });
    let baseline = match baseline {
        None => None,
        Some(Ok(b)) => Some(b),
        Some(Err(e)) => {
            let _ = writeln!(
                err,
                "splatdec: triage: --baseline {}",
                crate::escape::text(&e.to_string())
            );
            return ExitCode::from(2);
        }
    };
    let decoder = match Decoder::new()
        .with_kernel(args.kernel)
        .with_kb_files(&args.kb)
    {
        Ok(d) => d,
        Err(e) => {
            let _ = writeln!(
                err,
                "splatdec: --kb {}",
                crate::escape::text_block(&e.to_string())
            );
            return ExitCode::from(2);
        }
    };
    let decoder = match decoder.with_known_files(&args.known) {
        Ok(d) => d,
        Err(e) => {
            let _ = writeln!(
                err,
                "splatdec: --known {}",
                crate::escape::text_block(&e.to_string())
            );
            return ExitCode::from(2);
        }
    };
    // An unusable debug image is said and the run goes on with the frames
    // as printed (exit status 2 at the end).
    let (decoder, sym_failed) = match decoder.clone().with_symbols(&args.symbols) {
        Ok(d) => (d, false),
        Err(e) => {
            let _ = writeln!(
                err,
                "splatdec: triage: {}; frames are left as printed",
                crate::escape::text_block(&e.to_string())
            );
            (decoder, true)
        }
    };
    let opts = Options {
        jobs: args.jobs.map(usize::from),
        progress: io::stderr().is_terminal(),
        decoder,
        details: args.format == Format::Html,
    };
    let outcome = match triage(&args.paths, &opts) {
        Ok(o) => o,
        Err(e) => {
            let _ = writeln!(err, "splatdec: triage: {e}");
            return ExitCode::from(2);
        }
    };
    for m in opts
        .decoder
        .symbolizer()
        .map(crate::symbolize::Symbolizer::take_messages)
        .unwrap_or_default()
    {
        let _ = writeln!(err, "splatdec: triage: {}", crate::escape::text(&m));
    }
    for e in &outcome.errors {
        let _ = writeln!(
            err,
            "splatdec: triage: {}: {}",
            crate::escape::text(&e.path),
            crate::escape::text(&e.reason)
        );
    }
    let mut w = BufWriter::new(out);
    let view = output::View {
        format: args.format,
        group_by: args.group_by,
        top: args.top,
    };
    // A closed stdout (`| head`) ends the run quietly.
    let _ = output::write_with(&mut w, &outcome, &view, baseline.as_ref()).and_then(|_| w.flush());
    if outcome.errors.is_empty() && !sym_failed {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    }
}
