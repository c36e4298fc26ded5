//! ② Collect (evidence): contract sentences → clause facts (`evidence.baa[].clauses`,
//! `evidence.dpa[].clauses`). Input: the document model's sentences ([`Unit`]s: body only, list
//! items with their lead-in, party names replaced by their roles) and the compiled phrasing;
//! output: one [`Clause`] per clause the phrasing names. Pure; no I/O.
//!
//! Matching is per sentence part (a sentence split at `;`), so a duty and the exception to it in
//! the same sentence are judged apart. A part that states the clause but also matches one of its
//! exclusions (a definition, "breach of this Agreement") or negations ("shall not be required to
//! notify") does not count. A notice clause (one whose clock is read) is read from parts that
//! oblige the vendor to give notice (`[phrase.duty].notice`), not from ones that only mention
//! its topic (`[phrase.duty].mention`: an audit clause "unless a Breach has occurred"); its
//! windows are those addressed to the practice, not to regulators or individuals
//! (`[phrase.recipient]`). Across several parts stating the same duty, the worst (longest)
//! window is reported.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use regex::Regex;

use super::model::{Region, Unit};
use super::numbers::{self, Window};
use super::phrasing::{ClauseSpec, Phrasing, any, first};
use super::text::short_quote;
use crate::facts::Clause;

/// One sentence part that states the clause.
struct Hit<'a> {
    unit: &'a Unit,
    part: &'a str,
    at: usize,
    /// The part obliges the vendor to give notice.
    duty: bool,
}

/// Read every clause of `specs` from the sentences.
pub fn read(units: &[Unit], specs: &[ClauseSpec], p: &Phrasing) -> BTreeMap<String, Clause> {
    let body: Vec<&Unit> = units.iter().filter(|u| u.region == Region::Body).collect();
    let mut out = BTreeMap::new();
    for spec in specs {
        out.insert(spec.key.clone(), read_one(&body, units, spec, p));
    }
    // The legacy `report_incidents` stands for either report duty: true whenever one of them
    // is, whatever words that one was read from.
    if out.get("report_incidents").is_some_and(|c| c.present != Some(true))
        && let Some(c) = ["report_improper_use", "report_security_incidents"]
            .iter()
            .filter_map(|k| out.get(*k))
            .find(|c| c.present == Some(true))
            .cloned()
    {
        out.insert("report_incidents".to_string(), c);
    }
    out
}

fn parts(s: &str) -> Vec<&str> {
    // A semicolon before a company form ("Acme Health Services; Inc.") is a typo for a comma,
    // not the end of a sentence part.
    let mut out = Vec::new();
    let mut start = 0;
    for (i, _) in s.match_indices(';') {
        let rest = s[i + 1..].trim_start();
        let form = ["Inc", "LLC", "L.L.C", "Ltd", "Corp", "P.C", "PLLC", "LLP"]
            .iter()
            .any(|f| rest.starts_with(f) && !rest[f.len()..].starts_with(char::is_alphanumeric));
        if !form {
            out.push(&s[start..i]);
            start = i + 1;
        }
    }
    out.push(&s[start..]);
    out.retain(|p| !p.trim().is_empty());
    out
}

/// `all` is every sentence, definitions included, for facts read from the whole document.
fn read_one(units: &[&Unit], all: &[Unit], spec: &ClauseSpec, p: &Phrasing) -> Clause {
    let wants = |e: &str| spec.extract.iter().any(|x| x == e);
    // A clause whose clock is read is a notice duty: read it from duties, not mentions.
    let notice = wants("clock");
    let mut hits = Vec::new();
    for (i, u) in units.iter().enumerate() {
        // A short label ("Data Protection Officer") is answered on the next line.
        let label_answered =
            || u.text.chars().count() <= 80 && units.get(i + 1).is_some_and(|n| any(&spec.requires, &n.text));
        for part in parts(&u.text) {
            let in_section =
                || first(&spec.section_match, part).filter(|_| u.path.iter().any(|h| any(&spec.section, h)));
            let Some((at, _)) = first(&spec.matches, part).or_else(in_section) else {
                continue;
            };
            if any(&spec.exclude, part) || any(&spec.negation, part) {
                continue;
            }
            if !spec.requires.is_empty() && !any(&spec.requires, part) && !label_answered() {
                continue;
            }
            let duty = any(p.group("duty", "notice"), part);
            if notice && !duty && (any(p.group("duty", "mention"), part) || any(p.group("duty", "practice"), part)) {
                continue;
            }
            hits.push(Hit {
                unit: u,
                part,
                at,
                duty,
            });
        }
    }
    if hits.is_empty() {
        return described(units, spec).unwrap_or(Clause {
            present: Some(false),
            ..Default::default()
        });
    }
    // The hit that carries the clause's numbers: the worst window when windows are read, from
    // the parts that impose the duty when there are such parts with windows.
    let mut chosen = 0;
    let mut window: Option<Window> = None;
    if wants("window") {
        let windows: Vec<Vec<Window>> = hits.iter().map(|h| duty_windows(h, notice, p)).collect();
        let from_duties = notice && hits.iter().zip(&windows).any(|(h, w)| h.duty && !w.is_empty());
        for (i, (h, ws)) in hits.iter().zip(&windows).enumerate() {
            if from_duties && !h.duty {
                continue;
            }
            for w in ws {
                if window
                    .as_ref()
                    .is_none_or(|cur| w.calendar_days_max > cur.calendar_days_max)
                {
                    window = Some(w.clone());
                    chosen = i;
                }
            }
        }
    }
    if wants("window") && window.is_none() && !notice {
        window = continued_window(units, &hits, p);
    }
    if window.is_none()
        && notice
        && let Some(i) = hits.iter().position(|h| h.duty)
    {
        chosen = i;
    }
    if wants("mechanisms")
        && let Some(i) = hits
            .iter()
            .position(|h| p.group_all("mechanism").iter().any(|(_, pats)| any(pats, h.part)))
    {
        chosen = i;
    }
    let h = &hits[chosen];
    let mut c = Clause {
        present: Some(true),
        location: Some(h.unit.loc.clone()),
        quote: Some(short_quote(&h.unit.quote)),
        ..Default::default()
    };
    if let Some(w) = window {
        c.unit = Some(w.unit.to_string());
        c.calendar_days_max = Some(w.calendar_days_max);
        c.minimum = Some(w.minimum);
        if w.hours {
            c.hours = Some(w.value);
        } else {
            c.days = Some(w.value);
        }
    }
    if wants("clock") {
        c.clock_start = clock(h.part, p).or_else(|| {
            hits.iter()
                .filter(|h| !notice || h.duty)
                .chain(hits.iter())
                .find_map(|h| clock(h.part, p))
        });
    }
    if wants("standard") {
        c.standard = hits
            .iter()
            .find_map(|h| standard(h.part, p.group("standard", "patterns")));
    }
    if wants("mechanisms") {
        let ms = mechanisms(units, all, &hits, p);
        c.scc_modules = ms.iter().any(|m| m == "scc").then(|| scc_modules(units, &hits, p));
        c.eea_only = Some(eea_only(units, p));
        c.mechanisms = Some(ms);
    }
    if wants("amount") {
        c.amount = hits
            .iter()
            .filter_map(|h| numbers::max_amount(h.part))
            .fold(None, |a: Option<f64>, x| Some(a.map_or(x, |a| a.max(x))));
    }
    c
}

/// The clause stated by a labelled description (`described_by`): at least two of its labels,
/// different ones, each on a line of its own. Located at the first label.
fn described(units: &[&Unit], spec: &ClauseSpec) -> Option<Clause> {
    // Each label on a line of its own: one line counts for one label only.
    let mut lines: Vec<usize> = Vec::new();
    for re in &spec.described_by {
        if let Some(i) = (0..units.len()).find(|i| !lines.contains(i) && re.is_match(&units[*i].text)) {
            lines.push(i);
        }
    }
    let u = units[*lines.iter().min().filter(|_| lines.len() >= 2)?];
    Some(Clause {
        present: Some(true),
        location: Some(u.loc.clone()),
        quote: Some(short_quote(&u.quote)),
        ..Default::default()
    })
}

/// The transfer mechanisms named in the clause's parts and in any sentence about transfers, in a
/// fixed order. Per sentence, a repealed SCC set (`scc_legacy`) named without the 2021/914 one
/// makes its "SCCs" the repealed ones, unless the sentence says that set was replaced; the Art.
/// 28(7) clauses (`not_transfer_clauses`) are not transfer SCCs. A document that names a repealed
/// set and never the 2021/914 one relies on the repealed set: its bare "SCCs" are not counted as
/// the 2021/914 clauses.
fn mechanisms(units: &[&Unit], all: &[Unit], hits: &[Hit], p: &Phrasing) -> Vec<String> {
    let t = |k: &str| p.group("transfer", k);
    let sentences = hits.iter().map(|h| h.part).chain(
        units
            .iter()
            .filter(|u| transfer_context(&u.text))
            .map(|u| u.text.as_str()),
    );
    let mut ms: Vec<String> = Vec::new();
    // Anywhere in the document: a definition of the SCCs is seldom a sentence about transfers.
    let mut current_named = all.iter().any(|u| any(t("scc_current"), &u.text));
    let mut legacy_named = all
        .iter()
        .flat_map(|u| parts(&u.text))
        .any(|s| any(p.group("mechanism", "scc_legacy"), s) && !any(t("superseded"), s));
    for s in sentences {
        let current = any(t("scc_current"), s);
        current_named |= current;
        let mut names: Vec<&str> = p
            .group_all("mechanism")
            .into_iter()
            .filter(|(_, pats)| any(pats, s))
            .map(|(n, _)| n)
            .collect();
        if names.contains(&"scc_legacy") && any(t("superseded"), s) {
            names.retain(|n| *n != "scc_legacy");
        } else if names.contains(&"scc_legacy") && !current {
            names.retain(|n| *n != "scc");
        }
        if any(t("not_transfer_clauses"), s) && !current {
            names.retain(|n| *n != "scc");
        }
        // "a country that does not provide an adequate level of protection" names no adequacy
        // the transfer relies on; an explicit "adequacy decision" elsewhere in it still counts.
        if any(t("no_adequacy"), s) && !s.to_ascii_lowercase().contains("adequacy decision") {
            names.retain(|n| *n != "adequacy");
        }
        legacy_named |= names.contains(&"scc_legacy");
        for n in names {
            if !ms.iter().any(|m| m == n) {
                ms.push(n.to_string());
            }
        }
    }
    if legacy_named && !current_named && ms.iter().any(|m| m == "scc") {
        ms.retain(|m| m != "scc");
        if !ms.iter().any(|m| m == "scc_legacy") {
            ms.push("scc_legacy".to_string());
        }
    }
    let order = [
        "scc",
        "scc_legacy",
        "dpf",
        "privacy_shield",
        "adequacy",
        "bcr",
        "derogation",
    ];
    ms.sort_by_key(|m| order.iter().position(|o| o == m).unwrap_or(order.len()));
    ms
}

