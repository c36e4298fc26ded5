//! Every finding of the fuzz targets (`scripts/fuzz`, docs/fuzzing.md) replayed: each file
//! under `fixtures/fuzz/TARGET/` goes through the same driver the fuzzer ran, on its own
//! thread, and must finish without a panic within a generous bound (a hang found by the fuzzer
//! must not hang CI). Findings not fixed yet live in `fixtures/fuzz/TARGET/open/` and are
//! replayed by the ignored `open_findings` test.

mod drivers;

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

/// Far above any input's run time in a debug build; only a hang reaches it.
const LIMIT: Duration = Duration::from_secs(60);

fn inputs(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| rd.flatten().map(|e| e.path()).filter(|p| p.is_file()).collect())
        .unwrap_or_default();
    v.sort();
    v
}

/// Run one input through a driver; `Err` says how it failed.
fn run(driver: drivers::Driver, bytes: Vec<u8>) -> Result<(), String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let outcome = std::panic::catch_unwind(|| driver(&bytes));
        let _ = tx.send(outcome.is_ok());
    });
    match rx.recv_timeout(LIMIT) {
        Ok(true) => Ok(()),
        Ok(false) => Err("panicked".into()),
        Err(_) => Err(format!("did not finish within {} s", LIMIT.as_secs())),
    }
}

/// Replay a target's findings (and the empty input, so every driver runs at least once).
fn replay(target: &str, dir: &Path) -> Vec<String> {
    let driver = drivers::TARGETS
        .iter()
        .find(|(n, _)| *n == target)
        .map(|(_, d)| *d)
        .expect("a known target");
    let mut failed = Vec::new();
    if let Err(e) = run(driver, Vec::new()) {
        failed.push(format!("{target}: the empty input {e}"));
    }
    for p in inputs(dir) {
        let bytes = std::fs::read(&p).expect("a readable finding");
        if let Err(e) = run(driver, bytes) {
            failed.push(format!("{}: {e}", p.display()));
        }
    }
    failed
}

fn findings(target: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/fuzz").join(target)
}

macro_rules! replay_tests {
    ($($t:ident),* $(,)?) => {$(
        #[test]
        fn $t() {
            let failed = replay(stringify!($t), &findings(stringify!($t)));
            assert!(failed.is_empty(), "{}", failed.join("\n"));
        }
    )*};
}

replay_tests!(
    tls_hello,
    cert,
    export_stream,
    export_csv,
    export_ndjson,
    export_json,
    export_xlsx,
    phi,
    text_pdf,
    text_docx,
    text_markup,
    manifest,
    waivers,
    rule_pack,
    facts,
    report,
);

/// Every target has a replay test above (a target added to the drivers without one fails).
#[test]
fn every_target_is_replayed() {
    let tested = [
        "tls_hello",
        "cert",
        "export_stream",
        "export_csv",
        "export_ndjson",
        "export_json",
        "export_xlsx",
        "phi",
        "text_pdf",
        "text_docx",
        "text_markup",
        "manifest",
        "waivers",
        "rule_pack",
        "facts",
        "report",
    ];
    for (name, _) in drivers::TARGETS {
        assert!(tested.contains(name), "no replay test for fuzz target {name}");
    }
}

/// Findings not fixed yet (each listed in docs/fuzzing.md with its owner module).
#[test]
#[ignore = "open fuzz findings: see docs/fuzzing.md"]
fn open_findings() {
    let mut failed = Vec::new();
    for (target, _) in drivers::TARGETS {
        failed.extend(replay(target, &findings(target).join("open")));
    }
    assert!(failed.is_empty(), "{}", failed.join("\n"));
}
