//! The `splatdec` command: a thin shell over the library.

use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};

use splatdec::check::{self, FailOn};
use splatdec::escape;
use splatdec::graph::LockGraph;
use splatdec::kernel::version::KernelVersion;
use splatdec::render;
use splatdec::render::text::TextOptions;
use splatdec::{Analysis, Decoder, SymbolizeArgs};

/// mimalloc rather than the C library's allocator: a report's model is
/// hundreds of small strings and vectors made and dropped at once, and bulk
/// triage spends a fifth of its time in glibc malloc/free without it.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    /// Readable text: verdict, lock cycle, scenario, held locks, annotated stacks.
    Text,
    /// One JSON document: {"schema":"splatdec/1","reports":[...]}.
    Json,
    /// One JSON report object per line.
    Jsonl,
    /// Markdown for issue trackers: verdict table and the decoded report.
    Markdown,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ColorChoice {
    /// Colour when standard output is a terminal (NO_COLOR turns it off,
    /// CLICOLOR_FORCE turns it on).
    Auto,
    Always,
    Never,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum KnownFormat {
    /// One line per entry: id, kind, verdict, fixed_in, fix commit and subject.
    Table,
    /// {"schema":"splatdec/1","known":[...]}.
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum GraphFormat {
    /// Edges with the functions that created them, then the cycles.
    Text,
    /// Graphviz DOT (cycle edges in red).
    Dot,
    /// An SVG drawing, laid out by splatdec itself (no graphviz needed):
    /// cycle edges red, each edge labelled with its function, pseudo-locks
    /// dashed.
    Svg,
}

/// Where reports come from, shared by decoding, `graph` and `check`.
#[derive(Debug, Args)]
struct InputArgs {
    /// Input files; `-` or none for standard input.
    files: Vec<PathBuf>,
    /// Kernel version whose rules the allocation-context walk uses,
    /// overriding the version the report prints (`4.15`, `v6.6`).
    #[arg(long)]
    kernel: Option<String>,
    /// Extra knowledge-base file(s) (TOML, schema in src/kernel/kb/README.md);
    /// their entries take precedence over the built-in ones.
    #[arg(long = "kb", value_name = "FILE")]
    kb: Vec<PathBuf>,
    /// Extra known-issues file(s) (TOML, `[[known]]` tables, schema in
    /// src/kernel/known/README.md): matched before the built-in entries,
    /// replacing built-in entries with the same id.
    #[arg(long = "known", value_name = "FILE")]
    known: Vec<PathBuf>,
    #[command(flatten)]
    symbols: SymbolArgs,
}

/// Where debug images come from (`--vmlinux`, `--modules`, `--debuginfo`).
#[derive(Debug, Clone, Args)]
struct SymbolArgs {
    /// Kernel image with DWARF for file:line and inline frames (a build's
    /// `vmlinux`, a distro's `/usr/lib/debug/boot/vmlinux-<release>`).
    #[arg(long, value_name = "FILE")]
    vmlinux: Option<PathBuf>,
    /// Directory searched recursively for `<module>.ko` / `<module>.ko.debug`
    /// with DWARF, for `[module]` frames.
    #[arg(long, value_name = "DIR")]
    modules: Option<PathBuf>,
    /// Debug-info directory with a `.build-id/xx/yyyy.debug` tree: finds the
    /// vmlinux and modules by the build ids the log prints
    /// (CONFIG_STACKTRACE_BUILD_ID).
    #[arg(long, value_name = "DIR")]
    debuginfo: Option<PathBuf>,
}

impl SymbolArgs {
    fn lib(&self) -> SymbolizeArgs {
        SymbolizeArgs {
            vmlinux: self.vmlinux.clone(),
            modules: self.modules.clone(),
            debuginfo: self.debuginfo.clone(),
        }
    }
}

/// `splatdec triage`'s options ([`splatdec::triage::TriageArgs`]).
#[derive(Debug, Clone, Args)]
struct TriageOpts {
    /// Files and directories to read; `-` is standard input.
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = TriageFormat::Table)]
    format: TriageFormat,
    /// What one output row stands for.
    #[arg(long, value_enum, default_value_t = TriageGroupBy::Signature)]
    group_by: TriageGroupBy,
    /// Only the N largest groups (the table shows 20 unless told).
    #[arg(long, value_name = "N")]
    top: Option<usize>,
    /// Worker threads (default: one per CPU).
    #[arg(long, short = 'j', value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    jobs: Option<u16>,
    /// Kernel version whose rules the allocation-context walk uses,
    /// overriding the version each report prints (`4.15`, `v6.6`).
    #[arg(long, value_name = "VERSION")]
    kernel: Option<KernelVersion>,
    /// Extra knowledge-base file(s) (TOML, schema in src/kernel/kb/README.md);
    /// their entries take precedence over the built-in ones.
    #[arg(long = "kb", value_name = "FILE")]
    kb: Vec<PathBuf>,
    /// Extra known-issues file(s) (TOML, schema in
    /// src/kernel/known/README.md): matched before the built-in entries,
    /// replacing built-in entries with the same id.
    #[arg(long = "known", value_name = "FILE")]
    known: Vec<PathBuf>,
    /// A previous `triage --format jsonl` output: mark each group `new`,
    /// `still` or `gone` against it, with the counts.
    #[arg(long, value_name = "OLD.jsonl")]
    baseline: Option<PathBuf>,
    /// Debug images for symbolizing the reports' frames.
    #[command(flatten)]
    symbols: SymbolArgs,
}

