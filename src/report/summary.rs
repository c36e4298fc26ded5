//! ⑥ The summary every format opens with: the counts, the caps in words, and the next steps —
//! the few open findings whose settling would raise the result most, each phrased as an action
//! for whoever acts (the vendor, or the practice) — plus the one-line legend. Pure: computed
//! from a Report alone, so a report read back from JSON (even one written before schema 2.2)
//! summarises the same way. Decisions: docs/decisions-reports.md, "A summary people act on".

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{Report, Summary};
use crate::engine::{Finding, Status};
use crate::rules::{Force, Grade, Severity};
use crate::score::{Cap, Weights};

/// Next steps a summary lists unless `--top` says otherwise (the JSON always holds this many).
pub const DEFAULT_TOP: usize = 5;

/// The one-line legend for the three figures people ask about.
pub const LEGEND: &str = "Worth: the overall score had that finding passed · Coverage: the share of the checks' \
weight verified from evidence (the rest awaits an attestation, evidence not supplied, or a resource that could \
not be read) · Without waivers: the grade and score had no waiver applied";

named_enum! {
    /// Who acts on a next step.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, schemars::JsonSchema)]
    pub enum Actor ("actor") {
        /// The vendor: a check ran on its product or paper and failed.
        Vendor = "vendor",
        /// The practice: ask for evidence, negotiate a term, sign an attestation, or make a
        /// check run (an error is never the vendor's fault).
        Practice = "practice",
    }
}

named_enum! {
    /// What kind of act a next step is.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
    pub enum Action ("action") {
        /// The vendor fixes what failed.
        Fix = "fix",
        /// The practice negotiates a contract term the law does not demand.
        Negotiate = "negotiate",
        /// The practice asks the vendor for evidence the manifest did not supply.
        Ask = "ask",
        /// The practice signs an attestation (or supplies evidence) for a manual rule.
        Attest = "attest",
        /// The practice makes a resource reachable or readable and runs vetter again.
        Rerun = "rerun",
        /// The practice finds out why a check could not run.
        Investigate = "investigate",
    }
}

/// One next step: an action, who takes it, and what it would give by the scoring's numbers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Step {
    pub actor: Actor,
    pub action: Action,
    /// What to do, in words.
    pub text: String,
    /// The rules whose findings it settles.
    pub rules: Vec<String>,
    /// Findings it settles.
    pub findings: usize,
    /// The most severe of them.
    pub severity: Severity,
    /// Their severity weight (critical 10, high 5, medium 3, low 1): what the steps are ranked by.
    pub weight: u32,
    /// The overall score had its failed findings passed; null when it settles no failure.
    pub score_after: Option<f64>,
    /// The grade had its failed findings passed (their caps lifted); null when it settles no
    /// failure.
    pub grade_after: Option<Grade>,
    /// The coverage had its unassessed findings been assessed; null when it assesses nothing new.
    pub coverage_after: Option<f64>,
}

/// One rule that caps the grade, in words.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CapNote {
    pub rule: String,
    /// The best grade it allows.
    pub grade: Grade,
    /// Resources it failed on.
    pub resources: usize,
    /// "Grade capped at D: …".
    pub text: String,
}

/// "a.pdf", or "a.pdf and 3 more".
fn place(resources: &[&str]) -> String {
    match resources {
        [] => String::new(),
        [one] => (*one).to_string(),
        [first, rest @ ..] => format!("{first} and {} more", rest.len()),
    }
}

/// The findings a step settles, and what it says.
struct Draft<'a> {
    actor: Actor,
    action: Action,
    text: String,
    findings: Vec<&'a Finding>,
}

