//! Export and audit-log probes on the committed fixtures (fixtures/exports, fixtures/auditlogs):
//! containers, encryption, PHI counts, near misses, leaks, bad input, hash chains.

use std::path::Path;

use chrono::NaiveDate;
use vetter::facts::{AuditLogFacts, ExportFacts};
use vetter::manifest;
use vetter::probe::{auditlog, export};

use crate::support::*;

fn as_of() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()
}

/// A manifest in `dir` whose `[[export]]` tables are the given TOML bodies.
fn manifest_in(dir: &Path, body: &str) -> manifest::Manifest {
    let path = dir.join("vendor.toml");
    std::fs::write(&path, format!("[vendor]\nname = \"Fixture\"\n\n{body}")).unwrap();
    manifest::load(&path).unwrap_or_else(|e| panic!("{e}"))
}

fn fixture(rel: &str) -> String {
    root()
        .join("fixtures")
        .join(rel)
        .display()
        .to_string()
        .replace('\\', "/")
}

fn scan(rel: &str, extra: &str) -> ExportFacts {
    let d = tempfile::tempdir().unwrap();
    let m = manifest_in(d.path(), &format!("[[export]]\npath = \"{}\"\n{extra}", fixture(rel)));
    export::scan_export(&m, &m.export[0], as_of()).0
}

fn log(rel: &str, extra: &str) -> AuditLogFacts {
    let d = tempfile::tempdir().unwrap();
    let m = manifest_in(
        d.path(),
        &format!("[[audit_log]]\npath = \"{}\"\n{extra}", fixture(rel)),
    );
    auditlog::scan_log(&m, &m.audit_log[0], as_of()).0
}

fn phi_counts(f: &ExportFacts) -> serde_json::Value {
    let v = serde_json::to_value(&f.phi.as_ref().expect("scanned").types).unwrap();
    let mut out = serde_json::Map::new();
    for (k, t) in v.as_object().unwrap() {
        if t["count"].as_u64() != Some(0) {
            out.insert(k.clone(), t["count"].clone());
        }
    }
    serde_json::Value::Object(out)
}

#[test]
fn phi_heavy_counts_are_exact_in_every_format_and_container() {
    let expected = serde_json::json!({
        "ssn": 3, "phone": 6, "email": 3, "date_of_birth": 3, "mrn": 3, "health_plan_id": 3,
        "npi": 3, "dea": 3, "mbi": 3, "ip_address": 3, "street_address": 3, "zip": 3, "name": 6,
        "credit_card": 3, "diagnosis": 3, "date": 3
    });
    for (rel, format, container) in [
        ("exports/phi-heavy.csv", "csv", None),
        ("exports/phi-heavy.ndjson", "ndjson", None),
        ("exports/phi-heavy.json", "json", None),
        ("exports/phi-heavy.csv.gz", "csv", Some("gzip")),
        ("exports/phi-heavy.csv.zst", "csv", Some("zstd")),
    ] {
        let f = scan(rel, "");
        assert_eq!(f.error, None, "{rel}");
        assert_eq!(f.format.as_deref(), Some(format), "{rel}");
        assert_eq!(f.container.as_deref(), container, "{rel}");
        assert_eq!(f.encrypted, Some(false), "{rel}");
        assert_eq!(phi_counts(&f), expected, "{rel}");
        assert_eq!(f.records, Some(if format == "json" { 4 } else { 3 }), "{rel}");
        let sha = vetter::probe::input::hashing::hash_file(Path::new(&fixture(rel)))
            .unwrap()
            .0;
        assert_eq!(
            f.sha256.as_deref(),
            Some(sha.as_str()),
            "{rel}: hash of the file as read"
        );
    }
    // Both members of the zip are scanned.
    let z = scan("exports/phi-heavy.zip", "");
    assert_eq!(z.container.as_deref(), Some("zip"));
    assert_eq!(z.records, Some(6));
    assert_eq!(z.phi.unwrap().types.ssn.count, 6);
}

