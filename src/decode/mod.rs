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

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use crate::avro::AvroError;
use crate::protobuf::ProtoError;
use crate::registry::{RegistryDecoder, RegistryFormat, SchemaId, SchemaKind, Schemas};

/// `eventSource` of an Amazon MSK event source mapping.
pub(crate) const EVENT_SOURCE_MSK: &str = "aws:kafka";
/// `eventSource` of a self-managed Kafka event source mapping.
pub(crate) const EVENT_SOURCE_SELF_MANAGED: &str = "SelfManagedKafka";
/// The same, as older AWS documentation and some libraries' sample events spell it.
pub(crate) const EVENT_SOURCE_SELF_MANAGED_ALIAS: &str = "aws:SelfManagedKafka";

/// Base64 as the event source mapping writes it (standard alphabet, padded), read as leniently
/// as the JDK and Python decoders: the unused bits of the last character may be non-zero (the
/// AWS console's sample MSK event has such a key), and padding may be absent.
const BASE64_LENIENT: base64::engine::GeneralPurpose = base64::engine::GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    base64::engine::GeneralPurposeConfig::new()
        .with_decode_allow_trailing_bits(true)
        .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
);

/// The event a Kafka event source mapping invokes the function with.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KafkaEvent {
    /// `aws:kafka` or `SelfManagedKafka` (also read as `aws:SelfManagedKafka`).
    #[serde(default)]
    pub event_source: Option<String>,
    /// The MSK cluster ARN (MSK only).
    #[serde(default)]
    pub event_source_arn: Option<String>,
    /// The records, by `"<topic>-<partition>"`, in the order the event lists them.
    #[serde(default)]
    pub records: Records,
}

/// The `records` member of the event.
#[derive(Debug, Default)]
pub enum Records {
    /// There is no `records` member.
    #[default]
    Missing,
    /// `records` is not a map; the JSON type found.
    NotAMap(&'static str),
    /// The partitions, in the order the event lists them.
    Partitions(Vec<PartitionRecords>),
}

/// The records of one `"<topic>-<partition>"` key.
#[derive(Debug)]
pub struct PartitionRecords {
    /// The key, echoed back in `itemIdentifier.partition`.
    pub key: String,
    /// The records, in offset order.
    pub records: Vec<WireRecord>,
}

/// One record as it arrives. Every field is kept as JSON so that a wrong type becomes a record
/// error rather than an invocation error; `null` and absent are the same.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct WireRecord {
    /// The topic.
    pub topic: Option<Value>,
    /// The partition number.
    pub partition: Option<Value>,
    /// The offset.
    pub offset: Option<Value>,
    /// Epoch milliseconds.
    pub timestamp: Option<Value>,
    /// `CREATE_TIME` or `LOG_APPEND_TIME`.
    pub timestamp_type: Option<Value>,
    /// Base64 key; absent for a null key.
    pub key: Option<Value>,
    /// Base64 value; null or absent for a tombstone.
    pub value: Option<Value>,
    /// `[{"name": [byte, …]}, …]`.
    pub headers: WireHeaders,
    /// `{"dataFormat": "AVRO"|"PROTOBUF"|"JSON", "schemaId": "…"}`: present when the event
    /// source mapping has a schema registry (the key was decoded to JSON, or, with
    /// `EventRecordFormat: SOURCE`, left as the producer's bytes without the registry header).
    pub key_schema_metadata: Option<Value>,
    /// The same, for the value.
    pub value_schema_metadata: Option<Value>,
}

/// Implements `Deserialize` for `$ty` through `deserialize_any`, with a visitor that expects
/// `$expecting` and has the visit methods given: the one shape of the lenient wire types.
macro_rules! deserialize_any {
    ($ty:ident, $expecting:literal, { $($methods:tt)* }) => {
        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                struct AnyVisitor;
                impl<'de> Visitor<'de> for AnyVisitor {
                    type Value = $ty;
                    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                        f.write_str($expecting)
                    }
                    $($methods)*
                }
                deserializer.deserialize_any(AnyVisitor)
            }
        }
    };
}

/// Implements the visit methods of a lenient visitor that maps every JSON type it does not
/// handle itself to `$value`, consuming containers.
macro_rules! otherwise {
    (scalars => $value:expr) => {
        otherwise!(bool => $value);
        otherwise!(float => $value);
        otherwise!(str => $value);
        otherwise!(unit => $value);
    };
    (bool => $value:expr) => {
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
            Ok($value)
        }
    };
    (float => $value:expr) => {
        fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
            Ok($value)
        }
    };
    (str => $value:expr) => {
        fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
            Ok($value)
        }
    };
    (unit => $value:expr) => {
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok($value)
        }
    };
    (integers => $value:expr) => {
        fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
            Ok($value)
        }
    };
    (seq => $value:expr) => {
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            Ok($value)
        }
    };
    (map => $value:expr) => {
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
            Ok($value)
        }
    };
}

deserialize_any!(
    Records,
    "a map of \"<topic>-<partition>\" to arrays of records",
    {
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Records, A::Error> {
            let mut partitions = Vec::with_capacity(map.size_hint().unwrap_or(4));
            while let Some(key) = map.next_key::<String>()? {
                let records = map.next_value::<Vec<WireRecord>>()?;
                partitions.push(PartitionRecords { key, records });
            }
            Ok(Records::Partitions(partitions))
        }

        fn visit_none<E: de::Error>(self) -> Result<Records, E> {
            Ok(Records::NotAMap("null"))
        }

        otherwise!(unit => Records::NotAMap("null"));
        otherwise!(seq => Records::NotAMap("an array"));
        otherwise!(bool => Records::NotAMap("a boolean"));
        otherwise!(integers => Records::NotAMap("a number"));
        otherwise!(float => Records::NotAMap("a number"));
        otherwise!(str => Records::NotAMap("a string"));
    }
);

