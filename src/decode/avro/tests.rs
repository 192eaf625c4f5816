use apache_avro::types::Value;
use apache_avro::{Decimal, Schema};

use super::*;

const SCHEMA: &str = r#"{
  "type": "record", "name": "Order", "namespace": "shop",
  "fields": [
    {"name": "id", "type": "long"},
    {"name": "note", "type": ["null", "string"]},
    {"name": "lines", "type": {"type": "array", "items": {
        "type": "record", "name": "Line",
        "fields": [{"name": "sku", "type": "string"}, {"name": "qty", "type": "int"}]}}},
    {"name": "tags", "type": {"type": "map", "values": "boolean"}},
    {"name": "status", "type": {"type": "enum", "name": "Status", "symbols": ["NEW", "PAID"]}},
    {"name": "price", "type": {"type": "bytes", "logicalType": "decimal", "precision": 10, "scale": 2}},
    {"name": "small", "type": {"type": "fixed", "name": "Small", "size": 2, "logicalType": "decimal", "precision": 4, "scale": 3}},
    {"name": "day", "type": {"type": "int", "logicalType": "date"}},
    {"name": "at", "type": {"type": "long", "logicalType": "timestamp-millis"}},
    {"name": "at_us", "type": {"type": "long", "logicalType": "timestamp-micros"}},
    {"name": "raw", "type": "bytes"},
    {"name": "ratio", "type": "double"},
    {"name": "first", "type": ["null", "Line"]},
    {"name": "id2", "type": {"type": "string", "logicalType": "uuid"}}
  ]}"#;

fn order() -> Value {
    let line = |sku: &str, qty: i32| {
        Value::Record(vec![
            ("sku".into(), Value::String(sku.into())),
            ("qty".into(), Value::Int(qty)),
        ])
    };
    Value::Record(vec![
        ("id".into(), Value::Long(-7)),
        (
            "note".into(),
            Value::Union(1, Box::new(Value::String("a \"b\"".into()))),
        ),
        (
            "lines".into(),
            Value::Array(vec![line("x", 1), line("y", 2)]),
        ),
        (
            "tags".into(),
            Value::Map(
                [
                    ("z".to_owned(), Value::Boolean(true)),
                    ("a".to_owned(), Value::Boolean(false)),
                ]
                .into_iter()
                .collect(),
            ),
        ),
        ("status".into(), Value::Enum(1, "PAID".into())),
        (
            "price".into(),
            Value::Decimal(Decimal::from(1234_i64.to_be_bytes())),
        ),
        (
            "small".into(),
            Value::Decimal(Decimal::from((-5_i16).to_be_bytes())),
        ),
        ("day".into(), Value::Date(19_723)),
        ("at".into(), Value::TimestampMillis(1_700_000_000_123)),
        (
            "at_us".into(),
            Value::TimestampMicros(1_700_000_000_123_999),
        ),
        ("raw".into(), Value::Bytes(vec![0, 255, 16])),
        ("ratio".into(), Value::Double(f64::NAN)),
        ("first".into(), Value::Union(1, Box::new(line("x", 1)))),
        (
            "id2".into(),
            Value::Uuid("67e55044-10b1-426f-9247-bb680e5fe0c8".parse().unwrap()),
        ),
    ])
}

#[test]
fn renders_every_type_as_documented() {
    let schema = AvroSchema::parse(SCHEMA).unwrap();
    let bytes = to_avro_datum(&Schema::parse_str(SCHEMA).unwrap(), order()).unwrap();
    let json = schema.to_json(&bytes).unwrap().as_str().to_owned();
    assert_eq!(
        json,
        concat!(
            r#"{"id":-7,"note":"a \"b\"","lines":[{"sku":"x","qty":1},{"sku":"y","qty":2}],"#,
            r#""tags":{"a":false,"z":true},"status":"PAID","price":"12.34","small":"-0.005","#,
            r#""day":"2024-01-01","at":1700000000123,"at_us":1700000000123,"raw":"AP8Q","#,
            r#""ratio":"NaN","first":{"sku":"x","qty":1},"#,
            r#""id2":"67e55044-10b1-426f-9247-bb680e5fe0c8"}"#
        )
    );
    // Valid JSON, in field order.
    let parsed: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(parsed["lines"][1]["qty"], 2);
}

