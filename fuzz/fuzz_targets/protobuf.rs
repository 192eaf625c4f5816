//! Fuzzes Protobuf messages over a fixed descriptor (nested, recursive, maps, well-known types), after
//! Confluent message indexes or Glue's message index. Nothing may panic or abort, memory stays under the
//! fuzzer's `-rss_limit_mb`, and any output is valid JSON: the checks are the library's
//! (`fuzz_protobuf`), which its tests replay on every kept input (`fuzz/regressions/protobuf/`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| kafka_eventbridge_lambda::fuzz_protobuf(data));
