//! ⑥ Report: the one JSON model every output format renders from, and the format registry.
//! Pure: building and rendering never touch the network or files.

pub mod diff;
pub mod html;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod oscal;
pub mod portfolio;
pub mod sarif;
pub mod summary;
pub mod table;
pub mod text;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::engine::{Finding, Status, Waiver, rule_matches, waiver_current};
use crate::facts::VendorFacts;
use crate::rules::{Override, RuleSet};
use crate::score::Score;

/// Version of the report's JSON shape (docs/report.schema.json).
pub const SCHEMA_VERSION: &str = "2.2";

/// The tool that wrote a report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Tool {
    pub name: String,
    pub version: String,
}

/// A file the assessment read, hashed.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Input {
    /// As written in the manifest (relative to it), or `builtin:rules/x.toml`.
    pub path: String,
    /// manifest, export, audit_log, evidence, attestation, erasure, appointments, waivers, rules,
    /// phrasing (the patterns that read the evidence documents).
    pub kind: String,
    /// Null when the file could not be read.
    pub sha256: Option<String>,
    pub bytes: Option<u64>,
}

/// A waiver as the report lists it (applied or not).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct WaiverEntry {
    /// The rule id or glob, as written.
    pub rule: String,
    /// The rules `rule` names among those loaded for the run (sorted; a glob's expansion,
    /// whether or not their packs ran). Absent from reports before schema 2.1.
    #[serde(default)]
    pub rules: Vec<String>,
    pub resource: Option<String>,
    pub reason: String,
    pub approver: String,
    pub expires: String,
    pub expired: bool,
    /// Expires within 30 days of `as_of`.
    pub expiring_soon: bool,
    /// Findings it waived.
    pub applied_to: usize,
}

impl WaiverEntry {
    /// For a glob, the rules it covers in brief ("3 rules: a, b, c"; at most five named);
    /// `None` for a plain rule id.
    pub fn covers(&self) -> Option<String> {
        if !crate::engine::is_rule_glob(&self.rule) {
            return None;
        }
        let n = self.rules.len();
        let mut s = format!("{n} rule{}", if n == 1 { "" } else { "s" });
        if n > 0 {
            s.push_str(": ");
            s.push_str(&self.rules.iter().take(5).cloned().collect::<Vec<_>>().join(", "));
            if n > 5 {
                s.push_str(&format!(" and {} more", n - 5));
            }
        }
        Some(s)
    }
}

/// Where the manifest declares each resource: lets SARIF point at a line. Filled by `assess`
/// (the CLI reads the manifest); absent for reports from facts files saved without it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ManifestRef {
    /// The manifest as given on the command line (the `manifest` input's path).
    pub path: String,
    /// Finding resource (endpoint URL, file path as written, or `vendor`) → 1-based line.
    pub lines: BTreeMap<String, usize>,
}

/// A rule that ran, as every renderer describes it (no CEL: what a reader needs).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct RuleInfo {
    pub id: String,
    pub pack: String,
    pub title: String,
    pub description: String,
    pub remediation: String,
    pub severity: crate::rules::Severity,
    /// What obliges the vendor.
    pub force: crate::rules::Force,
    /// Who is obliged to do what, under which paragraph.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duty: Option<String>,
    pub category: crate::rules::Category,
    pub refs: Vec<String>,
    pub requirement: Vec<String>,
}

/// A rule pack used.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct PackRef {
    pub id: String,
    pub version: String,
    pub source: String,
    pub sha256: String,
}

/// What a reader needs first ([`summary::summarize`]): counts per status, the caps in words,
/// and the next steps that would raise the result most, by who acts.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Summary {
    pub total: usize,
    pub pass: usize,
    pub fail: usize,
    pub error: usize,
    pub skip: usize,
    pub waived: usize,
    pub manual: usize,
    #[serde(default)]
    pub missing: usize,
    /// Each rule that caps the grade, once, strictest first, in words. Absent before schema 2.2.
    #[serde(default)]
    pub caps: Vec<summary::CapNote>,
    /// The first five of the steps that would raise the result most, best first: a step that
    /// lifts the grade, then by the severity weight it settles. Absent before schema 2.2
    /// (whoever reads such a report summarises it again).
    #[serde(default)]
    pub next_steps: Vec<summary::Step>,
    /// How many steps there are in all (`next_steps` holds at most five).
    #[serde(default)]
    pub open_steps: usize,
}

