//! Output flags (issue 13): `-o -` is stdout, an extension that names no format is refused
//! unless `--format` says which, every subcommand refuses formats it cannot write, written files
//! are named on stderr; a threshold failure says why on stderr.

use std::path::Path;

use crate::support::*;

fn sample() -> String {
    root().join("fixtures/vendors/sample/vendor.toml").display().to_string()
}

/// vetter in `dir` (so a stray file named `-` would land there).
fn run_in(dir: &Path, args: &[&str]) -> std::process::Output {
    let o = vetter()
        .current_dir(dir)
        .args(args)
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .unwrap();
    assert_no_panic(&o);
    o
}

#[test]
fn dash_output_is_stdout() {
    let d = tempfile::tempdir().unwrap();
    let o = run_in(d.path(), &["assess", &sample(), "--format", "json", "-o", "-"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON on stdout");
    assert_eq!(r["vendor"]["name"], "Sample Clinic Messaging");
    assert!(!d.path().join("-").exists(), "no file named -");
    assert_eq!(text(&o.stderr), "", "stdout is not a written file");
}

#[test]
fn unknown_output_extension_is_refused_unless_format_says_which() {
    let d = tempfile::tempdir().unwrap();
    let o = run_in(d.path(), &["assess", &sample(), "-o", "report.pdf"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    assert_eq!(
        text(&o.stderr),
        "error: cannot tell the format of --output report.pdf from `.pdf`\n  \
         help: name the file for its format (.txt, .json, .md, .sarif, .xml, .html, .oscal.json), \
         or say which with --format, e.g. --format html --output report.pdf\n"
    );
    assert!(!d.path().join("report.pdf").exists());
    let o = run_in(d.path(), &["assess", &sample(), "--format", "html", "-o", "report.pdf"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert_eq!(text(&o.stderr), "wrote report.pdf\n");
    assert!(
        std::fs::read_to_string(d.path().join("report.pdf"))
            .unwrap()
            .contains("<html")
    );
}

#[test]
fn subcommands_refuse_formats_they_cannot_write() {
    let d = tempfile::tempdir().unwrap();
    let r = d.path().join("r.json");
    let o = run_in(d.path(), &["assess", "-q", &sample(), "-o", r.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let r = r.to_str().unwrap();
    for (args, want) in [
        (
            vec!["diff", r, r, "--format", "html"],
            "`vetter diff` cannot write --format html; it writes table, json",
        ),
        (
            vec!["rules", "list", "--format", "sarif"],
            "`vetter rules list` cannot write --format sarif; it writes table, json",
        ),
        (
            vec!["rules", "check", "rules", "--format", "json"],
            "`vetter rules check` cannot write --format json; it writes table",
        ),
        (vec!["init", "x", "--format", "json"], "`vetter init` takes no --format"),
        (
            vec!["completions", "bash", "--format", "json"],
            "`vetter completions` takes no --format",
        ),
        (
            vec!["verify", r, "--format", "junit"],
            "`vetter verify` cannot write --format junit; it writes table, json",
        ),
        (
            vec!["diff", r, r, "-o", "d.html"],
            "`vetter diff` cannot write --format html; it writes table, json",
        ),
        (vec!["init", "x", "-o", "y.txt"], "`vetter init` takes no --output"),
    ] {
        let o = run_in(d.path(), &args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", text(&o.stderr));
        assert!(text(&o.stderr).contains(want), "{args:?}: {}", text(&o.stderr));
    }
    assert!(!d.path().join("x").exists(), "init wrote nothing");
}

#[test]
fn rules_list_writes_the_named_file_and_names_it() {
    let d = tempfile::tempdir().unwrap();
    let o = run_in(d.path(), &["rules", "list", "-o", "x.json"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(o.stdout.is_empty(), "{}", text(&o.stdout));
    assert_eq!(text(&o.stderr), "wrote x.json\n");
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(d.path().join("x.json")).unwrap()).unwrap();
    assert!(v.as_array().unwrap().iter().any(|r| r["id"] == "hipaa-log-parse"));
    let o = run_in(d.path(), &["rules", "list", "-q", "-o", "y.txt"]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(text(&o.stderr), "", "--quiet names nothing");
    assert!(
        std::fs::read_to_string(d.path().join("y.txt"))
            .unwrap()
            .contains("hipaa-log-parse")
    );
}

#[test]
fn every_written_file_is_named_on_stderr() {
    let d = tempfile::tempdir().unwrap();
    let o = run_in(
        d.path(),
        &[
            "assess",
            &sample(),
            "-o",
            "r.html",
            "-o",
            "r.json",
            "--save-facts",
            "f.json",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert_eq!(text(&o.stderr), "wrote f.json\nwrote r.html\nwrote r.json\n");
}
