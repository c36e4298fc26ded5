//! ⑥ HTML renderer: one self-contained page for a practice manager — grade, category chart
//! (inline SVG), failed findings worst first with plain-English fixes, what passed (collapsed),
//! waivers, every input with its SHA-256; print stylesheet. Pure: renders the Report only.
//!
//! The page requests nothing: CSS is inline, the chart is inline SVG, there are no scripts,
//! fonts or images, and a Content-Security-Policy of `default-src 'none'` makes the browser
//! refuse any request should one ever creep in. Text goes through minijinja with HTML
//! auto-escaping on, so report content (vendor names, finding messages) is always inert.

use serde::Serialize;

use super::Report;
use crate::engine::{Basis, Finding, Status};
use crate::rules::Category;

const TEMPLATE: &str = include_str!("templates/report.html");

#[derive(Serialize)]
struct Bar {
    category: &'static str,
    score: String,
    grade: &'static str,
    /// Bar length in SVG units (0–100 maps to 0–BAR_MAX).
    width: f64,
    y: u32,
    text_y: u32,
    counts: Counts,
}

#[derive(Serialize, Default)]
struct Counts {
    pass: usize,
    fail: usize,
    error: usize,
    waived: usize,
    manual: usize,
    skip: usize,
    missing: usize,
}

#[derive(Serialize)]
struct Occurrence {
    resource: String,
    status: &'static str,
    message: String,
}

#[derive(Serialize)]
struct FailedRule {
    id: String,
    title: String,
    severity: &'static str,
    force: &'static str,
    force_meaning: &'static str,
    category: &'static str,
    description: String,
    remediation: String,
    refs: Vec<String>,
    requirement: Vec<String>,
    worth: Option<String>,
    occurrences: Vec<Occurrence>,
}

#[derive(Serialize)]
struct Line {
    rule: String,
    title: String,
    resource: String,
    severity: &'static str,
    note: String,
}

#[derive(Serialize)]
struct Unprobed {
    resource: String,
    severity: &'static str,
    line: String,
    rules: Vec<String>,
}

#[derive(Serialize)]
struct Asked {
    ask: String,
    checks: String,
    rules: Vec<String>,
}

#[derive(Serialize)]
struct WaiverRow {
    rule: String,
    /// For a glob: the rules it covers, in brief.
    covers: String,
    resource: String,
    reason: String,
    approver: String,
    expires: String,
    state: &'static str,
    state_class: &'static str,
    applied_to: usize,
}

/// One next step as the page shows it.
#[derive(Serialize)]
struct StepView {
    /// Its rank among all steps (1 = the most).
    n: usize,
    text: String,
    gain: String,
}

/// The next steps of one actor.
#[derive(Serialize)]
struct StepGroup {
    actor: &'static str,
    heading: &'static str,
    steps: Vec<StepView>,
}

#[derive(Serialize)]
struct View<'a> {
    vendor: &'a str,
    contact: Option<&'a str>,
    next_review: Option<&'a str>,
    frameworks: String,
    left_out: Vec<String>,
    as_of: &'a str,
    generated_at: &'a str,
    tool: String,
    grade: &'static str,
    /// "provisional: 54 % of checks could be assessed", when coverage is under 70 %.
    provisional: Option<String>,
    grade_class: &'static str,
    score: String,
    grade_without: &'static str,
    score_without: String,
    waivers_changed_score: bool,
    coverage: String,
    caps: Vec<String>,
    /// The lowest grade any cap allows.
    cap_grade: Option<&'static str>,
    overrides: Vec<String>,
    summary: &'a super::Summary,
    /// Next steps by who acts (vendor first), and how many more there are.
    steps: Vec<StepGroup>,
    more_steps: Option<String>,
    legend: &'static str,
    chart_height: u32,
    bars: Vec<Bar>,
    failed: Vec<FailedRule>,
    failed_count: usize,
    /// One line per resource that could not be probed, over every check it stopped.
    unassessed: Vec<Unprobed>,
    not_supplied: Vec<Asked>,
    waived: Vec<Line>,
    manual: Vec<Line>,
    passed: Vec<Line>,
    skipped: Vec<Line>,
    waivers: Vec<WaiverRow>,
    expired_waivers: usize,
    inputs: &'a [super::Input],
    packs: &'a [super::PackRef],
}

/// Bar length for a score of 100, in SVG user units.
const BAR_MAX: f64 = 480.0;
const ROW: u32 = 34;

fn score_text(s: Option<f64>) -> String {
    s.map(|v| format!("{v:.1}")).unwrap_or_else(|| "n/a".into())
}

fn grade_class(g: &str) -> &'static str {
    match g {
        "A" => "g-a",
        "B" => "g-b",
        "C" => "g-c",
        "D" => "g-d",
        _ => "g-f",
    }
}

fn line(r: &Report, f: &Finding, note: String) -> Line {
    Line {
        rule: f.rule.clone(),
        title: r.title(f).to_string(),
        resource: f.resource.clone(),
        severity: f.severity.as_str(),
        note,
    }
}

