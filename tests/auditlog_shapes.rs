//! Audit logs as practice systems' admin screens export them (fixtures/auditlogs, written by
//! make_shapes.py): `vetter assess` on a manifest naming each must produce correct audit facts
//! and no finding caused by vetter's own reading of the file.

use std::path::Path;

use serde_json::Value;

use crate::support::*;

/// Rules whose outcome depends only on vetter reading the log correctly: each must pass for a
/// well-formed export of a normal working practice.
const READING: &[&str] = &[
    "hipaa-log-core-fields",
    "hipaa-log-context-fields",
    "hipaa-log-parse",
    "hipaa-log-unique-actors",
    "hipaa-log-gaps",
    "hipaa-log-order",
    "hipaa-log-reads",
    "hipaa-log-changes",
    "hipaa-log-logins",
    "hipaa-log-failed-logins",
    "hipaa-log-permission-changes",
    "hipaa-log-retention",
    "hipaa-log-break-glass",
];

/// Assess one audit log with hipaa rules; (facts of the log, rule → status).
fn assess(dir: &Path, log: &str, extra: &str) -> (Value, std::collections::BTreeMap<String, String>) {
    let fixture = root().join("fixtures/auditlogs").join(log);
    std::fs::write(
        dir.join("vendor.toml"),
        format!(
            "[vendor]\nname = \"Practice system\"\nframeworks = [\"hipaa\"]\n\n[[audit_log]]\npath = {:?}\n{extra}",
            fixture.display().to_string()
        ),
    )
    .unwrap();
    let facts = dir.join("facts.json");
    let o = vetter()
        .args([
            "assess",
            "--as-of",
            "2026-12-01",
            "--format",
            "json",
            "--quiet",
            "--save-facts",
        ])
        .arg(&facts)
        .arg(dir.join("vendor.toml"))
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .unwrap();
    assert_no_panic(&o);
    let r: Value = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&o.stderr)));
    let statuses = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_string(),
                f["status"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let f: Value = serde_json::from_slice(&std::fs::read(&facts).unwrap()).unwrap();
    (f["facts"]["audit_logs"][0].clone(), statuses)
}

fn check_reading(log: &str, f: &Value, st: &std::collections::BTreeMap<String, String>) {
    assert_eq!(f["error"], Value::Null, "{log}: {f}");
    assert_eq!(f["parse_errors"], 0, "{log}");
    for k in ["actor", "action", "resource", "timestamp", "outcome", "source_ip"] {
        assert_eq!(f["fields"][k], 1.0, "{log}: fields.{k} in {}", f["fields"]);
    }
    assert_eq!(f["actors"]["blank"], 0, "{log}");
    for rule in READING {
        assert_eq!(
            st.get(*rule).map(String::as_str),
            Some("pass"),
            "{log}: {rule} in {st:?}\n{f}"
        );
    }
}

#[test]
fn practice_admin_export_with_12_hour_eastern_timestamps() {
    let d = tempfile::tempdir().unwrap();
    let (f, st) = assess(d.path(), "practice-admin.csv", "");
    check_reading("practice-admin.csv", &f, &st);
    // 11/03/2025 07:38:00 AM Eastern (EST, -05:00).
    assert_eq!(f["first"], "2025-11-03T12:38:00Z");
    assert_eq!(f["fields"]["timestamp_offset"], 1.0, "the header states the zone");
    assert_eq!(st["hipaa-log-timestamp-offset"], "pass");
    let g = &f["columns_guessed"];
    for (col, role) in [
        ("Date/Time (ET)", "timestamp"),
        ("User", "actor"),
        ("Action", "action"),
        ("Patient ID", "resource"),
        ("IP Address", "source_ip"),
        ("Result", "outcome"),
    ] {
        assert_eq!(g[col], role, "{g}");
    }
    assert_eq!(g.get("Details"), None, "{g}");
    assert_eq!(f["timestamp_tz"], "America/New_York (from the header)");
}

#[test]
fn epic_like_export_with_local_times_and_a_manifest_zone() {
    let d = tempfile::tempdir().unwrap();
    let (f, st) = assess(d.path(), "epic-like.csv", "tz = \"America/Chicago\"\n");
    check_reading("epic-like.csv", &f, &st);
    // 11/3/2025 7:33 AM Central (CST, -06:00).
    assert_eq!(f["first"], "2025-11-03T13:33:00Z");
    // The export itself states no zone: that finding is about the vendor's export.
    assert_eq!(f["fields"]["timestamp_offset"], 0.0);
    assert_eq!(f["timestamp_tz"], "America/Chicago (from the manifest)");
    assert_eq!(f["columns_guessed"]["PAT_MRN_ID"], "resource");
}

#[test]
fn athena_like_export_with_iso_dates_and_12_hour_times() {
    let d = tempfile::tempdir().unwrap();
    let (f, st) = assess(d.path(), "athena-like.csv", "");
    check_reading("athena-like.csv", &f, &st);
    assert_eq!(f["first"], "2025-11-03T12:36:00Z");
    assert_eq!(f["columns_guessed"]["Performed By"], "actor");
}