#[test]
fn null_union_branch_and_scalars() {
    let text = r#"["null", "int", "float"]"#;
    let schema = AvroSchema::parse(text).unwrap();
    let writer = Schema::parse_str(text).unwrap();
    let render = |v: Value| {
        schema
            .to_json(&to_avro_datum(&writer, v).unwrap())
            .unwrap()
            .as_str()
            .to_owned()
    };
    assert_eq!(render(Value::Union(0, Box::new(Value::Null))), "null");
    assert_eq!(render(Value::Union(1, Box::new(Value::Int(3)))), "3");
    assert_eq!(render(Value::Union(2, Box::new(Value::Float(1.5)))), "1.5");
    assert_eq!(
        render(Value::Union(2, Box::new(Value::Float(f32::NEG_INFINITY)))),
        r#""-Infinity""#
    );
}

#[test]
fn bad_bytes_are_errors_not_panics() {
    let schema = AvroSchema::parse(SCHEMA).unwrap();
    let bytes = to_avro_datum(&Schema::parse_str(SCHEMA).unwrap(), order()).unwrap();
    // The datum ends inside its last string (the 36-character uuid).
    assert_eq!(
        schema.to_json(&bytes[..bytes.len() - 3]),
        Err(AvroError::Length {
            kind: "string",
            len: 36,
            left: 33
        })
    );
    assert_eq!(
        schema.to_json(&bytes[..bytes.len() - 37]),
        Err(AvroError::Datum),
        "ends inside a fixed-width value"
    );
    let mut longer = bytes;
    longer.extend_from_slice(&[1, 2]);
    assert_eq!(schema.to_json(&longer), Err(AvroError::Trailing(2)));
    assert_eq!(schema.to_json(&[]), Err(AvroError::Datum));
    assert!(matches!(AvroSchema::parse("{"), Err(AvroError::Schema(_))));
    assert!(matches!(
        AvroSchema::parse(r#"{"type":"record","name":"A","fields":[{"name":"b","type":"Nope"}]}"#),
        Err(AvroError::Schema(_))
    ));
}

#[test]
fn decimals_and_dates_at_the_edges() {
    let cases = [
        (0, 2, "0.00"),
        (5, 2, "0.05"),
        (-5, 2, "-0.05"),
        (100, 2, "1.00"),
        (7, 0, "7"),
    ];
    for (unscaled, scale, expected) in cases {
        let mut out = String::new();
        write_decimal(&mut out, &BigInt::from(unscaled), scale);
        assert_eq!(out, format!("\"{expected}\""));
    }
    assert_eq!(iso_date(0), "1970-01-01");
    assert_eq!(iso_date(-1), "1969-12-31");
    assert_eq!(iso_date(19_723), "2024-01-01");
}

#[test]
fn nesting_beyond_eventbridge_depth_is_an_error() {
    let text =
        r#"{"type":"record","name":"Node","fields":[{"name":"next","type":["null","Node"]}]}"#;
    let schema = AvroSchema::parse(text).unwrap();
    // `levels` nested records: union index 1 (zigzag 2) per level, then null (index 0).
    let nested = |levels: usize| {
        let mut datum = vec![2_u8; levels - 1];
        datum.push(0);
        datum
    };
    assert!(schema.to_json(&nested(MAX_JSON_DEPTH)).is_ok());
    assert_eq!(
        schema.to_json(&nested(MAX_JSON_DEPTH + 1)),
        Err(AvroError::TooDeep)
    );
}

#[test]
fn long_datums_of_recursive_schemas_cannot_overflow_the_stack() {
    let text =
        r#"{"type":"record","name":"Node","fields":[{"name":"next","type":["null","Node"]}]}"#;
    let schema = AvroSchema::parse(text).unwrap();
    // 4,000 levels of union index 1 (zigzag 2), then null: a valid datum, decoded on the deep
    // thread and refused by the renderer.
    let mut deep = vec![2_u8; 4_000];
    deep.push(0);
    assert_eq!(schema.to_json(&deep), Err(AvroError::TooDeep));
    let longer = vec![2_u8; MAX_RECURSIVE_BYTES + 1];
    assert_eq!(
        schema.to_json(&longer),
        Err(AvroError::TooLongRecursive(MAX_RECURSIVE_BYTES + 1))
    );
}

#[test]
fn short_recursive_datums_decode_inline() {
    let text =
        r#"{"type":"record","name":"Node","fields":[{"name":"next","type":["null","Node"]}]}"#;
    let schema = AvroSchema::parse(text).unwrap();
    let mut datum = vec![2_u8; INLINE_RECURSIVE_BYTES - 1];
    datum.push(0);
    let json = schema.to_json(&datum).unwrap();
    assert_eq!(
        json.as_str().matches("next").count(),
        INLINE_RECURSIVE_BYTES
    );
}

#[test]
fn only_self_containing_types_count_as_recursive() {
    let reuse = r#"{"type":"record","name":"A","fields":[
        {"name":"x","type":{"type":"record","name":"P","fields":[{"name":"n","type":"int"}]}},
        {"name":"y","type":"P"}]}"#;
    assert!(!AvroSchema::parse(reuse).unwrap().recursive);
    let through_array = r#"{"type":"record","name":"T","fields":[
        {"name":"kids","type":{"type":"array","items":"T"}}]}"#;
    assert!(AvroSchema::parse(through_array).unwrap().recursive);
    // A long datum of a schema that merely reuses a type is decoded inline, with no limit.
    let schema = AvroSchema::parse(reuse).unwrap();
    let datum = to_avro_datum(
        &Schema::parse_str(reuse).unwrap(),
        Value::Record(vec![
            ("x".into(), Value::Record(vec![("n".into(), Value::Int(1))])),
            ("y".into(), Value::Record(vec![("n".into(), Value::Int(2))])),
        ]),
    )
    .unwrap();
    assert_eq!(
        schema.to_json(&datum).unwrap().as_str(),
        r#"{"x":{"n":1},"y":{"n":2}}"#
    );
}

