//! The one integration-test binary: one module per topic.

mod phigen;
mod support;

mod accuracy;
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
mod oscal;
mod portfolio;
mod progress;
mod record;
mod reports;
