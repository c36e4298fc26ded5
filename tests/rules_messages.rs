//! Messages a practice manager can read: `vetter rules check` renders every message of every
//! rule against the three recorded vendors and the rule's own examples, and fails (exit 1) on
//! a raw `true`/`false`/`null`, rule jargon, an unformatted number, a wrong plural or a unit
//! left out, naming the rule's file:line and the rendered message.

use crate::support::{root, text, vetter};

#[test]
fn the_builtin_packs_give_only_plain_messages() {
    let set = vetter::rules::RuleSet::load(&vetter::rules::LoadOptions {
        include_builtin: true,
        ..Default::default()
    })
    .expect("built-in packs load");
    let out = vetter::rules::messages::check(&set, &vetter::rules::messages::recorded(), |_| true);
    let listed: Vec<String> = out
        .problems
        .iter()
        .map(|p| format!("{}:{}: {}", p.file, p.line, p.message))
        .collect();
    assert!(
        listed.is_empty(),
        "{} messages, {} offences:\n{}",
        out.messages,
        listed.len(),
        listed.join("\n")
    );
    // Every rule of every pack rendered something somewhere: failures, skips, manual prompts.
    assert!(out.messages > 800, "{}", out.messages);

    let o = vetter().args(["rules", "check", "rules/"]).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(
        text(&o.stdout).contains("rendered against 3 recorded vendor(s) and the examples read plainly"),
        "{}",
        text(&o.stdout)
    );
}

/// The 1-based line of the `[[rule]]` table of rule `id` in `src`.
fn rule_line(src: &str, id: &str) -> usize {
    let at = src.find(&format!("id = \"{id}\"")).expect("rule is in the pack");
    let table = src[..at].rfind("[[rule]]").expect("rule table");
    src[..table].lines().count() + 1
}

#[test]
fn an_unformatted_amount_in_a_builtin_pack_fails_the_check() {
    // baa.toml with the insurance message as it once was: "at least 1000000 US dollars".
    let dir = tempfile::tempdir().unwrap();
    let src = std::fs::read_to_string(root().join("rules/baa.toml")).unwrap();
    let planted = src.replace(
        "{{ money(params.baa_min_insurance_usd) }}",
        "{{ params.baa_min_insurance_usd }} US dollars",
    );
    assert_ne!(planted, src, "the insurance message formats its amount");
    // In a folder named `rules`, it stands in for the built-in pack of the same name.
    let file = dir.path().join("rules/baa.toml");
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    std::fs::write(&file, &planted).unwrap();
    let o = vetter().args(["rules", "check"]).arg(&file).output().unwrap();
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    let at = format!(
        "baa.toml:{}:1: error: message of rule `baa-insurance`",
        rule_line(&planted, "baa-insurance")
    );
    assert!(err.contains(&at), "{err}");
    assert!(err.contains("an unformatted amount of money: `1000000`"), "{err}");
    assert!(
        err.contains("the practice asks for at least 1000000 US dollars"),
        "{err}"
    );
    assert!(err.contains("help: format money"), "{err}");
}

const PACK: &str = r#"[pack]
id = "own"
title = "Own checks"
version = "1"

[[rule]]
id = "own-ocsp"
title = "Certificate status is stapled"
category = "encryption"
severity = "low"
force = "practice"
refs = ["RFC 6960"]
each = "endpoints"
assert = "it.tls.ocsp_stapling == true"
message = "MESSAGE"
description = "d"
remediation = "r"

[[rule.example]]
status = "pass"
it.tls.ocsp_stapling = true

[[rule.example]]
status = "fail"
it.tls.ocsp_stapling = false
"#;

fn check_pack(message: &str, extra: &[&str]) -> std::process::Output {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("own.toml");
    std::fs::write(&file, PACK.replace("MESSAGE", message)).unwrap();
    vetter()
        .args(["rules", "check"])
        .arg(&file)
        .args(extra)
        .output()
        .unwrap()
}

#[test]
fn a_planted_raw_value_is_named_at_its_rule() {
    let o = check_pack("OCSP stapling: {{ it.tls.ocsp_stapling }}", &[]);
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains("own.toml:6:1: error: message of rule `own-ocsp` shows a raw true/false/null: `false`"),
        "{err}"
    );
    // Rendered for a recorded vendor, with the message as the reader would see it.
    assert!(err.contains("rendered for vendor `"), "{err}");
    assert!(err.contains("\"OCSP stapling: false\""), "{err}");
    assert!(text(&o.stdout).is_empty(), "{}", text(&o.stdout));

    // A fact path in the message is jargon too.
    let o = check_pack("see it.tls.ocsp_stapling", &[]);
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("shows rule jargon: `it.tls.ocsp_stapling`"), "{err}");

    // Said plainly, the same rule passes.
    let o = check_pack("the certificate status is not stapled (OCSP)", &[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
}

#[test]
fn further_facts_files_are_read_too() {
    let weak = root().join("fixtures/facts/weak.json");
    let o = check_pack(
        "the certificate status is not stapled (OCSP)",
        &["--facts", weak.to_str().unwrap()],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(text(&o.stdout).contains("4 recorded vendor(s)"), "{}", text(&o.stdout));

    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("facts.json");
    std::fs::write(&bad, "{ not json").unwrap();
    let o = check_pack("plain", &["--facts", bad.to_str().unwrap()]);
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("not a vetter facts file"), "{err}");
}

#[test]
fn junit_says_could_not_assess_once() {
    for v in ["weak", "mixed"] {
        let o = vetter()
            .args(["eval", &format!("fixtures/facts/{v}.json"), "--format", "junit"])
            .output()
            .unwrap();
        let xml = text(&o.stdout);
        assert!(xml.contains("<error message=\"could not"), "{v}: {xml}");
        assert!(!xml.contains("could not assess: could not"), "{v}");
    }
}
