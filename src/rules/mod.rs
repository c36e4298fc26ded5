//! ① Rule packs: loading (built-in and `--rules DIR`), validation that collects every
//! problem with file:line:column, CEL compilation and field-path checks. Reads pack files;
//! nothing else here does I/O.

pub mod check;
pub mod cost;
pub mod examples;
pub mod law;
pub mod lint;
pub mod load;
pub mod messages;
pub mod model;
pub mod shape;
pub mod words;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use cel::Program;
use sha2::{Digest, Sha256};

pub use model::*;

use crate::diag::{ConfigError, Problem};
use check::{PathChecker, Segment};
use shape::Shape;

include!(concat!(env!("OUT_DIR"), "/builtin_packs.rs"));

/// One built-in pack's `[pack]` identity, for `vetter --version`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuiltinPack {
    pub id: String,
    pub version: String,
    /// `rules` or `phrasing`.
    pub kind: String,
}

/// The id, version and kind of every built-in pack, in file order, read from each file's
/// `[pack]` table alone (cheap enough for every start; the full load checks the same table).
pub fn builtin_packs() -> Vec<BuiltinPack> {
    #[derive(serde::Deserialize)]
    struct Head {
        id: String,
        version: String,
        #[serde(default = "rules_kind")]
        kind: String,
    }
    fn rules_kind() -> String {
        "rules".into()
    }
    BUILTIN
        .iter()
        .filter_map(|(_, text)| {
            let start = text
                .find("\n[pack]\n")
                .map(|o| o + 8)
                .or_else(|| text.strip_prefix("[pack]\n").map(|_| 7))?;
            let body = &text[start..];
            let end = body.find("\n[").map_or(body.len(), |o| o + 1);
            let head: Head = toml::from_str(&body[..end]).ok()?;
            Some(BuiltinPack {
                id: head.id,
                version: head.version,
                kind: head.kind,
            })
        })
        .collect()
}

/// A compiled CEL expression: the program as written (for its references and source
/// positions) and the same tree metered for evaluation (see [`cost`]).
pub struct Cel {
    pub program: Program,
    /// What the engine runs: every comprehension iteration is counted against the budget.
    pub metered: cel::parser::Expression,
}

impl Cel {
    fn new(program: Program) -> Cel {
        let metered = cost::metered(program.expression());
        Cel { program, metered }
    }
}

/// A piece of a compiled message template.
pub enum MessagePart {
    Text(String),
    Expr(Cel),
}

/// A rule ready to evaluate.
pub struct CompiledRule {
    pub rule: Rule,
    pub when: Option<Cel>,
    pub assert: Option<Cel>,
    pub message: Vec<MessagePart>,
    /// Fact paths the rule reads (for a finding's evidence), e.g. `it.tls.min_version`.
    pub reads: Vec<String>,
}

/// Every loaded pack and rule.
pub struct RuleSet {
    pub packs: Vec<PackInfo>,
    pub params: BTreeMap<String, ParamDef>,
    pub rules: Vec<CompiledRule>,
    pub overrides: Vec<Override>,
    /// Phrasing packs (`kind = "phrasing"`), for the evidence reader.
    pub phrasing: Vec<(PackInfo, toml::Table)>,
}

/// Where to find packs.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    pub include_builtin: bool,
    /// Extra pack directories or files (`--rules DIR`).
    pub extra: Vec<String>,
    pub allow_override: bool,
    /// Read rule metadata only: no CEL compilation or path checks (for listing rules; the
    /// rules cannot be evaluated). `vetter rules check` and every evaluation do the full load.
    pub metadata_only: bool,
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Read a directory (or single file) of packs: (display path, text) pairs, sorted by name.
pub fn read_pack_files(arg: &str) -> Result<Vec<(String, String)>, Problem> {
    let p = Path::new(arg);
    let meta = std::fs::metadata(p).map_err(|e| {
        Problem::file(arg, format!("cannot read rule packs: {e}"))
            .help("pass a directory of *.toml packs or one pack file")
    })?;
    let mut files = Vec::new();
    if meta.is_dir() {
        let entries = std::fs::read_dir(p).map_err(|e| Problem::file(arg, format!("cannot list directory: {e}")))?;
        for entry in entries.flatten() {
            let path = entry.path();
            if path.extension().and_then(|e| e.to_str()) == Some("toml") && path.is_file() {
                files.push(path);
            }
        }
        files.sort();
        if files.is_empty() {
            return Err(Problem::file(arg, "no *.toml rule packs in this directory")
                .help("a pack is a TOML file with a [pack] table and [[rule]] tables"));
        }
    } else {
        files.push(p.to_path_buf());
    }
    let mut out = Vec::new();
    for f in files {
        let display = f.to_string_lossy().to_string();
        // Bounded like every other input (size cap, no endless device or pipe).
        let bytes = crate::probe::input::read(&f, crate::probe::input::Kind::Rules, crate::probe::input::DEFAULT_WAIT)
            .map_err(|e| Problem::file(&display, format!("cannot read: {e}")))?;
        let text = String::from_utf8(bytes).map_err(|e| {
            Problem::file(
                &display,
                format!("not valid UTF-8 (byte {})", e.utf8_error().valid_up_to()),
            )
            .help("save the pack as UTF-8")
        })?;
        out.push((display, text));
    }
    Ok(out)
}

