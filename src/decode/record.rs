//! What decoding produces: a record's identity and coordinates, the decoded record, and why a
//! record (or the whole event) could not be decoded.

use std::sync::Arc;

use super::payload::PayloadError;
use crate::json::JsonText;

/// The event itself cannot be processed; the whole invocation fails, so that the event source
/// mapping retries it, and no record is lost.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum EventError {
    /// `records` is absent or not a map.
    #[error(
        "the event has no `records` map ({0}); is the function triggered by a Kafka event source mapping?"
    )]
    NoRecords(&'static str),
    /// `eventSource` names another kind of trigger.
    #[error("unsupported eventSource {0:?}: expected \"aws:kafka\" or \"SelfManagedKafka\"")]
    UnsupportedSource(String),
    /// A record has no usable offset, so it could not be reported in `batchItemFailures`.
    #[error(
        "record #{index} of {partition_key:?} has no integer `offset`, so it cannot be reported; failing the whole batch"
    )]
    NoOffset {
        /// The records-map key.
        partition_key: String,
        /// The record's position in its partition's array.
        index: usize,
    },
}

/// Identifies a record in the partial batch response and in logs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordRef {
    /// The records-map key, `"<topic>-<partition>"`.
    pub partition_key: Arc<str>,
    /// The record's offset.
    pub offset: i64,
}

/// The kind of a record's timestamp.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(
    clippy::enum_variant_names,
    reason = "Kafka's own names: NO_TIMESTAMP_TYPE"
)]
pub enum TimestampType {
    /// `CREATE_TIME`.
    CreateTime,
    /// `LOG_APPEND_TIME`.
    LogAppendTime,
    /// Anything else, or no timestamp.
    NoTimestampType,
}

impl TimestampType {
    /// The Kafka display name the connector puts in the detail.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::CreateTime => "CreateTime",
            Self::LogAppendTime => "LogAppendTime",
            Self::NoTimestampType => "NoTimestampType",
        }
    }
}

/// A record, decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodedRecord {
    /// The topic (shared by the records of a partition).
    pub topic: Arc<str>,
    /// The partition number.
    pub partition: i64,
    /// The offset.
    pub offset: i64,
    /// Epoch milliseconds; `None` when the record has none (or a negative one).
    pub timestamp: Option<i64>,
    /// The timestamp's kind; `NoTimestampType` whenever `timestamp` is `None`.
    pub timestamp_type: TimestampType,
    /// Header names and raw values, in record order, duplicates kept.
    pub headers: Vec<(String, Vec<u8>)>,
    /// The key as JSON; `None` for a null key.
    pub key: Option<JsonText>,
    /// The value as JSON; `None` for a tombstone.
    pub value: Option<JsonText>,
}

#[cfg(test)]
impl DecodedRecord {
    /// A record for tests: of `topic`, partition 0, offset 5, a `CreateTime` timestamp, the
    /// text `headers`, no key, and the JSON `value` (`None`: a tombstone).
    pub(crate) fn sample(topic: &str, headers: &[(&str, &str)], value: Option<&str>) -> Self {
        use super::payload::{PayloadDecoder as _, PayloadFormat};
        Self {
            topic: topic.into(),
            partition: 0,
            offset: 5,
            timestamp: Some(1_684_841_916_831),
            timestamp_type: TimestampType::CreateTime,
            headers: headers
                .iter()
                .map(|(n, v)| ((*n).to_owned(), v.as_bytes().to_vec()))
                .collect(),
            key: None,
            value: value.map(|v| {
                PayloadFormat::Json
                    .decode(v.as_bytes().to_vec())
                    .expect("a test value is JSON")
            }),
        }
    }
}

/// Why one record could not be decoded.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    /// A field has the wrong JSON type.
    #[error("field `{field}` is {found}, expected {expected}")]
    WrongType {
        /// The field.
        field: &'static str,
        /// The type expected.
        expected: &'static str,
        /// The type found.
        found: &'static str,
    },
    /// Neither the record nor its records-map key gives a topic and partition.
    #[error("the record has no topic or partition")]
    NoTopic,
    /// The key or value is not valid base64.
    #[error("`{field}` is not valid base64")]
    Base64 {
        /// `key` or `value`.
        field: &'static str,
        /// The decoding error.
        #[source]
        source: base64::DecodeError,
    },
    /// A header is not `{"name": [byte, …]}` with bytes in -128..=255.
    #[error("header #{index} is not a name with an array of bytes in -128..=255")]
    Header {
        /// The header's position.
        index: usize,
    },
    /// The key or value is binary, and the configured format reads text.
    #[error(
        "{field} is not valid UTF-8, so format {format} cannot read it; for binary data set {variable} to bytes (base64) or auto"
    )]
    NotText {
        /// `key` or `value`.
        field: &'static str,
        /// The configured format.
        format: &'static str,
        /// The variable that sets it.
        variable: &'static str,
    },
    /// The key or value does not convert with the configured format.
    #[error("{field} {source}")]
    Payload {
        /// `key` or `value`.
        field: &'static str,
        /// What is wrong with it.
        #[source]
        source: PayloadError,
    },
}

impl DecodeError {
    /// Whether a later invocation may decode the record: its schema could not be fetched for a
    /// reason that may pass (the registry unreachable, throttled or failing). Every other decode
    /// failure is the record's own, for good.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            Self::Payload {
                source: PayloadError::SchemaUnavailable {
                    transient: true,
                    ..
                },
                ..
            }
        )
    }
}

/// A record as the report needs it: its identity, and its coordinates for logs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordInfo {
    /// Its identity in the partial batch response.
    pub id: RecordRef,
    /// Its topic, as far as it is known.
    pub topic: Option<Arc<str>>,
    /// Its partition number, as far as it is known.
    pub partition: Option<i64>,
}

/// One record of the event: where it is, and what it decoded to.
#[derive(Debug)]
#[cfg_attr(not(feature = "internals"), allow(unreachable_pub))]
pub struct Decoded {
    /// Where it is.
    pub info: RecordInfo,
    /// The record, or why it could not be decoded.
    pub result: Result<DecodedRecord, DecodeError>,
}