impl TriageOpts {
    fn lib(&self) -> splatdec::triage::TriageArgs {
        splatdec::triage::TriageArgs {
            paths: self.paths.clone(),
            format: self.format.into(),
            group_by: self.group_by.into(),
            top: self.top,
            jobs: self.jobs,
            kernel: self.kernel,
            kb: self.kb.clone(),
            known: self.known.clone(),
            baseline: self.baseline.clone(),
            symbols: self.symbols.lib(),
        }
    }
}

/// Output formats of `splatdec triage` ([`splatdec::triage::Format`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum TriageFormat {
    /// A summary (by verdict, kind, rule) and the largest groups.
    Table,
    /// One JSON object per group.
    Jsonl,
    /// One CSV row per group, with a header row.
    Csv,
    /// One self-contained HTML page: charts, a sortable and filterable
    /// table, each group's decoded report and lock graph.
    Html,
}

impl From<TriageFormat> for splatdec::triage::Format {
    fn from(f: TriageFormat) -> Self {
        use splatdec::triage::Format;
        match f {
            TriageFormat::Table => Format::Table,
            TriageFormat::Jsonl => Format::Jsonl,
            TriageFormat::Csv => Format::Csv,
            TriageFormat::Html => Format::Html,
        }
    }
}

/// What triage rows are grouped by ([`splatdec::triage::GroupBy`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum TriageGroupBy {
    /// One row per signature: distinct bugs.
    Signature,
    /// One row per title, as syzbot groups.
    Title,
    /// One row per classifier rule.
    Rule,
    /// One row per verdict class.
    Verdict,
}

impl From<TriageGroupBy> for splatdec::triage::GroupBy {
    fn from(g: TriageGroupBy) -> Self {
        use splatdec::triage::GroupBy;
        match g {
            TriageGroupBy::Signature => GroupBy::Signature,
            TriageGroupBy::Title => GroupBy::Title,
            TriageGroupBy::Rule => GroupBy::Rule,
            TriageGroupBy::Verdict => GroupBy::Verdict,
        }
    }
}

/// Decode Linux kernel lockdep splats from dmesg-like text.
///
/// Reads each FILE (or standard input when none is given, or for `-`),
/// finds every lockdep report (and the related sleeping-in-atomic,
/// scheduling-while-atomic and hung-task held-lock reports) whatever the
/// log prefixes (printk timestamps, caller ids, syslog/journalctl,
/// /dev/kmsg, dmesg -T/-x, mail quoting), and prints each with its verdict,
/// lock cycle and allocation context.
///
/// An input that is mail (an mbox such as a lore `t.mbox.gz` thread
/// export, a single .eml message, a maildir; recognised by its content) is
/// read as mail: MIME and transfer encodings are decoded, and each
/// distinct report is shown once, with the message that first posted it
/// (see `splatdec mail`).
///
/// Output is plain text, 80 columns, no escape codes when not on a
/// terminal: safe to paste into mail (`--quote` for an inline reply).
///
/// Exit status: 0 when every input was read (with or without reports),
/// 2 when some input could not be read (the others are still processed)
/// or an option was wrong.
#[derive(Debug, Parser)]
#[command(
    name = "splatdec",
    version,
    after_help = "Examples:\n  dmesg | splatdec\n  splatdec console.log other.log\n  journalctl -k | splatdec --format jsonl\n  splatdec --explain --quote splat.txt > reply.txt\n  splatdec --format markdown splat.txt\n  splatdec --kernel 4.17 fixtures/real/001-fs-reclaim-recursive-btrfs-releasepage.txt\n  splatdec graph --format dot *.log | dot -Tsvg > locks.svg\n  splatdec check --suppress known.toml ci-console.log\n  splatdec mail t.mbox.gz\n  splatdec gfp 0x14102c0 --kernel 4.15"
)]
#[command(args_conflicts_with_subcommands = true)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    input: InputArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    #[command(flatten)]
    render: RenderArgs,
}

/// How decoded reports are written out: shared by the default command and
/// `mail`, so the two cannot drift apart.
#[derive(Debug, Args)]
struct RenderArgs {
    /// Add each verdict's explanation, evidence and every rule that fired.
    #[arg(long)]
    explain: bool,
    /// Show unreliable (`?`) and lockdep/stack-dump frames instead of
    /// folding them into a count.
    #[arg(long)]
    full: bool,
    /// Wrap text output at this many columns (a `mail --reply` is always 72).
    #[arg(long, default_value_t = 80, value_parser = clap::value_parser!(u16).range(20..))]
    width: u16,
    /// Prefix every text line with `> ` for replying inline in mail.
    #[arg(long)]
    quote: bool,
    /// When to colour text output.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    color: ColorChoice,
}

