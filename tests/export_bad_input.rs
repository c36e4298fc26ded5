//! Export scanner on hostile input, each bounded by a short timeout: deeply nested JSON and
//! NDJSON (no stack overflow), a FIFO whose writer stops mid-row, a file truncated by another
//! thread while it is read, and an XLSX workbook past the buffering cap.

use std::io::Write;
use std::path::Path;
use std::sync::mpsc;
use std::time::Duration;

use chrono::NaiveDate;
use vetter::facts::ExportFacts;
use vetter::manifest;
use vetter::probe::export;

use crate::support::within;

fn scan_file(dir: &Path, name: &str) -> ExportFacts {
    let path = dir.join("vendor.toml");
    std::fs::write(
        &path,
        format!("[vendor]\nname = \"Bad\"\n\n[[export]]\npath = \"{name}\"\n"),
    )
    .unwrap();
    let m = manifest::load(&path).unwrap();
    export::scan_export(&m, &m.export[0], NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()).0
}

#[test]
fn deeply_nested_json_is_a_parse_error_not_a_stack_overflow() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path().to_path_buf();
    // A top-level array holding one good record, then 5 MB of nesting.
    let mut json = String::from("[{\"ssn\":\"219-45-6789\"},");
    json.push_str(&"[".repeat(2_500_000));
    json.push_str(&"]".repeat(2_500_000));
    json.push(']');
    std::fs::write(dir.join("deep.json"), &json).unwrap();
    // NDJSON: a nested object on one line between two good lines.
    let deep_obj = "{\"a\":".repeat(200_000) + "1" + &"}".repeat(200_000);
    std::fs::write(
        dir.join("deep.ndjson"),
        format!("{{\"ssn\":\"219-45-6789\"}}\n{deep_obj}\n{{\"ssn\":\"321-45-6789\"}}\n"),
    )
    .unwrap();
    let (j, n) = within(30, move || {
        (scan_file(&dir, "deep.json"), scan_file(&dir, "deep.ndjson"))
    });
    assert_eq!(j.format.as_deref(), Some("json"));
    assert_eq!((j.records, j.parse_errors), (Some(1), Some(1)), "{j:?}");
    assert_eq!(j.phi.unwrap().types.ssn.count, 1);
    assert_eq!(j.bytes, Some(json.len() as u64), "hashed to the end");
    assert_eq!(n.format.as_deref(), Some("ndjson"));
    assert_eq!((n.records, n.parse_errors), (Some(2), Some(1)), "{n:?}");
    assert_eq!(n.phi.unwrap().types.ssn.count, 2);
}

#[test]
fn fifo_whose_writer_stops_mid_row() {
    let d = tempfile::tempdir().unwrap();
    let fifo = d.path().join("pipe.csv");
    let ok = std::process::Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(ok.success());
    let w = fifo.clone();
    let writer = std::thread::spawn(move || {
        let mut f = std::fs::OpenOptions::new().write(true).open(&w).unwrap();
        f.write_all(b"id,ssn,notes\n1,219-45-6789,ok\n2,321-45-67").unwrap();
        // The writer goes away mid-row: the reader sees end of file.
    });
    let dir = d.path().to_path_buf();
    let f = within(20, move || scan_file(&dir, "pipe.csv"));
    writer.join().unwrap();
    assert_eq!(f.format.as_deref(), Some("csv"));
    assert_eq!(f.records, Some(2));
    assert_eq!(f.parse_errors, Some(1), "the cut row is ragged: {f:?}");
    assert_eq!(f.phi.unwrap().types.ssn.count, 1, "the cut SSN is not counted");
}

#[test]
fn fifo_that_no_writer_opens_ends_with_an_error() {
    let d = tempfile::tempdir().unwrap();
    let fifo = d.path().join("never.csv");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let path = d.path().join("vendor.toml");
    std::fs::write(&path, "[vendor]\nname = \"Bad\"\n\n[[export]]\npath = \"never.csv\"\n").unwrap();
    let started = std::time::Instant::now();
    let f = within(20, move || {
        let m = manifest::load(&path).unwrap();
        let as_of = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        export::scan_export_with(&m, &m.export[0], as_of, Duration::from_millis(500)).0
    });
    assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
    let err = f.error.as_deref().unwrap_or_default();
    assert!(err.contains("never.csv") && err.contains("FIFO"), "{f:?}");
    assert_eq!((f.sha256, f.phi), (None, None), "nothing was read, nothing is claimed");
    assert!(fifo.exists(), "the FIFO is left as it was");
}

#[test]
fn fifo_whose_writer_stalls_ends_with_an_error() {
    let d = tempfile::tempdir().unwrap();
    let fifo = d.path().join("stall.csv");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let w = fifo.clone();
    let (done_tx, done_rx) = mpsc::channel::<()>();
    let writer = std::thread::spawn(move || {
        let mut f = std::fs::OpenOptions::new().write(true).open(&w).unwrap();
        f.write_all(b"id,ssn\n1,219-45-6789\n").unwrap();
        // Holds the FIFO open without writing until the reader has given up.
        let _ = done_rx.recv_timeout(Duration::from_secs(15));
    });
    let path = d.path().join("vendor.toml");
    std::fs::write(&path, "[vendor]\nname = \"Bad\"\n\n[[export]]\npath = \"stall.csv\"\n").unwrap();
    let f = within(20, move || {
        let m = manifest::load(&path).unwrap();
        let as_of = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        export::scan_export_with(&m, &m.export[0], as_of, Duration::from_millis(500)).0
    });
    let _ = done_tx.send(());
    writer.join().unwrap();
    assert!(f.error.as_deref().unwrap_or_default().contains("FIFO"), "{f:?}");
}

