//! Fuzzes registry-framed values (Confluent and AWS Glue, plain and zlib) decoded with the schema they
//! name (JSON Schema, Avro, Protobuf). Nothing may panic or abort, memory stays under the
//! fuzzer's `-rss_limit_mb`, and any output is valid JSON: the checks are the library's
//! (`fuzz_framing`), which its tests replay on every kept input (`fuzz/regressions/framing/`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| kafka_eventbridge_lambda::fuzz_framing(data));
