//! ② Collect (evidence): contract sentences → clause facts (`evidence.baa[].clauses`,
//! `evidence.dpa[].clauses`). Input: the document's sentences and the compiled phrasing; output:
//! one [`Clause`] per clause the phrasing names. Pure; no I/O.
//!
//! Matching is per sentence part (a sentence split at `;`), so a duty and the exception to it in
//! the same sentence are judged apart. A part that states the clause but also matches one of its
//! exclusions (a definition, "breach of this Agreement") or negations ("shall not be required to
//! notify") does not count. Numbers come from the part that imposes the duty; across several
//! parts stating the same duty, the worst (longest) window is reported.

use std::collections::BTreeMap;

use regex::Regex;

use super::numbers::{self, Window};
use super::phrasing::{ClauseSpec, Phrasing, any, first};
use super::text::{Sentence, short_quote};
use crate::facts::Clause;

/// One sentence part that states the clause.
struct Hit<'a> {
    sentence: &'a Sentence,
    part: &'a str,
    at: usize,
}

/// Read every clause of `specs` from the sentences.
pub fn read(sents: &[Sentence], specs: &[ClauseSpec], p: &Phrasing) -> BTreeMap<String, Clause> {
    let mut out = BTreeMap::new();
    for spec in specs {
        out.insert(spec.key.clone(), read_one(sents, spec, p));
    }
    out
}

fn parts(s: &str) -> impl Iterator<Item = &str> {
    s.split(';').filter(|p| !p.trim().is_empty())
}

fn read_one(sents: &[Sentence], spec: &ClauseSpec, p: &Phrasing) -> Clause {
    let mut hits = Vec::new();
    for s in sents {
        for part in parts(&s.text) {
            let Some((at, _)) = first(&spec.matches, part) else {
                continue;
            };
            if any(&spec.exclude, part) || any(&spec.negation, part) {
                continue;
            }
            hits.push(Hit { sentence: s, part, at });
        }
    }
    if hits.is_empty() {
        return Clause {
            present: Some(false),
            ..Default::default()
        };
    }
    let wants = |e: &str| spec.extract.iter().any(|x| x == e);
    // The hit that carries the clause's numbers: the worst window when windows are read.
    let mut chosen = 0;
    let mut window: Option<Window> = None;
    if wants("window") {
        for (i, h) in hits.iter().enumerate() {
            if let Some(w) = duty_window(h)
                && window
                    .as_ref()
                    .is_none_or(|cur| w.calendar_days_max > cur.calendar_days_max)
            {
                window = Some(w);
                chosen = i;
            }
        }
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
        location: Some(h.sentence.loc.clone()),
        quote: Some(short_quote(&h.sentence.text)),
        ..Default::default()
    };
    if let Some(w) = window {
        c.unit = Some(w.unit.to_string());
        c.calendar_days_max = Some(w.calendar_days_max);
        if w.hours {
            c.hours = Some(w.value);
        } else {
            c.days = Some(w.value);
        }
    }
    if wants("clock") {
        c.clock_start = clock(h.part, p).or_else(|| hits.iter().find_map(|h| clock(h.part, p)));
    }
    if wants("standard") {
        c.standard = hits
            .iter()
            .find_map(|h| standard(h.part, p.group("standard", "patterns")));
    }
    if wants("mechanisms") {
        let mut ms: Vec<String> = Vec::new();
        for (name, pats) in p.group_all("mechanism") {
            if hits.iter().any(|h| any(pats, h.part))
                || sents.iter().any(|s| transfer_context(&s.text) && any(pats, &s.text))
            {
                ms.push(name.to_string());
            }
        }
        let order = ["scc", "dpf", "adequacy", "bcr", "derogation"];
        ms.sort_by_key(|m| order.iter().position(|o| o == m).unwrap_or(order.len()));
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

/// Transfer mechanisms are often named in a sentence of their own ("Such transfers are governed
/// by the SCCs"): any sentence about transfers counts.
fn transfer_context(s: &str) -> bool {
    let l = s.to_ascii_lowercase();
    l.contains("transfer")
}

/// The window of the duty: the first window at or after the clause's trigger, else the last
/// one before it.
fn duty_window(h: &Hit) -> Option<Window> {
    let ws = numbers::windows(h.part);
    ws.iter()
        .find(|w| w.start >= h.at)
        .or_else(|| ws.iter().rev().find(|w| w.start < h.at))
        .cloned()
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
    use crate::probe::evidence::phrasing::builtin;
    use crate::probe::evidence::text::{sentences, text};

    fn baa(t: &str) -> BTreeMap<String, Clause> {
        read(&sentences(&text(t)), &builtin().baa, builtin())
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
}
