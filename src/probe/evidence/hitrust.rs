//! ② Collect (evidence): a HITRUST letter → [`HitrustFacts`] (r2/i1/e1, issue and expiry
//! dates), and a policy document → [`PolicyFacts`] (title and date). Pure; no I/O.

use chrono::NaiveDate;

use super::numbers::{dates, iso};
use super::phrasing::{Phrasing, any, first};
use super::text::{Doc, sentences};
use crate::facts::{HitrustFacts, PolicyFacts};

/// Read a HITRUST certification letter.
pub fn read(doc: &Doc, p: &Phrasing, as_of: NaiveDate) -> HitrustFacts {
    let sents = sentences(doc);
    let cert_type = sents.iter().find_map(|s| {
        ["r2", "i1", "e1"]
            .iter()
            .filter_map(|k| first(p.group("hitrust", k), &s.text).map(|m| (m.0, *k)))
            .min()
            .map(|(_, k)| k.to_string())
    });
    let after = |key: &str| {
        sents.iter().find_map(|s| {
            let (_, e) = first(p.group("hitrust", key), &s.text)?;
            dates(&s.text[e..]).first().map(|d| d.2)
        })
    };
    let valid = after("valid");
    let issued = after("issued");
    HitrustFacts {
        cert_type,
        valid_until: valid.map(iso),
        issued: issued.map(iso),
        age_days: issued.map(|d| (as_of - d).num_days()),
        days_to_expiry: valid.map(|d| (d - as_of).num_days()),
        interim_assessment: Some(sents.iter().any(|s| any(p.group("hitrust", "interim"), &s.text))),
        ..Default::default()
    }
}

/// Read a policy document: its title (first line) and the date it was adopted or reviewed.
pub fn read_policy(doc: &Doc, p: &Phrasing, as_of: NaiveDate) -> PolicyFacts {
    let title = doc
        .lines
        .iter()
        .map(|l| l.text.trim())
        .find(|t| !t.is_empty())
        .map(|t| t.chars().take(120).collect());
    let date = doc
        .lines
        .iter()
        .find_map(|l| {
            let (_, e) = first(p.group("policy", "date"), l.text.trim())?;
            dates(&l.text.trim()[e..]).first().map(|d| d.2)
        })
        .or_else(|| {
            doc.lines
                .iter()
                .take(10)
                .find_map(|l| dates(&l.text).first().map(|d| d.2))
        });
    PolicyFacts {
        title,
        date: date.map(iso),
        age_days: date.map(|d| (as_of - d).num_days()),
        ..Default::default()
    }
}