/// One kind of evidence the manifest did not supply, and the checks it would let vetter run:
/// the "Not supplied — ask the vendor for" list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct NotSupplied {
    /// The facts list: `endpoints`, `exports`, `audit_logs`, `evidence.soc2`, ...
    pub kind: String,
    /// What to ask the vendor for, in words.
    pub ask: String,
    /// Rules whose findings are `missing` (or, with `on_missing = "fail"`, failed) for lack of it.
    pub rules: Vec<String>,
}

/// A resource the probes could not read: the one finding a person sees for it, over the
/// `error` findings of every check it stopped.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Unassessed {
    /// The endpoint URL or file path, as the findings name it.
    pub resource: String,
    /// Why it could not be probed or read (the resource's `error` fact).
    pub cause: String,
    /// The most severe of the checks it stopped.
    pub severity: crate::rules::Severity,
    /// The checks that could not run on it (their findings are `error`).
    pub rules: Vec<String>,
}

impl Unassessed {
    /// The line a person reads: "N checks could not run on X: cause".
    pub fn line(&self) -> String {
        format!(
            "{} could not run on {}: {}",
            checks(self.rules.len()),
            self.resource,
            self.cause
        )
    }
}

/// "1 check", "12 checks".
pub fn checks(n: usize) -> String {
    format!("{n} check{}", if n == 1 { "" } else { "s" })
}

/// What to ask the vendor for, for one facts list.
pub fn ask_for(kind: &str) -> String {
    match kind {
        "endpoints" => "the vendor's API and web endpoints, to probe ([[endpoint]])".into(),
        "exports" => "a data export from the product ([[export]])".into(),
        "audit_logs" => "an audit-log export ([[audit_log]])".into(),
        "evidence.soc2" => "a SOC 2 Type 2 report ([[evidence]] kind = \"soc2\")".into(),
        "evidence.baa" => "the signed business associate agreement ([[evidence]] kind = \"baa\")".into(),
        "evidence.dpa" => "the data processing agreement ([[evidence]] kind = \"dpa\")".into(),
        "evidence.pentest" => "a penetration-test report or letter ([[evidence]] kind = \"pentest\")".into(),
        "evidence.hitrust" => "a HITRUST certification letter ([[evidence]] kind = \"hitrust\")".into(),
        "evidence.policy" => "the vendor's security policies ([[evidence]] kind = \"policy\")".into(),
        k => match k.strip_prefix("evidence.") {
            Some(e) => format!("[[evidence]] of kind \"{e}\""),
            None => format!("`{k}`"),
        },
    }
}

/// The JSON report: the source of every other format.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Report {
    pub schema_version: String,
    pub tool: Tool,
    pub generated_at: String,
    pub as_of: String,
    pub vendor: VendorFacts,
    /// The summary opens the report: grade and caps are in `score`, what to do next here.
    pub summary: Summary,
    pub score: Score,
    pub frameworks: Vec<String>,
    pub packs: Vec<PackRef>,
    pub inputs: Vec<Input>,
    /// The facts evaluated (docs/facts.md).
    #[schemars(with = "crate::facts::Facts")]
    pub facts: serde_json::Value,
    pub findings: Vec<Finding>,
    pub waivers: Vec<WaiverEntry>,
    pub overrides: Vec<Override>,
    /// Evidence kinds the manifest did not supply, each once, with the rules they would let
    /// vetter check.
    #[serde(default)]
    pub not_supplied: Vec<NotSupplied>,
    /// Resources that could not be probed or read, each once (sorted by resource), with the
    /// cause and the checks they stopped; those checks' findings are `error` without a message.
    #[serde(default)]
    pub unassessed: Vec<Unassessed>,
    /// Packs that did not run, and why (the law that applies to the practice, or
    /// `[vendor] frameworks`).
    #[serde(default)]
    pub left_out: Vec<crate::rules::LeftOut>,
    /// Every rule that produced a finding, sorted by id: the one copy of each rule's text
    /// (title, remediation, references, requirements, pack), which findings refer to by `rule`.
    #[serde(default)]
    pub rules: Vec<RuleInfo>,
    /// Where the manifest declares each resource; null when unknown.
    #[serde(default)]
    pub manifest: Option<ManifestRef>,
}

