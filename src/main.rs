//! The `vetter` binary: parse arguments, run, map the result to an exit code
//! (0 thresholds met, 1 a threshold failed, 2 usage or configuration error; broken pipe → 0).

mod cli;

use std::process::ExitCode;

use clap::FromArgMatches;

fn main() -> ExitCode {
    // The derive's command with the examples and the long version (cli::manual).
    let parsed = match cli::manual::command()
        .try_get_matches()
        .and_then(|m| cli::args::Cli::from_arg_matches(&m))
    {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    match cli::run(parsed) {
        Ok(code) => ExitCode::from(code as u8),
        Err(err) => {
            if err.chain().any(|c| {
                c.downcast_ref::<std::io::Error>()
                    .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
            }) {
                return ExitCode::SUCCESS;
            }
            if let Some(cfg) = err.downcast_ref::<vetter::diag::ConfigError>() {
                eprintln!("{cfg}");
            } else {
                // Errors quote file names and file contents: escaped for the terminal. One that
                // already names its place ("FILE:LINE:COL: error: …") gets no second prefix.
                let full = format!("{err:#}");
                let msg = vetter::report::text::escape_controls(&full);
                if msg.lines().next().is_some_and(|l| l.contains(": error: ")) {
                    eprintln!("{msg}");
                } else {
                    eprintln!("error: {msg}");
                }
            }
            ExitCode::from(2)
        }
    }
}
