//! ② Collect: every network and vendor-file read happens here, in probes.
//!
//! A probe is one module behind [`Probe`]: it lists the fact keys it produces, says which of
//! the manifest's resources it handles, and turns one resource into facts. One runner runs
//! every task under a concurrency cap with a shared HTTP client and timeouts, and reports
//! progress to an [`Observer`] (the binary draws indicatif bars from it). A probe that fails
//! records the resource's `error`; it never stops the run.

pub mod auditlog;
pub mod endpoint;
pub mod evidence;
pub mod export;
pub mod files;
pub mod input;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use chrono::NaiveDate;

use crate::facts::*;
use crate::manifest::Manifest;
use crate::report::Input;

/// Which manifest table a task's resource comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResourceKind {
    Endpoint,
    Export,
    AuditLog,
    Evidence,
}

/// One unit of probe work: one resource.
#[derive(Debug, Clone)]
pub struct Task {
    pub kind: ResourceKind,
    /// Index in the manifest's table of that kind.
    pub index: usize,
    /// What progress shows (a URL or a path as written).
    pub label: String,
}

/// A document's facts, by kind.
#[derive(Debug, Clone)]
#[allow(clippy::large_enum_variant)] // one per task; boxing buys nothing
pub enum EvidenceOut {
    Soc2(Soc2Facts),
    Baa(BaaFacts),
    Dpa(DpaFacts),
    Pentest(PentestFacts),
    Hitrust(HitrustFacts),
    Policy(PolicyFacts),
}

/// What a probe produced for one task.
#[derive(Debug, Clone)]
#[allow(clippy::large_enum_variant)] // one per task; boxing buys nothing
pub enum Output {
    Endpoint(EndpointFacts),
    Export(ExportFacts),
    AuditLog(AuditLogFacts),
    Evidence(EvidenceOut),
}

/// A probe's result: facts plus every file it read (hashed).
#[derive(Debug, Clone)]
pub struct ProbeResult {
    pub output: Output,
    pub inputs: Vec<Input>,
}

/// Settings shared by all probes in one run.
#[derive(Debug, Clone)]
pub struct Settings {
    pub as_of: NaiveDate,
    /// Per-connection timeout; also the longest wait for data from any input file that is a pipe.
    pub timeout: Duration,
    /// Tasks run at once.
    pub concurrency: usize,
    /// Extra CA certificates (PEM) for chain validation.
    pub ca_file: Option<std::path::PathBuf>,
    /// What the run's probes share (host limits, trust anchors).
    pub run: RunState,
}

type RootsCache = HashMap<Option<PathBuf>, Arc<Vec<rustls_pki_types::CertificateDer<'static>>>>;

/// State shared by the probes of one run and by nothing else: which hosts are being talked to
/// (politeness limits) and the trust anchors, loaded once per `--ca-file`. Owned by the run's
/// [`Settings`], so two runs in one process (tests, a library user) never share it.
#[derive(Debug, Clone, Default)]
pub struct RunState(Arc<RunStateInner>);

#[derive(Debug, Default)]
struct RunStateInner {
    hosts: endpoint::limits::HostLimits,
    roots: Mutex<RootsCache>,
}

impl RunState {
    pub fn hosts(&self) -> &endpoint::limits::HostLimits {
        &self.0.hosts
    }

    /// [`endpoint::cert::load_roots`] once per run and `ca_file`: the platform store is read
    /// and parsed once, not once per endpoint.
    pub fn roots(
        &self,
        ca_file: Option<&std::path::Path>,
    ) -> Result<Arc<Vec<rustls_pki_types::CertificateDer<'static>>>, String> {
        let key = ca_file.map(std::path::Path::to_path_buf);
        let mut c = self.0.roots.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(r) = c.get(&key) {
            return Ok(r.clone());
        }
        let roots = Arc::new(endpoint::cert::load_roots(ca_file)?);
        c.insert(key, roots.clone());
        Ok(roots)
    }
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            as_of: chrono::Utc::now().date_naive(),
            timeout: Duration::from_secs(10),
            concurrency: 16,
            ca_file: None,
            run: RunState::default(),
        }
    }
}

/// What a probe sees while it runs.
pub struct ProbeContext<'a> {
    pub manifest: &'a Manifest,
    pub settings: &'a Settings,
    http: &'a OnceLock<Result<reqwest::blocking::Client, String>>,
    observer: &'a dyn Observer,
}

impl ProbeContext<'_> {
    /// Where to report bytes read of `path` (the file the manifest names for `task`), if the
    /// observer shows file progress. The size is read from the file system; a file whose size
    /// is unknown (a pipe) reports 0.
    pub fn file_progress(&self, task: &Task, path: &str) -> Option<ByteSink> {
        let total = std::fs::metadata(self.manifest.resolve(path))
            .map(|m| m.len())
            .unwrap_or(0);
        self.observer.file_started(task, path, total)
    }

    /// The run's shared HTTP client: timeouts set, redirects not followed (probes follow them
    /// by hand so every hop is seen), proxies from the environment.
    pub fn http(&self) -> Result<&reqwest::blocking::Client, String> {
        self.http
            .get_or_init(|| {
                let _ = rustls::crypto::ring::default_provider().install_default();
                reqwest::blocking::Client::builder()
                    .timeout(self.settings.timeout)
                    .connect_timeout(self.settings.timeout)
                    .redirect(reqwest::redirect::Policy::none())
                    .user_agent(concat!("vetter/", env!("CARGO_PKG_VERSION")))
                    .build()
                    .map_err(|e| format!("cannot build the HTTP client: {e}"))
            })
            .as_ref()
            .map_err(Clone::clone)
    }
}

