//! ⑥ OSCAL renderer: the report as NIST OSCAL assessment-results JSON (1.2.3), for GRC tools.
//! Pure; renders the Report only.
//!
//! Mapping: one `result` per vendor; every input becomes a back-matter resource whose rlink
//! carries its SHA-256, plus an observation ("collected") whose relevant-evidence links to that
//! resource; every finding becomes an observation (method TEST for checks, EXAMINE for
//! attestations) and a finding whose target is the rule (`objective-id`), `satisfied` when it
//! passed or was waived, `not-satisfied` when it failed, errored or awaits attestation. UUIDs
//! are derived from the content (SHA-256, version nibble 5), so the output is deterministic.

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::Report;
use crate::engine::{Finding, Status};

/// The OSCAL release whose schema the output is validated against (fixtures/schemas/).
pub const OSCAL_VERSION: &str = "1.2.3";
/// Namespace of vetter's own props (an OSCAL `ns` must be a URI).
const NS: &str = "urn:vetter:oscal";

/// A name-based UUID: SHA-256 of the names, laid out as an RFC 4122 version-5-style UUID.
fn uuid(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update([0u8]);
    }
    let mut b: [u8; 16] = h.finalize()[..16].try_into().expect("16 bytes");
    b[6] = (b[6] & 0x0f) | 0x50;
    b[8] = (b[8] & 0x3f) | 0x80;
    let x = hex::encode(b);
    format!(
        "{}-{}-{}-{}-{}",
        &x[0..8],
        &x[8..12],
        &x[12..16],
        &x[16..20],
        &x[20..32]
    )
}

/// OSCAL datetimes need a time zone; a bare date becomes midnight UTC.
fn datetime(s: &str) -> String {
    if s.contains('T') {
        s.to_string()
    } else {
        format!("{s}T00:00:00Z")
    }
}

/// OSCAL strings may not be empty or start/end with blanks.
fn text(s: &str, fallback: &str) -> String {
    let t = s.trim();
    if t.is_empty() {
        fallback.to_string()
    } else {
        t.to_string()
    }
}

fn prop(name: &str, value: impl ToString) -> Value {
    json!({"name": name, "ns": NS, "value": text(&value.to_string(), "none")})
}

fn state(f: &Finding) -> (&'static str, Option<&'static str>) {
    match f.status {
        Status::Pass => ("satisfied", None),
        Status::Waived => ("satisfied", Some("waived")),
        Status::Skip => ("satisfied", Some("not-applicable")),
        Status::Fail => ("not-satisfied", None),
        Status::Error => ("not-satisfied", Some("not-assessable")),
        Status::Manual => ("not-satisfied", Some("awaiting-attestation")),
        // Not assessed for want of evidence: nothing says the control is satisfied.
        Status::Missing => ("not-satisfied", Some("evidence-not-supplied")),
    }
}

