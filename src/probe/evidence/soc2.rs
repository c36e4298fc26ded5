//! ② Collect (evidence): a SOC 2 report's lines → [`Soc2Facts`] (type, period, opinion,
//! categories in scope, exceptions and their criteria, CUECs, subservice organisations and
//! carve-out, auditor, bridge letter). The opinion and scope are read from the service
//! auditor's report section only. Pure; no I/O.

use std::collections::BTreeSet;
use std::sync::OnceLock;

use chrono::NaiveDate;
use regex::Regex;

use super::numbers::{dates, iso};
use super::phrasing::{Phrasing, any, first};
use super::text::{Doc, Line, Sentence, sentences};
use crate::facts::Soc2Facts;

fn control_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| {
        Regex::new(r"\b(CC\d{1,2}\.\d{1,2}|A1\.\d|C1\.\d|PI1\.\d|P\d{1,2}\.\d{1,2})\b").expect("control id regex")
    })
}

fn heading_like(t: &str) -> bool {
    let t = t.trim();
    !t.is_empty() && t.len() <= 100 && !t.ends_with(['.', ',', ';'])
}

/// The line range of the service auditor's report: of the headings that open it (a table of
/// contents names it too), the one followed by the most text before the next section.
fn auditor_section(lines: &[Line], p: &Phrasing) -> Option<(usize, usize)> {
    let starts = p.soc2("auditor_section");
    let ends = p.soc2("section_end");
    let mut best: Option<(usize, usize, usize)> = None;
    // A heading may wrap onto a second line in a PDF.
    let heading = |i: usize, pats: &[Regex]| {
        let t = lines[i].text.trim();
        heading_like(t)
            && (any(pats, t)
                || lines
                    .get(i + 1)
                    .map(|n| n.text.trim())
                    .is_some_and(|n| heading_like(n) && !any(pats, n) && any(pats, &format!("{t} {n}"))))
    };
    for i in 0..lines.len() {
        if !heading(i, starts) {
            continue;
        }
        let mut j = i + 1;
        let mut size = 0;
        while j < lines.len() {
            let u = lines[j].text.trim();
            if j > i + 1 && (heading(j, ends) || heading(j, starts)) {
                break;
            }
            size += u.len();
            j += 1;
        }
        if best.is_none_or(|b| size > b.2) {
            best = Some((i, j, size));
        }
    }
    best.map(|(a, b, _)| (a, b))
}

fn doc_of(lines: &[Line]) -> Doc {
    Doc { lines: lines.to_vec() }
}

