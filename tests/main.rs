//! The one integration-test binary: one module per topic.

mod phigen;
mod support;

mod accuracy;
mod auditlog_shapes;
mod baseline_change;
mod baseline_first;
mod broken;
mod browser;
mod cli;
mod coverage;
mod demo;
mod docs;
mod endpoint;
mod evidence;
mod export_bad_input;
mod exports;
mod fixtures;
mod fuzz_regressions;
mod html;
mod input_limits;
mod jurisdiction;
mod missing;
mod oscal;
mod output_flags;
mod parsers_bounded;
mod phi_labelled;
mod portfolio;
mod progress;
mod record;
mod reports;
mod rules_examples;
mod rules_messages;
mod rules_safety;
mod threshold_reasons;
mod waiver_globs;
