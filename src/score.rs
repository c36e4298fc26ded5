//! ⑤ Score: findings → category scores, overall score, grade, caps and coverage. Pure.
//!
//! Weights: critical 10, high 5, medium 3, low 1, info 0. A category's score is 100 × the
//! weight that passed ÷ the weight that applied (pass and fail apply; error, missing, manual,
//! skip and waived do not); a category with nothing applicable is left out. Grade A ≥ 90,
//! B ≥ 80, C ≥ 70, D ≥ 60, else F; a failed rule with `cap` caps the grade at that letter and
//! any failed critical rule caps it at D — a check that could not run (error) or had nothing
//! to read (missing) never caps. Coverage = applicable ÷ (applicable + manual + error +
//! missing); a grade on less than [`PROVISIONAL_BELOW`] coverage is provisional.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::engine::{Finding, Status};
use crate::rules::{Grade, RuleSet, Severity};

/// Coverage under which a grade is printed as provisional: too little could be assessed for
/// the letter to stand on its own.
pub const PROVISIONAL_BELOW: f64 = 0.70;

/// Why a grade was capped.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Cap {
    pub rule: String,
    pub resource: String,
    pub grade: Grade,
}

/// A score and its grade.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Scored {
    /// 0–100, one decimal; null when nothing applied.
    pub overall: Option<f64>,
    pub grade: Grade,
}

/// The full score block of a report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Score {
    pub overall: Option<f64>,
    pub grade: Grade,
    /// Category → score; categories with nothing applicable are left out.
    pub categories: BTreeMap<String, f64>,
    /// Share (0–1) of the weight that could be checked: not awaiting an attestation, not
    /// missing its evidence, not stopped by a resource that could not be probed.
    pub coverage: Option<f64>,
    /// The grade stands on less than 70 % coverage.
    #[serde(default)]
    pub provisional: bool,
    /// The same, had no waiver applied.
    pub without_waivers: Scored,
    pub caps: Vec<Cap>,
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// Grade for a score before caps.
pub fn grade_for(score: Option<f64>) -> Grade {
    match score {
        Some(s) if s >= 90.0 => Grade::A,
        Some(s) if s >= 80.0 => Grade::B,
        Some(s) if s >= 70.0 => Grade::C,
        Some(s) if s >= 60.0 => Grade::D,
        _ => Grade::F,
    }
}

/// The severity weights a score and its coverage are computed from: what passed, what applied
/// (pass and fail), and what could not be assessed (manual, error, missing). Public so a
/// summary's "what fixing this would give" uses the scoring's own numbers, not a guess.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Weights {
    pub passed: u32,
    pub applied: u32,
    pub unassessed: u32,
}

impl Weights {
    /// The weights of findings as they stand (waived ones do not apply).
    pub fn of(findings: &[Finding]) -> Weights {
        tally(findings.iter().map(|f| (f, f.status)))
    }

    /// The overall score these weights give (one decimal); `None` when nothing applied.
    pub fn score(self) -> Option<f64> {
        pct(self)
    }

    /// The coverage these weights give (three decimals); `None` when nothing counted.
    pub fn coverage(self) -> Option<f64> {
        (self.applied + self.unassessed > 0)
            .then(|| ((self.applied as f64 / (self.applied + self.unassessed) as f64) * 1000.0).round() / 1000.0)
    }
}

/// The grade a score gets under caps: the worse of its letter and the strictest cap.
pub fn capped_grade<'a>(score: Option<f64>, caps: impl IntoIterator<Item = &'a Cap>) -> Grade {
    let g = grade_for(score);
    caps.into_iter().map(|c| c.grade).fold(g, Grade::max)
}

type Tally = Weights;

fn status_ignoring_waiver(f: &Finding) -> Status {
    match (&f.status, &f.waiver) {
        (Status::Waived, Some(w)) => w.original_status,
        (s, _) => *s,
    }
}

