//! The CI recipes under ci/ run for real in a scratch git repository that is not vetter's: every
//! `run:`/`script:` command of the YAML (parsed as YAML, never grepped) is run by bash as the CI
//! system would, with what the hosted actions and GitLab's cache/artifacts do carried out by a
//! small interpreter here (checkout, cache restore/save by key, artifacts, SARIF upload checked
//! against the SARIF schema). Only the installed binary is given: the binary cache is seeded with
//! this build of vetter under the recipe's own key, so the install step is skipped by the recipe's
//! own cache-hit logic, and a `cargo` on PATH that fails makes any install attempt fail the test
//! (a real `cargo install --git` is a release build; it was run by hand, docs/ci.md).
//! An expression, action or key the interpreter does not know fails the test, so the recipes
//! cannot grow a step that is not exercised here.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use yaml_rust2::{Yaml, YamlLoader};

use crate::support::{copy_dir, root};

fn load(rel: &str) -> Yaml {
    let text = std::fs::read_to_string(root().join(rel)).unwrap();
    let mut docs = YamlLoader::load_from_str(&text).unwrap_or_else(|e| panic!("{rel}: {e}"));
    assert_eq!(docs.len(), 1, "{rel}: one YAML document");
    docs.remove(0)
}

fn key<'a>(y: &'a Yaml, k: &str) -> &'a Yaml {
    &y[k]
}

fn s(y: &Yaml) -> Option<String> {
    match y {
        Yaml::String(s) => Some(s.clone()),
        Yaml::Integer(i) => Some(i.to_string()),
        Yaml::Boolean(b) => Some(b.to_string()),
        _ => None,
    }
}

fn map(y: &Yaml) -> Vec<(String, &Yaml)> {
    match y {
        Yaml::Hash(h) => h.iter().map(|(k, v)| (s(k).expect("string key"), v)).collect(),
        Yaml::BadValue => vec![],
        other => panic!("expected a mapping, got {other:?}"),
    }
}

fn sh(cmd: &mut Command) -> std::process::Output {
    let o = cmd.output().expect("command runs");
    assert!(o.status.success(), "{cmd:?}: {}", String::from_utf8_lossy(&o.stderr));
    o
}

/// `cp -a` keeps the seeded binary a symbolic link (no 200 MB copies per job).
fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to.parent().unwrap()).unwrap();
    sh(Command::new("cp").arg("-a").arg(from).arg(to));
}

fn git(repo: &Path, args: &[&str]) {
    sh(Command::new("git")
        .arg("-C")
        .arg(repo)
        .args(["-c", "user.name=Consultant", "-c", "user.email=c@example.org"])
        .args(args));
}

/// The consultant's repository: two vendors (the sample vendor's evidence without its network
/// endpoint, so nothing leaves the machine), the recipe at the path its CI system reads.
struct Scratch {
    _tmp: tempfile::TempDir,
    base: PathBuf,
    repo: PathBuf,
    /// Cache entries by key: each holds `home/…` (paths under ~) and `ws/…` (workspace paths).
    store: PathBuf,
    /// A PATH directory whose `cargo` fails: any install attempt fails the job.
    guard: PathBuf,
}

const VENDORS: [(&str, &str); 2] = [("acme", "Acme Messaging"), ("globex", "Globex Scheduling")];

impl Scratch {
    fn new(recipe: &str, at: &str) -> Scratch {
        let tmp = tempfile::tempdir().unwrap();
        let base = tmp.path().to_path_buf();
        let repo = base.join("consultant");
        for (dir, name) in VENDORS {
            let v = repo.join("vendors").join(dir);
            copy_dir(&root().join("fixtures/vendors/sample"), &v);
            let m = std::fs::read_to_string(v.join("vendor.toml")).unwrap();
            let start = m.find("[[endpoint]]").unwrap();
            let end = start + m[start..].find("\n\n").unwrap() + 2;
            let m = format!("{}{}", &m[..start], &m[end..]).replace("Sample Clinic Messaging", name);
            std::fs::write(v.join("vendor.toml"), m).unwrap();
        }
        let dest = repo.join(at);
        std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
        std::fs::copy(root().join(recipe), &dest).unwrap();
        sh(Command::new("git").args(["init", "-q", "-b", "main"]).arg(&repo));
        git(&repo, &["add", "-A"]);
        git(&repo, &["commit", "-q", "-m", "vendors"]);
        assert!(!repo.join("Cargo.toml").exists() && !repo.join("src").exists());
        let guard = base.join("guard");
        std::fs::create_dir_all(&guard).unwrap();
        let cargo = guard.join("cargo");
        std::fs::write(
            &cargo,
            "#!/bin/sh\necho \"cargo $*: the installed-binary cache should have hit\" >&2\nexit 97\n",
        )
        .unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&cargo, std::fs::Permissions::from_mode(0o755)).unwrap();
        Scratch {
            base: base.clone(),
            repo,
            store: base.join("cache-store"),
            guard,
            _tmp: tmp,
        }
    }

    /// Seed the binary cache entry `key` with this build of vetter at `rel` (a cached path).
    fn seed_binary(&self, key: &str, rel: &str) {
        let bin = self.store.join(key).join(rel).join("bin");
        std::fs::create_dir_all(&bin).unwrap();
        std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_vetter"), bin.join("vetter")).unwrap();
    }

    /// The second vendor's new penetration-test letter has a critical finding open.
    fn regress(&self) {
        let letter = self.repo.join("vendors/globex/evidence/pentest-2026.txt");
        let t = std::fs::read_to_string(&letter).unwrap();
        let t = t.replace(
            "No critical or high-risk findings remain open.",
            "One critical-risk finding remains open.",
        );
        std::fs::write(&letter, t).unwrap();
        git(&self.repo, &["commit", "-q", "-am", "globex: new pentest letter"]);
    }

    fn revert(&self) {
        git(&self.repo, &["revert", "--no-edit", "HEAD"]);
    }

    fn cached(&self, key: &str, rel: &str) -> Option<Vec<u8>> {
        std::fs::read(self.store.join(key).join(rel)).ok()
    }

    fn clone_into(&self, ws: &Path) {
        sh(Command::new("git").args(["clone", "-q"]).arg(&self.repo).arg(ws));
    }
}

