//! The input layer and "no self-harm", through the binary: every file vetter reads — named by
//! the manifest or the command line — ends (a FIFO with no writer times out under `--timeout`, a
//! device is refused, a file over its kind's cap is an error naming the cap and how to raise
//! it), and no run writes over one of its inputs or through a link `init` did not make. Each
//! command runs under its own timeout so a regression fails instead of hanging.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

use super::support::{assert_no_panic, text, vetter};

/// Long enough for a debug binary on a busy machine; a hang is 20 s, then a failure.
const LIMIT: Duration = Duration::from_secs(20);

fn mkfifo(p: &Path) {
    let ok = std::process::Command::new("mkfifo").arg(p).status().unwrap();
    assert!(ok.success(), "mkfifo {}", p.display());
}

/// A manifest in `dir` with `body` after a minimal `[vendor]` table.
fn manifest(dir: &Path, body: &str) -> PathBuf {
    let p = dir.join("vendor.toml");
    std::fs::write(&p, format!("[vendor]\nname = \"Input Limits\"\n\n{body}")).unwrap();
    p
}

/// `vetter ARGS` bounded by [`LIMIT`], with `--timeout 1` (the longest wait for a pipe).
fn run_in(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = vetter();
    c.current_dir(dir)
        .args(args)
        .args(["--timeout", "1", "--quiet"])
        .timeout(LIMIT);
    for (k, v) in env {
        c.env(k, v);
    }
    let o = c.output().expect("vetter runs");
    assert_no_panic(&o);
    o
}

fn exit2(o: &Output, needles: &[&str]) -> String {
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "stdout: {}\nstderr: {err}", text(&o.stdout));
    for n in needles {
        assert!(err.contains(n), "`{n}` not in: {err}");
    }
    err
}

/// Assess `body` with `--save-facts` and return the saved facts.
fn assess_facts(dir: &Path, body: &str, env: &[(&str, &str)]) -> serde_json::Value {
    let m = manifest(dir, body);
    let facts = dir.join("facts.json");
    let o = run_in(
        dir,
        &[
            "assess",
            m.to_str().unwrap(),
            "--save-facts",
            facts.to_str().unwrap(),
            "--format",
            "json",
        ],
        env,
    );
    assert!(matches!(o.status.code(), Some(0 | 1)), "stderr: {}", text(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&facts).unwrap()).unwrap();
    v["facts"].clone()
}

fn error_of(v: &serde_json::Value) -> String {
    v["error"].as_str().unwrap_or_default().to_string()
}

// ---------------------------------------------------------------------------------------------
// Files the manifest names
// ---------------------------------------------------------------------------------------------

#[test]
fn audit_log_fifo_with_no_writer_times_out() {
    let d = tempfile::tempdir().unwrap();
    mkfifo(&d.path().join("audit.jsonl"));
    let f = assess_facts(d.path(), "[[audit_log]]\npath = \"audit.jsonl\"\n", &[]);
    let e = error_of(&f["audit_logs"][0]);
    assert!(
        e.contains("audit.jsonl") && e.contains("FIFO") && e.contains("--timeout"),
        "{e}"
    );
}

#[test]
fn evidence_fifo_with_no_writer_times_out() {
    let d = tempfile::tempdir().unwrap();
    mkfifo(&d.path().join("baa.txt"));
    let f = assess_facts(d.path(), "[[evidence]]\npath = \"baa.txt\"\nkind = \"baa\"\n", &[]);
    let e = error_of(&f["evidence"]["baa"][0]);
    assert!(e.contains("baa.txt") && e.contains("FIFO"), "{e}");
}