#[test]
fn strings_are_escaped_only_when_they_need_it() {
    for text in [
        "plain",
        "",
        "quote \" and \\ and \n and \u{1}",
        "é ✓ \u{7f}",
    ] {
        let mut out = String::new();
        write_string(&mut out, text);
        assert_eq!(out, serde_json::to_string(text).unwrap(), "{text:?}");
    }
}

/// A zigzag varint `long`, as the Avro writer writes it (the same varint as Protobuf's).
fn long(n: i64) -> Vec<u8> {
    let mut out = Vec::new();
    prost::encoding::encode_varint(((n << 1) ^ (n >> 63)) as u64, &mut out);
    out
}

#[test]
fn sizes_the_schema_chooses_are_checked_before_allocating() {
    // A fixed of 2^40 bytes: the library would allocate it before reading.
    let fixed = AvroSchema::parse(r#"{"type":"fixed","name":"F","size":1099511627776}"#).unwrap();
    assert_eq!(
        fixed.to_json(&[0; 8]),
        Err(AvroError::Length {
            kind: "fixed",
            len: 1 << 40,
            left: 8
        })
    );
    // A decimal whose schema scale is 2^40: as many zeros to render.
    let text = r#"{"type":"bytes","logicalType":"decimal","precision":1099511627776,"scale":1099511627776}"#;
    let decimal = AvroSchema::parse(text).unwrap();
    assert!(matches!(
        decimal.to_json(&[2, 1]),
        Err(AvroError::OverBudget {
            what: "bytes of JSON",
            ..
        })
    ));
    // An honest scale still renders.
    let honest =
        AvroSchema::parse(r#"{"type":"bytes","logicalType":"decimal","precision":40,"scale":38}"#)
            .unwrap();
    assert_eq!(
        honest.to_json(&[2, 1]).unwrap().as_str(),
        format!("\"0.{}1\"", "0".repeat(37))
    );
}

#[test]
fn sizes_the_datum_chooses_are_checked_before_allocating() {
    let big = AvroSchema::parse(r#"{"type":"bytes","logicalType":"big-decimal"}"#).unwrap();
    // The unscaled value 1, with a scale of ±2^40 chosen by the producer.
    for scale in [1_i64 << 40, -(1_i64 << 40)] {
        let mut inner = vec![2, 1];
        inner.extend(long(scale));
        let mut datum = long(inner.len() as i64);
        datum.extend(&inner);
        assert!(
            matches!(big.to_json(&datum), Err(AvroError::OverBudget { .. })),
            "{scale}"
        );
    }
    let mut honest = vec![2, 0x7b];
    honest.extend(long(2));
    let mut datum = long(honest.len() as i64);
    datum.extend(&honest);
    assert_eq!(big.to_json(&datum).unwrap().as_str(), r#""1.23""#);
    // A string that claims more bytes than the datum has.
    let string = AvroSchema::parse(r#""string""#).unwrap();
    let mut claim = long(1 << 30);
    claim.push(b'a');
    assert!(matches!(
        string.to_json(&claim),
        Err(AvroError::Length { kind: "string", .. })
    ));
}

#[test]
fn items_that_take_no_bytes_spend_the_budget() {
    // Arrays of arrays of null: each block count says 2^62 items of zero bytes.
    let schema = AvroSchema::parse(
        r#"{"type":"array","items":{"type":"array","items":{"type":"array","items":"null"}}}"#,
    )
    .unwrap();
    let mut datum = Vec::new();
    for _ in 0..3 {
        datum.extend(long(1 << 62));
    }
    datum.extend([0, 0, 0]);
    let refused = schema.to_json(&datum);
    assert!(
        matches!(refused, Err(AvroError::OverBudget { len, .. }) if len == datum.len()),
        "{refused:?}"
    );
    // A thousand nulls are fine.
    let mut honest = long(1_000);
    honest.push(0);
    let nulls = AvroSchema::parse(r#"{"type":"array","items":"null"}"#).unwrap();
    assert_eq!(
        nulls
            .to_json(&honest)
            .unwrap()
            .as_str()
            .matches("null")
            .count(),
        1_000
    );
}

/// The schema fixtures the integration tests share (`tests/support/schemas.rs`).
#[allow(
    unreachable_pub,
    reason = "the file is also a module of the integration tests' support"
)]
mod fixtures {
    include!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/support/schemas.rs"
    ));
}
use fixtures::shared_types;

#[test]
fn schemas_whose_paths_multiply_are_refused_when_parsed() {
    let refused = AvroSchema::parse(&shared_types(61, 2));
    assert!(
        matches!(&refused, Err(AvroError::Schema(why)) if why.contains("expands to more than")),
        "{refused:?}"
    );
    let small = AvroSchema::parse(&shared_types(8, 2)).unwrap();
    assert!(!small.recursive);
    // Union branch 7 is T0: 2^7 leaves of two nulls each.
    let json = small.to_json(&[14]).unwrap();
    assert_eq!(json.as_str().matches("null").count(), 1 << 8);
}

#[test]
fn confluent_reads_a_bytes_schema_raw() {
    // Confluent's serializers write the value of a top-level `bytes` schema with no length
    // prefix; these three bytes are the whole value, as their deserializers read it.
    let raw = [0x00, 0xff, 0x10];
    for text in [r#""bytes""#, r#"{"type": "bytes"}"#] {
        let schema = AvroSchema::parse(text).unwrap();
        assert_eq!(
            schema.confluent_to_json(&raw).unwrap().as_str(),
            r#""AP8Q""#
        );
        assert_eq!(schema.confluent_to_json(&[]).unwrap().as_str(), r#""""#);
        // A plain Avro datum of the same schema has its length first.
        assert_eq!(
            schema.to_json(&[6, 0x00, 0xff, 0x10]).unwrap().as_str(),
            r#""AP8Q""#
        );
    }
    // A decimal on bytes is a bytes schema too: its raw value is the unscaled number.
    let decimal = AvroSchema::parse(
        r#"{"type": "bytes", "logicalType": "decimal", "precision": 9, "scale": 2}"#,
    )
    .unwrap();
    assert_eq!(
        decimal
            .confluent_to_json(&1234_i32.to_be_bytes())
            .unwrap()
            .as_str(),
        r#""12.34""#
    );
    // Every other schema reads a datum, as before.
    let string = AvroSchema::parse(r#""string""#).unwrap();
    assert_eq!(
        string.confluent_to_json(&[4, b'h', b'i']).unwrap().as_str(),
        r#""hi""#
    );
    assert!(string.confluent_to_json(&[4, b'h', b'i', 0]).is_err());
    let fixed = AvroSchema::parse(r#"{"type": "fixed", "name": "F", "size": 2}"#).unwrap();
    assert_eq!(
        fixed.confluent_to_json(&[1, 2]).unwrap().as_str(),
        r#""AQI=""#
    );
}
