//! ② Collect: the evidence reader. Reads each `[[evidence]]` file once (hashing it), turns it
//! into text with locations ([`text`]), decides its kind when the manifest gives none
//! ([`kind`]), and reads the facts of that kind with the phrasing packs ([`phrasing`]):
//! SOC 2 reports ([`soc2`]), BAAs and DPAs ([`clauses`]), pen-test letters ([`pentest`]),
//! HITRUST letters and policies ([`hitrust`]). Does file I/O (in [`EvidenceProbe::run`] only).
//!
//! Produces: `evidence.{soc2,baa,dpa,pentest,hitrust,policy}[]`.

pub mod clauses;
pub mod hitrust;
pub mod kind;
pub mod model;
pub mod numbers;
pub mod pentest;
pub mod phrasing;
pub mod show;
pub mod soc2;
pub mod text;

use std::sync::Arc;

use chrono::NaiveDate;
use sha2::{Digest, Sha256};

use super::*;
use crate::manifest::EvidenceKind;
use phrasing::Phrasing;

/// Largest evidence file read by default (`VETTER_MAX_EVIDENCE_BYTES` changes it).
pub const MAX_FILE: u64 = input::Kind::Evidence.default_cap();

/// The evidence probe, with the phrasing it reads documents with. The patterns are compiled on
/// first use: compiling them costs more than the rest of start-up, and most runs read no document.
pub struct EvidenceProbe {
    /// Phrasing tables (built-in and `--rules DIR` packs); empty means the built-in phrasing.
    tables: Vec<toml::Table>,
    compiled: std::sync::OnceLock<Arc<Phrasing>>,
}

impl EvidenceProbe {
    /// With the built-in phrasing (`rules/clauses.toml`).
    pub fn builtin() -> Self {
        Self::with_tables(vec![])
    }

    /// With these phrasing tables (a table that does not compile falls back to the built-in
    /// phrasing; `vetter rules check` reports it).
    pub fn with_tables(tables: Vec<toml::Table>) -> Self {
        EvidenceProbe {
            tables,
            compiled: std::sync::OnceLock::new(),
        }
    }

    /// The compiled phrasing.
    pub fn phrasing(&self) -> &Phrasing {
        self.compiled.get_or_init(|| {
            if self.tables.is_empty() {
                return Arc::new(phrasing::builtin().clone());
            }
            Arc::new(phrasing::compile(&self.tables).unwrap_or_else(|_| phrasing::builtin().clone()))
        })
    }
}

/// Facts of one document from its bytes. `kind` is the manifest's, or detected when `None`.
pub fn read_document(
    bytes: &[u8],
    path: &str,
    kind: Option<EvidenceKind>,
    p: &Phrasing,
    as_of: NaiveDate,
) -> EvidenceOut {
    read_document_with(bytes, path, kind, p, as_of, text::PdfLimits::default())
}

/// [`read_document`] with a PDF's caps and time budget (the probe derives the time from the
/// run's `--timeout`).
pub fn read_document_with(
    bytes: &[u8],
    path: &str,
    kind: Option<EvidenceKind>,
    p: &Phrasing,
    as_of: NaiveDate,
    pdf: text::PdfLimits,
) -> EvidenceOut {
    let doc = text::extract_with(bytes, path, pdf);
    let kind = match (kind, &doc) {
        (Some(k), _) => Some(k.as_str()),
        (None, Ok(d)) => kind::detect(d, p),
        (None, Err(_)) => None,
    };
    let doc = match doc {
        Ok(d) => d,
        Err(e) => return failed(kind, path, format!("cannot read {path}: {e}")),
    };
    let m = model::build(&doc, p);
    let doc = &m.doc;
    let Some(kind) = kind else {
        return failed(
            None,
            path,
            format!(
                "{path}: the document's kind was not given and is not recognisable from its content: set kind = \"soc2\", \"baa\", \"dpa\", \"pentest\", \"hitrust\" or \"policy\""
            ),
        );
    };
    let path = path.to_string();
    match kind {
        "soc2" => EvidenceOut::Soc2(Soc2Facts {
            path,
            ..soc2::read(doc, p, as_of)
        }),
        "baa" | "dpa" => {
            let (specs, roles) = if kind == "baa" {
                (&p.baa, ("Business Associate", "Covered Entity"))
            } else {
                (&p.dpa, ("Processor", "Controller"))
            };
            let found = clauses::read(&m.units(roles.0, roles.1), specs, p);
            let (signed, effective) = contract_meta(&m, p);
            if kind == "baa" {
                EvidenceOut::Baa(BaaFacts {
                    path,
                    signed,
                    effective_date: effective,
                    clauses: merge(found),
                    ..Default::default()
                })
            } else {
                EvidenceOut::Dpa(DpaFacts {
                    path,
                    signed,
                    effective_date: effective,
                    clauses: merge(found),
                    ..Default::default()
                })
            }
        }
        "pentest" => EvidenceOut::Pentest(PentestFacts {
            path,
            ..pentest::read(doc, &m.running, p, as_of)
        }),
        "hitrust" => EvidenceOut::Hitrust(HitrustFacts {
            path,
            ..hitrust::read(doc, p, as_of)
        }),
        _ => EvidenceOut::Policy(PolicyFacts {
            path,
            ..hitrust::read_policy(doc, p, as_of)
        }),
    }
}