/// Where a cached or artifact path lives: `~/x` under the job's home, else in the workspace.
fn cache_parts(path: &str) -> (&'static str, String) {
    match path.strip_prefix("~/") {
        Some(p) => ("home", p.trim_end_matches('/').to_string()),
        None => ("ws", path.trim_end_matches('/').to_string()),
    }
}

#[derive(Debug)]
struct JobRun {
    name: String,
    ok: bool,
    log: String,
    summary: String,
    skipped_steps: Vec<String>,
}

/// `bash` as both CI systems run a script (`shell: bash` on GitHub; GitLab's bash executor),
/// in a clean environment: nothing of this test's own environment leaks in.
fn bash(script: &str, cwd: &Path, env: &BTreeMap<String, String>) -> (bool, String) {
    let o = Command::new("/bin/bash")
        .args(["--noprofile", "--norc", "-eo", "pipefail", "-c", script])
        .current_dir(cwd)
        .env_clear()
        .envs(env)
        .output()
        .unwrap();
    let log = format!(
        "$ {script}\n{}{}[exit {:?}]\n",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr),
        o.status.code()
    );
    (o.status.success(), log)
}

fn base_env(home: &Path, guard: &Path) -> BTreeMap<String, String> {
    let mut e = BTreeMap::new();
    e.insert("HOME".into(), home.display().to_string());
    e.insert(
        "PATH".into(),
        format!("{}:/usr/local/bin:/usr/bin:/bin", guard.display()),
    );
    e.insert("CI".into(), "true".into());
    e.insert("LANG".into(), "C.UTF-8".into());
    e
}

// ---------------------------------------------------------------------------------------------
// GitHub Actions

struct Gh<'a> {
    wf: Yaml,
    sc: &'a Scratch,
    run_id: u32,
    dir: PathBuf,
    artifacts: PathBuf,
    sarif: Vec<(String, serde_json::Value)>,
    needs_outputs: BTreeMap<String, BTreeMap<String, String>>,
}

struct Ctx<'a> {
    env: &'a BTreeMap<String, String>,
    matrix: &'a BTreeMap<String, String>,
    steps: &'a BTreeMap<String, BTreeMap<String, String>>,
}