/// The counts, the caps in words and the `top` next steps of a report.
pub fn summarize(r: &Report, top: usize) -> Summary {
    let mut s = Summary {
        total: r.findings.len(),
        ..Default::default()
    };
    for f in &r.findings {
        match f.status {
            Status::Pass => s.pass += 1,
            Status::Fail => s.fail += 1,
            Status::Error => s.error += 1,
            Status::Skip => s.skip += 1,
            Status::Waived => s.waived += 1,
            Status::Manual => s.manual += 1,
            Status::Missing => s.missing += 1,
        }
    }
    s.caps = caps(r);
    let mut steps = steps(r);
    s.open_steps = steps.len();
    steps.truncate(top);
    s.next_steps = steps;
    s
}

/// The caps, one per rule, strictest first.
fn caps(r: &Report) -> Vec<CapNote> {
    let mut by_rule: Vec<(&str, Grade, Vec<&str>)> = Vec::new();
    for c in &r.score.caps {
        match by_rule.iter_mut().find(|(id, _, _)| *id == c.rule) {
            Some((_, g, res)) => {
                *g = (*g).max(c.grade);
                if !res.contains(&c.resource.as_str()) {
                    res.push(&c.resource);
                }
            }
            None => by_rule.push((&c.rule, c.grade, vec![&c.resource])),
        }
    }
    by_rule.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    by_rule
        .into_iter()
        .map(|(id, grade, res)| {
            let info = r.rule(id);
            let title = info.map_or(id, |i| i.title.as_str());
            // Say which of the two cap rules it is: a failed critical check caps at D; a rule's
            // own `cap` may be stricter or apply to a lesser severity.
            let why = match info {
                Some(i) if i.severity == Severity::Critical && grade == Grade::D => "a failed critical check caps at D",
                _ => "this rule caps the grade when it fails",
            };
            CapNote {
                rule: id.to_string(),
                grade,
                resources: res.len(),
                text: format!(
                    "Grade capped at {grade}: \"{title}\" ({id}) failed on {} ({why}).",
                    place(&res)
                ),
            }
        })
        .collect()
}

