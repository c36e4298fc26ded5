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

/// `vetter report --schema` prints the committed schema files byte for byte (the same
/// functions generate both).
#[test]
fn report_schema_command_prints_the_committed_files() {
    for (args, file) in [
        (&["report", "--schema"][..], "docs/report.schema.json"),
        (&["report", "--schema", "--portfolio"][..], "docs/portfolio.schema.json"),
    ] {
        let o = run(args);
        assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
        let committed = std::fs::read_to_string(root().join(file)).unwrap();
        assert!(
            text(&o.stdout) == committed,
            "`vetter {}` differs from {file}",
            args.join(" ")
        );
    }
}

/// `--version` names every built-in pack with the version the loader reads; `-V` is one line.
#[test]
fn version_lists_every_builtin_pack() {
    let short = text(&run(&["-V"]).stdout);
    let first = format!("vetter {}", env!("CARGO_PKG_VERSION"));
    assert_eq!(short.trim_end(), first);
    let o = run(&["--version"]);
    assert_eq!(o.status.code(), Some(0));
    let long = text(&o.stdout);
    assert_eq!(long.lines().next(), Some(first.as_str()), "{long}");
    let set = vetter::rules::RuleSet::load(&vetter::rules::LoadOptions {
        include_builtin: true,
        metadata_only: true,
        ..Default::default()
    })
    .expect("built-in packs load");
    let packs = set.packs.iter().chain(set.phrasing.iter().map(|(p, _)| p));
    for p in packs {
        let listed = long.lines().skip(1).any(|l| {
            l.split([':', ','])
                .any(|item| item.trim() == format!("{} {}", p.id, p.version))
        });
        assert!(listed, "--version does not list pack {} {}:\n{long}", p.id, p.version);
    }
}

/// A section of a man page (roff), up to the next `.SH`.
fn man_section(page: &str, heading: &str) -> String {
    let o = run(&if page.is_empty() {
        vec!["man"]
    } else {
        vec!["man", page]
    });
    let man = text(&o.stdout);
    let start = man
        .find(&format!(".SH {heading}\n"))
        .unwrap_or_else(|| panic!("man {page} has no {heading}"));
    let body = &man[start + 1..];
    body[..body.find("\n.SH ").unwrap_or(body.len())].to_string()
}

/// Every `.rs` file under `dir`.
fn sources(dir: &std::path::Path, out: &mut Vec<(std::path::PathBuf, String)>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            sources(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push((p.clone(), std::fs::read_to_string(&p).unwrap()));
        }
    }
}

/// EXIT STATUS lists every code the binary exits with: the `Exit` variants and main's codes.
#[test]
fn exit_status_lists_every_code_used() {
    let main = std::fs::read_to_string(root().join("src/main.rs")).unwrap();
    let cli = std::fs::read_to_string(root().join("src/cli/mod.rs")).unwrap();
    let enum_body = &cli[cli.find("pub enum Exit {").expect("enum Exit")..];
    let enum_body = &enum_body[..enum_body.find('}').unwrap()];
    let mut codes: Vec<String> = regex::Regex::new(r"=\s*(\d+)\s*,")
        .unwrap()
        .captures_iter(enum_body)
        .map(|c| c[1].to_string())
        .collect();
    assert!(codes.len() >= 2, "Exit variants not found");
    codes.extend(
        regex::Regex::new(r"ExitCode::from\((\d+)\)")
            .unwrap()
            .captures_iter(&main)
            .map(|c| c[1].to_string()),
    );
    if main.contains("ExitCode::SUCCESS") {
        codes.push("0".into());
    }
    let section = man_section("", "\"EXIT STATUS\"");
    for c in &codes {
        assert!(
            section.contains(&format!(".TP\n\\fB{c}\\fR\n")),
            "EXIT STATUS of vetter.1 lacks {c}:\n{section}"
        );
    }
    // Each command's page gives its own meaning of the codes.
    for page in ["assess", "diff", "verify", "facts"] {
        let s = man_section(page, "\"EXIT STATUS\"");
        assert!(s.contains(".TP\n\\fB2\\fR\n"), "{page}: {s}");
    }
}

/// ENVIRONMENT names every variable the source reads (a literal name given to `env::var` or
/// `env::var_os`, or a `VETTER_*` name), and every read of a computed name is one the page
/// describes (the size caps by kind, a manifest's `auth.env`).
#[test]
fn environment_names_every_variable_read() {
    /// Read by tests only.
    const TEST_ONLY: &[&str] = &["VETTER_FIXTURES"];
    /// Computed names, and the text the page describes them by.
    const COMPUTED: &[(&str, &str)] = &[
        ("self.env_var(", "VETTER_MAX_MANIFEST_BYTES"),
        ("&a.env", "auth.env"),
        ("auth_env", "auth.env"),
    ];
    let section = man_section("", "ENVIRONMENT").replace("\\-", "-");
    let mut files = Vec::new();
    sources(&root().join("src"), &mut files);
    let call = regex::Regex::new(r"env::var(?:_os)?\(\s*([^)]*?)\s*\)").unwrap();
    let literal = regex::Regex::new(r#"^"([A-Za-z0-9_]+)"$"#).unwrap();
    let vetter_name = regex::Regex::new(r#""(VETTER_[A-Z0-9_]+)""#).unwrap();
    let mut names = std::collections::BTreeSet::new();
    for (path, src) in &files {
        for c in call.captures_iter(src) {
            let arg = c[1].to_string();
            if let Some(l) = literal.captures(&arg) {
                names.insert(l[1].to_string());
            } else {
                let known = COMPUTED.iter().find(|(a, _)| *a == arg);
                let (_, shown) = known.unwrap_or_else(|| {
                    panic!(
                        "{}: env::var({arg}) reads a computed name: describe it in ENVIRONMENT \
                         (src/cli/manual.rs) and add it to COMPUTED here",
                        path.display()
                    )
                });
                assert!(section.contains(shown), "ENVIRONMENT does not describe {arg} ({shown})");
            }
        }
        names.extend(vetter_name.captures_iter(src).map(|c| c[1].to_string()));
    }
    for k in vetter::probe::input::Kind::ALL {
        names.insert(k.env_var().to_string());
    }
    assert!(
        names.contains("NO_COLOR") && names.contains("VETTER_MAX_EXPORT_BYTES"),
        "{names:?}"
    );
    for name in names.iter().filter(|n| !TEST_ONLY.contains(&n.as_str())) {
        assert!(
            section.contains(&format!("\\fB{name}")) || section.contains(&format!(", {name}")),
            "ENVIRONMENT of vetter.1 does not name {name}"
        );
    }
}

/// `--help` shows each command's examples.
#[test]
fn help_shows_examples() {
    for cmd in ["assess", "diff", "report"] {
        let o = run(&[cmd, "--help"]);
        let help = text(&o.stdout);
        assert!(
            help.contains("Examples:\n") && help.contains(&format!("vetter {cmd} ")),
            "{help}"
        );
    }
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
        "report",
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
