//! Registry-encoded values end to end: records encoded by the real Avro and Protobuf libraries
//! (producer side, Confluent framing or the event source mapping's `SOURCE` format with schema
//! metadata), a Confluent Schema Registry stand-in over HTTP, the real EventBridge SDK client
//! against moto, and the real binary through cargo-lambda.

use crate::support;

use std::time::Duration;

use apache_avro::types::Value as Avro;
use apache_avro::writer::datum::GenericDatumWriter;
use apache_avro::{Decimal, Schema};
use aws_sdk_glue::types::DataFormat;
use kafka_eventbridge_lambda::{AwsBus, Invocation, KafkaEvent, Pipeline};
use serde_json::{Value, json};
use support::aws::sdk_config;
use support::config::config;
use support::events::{b64, event_json};
use support::registry::Registry;
use support::{Data, Function, Moto, details_by_offset, failures};
use tokio::time::Instant;

const ORDER: &str = r#"{
  "type": "record", "name": "Order", "namespace": "shop",
  "fields": [
    {"name": "id", "type": "long"},
    {"name": "customer", "type": {"type": "record", "name": "Customer", "fields": [
        {"name": "name", "type": "string"},
        {"name": "vip", "type": "boolean"}]}},
    {"name": "lines", "type": {"type": "array", "items": "string"}},
    {"name": "attributes", "type": {"type": "map", "values": "int"}},
    {"name": "note", "type": ["null", "string"], "default": null},
    {"name": "status", "type": {"type": "enum", "name": "Status", "symbols": ["NEW", "PAID"]}},
    {"name": "total", "type": {"type": "bytes", "logicalType": "decimal", "precision": 9, "scale": 2}},
    {"name": "day", "type": {"type": "int", "logicalType": "date"}},
    {"name": "at", "type": {"type": "long", "logicalType": "timestamp-micros"}},
    {"name": "signature", "type": "bytes"}
  ]}"#;

const ORDER_ID: u32 = 7;

/// The order with id `id`, as the producer writes it.
fn order(id: i64, note: Option<&str>) -> Avro {
    Avro::Record(vec![
        ("id".into(), Avro::Long(id)),
        (
            "customer".into(),
            Avro::Record(vec![
                ("name".into(), Avro::String("Ada".into())),
                ("vip".into(), Avro::Boolean(true)),
            ]),
        ),
        (
            "lines".into(),
            Avro::Array(vec![Avro::String("a".into()), Avro::String("b".into())]),
        ),
        (
            "attributes".into(),
            Avro::Map([("size".to_owned(), Avro::Int(3))].into_iter().collect()),
        ),
        (
            "note".into(),
            match note {
                Some(n) => Avro::Union(1, Box::new(Avro::String(n.into()))),
                None => Avro::Union(0, Box::new(Avro::Null)),
            },
        ),
        ("status".into(), Avro::Enum(1, "PAID".into())),
        (
            "total".into(),
            Avro::Decimal(Decimal::from(1234_i32.to_be_bytes())),
        ),
        ("day".into(), Avro::Date(19_723)),
        ("at".into(), Avro::TimestampMicros(1_700_000_000_123_456)),
        ("signature".into(), Avro::Bytes(vec![1, 2, 255])),
    ])
}

/// The JSON the order with id `id` becomes in the event detail.
fn order_json(id: i64, note: Option<&str>) -> Value {
    json!({"id": id, "customer": {"name": "Ada", "vip": true}, "lines": ["a", "b"],
           "attributes": {"size": 3}, "note": note, "status": "PAID", "total": "12.34",
           "day": "2024-01-01", "at": 1_700_000_000_123_i64, "signature": "AQL/"})
}

/// The Avro datum of the order, without framing.
fn datum(id: i64, note: Option<&str>) -> Vec<u8> {
    to_avro_datum(&Schema::parse_str(ORDER).unwrap(), order(id, note)).unwrap()
}

/// Confluent framing: magic byte 0, the schema id (4 bytes, big-endian), the datum.
fn framed(schema_id: u32, datum: &[u8]) -> Vec<u8> {
    let mut bytes = vec![0];
    bytes.extend_from_slice(&schema_id.to_be_bytes());
    bytes.extend_from_slice(datum);
    bytes
}

/// A record on `orders`, partition 0, with a string key and the given value bytes and
/// `valueSchemaMetadata`.
fn record(offset: i64, value: &[u8], metadata: Option<Value>) -> Value {
    let mut r = json!({"topic": "orders", "partition": 0, "offset": offset, "timestamp": 1,
                       "timestampType": "CREATE_TIME", "key": b64("k"), "value": b64(value),
                       "headers": []});
    if let Some(m) = metadata {
        r["valueSchemaMetadata"] = m;
    }
    r
}

fn event(records: Vec<Value>) -> KafkaEvent {
    serde_json::from_value(event_json(records)).unwrap()
}

async fn pipeline(
    moto: &Moto,
    bus_arn: &str,
    registry: &Registry,
    extra: &[(&str, &str)],
) -> Pipeline<kafka_eventbridge_lambda::AwsBus> {
    let mut vars = vec![
        ("AWS_EVENTBRIDGE_CONNECTOR_ID", "avro"),
        ("AWS_EVENTBRIDGE_EVENTBUS_ARN", bus_arn),
        ("AWS_EVENTBRIDGE_ENDPOINT_URI", moto.endpoint.as_str()),
        ("AWS_EVENTBRIDGE_SCHEMA_REGISTRY_URL", registry.url.as_str()),
        ("AWS_EVENTBRIDGE_RETRIES_DELAY", "10"),
    ];
    vars.extend_from_slice(extra);
    let config = config(&vars);
    Pipeline::builder(&config).aws(&sdk_config(None)).build()
}

async fn run(
    pipeline: &Pipeline<kafka_eventbridge_lambda::AwsBus>,
    records: Vec<Value>,
) -> Invocation {
    pipeline
        .run(
            event(records),
            Instant::now() + Duration::from_secs(30),
            None,
        )
        .await
        .unwrap()
}