/// Every open step, best first.
fn steps(r: &Report) -> Vec<Step> {
    let mut drafts: Vec<Draft> = Vec::new();
    let mut taken = vec![false; r.findings.len()];
    let index: BTreeMap<*const Finding, usize> = r
        .findings
        .iter()
        .enumerate()
        .map(|(i, f)| (f as *const Finding, i))
        .collect();
    let take = |taken: &mut Vec<bool>, f: &Finding| -> bool {
        let i = index[&(f as *const Finding)];
        !std::mem::replace(&mut taken[i], true)
    };

    // Evidence not supplied: the practice asks for it (a rule that fails for its lack, such
    // as a missing BAA, is settled by the same document).
    for n in &r.not_supplied {
        let mut fs = Vec::new();
        for f in r
            .findings
            .iter()
            .filter(|f| matches!(f.status, Status::Missing | Status::Fail) && n.rules.contains(&f.rule))
        {
            if take(&mut taken, f) {
                fs.push(f);
            }
        }
        if !fs.is_empty() {
            drafts.push(Draft {
                actor: Actor::Practice,
                action: Action::Ask,
                text: format!(
                    "Ask the vendor for {} (would let vetter run {}).",
                    n.ask,
                    super::checks(n.rules.len())
                ),
                findings: fs,
            });
        }
    }
    // A resource that could not be probed or read: one step over every check it stopped.
    for u in &r.unassessed {
        let fs: Vec<&Finding> = r
            .findings
            .iter()
            .filter(|f| f.status == Status::Error && f.resource == u.resource)
            .filter(|f| take(&mut taken, f))
            .collect();
        if !fs.is_empty() {
            drafts.push(Draft {
                actor: Actor::Practice,
                action: Action::Rerun,
                // The cause is said once, with the resource's "could not run" line.
                text: format!(
                    "Make {} reachable or readable and run vetter again ({} could not run on it).",
                    u.resource,
                    super::checks(fs.len()),
                ),
                findings: fs,
            });
        }
    }
    // The rest, one step per rule and status.
    let mut by_rule: Vec<(&str, Status, Vec<&Finding>)> = Vec::new();
    for f in &r.findings {
        if !matches!(
            f.status,
            Status::Fail | Status::Error | Status::Manual | Status::Missing
        ) || !take(&mut taken, f)
        {
            continue;
        }
        match by_rule.iter_mut().find(|(id, st, _)| *id == f.rule && *st == f.status) {
            Some((_, _, v)) => v.push(f),
            None => by_rule.push((&f.rule, f.status, vec![f])),
        }
    }
    for (id, status, fs) in by_rule {
        let title = r.rule(id).map_or(id, |i| i.title.as_str());
        let resources: Vec<&str> = fs.iter().map(|f| f.resource.as_str()).collect();
        let at = place(&resources);
        let (actor, action, text) = match status {
            // A term no law demands is the practice's to negotiate, not the vendor's defect.
            Status::Fail if fs[0].force == Force::Negotiated => (
                Actor::Practice,
                Action::Negotiate,
                format!("Negotiate with the vendor: {title} (not met in {at})."),
            ),
            Status::Fail => (Actor::Vendor, Action::Fix, format!("Fix: {title} (failed on {at}).")),
            Status::Manual => (
                Actor::Practice,
                Action::Attest,
                format!("Sign an attestation, or supply evidence: {title} ([[attestation]] rule = \"{id}\")."),
            ),
            // Evidence of a kind with no entry among `not_supplied` (a report from another
            // version): still the practice's to supply.
            Status::Missing => (
                Actor::Practice,
                Action::Ask,
                format!("Supply the evidence this check reads: {title}."),
            ),
            _ => (
                Actor::Practice,
                Action::Investigate,
                format!(
                    "Find out why this check could not run: {title} (on {at}: {}).",
                    r.message(fs[0])
                ),
            ),
        };
        drafts.push(Draft {
            actor,
            action,
            text,
            findings: fs,
        });
    }

    let all = Weights::of(&r.findings);
    let grade = r.score.grade;
    let mut steps: Vec<Step> = drafts
        .into_iter()
        .map(|d| {
            let weight_of = |st: Status| -> u32 {
                d.findings
                    .iter()
                    .filter(|f| f.status == st)
                    .map(|f| f.severity.weight())
                    .sum()
            };
            let failed = weight_of(Status::Fail);
            let fixes = d.findings.iter().any(|f| f.status == Status::Fail);
            let unassessed = weight_of(Status::Error) + weight_of(Status::Missing) + weight_of(Status::Manual);
            let assesses = d.findings.iter().any(|f| f.status != Status::Fail);
            let score_after = fixes
                .then(|| {
                    Weights {
                        passed: all.passed + failed,
                        ..all
                    }
                    .score()
                })
                .flatten();
            // The caps that remain once these findings pass.
            let lifted = |c: &&Cap| {
                !d.findings
                    .iter()
                    .any(|f| f.status == Status::Fail && f.rule == c.rule && f.resource == c.resource)
            };
            let grade_after =
                fixes.then(|| crate::score::capped_grade(score_after, r.score.caps.iter().filter(lifted)));
            let coverage_after = assesses
                .then(|| {
                    Weights {
                        applied: all.applied + unassessed,
                        unassessed: all.unassessed.saturating_sub(unassessed),
                        ..all
                    }
                    .coverage()
                })
                .flatten();
            let mut rules: Vec<String> = Vec::new();
            for f in &d.findings {
                if !rules.contains(&f.rule) {
                    rules.push(f.rule.clone());
                }
            }
            Step {
                actor: d.actor,
                action: d.action,
                text: d.text,
                rules,
                findings: d.findings.len(),
                severity: d.findings.iter().map(|f| f.severity).max().unwrap_or(Severity::Info),
                weight: failed + unassessed,
                score_after,
                grade_after,
                coverage_after,
            }
        })
        .collect();
    // A step that lifts the grade first; then the weight it settles, the severity, the rule.
    steps.sort_by(|a, b| {
        let lifts = |s: &Step| s.grade_after.is_some_and(|g| g < grade);
        lifts(b)
            .cmp(&lifts(a))
            .then(b.weight.cmp(&a.weight))
            .then(b.severity.cmp(&a.severity))
            .then(a.rules.cmp(&b.rules))
    });
    steps
}

