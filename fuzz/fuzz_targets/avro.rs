//! Fuzzes Avro datums over a fixed set of schemas (every type, decimals with huge scales, a fixed of 2^40
//! bytes, recursive, zero-width collections, shared named types, long field names). Nothing may panic or abort, memory stays under the
//! fuzzer's `-rss_limit_mb`, and any output is valid JSON: the checks are the library's
//! (`fuzz_avro`), which its tests replay on every kept input (`fuzz/regressions/avro/`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| kafka_eventbridge_lambda::fuzz_avro(data));
