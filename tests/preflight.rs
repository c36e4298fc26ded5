//! Pre-flight (issue 13): every mistake in what a run is given stops it before anything is
//! probed, with exit 2 and every problem at once, each at the file:line:column of its key
//! and with one `error:` prefix. Each case's full stderr is asserted.
//!
//! To see these fail on an older vetter, point `VETTER_PREFLIGHT_BIN` at its binary.

use std::path::Path;

use crate::support::*;

fn vetter_bin() -> assert_cmd::Command {
    let mut c = vetter();
    if let Some(bin) = std::env::var_os("VETTER_PREFLIGHT_BIN") {
        let mut old = assert_cmd::Command::new(bin);
        old.current_dir(root())
            .env("SOURCE_DATE_EPOCH", "1795000000")
            .env("NO_COLOR", "1")
            .env_remove("COLUMNS")
            .timeout(std::time::Duration::from_secs(60));
        c = old;
    }
    c
}

/// Write `files` (path, text) under a fresh directory.
fn tree(files: &[(&str, &str)]) -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    for (name, body) in files {
        let p = d.path().join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, body).unwrap();
    }
    d
}

/// Run vetter in `dir` (paths relative to it); exit code and stderr, `{d}` standing for `dir`.
fn refused(dir: &Path, args: &[&str]) -> String {
    let o = vetter_bin()
        .current_dir(dir)
        .env_remove("PREFLIGHT_TOKEN")
        .args(args)
        .output()
        .unwrap();
    assert_no_panic(&o);
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    err
}

const HEAD: &str = "[vendor]\nname = \"Acme Practice CRM\"\n";

#[test]
fn a_wrong_export_path_stops_the_run_at_the_path() {
    let d = tree(&[(
        "vendor.toml",
        &format!("{HEAD}\n[[export]]\npath = \"exports/patients.csv\"\n"),
    )]);
    assert_eq!(
        refused(d.path(), &["assess", "vendor.toml", "--as-of", "2026-11-23"]),
        "vendor.toml:5:8: error: [[export]] path `exports/patients.csv`: no such file (exports/patients.csv)\n  \
         |\n5 | path = \"exports/patients.csv\"\n  |        ^\n  \
         help: fix the path (relative to the manifest's directory), or remove the entry; nothing is probed until every named file can be read\n"
    );
}

