//! ⑥ SARIF 2.1.0 renderer for code-scanning dashboards: one rule descriptor per rule, one
//! result per failed, errored or waived finding, located at the manifest line that declares
//! the resource. Pure; renders the Report only.

use serde_json::{Value, json};

use super::Report;
use crate::engine::{Finding, Status};
use crate::rules::Severity;

const SCHEMA: &str = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

/// Severity → SARIF level. Critical and high break a build; medium warns; low and info note.
fn level(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "note",
    }
}

/// GitHub code scanning reads `security-severity` (0–10) to bucket alerts: ≥9 critical,
/// ≥7 high, ≥4 medium, >0 low.
fn security_severity(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
        Severity::Info => "0.0",
    }
}

/// A manifest path as a relative URI reference: `/` separators, unsafe bytes percent-encoded.
pub fn uri(path: &str) -> String {
    let mut out = String::new();
    for b in path.replace('\\', "/").bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/:@!$&'()*+,;=".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn rule_descriptor(r: &Report, id: &str, sample: &Finding) -> Value {
    let info = r.rule(id);
    let title = info.map_or(id, |i| i.title.as_str());
    let description = info
        .map(|i| i.description.as_str())
        .filter(|d| !d.is_empty())
        .unwrap_or(title);
    let remediation = info.map_or("", |i| i.remediation.as_str());
    let refs: &[String] = info.map_or(&[], |i| &i.refs);
    let requirement: &[String] = info.map_or(&[], |i| &i.requirement);
    let pack = info.map_or("", |i| i.pack.as_str());
    let severity = info.map(|i| i.severity).unwrap_or(sample.severity);
    let category = info.map(|i| i.category).unwrap_or(sample.category);
    let force = info.map_or(sample.force, |i| i.force).as_str();
    let refs_text = refs.join("; ");
    json!({
        "id": id,
        "shortDescription": {"text": title},
        "fullDescription": {"text": description},
        "help": {
            "text": format!("{remediation}\n\nReferences: {refs_text}"),
            "markdown": format!(
                "**How to fix it:** {}\n\n**References:**\n{}",
                remediation,
                refs.iter().map(|x| format!("- {x}")).collect::<Vec<_>>().join("\n")
            ),
        },
        "defaultConfiguration": {"level": level(severity)},
        "properties": {
            "tags": ["security", "compliance", format!("category:{}", category.as_str()), format!("pack:{pack}"), format!("force:{force}")],
            "security-severity": security_severity(severity),
            "severity": severity.as_str(),
            "category": category.as_str(),
            "force": force,
            "pack": pack,
            "refs": refs,
            "requirement": requirement,
        },
    })
}

fn result(r: &Report, f: &Finding, rule_index: usize) -> Value {
    let original = f.waiver.as_ref().map(|w| w.original_status).unwrap_or(f.status);
    let text = r.message(f);
    // A check with no evidence to read is an open question, not a result: SARIF's `open`
    // kind, which carries level `none`.
    let (kind, lvl, text) = match original {
        Status::Error => ("fail", "error", format!("Could not assess {}: {text}", f.resource)),
        Status::Missing => ("open", "none", format!("Not supplied: {text}")),
        _ => ("fail", level(f.severity), format!("{}: {text}", f.resource)),
    };
    let mut location = json!({
        "logicalLocations": [{"name": f.resource, "kind": "resource"}],
    });
    if let Some(m) = &r.manifest {
        let line = m
            .lines
            .get(&f.resource)
            .or_else(|| m.lines.get("vendor"))
            .copied()
            .unwrap_or(1);
        location["physicalLocation"] = json!({
            "artifactLocation": {"uri": uri(&m.path)},
            "region": {"startLine": line.max(1)},
        });
    }
    let mut res = json!({
        "ruleId": f.rule,
        "ruleIndex": rule_index,
        "kind": kind,
        "level": lvl,
        "message": {"text": text},
        "locations": [location],
        "partialFingerprints": {"vetterFinding/v1": f.id},
        "properties": {
            "resource": f.resource,
            "status": f.status.as_str(),
            "severity": f.severity.as_str(),
            "force": f.force.as_str(),
            "category": f.category.as_str(),
            "worth": f.worth,
        },
    });
    // A folded finding: the other rules that judged the same fact, and every citation.
    if !f.also.is_empty() {
        res["properties"]["also"] = json!(f.also);
        res["properties"]["citations"] = json!(r.citations(f));
    }
    if let Some(w) = &f.waiver {
        res["suppressions"] = json!([{
            "kind": "external",
            "status": "accepted",
            "justification": format!("{} (approved by {}, expires {})", w.reason, w.approver, w.expires),
        }]);
    }
    res
}

fn run(r: &Report) -> Value {
    // Descriptors for every rule that ran, in report order; results index into them.
    let mut ids: Vec<&str> = Vec::new();
    let mut descriptors = Vec::new();
    for f in &r.findings {
        if !ids.contains(&f.rule.as_str()) {
            ids.push(&f.rule);
            descriptors.push(rule_descriptor(r, &f.rule, f));
        }
    }
    let results: Vec<Value> = r
        .findings
        .iter()
        .filter(|f| f.status.is_failure() || matches!(f.status, Status::Waived | Status::Missing))
        .map(|f| result(r, f, ids.iter().position(|i| *i == f.rule).unwrap_or(0)))
        .collect();
    let artifacts: Vec<Value> = r
        .inputs
        .iter()
        .map(|i| {
            let mut a =
                json!({"location": {"uri": uri(&i.path)}, "roles": ["analysisTarget"], "properties": {"kind": i.kind}});
            if let Some(h) = &i.sha256 {
                a["hashes"] = json!({"sha-256": h});
            }
            if let Some(b) = i.bytes {
                a["length"] = json!(b);
            }
            a
        })
        .collect();
    json!({
        "tool": {"driver": {
            "name": r.tool.name,
            "version": r.tool.version,
            "semanticVersion": r.tool.version,
            "rules": descriptors,
        }},
        "automationDetails": {"id": format!("vetter/{}/", r.vendor.name)},
        "invocations": [{"executionSuccessful": true, "endTimeUtc": r.generated_at}],
        "artifacts": artifacts,
        "results": results,
        "properties": {
            "vendor": r.vendor.name,
            "asOf": r.as_of,
            "grade": r.score.grade.as_str(),
            "gradeText": r.score.grade_text(),
            "provisional": r.score.provisional,
            "coverage": r.score.coverage,
            "notSupplied": r.not_supplied,
            "score": r.score.overall,
            "scoreWithoutWaivers": r.score.without_waivers.overall,
            "waivers": r.waivers,
            "overrides": r.overrides,
            // The report's summary (caps in words, next steps by who acts), as the JSON has it:
            // a run's property bag is where SARIF keeps what is about the run, not one result.
            "summary": super::summary::summarize(r, super::summary::DEFAULT_TOP),
        },
    })
}

pub fn render(r: &Report) -> String {
    render_many(std::slice::from_ref(r))
}

/// One SARIF log with a run per report (a portfolio).
pub fn render_many(reports: &[Report]) -> String {
    let log = json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": reports.iter().map(run).collect::<Vec<_>>(),
    });
    serde_json::to_string_pretty(&log).expect("SARIF serialises") + "\n"
}

#[cfg(test)]
mod tests {
    #[test]
    fn uri_encodes_spaces_and_backslashes() {
        assert_eq!(super::uri("a b\\vendor.toml"), "a%20b/vendor.toml");
    }
}
