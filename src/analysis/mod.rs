//! What the stages after parsing derive from one report, bundled for the
//! renderers, the lock graph and triage: the walk's allocation context, the
//! classifier's verdict, and (in [`cycle`]) the report's lock cycle.

pub mod cycle;

use serde::Serialize;

use crate::classify;
use crate::kernel;
use crate::model::Report;
use crate::walk::{self, RulesUsed, TraceWalk, WalkOptions};

/// A report with everything the later stages derived from it. Serialized
/// flat: the report's fields, then `walk_rules` and `gfp_walk`.
#[derive(Debug, Clone, Serialize)]
pub struct Analysis {
    #[serde(flatten)]
    pub report: Report,
    /// The kernel rules the walk used and where the version came from.
    pub walk_rules: RulesUsed,
    /// The allocation context along every stack, outermost frame first.
    pub gfp_walk: Vec<TraceWalk>,
    /// Is it a real deadlock, a false positive, ...: the classifier's verdict.
    pub verdict: classify::Verdict,
}

/// Run the stages after parsing on one report.
pub fn analyze(report: Report, opts: &WalkOptions<'_>) -> Analysis {
    let (walk_rules, gfp_walk) = walk::walk_report(&report, opts);
    let verdict = classify::classify(&classify::Ctx {
        report: &report,
        walks: &gfp_walk,
        walk_rules: &walk_rules,
        version: report
            .kernel
            .as_deref()
            .and_then(kernel::version::KernelVersion::from_release),
    });
    Analysis {
        report,
        walk_rules,
        gfp_walk,
        verdict,
    }
}
