//! Fuzzes `migrate`: arbitrary bytes as a connector configuration. Nothing may panic, every
//! output format writes, a configuration with problems prints no configuration, and no line on
//! stderr is unbounded: the checks are the library's (`fuzz_migrate`), which its tests replay on
//! every kept input (`fuzz/regressions/migrate/`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| kafka_eventbridge_lambda::fuzz_migrate(data));
