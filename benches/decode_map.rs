//! Decode + map throughput: from the bytes of an event source mapping's event to the entries
//! that would be sent (parse the event, base64-decode, convert keys and values, build the
//! detail, size the entry). Throughput is in bytes of event JSON; one core.
//!
//! Run with `make bench` or `cargo bench --bench decode_map`.

use std::hint::black_box;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use kafka_eventbridge_lambda::put_events_entry_size as entry_size;
use kafka_eventbridge_lambda::{Config, KafkaEvent};
use kafka_eventbridge_lambda::{
    ConfluentRegistry, Decoders, FetchedSchema, Mapper, PayloadFormat, RegistryDecoder,
    RegistryFormat, SchemaId, SchemaKind, Schemas, decode_event,
};
use serde_json::json;

/// The Avro schema of the order of [`value`].
const ORDER_SCHEMA: &str = r#"{"type": "record", "name": "Order", "fields": [
  {"name": "orderId", "type": "string"},
  {"name": "customer", "type": {"type": "record", "name": "Customer", "fields": [
    {"name": "id", "type": "long"}, {"name": "name", "type": "string"},
    {"name": "tier", "type": {"type": "enum", "name": "Tier", "symbols": ["silver", "gold"]}},
    {"name": "email", "type": ["null", "string"]}]}},
  {"name": "items", "type": {"type": "array", "items": {"type": "record", "name": "Item", "fields": [
    {"name": "sku", "type": "string"}, {"name": "qty", "type": "int"}, {"name": "price", "type": "double"}]}}},
  {"name": "total", "type": {"type": "bytes", "logicalType": "decimal", "precision": 12, "scale": 2}},
  {"name": "currency", "type": "string"},
  {"name": "createdAt", "type": {"type": "long", "logicalType": "timestamp-millis"}},
  {"name": "note", "type": "string"}]}"#;

/// The same order as [`value`], as Confluent-framed Avro (schema id 1) of about `size` bytes.
fn avro_value(i: usize, size: usize) -> Vec<u8> {
    use apache_avro::types::Value as A;
    let schema = apache_avro::Schema::parse_str(ORDER_SCHEMA).expect("a schema");
    let order = |note: String| {
        A::Record(vec![
            ("orderId".into(), A::String(format!("order-{i:08}"))),
            (
                "customer".into(),
                A::Record(vec![
                    ("id".into(), A::Long(i as i64 * 7)),
                    ("name".into(), A::String("Ada Lovelace".into())),
                    ("tier".into(), A::Enum(1, "gold".into())),
                    (
                        "email".into(),
                        A::Union(1, Box::new(A::String("ada@example.com".into()))),
                    ),
                ]),
            ),
            (
                "items".into(),
                A::Array(
                    [("SKU-0001", 2, 12.5), ("SKU-0042", 1, 99.99)]
                        .map(|(sku, qty, price)| {
                            A::Record(vec![
                                ("sku".into(), A::String(sku.into())),
                                ("qty".into(), A::Int(qty)),
                                ("price".into(), A::Double(price)),
                            ])
                        })
                        .to_vec(),
                ),
            ),
            (
                "total".into(),
                A::Decimal(apache_avro::Decimal::from(12_499_i32.to_be_bytes())),
            ),
            ("currency".into(), A::String("EUR".into())),
            ("createdAt".into(), A::TimestampMillis(1_764_240_000_000)),
            ("note".into(), A::String(note)),
        ])
    };
    let write = |value| {
        apache_avro::writer::datum::GenericDatumWriter::builder(&schema)
            .build()
            .and_then(|w| w.write_value_to_vec(value))
            .expect("an Avro datum")
    };
    let bare = write(order(String::new())).len() + 5;
    let pad = size.saturating_sub(bare + 2);
    let mut framed = vec![0, 0, 0, 0, 1];
    framed.extend(write(order(
        "lorem ipsum ".repeat(pad / 12 + 1)[..pad].to_owned(),
    )));
    framed
}

