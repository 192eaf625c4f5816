//! The event source mapping's schema metadata (`keySchemaMetadata`, `valueSchemaMetadata`):
//! what it says a payload is, and how records that carry it are read.

use serde::de::IgnoredAny;
use serde_json::Value;

use super::payload::SCHEMA_ID_PREFIX_LEN;
use super::record::DecodeError;
use super::schema::{SchemaId, SchemaKind};
use crate::json::json_type;

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

/// The base64 characters that carry [`SCHEMA_ID_PREFIX_LEN`] bytes.
pub(super) const PREFIX_BASE64_LEN: usize = SCHEMA_ID_PREFIX_LEN.div_ceil(3) * 4;

/// What the event source mapping's schema metadata of a payload says it is.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum EsmSchema {
    /// JSON text (JSON Schema, or any format with `EventRecordFormat: JSON`).
    Json,
    /// Avro, or Protobuf with its message indexes, without the registry header, written with
    /// this schema.
    Registry(SchemaId, SchemaKind),
    /// Registry-encoded data this function does not decode yet.
    Unsupported(String),
}

/// Reads `{"dataFormat": …, "schemaId": …}`.
pub(super) fn schema_metadata(
    field: &'static str,
    metadata: &Value,
) -> Result<EsmSchema, DecodeError> {
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

/// Whether `bytes` are JSON text (`EventRecordFormat: JSON`), not the producer's bytes.
pub(super) fn is_json_text(bytes: &[u8]) -> bool {
    std::str::from_utf8(bytes).is_ok_and(|t| serde_json::from_str::<IgnoredAny>(t).is_ok())
}
