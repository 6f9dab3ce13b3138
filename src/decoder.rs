//! One decoder for every front end: the command line, triage, the
//! benchmark and the fuzz targets build a [`Decoder`] and read through it,
//! so an option (`--kernel`, `--kb`, `--known`, `--vmlinux`/`--modules`/`--debuginfo`)
//! means the same wherever it is given.

use std::io::{self, Read};
use std::path::Path;
use std::sync::Arc;

use crate::analysis::{analyze_with_known, Analysis};
use crate::input::LineReader;
use crate::kernel::kb::KnowledgeBase;
use crate::kernel::known::{KnownError, KnownTable};
use crate::kernel::version::KernelVersion;
use crate::model::Report;
use crate::symbolize::image::ImageError;
use crate::symbolize::{SymbolizeArgs, Symbolizer};
use crate::walk::WalkOptions;

/// Decodes logs into reports and analyses with one set of options: the
/// kernel rules the walk uses, the knowledge base (built-in plus extra
/// files), the debug info frames are symbolized from (between parsing and
/// the walk) and the name reports give as their source.
///
/// Cheap to clone (the knowledge base is shared), and `Send + Sync`, so
/// triage's workers share one.
///
/// ```
/// let d = splatdec::Decoder::new()
///     .with_kernel(Some("4.17".parse().unwrap()))
///     .with_source("console.log");
/// let mut n = 0;
/// d.decode_analyzed("WARNING: possible recursive locking detected\n".as_bytes(), &mut |a| {
///     assert_eq!(a.walk_rules.from, splatdec::walk::RulesFrom::Kernel);
///     assert_eq!(a.report.source, "console.log");
///     n += 1;
/// })
/// .unwrap();
/// assert_eq!(n, 1);
/// ```
#[derive(Debug, Clone)]
pub struct Decoder {
    /// `None`: the built-in knowledge base alone.
    kb: Option<Arc<KnowledgeBase>>,
    /// `None`: the built-in known issues alone.
    known: Option<Arc<KnownTable>>,
    kernel: Option<KernelVersion>,
    /// `None`: frames stay as printed.
    symbolizer: Option<Arc<Symbolizer>>,
    source: String,
}

impl Default for Decoder {
    fn default() -> Self {
        Decoder::new()
    }
}

/// Why an extra knowledge-base file could not be used; names the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KbFileError(pub String);

impl std::fmt::Display for KbFileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for KbFileError {}

impl Decoder {
    /// Built-in knowledge, each report's own kernel version, source `-`.
    pub fn new() -> Self {
        Decoder {
            kb: None,
            known: None,
            kernel: None,
            symbolizer: None,
            source: "-".to_string(),
        }
    }

    /// Walk with `kernel`'s rules instead of the version each report
    /// prints (`--kernel`); `None` goes back to the report's own.
    pub fn with_kernel(mut self, kernel: Option<KernelVersion>) -> Self {
        self.kernel = kernel;
        self
    }

    /// The name reports give as their `source` (a file name, `-`).
    pub fn with_source(mut self, source: impl Into<String>) -> Self {
        self.source = source.into();
        self
    }

    /// Use `kb` as the whole knowledge base.
    pub fn with_kb(mut self, kb: KnowledgeBase) -> Self {
        self.kb = Some(Arc::new(kb));
        self
    }

    /// Add the entries of extra knowledge-base files (`--kb`, TOML); they
    /// take precedence over the built-in ones. The error names the file.
    pub fn with_kb_files<P: AsRef<Path>>(self, files: &[P]) -> Result<Self, KbFileError> {
        if files.is_empty() {
            return Ok(self);
        }
        let mut kb = self.kb().clone();
        for f in files {
            let f = f.as_ref();
            let name = f.display().to_string();
            let text =
                std::fs::read_to_string(f).map_err(|e| KbFileError(format!("{name}: {e}")))?;
            kb.add_toml(&text, &name)
                .map_err(|e| KbFileError(e.to_string()))?;
        }
        Ok(self.with_kb(kb))
    }