impl RenderArgs {
    /// The text renderer's options; colour only for text on a terminal
    /// that wants it (`plain` forces it off: files, replies).
    fn text_options(&self, format: Format, plain: bool) -> TextOptions {
        TextOptions {
            width: usize::from(self.width),
            full: self.full,
            explain: self.explain,
            quote: self.quote,
            color: format == Format::Text && !plain && use_color(self.color),
        }
    }
}

#[derive(Debug, Subcommand)]
enum Command {
    /// The lock dependency graph of the reports.
    ///
    /// Lock classes are nodes; an edge A -> B means B was taken while A was
    /// held, labelled with the function that took it. Edges of all reports
    /// are merged; cycles are highlighted, and a cycle that no single
    /// report shows (it only closes when reports are merged) is pointed out.
    #[command(
        after_help = "Examples:\n  splatdec graph console.log\n  splatdec graph --format svg *.log > locks.svg\n  splatdec graph --format dot a.log b.log | dot -Tsvg > locks.svg"
    )]
    Graph {
        #[command(flatten)]
        input: InputArgs,
        /// Output format.
        #[arg(long, value_enum, default_value_t = GraphFormat::Text)]
        format: GraphFormat,
    },
    /// Gate CI on verdicts: exit 1 when a report must fail the job.
    ///
    /// Fails on true_deadlock and locking_bug by default; `--fail-on` takes
    /// any verdict class, any report kind (`held_locks_dump` for hung
    /// tasks) or `any`.
    /// `--suppress FILE` is TOML with one [[suppress]] table per known
    /// issue: any of `title` (regex), `locks` (classes that must all be
    /// involved), `rule`, `kind`; a required `reason`; optional `expires`
    /// (YYYY-MM-DD). An entry matches when all its keys match. Expired
    /// entries stop suppressing and are reported; unused ones are listed.
    ///
    /// `--baseline OLD.jsonl` (a previous `splatdec triage --format jsonl`)
    /// fails only on findings whose group OLD does not have.
    ///
    /// Exit status: 0 nothing to fail on, 1 findings, 2 usage or input
    /// errors (an unreadable input, a bad suppressions or baseline file).
    #[command(
        after_help = "Examples:\n  splatdec check console.log\n  splatdec check --fail-on any --suppress known-splats.toml *.log\n  splatdec check --fail-on rt_only,held_locks_dump console.log\n  splatdec check --baseline last-week.jsonl console.log\n\nSuppressions file:\n  [[suppress]]\n  title = \"possible deadlock in xfs_reclaim_inode\"\n  locks = [\"fs_reclaim\"]\n  reason = \"XFS inode reclaim false positive, fixed by __GFP_NOLOCKDEP\"\n  expires = \"2027-06-30\""
    )]
    Check {
        #[command(flatten)]
        input: InputArgs,
        /// What fails the job (comma-separated or repeated): verdict classes
        /// (true_deadlock, false_positive, rt_only, locking_bug,
        /// lockdep_internal, undetermined), report kinds (held_locks_dump
        /// fails on hung tasks, whatever their verdict), or any (every class
        /// but false_positive and undetermined).
        #[arg(long, value_delimiter = ',', default_values_t = ["true_deadlock".to_string(), "locking_bug".to_string()])]
        fail_on: Vec<String>,
        /// Known issues that must not fail the job (TOML).
        #[arg(long, value_name = "FILE")]
        suppress: Option<PathBuf>,
        /// A previous `triage --format jsonl` output: findings whose group
        /// it has are listed as known and do not fail; only new ones do.
        #[arg(long, value_name = "OLD.jsonl")]
        baseline: Option<PathBuf>,
    },
    /// Decode the splats of mail threads, each with the message that first
    /// posted it.
    ///
    /// Reads mboxes (a lore/public-inbox `t.mbox.gz` thread export is one),
    /// single messages (.eml), maildirs and directories of messages,
    /// compressed or not; what an input is comes from its content. MIME,
    /// quoted-printable, base64, RFC 2047 headers and charsets are decoded
    /// by the mail-parser crate, format=flowed is undone. Each distinct
    /// report (by the triage signature) is attributed to the first message
    /// carrying it, by Date and then reading order, with its Message-Id,
    /// From, Date and Subject; later messages carrying it (quoting it in a
    /// reply, or posting it again) are listed as its replies. A quoted copy
    /// cut short counts as a copy of the whole report of the same kind and
    /// title posted before it.
    ///
    /// `--reply MESSAGE-ID` writes a reply to that message instead: To, Cc,
    /// `Subject: Re:`, In-Reply-To and References headers, each report it
    /// carries quoted as posted (kernel lines are not re-wrapped) and
    /// splatdec's decode below it at 72 columns, plain text.
    ///
    /// Exit status: 0 when every input was read, 2 when some input or
    /// message could not be read (each is named; the rest is still read),
    /// or the --reply message is not among them.
    #[command(
        after_help = "Examples:\n  splatdec mail t.mbox.gz\n  splatdec mail --format jsonl ~/Mail/lkml/\n  splatdec mail --reply '<20200901.GA1@example.org>' -o reply.txt t.mbox.gz && mutt -H reply.txt"
    )]
    Mail {
        #[command(flatten)]
        input: InputArgs,
        /// Output format (json/jsonl objects carry message_id, from, date,
        /// subject and replies).
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        /// Write a reply to this message (its Message-Id, with or without
        /// the angle brackets) instead of the report list.
        #[arg(long, value_name = "MESSAGE-ID")]
        reply: Option<String>,
        /// Write the output to FILE instead of standard output.
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
        #[command(flatten)]
        render: RenderArgs,
    },
    /// Bulk triage: group the reports of many logs and count them.
    ///
    /// Reads files and directories (recursively), syzkaller workdirs
    /// (crashes/<hash>/ with description, report* and log*: one bug per
    /// directory), syzkaller test-data files, and gzip/xz/zstd logs by
    /// extension, in parallel. Reports are deduplicated by a signature
    /// stable across kernel builds (a circular dependency by its cycle of
    /// lock classes, whichever edge closed it) and listed with counts,
    /// first and last source, verdict and rule, after a summary by verdict,
    /// rule and kind. Unreadable inputs are listed; exit status 2 then.
    #[command(
        after_help = "Examples:\n  splatdec triage ~/syzkaller/workdir\n  splatdec triage --format jsonl --top 20 logs/\n  splatdec triage --group-by rule ci-farm/*.log.gz"
    )]
    Triage(TriageOpts),
    /// List the known issues reports are matched against.
    ///
    /// Each entry is a lockdep report fixed upstream or explained upstream
    /// as a false positive: its id (JSON `known.id`, the triage `known`
    /// column), report kind, upstream verdict, the first release with the
    /// fix, and the fix commit with its subject. A report matches an entry
    /// of its kind when every lock class the entry lists is in the report
    /// and the entry's functions are in its stacks (see README).
    #[command(
        after_help = "Examples:\n  splatdec known\n  splatdec known --format json | jq '.known[].id'\n  splatdec known --known my-known.toml"
    )]
    Known {
        /// Output format.
        #[arg(long, value_enum, default_value_t = KnownFormat::Table)]
        format: KnownFormat,
        /// Extra known-issues file(s), listed first (same schema).
        #[arg(long = "known", value_name = "FILE")]
        known: Vec<PathBuf>,
    },
    /// List the classifier's rules, or explain one.
    ///
    /// Each rule has a stable id (JSON `verdict.rule`), the class it
    /// concludes, its default confidence, the report kinds it looks at, what
    /// it looks for, the kernels it applies to, the fix and references.
    #[command(
        after_help = "Examples:\n  splatdec rules\n  splatdec rules fs-reclaim-nested-memalloc"
    )]
    Rules {
        /// A rule id to explain.
        rule: Option<String>,
    },
    /// Decode a GFP mask or expression for a kernel version.
    ///
    /// Prints the value, the expression the kernel itself prints (%pGg),
    /// each flag with its meaning, and what the mask allows (direct
    /// reclaim, filesystems, I/O, reserves, the lockdep fs_reclaim
    /// annotation). Without --kernel the newest known layout is used.
    #[command(
        after_help = "Examples:\n  splatdec gfp 0x6000c0 --kernel 4.15\n  splatdec gfp 'GFP_NOFS|__GFP_NOWARN'\n  splatdec gfp 'GFP_KERNEL & ~__GFP_FS' --kernel 6.6"
    )]
    Gfp {
        /// A numeric mask (`0x14102c0`) or an expression (`GFP_KERNEL|__GFP_NOWARN`).
        mask: String,
        /// Kernel version whose bit layout applies (`4.15`, `v6.6`, `5.10.2`).
        #[arg(long)]
        kernel: Option<String>,
    },
    /// Print a shell completion script.
    #[command(
        after_help = "Examples:\n  splatdec completions bash > /etc/bash_completion.d/splatdec\n  splatdec completions zsh > ~/.zfunc/_splatdec"
    )]
    Completions { shell: clap_complete::Shell },
    /// Print the manual page (roff).
    #[command(after_help = "Examples:\n  splatdec man > splatdec.1 && man ./splatdec.1")]
    Man,
}

