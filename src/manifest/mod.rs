//! The vendor manifest (`vendor.toml`) and waiver files: typed structs, loading and validation.
//!
//! Loading is two passes over the same text. `serde` turns it into the typed [`Manifest`]
//! (a syntax error, unknown key, wrong type or missing key stops there, as one problem);
//! then every semantic check runs and *all* problems are returned at once, each pointing
//! at the offending key or value (spans come from `toml::de::DeTable`, whose values are
//! `toml::Spanned`). The public structs hold plain values so that they also round-trip
//! through JSON (the facts file carries params, waivers and attestations).
//!
//! Paths are kept exactly as written; [`Manifest::resolve`] joins them to the manifest's
//! directory only when a probe opens the file.

mod check;
mod load;
mod model;
mod values;

pub use check::{
    EnvState, FileState, RefKind, RuleRef, Run, World, check_broken_corpus, check_rule_refs, manifest_rule_refs,
    preflight, waiver_file_refs,
};
pub use load::{load, load_waivers, load_waivers_with, load_with, parse, parse_waivers};
pub use model::*;
pub use values::{ParamType, check_url, closest, param_unit, parse_date, parse_days, parse_hhmm};

#[cfg(test)]
mod tests {
    use super::values::valid_tz_name;
    use super::*;
    use chrono::{NaiveDate, Weekday};
    use std::ops::Range;
    use std::path::{Path, PathBuf};

    use crate::diag::Problem;

    const FULL: &str = include_str!("../../fixtures/vendors/full/vendor.toml");

    fn corpus_dir() -> Option<PathBuf> {
        let candidates = [
            std::env::var_os("VETTER_FIXTURES").map(PathBuf::from),
            Path::new(file!())
                .parent()
                .map(|p| p.join("../../fixtures/broken/manifests")),
            Some(PathBuf::from("fixtures/broken/manifests")),
        ];
        candidates
            .into_iter()
            .flatten()
            .find(|p| p.join("EXPECTED.txt").is_file())
    }

    fn problems(text: &str) -> Vec<Problem> {
        match parse(text, "t.toml") {
            Ok(_) => Vec::new(),
            Err(e) => e.problems,
        }
    }

    const MINIMAL: &str = "[vendor]\nname = \"Acme\"\n";

    #[test]
    fn full_example_parses_and_uses_every_key() {
        let m = parse(FULL, "vendor.toml").unwrap_or_else(|e| panic!("{e}"));
        // Every optional key is present: nothing serialises as null (but the evidence hash,
        // which vetter fills and a manifest may not set).
        fn no_nulls(v: &serde_json::Value, path: &str) {
            match v {
                serde_json::Value::Null if path.ends_with(".evidence_sha256") => {}
                serde_json::Value::Null => panic!("{path} is absent from the full example"),
                // A key of a table array counts when any entry sets it (one `[[evidence]]`
                // names a subservice organisation, the vendor's own report does not).
                serde_json::Value::Array(a) if a.iter().all(|x| x.is_object()) && !a.is_empty() => {
                    let mut merged = serde_json::Map::new();
                    for x in a {
                        for (k, v) in x.as_object().unwrap() {
                            if !v.is_null() || !merged.contains_key(k) {
                                merged.insert(k.clone(), v.clone());
                            }
                        }
                    }
                    no_nulls(&serde_json::Value::Object(merged), path)
                }
                serde_json::Value::Array(a) => a.iter().for_each(|x| no_nulls(x, path)),
                serde_json::Value::Object(o) => o.iter().for_each(|(k, x)| no_nulls(x, &format!("{path}.{k}"))),
                _ => {}
            }
        }
        let json = serde_json::to_value(&m).unwrap();
        no_nulls(&json, "");
        for key in ["endpoint", "export", "audit_log", "evidence", "attestation", "waiver"] {
            assert!(!json[key].as_array().unwrap().is_empty(), "{key}");
        }
        assert!(!m.params.is_empty());
        assert_eq!(m.params["breach_notice_max_days"], serde_json::json!(10));
        assert!(m.params["breach_notice_max_days"].is_i64());
        assert_eq!(
            m.vendor.next_review.as_ref().unwrap().date(),
            NaiveDate::from_ymd_opt(2027, 11, 23)
        );
        assert_eq!(
            m.line_of("endpoint", 0),
            FULL.lines().position(|l| l == "[[endpoint]]").map(|n| n + 1)
        );
        assert_eq!(
            m.line_of("vendor", 0),
            Some(FULL.lines().position(|l| l == "[vendor]").unwrap() + 1)
        );
        assert_eq!(m.line_of("endpoint", 99), None);
        assert_eq!(m.line_of("nothing", 0), None);
        let bh = m.audit_log[0].business_hours.as_ref().unwrap();
        assert_eq!(bh.weekdays().unwrap().len(), 5);
        assert!(bh.start_time().unwrap() < bh.end_time().unwrap());
        // Round-trips through JSON (the facts file carries parts of it).
        let back: Manifest = serde_json::from_value(json.clone()).unwrap();
        assert_eq!(serde_json::to_value(&back).unwrap(), json);
    }