/// Clause facts into the typed clause table; clauses the phrasing does not name stay null.
fn merge<T: Default + serde::Serialize + serde::de::DeserializeOwned>(
    found: std::collections::BTreeMap<String, Clause>,
) -> T {
    let mut v = serde_json::to_value(T::default()).expect("clauses serialise");
    if let Some(obj) = v.as_object_mut() {
        for (k, c) in found {
            if obj.contains_key(&k) {
                obj.insert(k, serde_json::to_value(c).expect("clause serialises"));
            }
        }
    }
    serde_json::from_value(v).unwrap_or_default()
}

/// Whether a contract's signature block is filled in, and its effective date: the document's
/// own, not a date it cites ("the Omnibus Rule, effective September 23, 2013", "the
/// Memorandum dated …"), and not one in a definition or a drafting note.
fn contract_meta(m: &model::Model, p: &Phrasing) -> (Option<bool>, Option<String>) {
    let signed = m.doc.lines.iter().any(|l| {
        phrasing::any(p.group("contract", "signed"), &l.text)
            && !phrasing::any(p.group("contract", "unsigned"), &l.text)
    });
    let paras: Vec<&model::Para> = m
        .paras
        .iter()
        .filter(|x| matches!(x.region, model::Region::Body | model::Region::Introduction))
        .collect();
    let cited = p.group("contract", "cited");
    // Patterns in order of preference: "effective as of" beats "dated", which often dates
    // another agreement the contract refers to.
    let effective = p.group("contract", "effective").iter().find_map(|r| {
        paras.iter().find_map(|x| {
            r.find_iter(&x.text).find_map(|mt| {
                let before = &x.text[..mt.start()];
                let from = (0..=before.len().saturating_sub(80))
                    .rev()
                    .find(|&i| before.is_char_boundary(i))
                    .unwrap_or(0);
                if phrasing::any(cited, &before[from..]) {
                    return None;
                }
                numbers::dates(&x.text[mt.end()..])
                    .first()
                    .filter(|d| d.0 < 40)
                    .map(|d| numbers::iso(d.2))
            })
        })
    });
    (Some(signed), effective)
}

fn failed(kind: Option<&str>, path: &str, error: String) -> EvidenceOut {
    let path = path.to_string();
    let error = Some(error);
    match kind {
        Some("soc2") => EvidenceOut::Soc2(Soc2Facts {
            path,
            error,
            ..Default::default()
        }),
        Some("baa") => EvidenceOut::Baa(BaaFacts {
            path,
            error,
            ..Default::default()
        }),
        Some("dpa") => EvidenceOut::Dpa(DpaFacts {
            path,
            error,
            ..Default::default()
        }),
        Some("pentest") => EvidenceOut::Pentest(PentestFacts {
            path,
            error,
            ..Default::default()
        }),
        Some("hitrust") => EvidenceOut::Hitrust(HitrustFacts {
            path,
            error,
            ..Default::default()
        }),
        _ => EvidenceOut::Policy(PolicyFacts {
            path,
            error,
            ..Default::default()
        }),
    }
}

fn set_sha(out: &mut EvidenceOut, sha: Option<String>) {
    match out {
        EvidenceOut::Soc2(x) => x.sha256 = sha,
        EvidenceOut::Baa(x) => x.sha256 = sha,
        EvidenceOut::Dpa(x) => x.sha256 = sha,
        EvidenceOut::Pentest(x) => x.sha256 = sha,
        EvidenceOut::Hitrust(x) => x.sha256 = sha,
        EvidenceOut::Policy(x) => x.sha256 = sha,
    }
}