#[test]
fn file_truncated_while_read_is_reported() {
    let d = tempfile::tempdir().unwrap();
    let path = d.path().join("shrinks.csv");
    let mut body = String::from("id,ssn,notes\n");
    let mut i = 0u64;
    while body.len() < 40 << 20 {
        body.push_str(&format!("{i},219-45-{:04},follow up in two weeks\n", 1000 + i % 9000));
        i += 1;
    }
    std::fs::write(&path, &body).unwrap();
    let p = path.clone();
    // Another thread cuts the file to 1 MB while the scan is under way: once the scan holds
    // the file open (seen in /proc/self/fd, so a slow start on a loaded machine cannot let the
    // cut come first), 20 ms in; a debug-build scan of 40 MB takes seconds.
    let cutter = std::thread::spawn(move || {
        let open = || {
            std::fs::read_dir("/proc/self/fd")
                .into_iter()
                .flatten()
                .flatten()
                .any(|e| std::fs::read_link(e.path()).is_ok_and(|t| t == p))
        };
        for _ in 0..60_000 {
            if open() {
                break;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        std::thread::sleep(Duration::from_millis(20));
        std::fs::OpenOptions::new()
            .write(true)
            .open(&p)
            .unwrap()
            .set_len(1 << 20)
            .unwrap();
    });
    let dir = d.path().to_path_buf();
    let f = within(60, move || scan_file(&dir, "shrinks.csv"));
    cutter.join().unwrap();
    let err = f.error.expect("a truncation is an error");
    assert!(err.contains("changed while being read"), "{err}");
    assert!(err.contains("shrinks.csv"), "{err}");
    assert!(f.bytes.unwrap() < body.len() as u64);
    assert!(!err.contains("219-45"), "no PHI in errors: {err}");
}

fn root_fixture(rel: &str) -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(rel)
}

#[test]
fn xlsx_cells_are_scanned_like_the_csv() {
    let d = tempfile::tempdir().unwrap();
    std::fs::copy(root_fixture("exports/phi-heavy.xlsx"), d.path().join("w.xlsx")).unwrap();
    let dir = d.path().to_path_buf();
    let x = within(20, move || scan_file(&dir, "w.xlsx"));
    assert_eq!(x.error, None);
    assert_eq!(
        (x.format.as_deref(), x.container.as_deref()),
        (Some("xlsx"), Some("zip"))
    );
    // Three patient rows, plus one row of the metadata sheet.
    assert_eq!((x.records, x.parse_errors), (Some(4), Some(0)));
    let v = serde_json::to_value(&x.phi.unwrap().types).unwrap();
    let counts: serde_json::Map<_, _> = v
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, t)| t["count"] != 0)
        .map(|(k, t)| (k.clone(), t["count"].clone()))
        .collect();
    // The same counts as phi-heavy.csv (tests/exports.rs), dates read from date cells.
    assert_eq!(
        serde_json::Value::Object(counts),
        serde_json::json!({
            "ssn": 3, "phone": 6, "email": 3, "date_of_birth": 3, "mrn": 3, "health_plan_id": 3,
            "npi": 3, "dea": 3, "mbi": 3, "ip_address": 3, "street_address": 3, "zip": 3, "name": 6,
            "credit_card": 3, "diagnosis": 3, "date": 3
        })
    );
    let sha = vetter::probe::input::hashing::hash_file(&root_fixture("exports/phi-heavy.xlsx"))
        .unwrap()
        .0;
    assert_eq!(x.sha256.as_deref(), Some(sha.as_str()));
}

#[test]
fn xlsx_over_the_cap_is_an_error_and_still_hashed() {
    use zip::write::SimpleFileOptions;
    let d = tempfile::tempdir().unwrap();
    let path = d.path().join("big.xlsx");
    let mut z = zip::ZipWriter::new(std::fs::File::create(&path).unwrap());
    let opts = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    z.start_file("[Content_Types].xml", opts).unwrap();
    z.write_all(b"<Types/>").unwrap();
    z.start_file("xl/worksheets/sheet1.xml", opts).unwrap();
    let chunk = vec![b' '; 1 << 20];
    for _ in 0..(export::XLSX_CAP >> 20) + 2 {
        z.write_all(&chunk).unwrap();
    }
    z.finish().unwrap();
    let len = std::fs::metadata(&path).unwrap().len();
    let dir = d.path().to_path_buf();
    let x = within(60, move || scan_file(&dir, "big.xlsx"));
    assert_eq!(x.format.as_deref(), Some("xlsx"));
    assert!(
        x.error
            .as_deref()
            .is_some_and(|e| e.contains("cap") && e.contains("big.xlsx")),
        "{:?}",
        x.error
    );
    assert!(x.phi.is_none() && x.records.is_none(), "not scanned: {x:?}");
    assert_eq!(x.bytes, Some(len), "hashed to the end");
}
