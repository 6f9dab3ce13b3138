//! The classifier: a verdict on every report — true deadlock, false
//! positive, PREEMPT_RT-only, locking bug, lockdep-internal, or
//! undetermined — with the rule that decided it, a confidence, the evidence
//! and a fix.
//!
//! Rules are a table (`rules.toml`: id, class, confidence, what they look
//! for, what they conclude, kernels, fix, references) and each rule id has
//! one small predicate in `predicates.rs` over the typed report and its
//! allocation-context walk. Predicates never look at raw text. The first
//! rule that fires (table order) is the primary one; all that fire are
//! listed.

mod predicates;

use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use crate::kernel::version::KernelVersion;
use crate::model::Report;
use crate::walk::{RulesUsed, TraceWalk};

pub use crate::model::Class;

/// How sure a verdict is. Ordered low < medium < high.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Confidence {
    /// Low: the facts fit the rule but do not decide it; check the code.
    Low,
    /// Medium: the facts point to the rule's reading, short of deciding it.
    Medium,
    /// High: the facts the rule reads decide it (high rules list them in
    /// `needs`).
    High,
}

impl Confidence {
    /// The JSON and rules.toml name (`low`, `medium`, `high`).
    pub fn as_str(self) -> &'static str {
        match self {
            Confidence::Low => "low",
            Confidence::Medium => "medium",
            Confidence::High => "high",
        }
    }

    /// One step down (never below low).
    pub fn lower(self) -> Confidence {
        match self {
            Confidence::High => Confidence::Medium,
            _ => Confidence::Low,
        }
    }
}

/// One row of the rule table.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// The stable rule id, used in JSON (`verdict.rule`) and by `splatdec
    /// rules ID`; each id has one predicate.
    pub id: String,
    /// The verdict class the rule gives when it fires.
    pub class: Class,
    /// The rule's default confidence; a predicate's finding, the taint or
    /// damage may lower it.
    pub confidence: Confidence,
    /// The report kinds (JSON names) the rule is tried on.
    pub kinds: Vec<String>,
    /// Where the rule applies, as text for `splatdec rules` (`4.14-4.15`, `up
    /// to 5.16`).
    pub kernels: String,
    /// What the rule looks for, for `splatdec rules`.
    pub looks_for: String,
    /// What it concludes; its first sentence is the verdict's summary unless
    /// the finding gives a sharper one.
    pub concludes: String,
    /// The generic fix, used unless the finding names a sharper one.
    pub fix: String,
    /// Public references: commit ids with subjects, lore links, kernel source
    /// or doc paths.
    pub references: Vec<String>,
    /// The report facts the rule reads (required of every high-confidence
    /// rule): on an incomplete or damaged report the rule keeps its
    /// confidence only when all are present.
    #[serde(default)]
    pub needs: Option<Vec<Fact>>,
}

/// A report fact a rule can read (`needs` in rules.toml).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Fact {
    /// [`Report::acquiring`].
    Acquiring,
    /// [`Report::holding`].
    Holding,
    /// [`Report::releasing`].
    Releasing,
    /// The lock line of an unlock or contention report.
    LockLine,
    /// [`Report::nest_lock`].
    NestLock,
    /// At least one of [`Report::other_locks`].
    OtherLock,
    /// [`Report::irq_inversion`].
    IrqInversion,
    /// [`Report::usage_transition`].
    UsageTransition,
    /// A non-empty [`Report::chain`].
    Chain,
    /// A held-locks list with at least one lock.
    HeldLocks,
    /// A non-empty final backtrace.
    Backtrace,
    /// [`Report::atomic_sleep`].
    AtomicSleep,
    /// [`Report::rcu`].
    RcuState,
    /// [`Report::warning_at`].
    WarningAt,
    /// An allocation-context walk with at least one decided frame.
    Walk,
}

