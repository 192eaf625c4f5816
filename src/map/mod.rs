//! Stage 2: map.
//!
//! Turns a [`DecodedRecord`] into an [`EventEntry`] exactly as the eventbridge-kafka-connector
//! does: `Source` = `kafka-connect.<connector id>`, the configured `Resources`, a detail-type
//! from the configured rule, an optional `Time`, and the detail
//! `{"topic","partition","offset","timestamp","timestampType","headers","key","value"}` in that
//! order, compact. Pure: no I/O.

use std::collections::HashMap;
use std::fmt;
use std::fmt::Write as _;
use std::io::Write as _;
use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;

use crate::decode::DecodedRecord;
use crate::path::DefinitePath;

mod from_record;
#[cfg(test)]
mod from_record_tests;

/// EventBridge rejects a `DetailType` longer than this many characters (PutEventsRequestEntry,
/// <https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEventsRequestEntry.html>).
pub(crate) const MAX_DETAIL_TYPE_CHARS: usize = 128;

/// The members of the connector's detail, in its order: what a filter pattern may name under
/// `detail`.
pub(crate) const DETAIL_MEMBERS: [&str; 8] = [
    "topic",
    "partition",
    "offset",
    "timestamp",
    "timestampType",
    "headers",
    "key",
    "value",
];

/// The placeholder a detail-type template replaces with the record's topic.
const TOPIC_PLACEHOLDER: &str = "${topic}";

/// One event, ready to be sized, batched and sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventEntry {
    /// `Source`.
    pub source: Arc<str>,
    /// `DetailType`.
    pub detail_type: String,
    /// `Detail`: compact JSON text of an object.
    pub detail: String,
    /// `Resources`.
    pub resources: Arc<[String]>,
    /// `Time`, in epoch milliseconds; `None` leaves it unset.
    pub time_ms: Option<i64>,
    /// `TraceHeader`: the invocation's X-Ray trace header, shared by its entries; `None` leaves
    /// it unset.
    pub trace_header: Option<Arc<str>>,
    /// `SystemMetadata.EventGroupId` (Custom Event Bus only): events of one group are sent in
    /// order; `None` leaves it unset.
    pub event_group_id: Option<String>,
    /// `SystemMetadata.DeduplicationId` (Custom Event Bus only); `None` leaves it unset.
    pub deduplication_id: Option<String>,
}

/// Why a record could not be mapped to an event.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum MapError {
    /// The detail-type rule produced a value EventBridge does not accept.
    #[error(
        "the detail-type is {chars} characters long; EventBridge accepts 1 to {MAX_DETAIL_TYPE_CHARS}"
    )]
    DetailType {
        /// Its length in characters.
        chars: usize,
    },
}

/// How the detail-type of an event is chosen.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DetailTypeRule {
    /// One value; every `${topic}` in it is replaced by the record's topic (a value without the
    /// placeholder is a static detail-type).
    Template(String),
    /// `topic:Type` pairs; a topic that is not listed gets `kafka-connect-<topic>`.
    PerTopic(HashMap<String, String>),
    /// The string found at a definite JSONPath into the record value; the bare topic otherwise.
    JsonPath(DefinitePath),
    /// The UTF-8 text of the record's last header of this name, when it is not blank;
    /// otherwise the detail-type the `fallback` rule gives the record.
    Header {
        /// The header's name.
        name: String,
        /// The rule of a record without a usable header (the topic's detail-type).
        fallback: Box<DetailTypeRule>,
    },
    /// The CloudEvent's `type`: the value's `type` in structured mode (`content-type:
    /// application/cloudevents+json`), else the `ce_type` header (binary mode); otherwise the
    /// detail-type the `fallback` rule gives the record.
    CloudEvents {
        /// The rule of a record without a usable `type` (the topic's detail-type).
        fallback: Box<DetailTypeRule>,
    },
}

/// How the `Time` of an event is chosen. The rules that read the record (a header, a field,
/// CloudEvents) take an RFC 3339 date-time or a whole number of epoch milliseconds, within years
/// 1 to 9999; from anything else the event gets no `Time` (EventBridge stamps the call's), and
/// the record is counted (`RecordsTimeUnset`), not failed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TimeRule {
    /// `Time` is left unset: EventBridge stamps the time of the PutEvents call.
    None,
    /// `Time` is the record's timestamp when it has one.
    RecordTimestamp,
    /// The text of the record's last header of this name.
    Header(String),
    /// The string or number at a definite JSONPath into the record value.
    JsonPath(DefinitePath),
    /// The CloudEvent's `time`: the value's `time` in structured mode, else the `ce_time`
    /// header.
    CloudEvents,
}

