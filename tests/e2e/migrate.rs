//! `migrate` end to end: the connector README's configuration examples, migrated by the real
//! binary, run by `render` and by the real function under cargo-lambda against moto, produce the
//! events the connector would put for the same records (its README's event shape: source
//! `kafka-connect.<id>`, the detail-type rule, the detail with topic, partition, offset,
//! timestamp, headers, key and value).

use crate::support;

use std::process::Command;

use apache_avro::Schema;
use apache_avro::types::Value as Avro;
use apache_avro::writer::datum::GenericDatumWriter;
use aws_sdk_glue::types::DataFormat;
use serde_json::{Value, json};
use support::events::{b64, event_json};
use support::{Data, Function, Moto, details_by_offset, failures};

const BIN: &str = env!("CARGO_BIN_EXE_kafka-eventbridge-lambda");
/// The README examples' bus, with the 12-digit account AWS requires (moto's account).
const BUS: &str = "kafkabus";

/// The environment `migrate` prints for `config` (`--output json`).
fn migrated_environment(config: &str) -> Vec<(String, String)> {
    let (stdout, code) = support::migrate(config, &["--output", "json"]);
    let migration: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        (code, &migration["exitCode"]),
        (0, &json!(0)),
        "{migration}"
    );
    migration["environment"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
        .collect()
}

/// A record as the event source mapping delivers it, key and value as raw bytes.
fn record(topic: &str, offset: i64, key: &[u8], value: &[u8]) -> Value {
    json!({"topic": topic, "partition": 0, "offset": offset, "timestamp": 1_684_841_916_831_i64,
           "timestampType": "CREATE_TIME", "key": b64(key), "value": b64(value), "headers": []})
}

/// The detail the connector writes for a record of `record`'s shape.
fn detail(topic: &str, offset: i64, key: Value, value: Value) -> Value {
    json!({"topic": topic, "partition": 0, "offset": offset, "timestamp": 1_684_841_916_831_i64,
           "timestampType": "CreateTime", "headers": [], "key": key, "value": value})
}

/// The README's order value.
fn order() -> Value {
    json!({"orderItems": ["item-1", "item-2"], "orderCreatedTime": "Tue May 23 13:38:46 CEST 2023"})
}

/// Starts the function with `env` (migrated) against `moto`, invokes it with `event`.
fn invoke(moto: &Moto, env: &[(String, String)], event: &Value) -> (Function, Value) {
    let mut all: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    all.push(("AWS_REGION", "us-east-1"));
    let function = Function::start(moto, &all);
    let response = function.invoke(Data::Ascii(&event.to_string())).unwrap();
    (function, response)
}

#[tokio::test(flavor = "multi_thread")]
async fn readme_json_example_renders_and_delivers_the_connector_s_events() {
    let env = migrated_environment(&support::readme_example("readme-json"));
    let value = serde_json::to_vec(&order()).unwrap();
    let event = event_json([
        record("json-values-topic", 0, b"order-1", &value),
        record("json-values-topic", 1, b"order-2", br#"{"a": 1}"#),
    ]);
    let expected = vec![
        detail("json-values-topic", 0, json!("order-1"), order()),
        detail("json-values-topic", 1, json!("order-2"), json!({"a": 1})),
    ];

    // The dry run, with no credentials.
    let path = std::env::temp_dir().join(format!("migrate-render-{}.json", std::process::id()));
    std::fs::write(&path, event.to_string()).unwrap();
    let output = Command::new(BIN)
        .env_clear()
        .envs(env.iter().map(|(k, v)| (k, v)))
        .args(["render", "--event", path.to_str().unwrap()])
        .output()
        .unwrap();
    std::fs::remove_file(&path).ok();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8(output.stdout).unwrap();
    let call: Value = serde_json::from_str(stdout.lines().next().unwrap()).unwrap();
    let entries = call["Entries"].as_array().unwrap();
    assert_eq!(entries.len(), 2);
    for (entry, want) in entries.iter().zip(&expected) {
        assert_eq!(entry["Source"], "kafka-connect.my-json-values-connector");
        assert_eq!(entry["DetailType"], "kafka-connect-json-values-topic");
        assert_eq!(
            entry["EventBusName"],
            "arn:aws:events:us-east-1:123456789012:event-bus/kafkabus"
        );
        let sent: Value = serde_json::from_str(entry["Detail"].as_str().unwrap()).unwrap();
        assert_eq!(&sent, want);
    }

    // The function, against the emulator.
    let moto = Moto::start();
    let bus = moto.bus_to_queue(BUS).await;
    let (_function, response) = invoke(&moto, &env, &event);
    assert_eq!(response, json!({"batchItemFailures": []}));
    let events = bus.events(2).await;
    for e in &events {
        assert_eq!(e["source"], "kafka-connect.my-json-values-connector");
        assert_eq!(e["detail-type"], "kafka-connect-json-values-topic");
        assert_eq!(e["resources"], json!([]));
    }
    assert_eq!(details_by_offset(&events), expected);
}

#[tokio::test(flavor = "multi_thread")]
async fn readme_dead_letter_example_reports_the_record_the_connector_would_dead_letter() {
    let env = migrated_environment(&support::readme_example("readme-json-dlq"));
    let moto = Moto::start();
    let bus = moto.bus_to_queue(BUS).await;
    let event = event_json([
        record(
            "json-values-topic",
            7,
            b"order-1",
            &serde_json::to_vec(&order()).unwrap(),
        ),
        record("json-values-topic", 8, b"order-2", b"{not json"),
    ]);
    let (function, response) = invoke(&moto, &env, &event);
    // The mapping retries it, then writes it to kafka://json-dlq.
    assert_eq!(
        failures(&response),
        vec![("json-values-topic-0".to_owned(), 8)]
    );
    let events = bus.events(1).await;
    assert_eq!(
        details_by_offset(&events),
        vec![detail("json-values-topic", 7, json!("order-1"), order())]
    );
    let log = function.log();
    assert!(
        log.contains("offset=8"),
        "the failed record is named: {log}"
    );
    assert!(!log.contains("{not json"), "its value is not logged");
}

const ORDER_SCHEMA: &str = r#"{"type": "record", "name": "Order", "namespace": "shop", "fields": [
    {"name": "id", "type": "long"}, {"name": "item", "type": "string"},
    {"name": "gift", "type": ["null", "string"], "default": null}]}"#;