impl RuleSet {
    /// Load packs and check everything; all problems at once.
    pub fn load(opts: &LoadOptions) -> Result<RuleSet, ConfigError> {
        let mut sources: Vec<(String, String, bool)> = Vec::new();
        if opts.include_builtin {
            for (name, text) in BUILTIN {
                sources.push((format!("builtin:{name}"), text.to_string(), true));
            }
        }
        let mut problems = Vec::new();
        for dir in &opts.extra {
            match read_pack_files(dir) {
                Ok(files) => sources.extend(files.into_iter().map(|(f, t)| (f, t, false))),
                Err(p) => problems.push(p),
            }
        }
        Self::build(&sources, opts.allow_override, opts.metadata_only, problems)
    }

    /// Build from (file, text, builtin) triples.
    pub fn from_sources(
        sources: &[(String, String, bool)],
        allow_override: bool,
        problems: Vec<Problem>,
    ) -> Result<RuleSet, ConfigError> {
        Self::build(sources, allow_override, false, problems)
    }

    fn build(
        sources: &[(String, String, bool)],
        allow_override: bool,
        metadata_only: bool,
        mut problems: Vec<Problem>,
    ) -> Result<RuleSet, ConfigError> {
        let facts_shape = Shape::facts();
        let mut loaded = Vec::new();
        for (file, text, builtin) in sources {
            let source = PackSource {
                file: file.clone(),
                builtin: *builtin,
                sha256: sha256_hex(text.as_bytes()),
                bytes: text.len() as u64,
            };
            let l = load::load_pack(file, text, source);
            problems.extend(l.problems);
            if let Some(pack) = l.pack {
                loaded.push((pack, l.spans, file.clone(), text.clone()));
            }
        }

        // Pack ids unique; params merged.
        let mut packs: Vec<PackInfo> = Vec::new();
        let mut params: BTreeMap<String, ParamDef> = BTreeMap::new();
        for (pack, _, file, text) in &loaded {
            if let Some(prev) = packs.iter().find(|p| p.id == pack.info.id) {
                problems.push(
                    Problem::at(
                        file,
                        text,
                        find_span(text, "id"),
                        format!("pack id `{}` is already used by {}", pack.info.id, prev.source.file),
                    )
                    .help("give the pack its own id"),
                );
                continue;
            }
            packs.push(pack.info.clone());
            for (name, def) in &pack.params {
                match params.get(name) {
                    Some(prev)
                        if prev.default != def.default || prev.floor != def.floor || prev.stricter != def.stricter =>
                    {
                        problems.push(
                            Problem::at(
                                file,
                                text,
                                find_span(text, name),
                                format!("parameter `{name}` is declared differently by pack `{}`", prev.pack),
                            )
                            .help("use the same default, floor and direction, or another name"),
                        );
                    }
                    Some(_) => {}
                    None => {
                        params.insert(name.clone(), def.clone());
                    }
                }
            }
        }

        // Rules: duplicate ids, overrides, CEL.
        let params_shape = check::params_shape(&params);
        let mut rules: Vec<CompiledRule> = Vec::new();
        let mut seen: BTreeMap<String, (String, bool)> = BTreeMap::new();
        let mut overrides = Vec::new();
        let mut phrasing = Vec::new();
        let mut declared = cost::Declared::default();
        // family → the first member's id and resource list: members judge one fact of one
        // resource, so they must read the same list (and none may be manual).
        let mut families: BTreeMap<String, (String, Option<String>)> = BTreeMap::new();
        for (pack, spans, file, text) in loaded {
            if let Some(t) = pack.phrasing.clone() {
                phrasing.push((pack.info.clone(), t));
            }
            for (rule, sp) in pack.rules.into_iter().zip(spans) {
                let at = |range: &std::ops::Range<usize>, inner: usize| {
                    Some(range.start + 1 + inner..range.start + 2 + inner)
                };
                if let Some((prev_file, prev_builtin)) = seen.get(&rule.id).cloned() {
                    let replacing_builtin = prev_builtin && !pack.info.source.builtin;
                    if replacing_builtin && allow_override {
                        let idx = rules
                            .iter()
                            .position(|r| r.rule.id == rule.id)
                            .expect("seen rule is present");
                        let old = rules.remove(idx);
                        overrides.push(Override {
                            rule: rule.id.clone(),
                            replaced_pack: old.rule.pack,
                            by_pack: rule.pack.clone(),
                            by_file: file.clone(),
                        });
                    } else {
                        let help = if replacing_builtin {
                            "pass --allow-override to replace a built-in rule (it is then listed in the report's overrides)".to_string()
                        } else {
                            "rule ids are unique across all packs; rename one".to_string()
                        };
                        problems.push(
                            Problem::at(
                                &file,
                                &text,
                                Some(sp.id.clone()),
                                format!("duplicate rule id `{}` (first defined in {prev_file})", rule.id),
                            )
                            .help(help),
                        );
                        continue;
                    }
                }
                seen.insert(rule.id.clone(), (file.clone(), pack.info.source.builtin));
                // Built-in rule ids carry their pack's prefix, so an id says where it lives.
                if pack.info.source.builtin && !rule.id.starts_with(&format!("{}-", pack.info.id)) {
                    problems.push(Problem::at(
                        &file,
                        &text,
                        Some(sp.id.clone()),
                        format!(
                            "rule id `{}` does not start with its pack id `{}-`",
                            rule.id, pack.info.id
                        ),
                    ));
                    continue;
                }

                if let (Some(fam), Some(span)) = (&rule.family, &sp.family) {
                    let first = families
                        .entry(fam.clone())
                        .or_insert_with(|| (rule.id.clone(), rule.each.clone()));
                    let problem = if rule.manual {
                        Some(format!(
                            "rule `{}` is manual and has family = \"{fam}\": an attestation is not a fact that other rules judge",
                            rule.id
                        ))
                    } else if first.1 != rule.each {
                        Some(format!(
                            "rule `{}` has family = \"{fam}\" but reads each = {} where `{}` of the same family reads each = {}",
                            rule.id,
                            rule.each.as_deref().map_or("(none)".into(), |e| format!("\"{e}\"")),
                            first.0,
                            first.1.as_deref().map_or("(none)".into(), |e| format!("\"{e}\"")),
                        ))
                    } else {
                        None
                    };
                    if let Some(msg) = problem {
                        problems.push(
                            Problem::at(&file, &text, Some(span.clone()), msg)
                                .help("a family groups rules that judge the same fact of the same resource; remove the key or use another family"),
                        );
                        continue;
                    }
                }
                let mut ok = true;
                let mut rule = rule;
                let it = match (&rule.each, &sp.each) {
                    (Some(each), Some(span)) => match facts_shape.path(each) {
                        Some(Shape::List(el)) => Some(el.as_ref()),
                        _ => {
                            problems.push(
                                Problem::at(&file, &text, at(span, 0), format!("`each = \"{each}\"` is not a list in the facts"))
                                    .help("lists: endpoints, exports, audit_logs, evidence.soc2, evidence.baa, evidence.dpa, evidence.pentest, evidence.hitrust, evidence.policy"),
                            );
                            ok = false;
                            None
                        }
                    },
                    _ => None,
                };
                let checker = PathChecker {
                    facts: &facts_shape,
                    it,
                    params: &params_shape,
                };
                let mut params_read = BTreeSet::new();
                let mut reads = BTreeSet::new();
                let mut compile_one = |src: &Option<String>,
                                       span: &Option<std::ops::Range<usize>>,
                                       problems: &mut Vec<Problem>|
                 -> Option<Cel> {
                    let (src, span) = (src.as_ref()?, span.as_ref()?);
                    match check::compile(src) {
                        Ok(p) => {
                            let mut rep = checker.check(&p);
                            rep.problems.extend(cost::check(&p, &mut declared));
                            for pr in &rep.problems {
                                let mut prob = Problem::at(
                                    &file,
                                    &text,
                                    at(span, pr.offset),
                                    format!("rule `{}`: {}", rule.id, pr.message),
                                );
                                prob.help = pr.help.clone();
                                problems.push(prob);
                            }
                            if !rep.problems.is_empty() {
                                return None;
                            }
                            params_read.extend(rep.params_read);
                            reads.extend(collect_reads(&p));
                            Some(Cel::new(p))
                        }
                        Err(pr) => {
                            problems.push(Problem::at(&file, &text, at(span, pr.offset), format!("rule `{}`: {}", rule.id, pr.message)).help("see the CEL language definition; strings use single quotes inside a TOML double-quoted value"));
                            None
                        }
                    }
                };
                if metadata_only {
                    rules.push(CompiledRule {
                        rule,
                        when: None,
                        assert: None,
                        message: Vec::new(),
                        reads: Vec::new(),
                    });
                    continue;
                }
                let when = compile_one(&rule.when, &sp.when, &mut problems);
                ok &= rule.when.is_none() || when.is_some();
                let assert = compile_one(&rule.assert, &sp.assert, &mut problems);
                ok &= rule.assert.is_none() || assert.is_some();
                let mut message = Vec::new();
                if let (Some(m), Some(span)) = (&rule.message, &sp.message) {
                    match check::split_template(m) {
                        Ok(segs) => {
                            for seg in segs {
                                match seg {
                                    Segment::Text(t) => message.push(MessagePart::Text(t)),
                                    Segment::Expr(e, off) => {
                                        let span_inner = Some(span.start + off..span.end);
                                        match compile_one(&Some(e), &span_inner.map(|s| s.start..s.end), &mut problems)
                                        {
                                            Some(p) => message.push(MessagePart::Expr(p)),
                                            None => ok = false,
                                        }
                                    }
                                }
                            }
                        }
                        Err(pr) => {
                            problems.push(Problem::at(
                                &file,
                                &text,
                                at(span, pr.offset),
                                format!("rule `{}`: {}", rule.id, pr.message),
                            ));
                            ok = false;
                        }
                    }
                }
                if !ok {
                    continue;
                }
                rule.params_read = params_read.into_iter().collect();
                rules.push(CompiledRule {
                    rule,
                    when,
                    assert,
                    message,
                    reads: reads.into_iter().collect(),
                });
            }
        }
        if problems.is_empty() {
            rules.sort_by(|a, b| a.rule.id.cmp(&b.rule.id));
            Ok(RuleSet {
                packs,
                params,
                rules,
                overrides,
                phrasing,
            })
        } else {
            problems.sort_by(|a, b| (&a.file, a.line, a.column).cmp(&(&b.file, b.line, b.column)));
            Err(ConfigError::new(problems))
        }
    }

