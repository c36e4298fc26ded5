//! ② Collect (evidence): the phrasing packs (`kind = "phrasing"`, e.g. `rules/clauses.toml`)
//! compiled into regular expressions. Input: the packs' TOML tables; output: [`Phrasing`], or
//! every problem found (for `vetter rules check`). No I/O here.

use std::collections::BTreeMap;

use regex::{Regex, RegexBuilder};

use crate::facts::{BaaClauses, DpaClauses};

/// What a clause's sentence is read for beyond presence.
pub const EXTRACTS: &[&str] = &["window", "clock", "standard", "mechanisms", "amount"];

/// SOC 2 elements the reader knows.
pub const SOC2_KEYS: &[&str] = &[
    "type2",
    "type1",
    "period",
    "as_of",
    "auditor_section",
    "section_end",
    "opinion_noise",
    "opinion_disclaimer",
    "opinion_adverse",
    "opinion_qualified",
    "opinion_unmodified",
    "scope",
    "category_noise",
    "tests_section",
    "no_exception",
    "exception",
    "exception_exclude",
    "cuecs",
    "cuecs_none",
    "subservice",
    "subservice_name",
    "carve_out",
    "inclusive",
    "auditor",
    "auditor_noise",
    "bridge_letter",
    "management_assertion",
    "system_description",
    "mfa",
    "encryption_at_rest",
    "encryption_transit",
    "encryption_rest_named",
    "hipaa_mapping",
];

/// `[phrase.<group>]` tables and the keys each may hold (`None`: any key).
const PHRASE_GROUPS: &[(&str, Option<&[&str]>)] = &[
    ("fragments", None),
    ("negation", None),
    (
        "clock",
        Some(&["discovery", "confirmation", "determination", "investigation"]),
    ),
    (
        "mechanism",
        Some(&[
            "scc",
            "scc_legacy",
            "dpf",
            "privacy_shield",
            "adequacy",
            "bcr",
            "derogation",
        ]),
    ),
    (
        "transfer",
        Some(&[
            "scc_current",
            "superseded",
            "not_transfer_clauses",
            "module",
            "eea_only",
            "eea_only_exclude",
            "no_adequacy",
        ]),
    ),
    ("standard", Some(&["patterns"])),
    ("detect", None),
    (
        "pentest",
        Some(&[
            "tester",
            "tester_before",
            "date",
            "open",
            "all_closed",
            "all_closed_any",
            "all_closed_any_exclude",
            "api",
            "scope",
            "api_noise",
            "breakdown",
            "fixed",
            "not_fixed",
            "closed_status",
        ]),
    ),
    ("hitrust", Some(&["r2", "i1", "e1", "valid", "issued", "interim"])),
    ("policy", Some(&["date"])),
    ("contract", Some(&["signed", "unsigned", "effective", "cited"])),
    (
        "structure",
        Some(&[
            "introduction",
            "definitions",
            "recitals",
            "definition",
            "recital",
            "disclaimer",
            "back_matter",
            "names_list",
        ]),
    ),
    ("parties", Some(&["vendor", "practice"])),
    ("recipient", Some(&["other", "practice"])),
    ("duty", Some(&["notice", "mention", "practice", "continues"])),
];

/// Document kinds that detection knows.
pub const KINDS: &[&str] = &["soc2", "baa", "dpa", "pentest", "hitrust", "policy"];

/// One clause's compiled phrasing.
#[derive(Debug, Clone)]
pub struct ClauseSpec {
    pub key: String,
    pub matches: Vec<Regex>,
    pub exclude: Vec<Regex>,
    pub negation: Vec<Regex>,
    pub extract: Vec<String>,
    /// Parts that state the clause only under a heading matching `section` ("We'll assist as
    /// needed" under "Breach Notification").
    pub section_match: Vec<Regex>,
    pub section: Vec<Regex>,
    /// A part counts only if it, or the line after a short label, also matches one of these
    /// (a DPO's name, e-mail or telephone number).
    pub requires: Vec<Regex>,
    /// Labels of a description that states the clause when at least two different ones label
    /// the document's lines (an SCC annex's "Categories of data subjects:", "Nature of the
    /// processing:" for the subject matter).
    pub described_by: Vec<Regex>,
}

/// All phrasing, compiled.
#[derive(Debug, Clone, Default)]
pub struct Phrasing {
    pub baa: Vec<ClauseSpec>,
    pub dpa: Vec<ClauseSpec>,
    /// `[soc2]` element → patterns.
    pub soc2: BTreeMap<String, Vec<Regex>>,
    /// `[phrase.<group>]` → key → patterns (fragments excluded).
    pub groups: BTreeMap<String, BTreeMap<String, Vec<Regex>>>,
}