impl Fact {
    /// Is the fact in the report (and its walks)?
    pub fn present(self, r: &Report, walks: &[TraceWalk]) -> bool {
        match self {
            Fact::Acquiring => r.acquiring.is_some(),
            Fact::Holding => r.holding.is_some(),
            Fact::Releasing => r.releasing.is_some(),
            Fact::LockLine => r.acquiring.is_some() || r.releasing.is_some(),
            Fact::NestLock => r.nest_lock.is_some(),
            Fact::OtherLock => !r.other_locks.is_empty(),
            Fact::IrqInversion => r.irq_inversion.is_some(),
            Fact::UsageTransition => r.usage_transition.is_some(),
            Fact::Chain => !r.chain.is_empty(),
            Fact::HeldLocks => r.held_lock_lists.iter().any(|h| !h.locks.is_empty()),
            Fact::Backtrace => !r.backtrace.is_empty(),
            Fact::AtomicSleep => r.atomic_sleep.is_some(),
            Fact::RcuState => r.rcu.is_some(),
            Fact::WarningAt => r.warning_at.is_some(),
            Fact::Walk => walks
                .iter()
                .any(|w| w.frames.iter().any(|f| f.note.is_some())),
        }
    }

    /// The fact in words, for explanations.
    pub fn describe(self) -> &'static str {
        match self {
            Fact::Acquiring => "the lock being acquired",
            Fact::Holding => "the lock held",
            Fact::Releasing => "the lock being released",
            Fact::LockLine => "the lock line",
            Fact::NestLock => "the nest lock",
            Fact::OtherLock => "the other lock",
            Fact::IrqInversion => "the inversion's direction",
            Fact::UsageTransition => "the usage transition",
            Fact::Chain => "the dependency chain",
            Fact::HeldLocks => "the held locks",
            Fact::Backtrace => "the backtrace",
            Fact::AtomicSleep => "the atomic-context facts",
            Fact::RcuState => "the RCU state lines",
            Fact::WarningAt => "the warning's location",
            Fact::Walk => "a decided allocation-context walk",
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleFile {
    rule: Vec<Rule>,
}

/// The rule table, in priority order.
pub fn rules() -> &'static [Rule] {
    static RULES: OnceLock<Vec<Rule>> = OnceLock::new();
    RULES.get_or_init(|| {
        let file: RuleFile =
            toml::from_str(include_str!("rules.toml")).expect("embedded rule table parses");
        file.rule
    })
}

/// Look up one rule by id.
pub fn rule(id: &str) -> Option<&'static Rule> {
    rules().iter().find(|r| r.id == id)
}

/// What a predicate found.
#[derive(Debug, Clone, Default)]
pub struct Finding {
    /// The facts used (frames, lock classes, walk states), one per line.
    pub evidence: Vec<String>,
    /// Sentences naming the frames, locks and flags that prove it.
    pub explanation: String,
    /// A sharper fix than the rule's generic one (names the lock/site).
    pub fix: Option<String>,
    /// A conclusion that replaces the rule's generic one where the report
    /// shows the generic one does not apply (a pseudo-lock is not spun on).
    pub summary: Option<String>,
    /// Lower the rule's confidence, with the reason.
    pub weaker: Option<String>,
}

/// A rule that fired on a report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleHit {
    /// The rule's id.
    pub rule: String,
    /// The rule's class.
    pub class: Class,
    /// The confidence it would have as the primary rule (after the finding's,
    /// the taint's and the damage's lowering).
    pub confidence: Confidence,
}

/// The verdict on one report (JSON `verdict`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verdict {
    /// The primary rule's class ([`Class::Undetermined`] when none fired).
    pub class: Class,
    /// The primary rule's id (`undetermined` when none fired).
    pub rule: String,
    /// How sure the verdict is: the primary rule's confidence, lowered by its
    /// finding, the taint and missing facts.
    pub confidence: Confidence,
    /// One sentence.
    pub summary: String,
    /// A paragraph naming the frames, locks and flags that prove it.
    pub explanation: String,
    /// The facts the primary rule used (frames, lock classes, walk states),
    /// one per entry.
    pub evidence: Vec<String>,
    /// What to do: the finding's fix when it names the site, else the rule's.
    pub fix: String,
    /// The primary rule's references (public: commit ids with subjects, lore
    /// links, kernel paths).
    pub references: Vec<String>,
    /// Every rule that fired, the primary first.
    pub rules: Vec<RuleHit>,
}

