//! `docs/law.md`: every rule with its citation, force, duty and threshold, generated from the
//! packs so the document cannot drift from what runs. Pure.

use std::fmt::Write;

use super::{Force, RuleSet};

fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// The law reference as Markdown.
pub fn markdown(set: &RuleSet) -> String {
    let mut o = String::from(
        "# The law behind every rule\n\n\
         Generated from the rule packs (`rules/*.toml`) by `VETTER_UPDATE_DOCS=1 cargo test --test main docs::`;\n\
         do not edit by hand. For each rule: what it cites, what obliges the vendor (its *force*), the\n\
         duty in one sentence, and where the line is drawn and why. The reasoning per pack — the\n\
         paragraphs read, the forces chosen, the defects fixed — is in `docs/law/<pack>.md`.\n\n\
         | force | meaning | may cap the grade |\n|---|---|---|\n",
    );
    for f in Force::ALL {
        let _ = writeln!(
            o,
            "| `{f}` | {} | {} |",
            f.meaning(),
            if f.may_cap() { "yes" } else { "no" }
        );
    }
    o.push('\n');
    for pack in set.packs.iter().filter(|p| p.kind == "rules") {
        let rules: Vec<_> = set
            .rules
            .iter()
            .map(|r| &r.rule)
            .filter(|r| r.pack == pack.id)
            .collect();
        if rules.is_empty() {
            continue;
        }
        let _ = writeln!(o, "## `{}` — {}\n", pack.id, pack.title);
        let mut counts: Vec<String> = Force::ALL
            .iter()
            .filter_map(|f| {
                let n = rules.iter().filter(|r| r.force == Some(*f)).count();
                (n > 0).then(|| format!("{n} {f}"))
            })
            .collect();
        let unclassified = rules.iter().filter(|r| r.force.is_none()).count();
        if unclassified > 0 {
            counts.push(format!("{unclassified} unclassified"));
        }
        let _ = writeln!(o, "{} rules: {}.\n", rules.len(), counts.join(", "));
        o.push_str("| rule | cites | force | duty | threshold and why |\n|---|---|---|---|---|\n");
        for r in rules {
            // A family member names the rules it is one finding with where they agree.
            let family = r.family.as_ref().map_or(String::new(), |fam| {
                let others: Vec<String> = set
                    .rules
                    .iter()
                    .filter(|o| o.rule.family.as_ref() == Some(fam) && o.rule.id != r.id)
                    .map(|o| format!("`{}`", o.rule.id))
                    .collect();
                format!(
                    " One finding with {} where they agree (family `{fam}`).",
                    others.join(", ")
                )
            });
            let _ = writeln!(
                o,
                "| `{}`{} | {} | {} | {} | {}{} |",
                r.id,
                r.cap.map(|c| format!(" (caps at {c})")).unwrap_or_default(),
                cell(&r.refs.join("; ")),
                super::super::report::force_label(r.force),
                cell(r.duty.as_deref().unwrap_or("—")),
                cell(r.threshold.as_deref().unwrap_or("—")),
                family,
            );
        }
        o.push('\n');
    }
    o
}