    #[test]
    fn schema_generates() {
        let schema = schemars::schema_for!(Manifest);
        let text = serde_json::to_string(&schema).unwrap();
        assert!(text.contains("business_hours"));
        assert!(!text.contains("\"source\""));
    }

    #[test]
    fn spans_carry_each_key_and_value() {
        let text = "[vendor]\nname = \"A\"\n\n[[attestation]]\nrule = [\"a\", \"b-*\"]\nattested_by = \"J\"\ndate = \"2026-01-01\"\n\n\
                    [[waiver]]\nrule = \"a\"\nreason = \"r\"\napprover = \"x\"\nexpires = \"2027-01-01\"\n\n[params]\nx_days = 1\n";
        let m = parse(text, "t.toml").unwrap();
        let sp = &m.source.spans;
        let quoted = |r: Option<Range<usize>>| &text[r.unwrap()];
        assert_eq!(
            quoted(sp.value(&[Seg::K("attestation"), Seg::I(0), Seg::K("rule"), Seg::I(1)])),
            "\"b-*\""
        );
        assert_eq!(
            quoted(sp.value(&[Seg::K("waiver"), Seg::I(0), Seg::K("rule")])),
            "\"a\""
        );
        assert_eq!(quoted(sp.key(&[Seg::K("params"), Seg::K("x_days")])), "x_days");
        assert_eq!(sp.value(&[Seg::K("waiver"), Seg::I(1)]), None);
        // An absent key is placed at the nearest table that is written.
        let near = sp
            .nearest(&[Seg::K("waiver"), Seg::I(0), Seg::K("resource")], true)
            .unwrap();
        assert!(
            text[near.clone()].starts_with("[[waiver]]") || text[near.clone()].starts_with("rule"),
            "the waiver's table: {:?}",
            &text[near]
        );
        // The same for a waiver file, after a byte-order mark.
        let w = parse_waivers(
            "\u{feff}[[waiver]]\nrule = \"zz\"\nreason = \"r\"\napprover = \"x\"\nexpires = \"2027-01-01\"\n",
            "w",
        )
        .unwrap();
        let r = w.spans.value(&[Seg::K("waiver"), Seg::I(0), Seg::K("rule")]).unwrap();
        assert_eq!(&w.text[r], "\"zz\"");
    }

    /// The pre-flight is pure: a fake world decides which files exist and which variables
    /// are set, and every problem comes back at once, each at its value.
    #[test]
    fn preflight_asks_the_world_and_places_each_problem() {
        struct Fake;
        impl World for Fake {
            fn file(&self, path: &Path) -> FileState {
                match path.to_str() {
                    Some("here.csv") => FileState::Readable,
                    Some("dir") => FileState::Directory,
                    _ => FileState::Missing,
                }
            }
            fn env(&self, name: &str) -> EnvState {
                if name == "SET" { EnvState::Set } else { EnvState::Empty }
            }
        }
        let rules = crate::rules::RuleSet::load(&crate::rules::LoadOptions {
            include_builtin: true,
            ..Default::default()
        })
        .unwrap();
        let text = format!(
            "{MINIMAL}\n[[endpoint]]\nurl = \"https://127.0.0.1/\"\nauth = {{ header = \"A\", env = \"EMPTY\" }}\n\n\
             [[endpoint]]\nurl = \"https://127.0.0.2/\"\nauth = {{ header = \"A\", env = \"SET\" }}\n\n\
             [[endpoint]]\nurl = \"https://127.0.0.3/\"\nauth = \"none\"\n\n\
             [[export]]\npath = \"here.csv\"\n\n[[export]]\npath = \"gone.csv\"\n\n[[evidence]]\npath = \"dir\"\n\n\
             [params]\nsoc2_type2_required = 1\n"
        );
        let m = parse(&text, "t.toml").unwrap();
        let run = Run {
            rules: &rules,
            frameworks: &[],
            as_of: None,
        };
        let got: Vec<(usize, usize, String)> = preflight(&m, &run, &Fake)
            .into_iter()
            .map(|p| (p.line, p.column, p.message))
            .collect();
        assert_eq!(
            got,
            vec![
                (6, 30, "auth env `EMPTY` is set but empty".to_string()),
                (20, 8, "[[export]] path `gone.csv`: no such file (gone.csv)".to_string()),
                (23, 8, "[[evidence]] path `dir` is a directory, not a file".to_string()),
                (
                    26,
                    23,
                    "params.soc2_type2_required is a whole number, but it takes true or false".to_string()
                ),
            ]
        );
    }

