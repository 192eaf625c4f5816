//! The checks the fuzz targets run (`fuzz/fuzz_targets/`), one per decoder, shared with the unit
//! test that replays every kept corpus file and crash (`fuzz/regressions/<target>/`). Built for
//! the fuzzer with the `fuzzing` feature, and for the tests.
//!
//! Each check feeds arbitrary bytes to one decoder over a fixed set of schemas and asserts what
//! must hold for any input: no panic, no abort (the fuzzer runs with `-rss_limit_mb`, so an
//! allocation bomb is a crash it reports), and any output is valid JSON.

// Public for the fuzz crate (feature `fuzzing`); without it only the tests use them.
#![cfg_attr(not(feature = "fuzzing"), allow(unreachable_pub))]

use std::sync::{Arc, OnceLock};

use serde::de::IgnoredAny;

use super::avro::AvroSchema;
use super::payload::PayloadDecoder as _;
use super::protobuf::ProtoSchema;
use super::registry::{FetchedSchema, RegistryDecoder, RegistryFormat, Schemas};
use super::schema::{SchemaId, SchemaKind};

/// The Avro schemas the Avro target decodes with: the first byte of the input picks one.
pub(crate) const AVRO_SCHEMAS: [&str; 8] = [
    // Every primitive and logical type.
    r#"{"type":"record","name":"All","fields":[
        {"name":"n","type":"null"},{"name":"b","type":"boolean"},{"name":"i","type":"int"},
        {"name":"l","type":"long"},{"name":"f","type":"float"},{"name":"d","type":"double"},
        {"name":"by","type":"bytes"},{"name":"s","type":"string"},
        {"name":"e","type":{"type":"enum","name":"E","symbols":["A","B"]}},
        {"name":"fx","type":{"type":"fixed","name":"F4","size":4}},
        {"name":"date","type":{"type":"int","logicalType":"date"}},
        {"name":"ts","type":{"type":"long","logicalType":"timestamp-micros"}},
        {"name":"u","type":{"type":"string","logicalType":"uuid"}},
        {"name":"dur","type":{"type":"fixed","name":"D12","size":12,"logicalType":"duration"}}]}"#,
    // Decimals: schema-chosen scales (one huge), fixed-backed, and producer-chosen scales.
    r#"{"type":"record","name":"Dec","fields":[
        {"name":"a","type":{"type":"bytes","logicalType":"decimal","precision":10,"scale":2}},
        {"name":"b","type":{"type":"fixed","name":"F8","size":8,"logicalType":"decimal","precision":18,"scale":4}},
        {"name":"c","type":{"type":"bytes","logicalType":"big-decimal"}},
        {"name":"d","type":["null",{"type":"bytes","logicalType":"decimal","precision":1099511627776,"scale":1099511627776}]}]}"#,
    // A fixed of 2^40 bytes behind a union.
    r#"["null",{"type":"fixed","name":"Huge","size":1099511627776}]"#,
    // Recursive through a union and through an array.
    r#"{"type":"record","name":"Node","fields":[{"name":"v","type":"int"},
        {"name":"next","type":["null","Node"]},
        {"name":"kids","type":{"type":"array","items":"Node"}}]}"#,
    // Nested collections of zero-width items.
    r#"{"type":"array","items":{"type":"array","items":{"type":"map","values":{"type":"array","items":"null"}}}}"#,
    // Shared named types (2^12 paths): bounded, not refused.
    r#"[{"type":"record","name":"T11","fields":[{"name":"a","type":"null"},{"name":"b","type":"int"}]},
        {"type":"record","name":"T10","fields":[{"name":"a","type":"T11"},{"name":"b","type":"T11"}]},
        {"type":"record","name":"T9","fields":[{"name":"a","type":"T10"},{"name":"b","type":"T10"}]},
        {"type":"record","name":"T8","fields":[{"name":"a","type":"T9"},{"name":"b","type":"T9"}]},
        {"type":"record","name":"T7","fields":[{"name":"a","type":"T8"},{"name":"b","type":"T8"}]},
        {"type":"record","name":"T6","fields":[{"name":"a","type":"T7"},{"name":"b","type":"T7"}]},
        {"type":"record","name":"T5","fields":[{"name":"a","type":"T6"},{"name":"b","type":"T6"}]},
        {"type":"record","name":"T4","fields":[{"name":"a","type":"T5"},{"name":"b","type":"T5"}]},
        {"type":"record","name":"T3","fields":[{"name":"a","type":"T4"},{"name":"b","type":"T4"}]},
        {"type":"record","name":"T2","fields":[{"name":"a","type":"T3"},{"name":"b","type":"T3"}]},
        {"type":"record","name":"T1","fields":[{"name":"a","type":"T2"},{"name":"b","type":"T2"}]},
        {"type":"record","name":"T0","fields":[{"name":"a","type":"T1"},{"name":"b","type":"T1"}]}]"#,
    // Maps and unions of strings and bytes.
    r#"{"type":"map","values":["null","string","bytes",{"type":"array","items":"long"}]}"#,
    // A record whose field names are long (rendering amplification).
    r#"{"type":"array","items":{"type":"record","name":"Wide","fields":[
        {"name":"a_field_name_that_is_quite_long_indeed_0","type":"boolean"},
        {"name":"a_field_name_that_is_quite_long_indeed_1","type":"null"}]}}"#,
];