/// The SCC modules named where transfers or the SCCs are spoken of, ascending, each once.
fn scc_modules(units: &[&Unit], hits: &[Hit], p: &Phrasing) -> Vec<u8> {
    let scc = p.group("mechanism", "scc");
    let mut out: Vec<u8> = Vec::new();
    let sentences = hits.iter().map(|h| h.part).chain(
        units
            .iter()
            .filter(|u| transfer_context(&u.text) || any(scc, &u.text))
            .map(|u| u.text.as_str()),
    );
    for s in sentences {
        for re in p.group("transfer", "module") {
            for cap in re.captures_iter(s) {
                let n = match cap.get(1).map(|m| m.as_str().to_ascii_lowercase()).as_deref() {
                    Some("one" | "1") => 1,
                    Some("two" | "2") => 2,
                    Some("three" | "3") => 3,
                    Some("four" | "4") => 4,
                    _ => continue,
                };
                if !out.contains(&n) {
                    out.push(n);
                }
            }
        }
    }
    out.sort_unstable();
    out
}

/// Whether a sentence part states, without condition, that the data stays in the EEA.
fn eea_only(units: &[&Unit], p: &Phrasing) -> bool {
    let t = |k: &str| p.group("transfer", k);
    units
        .iter()
        .flat_map(|u| parts(&u.text))
        .any(|s| any(t("eea_only"), s) && !any(t("eea_only_exclude"), s))
}

/// Transfer mechanisms are often named in a sentence of their own ("Such transfers are governed
/// by the SCCs"): any sentence about transfers counts.
fn transfer_context(s: &str) -> bool {
    let l = s.to_ascii_lowercase();
    l.contains("transfer")
}

/// The window of the duty (of a notice, one addressed to the practice or to no one named; never a
/// figure cited for comparison): the first at or after the clause's trigger, else the last one
/// before it.
fn duty_windows(h: &Hit, notice: bool, p: &Phrasing) -> Vec<Window> {
    let ws = numbers::windows(h.part);
    // A sentence that names no addressee at all ("Notification must be made within 60 days")
    // is addressed to whom its heading names: under "Notification to Individuals" it is not
    // notice to the practice.
    let other = p.group("recipient", "other");
    let unaddressed = !any(other, h.part) && !any(p.group("recipient", "practice"), h.part);
    let heading_other = unaddressed
        && h.unit
            .path
            .last()
            .is_some_and(|t| any(other, t) && !any(p.group("recipient", "practice"), t));
    let kept: Vec<Window> = (0..ws.len())
        .filter(|&i| !ws[i].cited && (!notice || (!heading_other && !to_other(h.part, &ws, i, p))))
        .map(|i| ws[i].clone())
        .collect();
    kept.iter()
        .find(|w| w.start >= h.at)
        .or_else(|| kept.iter().rev().find(|w| w.start < h.at))
        .cloned()
        .into_iter()
        .collect()
}

fn to_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| Regex::new(r"(?i)\bto\s+(?:the\s+|an?\s+|any\s+|all\s+|such\s+)?[A-Za-z]").expect("to regex"))
}

fn verb_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| {
        Regex::new(r"(?i)\b(?:notif(?:y|ies|ied|ying|ication)|report(?:s|ed|ing)?|inform(?:s|ed|ing)?|notice|provide|submit|send|deliver)\b")
            .expect("verb regex")
    })
}

/// The recipient phrase: up to the first word that ends a noun phrase.
fn object(s: &str) -> &str {
    static R: OnceLock<Regex> = OnceLock::new();
    let stop = R.get_or_init(|| {
        Regex::new(r"(?i)[,;(]|\b(?:of|within|without|no later|not later|after|upon|as soon|promptly|immediately|in writing|by|following|unless|if|when)\b")
            .expect("stop regex")
    });
    let end = stop.find(s).map(|m| m.start()).unwrap_or(s.len()).min(120);
    let end = (0..=end).rev().find(|&i| s.is_char_boundary(i)).unwrap_or(0);
    &s[..end]
}

/// The window given by a later sentence of the first hit's paragraph that continues its duty
/// with the object left out (`[phrase.duty].continues`).
fn continued_window(units: &[&Unit], hits: &[Hit], p: &Phrasing) -> Option<Window> {
    let h = hits.first()?;
    let j = units.iter().position(|u| std::ptr::eq(*u, h.unit))?;
    units[j + 1..]
        .iter()
        .take_while(|u| u.loc == h.unit.loc)
        .take(3)
        .flat_map(|u| parts(&u.text))
        .filter(|part| any(p.group("duty", "continues"), part))
        .find_map(|part| numbers::windows(part).into_iter().find(|w| !w.cited))
}

/// Whether window `i` of `part` is addressed to someone other than the practice: the "to X"
/// right after it, else the object of the notice verb before it.
fn to_other(part: &str, ws: &[Window], i: usize, p: &Phrasing) -> bool {
    let other = p.group("recipient", "other");
    let w = &ws[i];
    let next = ws.get(i + 1).map(|n| n.start).unwrap_or(part.len());
    let after = &part[w.end..next];
    let after = after.split(", and").next().unwrap_or(after);
    let after = after.split(" and shall").next().unwrap_or(after);
    if let Some(m) = to_re().find(after) {
        let rest = &after[m.start() + 2..];
        return any(other, object(rest.trim_start()));
    }
    let prev = if i == 0 { 0 } else { ws[i - 1].end };
    let before = &part[prev.min(w.start)..w.start];
    if let Some(m) = verb_re().find_iter(before).last() {
        let rest = before[m.end()..].trim_start();
        let rest = rest.strip_prefix("to ").unwrap_or(rest);
        return any(other, object(rest));
    }
    false
}

/// What starts the clock: of the starts the part names, the latest one (the worst for the
/// customer: "after discovery and confirmation" runs from confirmation).
fn clock(part: &str, p: &Phrasing) -> Option<String> {
    let order = ["discovery", "confirmation", "determination", "investigation"];
    let mut found: Option<usize> = None;
    for (name, pats) in p.group_all("clock") {
        if any(pats, part)
            && let Some(i) = order.iter().position(|o| *o == name)
        {
            found = Some(found.map_or(i, |f| f.max(i)));
        }
    }
    found.map(|i| order[i].to_string())
}