    #[test]
    fn waiver_line_of_and_second_waiver() {
        let text = format!(
            "{MINIMAL}\n[[waiver]]\nrule = \"a\"\nreason = \"r\"\napprover = \"x\"\nexpires = \"2027-01-01\"\n\n\
             [[waiver]]\nrule = \"b\"\nreason = \"r\"\napprover = \"x\"\nexpires = 2027-01-02\n"
        );
        let m = parse(&text, "t.toml").unwrap();
        assert_eq!(m.line_of("waiver", 0), Some(4));
        assert_eq!(m.line_of("waiver", 1), Some(10));
        // A bare TOML date is accepted and kept as the string.
        assert_eq!(m.waiver[1].expires.as_str(), "2027-01-02");
    }

    #[test]
    fn collects_every_semantic_problem() {
        let text = "[vendor]\nname = \"\"\nnext_review = \"2027-13-01\"\n\n\
                    [[endpoint]]\nurl = \"ftp://x\"\nauth = { header = \"Authorization\", env = \"\" }\n\n\
                    [[waiver]]\nrule = \"r\"\nreason = \"x\"\napprover = \"y\"\nexpires = \"31/03/2027\"\n";
        let ps = problems(text);
        let got: Vec<(usize, usize)> = ps.iter().map(|p| (p.line, p.column)).collect();
        assert_eq!(got, vec![(2, 8), (3, 15), (6, 7), (7, 42), (13, 11)], "{ps:#?}");
        assert!(ps.iter().all(|p| p.help.is_some()));
        assert!(ps[4].help.as_deref().unwrap().contains("YYYY-MM-DD"));
    }

    #[test]
    fn unknown_key_lists_valid_keys() {
        let ps = problems("[vendor]\nname = \"x\"\nnmae = 1\n");
        assert_eq!((ps[0].line, ps[0].column), (3, 1));
        let help = ps[0].help.as_deref().unwrap();
        assert!(help.contains("contact") && help.contains("next_review"), "{help}");
        let ps = problems("[vendor]\nname = \"x\"\n[[endpoints]]\nurl = \"https://a\"\n");
        assert!(
            ps[0].help.as_deref().unwrap().contains("did you mean `endpoint`"),
            "{ps:?}"
        );
    }

    #[test]
    fn a_subservice_report_must_be_a_soc_report_with_a_name() {
        let ps = problems(&format!(
            "{MINIMAL}\n[[evidence]]\npath = \"aws.pdf\"\nkind = \"baa\"\nsubservice = \"Amazon Web Services\"\n"
        ));
        assert_eq!(ps.len(), 1, "{ps:#?}");
        assert_eq!(ps[0].line, 7);
        assert!(ps[0].message.contains("kind must be \"soc2\""), "{}", ps[0].message);
        let ps = problems(&format!(
            "{MINIMAL}\n[[evidence]]\npath = \"aws.pdf\"\nsubservice = \" \"\n"
        ));
        assert!(ps[0].message.contains("subservice is empty"), "{ps:#?}");
        assert!(
            problems(&format!(
                "{MINIMAL}\n[[evidence]]\npath = \"aws.pdf\"\nsubservice = \"AWS\"\n"
            ))
            .is_empty()
        );
    }

    #[test]
    fn missing_vendor_and_empty() {
        assert!(problems("")[0].message.contains("empty"));
        assert!(problems("  \n# only a comment\n")[0].message.contains("empty"));
        assert!(
            problems("[[endpoint]]\nurl = \"https://a\"\n")[0]
                .message
                .contains("[vendor]")
        );
        let p = &problems("[vendor]\ncontact = \"a\"\n")[0];
        assert!(p.message.contains("name"), "{p:?}");
    }