fn reasons(done: &Invocation) -> Vec<(i64, String)> {
    done.failures
        .iter()
        .map(|(i, f)| (done.records[*i].id.offset, f.reason()))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn confluent_framed_values_become_json_and_the_schema_is_fetched_once() {
    let (moto, registry) = (Moto::start(), Registry::start().await);
    registry.register(ORDER_ID, ORDER);
    let records = |range: std::ops::Range<i64>| {
        range
            .map(|i| {
                let note = (i % 2 == 0).then_some("gift");
                record(i, &framed(ORDER_ID, &datum(i, note)), None)
            })
            .collect()
    };
    // A batch of 1,000 records of one schema id: one registry request (to a bus without
    // rules: moto forwards events to a queue slowly).
    moto.eventbridge()
        .create_event_bus()
        .name("avro-bulk")
        .send()
        .await
        .unwrap();
    let bulk = format!(
        "arn:aws:events:{}:{}:event-bus/avro-bulk",
        support::REGION,
        support::ACCOUNT
    );
    let avro = [("AWS_EVENTBRIDGE_VALUE_FORMAT", "avro")];
    let environment = pipeline(&moto, &bulk, &registry, &avro).await;
    let done = run(&environment, records(0..1000)).await;
    assert_eq!(done.tally.delivered, 1000);
    assert_eq!(registry.requests(ORDER_ID), 1, "one fetch for the batch");
    let done = run(&environment, records(1000..1010)).await;
    assert_eq!(done.tally.delivered, 10);
    assert_eq!(
        registry.requests(ORDER_ID),
        1,
        "one fetch per id per environment"
    );
    // The events as delivered, from another environment (its own first fetch).
    let framed_bus = moto.bus_to_queue("avro-framed").await;
    let done = run(
        &pipeline(&moto, &framed_bus.bus_arn, &registry, &avro).await,
        records(0..20),
    )
    .await;
    assert_eq!(done.tally.delivered, 20);
    assert_eq!(registry.requests(ORDER_ID), 2);
    let details = details_by_offset(&framed_bus.events(20).await);
    assert_eq!(details.len(), 20);
    for (i, detail) in (0_i64..).zip(&details) {
        let note = (i % 2 == 0).then_some("gift");
        assert_eq!(detail["value"], order_json(i, note), "offset {i}");
        assert_eq!(detail["key"], "k");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn esm_source_records_decode_by_the_metadata_schema_id() {
    let (moto, registry, bus) = with_order_schema("avro-source").await;
    let metadata = json!({"dataFormat": "AVRO", "schemaId": ORDER_ID.to_string()});
    // SOURCE: the producer's bytes without the registry header; JSON: the mapping's JSON text.
    let records = vec![
        record(0, &datum(0, None), Some(metadata.clone())),
        record(
            1,
            order_json(1, None).to_string().as_bytes(),
            Some(metadata.clone()),
        ),
        record(2, &datum(2, Some("x")), Some(metadata.clone())),
    ];
    // Default: auto (JSON when the bytes are JSON, else by the metadata).
    let pipeline_auto = pipeline(&moto, &bus.bus_arn, &registry, &[]).await;
    let done = run(&pipeline_auto, records.clone()).await;
    assert_eq!(
        (done.tally.delivered, done.tally.failed),
        (3, 0),
        "{:?}",
        reasons(&done)
    );
    let details = details_by_offset(&bus.events(3).await);
    assert_eq!(details[0]["value"], order_json(0, None));
    assert_eq!(details[1]["value"], order_json(1, None));
    assert_eq!(details[2]["value"], order_json(2, Some("x")));
    assert_eq!(registry.requests(ORDER_ID), 1);
    // `json`: the mapping delivers JSON; Avro bytes then fail as invalid JSON, and no schema
    // is fetched.
    let other = Registry::start().await;
    let pipeline_json = pipeline(
        &moto,
        &bus.bus_arn,
        &other,
        &[("AWS_EVENTBRIDGE_ESM_RECORD_FORMAT", "json")],
    )
    .await;
    let done = run(&pipeline_json, records).await;
    assert_eq!(done.tally.delivered, 1);
    assert_eq!(done.failures.len(), 2);
    assert_eq!(other.requests(ORDER_ID), 0);
    bus.events(1).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_records_fail_alone_with_a_clear_reason() {
    let (moto, registry, bus) = with_order_schema("avro-bad").await;
    registry.register(
        8,
        r#"{"type": "record", "name": "Broken", "fields": [{"name": "a", "type": "Nope"}]}"#,
    );
    let pipeline = pipeline(
        &moto,
        &bus.bus_arn,
        &registry,
        &[("AWS_EVENTBRIDGE_VALUE_FORMAT", "avro")],
    )
    .await;
    let good = framed(ORDER_ID, &datum(1, None));
    let mut truncated = good.clone();
    truncated.truncate(good.len() - 4);
    let records = vec![
        record(0, &good, None),
        record(1, &framed(99, &datum(1, None)), None),
        record(2, b"{\"not\":\"avro\"}", None),
        record(3, &[0, 0, 0], None),
        record(4, &truncated, None),
        record(5, &framed(8, &datum(1, None)), None),
        record(6, &good, None),
    ];
    let done = run(&pipeline, records).await;
    assert_eq!(done.tally.delivered, 2);
    let reasons = reasons(&done);
    let reason = |offset: i64| {
        reasons
            .iter()
            .find(|(o, _)| *o == offset)
            .map(|(_, r)| r.clone())
            .unwrap()
    };
    support::assert_contains(
        &reason(1),
        "names Confluent schema id 99, which is not available",
    );
    support::assert_contains(&reason(1), "HTTP 404: Schema 99 not found");
    support::assert_contains(
        &reason(2),
        "value is not registry-framed: it starts with byte 0x7b",
    );
    support::assert_contains(&reason(3), "shorter than the 5-byte Confluent header");
    support::assert_contains(&reason(4), "is not a valid Avro datum");
    support::assert_contains(&reason(5), "is not a valid Avro schema");
    // 404 is final: one request, no retry.
    assert_eq!(registry.requests(99), 1);
    bus.events(2).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_registry_outage_fails_only_its_records_and_is_not_cached() {
    let (moto, registry, bus) = with_order_schema("avro-down").await;
    registry.set_down(true);
    let pipeline = pipeline(
        &moto,
        &bus.bus_arn,
        &registry,
        &[
            ("AWS_EVENTBRIDGE_VALUE_FORMAT", "auto"),
            ("AWS_EVENTBRIDGE_RETRIES_MAX", "2"),
        ],
    )
    .await;
    let metadata = json!({"dataFormat": "AVRO", "schemaId": "7"});
    let records = vec![
        record(0, br#"{"plain":"json"}"#, None),
        record(1, &datum(1, None), Some(metadata.clone())),
        record(2, &datum(2, None), Some(metadata.clone())),
    ];
    let done = run(&pipeline, records.clone()).await;
    assert_eq!(
        done.tally.delivered, 1,
        "the record that needs no schema goes on"
    );
    let reasons = reasons(&done);
    assert_eq!(reasons.len(), 2);
    support::assert_contains(&reasons[0].1, "HTTP 503");
    support::assert_contains(&reasons[0].1, "gave up after 3 attempts");
    assert_eq!(
        registry.requests(ORDER_ID),
        3,
        "retried up to AWS_EVENTBRIDGE_RETRIES_MAX"
    );
    // The redelivery after the outage succeeds: failures are not cached.
    registry.set_down(false);
    let done = run(&pipeline, records).await;
    assert_eq!(done.tally.delivered, 3);
    assert_eq!(registry.requests(ORDER_ID), 4);
    bus.events(4).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn basic_auth_is_sent() {
    let (moto, registry, bus) = with_order_schema("avro-auth").await;
    registry.require_auth("svc:s3cret");
    let records = vec![record(0, &framed(ORDER_ID, &datum(0, None)), None)];
    let wrong = pipeline(
        &moto,
        &bus.bus_arn,
        &registry,
        &[
            ("AWS_EVENTBRIDGE_VALUE_FORMAT", "avro"),
            ("AWS_EVENTBRIDGE_SCHEMA_REGISTRY_USER_INFO", "svc:nope"),
        ],
    )
    .await;
    let done = run(&wrong, records.clone()).await;
    assert!(
        reasons(&done)[0].1.contains("HTTP 401"),
        "{:?}",
        reasons(&done)
    );
    let right = pipeline(
        &moto,
        &bus.bus_arn,
        &registry,
        &[
            ("AWS_EVENTBRIDGE_VALUE_FORMAT", "avro"),
            ("AWS_EVENTBRIDGE_SCHEMA_REGISTRY_USER_INFO", "svc:s3cret"),
        ],
    )
    .await;
    assert_eq!(run(&right, records).await.tally.delivered, 1);
    bus.events(1).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_binary_decodes_avro_from_the_registry() {
    let registry = Registry::start().await;
    registry.register(ORDER_ID, ORDER);
    let (_moto, bus, function) = support::deploy(
        "avro-binary",
        &[
            ("AWS_EVENTBRIDGE_CONNECTOR_ID", "avro"),
            ("AWS_EVENTBRIDGE_VALUE_FORMAT", "avro"),
            ("AWS_EVENTBRIDGE_SCHEMA_REGISTRY_URL", &registry.url),
        ],
    )
    .await;
    let event = event_json(vec![
        record(0, &framed(ORDER_ID, &datum(0, Some("n"))), None),
        record(1, &framed(42, &datum(1, None)), None),
    ])
    .to_string();
    let response = tokio::task::block_in_place(|| function.invoke(Data::Ascii(&event))).unwrap();
    assert_eq!(failures(&response), vec![("orders-0".to_owned(), 1)]);
    let details = details_by_offset(&bus.events(1).await);
    assert_eq!(details[0]["value"], order_json(0, Some("n")));
    let log = function.log();
    assert!(
        log.contains("names Confluent schema id 42, which is not available"),
        "{log}"
    );
    assert!(
        log.contains("offset=1") || log.contains("\"offset\":1"),
        "{log}"
    );
}

/// The Avro datum of `value`, written by the Avro library as a producer writes it.
fn to_avro_datum(
    schema: &Schema,
    value: apache_avro::types::Value,
) -> Result<Vec<u8>, apache_avro::Error> {
    GenericDatumWriter::builder(schema)
        .build()?
        .write_value_to_vec(value)
}

#[tokio::test(flavor = "multi_thread")]
async fn the_registry_format_reads_avro_and_json_schema_by_the_schema_kind() {
    let (moto, registry, bus) = with_order_schema("avro-registry").await;
    registry.register_json_schema(9, r#"{"type": "object"}"#);
    let pipeline = pipeline(
        &moto,
        &bus.bus_arn,
        &registry,
        &[("AWS_EVENTBRIDGE_VALUE_FORMAT", "registry")],
    )
    .await;
    let records = vec![
        record(0, &framed(ORDER_ID, &datum(0, None)), None),
        record(1, &framed(9, br#"{"kind": "json-schema"}"#), None),
    ];
    let done = run(&pipeline, records).await;
    assert_eq!(done.tally.delivered, 2, "{:?}", reasons(&done));
    let details = details_by_offset(&bus.events(2).await);
    assert_eq!(details[0]["value"], order_json(0, None));
    assert_eq!(details[1]["value"], json!({"kind": "json-schema"}));
}

const PROTO: &str = r#"
syntax = "proto3";
package shop;
import "google/protobuf/timestamp.proto";

message Order {
  message Line { string sku = 1; int32 qty = 2; }
  int64 id = 1;
  repeated Line lines = 2;
  google.protobuf.Timestamp at = 3;
  oneof payment { string card = 4; string iban = 5; }
}

message Refund {
  message Reason { string code = 1; }
  int64 order_id = 1;
  Reason reason = 2;
}
"#;

/// The message at `indexes` of [`PROTO`], from its proto3 JSON, encoded by prost-reflect.
fn proto_message(indexes: &[usize], json: &str) -> Vec<u8> {
    use prost::Message as _;
    let mut compiler = protox::Compiler::with_file_resolver(ProtoText);
    compiler.open_file("test.proto").unwrap();
    let file = compiler
        .descriptor_pool()
        .get_file_by_name("test.proto")
        .unwrap();
    let mut message = file.messages().nth(indexes[0]).unwrap();
    for &i in &indexes[1..] {
        let child = message.child_messages().nth(i);
        message = child.unwrap();
    }
    let mut deserializer = serde_json::Deserializer::from_str(json);
    prost_reflect::DynamicMessage::deserialize(message, &mut deserializer)
        .unwrap()
        .encode_to_vec()
}

struct ProtoText;

impl protox::file::FileResolver for ProtoText {
    fn open_file(&self, name: &str) -> Result<protox::file::File, protox::Error> {
        match name {
            "test.proto" => protox::file::File::from_source(name, PROTO),
            other => protox::file::GoogleFileResolver::new().open_file(other),
        }
    }
}

/// Confluent's message indexes: a zigzag varint count, then the indexes; `[0]` is one 0 byte.
fn indexes(path: &[usize]) -> Vec<u8> {
    if path == [0] {
        return vec![0];
    }
    let mut out = Vec::new();
    for n in std::iter::once(path.len()).chain(path.iter().copied()) {
        prost::encoding::encode_varint((n as u64) << 1, &mut out);
    }
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn protobuf_values_become_canonical_json() {
    let (moto, registry) = (Moto::start(), Registry::start().await);
    let bus = moto.bus_to_queue("protobuf").await;
    registry.register_protobuf(11, PROTO);
    let order =
        r#"{"id":"5","lines":[{"sku":"a","qty":2}],"at":"2024-01-01T00:00:00Z","iban":"DE00"}"#;
    let refund = r#"{"orderId":"5","reason":{"code":"damaged"}}"#;
    let reason = r#"{"code":"late"}"#;
    let frame = |path: &[usize], json: &str| {
        let mut data = indexes(path);
        data.extend(proto_message(path, json));
        framed(11, &data)
    };
    let metadata = json!({"dataFormat": "PROTOBUF", "schemaId": "11"});
    let mut source = indexes(&[1]);
    source.extend(proto_message(&[1], refund));
    let records = vec![
        record(0, &frame(&[0], order), None),
        record(1, &frame(&[1], refund), None),
        record(2, &frame(&[1, 0], reason), None),
        // SOURCE: no registry header, the message indexes kept.
        record(3, &source, Some(metadata)),
        record(
            4,
            &framed(
                11,
                &[indexes(&[7]), proto_message(&[1, 0], reason)].concat(),
            ),
            None,
        ),
    ];
    let done = run_as(&moto, &bus, &registry, "protobuf", records).await;
    assert_eq!(done.tally.delivered, 4, "{:?}", reasons(&done));
    assert!(
        reasons(&done)[0].1.contains("names message [7] by index"),
        "{:?}",
        reasons(&done)
    );
    assert_eq!(registry.requests(11), 1);
    let details = details_by_offset(&bus.events(4).await);
    let values: Vec<&Value> = details.iter().map(|d| &d["value"]).collect();
    assert_eq!(
        values,
        [
            &json!({"id": "5", "lines": [{"sku": "a", "qty": 2}], "at": "2024-01-01T00:00:00Z", "iban": "DE00"}),
            &json!({"orderId": "5", "reason": {"code": "damaged"}}),
            &json!({"code": "late"}),
            &json!({"orderId": "5", "reason": {"code": "damaged"}}),
        ]
    );
}

/// `events/msk-avro-source.json`: an MSK event as a mapping with a Confluent schema registry
/// and `EventRecordFormat: SOURCE` delivers it (Avro without the registry header, and
/// `valueSchemaMetadata`), its values written by the Avro library with `events/schemas/1.avsc`.
/// `KEL_WRITE_SAMPLES=1` rewrites the file.
#[test]
fn the_avro_sample_event_is_what_the_avro_library_writes() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let schema_text = std::fs::read_to_string(root.join("events/schemas/1.avsc")).unwrap();
    let schema = Schema::parse_str(&schema_text).unwrap();
    let order = |i: i64, status: (u32, &str), email: Option<&str>| {
        Avro::Record(vec![
            ("orderId".into(), Avro::String(format!("order-{i:04}"))),
            (
                "customer".into(),
                Avro::Record(vec![
                    ("name".into(), Avro::String("Ada Lovelace".into())),
                    (
                        "email".into(),
                        match email {
                            Some(e) => Avro::Union(1, Box::new(Avro::String(e.into()))),
                            None => Avro::Union(0, Box::new(Avro::Null)),
                        },
                    ),
                ]),
            ),
            (
                "items".into(),
                Avro::Array(vec![Avro::Record(vec![
                    ("sku".into(), Avro::String("SKU-0042".into())),
                    ("qty".into(), Avro::Int(i32::try_from(i).unwrap() + 1)),
                ])]),
            ),
            ("status".into(), Avro::Enum(status.0, status.1.into())),
            (
                "total".into(),
                Avro::Decimal(Decimal::from(
                    (1999_i32 * (i32::try_from(i).unwrap() + 1)).to_be_bytes(),
                )),
            ),
            (
                "createdAt".into(),
                Avro::TimestampMillis(1_764_240_000_000 + i),
            ),
        ])
    };
    let orders = [
        order(0, (0, "NEW"), Some("ada@example.com")),
        order(1, (1, "PAID"), None),
        order(2, (2, "SHIPPED"), Some("ada@example.com")),
    ];
    let records: Vec<Value> = orders
        .into_iter()
        .zip(0_i64..)
        .map(|(value, offset)| {
            let key = format!("order-{offset:04}");
            let value = to_avro_datum(&schema, value).unwrap();
            sample_record("orders", 100 + offset, &key, &value, "AVRO", 1)
        })
        .collect();
    check_sample("events/msk-avro-source.json", "orders-0", records);
}

/// A record of a registry sample: offset, key, value bytes and `valueSchemaMetadata`.
fn sample_record(
    topic: &str,
    offset: i64,
    key: &str,
    value: &[u8],
    format: &str,
    schema_id: u32,
) -> Value {
    json!({"topic": topic, "partition": 0, "offset": offset,
           "timestamp": 1_764_240_000_000_i64 + offset % 100, "timestampType": "CREATE_TIME",
           "key": b64(key), "value": b64(value), "headers": [],
           "valueSchemaMetadata": {"dataFormat": format, "schemaId": schema_id.to_string()}})
}

/// Checks that the sample `file` is the MSK event of `records` (on the records key `key`), or
/// writes it with `KEL_WRITE_SAMPLES=1`.
fn check_sample(file: &str, key: &str, records: Vec<Value>) {
    let event = json!({
        "eventSource": "aws:kafka",
        "eventSourceArn": "arn:aws:kafka:us-east-1:123456789012:cluster/demo/abcd1234-ab12-cd34-ef56-abcdef123456-1",
        "bootstrapServers": "b-1.demo.abcd12.c1.kafka.us-east-1.amazonaws.com:9098",
        "records": {key: records}
    });
    let text = serde_json::to_string_pretty(&event).unwrap() + "\n";
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(file);
    if std::env::var_os("KEL_WRITE_SAMPLES").is_some() {
        std::fs::write(&path, &text).unwrap();
    }
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        text,
        "rewrite with KEL_WRITE_SAMPLES=1"
    );
}

/// `events/msk-protobuf-source.json`: the same for Protobuf, as a mapping with a Confluent
/// schema registry and `EventRecordFormat: SOURCE` delivers it (the message indexes, here `[0]`
/// as one zero byte, then the message), its values written by prost-reflect with
/// `events/schemas/2.proto`. `KEL_WRITE_SAMPLES=1` rewrites the file.
#[test]
fn the_protobuf_sample_event_is_what_prost_reflect_writes() {
    use prost::Message as _;
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let schema_text = std::fs::read_to_string(root.join("events/schemas/2.proto")).unwrap();
    struct Sample(String);
    impl protox::file::FileResolver for Sample {
        fn open_file(&self, name: &str) -> Result<protox::file::File, protox::Error> {
            match name {
                "2.proto" => protox::file::File::from_source(name, &self.0),
                other => protox::file::GoogleFileResolver::new().open_file(other),
            }
        }
    }
    let mut compiler = protox::Compiler::with_file_resolver(Sample(schema_text));
    compiler.open_file("2.proto").unwrap();
    let payment = compiler
        .descriptor_pool()
        .get_message_by_name("shop.Payment")
        .unwrap();
    let payments = [
        r#"{"paymentId": "pay-0100", "orderId": "order-0000", "amountCents": "1999", "currency": "EUR",
            "method": "CARD", "paidAt": "2025-11-27T10:40:00.250Z", "labels": {"channel": "web"}}"#,
        r#"{"paymentId": "pay-0101", "orderId": "order-0001", "amountCents": "3998", "currency": "EUR",
            "method": "WALLET", "paidAt": "2025-11-27T10:41:00Z"}"#,
        r#"{"paymentId": "pay-0102", "orderId": "order-0002", "amountCents": "5997", "currency": "USD",
            "method": "TRANSFER", "paidAt": "2025-11-27T10:42:30Z", "labels": {"channel": "store"}}"#,
    ];
    let records: Vec<Value> = payments
        .into_iter()
        .zip(0_i64..)
        .map(|(json, offset)| {
            let mut deserializer = serde_json::Deserializer::from_str(json);
            let message =
                prost_reflect::DynamicMessage::deserialize(payment.clone(), &mut deserializer)
                    .unwrap();
            // Confluent's message indexes for the first message: [0], written as one 0 byte.
            let mut value = vec![0];
            value.extend(message.encode_to_vec());
            let key = format!("pay-{:04}", 100 + offset);
            sample_record("payments", 200 + offset, &key, &value, "PROTOBUF", 2)
        })
        .collect();
    check_sample("events/msk-protobuf-source.json", "payments-0", records);
}

/// The registry samples decode with their schemas (`events/schemas/<id>.avsc` or `.proto`,
/// served by the registry stand-in as `make demo REGISTRY=1` serves them).
#[tokio::test(flavor = "multi_thread")]
async fn the_registry_sample_events_decode_with_their_schemas() {
    let (moto, registry) = (Moto::start(), Registry::start().await);
    let bus = moto.bus_to_queue("registry-samples").await;
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let schema =
        |name: &str| std::fs::read_to_string(root.join("events/schemas").join(name)).unwrap();
    registry.register(1, &schema("1.avsc"));
    registry.register_protobuf(2, &schema("2.proto"));
    let pipeline = pipeline(&moto, &bus.bus_arn, &registry, &[]).await;
    for sample in ["msk-avro-source.json", "msk-protobuf-source.json"] {
        let event: KafkaEvent = serde_json::from_str(
            &std::fs::read_to_string(root.join("events").join(sample)).unwrap(),
        )
        .unwrap();
        let done = pipeline
            .run(event, Instant::now() + Duration::from_secs(30), None)
            .await
            .unwrap();
        assert_eq!(done.tally.delivered, 3, "{sample}: {:?}", reasons(&done));
    }
    let details = details_by_offset(&bus.events(6).await);
    let value = |offset: i64| {
        details
            .iter()
            .find(|d| d["offset"] == offset)
            .map(|d| d["value"].clone())
            .unwrap()
    };
    assert_eq!(
        value(101),
        json!({"orderId": "order-0001", "customer": {"name": "Ada Lovelace", "email": null},
               "items": [{"sku": "SKU-0042", "qty": 2}], "status": "PAID", "total": "39.98",
               "createdAt": 1_764_240_000_001_i64})
    );
    assert_eq!(
        value(200),
        json!({"paymentId": "pay-0100", "orderId": "order-0000", "amountCents": "1999",
               "currency": "EUR", "paidAt": "2025-11-27T10:40:00.250Z",
               "labels": {"channel": "web"}})
    );
}

/// A schema registered in moto's AWS Glue Schema Registry: the registry `kafka` (created on
/// first use) and the schema `name` of `format`; the id of its first version.
/// Runs `records` through a pipeline of value format `format` on `bus`, reading schemas from
/// `registry`.
async fn run_as(
    moto: &Moto,
    bus: &support::BusQueue,
    registry: &Registry,
    format: &str,
    records: Vec<Value>,
) -> Invocation {
    let vars = [("AWS_EVENTBRIDGE_VALUE_FORMAT", format)];
    let pipeline = pipeline(moto, &bus.bus_arn, registry, &vars).await;
    run(&pipeline, records).await
}

/// moto, a registry that holds the order schema under `ORDER_ID`, and a bus that delivers to
/// the queue `queue`.
async fn with_order_schema(queue: &str) -> (Moto, Registry, support::BusQueue) {
    let (moto, registry) = (Moto::start(), Registry::start().await);
    let bus = moto.bus_to_queue(queue).await;
    registry.register(ORDER_ID, ORDER);
    (moto, registry, bus)
}

/// moto, a bus that delivers to the queue `queue`, and the version of `definition`
/// registered in the AWS Glue Schema Registry as `name`.
async fn glue_setup(
    queue: &str,
    name: &str,
    format: DataFormat,
    definition: &str,
) -> (Moto, support::BusQueue, uuid::Uuid) {
    let moto = Moto::start();
    let bus = moto.bus_to_queue(queue).await;
    let version = moto.glue_schema("kafka", name, format, definition).await;
    (moto, bus, version)
}

/// AWS Glue's framing: header version 3, compression (0 none, 5 zlib), the schema version id,
/// the data (zlib-compressed with 5), as the Glue serializer writes it.
fn glue_framed(version: uuid::Uuid, data: &[u8], zlib: bool) -> Vec<u8> {
    let mut bytes = vec![3, if zlib { 5 } else { 0 }];
    bytes.extend_from_slice(version.as_bytes());
    if zlib {
        bytes.extend(miniz_oxide::deflate::compress_to_vec_zlib(data, 6));
    } else {
        bytes.extend_from_slice(data);
    }
    bytes
}

/// A pipeline with the function's AWS parts against moto (the Glue client too) and no
/// Confluent registry.
fn glue_pipeline(moto: &Moto, bus_arn: &str, extra: &[(&str, &str)]) -> Pipeline<AwsBus> {
    let mut vars = vec![
        ("AWS_EVENTBRIDGE_CONNECTOR_ID", "glue"),
        ("AWS_EVENTBRIDGE_EVENTBUS_ARN", bus_arn),
        ("AWS_EVENTBRIDGE_ENDPOINT_URI", moto.endpoint.as_str()),
        ("AWS_EVENTBRIDGE_RETRIES_DELAY", "10"),
    ];
    vars.extend_from_slice(extra);
    Pipeline::builder(&config(&vars))
        .aws(&sdk_config(Some(&moto.endpoint)))
        .build()
}

#[tokio::test(flavor = "multi_thread")]
async fn glue_framed_and_source_records_read_their_glue_schema_version() {
    let (moto, bus, version) = glue_setup("glue-avro", "orders", DataFormat::Avro, ORDER).await;
    let unknown = uuid::Uuid::from_u128(0x1234);
    let metadata = json!({"dataFormat": "AVRO", "schemaId": version.to_string()});
    let records = vec![
        record(0, &glue_framed(version, &datum(0, None), false), None),
        record(1, &glue_framed(version, &datum(1, Some("z")), true), None),
        // SOURCE from a mapping with a Glue registry: no header, the version in the metadata.
        record(2, &datum(2, None), Some(metadata)),
        record(3, &glue_framed(unknown, &datum(3, None), false), None),
    ];
    let pipeline = glue_pipeline(
        &moto,
        &bus.bus_arn,
        &[("AWS_EVENTBRIDGE_VALUE_FORMAT", "avro")],
    );
    let done = run(&pipeline, records).await;
    assert_eq!(done.tally.delivered, 3, "{:?}", reasons(&done));
    let reason = &reasons(&done)[0];
    assert_eq!(reason.0, 3);
    assert!(
        reason.1.contains(&format!(
            "names AWS Glue schema version {unknown}, which is not available"
        )) && reason.1.contains("EntityNotFoundException"),
        "{reason:?}"
    );
    let details = details_by_offset(&bus.events(3).await);
    assert_eq!(details[0]["value"], order_json(0, None));
    assert_eq!(details[1]["value"], order_json(1, Some("z")));
    assert_eq!(details[2]["value"], order_json(2, None));
}

#[tokio::test(flavor = "multi_thread")]
async fn glue_protobuf_uses_its_single_message_index() {
    let (moto, bus, version) =
        glue_setup("glue-protobuf", "payments", DataFormat::Protobuf, PROTO).await;
    // Glue's index counts every message of the file, nested ones too, sorted by full name
    // (its serializer's MessageIndexFinder): shop.Order 0, shop.Order.Line 1, shop.Refund 2,
    // shop.Refund.Reason 3.
    let (line, refund) = (1, 2);
    let with_index = |index: u64, message: Vec<u8>| {
        let mut bytes = Vec::new();
        prost::encoding::encode_varint(index, &mut bytes);
        bytes.extend(message);
        bytes
    };
    let refund_json = r#"{"orderId":"9","reason":{"code":"DAMAGED"}}"#;
    let line_json = r#"{"sku":"a-1","qty":3}"#;
    let records = vec![
        record(
            0,
            &glue_framed(
                version,
                &with_index(refund, proto_message(&[1], refund_json)),
                false,
            ),
            None,
        ),
        // SOURCE from a mapping with a Glue registry: the index byte stays, the header goes.
        record(
            1,
            &with_index(line, proto_message(&[0, 0], line_json)),
            Some(json!({"dataFormat": "PROTOBUF", "schemaId": version.to_string()})),
        ),
    ];
    let pipeline = glue_pipeline(
        &moto,
        &bus.bus_arn,
        &[("AWS_EVENTBRIDGE_VALUE_FORMAT", "protobuf")],
    );
    let done = run(&pipeline, records).await;
    assert_eq!(done.tally.delivered, 2, "{:?}", reasons(&done));
    let details = details_by_offset(&bus.events(2).await);
    assert_eq!(
        details[0]["value"],
        serde_json::from_str::<Value>(refund_json).unwrap()
    );
    assert_eq!(
        details[1]["value"],
        serde_json::from_str::<Value>(line_json).unwrap()
    );
}

/// The binary at cold start reads the Confluent registry's credentials from Secrets Manager,
/// and asks the AWS Glue Schema Registry with its own credentials; a secret it cannot read
/// stops the cold start with a message that names the variable.
#[tokio::test(flavor = "multi_thread")]
async fn the_binary_reads_glue_schemas_and_registry_credentials_from_secrets_manager() {
    let registry = Registry::start().await;
    registry.register(ORDER_ID, ORDER);
    registry.require_auth("svc:s3cret");
    let (moto, bus, version) = glue_setup("glue-binary", "orders", DataFormat::Avro, ORDER).await;
    let secret_arn = moto
        .secret(
            "registry-basic-auth",
            r#"{"username": "svc", "password": "s3cret"}"#,
        )
        .await;
    let env = |secret: &str| {
        vec![
            ("AWS_EVENTBRIDGE_CONNECTOR_ID", "glue".to_owned()),
            ("AWS_EVENTBRIDGE_EVENTBUS_ARN", bus.bus_arn.clone()),
            ("AWS_EVENTBRIDGE_VALUE_FORMAT", "registry".to_owned()),
            ("AWS_EVENTBRIDGE_SCHEMA_REGISTRY_URL", registry.url.clone()),
            (
                "AWS_EVENTBRIDGE_SCHEMA_REGISTRY_SECRET_ARN",
                secret.to_owned(),
            ),
            ("AWS_REGION", support::REGION.to_owned()),
        ]
    };
    let vars = env(&secret_arn);
    let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let function = Function::start(&moto, &vars);
    let event = event_json(vec![
        record(0, &framed(ORDER_ID, &datum(0, None)), None),
        record(1, &glue_framed(version, &datum(1, Some("g")), true), None),
    ])
    .to_string();
    let response = tokio::task::block_in_place(|| function.invoke(Data::Ascii(&event))).unwrap();
    assert_eq!(failures(&response), vec![], "{}", function.log());
    let details = details_by_offset(&bus.events(2).await);
    assert_eq!(details[0]["value"], order_json(0, None));
    assert_eq!(details[1]["value"], order_json(1, Some("g")));
    let log = function.log();
    assert!(!log.contains("s3cret"), "the secret is never logged: {log}");

    // A secret that does not exist: the cold start fails and names the variable.
    let missing = "arn:aws:secretsmanager:us-east-1:123456789012:secret:nope-AbCdEf";
    let vars = env(missing);
    let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let broken = Function::start(&moto, &vars);
    let log = broken.log_when(0, |log| log.contains("the function cannot start"));
    assert!(
        log.contains(
            "The schema registry's credentials could not be read; the function cannot start."
        ) && log.contains(&format!(
            "AWS_EVENTBRIDGE_SCHEMA_REGISTRY_SECRET_ARN={missing}: secretsmanager:GetSecretValue failed"
        )) && log.contains("ResourceNotFoundException"),
        "{log}"
    );
}

/// The dry run asks the configured Confluent-compatible registry for the schemas the records
/// name, as the function does, and shows the decoded events.
#[tokio::test(flavor = "multi_thread")]
async fn render_decodes_with_the_confluent_registry() {
    let registry = Registry::start().await;
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    registry.register(
        1,
        &std::fs::read_to_string(root.join("events/schemas/1.avsc")).unwrap(),
    );
    let render = |url: Option<&str>| {
        let mut command =
            std::process::Command::new(env!("CARGO_BIN_EXE_kafka-eventbridge-lambda"));
        command
            .env_clear()
            .env("AWS_EVENTBRIDGE_CONNECTOR_ID", "render")
            .env(
                "AWS_EVENTBRIDGE_EVENTBUS_ARN",
                "arn:aws:events:us-east-1:123456789012:event-bus/render",
            )
            .args(["render", "--event", "events/msk-avro-source.json"])
            .current_dir(root);
        if let Some(url) = url {
            command.env("AWS_EVENTBRIDGE_SCHEMA_REGISTRY_URL", url);
        }
        let output = command.output().unwrap();
        assert!(output.status.success());
        (
            String::from_utf8(output.stdout).unwrap(),
            String::from_utf8(output.stderr).unwrap(),
        )
    };
    let (stdout, _) = tokio::task::block_in_place(|| render(Some(&registry.url)));
    let documents: Vec<Value> = stdout
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(documents.last().unwrap(), &json!({"batchItemFailures": []}));
    let detail: Value =
        serde_json::from_str(documents[0]["Entries"][1]["Detail"].as_str().unwrap()).unwrap();
    assert_eq!(detail["value"]["status"], "PAID");
    assert_eq!(registry.requests(1), 1);
    // Without a registry, each record fails and says what to set.
    let (stdout, stderr) = tokio::task::block_in_place(|| render(None));
    assert_eq!(
        serde_json::from_str::<Value>(stdout.lines().last().unwrap()).unwrap()["batchItemFailures"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
    assert!(
        stderr.contains("no Confluent-compatible schema registry is configured: set AWS_EVENTBRIDGE_SCHEMA_REGISTRY_URL"),
        "{stderr}"
    );
}

/// Confluent schema references: an Avro record whose field types live in other subjects (a
/// chain of two, with a cycle back), and a `.proto` that imports another subject's file; each
/// referenced subject version is fetched once with the schema. A reference to a subject the
/// registry lacks fails the records of that schema with the registry's answer.
#[tokio::test(flavor = "multi_thread")]
async fn schema_references_are_fetched_with_the_schema() {
    const ADDRESS: &str = r#"{"type": "record", "name": "Address", "namespace": "shop",
        "fields": [{"name": "city", "type": "string"}]}"#;
    const CUSTOMER: &str = r#"{"type": "record", "name": "Customer", "namespace": "shop",
        "fields": [{"name": "name", "type": "string"}, {"name": "address", "type": "shop.Address"}]}"#;
    const SALE: &str = r#"{"type": "record", "name": "Sale", "namespace": "shop",
        "fields": [{"name": "id", "type": "long"}, {"name": "buyer", "type": "shop.Customer"}]}"#;
    /// The same record with its types inline: the producer's bytes do not depend on where a
    /// type is defined.
    const SALE_INLINE: &str = r#"{"type": "record", "name": "Sale", "namespace": "shop",
        "fields": [{"name": "id", "type": "long"}, {"name": "buyer", "type": {"type": "record",
          "name": "Customer", "fields": [{"name": "name", "type": "string"}, {"name": "address",
            "type": {"type": "record", "name": "Address", "fields": [
              {"name": "city", "type": "string"}]}}]}}]}"#;
    const CUSTOMER_PROTO: &str =
        "syntax = \"proto3\";\npackage people;\nmessage Customer { string name = 1; }\n";
    const SALE_PROTO: &str = "syntax = \"proto3\";\npackage shop;\nimport \"people/customer.proto\";\nmessage Sale { int64 id = 1; people.Customer buyer = 2; }\n";

    let (moto, registry) = (Moto::start(), Registry::start().await);
    let bus = moto.bus_to_queue("references").await;
    registry.register(22, ADDRESS);
    registry.register_subject("address", 1, 22);
    // A cycle: Address refers back to Customer; it is followed once.
    registry.set_references(22, &[("shop.Customer", "customer", 1)]);
    registry.register(21, CUSTOMER);
    registry.register_subject("customer", 1, 21);
    registry.set_references(21, &[("shop.Address", "address", -1)]);
    registry.register(20, SALE);
    registry.set_references(20, &[("shop.Customer", "customer", 1)]);
    registry.register_protobuf(30, CUSTOMER_PROTO);
    registry.register_subject("people/customer.proto", 3, 30);
    registry.register_protobuf(31, SALE_PROTO);
    registry.set_references(31, &[("people/customer.proto", "people/customer.proto", 3)]);
    registry.register(40, SALE);
    registry.set_references(40, &[("shop.Customer", "nope", 1)]);

    let sale = Avro::Record(vec![
        ("id".into(), Avro::Long(5)),
        (
            "buyer".into(),
            Avro::Record(vec![
                ("name".into(), Avro::String("Ada".into())),
                (
                    "address".into(),
                    Avro::Record(vec![("city".into(), Avro::String("London".into()))]),
                ),
            ]),
        ),
    ]);
    let avro_sale = to_avro_datum(&Schema::parse_str(SALE_INLINE).unwrap(), sale).unwrap();
    let proto_sale = {
        use prost::Message as _;
        struct Files;
        impl protox::file::FileResolver for Files {
            fn open_file(&self, name: &str) -> Result<protox::file::File, protox::Error> {
                match name {
                    "sale.proto" => protox::file::File::from_source(name, SALE_PROTO),
                    "people/customer.proto" => {
                        protox::file::File::from_source(name, CUSTOMER_PROTO)
                    }
                    other => Err(protox::Error::file_not_found(other)),
                }
            }
        }
        let mut compiler = protox::Compiler::with_file_resolver(Files);
        compiler.open_file("sale.proto").unwrap();
        let message = compiler
            .descriptor_pool()
            .get_message_by_name("shop.Sale")
            .unwrap();
        let mut deserializer =
            serde_json::Deserializer::from_str(r#"{"id":"6","buyer":{"name":"Grace"}}"#);
        prost_reflect::DynamicMessage::deserialize(message, &mut deserializer)
            .unwrap()
            .encode_to_vec()
    };
    let mut proto_value = indexes(&[0]);
    proto_value.extend(proto_sale);
    let records = vec![
        record(0, &framed(20, &avro_sale), None),
        record(1, &framed(31, &proto_value), None),
        record(2, &framed(40, &avro_sale), None),
    ];
    let done = run_as(&moto, &bus, &registry, "registry", records).await;
    assert_eq!(done.tally.delivered, 2, "{:?}", reasons(&done));
    let reason = &reasons(&done)[0];
    assert_eq!(reason.0, 2);
    assert!(
        reason
            .1
            .contains("names Confluent schema id 40, which is not available")
            && reason.1.contains("HTTP 404: Subject 'nope' not found."),
        "{reason:?}"
    );
    let details = details_by_offset(&bus.events(2).await);
    assert_eq!(
        details[0]["value"],
        json!({"id": 5, "buyer": {"name": "Ada", "address": {"city": "London"}}})
    );
    assert_eq!(
        details[1]["value"],
        json!({"id": "6", "buyer": {"name": "Grace"}})
    );
    for id in [20, 21, 22, 30, 31] {
        assert_eq!(registry.requests(id), 1, "schema {id}");
    }
}

/// One case of `tests/fixtures/confluent/serde.json`: a record written by confluent-kafka's
/// own serializers (`make fixtures`), the schemas its registry named, and the JSON expected.
#[derive(serde::Deserialize)]
struct SerdeCase {
    name: String,
    format: String,
    schemas: Vec<SerdeSchema>,
    key: Option<String>,
    value: Option<String>,
    headers: Vec<Value>,
    expected_key: Value,
    expected_value: Value,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct SerdeSchema {
    id: u32,
    guid: String,
    schema_type: String,
    schema: String,
}

fn serde_cases() -> Vec<SerdeCase> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/confluent/serde.json");
    let document: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    serde_json::from_value(document["cases"].clone()).unwrap()
}

/// A registry that serves `case`'s schemas by id and by GUID.
async fn serde_registry(case: &SerdeCase) -> Registry {
    let registry = Registry::start().await;
    for s in &case.schemas {
        let kind = match s.schema_type.as_str() {
            "AVRO" => None,
            "PROTOBUF" => Some("PROTOBUF"),
            "JSON" => Some("JSON"),
            other => panic!("{other}"),
        };
        registry.register_with_guid(s.id, &s.guid, &s.schema, kind);
    }
    registry
}

fn serde_record(case: &SerdeCase, offset: i64) -> Value {
    json!({"topic": "orders", "partition": 0, "offset": offset, "timestamp": 1,
           "timestampType": "CREATE_TIME", "key": case.key, "value": case.value,
           "headers": case.headers})
}

/// Records written by confluent-kafka's serializers: a value of the Avro schema `"bytes"`,
/// which Confluent writes raw (no Avro length prefix), and keys and values whose schema GUID
/// is in a `__key_schema_id` / `__value_schema_id` header (Avro, Protobuf with its message
/// indexes in the header, JSON Schema), under their own format and under `registry`. Each
/// GUID is fetched once (`GET /schemas/guids/{guid}`) and then cached.
#[tokio::test(flavor = "multi_thread")]
async fn confluent_kafka_serializers_records_decode_as_they_were_written() {
    let moto = Moto::start();
    let bus = moto.bus_to_queue("confluent-serde").await;
    for case in serde_cases() {
        let registry = serde_registry(&case).await;
        let key_format = if case.key.is_some() {
            case.format.as_str()
        } else {
            "string"
        };
        for format in [case.format.as_str(), "registry"] {
            let vars = [
                ("AWS_EVENTBRIDGE_VALUE_FORMAT", format),
                ("AWS_EVENTBRIDGE_KEY_FORMAT", key_format),
            ];
            let pipeline = pipeline(&moto, &bus.bus_arn, &registry, &vars).await;
            let done = run(
                &pipeline,
                vec![serde_record(&case, 0), serde_record(&case, 1)],
            )
            .await;
            assert_eq!(
                done.tally.delivered,
                2,
                "{} as {format}: {:?}",
                case.name,
                reasons(&done)
            );
            for detail in details_by_offset(&bus.events(2).await) {
                assert_eq!(
                    detail["value"], case.expected_value,
                    "{} as {format}",
                    case.name
                );
                assert_eq!(
                    detail["key"], case.expected_key,
                    "{} as {format}",
                    case.name
                );
            }
        }
        // Each schema was fetched once for the first pipeline's two records, once more for the
        // second pipeline's (a cache per pipeline), and not at all for JSON Schema under its
        // own format, which needs no schema.
        for s in &case.schemas {
            let fetched = registry.requests(s.id);
            assert!(
                (1..=2).contains(&fetched),
                "{}: {} fetched {fetched} times",
                case.name,
                s.guid
            );
        }
    }
}

/// A schema-id header that is not one fails its record alone, naming the header's problem
/// and never quoting the payload; a GUID the registry does not know fails with the
/// registry's answer.
#[tokio::test(flavor = "multi_thread")]
async fn bad_schema_id_headers_fail_their_record_alone() {
    let moto = Moto::start();
    let bus = moto.bus_to_queue("bad-schema-headers").await;
    let cases = serde_cases();
    let case = cases
        .iter()
        .find(|c| c.name == "avro-guid-headers")
        .unwrap();
    let registry = serde_registry(case).await;
    let vars = [("AWS_EVENTBRIDGE_VALUE_FORMAT", "avro")];
    let pipeline = pipeline(&moto, &bus.bus_arn, &registry, &vars).await;
    let good = serde_record(case, 0);
    let with_value_header = |offset, header: Vec<u8>| {
        let mut r = serde_record(case, offset);
        r["headers"] = json!([{"__value_schema_id": header}]);
        r
    };
    let mut unknown = vec![1];
    unknown.extend_from_slice(uuid::Uuid::from_u128(77).as_bytes());
    let records = vec![
        good,
        with_value_header(1, vec![9, 9, 9]),
        with_value_header(2, vec![1, 2, 3]),
        with_value_header(3, unknown),
    ];
    let done = run(&pipeline, records).await;
    assert_eq!(done.tally.delivered, 1, "{:?}", reasons(&done));
    let reasons = reasons(&done);
    assert_eq!(reasons.len(), 3);
    assert!(
        reasons[0]
            .1
            .contains("schema-id header that is not one: it starts with byte 0x09"),
        "{}",
        reasons[0].1
    );
    assert!(
        reasons[1]
            .1
            .contains("shorter than the 17 bytes of a version and a schema GUID"),
        "{}",
        reasons[1].1
    );
    assert!(
        reasons[2]
            .1
            .contains("Confluent schema GUID 00000000-0000-0000-0000-00000000004d"),
        "{}",
        reasons[2].1
    );
    assert!(reasons[2].1.contains("404"), "{}", reasons[2].1);
}