impl Step {
    /// What it would give, in words: "score 20.8 → 27.3, grade F → D; coverage 81 % → 84 %".
    pub fn gain(&self, r: &Report) -> String {
        let mut parts = Vec::new();
        if let (Some(after), Some(before)) = (self.score_after, r.score.overall) {
            let mut t = format!("score {before:.1} → {after:.1}");
            if let Some(g) = self.grade_after.filter(|g| *g != r.score.grade) {
                t.push_str(&format!(", grade {} → {g}", r.score.grade));
            }
            parts.push(t);
        }
        if let (Some(after), Some(before)) = (self.coverage_after, r.score.coverage)
            && after > before
        {
            // A gain too small for whole percents is said to a tenth, never as "100 % → 100 %".
            let (b, a) = (format!("{:.0}", before * 100.0), format!("{:.0}", after * 100.0));
            if a == b {
                parts.push(format!("coverage {:.1} % → {:.1} %", before * 100.0, after * 100.0));
            } else {
                parts.push(format!("coverage {b} % → {a} %"));
            }
        }
        parts.join("; ")
    }
}

/// The grade line: "Grade D · score 72.1 · coverage 84 % · without waivers D 70.3".
pub fn headline(r: &Report) -> String {
    let s = &r.score;
    let score = s.overall.map_or_else(|| "n/a".to_string(), |v| format!("{v:.1}"));
    let coverage = s
        .coverage
        .map_or_else(|| "n/a".to_string(), |c| format!("{:.0} %", c * 100.0));
    let without = s
        .without_waivers
        .overall
        .map_or_else(|| "n/a".to_string(), |v| format!("{v:.1}"));
    format!(
        "Grade {} · score {score} · coverage {coverage} · without waivers {} {without}",
        s.grade_text(),
        s.without_waivers.grade
    )
}

/// The steps of one actor, in rank order.
pub fn by_actor(steps: &[Step], actor: Actor) -> impl Iterator<Item = &Step> {
    steps.iter().filter(move |s| s.actor == actor)
}

/// The heading of an actor's group.
pub fn actor_heading(actor: Actor) -> &'static str {
    match actor {
        Actor::Vendor => "For the vendor",
        Actor::Practice => "For the practice",
    }
}