    /// Pack ids active for `frameworks` (empty: every pack with `default = true`), whatever
    /// law applies to the practice.
    pub fn selected_packs(&self, frameworks: &[String]) -> Result<BTreeSet<String>, String> {
        if frameworks.is_empty() {
            return Ok(self
                .packs
                .iter()
                .filter(|p| p.default && p.kind == "rules")
                .map(|p| p.id.clone())
                .collect());
        }
        self.listed_packs(frameworks)
    }

    /// The packs an assessment runs. Named `frameworks` run as named (and a pack added with
    /// `--rules` but not named is left out, with a reason); otherwise the default packs run
    /// where their law applies to the practice: a GDPR pack only when the manifest says the GDPR
    /// applies, a HIPAA pack unless it says the practice is not a US one.
    pub fn select(&self, frameworks: &[String], practice: &crate::facts::PracticeFacts) -> Result<Selection, String> {
        let mut sel = Selection::default();
        if !frameworks.is_empty() {
            sel.packs = self.listed_packs(frameworks)?;
            for p in self
                .packs
                .iter()
                .filter(|p| p.kind == "rules" && !p.source.builtin && !sel.packs.contains(&p.id))
            {
                sel.left_out.push(LeftOut {
                    pack: p.id.clone(),
                    reason: format!(
                        "pack `{}` ({}) did not run: [vendor] frameworks does not list it",
                        p.id, p.source.file
                    ),
                });
            }
            return Ok(sel);
        }
        for p in self.packs.iter().filter(|p| p.default && p.kind == "rules") {
            let why = match (p.law, practice.gdpr_applies, practice.hipaa_applies) {
                (Some(Law::Gdpr), None, _) => Some(
                    "GDPR rules did not run: the manifest does not say the GDPR applies to the practice (set [practice] jurisdiction, and eu_data_subjects = true if it serves people in the EU/EEA or UK)",
                ),
                (Some(Law::Gdpr), Some(false), _) => Some(
                    "GDPR rules did not run: [practice] says the practice is not established in the EU/EEA or UK and serves no one there",
                ),
                (Some(Law::Hipaa), _, Some(false)) => {
                    Some("HIPAA rules did not run: [practice] says the practice is not a US one")
                }
                _ => None,
            };
            match why {
                Some(reason) => sel.left_out.push(LeftOut {
                    pack: p.id.clone(),
                    reason: format!("{reason} (pack `{}`)", p.id),
                }),
                None => {
                    sel.packs.insert(p.id.clone());
                }
            }
        }
        Ok(sel)
    }