/// The `.proto` schema the Protobuf target decodes with.
pub(crate) const PROTO_SCHEMA: &str = r#"
syntax = "proto3";
package fuzz;
import "google/protobuf/timestamp.proto";
import "google/protobuf/struct.proto";
import "google/protobuf/any.proto";
message Node {
  int64 id = 1;
  string name = 2;
  bytes blob = 3;
  repeated Node kids = 4;
  map<string, Node> by_name = 5;
  google.protobuf.Timestamp at = 6;
  google.protobuf.Struct meta = 7;
  oneof pick { double x = 8; Node other = 9; }
  repeated sint64 packed = 10;
  google.protobuf.Any any = 11;
  enum Kind { A = 0; B = 1; }
  Kind kind = 12;
}
message Leaf { fixed32 a = 1; float b = 2; }
"#;

fn valid_json(text: &str) -> bool {
    serde_json::from_str::<IgnoredAny>(text).is_ok()
}

fn avro_schemas() -> &'static [AvroSchema] {
    static SCHEMAS: OnceLock<Vec<AvroSchema>> = OnceLock::new();
    SCHEMAS.get_or_init(|| {
        AVRO_SCHEMAS
            .iter()
            .map(|text| AvroSchema::parse(text).expect("a fuzz schema parses"))
            .collect()
    })
}

/// Avro: the first byte picks a schema of [`AVRO_SCHEMAS`], the rest is the datum.
pub fn fuzz_avro(data: &[u8]) {
    let Some((&pick, datum)) = data.split_first() else {
        return;
    };
    let schemas = avro_schemas();
    if let Ok(json) = schemas[usize::from(pick) % schemas.len()].to_json(datum) {
        assert!(valid_json(json.as_str()), "Avro rendered invalid JSON");
    }
}

fn proto_schema() -> &'static ProtoSchema {
    static SCHEMA: OnceLock<ProtoSchema> = OnceLock::new();
    SCHEMA.get_or_init(|| ProtoSchema::parse(PROTO_SCHEMA).expect("the fuzz schema compiles"))
}

/// Protobuf: the first byte picks the message (by Confluent indexes or Glue's index), the rest is
/// the message indexes and data as a registry serializer writes them.
pub fn fuzz_protobuf(data: &[u8]) {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let schema = proto_schema();
    let decoded = if pick & 1 == 0 {
        super::protobuf::confluent_indexes(rest).and_then(|(i, data)| schema.to_json(&i, data))
    } else {
        super::protobuf::glue_index(rest).and_then(|(i, data)| schema.glue_to_json(i, data))
    };
    if let Ok(json) = decoded {
        assert!(valid_json(json.as_str()), "Protobuf rendered invalid JSON");
    }
}

fn framing_decoder() -> &'static RegistryDecoder {
    static DECODER: OnceLock<RegistryDecoder> = OnceLock::new();
    DECODER.get_or_init(|| {
        let schemas = Schemas::new(super::registry::Registries::new());
        let json = FetchedSchema::new(SchemaKind::Json, "{}");
        let avro = FetchedSchema::new(SchemaKind::Avro, AVRO_SCHEMAS[6]);
        let proto = FetchedSchema::new(SchemaKind::Protobuf, PROTO_SCHEMA);
        for (id, schema) in [
            (SchemaId::Confluent(1), &json),
            (SchemaId::Confluent(2), &avro),
            (SchemaId::Confluent(3), &proto),
            (SchemaId::Glue(uuid::Uuid::from_u128(1)), &json),
            (SchemaId::Glue(uuid::Uuid::from_u128(2)), &avro),
            (SchemaId::Glue(uuid::Uuid::from_u128(3)), &proto),
            (SchemaId::ConfluentGuid(uuid::Uuid::from_u128(1)), &json),
            (SchemaId::ConfluentGuid(uuid::Uuid::from_u128(2)), &avro),
            (SchemaId::ConfluentGuid(uuid::Uuid::from_u128(3)), &proto),
        ] {
            schemas.preload(id, schema).expect("a fuzz schema parses");
        }
        RegistryDecoder::new(RegistryFormat::Any, Some(Arc::new(schemas)))
    })
}

/// Framing: the bytes as a registry-framed value (Confluent or Glue, plain or zlib), decoded with
/// the schema they name (JSON Schema, Avro or Protobuf for ids and GUIDs 1-3; any other is not
/// cached). An input that starts with `0xff` is a Confluent schema-id header instead: its next
/// byte says how many of the following bytes are the header, the rest is the payload.
pub fn fuzz_framing(data: &[u8]) {
    let decoder = framing_decoder();
    let decoded = match data {
        [0xff, header_len, rest @ ..] => {
            let (header, payload) = rest.split_at(usize::from(*header_len).min(rest.len()));
            let _ = decoder.header_schema_id(header);
            decoder.decode_with_schema_header(payload.to_vec(), header)
        }
        _ => {
            let _ = decoder.schema_id(data);
            decoder.decode(data.to_vec())
        }
    };
    if let Ok(json) = decoded {
        assert!(
            valid_json(json.as_str()),
            "a framed value rendered invalid JSON"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every kept corpus file and crash of each target, replayed.
    #[test]
    fn kept_fuzz_inputs_replay_cleanly() {
        type Check = fn(&[u8]);
        let targets: [(&str, Check); 3] = [
            ("avro", fuzz_avro),
            ("protobuf", fuzz_protobuf),
            ("framing", fuzz_framing),
        ];
        for (name, check) in targets {
            crate::fuzz_replay::replay(name, check);
        }
    }
}