fn run_rules(id: Option<&str>) -> ExitCode {
    match id {
        None => {
            print!("{}", splatdec::classify::rules_list());
            ExitCode::SUCCESS
        }
        Some(id) if id == splatdec::analysis::KNOWN_RULE => {
            print!(
                "{id}\n  class:       the matched known issue's verdict\n  confidence:  medium\n\nNot a classifier rule: no rule decided the report, and it matches a known\nissue (JSON `known`) whose fix its kernel predates or may predate, so the\nverdict takes that issue's class. `splatdec known` lists the known issues.\n"
            );
            ExitCode::SUCCESS
        }
        Some(id) => match splatdec::classify::rule(id) {
            Some(r) => {
                print!("{}", splatdec::classify::rule_text(r));
                ExitCode::SUCCESS
            }
            None => {
                eprintln!(
                    "splatdec: rules: no rule {:?} (`splatdec rules` lists them)",
                    escape::text(id)
                );
                ExitCode::from(2)
            }
        },
    }
}

fn run_gfp(mask: &str, kernel: Option<&str>) -> ExitCode {
    let version = match parse_kernel(kernel) {
        Ok(v) => v,
        Err(code) => return code,
    };
    match splatdec::kernel::gfp::explain(mask, version) {
        Ok(text) => {
            print!("{}", escape::text_block(&text));
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("splatdec: gfp: {}", escape::text_block(&e.to_string()));
            ExitCode::from(2)
        }
    }
}