fn standard(part: &str, pats: &[Regex]) -> Option<String> {
    let (s, e) = first(pats, part)?;
    let raw = part[s..e].to_ascii_uppercase();
    if let Some(bits) = raw.strip_prefix("AES") {
        let bits: String = bits.chars().filter(char::is_ascii_digit).collect();
        return Some(format!("AES-{bits}"));
    }
    Some(raw.replace(" V1.", " 1."))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probe::evidence::model;
    use crate::probe::evidence::phrasing::builtin;
    use crate::probe::evidence::text::text;

    fn baa(t: &str) -> BTreeMap<String, Clause> {
        let m = model::build(&text(t), builtin());
        read(
            &m.units("Business Associate", "Covered Entity"),
            &builtin().baa,
            builtin(),
        )
    }

    fn dpa(t: &str) -> BTreeMap<String, Clause> {
        let m = model::build(&text(t), builtin());
        read(&m.units("Processor", "Controller"), &builtin().dpa, builtin())
    }

    fn transfers(t: &str) -> Clause {
        dpa(t).remove("transfers").expect("transfers read")
    }

    #[test]
    fn privacy_shield_is_not_the_data_privacy_framework() {
        // Read as `dpf` before: the invalidated Privacy Shield passed as its successor.
        let c = transfers(
            "Transfers of personal data outside the EEA to the United States are made under the EU-US Privacy Shield Framework.",
        );
        assert_eq!(c.mechanisms, Some(vec!["privacy_shield".to_string()]));
        let c = transfers(
            "Transfers of personal data to the United States are made to recipients certified under the EU-U.S. Data Privacy Framework.",
        );
        assert_eq!(c.mechanisms, Some(vec!["dpf".to_string()]));
    }

    #[test]
    fn repealed_scc_sets_are_told_from_the_2021_clauses() {
        // Read as `scc` before.
        let c = transfers(
            "Transfers of personal data outside the EEA are governed by the standard contractual clauses set out in Commission Decision 2010/87/EU.",
        );
        assert_eq!(c.mechanisms, Some(vec!["scc_legacy".to_string()]));
        assert_eq!(c.scc_modules, None);
        // A document that defines its SCCs as a repealed set relies on it where it says "SCCs".
        let c = transfers(
            "\"SCCs\" means the clauses annexed to Commission Decision 2004/915/EC.\n\nAny transfer of personal data to a third country is made under the SCCs.",
        );
        assert_eq!(c.mechanisms, Some(vec!["scc_legacy".to_string()]));
        // The 2021 clauses with their module.
        let c = transfers(
            "Transfers of personal data to third countries are governed by the standard contractual clauses approved by Commission Implementing Decision (EU) 2021/914, Module Two (controller to processor).",
        );
        assert_eq!(c.mechanisms, Some(vec!["scc".to_string()]));
        assert_eq!(c.scc_modules, Some(vec![2]));
        // Saying the old set was replaced is not relying on it.
        let c = transfers(
            "For transfers to third countries, the Standard Contractual Clauses replace the clauses of Decision 2010/87/EU previously agreed.",
        );
        assert_eq!(c.mechanisms, Some(vec!["scc".to_string()]));
        assert_eq!(c.scc_modules, Some(vec![]));
    }

    #[test]
    fn article_28_7_clauses_are_not_a_transfer_clause() {
        // Read as a transfer clause naming `scc` before.
        let c = transfers(
            "The parties adopt the standard contractual clauses of Commission Implementing Decision (EU) 2021/915 as their contract under Article 28(7) GDPR.",
        );
        assert_eq!(c.present, Some(false));
    }

    #[test]
    fn a_promise_to_keep_the_data_in_the_eea_is_read() {
        // A transfer clause naming no mechanism before, with nothing to tell it from a transfer.
        let c = transfers("The Processor shall not transfer any personal data outside the European Economic Area.");
        assert_eq!((c.present, c.eea_only), (Some(true), Some(true)));
        assert_eq!(c.mechanisms, Some(vec![]));
        let c = transfers(
            "The Processor shall not transfer any personal data outside the European Economic Area without the prior written authorisation of the Controller.",
        );
        assert_eq!((c.present, c.eea_only), (Some(true), Some(false)));
        let c = transfers(
            "Personal data is hosted and processed only within the European Union.\n\nThe Processor may transfer personal data to a third country under the standard contractual clauses.",
        );
        assert_eq!(c.eea_only, Some(true));
    }

    #[test]
    fn a_minimum_notice_period_is_flagged_as_one() {
        let c = baa(
            "Business Associate shall notify Covered Entity of any Breach of Unsecured PHI no less than thirty (30) days after discovery.",
        );
        let b = &c["breach_notification"];
        assert_eq!((b.days, b.minimum), (Some(30), Some(true)));
        let c = baa("Business Associate shall notify Covered Entity of any Breach within ten (10) days of discovery.");
        assert_eq!(c["breach_notification"].minimum, Some(false));
    }

    #[test]
    fn terms_written_in_the_first_person() {
        let c = dpa(
            "## 3. Security Measures\nWe implement technical & organizational measures aligned with ISO/IEC 27001.\n\n## 6. Breach Notification\nWe will notify you within 72 hours of discovering a breach affecting your personal data.\n\n## 7. Data Deletion\nWhen you terminate service:\n- We'll delete your personal data within 30 days\n\n## 8. Audit Rights\nUpon request and with notice, you may audit our compliance with this DPA.\n\nWe'll help you respond to data subject requests.\n",
        );
        assert_eq!(c["security"].present, Some(true));
        let b = &c["breach_notification"];
        assert_eq!(
            (b.present, b.hours, b.clock_start.as_deref()),
            (Some(true), Some(72), Some("discovery"))
        );
        assert_eq!(
            (c["deletion_or_return"].present, c["deletion_or_return"].days),
            (Some(true), Some(30))
        );
        assert_eq!(c["audits"].present, Some(true));
        assert_eq!(c["data_subject_assistance"].present, Some(true));
        // A breach of the contract is still not a breach notice.
        let c = dpa("Upon a material breach of this DPA, you may terminate it and notify us within 30 days.");
        assert_eq!(c["breach_notification"].present, Some(false));
    }

    #[test]
    fn duties_listed_under_we_will() {
        let c = dpa(
            "## 2. Processing details\n- **Subject matter:** Provision of the Service.\n\n## 3. Processor obligations\nWe will:\n- Process data only on documented instructions.\n- Ensure confidentiality and security.\n- Notify of breaches without undue delay.\n- Flow down obligations to subprocessors.\n\n## 6. Audit\nWe will provide reasonable information to demonstrate compliance.\n",
        );
        for k in [
            "subject_matter",
            "instructions",
            "confidentiality",
            "security",
            "breach_notification",
            "sub_processors",
            "audits",
        ] {
            assert_eq!(c[k].present, Some(true), "{k}");
        }
        assert_eq!(c["breach_notification"].hours, None);
    }

    #[test]
    fn instructions_as_an_exception_and_confidentiality_in_plain_words() {
        // Art. 28(3)(a) and (b) as a form DPA words them, duties numbered under a lead-in.
        let c = dpa(
            "# Personnel\n\n_Processor_ agrees to:\n\n1.  not _Process_ _Controller Personal Data_ other than on the relevant _Controller Company_'s written instructions, unless required by law; and\n\n2.  ensure that all _Personnel_ with access to _Controller Personal Data_ have obligations to keep them confidential under contracts.\n",
        );
        assert_eq!(c["instructions"].present, Some(true));
        assert_eq!(c["confidentiality"].present, Some(true));
        let c = dpa("The Customer may keep a copy of the invoice. Processor shall notify Customer of changes.");
        assert_eq!(c["instructions"].present, Some(false));
        assert_eq!(c["confidentiality"].present, Some(false));
    }

    #[test]
    fn dpa_duties_in_other_drafters_words() {
        // Each sentence is the phrasing of a real DPA the reader missed on its first run.
        let present = |t: &str, k: &str| dpa(t)[k].present == Some(true);
        assert!(present(
            "The Processor processes personal data on the documented directions of the Customer.",
            "instructions"
        ));
        assert!(present(
            "The Processor shall hold in strict confidence any and all Personal Data.",
            "confidentiality"
        ));
        assert!(present(
            "The Processor is entitled to involve additional sub-processors.",
            "sub_processors"
        ));
        assert!(present(
            "The Processor obligates itself to impose on all sub-processors the same data protection obligations.",
            "sub_processors"
        ));
        let c = dpa(
            "In the event of on-boarding of any new Sub-processors, the Processor shall notify of such change at least 15 days in advance.",
        );
        assert_eq!(
            (c["sub_processors"].present, c["sub_processors"].days),
            (Some(true), Some(15))
        );
        assert!(present(
            "The Processor shall support the Customer in fulfilling its obligation to respond to requests to exercise the data subject's rights.",
            "data_subject_assistance"
        ));
        assert!(present(
            "Processor shall notify Data Controller if it receives a request from a Data Subject.",
            "data_subject_assistance"
        ));
        let c = dpa(
            "The Processor shall assist the Customer in complying with its obligations in connection with the security of the processing and any notifications of personal data breaches.",
        );
        assert_eq!(c["breach_assistance"].present, Some(true));
        // Help with the practice's notifications is not the vendor's notice to the practice.
        assert_eq!(c["breach_notification"].present, Some(false));
        assert!(present(
            "The Processor shall provide sufficient information to allow the Controller to meet any obligations to report a Personal Data Breach to Supervisory Authorities.",
            "breach_assistance"
        ));
        let c = dpa(
            "The Processor shall cease all use of, return, and delete all Personal Data from its records within a reasonable time frame [and no later than 60 (sixty) days] upon fulfilment of the Purpose.",
        );
        assert_eq!(
            (c["deletion_or_return"].present, c["deletion_or_return"].days),
            (Some(true), Some(60))
        );
        // The SCC annex's blank form names no officer and no representative.
        let c = dpa(
            "Data exporter: Identity and contact details of the data exporter(s) and, where applicable, of its/their data protection officer and/or representative in the European Union",
        );
        assert_eq!(
            (c["dpo_contact"].present, c["eu_representative"].present),
            (Some(false), Some(false))
        );
    }

    #[test]
    fn baa_duties_in_other_drafters_words() {
        let present = |t: &str, k: &str| baa(t)[k].present == Some(true);
        assert!(present(
            "Business Associate shall implement technical safeguards including:\n- Transmission security with encryption\n",
            "encryption"
        ));
        let c = baa("Data at rest: AES-256 encryption for PHI fields.");
        assert_eq!(
            (c["encryption"].present, c["encryption"].standard.as_deref()),
            (Some(true), Some("AES-256"))
        );
        assert!(present(
            "Business Associate shall, upon reasonable notice, allow Covered Entity to conduct or cause to be conducted an audit of Business Associate's compliance.",
            "audit_rights"
        ));
        assert!(present(
            "Business Associate shall indemnify Covered Entity from and against any claims, losses, costs, and expenses arising from:\n- Any Breach of Unsecured PHI caused by Business Associate\n",
            "breach_costs"
        ));
        // A template's checklist is not contract text.
        let c = baa(
            "## BAA COMPLIANCE CHECKLIST\n\n- [ ] Breach notification timeframes align with state law requirements\n",
        );
        assert_eq!(c["other_law"].present, Some(false));
    }

    #[test]
    fn batch_seven_phrasings() {
        // Phrasings of real BAAs and DPAs the reader missed on their first run (batch 7).
        let b = |t: &str, k: &str| baa(t)[k].present;
        assert_eq!(
            b(
                "Business Associate shall implement safeguards per HIPAA Security Rule.",
                "security_rule"
            ),
            Some(true)
        );
        assert_eq!(
            b(
                "Business Associate shall maintain administrative safeguards (45 CFR 164.308).",
                "security_rule"
            ),
            Some(true)
        );
        assert_eq!(
            b(
                "This Agreement is intended to satisfy 45 C.F.R. 164.314(a).",
                "security_rule"
            ),
            Some(false)
        );
        assert_eq!(
            b(
                "Business Associate shall not use or disclose PHI except as expressly permitted by this Addendum.",
                "no_other_use"
            ),
            Some(true)
        );
        assert_eq!(
            b(
                "Business Associate shall maintain PHI in a manner consistent with Florida and Federal laws.",
                "other_law"
            ),
            Some(true)
        );
        assert_eq!(
            b(
                "The parties acknowledge that state laws on health data are rapidly evolving.",
                "other_law"
            ),
            Some(false)
        );
        // A semicolon typo inside a company name does not cut the duty from its window; the
        // legacy report fact follows the two report duties.
        let c = baa(
            "Business Associate shall immediately report to Acme Home Health Services; Inc. any unauthorized or improper use or disclosure of Protected Health Information, including without limitation, any security or privacy incident or breach involving the Protected Health Information without unreasonable delay, and not more than twenty-four (24) hours after Business Associate becomes aware of it.",
        );
        assert_eq!(
            (c["breach_notification"].present, c["breach_notification"].hours),
            (Some(true), Some(24))
        );
        assert_eq!(c["report_security_incidents"].present, Some(true));
        assert_eq!(c["report_incidents"].present, Some(true));

        let d = |t: &str, k: &str| dpa(t)[k].present;
        assert_eq!(
            d(
                "The Processor shall assist the Controller with its obligations under Art. 32–36 GDPR.",
                "breach_assistance"
            ),
            Some(true)
        );
        assert_eq!(
            d(
                "The Processor shall cooperate with the Controller in notifying Data Protection Authorities (Art. 33-34).",
                "breach_assistance"
            ),
            Some(true)
        );
        assert_eq!(
            d(
                "Employees have been contractually subjected to confidentiality.",
                "confidentiality"
            ),
            Some(true)
        );
        assert_eq!(
            d("The Controller has the right to carry out inspections.", "audits"),
            Some(true)
        );
        assert_eq!(
            d(
                "Measures are chosen taking into account the type, circumstances and purposes of processing.",
                "purposes"
            ),
            Some(false)
        );
        assert_eq!(
            d(
                "## 1.1 Subject Matter\n\nThe Processor hosts the Service.\n",
                "subject_matter"
            ),
            Some(true)
        );
        assert_eq!(
            dpa("Transfers of personal data outside the EEA are made under the Standard Data Protection Clauses.")["transfers"].mechanisms,
            Some(vec!["scc".to_string()])
        );
        // "### 3.1 Instructions" is the Art. 28(3)(a) clause, not a template's instructions.
        assert_eq!(
            d(
                "### 3.1 Instructions\n\nThe Processor shall process personal data only on documented instructions from the Controller.\n",
                "instructions"
            ),
            Some(true)
        );
        // Entities in Markdown are decoded.
        assert_eq!(
            d(
                "The Processor shall assist the Controller in responding to a Data Subject&#39;s request.",
                "data_subject_assistance"
            ),
            Some(true)
        );
    }

    #[test]
    fn batch_eight_phrasings() {
        // Phrasings of real BAAs and DPAs the reader missed on their first run (batch 8).
        let c = dpa(
            "The Processor shall notify Controller of intended changes to Sub-processors at least 14 days in advance.",
        );
        assert_eq!(
            (c["sub_processors"].present, c["sub_processors"].days),
            (Some(true), Some(14))
        );
        let c = dpa("The Processor shall process Personal Data solely for the purpose of providing the Services.");
        assert_eq!(c["purposes"].present, Some(true));
        let c = dpa(
            "The Controller may audit the Processor once a year, subject to reasonable confidentiality obligations.\n\nTitle: Data Protection Officer\n",
        );
        assert_eq!(
            (c["confidentiality"].present, c["dpo_contact"].present),
            (Some(false), Some(false))
        );
        let c = baa(
            "Specific security measures include:\n- **Encryption:** AES-256 encryption at rest, TLS 1.3 in transit\n",
        );
        assert_eq!(
            (c["encryption"].present, c["encryption"].standard.as_deref()),
            (Some(true), Some("AES-256"))
        );
    }

    #[test]
    fn batch_nine_baa_phrasings() {
        // Phrasings of real BAAs the reader missed on their first run (batch 9).
        let c = baa(
            "Business Associate agrees to:\n\n(a) Use and disclose PHI only as permitted or required by this Agreement or as required by law;\n\n(b) Implement administrative, physical, and technical safeguards that reasonably and appropriately protect the confidentiality, integrity, and availability of ePHI;\n",
        );
        assert_eq!(
            (c["no_other_use"].present, c["security_rule"].present),
            (Some(true), Some(true))
        );
        // Safeguards for PHI in general, the Rule neither named nor cited, stay unread (b2).
        let c = baa(
            "Business Associate shall implement administrative, physical, and technical safeguards that reasonably and appropriately protect the confidentiality, integrity, and availability of PHI.",
        );
        assert_eq!(c["security_rule"].present, Some(false));
        let c = baa(
            "Business Associate covenants and agrees that it shall:\n\n1. Implement the administrative, physical and technical safeguards set forth in 45 C.F.R § 164.302-318.\n2. Require any of its Subcontractors or other third parties with which Business Associate does business that are provided PHI or electronic PHI on behalf of Covered Entity, to agree, in writing, to adhere to the same restrictions and conditions on the use and disclosure of PHI.\n3. During the term of the Underlying Agreement, notify Covered Entity of any Breach of Unsecured PHI.\n\nE. Termination. The Underlying Agreement may be terminated by Covered Entity should Covered Entity determine that Business Associate has violated a material term of this Agreement.\n",
        );
        assert_eq!(c["security_rule"].present, Some(true));
        assert_eq!(c["subcontractors"].present, Some(true));
        assert_eq!(c["termination"].present, Some(true));
        // A breach notice alone is not the duty to report uses or disclosures the contract does
        // not provide for.
        assert_eq!(c["report_improper_use"].present, Some(false));
        let c = baa(
            "5.1 Business Associate agrees that all ePHI shall be stored and processed only within: [Specify regions]\n\n5.2 Business Associate shall not transfer ePHI outside the approved regions without prior written consent from Covered Entity.\n",
        );
        assert_eq!(c["offshore_restriction"].present, Some(true));
    }

    #[test]
    fn batch_nine_dpa_phrasings() {
        // Phrasings of real DPAs the reader missed on their first run (batch 9).
        let c = dpa(
            "2.2. Scope. The subject matter of the data processing is the provision of the Services.\n\n4.3. Upon becoming aware of a Security Incident in respect of Customer Data processed by Vendor on behalf of Customer under this DPA, Vendor shall notify Customer without undue delay and shall provide such information as Customer may reasonably require, including to enable Customer to fulfil its data breach reporting obligations under Applicable Data Protection Legislation.\n\n8.1. Vendor shall provide reasonable assistance to Customer, to enable Customer to respond to requests from a data subject seeking to exercise their rights.\n",
        );
        assert_eq!(c["subject_matter"].present, Some(true));
        assert_eq!(
            (
                c["breach_notification"].present,
                c["breach_notification"].clock_start.as_deref()
            ),
            (Some(true), Some("discovery"))
        );
        assert_eq!(c["breach_assistance"].present, Some(true));
        assert_eq!(c["data_subject_assistance"].present, Some(true));
        // d9: the window of a notice for a defined "Security Incident".
        let c = dpa(
            "6.2 Processor shall notify Controller of any Security Incident without undue delay and in any event within seventy-two (72) hours after becoming aware of the Security Incident.",
        );
        assert_eq!(c["breach_notification"].hours, Some(72));
        // d9: the deletion deadline in the sentence after the duty.
        let c = dpa(
            "7.1 Upon termination of the Principal Agreement, Processor shall, at Controller's election, return all Personal Data to Controller or securely delete all Personal Data. Processor shall complete the return or deletion within thirty (30) days of termination.",
        );
        assert_eq!(c["deletion_or_return"].days, Some(30));
        // r4: a bare promise to help, under the breach section's heading, is breach assistance;
        // the same words elsewhere are not.
        let c = dpa(
            "## 8. Breach Notification\n\n### 8.3 Your Obligations\n\nYou're responsible for notifying data protection authorities and affected individuals as required by law. We'll assist as needed.\n",
        );
        assert_eq!(c["breach_assistance"].present, Some(true));
        let c = dpa("## 10. Data Deletion\n\nYou can delete data yourself. We'll assist as needed.\n");
        assert_eq!(c["breach_assistance"].present, Some(false));
        // A form field answered "NA" or "Not applicable" declares nothing.
        let c = dpa(
            "### Exhibit A\n\n**Special categories of data (if applicable)**\n\nNA\n\n**Processing operations**\n\nAs set out in the Agreement.\n\n- Data Protection Officer/Representative: Not applicable unless appointed by the Controller.\n",
        );
        assert_eq!(
            (c["special_categories"].present, c["dpo_contact"].present),
            (Some(false), Some(false))
        );
        // The SCCs' conditional wording declares nothing either.
        let c = dpa(
            "The details of the transfer and in particular the special categories of personal data where applicable are specified in Appendix 1.\n\nThe data exporter warrants that, if the transfer involves special categories of data, the data subject has been informed.\n\nWhere the transfer involves personal data revealing racial or ethnic origin or data concerning health, the data importer shall apply the safeguards in Annex I.B.\n",
        );
        assert_eq!(c["special_categories"].present, Some(false));
        // The 2010 SCCs' audit duty; a country without adequacy is no adequacy mechanism.
        let c = dpa(
            "The data importer agrees and warrants:\n\n1. at the request of the data exporter to submit its data processing facilities for an audit of the processing activities covered by the Clauses;\n\nTo the extent Vendor processes Customer Data in a country that does not provide an adequate level of protection, Vendor shall process it in accordance with the Standard Contractual Clauses of Decision 2010/87/EU.\n",
        );
        assert_eq!(c["audits"].present, Some(true));
        assert_eq!(c["transfers"].mechanisms, Some(vec!["scc_legacy".to_string()]));
    }

    #[test]
    fn data_defined_after_a_party_is_not_the_party() {
        // d10: "“Customer Data” means Personal Data …" made "Customer Data" the practice, so the
        // deletion duty for "all Customer Data" lost its object and its 30 days.
        let c = dpa(
            "This DPA is made between Acme, Inc. (“Vendor”) and the customer named in the Order (“Customer”).\n\n1. “Customer Data” means Personal Data that the Vendor processes on behalf of the Customer.\n\n9.1. Upon termination of this Agreement, Vendor will delete or return to Customer all Customer Data (including copies) in its possession as soon as reasonably practicable and within a maximum period of 30 days of termination.\n",
        );
        assert_eq!(
            (c["deletion_or_return"].present, c["deletion_or_return"].days),
            (Some(true), Some(30))
        );
    }

    #[test]
    fn a_sub_processor_list_is_sub_processing_and_its_sccs_transfers() {
        let c = dpa(
            "# Acme Subprocessor List\n\n| Supplier | Function | Location | Legal basis |\n| -- | -- | -- | -- |\n| Acme Ltd | Processor | Pakistan | Intra-group Agreement with SCCs |\n",
        );
        assert_eq!(c["sub_processors"].present, Some(true));
        assert_eq!(c["transfers"].mechanisms, Some(vec!["scc".to_string()]));
        assert_eq!(c["breach_notification"].present, Some(false));
    }

    #[test]
    fn bulleted_limits_and_hhs_access() {
        let c = baa(
            "Business Associate may use or disclose PHI only:\n- As necessary to perform the Services\n- As required by law\n\nBusiness Associate shall:\n- Make internal practices, books, and records relating to use and disclosure of PHI available to HHS for compliance investigation\n",
        );
        assert_eq!(c["no_other_use"].present, Some(true));
        assert_eq!(c["hhs_access"].present, Some(true));
    }

    #[test]
    fn business_days_and_negation() {
        let c = baa(
            "Business Associate shall notify Covered Entity of any Breach of Unsecured PHI no later than five (5) business days after discovery.",
        );
        let b = &c["breach_notification"];
        assert_eq!(b.present, Some(true));
        assert_eq!(
            (b.days, b.unit.as_deref(), b.calendar_days_max),
            (Some(5), Some("business_days"), Some(7))
        );
        assert_eq!(b.clock_start.as_deref(), Some("discovery"));
        let c =
            baa("Business Associate shall not be required to notify Covered Entity of any Breach of Unsecured PHI.");
        assert_eq!(c["breach_notification"].present, Some(false));
    }

    #[test]
    fn the_window_belongs_to_the_duty_and_the_worst_wins() {
        let c = baa(
            "Business Associate shall provide access to PHI in a Designated Record Set within ten (10) days. \
             Business Associate shall report any Breach of Unsecured PHI within thirty (30) days after discovery. \
             Notwithstanding the foregoing, Business Associate shall notify Covered Entity of a Breach within 45 days.",
        );
        assert_eq!(c["breach_notification"].days, Some(45));
        assert_eq!(c["individual_access"].days, Some(10));
    }

    #[test]
    fn definitions_and_breach_of_agreement_are_not_notice() {
        let c = baa(
            "“Breach” shall have the meaning given in 45 C.F.R. 164.402. Upon a material breach of this Agreement by Business Associate, Covered Entity may terminate this Agreement and shall notify Business Associate within 30 days.",
        );
        assert_eq!(c["breach_notification"].present, Some(false));
        assert_eq!(c["termination"].present, Some(true));
    }

    #[test]
    fn a_right_or_duty_denied_is_not_the_clause() {
        let c = baa(
            "Nothing in this Agreement shall be construed to require Business Associate to encrypt PHI beyond what the Security Rule requires. \
             Covered Entity shall not have the right to audit or inspect Business Associate's facilities.",
        );
        assert_eq!(c["encryption"].present, Some(false));
        assert_eq!(c["audit_rights"].present, Some(false));
        let c = baa(
            "Business Associate shall encrypt PHI at rest using AES-256. Covered Entity may audit Business Associate's facilities.",
        );
        assert_eq!(c["encryption"].present, Some(true));
        assert_eq!(c["audit_rights"].present, Some(true));
    }

    #[test]
    fn sale_is_present_only_when_allowed() {
        assert_eq!(
            baa("Business Associate shall not sell PHI or use PHI for marketing.")["sale_or_marketing"].present,
            Some(false)
        );
        assert_eq!(
            baa("Business Associate may use PHI for marketing of its own services.")["sale_or_marketing"].present,
            Some(true)
        );
    }

    #[test]
    fn an_audit_clause_that_mentions_a_breach_is_not_the_notice_window() {
        let c = baa(
            "Business Associate shall notify Covered Entity of any Breach of Unsecured PHI within five (5) business days after discovery. \
             Covered Entity may audit Business Associate's compliance upon thirty (30) days' prior written notice, not more than once in any twelve (12) month period unless a Breach has occurred.",
        );
        let b = &c["breach_notification"];
        assert_eq!((b.days, b.calendar_days_max), (Some(5), Some(7)));
        assert!(b.quote.as_deref().unwrap().contains("five (5) business days"));
        let d = dpa(
            "Processor shall notify Controller without undue delay and in any event within 48 hours after becoming aware of a Personal Data Breach. \
             Controller may audit Processor on 30 days' notice, and at any time following a Personal Data Breach.",
        );
        assert_eq!(d["breach_notification"].hours, Some(48));
        assert_eq!(d["breach_notification"].days, None);
    }

    #[test]
    fn the_vendor_is_known_by_the_name_the_contract_gives_it() {
        let c = baa(
            "This Agreement is between Mercy Clinic (“Customer”) and Zeta Cloud LLC (\"Provider\").\n\nProvider will report each Security Incident and each Breach of Unsecured PHI to Customer within ten (10) days of discovery.\n",
        );
        let b = &c["breach_notification"];
        assert_eq!((b.present, b.days), (Some(true), Some(10)));
        // The practice's duty to notify is not the vendor's.
        let c = baa(
            "This Agreement is between Mercy Clinic (“Customer”) and Zeta Cloud LLC (\"Provider\").\n\nCustomer shall notify Provider within 30 days of any Breach of Unsecured PHI it discovers. Provider shall notify Customer of any Breach of Unsecured PHI within 5 days of discovery.\n",
        );
        assert_eq!(c["breach_notification"].days, Some(5));
    }

    #[test]
    fn a_duty_in_a_list_carries_its_lead_in() {
        let c = baa(
            "Business Associate agrees to:\n\n(a) Not use or disclose PHI other than as permitted by the Agreement;\n\n(b) Use appropriate safeguards;\n\n(c) Report to Covered Entity any Breach of Unsecured PHI within fifteen (15) days after discovery, and any security incident of which it becomes aware;\n",
        );
        let b = &c["breach_notification"];
        assert_eq!((b.present, b.days), (Some(true), Some(15)));
        assert_eq!(c["report_incidents"].present, Some(true));
        assert_eq!(c["report_security_incidents"].present, Some(true));
        assert_eq!(c["report_improper_use"].present, Some(false));
        assert!(b.quote.as_deref().unwrap().starts_with("Report to Covered Entity"));
    }

    fn reports(t: &str) -> (Option<bool>, Option<bool>) {
        let c = baa(t);
        (c["report_improper_use"].present, c["report_security_incidents"].present)
    }

    #[test]
    fn improper_uses_and_security_incidents_are_two_duties() {
        // One fact (`report_incidents`) was true for each of the first two before: a BAA with only
        // one of 164.504(e)(2)(ii)(C) and 164.314(a)(2)(i)(C) satisfied both rules.
        assert_eq!(
            reports(
                "Business Associate agrees to:\n\n(a) Use appropriate safeguards;\n\n(b) Report to Covered Entity any use or disclosure of PHI not provided for by this Agreement of which it becomes aware, including any Breach of Unsecured PHI as required by 45 CFR 164.410;\n"
            ),
            (Some(true), Some(false))
        );
        assert_eq!(
            reports(
                "Business Associate agrees to:\n\n(a) Use appropriate safeguards;\n\n(b) Report to Covered Entity any Security Incident of which it becomes aware.\n"
            ),
            (Some(false), Some(true))
        );
        // The HHS sample provision (c) states both in one item.
        assert_eq!(
            reports(
                "Business associate agrees to:\n\n(c) Report to covered entity any use or disclosure of protected health information not provided for by the Agreement of which it becomes aware, including breaches of unsecured protected health information as required at 45 CFR 164.410, and any security incident of which it becomes aware;\n"
            ),
            (Some(true), Some(true))
        );
        // Defined terms, a passive duty, and an incident named before the verb.
        assert_eq!(
            reports(
                "“Security Incident” shall have the meaning given in 45 CFR 164.304.\n\nAny Use or Disclosure of PHI not permitted by this BAA shall be reported to Customer within five (5) days.\n\nIn the event of a Security Incident affecting PHI, Vendor will notify Customer without unreasonable delay.\n"
            ),
            (Some(true), Some(true))
        );
    }

    #[test]
    fn a_breach_notice_or_a_definition_is_neither_reporting_duty() {
        // Breach notice alone is 164.410, not a report of every improper use or of security incidents.
        assert_eq!(
            reports(
                "Business Associate shall notify Covered Entity of any Breach of Unsecured PHI within ten (10) days of discovery.\n"
            ),
            (Some(false), Some(false))
        );
        assert_eq!(
            reports(
                "“Security Incident” means the attempted or successful unauthorized access, use, disclosure, modification, or destruction of information.\n\n“Breach” means the unauthorized use or disclosure of PHI that compromises its security, as reported under 45 CFR 164.410.\n\nBusiness Associate shall implement security incident procedures.\n"
            ),
            (Some(false), Some(false))
        );
        // A duty lifted in the same sentence is none.
        assert_eq!(
            reports(
                "Business Associate shall not be required to report unsuccessful Security Incidents or any use or disclosure not permitted by this Agreement.\n"
            ),
            (Some(false), Some(false))
        );
    }

    #[test]
    fn the_recipient_is_part_of_the_window() {
        let c = baa(
            "The Contractor meets the definition of Business Associate, and DHA meets the definition of a covered entity.\n\nThe Contractor shall report the breach within one hour of discovery to the US Computer Emergency Readiness Team (US CERT), and, within 24 hours of discovery, to the DHA Privacy Office, and the other parties set forth below.\n\nIf the Privacy Office determines that individual notification is required, the Contractor shall provide written notification to individuals affected by the breach as soon as possible, but no later than 10 working days after the breach is discovered.\n",
        );
        let b = &c["breach_notification"];
        assert_eq!((b.hours, b.days), (Some(24), None));
        assert_eq!(b.clock_start.as_deref(), Some("discovery"));
    }

    #[test]
    fn placeholders_definitions_disclaimers_and_html_state_no_clause() {
        let c = baa(
            "## Introduction\n\nThese provisions address only the HIPAA Rules and may not be sufficient under State law or other applicable laws.\n\n## Agreement\n\n“Encryption” means the use of an algorithmic process to render PHI unreadable.\n\n[The parties may wish to specify whether Business Associate shall encrypt PHI and may not de-identify it.]\n\nBusiness Associate shall maintain insurance of _____ .\n\nBusiness Associate may use PHI <span class=\"keyterms_link\">only</span> to perform the services.\n",
        );
        assert_eq!(c["other_law"].present, Some(false));
        assert_eq!(c["encryption"].present, Some(false));
        assert_eq!(c["deidentification_ban"].present, Some(false));
        assert_eq!(c["permitted_uses"].present, Some(true));
        assert_eq!(
            c["permitted_uses"].quote.as_deref(),
            Some("Business Associate may use PHI only to perform the services.")
        );
    }

    #[test]
    fn a_window_given_by_a_defined_term() {
        let c = baa(
            "1.16 “Response Period” means ten days.\n\n3.3 Business Associate will report to Customer any Breach of Unsecured PHI without unreasonable delay, but no later than the Response Period following Business Associate becoming aware of the Breach.\n",
        );
        let b = &c["breach_notification"];
        assert_eq!((b.days, b.clock_start.as_deref()), (Some(10), Some("discovery")));
        assert!(b.quote.as_deref().unwrap().contains("the Response Period"));
    }

    /// Every (sentence, clause, expected presence) that differs, so one run shows them all.
    fn presence_misses(read: fn(&str) -> BTreeMap<String, Clause>, cases: &[(&str, &str, bool)]) -> Vec<String> {
        cases
            .iter()
            .filter(|(t, k, want)| read(t)[*k].present != Some(*want))
            .map(|(t, k, want)| format!("{k} should be {want}: {t}"))
            .collect()
    }

    #[test]
    fn batch_ten_dpa_phrasings() {
        // Phrasings of real DPAs the reader missed on their first run (batch 10), and the
        // sentences that must not state the clause.
        let cases: &[(&str, &str, bool)] = &[
            (
                "You agree that Processor may process your data as described in our data policy and only for that purpose.",
                "purposes",
                true,
            ),
            (
                "2.2 The Data Processor shall process the types and categories of personal data and for the purpose(s) set out in Appendix 1.",
                "purposes",
                true,
            ),
            (
                "**Purpose(s) of the data transfer and further processing:** The provision of the Services.",
                "purposes",
                true,
            ),
            (
                "The contractor processes personal data exclusively as contractually agreed or as instructed by the client.",
                "instructions",
                true,
            ),
            (
                "We will enforce suitable contractual obligations on Our personnel, encompassing necessary provisions about confidentiality, data protection, and data security.",
                "confidentiality",
                true,
            ),
            (
                "The commissioning of further subcontractors is permitted, the subcontractors are to be notified in writing to the client prior to the beginning of the data processing.",
                "sub_processors",
                true,
            ),
            (
                "The contractor reserves the right to employ new subcontractors or to replace subcontractors.",
                "sub_processors",
                true,
            ),
            (
                "If data subjects assert rights against him, the contractor undertakes to support the client to the extent necessary.",
                "data_subject_assistance",
                true,
            ),
            (
                "The contractor undertakes to support the client in the scope of its obligations pursuant to Art. 33 and 34 of the General Data Protection Regulation.",
                "breach_assistance",
                true,
            ),
            (
                "We will provide reasonable information, cooperation, and assistance to You regarding any measures to be undertaken in response to a Personal Data Breach under Data Protection Laws.",
                "breach_assistance",
                true,
            ),
            (
                "This includes assistance concerning the communication of the Personal Data Breach to Data Subjects and national data protection authorities.",
                "breach_assistance",
                true,
            ),
            (
                "All data will be permanently deleted without undue delay upon deletion.",
                "deletion_or_return",
                true,
            ),
            (
                "Upon termination of the contract, the data will be destroyed.",
                "deletion_or_return",
                true,
            ),
            (
                "You shall be entitled to, once per year, conduct an audit on the necessary documents and information in order for you to prove compliance.",
                "audits",
                true,
            ),
            (
                "The client shall be entitled to check compliance with the provisions on data protection, in particular by obtaining information and viewing the stored data and data processing programs, as well as other on-site inspections.",
                "audits",
                true,
            ),
            (
                "Inspections of the contractor shall be carried out without avoidable disruption of his business operations.",
                "audits",
                true,
            ),
            (
                "Processor is open source software, allowing anyone to audit our code and understand how data is handled.",
                "audits",
                false,
            ),
            (
                "Visitor data is processed and stored within the European Union on EU-owned infrastructure.",
                "transfers",
                true,
            ),
            // Not a purpose clause, not a deletion duty.
            (
                "The nature, scope, context and purposes of processing are taken into account.",
                "purposes",
                false,
            ),
            (
                "You can delete your account from the settings page.",
                "deletion_or_return",
                false,
            ),
        ];
        let misses = presence_misses(dpa, cases);
        assert!(misses.is_empty(), "{misses:#?}");
        // Stored within the EU is a promise to keep the data there; stored in the EU and backed
        // up elsewhere is not.
        let t = transfers("Visitor data is processed and stored within the European Union on EU-owned infrastructure.");
        assert_eq!(t.eea_only, Some(true));
        let t = transfers(
            "Customer data is stored in the EU and backed up in the United States; transfers outside the EEA rely on the SCCs.",
        );
        assert_eq!(t.eea_only, Some(false));
        // "having become aware" and "became aware" start the clock at discovery.
        for t in [
            "5.1 The Data Processor shall notify you in writing of any suspected or identified data breach without undue delay after having become aware thereof.",
            "Processor shall notify Controller of a Personal Data Breach within 48 hours after it became aware of it.",
        ] {
            assert_eq!(
                dpa(t)["breach_notification"].clock_start.as_deref(),
                Some("discovery"),
                "{t}"
            );
        }
    }

    #[test]
    fn batch_ten_baa_phrasings() {
        let cases: &[(&str, &str, bool)] = &[
            (
                "Material changes affecting Subcontractors that handle PHI shall be communicated to Covered Entity at least 30 days in advance where practicable.",
                "subprocessor_notice",
                true,
            ),
            (
                "Report to Covered Entity all Security Incidents (including patterns of unsuccessful attempts) immediately or within 24 hours of awareness.",
                "incident_carveout",
                false,
            ),
            (
                "Covered Entity acknowledges that unsuccessful Security Incidents (pings, port scans, denied access attempts, and similar) occur continuously.",
                "incident_carveout",
                true,
            ),
            (
                "Assist Covered Entity in fulfilling individuals' rights under 45 C.F.R. §§ 164.524-528 (access, amendment, accounting of disclosures, restrictions).",
                "amendment",
                true,
            ),
            (
                "Assist Covered Entity in fulfilling individuals' rights under 45 C.F.R. §§ 164.524–528.",
                "accounting",
                true,
            ),
            (
                "Comply with HITECH Act requirements, including breach notification, marketing restrictions (45 C.F.R. § 164.508(b)(4)), and fundraising limitations.",
                "sale_or_marketing",
                false,
            ),
            (
                "Business Associate may use PHI for marketing of its own services.",
                "sale_or_marketing",
                true,
            ),
        ];
        let misses = presence_misses(baa, cases);
        assert!(misses.is_empty(), "{misses:#?}");
    }

    #[test]
    fn batch_eleven_titles_headings_and_back_matter() {
        // b20: a run-in title "No Sale of PHI." bans the sale; it grants nothing.
        let c = baa("**4.2 No Sale of PHI.** Business Associate shall not sell PHI.\n");
        assert_eq!(c["sale_or_marketing"].present, Some(false));
        // d18: a heading names the topic; the sentences under it deny it.
        let c = dpa(
            "### 4.3 Special Categories\n\nPaciolus does not intentionally process special categories of personal data (Article 9 GDPR). The Customer must not upload files containing health data, biometric data, or other special category data to the Service.\n",
        );
        assert_eq!(c["special_categories"].present, Some(false));
        // b21: a note after the agreement's end, and a drafter's advice to have it reviewed.
        let c = baa(
            "## 10. Term\n\nBusiness Associate shall comply.\n\n**END OF BUSINESS ASSOCIATE AGREEMENT**\n\n*Terms may need to be modified based on specific business requirements and applicable state laws.*\n",
        );
        assert_eq!(c["other_law"].present, Some(false));
        let c = baa(
            "Business Associate shall comply.\n\nThis agreement template should be reviewed by legal counsel before use. Terms may need to be modified based on applicable state laws.\n",
        );
        assert_eq!(c["other_law"].present, Some(false));
        // … while a duty to follow state law still counts, and a section after the end note
        // is read again.
        let c = baa(
            "**END OF BUSINESS ASSOCIATE AGREEMENT**\n\nA note.\n\n## Exhibit A\n\nBusiness Associate shall comply with applicable state laws.\n",
        );
        assert_eq!(c["other_law"].present, Some(true));
    }

    #[test]
    fn batch_eleven_baa_phrasings() {
        // Phrasings of real BAAs the reader missed on their first run (batch 11), and sentences
        // near them that must not state the clause.
        let cases: &[(&str, &str, bool)] = &[
            (
                "Business Associate shall not Use and/or Disclose the Protected Health Information other than as permitted or required by the Agreement and/or this BAA or as otherwise Required by Law.",
                "no_other_use",
                true,
            ),
            (
                "### 3.1 MHA May Use PHI Solely To:\n\n- Transmit patient-submitted information to Covered Entity\n",
                "permitted_uses",
                true,
            ),
            (
                "### 3.2 MHA Shall NOT Use PHI For:\n\n- Data sale or monetization\n- Any purpose not specified in this Agreement\n",
                "no_other_use",
                true,
            ),
            (
                "Business Associate shall:\n- Ensure any subcontractors comply with equivalent HIPAA obligations\n",
                "subcontractors",
                true,
            ),
            (
                "Business Associate shall:\n- Execute written Business Associate Agreements with subcontractors\n",
                "subcontractors",
                true,
            ),
            (
                "Business Associate shall:\n- Notify Covered Entity of subcontractors (upon request)\n",
                "subcontractors",
                false,
            ),
            (
                "Upon termination:\n- PHI shall be returned to Covered Entity, or\n- PHI shall be securely destroyed where feasible\n",
                "return_or_destroy",
                true,
            ),
            (
                "**5.1 Administrative Safeguards.** Business Associate shall implement policies and procedures to prevent, detect, contain, and correct security violations.",
                "security_rule",
                true,
            ),
            (
                "**5.3 Technical Safeguards.** Business Associate shall implement:\n- AES-256 encryption at rest and in transit\n",
                "encryption",
                true,
            ),
            (
                "Business Associate shall report to Covered Entity:\n1. Security Incidents: Within 24 hours of discovery\n2. System Failures: Within 4 hours if affecting PHI systems\n",
                "contingency_notice",
                true,
            ),
            (
                "Business Associate shall report to Covered Entity any Security Incident of which it becomes aware.",
                "contingency_notice",
                false,
            ),
        ];
        let misses = presence_misses(baa, cases);
        assert!(misses.is_empty(), "{misses:#?}");
        let c = baa("Business Associate shall implement:\n- AES-256 encryption at rest and in transit\n");
        assert_eq!(c["encryption"].standard.as_deref(), Some("AES-256"));
    }

    #[test]
    fn batch_eleven_dpa_phrasings() {
        let cases: &[(&str, &str, bool)] = &[
            (
                "Personal and other data that the Processor becomes aware of may only be used by the Processor for the purposes of the commissioned service.",
                "purposes",
                true,
            ),
            (
                "The contractor will not use the data for any other purposes.",
                "purposes",
                true,
            ),
            (
                "- **Purpose:** Processor will host, store, index, and analyze Controller Data to provide the Service.",
                "purposes",
                true,
            ),
            (
                "Furthermore, the contractor must support the client in fulfilling the rights of the data subjects.",
                "data_subject_assistance",
                true,
            ),
            (
                "The Data Processor must not use another processor without the prior written and specific authorization of the Data Controller.",
                "sub_processors",
                true,
            ),
            (
                "The Data Processor must assist the Data Controller in fulfilling its obligations regarding data security, notification of data breaches, data protection impact assessments and prior consultations with the supervisory authorities.",
                "breach_assistance",
                true,
            ),
            (
                "5. Assist Controller with data subject requests, regulatory inquiries, and impact assessments related to the Service.",
                "dpia_assistance",
                true,
            ),
            (
                "Data processing takes place exclusively within the territory of the Federal Republic of Germany or within the European Union or the European Economic Area states. Processing in other countries is only permitted with the prior consent of the Controller and only if an adequacy decision from the EU Commission pursuant to Article 45(3) GDPR is in place.",
                "transfers",
                true,
            ),
            (
                "After the completion of the processing, and at the latest upon termination of this contract, the Processor must return to the Controller all documents and results of processing or use, or any personal or other confidential data created or copied in connection with the performance of the contract.",
                "deletion_or_return",
                true,
            ),
        ];
        let misses = presence_misses(dpa, cases);
        assert!(misses.is_empty(), "{misses:#?}");
    }

    #[test]
    fn article_28_3_duties_under_their_heading() {
        // The section's heading names the duty; the vendor's promise under it states it
        // (d16, d17). A controller's own duty under the same heading does not.
        let cases: &[(&str, &str, bool)] = &[
            (
                "## 12. Rights of the Data Subjects\n\n12.1. The Client is solely responsible for upholding the rights of the data subjects. However, the Processor shall support the Client in fulfilling requests and claims from data subjects.\n",
                "data_subject_assistance",
                true,
            ),
            (
                "## Article 6: Rights of Data Subjects\n\nThe Data Controller and the Data Processor must allow data subjects to exercise their rights.\n",
                "data_subject_assistance",
                false,
            ),
            (
                "## 14. Procedure After Termination of the Contract\n\n14.1. The Processor must hand over to the Controller all documents and results of the work.\n",
                "deletion_or_return",
                true,
            ),
            (
                "## 14. Procedure After Termination of the Contract\n\n14.1. The Controller must pay all fees due.\n",
                "deletion_or_return",
                false,
            ),
            (
                "## Article 13: Sub-processors\n\nThe Processor undertakes to conclude a binding legal act with any subsequent processor it engages for the processing of Data.\n",
                "sub_processors",
                true,
            ),
            (
                "## 5. Location of Processing\n\n5.1. Processing in other countries is only permitted with the prior consent of the Controller.\n",
                "transfers",
                true,
            ),
        ];
        let misses = presence_misses(dpa, cases);
        assert!(misses.is_empty(), "{misses:#?}");
        let c = dpa(
            "## 5. Location of Processing\n\n5.1. Data processing takes place exclusively within the European Union. Processing in other countries is only permitted with the prior consent of the Controller and only if an adequacy decision from the EU Commission pursuant to Article 45(3) GDPR is in place.\n",
        );
        assert!(
            c["transfers"]
                .mechanisms
                .as_ref()
                .is_some_and(|m| m.iter().any(|m| m == "adequacy")),
            "{:?}",
            c["transfers"]
        );
    }

    #[test]
    fn right_answers_from_the_right_sentence() {
        // Batch 11: each clause was present, read from a sentence that does not state it.
        let c = dpa(
            "2.2 The Controller may terminate the agreement at any time without notice if a serious breach of data protection regulations occurs.\n\n11.2 The Processor commits to promptly informing the Controller of any violations of data protection regulations.\n",
        );
        let q = c["breach_notification"].quote.clone().unwrap_or_default();
        assert!(q.contains("promptly informing"), "{q}");
        // … also below a heading that names the topic.
        let c = dpa(
            "## 11. Reporting Obligations in Case of Disruptions and Data Breaches\n\n11.2. The Processor commits to promptly informing the Controller of any violations of data protection regulations.\n",
        );
        let q = c["breach_notification"].quote.clone().unwrap_or_default();
        assert!(q.contains("promptly informing"), "{q}");
        let cases: &[(&str, &str, bool)] = &[
            (
                "In the case of data processing on behalf of the Controller, the Controller shall only work with processors that provide sufficient guarantees that appropriate technical and organizational measures have been implemented.",
                "security",
                false,
            ),
            (
                "Data Security: The Data Controller must implement appropriate technical and organizational measures to ensure a level of security appropriate to the risk.",
                "security",
                false,
            ),
            (
                "The Processor shall implement appropriate technical and organizational measures.",
                "security",
                true,
            ),
            (
                "The Controller is obligated and entitled to verify, before the start of data processing, the technical and organizational measures taken by the Processor.",
                "security",
                false,
            ),
        ];
        let misses = presence_misses(dpa, cases);
        assert!(misses.is_empty(), "{misses:#?}");
        let cases: &[(&str, &str, bool)] = &[
            (
                "In accordance with 45 CFR §§ 164.502(e)(1)(ii) and 164.308(b)(2) of HIPAA, Business Associate shall require its Subcontractors to agree in writing to the same restrictions.",
                "security_rule",
                false,
            ),
            (
                "Business Associate shall comply with the applicable requirements of 45 CFR Part 164 Subpart C of the Security Rule.",
                "security_rule",
                true,
            ),
            (
                "Business Associate shall require its Subcontractors to agree in writing to the same or more stringent restrictions and conditions.",
                "other_law",
                false,
            ),
            (
                "Business Associate shall comply with any provision of state law that is more stringent than HIPAA.",
                "other_law",
                true,
            ),
            (
                "### 8.3 Survival\n\nProvisions regarding:\n- Audit rights\n- Indemnification\n\nShall survive termination.\n",
                "audit_rights",
                false,
            ),
            (
                "### 8.3 Survival\n\nProvisions regarding:\n- Audit rights\n- Indemnification\n\nShall survive termination.\n",
                "indemnity",
                false,
            ),
            (
                "The following provisions shall survive termination of this Agreement:\n- Indemnification provisions\n",
                "indemnity",
                false,
            ),
        ];
        let misses = presence_misses(baa, cases);
        assert!(misses.is_empty(), "{misses:#?}");
    }

    #[test]
    fn a_window_cited_for_comparison_or_in_brackets() {
        let c = baa(
            "(b) **Reporting.** Report to Covered Entity any use or disclosure of PHI not permitted by this Agreement, including any incident meeting the definition of a \"Breach\" under 45 CFR §164.402, without unreasonable delay and in no case later than **[10] business days** after discovery — a shorter window than the general 60-day HIPAA maximum, deliberately, so that Covered Entity retains adequate time within its own 60-day statutory clock to notify affected patients.\n",
        );
        let b = &c["breach_notification"];
        assert_eq!((b.days, b.unit.as_deref()), (Some(10), Some("business_days")));
        let c = baa(
            "Business Associate shall report any Breach of Unsecured PHI to Covered Entity within 60 days of discovery.\n",
        );
        assert_eq!(c["breach_notification"].days, Some(60));
    }

    #[test]
    fn a_response_window_under_the_individual_rights_heading() {
        // b17: the window is the next sentence, under the section's heading.
        let t = "### 4.3 Individual Rights\n\nTo the extent Business Associate maintains PHI in a Designated Record Set, assist Covered Entity in fulfilling individuals' rights under 45 C.F.R. §§ 164.524-528 (access, amendment, accounting of disclosures). Business Associate will respond to Covered Entity's written requests within 30 days (or 60 days with one extension).\n";
        let c = baa(t);
        assert_eq!(
            (c["individual_access"].days, c["amendment"].days, c["accounting"].days),
            (Some(30), Some(30), Some(30))
        );
        // The same words under another heading are no access window.
        let c = baa(
            "### 5.2 Support\n\nBusiness Associate will respond to Covered Entity's written requests within 5 days.\n",
        );
        assert_eq!(c["individual_access"].present, Some(false));
    }

    #[test]
    fn a_notice_window_two_sentences_after_the_duty_under_its_heading() {
        // d13: the window and its clock are in a sentence about "the notification", under the
        // heading "9. Notification requirements".
        let t = "## 9. Notification requirements\n\n1. The contractor immediately informs the client of personal data protection breaches. Also justified suspicions on this are to be communicated. The notification must be made at the latest within 24 hours after the contractor's knowledge of the relevant event to an address specified by the client.\n";
        let b = &dpa(t)["breach_notification"];
        assert_eq!((b.hours, b.clock_start.as_deref()), (Some(24), Some("discovery")));
        // Under a heading about sub-processors the same words are not the breach notice's.
        let t = "## 7. Changes to sub-processors\n\nThe notification must be made at least 30 days before the change.\n\n## 9. Breaches\n\nProcessor shall notify Controller of any Personal Data Breach within 48 hours.\n";
        let b = &dpa(t)["breach_notification"];
        assert_eq!((b.hours, b.days), (Some(48), None));
    }

    #[test]
    fn a_dpo_contact_names_someone() {
        // d13: a conditional appointment, a mention and a form's field name name nobody.
        let c = dpa(
            "8. If required by law, the contractor shall appoint a competent and reliable person as data protection officer. In cases of doubt, the client can contact the data protection officer directly.\n\nThe notice must contain the name and contact details of the data protection officer or other contact point.\n",
        );
        assert_eq!(c["dpo_contact"].present, Some(false));
        // A regulation's number is no telephone number.
        let c = dpa(
            "Processor shall appoint a data protection officer where Article 37 of Regulation (EU) 2016/679 requires.\n",
        );
        assert_eq!(c["dpo_contact"].present, Some(false));
        // A name, an e-mail address or a telephone number, in the sentence or the field's next line.
        for t in [
            "Processor's data protection officer can be reached at dpo@northwind.example.",
            "- DPO: Jane Doe, Head of Privacy",
            "**Data Protection Officer**\n\nJane Doe, +49 30 1234 5678\n",
            "Our data protection officer can be reached by telephone at (030) 1234-5678.",
        ] {
            assert_eq!(dpa(t)["dpo_contact"].present, Some(true), "{t}");
        }
    }

    #[test]
    fn subject_matter_by_a_scope_sentence_or_an_annex_description() {
        let c = dpa(
            "This DPA applies to visitor data processed by Processor on behalf of the Controller in connection with the use of the service.\n",
        );
        assert_eq!(c["subject_matter"].present, Some(true));
        // d15: the SCC annex's labelled description, no "subject matter" words.
        let c = dpa(
            "## Schedule A\n\n### Description of Transfer\n\n**Categories of data subjects whose personal data is transferred:**\n\nEmployees and customers of the data exporter.\n\n**Categories of personal data transferred:**\n\nNames and e-mail addresses.\n\n**Frequency of transfer:**\n\nPersonal Data is transferred on a continuous basis.\n",
        );
        assert_eq!(c["subject_matter"].present, Some(true));
        // One label alone, or the words inside a sentence, describe nothing.
        let c = dpa(
            "The Controller determines the categories of data subjects and the categories of personal data.\n\n**Categories of data subjects:**\n\nEmployees.\n",
        );
        assert_eq!(c["subject_matter"].present, Some(false));
        // d20: the description as two headings over lists; one of them alone describes nothing.
        let t = "## 2. SCOPE OF PROCESSING\n\n- Acme hosts the platform.\n\n## 3. CUSTOMER DATA CATEGORIES\n\n- Source documents\n";
        assert_eq!(dpa(t)["subject_matter"].present, Some(true));
        let t = "## 2. SCOPE OF PROCESSING\n\n- Acme hosts the platform.\n";
        assert_eq!(dpa(t)["subject_matter"].present, Some(false));
    }

    #[test]
    fn a_notice_period_in_the_next_sentence_of_the_same_item() {
        // d21: the notice period of sub-processor changes two sentences after the duty.
        let t = "The Processor shall:\n\n4. Engage a sub-processor only with prior written authorisation of the Controller. A current list is at Annex III; the Processor shall give 30 days' notice of additions or replacements, during which the Controller may object.\n";
        assert_eq!(dpa(t)["sub_processors"].days, Some(30));
        // A window of another duty in the same paragraph is not the sub-processors'.
        let t = "Processor shall not engage a sub-processor without the Controller's authorisation. Processor shall notify the Controller of any breach within 3 days.\n";
        assert_eq!(dpa(t)["sub_processors"].days, None);
    }

    #[test]
    fn a_window_under_a_heading_naming_another_recipient_is_not_the_practices() {
        // b25: an unaddressed 60-day notice under "Notification to Individuals" beat the 24 hours
        // owed to the practice.
        let t = "### 7.1 Notice\n\nBusiness Associate shall notify Covered Entity of any Breach within 24 hours of discovery.\n\n### 7.4 Notification to Individuals\n\nIf Business Associate is responsible for notification:\n- Notification must be made within 60 days of breach discovery\n";
        let b = &baa(t)["breach_notification"];
        assert_eq!((b.hours, b.days), (Some(24), None));
        // Under a heading that names the practice, or none, the unaddressed window counts.
        let t = "### 7.1 Notice\n\nBusiness Associate shall notify Covered Entity of any Breach within 24 hours of discovery.\n\n### 7.4 Notification to Covered Entity and Individuals\n\nIf Business Associate is responsible for notification:\n- Notification must be made within 60 days of breach discovery\n";
        let b = &baa(t)["breach_notification"];
        assert_eq!((b.hours, b.days), (None, Some(60)));
    }

    #[test]
    fn batch_12_phrasings_state_their_clauses() {
        // Each sentence was read as no clause in batch 12 (docs/reader-misses-batch12.md, V2–V17;
        // V1 stays a known miss: a breach notice alone is not `report_incidents`).
        type Read = fn(&str) -> BTreeMap<String, Clause>;
        let cases: [(Read, &str, &str); 14] = [
            (
                baa,
                "Business Associate shall implement appropriate administrative, physical, and technical safeguards to prevent unauthorized use or disclosure of PHI, including:\n\n- Encryption at rest (AES-256-GCM)\n- Encryption in transit (TLS 1.2+)",
                "encryption",
            ),
            (
                baa,
                "Business Associate may only use or disclose Protected Health Information (PHI) as necessary to perform services for Covered Entity.",
                "no_other_use",
            ),
            (
                baa,
                "\"Discovery\" Occurs When:\n\n- Business Associate knows of the breach; or\n- By exercising reasonable diligence, should have known of the breach",
                "discovery_clock",
            ),
            (
                baa,
                "Business Associate must obtain written approval from Covered Entity before engaging new subcontractors with PHI access.",
                "subprocessor_notice",
            ),
            (
                dpa,
                "The Processor shall notify the Controller of any material sub-processor changes at least 30 days in advance.",
                "sub_processors",
            ),
            (
                dpa,
                "The Processor supports the Controller with access, rectification, erasure, and portability requests.",
                "data_subject_assistance",
            ),
            (
                dpa,
                "On termination, Customer Data is deleted within 30 days unless otherwise required by law.",
                "deletion_or_return",
            ),
            (
                dpa,
                "Acme processes Customer Data solely for providing the Acme platform.",
                "purposes",
            ),
            (
                dpa,
                "- Nature/purpose: processing directed by Customer to operate the service.",
                "purposes",
            ),
            (
                dpa,
                "## 6. DATA SECURITY\n\n- Encryption in transit (TLS 1.3)\n- Encryption at rest (AES-256)",
                "security",
            ),
            (
                dpa,
                "Assist the Controller in fulfilling its obligations under Articles 12–22 (data subject rights), 32 (security), 33–34 (breach notification), and 35–36 (impact assessments).",
                "breach_assistance",
            ),
            (
                dpa,
                "Processor will support breach notification obligations without undue delay.",
                "breach_assistance",
            ),
            (
                dpa,
                "Processor will process personal data only on documented Customer instructions.",
                "instructions",
            ),
            (
                dpa,
                "## 5) International transfers\n\nWhere required, parties will use appropriate transfer safeguards and contractual mechanisms in the signed agreement.",
                "transfers",
            ),
        ];
        for (read, t, clause) in cases {
            assert_eq!(read(t)[clause].present, Some(true), "{clause}: {t}");
        }
        let t = "Return/Destruction Requirements:\n\n- Timeline: Within 30 days of termination\n";
        assert_eq!(baa(t)["return_or_destroy"].days, Some(30));
        let c = dpa(
            "The Processor shall notify the Controller of any material sub-processor changes at least 30 days in advance.",
        );
        assert_eq!(c["sub_processors"].days, Some(30));
        // Not every list under a security heading is a measure, nor every 33 and 34.
        let c = dpa("## Security contacts\n\n- Jane Doe, CISO\n");
        assert_eq!(c["security"].present, Some(false));
    }
}
