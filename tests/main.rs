//! The one integration-test binary: one module per topic.

mod phigen;
mod support;

mod accuracy;

mod broken;
mod cli;
mod coverage;
mod demo;
mod docs;
mod endpoint;
mod export_bad_input;
mod exports;
mod fixtures;
mod reports;
