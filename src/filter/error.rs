//! Why configured event patterns are not usable: [`PatternError`] says where and what.

use super::limits::{MAX_COMBINATIONS, MAX_PATTERN_CHARS, MAX_PATTERNS};

/// Why the configured patterns are not usable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PatternError {
    /// Not JSON.
    #[error("is not JSON: {0}")]
    NotJson(String),
    /// Neither an object nor an array of objects.
    #[error("must be an event pattern (a JSON object) or an array of 1 to {MAX_PATTERNS} of them")]
    NotPatterns,
    /// More patterns than allowed.
    #[error("has {0} patterns; at most {MAX_PATTERNS} are allowed")]
    TooMany(usize),
    /// One pattern is too long.
    #[error("has a pattern of {0} characters; EventBridge accepts at most {MAX_PATTERN_CHARS}")]
    TooLong(usize),
    /// One pattern stands for too many plain patterns.
    #[error(
        "has a pattern whose $or groups expand to {0} combinations; at most {MAX_COMBINATIONS} are allowed"
    )]
    TooComplex(usize),
    /// A top-level field the function cannot know.
    #[error(
        "names `{0}`, which EventBridge sets after the event is put; the filter sees source, detail-type, resources and detail"
    )]
    UnknownEventField(String),
    /// A member of the detail that the connector's detail does not have.
    #[error(
        "names detail.{0}; the detail has only topic, partition, offset, timestamp, timestampType, headers, key and value"
    )]
    UnknownDetailField(String),
    /// An empty object.
    #[error("an object of a pattern must have fields")]
    EmptyObject,
    /// An empty leaf array.
    #[error("a field's array must have at least one value")]
    EmptyArray,
    /// A field whose pattern is a bare value.
    #[error("a field's pattern must be an array of values or an object")]
    NotArrayOrObject,
    /// A comparison object with more or less than one operator.
    #[error("a comparison must be an object with exactly one operator")]
    OneOperator,
    /// An operator EventBridge does not have.
    #[error("`{0}` is not an EventBridge comparison operator")]
    UnknownOperator(String),
    /// A comparison operator's name as a field of a `$or` alternative.
    #[error("`{0}` is a comparison operator, not a field name, inside $or")]
    ReservedName(String),
    /// An operator's operand of the wrong type or shape.
    #[error("{operator} takes {expected}")]
    Operand {
        /// The operator.
        operator: &'static str,
        /// What it takes.
        expected: &'static str,
    },
    /// Where in which pattern an error is.
    #[error("at {path}: {error}")]
    At {
        /// The dotted path of the field.
        path: String,
        /// The error there.
        error: Box<PatternError>,
    },
}

impl PatternError {
    /// `error` at the field `path` (none at the top).
    pub(super) fn at(path: &str, error: Self) -> Self {
        if path.is_empty() || matches!(error, Self::At { .. }) {
            error
        } else {
            Self::At {
                path: path.to_owned(),
                error: Box::new(error),
            }
        }
    }
}
