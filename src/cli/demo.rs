//! `vetter demo`: a full assessment of the embedded sample vendor, its endpoints served on
//! 127.0.0.1 by the library's demo servers. Writes the sample to a temporary directory (removed
//! afterwards), trusts the demo CA for this run only, then runs `assess` with the usual flags.

use std::io::{IsTerminal, Write};
use std::path::Path;

use anyhow::{Result, anyhow};

use super::args::{EvalArgs, Global};
use super::{Exit, UsageError, assess};

pub fn run(g: &Global, save_facts: Option<&Path>, eval: &EvalArgs) -> Result<Exit> {
    let as_of = g.as_of.unwrap_or_else(|| chrono::Utc::now().date_naive());
    let demo = vetter::demo::start(as_of).map_err(|e| anyhow!(UsageError(format!("vetter demo: {e}"))))?;
    if !g.quiet && std::io::stderr().is_terminal() {
        let mut err = std::io::stderr().lock();
        let _ = writeln!(
            err,
            "demo: sample vendor written to {}; its endpoints answer on 127.0.0.1 ports {}, {} (https) and {} (http)",
            demo.path().display(),
            demo.servers.api_port,
            demo.servers.portal_port,
            demo.servers.http_port,
        );
    }
    let manifest = demo.manifest.clone();
    let ca = demo.ca_file.clone();
    let exit = assess(g, &[manifest], save_facts, Some(&ca), eval);
    drop(demo);
    exit
}