/// Chooses the detail-type of a record's event: the connector's `DetailTypeMapper` extension
/// point. The built-in rules ([`DetailTypeRule`]) implement it; a function built on the library
/// can bring its own through [`PipelineBuilder::detail_type`](crate::PipelineBuilder::detail_type).
///
/// EventBridge accepts 1 to 128 characters. A record whose detail-type is outside that range
/// fails alone, reported with [`MapError::DetailType`]; the rest of the batch goes on.
///
/// ```
/// use kafka_eventbridge_lambda::{DecodedRecord, DetailTypeMapper};
///
/// /// `orders.created` for a record of the topic `orders` with the header `kind: created`.
/// #[derive(Debug)]
/// struct ByKind;
///
/// impl DetailTypeMapper for ByKind {
///     fn detail_type(&self, record: &DecodedRecord) -> String {
///         let kind = record.headers.iter().find(|(name, _)| name == "kind");
///         match kind.and_then(|(_, v)| std::str::from_utf8(v).ok()) {
///             Some(kind) => format!("{}.{kind}", record.topic),
///             None => record.topic.to_string(),
///         }
///     }
/// }
/// ```
pub trait DetailTypeMapper: fmt::Debug + Send + Sync {
    /// The detail-type of `record`'s event.
    fn detail_type(&self, record: &DecodedRecord) -> String;
}

/// Chooses the `Time` of a record's event: the connector's `TimeMapper` extension point. The
/// built-in rules (`TimeRule`) implement it; a function built on the library can bring its
/// own through [`PipelineBuilder::time`](crate::PipelineBuilder::time).
pub trait TimeMapper: fmt::Debug + Send + Sync {
    /// The event's `Time` in epoch milliseconds, or `None` to leave it unset (EventBridge then
    /// stamps the time of the `PutEvents` call).
    fn time_ms(&self, record: &DecodedRecord) -> Option<i64>;

    /// Whether the time is meant to come from each record, so that a record without one is
    /// counted (`RecordsTimeUnset`). `false` by default.
    fn reads_record(&self) -> bool {
        false
    }
}

impl DetailTypeMapper for DetailTypeRule {
    fn detail_type(&self, record: &DecodedRecord) -> String {
        match self {
            Self::Template(t) => t.replace(TOPIC_PLACEHOLDER, &record.topic),
            Self::PerTopic(map) => match map.get(&*record.topic) {
                Some(t) => t.clone(),
                None => format!("kafka-connect-{}", record.topic),
            },
            Self::JsonPath(path) => {
                from_record::value_string(record, path).unwrap_or_else(|| record.topic.to_string())
            }
            Self::Header { name, fallback } => from_record::header_text(record, name)
                .map_or_else(|| fallback.detail_type(record), str::to_owned),
            Self::CloudEvents { fallback } => from_record::cloudevent_attribute(record, "type")
                .unwrap_or_else(|| fallback.detail_type(record)),
        }
    }
}

impl TimeMapper for TimeRule {
    fn time_ms(&self, record: &DecodedRecord) -> Option<i64> {
        match self {
            Self::None => None,
            Self::RecordTimestamp => record.timestamp,
            Self::Header(name) => {
                from_record::header_text(record, name).and_then(from_record::parse_time)
            }
            Self::JsonPath(path) => from_record::value_time(record, path),
            Self::CloudEvents => from_record::cloudevent_attribute(record, "time")
                .and_then(|text| from_record::parse_time(&text)),
        }
    }

    fn reads_record(&self) -> bool {
        matches!(
            self,
            Self::Header(_) | Self::JsonPath(_) | Self::CloudEvents
        )
    }
}

/// Maps decoded records to entries; built once from the configuration.
#[derive(Debug, Clone)]
pub struct Mapper {
    source: Arc<str>,
    resources: Arc<[String]>,
    detail_type: Arc<dyn DetailTypeMapper>,
    time: Arc<dyn TimeMapper>,
    system: Option<SystemMetadataRule>,
}

/// An `EventGroupId` or `DeduplicationId` is 1 to 128 characters (`PutEventsSystemMetadata`,
/// Amazon EventBridge Custom Event Bus API Reference).
pub(crate) const MAX_SYSTEM_ID_CHARS: usize = 128;

/// How the Custom Event Bus's `SystemMetadata` of an event is chosen: its event group and its
/// deduplication id.
#[derive(Debug, Clone)]
pub struct SystemMetadataRule {
    ordering: Ordering,
    connector_id: Arc<str>,
}

impl SystemMetadataRule {
    /// The rule of `ordering`; `connector_id` prefixes offset deduplication ids.
    pub fn new(ordering: Ordering, connector_id: &str) -> Self {
        Self {
            ordering,
            connector_id: Arc::from(connector_id),
        }
    }