#[test]
fn side_file_fifos_with_no_writer_time_out() {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("audit.jsonl"), "{\"user\":\"a\",\"event\":\"read\"}\n").unwrap();
    std::fs::write(d.path().join("export.csv"), "id,name\n1,x\n").unwrap();
    for f in ["appointments.csv", "erasure.txt", "risk.pdf", "export.csv.sha256"] {
        mkfifo(&d.path().join(f));
    }
    // Checksum files beside the export are looked for: a pipe or a device there is not one.
    std::os::unix::fs::symlink("/dev/zero", d.path().join("SHA256SUMS")).unwrap();
    let f = assess_facts(
        d.path(),
        "[[export]]\npath = \"export.csv\"\nerasure = { file = \"erasure.txt\", column = \"id\" }\n\n\
         [[audit_log]]\npath = \"audit.jsonl\"\nappointments = { path = \"appointments.csv\", patient = \"p\", date = \"d\" }\n\n\
         [[attestation]]\nrule = \"hipaa-risk-analysis\"\nevidence = \"risk.pdf\"\nattested_by = \"A. B.\"\ndate = \"2026-10-02\"\n",
        &[],
    );
    assert!(error_of(&f["exports"][0]).contains("FIFO"), "{}", f["exports"][0]);
    assert!(error_of(&f["audit_logs"][0]).contains("FIFO"), "{}", f["audit_logs"][0]);
    assert_eq!(f["exports"][0]["integrity_proof"], false, "{}", f["exports"][0]);
}

#[test]
fn devices_as_export_or_audit_log_are_refused() {
    let d = tempfile::tempdir().unwrap();
    let f = assess_facts(
        d.path(),
        "[[export]]\npath = \"/dev/zero\"\n\n[[audit_log]]\npath = \"/dev/urandom\"\n\n\
         [[evidence]]\npath = \"/dev/zero\"\nkind = \"baa\"\n",
        &[],
    );
    for v in [&f["exports"][0], &f["audit_logs"][0], &f["evidence"]["baa"][0]] {
        let e = error_of(v);
        assert!(e.contains("/dev/") && e.contains("character device"), "{v}");
    }
}

/// A FIFO at `p` fed `head` then `row` until the reader goes away (EPIPE: the test harness
/// ignores SIGPIPE).
fn endless_fifo(p: PathBuf, head: &'static [u8], row: &'static [u8]) {
    mkfifo(&p);
    std::thread::spawn(move || {
        let Ok(mut f) = std::fs::OpenOptions::new().write(true).open(&p) else {
            return;
        };
        let _ = f.write_all(head);
        let rows = row.repeat(4096);
        while f.write_all(&rows).is_ok() {}
    });
}

#[test]
fn endless_fifos_stop_at_the_cap() {
    let d = tempfile::tempdir().unwrap();
    endless_fifo(d.path().join("endless.csv"), b"id,notes\n", b"1,just a note\n");
    endless_fifo(
        d.path().join("endless.jsonl"),
        b"",
        b"{\"user\":\"a\",\"event\":\"read\",\"ts\":\"2026-11-01T10:00:00Z\"}\n",
    );
    let f = assess_facts(
        d.path(),
        "[[export]]\npath = \"endless.csv\"\n\n[[audit_log]]\npath = \"endless.jsonl\"\n",
        &[("VETTER_MAX_EXPORT_BYTES", "1M"), ("VETTER_MAX_AUDIT_LOG_BYTES", "1M")],
    );
    let e = error_of(&f["exports"][0]);
    assert!(e.contains("1 MiB cap") && e.contains("VETTER_MAX_EXPORT_BYTES"), "{e}");
    let e = error_of(&f["audit_logs"][0]);
    assert!(
        e.contains("1 MiB cap") && e.contains("VETTER_MAX_AUDIT_LOG_BYTES"),
        "{e}"
    );
}

// ---------------------------------------------------------------------------------------------
// Files the command line names
// ---------------------------------------------------------------------------------------------

#[test]
fn assess_a_device_is_refused() {
    let d = tempfile::tempdir().unwrap();
    let o = run_in(d.path(), &["assess", "/dev/zero"], &[]);
    exit2(&o, &["/dev/zero", "character device"]);
}

#[test]
fn manifest_fifo_with_no_writer_times_out() {
    let d = tempfile::tempdir().unwrap();
    let fifo = d.path().join("vendor.toml");
    mkfifo(&fifo);
    let o = run_in(d.path(), &["assess", fifo.to_str().unwrap()], &[]);
    exit2(&o, &["vendor.toml", "FIFO"]);
}