#[test]
fn near_misses_are_not_counted() {
    let f = scan("exports/near-miss.csv", "");
    assert_eq!(f.error, None);
    assert_eq!(f.records, Some(40));
    let c = phi_counts(&f);
    // The MRN-prefixed ids are MRNs (by their prefix) — and never DEA numbers.
    assert_eq!(c, serde_json::json!({ "mrn": 40 }), "{c}");
}

#[test]
fn encryption_is_recognised_not_guessed() {
    for (rel, enc, how) in [
        ("exports/phi-heavy.csv.gpg", Some(true), Some("openpgp")),
        ("exports/phi-heavy.csv.asc", Some(true), Some("openpgp")),
        ("exports/phi-heavy.csv.age", Some(true), Some("age")),
        ("exports/zipcrypto.zip", Some(false), Some("zipcrypto")),
        ("exports/random.bin", None, Some("unknown")),
        ("exports/phi-heavy.csv.gz", Some(false), None),
    ] {
        let f = scan(rel, "");
        assert_eq!((f.encrypted, f.encryption.as_deref()), (enc, how), "{rel}");
        assert!(f.sha256.is_some(), "{rel}");
        if enc != Some(false) || how.is_some() {
            assert!(f.phi.is_none(), "{rel}: nothing can be scanned");
        }
    }
}

#[test]
fn retention_erasure_and_columns() {
    let d = tempfile::tempdir().unwrap();
    let ids = d.path().join("erasure.txt");
    // One plain id, one SHA-256 of an id, one id that is not in the export.
    let hashed = vetter::probe::input::hashing::hash_file(Path::new("/dev/null")).ok();
    let _ = hashed;
    use sha2::Digest;
    let h = hex::encode(sha2::Sha256::digest(b"MRN-400103"));
    std::fs::write(&ids, format!("MRN-400101\n{h}\nMRN-999999\n")).unwrap();
    let f = scan(
        "exports/phi-heavy.csv",
        &format!(
            "retention = {{ date_field = \"last_visit\", max_age_days = 2190 }}\ncolumns = [\"mrn\", \"first_name\", \"last_name\", \"last_visit\"]\nerasure = {{ file = \"{}\", column = \"mrn\" }}\n",
            ids.display()
        ),
    );
    assert_eq!(f.retention.past_retention, Some(1));
    assert_eq!(f.retention.oldest.as_deref(), Some("2018-02-03"));
    assert_eq!(f.retention.newest.as_deref(), Some("2026-06-21"));
    assert_eq!((f.erasure.requested, f.erasure.still_present), (Some(3), Some(2)));
    let unexpected = f.unexpected_columns.unwrap();
    assert!(
        unexpected.contains(&"ssn".to_string()) && unexpected.contains(&"notes".to_string()),
        "{unexpected:?}"
    );
    assert!(!unexpected.contains(&"mrn".to_string()) && !unexpected.contains(&"created_at".to_string()));
}

#[test]
fn bad_input_gives_errors_not_panics() {
    let t = scan("exports/truncated.csv.gz", "");
    assert!(
        t.error.as_deref().is_some_and(|e| e.contains("truncated.csv.gz")),
        "{:?}",
        t.error
    );
    assert!(t.sha256.is_some(), "the file is still hashed");
    let u = scan("exports/invalid-utf8.csv", "");
    assert_eq!((u.records, u.parse_errors), (Some(1), Some(1)));
    assert_eq!(u.phi.unwrap().types.ssn.count, 1);
    let missing = scan("exports/nope.csv", "");
    assert!(missing.error.unwrap().contains("file not found"));
    let d = tempfile::tempdir().unwrap();
    let empty = d.path().join("empty.csv");
    std::fs::write(&empty, "").unwrap();
    let m = manifest_in(d.path(), "[[export]]\npath = \"empty.csv\"\n");
    let e = export::scan_export(&m, &m.export[0], as_of()).0;
    assert_eq!(
        (e.format.as_deref(), e.records, e.error),
        (Some("empty"), Some(0), None)
    );
    // A single line with no newline beyond the cap is refused, not buffered.
    let long = d.path().join("long.csv");
    let f = std::fs::File::create(&long).unwrap();
    f.set_len(70 * 1024 * 1024).unwrap(); // sparse: zeros read fast
    let m = manifest_in(d.path(), "[[export]]\npath = \"long.csv\"\n");
    let e = export::scan_export(&m, &m.export[0], as_of()).0;
    assert!(e.error.is_some(), "{e:?}");
}

