//! The table of report kinds: one row per kind, in the spirit of
//! syzkaller's pkg/report format tables.
//!
//! A row says everything the stages decide per kind: the banner lines that
//! open it (pattern and prefilter needle), the body lines that open it when
//! it was pasted without its banner, what the banner line itself carries,
//! how the segmenter follows its shape, the syzkaller title recipe, the
//! sections it prints and which of them make it complete, whether it ends
//! in a stack trace, which locks identify its bug in a triage signature,
//! and the lock cycle it carries. The stages read the row
//! ([`ReportKind::row`]); the few `match`es over kinds left elsewhere are
//! exhaustive, so the compiler points at each when a kind is added.
//!
//! Adding a kind: a line in the `kinds!` list below (its JSON name), a row
//! in [`ROWS`] (in the same order, checked at compile time), the section
//! grammar of its body in `src/parse/`, and fixtures.

/// One list gives the enum, [`ReportKind::ALL`] and the JSON names.
macro_rules! kinds {
    ($($(#[$doc:meta])* $variant:ident = $name:literal,)*) => {
        /// Every report kind splatdec recognises. The snake_case names are
        /// the JSON `kind` values other tools match on.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
        pub enum ReportKind {
            $($(#[$doc])* #[serde(rename = $name)] $variant,)*
        }

        impl ReportKind {
            /// All kinds, in declaration order (used by `--help` texts and tests).
            pub const ALL: [ReportKind; [$($name),*].len()] = [$(ReportKind::$variant),*];

            /// The JSON name of the kind.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(ReportKind::$variant => $name,)*
                }
            }
        }
    };
}

kinds! {
    /// `possible circular locking dependency detected`
    CircularDependency = "circular_dependency",
    /// `possible recursive locking detected`
    RecursiveLocking = "recursive_locking",
    /// `inconsistent lock state`
    InconsistentLockState = "inconsistent_lock_state",
    /// `possible irq lock inversion dependency detected`
    IrqLockInversion = "irq_lock_inversion",
    /// `X-safe -> Y-unsafe lock order detected`
    IrqSafeUnsafeOrder = "irq_safe_unsafe_order",
    /// `bad unlock balance detected!`
    BadUnlockBalance = "bad_unlock_balance",
    /// `bad contention detected!`
    BadContention = "bad_contention",
    /// `held lock freed!`
    HeldLockFreed = "held_lock_freed",
    /// `lock held when returning to user space!`
    LockHeldReturningToUser = "lock_held_returning_to_user",
    /// `Nested lock was not taken`
    NestedLockNotTaken = "nested_lock_not_taken",
    /// `suspicious RCU usage`
    SuspiciousRcuUsage = "suspicious_rcu_usage",
    /// `Invalid wait context`
    InvalidWaitContext = "invalid_wait_context",
    /// `MAX_... too low!`
    LockdepCapacity = "lockdep_capacity",
    /// `trying to register non-static key`, `key ... has not been registered!`
    NonStaticKey = "non_static_key",
    /// `looking up invalid subclass: N`
    InvalidSubclass = "invalid_subclass",
    /// `sleeping function called from invalid context at ...`
    SleepingInAtomic = "sleeping_in_atomic",
    /// `scheduling while atomic: ...`
    SchedulingWhileAtomic = "scheduling_while_atomic",
    /// `... still has locks held!`
    LocksStillHeld = "locks_still_held",
    /// A `WARNING` in lockdep itself, `DEBUG_LOCKS_WARN_ON(...)`.
    LockdepWarning = "lockdep_warning",
    /// A hung task (`INFO: task ... blocked for more than N seconds.`) or
    /// `Showing all locks held in the system:`.
    HeldLocksDump = "held_locks_dump",
    /// A DEPT (the DEPendency Tracker) report: `DEPT: Circular dependency
    /// has been detected.`, `DEPT: Circular recover dependency has been
    /// detected.`
    Dept = "dept",
    /// A report of no known kind (a headless paste whose sections do not
    /// say which).
    Other = "other",
}

impl ReportKind {
    /// The kind's row of the table.
    pub fn row(self) -> &'static KindRow {
        &ROWS[self as usize]
    }
}

impl std::fmt::Display for ReportKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One banner line that opens a report of a kind.
#[derive(Debug)]
pub struct BannerRow {
    /// Anchored pattern over the trimmed text (without `[ ` / ` ]`); group 1
    /// is the tag (`WARNING`, `INFO`, `BUG` or empty), later groups are the
    /// banner's captures.
    pub pattern: &'static str,
    /// A substring every matching line contains, for the prefilter.
    pub needle: &'static str,
    /// The banner names a hung task (`INFO: task ... blocked ...`).
    pub hung_task: bool,
    /// The banner opens a held-locks dump directly (no body, no stack
    /// first): `Showing all locks held in the system:`.
    pub opens_dump: bool,
}

const fn banner(pattern: &'static str, needle: &'static str) -> BannerRow {
    BannerRow {
        pattern,
        needle,
        hung_task: false,
        opens_dump: false,
    }
}

/// What the banner line carries besides the kind (its captures).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BannerReads {
    /// Only the kind: the banner carries nothing else the report keeps.
    Nothing,
    /// `at FILE:LINE` of a sleeping-function report.
    AtomicSleepAt,
    /// `comm/pid/0xPREEMPT_COUNT` of scheduling while atomic.
    TaskAndPreemptCount,
    /// The task named in the banner (`comm/pid still has locks held!`).
    Task,
    /// `MAX_... too low!`
    CapacityMessage,
    /// `looking up invalid subclass: N`
    SubclassMessage,
    /// A hung-task banner's `comm:pid`.
    HungTask,
    /// A warning's `at FILE:LINE` or `DEBUG_LOCKS_WARN_ON(...)` message.
    Warning,
}

