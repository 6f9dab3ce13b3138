//! The `splatdec` command: a thin shell over the library.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use splatdec::kernel::kb::KnowledgeBase;
use splatdec::kernel::version::KernelVersion;
use splatdec::render;
use splatdec::{Analysis, WalkOptions};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    /// A readable summary per report.
    Text,
    /// One JSON document: {"schema":"splatdec/1","reports":[...]}.
    Json,
    /// One JSON report object per line.
    Jsonl,
}

/// Decode Linux kernel lockdep splats from dmesg-like text.
///
/// Reads each FILE (or standard input when none is given, or for `-`),
/// finds every lockdep report (and the related sleeping-in-atomic,
/// scheduling-while-atomic and hung-task held-lock reports) whatever the
/// log prefixes (printk timestamps, caller ids, syslog/journalctl,
/// /dev/kmsg, dmesg -T/-x, mail quoting), and prints them.
///
/// Exit status: 0 when every input was read (with or without reports),
/// 2 when some input could not be read (the others are still processed).
#[derive(Debug, Parser)]
#[command(
    name = "splatdec",
    version,
    after_help = "Examples:\n  dmesg | splatdec\n  splatdec console.log other.log\n  journalctl -k | splatdec --format jsonl\n  splatdec --format json fixtures/kinds/circular_dependency.txt"
)]
#[command(args_conflicts_with_subcommands = true)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// Input files; `-` or none for standard input.
    files: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Kernel version whose rules the allocation-context walk uses,
    /// overriding the version the report prints (`4.15`, `v6.6`).
    #[arg(long)]
    kernel: Option<String>,
    /// Print each verdict's full explanation, evidence and every rule that fired.
    #[arg(long)]
    explain: bool,
    /// Extra knowledge-base file(s) (TOML, schema in src/kernel/kb/README.md);
    /// their entries take precedence over the built-in ones.
    #[arg(long = "kb", value_name = "FILE")]
    kb: Vec<PathBuf>,
}

#[derive(Debug, Subcommand)]
enum Command {
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
}

fn run_rules(id: Option<&str>) -> ExitCode {
    match id {
        None => {
            print!("{}", splatdec::classify::rules_list());
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
                    render::escape::text(id)
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
            print!("{}", render::escape::text_block(&text));
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("splatdec: gfp: {}", render::escape::text(&e.to_string()));
            ExitCode::from(2)
        }
    }
}

/// Decode one input, handing each analysis to `emit` as soon as its
/// report ends (a 2 GB log never sits in memory; a read error still keeps
/// what was decoded before it).
fn decode_input(
    path: &PathBuf,
    opts: &WalkOptions<'_>,
    emit: &mut dyn FnMut(Analysis),
) -> io::Result<()> {
    if path.as_os_str() == "-" {
        splatdec::decode_analyzed(io::stdin().lock(), "-", opts, emit)
    } else {
        let f = File::open(path)?;
        splatdec::decode_analyzed(f, &path.display().to_string(), opts, emit)
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

/// The built-in knowledge base plus `--kb` files.
fn load_kb(files: &[PathBuf]) -> Result<KnowledgeBase, ExitCode> {
    let mut kb = KnowledgeBase::builtin().clone();
    for f in files {
        let name = render::escape::text(&f.display().to_string()).into_owned();
        let text = std::fs::read_to_string(f).map_err(|e| {
            eprintln!("splatdec: --kb {name}: {e}");
            ExitCode::from(2)
        })?;
        kb.add_toml(&text, &name).map_err(|e| {
            eprintln!("splatdec: --kb {}", render::escape::text(&e.to_string()));
            ExitCode::from(2)
        })?;
    }
    Ok(kb)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match &cli.command {
        Some(Command::Gfp { mask, kernel }) => return run_gfp(mask, kernel.as_deref()),
        Some(Command::Rules { rule }) => return run_rules(rule.as_deref()),
        None => {}
    }
    let files = if cli.files.is_empty() {
        vec![PathBuf::from("-")]
    } else {
        cli.files.clone()
    };
    let kernel = match parse_kernel(cli.kernel.as_deref()) {
        Ok(v) => v,
        Err(code) => return code,
    };
    let kb = match load_kb(&cli.kb) {
        Ok(kb) => kb,
        Err(code) => return code,
    };
    let opts = WalkOptions { kb: &kb, kernel };
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let mut failed = false;
    let mut count = 0usize;
    // A closed stdout (`| head`) ends the run quietly.
    let mut closed = false;
    if cli.format == Format::Json && render::json::write_document_start(&mut out).is_err() {
        return ExitCode::SUCCESS;
    }
    for path in &files {
        let mut emit = |a: Analysis| {
            if closed {
                return;
            }
            let r = match cli.format {
                Format::Jsonl => render::json::write_line(&mut out, &a),
                Format::Json => render::json::write_element(&mut out, &a, count == 0),
                Format::Text => {
                    let sep: &[u8] = if count == 0 { b"" } else { b"\n" };
                    out.write_all(sep).and_then(|_| {
                        out.write_all(render::text::analysis_with(&a, cli.explain).as_bytes())
                    })
                }
            };
            count += 1;
            closed = r.is_err();
        };
        if let Err(e) = decode_input(path, &opts, &mut emit) {
            failed = true;
            let name = render::escape::text(&path.display().to_string()).into_owned();
            eprintln!("splatdec: {name}: {e}");
        }
        if closed {
            return ExitCode::SUCCESS;
        }
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