/// "3 more steps: see the findings below" when steps were left out.
pub fn more_steps(s: &Summary) -> Option<String> {
    let more = s.open_steps.saturating_sub(s.next_steps.len());
    (more > 0).then(|| {
        format!(
            "{more} more {}: see the findings below.",
            if more == 1 { "step" } else { "steps" }
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Basis;
    use crate::rules::Category;

    fn f(rule: &str, res: &str, sev: Severity, st: Status, force: Force) -> Finding {
        Finding {
            id: format!("{rule}@{res}"),
            rule: rule.into(),
            resource: res.into(),
            status: st,
            basis: Basis::Check,
            severity: sev,
            force,
            category: Category::Encryption,
            message: None,
            evidence: vec![],
            worth: None,
            waiver: None,
            also: Vec::new(),
        }
    }

    /// A report from findings, scored as `build` scores them.
    fn report(mut findings: Vec<Finding>) -> Report {
        let score = crate::score::score(&mut findings, None);
        let mut r: Report = serde_json::from_value(serde_json::json!({
            "schema_version": "2.2", "tool": {"name": "vetter", "version": "0"},
            "generated_at": "2026-11-23T00:00:00Z", "as_of": "2026-11-23",
            "vendor": {"name": "V"}, "frameworks": [], "packs": [], "inputs": [], "facts": {},
            "findings": [], "score": serde_json::to_value(&score).unwrap(), "waivers": [], "overrides": [],
            "summary": {"total": 0, "pass": 0, "fail": 0, "error": 0, "skip": 0, "waived": 0, "manual": 0}
        }))
        .unwrap();
        super::super::sort_findings(&mut findings);
        r.findings = findings;
        r
    }

    #[test]
    fn steps_rank_by_grade_lift_then_weight_and_name_who_acts() {
        let mut fs: Vec<Finding> = (0..20)
            .map(|i| f(&format!("p{i}"), "r", Severity::High, Status::Pass, Force::Required))
            .collect();
        // A critical failure caps at D: fixing it lifts the grade, so it comes first although
        // the high failures on three resources weigh more.
        fs.push(f("crit", "api", Severity::Critical, Status::Fail, Force::Required));
        for res in ["a", "b", "c"] {
            fs.push(f("hi", res, Severity::High, Status::Fail, Force::Required));
        }
        fs.push(f("term", "baa.pdf", Severity::Medium, Status::Fail, Force::Negotiated));
        fs.push(f("att", "vendor", Severity::High, Status::Manual, Force::Required));
        fs.push(f("err", "x", Severity::Low, Status::Error, Force::Required));
        let r = report(fs);
        let s = summarize(&r, 10);
        let order: Vec<(&str, Actor, Action)> = s
            .next_steps
            .iter()
            .map(|x| (x.rules[0].as_str(), x.actor, x.action))
            .collect();
        assert_eq!(
            order,
            vec![
                ("crit", Actor::Vendor, Action::Fix),
                ("hi", Actor::Vendor, Action::Fix),
                ("att", Actor::Practice, Action::Attest),
                ("term", Actor::Practice, Action::Negotiate),
                ("err", Actor::Practice, Action::Investigate),
            ]
        );
        // The numbers are the scoring's: 100 passed of 100 + 10 + 15 + 3 = 128 applied.
        assert_eq!(r.score.overall, Some(78.1));
        let crit = &s.next_steps[0];
        assert_eq!(crit.weight, 10);
        assert_eq!(crit.score_after, Some(85.9));
        assert_eq!(crit.grade_after, Some(Grade::B));
        assert_eq!(r.score.grade, Grade::D);
        let hi = &s.next_steps[1];
        assert_eq!((hi.findings, hi.weight, hi.score_after), (3, 15, Some(89.8)));
        assert_eq!(hi.grade_after, Some(Grade::D), "the critical cap stays");
        assert_eq!(hi.coverage_after, None);
        // An attestation assesses, it does not fix: coverage, not score.
        let att = &s.next_steps[2];
        assert_eq!(att.score_after, None);
        assert_eq!(att.coverage_after, Some(round3(133.0 / 134.0)));
        assert_eq!(s.caps.len(), 1);
        assert!(
            s.caps[0]
                .text
                .starts_with("Grade capped at D: \"crit\" (crit) failed on api"),
            "{}",
            s.caps[0].text
        );
        assert!(
            crit.gain(&r).contains("score 78.1 → 85.9, grade D → B"),
            "{}",
            crit.gain(&r)
        );
        // --top cuts the list, and says how many more there are.
        let s = summarize(&r, 2);
        assert_eq!((s.next_steps.len(), s.open_steps), (2, 5));
        assert_eq!(more_steps(&s).as_deref(), Some("3 more steps: see the findings below."));
    }

    fn round3(x: f64) -> f64 {
        (x * 1000.0).round() / 1000.0
    }

    #[test]
    fn an_error_is_never_the_vendors_to_fix() {
        let r = report(vec![
            f("a", "x", Severity::Critical, Status::Error, Force::Required),
            f("b", "y", Severity::High, Status::Pass, Force::Required),
        ]);
        let s = summarize(&r, 5);
        assert_eq!(s.next_steps.len(), 1);
        assert_eq!(s.next_steps[0].actor, Actor::Practice);
        assert!(s.caps.is_empty());
    }
}