/// Where the title's FUNC may come from, tried in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The acquire site of the lock being acquired.
    AcquiringAt,
    /// The `at:` of the lock a bad unlock balance releases.
    ReleasingAt,
    /// The acquire site of the already-held lock.
    HoldingAt,
    /// The acquire site of the first held lock.
    FirstHeldAt,
    /// Every frame of the dependency chain, in printed order.
    ChainFrames,
    /// The frames of the first `... which became X-irq-safe at:` stack.
    BecameSafeFrames,
    /// The faulting PC (`RIP:`, `pc :`) of a warning.
    FaultingPc,
    /// The first `Call Trace:` of the report.
    CallTrace,
    /// The site of context A's `[W]` in a DEPT report: the wait that added
    /// the dependency.
    DeptWaitAt,
}

/// The extra skip list of a title format (on top of the global one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Skip {
    /// Only the global skip list.
    None,
    /// Circular dependencies: also the workqueue flush and work-running
    /// functions (`process_one_work`, `flush_workqueue`, ...).
    Circular,
    /// Suspicious RCU usage: also names matching `rcu`, `kmem`, `slab`.
    Rcu,
    /// Non-static keys: also names matching `stack`, `lock`, `IRQ`.
    NonStatic,
    /// Lockdep's locking-bug formats: also `lock_sock` and `release_sock`.
    LockingBug,
    /// Sleeping in atomic context: also names matching `schedule`.
    Atomic,
    /// DEPT reports: DEPT's own report and graph-search functions and the
    /// wait primitives that call into it.
    Dept,
}

/// How FUNC is chosen for one report format.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    /// Title template; `{tag}` is the banner's tag, `{func}` the frame.
    pub format: &'static str,
    /// Where FUNC may come from, tried in order until one gives a frame.
    pub sources: &'static [Source],
    /// Whether the skip lists apply (syzkaller does not filter names it
    /// reads from a fixed line such as the lock being acquired).
    pub skip: bool,
    /// The format's own skip list, added to the global one when `skip` holds.
    pub extra_skip: Skip,
    /// Hung-task frame choice (every candidate of the first source is
    /// looked at, `rtnl_lock` and RCU waits anchor the choice).
    pub hung_task: bool,
}

const fn rule(format: &'static str, sources: &'static [Source], skip: bool) -> Rule {
    Rule {
        format,
        sources,
        skip,
        extra_skip: Skip::None,
        hung_task: false,
    }
}