/// The Glue serializer's framing (version 3, no compression, schema version id) of `datum`.
fn glue_framed(version: uuid::Uuid, datum: &[u8]) -> Vec<u8> {
    let mut bytes = vec![3, 0];
    bytes.extend_from_slice(version.as_bytes());
    bytes.extend_from_slice(datum);
    bytes
}

fn order_datum(id: i64, item: &str) -> Vec<u8> {
    let schema = Schema::parse_str(ORDER_SCHEMA).unwrap();
    let value = Avro::Record(vec![
        ("id".into(), Avro::Long(id)),
        ("item".into(), Avro::String(item.into())),
        ("gift".into(), Avro::Union(0, Box::new(Avro::Null))),
    ]);
    GenericDatumWriter::builder(&schema)
        .build()
        .unwrap()
        .write_value_to_vec(value)
        .unwrap()
}

/// A key as JsonConverter writes it with schemas.enable=true (the README's key converter).
fn envelope(key: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({"schema": {"type": "string", "optional": false}, "payload": key}))
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn readme_glue_avro_example_delivers_both_topics_through_the_role() {
    let env = migrated_environment(&support::readme_example("readme-avro-glue"));
    let moto = Moto::start();
    let bus = moto.bus_to_queue(BUS).await;
    let version = moto
        .glue_schema(
            "avro-kafka-eventbridge",
            "orders",
            DataFormat::Avro,
            ORDER_SCHEMA,
        )
        .await;
    let event = event_json([
        record(
            "avro-topic-1",
            3,
            &envelope("order-3"),
            &glue_framed(version, &order_datum(3, "book")),
        ),
        record(
            "avro-topic-2",
            4,
            &envelope("order-4"),
            &glue_framed(version, &order_datum(4, "pen")),
        ),
    ]);
    let (function, response) = invoke(&moto, &env, &event);
    assert_eq!(
        response,
        json!({"batchItemFailures": []}),
        "{}",
        function.log()
    );
    let events = bus.events(2).await;
    let mut types: Vec<&str> = events
        .iter()
        .map(|e| e["detail-type"].as_str().unwrap())
        .collect();
    types.sort_unstable();
    assert_eq!(types, ["avro-test-avro-topic-1", "avro-test-avro-topic-2"]);
    assert!(
        events
            .iter()
            .all(|e| e["source"] == "kafka-connect.avro-test-connector")
    );
    assert_eq!(
        details_by_offset(&events),
        vec![
            detail(
                "avro-topic-1",
                3,
                json!("order-3"),
                json!({"id": 3, "item": "book", "gift": null})
            ),
            detail(
                "avro-topic-2",
                4,
                json!("order-4"),
                json!({"id": 4, "item": "pen", "gift": null})
            ),
        ]
    );
}
