//! ⑦ Diff: a baseline report and a new one → the transitions between them and whether any is
//! a regression (the exit code of `vetter diff` and `--baseline`). Pure. Findings are matched
//! by their stable fingerprint (`id`: rule id and resource), never by position.
//!
//! The transition table (docs/baselines.md):
//!
//! | baseline            | now            | kind            | regression?                  |
//! |---------------------|----------------|-----------------|------------------------------|
//! | pass                | fail           | pass→fail       | yes                          |
//! | pass                | error          | pass→error      | yes                          |
//! | skip/manual/waived  | fail or error  | newly failing   | yes                          |
//! | (absent), rule known| fail or error  | new failing resource | yes                     |
//! | (absent), rule new  | fail or error  | new rule        | only with --fail-on-new-rules |
//! | fail or error       | pass           | fixed           | no                           |
//! | fail or error       | fail or error  | still failing   | no                           |
//! | anything            | waived         | waived          | no                           |
//! | present             | (absent)       | gone            | no                           |
//! | waiver not expired  | expired        | expired waiver  | yes                          |
//! | waiver expired      | still expired  | (its finding compared as usual) | no             |
//! | score               | lower by more than --max-drop (rules both know) | score drop | yes |

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::Report;
use crate::engine::{Finding, Status};

/// What happened to one finding between the baseline and now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Transition {
    PassToFail,
    PassToError,
    NewlyFailing,
    NewFailingResource,
    NewRule,
    Fixed,
    StillFailing,
    Waived,
    Gone,
}

impl Transition {
    pub fn as_str(self) -> &'static str {
        match self {
            Transition::PassToFail => "pass→fail",
            Transition::PassToError => "pass→error",
            Transition::NewlyFailing => "newly failing",
            Transition::NewFailingResource => "new failing resource",
            Transition::NewRule => "new rule",
            Transition::Fixed => "fixed",
            Transition::StillFailing => "still failing",
            Transition::Waived => "waived",
            Transition::Gone => "gone",
        }
    }
}

/// One finding that changed (or kept failing).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Change {
    pub id: String,
    pub rule: String,
    pub resource: String,
    pub severity: crate::rules::Severity,
    pub before: Option<Status>,
    pub after: Option<Status>,
    pub transition: Transition,
    pub regression: bool,
    pub message: Option<String>,
}

/// Options that decide what counts as a regression.
#[derive(Debug, Clone, Copy, Default)]
pub struct DiffOptions {
    /// Score points the overall score may fall before that is a regression (default 0).
    pub max_drop: f64,
    /// Count failures of rules the baseline did not have.
    pub fail_on_new_rules: bool,
}

/// The comparison of two reports.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Diff {
    pub vendor: String,
    pub baseline_as_of: String,
    pub as_of: String,
    pub score_before: Option<f64>,
    pub score_after: Option<f64>,
    pub grade_before: crate::rules::Grade,
    pub grade_after: crate::rules::Grade,
    /// Overall score over the rules both reports ran (so new rules do not move it).
    pub common_score_before: Option<f64>,
    pub common_score_after: Option<f64>,
    pub score_drop_regression: bool,
    /// Waivers expired in the new report that had not expired in the baseline.
    pub expired_waivers: Vec<super::WaiverEntry>,
    /// Every change, regressions first.
    pub changes: Vec<Change>,
    pub regressions: usize,
}

fn failing(s: Status) -> bool {
    s.is_failure()
}