/// One manual page, splatdec(1), with a section per subcommand. clap_mangen's
/// whole-page render points at `splatdec-check(1)`-style pages for the
/// subcommands, which are not installed anywhere; this page refers to none.
fn render_man(out: &mut dyn Write) -> io::Result<()> {
    let cmd = Cli::command();
    let man = clap_mangen::Man::new(cmd.clone());
    man.render_title(out)?;
    man.render_name_section(out)?;
    man.render_synopsis_section(out)?;
    man.render_description_section(out)?;
    man.render_options_section(out)?;
    for sub in cmd.get_subcommands() {
        if sub.is_hide_set() || sub.get_name() == "help" {
            continue;
        }
        let name = format!("splatdec {}", sub.get_name());
        let sub_man = clap_mangen::Man::new(
            sub.clone()
                .display_name(name.clone())
                .bin_name(name.clone()),
        );
        let mut buf = Vec::new();
        sub_man.render_synopsis_section(&mut buf)?;
        sub_man.render_description_section(&mut buf)?;
        sub_man.render_options_section(&mut buf)?;
        sub_man.render_extra_section(&mut buf)?;
        writeln!(out, ".SH \"{}\"", name.to_uppercase())?;
        // The subcommand's own sections become subsections of its section.
        for line in String::from_utf8_lossy(&buf).lines() {
            match line.strip_prefix(".SH ") {
                Some("EXTRA") => writeln!(out, ".SS NOTES")?,
                Some(title) => writeln!(out, ".SS {title}")?,
                None => writeln!(out, "{line}")?,
            }
        }
    }
    let mut extra = Vec::new();
    man.render_extra_section(&mut extra)?;
    let extra = String::from_utf8_lossy(&extra).replacen(".SH EXTRA", ".SH NOTES", 1);
    out.write_all(extra.as_bytes())?;
    man.render_version_section(out)?;
    Ok(())
}

/// What decoding an input gives: a report of a log, or a distinct report
/// of a mail input (`index` of `total` in that input) with the message
/// that first posted it. Each item is made once and handed on at once,
/// never stored, so a log's analysis is not boxed.
#[allow(clippy::large_enum_variant)]
enum Item {
    Log(Analysis),
    Mail {
        report: Box<splatdec::mail::Distinct>,
        index: usize,
        total: usize,
    },
}

impl Item {
    fn analysis(&self) -> &Analysis {
        match self {
            Item::Log(a) => a,
            Item::Mail { report, .. } => &report.analysis,
        }
    }
}

/// Decode one input, handing each item to `emit`. A log's analyses go out
/// as soon as each report ends (a 2 GB log never sits in memory; a read
/// error still keeps what was decoded before it); mail (recognised by its
/// content: an mbox, a message, a maildir) gives its distinct reports once
/// every message is read. Problems with single messages are said on
/// stderr and set `failed`.
fn decode_input(
    path: &std::path::Path,
    decoder: &Decoder,
    failed: &mut bool,
    emit: &mut dyn FnMut(Item),
) -> io::Result<()> {
    use splatdec::mail::{self, Added};
    // Compressed inputs (gzip, xz, zstd by their magic bytes) are
    // decompressed as they are read; binaries that are not logs refused.
    let mut thread = mail::Thread::new(decoder.clone());
    let mut warnings = Vec::new();
    let added = mail::add_path(&mut thread, path, &mut |w| warnings.push(w));
    for w in &warnings {
        *failed = true;
        eprintln!("splatdec: {}", escape::text(w));
    }
    match added {
        Ok(Added::Log(r)) => decoder
            .clone()
            .with_source(path.display().to_string())
            .decode_analyzed(r, &mut |a| emit(Item::Log(a))),
        other => {
            let reports = thread.finish().reports;
            let total = reports.len();
            for (index, d) in reports.into_iter().enumerate() {
                emit(Item::Mail {
                    report: Box::new(d),
                    index,
                    total,
                });
            }
            other.map(|_| ())
        }
    }
}

