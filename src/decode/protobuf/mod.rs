//! Protobuf values as JSON: the canonical proto3 JSON mapping (`prost-reflect`), with schemas
//! given as `.proto` text (a schema registry's) compiled by `protox`. Pure.
//!
//! The mapping: field names in lowerCamelCase, fields at their default value left out,
//! 64-bit integers as strings, enums by name, bytes as base64, and the well-known types
//! (`Timestamp` as RFC 3339, `Duration` as `"1.5s"`, wrappers as their value, `Struct`/`Value`
//! as JSON, `Any` with `@type`) as the mapping specifies.

use std::collections::HashMap;

use prost_reflect::{DescriptorPool, DynamicMessage, FileDescriptor, MessageDescriptor};
use protox::file::{ChainFileResolver, File, FileResolver, GoogleFileResolver};

use crate::json::JsonText;

/// The deepest nesting of messages decoded: prost's `RECURSION_LIMIT` (100), which every
/// `DynamicMessage` decode enters per level, so a message nested deeper fails alone, in bounded
/// time and stack, well within the [`MAX_JSON_DEPTH`](crate::json::MAX_JSON_DEPTH) levels its
/// JSON may have. (The `no-recursion-limit` feature of prost would lift it; the tests prove it is
/// off.)
pub(crate) const MAX_PROTOBUF_DEPTH: usize = 100;

/// The name the registry's schema text is compiled under.
const SCHEMA_FILE: &str = "schema.proto";

/// Why a Protobuf schema or message could not be used. The messages never quote the data.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ProtoError {
    /// The registry's schema text does not compile.
    #[error("is not a valid .proto schema: {0}")]
    Schema(String),
    /// The message indexes before the data are malformed.
    #[error("has malformed Protobuf message indexes")]
    Indexes,
    /// The message indexes name no message of the schema.
    #[error("names message {0:?} by index, which the schema does not have")]
    NoMessage(Vec<usize>),
    /// AWS Glue's message index names no message of the schema.
    #[error("names message {0} by AWS Glue's message index, which the schema does not have")]
    NoGlueMessage(usize),
    /// The bytes are not a message of the schema.
    #[error("is not a valid Protobuf message of {0}")]
    Message(String),
    /// The message nests deeper than the decoder goes.
    #[error("nests messages deeper than {MAX_PROTOBUF_DEPTH} levels")]
    TooDeep,
}

/// A compiled `.proto` schema.
#[derive(Debug)]
pub(crate) struct ProtoSchema {
    file: FileDescriptor,
    /// Every message of the file, nested ones too, sorted by full name: the messages that AWS
    /// Glue's message index counts.
    glue_order: Vec<MessageDescriptor>,
}

/// Serves the registry's schema text as [`SCHEMA_FILE`], and the schemas it imports under
/// their import paths.
struct SchemaText(HashMap<String, String>);

impl FileResolver for SchemaText {
    fn open_file(&self, name: &str) -> Result<File, protox::Error> {
        match self.0.get(name) {
            Some(text) => File::from_source(name, text),
            None => Err(protox::Error::file_not_found(name)),
        }
    }
}

impl ProtoSchema {
    /// Compiles `.proto` text (imports of the well-known types `google/protobuf/*.proto` are
    /// built in; other imports are not resolved). For the tests and the fuzz targets.
    #[cfg(any(test, feature = "fuzzing"))]
    pub(crate) fn parse(text: &str) -> Result<Self, ProtoError> {
        Self::parse_with_imports(text, std::iter::empty())
    }

