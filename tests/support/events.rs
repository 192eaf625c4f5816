//! Kafka event source mapping events for tests and benches.

use base64::Engine as _;
use kafka_eventbridge_lambda::KafkaEvent;
use serde_json::{Map, Value, json};

/// The sample events of `events/`, as paths relative to the crate root (`events/<name>.json`),
/// sorted.
pub fn sample_event_files() -> Vec<String> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("events");
    let mut files: Vec<String> = std::fs::read_dir(dir)
        .expect("the events folder")
        .map(|e| {
            e.expect("a folder entry")
                .file_name()
                .into_string()
                .expect("a UTF-8 name")
        })
        .filter(|name| name.ends_with(".json"))
        .map(|name| format!("events/{name}"))
        .collect();
    files.sort();
    files
}

/// `text` in base64, as the event carries keys and values.
/// The number of records in the sample event `file` (a path from the crate root).
pub fn record_count(file: &str) -> usize {
    let text = std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(file))
        .expect("the sample event");
    let event: Value = serde_json::from_str(&text).expect("a JSON event");
    event["records"]
        .as_object()
        .expect("a records map")
        .values()
        .map(|p| p.as_array().map_or(0, Vec::len))
        .sum()
}

pub fn b64(text: impl AsRef<[u8]>) -> String {
    base64::engine::general_purpose::STANDARD.encode(text)
}

/// One record: topic, partition, offset, timestamp 1 (`CREATE_TIME`), no headers, and the key and
/// value given in base64 (`None` is JSON `null`: a null key or a tombstone).
pub fn record(
    topic: &str,
    partition: i64,
    offset: i64,
    key: Option<&str>,
    value: Option<&str>,
) -> Value {
    json!({"topic": topic, "partition": partition, "offset": offset, "timestamp": 1,
           "timestampType": "CREATE_TIME", "key": key.map(b64), "value": value.map(b64),
           "headers": []})
}

/// An MSK event of `records`, each keyed `"<topic>-<partition>"` in order of appearance.
pub fn event_json(records: impl IntoIterator<Item = Value>) -> Value {
    let mut partitions = Map::new();
    for record in records {
        let key = format!(
            "{}-{}",
            record["topic"].as_str().unwrap_or("?"),
            record["partition"]
        );
        partitions
            .entry(key)
            .or_insert_with(|| json!([]))
            .as_array_mut()
            .expect("a partition's records are an array")
            .push(record);
    }
    json!({"eventSource": "aws:kafka", "records": partitions})
}

/// [`event_json`] as the function's event type.
pub fn kafka_event(records: impl IntoIterator<Item = Value>) -> KafkaEvent {
    serde_json::from_value(event_json(records)).expect("a well-formed event")
}

/// A record value of a generated case.
#[derive(Debug, Clone, Copy)]
pub enum Payload {
    /// A JSON object that holds the offset and `n` bytes of padding.
    Json(usize),
    /// Text that is not JSON.
    Invalid,
    /// No value (a tombstone).
    Tombstone,
}

impl Payload {
    /// The value's text for the record at `offset`.
    pub fn text(self, offset: usize) -> Option<String> {
        match self {
            Self::Json(n) => Some(json!({"offset": offset, "pad": "x".repeat(n)}).to_string()),
            Self::Invalid => Some("{\"broken\":".to_owned()),
            Self::Tombstone => None,
        }
    }
}

/// An event of `(partition, payload)` records on topic `t`, offsets counting from 0, key `k`.
pub fn generated_event(records: &[(u8, Payload)]) -> KafkaEvent {
    kafka_event(
        records
            .iter()
            .enumerate()
            .map(|(offset, (partition, payload))| {
                let value = payload.text(offset);
                let offset = i64::try_from(offset).expect("a small offset");
                record(
                    "t",
                    i64::from(*partition),
                    offset,
                    Some("k"),
                    value.as_deref(),
                )
            }),
    )
}

/// The records `response` reports, as (records-map key, offset), in its order.
pub fn reported(response: &kafka_eventbridge_lambda::BatchResponse) -> Vec<(String, i64)> {
    response
        .batch_item_failures
        .iter()
        .map(|f| {
            (
                f.item_identifier.partition.clone(),
                f.item_identifier.offset,
            )
        })
        .collect()
}

/// `records` records of `topic` on 4 partitions, keyed `k-<i>`, each value a JSON object of
/// about `value_bytes` bytes: the benchmarks' event.
pub fn padded_event(topic: &str, records: usize, value_bytes: usize) -> Value {
    event_json((0..records).map(|i| {
        let value = json!({"i": i, "pad": "x".repeat(value_bytes.saturating_sub(20))}).to_string();
        let offset = i64::try_from(i).expect("a record count fits an i64");
        record(
            topic,
            offset % 4,
            offset,
            Some(&format!("k-{i}")),
            Some(&value),
        )
    }))
}