fn result(r: &Report, doc: &str) -> (Value, Vec<Value>) {
    let vendor = &r.vendor.name;
    let mut resources = Vec::new();
    let mut observations = Vec::new();
    // Input path → back-matter resource uuid.
    let mut by_path: Vec<(&str, String)> = Vec::new();
    for i in &r.inputs {
        let res = uuid(&[doc, vendor, "resource", &i.path]);
        let mut rlink = json!({"href": text(&i.path, "unnamed")});
        let mut desc = format!("{} file read by the assessment", i.kind);
        if let Some(h) = &i.sha256 {
            rlink["hashes"] = json!([{"algorithm": "SHA-256", "value": h}]);
            desc.push_str(&format!("; SHA-256 {h}"));
        } else {
            desc.push_str("; it could not be read");
        }
        let mut resource = json!({
            "uuid": res,
            "title": text(&i.path, "unnamed"),
            "description": desc,
            "props": [prop("input-kind", &i.kind)],
            "rlinks": [rlink],
        });
        if let Some(b) = i.bytes {
            resource["props"].as_array_mut().expect("array").push(prop("bytes", b));
        }
        resources.push(resource);
        let mut evidence = json!({"href": format!("#{res}"), "description": desc});
        if let Some(h) = &i.sha256 {
            evidence["props"] = json!([prop("sha256", h)]);
        }
        observations.push(json!({
            "uuid": uuid(&[doc, vendor, "collected", &i.path]),
            "title": format!("Collected {}", text(&i.path, "unnamed")),
            "description": desc,
            "methods": ["EXAMINE"],
            "types": ["historic"],
            "relevant-evidence": [evidence],
            "collected": datetime(&r.generated_at),
        }));
        by_path.push((i.path.as_str(), res));
    }
    let manifest_res = r
        .inputs
        .iter()
        .zip(&by_path)
        .find(|(i, _)| i.kind == "manifest")
        .map(|(_, (_, u))| u.clone());

    // Looked up once per finding: a map, so many files times many findings stays linear.
    let mut linked_input: std::collections::HashMap<&str, String> = std::collections::HashMap::new();
    for (p, u) in &by_path {
        linked_input.entry(*p).or_insert_with(|| u.clone());
    }
    let mut findings = Vec::new();
    for f in &r.findings {
        let obs = uuid(&[doc, vendor, "observation", &f.id]);
        let (st, reason) = state(f);
        let info = r.rule(&f.rule);
        let title = r.title(f);
        let message = r.message(f);
        let linked = linked_input
            .get(f.resource.as_str())
            .cloned()
            .or_else(|| manifest_res.clone());
        let mut o = json!({
            "uuid": obs,
            "title": text(&format!("{} on {}", f.rule, f.resource), &f.rule),
            "description": text(&message, title),
            "props": [prop("status", f.status.as_str()), prop("severity", f.severity.as_str()), prop("force", super::force_label(f.force)), prop("fingerprint", &f.id)],
            "methods": [if f.basis == "attestation" { "EXAMINE" } else { "TEST" }],
            "subjects": [{"type": "component", "subject-uuid": uuid(&[doc, vendor, "subject"]), "title": text(vendor, "vendor"), "props": [prop("resource", &f.resource)]}],
            "collected": datetime(&r.generated_at),
        });
        if let Some(u) = linked {
            o["relevant-evidence"] = json!([{"href": format!("#{u}"), "description": "The file this finding was drawn from (its SHA-256 is in the linked resource)."}]);
        }
        observations.push(o);
        let mut status = json!({"state": st});
        if let Some(why) = reason {
            status["reason"] = json!(why);
        }
        let mut remarks = format!(
            "Remediation: {}",
            text(info.map_or("", |i| i.remediation.as_str()), "none given")
        );
        let cites = r.citations(f);
        if !cites.is_empty() {
            remarks.push_str(&format!("\nReferences: {}", cites.join("; ")));
        }
        if let Some(w) = &f.waiver {
            remarks.push_str(&format!(
                "\nWaived: {} (approved by {}, until {})",
                w.reason, w.approver, w.expires
            ));
        }
        findings.push(json!({
            "uuid": uuid(&[doc, vendor, "finding", &f.id]),
            "title": text(title, &f.rule),
            "description": text(&message, title),
            "props": [prop("category", f.category.as_str()), prop("pack", info.map_or("", |i| i.pack.as_str()))],
            "target": {
                "type": "objective-id",
                "target-id": f.rule,
                "title": text(title, &f.rule),
                "status": status,
            },
            "related-observations": [{"observation-uuid": obs}],
            "remarks": remarks,
        }));
    }

    let s = &r.score;
    let mut props = vec![
        prop("grade", s.grade.as_str()),
        prop("grade-without-waivers", s.without_waivers.grade.as_str()),
        prop("as-of", &r.as_of),
    ];
    if let Some(v) = s.overall {
        props.push(prop("score", format!("{v:.1}")));
    }
    if let Some(v) = s.without_waivers.overall {
        props.push(prop("score-without-waivers", format!("{v:.1}")));
    }
    if let Some(c) = s.coverage {
        props.push(prop("coverage", format!("{c:.3}")));
    }
    if s.provisional {
        props.push(prop("grade-provisional", "true"));
    }
    if let Some(d) = &r.vendor.next_review {
        props.push(prop("next-review", d));
    }
    let mut out = json!({
        "uuid": uuid(&[doc, vendor, "result"]),
        "title": format!("Vendor assessment of {}", text(vendor, "unnamed vendor")),
        "description": format!(
            "vetter assessment of {} as of {}: grade {}, score {}; {} findings ({} pass, {} fail, {} error, {} waived, {} awaiting attestation, {} without the evidence they read).",
            text(vendor, "unnamed vendor"),
            r.as_of,
            s.grade_text(),
            s.overall.map(|v| format!("{v:.1}")).unwrap_or_else(|| "n/a".into()),
            r.summary.total, r.summary.pass, r.summary.fail, r.summary.error, r.summary.waived, r.summary.manual, r.summary.missing
        ),
        "start": datetime(&r.as_of),
        "end": datetime(&r.generated_at),
        "props": props,
        "reviewed-controls": {"control-selections": [{"description": format!("Rules of the packs {}", r.frameworks.join(", ")), "include-all": {}}]},
        "observations": observations,
    });
    if !findings.is_empty() {
        out["findings"] = Value::Array(findings);
    }
    (out, resources)
}

/// Render reports (one or a portfolio) as one assessment-results document.
pub fn render_many(reports: &[Report]) -> String {
    let names: Vec<&str> = reports.iter().map(|r| r.vendor.name.as_str()).collect();
    let stamp = reports.first().map(|r| r.generated_at.as_str()).unwrap_or("");
    let doc = uuid(&[&names.join("\u{1}"), stamp]);
    let mut results = Vec::new();
    let mut resources = Vec::new();
    for r in reports {
        let (res, back) = result(r, &doc);
        results.push(res);
        resources.extend(back);
    }
    let title = match reports {
        [one] => format!("Vendor assessment: {}", text(&one.vendor.name, "unnamed vendor")),
        _ => format!("Vendor assessments: {} vendors", reports.len()),
    };
    let version = reports
        .first()
        .map(|r| format!("{} {}", r.tool.name, r.tool.version))
        .unwrap_or_else(|| "vetter".into());
    let mut ar = json!({
        "uuid": doc,
        "metadata": {
            "title": title,
            "last-modified": datetime(if stamp.is_empty() { "1970-01-01" } else { stamp }),
            "version": version,
            "oscal-version": OSCAL_VERSION,
        },
        // vetter has no separate assessment plan: the plan is the manifest and rule packs, which
        // the back matter lists; the import points at the document's own back matter.
        "import-ap": {"href": format!("#{}", resources.first().and_then(|r| r["uuid"].as_str()).unwrap_or(&doc))},
        "results": results,
    });
    if !resources.is_empty() {
        ar["back-matter"] = json!({"resources": resources});
    }
    let doc = json!({"assessment-results": ar});
    serde_json::to_string_pretty(&doc).expect("JSON values serialise") + "\n"
}

pub fn render(r: &Report) -> String {
    render_many(std::slice::from_ref(r))
}

#[cfg(test)]
mod tests {
    #[test]
    fn uuids_match_the_oscal_pattern() {
        let u = super::uuid(&["a", "b"]);
        assert_eq!(u.len(), 36);
        assert_eq!(&u[14..15], "5");
        assert!(matches!(&u[19..20], "8" | "9" | "a" | "b"), "{u}");
        assert_ne!(u, super::uuid(&["ab"]));
    }
}