/// A JSON order of about `size` bytes, with nested objects, arrays, numbers and text.
fn value(i: usize, size: usize) -> String {
    let mut v = json!({
        "orderId": format!("order-{i:08}"),
        "customer": {"id": i * 7, "name": "Ada Lovelace", "tier": "gold", "email": "ada@example.com"},
        "items": [
            {"sku": "SKU-0001", "qty": 2, "price": 12.5},
            {"sku": "SKU-0042", "qty": 1, "price": 99.99}
        ],
        "total": 124.99,
        "currency": "EUR",
        "createdAt": "2026-11-27T12:00:00.000Z",
        "note": ""
    })
    .to_string();
    let pad = size.saturating_sub(v.len());
    v = v.replace(
        "\"note\":\"\"",
        &format!(
            "\"note\":\"{}\"",
            "lorem ipsum ".repeat(pad / 12 + 1)[..pad].to_owned()
        ),
    );
    v
}

fn event(records: usize, size: usize, avro: bool) -> Vec<u8> {
    let partitions = 4;
    let mut map = serde_json::Map::new();
    for p in 0..partitions {
        let recs: Vec<_> = (0..records)
            .filter(|i| i % partitions == p)
            .map(|i| {
                json!({"topic": "orders.v1", "partition": p, "offset": i, "timestamp": 1_764_240_000_000_i64 + i as i64,
                       "timestampType": "CREATE_TIME", "key": BASE64.encode(format!("order-{i:08}")),
                       "value": if avro { BASE64.encode(avro_value(i, size)) } else { BASE64.encode(value(i, size)) },
                       "headers": [{"content-type": b"application/json".to_vec()}, {"trace": b"t-1234".to_vec()}]})
            })
            .collect();
        map.insert(format!("orders.v1-{p}"), json!(recs));
    }
    serde_json::to_vec(&json!({"eventSource": "aws:kafka", "records": map})).expect("serializes")
}

fn config() -> Config {
    Config::from_lookup(|name| match name {
        "AWS_EVENTBRIDGE_CONNECTOR_ID" => Some("bench".into()),
        "AWS_EVENTBRIDGE_EVENTBUS_ARN" => {
            Some("arn:aws:events:us-east-1:123456789012:event-bus/b".into())
        }
        _ => None,
    })
    .expect("valid config")
}

fn decode_and_map(bytes: &[u8], decoders: &Decoders, mapper: &Mapper) -> usize {
    let event: KafkaEvent = serde_json::from_slice(bytes).expect("an event");
    decode_event(event, decoders)
        .expect("decodes")
        .into_iter()
        .map(|d| {
            entry_size(
                &mapper
                    .map(&d.result.expect("record decodes"))
                    .expect("maps"),
            )
        })
        .sum()
}

fn bench(c: &mut Criterion) {
    let config = config();
    let mapper = config.mapper();
    let mut group = c.benchmark_group("decode_map");
    for (records, size, format) in [
        (1000, 1024, PayloadFormat::Json),
        (100, 10 * 1024, PayloadFormat::Json),
        (10, 100 * 1024, PayloadFormat::Json),
        (1000, 1024, PayloadFormat::String),
        (1000, 1024, PayloadFormat::Bytes),
        (1000, 1024, PayloadFormat::Avro),
    ] {
        let avro = format == PayloadFormat::Avro;
        let bytes = event(records, size, avro);
        let mut decoders = Decoders::new(PayloadFormat::String, format);
        if avro {
            // The schema cached, as after an environment's first fetch (no registry call).
            let schemas = std::sync::Arc::new(Schemas::new(ConfluentRegistry::new(
                "http://127.0.0.1:9",
                None,
            )));
            schemas
                .preload(
                    SchemaId::Confluent(1),
                    &FetchedSchema::new(SchemaKind::Avro, ORDER_SCHEMA),
                )
                .expect("a valid schema");
            decoders.value = Box::new(RegistryDecoder::new(
                RegistryFormat::Avro,
                Some(std::sync::Arc::clone(&schemas)),
            ));
            decoders.schemas = Some(schemas);
        }
        group.throughput(Throughput::Bytes(bytes.len() as u64));
        let id = BenchmarkId::new(
            format!("{format:?}").to_lowercase(),
            format!("{records}x{}KB", size / 1024),
        );
        group.bench_with_input(id, &bytes, |b, bytes| {
            b.iter(|| black_box(decode_and_map(bytes, &decoders, &mapper)))
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
