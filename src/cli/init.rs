//! `vetter init [DIR]`: a commented manifest and the evidence request list, generated from the packs.

use std::path::Path;

use anyhow::{Context, Result, anyhow};

use super::{Exit, UsageError, write_stdout};
use vetter::facts::Jurisdiction;
use vetter::rules::{LoadOptions, RuleSet};

const MANIFEST: &str = r#"# vetter manifest: what to assess for one vendor. Paths are relative to this file.
# Run:  vetter assess vendor.toml          (vetter rules list shows every rule)

[vendor]
name = "Example Practice CRM"
contact = "security@vendor.example"          # optional
# frameworks = ["hipaa", "baa", "gdpr", "assurance"]   # default: every default pack
# next_review = "2027-11-23"

{PRACTICE}

# Each HTTPS endpoint that carries patient data.
[[endpoint]]
url = "https://api.vendor.example/v1/patients"
# auth = { header = "Authorization", env = "VENDOR_TOKEN" }   # the secret stays in the environment
# auth = "none"                                               # or: probed without credentials on purpose
# http_url = "http://api.vendor.example/v1/patients"          # where to test the http→https redirect
# resolve = "127.0.0.1"                                        # connect here, keep the name for SNI

# Data exports the vendor gave you (CSV, JSON, NDJSON, XLSX; gzip/zstd/zip; age/PGP encrypted).
# [[export]]
# path = "exports/patients.csv.gz"
# retention = { date_field = "last_visit", max_age_days = 2190 }
# columns = ["patient_id", "first_name", "last_name", "last_visit"]
# erasure = { file = "requests/erasure.txt", column = "patient_id" }
# deidentified = true                        # the vendor says this extract is de-identified
# portability = true                         # the copy patients receive under GDPR Art. 20
# reidentification_codes = ["study_code"]    # 164.514(c) codes: not counted as unique identifiers

# Audit-log exports (JSONL or CSV).
# [[audit_log]]
# path = "exports/audit.jsonl"
# fields = { actor = "user", action = "event", resource = "record_id", timestamp = "ts" }
# business_hours = { start = "07:00", end = "19:00", days = "Mon-Fri", tz = "America/Chicago" }

# Documents: SOC 2 report, BAA, DPA, pen-test letter, HITRUST letter, policies.
# [[evidence]]
# path = "evidence/soc2-type2.pdf"
# kind = "soc2"        # soc2 | baa | dpa | pentest | hitrust | policy
#
# [[evidence]]         # the SOC 2 of a hosting provider the vendor's report carves out
# path = "evidence/host-soc2-type2.pdf"
# subservice = "Amazon Web Services"

# [params]             # tighten a pack parameter, e.g. a 10-day breach notice
# breach_notice_max_days = 10

# [[attestation]]      # evidence for a rule no probe can check (see EVIDENCE-REQUEST.md)
# rule = "hipaa-risk-analysis"   # or several manual rules: ["hipaa-risk-analysis", "hipaa-breach-*"]
# evidence = "evidence/risk-analysis.pdf"
# attested_by = "J. Rivera, practice manager"
# date = "2026-10-02"
# expires = "2027-10-02"

# [[waiver]]           # accept a failing finding until a date
# rule = "gdpr-transfer-mechanism"   # or a glob over rule ids: "gdpr-dpa-*" (* and ?)
# resource = "https://api.vendor.example/*"
# reason = "EU data stays in eu-west-1 per DPA annex 3"
# approver = "M. Chen, privacy officer"
# expires = "2027-03-31"
"#;

