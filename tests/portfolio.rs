//! Portfolio runs: a directory of vendors, assessed in parallel, ending in one ranked table;
//! JSON `{"reports": [...]}` in the order given; exit code the worst vendor's.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::support::*;

const SAMPLE_MANIFEST: &str = "fixtures/vendors/sample/vendor.toml";

fn vendor(dir: &Path, sub: &str, toml: &str) {
    std::fs::create_dir_all(dir.join(sub)).unwrap();
    std::fs::write(dir.join(sub).join("vendor.toml"), toml).unwrap();
}

/// Three vendors: the bundled sample's files without its endpoint, a bare one, one overdue.
fn portfolio(dir: &Path) {
    copy_dir(&root().join("fixtures/vendors/sample"), &dir.join("a-sample"));
    let m = dir.join("a-sample/vendor.toml");
    let text = std::fs::read_to_string(&m).unwrap();
    let start = text.find("[[endpoint]]").unwrap();
    let end = start + text[start..].find("\n\n").unwrap() + 2;
    std::fs::write(&m, format!("{}{}", &text[..start], &text[end..])).unwrap();
    vendor(dir, "b-bare", "[vendor]\nname = \"Bare Vendor\"\n");
    vendor(
        dir,
        "c-overdue",
        "[vendor]\nname = \"Overdue Vendor\"\nnext_review = \"2025-01-01\"\n\n[[evidence]]\npath = \"corrupt.pdf\"\nkind = \"soc2\"\n",
    );
    // A document that is there but cannot be read: its findings are errors (a missing one
    // would stop the run before probing).
    std::fs::copy(
        root().join("fixtures/evidence/bad/corrupt.pdf"),
        dir.join("c-overdue/corrupt.pdf"),
    )
    .unwrap();
    std::fs::create_dir_all(dir.join("not-a-vendor")).unwrap();
}

#[test]
fn directory_portfolio_ranked_table_and_json() {
    let dir = tempfile::tempdir().unwrap();
    portfolio(dir.path());
    let d = dir.path().to_str().unwrap();
    let o = run(&["assess", "-q", d, "--as-of", "2026-11-23", "--format", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let p: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let reports = p["reports"].as_array().unwrap();
    let names: Vec<&str> = reports.iter().map(|r| r["vendor"]["name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        ["Sample Clinic Messaging", "Bare Vendor", "Overdue Vendor"],
        "sorted by directory"
    );

    // Same reports whatever the parallelism.
    let o1 = run(&[
        "assess",
        "-q",
        d,
        "--as-of",
        "2026-11-23",
        "--format",
        "json",
        "--concurrency",
        "1",
    ]);
    assert_eq!(o1.stdout, o.stdout, "--concurrency 1 and 16 give the same portfolio");

    // The expected ranking, computed from the JSON: grade, then score (best first).
    let mut expected: Vec<(String, f64, &str)> = reports
        .iter()
        .map(|r| {
            (
                r["score"]["grade"].as_str().unwrap().to_string(),
                r["score"]["overall"].as_f64().unwrap(),
                r["vendor"]["name"].as_str().unwrap(),
            )
        })
        .collect();
    expected.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.total_cmp(&a.1)).then(a.2.cmp(b.2)));

    let o = run(&["assess", "-q", d, "--as-of", "2026-11-23"]);
    assert_eq!(o.status.code(), Some(0));
    let out = text(&o.stdout);
    let table = &out[out
        .find("Portfolio: 3 vendors, best first")
        .expect("ranked table at the end")..];
    for h in [
        "Vendor",
        "Grade",
        "Score",
        "Worst category",
        "Critical failures",
        "Next review due",
    ] {
        assert!(table.contains(h), "column {h}");
    }
    let rows: Vec<&str> = table.lines().filter(|l| l.starts_with("│ ")).skip(1).collect();
    assert_eq!(rows.len(), 3, "{table}");
    for (i, (grade, score, name)) in expected.iter().enumerate() {
        let row = rows[i];
        assert!(
            row.contains(name) && row.contains(&format!(" {grade} ")),
            "rank {}: {row}",
            i + 1
        );
        assert!(row.contains(&format!("{score:.1}")), "{row}");
        let r = reports.iter().find(|r| r["vendor"]["name"] == *name).unwrap();
        let critical = r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["severity"] == "critical" && matches!(f["status"].as_str(), Some("fail" | "error")))
            .count();
        let cells: Vec<&str> = row.split('┆').map(str::trim).collect();
        assert_eq!(cells[5], critical.to_string(), "critical failures of {name}");
        let cats = r["score"]["categories"].as_object().unwrap();
        let worst = cats.values().map(|v| v.as_f64().unwrap()).fold(f64::INFINITY, f64::min);
        assert!(
            cells[4].contains(&format!("({worst:.1})")),
            "worst category of {name}: {row}"
        );
    }
    assert!(table.contains("2025-01-01 (overdue)"));
    assert!(table.contains("not set"));

    // Exit code: the worst vendor's.
    let o = run(&["assess", "-q", d, "--fail-under", "3"]);
    assert_eq!(o.status.code(), Some(1), "the bare vendors fall below 3");
}