impl Phrasing {
    /// The patterns of `[soc2].key` (empty when none).
    pub fn soc2(&self, key: &str) -> &[Regex] {
        self.soc2.get(key).map(Vec::as_slice).unwrap_or(&[])
    }
    /// The patterns of `[phrase.group].key` (empty when none).
    pub fn group(&self, group: &str, key: &str) -> &[Regex] {
        self.groups
            .get(group)
            .and_then(|g| g.get(key))
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }
    /// The keys and patterns of one `[phrase.group]`.
    pub fn group_all(&self, group: &str) -> Vec<(&str, &[Regex])> {
        self.groups
            .get(group)
            .map(|g| g.iter().map(|(k, v)| (k.as_str(), v.as_slice())).collect())
            .unwrap_or_default()
    }
}

/// The built-in phrasing (`rules/clauses.toml`), compiled once.
pub fn builtin() -> &'static Phrasing {
    static P: std::sync::OnceLock<Phrasing> = std::sync::OnceLock::new();
    P.get_or_init(|| {
        let table: toml::Table =
            toml::from_str(include_str!("../../../rules/clauses.toml")).expect("clauses.toml parses");
        compile(&[table]).expect("the built-in phrasing compiles")
    })
}

/// Any pattern matches.
pub fn any(pats: &[Regex], s: &str) -> bool {
    pats.iter().any(|r| r.is_match(s))
}

/// The earliest match of any pattern.
pub fn first(pats: &[Regex], s: &str) -> Option<(usize, usize)> {
    pats.iter()
        .filter_map(|r| r.find(s).map(|m| (m.start(), m.end())))
        .min()
}

fn clause_keys<T: Default + serde::Serialize>() -> Vec<String> {
    match serde_json::to_value(T::default()) {
        Ok(serde_json::Value::Object(m)) => m.keys().cloned().collect(),
        _ => vec![],
    }
}

/// Problems in one phrasing table, each as (TOML key path, message). Used by the pack loader.
pub fn check(table: &toml::Table) -> Vec<(String, String)> {
    match compile(std::slice::from_ref(table)) {
        Ok(_) => vec![],
        Err(e) => e,
    }
}

struct Compiler<'a> {
    fragments: BTreeMap<String, String>,
    problems: &'a mut Vec<(String, String)>,
}

/// Longest a pattern may grow to once its `{fragment}`s are substituted. Fragments may name
/// fragments, so a few hundred bytes of pack could otherwise expand to gigabytes before the
/// regex compiler (whose own limit applies to the compiled program, not the text) sees it.
pub const MAX_EXPANDED: usize = 64 * 1024;

impl Compiler<'_> {
    /// `pat` with every fragment substituted, or the fragment whose substitution would take it
    /// past [`MAX_EXPANDED`]. The size is computed before each substitution is made.
    fn expand(&self, pat: &str) -> Result<String, String> {
        let mut out = pat.to_string();
        for (k, v) in &self.fragments {
            let name = format!("{{{k}}}");
            let n = out.matches(&name).count();
            if n == 0 {
                continue;
            }
            let grown = (out.len() - n * name.len()).saturating_add(n.saturating_mul(v.len()));
            if grown > MAX_EXPANDED {
                return Err(format!(
                    "pattern expands past {MAX_EXPANDED} bytes when fragment `phrase.fragments.{k}` is substituted ({n} times); fragments that name fragments multiply — shorten or flatten them"
                ));
            }
            out = out.replace(&name, v);
        }
        Ok(out)
    }

    fn list(&mut self, v: &toml::Value, at: &str) -> Vec<Regex> {
        let Some(arr) = v.as_array() else {
            self.problems.push((at.into(), "expected a list of patterns".into()));
            return vec![];
        };
        let mut out = Vec::new();
        for (i, p) in arr.iter().enumerate() {
            let Some(s) = p.as_str() else {
                self.problems
                    .push((format!("{at}[{i}]"), "a pattern must be a string".into()));
                continue;
            };
            let expanded = match self.expand(s) {
                Ok(e) => e,
                Err(msg) => {
                    self.problems.push((format!("{at}[{i}]"), msg));
                    continue;
                }
            };
            match RegexBuilder::new(&expanded)
                .case_insensitive(true)
                .size_limit(4 << 20)
                .build()
            {
                Ok(r) => out.push(r),
                Err(e) => self.problems.push((
                    format!("{at}[{i}]"),
                    format!(
                        "pattern `{s}` does not compile: {}",
                        e.to_string().lines().last().unwrap_or("")
                    ),
                )),
            }
        }
        out
    }
}

