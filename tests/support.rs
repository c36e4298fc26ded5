//! Helpers shared by the integration tests.

use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `vetter` with a fixed clock for reports and no colour.
pub fn vetter() -> Command {
    let mut c = Command::cargo_bin("vetter").expect("binary builds");
    c.current_dir(root())
        .env("SOURCE_DATE_EPOCH", "1795000000")
        .env("NO_COLOR", "1")
        .env_remove("COLUMNS");
    c.timeout(std::time::Duration::from_secs(60));
    c
}

pub fn run(args: &[&str]) -> Output {
    vetter().args(args).output().expect("vetter runs")
}

pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).to_string()
}

/// Every output must be free of panics.
pub fn assert_no_panic(o: &Output) {
    let err = text(&o.stderr);
    assert!(!err.contains("panicked"), "panic: {err}");
    assert!(o.status.code().is_some(), "killed by a signal: {err}");
}

pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        let p = e.path();
        let dest = to.join(e.file_name());
        if p.is_dir() {
            copy_dir(&p, &dest);
        } else {
            std::fs::copy(&p, &dest).unwrap();
        }
    }
}

/// Run `f` on its own thread (a big stack is *not* given: overflow must not happen on the
/// default one) and fail if it has not finished after `secs` — a hang guard, not a speed check.
pub fn within<T: Send + 'static>(secs: u64, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(std::time::Duration::from_secs(secs))
        .unwrap_or_else(|_| panic!("did not finish within {secs} s (or panicked)"))
}

/// Whether a JSON finding judges `rule`: its own rule, or one folded into it (`also`: rules of
/// the same family that agreed on the resource).
pub fn judged_by(f: &serde_json::Value, rule: &str) -> bool {
    f["rule"] == rule || f["also"].as_array().is_some_and(|a| a.iter().any(|x| x == rule))
}
