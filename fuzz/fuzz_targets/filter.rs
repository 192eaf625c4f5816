//! Fuzzes the filter: arbitrary bytes as event patterns (up to the first newline) and an event
//! (the rest), which also goes through the mappers that read the record (CloudEvents, headers). Nothing may panic and a verdict never changes: the checks are the library's
//! (`fuzz_filter`), which its tests replay on every kept input (`fuzz/regressions/filter/`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| kafka_eventbridge_lambda::fuzz_filter(data));