/// Compile phrasing tables; later tables add patterns to earlier ones. All problems at once.
pub fn compile(tables: &[toml::Table]) -> Result<Phrasing, Vec<(String, String)>> {
    let mut problems = Vec::new();
    let mut fragments = BTreeMap::new();
    for t in tables {
        if let Some(f) = t
            .get("phrase")
            .and_then(|p| p.get("fragments"))
            .and_then(|f| f.as_table())
        {
            for (k, v) in f {
                match v.as_str() {
                    Some(s) => {
                        fragments.insert(k.clone(), s.to_string());
                    }
                    None => problems.push((format!("phrase.fragments.{k}"), "a fragment must be a string".into())),
                }
            }
        }
    }
    let mut c = Compiler {
        fragments,
        problems: &mut problems,
    };
    let mut out = Phrasing::default();
    // Phrase groups first: clauses refer to named negation lists.
    for t in tables {
        let Some(phrase) = t.get("phrase") else { continue };
        let Some(phrase) = phrase.as_table() else {
            c.problems.push(("phrase".into(), "expected a table".into()));
            continue;
        };
        for (g, gv) in phrase {
            let Some((_, allowed)) = PHRASE_GROUPS.iter().find(|(n, _)| n == g) else {
                c.problems.push((
                    format!("phrase.{g}"),
                    format!(
                        "unknown phrase group `{g}`; expected one of {}",
                        PHRASE_GROUPS.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ")
                    ),
                ));
                continue;
            };
            if g == "fragments" {
                continue;
            }
            let Some(gt) = gv.as_table() else {
                c.problems.push((format!("phrase.{g}"), "expected a table".into()));
                continue;
            };
            for (k, v) in gt {
                let at = format!("phrase.{g}.{k}");
                if let Some(allowed) = allowed
                    && !allowed.contains(&k.as_str())
                {
                    c.problems
                        .push((at, format!("unknown key `{k}`; expected one of {}", allowed.join(", "))));
                    continue;
                }
                if g == "detect" && !detect_key_ok(k) {
                    c.problems.push((
                        at,
                        format!(
                            "unknown key `{k}`; expected title_<kind> or body_<kind>, kind one of {}",
                            KINDS.join(", ")
                        ),
                    ));
                    continue;
                }
                let pats = c.list(v, &at);
                out.groups
                    .entry(g.clone())
                    .or_default()
                    .entry(k.clone())
                    .or_default()
                    .extend(pats);
            }
        }
    }
    for t in tables {
        if let Some(s) = t.get("soc2") {
            let Some(st) = s.as_table() else {
                c.problems.push(("soc2".into(), "expected a table".into()));
                continue;
            };
            for (k, v) in st {
                let at = format!("soc2.{k}");
                if !SOC2_KEYS.contains(&k.as_str()) {
                    c.problems.push((
                        at,
                        format!("unknown SOC 2 element `{k}`; expected one of {}", SOC2_KEYS.join(", ")),
                    ));
                    continue;
                }
                let pats = c.list(v, &at);
                out.soc2.entry(k.clone()).or_default().extend(pats);
            }
        }
        if let Some(cl) = t.get("clause") {
            let Some(ct) = cl.as_table() else {
                c.problems.push(("clause".into(), "expected a table".into()));
                continue;
            };
            for (doc, dv) in ct {
                let known = match doc.as_str() {
                    "baa" => clause_keys::<BaaClauses>(),
                    "dpa" => clause_keys::<DpaClauses>(),
                    _ => {
                        c.problems
                            .push((format!("clause.{doc}"), "expected clause.baa or clause.dpa".into()));
                        continue;
                    }
                };
                let Some(dt) = dv.as_table() else {
                    c.problems.push((format!("clause.{doc}"), "expected a table".into()));
                    continue;
                };
                for (key, kv) in dt {
                    let at = format!("clause.{doc}.{key}");
                    if !known.contains(key) {
                        c.problems.push((
                            at,
                            format!(
                                "`{key}` is not a {doc} clause fact; expected one of {}",
                                known.join(", ")
                            ),
                        ));
                        continue;
                    }
                    let spec = clause_spec(&mut c, &out, key, kv, &at);
                    let Some(spec) = spec else { continue };
                    let list = if doc == "baa" { &mut out.baa } else { &mut out.dpa };
                    match list.iter_mut().find(|s| s.key == spec.key) {
                        Some(prev) => {
                            prev.matches.extend(spec.matches);
                            prev.exclude.extend(spec.exclude);
                            prev.negation.extend(spec.negation);
                            prev.section_match.extend(spec.section_match);
                            prev.section.extend(spec.section);
                            prev.requires.extend(spec.requires);
                            prev.described_by.extend(spec.described_by);
                            for e in spec.extract {
                                if !prev.extract.contains(&e) {
                                    prev.extract.push(e);
                                }
                            }
                        }
                        None => list.push(spec),
                    }
                }
            }
        }
    }
    if problems.is_empty() { Ok(out) } else { Err(problems) }
}