/// One kind of evidence gathering.
pub trait Probe: Send + Sync {
    /// Short name for progress and docs.
    fn name(&self) -> &'static str;
    /// The fact keys this probe fills (e.g. `endpoints[].tls.versions`).
    fn produces(&self) -> &'static [&'static str];
    /// The tasks it takes from the manifest.
    fn tasks(&self, manifest: &Manifest) -> Vec<Task>;
    /// Gather facts for one task. Never panics on hostile input; failures go in `error`.
    fn run(&self, task: &Task, ctx: &ProbeContext) -> ProbeResult;
}

/// Progress reports from the runner.
pub trait Observer: Sync {
    fn start(&self, _total: usize) {}
    fn task_started(&self, _task: &Task) {}
    fn task_finished(&self, _task: &Task) {}
    fn finish(&self) {}
    /// A probe starts reading `path` (`total` bytes on disk) for `task`. The sink returned, if
    /// any, is told how many bytes have been read so far; it is dropped when the read ends.
    fn file_started(&self, _task: &Task, _path: &str, _total: u64) -> Option<ByteSink> {
        None
    }
}

/// Where a reader reports its position (bytes read so far), for a byte-based progress bar.
pub type ByteSink = Box<dyn Fn(u64) + Send + Sync>;

/// An observer that shows nothing.
pub struct Silent;
impl Observer for Silent {}

/// Every probe, in the order their facts appear. Adding a probe: a module, one line here.
pub fn registry() -> Vec<Box<dyn Probe>> {
    vec![
        Box::new(endpoint::EndpointProbe),
        Box::new(export::ExportProbe),
        Box::new(auditlog::AuditLogProbe),
        Box::new(evidence::EvidenceProbe::builtin()),
    ]
}

/// [`registry`] with the evidence reader using the phrasing packs of `rules` (built-in and
/// `--rules DIR` packs of kind = "phrasing"); the built-in phrasing when there are none.
pub fn registry_for(rules: &crate::rules::RuleSet) -> Vec<Box<dyn Probe>> {
    let tables: Vec<toml::Table> = rules.phrasing.iter().map(|(_, t)| t.clone()).collect();
    let mut probes = registry();
    probes.retain(|p| p.name() != "evidence");
    probes.push(Box::new(evidence::EvidenceProbe::with_tables(tables)));
    probes
}

/// What collection produced.
#[derive(Debug, Clone)]
pub struct Collected {
    pub facts: Facts,
    pub inputs: Vec<Input>,
}

/// Run the probes over the manifest's resources.
pub fn collect(
    manifest: &Manifest,
    probes: &[Box<dyn Probe>],
    settings: &Settings,
    observer: &dyn Observer,
) -> Collected {
    let mut tasks: Vec<(usize, Task)> = Vec::new();
    for (pi, p) in probes.iter().enumerate() {
        tasks.extend(p.tasks(manifest).into_iter().map(|t| (pi, t)));
    }
    observer.start(tasks.len());
    let http = OnceLock::new();
    let ctx = ProbeContext {
        manifest,
        settings,
        http: &http,
        observer,
    };
    let results: Mutex<Vec<Option<ProbeResult>>> = Mutex::new(vec![None; tasks.len()]);
    let next = AtomicUsize::new(0);
    let workers = settings.concurrency.clamp(1, 256).min(tasks.len().max(1));
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some((pi, task)) = tasks.get(i) else { break };
                    observer.task_started(task);
                    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| probes[*pi].run(task, &ctx)));
                    let r = r.unwrap_or_else(|_| {
                        failed_result(
                            manifest,
                            task,
                            &format!("internal error in the {} probe", probes[*pi].name()),
                        )
                    });
                    results.lock().expect("results lock")[i] = Some(r);
                    observer.task_finished(task);
                }
            });
        }
    });
    observer.finish();

    let mut facts = base_facts(manifest, settings.as_of);
    let mut inputs = vec![manifest_input(manifest)];
    let mut endpoints: Vec<Option<EndpointFacts>> = vec![None; manifest.endpoint.len()];
    let mut exports: Vec<Option<ExportFacts>> = vec![None; manifest.export.len()];
    let mut logs: Vec<Option<AuditLogFacts>> = vec![None; manifest.audit_log.len()];
    let mut evidence: Vec<Option<EvidenceOut>> = vec![None; manifest.evidence.len()];
    for ((_, task), r) in tasks.iter().zip(results.into_inner().expect("results lock")) {
        let Some(r) = r else { continue };
        inputs.extend(r.inputs);
        match (task.kind, r.output) {
            (ResourceKind::Endpoint, Output::Endpoint(e)) => endpoints[task.index] = Some(e),
            (ResourceKind::Export, Output::Export(e)) => exports[task.index] = Some(e),
            (ResourceKind::AuditLog, Output::AuditLog(e)) => logs[task.index] = Some(e),
            (ResourceKind::Evidence, Output::Evidence(e)) => evidence[task.index] = Some(e),
            _ => {}
        }
    }
    facts.endpoints = endpoints
        .into_iter()
        .enumerate()
        .map(|(i, e)| e.unwrap_or_else(|| files::endpoint_skeleton(&manifest.endpoint[i].url)))
        .collect();
    facts.exports = exports
        .into_iter()
        .enumerate()
        .map(|(i, e)| {
            e.unwrap_or_else(|| ExportFacts {
                path: manifest.export[i].path.clone(),
                error: Some("no probe handled this export".into()),
                ..Default::default()
            })
        })
        .collect();
    facts.audit_logs = logs
        .into_iter()
        .enumerate()
        .map(|(i, e)| {
            e.unwrap_or_else(|| AuditLogFacts {
                path: manifest.audit_log[i].path.clone(),
                error: Some("no probe handled this audit log".into()),
                ..Default::default()
            })
        })
        .collect();
    for (i, e) in evidence.into_iter().enumerate() {
        let Some(e) = e else { continue };
        if let Some(org) = &manifest.evidence[i].subservice {
            facts.evidence.subservice_soc2.push(subservice_report(e, org));
            continue;
        }
        match e {
            EvidenceOut::Soc2(x) => facts.evidence.soc2.push(x),
            EvidenceOut::Baa(x) => facts.evidence.baa.push(x),
            EvidenceOut::Dpa(x) => facts.evidence.dpa.push(x),
            EvidenceOut::Pentest(x) => facts.evidence.pentest.push(x),
            EvidenceOut::Hitrust(x) => facts.evidence.hitrust.push(x),
            EvidenceOut::Policy(x) => facts.evidence.policy.push(x),
        }
    }
    inputs.extend(files::side_inputs(manifest, settings.timeout));
    Collected { facts, inputs }
}