    /// Compiles `.proto` text whose imports are among `imports` (each an import path and its
    /// `.proto` text: Confluent schema references) or the well-known types.
    pub(crate) fn parse_with_imports<'a>(
        text: &str,
        imports: impl Iterator<Item = (&'a str, &'a str)>,
    ) -> Result<Self, ProtoError> {
        let mut files: HashMap<String, String> = imports
            .map(|(name, text)| (name.to_owned(), text.to_owned()))
            .collect();
        files.insert(SCHEMA_FILE.to_owned(), text.to_owned());
        let mut resolver = ChainFileResolver::new();
        resolver.add(SchemaText(files));
        resolver.add(GoogleFileResolver::new());
        let mut compiler = protox::Compiler::with_file_resolver(resolver);
        compiler
            .open_file(SCHEMA_FILE)
            .map_err(|e| ProtoError::Schema(crate::error::quote(&e.to_string())))?;
        let pool: DescriptorPool = compiler.descriptor_pool();
        let file = pool
            .get_file_by_name(SCHEMA_FILE)
            .expect("the compiled file is in its pool");
        let mut glue_order = Vec::new();
        let mut level: Vec<MessageDescriptor> = file.messages().collect();
        while !level.is_empty() {
            let next = level.iter().flat_map(|m| m.child_messages()).collect();
            glue_order.append(&mut level);
            level = next;
        }
        glue_order.sort_by(|a, b| a.full_name().cmp(b.full_name()));
        Ok(Self { file, glue_order })
    }

    /// The message that `indexes` name: the first is a top-level message of the file, each
    /// next one a message nested in the previous (Confluent's message indexes).
    fn message(&self, indexes: &[usize]) -> Result<MessageDescriptor, ProtoError> {
        let missing = || ProtoError::NoMessage(indexes.to_vec());
        let (first, rest) = indexes.split_first().ok_or_else(missing)?;
        let mut message = self.file.messages().nth(*first).ok_or_else(missing)?;
        for index in rest {
            let child = message.child_messages().nth(*index);
            message = child.ok_or_else(missing)?;
        }
        Ok(message)
    }

    /// Decodes `data`, a message of the type `indexes` name, as compact JSON.
    pub(crate) fn to_json(&self, indexes: &[usize], data: &[u8]) -> Result<JsonText, ProtoError> {
        message_json(self.message(indexes)?, data)
    }

    /// Decodes `data`, a message of the type AWS Glue's message `index` names (its place among
    /// all the file's messages, nested ones too, sorted by full name), as compact JSON.
    pub(crate) fn glue_to_json(&self, index: usize, data: &[u8]) -> Result<JsonText, ProtoError> {
        let descriptor = self
            .glue_order
            .get(index)
            .ok_or(ProtoError::NoGlueMessage(index))?;
        message_json(descriptor.clone(), data)
    }
}

/// Decodes `data`, a message of type `descriptor`, as compact JSON.
fn message_json(descriptor: MessageDescriptor, data: &[u8]) -> Result<JsonText, ProtoError> {
    let name = descriptor.full_name().to_owned();
    let message = DynamicMessage::decode(descriptor, data).map_err(|e| {
        if e.to_string().contains("recursion limit") {
            ProtoError::TooDeep
        } else {
            ProtoError::Message(name)
        }
    })?;
    let text = serde_json::to_string(&message).map_err(|_| ProtoError::Indexes)?;
    crate::json::json_text(text).map_err(|_| ProtoError::Indexes)
}

/// Reads AWS Glue's message index at the start of `bytes`: one unsigned varint (its
/// serializer's `writeUInt32NoTag`). Returns the index and the data after it.
pub(crate) fn glue_index(bytes: &[u8]) -> Result<(usize, &[u8]), ProtoError> {
    let mut rest = bytes;
    let raw = prost::encoding::decode_varint(&mut rest).map_err(|_| ProtoError::Indexes)?;
    let index = u32::try_from(raw)
        .ok()
        .and_then(|i| usize::try_from(i).ok())
        .ok_or(ProtoError::Indexes)?;
    Ok((index, rest))
}

/// Reads Confluent's message indexes at the start of `bytes`: a zigzag varint count, then that
/// many zigzag varint indexes; a count of 0 stands for `[0]` (the first message). Returns the
/// indexes and the data after them.
pub(crate) fn confluent_indexes(bytes: &[u8]) -> Result<(Vec<usize>, &[u8]), ProtoError> {
    let mut rest = bytes;
    let count = zigzag_index(&mut rest)?;
    if count == 0 {
        return Ok((vec![0], rest));
    }
    // Each index takes at least one byte, so a count beyond the bytes left is malformed.
    if count > rest.len() {
        return Err(ProtoError::Indexes);
    }
    let indexes = (0..count)
        .map(|_| zigzag_index(&mut rest))
        .collect::<Result<Vec<_>, _>>()?;
    Ok((indexes, rest))
}

/// One zigzag varint index (0, -1, 1, -2, … ↔ 0, 1, 2, 3, …; indexes are never negative).
fn zigzag_index(rest: &mut &[u8]) -> Result<usize, ProtoError> {
    let raw = prost::encoding::decode_varint(rest).map_err(|_| ProtoError::Indexes)?;
    if raw & 1 == 1 {
        return Err(ProtoError::Indexes);
    }
    usize::try_from(raw >> 1).map_err(|_| ProtoError::Indexes)
}

#[cfg(test)]
mod tests;