fn detect_key_ok(k: &str) -> bool {
    k.strip_prefix("title_")
        .or_else(|| k.strip_prefix("body_"))
        .is_some_and(|kind| KINDS.contains(&kind))
}

fn clause_spec(c: &mut Compiler, out: &Phrasing, key: &str, v: &toml::Value, at: &str) -> Option<ClauseSpec> {
    let Some(t) = v.as_table() else {
        c.problems.push((at.into(), "expected a table with `match`".into()));
        return None;
    };
    let mut spec = ClauseSpec {
        key: key.to_string(),
        matches: vec![],
        exclude: vec![],
        negation: out.group("negation", "default").to_vec(),
        extract: vec![],
        section_match: vec![],
        section: vec![],
        requires: vec![],
        described_by: vec![],
    };
    for (k, v) in t {
        let kat = format!("{at}.{k}");
        match k.as_str() {
            "match" => spec.matches = c.list(v, &kat),
            "exclude" => spec.exclude = c.list(v, &kat),
            "section_match" => spec.section_match = c.list(v, &kat),
            "section" => spec.section = c.list(v, &kat),
            "requires" => spec.requires = c.list(v, &kat),
            "described_by" => spec.described_by = c.list(v, &kat),
            "negation" => {
                spec.negation = match v.as_str() {
                    Some(name) => {
                        if out.groups.get("negation").is_none_or(|g| !g.contains_key(name)) {
                            c.problems
                                .push((kat, format!("no negation list `{name}` in [phrase.negation]")));
                        }
                        out.group("negation", name).to_vec()
                    }
                    None => c.list(v, &kat),
                }
            }
            "extract" => match v.as_array() {
                Some(arr) => {
                    for e in arr {
                        match e.as_str() {
                            Some(s) if EXTRACTS.contains(&s) => spec.extract.push(s.to_string()),
                            _ => c.problems.push((
                                kat.clone(),
                                format!("unknown extract {e}; expected one of {}", EXTRACTS.join(", ")),
                            )),
                        }
                    }
                }
                None => c.problems.push((kat, "expected a list".into())),
            },
            other => c.problems.push((
                kat,
                format!("unknown key `{other}`; expected match, exclude, negation, extract, section_match, section, requires, described_by"),
            )),
        }
    }
    if spec.matches.is_empty() && !t.contains_key("match") {
        c.problems.push((at.into(), "a clause needs `match` patterns".into()));
    }
    Some(spec)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_compiles_and_covers_the_rule_clauses() {
        let p = builtin();
        assert!(p.baa.iter().any(|s| s.key == "breach_notification"));
        assert!(p.dpa.iter().any(|s| s.key == "transfers"));
        assert!(!p.soc2("opinion_qualified").is_empty());
    }

    #[test]
    fn problems_name_the_key() {
        let t: toml::Table =
            toml::from_str("[clause.baa.nope]\nmatch=['x']\n[clause.baa.safeguards]\nmatch=['(']\n[soc2]\nfoo=['x']\n")
                .unwrap();
        let probs = check(&t);
        let keys: Vec<&str> = probs.iter().map(|p| p.0.as_str()).collect();
        assert!(keys.contains(&"clause.baa.nope"), "{probs:?}");
        assert!(keys.contains(&"clause.baa.safeguards.match[0]"), "{probs:?}");
        assert!(keys.contains(&"soc2.foo"), "{probs:?}");
    }

    #[test]
    fn fragment_expansion_is_capped() {
        let mut src = String::from("[phrase.fragments]\n");
        for i in 0..30 {
            src.push_str(&format!("f{i:02} = \"{{f{:02}}}{{f{:02}}}\"\n", i + 1, i + 1));
        }
        src.push_str("f30 = 'x'\n[soc2]\ntype2 = ['{f00}']\n");
        let probs = check(&toml::from_str(&src).unwrap());
        assert_eq!(probs.len(), 1, "{probs:?}");
        assert_eq!(probs[0].0, "soc2.type2[0]");
        assert!(probs[0].1.contains("phrase.fragments.f"), "{probs:?}");
    }
}
