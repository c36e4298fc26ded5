//! vetter: evidence-based compliance audits of healthcare software vendors.
//!
//! ```text
//! vendor.toml ─► collect (probe) ─► Facts ─┐
//! rules/*.toml ─► RuleSet (rules) ─────────┼─► evaluate (engine) ─► Findings ─► score ─► Report ─► render (report)
//! params, waivers, attestations, as_of ────┘
//! ```
//!
//! Only `manifest`/`rules` loading and `probe` do I/O; everything after `collect` is a pure
//! function of its input. The library never prints or exits: the binary does.

#![cfg_attr(not(test), warn(clippy::print_stdout, clippy::print_stderr))]

#[macro_use]
mod named;

pub mod assessment;
pub mod demo;
pub mod diag;
pub mod engine;
pub mod facts;
pub mod manifest;
pub mod probe;
pub mod report;
pub mod rules;
pub mod score;
pub mod secrets;