/// Read a SOC 2 report.
pub fn read(doc: &Doc, p: &Phrasing, as_of: NaiveDate) -> Soc2Facts {
    let lines = &doc.lines;
    let all = sentences(doc);
    let section = auditor_section(lines, p);
    let aud_lines: &[Line] = match section {
        Some((a, b)) => &lines[a..b],
        None => &[],
    };
    let aud = sentences(&doc_of(aud_lines));
    // The auditor's report where found, else the whole document.
    let scope_sents: &[Sentence] = if aud.is_empty() { &all } else { &aud };
    let head: Vec<Sentence> = sentences(&doc_of(&lines[..lines.len().min(80)]));

    let mut f = Soc2Facts::default();

    // Type: the first statement in the title pages or the auditor's report.
    let typ = head.iter().chain(aud.iter()).find_map(|s| {
        let t2 = first(p.soc2("type2"), &s.text);
        let t1 = first(p.soc2("type1"), &s.text);
        let t = match (t2, t1) {
            (Some(a), Some(b)) => Some(if a.0 <= b.0 { "type2" } else { "type1" }),
            (Some(_), None) => Some("type2"),
            (None, Some(_)) => Some("type1"),
            _ => None,
        };
        t.map(|t| (t, s.loc.clone()))
    });
    let (typ, typ_loc) = typ.unzip();

    // Period: a sentence naming the period with two dates; a Type 1 "as of" date.
    let period = scope_sents
        .iter()
        .chain(all.iter())
        .filter(|s| any(p.soc2("period"), &s.text))
        .find_map(|s| {
            let d = dates(&s.text);
            (d.len() >= 2 && d[0].2 < d[1].2).then(|| (d[0].2, d[1].2, s.loc.clone()))
        });
    let as_of_date = || {
        scope_sents.iter().chain(all.iter()).find_map(|s| {
            let (_, e) = first(p.soc2("as_of"), &s.text)?;
            dates(&s.text[e..]).first().map(|d| (d.2, s.loc.clone()))
        })
    };
    let typ = typ.or(if period.is_some() { Some("type2") } else { None });
    f.report_type = typ.map(str::to_string);
    // The type inferred from a period has no statement of its own: its place is the period's.
    f.locations.report_type = typ_loc.or_else(|| period.as_ref().map(|p| p.2.clone()));
    match (typ, period) {
        (Some("type1"), period) => {
            let end = as_of_date().or(period.map(|(_, b, l)| (b, l)));
            f.period_end = end.as_ref().map(|e| iso(e.0));
            f.locations.period = end.map(|e| e.1);
        }
        (_, Some((a, b, l))) => {
            f.period_start = Some(iso(a));
            f.period_end = Some(iso(b));
            f.period_days = Some((b - a).num_days() + 1);
            f.locations.period = Some(l);
        }
        _ => {}
    }
    let end = f
        .period_end
        .as_deref()
        .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok());
    f.age_days = end.map(|e| (as_of - e).num_days());

    let (op, op_loc) = opinion(scope_sents, p);
    f.opinion = Some(op.to_string());
    f.locations.opinion = op_loc;
    let (mut cats, mut cats_loc) = categories(scope_sents, p);
    if cats.is_empty() && !aud.is_empty() {
        (cats, cats_loc) = categories(&head, p);
    }
    f.categories = Some(cats);
    f.locations.categories = cats_loc;

    let (n, ids, ex_loc) = exceptions(lines, section, p);
    f.exceptions = Some(n);
    f.exception_controls = Some(ids);
    f.locations.exceptions = ex_loc;

    let text = |k: &str| all.iter().any(|s| any(p.soc2(k), &s.text));
    f.cuecs = Some(text("cuecs") && !text("cuecs_none"));
    let (orgs, orgs_loc) = subservice_orgs(&all, p);
    f.locations.subservice = orgs_loc;
    f.carve_out = if text("carve_out") {
        Some(true)
    } else if text("inclusive") {
        Some(false)
    } else {
        None
    };
    f.subservice_orgs = Some(orgs);
    let (aud_name, aud_loc) = auditor(aud_lines, p)
        .or_else(|| auditor(&lines[..lines.len().min(60)], p))
        .or_else(|| signature_block(aud_lines))
        .unzip();
    f.auditor = aud_name;
    f.locations.auditor = aud_loc;
    f.report_date = aud_lines
        .iter()
        .rev()
        .filter(|l| l.text.trim().len() <= 60)
        .find_map(|l| dates(&l.text).last().map(|d| d.2))
        .filter(|d| end.is_none_or(|e| *d > e))
        .map(iso);
    if let Some(b) = all
        .iter()
        .filter(|s| any(p.soc2("bridge_letter"), &s.text))
        .find_map(|s| dates(&s.text).last().map(|d| d.2))
        .filter(|d| end.is_none_or(|e| *d > e))
    {
        f.bridge_letter_end = Some(iso(b));
        f.bridge_letter_days = end.map(|e| (b - e).num_days());
    }
    f.management_assertion = Some(lines.iter().any(|l| any(p.soc2("management_assertion"), &l.text)));
    f.system_description = Some(lines.iter().any(|l| any(p.soc2("system_description"), &l.text)));
    f.system_name = system_name(&all);
    f.mfa = Some(text("mfa"));
    f.encryption_at_rest = Some(encryption_at_rest(&all, p));
    f.hipaa_mapping = Some(text("hipaa_mapping"));
    f
}

/// Whether a sentence part states that stored data is encrypted. A part about encryption in
/// transit counts only when it also names storage ("in transit and at rest").
fn encryption_at_rest(sents: &[Sentence], p: &Phrasing) -> bool {
    sents.iter().flat_map(|s| s.text.split(';')).any(|part| {
        any(p.soc2("encryption_at_rest"), part)
            && (!any(p.soc2("encryption_transit"), part) || any(p.soc2("encryption_rest_named"), part))
    })
}