/// What a predicate sees.
pub struct Ctx<'a> {
    /// The report being classified.
    pub report: &'a Report,
    /// The allocation-context walk of each of the report's stacks.
    pub walks: &'a [TraceWalk],
    /// The walk rules used (kernel version and where they came from), so
    /// predicates can say which rules they judged by.
    pub walk_rules: &'a RulesUsed,
    /// The kernel version the report printed (`None` when it did not).
    pub version: Option<KernelVersion>,
}

/// Why confidence drops for this report, if it does: the taint flags that
/// make lockdep's picture less trustworthy (an earlier warning or oops,
/// proprietary, out-of-tree, unsigned or forced modules, bad pages), from
/// the taint table (`kernel/data/taint.toml`).
fn taint_caveat(r: &Report) -> Option<String> {
    let why = crate::kernel::taint::caveats(r.tainted.as_ref()?.taint()?);
    (!why.is_empty()).then(|| why.join("; "))
}

/// On a report splatdec marks incomplete or damaged: whether the rule's
/// confidence must drop (a fact it reads is missing, or it lists none), and
/// the sentence that says which facts were or were not there.
fn damage_note(rule: &Rule, ctx: &Ctx<'_>) -> Option<(bool, String)> {
    let r = ctx.report;
    if r.complete && !r.damaged() {
        return None;
    }
    let state = match (r.complete, r.damaged()) {
        (false, true) => "incomplete and damaged",
        (false, false) => "incomplete",
        _ => "damaged",
    };
    let Some(needs) = &rule.needs else {
        return Some((true, format!("Confidence lowered: the report is {state}.")));
    };
    let missing: Vec<&str> = needs
        .iter()
        .filter(|f| !f.present(r, ctx.walks))
        .map(|f| f.describe())
        .collect();
    if missing.is_empty() {
        let had: Vec<&str> = needs.iter().map(|f| f.describe()).collect();
        let what = if had.is_empty() {
            "the banner alone decides this rule".to_string()
        } else {
            format!("every fact this rule reads is present ({})", had.join(", "))
        };
        Some((false, format!("The report is {state}, but {what}.")))
    } else {
        Some((
            true,
            format!(
                "Confidence lowered: the report is {state} and lacks {}, which this rule reads.",
                missing.join(", ")
            ),
        ))
    }
}