/// A portfolio run: several reports (docs/portfolio.schema.json), opening on their ranking.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Portfolio {
    /// The vendors ranked best first ([`portfolio::rank`] of `reports`: the terminal's ranked
    /// table). Derived from `reports`, so a reader recomputes it; absent from portfolios
    /// written before it was added.
    #[serde(default)]
    pub overview: Vec<portfolio::Row>,
    /// One report per vendor, in the order the vendors were given.
    pub reports: Vec<Report>,
}

/// Order findings worst first: failures and errors by severity, then the rest.
pub fn sort_findings(findings: &mut [Finding]) {
    fn rank(s: Status) -> u8 {
        match s {
            Status::Error => 0,
            Status::Fail => 0,
            Status::Manual => 1,
            Status::Missing => 1,
            Status::Waived => 2,
            Status::Pass => 3,
            Status::Skip => 4,
        }
    }
    // Sorted by a packed integer key: the rule and resource strings are ranked once among their
    // distinct values (a few hundred rules, one per resource), so the sort of hundreds of
    // thousands of findings compares integers and moves indices, not strings and whole
    // findings (docs/benchmarks.md, scale). Equal keys keep their order, as a stable sort would.
    fn ranks<'a>(values: impl Iterator<Item = &'a str>) -> std::collections::HashMap<&'a str, u64> {
        let mut v: Vec<&str> = values.collect();
        v.sort_unstable();
        v.dedup();
        v.into_iter().enumerate().map(|(i, s)| (s, i as u64)).collect()
    }
    let rules = ranks(findings.iter().map(|f| f.rule.as_str()));
    let resources = ranks(findings.iter().map(|f| f.resource.as_str()));
    let mut keys: Vec<(u64, u64, usize)> = findings
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let head = (u64::from(rank(f.status)) << 8
                | u64::from(crate::rules::Severity::Critical as u8 - f.severity as u8))
                << 24
                | rules[f.rule.as_str()];
            (head, resources[f.resource.as_str()], i)
        })
        .collect();
    keys.sort_unstable();
    // Apply the permutation in place, following its cycles.
    let mut order: Vec<usize> = keys.into_iter().map(|(_, _, i)| i).collect();
    for start in 0..order.len() {
        let mut cur = start;
        while order[cur] != start {
            let next = order[cur];
            findings.swap(cur, next);
            order[cur] = cur;
            cur = next;
        }
        order[cur] = cur;
    }
}

/// Everything needed to build a report besides findings.
pub struct ReportParts<'a> {
    pub generated_at: String,
    pub as_of: chrono::NaiveDate,
    pub vendor: VendorFacts,
    pub frameworks: Vec<String>,
    pub rules: &'a RuleSet,
    pub inputs: Vec<Input>,
    pub facts: serde_json::Value,
    pub waivers: &'a [Waiver],
    pub manifest: Option<ManifestRef>,
    pub left_out: Vec<crate::rules::LeftOut>,
}