#[test]
fn european_export_with_dotted_dates() {
    let d = tempfile::tempdir().unwrap();
    let (f, st) = assess(d.path(), "eu-practice.csv", "");
    check_reading("eu-practice.csv", &f, &st);
    assert_eq!(f["first"], "2025-11-03T06:41:00Z");
}

/// A timestamp layout vetter cannot read is an error fact naming the line, never a pass; with
/// `timestamp_format` the same file reads.
#[test]
fn unreadable_timestamps_are_an_error_naming_the_line_and_the_fix() {
    let d = tempfile::tempdir().unwrap();
    let log = d.path().join("odd.csv");
    let mut s = String::from("When,User,Action,Patient ID,IP Address,Result\n");
    for i in 0..1500 {
        s.push_str(&format!(
            "2026|06|{:02}~07h33,u{},View Chart,{},10.0.0.1,ok\n",
            1 + i % 28,
            i % 7,
            1000 + i
        ));
    }
    std::fs::write(&log, s).unwrap();
    let (f, st) = assess(d.path(), log.to_str().unwrap(), "");
    let e = f["error"].as_str().unwrap_or_else(|| panic!("no error: {f}"));
    assert!(e.contains("0 of 1,500 timestamps"), "{e}");
    assert!(e.contains("line 2"), "{e}");
    assert!(e.contains("timestamp_format"), "{e}");
    assert_eq!(st["hipaa-log-parse"], "error");
    let (f, st) = assess(
        d.path(),
        log.to_str().unwrap(),
        "timestamp_format = \"%Y|%m|%d~%Hh%M\"\n",
    );
    assert_eq!(f["error"], Value::Null, "{f}");
    assert_eq!(f["fields"]["timestamp"], 1.0);
    assert_eq!(st["hipaa-log-parse"], "pass");
}

/// Login, logout, failed-login and configuration events carry no record by nature.
#[test]
fn events_without_a_record_by_nature_do_not_count_against_record_ids() {
    let d = tempfile::tempdir().unwrap();
    let log = d.path().join("a.csv");
    std::fs::write(
        &log,
        "timestamp,user,action,record_id,ip,result\n\
         2026-06-01T07:00:00Z,amy,Login,,10.0.0.1,ok\n\
         2026-06-01T07:01:00Z,amy,View Chart,P1,10.0.0.1,ok\n\
         2026-06-01T07:02:00Z,amy,Configuration Change,,10.0.0.1,ok\n\
         2026-06-01T07:03:00Z,amy,Failed Login,,10.0.0.1,fail\n\
         2026-06-01T07:04:00Z,amy,Logout,,10.0.0.1,ok\n",
    )
    .unwrap();
    let (f, _) = assess(d.path(), log.to_str().unwrap(), "");
    assert_eq!(f["fields"]["resource"], 1.0, "{f}");
}

/// A zone or layout the manifest gets wrong stops the run (exit 2) at the key.
#[test]
fn bad_tz_or_timestamp_format_is_a_usage_error_at_the_key() {
    let d = tempfile::tempdir().unwrap();
    for (extra, key) in [
        ("tz = \"Eastern\"\n", "tz"),
        ("timestamp_format = \"%Q/%m\"\n", "timestamp_format"),
        ("timestamp_format = \"%H:%M\"\n", "timestamp_format"),
    ] {
        std::fs::write(
            d.path().join("vendor.toml"),
            format!("[vendor]\nname = \"x\"\n\n[[audit_log]]\npath = \"a.csv\"\n{extra}"),
        )
        .unwrap();
        std::fs::write(d.path().join("a.csv"), "timestamp,user\n").unwrap();
        let o = vetter()
            .args(["assess", "--quiet"])
            .arg(d.path().join("vendor.toml"))
            .timeout(std::time::Duration::from_secs(30))
            .output()
            .unwrap();
        let err = text(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{extra}: {err}");
        assert!(err.contains("vendor.toml:6:"), "{extra}: {err}");
        assert!(err.contains(key), "{err}");
    }
}

/// A date and a time in two columns are read as one timestamp.
#[test]
fn date_and_time_in_two_columns_are_one_timestamp() {
    let d = tempfile::tempdir().unwrap();
    let log = d.path().join("split.csv");
    std::fs::write(
        &log,
        "Date,Time (CT),User,Action,Patient ID,IP Address,Result\n\
         06/01/2026,07:33:00 AM,amy,View Chart,P1,10.0.0.1,ok\n\
         06/01/2026,07:40:00 AM,amy,Edit Demographics,P1,10.0.0.1,ok\n",
    )
    .unwrap();
    let (f, _) = assess(d.path(), log.to_str().unwrap(), "");
    assert_eq!(f["error"], serde_json::Value::Null, "{f}");
    assert_eq!(f["first"], "2026-06-01T12:33:00Z", "{f}");
    assert_eq!(f["fields"]["timestamp"], 1.0);
    assert_eq!(f["columns_guessed"]["Date"], "timestamp");
    assert_eq!(f["columns_guessed"]["Time (CT)"], "timestamp");
}
