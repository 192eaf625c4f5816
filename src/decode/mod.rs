//! Stage 1: decode.
//!
//! Reads the event that a Kafka event source mapping (MSK `aws:kafka` or `SelfManagedKafka`)
//! sends, and turns each record into a [`DecodedRecord`]: coordinates, timestamp, headers, and
//! key and value decoded from base64 and converted to JSON text by a [`PayloadDecoder`].
//!
//! The wire types are lenient on purpose: a record whose fields have unexpected types still
//! deserializes, so that it can be reported in `batchItemFailures` with a precise reason instead
//! of failing the whole invocation. Only a record that cannot be identified (no usable offset)
//! or an event without a `records` map fails the invocation.

//!
//! The room's files: `wire` (the event as it arrives), `record` (what decoding produces),
//! `payload` (the [`PayloadDecoder`] seam) and `formats` (the built-in formats), `esm` (the
//! event source mapping's schema metadata), `schema` (schema ids and kinds), `framing`,
//! `avro`, `protobuf` and `registry` (the registry-encoded formats).

use std::collections::HashMap;
use std::sync::Arc;

use base64::Engine as _;
use serde_json::Value;

pub(crate) mod avro;
mod esm;
mod formats;
pub(crate) mod framing;
/// The fuzz targets' checks (`fuzz/`), replayed over their corpus by `cargo test`.
#[cfg(any(test, feature = "fuzzing"))]
pub(crate) mod fuzz;
pub(crate) mod payload;
pub(crate) mod protobuf;
pub(crate) mod record;
pub(crate) mod registry;
pub(crate) mod schema;
pub(crate) mod wire;

pub(crate) use esm::EsmRecordFormat;
pub(crate) use payload::PayloadError;
#[cfg_attr(not(feature = "internals"), allow(unreachable_pub, dead_code))]
pub use payload::{PayloadDecoder, PayloadFormat};
pub(crate) use record::Decoded;
pub use record::DecodedRecord;
pub(crate) use record::{DecodeError, EventError, RecordInfo, RecordRef, TimestampType};
pub use schema::{SchemaId, SchemaKind};
pub use wire::KafkaEvent;

use esm::{EsmSchema, PREFIX_BASE64_LEN, is_json_text, schema_metadata};
use registry::cache::Schemas;
use wire::{
    BASE64_LENIENT, EVENT_SOURCE_MSK, EVENT_SOURCE_SELF_MANAGED, EVENT_SOURCE_SELF_MANAGED_ALIAS,
    Records, WireHeaders, WireRecord,
};

use crate::json::{JsonText, json_type};

/// The key and value decoders of a pipeline, and the schema registry of registry-encoded
/// data.
#[derive(Debug)]
pub struct Decoders {
    /// Converts keys.
    pub key: Box<dyn PayloadDecoder>,
    /// Converts values.
    pub value: Box<dyn PayloadDecoder>,
    /// The schemas of registry-encoded keys and values, when a registry is configured.
    pub schemas: Option<Arc<Schemas>>,
    /// How records with the event source mapping's schema metadata are read.
    pub esm_format: EsmRecordFormat,
}

impl Decoders {
    /// Decoders for the built-in formats, without a registry.
    pub fn new(key: PayloadFormat, value: PayloadFormat) -> Self {
        Self {
            key: Box::new(key),
            value: Box::new(value),
            schemas: None,
            esm_format: EsmRecordFormat::Auto,
        }
    }

