//! The registry formats as a [`PayloadDecoder`]: the framing read, then the payload decoded with
//! the cached schema it names.

use std::borrow::Cow;
use std::sync::Arc;

use super::cache::Schemas;
use crate::decode::framing::{self, Frame};
use crate::decode::payload::{PayloadDecoder, PayloadError, PayloadFormat, json_bytes};
use crate::decode::schema::{SchemaId, SchemaKind};
use crate::json::JsonText;

/// The registry formats: `avro` (Avro written with a registry schema), `json-schema` (JSON
/// written with a JSON Schema; no schema is needed to read it) and `registry` (whatever the
/// framing and the registry's schema say). Confluent framing names the schema by id, AWS Glue
/// framing by schema version id.
#[derive(Debug, Clone)]
#[cfg_attr(not(feature = "internals"), allow(unreachable_pub, dead_code))]
pub struct RegistryDecoder {
    schemas: Option<Arc<Schemas>>,
    format: RegistryFormat,
}

/// What a [`RegistryDecoder`] reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(not(feature = "internals"), allow(unreachable_pub, dead_code))]
pub enum RegistryFormat {
    /// Avro only.
    Avro,
    /// JSON only.
    JsonSchema,
    /// Protobuf only.
    Protobuf,
    /// Any kind of schema the registry names.
    Any,
}

impl RegistryDecoder {
    /// A decoder of `format` that reads schemas from `schemas` (`json-schema` needs none).
    #[cfg_attr(not(feature = "internals"), allow(unreachable_pub, dead_code))]
    pub fn new(format: RegistryFormat, schemas: Option<Arc<Schemas>>) -> Self {
        Self { schemas, format }
    }

    fn name(&self) -> &'static str {
        match self.format {
            RegistryFormat::Avro => "Avro",
            RegistryFormat::JsonSchema => "JSON Schema",
            RegistryFormat::Protobuf => "Protobuf",
            RegistryFormat::Any => "registry",
        }
    }
}

impl RegistryDecoder {
    /// Decodes `data` written with the schema `id` (`header_rest`: what a schema-id header
    /// holds after the id, `None` when the id came from the framing), as this decoder's format
    /// reads it: JSON Schema data is JSON and needs no schema; the others decode with the
    /// cached schema, of the kind the format reads.
    fn decode_data(
        &self,
        id: SchemaId,
        header_rest: Option<&[u8]>,
        data: Cow<'_, [u8]>,
    ) -> Result<JsonText, PayloadError> {
        let only = match self.format {
            RegistryFormat::JsonSchema => {
                return json_bytes(data.into_owned(), PayloadFormat::Json.name());
            }
            RegistryFormat::Avro => Some(SchemaKind::Avro),
            RegistryFormat::Protobuf => Some(SchemaKind::Protobuf),
            RegistryFormat::Any => None,
        };
        let schemas = self
            .schemas
            .as_ref()
            .ok_or(PayloadError::NoRegistry(self.name()))?;
        schemas.decode_named(id, header_rest, &data, only)
    }
}

impl PayloadDecoder for RegistryDecoder {
    fn decode(&self, bytes: Vec<u8>) -> Result<JsonText, PayloadError> {
        match framing::read(&bytes).map_err(PayloadError::Framing)? {
            Frame::Confluent(id, data) => {
                self.decode_data(SchemaId::Confluent(id), None, Cow::Borrowed(data))
            }
            Frame::Glue(version, data) => self.decode_data(SchemaId::Glue(version), None, data),
        }
    }

    fn schema_id(&self, prefix: &[u8]) -> Option<SchemaId> {
        match self.format {
            RegistryFormat::JsonSchema => None,
            RegistryFormat::Avro | RegistryFormat::Protobuf | RegistryFormat::Any => {
                framing::confluent_id(prefix)
                    .map(SchemaId::Confluent)
                    .or_else(|| framing::glue_id(prefix).map(SchemaId::Glue))
            }
        }
    }

    fn reads_schemas(&self) -> bool {
        self.format != RegistryFormat::JsonSchema
    }

    fn reads_schema_headers(&self) -> bool {
        true
    }

    /// As Confluent's deserializers do: the header names the schema, and the whole payload is
    /// the data (a payload that also starts with framing bytes is not read as framed).
    fn decode_with_schema_header(
        &self,
        bytes: Vec<u8>,
        header: &[u8],
    ) -> Result<JsonText, PayloadError> {
        let (id, rest) = framing::header_id(header).map_err(PayloadError::SchemaHeader)?;
        self.decode_data(id, Some(rest), Cow::Owned(bytes))
    }

    fn header_schema_id(&self, header: &[u8]) -> Option<SchemaId> {
        match self.format {
            RegistryFormat::JsonSchema => None,
            RegistryFormat::Avro | RegistryFormat::Protobuf | RegistryFormat::Any => {
                framing::header_id(header).ok().map(|(id, _)| id)
            }
        }
    }
}