fn tally<'a>(findings: impl Iterator<Item = (&'a Finding, Status)>) -> Tally {
    let mut t = Tally::default();
    for (f, st) in findings {
        let w = f.severity.weight();
        match st {
            Status::Pass => {
                t.passed += w;
                t.applied += w;
            }
            Status::Fail => t.applied += w,
            Status::Error | Status::Missing | Status::Manual => t.unassessed += w,
            Status::Skip | Status::Waived => {}
        }
    }
    t
}

fn pct(t: Tally) -> Option<f64> {
    (t.applied > 0).then(|| round1(100.0 * t.passed as f64 / t.applied as f64))
}

fn capped(
    findings: &[Finding],
    status: impl Fn(&Finding) -> Status,
    rules: Option<&RuleSet>,
) -> (Vec<Cap>, Option<Grade>) {
    let mut caps = Vec::new();
    // Only a check that ran and failed caps: an error or missing evidence says nothing of
    // the control.
    // Only a rule the law backs caps: no grade falls for a negotiated term or a practice.
    for f in findings
        .iter()
        .filter(|f| status(f) == Status::Fail && f.force.may_cap())
    {
        // A folded finding caps as the strictest of its members the law backs.
        let rule_cap = rules.and_then(|r| {
            std::iter::once(&f.rule)
                .chain(&f.also)
                .filter_map(|id| r.rule(id))
                .filter(|c| c.rule.force.may_cap())
                .filter_map(|c| c.rule.cap)
                .max()
        });
        // One finding, one cap: the stricter of the rule's own cap and the critical cap at D.
        let critical = (f.severity == Severity::Critical).then_some(Grade::D);
        if let Some(grade) = rule_cap.into_iter().chain(critical).max() {
            caps.push(Cap {
                rule: f.rule.clone(),
                resource: f.resource.clone(),
                grade,
            });
        }
    }
    let worst = caps.iter().map(|c| c.grade).max();
    (caps, worst)
}

/// Score findings. `rules` supplies each rule's `cap`; findings of unknown rules carry none.
/// Also fills each failed finding's `worth` (the overall score had it passed).
pub fn score(findings: &mut [Finding], rules: Option<&RuleSet>) -> Score {
    let all = tally(findings.iter().map(|f| (f, f.status)));
    let overall = pct(all);
    let mut categories = BTreeMap::new();
    for cat in crate::rules::Category::ALL {
        let t = tally(findings.iter().filter(|f| f.category == cat).map(|f| (f, f.status)));
        if let Some(s) = pct(t) {
            categories.insert(cat.as_str().to_string(), s);
        }
    }
    let (caps, worst) = capped(findings, |f| f.status, rules);
    let mut grade = grade_for(overall);
    if let Some(c) = worst {
        grade = grade.max(c);
    }
    let coverage = all.coverage();

    let nw = tally(findings.iter().map(|f| (f, status_ignoring_waiver(f))));
    let nw_overall = pct(nw);
    let (_, nw_worst) = capped(findings, status_ignoring_waiver, rules);
    let mut nw_grade = grade_for(nw_overall);
    if let Some(c) = nw_worst {
        nw_grade = nw_grade.max(c);
    }

    for f in findings.iter_mut() {
        f.worth = if f.status == Status::Fail && all.applied > 0 {
            Some(round1(
                100.0 * (all.passed + f.severity.weight()) as f64 / all.applied as f64,
            ))
        } else {
            None
        };
    }
    Score {
        overall,
        grade,
        categories,
        coverage,
        provisional: coverage.is_some_and(|c| c < PROVISIONAL_BELOW),
        without_waivers: Scored {
            overall: nw_overall,
            grade: nw_grade,
        },
        caps,
    }
}

impl Score {
    /// The grade as a person reads it: `C`, or `C (provisional: 54 % of checks could be
    /// assessed)` when coverage is under 70 %.
    pub fn grade_text(&self) -> String {
        match (self.provisional, self.coverage) {
            (true, Some(c)) => format!(
                "{} (provisional: {:.0} % of checks could be assessed)",
                self.grade,
                c * 100.0
            ),
            _ => self.grade.to_string(),
        }
    }
}

