//! Why an Avro schema or datum could not be used, and the bound on recursive datums it names.

use crate::json::MAX_JSON_DEPTH;

/// The longest datum of a recursive schema that is decoded (the reader's recursion costs
/// several KiB of stack per level in an unoptimised build).
pub(crate) const MAX_RECURSIVE_BYTES: usize = 4 * 1024;
/// Why an Avro schema or datum could not be used. The messages never quote the data.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AvroError {
    /// The registry's schema text is not an Avro schema.
    #[error("is not a valid Avro schema: {0}")]
    Schema(String),
    /// The bytes are not a datum of the schema.
    #[error("is not a valid Avro datum of this schema")]
    Datum,
    /// The datum ends before the bytes do.
    #[error("has {0} bytes after the Avro datum (written with another schema?)")]
    Trailing(usize),
    /// The value nests deeper than EventBridge accepts (a recursive schema).
    #[error("nests deeper than {MAX_JSON_DEPTH} levels")]
    TooDeep,
    /// A datum of a recursive schema, too long to decode safely.
    #[error(
        "is a {0}-byte datum of a recursive schema, over the {MAX_RECURSIVE_BYTES} bytes decoded safely"
    )]
    TooLongRecursive(usize),
    /// The value does not match its schema (a decoder bug, or a reference left unresolved).
    #[error("has a value that does not match its schema")]
    Mismatch,
    /// A length in the datum or its schema is over the bytes left in the datum.
    #[error("has a {kind} of {len} bytes, more than the {left} bytes left in the datum")]
    Length {
        /// What is sized: `string`, `bytes value`, `fixed`, `decimal`, `map key`, `block`.
        kind: &'static str,
        /// The size it claims.
        len: u64,
        /// The bytes left.
        left: usize,
    },
    /// The datum would decode to more than its budget (see [`Budget`](super::bounds::Budget)).
    #[error("would decode to more than {limit} {what}, the budget of a {len}-byte datum")]
    OverBudget {
        /// `values` or `bytes of JSON`.
        what: &'static str,
        /// The budget.
        limit: usize,
        /// The datum's length.
        len: usize,
    },
}