/// Classify one report.
pub fn classify(ctx: &Ctx<'_>) -> Verdict {
    let mut hits: Vec<(&'static Rule, Finding)> = Vec::new();
    for rule in rules() {
        if !rule.kinds.iter().any(|k| k == ctx.report.kind.as_str()) {
            continue;
        }
        if let Some(f) = predicates::run(&rule.id, ctx) {
            hits.push((rule, f));
        }
    }
    let caveat = taint_caveat(ctx.report);
    let confidence_of = |rule: &Rule, f: &Finding| {
        let mut c = rule.confidence;
        if f.weaker.is_some() {
            c = c.lower();
        }
        if caveat.is_some() {
            c = c.lower();
        }
        if c == Confidence::High && damage_note(rule, ctx).is_some_and(|(lowered, _)| lowered) {
            c = c.lower();
        }
        c
    };
    let rule_hits: Vec<RuleHit> = hits
        .iter()
        .map(|(rule, f)| RuleHit {
            rule: rule.id.clone(),
            class: rule.class,
            confidence: confidence_of(rule, f),
        })
        .collect();
    let Some((rule, finding)) = hits.first() else {
        return undetermined(ctx);
    };
    let confidence = confidence_of(rule, finding);
    let mut explanation = finding.explanation.clone();
    if let Some(w) = &finding.weaker {
        explanation.push_str(&format!(" Confidence lowered: {w}."));
    }
    if let Some(c) = &caveat {
        explanation.push_str(&format!(" Confidence lowered: {c}."));
    }
    if let Some((_, note)) = damage_note(rule, ctx) {
        explanation.push_str(&format!(" {note}"));
    }
    Verdict {
        class: rule.class,
        rule: rule.id.clone(),
        confidence,
        summary: finding
            .summary
            .clone()
            .unwrap_or_else(|| first_sentence(&rule.concludes)),
        explanation: format!(
            "{} {}",
            explanation,
            finding.summary.as_deref().unwrap_or(&rule.concludes)
        )
        .trim()
        .to_string(),
        evidence: finding.evidence.clone(),
        fix: finding.fix.clone().unwrap_or_else(|| rule.fix.clone()),
        references: rule.references.clone(),
        rules: rule_hits,
    }
}

/// The first sentence of `s` (up to the first ". ").
fn first_sentence(s: &str) -> String {
    match s.find(". ") {
        Some(i) => s[..=i].to_string(),
        None => s.to_string(),
    }
}

/// No rule decided: say what was missing.
fn undetermined(ctx: &Ctx<'_>) -> Verdict {
    let r = ctx.report;
    let mut missing = Vec::new();
    if !r.complete {
        missing.push("the report is incomplete".to_string());
    }
    if r.kind == crate::model::ReportKind::HeldLocksDump {
        missing.push(
            "a held-locks dump (hung task) is not a lockdep finding by itself: look at the blocked task's stack and who owns the locks it waits for".to_string(),
        );
    }
    if r.lockdep_off {
        missing.push(
            "lockdep was already turned off (an earlier splat or a capacity limit), so held locks were not printed: find the first lockdep report of the boot".to_string(),
        );
    }
    if missing.is_empty() {
        missing.push(format!("no rule covers this {} report", r.kind));
    }
    Verdict {
        class: Class::Undetermined,
        rule: "undetermined".to_string(),
        confidence: Confidence::Low,
        summary: "Undetermined: no rule could decide this report.".to_string(),
        explanation: format!("Missing: {}.", missing.join("; ")),
        evidence: Vec::new(),
        fix: undetermined_fix(ctx),
        references: Vec::new(),
        rules: Vec::new(),
    }
}

/// What to read when no rule decided: only the sections the output has.
/// The chain and the held locks are what the detector recorded; the walk
/// is splatdec's own reading of each stack, so it is named for what it
/// follows, not as something the detector saw.
fn undetermined_fix(ctx: &Ctx<'_>) -> String {
    let r = ctx.report;
    let mut recorded = Vec::new();
    if !r.chain.is_empty() {
        recorded.push("the dependency chain");
    }
    if !r.held_locks.is_empty() {
        recorded.push("the held locks");
    }
    let walked = ctx.walks.iter().any(|w| !w.frames.is_empty());
    let mut parts = Vec::new();
    if !recorded.is_empty() {
        // "the held locks" is plural on its own.
        let verb = if recorded == ["the dependency chain"] {
            "shows"
        } else {
            "show"
        };
        parts.push(format!(
            "{} {verb} what {} recorded",
            recorded.join(" and "),
            r.kind.row().detector
        ));
    }
    if walked {
        parts.push(
            "the allocation-context walk follows the gfp mask and task flags along each stack"
                .to_string(),
        );
    }
    if parts.is_empty() {
        "Read the report by hand.".to_string()
    } else {
        format!("Read the report by hand; {}.", parts.join(", and "))
    }
}

/// A rule's precision on the labeled set: of the decided splats where it
/// was the primary rule, how many agree with the maintainers, per half.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Precision {
    /// `[agreed, decided]` on the dev half (rules are written against it).
    #[serde(default)]
    pub dev: [u32; 2],
    /// `[agreed, decided]` on the holdout half.
    #[serde(default)]
    pub holdout: [u32; 2],
}