#[test]
fn a_trickling_fifo_read_whole_ends_at_the_timeout() {
    let d = tempfile::tempdir().unwrap();
    let fifo = d.path().join("vendor.toml");
    mkfifo(&fifo);
    let w = fifo.clone();
    // A byte every 100 ms, for ever: never stalls long enough for the per-read wait.
    std::thread::spawn(move || {
        let Ok(mut f) = std::fs::OpenOptions::new().write(true).open(&w) else {
            return;
        };
        let _ = f.write_all(b"[vendor]\nname = \"slow\"\n");
        while f.write_all(b"#").is_ok() {
            std::thread::sleep(Duration::from_millis(100));
        }
    });
    let o = run_in(d.path(), &["assess", fifo.to_str().unwrap()], &[]);
    exit2(&o, &["vendor.toml", "did not finish within 1 s", "--timeout"]);
}

#[test]
fn manifest_over_its_cap_names_the_cap_and_the_variable() {
    let d = tempfile::tempdir().unwrap();
    let m = manifest(d.path(), &format!("# {}\n", "x".repeat(2000)));
    let o = run_in(
        d.path(),
        &["assess", m.to_str().unwrap()],
        &[("VETTER_MAX_MANIFEST_BYTES", "1K")],
    );
    exit2(&o, &["vendor.toml", "1 KiB cap", "VETTER_MAX_MANIFEST_BYTES"]);
    let o = run_in(
        d.path(),
        &["assess", m.to_str().unwrap()],
        &[("VETTER_MAX_MANIFEST_BYTES", "lots")],
    );
    exit2(&o, &["VETTER_MAX_MANIFEST_BYTES", "not a byte count"]);
}

#[test]
fn command_line_devices_and_fifos_are_refused_or_time_out() {
    let d = tempfile::tempdir().unwrap();
    let m = manifest(d.path(), "");
    let m = m.to_str().unwrap();
    let fifo = d.path().join("pipe");
    mkfifo(&fifo);
    let fifo = fifo.to_str().unwrap();
    for (args, needle) in [
        (vec!["eval", "/dev/zero"], "character device"),
        (vec!["eval", fifo], "FIFO"),
        (vec!["diff", "/dev/zero", "/dev/zero"], "character device"),
        (vec!["verify", fifo], "FIFO"),
        (vec!["assess", m, "--baseline", "/dev/urandom"], "character device"),
        (vec!["assess", m, "--waivers", "/dev/zero"], "character device"),
        (vec!["assess", m, "--waivers", fifo], "FIFO"),
        (vec!["assess", m, "--rules", "/dev/zero"], "character device"),
        (vec!["assess", m, "--rules", fifo], "FIFO"),
        (vec!["rules", "check", fifo], "FIFO"),
        (vec!["assess", m, "--ca-file", "/dev/zero"], "character device"),
        (vec!["assess", m, "--ca-file", fifo], "FIFO"),
    ] {
        let o = run_in(d.path(), &args, &[]);
        let err = exit2(&o, &[needle]);
        assert!(
            err.contains("/dev/") || err.contains("pipe"),
            "{args:?}: names the file: {err}"
        );
    }
}

#[test]
fn ca_file_over_its_cap_is_refused() {
    let d = tempfile::tempdir().unwrap();
    let m = manifest(d.path(), "");
    let ca = d.path().join("ca.pem");
    std::fs::write(&ca, vec![b'#'; 2 * 1024 * 1024]).unwrap();
    let o = run_in(
        d.path(),
        &["assess", m.to_str().unwrap(), "--ca-file", ca.to_str().unwrap()],
        &[],
    );
    exit2(&o, &["ca.pem", "1 MiB cap", "VETTER_MAX_CA_FILE_BYTES"]);
}

#[test]
fn verify_is_bounded_on_inputs_that_became_pipes_or_devices() {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("export.csv"), "id,name\n1,x\n").unwrap();
    std::fs::write(d.path().join("audit.jsonl"), "{\"user\":\"a\",\"event\":\"read\"}\n").unwrap();
    let m = manifest(
        d.path(),
        "[[export]]\npath = \"export.csv\"\n\n[[audit_log]]\npath = \"audit.jsonl\"\n",
    );
    let report = d.path().join("report.json");
    let o = run_in(
        d.path(),
        &["assess", m.to_str().unwrap(), "-o", report.to_str().unwrap()],
        &[],
    );
    assert!(matches!(o.status.code(), Some(0 | 1)), "{}", text(&o.stderr));
    // The export becomes a FIFO no one writes, the audit log a link to an endless device.
    std::fs::remove_file(d.path().join("export.csv")).unwrap();
    mkfifo(&d.path().join("export.csv"));
    std::fs::remove_file(d.path().join("audit.jsonl")).unwrap();
    std::os::unix::fs::symlink("/dev/zero", d.path().join("audit.jsonl")).unwrap();
    let o = run_in(d.path(), &["verify", report.to_str().unwrap()], &[]);
    let out = text(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "{out}{}", text(&o.stderr));
    assert!(out.contains("UNREADABLE export") && out.contains("FIFO"), "{out}");
    assert!(out.contains("character device"), "{out}");
}