    /// `EventGroupId`: `<topic>-<partition>`, the key as text (its JSON string value, or its
    /// JSON text when it is not a string; a null or empty key falls back to the partition), or
    /// none. Longer than 128 characters, it is replaced by [`digest_id`].
    pub fn event_group_id(&self, record: &DecodedRecord) -> Option<String> {
        let partition = || format!("{}-{}", record.topic, record.partition);
        let id = match self.ordering.event_group {
            EventGroup::None => return None,
            EventGroup::Partition => partition(),
            EventGroup::Key => record
                .key
                .as_ref()
                .map(|k| match serde_json::from_str::<String>(k.as_str()) {
                    Ok(text) => text,
                    Err(_) => k.as_str().to_owned(),
                })
                .filter(|k| !k.is_empty())
                .unwrap_or_else(partition),
        };
        Some(bounded(id))
    }

    /// `DeduplicationId`: `<connector id>:<topic>:<partition>:<offset>` in `offset` mode
    /// ([`digest_id`] when longer than 128 characters), else none (`content` deduplicates by
    /// the request's `DeduplicationConfiguration`).
    pub fn deduplication_id(&self, record: &DecodedRecord) -> Option<String> {
        (self.ordering.deduplication == Deduplication::Offset).then(|| {
            bounded(format!(
                "{}:{}:{}:{}",
                self.connector_id, record.topic, record.partition, record.offset
            ))
        })
    }
}

/// `id` itself when it has at most 128 characters, else [`digest_id`] of it.
fn bounded(id: String) -> String {
    if id.chars().count() <= MAX_SYSTEM_ID_CHARS {
        id
    } else {
        digest_id(&id)
    }
}

/// The stable stand-in for an id too long for the Custom Event Bus: `sha256:` and the
/// lowercase hex SHA-256 of its UTF-8 bytes (71 characters). Equal ids give equal digests, so
/// grouping and deduplication still hold.
pub(crate) fn digest_id(id: &str) -> String {
    use sha2::Digest as _;
    let digest = sha2::Sha256::digest(id.as_bytes());
    let mut out = String::with_capacity(7 + 64);
    out.push_str("sha256:");
    for byte in digest.iter() {
        write!(out, "{byte:02x}").expect("writing to a String cannot fail");
    }
    out
}

impl Mapper {
    /// A mapper that gives every event `source` and `resources`, and chooses detail-types and
    /// times with the given mappers (the built-in rules, or plug-ins).
    pub fn new(
        source: &str,
        resources: &[String],
        detail_type: impl DetailTypeMapper + 'static,
        time: impl TimeMapper + 'static,
    ) -> Self {
        Self {
            source: Arc::from(source),
            resources: Arc::from(resources),
            detail_type: Arc::new(detail_type),
            time: Arc::new(time),
            system: None,
        }
    }

    /// This mapper with the Custom Event Bus's event groups and deduplication ids.
    #[must_use]
    pub fn with_system_metadata(mut self, rule: SystemMetadataRule) -> Self {
        self.system = Some(rule);
        self
    }

    /// This mapper with another detail-type mapper.
    #[must_use]
    pub fn with_detail_type(mut self, detail_type: Arc<dyn DetailTypeMapper>) -> Self {
        self.detail_type = detail_type;
        self
    }

    /// Whether the time mapper reads each record (a record without a time is then counted).
    pub fn time_from_record(&self) -> bool {
        self.time.reads_record()
    }

    /// This mapper with another time mapper.
    #[must_use]
    pub fn with_time(mut self, time: Arc<dyn TimeMapper>) -> Self {
        self.time = time;
        self
    }

    /// Maps one record; fails when the detail-type mapper's answer is not one EventBridge
    /// accepts.
    pub fn map(&self, record: &DecodedRecord) -> Result<EventEntry, MapError> {
        let detail_type = self.detail_type.detail_type(record);
        let chars = detail_type.chars().count();
        if chars == 0 || chars > MAX_DETAIL_TYPE_CHARS {
            return Err(MapError::DetailType { chars });
        }
        Ok(EventEntry {
            source: Arc::clone(&self.source),
            detail_type,
            detail: detail(record),
            resources: Arc::clone(&self.resources),
            time_ms: self.time.time_ms(record),
            trace_header: None,
            event_group_id: self.system.as_ref().and_then(|s| s.event_group_id(record)),
            deduplication_id: self
                .system
                .as_ref()
                .and_then(|s| s.deduplication_id(record)),
        })
    }
}