    /// Match reports against `known` instead of the built-in known issues.
    pub fn with_known(mut self, known: KnownTable) -> Self {
        self.known = Some(Arc::new(known));
        self
    }

    /// Add the entries of users' known-issues files (`--known`, TOML, the
    /// schema of `src/kernel/known/README.md`): they are matched before the
    /// built-in entries and replace built-in entries with the same id. The
    /// error names the file and every problem in it.
    pub fn with_known_files<P: AsRef<Path>>(self, files: &[P]) -> Result<Self, KnownError> {
        if files.is_empty() {
            return Ok(self);
        }
        let mut table = self.known().clone();
        for f in files {
            let f = f.as_ref();
            let name = f.display().to_string();
            let text = std::fs::read_to_string(f).map_err(|e| KnownError {
                origin: name.clone(),
                problems: vec![format!("cannot read it: {e}")],
            })?;
            let entries = crate::kernel::known::parse_file(&text, &name)?;
            table = table.with_user_entries(entries);
        }
        Ok(self.with_known(table))
    }

    /// The known issues reports are matched against.
    pub fn known(&self) -> &KnownTable {
        self.known
            .as_deref()
            .unwrap_or_else(|| KnownTable::builtin())
    }

    /// Symbolize every report's frames with `sym` (file:line, inline
    /// frames) after parsing and before the walk, so everything downstream
    /// (the walk, verdicts, titles, signatures) reads the symbolized trace.
    pub fn with_symbolizer(mut self, sym: Symbolizer) -> Self {
        self.symbolizer = Some(Arc::new(sym));
        self
    }

    /// [`Decoder::with_symbolizer`] for the images `args` names
    /// (`--vmlinux`, `--modules`, `--debuginfo`); unchanged when it names
    /// none. The error names the file that cannot be used.
    pub fn with_symbols(self, args: &SymbolizeArgs) -> Result<Self, ImageError> {
        if !args.any() {
            return Ok(self);
        }
        Ok(self.with_symbolizer(Symbolizer::new(args)?))
    }

    /// The symbolizer in use, if any: its messages (a wrong vmlinux, a
    /// module not found) are for the front end to show
    /// ([`Symbolizer::take_messages`]).
    pub fn symbolizer(&self) -> Option<&Symbolizer> {
        self.symbolizer.as_deref()
    }

    /// Symbolize `report` in place when a symbolizer is set (frames already
    /// carrying a source line are left alone).
    pub fn symbolize(&self, report: &mut Report) {
        if let Some(s) = &self.symbolizer {
            s.symbolize(report);
        }
    }

    /// The knowledge base in use.
    pub fn kb(&self) -> &KnowledgeBase {
        self.kb
            .as_deref()
            .unwrap_or_else(|| KnowledgeBase::builtin())
    }

    /// The `--kernel` override, if any.
    pub fn kernel(&self) -> Option<KernelVersion> {
        self.kernel
    }

