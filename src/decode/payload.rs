//! The payload seam: [`PayloadDecoder`] turns the bytes of a key or value into JSON text, and
//! [`PayloadError`] says why it could not. The built-in formats ([`PayloadFormat`]) and the
//! registry decoder implement it.

use std::fmt;

use super::avro::error::AvroError;
use super::protobuf::ProtoError;
use super::schema::{SchemaId, SchemaKind};
use crate::json::{JsonError, JsonText, json_text};

/// Why key or value bytes do not convert to JSON.
#[derive(Debug, thiserror::Error)]
pub enum PayloadError {
    /// Not UTF-8 (formats `string` and `json`).
    #[error("is not valid UTF-8 (format {0})")]
    Utf8(&'static str),
    /// Not JSON that EventBridge accepts (format `json`, and the JSON a registry format
    /// renders): not JSON, nested too deep, or an integer out of range.
    #[error(transparent)]
    Json(#[from] JsonError),
    /// The bytes do not carry a schema registry's framing (formats `avro`, `json-schema`,
    /// `registry`).
    #[error("is not registry-framed: it {0}")]
    Framing(String),
    /// A Confluent schema-id header (`__key_schema_id` / `__value_schema_id`) that does not
    /// name a schema as Confluent's serializers write it.
    #[error("has a schema-id header that is not one: it {0}")]
    SchemaHeader(String),
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
    /// Not a Kafka Connect `JsonConverter` envelope (format `connect-json`).
    #[error(
        "is not a Kafka Connect JSON envelope (format connect-json): it must be an object with \
         exactly the members \"schema\" and \"payload\", as JsonConverter writes it with \
         schemas.enable=true; set the format to json for plain JSON"
    )]
    NotEnvelope,
    /// Registry-encoded data, and no registry is configured.
    #[error(
        "is {0} data and needs a schema registry: set {var}",
        var = crate::vars::SCHEMA_REGISTRY_URL
    )]
    NoRegistry(&'static str),
    /// Registry-encoded data of a kind this function does not decode yet.
    #[error("is {0}, which this function does not decode yet")]
    Unsupported(String),
}

/// `bytes` as JSON text, for a format (named `format`) that reads JSON.
pub(crate) fn json_bytes(bytes: Vec<u8>, format: &'static str) -> Result<JsonText, PayloadError> {
    let text = String::from_utf8(bytes).map_err(|_| PayloadError::Utf8(format))?;
    Ok(json_text(text)?)
}

/// Converts the bytes of a key or value into the JSON embedded in the event detail.
///
/// This is the seam for value formats: the built-in [`PayloadFormat`]s implement it, and a
/// schema-registry decoder (Avro, Protobuf) can implement it the same way.
pub trait PayloadDecoder: fmt::Debug + Send + Sync {
    /// Converts `bytes` (already base64-decoded) to JSON text.
    fn decode(&self, bytes: Vec<u8>) -> Result<JsonText, PayloadError>;

    /// The registry schema that bytes starting with `prefix` (their first
    /// `SCHEMA_ID_PREFIX_LEN` bytes, or all of them when shorter) need, for a decoder that
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

    /// Whether this decoder reads Confluent schema-id headers (`__key_schema_id`,
    /// `__value_schema_id`), so that a record's headers are searched for one: only then are
    /// [`decode_with_schema_header`](Self::decode_with_schema_header) and
    /// [`header_schema_id`](Self::header_schema_id) asked.
    fn reads_schema_headers(&self) -> bool {
        false
    }

    /// Converts `bytes` whose schema a Confluent schema-id header names (`header`: the value
    /// of the record's `__key_schema_id` or `__value_schema_id`); the payload is then not
    /// framed. By default, as a decoder that reads no registry data, ignores the header.
    fn decode_with_schema_header(
        &self,
        bytes: Vec<u8>,
        header: &[u8],
    ) -> Result<JsonText, PayloadError> {
        let _ = header;
        self.decode(bytes)
    }

    /// The registry schema a Confluent schema-id header names, for a decoder that reads it:
    /// fetched before the records are decoded, as [`schema_id`](Self::schema_id)'s.
    fn header_schema_id(&self, header: &[u8]) -> Option<SchemaId> {
        let _ = header;
        None
    }
}

/// How many leading bytes of a payload [`PayloadDecoder::schema_id`] sees: the longest
/// registry header, AWS Glue's 18 bytes (Confluent's is 5).
pub(crate) const SCHEMA_ID_PREFIX_LEN: usize = super::framing::GLUE_HEADER_LEN;

/// The built-in key and value formats, after the Kafka Connect converters users know.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PayloadFormat {
    /// A JSON string (`StringConverter`); invalid UTF-8 is a record error.
    String,
    /// The JSON itself, as it came (schemaless `JsonConverter`); invalid JSON is a record error.
    Json,
    /// The `payload` of a Kafka Connect `JsonConverter` envelope, `{"schema": …, "payload": …}`
    /// (`JsonConverter` with `schemas.enable=true`, its default), as it came; anything else is
    /// a record error.
    ConnectJson,
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
    /// Every format, in the order the configuration reference lists them. A new variant goes
    /// here and in [`name`](Self::name) (the compiler finds that one).
    pub(crate) const ALL: [Self; 9] = [
        Self::String,
        Self::Json,
        Self::ConnectJson,
        Self::Bytes,
        Self::Auto,
        Self::Avro,
        Self::JsonSchema,
        Self::Protobuf,
        Self::Registry,
    ];

    /// The name `AWS_EVENTBRIDGE_KEY_FORMAT` and `AWS_EVENTBRIDGE_VALUE_FORMAT` give it.
    pub(crate) const fn name(self) -> &'static str {
        match self {
            Self::String => "string",
            Self::Json => "json",
            Self::ConnectJson => "connect-json",
            Self::Bytes => "bytes",
            Self::Auto => "auto",
            Self::Avro => "avro",
            Self::JsonSchema => "json-schema",
            Self::Protobuf => "protobuf",
            Self::Registry => "registry",
        }
    }
}