/// The `[practice]` table: which law applies, as given or asked; commented out when unknown.
fn practice_table(j: Option<Jurisdiction>, eu: bool) -> String {
    let mut t = String::from(
        "# Which law applies to the practice: HIPAA rules run for a US practice, GDPR rules only\n# where the GDPR applies (established in the EU/EEA or UK, or serving people there: Art. 3).\n",
    );
    if j.is_none() && !eu {
        t.push_str("# Not set: GDPR rules will not run until you say. Uncomment and fill in:\n# [practice]\n# jurisdiction = \"us\"        # us | eu | uk | other\n# eu_data_subjects = false     # it serves or monitors people in the EU/EEA or UK\n");
        return t;
    }
    t.push_str("[practice]\n");
    match j {
        Some(j) => t.push_str(&format!(
            "jurisdiction = \"{}\"        # us | eu | uk | other\n",
            j.as_str()
        )),
        None => t.push_str("# jurisdiction = \"us\"      # us | eu | uk | other\n"),
    }
    t.push_str(&format!(
        "eu_data_subjects = {eu}      # it serves or monitors people in the EU/EEA or UK\n"
    ));
    t
}

/// Ask on the terminal where the practice is established; `None` when not interactive.
fn ask_practice() -> Result<Option<(Jurisdiction, bool)>> {
    use std::io::{BufRead, IsTerminal, Write};
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        return Ok(None);
    }
    let ask = |q: &str| -> Result<String> {
        eprint!("{q}");
        std::io::stderr().flush()?;
        let mut line = String::new();
        stdin.lock().read_line(&mut line)?;
        Ok(line.trim().to_string())
    };
    let j = loop {
        let a = ask("Where is the practice established? [us/eu/uk/other] (us): ")?;
        if a.is_empty() {
            break Jurisdiction::Us;
        }
        // Answers are forgiving of case ("US"); the names themselves are lowercase.
        match a.to_ascii_lowercase().parse::<Jurisdiction>() {
            Ok(j) => break j,
            Err(e) => eprintln!("{e}"),
        }
    };
    let eu = matches!(
        ask("Does it offer care to, or monitor, people in the EU/EEA or UK? [y/N]: ")?
            .to_ascii_lowercase()
            .as_str(),
        "y" | "yes"
    );
    Ok(Some((j, eu)))
}

pub fn run(dir: &Path, force: bool, jurisdiction: Option<Jurisdiction>, eu_data_subjects: bool) -> Result<Exit> {
    let set = RuleSet::load(&LoadOptions {
        include_builtin: true,
        ..Default::default()
    })
    .map_err(|e| anyhow!(e))?;
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let manifest = dir.join("vendor.toml");
    let request = dir.join("EVIDENCE-REQUEST.md");
    for p in [&manifest, &request] {
        // A link is never written through, even with --force: a dangling one would create its
        // target wherever it points.
        if std::fs::symlink_metadata(p).is_ok_and(|m| m.file_type().is_symlink()) {
            return Err(anyhow!(UsageError(format!(
                "{} is a symbolic link; init does not write through links\n  help: remove the link, or run init in another directory",
                p.display()
            ))));
        }
        if p.exists() && !force {
            return Err(anyhow!(UsageError(format!(
                "{} already exists\n  help: pass --force to overwrite it",
                p.display()
            ))));
        }
    }
    let (j, eu) = match jurisdiction {
        Some(j) => (Some(j), eu_data_subjects),
        None if eu_data_subjects => (None, true),
        None => match ask_practice()? {
            Some((j, eu)) => (Some(j), eu),
            None => (None, false),
        },
    };
    let practice = if j.is_some() || eu {
        vetter::facts::PracticeFacts::new(j, Some(eu))
    } else {
        vetter::facts::PracticeFacts::default()
    };
    let table = practice_table(j, eu);
    write_new(&manifest, &MANIFEST.replace("{PRACTICE}\n", &table))?;
    write_new(&request, &evidence_request(&set, &practice))?;
    write_stdout(&format!("wrote {} and {}\n", manifest.display(), request.display()))?;
    if j.is_none() && !eu {
        eprintln!(
            "note: which law applies to the practice was not given: GDPR rules will not run until [practice] in {} says so (or pass --jurisdiction)",
            manifest.display()
        );
    }
    Ok(Exit::Ok)
}

