//! What each fuzz target does with its input, in one place: the fuzz targets (`fuzz/`) include
//! this file, and the regression tests feed the committed findings (`fixtures/fuzz/TARGET/`)
//! through the same functions, so a test exercises exactly the path the fuzzer found.
//!
//! Inputs are raw bytes; where a target needs a choice besides the bytes (a flag, a declared
//! document kind), the first byte carries it, as described on each function.

use std::sync::OnceLock;

use chrono::NaiveDate;
use rustls_pki_types::CertificateDer;
use vetter::assessment::{self, Assessment};
use vetter::manifest::{EvidenceKind, Export, Retention};
use vetter::probe::endpoint::VERSIONS;
use vetter::probe::endpoint::cert;
use vetter::probe::endpoint::hello::{self, ClientHello, FlightParser, Reply};
use vetter::probe::evidence::{phrasing, read_document, text};
use vetter::probe::export::phi::{self, PhiScanner, Recognizers};
use vetter::probe::export::records::{self, Scan};
use vetter::probe::export::{self, retention};
use vetter::report::diff::{self, DiffOptions};
use vetter::report::{self, Format, Portfolio, RenderOptions, Report};
use vetter::rules::{LoadOptions, RuleSet};

/// What a target does with one input.
pub type Driver = fn(&[u8]);

/// Every target by name, for the regression tests.
pub const TARGETS: &[(&str, Driver)] = &[
    ("tls_hello", tls_hello),
    ("cert", cert),
    ("export_stream", export_stream),
    ("export_csv", export_csv),
    ("export_ndjson", export_ndjson),
    ("export_json", export_json),
    ("export_xlsx", export_xlsx),
    ("phi", phi),
    ("text_pdf", text_pdf),
    ("text_docx", text_docx),
    ("text_markup", text_markup),
    ("manifest", manifest),
    ("waivers", waivers),
    ("rule_pack", rule_pack),
    ("facts", facts),
    ("report", report),
];

const FORMATS: [Format; 7] = [
    Format::Table,
    Format::Json,
    Format::Markdown,
    Format::Sarif,
    Format::Junit,
    Format::Html,
    Format::Oscal,
];

fn as_of() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 6, 1).expect("a date")
}

fn recognizers() -> &'static Recognizers {
    static R: OnceLock<Recognizers> = OnceLock::new();
    R.get_or_init(Recognizers::new)
}

/// The TLS codec: the server's first flight through `FlightParser`, fed in chunks as a socket
/// delivers it; `parse_server_hello` on the raw bytes; the ClientHello encoder with suites,
/// groups and SNI from the input. First byte: bit 0 reads past the ServerHello, bits 1-7 are
/// the chunk size.
pub fn tls_hello(data: &[u8]) {
    let Some((&ctl, rest)) = data.split_first() else {
        return;
    };
    let mut p = FlightParser::new(ctl & 1 == 1);
    let chunk = usize::from(ctl >> 1).max(1);
    for piece in rest.chunks(chunk) {
        match p.feed(piece) {
            Ok(Some(Reply::Alert(_, d))) => {
                let _ = hello::alert_name(d);
                break;
            }
            Ok(Some(Reply::Hello(_))) | Err(_) => break,
            Ok(None) => {}
        }
    }
    let _ = p.partial();
    let _ = hello::parse_server_hello(rest);
    let pairs: Vec<u16> = rest.chunks_exact(2).map(|c| u16::from_be_bytes([c[0], c[1]])).collect();
    let (suites, groups) = pairs.split_at(pairs.len() / 2);
    let sni = String::from_utf8_lossy(&rest[..rest.len().min(300)]);
    for v in VERSIONS {
        let _ = ClientHello::new(v, suites.to_vec(), Some(&sni), groups.to_vec()).encode([7; 32]);
    }
}

