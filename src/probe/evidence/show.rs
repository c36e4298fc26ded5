//! `vetter evidence show`: what the reader sees in one document — its outline (headings with
//! their region), the parties it learnt, the running headers and footers it set aside, and every
//! fact with the sentence and place it was read from — so a verdict can be checked and a miss
//! seen. Builds the view from bytes; rendering is pure. No I/O.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Serialize;

use super::model::{self, Parties};
use super::phrasing::Phrasing;
use super::{kind, read_document, text};
use crate::manifest::EvidenceKind;
use crate::probe::EvidenceOut;

/// One heading of the outline.
#[derive(Debug, Clone, Serialize)]
pub struct Heading {
    pub location: String,
    /// How many headings it sits under.
    pub depth: usize,
    pub title: String,
    pub region: &'static str,
}

/// The reader's view of one document.
#[derive(Debug, Clone, Serialize)]
pub struct Shown {
    pub path: String,
    /// The kind read with: given, or detected (None: neither).
    pub kind: Option<&'static str>,
    pub kind_given: bool,
    pub outline: Vec<Heading>,
    pub parties: Parties,
    pub running: Vec<String>,
    /// Paragraphs per region.
    pub regions: BTreeMap<&'static str, usize>,
    /// The facts as `vetter assess --save-facts` writes them for this document.
    pub facts: serde_json::Value,
}

/// The view of `bytes` (named `path`), read as `kind` or as detected.
pub fn show(bytes: &[u8], path: &str, kind: Option<EvidenceKind>, p: &Phrasing, as_of: NaiveDate) -> Shown {
    let doc = text::extract(bytes, path);
    let m = doc.as_ref().map(|d| model::build(d, p)).unwrap_or_default();
    let detected = match (&kind, &doc) {
        (Some(k), _) => Some(k.as_str()),
        (None, Ok(d)) => kind::detect(d, p),
        (None, Err(_)) => None,
    };
    let mut regions = BTreeMap::new();
    for para in &m.paras {
        *regions.entry(para.region.as_str()).or_insert(0) += 1;
    }
    let outline = m
        .paras
        .iter()
        .filter(|x| x.heading)
        .map(|x| Heading {
            location: x.loc.clone(),
            depth: x.path.len(),
            title: x.raw.clone(),
            region: x.region.as_str(),
        })
        .collect();
    let facts = match read_document(bytes, path, kind, p, as_of) {
        EvidenceOut::Soc2(f) => serde_json::to_value(f),
        EvidenceOut::Baa(f) => serde_json::to_value(f),
        EvidenceOut::Dpa(f) => serde_json::to_value(f),
        EvidenceOut::Pentest(f) => serde_json::to_value(f),
        EvidenceOut::Hitrust(f) => serde_json::to_value(f),
        EvidenceOut::Policy(f) => serde_json::to_value(f),
    }
    .unwrap_or_default();
    Shown {
        path: path.to_string(),
        kind: detected,
        kind_given: kind.is_some(),
        outline,
        parties: m.parties,
        running: m.running,
        regions,
        facts,
    }
}

