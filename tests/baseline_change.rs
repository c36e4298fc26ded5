//! Baselines that survive change (issue 16): vendors added to or removed from a portfolio are
//! reported, not fatal; `--write-baseline`, `--update-baseline` and `--baseline-optional`
//! write one; every bad combination is exit 2 naming the place and the fix.

use std::path::Path;

use crate::support::*;

fn vendor(dir: &Path, sub: &str, name: &str) {
    std::fs::create_dir_all(dir.join(sub)).unwrap();
    std::fs::write(
        dir.join(sub).join("vendor.toml"),
        format!("[vendor]\nname = \"{name}\"\n"),
    )
    .unwrap();
}

fn names(file: &Path) -> Vec<String> {
    let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
    match v.get("reports") {
        Some(rs) => rs
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["vendor"]["name"].as_str().unwrap().to_string())
            .collect(),
        None => vec![v["vendor"]["name"].as_str().unwrap().to_string()],
    }
}

const AS_OF: [&str; 2] = ["--as-of", "2026-11-23"];

#[test]
fn portfolio_gains_and_loses_vendors_and_the_baseline_follows() {
    let dir = tempfile::tempdir().unwrap();
    let vendors = dir.path().join("vendors");
    vendor(&vendors, "a", "Alpha Labs");
    vendor(&vendors, "b", "Beta Billing");
    let base = dir.path().join("baseline.json");
    let (v, b) = (vendors.to_str().unwrap(), base.to_str().unwrap());

    // Record the portfolio: nothing compared, the file names both vendors.
    let o = run(&[
        "assess",
        v,
        "-q",
        "--format",
        "json",
        "--write-baseline",
        b,
        AS_OF[0],
        AS_OF[1],
    ]);
    assert_no_panic(&o);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert_eq!(text(&o.stderr), "", "--quiet names no file");
    assert_eq!(names(&base), ["Alpha Labs", "Beta Billing"]);
    assert_eq!(
        std::fs::read(&base).unwrap(),
        o.stdout,
        "the baseline is the run's JSON report"
    );

    // Beta is renamed, Gamma added: two vendors the baseline cannot pair, neither fatal.
    std::fs::write(vendors.join("b/vendor.toml"), "[vendor]\nname = \"Beta Billing Inc\"\n").unwrap();
    vendor(&vendors, "c", "Gamma Imaging");
    let o = run(&[
        "assess",
        v,
        "-q",
        "--baseline",
        b,
        "--update-baseline",
        AS_OF[0],
        AS_OF[1],
    ]);
    assert_no_panic(&o);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let err = text(&o.stderr);
    assert!(err.starts_with("Alpha Labs: grade "), "{err}");
    assert!(
        err.ends_with(
            "new vendor, not in the baseline (not compared): Beta Billing Inc\n\
             new vendor, not in the baseline (not compared): Gamma Imaging\n\
             removed vendor, in the baseline but not in this run: Beta Billing\n"
        ),
        "{err}"
    );
    assert!(!err.contains("updated baseline"), "--quiet: {err}");
    assert_eq!(
        names(&base),
        ["Alpha Labs", "Beta Billing Inc", "Gamma Imaging"],
        "--update-baseline moved the baseline on"
    );

    // The same run again, not quiet: every vendor compared, and the update is said.
    let o = run(&[
        "assess",
        v,
        "--baseline",
        b,
        "--update-baseline",
        AS_OF[0],
        AS_OF[1],
        "-o",
        "-",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let err = text(&o.stderr);
    assert!(!err.contains("new vendor") && !err.contains("removed vendor"), "{err}");
    assert!(err.ends_with(&format!("updated baseline {b}\n")), "{err}");

    // `vetter diff` lists them too, in JSON beside the diffs.
    let two = dir.path().join("two.json");
    std::fs::remove_dir_all(vendors.join("c")).unwrap();
    let o = run(&["assess", v, "-q", "-o", two.to_str().unwrap(), AS_OF[0], AS_OF[1]]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let o = run(&["diff", b, two.to_str().unwrap(), "--format", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let d: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(d["diffs"].as_array().unwrap().len(), 2);
    assert_eq!(d["new_vendors"], serde_json::json!([]));
    assert_eq!(d["removed_vendors"], serde_json::json!(["Gamma Imaging"]));
}

#[test]
fn update_baseline_never_moves_to_a_worse_run() {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("b.json");
    let b = base.to_str().unwrap();
    let o = run(&["eval", "fixtures/facts/strong.json", "-q", "--write-baseline", b]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let before = std::fs::read(&base).unwrap();

    // weak against strong: regressions, exit 1, the file untouched and the reason said.
    let o = run(&["eval", "fixtures/facts/weak.json", "--baseline", b, "--update-baseline"]);
    assert_no_panic(&o);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    let err = text(&o.stderr);
    assert!(err.contains("regressions against baseline"), "{err}");
    let last = err.lines().last().unwrap();
    assert!(
        last.starts_with(&format!("note: baseline {b} not updated: the comparison found "))
            && last.ends_with(" regressions; to accept them, write a new baseline with --write-baseline"),
        "{last}"
    );
    assert_eq!(
        std::fs::read(&base).unwrap(),
        before,
        "a regressing run left the baseline alone"
    );

    // Accepting them is deliberate: --write-baseline to the file, without --baseline.
    let o = run(&[
        "eval",
        "fixtures/facts/weak.json",
        "--format",
        "json",
        "-q",
        "--write-baseline",
        b,
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert_eq!(std::fs::read(&base).unwrap(), o.stdout, "the file holds weak's report");
    // From there, weak again is no regression: the update goes through and is said.
    std::fs::write(&base, std::fs::read_to_string(&base).unwrap().replace("\n", "\n ")).unwrap();
    let o = run(&[
        "eval",
        "fixtures/facts/weak.json",
        "--format",
        "json",
        "--baseline",
        b,
        "--update-baseline",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(
        text(&o.stderr).ends_with(&format!("updated baseline {b}\n")),
        "{}",
        text(&o.stderr)
    );
    assert_eq!(
        std::fs::read(&base).unwrap(),
        o.stdout,
        "rewritten with this run's report"
    );
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .filter(|n| n != "b.json")
        .collect();
    assert!(leftovers.is_empty(), "no temporary file left: {leftovers:?}");
}

#[test]
fn baseline_optional_starts_a_missing_baseline_only() {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("first.json");
    let b = base.to_str().unwrap();
    // A missing baseline without the flag: exit 2, naming the file and both ways out.
    let o = run(&["eval", "fixtures/facts/weak.json", "--baseline", b]);
    assert_no_panic(&o);
    assert_eq!(o.status.code(), Some(2));
    let err = text(&o.stderr);
    assert!(err.contains(&format!("{b}: cannot read report")), "{err}");
    assert!(
        err.contains("help: to start a baseline when there is none yet, add --baseline-optional")
            && err.contains(&format!("--write-baseline {b}")),
        "{err}"
    );
    assert!(o.stdout.is_empty());

    // With it: no comparison, the file written, thresholds still decide (exit 1), a note.
    let o = run(&[
        "eval",
        "fixtures/facts/weak.json",
        "--baseline",
        b,
        "--baseline-optional",
        "--fail-under",
        "90",
        "--format",
        "json",
    ]);
    assert_no_panic(&o);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    let err = text(&o.stderr);
    assert!(!err.contains("regression"), "nothing was compared: {err}");
    assert!(
        err.contains(&format!(
            "note: baseline {b} did not exist: started it from this run (nothing was compared)\n"
        )),
        "{err}"
    );
    assert!(err.contains("is under --fail-under 90"), "{err}");
    assert_eq!(std::fs::read(&base).unwrap(), o.stdout, "the baseline is the report");

    // Now it exists: compared as usual (weak against itself: no regression), not rewritten.
    let o = run(&[
        "eval",
        "fixtures/facts/weak.json",
        "--baseline",
        b,
        "--baseline-optional",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(text(&o.stderr).contains("0 regression(s)"), "{}", text(&o.stderr));
    assert!(!text(&o.stderr).contains("note: baseline"), "{}", text(&o.stderr));

    // A file that exists but is no report is never replaced: exit 2, nothing written.
    for (name, body) in [("empty.json", ""), ("cut.json", "{\"reports\": [")] {
        let p = dir.path().join(name);
        std::fs::write(&p, body).unwrap();
        let o = run(&[
            "eval",
            "fixtures/facts/weak.json",
            "--baseline",
            p.to_str().unwrap(),
            "--baseline-optional",
            "--update-baseline",
        ]);
        assert_no_panic(&o);
        assert_eq!(o.status.code(), Some(2), "{name}");
        assert!(text(&o.stderr).contains(name), "{}", text(&o.stderr));
        assert_eq!(std::fs::read_to_string(&p).unwrap(), body, "{name} left as it was");
        assert!(o.stdout.is_empty());
    }
    // A baseline to start in a directory that does not exist: exit 2 before anything runs.
    let nowhere = dir.path().join("no/such/dir/base.json");
    let o = run(&[
        "eval",
        "fixtures/facts/weak.json",
        "--baseline",
        nowhere.to_str().unwrap(),
        "--baseline-optional",
    ]);
    assert_no_panic(&o);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("neither does the directory")
            && text(&o.stderr).contains("help: create the directory"),
        "{}",
        text(&o.stderr)
    );
    assert!(o.stdout.is_empty());
}

#[test]
fn baseline_files_never_overwrite_an_input_or_each_other() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.json");
    let g = good.to_str().unwrap();
    assert_eq!(
        run(&["eval", "fixtures/facts/weak.json", "-q", "-o", g]).status.code(),
        Some(0)
    );
    let before = std::fs::read(&good).unwrap();

    // --write-baseline over the --baseline file: the fix is --update-baseline.
    let o = run(&[
        "eval",
        "fixtures/facts/weak.json",
        "--baseline",
        g,
        "--write-baseline",
        g,
    ]);
    assert_no_panic(&o);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        text(&o.stderr),
        format!(
            "error: --write-baseline {g} would overwrite the baseline this run compares with (--baseline {g})\n  \
             help: to rewrite the baseline after the comparison, use --update-baseline instead\n"
        )
    );
    assert!(o.stdout.is_empty());
    assert_eq!(std::fs::read(&good).unwrap(), before);

    // Over the facts file the run reads.
    let facts = dir.path().join("facts.json");
    std::fs::copy(root().join("fixtures/facts/weak.json"), &facts).unwrap();
    let f = facts.to_str().unwrap();
    let o = run(&["eval", f, "--write-baseline", f]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains(&format!(
            "--write-baseline {f} would overwrite the facts file of this run"
        )),
        "{}",
        text(&o.stderr)
    );
    // The same file as a report output.
    let out = dir.path().join("out.json");
    let o = run(&[
        "eval",
        f,
        "-o",
        out.to_str().unwrap(),
        "--write-baseline",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("names the same file as --output"),
        "{}",
        text(&o.stderr)
    );
    assert!(!out.exists());

    // --update-baseline and --baseline-optional need --baseline (clap: exit 2, names it).
    for flag in ["--update-baseline", "--baseline-optional"] {
        let o = run(&["eval", f, flag]);
        assert_eq!(o.status.code(), Some(2));
        assert!(text(&o.stderr).contains("--baseline <OLD.json>"), "{}", text(&o.stderr));
    }

    // A directory given as the baseline to write: exit 2 before anything is written.
    let d = dir.path().to_str().unwrap();
    let o = run(&["eval", f, "--write-baseline", d]);
    assert_no_panic(&o);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        text(&o.stderr),
        format!("error: --write-baseline {d} is a directory\n  help: give a file name, e.g. {d}/baseline.json\n")
    );
    assert!(o.stdout.is_empty());
}