impl Gh<'_> {
    /// One `${{ … }}` expression: only what the recipe uses, the rest fails the test.
    fn eval(&self, expr: &str, c: &Ctx) -> String {
        let e = expr.trim();
        if let Some((a, b)) = e.split_once("!=") {
            return (self.eval(a, c) != self.eval(b, c)).to_string();
        }
        if let Some((a, b)) = e.split_once("==") {
            return (self.eval(a, c) == self.eval(b, c)).to_string();
        }
        if let Some(lit) = e.strip_prefix('\'').and_then(|r| r.strip_suffix('\'')) {
            return lit.to_string();
        }
        let parts: Vec<&str> = e.split('.').collect();
        match parts.as_slice() {
            ["always()"] | ["!cancelled()"] => "true".into(),
            ["runner", "os"] => "Linux".into(),
            ["github", "run_id"] => self.run_id.to_string(),
            ["github", "run_attempt"] => "1".into(),
            ["matrix", k] => c.matrix.get(*k).cloned().unwrap_or_else(|| panic!("no matrix.{k}")),
            ["env", k] => c.env.get(*k).cloned().unwrap_or_else(|| panic!("no env.{k}")),
            ["steps", id, "outputs", k] => c.steps.get(*id).and_then(|o| o.get(*k)).cloned().unwrap_or_default(),
            ["needs", j, "outputs", k] => self
                .needs_outputs
                .get(*j)
                .and_then(|o| o.get(*k))
                .cloned()
                .unwrap_or_default(),
            _ => panic!("expression the recipe test does not know: {e}"),
        }
    }

    fn subst(&self, text: &str, c: &Ctx) -> String {
        let mut out = String::new();
        let mut rest = text;
        while let Some(i) = rest.find("${{") {
            out.push_str(&rest[..i]);
            let end = rest[i..].find("}}").expect("closed expression") + i;
            out.push_str(&self.eval(&rest[i + 3..end], c));
            rest = &rest[end + 2..];
        }
        out.push_str(rest);
        out
    }

    fn with(&self, step: &Yaml, c: &Ctx) -> BTreeMap<String, String> {
        map(key(step, "with"))
            .into_iter()
            .map(|(k, v)| (k, self.subst(&s(v).expect("scalar input"), c)))
            .collect()
    }

    /// Run the whole workflow once (one `github.run_id`); the jobs in `needs` order.
    fn run(&mut self) -> Vec<JobRun> {
        let mut done: BTreeMap<String, bool> = BTreeMap::new();
        let mut runs = Vec::new();
        let jobs: Vec<(String, Yaml)> = map(key(&self.wf, "jobs"))
            .into_iter()
            .map(|(k, v)| (k, v.clone()))
            .collect();
        while done.len() < jobs.len() {
            let before = done.len();
            for (name, job) in &jobs {
                if done.contains_key(name) {
                    continue;
                }
                let needs: Vec<String> = match key(job, "needs") {
                    Yaml::BadValue => vec![],
                    y => vec![s(y).expect("needs: one job")],
                };
                if !needs.iter().all(|n| done.contains_key(n)) {
                    continue;
                }
                let needs_ok = needs.iter().all(|n| done[n]);
                let cond = match key(job, "if") {
                    Yaml::BadValue => needs_ok,
                    y => {
                        let empty = BTreeMap::new();
                        let c = Ctx {
                            env: &empty,
                            matrix: &empty,
                            steps: &BTreeMap::new(),
                        };
                        let e = s(y).unwrap();
                        let e = e.trim().trim_start_matches("${{").trim_end_matches("}}");
                        self.eval(e, &c) == "true"
                    }
                };
                if !cond {
                    done.insert(name.clone(), false);
                    continue;
                }
                let mut all_ok = true;
                for m in self.matrix(job) {
                    let r = self.job(name, job, &m);
                    all_ok &= r.ok;
                    runs.push(r);
                }
                done.insert(name.clone(), all_ok);
            }
            assert!(done.len() > before, "jobs with unmet needs: {jobs:?}");
        }
        runs
    }

    fn matrix(&self, job: &Yaml) -> Vec<BTreeMap<String, String>> {
        let m = key(key(job, "strategy"), "matrix");
        if m.is_badvalue() {
            return vec![BTreeMap::new()];
        }
        let entries = map(m);
        assert_eq!(entries.len(), 1, "one matrix dimension");
        let (k, v) = &entries[0];
        let values: Vec<String> = match v {
            Yaml::Array(a) => a.iter().map(|x| s(x).unwrap()).collect(),
            Yaml::String(e) => {
                let inner = e.trim().trim_start_matches("${{").trim_end_matches("}}").trim();
                let arg = inner
                    .strip_prefix("fromJSON(")
                    .and_then(|r| r.strip_suffix(')'))
                    .expect("matrix from fromJSON(...)");
                let empty = BTreeMap::new();
                let c = Ctx {
                    env: &empty,
                    matrix: &empty,
                    steps: &BTreeMap::new(),
                };
                let json: Vec<String> = serde_json::from_str(&self.eval(arg, &c)).unwrap();
                json
            }
            other => panic!("matrix value {other:?}"),
        };
        values.into_iter().map(|x| BTreeMap::from([(k.clone(), x)])).collect()
    }

    fn job(&mut self, name: &str, job: &Yaml, matrix: &BTreeMap<String, String>) -> JobRun {
        let label = match matrix.values().next() {
            Some(v) => format!("{name} ({v})"),
            None => name.to_string(),
        };
        let jdir = self.dir.join(label.replace([' ', '(', ')'], "_"));
        let (home, ws, files) = (jdir.join("home"), jdir.join("ws"), jdir.join("files"));
        for d in [&home, &ws, &files] {
            std::fs::create_dir_all(d).unwrap();
        }
        assert_eq!(s(key(job, "runs-on")).as_deref(), Some("ubuntu-latest"));
        let shell = s(key(key(key(&self.wf, "defaults"), "run"), "shell"));
        assert_eq!(shell.as_deref(), Some("bash"), "run steps in bash with pipefail");
        let mut env = base_env(&home, &self.sc.guard);
        let mut path_add: Vec<String> = vec![];
        let mut wf_env = BTreeMap::new();
        let steps_out: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
        for (k, v) in map(key(&self.wf, "env")) {
            wf_env.insert(k, s(v).unwrap());
        }
        for (k, v) in map(key(job, "env")) {
            let c = Ctx {
                env: &wf_env,
                matrix,
                steps: &steps_out,
            };
            let val = self.subst(&s(v).unwrap(), &c);
            wf_env.insert(k, val);
        }
        env.extend(wf_env.clone());
        for (k, v) in [
            ("GITHUB_WORKSPACE", ws.display().to_string()),
            ("GITHUB_RUN_ID", self.run_id.to_string()),
            ("RUNNER_TEMP", files.display().to_string()),
        ] {
            env.insert(k.into(), v);
        }
        let mut steps_out = steps_out;
        let mut ok = true;
        let mut log = String::new();
        let mut summary = String::new();
        let mut skipped = vec![];
        let mut post_saves: Vec<(String, String)> = vec![];
        let Yaml::Array(steps) = key(job, "steps") else {
            panic!("{name}: steps")
        };
        for (i, step) in steps.iter().enumerate() {
            let sname = s(key(step, "name"))
                .or_else(|| s(key(step, "uses")))
                .or_else(|| s(key(step, "run")))
                .unwrap();
            for (k, _) in map(step) {
                assert!(
                    ["id", "name", "if", "uses", "with", "run", "env"].contains(&k.as_str()),
                    "{name}: step key {k} is not interpreted here"
                );
            }
            let c = Ctx {
                env: &wf_env,
                matrix,
                steps: &steps_out,
            };
            let run_it = match s(key(step, "if")) {
                None => ok,
                Some(e) => {
                    let e = e.trim().trim_start_matches("${{").trim_end_matches("}}").to_string();
                    let always = e.contains("always()") || e.contains("cancelled()");
                    (ok || always) && self.eval(&e, &c) == "true"
                }
            };
            if !run_it {
                skipped.push(sname);
                continue;
            }
            let id = s(key(step, "id")).unwrap_or_else(|| format!("step{i}"));
            let mut outputs = BTreeMap::new();
            if let Some(script) = s(key(step, "run")) {
                let script = self.subst(&script, &c);
                let out_file = files.join(format!("output{i}"));
                let sum_file = files.join(format!("summary{i}"));
                let path_file = files.join(format!("path{i}"));
                let mut e = env.clone();
                for (k, v) in map(key(step, "env")) {
                    e.insert(k, self.subst(&s(v).unwrap(), &c));
                }
                for p in path_add.iter().rev() {
                    let old = e["PATH"].clone();
                    e.insert("PATH".into(), format!("{p}:{old}"));
                }
                e.insert("GITHUB_OUTPUT".into(), out_file.display().to_string());
                e.insert("GITHUB_STEP_SUMMARY".into(), sum_file.display().to_string());
                e.insert("GITHUB_PATH".into(), path_file.display().to_string());
                let (success, l) = bash(&script, &ws, &e);
                log.push_str(&l);
                ok &= success;
                for line in std::fs::read_to_string(&out_file).unwrap_or_default().lines() {
                    let (k, v) = line.split_once('=').expect("name=value output");
                    outputs.insert(k.to_string(), v.to_string());
                }
                summary.push_str(&std::fs::read_to_string(&sum_file).unwrap_or_default());
                for line in std::fs::read_to_string(&path_file).unwrap_or_default().lines() {
                    path_add.push(line.to_string());
                }
            } else {
                let uses = s(key(step, "uses")).unwrap();
                let w = self.with(step, &c);
                let (action, version) = uses.split_once('@').expect("pinned action");
                assert!(version.starts_with('v'), "{uses}: a major version");
                let ctx = (home.as_path(), ws.as_path());
                match action {
                    "actions/checkout" => self.sc.clone_into(&ws),
                    "actions/cache" | "actions/cache/restore" => {
                        let hit = self.restore(&w, ctx, &mut outputs);
                        if action == "actions/cache" && !hit {
                            // Its post step saves when the job succeeded.
                            post_saves.push((w["key"].clone(), w["path"].clone()));
                        }
                    }
                    "actions/cache/save" => {
                        log.push_str(&self.save(&w["key"], &w["path"], ctx));
                    }
                    "github/codeql-action/upload-sarif" => {
                        let f = ws.join(&w["sarif_file"]);
                        match std::fs::read(&f) {
                            Ok(b) => {
                                let v: serde_json::Value = serde_json::from_slice(&b).unwrap();
                                let cat = w.get("category").cloned().expect("a category per vendor");
                                assert!(
                                    !self.sarif.iter().any(|(c, _)| *c == cat),
                                    "two SARIF uploads with category {cat}"
                                );
                                self.sarif.push((cat, v));
                            }
                            Err(_) => {
                                ok = false;
                                log.push_str(&format!("upload-sarif: {} missing\n", f.display()));
                            }
                        }
                    }
                    "actions/upload-artifact" => {
                        let dest = self.artifacts.join(&w["name"]);
                        assert!(!dest.exists(), "artifact name {} used twice in one run", w["name"]);
                        upload(&ws, &w["path"], &dest);
                    }
                    "actions/download-artifact" => {
                        assert_eq!(w.get("merge-multiple").map(String::as_str), Some("true"));
                        let pat = glob::Pattern::new(&w["pattern"]).unwrap();
                        let into = ws.join(&w["path"]);
                        std::fs::create_dir_all(&into).unwrap();
                        for a in std::fs::read_dir(&self.artifacts).unwrap().flatten() {
                            if pat.matches(&a.file_name().to_string_lossy()) {
                                for f in std::fs::read_dir(a.path()).unwrap().flatten() {
                                    copy_tree(&f.path(), &into.join(f.file_name()));
                                }
                            }
                        }
                    }
                    other => panic!("action the recipe test does not know: {other}"),
                }
            }
            steps_out.insert(id, outputs);
        }
        if ok {
            for (k, p) in post_saves {
                log.push_str(&self.save(&k, &p, (&home, &ws)));
            }
        }
        let outputs: BTreeMap<String, String> = map(key(job, "outputs"))
            .into_iter()
            .map(|(k, v)| {
                let c = Ctx {
                    env: &wf_env,
                    matrix,
                    steps: &steps_out,
                };
                (k, self.subst(&s(v).unwrap(), &c))
            })
            .collect();
        self.needs_outputs.insert(name.to_string(), outputs);
        JobRun {
            name: label,
            ok,
            log,
            summary,
            skipped_steps: skipped,
        }
    }

    /// Exact key first, then the newest entry whose key starts with a restore key.
    fn restore(
        &self,
        w: &BTreeMap<String, String>,
        (home, ws): (&Path, &Path),
        out: &mut BTreeMap<String, String>,
    ) -> bool {
        let exact = self.sc.store.join(&w["key"]);
        let found = if exact.exists() {
            Some((exact, true))
        } else {
            w.get("restore-keys").and_then(|prefix| {
                let mut c: Vec<(std::time::SystemTime, PathBuf)> = std::fs::read_dir(&self.sc.store)
                    .into_iter()
                    .flatten()
                    .flatten()
                    .filter(|e| e.file_name().to_string_lossy().starts_with(prefix.trim()))
                    .map(|e| (e.metadata().unwrap().modified().unwrap(), e.path()))
                    .collect();
                c.sort();
                c.pop().map(|(_, p)| (p, false))
            })
        };
        out.insert("cache-hit".into(), "false".into());
        let Some((entry, exact)) = found else { return false };
        let (at, rel) = cache_parts(&w["path"]);
        let dest = if at == "home" { home.join(&rel) } else { ws.join(&rel) };
        copy_tree(&entry.join(at).join(&rel), &dest);
        out.insert("cache-hit".into(), exact.to_string());
        out.insert(
            "cache-matched-key".into(),
            entry.file_name().unwrap().to_string_lossy().into(),
        );
        exact
    }

    fn save(&self, k: &str, path: &str, (home, ws): (&Path, &Path)) -> String {
        let entry = self.sc.store.join(k);
        if entry.exists() {
            return format!("cache {k} exists: not saved\n");
        }
        let (at, rel) = cache_parts(path);
        let src = if at == "home" { home.join(&rel) } else { ws.join(&rel) };
        if !src.exists() {
            return format!("warning: {path} does not exist: cache {k} not saved\n");
        }
        copy_tree(&src, &entry.join(at).join(&rel));
        // Restore-by-prefix picks the newest entry: keep the order of saves visible to it.
        std::thread::sleep(std::time::Duration::from_millis(20));
        String::new()
    }
}