    /// The registry schemas the records of `event` need, read from the framing of their keys
    /// and values (for a decoder that reads registry-framed data) and from the event source
    /// mapping's schema metadata (Avro in `SOURCE` format); duplicates removed. Reads only the
    /// first bytes of each payload.
    pub fn schema_ids(&self, event: &KafkaEvent) -> Vec<SchemaId> {
        let Records::Partitions(partitions) = &event.records else {
            return Vec::new();
        };
        let mut ids = Vec::new();
        // Under `auto`, whether the records of each metadata schema id arrive as JSON: a
        // mapping delivers all its records in one `EventRecordFormat`, so the first record of an
        // id tells (JSON needs no schema, and the registry is not asked).
        let mut arrives_as_json: HashMap<SchemaId, bool> = HashMap::new();
        for record in partitions.iter().flat_map(|p| &p.records) {
            let payloads = [
                (
                    "key",
                    &record.key,
                    &record.key_schema_metadata,
                    self.key.as_ref(),
                ),
                (
                    "value",
                    &record.value,
                    &record.value_schema_metadata,
                    self.value.as_ref(),
                ),
            ];
            for (field, payload, metadata, decoder) in payloads {
                let Some(Value::String(encoded)) = payload else {
                    continue;
                };
                let id = match metadata {
                    Some(metadata) => match (schema_metadata(field, metadata), self.esm_format) {
                        (Ok(EsmSchema::Registry(id, _)), EsmRecordFormat::Source) => Some(id),
                        (Ok(EsmSchema::Registry(id, _)), EsmRecordFormat::Auto) => {
                            let json = *arrives_as_json.entry(id).or_insert_with(|| {
                                BASE64_LENIENT
                                    .decode(encoded)
                                    .is_ok_and(|bytes| is_json_text(&bytes))
                            });
                            (!json).then_some(id)
                        }
                        _ => None,
                    },
                    None => named_schema(decoder, &record.headers, field, encoded),
                };
                ids.extend(id);
            }
        }
        ids.sort_unstable();
        ids.dedup();
        ids
    }
}

/// Checks the event and decodes every record, in event order.
#[cfg_attr(not(feature = "internals"), allow(unreachable_pub, dead_code))]
pub fn decode_event(event: KafkaEvent, decoders: &Decoders) -> Result<Vec<Decoded>, EventError> {
    if let Some(source) = &event.event_source
        && source != EVENT_SOURCE_MSK
        && source != EVENT_SOURCE_SELF_MANAGED
        && source != EVENT_SOURCE_SELF_MANAGED_ALIAS
    {
        return Err(EventError::UnsupportedSource(source.clone()));
    }
    let partitions = match event.records {
        Records::Missing => return Err(EventError::NoRecords("missing")),
        Records::NotAMap(found) => return Err(EventError::NoRecords(found)),
        Records::Partitions(p) => p,
    };
    let total = partitions.iter().map(|p| p.records.len()).sum();
    let mut out = Vec::with_capacity(total);
    for partition in partitions {
        let partition_key: Arc<str> = Arc::from(partition.key);
        let (key_topic, key_partition) = split_partition_key(&partition_key);
        let key_topic: Option<Arc<str>> = key_topic.map(Arc::from);
        let mut last_topic: Option<Arc<str>> = None;
        for (index, record) in partition.records.into_iter().enumerate() {
            let Some(offset) = record.offset.as_ref().and_then(Value::as_i64) else {
                return Err(EventError::NoOffset {
                    partition_key: partition_key.to_string(),
                    index,
                });
            };
            let id = RecordRef {
                partition_key: Arc::clone(&partition_key),
                offset,
            };
            // One allocation per distinct topic, not per record: the records of a partition
            // almost always share their topic.
            let topic = match &record.topic {
                Some(Value::String(t)) => match &last_topic {
                    Some(last) if **last == **t => Some(Arc::clone(last)),
                    _ => Some(Arc::<str>::from(t.as_str())),
                },
                _ => key_topic.clone(),
            };
            last_topic.clone_from(&topic);
            let partition = match &record.partition {
                Some(p) => p.as_i64(),
                None => key_partition,
            };
            let result = decode_record(record, topic.clone(), partition, offset, decoders);
            out.push(Decoded {
                info: RecordInfo {
                    id,
                    topic,
                    partition,
                },
                result,
            });
        }
    }
    Ok(out)
}

