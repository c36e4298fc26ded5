//! Fuzz target: the TLS codec.
//! The input's encoding and the driver live in tests/fuzz_regressions/drivers.rs, shared with
//! the regression tests that replay every finding.
#![no_main]

#[allow(dead_code)]
#[path = "../../tests/fuzz_regressions/drivers.rs"]
mod drivers;

libfuzzer_sys::fuzz_target!(|data: &[u8]| drivers::tls_hello(data));