/// Assemble a report: score, sort, count.
pub fn build(parts: ReportParts, mut findings: Vec<Finding>) -> Report {
    // A message may quote facts: capped here, once, so no format carries megabytes of it (the
    // rule's own text is capped once per rule, in `rules`).
    for m in findings.iter_mut().filter_map(|f| f.message.as_mut()) {
        text::cap_rule_text(m);
    }
    let score = crate::score::score(&mut findings, Some(parts.rules));
    sort_findings(&mut findings);
    let not_supplied = not_supplied(parts.rules, &parts.facts, &findings);
    let unassessed = unassessed(&parts.facts, &findings);
    let waivers = parts
        .waivers
        .iter()
        .map(|w| {
            let expired = !waiver_current(w, parts.as_of);
            let soon = chrono::NaiveDate::parse_from_str(w.expires.as_str(), "%Y-%m-%d")
                .map(|d| !expired && (d - parts.as_of).num_days() <= 30)
                .unwrap_or(false);
            let applied_to = findings
                .iter()
                .filter(|f| {
                    rule_matches(&w.rule, &f.rule)
                        && f.waiver
                            .as_ref()
                            .is_some_and(|a| a.reason == w.reason && a.expires == w.expires.as_str())
                })
                .count();
            let mut rules: Vec<String> = parts
                .rules
                .rules
                .iter()
                .map(|c| c.rule.id.clone())
                .filter(|id| rule_matches(&w.rule, id))
                .collect();
            rules.sort();
            WaiverEntry {
                rule: w.rule.clone(),
                rules,
                resource: w.resource.clone(),
                reason: w.reason.clone(),
                approver: w.approver.clone(),
                expires: w.expires.to_string(),
                expired,
                expiring_soon: soon,
                applied_to,
            }
        })
        .collect();
    // A folded finding's other members are described too: their citations are its own.
    let used: std::collections::BTreeSet<&str> = findings
        .iter()
        .flat_map(|f| std::iter::once(f.rule.as_str()).chain(f.also.iter().map(String::as_str)))
        .collect();
    let selected: std::collections::BTreeSet<&str> = used
        .iter()
        .filter_map(|id| parts.rules.rule(id))
        .map(|c| c.rule.pack.as_str())
        .collect();
    let packs = parts
        .rules
        .packs
        .iter()
        .filter(|p| selected.contains(p.id.as_str()))
        .map(|p| PackRef {
            id: p.id.clone(),
            version: p.version.clone(),
            source: p.source.file.clone(),
            sha256: p.source.sha256.clone(),
        })
        .collect();
    let rules = parts
        .rules
        .rules
        .iter()
        .map(|c| &c.rule)
        .filter(|r| used.contains(r.id.as_str()))
        .map(|r| RuleInfo {
            id: r.id.clone(),
            pack: r.pack.clone(),
            title: text::cap(&r.title, text::MAX_RULE_TEXT).into_owned(),
            description: text::cap(&r.description, text::MAX_RULE_TEXT).into_owned(),
            remediation: text::cap(&r.remediation, text::MAX_RULE_TEXT).into_owned(),
            severity: r.severity,
            force: r.force,
            duty: r
                .duty
                .as_deref()
                .map(|d| text::cap(d, text::MAX_RULE_TEXT).into_owned()),
            category: r.category,
            refs: r.refs.clone(),
            requirement: r.requirement.clone(),
        })
        .collect();
    let mut inputs = parts.inputs;
    inputs.sort();
    inputs.dedup();
    let mut report = Report {
        schema_version: SCHEMA_VERSION.into(),
        tool: Tool {
            name: "vetter".into(),
            version: env!("CARGO_PKG_VERSION").into(),
        },
        generated_at: parts.generated_at,
        as_of: parts.as_of.format("%Y-%m-%d").to_string(),
        vendor: parts.vendor,
        frameworks: parts.frameworks,
        packs,
        inputs,
        facts: parts.facts,
        findings,
        score,
        waivers,
        overrides: parts.rules.overrides.clone(),
        summary: Summary::default(),
        not_supplied,
        left_out: parts.left_out,
        unassessed,
        rules,
        manifest: parts.manifest,
    };
    report.summary = summary::summarize(&report, summary::DEFAULT_TOP);
    report
}