#[test]
fn a_directory_without_vendors_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let o = run(&["assess", "-q", dir.path().to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("no */vendor.toml one level down"),
        "{}",
        text(&o.stderr)
    );
}

/// Open a FIFO for writing once a reader has it open (non-blocking, so a broken run cannot hang
/// the test), then write.
#[cfg(target_os = "linux")]
fn feed_fifo(path: &Path, deadline: Instant) -> bool {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    const O_NONBLOCK: i32 = 0o4000;
    while Instant::now() < deadline {
        match std::fs::OpenOptions::new()
            .write(true)
            .custom_flags(O_NONBLOCK)
            .open(path)
        {
            Ok(mut f) => return f.write_all(b"SOC 2 Type II report\n").is_ok(),
            // ENXIO: nobody reads it yet.
            Err(_) => std::thread::sleep(Duration::from_millis(20)),
        }
    }
    false
}

/// Vendors really run side by side: vendor A's evidence is a FIFO the test feeds only after
/// vendor B (assessed after A when run one at a time) has opened its own FIFO. One vendor at a
/// time, A would wait for ever; in parallel both finish.
#[cfg(target_os = "linux")]
#[test]
fn vendors_are_assessed_in_parallel() {
    let dir = tempfile::tempdir().unwrap();
    for v in ["a", "b"] {
        vendor(
            dir.path(),
            v,
            &format!("[vendor]\nname = \"Vendor {v}\"\n\n[[evidence]]\npath = \"soc2.txt\"\nkind = \"soc2\"\n"),
        );
        let fifo = dir.path().join(v).join("soc2.txt");
        let st = std::process::Command::new("mkfifo").arg(&fifo).status().unwrap();
        assert!(st.success());
    }
    let (a, b) = (dir.path().join("a/soc2.txt"), dir.path().join("b/soc2.txt"));
    let feeder = std::thread::spawn(move || {
        let deadline = Instant::now() + Duration::from_secs(30);
        // B first: it is only opened while A is still blocked if the vendors run in parallel.
        feed_fifo(&b, deadline) && feed_fifo(&a, deadline)
    });
    let mut c = vetter();
    c.args([
        "assess",
        "-q",
        dir.path().to_str().unwrap(),
        "--format",
        "json",
        "--concurrency",
        "2",
    ]);
    c.timeout(Duration::from_secs(40));
    let o = c.output().unwrap();
    assert!(
        feeder.join().unwrap(),
        "vendor b's evidence was never opened while a waited"
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let p: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    for r in p["reports"].as_array().unwrap() {
        let e = r["inputs"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["path"] == "soc2.txt")
            .unwrap();
        assert_eq!(e["bytes"], 21, "both vendors read their evidence");
    }
}

/// The ranking opens the JSON, HTML and Markdown portfolios too, in the terminal table's order.
#[test]
fn every_portfolio_format_opens_on_the_ranked_overview() {
    let dir = tempfile::tempdir().unwrap();
    portfolio(dir.path());
    let d = dir.path().to_str().unwrap();
    let o = run(&["assess", "-q", d, "--as-of", "2026-11-23"]);
    let out = text(&o.stdout);
    let table = &out[out.find("Portfolio: 3 vendors, best first").unwrap()..];
    let terminal: Vec<String> = table
        .lines()
        .filter(|l| l.starts_with("│ "))
        .skip(1)
        .map(|l| l.split('┆').nth(1).unwrap().trim().to_string())
        .collect();
    assert_eq!(terminal.len(), 3, "{table}");

    // JSON: `overview` beside `reports`, one row per vendor, ranked as the terminal ranks.
    let o = run(&["assess", "-q", d, "--as-of", "2026-11-23", "--format", "json"]);
    let p: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let overview = p["overview"].as_array().expect("overview array");
    let reports = p["reports"].as_array().unwrap();
    let names: Vec<&str> = overview.iter().map(|r| r["vendor"].as_str().unwrap()).collect();
    assert_eq!(names, terminal, "the terminal's order");
    for (i, row) in overview.iter().enumerate() {
        assert_eq!(row["rank"], i + 1);
        let r = &reports[row["report"].as_u64().unwrap() as usize];
        assert_eq!(r["vendor"]["name"], row["vendor"], "`report` indexes `reports`");
        assert_eq!(row["grade"], r["score"]["grade"]);
        assert_eq!(row["provisional"], r["score"]["provisional"]);
        assert_eq!(row["score"], r["score"]["overall"]);
        assert_eq!(row["coverage"], r["score"]["coverage"]);
        assert_eq!(row["next_review"], r["vendor"]["next_review"]);
        let kinds: Vec<&serde_json::Value> = r["not_supplied"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| &n["kind"])
            .collect();
        let listed: Vec<&serde_json::Value> = row["not_supplied"].as_array().unwrap().iter().collect();
        assert_eq!(listed, kinds, "missing documents of {}", row["vendor"]);
    }
    let bare = overview.iter().find(|r| r["vendor"] == "Bare Vendor").unwrap();
    assert!(
        bare["not_supplied"]
            .as_array()
            .unwrap()
            .iter()
            .any(|k| k == "evidence.soc2"),
        "{bare}"
    );
    assert_eq!(bare["provisional"], true, "{bare}");
    let overdue = overview.iter().find(|r| r["vendor"] == "Overdue Vendor").unwrap();
    assert_eq!(overdue["next_review"], "2025-01-01");
    assert_eq!(overdue["review_overdue"], true);
    // The shape is the published one.
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(root().join("docs/portfolio.schema.json")).unwrap()).unwrap();
    assert_eq!(schema, vetter::report::portfolio_schema());
    let parsed: vetter::report::Portfolio = serde_json::from_value(p.clone()).expect("reads as a Portfolio");
    assert_eq!(parsed.overview, vetter::report::portfolio::rank(&parsed.reports));

    // HTML: the overview comes before the first vendor's section and links to each one.
    let o = run(&["assess", "-q", d, "--as-of", "2026-11-23", "--format", "html"]);
    let html = text(&o.stdout);
    let start = html.find("id=\"overview\"").expect("overview section");
    assert!(start < html.find("id=\"vendor-1\"").unwrap(), "overview first");
    let rows: Vec<&str> = html[start..].split("<tr data-rank=").skip(1).collect();
    assert_eq!(rows.len(), 3);
    for (i, name) in terminal.iter().enumerate() {
        let n = reports
            .iter()
            .position(|r| r["vendor"]["name"] == name.as_str())
            .unwrap()
            + 1;
        assert!(
            rows[i].contains(&format!("<a href=\"#vendor-{n}\">{name}</a>")),
            "rank {} links to {name}'s section: {}",
            i + 1,
            rows[i]
        );
        assert!(html.contains(&format!("<h1 id=\"vendor-{n}\">{name}</h1>")));
    }
    assert!(html[start..].contains("2025-01-01 (overdue)"));
    assert!(html[start..].contains("<small>provisional</small>"));

    // Markdown: the ranked table first, then each vendor's report.
    let o = run(&["assess", "-q", d, "--as-of", "2026-11-23", "--format", "markdown"]);
    let md = text(&o.stdout);
    assert!(md.starts_with("## vetter portfolio: 3 vendors, best first"), "{md}");
    let first_report = md.find("## vetter: ").unwrap();
    let table: Vec<&str> = md[..first_report]
        .lines()
        .filter(|l| l.starts_with("| "))
        .skip(1)
        .collect();
    for (i, name) in terminal.iter().enumerate() {
        assert!(table[i].starts_with(&format!("| {} | {name} |", i + 1)), "{}", table[i]);
    }
    assert!(md[..first_report].contains("Not supplied") && md[..first_report].contains("evidence.soc2"));
}