/// A title recipe.
#[derive(Debug, Clone, Copy)]
pub enum Recipe {
    /// A syzkaller format with a FUNC.
    Format(Rule),
    /// A fixed title.
    Fixed(&'static str),
    /// No format applies: the banner text is the title.
    Banner,
}

/// When a recipe applies; a row's first recipe whose condition holds wins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum When {
    /// Always holds (a row's fallback recipe).
    Always,
    /// The bracketed `[ INFO: ... ]` banners of <= 4.11.
    Bracketed,
    /// A bracketed banner whose first capture is this.
    BracketedWith(&'static str),
    /// The banner's tag is this.
    Tag(&'static str),
    /// The report has no `WARNING: ... at FILE:LINE` location.
    NoWarningAt,
    /// The warning location is in lockdep.c, in a `lock_*` function.
    WarningInLockdep,
    /// The banner names a hung task.
    HungTask,
    /// The banner's first capture is this.
    Capture(&'static str),
}

/// A section whose absence makes a report incomplete.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// [`crate::model::Report::acquiring`].
    Acquiring,
    /// [`crate::model::Report::holding`].
    Holding,
    /// [`crate::model::Report::releasing`].
    Releasing,
    /// A non-empty dependency chain ([`crate::model::Report::chain`]).
    Chain,
    /// [`crate::model::Report::usage_transition`].
    UsageTransition,
    /// At least one held-locks list.
    HeldLocks,
    /// A DEPT report's summary contexts.
    DeptContexts,
    /// The `context X's detail` of every DEPT summary context.
    DeptDetails,
}

/// A section a kind needs, and how its absence is named in `problems`.
#[derive(Debug, Clone, Copy)]
pub struct Need {
    /// Which section is needed.
    pub part: Part,
    /// How the section is named in the `missing ...` problem when it is
    /// absent (`the lock line`).
    pub name: &'static str,
    /// Only a report whose banner does not name a hung task needs it.
    pub unless_hung: bool,
    /// Only a report whose banner does not capture `recover ` (a DEPT
    /// recover dependency, which prints event sites instead) needs it.
    pub unless_recover: bool,
}

const fn need(part: Part, name: &'static str) -> Need {
    Need {
        part,
        name,
        unless_hung: false,
        unless_recover: false,
    }
}

/// Whether a report of the kind ends in a stack trace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backtrace {
    /// Always: a report without its final backtrace is incomplete and
    /// corrupted.
    Required,
    /// Only when the banner names a hung task.
    WhenHung,
    /// The kind prints no stack it must have (a stack it does print still
    /// counts when cut short).
    NotRequired,
}

/// A banner of the same kind seen while a report is open: when does it
/// continue the report rather than start another?
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Continuation {
    /// Never: another banner of the kind always starts a new report.
    Never,
    /// `DEBUG_LOCKS_WARN_ON(...)` and `WARNING: ... lockdep.c` are printed
    /// as a pair, in either order, within the first lines.
    PairedWarning,
    /// khungtaskd prints the all-locks dump after the hung task.
    DumpAfterHungTask,
}

/// What may follow the end of a report's first stack trace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterTrace {
    /// Nothing: the report ends.
    Ends,
    /// 6.x prints held locks and a second backtrace after the first.
    SecondTrace,
    /// Warnings may print the irq trace events after the stack.
    IrqEvents,
}

/// Which lines a report's body is made of, for the segmenter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Body {
    /// Lockdep's report vocabulary ([`crate::vocab::body`]).
    Lockdep,
    /// DEPT's ([`crate::vocab::dept`]) and the frames of its stacks.
    Dept,
}

/// How the segmenter follows the kind's shape.
#[derive(Debug, Clone, Copy)]
pub struct Segmenter {
    /// Whose vocabulary the body lines are read with.
    pub body: Body,
    /// Consecutive lines no section parser knows tolerated in the body
    /// before the report is over.
    pub junk_limit: usize,
    /// When another banner of the same kind continues the report.
    pub continuation: Continuation,
    /// What may follow the first stack trace before the report ends.
    pub after_trace: AfterTrace,
}

const SEGMENTER: Segmenter = Segmenter {
    body: Body::Lockdep,
    junk_limit: 12,
    continuation: Continuation::Never,
    after_trace: AfterTrace::Ends,
};

/// Where in a report a lock that names the bug sits (triage signatures).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockSlot {
    /// [`crate::model::Report::acquiring`].
    Acquiring,
    /// [`crate::model::Report::holding`].
    Holding,
    /// `other_locks`.
    Other,
    /// The report's main held-locks list.
    Held,
    /// [`crate::model::Report::releasing`].
    Releasing,
    /// [`crate::model::Report::nest_lock`].
    NestLock,
}

/// The lock cycle (or single edge) a report carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cycle {
    /// A dependency chain closed by the current acquisition (a circular
    /// dependency); signatures are keyed on it.
    DependencyChain,
    /// The irq-inversion path lockdep printed, else its one dependency.
    IrqInversion,
    /// At most one edge: the lock held -> the lock being acquired.
    HeldToAcquiring,
    /// A DEPT report's contexts: each context's event class waits for its
    /// wait's class; signatures are keyed on it.
    Dept,
}