fn view(r: &Report) -> View<'_> {
    let s = &r.score;
    let summary = super::summary::summarize(r, super::summary::DEFAULT_TOP);

    let mut bars = Vec::new();
    for cat in Category::ALL {
        if r.findings.iter().all(|f| f.category != cat) {
            continue;
        }
        let mut counts = Counts::default();
        for f in r.findings.iter().filter(|f| f.category == cat) {
            match f.status {
                Status::Pass => counts.pass += 1,
                Status::Fail => counts.fail += 1,
                Status::Error => counts.error += 1,
                Status::Waived => counts.waived += 1,
                Status::Manual => counts.manual += 1,
                Status::Skip => counts.skip += 1,
                Status::Missing => counts.missing += 1,
            }
        }
        let score = s.categories.get(cat.as_str()).copied();
        let i = bars.len() as u32;
        bars.push(Bar {
            category: cat.as_str(),
            score: score_text(score),
            grade: if score.is_some() {
                crate::score::grade_for(score).as_str()
            } else {
                "–"
            },
            width: score
                .map(|v| (v.clamp(0.0, 100.0) * BAR_MAX / 100.0 * 10.0).round() / 10.0)
                .unwrap_or(0.0),
            y: 10 + i * ROW,
            text_y: 10 + i * ROW + 17,
            counts,
        });
    }

    // Findings arrive sorted worst first; one block per rule keeps the order and groups resources.
    let mut failed: Vec<FailedRule> = Vec::new();
    for f in r.findings.iter().filter(|f| f.status.is_failure() && !r.is_folded(f)) {
        let occ = Occurrence {
            resource: f.resource.clone(),
            status: f.status.as_str(),
            message: r.message(f).into_owned(),
        };
        if let Some(x) = failed.iter_mut().find(|x| x.id == f.rule) {
            x.occurrences.push(occ);
            continue;
        }
        let info = r.rule(&f.rule);
        failed.push(FailedRule {
            id: f.rule.clone(),
            title: r.title(f).to_string(),
            severity: f.severity.as_str(),
            force: f.force.as_str(),
            force_meaning: f.force.meaning(),
            category: f.category.as_str(),
            description: info.map(|i| i.description.clone()).unwrap_or_default(),
            remediation: info.map(|i| i.remediation.clone()).unwrap_or_default(),
            refs: r.citations(f).into_iter().map(String::from).collect(),
            requirement: info.map(|i| i.requirement.clone()).unwrap_or_default(),
            worth: f.worth.map(|w| format!("{w:.1}")),
            occurrences: vec![occ],
        });
    }
    let failed_count = r
        .findings
        .iter()
        .filter(|f| f.status.is_failure() && !r.is_folded(f))
        .count();

    let pick = |st: Status| -> Vec<Line> {
        r.findings
            .iter()
            .filter(|f| f.status == st)
            .map(|f| {
                let note = match (&f.waiver, f.status) {
                    (Some(w), _) => format!("{} — approved by {}, until {}", w.reason, w.approver, w.expires),
                    (None, Status::Pass) if f.basis == Basis::Attestation => "attested".into(),
                    (None, Status::Manual) => "awaiting attestation".into(),
                    (None, Status::Skip) => f.message.clone().unwrap_or_else(|| "not applicable".into()),
                    _ => String::new(),
                };
                line(r, f, note)
            })
            .collect()
    };

    let waivers: Vec<WaiverRow> = r
        .waivers
        .iter()
        .map(|w| {
            let (state, state_class) = if w.expired {
                ("Expired — no longer applied", "bad")
            } else if w.expiring_soon {
                ("Expires within 30 days", "warn")
            } else {
                ("Current", "ok")
            };
            WaiverRow {
                rule: w.rule.clone(),
                covers: w.covers().unwrap_or_default(),
                resource: w.resource.clone().unwrap_or_else(|| "any".into()),
                reason: w.reason.clone(),
                approver: w.approver.clone(),
                expires: w.expires.clone(),
                state,
                state_class,
                applied_to: w.applied_to,
            }
        })
        .collect();

    let grade = s.grade.as_str();
    View {
        vendor: &r.vendor.name,
        contact: r.vendor.contact.as_deref(),
        next_review: r.vendor.next_review.as_deref(),
        frameworks: r.frameworks.join(", "),
        left_out: r.left_out.iter().map(|l| l.reason.clone()).collect(),
        as_of: &r.as_of,
        generated_at: &r.generated_at,
        tool: format!("{} {}", r.tool.name, r.tool.version),
        grade,
        provisional: s.provisional.then(|| {
            let t = s.grade_text();
            t[grade.len()..].trim().trim_matches(['(', ')']).to_string()
        }),
        grade_class: grade_class(grade),
        score: score_text(s.overall),
        grade_without: s.without_waivers.grade.as_str(),
        score_without: score_text(s.without_waivers.overall),
        waivers_changed_score: s.without_waivers.overall != s.overall || s.without_waivers.grade != s.grade,
        coverage: s
            .coverage
            .map(|c| format!("{:.0}%", c * 100.0))
            .unwrap_or_else(|| "n/a".into()),
        caps: summary.caps.iter().map(|c| c.text.clone()).collect(),
        cap_grade: s.caps.iter().map(|c| c.grade).max().map(|g| g.as_str()),
        overrides: r.overrides.iter().map(|o| o.rule.clone()).collect(),
        summary: &r.summary,
        steps: super::summary::Actor::ALL
            .into_iter()
            .map(|actor| StepGroup {
                actor: actor.as_str(),
                heading: super::summary::actor_heading(actor),
                steps: summary
                    .next_steps
                    .iter()
                    .enumerate()
                    .filter(|(_, s)| s.actor == actor)
                    .map(|(i, s)| StepView {
                        n: i + 1,
                        text: s.text.clone(),
                        gain: s.gain(r),
                    })
                    .collect(),
            })
            .filter(|g| !g.steps.is_empty())
            .collect(),
        more_steps: super::summary::more_steps(&summary),
        legend: super::summary::LEGEND,
        chart_height: 10 + bars.len() as u32 * ROW + 26,
        bars,
        failed,
        failed_count,
        unassessed: r
            .unassessed
            .iter()
            .map(|u| Unprobed {
                resource: u.resource.clone(),
                severity: u.severity.as_str(),
                line: u.line(),
                rules: u.rules.clone(),
            })
            .collect(),
        not_supplied: r
            .not_supplied
            .iter()
            .map(|n| Asked {
                ask: n.ask.clone(),
                checks: super::checks(n.rules.len()),
                rules: n.rules.clone(),
            })
            .collect(),
        waived: pick(Status::Waived),
        manual: pick(Status::Manual),
        passed: pick(Status::Pass),
        skipped: pick(Status::Skip),
        expired_waivers: waivers.iter().filter(|w| w.state_class == "bad").count(),
        waivers,
        inputs: &r.inputs,
        packs: &r.packs,
    }
}