/// Certificate facts of a presented chain. First byte: bit 0 judges it for an IP address
/// rather than a DNS name, bit 1 trusts the second certificate as a root; then a big-endian
/// u16 length of the leaf, the leaf's DER, and the issuer's DER.
pub fn cert(data: &[u8]) {
    let [ctl, a, b, rest @ ..] = data else {
        return;
    };
    let n = usize::from(u16::from_be_bytes([*a, *b])).min(rest.len());
    let (leaf, issuer) = rest.split_at(n);
    let mut chain = vec![leaf.to_vec()];
    if !issuer.is_empty() {
        chain.push(issuer.to_vec());
    }
    let host = if ctl & 1 == 1 {
        "127.0.0.1"
    } else {
        "vendor.example.test"
    };
    let roots: Vec<CertificateDer<'static>> = if ctl & 2 == 2 && !issuer.is_empty() {
        vec![CertificateDer::from(issuer.to_vec())]
    } else {
        Vec::new()
    };
    let _ = cert::facts(&chain, host, &roots, as_of());
}

/// The whole export reader on bytes (encryption sniffing, gzip/zstd/zip, format detection,
/// every record reader), with a retention field and declared columns, as `scan_export` runs.
pub fn export_stream(data: &[u8]) {
    let e = Export {
        path: "fuzz-export".into(),
        retention: Some(Retention {
            date_field: "last_visit".into(),
            max_age_days: 2190,
        }),
        columns: Some(vec!["id".into(), "last_visit".into()]),
        erasure: None,
        deidentified: None,
        portability: None,
        reidentification_codes: None,
        limits: None,
    };
    let _ = export::scan_bytes(data, &e, as_of());
}

fn scan() -> Scan<'static> {
    Scan::new(recognizers()).with_retention("last_visit", retention::Retention::new(as_of(), 2190))
}

/// The CSV reader alone, then the PHI tallies.
pub fn export_csv(data: &[u8]) {
    let mut s = scan();
    let _ = records::read_csv(data, &mut s);
    s.flush();
    let _ = s.phi.facts();
}

/// The NDJSON reader alone, then the PHI tallies.
pub fn export_ndjson(data: &[u8]) {
    let mut s = scan();
    let _ = records::read_ndjson(data, &mut s);
    s.flush();
    let _ = s.phi.facts();
}

/// The JSON reader alone, then the PHI tallies.
pub fn export_json(data: &[u8]) {
    let mut s = scan();
    let _ = records::read_json(data, &mut s);
    s.flush();
    let _ = s.phi.facts();
}

/// The XLSX reader alone (date-formatted cells are converted for the retention field).
pub fn export_xlsx(data: &[u8]) {
    let mut s = scan();
    let _ = records::read_xlsx(std::io::Cursor::new(data), &mut s);
    s.flush();
    let _ = s.phi.facts();
}

/// The PHI scanner: the matchers over raw bytes (matches in order and inside the input),
/// masking of each match, column classification, and the batching scanner fed one field per
/// line (`column name<TAB>value`).
pub fn phi(data: &[u8]) {
    let rec = recognizers();
    let mut last_end = 0;
    for (s, e, kind) in rec.matches(data) {
        assert!(
            s <= e && e <= data.len() && s >= last_end,
            "match {s}..{e} out of order or bounds"
        );
        last_end = e;
        if let Ok(v) = std::str::from_utf8(&data[s..e]) {
            let _ = phi::mask(kind, v);
            let _ = phi::protected(v);
        }
    }
    let text = String::from_utf8_lossy(data);
    let mut names: Vec<String> = Vec::new();
    let mut scanner = PhiScanner::new(rec);
    for line in text.lines() {
        let (name, value) = line.split_once('\t').unwrap_or(("", line));
        let col = match names.iter().position(|n| n == name) {
            Some(i) => i,
            None => {
                names.push(name.to_string());
                names.len() - 1
            }
        };
        if scanner.push(col, phi::classify(name), value) {
            scanner.flush(|i| names[i].as_str());
        }
    }
    scanner.finish(|i| names[i].as_str());
    let _ = scanner.facts();
}

/// A document as the evidence probe reads it. `kind` 0 detects it from the text, 1-6 declare
/// one of `EvidenceKind::ALL`.
fn document(doc: &[u8], path: &str, kind: u8) {
    let kind = match kind {
        k @ 1..=6 => Some(EvidenceKind::ALL[usize::from(k) - 1]),
        _ => None,
    };
    let _ = read_document(doc, path, kind, phrasing::builtin(), as_of());
}