/// One row of the kind table.
#[derive(Debug)]
pub struct KindRow {
    /// The kind the row is for; [`ROWS`] holds the rows in
    /// [`ReportKind::ALL`] order, which a compile-time check enforces.
    pub kind: ReportKind,
    /// The banner lines that open the kind; order matters only where two
    /// rows could match one line (the first wins).
    pub banners: &'static [BannerRow],
    /// The first body line of a report pasted without its banner: what the
    /// line holds (kernel/locking/lockdep.c: print_circular_bug_header,
    /// print_deadlock_bug, print_unlock_imbalance_bug,
    /// print_lock_invalid_wait_context, print_lock_contention_bug,
    /// print_usage_bug, print_irq_inversion_bug, print_bad_irq_dependency,
    /// print_freed_lock_bug, lockdep_sys_exit).
    pub headless: &'static [&'static str],
    /// Lines a report pasted from the middle of its body starts with (the
    /// trimmed line begins with one): a section lockdep prints past the
    /// report's first lines, such as the scenario or the dependency chain.
    /// The parser settles the kind from the sections that follow and the
    /// reporting function in the stack ([`KindRow::reporters`]).
    pub fragment: &'static [&'static str],
    /// The functions of kernel/locking/lockdep.c (and lockdep_rcu_suspicious)
    /// that print the kind, as they appear in the report's own stack below
    /// dump_stack(): a report pasted without its first lines still names its
    /// kind there.
    pub reporters: &'static [&'static str],
    /// What the banner line itself carries into the report.
    pub banner_reads: BannerReads,
    /// How the segmenter follows the kind's body.
    pub segmenter: Segmenter,
    /// The syzkaller title recipes, first matching condition wins; none
    /// matching means the banner text.
    pub title: &'static [(When, Recipe)],
    /// The sections without which the report is incomplete.
    pub needs: &'static [Need],
    /// Whether the report must end in a stack trace to be complete.
    pub backtrace: Backtrace,
    /// Old layouts print the final stack's frames with no header
    /// (`[<addr>] func+off/size` right after the report body, as 2.6-4.x
    /// dump_stack() did); without a known layout, frames outside a section
    /// are kept as unparsed.
    pub headerless_stack: bool,
    /// The task is taken from the first held-locks list when no `Comm:`
    /// line names it (`lockdep_print_held_locks(current)`); a dump's lists
    /// are other tasks'.
    pub task_from_held_list: bool,
    /// The report names the locks of the bug itself (the cycle, the
    /// recursion, the inconsistent lock): its held-locks lists are context,
    /// not identity.
    pub names_its_locks: bool,
    /// The report names a lock whose state changed, which may already be
    /// held (inconsistent lock state, irq inversion).
    pub state_lock: bool,
    /// Which locks identify the bug in a triage signature (kinds keyed on
    /// their cycle use these when no cycle was printed).
    pub signature: &'static [LockSlot],
    /// Which lock cycle the report carries, for render, graph and triage.
    pub cycle: Cycle,
    /// How the text output labels the lock being acquired
    /// ([`crate::model::Report::acquiring`]).
    pub acquiring_label: &'static str,
    /// How the text output labels the lock held
    /// ([`crate::model::Report::holding`]).
    pub holding_label: &'static str,
    /// What printed the report, for text that names it (`lockdep`, `DEPT`).
    pub detector: &'static str,
}

use Source::*;

const DEADLOCK_AT_ACQUIRE: Rule = rule("possible deadlock in {func}", &[AcquiringAt], false);
const DEFAULT_SLOTS: &[LockSlot] = &[LockSlot::Acquiring, LockSlot::Holding, LockSlot::Other];
const LOCK_LINE: &[Need] = &[need(Part::Acquiring, "the lock line")];
const ACQUIRING_AND_HOLDING: &[Need] = &[
    need(Part::Acquiring, "the lock being acquired"),
    need(Part::Holding, "the lock already held"),
];

/// The defaults of a lockdep report row.
const LOCKDEP: KindRow = KindRow {
    kind: ReportKind::Other,
    banners: &[],
    headless: &[],
    fragment: &[],
    reporters: &[],
    banner_reads: BannerReads::Nothing,
    segmenter: SEGMENTER,
    title: &[],
    needs: &[],
    backtrace: Backtrace::Required,
    headerless_stack: true,
    task_from_held_list: true,
    names_its_locks: false,
    state_lock: false,
    signature: DEFAULT_SLOTS,
    cycle: Cycle::HeldToAcquiring,
    acquiring_label: "acquiring",
    holding_label: "holding",
    detector: "lockdep",
};