fn parse_kernel(s: Option<&str>) -> Result<Option<KernelVersion>, ExitCode> {
    match s.map(str::parse::<KernelVersion>) {
        None => Ok(None),
        Some(Ok(v)) => Ok(Some(v)),
        Some(Err(e)) => {
            eprintln!("splatdec: --kernel: {e}");
            Err(ExitCode::from(2))
        }
    }
}

/// The decoder for `--kernel`, `--kb` and the debug-info options: the
/// built-in knowledge base plus the files' entries, symbolizing when asked.
/// An unusable debug image is said (naming the file) and the frames stay as
/// printed; the second value is then true (exit status 2 at the end).
fn decoder_for(input: &InputArgs) -> Result<(Decoder, bool), ExitCode> {
    let kernel = parse_kernel(input.kernel.as_deref())?;
    let decoder = Decoder::new()
        .with_kernel(kernel)
        .with_kb_files(&input.kb)
        .map_err(|e| {
            eprintln!("splatdec: --kb {}", escape::text_block(&e.to_string()));
            ExitCode::from(2)
        })?
        .with_known_files(&input.known)
        .map_err(|e| known_error(&e))?;
    Ok(with_symbols(decoder, &input.symbols.lib()))
}

/// Say why a `--known` file cannot be used (every problem, one per line).
fn known_error(e: &splatdec::kernel::known::KnownError) -> ExitCode {
    eprintln!("splatdec: --known {}", escape::text_block(&e.to_string()));
    ExitCode::from(2)
}

/// `splatdec known`: the table reports are matched against.
fn run_known(format: KnownFormat, files: &[PathBuf]) -> ExitCode {
    let decoder = match Decoder::new().with_known_files(files) {
        Ok(d) => d,
        Err(e) => return known_error(&e),
    };
    let table = decoder.known();
    let text = match format {
        KnownFormat::Table => splatdec::render::known::table(table),
        KnownFormat::Json => splatdec::render::known::json(table),
    };
    let _ = io::stdout().write_all(text.as_bytes());
    ExitCode::SUCCESS
}

/// `decoder` symbolizing from `args`; an image that cannot be used is said
/// and the decoder goes on without it (true: exit status 2 at the end).
fn with_symbols(decoder: Decoder, args: &SymbolizeArgs) -> (Decoder, bool) {
    match decoder.clone().with_symbols(args) {
        Ok(d) => (d, false),
        Err(e) => {
            eprintln!(
                "splatdec: {}; frames are left as printed",
                escape::text_block(&e.to_string())
            );
            (decoder, true)
        }
    }
}

/// Say what the symbolizer found (a wrong vmlinux, a missing module), once
/// each, as soon as it is found.
fn say_symbolizer(decoder: &Decoder) {
    for m in decoder
        .symbolizer()
        .map(splatdec::Symbolizer::take_messages)
        .unwrap_or_default()
    {
        eprintln!("splatdec: {}", escape::text(&m));
    }
}

/// Decide colour: `--color always/never` win; with `auto`, NO_COLOR turns
/// it off, CLICOLOR_FORCE turns it on, otherwise colour only on a terminal.
fn use_color(choice: ColorChoice) -> bool {
    let set = |k: &str| std::env::var_os(k).is_some_and(|v| !v.is_empty() && v != "0");
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            if std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()) {
                false
            } else {
                set("CLICOLOR_FORCE") || io::stdout().is_terminal()
            }
        }
    }
}

/// Decode every input, handing analyses to `emit` (a mail input's
/// distinct reports, each once); returns whether some input could not be
/// read or a debug image not used (each is named on stderr).
fn for_each_analysis(input: &InputArgs, emit: &mut dyn FnMut(Analysis)) -> Result<bool, ExitCode> {
    for_each_item(input, &mut |i| match i {
        Item::Log(a) => emit(a),
        Item::Mail { report, .. } => emit(report.analysis),
    })
}

/// [`for_each_analysis`] keeping what mail inputs say of each report.
fn for_each_item(input: &InputArgs, emit: &mut dyn FnMut(Item)) -> Result<bool, ExitCode> {
    let (decoder, mut failed) = decoder_for(input)?;
    let files = if input.files.is_empty() {
        vec![PathBuf::from("-")]
    } else {
        input.files.clone()
    };
    for path in &files {
        let r = decode_input(path, &decoder, &mut failed, &mut |i| {
            say_symbolizer(&decoder);
            emit(i)
        });
        say_symbolizer(&decoder);
        if let Err(e) = r {
            failed = true;
            let name = escape::text(&path.display().to_string()).into_owned();
            eprintln!("splatdec: {name}: {}", escape::text_block(&e.to_string()));
        }
    }
    Ok(failed)
}