/// Splits `"<topic>-<partition>"` at the last `-` (topics may contain `-`).
fn split_partition_key(key: &str) -> (Option<&str>, Option<i64>) {
    match key.rsplit_once('-') {
        Some((topic, partition)) if !topic.is_empty() => (Some(topic), partition.parse().ok()),
        _ => (None, None),
    }
}

fn decode_record(
    record: WireRecord,
    topic: Option<Arc<str>>,
    partition: Option<i64>,
    offset: i64,
    decoders: &Decoders,
) -> Result<DecodedRecord, DecodeError> {
    if let Some(found) = record.topic.as_ref().filter(|v| !v.is_string()) {
        return Err(wrong_type("topic", "a string", found));
    }
    if let Some(found) = record.partition.as_ref().filter(|v| v.as_i64().is_none()) {
        return Err(wrong_type("partition", "an integer", found));
    }
    let (Some(topic), Some(partition)) = (topic, partition) else {
        return Err(DecodeError::NoTopic);
    };
    let timestamp = match &record.timestamp {
        None => None,
        Some(v) => Some(
            v.as_i64()
                .ok_or_else(|| wrong_type("timestamp", "an integer", v))?,
        ),
    }
    .filter(|t| *t >= 0);
    let timestamp_type = match (&record.timestamp_type, timestamp) {
        (_, None) => TimestampType::NoTimestampType,
        (Some(Value::String(t)), _) if t == "CREATE_TIME" => TimestampType::CreateTime,
        (Some(Value::String(t)), _) if t == "LOG_APPEND_TIME" => TimestampType::LogAppendTime,
        _ => TimestampType::NoTimestampType,
    };
    let timestamp = timestamp.filter(|_| timestamp_type != TimestampType::NoTimestampType);
    let headers = decode_headers(record.headers)?;
    let payload = |field, raw, metadata: Option<&Value>, decoder: &dyn PayloadDecoder| {
        let header = schema_id_header(&headers, field, decoder);
        decode_payload(field, raw, (metadata, header), decoder, decoders)
    };
    let key = payload(
        "key",
        record.key,
        record.key_schema_metadata.as_ref(),
        decoders.key.as_ref(),
    )?;
    let value = payload(
        "value",
        record.value,
        record.value_schema_metadata.as_ref(),
        decoders.value.as_ref(),
    )?;
    Ok(DecodedRecord {
        topic,
        partition,
        offset,
        timestamp,
        timestamp_type,
        headers,
        key,
        value,
    })
}

/// The registry schema that a payload without the event source mapping's metadata needs,
/// for `decoder`: the one the record's Confluent schema-id header names, else the one its
/// framing names (only its first bytes are read); none for a decoder that reads neither.
fn named_schema(
    decoder: &dyn PayloadDecoder,
    headers: &WireHeaders,
    field: &str,
    encoded: &str,
) -> Option<SchemaId> {
    if let WireHeaders::Headers(headers) = headers
        && let Some(header) = schema_id_header(headers, field, decoder)
    {
        return decoder.header_schema_id(header);
    }
    if !decoder.reads_schemas() {
        return None;
    }
    // 24 base64 characters are the 18 bytes of the longest header.
    let head = &encoded.as_bytes()[..encoded.len().min(PREFIX_BASE64_LEN)];
    BASE64_LENIENT
        .decode(head)
        .ok()
        .and_then(|prefix| decoder.schema_id(&prefix))
}

/// The value of the last header (Kafka's `lastHeader`) in which a Confluent serializer named
/// the schema of the record's `field`, when `decoder` reads such headers.
fn schema_id_header<'h>(
    headers: &'h [(String, Vec<u8>)],
    field: &str,
    decoder: &dyn PayloadDecoder,
) -> Option<&'h [u8]> {
    if !decoder.reads_schema_headers() {
        return None;
    }
    let name = if field == "key" {
        framing::KEY_SCHEMA_ID_HEADER
    } else {
        framing::VALUE_SCHEMA_ID_HEADER
    };
    headers
        .iter()
        .rev()
        .find(|(n, _)| n == name)
        .map(|(_, value)| value.as_slice())
}