// ---------------------------------------------------------------------------------------------
// No self-harm
// ---------------------------------------------------------------------------------------------

#[test]
fn output_over_an_input_is_refused_and_the_input_kept() {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("export.csv"), "id,name\n1,x\n").unwrap();
    let m = manifest(d.path(), "[[export]]\npath = \"export.csv\"\n");
    let before = std::fs::read(&m).unwrap();
    let waivers = d.path().join("waivers.toml");
    std::fs::write(&waivers, "").unwrap();
    let ms = m.to_str().unwrap();
    // The same file by another spelling, through a link, or as the facts file.
    std::os::unix::fs::symlink(&m, d.path().join("link.toml")).unwrap();
    for (args, needle) in [
        (vec!["assess", ms, "-o", ms], "the manifest"),
        (vec!["assess", ms, "-o", "sub/../vendor.toml"], "the manifest"),
        (vec!["assess", ms, "-o", "link.toml"], "the manifest"),
        (vec!["assess", ms, "-o", "export.csv"], "an export"),
        (vec!["assess", ms, "--save-facts", "export.csv"], "an export"),
        (vec!["assess", ms, "--save-facts", ms], "the manifest"),
        (
            vec!["assess", ms, "--waivers", "waivers.toml", "-o", "waivers.toml"],
            "the waiver file",
        ),
    ] {
        std::fs::create_dir_all(d.path().join("sub")).unwrap();
        let o = run_in(d.path(), &args, &[]);
        exit2(&o, &["would overwrite", needle]);
    }
    assert_eq!(std::fs::read(&m).unwrap(), before, "the manifest is untouched");
    assert_eq!(std::fs::read(d.path().join("export.csv")).unwrap(), b"id,name\n1,x\n");
}

#[test]
fn eval_output_over_its_facts_file_is_refused() {
    let d = tempfile::tempdir().unwrap();
    let facts = d.path().join("facts.json");
    std::fs::copy(super::support::root().join("fixtures/facts/strong.json"), &facts).unwrap();
    let before = std::fs::read(&facts).unwrap();
    let o = run_in(d.path(), &["eval", "facts.json", "-o", "facts.json"], &[]);
    exit2(&o, &["would overwrite the facts file"]);
    assert_eq!(std::fs::read(&facts).unwrap(), before);
}

#[test]
fn the_same_output_twice_is_refused() {
    let d = tempfile::tempdir().unwrap();
    let m = manifest(d.path(), "");
    let o = run_in(
        d.path(),
        &[
            "assess",
            m.to_str().unwrap(),
            "-f",
            "json",
            "-o",
            "r.json",
            "-f",
            "html",
            "-o",
            "./r.json",
        ],
        &[],
    );
    exit2(&o, &["same file", "r.json"]);
    assert!(!d.path().join("r.json").exists(), "nothing written");
}

#[test]
fn init_does_not_write_through_a_link() {
    let d = tempfile::tempdir().unwrap();
    let target = d.path().join("elsewhere.md");
    std::os::unix::fs::symlink(&target, d.path().join("EVIDENCE-REQUEST.md")).unwrap();
    for force in [false, true] {
        let mut args = vec!["init", "."];
        if force {
            args.push("--force");
        }
        let o = run_in(d.path(), &args, &[]);
        exit2(&o, &["EVIDENCE-REQUEST.md", "symbolic link"]);
        assert!(!target.exists(), "the link's target was not created (force: {force})");
    }
    assert!(
        !d.path().join("vendor.toml").exists(),
        "nothing written when one file is refused"
    );
}