fn run_graph(input: &InputArgs, format: GraphFormat) -> ExitCode {
    let mut graph = LockGraph::default();
    let failed = match for_each_analysis(input, &mut |a| graph.add(&a)) {
        Ok(f) => f,
        Err(code) => return code,
    };
    let text = match format {
        GraphFormat::Text => graph.to_text(),
        GraphFormat::Dot => graph.to_dot(),
        GraphFormat::Svg => graph.to_svg(),
    };
    let _ = io::stdout().write_all(text.as_bytes());
    if failed {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    }
}

fn run_check(
    input: &InputArgs,
    fail_on: &[String],
    suppress: Option<&PathBuf>,
    baseline: Option<&PathBuf>,
) -> ExitCode {
    let mut classes = Vec::new();
    for f in fail_on {
        match FailOn::parse(f) {
            Some(c) => classes.push(c),
            None => {
                eprintln!(
                    "splatdec: check: --fail-on {:?}: expected {}",
                    escape::text(f),
                    FailOn::accepted()
                );
                return ExitCode::from(2);
            }
        }
    }
    let sup = match suppress {
        None => Vec::new(),
        Some(p) => {
            let name = escape::text(&p.display().to_string()).into_owned();
            let text = match std::fs::read_to_string(p) {
                Ok(t) => t,
                Err(e) => {
                    eprintln!("splatdec: check: --suppress {name}: {e}");
                    return ExitCode::from(2);
                }
            };
            match check::parse_suppressions(&text) {
                Ok(s) => s,
                Err(e) => {
                    eprintln!(
                        "splatdec: check: --suppress {name}: {}",
                        escape::text_block(&e.to_string())
                    );
                    return ExitCode::from(2);
                }
            }
        }
    };
    let baseline = match baseline.map(|p| splatdec::triage::baseline::Baseline::read(p)) {
        None => None,
        Some(Ok(b)) => Some(b),
        Some(Err(e)) => {
            eprintln!(
                "splatdec: check: --baseline {}",
                escape::text(&e.to_string())
            );
            return ExitCode::from(2);
        }
    };
    let today = check::today();
    let mut eval = check::Evaluator::new(&classes, &sup, &today);
    if let Some(b) = &baseline {
        eval = eval.with_baseline(b);
    }
    let failed = match for_each_analysis(input, &mut |a| eval.add(&a)) {
        Ok(f) => f,
        Err(code) => return code,
    };
    let outcome = eval.finish();
    print!("{}", outcome.summary(&sup));
    if failed {
        ExitCode::from(2)
    } else if !outcome.findings.is_empty() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// What `splatdec mail` was asked for.
struct MailRun<'a> {
    input: &'a InputArgs,
    format: Format,
    reply: Option<&'a str>,
    output: Option<&'a PathBuf>,
    opts: TextOptions,
}