    /// The source name reports get.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The walk's options as the walk takes them.
    pub fn walk_options(&self) -> WalkOptions<'_> {
        WalkOptions {
            kb: self.kb(),
            kernel: self.kernel,
        }
    }

    /// Run the stages after parsing on one report (symbolization first,
    /// when a symbolizer is set).
    pub fn analyze(&self, mut report: Report) -> Analysis {
        self.symbolize(&mut report);
        analyze_with_known(report, &self.walk_options(), self.known())
    }

    /// Decode every report of `reader`, streaming, in the order the
    /// reports began (symbolized when a symbolizer is set). On a read error the reports found so far (the one
    /// being read marked incomplete) are delivered before the error.
    pub fn decode<R: Read>(&self, reader: R, sink: &mut dyn FnMut(Report)) -> io::Result<()> {
        self.decode_lines(&mut LineReader::new(reader), sink)
    }

    /// [`Decoder::decode`] from a line reader the caller already advanced
    /// (triage skips syzkaller's header lines; line numbers stay true).
    pub fn decode_lines<R: Read>(
        &self,
        lines: &mut LineReader<R>,
        sink: &mut dyn FnMut(Report),
    ) -> io::Result<()> {
        let mut seg = crate::segment::Segmenter::new();
        let mut waiting = DumpWait::default();
        let read = crate::segment::drive(lines, &mut seg, &mut |raw| {
            let mut r = crate::parse::parse_report(&raw, &self.source);
            self.symbolize(&mut r);
            waiting.offer(r, sink)
        });
        waiting.flush(sink);
        read
    }

    /// Decode and analyze every report of `reader`, streaming.
    pub fn decode_analyzed<R: Read>(
        &self,
        reader: R,
        sink: &mut dyn FnMut(Analysis),
    ) -> io::Result<()> {
        let opts = self.walk_options();
        let known = self.known();
        self.decode(reader, &mut |r| sink(analyze_with_known(r, &opts, known)))
    }

    /// [`Decoder::decode_analyzed`] from a line reader already advanced.
    pub fn decode_lines_analyzed<R: Read>(
        &self,
        lines: &mut LineReader<R>,
        sink: &mut dyn FnMut(Analysis),
    ) -> io::Result<()> {
        let opts = self.walk_options();
        let known = self.known();
        self.decode_lines(lines, &mut |r| sink(analyze_with_known(r, &opts, known)))
    }
}

/// Hung-task reports that printed no held locks, held back until the next
/// report: khungtaskd prints one all-locks dump after the hung tasks of a
/// round (kernel/hung_task.c: check_hung_uninterruptible_tasks() calls
/// debug_show_all_locks() once), so a dump in a later report lists the
/// locks of the tasks before it. The list of the task whose comm and pid
/// match is copied into the report, marked with where it came from.
#[derive(Default)]
struct DumpWait {
    held: Vec<Report>,
}

/// The most reports held back: a round's hung tasks, bounded so that a log
/// of endless hung tasks with no dump streams on.
const MAX_DUMP_WAIT: usize = 32;

fn waits_for_dump(r: &Report) -> bool {
    r.kind == crate::model::ReportKind::HeldLocksDump
        && r.banner.starts_with("INFO: task ")
        && r.banner.contains(" blocked for more than ")
        && r.held_lock_lists.is_empty()
        && r.task.is_some()
}

impl DumpWait {
    fn offer(&mut self, r: Report, sink: &mut dyn FnMut(Report)) {
        if waits_for_dump(&r) && self.held.len() < MAX_DUMP_WAIT {
            self.held.push(r);
            return;
        }
        for w in &mut self.held {
            let Some(task) = &w.task else { continue };
            let Some(list) = r
                .held_lock_lists
                .iter()
                .find(|h| h.from_dump.is_none() && h.task.as_ref() == Some(task))
            else {
                continue;
            };
            let mut list = list.clone();
            list.from_dump = Some(r.line);
            w.held_locks = list.locks.clone();
            w.held_locks_count = list.count;
            w.held_lock_lists.push(list);
        }
        self.flush(sink);
        sink(r);
    }

    fn flush(&mut self, sink: &mut dyn FnMut(Report)) {
        for w in self.held.drain(..) {
            sink(w);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_kb_file_is_named() {
        let e = Decoder::new()
            .with_kb_files(&["/nonexistent/extra.toml"])
            .unwrap_err();
        assert!(e.0.starts_with("/nonexistent/extra.toml: "), "{e}");
    }

    #[test]
    fn a_missing_known_file_is_named() {
        let e = Decoder::new()
            .with_known_files(&["/nonexistent/known.toml"])
            .unwrap_err();
        assert!(
            e.to_string().starts_with("/nonexistent/known.toml: "),
            "{e}"
        );
    }

    #[test]
    fn decoder_is_shared_across_threads() {
        fn sync<T: Send + Sync>() {}
        sync::<Decoder>();
    }
}