#[test]
fn an_unset_auth_env_is_named_at_its_key_with_the_way_to_probe_without() {
    let d = tree(&[(
        "vendor.toml",
        &format!(
            "{HEAD}\n[[endpoint]]\nurl = \"https://127.0.0.1:1/v1\"\nauth = {{ header = \"Authorization\", env = \"PREFLIGHT_TOKEN\" }}\n"
        ),
    )]);
    assert_eq!(
        refused(d.path(), &["assess", "vendor.toml"]),
        "vendor.toml:6:42: error: auth env `PREFLIGHT_TOKEN` is not set, so https://127.0.0.1:1/v1 would be probed without credentials\n  \
         help: export it (e.g. `export PREFLIGHT_TOKEN='Bearer …'`), or write auth = \"none\" to probe this endpoint without credentials on purpose\n"
    );
    // `auth = "none"` says so on purpose: the run goes ahead (the port refuses: an error finding).
    std::fs::write(
        d.path().join("vendor.toml"),
        format!("{HEAD}\n[[endpoint]]\nurl = \"https://127.0.0.1:1/v1\"\nauth = \"none\"\n"),
    )
    .unwrap();
    let o = vetter_bin()
        .current_dir(d.path())
        .args(["assess", "-q", "vendor.toml", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
}

#[test]
fn a_misspelt_rule_in_a_waiver_file_offers_the_rule() {
    let d = tree(&[
        ("vendor.toml", HEAD),
        (
            "waivers.toml",
            "# accepted risks\n[[waiver]]\nrule = \"hipaa-risk-analysys\"\nreason = \"r\"\napprover = \"M. Chen\"\nexpires = \"2027-01-01\"\n",
        ),
    ]);
    assert_eq!(
        refused(d.path(), &["assess", "vendor.toml", "--waivers", "waivers.toml"]),
        "waivers.toml:3:8: error: waiver names unknown rule `hipaa-risk-analysys`\n  |\n3 | rule = \"hipaa-risk-analysys\"\n  |        ^\n  \
         help: did you mean `hipaa-risk-analysis`? `vetter rules list` shows the rule ids\n"
    );
}

#[test]
fn params_of_the_wrong_type_or_name_are_named_with_the_pack_type_and_unit() {
    let d = tree(&[(
        "vendor.toml",
        &format!(
            "{HEAD}\n[[export]]\npath = \"e.csv\"\nretention = {{ date_field = \"last_visit\", max_age_days = 2190 }}\n\n\
             [params]\nbreach_notice_max_days = \"ten\"\nbaa_return_max_days = \"30 days\"\npentest_max_age_days = -1\nbreach_notise_max_days = 10\n"
        ),
    )]);
    std::fs::write(d.path().join("e.csv"), "patient_id,last_visit\n").unwrap();
    let err = refused(d.path(), &["assess", "vendor.toml"]);
    let known = err
        .split("known parameters: ")
        .nth(1)
        .and_then(|s| s.lines().next())
        .unwrap_or_default()
        .to_string();
    assert!(
        known.contains("breach_notice_max_days") && known.contains("soc2_max_age_days"),
        "{err}"
    );
    assert_eq!(
        err,
        format!(
            "vendor.toml:9:26: error: params.breach_notice_max_days is a string, but it takes a whole number of days\n  \
             |\n9 | breach_notice_max_days = \"ten\"\n  |                          ^\n  \
             help: give a whole number of days, e.g. breach_notice_max_days = 60 (the pack's default, from pack `baa`)\n\
             vendor.toml:10:23: error: params.baa_return_max_days is a string, but it takes a whole number of days\n   \
             |\n10 | baa_return_max_days = \"30 days\"\n   |                       ^\n  \
             help: write the number alone, without quotes or unit, e.g. baa_return_max_days = 30 (the pack's default)\n\
             vendor.toml:11:24: error: params.pentest_max_age_days is negative, but it is a whole number of days\n   \
             |\n11 | pentest_max_age_days = -1\n   |                        ^\n  \
             help: give a whole number of days of at least 0, e.g. pentest_max_age_days = 365 (the pack's default)\n\
             vendor.toml:12:1: error: unknown parameter `breach_notise_max_days` in [params]\n   \
             |\n12 | breach_notise_max_days = 10\n   | ^\n  \
             help: did you mean `breach_notice_max_days`? known parameters: {known}\n\
             4 problems found\n"
        )
    );
}

#[test]
fn frameworks_must_exist_and_name_the_packs_given_with_rules() {
    let d = tree(&[(
        "vendor.toml",
        "[vendor]\nname = \"Acme Practice CRM\"\nframeworks = [\"hipaa\", \"gpdr\"]\n",
    )]);
    assert_eq!(
        refused(d.path(), &["assess", "vendor.toml"]),
        "vendor.toml:3:24: error: [vendor] frameworks names unknown pack `gpdr`\n  \
         |\n3 | frameworks = [\"hipaa\", \"gpdr\"]\n  |                        ^\n  \
         help: did you mean `gdpr`? known packs: assurance, baa, deid, gdpr, hipaa-nprm-2025, hipaa; a pack of your own must be passed with --rules\n"
    );
    std::fs::write(
        d.path().join("mine.toml"),
        "[pack]\nid = \"mine\"\ntitle = \"t\"\nversion = \"1\"\n\n[[rule]]\nid = \"mine-r\"\ntitle = \"t\"\ncategory = \"audit\"\nseverity = \"low\"\nforce = \"practice\"\nrefs = [\"x\"]\nassert = \"true\"\ndescription = \"d\"\nremediation = \"r\"\n",
    )
    .unwrap();
    std::fs::write(
        d.path().join("vendor.toml"),
        "[vendor]\nname = \"Acme Practice CRM\"\nframeworks = [\"hipaa\"]\n",
    )
    .unwrap();
    assert_eq!(
        refused(d.path(), &["assess", "vendor.toml", "--rules", "mine.toml"]),
        "vendor.toml:3:14: error: --rules adds pack `mine` (mine.toml), but [vendor] frameworks does not list it, so it would not run\n  \
         |\n3 | frameworks = [\"hipaa\"]\n  |              ^\n  \
         help: add \"mine\" to frameworks, or leave that pack out of --rules\n"
    );
}

#[test]
fn the_untouched_init_template_is_not_graded() {
    let d = tempfile::tempdir().unwrap();
    let o = vetter_bin()
        .current_dir(d.path())
        .args(["init", "new"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let err = refused(d.path(), &["assess", "new/vendor.toml"]);
    assert_eq!(
        err,
        "new/vendor.toml:5:8: error: [vendor] name is still the `vetter init` template's placeholder \"Example Practice CRM\"\n  \
         |\n5 | name = \"Example Practice CRM\"\n  |        ^\n  \
         help: edit the template: name the vendor, and list its endpoints, exports and documents (EVIDENCE-REQUEST.md, written beside it, says what to ask the vendor for)\n\
         new/vendor.toml:6:11: error: [vendor] contact is still the template's placeholder \"security@vendor.example\"\n  \
         help: edit the template: give the vendor's security contact, or remove the line\n\
         new/vendor.toml:19:7: error: [[endpoint]] url is still the template's placeholder \"https://api.vendor.example/v1/patients\"\n   \
         |\n19 | url = \"https://api.vendor.example/v1/patients\"\n   |       ^\n  \
         help: edit the template: give the vendor's API address, or remove the [[endpoint]] table\n\
         3 problems found\n"
    );
}

#[test]
fn as_of_before_the_facts_or_an_attestation_stops_the_run() {
    let d = tree(&[(
        "vendor.toml",
        &format!(
            "{HEAD}\n[[attestation]]\nrule = \"hipaa-risk-analysis\"\nattested_by = \"J. Rivera\"\ndate = \"2026-10-02\"\n"
        ),
    )]);
    assert_eq!(
        refused(d.path(), &["assess", "vendor.toml", "--as-of", "2026-06-01"]),
        "vendor.toml:7:8: error: [[attestation]] date 2026-10-02 is after --as-of 2026-06-01: on that day it had not been made\n  \
         |\n7 | date = \"2026-10-02\"\n  |        ^\n  \
         help: assess as of 2026-10-02 or later, or fix the date\n"
    );
    // Facts collected on 2026-11-23, evaluated as of a day before.
    let o = vetter_bin()
        .current_dir(d.path())
        .args([
            "assess",
            "-q",
            "vendor.toml",
            "--as-of",
            "2026-11-23",
            "--save-facts",
            "facts.json",
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert_eq!(
        refused(d.path(), &["eval", "facts.json", "--as-of", "2026-11-22"]),
        "facts.json:3:3: error: --as-of 2026-11-22 is before these facts were collected (2026-11-23)\n  \
         |\n3 |   \"as_of\": \"2026-11-23\",\n  |   ^\n  \
         help: evaluate as of 2026-11-23 or later; to judge the vendor as it was on an earlier day, use facts collected then\n"
    );
}

/// Each problem at its own key: an unknown rule in a `[[waiver]]` below an `[[attestation]]`
/// naming the same rule, an unknown parameter named like a key elsewhere in the file.
#[test]
fn every_problem_is_at_its_own_key_and_all_come_at_once() {
    let d = tree(&[(
        "vendor.toml",
        &format!(
            "{HEAD}\n[[export]]\npath = \"gone.csv\"\nretention = {{ date_field = \"last_visit\", max_age_days = 10 }}\n\n\
             [[attestation]]\nrule = \"hipaa-risk-analysys\"\nattested_by = \"J\"\ndate = \"2026-10-01\"\n\n\
             [[waiver]]\nrule = \"hipaa-risk-analysys\"\nreason = \"r\"\napprover = \"x\"\nexpires = \"2027-01-01\"\n\n\
             [params]\nmax_age_days = 10\n"
        ),
    )]);
    let err = refused(d.path(), &["assess", "vendor.toml"]);
    let places: Vec<&str> = err
        .lines()
        .filter(|l| l.starts_with("vendor.toml:"))
        .map(|l| l.split(" error: ").next().unwrap())
        .collect();
    assert_eq!(
        places,
        [
            "vendor.toml:5:8:",
            "vendor.toml:9:8:",
            "vendor.toml:14:8:",
            "vendor.toml:20:1:"
        ],
        "{err}"
    );
    assert!(
        err.contains(
            "vendor.toml:20:1: error: unknown parameter `max_age_days` in [params]\n   |\n20 | max_age_days = 10\n"
        ),
        "{err}"
    );
    assert!(err.ends_with("4 problems found\n"), "{err}");
}

/// Nothing is probed when the pre-flight fails: the endpoint's listener sees no connection.
#[test]
fn no_connection_is_made_before_the_preflight_passes() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port();
    let d = tree(&[(
        "vendor.toml",
        &format!("{HEAD}\n[[endpoint]]\nurl = \"https://127.0.0.1:{port}/\"\n\n[[evidence]]\npath = \"soc2.pdf\"\n"),
    )]);
    let err = refused(d.path(), &["assess", "vendor.toml"]);
    assert!(
        err.starts_with("vendor.toml:8:8: error: [[evidence]] path `soc2.pdf`: no such file"),
        "{err}"
    );
    match listener.accept() {
        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
        other => panic!("the endpoint was contacted: {other:?}"),
    }
}

/// A JSON file that is not a facts file: one `error:`, after the place.
#[test]
fn one_error_prefix() {
    let d = tree(&[
        ("facts.json", "{\"facts_version\": 3, \"as_of\": []}\n"),
        ("bad.json", "{\"x\": 1\n"),
    ]);
    let err = refused(d.path(), &["eval", "facts.json"]);
    assert_eq!(err.matches("error:").count(), 1, "{err}");
    assert!(err.starts_with("facts.json:1:"), "{err}");
    // The report readers of diff, portfolio and verify said "error: bad.json:2:0: error: …".
    for args in [
        &["diff", "bad.json", "bad.json"][..],
        &["portfolio", "bad.json"],
        &["verify", "bad.json"],
    ] {
        let err = refused(d.path(), args);
        assert_eq!(err.matches("error:").count(), 1, "{args:?}: {err}");
        assert!(err.starts_with("bad.json:2:"), "{args:?}: {err}");
    }
}