/// The `headers` member of a record, read without building a JSON tree. A wrong shape is kept
/// as a record error rather than failing the whole event.
#[derive(Debug, Default)]
pub enum WireHeaders {
    /// Absent or `null`: no headers.
    #[default]
    Absent,
    /// Names and raw values in record order (an object with several names gives several
    /// headers, in document order).
    Headers(Vec<(String, Vec<u8>)>),
    /// Not an array; the JSON type found.
    WrongType(&'static str),
    /// The element at this index is not `{"name": [byte, …]}` with bytes in -128..=255.
    BadHeader(usize),
}

deserialize_any!(WireHeaders, "an array of headers", {
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<WireHeaders, A::Error> {
        let mut headers = Vec::with_capacity(seq.size_hint().unwrap_or(2));
        let mut bad = None;
        let mut index = 0;
        while let Some(header) = seq.next_element::<WireHeader>()? {
            match header.0 {
                Some(mut list) if bad.is_none() => headers.append(&mut list),
                Some(_) => {}
                None => {
                    bad.get_or_insert(index);
                }
            }
            index += 1;
        }
        Ok(bad.map_or(WireHeaders::Headers(headers), WireHeaders::BadHeader))
    }
    fn visit_unit<E: de::Error>(self) -> Result<WireHeaders, E> {
        Ok(WireHeaders::Absent)
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<WireHeaders, E> {
        Ok(WireHeaders::WrongType("a boolean"))
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<WireHeaders, E> {
        Ok(WireHeaders::WrongType("a number"))
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<WireHeaders, E> {
        Ok(WireHeaders::WrongType("a string"))
    }
    otherwise!(integers => WireHeaders::WrongType("a number"));
    otherwise!(map => WireHeaders::WrongType("an object"));
});

/// One element of `headers`: its headers, or `None` when it is not `{"name": [byte, …]}`.
struct WireHeader(Option<Vec<(String, Vec<u8>)>>);

deserialize_any!(WireHeader, "a header object", {
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<WireHeader, A::Error> {
        let mut list = Vec::with_capacity(1);
        let mut bad = false;
        while let Some(name) = map.next_key::<String>()? {
            match map.next_value::<HeaderBytes>()?.0 {
                Some(bytes) => list.push((name, bytes)),
                None => bad = true,
            }
        }
        Ok(WireHeader((!bad).then_some(list)))
    }
    otherwise!(scalars => WireHeader(None));
    otherwise!(integers => WireHeader(None));
    otherwise!(seq => WireHeader(None));
});

/// A header value: its bytes, or `None` when it is not an array of numbers in -128..=255.
struct HeaderBytes(Option<Vec<u8>>);

deserialize_any!(HeaderBytes, "an array of bytes", {
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<HeaderBytes, A::Error> {
        let mut bytes = Vec::with_capacity(seq.size_hint().unwrap_or(16));
        let mut bad = false;
        while let Some(byte) = seq.next_element::<HeaderByte>()? {
            match byte.0 {
                Some(b) => bytes.push(b),
                None => bad = true,
            }
        }
        Ok(HeaderBytes((!bad).then_some(bytes)))
    }
    otherwise!(scalars => HeaderBytes(None));
    otherwise!(integers => HeaderBytes(None));
    otherwise!(map => HeaderBytes(None));
});

/// One header byte: -128..=-1 are Java's signed bytes 0x80..=0xFF; 0..=255 is accepted too.
struct HeaderByte(Option<u8>);

deserialize_any!(HeaderByte, "a byte", {
    fn visit_i64<E: de::Error>(self, n: i64) -> Result<HeaderByte, E> {
        Ok(HeaderByte(
            (-128..=255).contains(&n).then(|| n.to_le_bytes()[0]),
        ))
    }
    fn visit_u64<E: de::Error>(self, n: u64) -> Result<HeaderByte, E> {
        Ok(HeaderByte(u8::try_from(n).ok()))
    }
    otherwise!(scalars => HeaderByte(None));
    otherwise!(seq => HeaderByte(None));
    otherwise!(map => HeaderByte(None));
});

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

/// Compact, valid JSON text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonText(String);

impl JsonText {
    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Text that a renderer of this crate wrote as compact JSON within EventBridge's rules
    /// (nesting at most [`MAX_JSON_DEPTH`], integers within 64 bits), so not checked again.
    pub(crate) fn rendered(text: String) -> Self {
        Self(text)
    }

    /// The length of the text in bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the text is empty (never, for valid JSON).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
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

/// Why key or value bytes do not convert to JSON.
#[derive(Debug, thiserror::Error)]
pub enum PayloadError {
    /// Not UTF-8 (formats `string` and `json`).
    #[error("is not valid UTF-8 (format {0})")]
    Utf8(&'static str),
    /// Not JSON (format `json`).
    #[error("is not valid JSON: {0}")]
    Json(#[source] serde_json::Error),
    /// JSON nested deeper than this function parses.
    #[error("is JSON nested deeper than {MAX_JSON_DEPTH} levels")]
    TooDeep,
    /// JSON with an integer EventBridge does not accept.
    #[error("is JSON with an integer outside EventBridge's 64-bit range")]
    IntegerRange,
    /// The bytes do not carry a schema registry's framing (formats `avro`, `json-schema`,
    /// `registry`).
    #[error("is not registry-framed: it {0}")]
    Framing(String),
    /// The schema the bytes name could not be fetched or used.
    #[error("names {id}, which is not available: {reason}")]
    SchemaUnavailable {
        /// The schema.
        id: SchemaId,
        /// Why it is not available (the registry's error).
        reason: String,
        /// Whether a later invocation may find it (the registry was unreachable or failing),
        /// so that an ordered bus holds the rest of the record's group.
        transient: bool,
    },
    /// The bytes are not an Avro datum of the schema they name.
    #[error("({id}) {source}")]
    Avro {
        /// The schema.
        id: SchemaId,
        /// What is wrong.
        #[source]
        source: AvroError,
    },
    /// The bytes are not a Protobuf message of the schema they name.
    #[error("({id}) {source}")]
    Protobuf {
        /// The schema.
        id: SchemaId,
        /// What is wrong.
        #[source]
        source: ProtoError,
    },
    /// The schema is of another kind than the format reads.
    #[error(
        "names {id}, of kind {found}, and the format reads {expected} (set registry to read any)"
    )]
    WrongKind {
        /// The schema.
        id: SchemaId,
        /// Its kind.
        found: SchemaKind,
        /// The kind the format reads.
        expected: SchemaKind,
    },
    /// Registry-encoded data, and no registry is configured.
    #[error("is {0} data and needs a schema registry: set AWS_EVENTBRIDGE_SCHEMA_REGISTRY_URL")]
    NoRegistry(&'static str),
    /// Registry-encoded data of a kind this function does not decode yet.
    #[error("is {0}, which this function does not decode yet")]
    Unsupported(String),
}

/// The deepest JSON nesting accepted in a key or value. PutEvents processes a detail nested up to
/// 1,100 levels (<https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEvents.html>),
/// and the detail object is one level itself.
pub const MAX_JSON_DEPTH: usize = 1_099;

/// Converts the bytes of a key or value into the JSON embedded in the event detail.
///
/// This is the seam for value formats: the built-in [`PayloadFormat`]s implement it, and a
/// schema-registry decoder (Avro, Protobuf) can implement it the same way.
pub trait PayloadDecoder: fmt::Debug + Send + Sync {
    /// Converts `bytes` (already base64-decoded) to JSON text.
    fn decode(&self, bytes: Vec<u8>) -> Result<JsonText, PayloadError>;

    /// The registry schema that bytes starting with `prefix` (their first
    /// [`SCHEMA_ID_PREFIX_LEN`] bytes, or all of them when shorter) need, for a decoder that
    /// reads registry-framed data: the schema is fetched before the records are decoded.
    fn schema_id(&self, prefix: &[u8]) -> Option<SchemaId> {
        let _ = prefix;
        None
    }

    /// Whether this decoder reads registry-framed data, so that [`schema_id`](Self::schema_id)
    /// is asked for each payload before the records are decoded.
    fn reads_schemas(&self) -> bool {
        false
    }
}

/// How many leading bytes of a payload [`PayloadDecoder::schema_id`] sees: the longest
/// registry header, AWS Glue's 18 bytes (Confluent's is 5).
pub const SCHEMA_ID_PREFIX_LEN: usize = crate::framing::GLUE_HEADER_LEN;

/// The built-in key and value formats, after the Kafka Connect converters users know.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PayloadFormat {
    /// A JSON string (`StringConverter`); invalid UTF-8 is a record error.
    String,
    /// The JSON itself, as it came (schemaless `JsonConverter`); invalid JSON is a record error.
    Json,
    /// A base64 string (`ByteArrayConverter`).
    Bytes,
    /// JSON if it parses, else a string if UTF-8, else base64.
    Auto,
    /// Registry-framed Avro, decoded with the schema registry's schema
    /// ([`RegistryDecoder`](crate::RegistryDecoder)); without a registry, every record fails.
    Avro,
    /// Registry-framed JSON (a JSON Schema serializer): the JSON after the framing.
    JsonSchema,
    /// Registry-framed Protobuf (message indexes, then the message), decoded with the
    /// registry's `.proto` schema into the canonical proto3 JSON mapping.
    Protobuf,
    /// Registry-framed data of any kind the registry's schema names.
    Registry,
}

impl PayloadFormat {
    fn name(self) -> &'static str {
        match self {
            Self::String => "string",
            Self::Json => "json",
            Self::Bytes => "bytes",
            Self::Auto => "auto",
            Self::Avro => "avro",
            Self::JsonSchema => "json-schema",
            Self::Protobuf => "protobuf",
            Self::Registry => "registry",
        }
    }
}

/// How records that carry the event source mapping's schema metadata (`keySchemaMetadata`,
/// `valueSchemaMetadata`) are read: its `EventRecordFormat`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EsmRecordFormat {
    /// JSON when the bytes are JSON (`EventRecordFormat: JSON`), else by the metadata.
    Auto,
    /// Always JSON (`EventRecordFormat: JSON`).
    Json,
    /// Always by the metadata: the producer's bytes without the registry header
    /// (`EventRecordFormat: SOURCE`), for payloads that could be read either way.
    Source,
}

impl PayloadDecoder for PayloadFormat {
    fn decode(&self, bytes: Vec<u8>) -> Result<JsonText, PayloadError> {
        match self {
            Self::String => match String::from_utf8(bytes) {
                Ok(text) => Ok(json_string(&text)),
                Err(_) => Err(PayloadError::Utf8(self.name())),
            },
            Self::Json => {
                let text = String::from_utf8(bytes).map_err(|_| PayloadError::Utf8(self.name()))?;
                json_text(text)
            }
            Self::Bytes => Ok(json_string(&BASE64.encode(&bytes))),
            Self::Auto => match String::from_utf8(bytes) {
                Ok(text) if serde_json::from_str::<IgnoredAny>(&text).is_ok() => json_text(text),
                Ok(text) => Ok(json_string(&text)),
                Err(e) => Ok(json_string(&BASE64.encode(e.as_bytes()))),
            },
            Self::Avro => Err(PayloadError::NoRegistry("Avro")),
            Self::Registry => Err(PayloadError::NoRegistry("registry-framed")),
            Self::Protobuf => Err(PayloadError::NoRegistry("Protobuf")),
            Self::JsonSchema => {
                RegistryDecoder::new(RegistryFormat::JsonSchema, None).decode(bytes)
            }
        }
    }
}

/// `text` as a JSON string literal.
pub(crate) fn json_string(text: &str) -> JsonText {
    let mut out = Vec::with_capacity(text.len() + 2);
    serde_json::to_writer(&mut out, text).expect("writing a str to a Vec cannot fail");
    JsonText(String::from_utf8(out).expect("serde_json writes UTF-8"))
}

/// Validates `text` as JSON that EventBridge accepts and removes the whitespace between its
/// tokens, keeping key order and the exact text of numbers and strings.
pub(crate) fn json_text(text: String) -> Result<JsonText, PayloadError> {
    // Validation into IgnoredAny is iterative in serde_json, so deep nesting cannot exhaust the
    // stack here; `compact` enforces the depth limit.
    serde_json::from_str::<IgnoredAny>(&text).map_err(PayloadError::Json)?;
    compact(text)
}

/// Removes insignificant whitespace from valid JSON text, and rejects what PutEvents refuses:
/// nesting deeper than [`MAX_JSON_DEPTH`] and integers outside the signed 64-bit range
/// (<https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEvents.html>). Strings
/// are skipped with a vectorised search for their closing quote, so text that is already compact
/// costs one fast scan and no copy.
fn compact(text: String) -> Result<JsonText, PayloadError> {
    let is_ws = |b: u8| matches!(b, b' ' | b'\n' | b'\r' | b'\t');
    let bytes = text.as_bytes();
    let n = bytes.len();
    let mut out: Option<Vec<u8>> = None;
    let (mut i, mut copied_to, mut depth) = (0, 0, 0_usize);
    while i < n {
        match bytes[i] {
            b'[' | b'{' => {
                depth += 1;
                if depth > MAX_JSON_DEPTH {
                    return Err(PayloadError::TooDeep);
                }
                i += 1;
            }
            b']' | b'}' => {
                depth = depth.saturating_sub(1);
                i += 1;
            }
            b'"' => {
                i += 1;
                // Valid JSON: every string closes; an escape always has a following byte.
                while let Some(j) = memchr::memchr2(b'"', b'\\', &bytes[i..]) {
                    if bytes[i + j] == b'\\' {
                        i += j + 2;
                    } else {
                        i += j + 1;
                        break;
                    }
                }
            }
            b'-' | b'0'..=b'9' => {
                let start = i;
                while i < n && matches!(bytes[i], b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9') {
                    i += 1;
                }
                let number = &text[start..i];
                let integer = !number.contains(['.', 'e', 'E']);
                if integer && number.parse::<i64>().is_err() {
                    return Err(PayloadError::IntegerRange);
                }
            }
            b if is_ws(b) => {
                let out = out.get_or_insert_with(|| Vec::with_capacity(n));
                out.extend_from_slice(&bytes[copied_to..i]);
                while i < n && is_ws(bytes[i]) {
                    i += 1;
                }
                copied_to = i;
            }
            _ => i += 1,
        }
    }
    Ok(JsonText(match out {
        None => text,
        Some(mut out) => {
            out.extend_from_slice(&bytes[copied_to..]);
            String::from_utf8(out)
                .expect("removing ASCII whitespace outside strings keeps UTF-8 valid")
        }
    }))
}

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
                    None if decoder.reads_schemas() => {
                        // 24 base64 characters are the 18 bytes of the longest header.
                        let head = &encoded.as_bytes()[..encoded.len().min(PREFIX_BASE64_LEN)];
                        BASE64_LENIENT
                            .decode(head)
                            .ok()
                            .and_then(|prefix| decoder.schema_id(&prefix))
                    }
                    None => None,
                };
                ids.extend(id);
            }
        }
        ids.sort_unstable();
        ids.dedup();
        ids
    }
}