/// Compare `new` against the `old` baseline.
pub fn diff(old: &Report, new: &Report, opts: DiffOptions) -> Diff {
    let before: BTreeMap<&str, &Finding> = old.findings.iter().map(|f| (f.id.as_str(), f)).collect();
    let after: BTreeMap<&str, &Finding> = new.findings.iter().map(|f| (f.id.as_str(), f)).collect();
    let old_rules: BTreeSet<&str> = old.findings.iter().map(|f| f.rule.as_str()).collect();
    let new_rules: BTreeSet<&str> = new.findings.iter().map(|f| f.rule.as_str()).collect();
    let mut changes = Vec::new();
    for (id, f) in &after {
        let b = before.get(id).map(|x| x.status);
        let t = match (b, f.status) {
            (Some(Status::Pass), Status::Fail) => Transition::PassToFail,
            (Some(Status::Pass), Status::Error) => Transition::PassToError,
            (Some(x), y) if failing(x) && failing(y) => Transition::StillFailing,
            (Some(_), y) if failing(y) => Transition::NewlyFailing,
            (None, y) if failing(y) && old_rules.contains(f.rule.as_str()) => Transition::NewFailingResource,
            (None, y) if failing(y) => Transition::NewRule,
            (Some(x), Status::Pass) if failing(x) => Transition::Fixed,
            (Some(x), Status::Waived) if x != Status::Waived => Transition::Waived,
            _ => continue,
        };
        let regression = match t {
            Transition::PassToFail
            | Transition::PassToError
            | Transition::NewlyFailing
            | Transition::NewFailingResource => true,
            Transition::NewRule => opts.fail_on_new_rules,
            _ => false,
        };
        changes.push(Change {
            id: f.id.clone(),
            rule: f.rule.clone(),
            resource: f.resource.clone(),
            severity: f.severity,
            before: b,
            after: Some(f.status),
            transition: t,
            regression,
            // A check stopped by an unprobed resource says its resource's cause.
            message: f.message.clone().or_else(|| {
                new.unassessed_entry(&f.resource)
                    .map(|u| format!("could not assess: {}", u.cause))
            }),
        });
    }
    for (id, f) in &before {
        if !after.contains_key(id) && new_rules.contains(f.rule.as_str()) {
            changes.push(Change {
                id: f.id.clone(),
                rule: f.rule.clone(),
                resource: f.resource.clone(),
                severity: f.severity,
                before: Some(f.status),
                after: None,
                transition: Transition::Gone,
                regression: false,
                message: None,
            });
        }
    }
    changes.sort_by(|a, b| {
        b.regression
            .cmp(&a.regression)
            .then(a.transition.cmp(&b.transition))
            .then(b.severity.cmp(&a.severity))
            .then(a.rule.cmp(&b.rule))
            .then(a.resource.cmp(&b.resource))
    });
    let common: BTreeSet<&str> = old_rules.intersection(&new_rules).copied().collect();
    let common_score = |r: &Report| {
        let mut fs: Vec<Finding> = r
            .findings
            .iter()
            .filter(|f| common.contains(f.rule.as_str()))
            .cloned()
            .collect();
        crate::score::score(&mut fs, None).overall
    };
    let (cb, ca) = (common_score(old), common_score(new));
    let score_drop_regression = match (cb, ca) {
        (Some(b), Some(a)) => b - a > opts.max_drop + 1e-9,
        (Some(_), None) => true,
        _ => false,
    };
    // A waiver that had already expired in the baseline is not a new regression: its finding
    // is compared like any other (still failing), so a baseline taken after the expiry passes.
    let expired_before: BTreeSet<(&str, Option<&str>)> = old
        .waivers
        .iter()
        .filter(|w| w.expired)
        .map(|w| (w.rule.as_str(), w.resource.as_deref()))
        .collect();
    let expired_waivers: Vec<_> = new
        .waivers
        .iter()
        .filter(|w| w.expired && !expired_before.contains(&(w.rule.as_str(), w.resource.as_deref())))
        .cloned()
        .collect();
    let regressions =
        changes.iter().filter(|c| c.regression).count() + usize::from(score_drop_regression) + expired_waivers.len();
    Diff {
        vendor: new.vendor.name.clone(),
        baseline_as_of: old.as_of.clone(),
        as_of: new.as_of.clone(),
        score_before: old.score.overall,
        score_after: new.score.overall,
        grade_before: old.score.grade,
        grade_after: new.score.grade,
        common_score_before: cb,
        common_score_after: ca,
        score_drop_regression,
        expired_waivers,
        changes,
        regressions,
    }
}

fn score_text(s: Option<f64>) -> String {
    s.map(|v| format!("{v:.1}")).unwrap_or_else(|| "n/a".into())
}

/// Plain text for a terminal or a CI log.
/// The text of a diff. Both reports were read from files anyone could have written, so the
/// whole text is escaped (it has no control characters of its own).
pub fn render_text(d: &Diff) -> String {
    super::text::escape_controls(&render_raw(d)).into_owned()
}

fn render_raw(d: &Diff) -> String {
    use std::fmt::Write;
    let mut o = String::new();
    let _ = writeln!(
        o,
        "{}: grade {} → {}, score {} → {} (baseline as of {}, now as of {})",
        d.vendor,
        d.grade_before,
        d.grade_after,
        score_text(d.score_before),
        score_text(d.score_after),
        d.baseline_as_of,
        d.as_of
    );
    if d.score_drop_regression {
        let _ = writeln!(
            o,
            "REGRESSION score drop: {} → {} on the rules both reports ran",
            score_text(d.common_score_before),
            score_text(d.common_score_after)
        );
    }
    for w in &d.expired_waivers {
        let _ = writeln!(
            o,
            "REGRESSION expired waiver: {} on {} expired {} ({})",
            w.rule,
            w.resource.as_deref().unwrap_or("any resource"),
            w.expires,
            w.reason
        );
    }
    let mut section = None;
    // Findings that fail in both are counted, not listed: the list is about what moved.
    for c in d.changes.iter().filter(|c| c.transition != Transition::StillFailing) {
        let head = if c.regression {
            "Regressions"
        } else if c.transition == Transition::NewRule {
            "New rules (not counted; --fail-on-new-rules counts them)"
        } else {
            "Other changes"
        };
        if section != Some(head) {
            let _ = writeln!(o, "\n{head}:");
            section = Some(head);
        }
        let _ = writeln!(
            o,
            "  {:<20} {:<8} {} on {}{}",
            c.transition.as_str(),
            c.severity.as_str(),
            c.rule,
            c.resource,
            c.message.as_deref().map(|m| format!(": {m}")).unwrap_or_default()
        );
    }
    let _ = writeln!(
        o,
        "\n{} regression(s); {} fixed; {} still failing; {} new-rule failure(s)",
        d.regressions,
        d.changes.iter().filter(|c| c.transition == Transition::Fixed).count(),
        d.changes
            .iter()
            .filter(|c| c.transition == Transition::StillFailing)
            .count(),
        d.changes.iter().filter(|c| c.transition == Transition::NewRule).count()
    );
    o
}
