//! docs/coverage.md: every catalog id of the requirement catalog mapped to the rules that
//! demonstrate it. The catalog is kept in docs/catalog.tsv (checked against
//! ../shared/REQUIREMENTS.md when that file is beside the checkout).

use std::collections::{BTreeMap, BTreeSet};

use crate::support::*;
use vetter::rules::{LoadOptions, RuleSet};

const CHECKED_PROBES: [&str; 5] = ["EP", "EXP", "LOG", "SOC", "CTR"];

#[derive(Debug, Clone, PartialEq)]
struct Row {
    id: String,
    section: String,
    probes: Vec<String>,
}

/// Parse the catalog's Markdown tables.
fn parse_requirements(md: &str) -> Vec<Row> {
    let mut rows = Vec::new();
    let mut section = String::new();
    let mut probe_col: Option<usize> = None;
    let mut in_table = false;
    for line in md.lines() {
        if let Some(h) = line.strip_prefix("### ").or_else(|| line.strip_prefix("## ")) {
            section = h
                .split_whitespace()
                .next()
                .unwrap_or("")
                .trim_end_matches('.')
                .to_string();
            in_table = false;
            continue;
        }
        if !line.starts_with('|') {
            in_table = false;
            continue;
        }
        let cells: Vec<&str> = line.trim().trim_matches('|').split('|').map(str::trim).collect();
        if !in_table {
            probe_col = cells.iter().position(|c| *c == "Probe");
            in_table = true;
            continue;
        }
        let first = cells[0];
        let Some(id) = first
            .split_whitespace()
            .next()
            .map(|t| t.trim_end_matches(',').to_string())
        else {
            continue;
        };
        if !id.contains('-') || !id.chars().next().is_some_and(|c| c.is_ascii_uppercase()) || id.starts_with("---") {
            continue;
        }
        let probes: Vec<String> = match probe_col {
            Some(i) => cells
                .get(i)
                .map(|c| {
                    c.split(',')
                        .map(|p| p.trim().to_string())
                        .filter(|p| !p.is_empty())
                        .collect()
                })
                .unwrap_or_default(),
            None => {
                let default = match section.as_str() {
                    "3.1" | "3.2" => "CTR",
                    "4" => "EXP",
                    "6" => "SOC",
                    _ => "n/a",
                };
                let detail = cells.get(2).or(cells.get(1)).copied().unwrap_or("");
                if detail.starts_with("POL:") {
                    vec!["POL".to_string()]
                } else {
                    vec![default.to_string()]
                }
            }
        };
        rows.push(Row {
            id,
            section: section.clone(),
            probes,
        });
    }
    rows
}

fn read_tsv() -> Vec<Row> {
    let text = std::fs::read_to_string(root().join("docs/catalog.tsv")).expect("docs/catalog.tsv");
    text.lines()
        .skip(1)
        .filter(|l| !l.is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            Row {
                section: f[0].into(),
                id: f[1].into(),
                probes: f[2].split(',').map(str::to_string).collect(),
            }
        })
        .collect()
}

fn to_tsv(rows: &[Row]) -> String {
    let mut s = String::from("section\tid\tprobes\n");
    for r in rows {
        s.push_str(&format!("{}\t{}\t{}\n", r.section, r.id, r.probes.join(",")));
    }
    s
}

fn update() -> bool {
    std::env::var_os("VETTER_UPDATE_DOCS").is_some()
}

/// Contract rows whose automatic reading was withdrawn because the reader read them wrongly
/// (issue 10): manual until the evidence reader gives the fact named. Each is listed in
/// docs/coverage.md; the list only shrinks.
const KNOWN_GAPS: &[(&str, &str)] = &[
    (
        "BNR-164.410(c)",
        "the notice-content clause was judged from its truncated display quote; automatic again once the reader gives the content items as a fact",
    ),
    (
        "BAA-NEG-INCIDENT-CARVEOUT",
        "the unsuccessful-attempts carve-out was judged from its truncated display quote; automatic again once the reader gives the carve-out's scope as a fact",
    ),
];