/// The base64 characters that carry [`SCHEMA_ID_PREFIX_LEN`] bytes.
const PREFIX_BASE64_LEN: usize = SCHEMA_ID_PREFIX_LEN.div_ceil(3) * 4;

/// What the event source mapping's schema metadata of a payload says it is.
#[derive(Debug, PartialEq, Eq)]
enum EsmSchema {
    /// JSON text (JSON Schema, or any format with `EventRecordFormat: JSON`).
    Json,
    /// Avro, or Protobuf with its message indexes, without the registry header, written with
    /// this schema.
    Registry(SchemaId, SchemaKind),
    /// Registry-encoded data this function does not decode yet.
    Unsupported(String),
}

/// Reads `{"dataFormat": …, "schemaId": …}`.
fn schema_metadata(field: &'static str, metadata: &Value) -> Result<EsmSchema, DecodeError> {
    let field = if field == "key" {
        "keySchemaMetadata"
    } else {
        "valueSchemaMetadata"
    };
    let field = |name: &'static str| {
        metadata
            .get(name)
            .and_then(Value::as_str)
            .ok_or_else(|| DecodeError::WrongType {
                field,
                expected: "an object with `dataFormat` and `schemaId` strings",
                found: json_type(metadata),
            })
    };
    let format = field("dataFormat")?;
    let kind = match format.to_ascii_uppercase().as_str() {
        "JSON" => return Ok(EsmSchema::Json),
        "AVRO" => SchemaKind::Avro,
        "PROTOBUF" => SchemaKind::Protobuf,
        _ => return Ok(EsmSchema::Unsupported(format!("data format {format:?}"))),
    };
    let id = field("schemaId")?;
    // A Confluent registry numbers its schemas; the AWS Glue Schema Registry names a schema
    // version by UUID.
    let id = match (id.parse::<u32>(), uuid::Uuid::try_parse(id)) {
        (Ok(id), _) => SchemaId::Confluent(id),
        (_, Ok(version)) => SchemaId::Glue(version),
        (Err(_), Err(_)) => {
            return Ok(EsmSchema::Unsupported(format!(
                "{kind} with schemaId {:?}, neither a Confluent schema id nor an AWS Glue schema version id",
                id.chars().take(64).collect::<String>()
            )));
        }
    };
    Ok(EsmSchema::Registry(id, kind))
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
pub struct Decoded {
    /// Where it is.
    pub info: RecordInfo,
    /// The record, or why it could not be decoded.
    pub result: Result<DecodedRecord, DecodeError>,
}