/// upload-artifact: a directory's contents, a file, or a glob's files, at the artifact's root.
fn upload(ws: &Path, path: &str, dest: &Path) {
    std::fs::create_dir_all(dest).unwrap();
    let src = ws.join(path.trim_end_matches('/'));
    if src.is_dir() {
        for f in std::fs::read_dir(&src).unwrap().flatten() {
            copy_tree(&f.path(), &dest.join(f.file_name()));
        }
        return;
    }
    for f in glob::glob(&src.display().to_string()).unwrap().flatten() {
        copy_tree(&f, &dest.join(f.file_name().unwrap()));
    }
}

fn gh_run(sc: &Scratch, run_id: u32, sarif: &mut Vec<(String, serde_json::Value)>) -> (Vec<JobRun>, PathBuf) {
    let dir = sc.base.join(format!("gh-run{run_id}"));
    let mut gh = Gh {
        wf: load("ci/github/vetter.yml"),
        sc,
        run_id,
        artifacts: dir.join("artifacts"),
        dir,
        sarif: vec![],
        needs_outputs: BTreeMap::new(),
    };
    std::fs::create_dir_all(&gh.artifacts).unwrap();
    let jobs = gh.run();
    *sarif = std::mem::take(&mut gh.sarif);
    (jobs, gh.artifacts)
}