/// `assess` of three vendors, with the full fixture's credential set.
fn assess_cmd(args: &[&str]) -> std::process::Output {
    let mut c = vetter();
    c.env("ACME_TOKEN", "Bearer not-a-secret").args(args);
    c.output().unwrap()
}

/// The "done when": a portfolio assembled from separately written JSON reports equals
/// the one `assess` makes from the same manifests, in every format.
#[test]
fn portfolio_of_separate_reports_equals_the_assessed_portfolio() {
    let dir = tempfile::tempdir().unwrap();
    let bare = dir.path().join("bare.toml");
    std::fs::write(
        &bare,
        "[vendor]\nname = \"Bare Vendor\"\nnext_review = \"2025-01-01\"\n",
    )
    .unwrap();
    let manifests = [
        "fixtures/vendors/sample/vendor.toml",
        "fixtures/vendors/full/vendor.toml",
        bare.to_str().unwrap(),
    ];
    let reports = dir.path().join("reports");
    std::fs::create_dir(&reports).unwrap();
    // One CI job per vendor: each writes its own report.
    for (i, m) in manifests.iter().enumerate() {
        let out = reports.join(format!("{i}-vendor.json"));
        let o = assess_cmd(&["assess", "-q", m, "--as-of", "2026-11-23", "-o", out.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(0), "{m}: {}", text(&o.stderr));
    }
    let files: Vec<String> = (0..3)
        .map(|i| reports.join(format!("{i}-vendor.json")).to_str().unwrap().to_string())
        .collect();
    // The OSCAL file a job writes beside its JSON report is left out of a directory.
    std::fs::write(reports.join("0-vendor.oscal.json"), "{\"assessment-results\": {}}").unwrap();
    let r = reports.to_str().unwrap();
    for format in ["json", "table", "html", "markdown", "sarif", "junit", "oscal"] {
        let mut args = vec!["assess", "-q"];
        args.extend(manifests);
        args.extend(["--as-of", "2026-11-23", "--format", format]);
        let together = assess_cmd(&args);
        assert_eq!(together.status.code(), Some(0), "{}", text(&together.stderr));
        // The same clock (SOURCE_DATE_EPOCH) for every run: byte for byte the same.
        let assembled = run(&["portfolio", "-q", r, "--format", format]);
        assert_eq!(assembled.status.code(), Some(0), "{}", text(&assembled.stderr));
        assert!(
            together.stdout == assembled.stdout,
            "{format}: the assembled portfolio differs from the assessed one"
        );
    }
    // Files named one by one give the same; a portfolio given as input contributes its reports.
    let mut args = vec!["portfolio", "--format", "json"];
    args.extend(files.iter().map(String::as_str));
    let by_files = run(&args);
    assert_eq!(by_files.status.code(), Some(0), "{}", text(&by_files.stderr));
    let whole = dir.path().join("whole.json");
    std::fs::write(&whole, &by_files.stdout).unwrap();
    let again = run(&["portfolio", whole.to_str().unwrap(), "--format", "json"]);
    assert_eq!(again.stdout, by_files.stdout, "a portfolio's reports, ranked again");

    // On a real clock only the time each report was written differs (`generated_at`): each
    // CI job writes its report at its own moment, which the assembled portfolio keeps.
    let strip = |b: &[u8]| {
        let mut v: serde_json::Value = serde_json::from_slice(b).unwrap();
        for r in v["reports"].as_array_mut().unwrap() {
            r.as_object_mut().unwrap().remove("generated_at");
        }
        v
    };
    let mut c = vetter();
    c.env_remove("SOURCE_DATE_EPOCH")
        .env("ACME_TOKEN", "Bearer not-a-secret");
    c.args(["assess", "-q"])
        .args(manifests)
        .args(["--as-of", "2026-11-23", "--format", "json"]);
    let live = c.output().unwrap();
    assert_eq!(live.status.code(), Some(0));
    assert_eq!(strip(&live.stdout), strip(&by_files.stdout));

    // Thresholds as `assess` has them: each vendor held to them, the worst decides.
    let o = run(&["portfolio", r, "--fail-under", "50"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o.stderr).contains("Bare Vendor: score 0 is under --fail-under 50"),
        "{}",
        text(&o.stderr)
    );
    let o = run(&[
        "portfolio",
        r,
        "--fail-on",
        "critical",
        "-o",
        dir.path().join("p.html").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        dir.path().join("p.html").is_file(),
        "the deliverable is written whatever the outcome"
    );
    let o = run(&["portfolio", r, "--fail-under", "0"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
}

/// Input `vetter portfolio` cannot use: exit 2, the file named, the fix said, never a panic.
#[test]
fn portfolio_refuses_bad_input_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let sample = d.join("sample.json");
    let o = run(&[
        "assess",
        "-q",
        SAMPLE_MANIFEST,
        "--as-of",
        "2026-11-23",
        "-o",
        sample.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let report: serde_json::Value = serde_json::from_slice(&std::fs::read(&sample).unwrap()).unwrap();
    let write = |name: &str, body: &str| {
        let p = d.join(name);
        std::fs::write(&p, body).unwrap();
        p.to_str().unwrap().to_string()
    };
    let refused = |args: &[&str], file: &str, says: &str| {
        let o = run(args);
        assert_no_panic(&o);
        let err = text(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(file), "{args:?} names {file}: {err}");
        assert!(err.contains(says), "{args:?} says {says:?}: {err}");
        assert!(err.contains("help:"), "{args:?} says how to fix it: {err}");
        assert!(o.stdout.is_empty(), "nothing written");
    };
    let s = sample.to_str().unwrap();

    let not_json = write("notes.json", "these are not JSON\n");
    refused(&["portfolio", s, &not_json], "notes.json", "not JSON");
    let facts = write(
        "facts.json",
        &std::fs::read_to_string(root().join("fixtures/facts/mixed.json")).unwrap(),
    );
    refused(&["portfolio", s, &facts], "facts.json", "not a vetter JSON report");
    let mut newer = report.clone();
    newer["schema_version"] = "3.0".into();
    newer["vendor"]["name"] = "Other Vendor".into();
    let newer = write("newer.json", &newer.to_string());
    refused(
        &["portfolio", s, &newer],
        "newer.json",
        "schema_version is 3.0, newer than the 2.x",
    );
    let twin = write("twin.json", &report.to_string());
    refused(
        &["portfolio", s, &twin],
        "twin.json",
        "vendor `Sample Clinic Messaging` appears twice",
    );
    let o = run(&["portfolio", s, &twin]);
    assert!(text(&o.stderr).contains("sample.json"), "both files named");
    let empty = d.join("empty");
    std::fs::create_dir(&empty).unwrap();
    std::fs::write(empty.join("README.md"), "not a report").unwrap();
    refused(&["portfolio", empty.to_str().unwrap()], "empty", "no *.json reports");
    // In a directory, every *.json must be a report.
    let mixed = d.join("mixed");
    std::fs::create_dir(&mixed).unwrap();
    std::fs::copy(&sample, mixed.join("a.json")).unwrap();
    std::fs::write(mixed.join("b.json"), "{\"results\": []}").unwrap();
    refused(
        &["portfolio", mixed.to_str().unwrap()],
        "b.json",
        "not a vetter JSON report",
    );
    // A portfolio with no reports, and a missing file.
    let none = write("none.json", "{\"reports\": []}");
    refused(&["portfolio", &none], "none.json", "holds no reports");
    refused(
        &["portfolio", &d.join("gone.json").to_string_lossy()],
        "gone.json",
        "no such file or directory",
    );
    // An output over one of the reports read.
    let o = run(&["portfolio", s, "-o", s]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&std::fs::read(&sample).unwrap()).unwrap(),
        report,
        "the report read is left as it was"
    );
}

/// `--save-facts DIR` with several vendors: one file per vendor, named from the vendor, each
/// byte for byte what assessing that vendor alone writes.
#[test]
fn save_facts_dir_writes_one_file_per_vendor() {
    let d = tempfile::tempdir().unwrap();
    portfolio(d.path());
    let run_in = |args: &[&str]| {
        let mut c = vetter();
        c.current_dir(d.path()).args(args);
        c.output().unwrap()
    };
    let o = run_in(&[
        "assess",
        ".",
        "--as-of",
        "2026-11-23",
        "--save-facts",
        "facts",
        "-o",
        "p.json",
    ]);
    assert_no_panic(&o);
    assert!(matches!(o.status.code(), Some(0 | 1)), "{}", text(&o.stderr));
    let err = text(&o.stderr);
    let mut names: Vec<String> = std::fs::read_dir(d.path().join("facts"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "bare-vendor.json",
            "overdue-vendor.json",
            "sample-clinic-messaging.json"
        ]
    );
    assert!(err.contains("wrote facts/bare-vendor.json"), "{err}");
    for (sub, name) in [
        ("a-sample", "sample-clinic-messaging"),
        ("b-bare", "bare-vendor"),
        ("c-overdue", "overdue-vendor"),
    ] {
        let m = format!("./{sub}/vendor.toml");
        let one = format!("{name}.alone.json");
        let o = run_in(&["assess", "-q", &m, "--as-of", "2026-11-23", "--save-facts", &one]);
        assert!(matches!(o.status.code(), Some(0 | 1)), "{}", text(&o.stderr));
        assert_eq!(
            std::fs::read(d.path().join(&one)).unwrap(),
            std::fs::read(d.path().join("facts").join(format!("{name}.json"))).unwrap(),
            "{name}: the portfolio's facts file differs from assessing the vendor alone"
        );
        // And it re-evaluates like any facts file.
        let o = run_in(&["eval", &format!("facts/{name}.json"), "--format", "json"]);
        assert!(matches!(o.status.code(), Some(0 | 1)), "{}", text(&o.stderr));
    }
    // One vendor and an existing directory: the file goes into it by the same name.
    let o = run_in(&["assess", "-q", "b-bare/vendor.toml", "--save-facts", "a-sample"]);
    assert!(matches!(o.status.code(), Some(0 | 1)), "{}", text(&o.stderr));
    assert!(d.path().join("a-sample/bare-vendor.json").is_file());
}

#[test]
fn save_facts_for_a_portfolio_refuses_a_file_and_numbers_name_collisions() {
    let d = tempfile::tempdir().unwrap();
    portfolio(d.path());
    copy_dir(&d.path().join("a-sample"), &d.path().join("d-again"));
    let run_in = |args: &[&str]| {
        let mut c = vetter();
        c.current_dir(d.path()).args(args);
        c.output().unwrap()
    };
    std::fs::write(d.path().join("existing"), "keep").unwrap();
    for (path, needle) in [
        ("existing", "is a file"),
        ("facts.json", "names a file"),
        ("no/such/dir", "does not exist"),
    ] {
        let o = run_in(&["assess", ".", "--save-facts", path]);
        assert_no_panic(&o);
        assert_eq!(o.status.code(), Some(2), "{path}: {}", text(&o.stderr));
        let err = text(&o.stderr);
        assert!(err.contains(needle) && err.contains("help: "), "{path}: {err}");
    }
    assert_eq!(std::fs::read(d.path().join("existing")).unwrap(), b"keep");
    assert!(!d.path().join("facts.json").exists());
    // Two vendors of one name: the second (in command-line order) is numbered, and said so.
    let o = run_in(&["assess", ".", "--save-facts", "facts"]);
    assert!(matches!(o.status.code(), Some(0 | 1)), "{}", text(&o.stderr));
    let err = text(&o.stderr);
    assert!(
        err.contains("facts of ./d-again/vendor.toml are in sample-clinic-messaging-2.json"),
        "{err}"
    );
    let second: serde_json::Value =
        serde_json::from_slice(&std::fs::read(d.path().join("facts/sample-clinic-messaging-2.json")).unwrap()).unwrap();
    assert_eq!(second["manifest"]["path"], "./d-again/vendor.toml");
}

/// `verify` of a portfolio: from any directory, under `--base` once the folder has moved, a
/// tampered file named under its vendor.
#[test]
fn verify_portfolio_from_anywhere_and_moved_with_base() {
    let d = tempfile::tempdir().unwrap();
    let work = d.path().join("work");
    portfolio(&work.join("vendors"));
    std::fs::create_dir(work.join("out")).unwrap();
    let o = vetter()
        .current_dir(&work)
        .args(["assess", "vendors", "--as-of", "2026-11-23", "-q", "-o", "out/p.json"])
        .output()
        .unwrap();
    assert!(matches!(o.status.code(), Some(0 | 1)), "{}", text(&o.stderr));
    let report = work.join("out/p.json");
    let verify = |args: &[&str]| vetter().arg("verify").args(args).output().unwrap();
    // From another directory (the checkout), by absolute path.
    let o = verify(&[report.to_str().unwrap()]);
    let out = text(&o.stdout);
    assert_eq!(o.status.code(), Some(0), "{out}{}", text(&o.stderr));
    assert!(
        out.contains("Bare Vendor (manifest ") && out.contains("0 changed or missing"),
        "{out}"
    );
    // Move the vendors elsewhere and keep the report apart: found under --base only.
    let archive = d.path().join("archive/2026-q4");
    std::fs::create_dir_all(&archive).unwrap();
    std::fs::rename(work.join("vendors"), archive.join("vendors-copy")).unwrap();
    let o = verify(&[report.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stdout));
    assert!(text(&o.stdout).contains("not found"), "{}", text(&o.stdout));
    let base = archive.join("vendors-copy");
    let o = verify(&[report.to_str().unwrap(), "--base", base.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}{}", text(&o.stdout), text(&o.stderr));
    // Tamper one file: named under its vendor, the others clean, exit 1.
    std::fs::write(base.join("a-sample/exports/patients.csv"), "id\n1\n").unwrap();
    let o = verify(&[report.to_str().unwrap(), "--base", base.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let out = text(&o.stdout);
    let sample = out.find("Sample Clinic Messaging (manifest").unwrap();
    let changed = out.find("CHANGED  export       exports/patients.csv").expect(&out);
    let bare = out.find("Bare Vendor (manifest").unwrap();
    assert!(sample < changed && changed < bare, "{out}");
    assert!(out.contains("1 changed or missing (Sample Clinic Messaging)"), "{out}");
    let o = verify(&[
        report.to_str().unwrap(),
        "--base",
        base.to_str().unwrap(),
        "--format",
        "json",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["changed_or_missing"], 1);
    let vendors = v["vendors"].as_array().unwrap();
    assert_eq!(vendors.len(), 3);
    assert_eq!(vendors[0]["vendor"], "Sample Clinic Messaging");
    assert_eq!(vendors[0]["changed_or_missing"], 1);
    assert_eq!(vendors[0]["manifest"], "vendors/a-sample/vendor.toml");
    let row = vendors[0]["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["path"] == "exports/patients.csv")
        .unwrap();
    assert_eq!(row["state"], "changed");
    assert!(
        row["checked"]
            .as_str()
            .unwrap()
            .ends_with("vendors-copy/a-sample/exports/patients.csv")
    );
    assert!(vendors[1..].iter().all(|g| g["changed_or_missing"] == 0));
    // A base that does not exist, or is a file: exit 2, nothing verified.
    for bad in [d.path().join("nowhere"), report.clone()] {
        let o = verify(&[report.to_str().unwrap(), "--base", bad.to_str().unwrap()]);
        assert_no_panic(&o);
        assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
        assert!(
            text(&o.stderr).contains("--base") && o.stdout.is_empty(),
            "{}",
            text(&o.stderr)
        );
    }
}

/// One vendor: the report beside its manifest (`-o acme/report.json`) verifies from any
/// directory; an archived copy of the vendor's folder verifies with `--base` naming it.
#[test]
fn verify_one_vendor_from_another_directory_and_its_archive() {
    let d = tempfile::tempdir().unwrap();
    copy_dir(&root().join("fixtures/vendors/sample"), &d.path().join("acme"));
    let o = vetter()
        .current_dir(d.path())
        .args(["assess", "acme/vendor.toml", "-q", "-o", "acme/report.json"])
        .output()
        .unwrap();
    assert!(matches!(o.status.code(), Some(0 | 1)), "{}", text(&o.stderr));
    let report = d.path().join("acme/report.json");
    let o = vetter().arg("verify").arg(&report).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stdout));
    // Another vendor's manifest at the recorded relative path, nearer the report, does not
    // capture it: the one with the recorded hash is chosen.
    let decoy = d.path().join("acme/acme");
    std::fs::create_dir_all(&decoy).unwrap();
    std::fs::create_dir_all(d.path().join("elsewhere")).unwrap();
    std::fs::write(decoy.join("vendor.toml"), "[vendor]\nname = \"Decoy\"\n").unwrap();
    let o = vetter()
        .current_dir(d.path().join("elsewhere"))
        .arg("verify")
        .arg(&report)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stdout));
    let archived = d.path().join("archive/acme-2026");
    copy_dir(&d.path().join("acme"), &archived);
    std::fs::remove_dir_all(d.path().join("acme/evidence")).unwrap();
    // Without --base the original (now missing its evidence) is what is found.
    let o = vetter()
        .arg("verify")
        .arg(archived.join("report.json"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stdout));
    let o = vetter()
        .arg("verify")
        .arg(archived.join("report.json"))
        .arg("--base")
        .arg(&archived)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stdout));
}
