//! Generated docs must match the code: facts reference, schemas, man pages, README commands.

use crate::support::*;

fn check(path: &str, want: &str) {
    let p = root().join(path);
    if std::env::var_os("VETTER_UPDATE_DOCS").is_some() {
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, want).unwrap();
    }
    let have = std::fs::read_to_string(&p).unwrap_or_default();
    assert!(have == want, "{path} is stale: run VETTER_UPDATE_DOCS=1 cargo test");
}

#[test]
fn facts_doc_and_schemas_are_current() {
    check("docs/facts.md", &vetter::facts::markdown());
    check(
        "docs/facts.schema.json",
        &(serde_json::to_string_pretty(&vetter::facts::schema()).unwrap() + "\n"),
    );
    check(
        "docs/report.schema.json",
        &(serde_json::to_string_pretty(&vetter::report::schema()).unwrap() + "\n"),
    );
    check(
        "docs/portfolio.schema.json",
        &(serde_json::to_string_pretty(&vetter::report::portfolio_schema()).unwrap() + "\n"),
    );
}

#[test]
fn law_reference_is_current() {
    let set = vetter::rules::RuleSet::load(&vetter::rules::LoadOptions {
        include_builtin: true,
        ..Default::default()
    })
    .expect("built-in packs load");
    check("docs/law.md", &vetter::rules::law::markdown(&set));
}

#[test]
fn facts_schema_command_prints_the_schema() {
    let o = run(&["facts", "--schema"]);
    assert_eq!(o.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v, vetter::facts::schema());
}

#[test]
fn man_pages_are_current() {
    for page in [
        "",
        "assess",
        "eval",
        "rules",
        "facts",
        "init",
        "completions",
        "diff",
        "verify",
        "portfolio",
        "demo",
        "evidence",
    ] {
        let mut args = vec!["man"];
        if !page.is_empty() {
            args.push(page);
        }
        let o = run(&args);
        assert_eq!(o.status.code(), Some(0));
        let name = if page.is_empty() {
            "vetter".to_string()
        } else {
            format!("vetter-{page}")
        };
        check(&format!("man/{name}.1"), &text(&o.stdout));
    }
}

#[test]
fn readme_names_the_two_commands_and_ci_runs_the_test_one() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    assert!(
        readme.contains("cargo run --release -- demo"),
        "README lacks the main-job command"
    );
    assert!(readme.contains("scripts/test"), "README lacks the test command");
    let ci = std::fs::read_to_string(root().join(".ci/run")).unwrap();
    assert!(
        ci.lines()
            .any(|l| l.trim() == "exec scripts/test" || l.trim() == "scripts/test"),
        ".ci/run must run exactly scripts/test"
    );
}