/// The opinion and the place of the first sentence stating it.
fn opinion(sents: &[Sentence], p: &Phrasing) -> (&'static str, Option<String>) {
    let texts: Vec<String> = sents
        .iter()
        .map(|s| {
            let mut t = s.text.clone();
            for r in p.soc2("opinion_noise") {
                t = r.replace_all(&t, " ").into_owned();
            }
            t
        })
        .collect();
    for (key, name) in [
        ("opinion_disclaimer", "disclaimer"),
        ("opinion_adverse", "adverse"),
        ("opinion_qualified", "qualified"),
        ("opinion_unmodified", "unmodified"),
    ] {
        let hits: Vec<usize> = (0..texts.len()).filter(|&i| any(p.soc2(key), &texts[i])).collect();
        // The place is the opinion paragraph itself, not the "Basis for … Opinion" before it.
        let basis = |i: &&usize| sents[**i].text.trim_start().to_lowercase().starts_with("basis for");
        if let Some(i) = hits.iter().find(|i| !basis(i)).or(hits.first()) {
            return (name, Some(sents[*i].loc.clone()));
        }
    }
    ("unknown", None)
}

const CATEGORIES: &[(&str, &str)] = &[
    ("security", "security"),
    ("availability", "availability"),
    ("processing integrity", "processing_integrity"),
    ("confidentiality", "confidentiality"),
    ("privacy", "privacy"),
];

/// Categories named after a scope phrase, once boilerplate titles and infrastructure terms
/// ("availability zones") are removed.
fn categories(sents: &[Sentence], p: &Phrasing) -> (Vec<String>, Option<String>) {
    let mut found = BTreeSet::new();
    let mut loc: Option<String> = None;
    for s in sents {
        let mut t = s.text.to_lowercase();
        for r in p.soc2("category_noise") {
            t = r.replace_all(&t, " ").into_owned();
        }
        let Some((_, e)) = first(p.soc2("scope"), &t) else {
            continue;
        };
        let tail: String = t[e..].chars().take(220).collect();
        for (word, key) in CATEGORIES {
            if tail.contains(word) {
                found.insert(*key);
                loc.get_or_insert_with(|| s.loc.clone());
            }
        }
    }
    let cats = CATEGORIES
        .iter()
        .filter(|(_, k)| found.contains(k))
        .map(|(_, k)| k.to_string())
        .collect();
    (cats, loc)
}

/// Exceptions in the tests of controls: one per test (table row or line) that reports a
/// deviation, outside the auditor's report and management's responses, attributed to the
/// criterion id on that row or the last one seen above it.
fn exceptions(lines: &[Line], section: Option<(usize, usize)>, p: &Phrasing) -> (u64, Vec<String>, Option<String>) {
    let mut n = 0;
    let mut loc: Option<String> = None;
    let mut ids: Vec<String> = Vec::new();
    let mut current: Option<String> = None;
    for (i, l) in lines.iter().enumerate() {
        if section.is_some_and(|(a, b)| i >= a && i < b) {
            continue;
        }
        if let Some(m) = control_re().find(&l.text) {
            current = Some(m.as_str().to_string());
        }
        let Some(id) = &current else { continue };
        let mut t = l.text.clone();
        for r in p.soc2("no_exception") {
            t = r.replace_all(&t, " ").into_owned();
        }
        if any(p.soc2("exception"), &t) && !any(p.soc2("exception_exclude"), &l.text) {
            n += 1;
            loc.get_or_insert_with(|| l.loc.clone());
            if !ids.contains(id) {
                ids.push(id.clone());
            }
        }
    }
    (n, ids, loc)
}

fn name_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| {
        Regex::new(r"^(?:the\s+)?([A-Z][\w&.'’-]*(?:\s+(?:[A-Z][\w&.'’-]*|of|and|&|Inc\.?|LLC))*)").expect("name regex")
    })
}

fn and_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| {
        Regex::new(r"\band (?:the )?([A-Z][\w&'’-]*(?:\s+(?:[A-Z][\w&'’-]*|Inc\.?|LLC))*)").expect("and regex")
    })
}