/// Checks the event and decodes every record, in event order.
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
    let key = decode_payload(
        "key",
        record.key,
        record.key_schema_metadata.as_ref(),
        decoders.key.as_ref(),
        decoders,
    )?;
    let value = decode_payload(
        "value",
        record.value,
        record.value_schema_metadata.as_ref(),
        decoders.value.as_ref(),
        decoders,
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

/// Decodes a key or value: with the configured `decoder`, or, when the event source mapping's
/// schema registry left its `metadata`, as that says.
fn decode_payload(
    field: &'static str,
    raw: Option<Value>,
    metadata: Option<&Value>,
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
    let decoded = match metadata {
        None => decoder.decode(bytes),
        Some(metadata) => by_metadata(field, bytes, metadata, decoders)?,
    };
    decoded.map(Some).map_err(|source| match source {
        PayloadError::Utf8(format) => DecodeError::NotText {
            field,
            format,
            variable: if field == "key" {
                crate::config::KEY_FORMAT
            } else {
                crate::config::VALUE_FORMAT
            },
        },
        source => DecodeError::Payload { field, source },
    })
}

/// Whether `bytes` are JSON text (`EventRecordFormat: JSON`), not the producer's bytes.
fn is_json_text(bytes: &[u8]) -> bool {
    std::str::from_utf8(bytes).is_ok_and(|t| serde_json::from_str::<IgnoredAny>(t).is_ok())
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

fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decoders() -> Decoders {
        Decoders::new(PayloadFormat::String, PayloadFormat::Json)
    }

    fn event(json: &str) -> KafkaEvent {
        serde_json::from_str(json).unwrap()
    }

    fn b64(s: &[u8]) -> String {
        BASE64.encode(s)
    }

    fn one(record: serde_json::Value) -> Decoded {
        let ev = serde_json::json!({"eventSource": "aws:kafka", "records": {"t-0": [record]}});
        let mut out = decode_event(serde_json::from_value(ev).unwrap(), &decoders()).unwrap();
        assert_eq!(out.len(), 1);
        out.remove(0)
    }

    fn fmt(format: PayloadFormat, bytes: &[u8]) -> Result<String, PayloadError> {
        format.decode(bytes.to_vec()).map(|j| j.as_str().to_owned())
    }

    #[test]
    fn formats() {
        assert_eq!(
            fmt(PayloadFormat::String, b"order-1").unwrap(),
            r#""order-1""#
        );
        assert_eq!(
            fmt(PayloadFormat::String, br#"{"a":1}"#).unwrap(),
            r#""{\"a\":1}""#
        );
        assert!(matches!(
            fmt(PayloadFormat::String, &[0xff]),
            Err(PayloadError::Utf8("string"))
        ));
        assert_eq!(
            fmt(PayloadFormat::Json, br#"{"b":1.50,"a":[1e3]}"#).unwrap(),
            r#"{"b":1.50,"a":[1e3]}"#
        );
        assert_eq!(
            fmt(
                PayloadFormat::Json,
                b" {\n  \"a b\" : \"x \\\" y\" ,\t\"c\":[ 1 , 2 ]\r\n} "
            )
            .unwrap(),
            r#"{"a b":"x \" y","c":[1,2]}"#
        );
        assert_eq!(
            fmt(PayloadFormat::Json, b"\"caf\xc3\xa9\"").unwrap(),
            "\"café\""
        );
        assert!(matches!(
            fmt(PayloadFormat::Json, b"{\"a\":"),
            Err(PayloadError::Json(_))
        ));
        assert!(matches!(
            fmt(PayloadFormat::Json, b""),
            Err(PayloadError::Json(_))
        ));
        assert!(matches!(
            fmt(PayloadFormat::Json, b"\"\xff\""),
            Err(PayloadError::Utf8("json"))
        ));
        assert_eq!(fmt(PayloadFormat::Bytes, &[1, 2, 3]).unwrap(), r#""AQID""#);
        assert_eq!(
            fmt(PayloadFormat::Auto, br#"{"a":1}"#).unwrap(),
            r#"{"a":1}"#
        );
        assert_eq!(
            fmt(PayloadFormat::Auto, b"plain text").unwrap(),
            r#""plain text""#
        );
        assert_eq!(
            fmt(PayloadFormat::Auto, &[0xff, 0x00]).unwrap(),
            r#""/wA=""#
        );
        assert_eq!(
            fmt(PayloadFormat::String, b"a\x01b").unwrap(),
            r#""a\u0001b""#
        );
    }

    #[test]
    fn eventbridge_json_limits() {
        let max =
            br#"{"a":[9223372036854775807,-9223372036854775808,1e400,1.5,18446744073709551616.0]}"#;
        assert!(fmt(PayloadFormat::Json, max).is_ok());
        assert!(matches!(
            fmt(PayloadFormat::Json, b"9223372036854775808"),
            Err(PayloadError::IntegerRange)
        ));
        assert!(matches!(
            fmt(PayloadFormat::Json, br#"{"n":-9223372036854775809}"#),
            Err(PayloadError::IntegerRange)
        ));
        assert!(
            fmt(PayloadFormat::Json, br#"{"s":"99999999999999999999"}"#).is_ok(),
            "digits in strings are text"
        );
        let deep = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n)).into_bytes();
        assert!(fmt(PayloadFormat::Json, &deep(MAX_JSON_DEPTH)).is_ok());
        assert!(matches!(
            fmt(PayloadFormat::Json, &deep(MAX_JSON_DEPTH + 1)),
            Err(PayloadError::TooDeep)
        ));
        assert!(matches!(
            fmt(PayloadFormat::Json, &deep(3_000_000)),
            Err(PayloadError::TooDeep)
        ));
        let in_strings = format!(
            "{}\"[[{{\"{}",
            "{\"a\":".repeat(MAX_JSON_DEPTH),
            "}".repeat(MAX_JSON_DEPTH)
        );
        assert!(
            fmt(PayloadFormat::Json, in_strings.as_bytes()).is_ok(),
            "brackets in strings do not nest"
        );
        assert!(fmt(PayloadFormat::Json, br#"{"a" : "b c"}"#).unwrap() == r#"{"a":"b c"}"#);
    }

    #[test]
    fn headers_keep_document_order_and_bad_shapes_are_record_errors() {
        let headers = |h: serde_json::Value| {
            one(serde_json::json!({"topic": "t", "partition": 0, "offset": 1, "headers": h})).result
        };
        // Raw text: a serde_json::Value would sort the names.
        let ev = event(
            r#"{"records":{"t-0":[{"topic":"t","partition":0,"offset":1,
            "headers":[{"z":[1],"a":[2]},{"m":[]},{"z":[255,-1,0]}]}]}}"#,
        );
        let r = decode_event(ev, &decoders())
            .unwrap()
            .remove(0)
            .result
            .unwrap();
        let names: Vec<&str> = r.headers.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            ["z", "a", "m", "z"],
            "document order, duplicates kept"
        );
        assert_eq!(r.headers[3].1, vec![255, 255, 0]);
        for (bad, message) in [
            (
                serde_json::json!([{"h": [1]}, {"h": [1.5]}]),
                "header #1 is not",
            ),
            (serde_json::json!([{"h": [1]}, 7]), "header #1 is not"),
            (serde_json::json!([{"h": {"x": 1}}]), "header #0 is not"),
            (serde_json::json!([{"h": null}]), "header #0 is not"),
            (serde_json::json!([{"h": [[1]]}]), "header #0 is not"),
            (serde_json::json!([{"h": ["1"]}]), "header #0 is not"),
            (
                serde_json::json!([{"h": [-129]}, {"h": [256]}]),
                "header #0 is not",
            ),
            (serde_json::json!("headers"), "field `headers` is a string"),
            (serde_json::json!(5), "field `headers` is a number"),
            (serde_json::json!(true), "field `headers` is a boolean"),
        ] {
            let err = headers(bad.clone()).unwrap_err().to_string();
            assert!(err.starts_with(message), "{bad}: {err}");
        }
        assert!(headers(serde_json::Value::Null).unwrap().headers.is_empty());
        // A bad header does not derail the parse of the records after it.
        let ev = event(
            r#"{"records":{"t-0":[{"offset":1,"headers":[{"h":[1,{"deep":[[]]}]}]},{"offset":2,"headers":[{"ok":[104,105]}]}]}}"#,
        );
        let out = decode_event(ev, &decoders()).unwrap();
        assert!(out[0].result.is_err());
        assert_eq!(
            out[1].result.as_ref().unwrap().headers,
            vec![("ok".to_owned(), b"hi".to_vec())]
        );
    }

    #[test]
    fn full_record() {
        let d = one(serde_json::json!({
            "topic": "orders", "partition": 0, "offset": 5, "timestamp": 1684841916831_i64,
            "timestampType": "CREATE_TIME", "key": b64(b"order-1"), "value": b64(br#"{"a":1}"#),
            "headers": [{"h1": [97, 98]}, {"h1": [-61, -87]}, {"h2": [195, 169]}]
        }));
        assert_eq!(
            d.info.id,
            RecordRef {
                partition_key: "t-0".into(),
                offset: 5
            }
        );
        let r = d.result.unwrap();
        assert_eq!(&*r.topic, "orders");
        assert_eq!(r.timestamp, Some(1684841916831));
        assert_eq!(r.timestamp_type, TimestampType::CreateTime);
        assert_eq!(r.key.unwrap().as_str(), r#""order-1""#);
        assert_eq!(r.value.unwrap().as_str(), r#"{"a":1}"#);
        assert_eq!(
            r.headers,
            vec![
                ("h1".into(), b"ab".to_vec()),
                ("h1".into(), "é".as_bytes().to_vec()),
                ("h2".into(), "é".as_bytes().to_vec())
            ]
        );
    }

    #[test]
    fn absent_and_null_fields() {
        let r = one(serde_json::json!({"topic": "t", "partition": 0, "offset": 1, "timestamp": 5, "timestampType": "LOG_APPEND_TIME"}))
            .result
            .unwrap();
        assert_eq!((r.key, r.value, r.headers.len()), (None, None, 0));
        assert_eq!(r.timestamp_type, TimestampType::LogAppendTime);
        let r = one(serde_json::json!({"topic": "t", "partition": 0, "offset": 1, "key": null, "value": null, "headers": null}))
            .result
            .unwrap();
        assert_eq!((r.key, r.value, r.headers.len()), (None, None, 0));
        assert_eq!(
            (r.timestamp, r.timestamp_type),
            (None, TimestampType::NoTimestampType)
        );
    }

    #[test]
    fn timestamp_rules() {
        let ts = |t: serde_json::Value, ty: &str| {
            let r = one(serde_json::json!({"topic": "t", "partition": 0, "offset": 1, "timestamp": t, "timestampType": ty}))
                .result
                .unwrap();
            (r.timestamp, r.timestamp_type)
        };
        assert_eq!(
            ts((-1).into(), "CREATE_TIME"),
            (None, TimestampType::NoTimestampType)
        );
        assert_eq!(
            ts(7.into(), "NO_TIMESTAMP_TYPE"),
            (None, TimestampType::NoTimestampType)
        );
        assert_eq!(
            ts(7.into(), "CREATE_TIME"),
            (Some(7), TimestampType::CreateTime)
        );
    }

    #[test]
    fn topic_and_partition_fall_back_to_the_key() {
        let ev = event(r#"{"records":{"my-topic-7":[{"offset":3}]}}"#);
        let d = decode_event(ev, &decoders()).unwrap().remove(0);
        let r = d.result.unwrap();
        assert_eq!((&*r.topic, r.partition, r.offset), ("my-topic", 7, 3));
    }

    #[test]
    fn record_errors() {
        let err = |rec: serde_json::Value| one(rec).result.unwrap_err().to_string();
        let base = |extra: serde_json::Value| {
            let mut r = serde_json::json!({"topic": "t", "partition": 0, "offset": 1});
            r.as_object_mut()
                .unwrap()
                .extend(extra.as_object().unwrap().clone());
            r
        };
        assert_eq!(
            err(base(serde_json::json!({"value": "!!"}))),
            "`value` is not valid base64"
        );
        assert_eq!(
            err(base(serde_json::json!({"value": 5}))),
            "field `value` is a number, expected a base64 string"
        );
        assert_eq!(
            err(base(serde_json::json!({"value": b64(b"{")})))
                .split(':')
                .next()
                .unwrap(),
            "value is not valid JSON"
        );
        assert_eq!(
            err(base(serde_json::json!({"key": b64(&[0xff])}))),
            "key is not valid UTF-8, so format string cannot read it; for binary data set AWS_EVENTBRIDGE_KEY_FORMAT to bytes (base64) or auto"
        );
        // Read as the JDK and Python decoders do: non-zero unused bits, no padding.
        let ok = |rec: serde_json::Value| one(rec).result.unwrap();
        let lenient = ok(base(
            serde_json::json!({"key": "a2V5ZR==", "value": "eyJhIjoxfQ"}),
        ));
        assert_eq!(lenient.key.unwrap().as_str(), r#""keye""#);
        assert_eq!(lenient.value.unwrap().as_str(), r#"{"a":1}"#);
        assert_eq!(
            err(base(serde_json::json!({"headers": [{"h": [256]}]}))),
            "header #0 is not a name with an array of bytes in -128..=255"
        );
        assert_eq!(
            err(base(serde_json::json!({"headers": [{"h": "x"}]}))),
            "header #0 is not a name with an array of bytes in -128..=255"
        );
        assert_eq!(
            err(base(serde_json::json!({"headers": {}}))),
            "field `headers` is an object, expected an array"
        );
        assert_eq!(
            err(base(serde_json::json!({"timestamp": "x"}))),
            "field `timestamp` is a string, expected an integer"
        );
        assert_eq!(
            err(serde_json::json!({"topic": 5, "partition": 0, "offset": 1})),
            "field `topic` is a number, expected a string"
        );
    }

    #[test]
    fn schema_metadata_decodes_as_json() {
        let ev = serde_json::json!({"records": {"t-0": [{
            "topic": "t", "partition": 0, "offset": 1,
            "key": b64(br#"{"id":1}"#), "keySchemaMetadata": {"dataFormat": "AVRO", "schemaId": "1"},
            "value": b64(br#"{"a":1}"#), "valueSchemaMetadata": {"dataFormat": "AVRO", "schemaId": "2"}
        }]}});
        let decoders = Decoders::new(PayloadFormat::String, PayloadFormat::String);
        // JSON from the mapping (`EventRecordFormat: JSON`) needs no schema under `auto`.
        assert_eq!(
            decoders.schema_ids(&serde_json::from_value(ev.clone()).unwrap()),
            []
        );
        let r = decode_event(serde_json::from_value(ev).unwrap(), &decoders)
            .unwrap()
            .remove(0)
            .result
            .unwrap();
        assert_eq!(r.key.unwrap().as_str(), r#"{"id":1}"#);
        assert_eq!(r.value.unwrap().as_str(), r#"{"a":1}"#);
    }

    /// The schemas to fetch for metadata records: under `auto` only for ids whose records are
    /// not JSON, under `source` always, under `json` never; a Glue schema version id is a UUID.
    #[test]
    fn metadata_schema_ids_follow_the_record_format() {
        let version = "0b5e3bd2-6a3e-4c32-9d5e-3a8c1f2b7d10";
        let ev = serde_json::json!({"records": {"t-0": [
            {"offset": 1, "value": b64(&[2, 4, 6]),
             "valueSchemaMetadata": {"dataFormat": "AVRO", "schemaId": version}},
            {"offset": 2, "value": b64(br#"{"a":1}"#),
             "valueSchemaMetadata": {"dataFormat": "AVRO", "schemaId": "7"}},
            {"offset": 3, "value": b64(&[0, 2]),
             "valueSchemaMetadata": {"dataFormat": "PROTOBUF", "schemaId": "7"}},
        ]}});
        let event = || serde_json::from_value::<KafkaEvent>(ev.clone()).unwrap();
        let glue = SchemaId::Glue(uuid::Uuid::parse_str(version).unwrap());
        let mut decoders = Decoders::new(PayloadFormat::String, PayloadFormat::Json);
        assert_eq!(decoders.schema_ids(&event()), [glue]);
        decoders.esm_format = EsmRecordFormat::Source;
        assert_eq!(
            decoders.schema_ids(&event()),
            [SchemaId::Confluent(7), glue]
        );
        decoders.esm_format = EsmRecordFormat::Json;
        assert_eq!(decoders.schema_ids(&event()), []);
    }

    #[test]
    fn event_errors() {
        let d = decoders();
        assert_eq!(
            decode_event(event("{}"), &d).unwrap_err(),
            EventError::NoRecords("missing")
        );
        assert_eq!(
            decode_event(event(r#"{"records":null}"#), &d).unwrap_err(),
            EventError::NoRecords("null")
        );
        assert_eq!(
            decode_event(event(r#"{"records":[1]}"#), &d).unwrap_err(),
            EventError::NoRecords("an array")
        );
        assert_eq!(
            decode_event(event(r#"{"eventSource":"aws:sqs","records":{}}"#), &d).unwrap_err(),
            EventError::UnsupportedSource("aws:sqs".into())
        );
        assert_eq!(
            decode_event(
                event(r#"{"records":{"t-0":[{"offset":1},{"offset":"2"}]}}"#),
                &d
            )
            .unwrap_err(),
            EventError::NoOffset {
                partition_key: "t-0".into(),
                index: 1
            }
        );
        for source in ["SelfManagedKafka", "aws:SelfManagedKafka", "aws:kafka"] {
            let json = format!(r#"{{"eventSource":"{source}","records":{{}}}}"#);
            assert!(decode_event(event(&json), &d).unwrap().is_empty());
        }
    }

    #[test]
    fn event_order_is_kept() {
        let ev = event(r#"{"records":{"b-1":[{"offset":9},{"offset":10}],"a-0":[{"offset":1}]}}"#);
        let ids: Vec<(String, i64)> = decode_event(ev, &decoders())
            .unwrap()
            .into_iter()
            .map(|d| (d.info.id.partition_key.to_string(), d.info.id.offset))
            .collect();
        assert_eq!(
            ids,
            vec![("b-1".into(), 9), ("b-1".into(), 10), ("a-0".into(), 1)]
        );
    }

    #[test]
    fn accepts_the_aws_lambda_events_fixture_shape() {
        // The same event must deserialize into the aws_lambda_events type and into ours.
        let json = r#"{"eventSource":"aws:kafka","eventSourceArn":"arn:aws:kafka:us-east-1:123456789012:cluster/c/1",
            "bootstrapServers":"b-1:9092","records":{"mytopic-0":[{"topic":"mytopic","partition":0,"offset":15,
            "timestamp":1545084650987,"timestampType":"CREATE_TIME","key":"a2V5","value":"eyJrZXkiOiJ2YWx1ZSJ9",
            "headers":[{"headerKey":[104,101,97,100,101,114,86,97,108,117,101]}]}]}}"#;
        let theirs: aws_lambda_events::event::kafka::KafkaEvent =
            serde_json::from_str(json).unwrap();
        let ours = decode_event(event(json), &decoders()).unwrap();
        let their_record = &theirs.records["mytopic-0"][0];
        let our_record = ours[0].result.as_ref().unwrap();
        assert_eq!(their_record.offset, our_record.offset);
        assert_eq!(their_record.topic.as_deref(), Some(&*our_record.topic));
        assert_eq!(our_record.headers[0].1, b"headerValue");
        assert_eq!(
            our_record.value.as_ref().unwrap().as_str(),
            r#"{"key":"value"}"#
        );
    }
}

pub(crate) mod avro;
pub(crate) mod framing;
pub(crate) mod protobuf;
pub(crate) mod registry;