/// Write `text` to `path` without following a link there (`O_NOFOLLOW`: a link made after the
/// check above fails the open instead of being written through).
fn write_new(path: &Path, text: &str) -> Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .custom_flags(libc::O_NOFOLLOW)
        .open(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    f.write_all(text.as_bytes())
        .with_context(|| format!("cannot write {}", path.display()))
}

/// The list of documents and exports to ask the vendor for, from the default packs.
pub fn evidence_request(set: &RuleSet, practice: &vetter::facts::PracticeFacts) -> String {
    let selected = set.select(&[], practice).map(|s| s.packs).unwrap_or_default();
    let mut s = String::from(
        "# Evidence to request from the vendor\n\nSend this list to the vendor's security contact. Each item lets vetter check rules instead of taking the vendor's word.\n\n",
    );
    let groups: [(&str, &str, &str); 8] = [
        (
            "endpoints",
            "Endpoints",
            "The HTTPS URLs of every API and web app that handles your patients' data (vetter tests them from outside).",
        ),
        (
            "exports",
            "Data exports",
            "A sample export of your data in the format they would deliver it (encrypted as they would deliver it).",
        ),
        (
            "audit_logs",
            "Audit-log export",
            "An export of the audit log for your account covering at least 90 days (JSONL or CSV).",
        ),
        (
            "evidence.soc2",
            "SOC 2 report",
            "The latest SOC 2 Type 2 report, with any bridge letter.",
        ),
        (
            "evidence.baa",
            "Business associate agreement",
            "The signed BAA (or their template).",
        ),
        (
            "evidence.dpa",
            "Data processing agreement",
            "The DPA with annexes (sub-processors, transfers, security measures), if EU data is involved.",
        ),
        (
            "evidence.pentest",
            "Penetration test",
            "The latest penetration-test summary letter.",
        ),
        (
            "evidence.hitrust",
            "HITRUST",
            "A HITRUST certification letter, if they have one.",
        ),
    ];
    for (each, title, ask) in groups {
        let rules: Vec<_> = set
            .rules
            .iter()
            .map(|r| &r.rule)
            .filter(|r| selected.contains(&r.pack) && r.each.as_deref() == Some(each))
            .collect();
        if rules.is_empty() {
            continue;
        }
        s.push_str(&format!(
            "## {title}\n\n{ask}\n\nChecked by {} rules, e.g.:\n",
            rules.len()
        ));
        for r in rules.iter().take(5) {
            s.push_str(&format!("- {} (`{}`)\n", r.title, r.id));
        }
        s.push('\n');
    }
    let manual: Vec<_> = set
        .rules
        .iter()
        .map(|r| &r.rule)
        .filter(|r| selected.contains(&r.pack) && r.manual)
        .collect();
    if !manual.is_empty() {
        s.push_str("## Documents for attestation\n\nNo probe can check these; attach the document and record an `[[attestation]]` in vendor.toml.\n\n");
        for r in manual {
            s.push_str(&format!(
                "- **{}** (`{}`): {}\n",
                r.title,
                r.id,
                r.attestation.as_deref().unwrap_or(&r.description)
            ));
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::MANIFEST;
    use vetter::manifest::{TEMPLATE_CONTACT, TEMPLATE_ENDPOINT_URL, TEMPLATE_VENDOR_NAME};

    /// The pre-flight knows the untouched template by these placeholders: they must be the
    /// ones it writes.
    #[test]
    fn the_template_holds_the_placeholders_the_preflight_looks_for() {
        for placeholder in [TEMPLATE_VENDOR_NAME, TEMPLATE_CONTACT, TEMPLATE_ENDPOINT_URL] {
            assert!(MANIFEST.contains(&format!("\"{placeholder}\"")), "{placeholder}");
        }
    }
}