fn environment() -> minijinja::Environment<'static> {
    let mut env = minijinja::Environment::new();
    // Escape everything, whatever the template's name: report text is untrusted.
    env.set_auto_escape_callback(|_| minijinja::AutoEscape::Html);
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
    env.add_template("report.html", TEMPLATE)
        .expect("the embedded HTML template parses (tested)");
    env
}

/// Render one report as a self-contained HTML page.
pub fn render(r: &Report) -> String {
    render_many(std::slice::from_ref(r))
}

/// One vendor's line of a portfolio's overview ([`super::portfolio::rank`]).
#[derive(Serialize)]
struct OverviewRow {
    rank: usize,
    vendor: String,
    /// The `vendor-N` id of the vendor's section.
    anchor: usize,
    grade: String,
    grade_class: &'static str,
    provisional: bool,
    score: String,
    coverage: String,
    worst: String,
    critical_failures: usize,
    review: String,
    review_overdue: bool,
    not_supplied: Vec<String>,
}

#[derive(Serialize)]
struct Page<'a> {
    title: String,
    portfolio: bool,
    /// The ranked overview, for a portfolio (empty for one report).
    overview: Vec<OverviewRow>,
    reports: Vec<View<'a>>,
}

/// Several reports (a portfolio) in one page, one section per vendor.
pub fn render_many(reports: &[Report]) -> String {
    let env = environment();
    let tmpl = env.get_template("report.html").expect("template registered above");
    let title = match reports {
        [one] => format!("{} — vetter compliance report", one.vendor.name),
        _ => format!("{} vendors — vetter compliance report", reports.len()),
    };
    let overview = if reports.len() > 1 {
        super::portfolio::rank(reports)
            .into_iter()
            .map(|o| OverviewRow {
                rank: o.rank,
                anchor: o.report + 1,
                grade_class: grade_class(&o.grade),
                score: o.score_text(),
                coverage: o.coverage_text(),
                worst: o.worst_text(),
                review: o.review_text(),
                review_overdue: o.review_overdue,
                critical_failures: o.critical_failures,
                provisional: o.provisional,
                grade: o.grade,
                vendor: o.vendor,
                not_supplied: o.not_supplied,
            })
            .collect()
    } else {
        Vec::new()
    };
    let page = Page {
        title,
        portfolio: reports.len() > 1,
        overview,
        reports: reports.iter().map(view).collect(),
    };
    match tmpl.render(minijinja::value::Serde(&page)) {
        Ok(s) => s,
        // The template is fixed and the view fully typed, so this is a bug; say so on the page
        // rather than panicking mid-write.
        Err(e) => format!(
            "<!doctype html><title>vetter</title><p>vetter could not render this report: {}</p>\n",
            super::markdown::esc(&e.to_string())
        ),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn template_parses() {
        super::environment();
    }
}