/// Group the findings whose evidence was not supplied by the evidence kind they lacked.
fn not_supplied(rules: &RuleSet, facts: &serde_json::Value, findings: &[Finding]) -> Vec<NotSupplied> {
    let mut by_kind: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for f in findings {
        let lacked = match f.status {
            Status::Missing => true,
            // An `on_missing = "fail"` rule failed for the same lack: ask for it too.
            Status::Fail => rules.rule(&f.rule).is_some_and(|r| {
                let lists = crate::engine::evidence_lists(r);
                r.rule.on_missing == crate::rules::OnMissing::Fail
                    && !lists.is_empty()
                    && lists.iter().all(|l| crate::engine::list_is_empty(facts, l))
            }),
            _ => false,
        };
        if !lacked {
            continue;
        }
        let Some(cr) = rules.rule(&f.rule) else { continue };
        for kind in crate::engine::evidence_lists(cr) {
            let ids = by_kind.entry(kind).or_default();
            if !ids.contains(&f.rule) {
                ids.push(f.rule.clone());
            }
        }
    }
    by_kind
        .into_iter()
        .map(|(kind, mut rules)| {
            rules.sort();
            NotSupplied {
                ask: ask_for(&kind),
                kind,
                rules,
            }
        })
        .collect()
}

/// One entry per resource that could not be probed, over the `error` findings it caused.
fn unassessed(facts: &serde_json::Value, findings: &[Finding]) -> Vec<Unassessed> {
    let causes = crate::engine::probe_errors(facts);
    let mut out: BTreeMap<&str, Unassessed> = BTreeMap::new();
    for f in findings.iter().filter(|f| f.status == Status::Error) {
        let Some(cause) = causes.get(&f.resource) else { continue };
        let u = out.entry(f.resource.as_str()).or_insert_with(|| Unassessed {
            resource: f.resource.clone(),
            cause: cause.clone(),
            severity: f.severity,
            rules: Vec::new(),
        });
        u.severity = u.severity.max(f.severity);
        u.rules.push(f.rule.clone());
    }
    out.into_values().collect()
}

impl Report {
    /// The rule a finding names, from the report's table of rules (`None` for a rule the
    /// report does not describe, e.g. one read from a report written before 2.0).
    pub fn rule(&self, id: &str) -> Option<&RuleInfo> {
        // Sorted by id as written; a table in another order is searched through.
        match self.rules.binary_search_by(|r| r.id.as_str().cmp(id)) {
            Ok(i) => Some(&self.rules[i]),
            Err(_) => self.rules.iter().find(|r| r.id == id),
        }
    }

    /// Every citation of a finding: its rule's, then those of the rules folded into it
    /// (`also`), each once.
    pub fn citations<'a>(&'a self, f: &'a Finding) -> Vec<&'a str> {
        let mut out: Vec<&str> = Vec::new();
        for id in std::iter::once(&f.rule).chain(&f.also) {
            for r in self.rule(id).map_or(&[][..], |i| &i.refs[..]) {
                if !out.contains(&r.as_str()) {
                    out.push(r);
                }
            }
        }
        out
    }

    /// The title of a finding's rule (its id when the report does not describe the rule).
    pub fn title<'a>(&'a self, f: &'a Finding) -> &'a str {
        self.rule(&f.rule).map_or(f.rule.as_str(), |r| r.title.as_str())
    }

    /// The entry of a resource that could not be probed.
    pub fn unassessed_entry(&self, resource: &str) -> Option<&Unassessed> {
        self.unassessed
            .binary_search_by(|u| u.resource.as_str().cmp(resource))
            .ok()
            .map(|i| &self.unassessed[i])
    }

    /// What a finding says: its message; for a check stopped by a resource that could not be
    /// probed, that cause; else its rule's title.
    pub fn message<'a>(&'a self, f: &'a Finding) -> std::borrow::Cow<'a, str> {
        match (&f.message, self.unassessed_entry(&f.resource)) {
            (Some(m), _) => m.as_str().into(),
            (None, Some(u)) => format!("could not assess: {}", u.cause).into(),
            (None, None) => self.title(f).into(),
        }
    }