/// The table, in [`ReportKind::ALL`] order.
pub const ROWS: &[KindRow] = &[
    KindRow {
        kind: ReportKind::CircularDependency,
        banners: &[banner(
            r"^(WARNING|INFO|BUG): possible circular locking dependency detected$",
            "circular locking dependency",
        )],
        // Also the first line of a recursive report: the parser tells which
        // from the sections that follow.
        headless: &[" is trying to acquire lock:"],
        title: &[
            (When::Bracketed, Recipe::Format(DEADLOCK_AT_ACQUIRE)),
            (
                When::Always,
                Recipe::Format(Rule {
                    extra_skip: Skip::Circular,
                    ..rule(
                        "possible deadlock in {func}",
                        &[AcquiringAt, HoldingAt, ChainFrames],
                        true,
                    )
                }),
            ),
        ],
        needs: &[
            need(Part::Acquiring, "the lock being acquired"),
            need(Part::Holding, "the lock already held"),
            need(Part::Chain, "the dependency chain"),
        ],
        names_its_locks: true,
        cycle: Cycle::DependencyChain,
        // print_circular_bug_header(): printed by no other kind.
        fragment: &["the existing dependency chain (in reverse order) is:"],
        reporters: &["print_circular_bug"],
        ..LOCKDEP
    },
    KindRow {
        kind: ReportKind::RecursiveLocking,
        banners: &[banner(
            r"^(WARNING|INFO|BUG): possible recursive locking detected$",
            "recursive locking detected",
        )],
        title: &[(When::Always, Recipe::Format(DEADLOCK_AT_ACQUIRE))],
        needs: ACQUIRING_AND_HOLDING,
        names_its_locks: true,
        reporters: &["print_deadlock_bug"],
        ..LOCKDEP
    },
    KindRow {
        kind: ReportKind::InconsistentLockState,
        banners: &[banner(
            r"^(WARNING|INFO|BUG): inconsistent lock state$",
            "inconsistent lock state",
        )],
        headless: &["] takes:"],
        title: &[
            (
                When::Bracketed,
                Recipe::Format(rule(
                    "inconsistent lock state in {func}",
                    &[AcquiringAt],
                    false,
                )),
            ),
            (
                When::Always,
                Recipe::Format(rule(
                    "inconsistent lock state in {func}",
                    &[CallTrace],
                    true,
                )),
            ),
        ],
        needs: &[
            need(Part::Acquiring, "the lock taken"),
            need(Part::UsageTransition, "the usage transition"),
        ],
        names_its_locks: true,
        state_lock: true,
        acquiring_label: "takes",
        reporters: &["print_usage_bug"],
        ..LOCKDEP
    },
    KindRow {
        kind: ReportKind::IrqLockInversion,
        banners: &[banner(
            r"^(WARNING|INFO|BUG): possible irq lock inversion dependency detected$",
            "irq lock inversion",
        )],
        headless: &[" just changed the state of lock:"],
        title: &[(When::Always, Recipe::Format(DEADLOCK_AT_ACQUIRE))],
        needs: LOCK_LINE,
        names_its_locks: true,
        state_lock: true,
        cycle: Cycle::IrqInversion,
        acquiring_label: "state changed",
        reporters: &["print_irq_inversion_bug"],
        ..LOCKDEP
    },
    KindRow {
        kind: ReportKind::IrqSafeUnsafeOrder,
        banners: &[banner(
            r"^(WARNING|INFO|BUG): ([A-Z_]+(?:-READ)?)-safe -> ([A-Z_]+(?:-READ)?)-unsafe lock order detected$",
            "-unsafe lock order",
        )],
        headless: &["] is trying to acquire:"],
        // Old kernels: syzkaller has a format for the SOFTIRQ banner only;
        // the others fall back to the banner text.
        title: &[
            (
                When::BracketedWith("SOFTIRQ"),
                Recipe::Format(DEADLOCK_AT_ACQUIRE),
            ),
            (When::Bracketed, Recipe::Banner),
            (
                When::Always,
                Recipe::Format(rule(
                    "possible deadlock in {func}",
                    &[BecameSafeFrames],
                    true,
                )),
            ),
        ],
        needs: ACQUIRING_AND_HOLDING,
        names_its_locks: true,
        reporters: &["print_bad_irq_dependency"],
        ..LOCKDEP
    },
    KindRow {
        kind: ReportKind::BadUnlockBalance,
        banners: &[banner(
            r"^(WARNING|INFO|BUG): bad unlock balance detected!$",
            "bad unlock balance",
        )],
        headless: &[" is trying to release lock ("],
        title: &[(
            When::Always,
            Recipe::Format(rule(
                "{tag}: bad unlock balance in {func}",
                &[ReleasingAt, CallTrace],
                true,
            )),
        )],
        needs: &[need(Part::Releasing, "the lock line")],
        names_its_locks: true,
        signature: &[LockSlot::Releasing],
        reporters: &["print_unlock_imbalance_bug"],
        ..LOCKDEP
    },
    KindRow {
        kind: ReportKind::BadContention,
        banners: &[banner(
            r"^(WARNING|INFO|BUG): bad contention detected!$",
            "bad contention",
        )],
        headless: &[" is trying to contend lock ("],
        needs: LOCK_LINE,
        names_its_locks: true,
        acquiring_label: "contending",
        reporters: &["print_lock_contention_bug"],
        ..LOCKDEP
    },
    KindRow {
        kind: ReportKind::HeldLockFreed,
        banners: &[banner(
            r"^(WARNING|INFO|BUG): held lock freed!$",
            "held lock freed",
        )],
        headless: &[" with a lock still held there!"],
        title: &[(
            When::Always,
            Recipe::Format(rule(
                "{tag}: held lock freed in {func}",
                &[HoldingAt],
                false,
            )),
        )],
        needs: &[need(Part::Holding, "the lock line")],
        names_its_locks: true,
        signature: &[LockSlot::Holding, LockSlot::Held],
        holding_label: "held, in the freed memory",
        reporters: &["print_freed_lock_bug"],
        ..LOCKDEP
    },
    KindRow {
        kind: ReportKind::LockHeldReturningToUser,
        banners: &[banner(
            r"^(WARNING|INFO|BUG): lock held when returning to user space!$",
            "returning to user space",
        )],
        headless: &[" is leaving the kernel with locks still held!"],
        segmenter: Segmenter {
            junk_limit: 1,
            ..SEGMENTER
        },
        title: &[(
            When::Always,
            Recipe::Format(rule(
                "{tag}: lock held when returning to user space in {func}",
                &[FirstHeldAt],
                false,
            )),
        )],
        needs: &[need(Part::HeldLocks, "the held-locks list")],
        backtrace: Backtrace::NotRequired,
        signature: &[LockSlot::Held],
        ..LOCKDEP
    },
    KindRow {
        kind: ReportKind::NestedLockNotTaken,
        banners: &[banner(
            r"^(WARNING|INFO|BUG): Nested lock was not taken$",
            "Nested lock was not taken",
        )],
        segmenter: Segmenter {
            after_trace: AfterTrace::SecondTrace,
            ..SEGMENTER
        },
        title: &[(
            When::Always,
            Recipe::Format(rule(
                "WARNING: nested lock was not taken in {func}",
                &[FaultingPc, CallTrace],
                true,
            )),
        )],
        needs: LOCK_LINE,
        names_its_locks: true,
        signature: &[LockSlot::Acquiring, LockSlot::NestLock],
        reporters: &["print_lock_nested_lock_not_held"],
        ..LOCKDEP
    },
    KindRow {
        kind: ReportKind::SuspiciousRcuUsage,
        banners: &[banner(
            r"^(WARNING|INFO|BUG): suspicious RCU usage\.?$",
            "suspicious RCU usage",
        )],
        title: &[(
            When::Always,
            Recipe::Format(Rule {
                extra_skip: Skip::Rcu,
                ..rule("{tag}: suspicious RCU usage in {func}", &[CallTrace], true)
            }),
        )],
        signature: &[],
        // The message line lockdep_rcu_suspicious() prints first after the
        // banner's rule and version (`file:line <message>!`, no task: see
        // segment::banner::match_headless), for the
        // messages of the RCU-list and rcu_dereference checkers
        // (include/linux/rculist.h __list_check_rcu(), include/linux/
        // rcupdate.h rcu_dereference_check()/rcu_dereference_protected()).
        headless: &[
            " RCU-list traversed in non-reader section!",
            " suspicious rcu_dereference_check() usage!",
            " suspicious rcu_dereference_protected() usage!",
        ],
        // lockdep_rcu_suspicious() prints the line after the message.
        fragment: &["rcu_scheduler_active = "],
        reporters: &["lockdep_rcu_suspicious"],
        ..LOCKDEP
    },
    KindRow {
        kind: ReportKind::InvalidWaitContext,
        banners: &[banner(
            r"^(WARNING|INFO|BUG): Invalid wait context$",
            "Invalid wait context",
        )],
        headless: &[" is trying to lock:"],
        title: &[(
            When::Always,
            Recipe::Format(Rule {
                extra_skip: Skip::LockingBug,
                ..rule("WARNING: locking bug in {func}", &[CallTrace], true)
            }),
        )],
        needs: LOCK_LINE,
        reporters: &["print_lock_invalid_wait_context"],
        ..LOCKDEP
    },
    KindRow {
        kind: ReportKind::LockdepCapacity,
        banners: &[banner(r"^(BUG): (MAX_[A-Z_]+) too low!$", " too low!")],
        banner_reads: BannerReads::CapacityMessage,
        segmenter: Segmenter {
            junk_limit: 3,
            ..SEGMENTER
        },
        backtrace: Backtrace::NotRequired,
        ..LOCKDEP
    },
    KindRow {
        kind: ReportKind::NonStaticKey,
        banners: &[
            banner(
                r"^(INFO): trying to register non-static key\.?$",
                "non-static key",
            ),
            banner(
                r"^(BUG): key [0-9a-fx]+ has not been registered!$",
                "has not been registered",
            ),
        ],
        title: &[(
            When::Tag("INFO"),
            Recipe::Format(Rule {
                extra_skip: Skip::NonStatic,
                ..rule(
                    "INFO: trying to register non-static key in {func}",
                    &[CallTrace],
                    true,
                )
            }),
        )],
        ..LOCKDEP
    },
    KindRow {
        kind: ReportKind::InvalidSubclass,
        banners: &[banner(
            r"^(BUG): looking up invalid subclass: ([0-9]+)$",
            "invalid subclass",
        )],
        banner_reads: BannerReads::SubclassMessage,
        ..LOCKDEP
    },
    KindRow {
        kind: ReportKind::SleepingInAtomic,
        banners: &[banner(
            r"^(BUG): sleeping function called from invalid context at (\S+)$",
            "sleeping function called",
        )],
        banner_reads: BannerReads::AtomicSleepAt,
        title: &[(
            When::Always,
            Recipe::Format(rule(
                "BUG: sleeping function called from invalid context in {func}",
                &[CallTrace],
                true,
            )),
        )],
        ..LOCKDEP
    },
    KindRow {
        kind: ReportKind::SchedulingWhileAtomic,
        banners: &[banner(
            r"^(BUG): scheduling while atomic: (.+)$",
            "scheduling while atomic",
        )],
        banner_reads: BannerReads::TaskAndPreemptCount,
        title: &[(
            When::Always,
            Recipe::Format(Rule {
                extra_skip: Skip::Atomic,
                ..rule("BUG: scheduling while atomic in {func}", &[CallTrace], true)
            }),
        )],
        ..LOCKDEP
    },
    KindRow {
        kind: ReportKind::LocksStillHeld,
        banners: &[banner(
            r"^(WARNING|INFO|BUG): (.+) still has locks held!$",
            "still has locks held",
        )],
        banner_reads: BannerReads::Task,
        title: &[(
            When::Always,
            Recipe::Format(rule(
                "{tag}: still has locks held in {func}",
                &[FirstHeldAt],
                false,
            )),
        )],
        needs: &[need(Part::HeldLocks, "the held-locks list")],
        signature: &[LockSlot::Held],
        ..LOCKDEP
    },
    KindRow {
        kind: ReportKind::LockdepWarning,
        banners: &[
            banner(
                r"^(WARNING): (?:CPU: [0-9]+ PID: [0-9]+ )?at kernel/(?:locking/)?lockdep[a-z_]*\.c:[0-9]+",
                "lockdep.c:",
            ),
            banner(r"^()DEBUG_LOCKS_WARN_ON\(", "DEBUG_LOCKS_WARN_ON"),
            banner(r"^(WARNING): chain_key collision$", "chain_key collision"),
        ],
        banner_reads: BannerReads::Warning,
        segmenter: Segmenter {
            continuation: Continuation::PairedWarning,
            after_trace: AfterTrace::IrqEvents,
            ..SEGMENTER
        },
        title: &[
            (When::NoWarningAt, Recipe::Banner),
            (
                When::WarningInLockdep,
                Recipe::Format(Rule {
                    extra_skip: Skip::LockingBug,
                    ..rule(
                        "WARNING: locking bug in {func}",
                        &[FaultingPc, CallTrace],
                        true,
                    )
                }),
            ),
            (
                When::Always,
                Recipe::Format(rule("WARNING in {func}", &[FaultingPc, CallTrace], true)),
            ),
        ],
        ..LOCKDEP
    },
    KindRow {
        kind: ReportKind::HeldLocksDump,
        banners: &[
            BannerRow {
                hung_task: true,
                ..banner(
                    r"^(INFO): task (.+):([0-9]+) blocked (?:in I/O wait )?for more than [0-9]+ seconds\.?$",
                    "for more than",
                )
            },
            // A task name holding a newline splits the hung-task banner in
            // two; the second half still names the pid and the wait.
            BannerRow {
                hung_task: true,
                ..banner(
                    r"^()(.+):([0-9]+) blocked (?:in I/O wait )?for more than [0-9]+ seconds\.?$",
                    "for more than",
                )
            },
            BannerRow {
                opens_dump: true,
                ..banner(
                    r"^()Showing all locks held in the system:?$",
                    "Showing all locks held",
                )
            },
        ],
        banner_reads: BannerReads::HungTask,
        segmenter: Segmenter {
            continuation: Continuation::DumpAfterHungTask,
            ..SEGMENTER
        },
        title: &[
            (
                When::HungTask,
                Recipe::Format(Rule {
                    hung_task: true,
                    ..rule("INFO: task hung in {func}", &[CallTrace], true)
                }),
            ),
            (
                When::Always,
                Recipe::Fixed("Showing all locks held in the system"),
            ),
        ],
        needs: &[Need {
            unless_hung: true,
            ..need(Part::HeldLocks, "any held-locks list")
        }],
        backtrace: Backtrace::WhenHung,
        task_from_held_list: false,
        signature: &[],
        ..LOCKDEP
    },
    KindRow {
        kind: ReportKind::Dept,
        banners: &[banner(
            r"^()(?:DEPT|Dept): Circular (recover )?dependency has been detected\.$",
            "dependency has been detected",
        )],
        segmenter: Segmenter {
            body: Body::Dept,
            ..SEGMENTER
        },
        // DEPT is no syzkaller format: the title names the wait that
        // closed the cycle (context A's `[W]` site), else the first frame
        // of the backtrace outside DEPT and dump machinery.
        title: &[
            (
                When::Capture("recover "),
                Recipe::Format(Rule {
                    extra_skip: Skip::Dept,
                    ..rule(
                        "DEPT: circular recover dependency in {func}",
                        &[CallTrace],
                        true,
                    )
                }),
            ),
            (
                When::Always,
                Recipe::Format(Rule {
                    extra_skip: Skip::Dept,
                    ..rule(
                        "DEPT: circular dependency in {func}",
                        &[DeptWaitAt, CallTrace],
                        true,
                    )
                }),
            ),
        ],
        needs: &[
            Need {
                unless_recover: true,
                ..need(Part::DeptContexts, "the dependency contexts")
            },
            Need {
                unless_recover: true,
                ..need(Part::DeptDetails, "the detail of every context")
            },
        ],
        headerless_stack: false,
        task_from_held_list: false,
        signature: &[],
        cycle: Cycle::Dept,
        detector: "DEPT",
        ..LOCKDEP
    },
    KindRow {
        kind: ReportKind::Other,
        backtrace: Backtrace::NotRequired,
        headerless_stack: false,
        task_from_held_list: false,
        // Sections several kinds print (print_circular_lock_scenario,
        // print_irq_lock_scenario, print_deadlock_scenario,
        // print_usage_bug_scenario): a fragment opened by one is of no
        // kind until its sections or its reporting function tell.
        fragment: &[
            "Chain exists of:",
            "Possible unsafe locking scenario:",
            "Possible interrupt unsafe locking scenario:",
            "*** DEADLOCK ***",
        ],
        ..LOCKDEP
    },
];

