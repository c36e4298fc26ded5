//! Byte-based progress: the runner hands each file-reading probe a sink from the observer, and
//! the reader reports its position through it up to the file's size.

use std::sync::Mutex;

use vetter::manifest;
use vetter::probe::{self, ByteSink, Observer, Task};

/// Records every file the probes start reading and the positions they report.
#[derive(Default)]
struct Recorder {
    files: Mutex<Vec<(String, u64)>>,
    positions: std::sync::Arc<Mutex<Vec<u64>>>,
}

impl Observer for Recorder {
    fn file_started(&self, _task: &Task, path: &str, total: u64) -> Option<ByteSink> {
        self.files.lock().unwrap().push((path.to_string(), total));
        let positions = self.positions.clone();
        Some(Box::new(move |pos| positions.lock().unwrap().push(pos)))
    }
}

/// Writes `file` (named `name`) and a manifest listing it as `table` beside it, runs every
/// probe with a [`Recorder`], and returns the facts and the recorder.
fn collect_one(table: &str, name: &str, file: &str) -> (vetter::facts::Facts, Recorder) {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join(name), file).unwrap();
    let path = d.path().join("vendor.toml");
    std::fs::write(
        &path,
        format!("[vendor]\nname = \"Progress\"\n\n[[{table}]]\npath = \"{name}\"\n"),
    )
    .unwrap();
    let m = manifest::load(&path).unwrap_or_else(|e| panic!("{e}"));
    let rec = Recorder::default();
    let out = probe::collect(&m, &probe::registry(), &probe::Settings::default(), &rec);
    (out.facts, rec)
}

#[test]
fn a_large_audit_log_reports_its_bytes_as_it_is_read() {
    // ~6 MB of JSONL, so the reader reports many times (it reads 256 KiB at a time).
    let mut log = String::new();
    for i in 0..40_000 {
        log.push_str(&format!(
            "{{\"ts\":\"2026-11-{:02}T10:{:02}:00Z\",\"actor\":\"user{}\",\"action\":\"read\",\"resource\":\"patient/{}\",\"outcome\":\"success\",\"padding\":\"{}\"}}\n",
            1 + i % 20,
            i % 60,
            i % 17,
            i,
            "x".repeat(80)
        ));
    }
    let (facts, rec) = collect_one("audit_log", "audit.jsonl", &log);
    assert!(facts.audit_logs[0].error.is_none(), "{:?}", facts.audit_logs[0].error);
    let files = rec.files.lock().unwrap().clone();
    assert_eq!(files, vec![("audit.jsonl".to_string(), log.len() as u64)]);
    let pos = rec.positions.lock().unwrap().clone();
    assert!(pos.len() > 10, "a 6 MB file reported only {} times", pos.len());
    assert!(pos.windows(2).all(|w| w[0] <= w[1]), "positions only grow");
    assert_eq!(
        *pos.last().unwrap(),
        log.len() as u64,
        "the last report is the whole file"
    );
}

#[test]
fn an_export_reports_its_bytes_too() {
    let mut csv = String::from("id,visit,notes\n");
    for i in 0..60_000 {
        csv.push_str(&format!(
            "{i},2026-0{}-1{},follow-up call scheduled\n",
            1 + i % 9,
            i % 9
        ));
    }
    let (facts, rec) = collect_one("export", "export.csv", &csv);
    assert!(facts.exports[0].error.is_none(), "{:?}", facts.exports[0].error);
    assert_eq!(
        rec.files.lock().unwrap().clone(),
        vec![("export.csv".to_string(), csv.len() as u64)]
    );
    let pos = rec.positions.lock().unwrap().clone();
    assert_eq!(
        pos.last().copied(),
        Some(csv.len() as u64),
        "the last report is the whole file"
    );
}