fn subservice_orgs(all: &[Sentence], p: &Phrasing) -> (Vec<String>, Option<String>) {
    let mut out: Vec<String> = Vec::new();
    let mut loc: Option<String> = None;
    // Sentences about subservice organisations and their neighbours (the name is often given in
    // the sentence before "subservice organization" is used).
    let about = |s: &Sentence| {
        any(p.soc2("subservice"), &s.text) || any(p.soc2("carve_out"), &s.text) || any(p.soc2("inclusive"), &s.text)
    };
    let near: Vec<&Sentence> = all
        .iter()
        .enumerate()
        .filter(|(i, _)| (i.saturating_sub(1)..=i + 1).any(|j| all.get(j).is_some_and(about)))
        .map(|(_, s)| s)
        .collect();
    for s in near {
        for r in p.soc2("subservice_name") {
            for m in r.find_iter(&s.text) {
                let rest = &s.text[m.end()..];
                let Some(c) = name_re().captures(rest) else { continue };
                let mut names = vec![c[1].to_string()];
                // "uses X for hosting and Y for identity": the names joined by "and".
                let clause = rest.split([';', '.']).next().unwrap_or("");
                let clause = if clause.len() < c[1].len() + 4 {
                    rest.splitn(3, '.').take(2).collect::<Vec<_>>().join(".")
                } else {
                    clause.to_string()
                };
                for m in and_re().captures_iter(&clause) {
                    names.push(m[1].to_string());
                }
                for name in names {
                    let mut name = name.trim().trim_end_matches(['.', ',']).to_string();
                    for tail in [" and", " of", " &"] {
                        if let Some(x) = name.strip_suffix(tail) {
                            name = x.to_string();
                        }
                    }
                    let generic = [
                        "Company",
                        "Service Organization",
                        "Subservice Organization",
                        "It",
                        "Management",
                        "The",
                        "This",
                        "Each",
                        "Such",
                    ];
                    if name.len() > 1 && !generic.iter().any(|g| name.eq_ignore_ascii_case(g)) && !out.contains(&name) {
                        out.push(name);
                        loc.get_or_insert_with(|| s.loc.clone());
                    }
                }
            }
        }
    }
    (out, loc)
}

/// The auditor's name and the line it was signed on: the last firm name in the section (the
/// opinion's signature), not a line of the opinion's text that names the AICPA
/// (`[soc2].auditor_noise`) or a sentence's tail.
fn auditor(lines: &[Line], p: &Phrasing) -> Option<(String, String)> {
    lines.iter().rev().find_map(|l| {
        let t = l.text.trim().trim_start_matches("/s/").trim();
        let addressee = t.starts_with("To ") || t.ends_with(':');
        let noise = any(p.soc2("auditor_noise"), t) || !t.chars().next().is_some_and(|c| c.is_uppercase());
        (t.len() <= 80 && any(p.soc2("auditor"), t) && !addressee && !noise)
            .then(|| (t.trim_matches('|').trim().to_string(), l.loc.clone()))
    })
}

/// A firm without "LLP" or "CPA" in its name signs the report too: the first line of the block
/// that ends with the report's date at the end of the auditor's report ("MJD Advisors" /
/// "Waukee, Iowa" / "December 13, 2024").
fn signature_block(lines: &[Line]) -> Option<(String, String)> {
    let short = |t: &str| !t.is_empty() && t.len() <= 60 && !t.ends_with(['.', ',', ';', ':']);
    let date_at = lines.iter().rposition(|l| {
        let t = l.text.trim();
        short(t) && dates(t).first().is_some_and(|d| d.0 == 0 && d.1 == t.len())
    })?;
    let mut first = date_at;
    while first > 0 && short(lines[first - 1].text.trim()) {
        first -= 1;
    }
    let t = lines[first].text.trim();
    let firm = first < date_at
        && date_at - first <= 3
        && t.chars().next().is_some_and(char::is_uppercase)
        && !t.starts_with("To ")
        && t.split_whitespace().count() <= 6;
    firm.then(|| (t.to_string(), lines[first].loc.clone()))
}