    fn listed_packs(&self, frameworks: &[String]) -> Result<BTreeSet<String>, String> {
        let mut out = BTreeSet::new();
        for f in frameworks {
            if self.packs.iter().any(|p| &p.id == f) {
                out.insert(f.clone());
            } else {
                let known: Vec<&str> = self
                    .packs
                    .iter()
                    .filter(|p| p.kind == "rules")
                    .map(|p| p.id.as_str())
                    .collect();
                return Err(format!("unknown framework `{f}`; known: {}", known.join(", ")));
            }
        }
        Ok(out)
    }

    /// The rule `id`: a binary search, as the rules are kept sorted by id.
    pub fn rule(&self, id: &str) -> Option<&CompiledRule> {
        self.rules
            .binary_search_by(|r| r.rule.id.as_str().cmp(id))
            .ok()
            .map(|i| &self.rules[i])
    }
}

/// Maximal field paths (`it.tls.min_version`, `evidence.baa`) an expression reads.
fn collect_reads(p: &Program) -> Vec<String> {
    use cel::common::ast::Expr;
    fn path(e: &cel::parser::Expression) -> Option<String> {
        match &e.expr {
            Expr::Ident(n) => Some(n.clone()),
            Expr::Select(s) => Some(format!("{}.{}", path(&s.operand)?, s.field)),
            _ => None,
        }
    }
    fn walk(e: &cel::parser::Expression, out: &mut Vec<String>) {
        if let Some(p) = path(e) {
            if p.contains('.') || p == "it" {
                out.push(p);
            }
            return;
        }
        match &e.expr {
            Expr::Select(s) => walk(&s.operand, out),
            Expr::Call(c) => {
                if let Some(t) = &c.target {
                    walk(t, out);
                }
                c.args.iter().for_each(|a| walk(a, out));
            }
            Expr::Comprehension(c) => walk(&c.iter_range, out),
            Expr::List(l) => l.elements.iter().for_each(|x| walk(x, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(p.expression(), &mut out);
    out.retain(|p| !p.starts_with("params."));
    let all = out.clone();
    out.retain(|p| !all.iter().any(|q| q != p && q.starts_with(&format!("{p}."))));
    out.sort();
    out.dedup();
    out
}

fn find_span(text: &str, needle: &str) -> Option<std::ops::Range<usize>> {
    text.find(needle).map(|i| i..i + needle.len())
}

#[cfg(test)]
mod builtin_tests {
    use super::*;

    /// `vetter --version` reads each pack's `[pack]` table alone: it must name the same packs,
    /// versions and kinds the full loader does.
    #[test]
    fn builtin_packs_match_the_loader() {
        let set = RuleSet::load(&LoadOptions {
            include_builtin: true,
            metadata_only: true,
            ..Default::default()
        })
        .expect("built-in packs load");
        let mut loaded: Vec<(String, String, String)> = set
            .packs
            .iter()
            .chain(set.phrasing.iter().map(|(p, _)| p))
            .map(|p| (p.id.clone(), p.version.clone(), p.kind.clone()))
            .collect();
        loaded.sort();
        loaded.dedup();
        let mut quick: Vec<(String, String, String)> =
            builtin_packs().into_iter().map(|p| (p.id, p.version, p.kind)).collect();
        quick.sort();
        assert_eq!(quick.len(), BUILTIN.len(), "every built-in file has a [pack] table");
        assert_eq!(quick, loaded);
    }
}