    /// Whether a person reads this finding on its own, or folded into its resource's one
    /// "could not run" line.
    pub fn is_folded(&self, f: &Finding) -> bool {
        f.status == Status::Error && self.unassessed_entry(&f.resource).is_some()
    }
}

/// Check the numbers of a report read back from a file (`diff`, `verify`, `--baseline`): a
/// score outside 0–100 or a share outside 0–1 was not written by vetter, and comparing it
/// would print nonsense. The error names the field.
pub fn validate(r: &Report) -> Result<(), String> {
    fn within(place: &str, v: Option<f64>, max: f64) -> Result<(), String> {
        match v {
            Some(x) if !(x.is_finite() && (0.0..=max).contains(&x)) => {
                Err(format!("{place} = {x} is outside 0..={max}"))
            }
            _ => Ok(()),
        }
    }
    within("score.overall", r.score.overall, 100.0)?;
    within("score.without_waivers.overall", r.score.without_waivers.overall, 100.0)?;
    within("score.coverage", r.score.coverage, 1.0)?;
    for (k, v) in &r.score.categories {
        within(&format!("score.categories.{k}"), Some(*v), 100.0)?;
    }
    for (i, f) in r.findings.iter().enumerate() {
        within(&format!("findings[{i}].worth"), f.worth, 100.0)?;
    }
    Ok(())
}

/// Output formats. Adding one: a file in this folder, a variant here, a line in `render`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Table,
    Json,
    Markdown,
    Sarif,
    Junit,
    Html,
    Oscal,
}

/// Rendering options that are not part of the report.
#[derive(Debug, Clone, Copy, Default)]
pub struct RenderOptions {
    pub color: bool,
    /// Terminal width for the table, if known.
    pub width: Option<u16>,
    /// What the terminal table shows (`--summary`, `--top`, `--severity`, `--status`); the
    /// other formats are complete documents and ignore it.
    pub view: View,
}

/// What the terminal table lists. It filters what is shown, never what is scored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct View {
    /// Only the summary (grade, caps, next steps, legend), no tables of findings.
    pub summary_only: bool,
    /// How many next steps.
    pub top: usize,
    /// List findings of this severity or worse.
    pub min_severity: crate::rules::Severity,
    /// The statuses listed.
    pub statuses: Statuses,
}

impl Default for View {
    fn default() -> Self {
        View {
            summary_only: false,
            top: summary::DEFAULT_TOP,
            min_severity: crate::rules::Severity::Info,
            statuses: Statuses::of(&[Status::Fail, Status::Error]),
        }
    }
}

/// A set of statuses (small and `Copy`, so render options stay `Copy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Statuses(u8);

impl Statuses {
    pub fn of(list: &[Status]) -> Statuses {
        Statuses(list.iter().fold(0, |m, s| m | Self::bit(*s)))
    }
    fn bit(s: Status) -> u8 {
        1 << Status::ALL.iter().position(|x| *x == s).unwrap_or(0)
    }
    pub fn contains(self, s: Status) -> bool {
        self.0 & Self::bit(s) != 0
    }
}

/// Render one report. Every format but JSON renders from the report with its strings'
/// control characters escaped ([`text::safe_report`]): they reach terminals, browsers and
/// XML parsers, where JSON's own syntax already escapes them.
pub fn render(report: &Report, format: Format, opts: RenderOptions) -> String {
    if format == Format::Json {
        return json::render(report);
    }
    let safe = text::safe_report(report);
    let report = safe.as_ref();
    match format {
        Format::Table => table::render(report, opts),
        Format::Json => json::render(report),
        Format::Markdown => markdown::render(report),
        Format::Sarif => sarif::render(report),
        Format::Junit => junit::render(report),
        Format::Html => html::render(report),
        Format::Oscal => oscal::render(report),
    }
}