impl Precision {
    /// `[agreed, decided]` over both halves.
    pub fn all(&self) -> [u32; 2] {
        [self.dev[0] + self.holdout[0], self.dev[1] + self.holdout[1]]
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PrecisionFile {
    rule: Vec<PrecisionRow>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PrecisionRow {
    id: String,
    #[serde(flatten)]
    p: Precision,
}

/// The precision of rule `id` on the labeled set, as tests/labeled.rs last
/// computed it (`precision.toml`; the test fails when it is stale); `None`
/// when no labeled splat was decided by the rule.
pub fn precision(id: &str) -> Option<Precision> {
    static TABLE: OnceLock<Vec<PrecisionRow>> = OnceLock::new();
    TABLE
        .get_or_init(|| {
            toml::from_str::<PrecisionFile>(include_str!("precision.toml"))
                .expect("embedded precision table parses")
                .rule
        })
        .iter()
        .find(|r| r.id == id)
        .map(|r| r.p)
}

/// `agreed/decided` on the whole labeled set, or `-` when no labeled splat
/// was decided by the rule.
fn precision_cell(id: &str) -> String {
    match precision(id).map(|p| p.all()) {
        Some([ok, n]) if n > 0 => format!("{ok}/{n}"),
        _ => "-".to_string(),
    }
}

/// Text for `splatdec rules`: one line per rule, with its precision on the
/// labeled set (agreed/decided splats where it was the primary rule).
pub fn rules_list() -> String {
    let mut out = format!(
        "{:32} {:16} {:6}  {:>8}  {}\n",
        "rule", "class", "conf.", "labeled", "kinds"
    );
    for r in rules() {
        out.push_str(&format!(
            "{:32} {:16} {:6}  {:>8}  {}\n",
            r.id,
            r.class.as_str(),
            r.confidence.as_str(),
            precision_cell(&r.id),
            r.kinds.join(",")
        ));
    }
    out.push_str(
        "\nlabeled: agreed/decided splats of the labeled set (fixtures/real, fixtures/labeled) where the rule was the primary one; - for none.\n",
    );
    out
}

/// The precision line of `splatdec rules ID`.
fn precision_text(id: &str) -> String {
    let Some(p) = precision(id).filter(|p| p.all()[1] > 0) else {
        return "no labeled splat decided by this rule".to_string();
    };
    let [ok, n] = p.all();
    format!(
        "{ok}/{n} agree with the maintainers (dev half {}/{}, holdout half {}/{})",
        p.dev[0], p.dev[1], p.holdout[0], p.holdout[1]
    )
}

/// Text for `splatdec rules ID`.
pub fn rule_text(r: &Rule) -> String {
    format!(
        "{}\n  class:       {}\n  confidence:  {} (default)\n  kinds:       {}\n  kernels:     {}\n  labeled set: {}\n\nLooks for:\n  {}\n\nConcludes:\n  {}\n\nFix:\n  {}\n\nReferences:\n{}",
        r.id,
        r.class,
        r.confidence.as_str(),
        r.kinds.join(", "),
        r.kernels,
        precision_text(&r.id),
        r.looks_for,
        r.concludes,
        r.fix,
        r.references.iter().map(|x| format!("  - {x}\n")).collect::<String>()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_high_confidence_rule_says_what_it_reads() {
        for r in rules() {
            if r.confidence == Confidence::High {
                assert!(r.needs.is_some(), "{} is high but lists no `needs`", r.id);
            }
        }
    }

    #[test]
    fn an_incomplete_report_missing_what_the_rule_reads_is_not_high() {
        // A SOFTIRQ-safe -> unsafe report cut right after its banner and
        // task line: the rule fires on the kind, but its locks are missing.
        let log = "=====================================================\n\
WARNING: SOFTIRQ-safe -> SOFTIRQ-unsafe lock order detected\n\
5.9.0 #1 Not tainted\n\
-----------------------------------------------------\n";
        let r = crate::decode_str(log, "t").remove(0);
        assert!(!r.complete);
        let a = crate::analyze(r, &crate::WalkOptions::default());
        assert_eq!(a.verdict.rule, "irq-safe-unsafe-order");
        assert_ne!(a.verdict.confidence, Confidence::High);
        assert!(
            a.verdict
                .explanation
                .contains("lacks the lock being acquired"),
            "{}",
            a.verdict.explanation
        );
    }

    #[test]
    fn table_loads_and_every_rule_has_a_predicate() {
        assert!(rules().len() >= 25);
        for r in rules() {
            assert!(predicates::known(&r.id), "{} has no predicate", r.id);
            for k in &r.kinds {
                assert!(
                    crate::model::ReportKind::ALL
                        .iter()
                        .any(|x| x.as_str() == k),
                    "{}: unknown kind {k}",
                    r.id
                );
            }
            assert!(!r.references.is_empty(), "{} has no reference", r.id);
        }
        let mut ids: Vec<_> = rules().iter().map(|r| &r.id).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), rules().len(), "duplicate rule ids");
    }
}