/// Decodes a key or value: with the configured `decoder` (told the schema a Confluent
/// schema-id header names, when there is one), or, when the event source mapping's schema
/// registry left its `metadata`, as that says.
fn decode_payload(
    field: &'static str,
    raw: Option<Value>,
    (metadata, header): (Option<&Value>, Option<&[u8]>),
    decoder: &dyn PayloadDecoder,
    decoders: &Decoders,
) -> Result<Option<JsonText>, DecodeError> {
    let encoded = match raw {
        None => return Ok(None),
        Some(Value::String(s)) => s,
        Some(other) => return Err(wrong_type(field, "a base64 string", &other)),
    };
    let bytes = BASE64_LENIENT
        .decode(encoded.as_bytes())
        .map_err(|source| DecodeError::Base64 { field, source })?;
    let decoded = match (metadata, header) {
        (None, None) => decoder.decode(bytes),
        (None, Some(header)) => decoder.decode_with_schema_header(bytes, header),
        (Some(metadata), _) => by_metadata(field, bytes, metadata, decoders)?,
    };
    decoded.map(Some).map_err(|source| match source {
        PayloadError::Utf8(format) => DecodeError::NotText {
            field,
            format,
            variable: if field == "key" {
                crate::vars::KEY_FORMAT
            } else {
                crate::vars::VALUE_FORMAT
            },
        },
        source => DecodeError::Payload { field, source },
    })
}

/// Reads a payload that carries the event source mapping's schema metadata: JSON as the
/// mapping delivered it (`EventRecordFormat: JSON`), or the producer's bytes (`SOURCE`) decoded
/// with the schema the metadata names. A malformed metadata object is a record error.
fn by_metadata(
    field: &'static str,
    bytes: Vec<u8>,
    metadata: &Value,
    decoders: &Decoders,
) -> Result<Result<JsonText, PayloadError>, DecodeError> {
    match decoders.esm_format {
        EsmRecordFormat::Json => return Ok(PayloadFormat::Json.decode(bytes)),
        EsmRecordFormat::Auto if is_json_text(&bytes) => {
            return Ok(PayloadFormat::Json.decode(bytes));
        }
        EsmRecordFormat::Auto | EsmRecordFormat::Source => {}
    }
    Ok(match schema_metadata(field, metadata)? {
        EsmSchema::Json => PayloadFormat::Json.decode(bytes),
        EsmSchema::Registry(id, kind) => match &decoders.schemas {
            Some(schemas) => schemas.decode(id, &bytes, Some(kind)),
            None => Err(PayloadError::NoRegistry(match kind {
                SchemaKind::Protobuf => "Protobuf",
                SchemaKind::Avro | SchemaKind::Json => "Avro",
            })),
        },
        EsmSchema::Unsupported(what) => Err(PayloadError::Unsupported(what)),
    })
}

fn decode_headers(raw: WireHeaders) -> Result<Vec<(String, Vec<u8>)>, DecodeError> {
    match raw {
        WireHeaders::Absent => Ok(Vec::new()),
        WireHeaders::Headers(headers) => Ok(headers),
        WireHeaders::WrongType(found) => Err(DecodeError::WrongType {
            field: "headers",
            expected: "an array",
            found,
        }),
        WireHeaders::BadHeader(index) => Err(DecodeError::Header { index }),
    }
}

fn wrong_type(field: &'static str, expected: &'static str, found: &Value) -> DecodeError {
    DecodeError::WrongType {
        field,
        expected,
        found: json_type(found),
    }
}

#[cfg(test)]
mod tests;