    #[test]
    fn secrets_are_never_echoed() {
        let cases = [
            "[[endpoint]]\nurl = \"https://admin:sk_live_123@api.example/\"\n",
            "[[endpoint]]\nurl = \"ftp://admin:sk_live_123@api.example/\"\n",
            "[[endpoint]]\nurl = \"https://api.example/\"\nauth = \"Bearer sk_live_123\"\n",
            "[[endpoint]]\nurl = \"https://api.example/\"\nauth = { header = \"Authorization\", env = \"sk_live_123.x\" }\n",
            "[[endpoint]]\nurl = \"https://api.example/\"\nauth = { header = \"Bearer sk_live_123\", env = \"T\" }\n",
            "[[endpoint]]\nurl = \"https://api.example/\"\ntoken = \"sk_live_123\"\n",
        ];
        for case in cases {
            let err = parse(&format!("{MINIMAL}{case}"), "t.toml").unwrap_err();
            let shown = err.to_string();
            assert!(!shown.contains("sk_live_123"), "{shown}");
            assert!(err.problems.iter().all(|p| p.line > 0), "{shown}");
        }
    }

    #[test]
    fn auth_is_none_or_a_table() {
        let m = parse(
            &format!("{MINIMAL}[[endpoint]]\nurl = \"https://a.example/\"\nauth = \"none\"\n"),
            "t",
        )
        .unwrap();
        assert_eq!(m.endpoint[0].auth, Some(Auth::None));
        assert_eq!(
            serde_json::to_value(&m.endpoint[0].auth).unwrap(),
            serde_json::json!("none")
        );
        let ps = problems(&format!(
            "{MINIMAL}[[endpoint]]\nurl = \"https://a.example/\"\nauth = \"Bearer sk_1\"\n"
        ));
        assert_eq!((ps[0].line, ps[0].column), (5, 8), "{ps:#?}");
        assert_eq!(
            ps[0].message,
            "invalid value: a string, expected `none` or a table { header, env }"
        );
        assert!(ps[0].snippet.is_none());
    }

    #[test]
    fn an_attestation_may_not_set_the_hash_vetter_computes() {
        let text = format!(
            "{MINIMAL}[[attestation]]\nrule = \"a\"\nattested_by = \"J\"\ndate = \"2026-10-01\"\nevidence_sha256 = \"ab\"\n"
        );
        let ps = problems(&text);
        assert_eq!(ps.len(), 1, "{ps:#?}");
        assert!(ps[0].message.contains("sets `evidence_sha256`"), "{ps:#?}");
        assert_eq!(ps[0].line, 7, "{ps:#?}");
        // A misspelt key is not told that the computed key is a valid one.
        let ps = problems(&format!(
            "{MINIMAL}[[attestation]]\nrule = \"a\"\nattested_by = \"J\"\ndate = \"2026-10-01\"\nevidense = \"x\"\n"
        ));
        let help = ps[0].help.clone().unwrap_or_default();
        assert!(
            help.contains("`evidence`") && !help.contains("evidence_sha256"),
            "{help}"
        );
    }

    #[test]
    fn waiver_without_expires_fails_closed() {
        let ps = problems(&format!(
            "{MINIMAL}[[waiver]]\nrule = \"a\"\nreason = \"r\"\napprover = \"x\"\n"
        ));
        assert_eq!((ps[0].line, ps[0].column), (3, 1));
        assert!(ps[0].message.contains("expires"));
    }

    #[test]
    fn params_scalars_only() {
        let m = parse(
            &format!("{MINIMAL}[params]\na = 1\nb = \"1.2\"\nc = true\nd = 2.5\ne = 2026-01-01\n"),
            "t",
        )
        .unwrap();
        assert_eq!(
            serde_json::to_string(&m.params).unwrap(),
            r#"{"a":1,"b":"1.2","c":true,"d":2.5,"e":"2026-01-01"}"#
        );
        let ps = problems(&format!("{MINIMAL}[params]\na = [1]\nb = nan\nc = {{ x = 1 }}\n"));
        assert_eq!(ps.len(), 3, "{ps:#?}");
    }