/// What the detail says of the record value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ValuePart<'a> {
    /// `"value"` is the record value (JSON `null` for a tombstone).
    Whole,
    /// `"value"` is this JSON text (the value with an offloaded part removed).
    Remaining(&'a str),
    /// There is no `"value"` member (the whole value was offloaded).
    Omitted,
}

/// Where an offloaded part of the detail went: appended as `"dataref"` and `"datarefJsonPath"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct DataRef<'a> {
    /// `arn:<partition>:s3:::<bucket>/<key>`.
    pub arn: &'a str,
    /// The JSONPath of the offloaded part, as configured.
    pub json_path: &'a str,
}

/// The connector's detail document, compact, keys in the connector's order.
pub(crate) fn detail(record: &DecodedRecord) -> String {
    detail_with(record, ValuePart::Whole, None)
}

/// The detail document with the value replaced or left out, and a claim-check reference
/// appended after the other members.
///
/// Over 60 lines by design, a named exception: it writes the connector's document member by
/// member, in the connector's order, straight into one buffer (no intermediate tree), and that
/// order is easiest to check against the connector when it reads top to bottom in one place.
pub(crate) fn detail_with(
    record: &DecodedRecord,
    value: ValuePart<'_>,
    data_ref: Option<DataRef<'_>>,
) -> String {
    let value_text = match value {
        ValuePart::Whole => Some(record.value.as_ref().map_or("null", |v| v.as_str())),
        ValuePart::Remaining(text) => Some(text),
        ValuePart::Omitted => None,
    };
    let payload = record.key.as_ref().map_or(4, |k| k.len()) + value_text.map_or(0, str::len);
    let mut out =
        Vec::with_capacity(192 + record.topic.len() + payload + 32 * record.headers.len());
    let write_str = |out: &mut Vec<u8>, s: &str| {
        serde_json::to_writer(out, s).expect("writing a str to a Vec cannot fail");
    };
    out.extend_from_slice(b"{\"topic\":");
    write_str(&mut out, &record.topic);
    write!(
        out,
        ",\"partition\":{},\"offset\":{},\"timestamp\":",
        record.partition, record.offset
    )
    .expect("writing to a Vec cannot fail");
    match record.timestamp {
        Some(t) => write!(out, "{t}").expect("writing to a Vec cannot fail"),
        None => out.extend_from_slice(b"null"),
    }
    out.extend_from_slice(b",\"timestampType\":\"");
    out.extend_from_slice(record.timestamp_type.as_str().as_bytes());
    out.extend_from_slice(b"\",\"headers\":[");
    for (i, (name, value)) in record.headers.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.push(b'{');
        write_str(&mut out, name);
        out.push(b':');
        write_str(&mut out, &header_value(value));
        out.push(b'}');
    }
    out.extend_from_slice(b"],\"key\":");
    out.extend_from_slice(
        record
            .key
            .as_ref()
            .map_or("null", |k| k.as_str())
            .as_bytes(),
    );
    if let Some(value) = value_text {
        out.extend_from_slice(b",\"value\":");
        out.extend_from_slice(value.as_bytes());
    }
    if let Some(r) = data_ref {
        out.extend_from_slice(b",\"dataref\":");
        write_str(&mut out, r.arn);
        out.extend_from_slice(b",\"datarefJsonPath\":");
        write_str(&mut out, r.json_path);
    }
    out.push(b'}');
    String::from_utf8(out).expect("the detail is assembled from UTF-8 parts")
}

/// A header's value as the detail carries it: its UTF-8 text, or base64 when it is not UTF-8.
pub(crate) fn header_value(value: &[u8]) -> std::borrow::Cow<'_, str> {
    match std::str::from_utf8(value) {
        Ok(text) => std::borrow::Cow::Borrowed(text),
        Err(_) => std::borrow::Cow::Owned(BASE64.encode(value)),
    }
}

/// What the `EventGroupId` of an event on a Custom Event Bus is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventGroup {
    /// `<topic>-<partition>`: the Kafka partition's order is kept.
    Partition,
    /// The record key as text (a record with a null key falls back to the partition).
    Key,
    /// No event group: no order.
    None,
}

/// How redeliveries are deduplicated on a Custom Event Bus.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deduplication {
    /// `DeduplicationId` = `<connector id>:<topic>:<partition>:<offset>`.
    Offset,
    /// The request's `DeduplicationConfiguration` is `CONTENT_BASED`; no per-entry id.
    Content,
    /// No deduplication.
    None,
}

/// The ordering and deduplication settings of a Custom Event Bus.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ordering {
    /// `AWS_EVENTBRIDGE_EVENT_GROUP`.
    pub event_group: EventGroup,
    /// `AWS_EVENTBRIDGE_DEDUPLICATION`.
    pub deduplication: Deduplication,
}

#[cfg(test)]
mod tests;
