use prost::Message as _;
use prost_reflect::DynamicMessage;

use super::*;

const SCHEMA: &str = r#"
syntax = "proto3";
package shop;
import "google/protobuf/timestamp.proto";
import "google/protobuf/wrappers.proto";

message Order {
  message Line { string sku = 1; int32 qty = 2; }
  enum Status { NEW = 0; PAID = 1; }
  int64 id = 1;
  repeated Line lines = 2;
  Status status = 3;
  google.protobuf.Timestamp at = 4;
  oneof payment { string card = 5; string iban = 6; }
  bytes signature = 7;
  google.protobuf.StringValue note = 8;
  map<string, int32> counts = 9;
}

message Refund { int64 order_id = 1; }
"#;

/// The message of `schema` at `indexes`, built and encoded with prost-reflect (the
/// producer's library), from its proto3 JSON.
fn encode(schema: &ProtoSchema, indexes: &[usize], json: &str) -> Vec<u8> {
    let descriptor = schema.message(indexes).unwrap();
    let mut deserializer = serde_json::Deserializer::from_str(json);
    let message = DynamicMessage::deserialize(descriptor, &mut deserializer).unwrap();
    message.encode_to_vec()
}

#[test]
fn messages_render_in_the_canonical_json_mapping() {
    let schema = ProtoSchema::parse(SCHEMA).unwrap();
    let json = r#"{"id":"42","lines":[{"sku":"a","qty":2},{"sku":"b"}],"status":"PAID",
        "at":"2024-01-01T00:00:00.500Z","iban":"DE00","signature":"AQL/","note":"gift",
        "counts":{"x":1}}"#;
    let data = encode(&schema, &[0], json);
    let out = schema.to_json(&[0], &data).unwrap();
    let parsed: serde_json::Value = serde_json::from_str(out.as_str()).unwrap();
    assert_eq!(
        parsed,
        serde_json::json!({"id": "42", "lines": [{"sku": "a", "qty": 2}, {"sku": "b"}],
            "status": "PAID", "at": "2024-01-01T00:00:00.500Z", "iban": "DE00",
            "signature": "AQL/", "note": "gift", "counts": {"x": 1}})
    );
    // A second top-level message, and a nested one, by index.
    let refund = encode(&schema, &[1], r#"{"orderId":"7"}"#);
    assert_eq!(
        schema.to_json(&[1], &refund).unwrap().as_str(),
        r#"{"orderId":"7"}"#
    );
    let line = encode(&schema, &[0, 0], r#"{"sku":"z","qty":1}"#);
    assert_eq!(
        schema.to_json(&[0, 0], &line).unwrap().as_str(),
        r#"{"sku":"z","qty":1}"#
    );
}

#[test]
fn errors_never_panic() {
    let schema = ProtoSchema::parse(SCHEMA).unwrap();
    assert_eq!(
        schema.to_json(&[5], &[]),
        Err(ProtoError::NoMessage(vec![5]))
    );
    assert_eq!(
        schema.to_json(&[0, 9], &[]),
        Err(ProtoError::NoMessage(vec![0, 9]))
    );
    assert_eq!(
        schema.to_json(&[0], &[0xff, 0xff]),
        Err(ProtoError::Message("shop.Order".into()))
    );
    assert!(matches!(
        ProtoSchema::parse("message {"),
        Err(ProtoError::Schema(_))
    ));
    assert!(matches!(
        ProtoSchema::parse("syntax = \"proto3\"; import \"other.proto\"; message A {}"),
        Err(ProtoError::Schema(_))
    ));
}

#[test]
fn confluent_message_indexes() {
    // [0] as the single byte 0; [1] as count 1 (zigzag 2), index 1 (zigzag 2); [0, 3].
    assert_eq!(confluent_indexes(&[0, 9]).unwrap(), (vec![0], &[9][..]));
    assert_eq!(confluent_indexes(&[2, 2, 9]).unwrap(), (vec![1], &[9][..]));
    assert_eq!(
        confluent_indexes(&[4, 0, 6]).unwrap(),
        (vec![0, 3], &[][..])
    );
    assert_eq!(confluent_indexes(&[]), Err(ProtoError::Indexes));
    assert_eq!(
        confluent_indexes(&[1]),
        Err(ProtoError::Indexes),
        "negative"
    );
    assert_eq!(
        confluent_indexes(&[200, 1]),
        Err(ProtoError::Indexes),
        "count beyond the bytes"
    );
}

/// AWS Glue's serializer writes one unsigned varint: the message's place among all the file's
/// messages, nested ones (map entries too) included, sorted by full name.
#[test]
fn glue_message_index() {
    let schema = ProtoSchema::parse(SCHEMA).unwrap();
    let names: Vec<&str> = schema.glue_order.iter().map(|m| m.full_name()).collect();
    assert_eq!(
        names,
        [
            "shop.Order",
            "shop.Order.CountsEntry",
            "shop.Order.Line",
            "shop.Refund"
        ]
    );
    let refund = encode(&schema, &[1], r#"{"orderId":"7"}"#);
    let mut framed = vec![3];
    framed.extend_from_slice(&refund);
    let (index, data) = glue_index(&framed).unwrap();
    assert_eq!(
        schema.glue_to_json(index, data).unwrap().as_str(),
        r#"{"orderId":"7"}"#
    );
    let line = encode(&schema, &[0, 0], r#"{"sku":"a","qty":2}"#);
    let mut framed = vec![2];
    framed.extend_from_slice(&line);
    let (index, data) = glue_index(&framed).unwrap();
    assert_eq!(
        schema.glue_to_json(index, data).unwrap().as_str(),
        r#"{"sku":"a","qty":2}"#
    );
    // An index past the last message, a varint beyond 32 bits, and a truncated one.
    assert_eq!(
        schema.glue_to_json(4, &[]).unwrap_err(),
        ProtoError::NoGlueMessage(4)
    );
    assert_eq!(
        glue_index(&[0xff, 0xff, 0xff, 0xff, 0x7f]).unwrap_err(),
        ProtoError::Indexes
    );
    assert_eq!(glue_index(&[0x80]).unwrap_err(), ProtoError::Indexes);
    assert_eq!(glue_index(&[0x96, 0x01]).unwrap(), (150, &[][..]));
}

/// `levels` messages nested in field 1 (`message Node { Node next = 1; }`), innermost empty.
fn nested(levels: usize) -> Vec<u8> {
    let mut data = Vec::new();
    for _ in 0..levels {
        let mut outer = vec![0x0a];
        prost::encoding::encode_varint(data.len() as u64, &mut outer);
        outer.extend(data);
        data = outer;
    }
    data
}

#[test]
fn nesting_is_bounded_like_json() {
    let schema =
        ProtoSchema::parse("syntax = \"proto3\"; message Node { Node next = 1; }").unwrap();
    let ok = schema.to_json(&[0], &nested(50)).unwrap();
    assert_eq!(ok.as_str().matches("next").count(), 50);
    for levels in [MAX_PROTOBUF_DEPTH + 1, 5_000, 100_000] {
        let refused = schema.to_json(&[0], &nested(levels));
        assert!(
            matches!(refused, Err(ProtoError::TooDeep)),
            "{levels}: {refused:?}"
        );
    }
}
