//! Benchmark: evaluate every built-in pack over a large facts tree (1,000 endpoints, 50
//! exports, 50 documents of each kind). `cargo bench --bench eval`. Target: under 200 ms.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use vetter::engine::{self, Inputs};
use vetter::facts::*;
use vetter::rules::{LoadOptions, RuleSet};

fn big_facts() -> Facts {
    let mut f = Facts {
        vendor: VendorFacts {
            name: "Bench".into(),
            ..Default::default()
        },
        as_of: "2026-11-23".into(),
        ..Default::default()
    };
    for i in 0..1000 {
        let mut e = EndpointFacts {
            url: format!("https://api{i}.bench.example/v1"),
            ..Default::default()
        };
        e.tls.versions = TlsVersions {
            ssl3: Some(false),
            tls1_0: Some(i % 7 == 0),
            tls1_1: Some(false),
            tls1_2: Some(true),
            tls1_3: Some(true),
        };
        e.tls.min_version = Some(if i % 7 == 0 { "1.0" } else { "1.2" }.into());
        e.tls.ciphers = Some(
            (0..12)
                .map(|c| Cipher {
                    name: format!("TLS_SUITE_{c}"),
                    version: "1.2".into(),
                    bits: Some(128),
                    aead: Some(true),
                    forward_secrecy: Some(true),
                })
                .collect(),
        );
        e.tls.weak_ciphers = Some(vec![]);
        e.tls.cert.days_to_expiry = Some(90);
        e.tls.cert.expired = Some(false);
        e.tls.cert.chain_trusted = Some(true);
        e.tls.cert.hostname_matches = Some(true);
        e.http.hsts = HstsFacts {
            present: Some(true),
            max_age: Some(31536000),
            include_subdomains: Some(true),
            preload: Some(false),
        };
        e.http.requires_auth = Some(true);
        e.http.https_redirect = Some(true);
        e.http.headers = Some(BTreeMap::from([("content-type".into(), "application/json".into())]));
        e.http.cookies = Some(vec![CookieFacts {
            name: "sid".into(),
            secure: Some(true),
            http_only: Some(true),
            same_site: Some("Lax".into()),
            max_age: None,
            session: Some(true),
        }]);
        f.endpoints.push(e);
    }
    for i in 0..50 {
        f.exports.push(ExportFacts {
            path: format!("exports/e{i}.csv"),
            encrypted: Some(i % 2 == 0),
            records: Some(10_000),
            phi: Some(PhiFacts::default()),
            ..Default::default()
        });
        f.audit_logs.push(AuditLogFacts {
            path: format!("logs/a{i}.jsonl"),
            entries: Some(100_000),
            ..Default::default()
        });
        f.evidence.soc2.push(Soc2Facts {
            path: format!("ev/soc2-{i}.pdf"),
            report_type: Some("type2".into()),
            age_days: Some(100),
            ..Default::default()
        });
        f.evidence.baa.push(BaaFacts {
            path: format!("ev/baa-{i}.pdf"),
            ..Default::default()
        });
        f.evidence.dpa.push(DpaFacts {
            path: format!("ev/dpa-{i}.pdf"),
            ..Default::default()
        });
        f.evidence.pentest.push(PentestFacts {
            path: format!("ev/pt-{i}.pdf"),
            age_days: Some(30),
            open_critical: Some(0),
            open_high: Some(0),
            ..Default::default()
        });
    }
    f
}

fn main() {
    let rules = RuleSet::load(&LoadOptions {
        include_builtin: true,
        ..Default::default()
    })
    .expect("built-in packs load");
    let facts = serde_json::to_value(big_facts()).unwrap();
    let packs: BTreeSet<String> = rules.packs.iter().map(|p| p.id.clone()).collect();
    let params = BTreeMap::new();
    let as_of = chrono::NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
    let mut times: Vec<Duration> = Vec::new();
    let mut findings = 0;
    for _ in 0..15 {
        let t = Instant::now();
        let inp = Inputs {
            facts: &facts,
            as_of,
            params: &params,
            attestations: &[],
            waivers: &[],
            packs: &packs,
        };
        let mut out = engine::evaluate(&rules, &inp);
        let _ = vetter::score::score(&mut out, Some(&rules));
        times.push(t.elapsed());
        findings = out.len();
    }
    times.sort();
    let median = times[times.len() / 2];
    println!(
        "eval: {} rules (all packs) x 1000 endpoints, 50 exports, 50 logs, 200 documents -> {findings} findings; median {:.1} ms, min {:.1} ms over {} runs",
        rules.rules.len(),
        median.as_secs_f64() * 1e3,
        times[0].as_secs_f64() * 1e3,
        times.len()
    );
}
