//! `vetter rules list|explain|check`.

use anyhow::{Result, anyhow};
use comfy_table::{ContentArrangement, Table, presets};

use super::args::{Global, RulesCommand};
use super::{Exit, UsageError, output};
use vetter::report::Format;
use vetter::report::text::escape_controls;
use vetter::rules::{LoadOptions, RuleSet, read_pack_files};

fn load(extra: &[String], metadata_only: bool) -> Result<RuleSet> {
    super::check_rule_files(extra)?;
    RuleSet::load(&LoadOptions {
        include_builtin: true,
        extra: extra.to_vec(),
        allow_override: true,
        metadata_only,
    })
    .map_err(|e| anyhow!(e))
}

/// What each `rules` subcommand writes.
fn writes(cmd: &RulesCommand) -> output::Writes {
    let (cmd, formats): (&'static str, &'static [Format]) = match cmd {
        RulesCommand::List { .. } => ("rules list", output::TEXT_OR_JSON),
        RulesCommand::Explain { scoring: true, .. } => ("rules explain --scoring", &[Format::Table]),
        RulesCommand::Explain { .. } => ("rules explain", output::TEXT_OR_JSON),
        RulesCommand::Check { .. } => ("rules check", &[Format::Table]),
    };
    output::Writes {
        cmd,
        formats,
        files: true,
    }
}

pub fn run(g: &Global, cmd: RulesCommand) -> Result<Exit> {
    let t = output::single(g, &writes(&cmd))?;
    let out = |text: &str| output::write(g, &t.dest, text, "the rules");
    match cmd {
        RulesCommand::List {
            rules,
            framework,
            force,
        } => list(&rules, &framework, &force, t.format, out),
        RulesCommand::Explain { id, scoring, rules } => {
            if scoring {
                out(vetter::score::EXPLANATION)?;
                return Ok(Exit::Ok);
            }
            let set = load(&rules, false)?;
            let id = id.unwrap_or_default();
            let Some(r) = set.rule(&id) else {
                let close: Vec<&str> = set
                    .rules
                    .iter()
                    .map(|r| r.rule.id.as_str())
                    .filter(|x| x.contains(id.as_str()) || id.contains(*x))
                    .take(5)
                    .collect();
                let hint = if close.is_empty() {
                    "run `vetter rules list` for every rule id".to_string()
                } else {
                    format!("did you mean: {}", close.join(", "))
                };
                return Err(anyhow!(UsageError(format!("no rule `{id}`\n  help: {hint}"))));
            };
            if t.format == Format::Json {
                out(&(serde_json::to_string_pretty(&r.rule)? + "\n"))?;
            } else {
                // Pack text is the pack author's: escaped for the terminal.
                out(&escape_controls(&explain_text(&set, &r.rule)))?;
            }
            Ok(Exit::Ok)
        }
        RulesCommand::Check { dir, standalone, facts } => {
            super::check_rule_files(std::slice::from_ref(&dir))?;
            let files = read_pack_files(&dir).map_err(|p| anyhow!(vetter::diag::ConfigError::one(p)))?;
            // Read before anything is checked: a facts file that cannot be used is a usage error.
            let mut vendors = vetter::rules::messages::recorded();
            for path in &facts {
                vendors.push(read_vendor(g, path)?);
            }
            let mut sources: Vec<(String, String, bool)> = Vec::new();
            if !standalone {
                // Checked together with the built-in packs so duplicate ids and params are caught;
                // a user pack whose file is itself a built-in one is not counted twice.
                let user_names: Vec<String> = files.iter().map(|(f, _)| f.replace('\\', "/")).collect();
                for (name, text) in vetter::rules::BUILTIN {
                    if !user_names.iter().any(|u| u.ends_with(name)) {
                        sources.push((format!("builtin:{name}"), text.to_string(), true));
                    }
                }
            }
            let n = files.len();
            sources.extend(files.into_iter().map(|(f, t)| (f, t, false)));
            match RuleSet::from_sources(&sources, false, vec![]) {
                Ok(set) => {
                    let is_user = |pack: &str| set.packs.iter().any(|p| p.id == pack && !p.source.builtin);
                    let user: usize = set.packs.iter().filter(|p| !p.source.builtin).count();
                    let rules = set.rules.iter().filter(|r| is_user(&r.rule.pack)).count();
                    // The user's rules are proved by their own examples, run through the engine,
                    // and every message they give is read as a practice manager would read it.
                    let (ran, mut problems) = vetter::rules::examples::check(&set, |r| is_user(&r.rule.pack));
                    let lint = vetter::rules::messages::check(&set, &vendors, |r| is_user(&r.rule.pack));
                    let unreadable = !lint.problems.is_empty();
                    // A wrong example is a broken pack (exit 2); a message a practice manager
                    // cannot read is a check the pack failed (exit 1). Both are listed at once.
                    let broken = !problems.is_empty();
                    problems.extend(lint.problems);
                    if broken {
                        return Err(anyhow!(vetter::diag::ConfigError::new(problems)));
                    }
                    if unreadable {
                        // Messages quote facts, which a --facts file controls: escaped.
                        eprintln!(
                            "{}",
                            escape_controls(&vetter::diag::ConfigError::new(problems).to_string())
                        );
                        return Ok(Exit::Threshold);
                    }
                    let without = set
                        .rules
                        .iter()
                        .filter(|r| is_user(&r.rule.pack) && r.rule.examples.is_empty())
                        .count();
                    let note = if without > 0 {
                        format!(" ({without} rule(s) have no [[rule.example]])")
                    } else {
                        String::new()
                    };
                    out(&format!(
                        "{dir}: {n} file(s), {user} pack(s), {rules} rule(s), {ran} example(s): no problems{note}; {} message(s) rendered against {} recorded vendor(s) and the examples read plainly\n",
                        lint.messages,
                        vendors.len()
                    ))?;
                    Ok(Exit::Ok)
                }
                Err(e) => Err(anyhow!(e)),
            }
        }
    }
}