fn system_name(all: &[Sentence]) -> Option<String> {
    static R: OnceLock<Regex> = OnceLock::new();
    let re = R.get_or_init(|| {
        Regex::new(r"(?i)description of (?:the |its |[A-Z][\w ]{0,40}[’']s )?(.{2,60}?)\s+system\b")
            .expect("system regex")
    });
    // A SOC 3 names the system in its scope: "the controls within the Neon Platform (the
    // Platform) were effective".
    static W: OnceLock<Regex> = OnceLock::new();
    let within = W.get_or_init(|| {
        Regex::new(
            r"controls (?:within|over|of) (?:the )?((?:[A-Z][\w&-]*\s+){0,5}[A-Z][\w&-]*)\s*(?:\(|,|\bwere\b|\bwas\b)",
        )
        .expect("system within regex")
    });
    all.iter()
        .find_map(|s| {
            let c = re.captures(&s.text)?;
            let n = c[1].trim().trim_start_matches("the ").trim();
            (!n.is_empty() && n.chars().next().is_some_and(char::is_uppercase)).then(|| n.to_string())
        })
        .or_else(|| {
            all.iter()
                .find_map(|s| within.captures(&s.text).map(|c| c[1].trim().to_string()))
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probe::evidence::phrasing::builtin;
    use crate::probe::evidence::text::text;

    #[test]
    fn the_auditor_is_the_signature_not_the_aicpa() {
        let d = text(
            "SOC 2 Type 2 Report\n\nIndependent Service Auditor's Report\n\nWe conducted our examination in accordance with attestation\nstandards established by the American Institute of Certified Public Accountants.\nIn our opinion, in all material respects, the controls were suitably designed.\n\nBrightline Assurance LLP\nDenver, Colorado\nMarch 1, 2026\n\nSection 3: Management's Assertion\n",
        );
        let f = read(&d, builtin(), NaiveDate::from_ymd_opt(2026, 6, 1).unwrap());
        assert_eq!(f.auditor.as_deref(), Some("Brightline Assurance LLP"));
        let d = text(
            "SOC 2 Type 2 Report\n\nIndependent Service Auditor's Report\n\nIn our opinion, in all material respects, the controls were suitably designed.\nOur examination was conducted in accordance with standards established by the\nAmerican Institute of Certified Public Accountants.\n\nSection 3: Management's Assertion\n",
        );
        let f = read(&d, builtin(), NaiveDate::from_ymd_opt(2026, 6, 1).unwrap());
        assert_eq!(f.auditor, None);
    }

    #[test]
    fn encryption_in_transit_is_not_encryption_at_rest() {
        let read_at_rest = |body: &str| {
            let d = text(&format!(
                "SOC 2 Type 2 Report\n\nSection 4: Description of Tests of Controls\n\n{body}\n"
            ));
            read(&d, builtin(), NaiveDate::from_ymd_opt(2026, 6, 1).unwrap()).encryption_at_rest
        };
        // Read as at rest before.
        assert_eq!(
            read_at_rest("Customer data is encrypted in transit using TLS 1.2 or higher."),
            Some(false)
        );
        assert_eq!(
            read_at_rest("Customer data is encrypted at rest using AES-256."),
            Some(true)
        );
        assert_eq!(
            read_at_rest("Customer data is encrypted in transit and at rest."),
            Some(true)
        );
        assert_eq!(
            read_at_rest("Data is encrypted in transit using TLS; databases are encrypted with AES-256."),
            Some(true)
        );
    }

    #[test]
    fn a_soc3_opinion_on_managements_assertion() {
        let d = text(
            "---\ntitle: SOC 3 report\n---\n\n## Independent service auditor's report\n\nTo the Management of Fjord Data Inc.\n\nWe have examined management's assertion that the controls within the Fjord Platform (the Platform) were effective throughout the period March 1, 2025 to February 28, 2026, based on the trust services criteria relevant to security and availability.\n\n### Opinion\n\nIn our opinion, management's assertion that the controls within the Platform were effective throughout the period March 1, 2025 to February 28, 2026, to provide reasonable assurance that the service commitments were achieved, is fairly stated, in all material respects.\n\n_Tallgrass Advisors_\nAmes, Iowa\nMarch 20, 2026\n\n## Assertion of Fjord Data Inc. management\n\nWe assert that the controls were effective.\n\n## Management's system disclosures\n",
        );
        let f = read(&d, builtin(), NaiveDate::from_ymd_opt(2026, 6, 1).unwrap());
        assert_eq!(f.opinion.as_deref(), Some("unmodified"));
        assert_eq!(f.auditor.as_deref(), Some("Tallgrass Advisors"));
        assert_eq!(f.report_date.as_deref(), Some("2026-03-20"));
        assert_eq!(f.system_name.as_deref(), Some("Fjord Platform"));
        assert_eq!(f.system_description, Some(true));
        assert_eq!(f.report_type.as_deref(), Some("type2"));
    }

    #[test]
    fn unqualified_is_not_qualified_and_responses_are_not_the_opinion() {
        let d = text(
            "SOC 2 Type 2 Report\n\nIndependent Service Auditor's Report\n\nIn our opinion, in all material respects, the controls were suitably designed. We issued an unqualified opinion.\n\nSection 3: Management's Response\n\nManagement disagrees with the qualified opinion language proposed.\n",
        );
        let f = read(&d, builtin(), NaiveDate::from_ymd_opt(2026, 1, 1).unwrap());
        assert_eq!(f.opinion.as_deref(), Some("unmodified"));
    }
}