const _: () = {
    assert!(ROWS.len() == ReportKind::ALL.len(), "one row per kind");
    let mut i = 0;
    while i < ROWS.len() {
        assert!(
            ROWS[i].kind as usize == i,
            "rows are in ReportKind::ALL order"
        );
        i += 1;
    }
};

/// How many banner rows the table has.
pub const BANNER_ROWS: usize = {
    let mut n = 0;
    let mut i = 0;
    while i < ROWS.len() {
        n += ROWS[i].banners.len();
        i += 1;
    }
    n
};

/// Every banner row of the table, in table order, with its kind.
pub fn banner_rows() -> impl Iterator<Item = (ReportKind, &'static BannerRow)> {
    ROWS.iter()
        .flat_map(|r| r.banners.iter().map(move |b| (r.kind, b)))
}

/// Every fragment opener of the table, in table order, with its kind.
pub fn fragment_openers() -> impl Iterator<Item = (ReportKind, &'static str)> {
    ROWS.iter()
        .flat_map(|r| r.fragment.iter().map(move |p| (r.kind, *p)))
}

/// The kind whose report `function` (a frame's base name) prints, if any.
pub fn kind_reported_by(function: &str) -> Option<ReportKind> {
    ROWS.iter()
        .find(|r| r.reporters.contains(&function))
        .map(|r| r.kind)
}

/// Every headless phrase of the table, in table order, with its kind.
pub fn headless_phrases() -> impl Iterator<Item = (ReportKind, &'static str)> {
    ROWS.iter()
        .flat_map(|r| r.headless.iter().map(move |p| (r.kind, *p)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_distinct_snake_case() {
        let mut seen = std::collections::BTreeSet::new();
        for k in ReportKind::ALL {
            let n = k.as_str();
            assert!(
                n.bytes().all(|c| c.is_ascii_lowercase() || c == b'_'),
                "{n}"
            );
            assert!(seen.insert(n), "{n} twice");
            assert_eq!(serde_json::to_string(&k).unwrap(), format!("\"{n}\""));
        }
    }

    #[test]
    fn every_kind_but_other_has_a_banner() {
        for r in ROWS {
            assert_eq!(
                r.banners.is_empty(),
                r.kind == ReportKind::Other,
                "{}",
                r.kind
            );
        }
    }
}
