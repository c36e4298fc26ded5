//! Fuzz target: the whole export reader on bytes.
//! The input's encoding and the driver live in tests/fuzz_regressions/drivers.rs, shared with
//! the regression tests that replay every finding.
#![no_main]

#[allow(dead_code)]
#[path = "../../tests/fuzz_regressions/drivers.rs"]
mod drivers;

/// libFuzzer's panic hook aborts on every panic, even one vetter catches. `read_xlsx` contains
/// panics inside calamine (a finding already fixed that way, see docs/fuzzing.md), so those
/// are let through to its `catch_unwind`, and the fuzzer goes on to what lies beyond them.
fn let_calamine_panics_unwind() {
    let abort = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if !info.location().is_some_and(|l| l.file().contains("/calamine-")) {
            abort(info);
        }
    }));
}

libfuzzer_sys::fuzz_target!(init: let_calamine_panics_unwind(), |data: &[u8]| drivers::export_stream(data));