/// A facts file given with `--facts`, as a vendor to render messages against.
fn read_vendor(g: &Global, path: &std::path::Path) -> Result<vetter::rules::messages::Vendor> {
    let display = path.display().to_string();
    let bytes = vetter::probe::input::read(path, vetter::probe::input::Kind::Facts, super::wait(g))
        .map_err(|e| UsageError(format!("{display}: cannot read facts file: {e}")))?;
    let assessment = serde_json::from_slice(&bytes).map_err(|e| anyhow!(super::not_facts(&display, &e)))?;
    Ok(vetter::rules::messages::Vendor {
        name: display,
        assessment,
    })
}

fn list(
    extra: &[String],
    framework: &[String],
    force: &[vetter::rules::Force],
    format: Format,
    out: impl Fn(&str) -> Result<()>,
) -> Result<Exit> {
    let set = load(extra, true)?;
    let rules: Vec<_> = set
        .rules
        .iter()
        .map(|r| &r.rule)
        .filter(|r| framework.is_empty() || framework.contains(&r.pack))
        .filter(|r| force.is_empty() || force.contains(&r.force))
        .collect();
    if format == Format::Json {
        let rows: Vec<serde_json::Value> = rules
            .iter()
            .map(|r| serde_json::json!({"id": r.id, "pack": r.pack, "severity": r.severity, "force": r.force, "category": r.category, "title": r.title, "ref": r.refs.first(), "manual": r.manual}))
            .collect();
        out(&(serde_json::to_string_pretty(&rows)? + "\n"))?;
        return Ok(Exit::Ok);
    }
    let mut t = Table::new();
    t.load_style(presets::UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .force_no_tty();
    t.set_width(
        std::env::var("COLUMNS")
            .ok()
            .and_then(|c| c.parse().ok())
            .unwrap_or(140),
    );
    t.set_header(vec!["Rule", "Severity", "Force", "Category", "Title", "Reference"]);
    for r in &rules {
        let title = if r.manual {
            format!("{} (manual)", r.title)
        } else {
            r.title.clone()
        };
        t.add_row(vec![
            r.id.clone(),
            r.severity.to_string(),
            r.force.as_str().to_string(),
            r.category.to_string(),
            title,
            r.refs.first().cloned().unwrap_or_default(),
        ]);
    }
    out(&escape_controls(&format!("{t}\n{} rules\n", rules.len())))?;
    Ok(Exit::Ok)
}

fn explain_text(set: &RuleSet, r: &vetter::rules::Rule) -> String {
    let mut s = format!(
        "{}  ({} · {} · pack {})\n\n{}\n\n",
        r.id, r.severity, r.category, r.pack, r.title
    );
    s.push_str(&format!("Force\n  {} — {}\n\n", r.force.as_str(), r.force.meaning()));
    if let Some(d) = &r.duty {
        s.push_str(&format!("Duty\n  {d}\n\n"));
    }
    if let Some(t) = &r.threshold {
        s.push_str(&format!("Threshold\n  {t}\n\n"));
    }
    s.push_str(&format!("What it checks\n  {}\n\n", r.description));
    s.push_str(&format!("How to fix it\n  {}\n\n", r.remediation));
    s.push_str(&format!("References\n  {}\n", r.refs.join("\n  ")));
    if !r.requirement.is_empty() {
        s.push_str(&format!("\nRequirements\n  {}\n", r.requirement.join(", ")));
    }
    s.push_str("\nHow it is evaluated\n");
    if let Some(e) = &r.each {
        s.push_str(&format!("  each:   {e}\n"));
    }
    if let Some(w) = &r.when {
        s.push_str(&format!("  when:   {w}\n"));
    }
    if let Some(a) = &r.assert {
        s.push_str(&format!("  assert: {a}\n"));
    }
    if r.manual {
        s.push_str("  manual: satisfied only by an [[attestation]] in the manifest\n");
        if let Some(a) = &r.attestation {
            s.push_str(&format!("  attach: {a}\n"));
        }
    }
    if r.optional {
        s.push_str("  optional: an empty list is fine\n");
    }
    if let Some(c) = r.cap {
        s.push_str(&format!("  cap:    a failure caps the grade at {c}\n"));
    }
    if !r.examples.is_empty() {
        s.push_str(&format!(
            "\nExamples ({}, run by `vetter rules check`)\n",
            r.examples.len()
        ));
        for e in &r.examples {
            s.push_str(&format!(
                "  {:<8} {} (line {})\n",
                e.status.as_str(),
                e.note.as_deref().unwrap_or(""),
                e.line
            ));
        }
    }
    for p in &r.params_read {
        if let Some(d) = set.params.get(p) {
            s.push_str(&format!(
                "  param:  {p} = {} (floor {}; {}){}\n",
                d.default,
                d.floor.clone().map(|f| f.to_string()).unwrap_or_else(|| "none".into()),
                match d.stricter {
                    Some(vetter::rules::Stricter::Lower) => "lower is stricter",
                    Some(vetter::rules::Stricter::Higher) => "higher is stricter",
                    None => "no direction",
                },
                d.description.as_ref().map(|x| format!(" — {x}")).unwrap_or_default()
            ));
        }
    }
    s
}
