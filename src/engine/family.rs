//! One fact, one finding. Rules that judge the same fact of the same resource declare one
//! `family` (HIPAA, GDPR, SOC 2 and the NPRM each citing it); where the members agree, the
//! report carries one finding, led by the member with the strongest force, whose `also` names
//! the others (their citations are the finding's), and the score counts it once. Members that
//! disagree (different thresholds) stay separate findings: each says something the other does
//! not. A waived finding is never folded: a waiver is granted per rule. Pure.

use std::cmp::Reverse;
use std::collections::BTreeMap;

use super::{Finding, Status};
use crate::rules::{Force, RuleSet, Severity};

/// Which member leads a folded finding: the law before practice, then severity, then id.
fn force_rank(f: Option<Force>) -> u8 {
    match f {
        Some(Force::Required) => 5,
        Some(Force::Addressable) => 4,
        Some(Force::Practice) => 3,
        Some(Force::Negotiated) => 2,
        Some(Force::Proposed) => 1,
        None => 0,
    }
}

/// Fold the findings of each family, resource and status into one.
pub fn fold(findings: Vec<Finding>, rules: &RuleSet) -> Vec<Finding> {
    let family = |f: &Finding| rules.rule(&f.rule).and_then(|r| r.rule.family.clone());
    // (family, resource, status) → indices of its members, in input order.
    let mut groups: BTreeMap<(String, String, Status), Vec<usize>> = BTreeMap::new();
    for (i, f) in findings.iter().enumerate() {
        if f.status == Status::Waived {
            continue;
        }
        if let Some(fam) = family(f) {
            groups.entry((fam, f.resource.clone(), f.status)).or_default().push(i);
        }
    }
    let mut lead_of: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    let mut folded = vec![false; findings.len()];
    for members in groups.into_values().filter(|m| m.len() > 1) {
        let lead = *members
            .iter()
            .max_by_key(|&&i| {
                let f = &findings[i];
                (force_rank(f.force), f.severity, Reverse(f.rule.clone()))
            })
            .expect("a group has members");
        for &i in members.iter().filter(|&&i| i != lead) {
            folded[i] = true;
        }
        lead_of.insert(lead, members);
    }
    let severity_of = |members: &[usize]| -> Severity {
        // The weight of the strongest member that may cap, so folding never removes a cap
        // (a critical addressable rule under a high required one); else the strongest.
        let may_cap: Vec<Severity> = members
            .iter()
            .map(|&i| &findings[i])
            .filter(|f| f.force.is_none_or(|x| x.may_cap()))
            .map(|f| f.severity)
            .collect();
        may_cap
            .into_iter()
            .max()
            .unwrap_or_else(|| members.iter().map(|&i| findings[i].severity).max().expect("members"))
    };
    let extra: BTreeMap<usize, (Severity, Vec<String>)> = lead_of
        .iter()
        .map(|(&lead, members)| {
            let mut also: Vec<String> = members
                .iter()
                .filter(|&&i| i != lead)
                .map(|&i| findings[i].rule.clone())
                .collect();
            also.sort();
            (lead, (severity_of(members), also))
        })
        .collect();
    findings
        .into_iter()
        .enumerate()
        .filter(|(i, _)| !folded[*i])
        .map(|(i, mut f)| {
            if let Some((sev, also)) = extra.get(&i) {
                f.severity = *sev;
                f.also = also.clone();
            }
            f
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};

    use super::*;
    use crate::engine::{Inputs, evaluate};

    /// Three rules on one fact (a HIPAA-like addressable one, a critical practice one, a
    /// required one with a looser threshold) and one outside the family.
    const PACK: &str = r#"
[pack]
id = "t"
title = "T"
version = "1"
[[rule]]
id = "t-a-addressable"
family = "tls10"
title = "TLS 1.0 refused"
category = "encryption"
severity = "critical"
force = "addressable"
refs = ["45 CFR 164.312(e)(2)(ii)"]
each = "endpoints"
assert = "it.tls.versions.tls1_0 == false"
description = "d"
remediation = "r"
[[rule]]
id = "t-b-practice"
family = "tls10"
title = "TLS 1.0 refused"
category = "encryption"
severity = "high"
force = "practice"
refs = ["NIST SP 800-52r2 3.1"]
each = "endpoints"
assert = "it.tls.versions.tls1_0 == false"
description = "d"
remediation = "r"
[[rule]]
id = "t-c-required"
family = "tls10"
title = "modern TLS"
category = "encryption"
severity = "high"
force = "required"
refs = ["GDPR Art. 32(1)(a)", "45 CFR 164.312(e)(2)(ii)"]
each = "endpoints"
assert = "it.tls.versions.tls1_0 == false || it.url.contains('lenient')"
description = "d"
remediation = "r"
[[rule]]
id = "t-d-other"
title = "TLS 1.1 refused"
category = "encryption"
severity = "high"
force = "practice"
refs = ["x"]
each = "endpoints"
assert = "it.tls.versions.tls1_1 == false"
description = "d"
remediation = "r"
"#;

    fn run(waived: &[&str]) -> Vec<Finding> {
        let rules = RuleSet::from_sources(&[("t.toml".into(), PACK.into(), false)], false, vec![])
            .map_err(|e| e.to_string())
            .unwrap();
        let facts = serde_json::json!({
            "vendor": {"name": "V"}, "as_of": "2026-11-23",
            "endpoints": [
                {"url": "https://old.example", "error": null, "tls": {"versions": {"tls1_0": true, "tls1_1": true}}},
                {"url": "https://new.example", "error": null, "tls": {"versions": {"tls1_0": false, "tls1_1": false}}},
                {"url": "https://lenient.example", "error": null, "tls": {"versions": {"tls1_0": true, "tls1_1": false}}}
            ]
        });
        let waivers: Vec<crate::engine::Waiver> = waived
            .iter()
            .map(|r| crate::engine::Waiver {
                rule: r.to_string(),
                resource: None,
                reason: "x".into(),
                approver: "y".into(),
                expires: "2030-01-01".into(),
            })
            .collect();
        let packs: BTreeSet<String> = ["t".to_string()].into();
        let fs = evaluate(
            &rules,
            &Inputs {
                facts: &facts,
                as_of: chrono::NaiveDate::from_ymd_opt(2026, 11, 23).unwrap(),
                params: &BTreeMap::new(),
                attestations: &[],
                waivers: &waivers,
                packs: &packs,
            },
        );
        fold(fs, &rules)
    }

    fn on<'a>(fs: &'a [Finding], resource: &str) -> Vec<&'a Finding> {
        fs.iter().filter(|f| f.resource == resource).collect()
    }

    #[test]
    fn agreeing_members_are_one_finding_led_by_the_law() {
        let fs = run(&[]);
        // Three family members fail on the old endpoint: one finding, led by the required
        // rule, the others in `also`, weighing as the critical addressable member (so a cap
        // it would set is not lost); the rule outside the family stays its own finding.
        let old = on(&fs, "https://old.example");
        assert_eq!(old.len(), 2, "{old:#?}");
        let f = old
            .iter()
            .find(|f| f.rule == "t-c-required")
            .expect("led by the required rule");
        assert_eq!(f.also, ["t-a-addressable", "t-b-practice"]);
        assert_eq!((f.status, f.severity), (Status::Fail, Severity::Critical));
        assert!(old.iter().any(|f| f.rule == "t-d-other" && f.also.is_empty()));
        // Passes fold too: counted once.
        let new = on(&fs, "https://new.example");
        assert_eq!(new.len(), 2);
        assert!(
            new.iter()
                .any(|f| f.rule == "t-c-required" && f.also.len() == 2 && f.status == Status::Pass)
        );
    }

    #[test]
    fn members_that_disagree_stay_separate() {
        // The looser required rule passes where the others fail: it says something they do
        // not, so it is its own finding; the two that agree still fold.
        let fs = run(&[]);
        let l = on(&fs, "https://lenient.example");
        let req = l.iter().find(|f| f.rule == "t-c-required").unwrap();
        assert_eq!((req.status, req.also.len()), (Status::Pass, 0));
        let fail = l
            .iter()
            .find(|f| f.status == Status::Fail && f.rule != "t-d-other")
            .unwrap();
        assert_eq!(
            (fail.rule.as_str(), fail.also.as_slice()),
            ("t-a-addressable", &["t-b-practice".to_string()][..])
        );
    }

    #[test]
    fn a_waived_member_is_not_folded() {
        let fs = run(&["t-c-required"]);
        let old = on(&fs, "https://old.example");
        assert!(
            old.iter()
                .any(|f| f.rule == "t-c-required" && f.status == Status::Waived && f.also.is_empty())
        );
        let f = old.iter().find(|f| f.rule == "t-a-addressable").unwrap();
        assert_eq!(f.also, ["t-b-practice"]);
    }

    #[test]
    fn a_family_reads_one_resource_list() {
        let bad = PACK
            .replace(
                "id = \"t-d-other\"\ntitle",
                "id = \"t-d-other\"\nfamily = \"tls10\"\ntitle",
            )
            .replace(
                "each = \"endpoints\"\nassert = \"it.tls.versions.tls1_1",
                "assert = \"size(endpoints) > 0 && true\"\n#",
            );
        let err = RuleSet::from_sources(&[("t.toml".into(), bad, false)], false, vec![])
            .err()
            .expect("a family over two resource lists is refused")
            .to_string();
        assert!(
            err.contains("family = \"tls10\"") && err.contains("t-a-addressable"),
            "{err}"
        );
        let bad = PACK.replace(
            "family = \"tls10\"\ntitle = \"TLS 1.0 refused\"\ncategory = \"encryption\"\nseverity = \"critical\"",
            "family = \"TLS 1.0!\"\ntitle = \"TLS 1.0 refused\"\ncategory = \"encryption\"\nseverity = \"critical\"",
        );
        let err = RuleSet::from_sources(&[("t.toml".into(), bad, false)], false, vec![])
            .err()
            .expect("a malformed family name is refused")
            .to_string();
        assert!(err.contains("lowercase letters"), "{err}");
    }
}