fn scalar(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The view as text: outline, parties, regions, then every fact (a clause with its quote and
/// place).
pub fn render_text(s: &Shown) -> String {
    let mut out = String::new();
    let kind = match (s.kind, s.kind_given) {
        (Some(k), true) => format!("{k} (given)"),
        (Some(k), false) => format!("{k} (detected)"),
        (None, _) => "not recognised".to_string(),
    };
    out.push_str(&format!("{}: {kind}\n", s.path));
    if let Some(e) = s.facts.get("error").and_then(|e| e.as_str()) {
        out.push_str(&format!("error: {e}\n"));
        return out;
    }
    out.push_str("\nOutline\n");
    if s.outline.is_empty() {
        out.push_str("  (no headings found)\n");
    }
    for h in &s.outline {
        let region = if h.region == "body" {
            String::new()
        } else {
            format!("  [{}]", h.region)
        };
        out.push_str(&format!(
            "  {:>10}  {}{}{region}\n",
            h.location,
            "  ".repeat(h.depth),
            h.title
        ));
    }
    out.push_str("\nParties\n");
    let list = |v: &[String]| {
        if v.is_empty() {
            "(none learnt)".to_string()
        } else {
            v.join(", ")
        }
    };
    out.push_str(&format!(
        "  vendor:   {}\n  practice: {}\n",
        list(&s.parties.vendor),
        list(&s.parties.practice)
    ));
    if !s.running.is_empty() {
        out.push_str("\nRunning headers and footers (set aside)\n");
        for r in &s.running {
            out.push_str(&format!("  {r}\n"));
        }
    }
    out.push_str("\nRegions (paragraphs)\n");
    for (r, n) in &s.regions {
        out.push_str(&format!("  {r}: {n}\n"));
    }
    out.push_str("\nFacts\n");
    let Some(obj) = s.facts.as_object() else {
        return out;
    };
    for (k, v) in obj {
        match k.as_str() {
            "clauses" => {
                for (name, c) in v.as_object().into_iter().flatten() {
                    let present = c.get("present").and_then(|p| p.as_bool());
                    let mut line = format!(
                        "  clause {name}: {}",
                        match present {
                            Some(true) => "present",
                            Some(false) => "not found",
                            None => "not read",
                        }
                    );
                    for f in [
                        "days",
                        "hours",
                        "unit",
                        "calendar_days_max",
                        "clock_start",
                        "standard",
                        "amount",
                        "mechanisms",
                        "scc_modules",
                        "eea_only",
                    ] {
                        if let Some(x) = c.get(f).filter(|x| !x.is_null()) {
                            line.push_str(&format!(", {f} {}", scalar(x)));
                        }
                    }
                    if c.get("minimum").and_then(|m| m.as_bool()) == Some(true) {
                        line.push_str(", a minimum delay (\"no less than\"), not a deadline");
                    }
                    out.push_str(&line);
                    out.push('\n');
                    if let (Some(loc), Some(q)) = (
                        c.get("location").and_then(|l| l.as_str()),
                        c.get("quote").and_then(|q| q.as_str()),
                    ) {
                        out.push_str(&format!("      {loc}: “{q}”\n"));
                    }
                }
            }
            "locations" => {
                for (name, l) in v.as_object().into_iter().flatten() {
                    if !l.is_null() {
                        out.push_str(&format!("  {name} read at {}\n", scalar(l)));
                    }
                }
            }
            "path" | "sha256" => {}
            _ => {
                if !v.is_null() {
                    out.push_str(&format!("  {k} = {}\n", scalar(v)));
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probe::evidence::phrasing::builtin;

    #[test]
    fn the_view_names_the_outline_parties_and_each_facts_sentence() {
        let doc = "# Business Associate Agreement\n\nThis Agreement is between Mercy Clinic (“Customer”) and Zeta Cloud LLC (\"Provider\").\n\n## 1. Definitions\n\n“Breach” has the meaning given in 45 CFR 164.402.\n\n## 2. Reporting\n\nProvider will notify Customer of any Breach of Unsecured PHI within ten (10) days of discovery.\n";
        let s = show(
            doc.as_bytes(),
            "baa.md",
            None,
            builtin(),
            NaiveDate::from_ymd_opt(2026, 11, 23).unwrap(),
        );
        assert_eq!((s.kind, s.kind_given), (Some("baa"), false));
        assert!(s.parties.vendor.contains(&"Provider".to_string()));
        let t = render_text(&s);
        assert!(t.contains("baa.md: baa (detected)"), "{t}");
        assert!(t.contains("1. Definitions  [definitions]"), "{t}");
        assert!(t.contains("clause breach_notification: present, days 10"), "{t}");
        assert!(t.contains("line 11: “Provider will notify Customer"), "{t}");
        assert!(t.contains("vendor:   Provider, Zeta Cloud LLC"), "{t}");
    }

    #[test]
    fn an_unreadable_document_says_why() {
        let s = show(
            b"   ",
            "empty.txt",
            None,
            builtin(),
            NaiveDate::from_ymd_opt(2026, 11, 23).unwrap(),
        );
        let t = render_text(&s);
        assert!(t.contains("error: ") && t.contains("empty"), "{t}");
    }
}