fn find<'a>(jobs: &'a [JobRun], name: &str) -> &'a JobRun {
    jobs.iter()
        .find(|j| j.name == name)
        .unwrap_or_else(|| panic!("no job {name}: {:?}", jobs.iter().map(|j| &j.name).collect::<Vec<_>>()))
}

fn env_of(file: &Yaml, k: &str) -> String {
    s(&file[k]["VETTER_REV"]).expect("VETTER_REV set")
}

/// Every string of the parsed recipe that runs cargo is the documented install command.
fn assert_install_line(doc: &Yaml, root: &str) {
    fn strings(y: &Yaml, out: &mut Vec<String>) {
        match y {
            Yaml::String(t) => out.push(t.clone()),
            Yaml::Array(a) => a.iter().for_each(|x| strings(x, out)),
            Yaml::Hash(h) => h.values().for_each(|x| strings(x, out)),
            _ => {}
        }
    }
    let mut all = vec![];
    strings(doc, &mut all);
    let cargo: Vec<&String> = all.iter().filter(|t| t.contains("cargo")).collect();
    assert!(!cargo.is_empty(), "an install step");
    for t in cargo {
        let cmd = t.rsplit("|| ").next().unwrap();
        let words: Vec<&str> = cmd.split_whitespace().collect();
        assert_eq!(
            words,
            [
                "cargo",
                "install",
                "--locked",
                "--root",
                root,
                "--git",
                "\"$VETTER_GIT\"",
                "--rev",
                "\"$VETTER_REV\"",
                "vetter"
            ],
            "{t}"
        );
    }
}

fn junit_cases(file: &Path) -> u64 {
    let suites = junit_parser::from_reader(std::io::Cursor::new(std::fs::read(file).unwrap()))
        .unwrap_or_else(|e| panic!("{}: JUnit: {e}", file.display()));
    suites.tests
}