/// The scoring rules in words, for `vetter rules explain --scoring`.
pub const EXPLANATION: &str = "\
How vetter scores an assessment

Each finding is one rule on one resource (an endpoint, an export, a document, or the vendor).
Weights by severity: critical 10, high 5, medium 3, low 1, info 0.

Status          counts as
  pass          applicable, passed
  fail          applicable, failed
  error         not scored; lowers coverage (the resource could not be probed or read, or the
                check could not run: never a pass, never a cap; --fail-on still counts it)
  missing       not scored; lowers coverage (the manifest supplied no evidence of that kind;
                listed under \"Not supplied - ask the vendor for\")
  skip          not applicable (the rule's `when` was false or unknown)
  waived        not applicable (an approved, unexpired waiver); scored again in `without_waivers`
  manual        not scored; awaits an attestation; lowers coverage

Category score  100 x passed weight / applicable weight; a category with nothing applicable is left out.
Overall score   the same over every finding.
Grade           A >= 90, B >= 80, C >= 70, D >= 60, else F.
Caps            a failed rule with `cap = \"X\"` caps the grade at X;
                any failed critical rule caps the grade at D. Only rules whose force is
                required or addressable cap: a negotiated term, a recognised practice or a
                proposed rule lowers the score but never the grade's ceiling. Errors and
                missing evidence never cap.
Coverage        applicable weight / (applicable + manual + error + missing weight).
Provisional     a grade on less than 70% coverage is printed as provisional.
Worth           each failed finding shows the overall score had it passed.
Without waivers the score and grade with every waiver ignored.
";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::Category;

    fn f(rule: &str, sev: Severity, cat: Category, st: Status) -> Finding {
        Finding {
            id: rule.into(),
            rule: rule.into(),
            resource: "r".into(),
            status: st,
            basis: crate::engine::Basis::Check,
            severity: sev,
            force: crate::rules::Force::Required,
            category: cat,
            message: None,
            evidence: vec![],
            worth: None,
            waiver: None,
            also: Vec::new(),
        }
    }

    #[test]
    fn weights_categories_and_grades() {
        let mut fs = vec![
            f("a", Severity::High, Category::Encryption, Status::Pass),
            f("b", Severity::Medium, Category::Encryption, Status::Fail),
            f("c", Severity::Low, Category::Audit, Status::Error),
            f("d", Severity::Critical, Category::Contract, Status::Skip),
            f("e", Severity::High, Category::Assurance, Status::Manual),
        ];
        let s = score(&mut fs, None);
        // passed 5 of applied 5+3 = 8: the error is not scored
        assert_eq!(s.overall, Some(62.5));
        assert_eq!(s.grade, Grade::D);
        assert_eq!(s.categories.get("encryption"), Some(&62.5));
        assert!(!s.categories.contains_key("audit"));
        assert!(!s.categories.contains_key("contract"));
        // applicable 8 of 8 + error 1 + manual 5
        assert_eq!(s.coverage, Some(round3(8.0 / 14.0)));
        assert!(s.provisional);
        assert_eq!(s.grade_text(), "D (provisional: 57 % of checks could be assessed)");
        assert_eq!(fs[1].worth, Some(100.0));
        assert_eq!(fs[0].worth, None);
        assert_eq!(fs[2].worth, None);
    }

    #[test]
    fn missing_and_error_lower_coverage_and_never_cap() {
        let mut fs: Vec<Finding> = (0..3)
            .map(|i| f(&format!("p{i}"), Severity::High, Category::Encryption, Status::Pass))
            .collect();
        fs.push(f("m", Severity::Critical, Category::Assurance, Status::Missing));
        fs.push(f("e", Severity::Critical, Category::Encryption, Status::Error));
        let s = score(&mut fs, None);
        assert_eq!(s.overall, Some(100.0));
        assert_eq!(s.grade, Grade::A);
        assert!(s.caps.is_empty(), "{:?}", s.caps);
        assert_eq!(s.coverage, Some(round3(15.0 / 35.0)));
        assert!(s.provisional);
        assert_eq!(s.grade_text(), "A (provisional: 43 % of checks could be assessed)");
        // 70 % or more is a grade on its own
        let mut fs: Vec<Finding> = (0..7)
            .map(|i| f(&format!("p{i}"), Severity::Low, Category::Encryption, Status::Pass))
            .chain((0..3).map(|i| f(&format!("m{i}"), Severity::Low, Category::Audit, Status::Missing)))
            .collect();
        let s = score(&mut fs, None);
        assert!(!s.provisional);
        assert_eq!(s.grade_text(), "A");
    }

    fn round3(x: f64) -> f64 {
        (x * 1000.0).round() / 1000.0
    }

    #[test]
    fn critical_failure_caps_at_d() {
        let mut fs: Vec<Finding> = (0..30)
            .map(|i| f(&format!("p{i}"), Severity::Critical, Category::Encryption, Status::Pass))
            .collect();
        fs.push(f("x", Severity::Critical, Category::Encryption, Status::Fail));
        let s = score(&mut fs, None);
        assert!(s.overall.unwrap() > 90.0);
        assert_eq!(s.grade, Grade::D);
        assert_eq!(s.caps.len(), 1);
    }

    #[test]
    fn a_folded_finding_caps_once_at_its_strictest() {
        // gdpr-endpoint-https caps at C; its family member hipaa-endpoint-https is critical (D).
        let rules = crate::rules::RuleSet::load(&crate::rules::LoadOptions {
            include_builtin: true,
            ..Default::default()
        })
        .unwrap();
        let mut x = f(
            "gdpr-endpoint-https",
            Severity::Critical,
            Category::Encryption,
            Status::Fail,
        );
        x.also = vec!["hipaa-endpoint-https".into()];
        let mut fs = vec![x];
        let s = score(&mut fs, Some(&rules));
        assert_eq!(s.caps.len(), 1, "{:?}", s.caps);
        assert_eq!(s.caps[0].grade, Grade::D);
    }

    #[test]
    fn only_rules_the_law_backs_cap() {
        use crate::rules::Force;
        for (force, capped) in [
            (Force::Required, true),
            (Force::Addressable, true),
            (Force::Negotiated, false),
            (Force::Practice, false),
            (Force::Proposed, false),
        ] {
            let mut fs: Vec<Finding> = (0..30)
                .map(|i| f(&format!("p{i}"), Severity::Critical, Category::Encryption, Status::Pass))
                .collect();
            let mut x = f("x", Severity::Critical, Category::Encryption, Status::Fail);
            x.force = force;
            fs.push(x);
            let s = score(&mut fs, None);
            assert_eq!(s.caps.is_empty(), !capped, "{force}: {:?}", s.caps);
            assert_eq!(s.grade == Grade::D, capped, "{force}");
        }
    }

    #[test]
    fn waived_is_scored_without_waivers_too() {
        let mut w = f("b", Severity::High, Category::Encryption, Status::Waived);
        w.waiver = Some(crate::engine::AppliedWaiver {
            reason: "r".into(),
            approver: "a".into(),
            expires: "2030-01-01".into(),
            original_status: Status::Fail,
        });
        let mut fs = vec![f("a", Severity::High, Category::Encryption, Status::Pass), w];
        let s = score(&mut fs, None);
        assert_eq!(s.overall, Some(100.0));
        assert_eq!(s.without_waivers.overall, Some(50.0));
        assert_eq!(s.without_waivers.grade, Grade::F);
    }

    #[test]
    fn nothing_applicable_is_null() {
        let mut fs = vec![f("a", Severity::High, Category::Encryption, Status::Skip)];
        let s = score(&mut fs, None);
        assert_eq!(s.overall, None);
        assert!(s.categories.is_empty());
        assert_eq!(s.coverage, None);
    }
}
