//! `--baseline` is read before anything is written: a broken baseline exits 2 and leaves no
//! report file and nothing on stdout.

use crate::support::*;

#[test]
fn broken_baseline_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        ("truncated.json", Some("{\"reports\": [")),
        ("not-a-report.json", Some("{\"hello\": 1}")),
        ("missing.json", None),
    ];
    for (name, body) in cases {
        let base = dir.path().join(name);
        if let Some(b) = body {
            std::fs::write(&base, b).unwrap();
        }
        let json = dir.path().join(format!("{name}.out.json"));
        let html = dir.path().join(format!("{name}.out.html"));
        let b = base.to_str().unwrap();
        let outs = ["-o", json.to_str().unwrap(), "-o", html.to_str().unwrap()];
        let manifest = root().join("fixtures/vendors/sample/vendor.toml");
        let eval_args = ["eval", "fixtures/facts/weak.json", "--baseline", b];
        let assess_args = ["assess", "-q", manifest.to_str().unwrap(), "--baseline", b];
        for args in [&eval_args[..], &assess_args[..]] {
            let mut all: Vec<&str> = args.to_vec();
            all.extend_from_slice(&outs);
            let o = run(&all);
            assert_no_panic(&o);
            assert_eq!(o.status.code(), Some(2), "{name} {args:?}: {}", text(&o.stderr));
            assert!(
                text(&o.stderr).contains(name),
                "the error names the baseline: {}",
                text(&o.stderr)
            );
            assert!(o.stdout.is_empty(), "{name}: stdout written");
            assert!(
                !json.exists() && !html.exists(),
                "{name} {args:?}: a report was written"
            );
            // Without an output file the report would go to stdout: still nothing.
            let o = run(args);
            assert_eq!(o.status.code(), Some(2));
            assert!(o.stdout.is_empty(), "{name}: report printed despite a broken baseline");
        }
    }
    // A good baseline still works and the report is written.
    let good = dir.path().join("good.json");
    let o = run(&["eval", "fixtures/facts/weak.json", "-o", good.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0));
    let out = dir.path().join("new.html");
    let o = run(&[
        "eval",
        "fixtures/facts/weak.json",
        "--baseline",
        good.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    // weak's waiver is expired in the baseline too: not a new regression (docs/baselines.md).
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(!text(&o.stderr).contains("REGRESSION"), "{}", text(&o.stderr));
    assert!(std::fs::read_to_string(&out).unwrap().starts_with("<!doctype html>"));
}