/// `splatdec mail`: the distinct reports of every input as one thread, or
/// a reply to one of its messages.
fn run_mail(run: &MailRun<'_>) -> ExitCode {
    use splatdec::mail::{self, Added};
    let (decoder, mut failed) = match decoder_for(run.input) {
        Ok(d) => d,
        Err(code) => return code,
    };
    let mut thread = mail::Thread::new(decoder.clone());
    if let Some(id) = run.reply {
        thread = thread.keep_copies_of(id);
    }
    let files = if run.input.files.is_empty() {
        vec![PathBuf::from("-")]
    } else {
        run.input.files.clone()
    };
    for path in &files {
        let name = escape::text(&path.display().to_string()).into_owned();
        let mut warnings = Vec::new();
        let r = mail::add_path(&mut thread, path, &mut |w| warnings.push(w));
        say_symbolizer(&decoder);
        for w in &warnings {
            eprintln!("splatdec: mail: {}", escape::text(w));
        }
        failed |= !warnings.is_empty();
        match r {
            Ok(Added::Mail) => {}
            Ok(Added::Log(_)) => {
                failed = true;
                eprintln!(
                    "splatdec: mail: {name}: neither an mbox nor a mail message (no `From ` line or mail headers at its start)"
                );
            }
            Err(e) => {
                failed = true;
                eprintln!(
                    "splatdec: mail: {name}: {}",
                    escape::text_block(&e.to_string())
                );
            }
        }
    }
    let finished = thread.finish();
    let mut text = String::new();
    if let Some(id) = run.reply {
        match &finished.target {
            Some(t) => text = mail::reply::reply(&finished, t, &run.opts),
            None => {
                eprintln!(
                    "splatdec: mail: --reply: no message <{}> in the input",
                    escape::text(mail::bare_id(id))
                );
                return ExitCode::from(2);
            }
        }
    } else {
        match run.format {
            Format::Text => {
                text.push_str(&mail::render::summary_line(&finished, &run.opts));
                let total = finished.reports.len();
                for (i, d) in finished.reports.iter().enumerate() {
                    text.push_str(if run.opts.quote { ">\n" } else { "\n" });
                    text.push_str(&mail::render::text(d, i, total, &run.opts));
                }
            }
            Format::Jsonl => {
                for d in &finished.reports {
                    text.push_str(&mail::render::jsonl_line(d));
                    text.push('\n');
                }
            }
            Format::Json => {
                let mut buf = Vec::new();
                let _ = render::json::write_document_start(&mut buf);
                for (i, d) in finished.reports.iter().enumerate() {
                    let _ =
                        render::json::write_element(&mut buf, &mail::render::json_value(d), i == 0);
                }
                let _ = render::json::write_document_end(&mut buf, !finished.reports.is_empty());
                text = String::from_utf8_lossy(&buf).into_owned();
            }
            Format::Markdown => {
                for d in &finished.reports {
                    text.push_str(&mail::render::markdown(d, run.opts.width));
                }
            }
        }
    }
    let written = match run.output {
        Some(p) => std::fs::write(p, text.as_bytes()).map_err(|e| {
            eprintln!(
                "splatdec: mail: {}: {e}",
                escape::text(&p.display().to_string())
            );
        }),
        None => {
            let _ = io::stdout().write_all(text.as_bytes());
            Ok(())
        }
    };
    if failed || written.is_err() {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match &cli.command {
        Some(Command::Gfp { mask, kernel }) => return run_gfp(mask, kernel.as_deref()),
        Some(Command::Rules { rule }) => return run_rules(rule.as_deref()),
        Some(Command::Known { format, known }) => return run_known(*format, known),
        Some(Command::Graph { input, format }) => return run_graph(input, *format),
        Some(Command::Check {
            input,
            fail_on,
            suppress,
            baseline,
        }) => return run_check(input, fail_on, suppress.as_ref(), baseline.as_ref()),
        Some(Command::Completions { shell }) => {
            clap_complete::generate(*shell, &mut Cli::command(), "splatdec", &mut io::stdout());
            return ExitCode::SUCCESS;
        }
        Some(Command::Mail {
            input,
            format,
            reply,
            output,
            render,
        }) => {
            return run_mail(&MailRun {
                input,
                format: *format,
                reply: reply.as_deref(),
                output: output.as_ref(),
                opts: render.text_options(*format, reply.is_some() || output.is_some()),
            })
        }
        Some(Command::Triage(args)) => {
            // stderr stays unlocked: the progress bar draws from workers.
            let stdout = io::stdout();
            return splatdec::triage::run(&args.lib(), &mut stdout.lock(), &mut io::stderr());
        }
        Some(Command::Man) => {
            return match render_man(&mut io::stdout()) {
                Ok(()) => ExitCode::SUCCESS,
                Err(_) => ExitCode::from(2),
            };
        }
        None => {}
    }
    let text_opts = cli.render.text_options(cli.format, false);
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let mut count = 0usize;
    // A closed stdout (`| head`) ends the run quietly.
    let mut closed = false;
    if cli.format == Format::Json && render::json::write_document_start(&mut out).is_err() {
        return ExitCode::SUCCESS;
    }
    let result = for_each_item(&cli.input, &mut |item: Item| {
        if closed {
            return;
        }
        let a = item.analysis();
        let r = match (cli.format, &item) {
            (Format::Jsonl, Item::Mail { report, .. }) => out
                .write_all(splatdec::mail::render::jsonl_line(report).as_bytes())
                .and_then(|_| out.write_all(b"\n")),
            (Format::Json, Item::Mail { report, .. }) => render::json::write_element(
                &mut out,
                &splatdec::mail::render::json_value(report),
                count == 0,
            ),
            (Format::Jsonl, _) => render::json::write_line(&mut out, a),
            (Format::Json, _) => render::json::write_element(&mut out, a, count == 0),
            (Format::Markdown, Item::Mail { report, .. }) => out.write_all(
                splatdec::mail::render::markdown(report, usize::from(cli.render.width)).as_bytes(),
            ),
            (Format::Markdown, _) => out.write_all(
                render::markdown::render_markdown(a, usize::from(cli.render.width)).as_bytes(),
            ),
            (Format::Text, _) => {
                let sep: &[u8] = match (count, cli.render.quote) {
                    (0, _) => b"",
                    (_, true) => b">\n",
                    (_, false) => b"\n",
                };
                let text = match &item {
                    Item::Mail {
                        report,
                        index,
                        total,
                    } => splatdec::mail::render::text(report, *index, *total, &text_opts),
                    Item::Log(a) => render::text::render(a, &text_opts),
                };
                out.write_all(sep)
                    .and_then(|_| out.write_all(text.as_bytes()))
            }
        };
        count += 1;
        closed = r.is_err();
    });
    let failed = match result {
        Ok(f) => f,
        Err(code) => return code,
    };
    if closed {
        return ExitCode::SUCCESS;
    }
    let end = if cli.format == Format::Json {
        render::json::write_document_end(&mut out, count > 0)
    } else {
        Ok(())
    };
    if end.and_then(|_| out.flush()).is_err() {
        return ExitCode::SUCCESS;
    }
    if failed {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    }
}