#[test]
fn decompression_bomb_is_stopped() {
    use std::io::Write;
    let d = tempfile::tempdir().unwrap();
    let bomb = d.path().join("bomb.csv.gz");
    let mut gz = flate2::write::GzEncoder::new(std::fs::File::create(&bomb).unwrap(), flate2::Compression::fast());
    let block = vec![b'0'; 1 << 20];
    gz.write_all(b"a,b\n").unwrap();
    for _ in 0..200 {
        gz.write_all(&block).unwrap();
    }
    gz.finish().unwrap();
    let m = manifest_in(d.path(), "[[export]]\npath = \"bomb.csv.gz\"\n");
    let e = export::scan_export(&m, &m.export[0], as_of()).0;
    let err = e.error.unwrap_or_default();
    assert!(err.contains("bomb") || err.contains("line longer"), "{err}");
}

#[test]
fn large_file_streams_in_constant_memory() {
    // 50 MB of CSV, scanned by the binary; its peak RSS must stay far below the file size.
    use std::io::Write;
    let d = tempfile::tempdir().unwrap();
    let csv = d.path().join("big.csv");
    let mut w = std::io::BufWriter::new(std::fs::File::create(&csv).unwrap());
    writeln!(w, "mrn,first_name,ssn,phone,notes,last_visit").unwrap();
    let mut n = 0u64;
    let mut i = 0u64;
    while n < 50_000_000 {
        let line = format!(
            "MRN-{i:07},Name{},219-45-{:04},(312) 201-{:04},\"free text note number {i} with nothing in it\",2020-01-01\n",
            i % 97,
            1 + i % 9999,
            i % 10000
        );
        n += line.len() as u64;
        w.write_all(line.as_bytes()).unwrap();
        i += 1;
    }
    drop(w);
    std::fs::write(
        d.path().join("vendor.toml"),
        "[vendor]\nname = \"Big\"\n\n[[export]]\npath = \"big.csv\"\n",
    )
    .unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_vetter"))
        .args(["assess", "--quiet", "--format", "json", "--output"])
        .arg(d.path().join("r.json"))
        .arg(d.path().join("vendor.toml"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let status = format!("/proc/{}/status", child.id());
    let mut peak_kb = 0u64;
    let start = std::time::Instant::now();
    loop {
        if let Ok(s) = std::fs::read_to_string(&status)
            && let Some(l) = s.lines().find(|l| l.starts_with("VmHWM:"))
        {
            peak_kb = peak_kb.max(l.split_whitespace().nth(1).unwrap().parse().unwrap());
        }
        if child.try_wait().unwrap().is_some() {
            break;
        }
        assert!(start.elapsed().as_secs() < 240, "scan took too long");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let r: serde_json::Value = serde_json::from_slice(&std::fs::read(d.path().join("r.json")).unwrap()).unwrap();
    let e = &r["facts"]["exports"][0];
    assert_eq!(e["records"].as_u64(), Some(i), "{e}");
    assert_eq!(e["phi"]["types"]["ssn"]["count"].as_u64(), Some(i));
    assert!(
        peak_kb > 0 && peak_kb < 100 * 1024,
        "peak RSS {peak_kb} KiB for a 50 MB file"
    );
}

#[test]
fn reports_never_contain_raw_phi() {
    let canaries: Vec<String> = std::fs::read_to_string(root().join("fixtures/exports/canaries.txt"))
        .unwrap()
        .lines()
        .map(str::to_string)
        .filter(|c| c.len() >= 4)
        .collect();
    assert!(canaries.len() > 40);
    let d = tempfile::tempdir().unwrap();
    let mut body = String::new();
    for rel in [
        "phi-heavy.csv",
        "phi-heavy.json",
        "phi-heavy.ndjson",
        "phi-heavy.zip",
        "truncated.csv.gz",
    ] {
        body.push_str(&format!(
            "[[export]]\npath = \"{}\"\ncolumns = [\"mrn\"]\n\n",
            fixture(&format!("exports/{rel}"))
        ));
    }
    body.push_str(&format!(
        "[[audit_log]]\npath = \"{}\"\n",
        fixture("auditlogs/chain-ok.jsonl")
    ));
    std::fs::write(
        d.path().join("vendor.toml"),
        format!("[vendor]\nname = \"Leak test\"\n\n{body}"),
    )
    .unwrap();
    let m = d.path().join("vendor.toml");
    for format in ["table", "json"] {
        let o = vetter()
            .args(["assess", "--format", format, "--save-facts"])
            .arg(d.path().join("facts.json"))
            .arg(&m)
            .output()
            .unwrap();
        assert_no_panic(&o);
        let facts = std::fs::read_to_string(d.path().join("facts.json")).unwrap();
        let all = format!("{}{}{}", text(&o.stdout), text(&o.stderr), facts);
        assert!(all.contains("***-**-6781"), "masked samples are shown ({format})");
        for c in &canaries {
            assert!(
                !all.contains(c.as_str()),
                "{format} output leaks a raw value ({} chars)",
                c.len()
            );
        }
    }
}

#[test]
fn hash_chain_faults_are_located() {
    let ok = log("auditlogs/chain-ok.jsonl", "");
    assert_eq!(ok.entries, Some(10));
    assert_eq!(
        (ok.hash_chain.present, ok.hash_chain.valid, ok.hash_chain.first_break),
        (Some(true), Some(true), None)
    );
    let re = log("auditlogs/chain-reserialised.jsonl", "");
    assert_eq!(
        re.hash_chain.valid,
        Some(true),
        "re-serialising does not break the chain"
    );
    for (rel, at) in [
        ("auditlogs/chain-edited.jsonl", 5),
        ("auditlogs/chain-deleted.jsonl", 4),
        ("auditlogs/chain-swapped.jsonl", 6),
    ] {
        let f = log(rel, "");
        assert_eq!(
            (f.hash_chain.valid, f.hash_chain.first_break),
            (Some(false), Some(at)),
            "{rel}"
        );
    }
    let a = &ok.actions;
    assert_eq!(
        (
            a.read,
            a.update,
            a.delete,
            a.export,
            a.print,
            a.login,
            a.login_failed,
            a.permission_change
        ),
        (Some(2), Some(1), Some(1), Some(1), Some(1), Some(2), Some(1), Some(1))
    );
    assert_eq!(ok.fields.timestamp_offset, Some(1.0));
    assert_eq!(ok.actors.shared, Some(0));
}

#[test]
fn csv_audit_log_actors_order_gaps_anomalies() {
    let f = log(
        "auditlogs/audit.csv",
        &format!(
            "fields = {{ actor = \"who\", action = \"what\", resource = \"record\", timestamp = \"when\", outcome = \"result\", source_ip = \"src\" }}\n\
             business_hours = {{ start = \"07:00\", end = \"19:00\", days = \"Mon-Fri\", tz = \"UTC\" }}\n\
             bulk_export_threshold = 500\n\
             appointments = {{ path = \"{}\", patient = \"patient_id\", date = \"starts_at\", window_days = 30 }}\n",
            fixture("auditlogs/appointments.csv")
        ),
    );
    assert_eq!(f.error, None);
    assert_eq!(f.entries, Some(5));
    assert_eq!(
        (f.actors.blank, f.actors.shared, f.actors.distinct),
        (Some(1), Some(2), Some(3))
    );
    assert_eq!(f.out_of_order, Some(1));
    assert_eq!(f.max_gap_hours, Some(96.92));
    assert_eq!(f.fields.actor, Some(0.8));
    assert_eq!(f.fields.timestamp_offset, Some(0.0));
    assert_eq!(f.hash_chain.present, Some(false));
    assert_eq!(f.anomalies.bulk_exports, Some(1));
    assert_eq!(f.anomalies.after_hours, Some(1));
    // P-1002's appointment is months away; P-1009 has none.
    assert_eq!(f.anomalies.no_appointment, Some(2));
    assert_eq!((f.actions.read, f.actions.export), (Some(4), Some(1)));
}

/// Safe Harbor (R): a CRM contact key or a UUID in a "de-identified" extract is a unique
/// identifier; a column declared as a 164.514(c) re-identification code is not.
#[test]
fn unique_identifiers_and_declared_reidentification_codes() {
    let d = tempfile::tempdir().unwrap();
    let mut csv = String::from("crm_contact_id,record_uuid,study_code,age_band,visits\n");
    for i in 0..50 {
        csv.push_str(&format!(
            "C-{:05},{:08x}-4c1e-9a2b-7f00-{:012x},S{:04},40-49,{}\n",
            10_000 + i,
            0x1a2b_0000 + i,
            i * 7919,
            (i * 37) % 10_000,
            i % 6
        ));
    }
    std::fs::write(d.path().join("extract.csv"), &csv).unwrap();
    let plain = manifest_in(d.path(), "[[export]]\npath = \"extract.csv\"\ndeidentified = true\n");
    let f = export::scan_export(&plain, &plain.export[0], as_of()).0;
    let u = &f.phi.as_ref().expect("scanned").types.unique_id;
    assert_eq!(u.count, 100, "two identifier columns × 50 rows: {u:?}");
    let mut cols = u.columns.clone();
    cols.sort();
    assert_eq!(cols, vec!["crm_contact_id", "record_uuid"]);
    assert!(
        u.samples.iter().all(|s| !csv.contains(s.as_str())),
        "masked: {:?}",
        u.samples
    );
    let declared = manifest_in(
        d.path(),
        "[[export]]\npath = \"extract.csv\"\ndeidentified = true\nreidentification_codes = [\"crm_contact_id\", \"record_uuid\"]\n",
    );
    let f = export::scan_export(&declared, &declared.export[0], as_of()).0;
    assert_eq!(f.phi.as_ref().unwrap().types.unique_id.count, 0);
}

/// A PDF export: its text layer is scanned for PHI (a printed patient roster is PHI), it has no
/// records; a scan without text, or a broken PDF, leaves the PHI facts unknown, not an error.
#[test]
fn pdf_exports_are_scanned_as_text() {
    let f = scan("recorded/weak/exports/patient_roster_2026-11.pdf", "");
    assert_eq!(f.format.as_deref(), Some("pdf"));
    assert!(f.error.is_none(), "{:?}", f.error);
    assert_eq!(f.records, None);
    let phi = f.phi.as_ref().expect("the text layer was scanned");
    assert_eq!(phi.types.phone.count, 29, "30 numbers, one with an N11 exchange");
    assert!(phi.types.phone.samples.iter().all(|s| s.starts_with("(***) ***-")));
    // A PDF written by LibreOffice (compressed streams look random: still a PDF, not "unknown
    // encryption"), with no PHI in it.
    let f = scan("evidence/baa/complete.pdf", "");
    assert_eq!(
        (f.format.as_deref(), f.encrypted, f.encryption.as_deref()),
        (Some("pdf"), Some(false), None)
    );
    assert_eq!(f.phi.as_ref().map(|p| p.types.ssn.count), Some(0));
    // Over the 64 MiB cap: hashed whole, not held in memory, PHI unknown.
    let d = tempfile::tempdir().unwrap();
    let mut big = b"%PDF-1.4\n".to_vec();
    big.resize(65 * 1024 * 1024, b' ');
    std::fs::write(d.path().join("big.pdf"), &big).unwrap();
    let m = manifest_in(d.path(), "[[export]]\npath = \"big.pdf\"\n");
    let (f, input) = export::scan_export(&m, &m.export[0], as_of());
    assert_eq!((f.format.as_deref(), f.error.as_deref()), (Some("pdf"), None));
    assert!(f.phi.is_none());
    assert_eq!(input.bytes, Some(big.len() as u64), "the whole file is hashed");
    for bad in ["evidence/bad/scan.pdf", "evidence/bad/corrupt.pdf"] {
        let f = scan(bad, "");
        assert_eq!(f.format.as_deref(), Some("pdf"), "{bad}");
        assert!(f.error.is_none(), "{bad}: {:?}", f.error);
        assert!(f.phi.is_none(), "{bad}: nothing to scan, so nothing known");
    }
}