#[test]
fn catalog_copy_matches_shared_requirements() {
    let shared = root().join("../shared/REQUIREMENTS.md");
    let Ok(md) = std::fs::read_to_string(&shared) else {
        eprintln!("note: {} not present; using docs/catalog.tsv as is", shared.display());
        return;
    };
    let rows = parse_requirements(&md);
    assert!(rows.len() > 100, "parsed only {} catalog rows", rows.len());
    let tsv = to_tsv(&rows);
    if update() {
        std::fs::write(root().join("docs/catalog.tsv"), &tsv).unwrap();
    }
    assert_eq!(
        std::fs::read_to_string(root().join("docs/catalog.tsv")).unwrap_or_default(),
        tsv,
        "docs/catalog.tsv is stale: run VETTER_UPDATE_DOCS=1 cargo test"
    );
}

fn coverage_doc(rows: &[Row], set: &RuleSet) -> (String, Vec<String>, Vec<String>) {
    let mut by_req: BTreeMap<&str, (Vec<&str>, Vec<&str>)> = BTreeMap::new();
    for r in &set.rules {
        for req in &r.rule.requirement {
            let e = by_req.entry(req.as_str()).or_default();
            if r.rule.manual {
                e.1.push(&r.rule.id)
            } else {
                e.0.push(&r.rule.id)
            }
        }
    }
    let known: BTreeSet<&str> = rows.iter().map(|r| r.id.as_str()).collect();
    let unknown: Vec<String> = set
        .rules
        .iter()
        .flat_map(|r| {
            r.rule
                .requirement
                .iter()
                .filter(|q| !known.contains(q.as_str()))
                .map(move |q| format!("{} → {q}", r.rule.id))
        })
        .collect();
    let mut uncovered = Vec::new();
    let mut s = String::from(
        "# Requirement coverage\n\nEvery row of the requirement catalog (`docs/catalog.tsv`, taken from the team's regulatory catalog) \
         and the rules that demonstrate it. Rows whose probe is EP, EXP, LOG, SOC or CTR must have at least one rule that is \
         checked from evidence (not manual); rows only a policy document can show have manual rules satisfied by an \
         `[[attestation]]`. Generated and checked by `tests/coverage.rs` (`VETTER_UPDATE_DOCS=1 cargo test` rewrites it).\n",
    );
    let mut section = String::new();
    for r in rows {
        if r.section != section {
            section = r.section.clone();
            s.push_str(&format!("\n## Catalog section {section}\n\n| Catalog id | Probe | Checked by | Manual (attestation) |\n|---|---|---|---|\n"));
        }
        let (checked, manual) = by_req.get(r.id.as_str()).cloned().unwrap_or_default();
        let needs = r.probes.iter().any(|p| CHECKED_PROBES.contains(&p.as_str()));
        if needs && checked.is_empty() && !KNOWN_GAPS.iter().any(|(id, _)| *id == r.id) {
            uncovered.push(r.id.clone());
        }
        let fmt = |v: &[&str]| {
            if v.is_empty() {
                "—".to_string()
            } else {
                v.iter().map(|x| format!("`{x}`")).collect::<Vec<_>>().join(", ")
            }
        };
        s.push_str(&format!(
            "| {} | {} | {} | {} |\n",
            r.id,
            r.probes.join(", "),
            fmt(&checked),
            fmt(&manual)
        ));
    }
    s.push_str("\n## Known gaps\n\nRows with a contract or evidence probe that no rule checks automatically today, and why:\n\n");
    for (id, why) in KNOWN_GAPS {
        s.push_str(&format!("- {id}: {why}.\n"));
    }
    (s, uncovered, unknown)
}

#[test]
fn coverage_doc_is_current_and_complete() {
    let rows = read_tsv();
    let set = RuleSet::load(&LoadOptions {
        include_builtin: true,
        ..Default::default()
    })
    .unwrap();
    let (doc, uncovered, unknown) = coverage_doc(&rows, &set);
    assert!(
        uncovered.is_empty(),
        "catalog rows with an EP/EXP/LOG/SOC/CTR probe but no checked rule: {uncovered:?}"
    );
    assert!(
        unknown.is_empty(),
        "rules citing ids that are not in the catalog: {unknown:?}"
    );
    let path = root().join("docs/coverage.md");
    if update() {
        std::fs::write(&path, &doc).unwrap();
    }
    assert_eq!(
        std::fs::read_to_string(&path).unwrap_or_default(),
        doc,
        "docs/coverage.md is stale: run VETTER_UPDATE_DOCS=1 cargo test"
    );
}