/// PDF text extraction and everything read from the text. First byte modulo 7: the declared
/// kind (0 detects it).
pub fn text_pdf(data: &[u8]) {
    let Some((&ctl, doc)) = data.split_first() else {
        return;
    };
    if let Ok(d) = text::pdf(doc) {
        let _ = text::sentences(&d);
    }
    document(doc, "fuzz.pdf", ctl % 7);
}

/// DOCX text extraction and everything read from the text. First byte as for [`text_pdf`].
pub fn text_docx(data: &[u8]) {
    let Some((&ctl, doc)) = data.split_first() else {
        return;
    };
    if let Ok(d) = text::docx(doc) {
        let _ = text::sentences(&d);
    }
    document(doc, "fuzz.docx", ctl % 7);
}

/// HTML, Markdown and plain text. First byte: bits 0-1 the extension (.html, .md, .txt,
/// .htm), bits 2-4 the declared kind (0 or 7 detects it).
pub fn text_markup(data: &[u8]) {
    let Some((&ctl, doc)) = data.split_first() else {
        return;
    };
    let path = ["fuzz.html", "fuzz.md", "fuzz.txt", "fuzz.htm"][usize::from(ctl & 3)];
    let s = String::from_utf8_lossy(doc);
    let _ = text::sentences(&text::html(&s));
    let _ = text::sentences(&text::text(&s));
    document(doc, path, (ctl >> 2) & 7);
}

/// The manifest loader: TOML and every validation check; the error rendered.
pub fn manifest(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Err(e) = vetter::manifest::parse(text, "vendor.toml") {
        let _ = e.to_string();
    }
}

/// The `--waivers FILE` loader.
pub fn waivers(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Err(e) = vetter::manifest::parse_waivers(text, "waivers.toml") {
        let _ = e.to_string();
    }
}

/// One user rule pack (rules, parameters, phrasing) loaded, shape-checked and its CEL
/// compiled, as `vetter rules check` loads it. Not evaluated: the facts target evaluates.
pub fn rule_pack(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let sources = [("fuzz-pack.toml".to_string(), text.to_string(), false)];
    if let Err(e) = RuleSet::from_sources(&sources, false, Vec::new()) {
        let _ = e.to_string();
    }
}

fn builtin_rules() -> &'static RuleSet {
    static R: OnceLock<RuleSet> = OnceLock::new();
    R.get_or_init(|| {
        RuleSet::load(&LoadOptions {
            include_builtin: true,
            ..Default::default()
        })
        .expect("the built-in packs load")
    })
}

/// A saved assessment (`vetter eval FILE`) parsed as the CLI parses it, evaluated under the
/// built-in packs, and rendered in one format chosen by the input's length (so seeds stay
/// plain JSON).
pub fn facts(data: &[u8]) {
    let Ok(a) = serde_json::from_slice::<Assessment>(data) else {
        return;
    };
    let Ok(r) = assessment::evaluate(builtin_rules(), &a, &[], &[], "2026-06-01T00:00:00Z".into()) else {
        return;
    };
    let _ = report::render(&r, FORMATS[data.len() % FORMATS.len()], RenderOptions::default());
}

/// A JSON report or portfolio (`vetter diff`, `--baseline`, `verify`) parsed as the CLI parses
/// it, compared with itself, and rendered in one format chosen by the input's length.
pub fn report(data: &[u8]) {
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    let reports = if value.get("reports").is_some() {
        match serde_json::from_value::<Portfolio>(value) {
            Ok(p) => p.reports,
            Err(_) => return,
        }
    } else {
        match serde_json::from_value::<Report>(value) {
            Ok(r) => vec![r],
            Err(_) => return,
        }
    };
    let opts = DiffOptions {
        max_drop: 0.0,
        fail_on_new_rules: true,
    };
    let format = FORMATS[data.len() % FORMATS.len()];
    for r in &reports {
        let _ = diff::render_text(&diff::diff(r, r, opts));
        let _ = report::render(r, format, RenderOptions::default());
    }
    let _ = report::render_portfolio(&reports, format, RenderOptions::default());
}