/// Render a portfolio (several reports).
pub fn render_portfolio(reports: &[Report], format: Format, opts: RenderOptions) -> String {
    if format == Format::Json {
        return json::render_portfolio(reports);
    }
    let safe: Vec<Report> = reports.iter().map(|r| text::safe_report(r).into_owned()).collect();
    let reports = safe.as_slice();
    match format {
        Format::Json => json::render_portfolio(reports),
        Format::Sarif => sarif::render_many(reports),
        Format::Junit => junit::render_many(reports),
        Format::Html => html::render_many(reports),
        Format::Oscal => oscal::render_many(reports),
        Format::Markdown => std::iter::once(markdown::render_overview(reports))
            .chain(reports.iter().map(markdown::render))
            .collect::<Vec<_>>()
            .join("\n---\n\n"),
        Format::Table => {
            let mut out = reports
                .iter()
                .map(|r| table::render(r, opts))
                .collect::<Vec<_>>()
                .join("\n");
            out.push('\n');
            out.push_str(&portfolio::render(reports, opts));
            out
        }
    }
}

/// Category → (passed, applicable) weight, for renderers that show detail.
pub fn category_weights(report: &Report) -> BTreeMap<String, (u32, u32)> {
    let mut out: BTreeMap<String, (u32, u32)> = BTreeMap::new();
    for f in &report.findings {
        let w = f.severity.weight();
        let e = out.entry(f.category.as_str().to_string()).or_default();
        match f.status {
            Status::Pass => {
                e.0 += w;
                e.1 += w;
            }
            Status::Fail => e.1 += w,
            _ => {}
        }
    }
    out
}

/// The JSON Schema of the report (committed as docs/report.schema.json).
pub fn schema() -> serde_json::Value {
    serde_json::to_value(schemars::schema_for!(Report)).expect("schema serialises")
}

/// The JSON Schema of a portfolio (committed as docs/portfolio.schema.json).
pub fn portfolio_schema() -> serde_json::Value {
    serde_json::to_value(schemars::schema_for!(Portfolio)).expect("schema serialises")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::Severity;

    /// The integer-key sort gives exactly the order of the plain comparator, ties included.
    #[test]
    fn findings_sort_worst_first_like_the_comparator() {
        let statuses = [
            Status::Pass,
            Status::Fail,
            Status::Error,
            Status::Manual,
            Status::Missing,
            Status::Waived,
            Status::Skip,
        ];
        let severities = [
            Severity::Info,
            Severity::Low,
            Severity::Medium,
            Severity::High,
            Severity::Critical,
        ];
        let mut seed = 7u64;
        let mut next = |n: usize| {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (seed >> 33) as usize % n
        };
        let findings: Vec<Finding> = (0..2000)
            .map(|i| Finding {
                id: format!("f{i}"),
                rule: format!("rule-{}", next(40)),
                resource: format!("https://host{}.example/p", next(300)),
                status: statuses[next(statuses.len())],
                basis: crate::engine::Basis::Check,
                severity: severities[next(severities.len())],
                force: crate::rules::Force::Required,
                category: crate::rules::Category::Encryption,
                message: None,
                evidence: vec![],
                worth: None,
                waiver: None,
                also: Vec::new(),
            })
            .collect();
        fn rank(s: Status) -> u8 {
            match s {
                Status::Error | Status::Fail => 0,
                Status::Manual | Status::Missing => 1,
                Status::Waived => 2,
                Status::Pass => 3,
                Status::Skip => 4,
            }
        }
        let mut expected = findings.clone();
        expected.sort_by(|a, b| {
            rank(a.status)
                .cmp(&rank(b.status))
                .then(b.severity.cmp(&a.severity))
                .then(a.rule.cmp(&b.rule))
                .then(a.resource.cmp(&b.resource))
        });
        let mut got = findings;
        sort_findings(&mut got);
        let ids = |v: &[Finding]| v.iter().map(|f| f.id.clone()).collect::<Vec<_>>();
        assert_eq!(ids(&got), ids(&expected));
    }
}
