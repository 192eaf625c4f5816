//! How a registry names a schema, and of what kind it is: the vocabulary that the payload
//! errors, the framing and the registries share.

/// A schema as a registry identifies it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SchemaId {
    /// A Confluent Schema Registry id (the 4 bytes after the magic byte; `schemaId` of the
    /// event source mapping's metadata with a Confluent registry).
    Confluent(u32),
    /// A Confluent Schema Registry schema GUID: what newer Confluent serializers put in a
    /// `__key_schema_id` / `__value_schema_id` header (`schema.id.serializer` =
    /// `header_schema_id_serializer`) instead of framing the payload; the registry answers
    /// `GET /schemas/guids/{guid}`.
    ConfluentGuid(uuid::Uuid),
    /// An AWS Glue Schema Registry schema version id (the 16 bytes after Glue's header
    /// version and compression bytes; `schemaId` of the metadata with a Glue registry).
    Glue(uuid::Uuid),
}

impl std::fmt::Display for SchemaId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Confluent(id) => write!(f, "Confluent schema id {id}"),
            Self::ConfluentGuid(guid) => write!(f, "Confluent schema GUID {guid}"),
            Self::Glue(version) => write!(f, "AWS Glue schema version {version}"),
        }
    }
}

/// The kind of a registry schema, as the registry says (Confluent: `schemaType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SchemaKind {
    /// Apache Avro (Confluent: `schemaType` absent or `AVRO`).
    Avro,
    /// JSON Schema (`JSON`): the data is JSON text.
    Json,
    /// Protobuf (`PROTOBUF`): `.proto` text; the data starts with message indexes.
    Protobuf,
}

impl std::fmt::Display for SchemaKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Avro => "Avro",
            Self::Json => "JSON Schema",
            Self::Protobuf => "Protobuf",
        })
    }
}