    #[test]
    fn value_checks() {
        assert!(parse_date("2027-02-29").is_err());
        assert!(parse_date("2028-02-29").is_ok());
        assert!(parse_date("2027-3-1").is_err());
        assert!(parse_date("+2027-03-1").is_err());
        assert!(parse_hhmm("7:00").is_err());
        assert!(parse_hhmm("24:00").is_err());
        assert!(parse_hhmm("23:59").is_ok());
        assert_eq!(parse_days("Mon-Fri").unwrap().len(), 5);
        assert_eq!(
            parse_days("fri-mon").unwrap(),
            vec![Weekday::Mon, Weekday::Fri, Weekday::Sat, Weekday::Sun]
        );
        assert_eq!(
            parse_days("Mon,Wed,Friday").unwrap(),
            vec![Weekday::Mon, Weekday::Wed, Weekday::Fri]
        );
        assert!(parse_days("Mon-Funday").is_err());
        assert!(parse_days("").is_err());
        for ok in [
            "https://a.example",
            "http://a.example:8080/x?y#z",
            "https://[::1]:8443/",
            "https://127.0.0.1/",
        ] {
            assert!(check_url(ok).is_ok(), "{ok}");
        }
        for bad in [
            "ftp://a",
            "https://",
            "https://u:p@a/",
            "https://a b/",
            "https://a:0/",
            "https://a:99999/",
            "api.example",
        ] {
            assert!(check_url(bad).is_err(), "{bad}");
        }
        assert!(valid_tz_name("America/Argentina/Buenos_Aires"));
        assert!(valid_tz_name("Etc/GMT+5"));
        assert!(!valid_tz_name("+02:00"));
        assert!(!valid_tz_name("Central Time"));
    }

    #[test]
    fn load_file_problems() {
        let dir = std::env::temp_dir().join(format!("vetter-manifest-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let e = load(&dir).unwrap_err();
        assert!(e.problems[0].message.contains("directory"));
        let e = load(&dir.join("missing.toml")).unwrap_err();
        assert!(e.problems[0].message.contains("no such file"));
        let path = dir.join("vendor.toml");
        std::fs::write(&path, FULL).unwrap();
        let m = load(&path).unwrap();
        assert_eq!(m.source.file, path.display().to_string());
        assert_eq!(m.resolve("exports/a.csv"), dir.join("exports/a.csv"));
        assert_eq!(m.export[0].path, "exports/patients.csv.gz");
        let wpath = dir.join("waivers.toml");
        std::fs::write(
            &wpath,
            "[[waiver]]\nrule = \"a\"\nreason = \"r\"\napprover = \"x\"\nexpires = \"2027-01-01\"\n",
        )
        .unwrap();
        assert_eq!(load_waivers(&wpath).unwrap().waivers.len(), 1);
        std::fs::write(&wpath, "[vendor]\nname = \"x\"\n").unwrap();
        assert!(
            load_waivers(&wpath).unwrap_err().problems[0]
                .message
                .contains("unknown field")
        );
        std::fs::write(
            &wpath,
            "[[waiver]]\nrule = \"a\"\nreason = \"r\"\napprover = \"x\"\nexpires = \"soon\"\n",
        )
        .unwrap();
        assert_eq!(load_waivers(&wpath).unwrap_err().problems[0].line, 5);
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn broken_corpus_matches_expected() {
        let Some(dir) = corpus_dir() else {
            println!("note: fixtures/broken/manifests not found (set VETTER_FIXTURES); skipped");
            return;
        };
        let mismatches = check_broken_corpus(&dir);
        assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
    }

    #[test]
    fn never_panics() {
        if let Some(dir) = corpus_dir() {
            for entry in std::fs::read_dir(&dir).unwrap().flatten() {
                let _ = load(&entry.path());
                let _ = load_waivers(&entry.path());
            }
        }
        // Byte-mangled versions of the full example: flips, deletions, insertions, truncations.
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let specials = b"[]{}=\"'\n#.,\\-:0 \xff\xc3";
        for _ in 0..3000 {
            let mut bytes = FULL.as_bytes().to_vec();
            for _ in 0..(next() % 6 + 1) {
                if bytes.is_empty() {
                    break;
                }
                let at = (next() as usize) % bytes.len();
                let byte = specials[(next() as usize) % specials.len()];
                match next() % 4 {
                    0 => bytes[at] = byte,
                    1 => {
                        bytes.remove(at);
                    }
                    2 => bytes.insert(at, byte),
                    _ => bytes.truncate(at),
                }
            }
            let text = String::from_utf8_lossy(&bytes);
            if let Ok(m) = parse(&text, "fuzz.toml") {
                let _ = m.line_of("waiver", 0);
            }
            let _ = parse_waivers(&text, "fuzz.toml");
        }
    }
}