impl Probe for EvidenceProbe {
    fn name(&self) -> &'static str {
        "evidence"
    }
    fn produces(&self) -> &'static [&'static str] {
        &[
            "evidence.soc2[]",
            "evidence.baa[]",
            "evidence.dpa[]",
            "evidence.pentest[]",
            "evidence.hitrust[]",
            "evidence.policy[]",
        ]
    }
    fn tasks(&self, m: &Manifest) -> Vec<Task> {
        m.evidence
            .iter()
            .enumerate()
            .map(|(i, e)| Task {
                kind: ResourceKind::Evidence,
                index: i,
                label: e.path.clone(),
            })
            .collect()
    }
    fn run(&self, task: &Task, ctx: &ProbeContext) -> ProbeResult {
        let ev = &ctx.manifest.evidence[task.index];
        let mut input = Input {
            path: ev.path.clone(),
            kind: "evidence".into(),
            sha256: None,
            bytes: None,
        };
        // A subservice organisation's report is a SOC report whatever it looks like.
        let kind = ev.kind.or(ev.subservice.as_ref().map(|_| EvidenceKind::Soc2));
        let output = match input::read(
            &ctx.manifest.resolve(&ev.path),
            input::Kind::Evidence,
            ctx.settings.timeout,
        ) {
            Ok(bytes) => {
                let sha = hex::encode(Sha256::digest(&bytes));
                input.sha256 = Some(sha.clone());
                input.bytes = Some(bytes.len() as u64);
                let pdf = text::PdfLimits::for_timeout(ctx.settings.timeout);
                let mut out = read_document_with(&bytes, &ev.path, kind, self.phrasing(), ctx.settings.as_of, pdf);
                set_sha(&mut out, Some(sha));
                out
            }
            Err(e) => failed(
                kind.map(EvidenceKind::as_str),
                &ev.path,
                format!("cannot read {}: {}", ev.path, input::hashing::describe(&e)),
            ),
        };
        ProbeResult {
            output: Output::Evidence(output),
            inputs: vec![input],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probe::evidence::text::text;

    fn meta(t: &str) -> (Option<bool>, Option<String>) {
        let p = phrasing::builtin();
        contract_meta(&model::build(&text(t), p), p)
    }

    #[test]
    fn the_contracts_own_effective_date_beats_a_dated_reference() {
        let d = "This Addendum supplements the Master Services Agreement dated November 3, 2025, and is effective as of January 15, 2026.\n\nBy: ________\n";
        assert_eq!(meta(d), (Some(false), Some("2026-01-15".into())));
        let d = "This DPA takes effect on 1 September 2026.\n\nFor the Processor: /s/ Marcus Oyelowo\n";
        assert_eq!(meta(d), (Some(true), Some("2026-09-01".into())));
        let d =
            "Dated as of June 2, 2026.\n\nFor the Controller: Ines Hartmann, signed electronically on 28 August 2026\n";
        assert_eq!(meta(d), (Some(true), Some("2026-06-02".into())));
    }

    #[test]
    fn an_effective_label_dates_the_contract() {
        let d =
            "# Data Processing Addendum\n\n**Effective:** 2025-07-10\n\nThis DPA supplements the Terms of Service.\n";
        assert_eq!(meta(d).1.as_deref(), Some("2025-07-10"));
    }

    #[test]
    fn a_front_matter_date_dates_the_contract() {
        // YAML front matter's `effectiveDate:` (batch 11, d19).
        let d = "---\ntitle: \"Data Processing Addendum\"\neffectiveDate: \"2025-01-01\"\n---\n\nThis DPA applies as of the effective date above.\n";
        assert_eq!(meta(d).1.as_deref(), Some("2025-01-01"));
        let d = "---\neffective_date: 2025-03-04\n---\n\nThe Processor shall notify the Controller.\n";
        assert_eq!(meta(d).1.as_deref(), Some("2025-03-04"));
    }

    #[test]
    fn dates_the_contract_cites_are_not_its_own() {
        // A regulation's effective date and a memorandum's date are cited, not the contract's.
        let d = "Business Associate shall comply with the HIPAA Omnibus Final Rule, effective September 23, 2013.\n\nThe parties follow DoD Memorandum 06-18 dated August 18, 2006.\n";
        assert_eq!(meta(d).1, None);
        let d = "(a) Term. The Term of this Agreement shall be effective as of [Insert effective date], and shall terminate on [Insert termination date].\n";
        assert_eq!(meta(d).1, None);
        let d = "This Agreement is effective as of March 3, 2024. It implements the Omnibus Rule, effective September 23, 2013.\n";
        assert_eq!(meta(d).1.as_deref(), Some("2024-03-03"));
    }
}
