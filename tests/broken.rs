//! Broken manifests and packs: exit 2, a message naming file:line:column, never a panic.

use crate::support::*;

fn expected(dir: &str) -> Vec<(String, String, String)> {
    let text = std::fs::read_to_string(root().join(dir).join("EXPECTED.txt")).unwrap();
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| {
            let mut parts = l.splitn(3, ' ');
            (
                parts.next().unwrap().to_string(),
                parts.next().unwrap().to_string(),
                parts.next().unwrap_or("").trim().to_string(),
            )
        })
        .collect()
}

#[test]
fn broken_packs_are_named_with_place() {
    let mut seen_files = std::collections::BTreeSet::new();
    for (file, place, needle) in expected("fixtures/broken/packs") {
        seen_files.insert(file.clone());
        let path = format!("fixtures/broken/packs/{file}");
        let o = run(&["rules", "check", &path]);
        assert_no_panic(&o);
        assert_eq!(o.status.code(), Some(2), "{path}");
        let err = text(&o.stderr);
        let prefix = if place == "0:0" {
            format!("{path}: error:")
        } else {
            format!("{path}:{place}: error:")
        };
        let hit = err.lines().any(|l| l.starts_with(&prefix) && l.contains(&needle));
        assert!(hit, "expected `{prefix} …{needle}` in:\n{err}");
    }
    // every file of the corpus is listed
    for e in std::fs::read_dir(root().join("fixtures/broken/packs"))
        .unwrap()
        .flatten()
    {
        let n = e.file_name().to_string_lossy().to_string();
        if n.ends_with(".toml") {
            assert!(seen_files.contains(&n), "{n} has no line in EXPECTED.txt");
        }
    }
}

#[test]
fn planted_pack_lists_every_problem_at_once() {
    let o = run(&["rules", "check", "fixtures/broken/packs/planted.toml"]);
    let err = text(&o.stderr);
    assert!(err.contains("7 problems found"), "{err}");
}

#[test]
fn broken_manifests_exit_2_with_place() {
    let text_ = std::fs::read_to_string(root().join("fixtures/broken/manifests/EXPECTED.txt")).unwrap();
    let mut n = 0;
    for line in text_.lines().filter(|l| !l.trim().is_empty() && !l.starts_with('#')) {
        let (name, rest) = line.split_once(':').unwrap();
        let rest = rest.trim();
        let (place, needle) = rest.split_once(": ").unwrap_or((rest, ""));
        let path = format!("fixtures/broken/manifests/{}", name.trim());
        let o = run(&["assess", "--quiet", &path]);
        assert_no_panic(&o);
        assert_eq!(o.status.code(), Some(2), "{path}: {}", text(&o.stderr));
        let err = text(&o.stderr);
        let prefix = if place == "0:0" {
            format!("{path}:")
        } else {
            format!("{path}:{place}:")
        };
        assert!(
            err.contains(&prefix) && err.contains(needle.trim()),
            "expected `{prefix}` and `{needle}` in:\n{err}"
        );
        n += 1;
    }
    assert!(n >= 14, "corpus too small: {n}");
}

#[test]
fn directory_where_a_file_is_expected() {
    // A directory is a portfolio (DIR/*/vendor.toml); one holding no vendors is a usage error.
    let o = run(&["assess", "fixtures/facts"]);
    assert_no_panic(&o);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("fixtures/facts: no */vendor.toml one level down"));
    let o = run(&["eval", "fixtures"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn malformed_waiver_file_fails_closed() {
    let o = run(&[
        "assess",
        "--quiet",
        "fixtures/vendors/sample/vendor.toml",
        "--waivers",
        "fixtures/broken/manifests/waiver-bad-date.toml",
    ]);
    assert_no_panic(&o);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
}

#[test]
fn bad_facts_file_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("f.json");
    std::fs::write(&f, "{\"facts_version\": 3").unwrap();
    let o = run(&["eval", f.to_str().unwrap()]);
    assert_no_panic(&o);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("not a vetter facts file"),
        "{}",
        text(&o.stderr)
    );
}

#[test]
fn bad_flags_are_usage_errors() {
    for args in [
        vec!["assess"],
        vec!["eval", "x.json", "--fail-under", "120"],
        vec!["eval", "x.json", "--as-of", "2026-13-40"],
        vec!["rules", "explain", "no-such-rule"],
        vec!["nope"],
    ] {
        let o = run(&args);
        assert_no_panic(&o);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", text(&o.stderr));
    }
}