/// A subservice organisation's report: its SOC 2 facts with the organisation named, or an error
/// when the document reads as another kind (the manifest said `subservice` but left `kind` out).
fn subservice_report(e: EvidenceOut, org: &str) -> Soc2Facts {
    let (path, read_as) = match e {
        EvidenceOut::Soc2(x) => {
            return Soc2Facts {
                organisation: Some(org.to_string()),
                ..x
            };
        }
        EvidenceOut::Baa(x) => (x.path, "a BAA"),
        EvidenceOut::Dpa(x) => (x.path, "a DPA"),
        EvidenceOut::Pentest(x) => (x.path, "a penetration-test report"),
        EvidenceOut::Hitrust(x) => (x.path, "a HITRUST certification"),
        EvidenceOut::Policy(x) => (x.path, "a policy"),
    };
    Soc2Facts {
        error: Some(format!(
            "{path} is listed as the SOC report of subservice organisation {org}, but reads as {read_as}: check the file, or set kind = \"soc2\" if it is one"
        )),
        path,
        organisation: Some(org.to_string()),
        ..Default::default()
    }
}

fn failed_result(manifest: &Manifest, task: &Task, msg: &str) -> ProbeResult {
    let output = match task.kind {
        ResourceKind::Endpoint => Output::Endpoint(EndpointFacts {
            error: Some(msg.into()),
            ..files::endpoint_skeleton(&manifest.endpoint[task.index].url)
        }),
        ResourceKind::Export => Output::Export(ExportFacts {
            path: task.label.clone(),
            error: Some(msg.into()),
            ..Default::default()
        }),
        ResourceKind::AuditLog => Output::AuditLog(AuditLogFacts {
            path: task.label.clone(),
            error: Some(msg.into()),
            ..Default::default()
        }),
        ResourceKind::Evidence => Output::Evidence(EvidenceOut::Policy(PolicyFacts {
            path: task.label.clone(),
            error: Some(msg.into()),
            ..Default::default()
        })),
    };
    ProbeResult { output, inputs: vec![] }
}

/// The manifest's own facts (vendor, as_of).
pub fn base_facts(m: &Manifest, as_of: NaiveDate) -> Facts {
    Facts {
        vendor: VendorFacts {
            name: m.vendor.name.clone(),
            contact: m.vendor.contact.clone(),
            frameworks: m.vendor.frameworks.clone().unwrap_or_default(),
            next_review: m.vendor.next_review.as_ref().map(|d| d.as_str().to_string()),
        },
        as_of: as_of.format("%Y-%m-%d").to_string(),
        practice: m.practice.as_ref().map(|p| p.facts()).unwrap_or_default(),
        ..Default::default()
    }
}

fn manifest_input(m: &Manifest) -> Input {
    use sha2::{Digest, Sha256};
    Input {
        path: m.source.file.clone(),
        kind: "manifest".into(),
        sha256: Some(hex::encode(Sha256::digest(m.source.text.as_bytes()))),
        bytes: Some(m.source.text.len() as u64),
    }
}
