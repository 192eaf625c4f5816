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
use kafka_eventbridge_lambda::{Config, Filter, KafkaEvent};
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

/// The headers of every record: a content type and a trace id, and with `from_record` also what
/// the record-reading mappers read (a type, a time, CloudEvents' binary attributes).
fn headers(from_record: bool) -> serde_json::Value {
    let mut headers = vec![
        json!({"content-type": b"application/json".to_vec()}),
        json!({"trace": b"t-1234".to_vec()}),
    ];
    if from_record {
        for (name, value) in [
            ("event-type", "order.created"),
            ("event-time", "2026-11-27T12:00:00.000Z"),
            ("ce_type", "com.example.order.created"),
            ("ce_time", "2026-11-27T12:00:00.000Z"),
        ] {
            headers.push(json!({ name: value.as_bytes().to_vec() }));
        }
    }
    json!(headers)
}

fn event(records: usize, size: usize, avro: bool) -> Vec<u8> {
    event_with(records, size, avro, false)
}

fn event_with(records: usize, size: usize, avro: bool, from_record: bool) -> Vec<u8> {
    let partitions = 4;
    let mut map = serde_json::Map::new();
    for p in 0..partitions {
        let recs: Vec<_> = (0..records)
            .filter(|i| i % partitions == p)
            .map(|i| {
                json!({"topic": "orders.v1", "partition": p, "offset": i, "timestamp": 1_764_240_000_000_i64 + i as i64,
                       "timestampType": "CREATE_TIME", "key": BASE64.encode(format!("order-{i:08}")),
                       "value": if avro { BASE64.encode(avro_value(i, size)) } else { BASE64.encode(value(i, size)) },
                       "headers": headers(from_record)})
            })
            .collect();
        map.insert(format!("orders.v1-{p}"), json!(recs));
    }
    serde_json::to_vec(&json!({"eventSource": "aws:kafka", "records": map})).expect("serializes")
}

fn config() -> Config {
    config_with(&[])
}

/// The bench's configuration with `vars` set.
fn config_with(vars: &[(&str, &str)]) -> Config {
    Config::from_lookup(|name| match name {
        "AWS_EVENTBRIDGE_CONNECTOR_ID" => Some("bench".into()),
        "AWS_EVENTBRIDGE_EVENTBUS_ARN" => {
            Some("arn:aws:events:us-east-1:123456789012:event-bus/b".into())
        }
        _ => vars
            .iter()
            .find(|(var, _)| *var == name)
            .map(|(_, v)| (*v).to_owned()),
    })
    .expect("valid config")
}

/// Five patterns on what the event source mapping cannot filter on (a header, the key, the
/// topic, the detail-type); none matches the bench's records, so each is judged by all five.
const PATTERNS: &str = r#"[
  {"detail": {"headers": {"tenant": ["acme"]}}},
  {"detail": {"key": [{"prefix": "vip-"}]}},
  {"detail": {"topic": [{"wildcard": "audit.*"}]}},
  {"detail-type": [{"anything-but": {"prefix": "kafka-connect-"}}]},
  {"detail": {"headers": {"trace": [{"exists": false}]}, "partition": [{"numeric": [">", 8]}]}}
]"#;

/// Five patterns of which two read the value (a field near its start and one after an array).
const VALUE_PATTERNS: &str = r#"[
  {"detail": {"headers": {"tenant": ["acme"]}}},
  {"detail": {"key": [{"prefix": "vip-"}]}},
  {"detail": {"topic": [{"wildcard": "audit.*"}]}},
  {"detail": {"value": {"customer": {"tier": ["platinum"]}}}},
  {"detail": {"value": {"total": [{"numeric": [">", 100]}]}}}
]"#;

fn decode_and_map(bytes: &[u8], decoders: &Decoders, mapper: &Mapper) -> usize {
    decode_map_filter(bytes, decoders, mapper, None)
}

/// Decodes and maps every record, and with `filter` keeps the entries it matches; the bytes of
/// the entries kept.
fn decode_map_filter(
    bytes: &[u8],
    decoders: &Decoders,
    mapper: &Mapper,
    filter: Option<&Filter>,
) -> usize {
    let event: KafkaEvent = serde_json::from_slice(bytes).expect("an event");
    decode_event(event, decoders)
        .expect("decodes")
        .into_iter()
        .filter_map(|d| {
            let record = d.result.expect("record decodes");
            let entry = mapper.map(&record).expect("maps");
            filter
                .is_none_or(|f| f.keeps(&record, &entry))
                .then(|| entry_size(&entry))
        })
        .sum()
}

/// A case: its name, the variables it sets, the event.
type Case<'a> = (&'a str, &'a [(&'a str, &'a str)], &'a Vec<u8>);

/// 1,000 records of 1 KB JSON: without a filter, with five patterns, and with each mapper that
/// reads the record (their records carry the headers they read).
fn bench_filter_and_mappers(c: &mut Criterion) {
    let mut group = c.benchmark_group("decode_map");
    let decoders = Decoders::new(PayloadFormat::String, PayloadFormat::Json);
    let plain = event(1000, 1024, false);
    let rich = event_with(1000, 1024, false, true);
    let cases: [Case<'_>; 8] = [
        ("none", &[], &plain),
        (
            "filter5",
            &[("AWS_EVENTBRIDGE_FILTER_PATTERNS", PATTERNS)],
            &plain,
        ),
        (
            "filter5-value",
            &[("AWS_EVENTBRIDGE_FILTER_PATTERNS", VALUE_PATTERNS)],
            &plain,
        ),
        ("headers", &[], &rich),
        (
            "type-header",
            &[
                ("AWS_EVENTBRIDGE_DETAIL_TYPES_MAPPER", "header"),
                ("AWS_EVENTBRIDGE_DETAIL_TYPES_HEADER", "event-type"),
            ],
            &rich,
        ),
        (
            "time-header",
            &[
                ("AWS_EVENTBRIDGE_TIME_MAPPER", "header"),
                ("AWS_EVENTBRIDGE_TIME_HEADER", "event-time"),
            ],
            &rich,
        ),
        (
            "time-jsonpath",
            &[
                ("AWS_EVENTBRIDGE_TIME_MAPPER", "jsonpath"),
                (
                    "AWS_EVENTBRIDGE_TIME_JSONPATHMAPPER_FIELDREF",
                    "$.createdAt",
                ),
            ],
            &rich,
        ),
        (
            "cloudevents",
            &[
                ("AWS_EVENTBRIDGE_DETAIL_TYPES_MAPPER", "cloudevents"),
                ("AWS_EVENTBRIDGE_TIME_MAPPER", "cloudevents"),
            ],
            &rich,
        ),
    ];
    for (name, vars, bytes) in cases {
        let config = config_with(vars);
        let (mapper, filter) = (config.mapper(), config.filter().cloned());
        group.throughput(Throughput::Bytes(bytes.len() as u64));
        let id = BenchmarkId::new(format!("json-{name}"), "1000x1KB");
        group.bench_with_input(id, bytes, |b, bytes| {
            b.iter(|| {
                black_box(decode_map_filter(
                    bytes,
                    &decoders,
                    &mapper,
                    filter.as_ref(),
                ))
            })
        });
    }
    group.finish();
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

criterion_group!(benches, bench, bench_filter_and_mappers);
criterion_main!(benches);