fn portfolio_vendors(file: &Path) -> BTreeSet<String> {
    let p: serde_json::Value = serde_json::from_slice(&std::fs::read(file).unwrap()).unwrap();
    p["reports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["vendor"]["name"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn github_recipe_runs_in_a_scratch_repository() {
    let sc = Scratch::new("ci/github/vetter.yml", ".github/workflows/vetter.yml");
    let wf = load("ci/github/vetter.yml");
    let rev = env_of(&wf, "env");
    sc.seed_binary(&format!("vetter-bin-Linux-{rev}"), "home/.vetter");
    assert_install_line(&wf, "~/.vetter");
    let sarif_v = crate::reports::sarif_validator();
    let mut sarif = vec![];
    let show = |jobs: &[JobRun]| {
        jobs.iter()
            .map(|j| format!("== {} ok={}\n{}", j.name, j.ok, j.log))
            .collect::<String>()
    };

    // Run 1: no baseline yet; every job passes and starts one per vendor.
    let (jobs, arts) = gh_run(&sc, 1, &mut sarif);
    assert!(jobs.iter().all(|j| j.ok), "{}", show(&jobs));
    assert_eq!(
        jobs.len(),
        4,
        "list, one assess job per vendor, portfolio: {}",
        show(&jobs)
    );
    for (dir, name) in VENDORS {
        let j = find(&jobs, &format!("assess ({dir})"));
        assert!(j.skipped_steps.contains(&"Install vetter".to_string()), "{}", j.log);
        assert!(j.log.contains("did not exist: started it"), "{}", j.log);
        assert!(j.summary.contains(name), "job summary holds the Markdown report");
        let a = arts.join(format!("vendor-{dir}"));
        for ext in ["json", "sarif", "xml", "md", "html"] {
            assert!(a.join(format!("{dir}.{ext}")).is_file(), "{dir}.{ext} kept");
        }
        assert!(junit_cases(&a.join(format!("{dir}.xml"))) > 0);
        let only: Vec<_> = std::fs::read_dir(arts.join(format!("report-{dir}"))).unwrap().collect();
        assert_eq!(only.len(), 1, "the gathering job gets the JSON alone");
        assert!(
            sc.cached(
                &format!("vetter-baseline-{dir}-1-1"),
                &format!("ws/baseline/{dir}.json")
            )
            .is_some()
        );
    }
    assert_eq!(sarif.len(), 2);
    for (cat, v) in &sarif {
        crate::reports::assert_valid_sarif(&sarif_v, v, cat);
    }
    let p = find(&jobs, "portfolio");
    assert!(p.summary.contains("Acme Messaging") && p.summary.contains("Globex Scheduling"));
    let names = portfolio_vendors(&arts.join("portfolio/portfolio.json"));
    assert_eq!(names, VENDORS.iter().map(|(_, n)| n.to_string()).collect());
    assert!(arts.join("portfolio/portfolio.html").is_file());

    // Run 2: nothing changed; each vendor is compared with run 1's baseline and moves it on.
    let (jobs, _) = gh_run(&sc, 2, &mut sarif);
    assert!(jobs.iter().all(|j| j.ok), "{}", show(&jobs));
    for (dir, _) in VENDORS {
        let j = find(&jobs, &format!("assess ({dir})"));
        assert!(!j.log.contains("started it"), "{}", j.log);
        assert!(
            sc.cached(
                &format!("vetter-baseline-{dir}-2-1"),
                &format!("ws/baseline/{dir}.json")
            )
            .is_some()
        );
    }

    // Run 3: globex regresses. Its job fails, still uploads SARIF and reports, and keeps the
    // run-2 baseline; acme passes; the portfolio is gathered all the same.
    sc.regress();
    let (jobs, arts) = gh_run(&sc, 3, &mut sarif);
    let g = find(&jobs, "assess (globex)");
    assert!(!g.ok, "a regression fails the job: {}", g.log);
    assert!(
        g.log.contains("[exit Some(1)]"),
        "exit 1, not a config error: {}",
        g.log
    );
    assert!(g.log.contains("assurance-pentest-no-open-critical"), "{}", g.log);
    assert!(
        sarif.iter().any(|(c, _)| c == "vetter-globex"),
        "SARIF uploaded on failure"
    );
    assert!(arts.join("vendor-globex/globex.xml").is_file());
    assert!(find(&jobs, "assess (acme)").ok);
    let p = find(&jobs, "portfolio");
    assert!(p.ok, "{}", p.log);
    assert_eq!(portfolio_vendors(&arts.join("portfolio/portfolio.json")).len(), 2);
    let key = |run: u32| sc.cached(&format!("vetter-baseline-globex-{run}-1"), "ws/baseline/globex.json");
    assert_eq!(key(3), key(2), "a regression does not move the baseline");
    assert_ne!(key(2), key(1), "a run without regressions moves it on");

    // Run 4: the regression is reverted; compared with the run-2 baseline, nothing regressed.
    sc.revert();
    let (jobs, _) = gh_run(&sc, 4, &mut sarif);
    assert!(jobs.iter().all(|j| j.ok), "{}", show(&jobs));
}

// ---------------------------------------------------------------------------------------------
// GitLab CI

/// `$VAR` and `${VAR}` as GitLab expands them in keys and paths.
fn expand(text: &str, vars: &BTreeMap<String, String>) -> String {
    let re = regex::Regex::new(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?").unwrap();
    re.replace_all(text, |c: &regex::Captures| {
        vars.get(&c[1])
            .cloned()
            .unwrap_or_else(|| panic!("unset ${} in {text}", &c[1]))
    })
    .into_owned()
}

fn merge(base: &Yaml, over: &Yaml) -> Yaml {
    match (base, over) {
        (Yaml::Hash(a), Yaml::Hash(b)) => {
            let mut out = a.clone();
            for (k, v) in b {
                let merged = match a.get(k) {
                    Some(old) => merge(old, v),
                    None => v.clone(),
                };
                out.insert(k.clone(), merged);
            }
            Yaml::Hash(out)
        }
        (_, o) => o.clone(),
    }
}

fn lines(y: &Yaml) -> Vec<String> {
    match y {
        Yaml::Array(a) => a.iter().map(|l| s(l).expect("script line")).collect(),
        Yaml::BadValue => vec![],
        other => panic!("script {other:?}"),
    }
}

struct GlJob {
    name: String,
    vars: BTreeMap<String, String>,
    def: Yaml,
}

/// One pipeline: jobs by stage (`.pre` first), matrix expanded, each on a fresh clone with the
/// artifacts of every earlier job and its caches.
fn gl_run(sc: &Scratch, run: u32) -> Vec<JobRun> {
    let ci = load("ci/gitlab/.gitlab-ci.yml");
    let dir = sc.base.join(format!("gl-run{run}"));
    let mut globals = BTreeMap::new();
    for (k, v) in map(&ci["variables"]) {
        globals.insert(k, s(v).unwrap());
    }
    let mut stages = vec![".pre".to_string()];
    stages.extend(lines(&ci["stages"]));
    let mut jobs: Vec<(usize, GlJob)> = vec![];
    for (name, def) in map(&ci) {
        if ["variables", "stages"].contains(&name.as_str()) || name.starts_with('.') {
            continue;
        }
        let def = match s(&def["extends"]) {
            Some(t) => merge(&ci[t.as_str()], def),
            None => def.clone(),
        };
        for (k, _) in map(&def) {
            assert!(
                [
                    "extends",
                    "image",
                    "stage",
                    "before_script",
                    "script",
                    "cache",
                    "parallel",
                    "artifacts",
                    "when"
                ]
                .contains(&k.as_str()),
                "{name}: key {k} is not interpreted here"
            );
        }
        assert!(s(&def["image"]).is_some(), "{name}: an image with cargo");
        let stage = s(&def["stage"]).expect("stage");
        let at = stages.iter().position(|x| *x == stage).expect("known stage");
        let matrix = &def["parallel"]["matrix"];
        if let Yaml::Array(entries) = matrix {
            for e in entries {
                for (k, vals) in map(e) {
                    for v in lines(vals) {
                        let vars = BTreeMap::from([(k.clone(), v.clone())]);
                        jobs.push((
                            at,
                            GlJob {
                                name: format!("{name} ({v})"),
                                vars,
                                def: def.clone(),
                            },
                        ));
                    }
                }
            }
        } else {
            jobs.push((
                at,
                GlJob {
                    name,
                    vars: BTreeMap::new(),
                    def,
                },
            ));
        }
    }
    jobs.sort_by_key(|(at, _)| *at);
    // Matrix jobs run at once: a cache they all push under one key would lose all but one.
    let mut pushed: BTreeMap<String, String> = BTreeMap::new();
    for (_, j) in jobs.iter().filter(|(_, j)| !j.vars.is_empty()) {
        let mut vars = globals.clone();
        vars.extend(j.vars.clone());
        for c in match &j.def["cache"] {
            Yaml::Array(cs) => cs.clone(),
            _ => vec![],
        } {
            if s(&c["policy"]).as_deref() != Some("pull") {
                let k = expand(&s(&c["key"]).unwrap(), &vars);
                if let Some(other) = pushed.insert(k.clone(), j.name.clone()) {
                    panic!("{other} and {} both push cache {k}", j.name);
                }
            }
        }
    }
    let artifacts = dir.join("artifacts");
    // Artifacts and failures of earlier stages only: jobs of one stage run side by side.
    let mut earlier: Vec<(usize, PathBuf, bool)> = vec![];
    let mut out = vec![];
    for (stage, job) in jobs {
        let when = s(&job.def["when"]).unwrap_or_else(|| "on_success".into());
        let failed = earlier.iter().any(|(at, _, ok)| *at < stage && !ok);
        if failed && when != "always" {
            continue;
        }
        let jdir = dir.join(job.name.replace([' ', '(', ')'], "_"));
        let (home, ws) = (jdir.join("home"), jdir.join("ws"));
        std::fs::create_dir_all(&home).unwrap();
        sc.clone_into(&ws);
        for (_, a, _) in earlier.iter().filter(|(at, a, _)| *at < stage && a.exists()) {
            sh(Command::new("cp").arg("-a").arg(format!("{}/.", a.display())).arg(&ws));
        }
        let mut vars = globals.clone();
        vars.extend(job.vars.clone());
        vars.insert("CI_PROJECT_DIR".into(), ws.display().to_string());
        vars.insert("CI_JOB_NAME".into(), job.name.clone());
        let caches: Vec<(String, Vec<String>, String)> = match &job.def["cache"] {
            Yaml::Array(cs) => cs
                .iter()
                .map(|c| {
                    (
                        expand(&s(&c["key"]).unwrap(), &vars),
                        lines(&c["paths"]),
                        s(&c["policy"]).unwrap_or_else(|| "pull-push".into()),
                    )
                })
                .collect(),
            Yaml::BadValue => vec![],
            other => panic!("cache {other:?}"),
        };
        for (k, paths, _) in &caches {
            for p in paths {
                let (_, rel) = cache_parts(p);
                let from = sc.store.join(k).join("ws").join(&rel);
                if from.exists() {
                    copy_tree(&from, &ws.join(&rel));
                }
            }
        }
        let mut script = lines(&job.def["before_script"]);
        script.extend(lines(&job.def["script"]));
        let mut env = base_env(&home, &sc.guard);
        env.extend(vars.clone());
        let (ok, log) = bash(&script.join("\n"), &ws, &env);
        if ok {
            for (k, paths, policy) in &caches {
                if policy == "pull" {
                    continue;
                }
                for p in paths {
                    let (_, rel) = cache_parts(p);
                    if ws.join(&rel).exists() {
                        let dest = sc.store.join(k).join("ws").join(&rel);
                        let _ = std::fs::remove_dir_all(&dest);
                        copy_tree(&ws.join(&rel), &dest);
                    }
                }
            }
        }
        let art = &job.def["artifacts"];
        let art_when = s(&art["when"]).unwrap_or_else(|| "on_success".into());
        let dest = artifacts.join(jdir.file_name().unwrap());
        if ok || art_when == "always" {
            for p in lines(&art["paths"]) {
                let src = ws.join(p.trim_end_matches('/'));
                if src.exists() {
                    copy_tree(&src, &dest.join(p.trim_end_matches('/')));
                }
            }
            if let Some(j) = s(&art["reports"]["junit"]) {
                let files: Vec<PathBuf> = glob::glob(&ws.join(expand(&j, &vars)).display().to_string())
                    .unwrap()
                    .flatten()
                    .collect();
                assert!(!files.is_empty(), "{}: no JUnit report at {j}", job.name);
                for f in files {
                    assert!(junit_cases(&f) > 0, "{}", f.display());
                }
            }
        }
        earlier.push((stage, dest, ok));
        out.push(JobRun {
            name: job.name,
            ok,
            log,
            summary: String::new(),
            skipped_steps: vec![],
        });
    }
    out
}

#[test]
fn gitlab_recipe_runs_in_a_scratch_repository() {
    let sc = Scratch::new("ci/gitlab/.gitlab-ci.yml", ".gitlab-ci.yml");
    let ci = load("ci/gitlab/.gitlab-ci.yml");
    let rev = env_of(&ci, "variables");
    sc.seed_binary(&format!("vetter-bin-{rev}"), "ws/.vetter");
    assert_install_line(&ci, ".vetter");
    let show = |jobs: &[JobRun]| {
        jobs.iter()
            .map(|j| format!("== {} ok={}\n{}", j.name, j.ok, j.log))
            .collect::<String>()
    };
    // The matrix names exactly the vendors of the repository.
    let listed: BTreeSet<String> = lines(&ci["assess"]["parallel"]["matrix"][0]["VENDOR"])
        .into_iter()
        .collect();
    assert_eq!(listed, VENDORS.iter().map(|(d, _)| d.to_string()).collect());

    let jobs = gl_run(&sc, 1);
    assert!(jobs.iter().all(|j| j.ok), "{}", show(&jobs));
    assert_eq!(jobs.len(), 4, "install, one assess job per vendor, portfolio");
    assert!(find(&jobs, "install").log.contains("vetter 0."), "{}", show(&jobs));
    for (dir, _) in VENDORS {
        assert!(find(&jobs, &format!("assess ({dir})")).log.contains("started it"));
    }
    let p = sc.base.join("gl-run1/artifacts/portfolio/portfolio.json");
    assert_eq!(portfolio_vendors(&p).len(), 2);
    let first = sc.cached("vetter-baseline-globex", "ws/baseline/globex.json").unwrap();
    let acme = || sc.cached("vetter-baseline-acme", "ws/baseline/acme.json").unwrap();
    let acme_first = acme();

    sc.regress();
    let jobs = gl_run(&sc, 2);
    let g = find(&jobs, "assess (globex)");
    assert!(!g.ok && g.log.contains("[exit Some(1)]"), "{}", g.log);
    assert!(find(&jobs, "assess (acme)").ok);
    assert!(
        find(&jobs, "portfolio").ok,
        "gathered when a vendor regressed: {}",
        show(&jobs)
    );
    assert_eq!(
        sc.cached("vetter-baseline-globex", "ws/baseline/globex.json").unwrap(),
        first,
        "a failed job leaves the baseline"
    );
    assert_ne!(acme(), acme_first, "a run without regressions moves the baseline on");

    sc.revert();
    let jobs = gl_run(&sc, 3);
    assert!(jobs.iter().all(|j| j.ok), "{}", show(&jobs));
    assert!(!find(&jobs, "assess (globex)").log.contains("started it"));
}
