//! Why a registry did not return a schema, the bounds its answers are held to, and the one
//! function that decides whether asking again may succeed.

use aws_sdk_glue::config::http::HttpResponse;
use aws_sdk_glue::error::SdkError;
use aws_sdk_glue::operation::get_schema_version::GetSchemaVersionError;

/// Why a registry did not return a schema.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// The registry answered with an error status.
    #[error("the schema registry answered HTTP {status}: {message}")]
    Status {
        /// The HTTP status.
        status: u16,
        /// The registry's message (Confluent: `message` of the error body), or the body.
        message: String,
    },
    /// The registry could not be reached, or did not answer in full.
    #[error("the schema registry could not be reached")]
    Unreachable(#[source] reqwest::Error),
    /// The HTTP client could not be built (TLS roots).
    #[error("the HTTP client for the schema registry could not be built: {0}")]
    Client(String),
    /// The answer is not a schema document.
    #[error("the schema registry's answer is not a schema document")]
    Body(#[source] serde_json::Error),
    /// The answer is longer than this function reads.
    #[error(
        "the schema registry's answer is over the {MAX_RESPONSE_BYTES} bytes read from a registry"
    )]
    TooLarge,
    /// The registry redirected elsewhere than its own origin, or too many times.
    #[error("the schema registry redirected {0}")]
    Redirect(&'static str),
    /// The schema is of a type this function does not decode.
    #[error("the schema is of type {0}, which this function does not decode yet")]
    SchemaType(String),
    /// The schema's references (with theirs) are more than this function follows.
    #[error("the schema refers to more than {MAX_REFERENCES} other schemas")]
    TooManyReferences,
    /// The AWS Glue Schema Registry did not answer with the schema.
    #[error(transparent)]
    Glue(GetSchemaVersionCallError),
    /// The registry's answer lacks a part of the schema.
    #[error("the schema registry's answer has no {0}")]
    Incomplete(&'static str),
    /// No registry of the id's kind is configured.
    #[error("{0}")]
    NotConfigured(&'static str),
    /// A Confluent schema id, and no Confluent-compatible registry is configured.
    #[error(
        "no Confluent-compatible schema registry is configured: set {}",
        crate::vars::SCHEMA_REGISTRY_URL
    )]
    NoConfluentRegistry,
}

/// Why an AWS Glue schema version cannot be fetched by a pipeline without AWS clients.
pub(crate) const NO_GLUE_REGISTRY: &str = "the AWS Glue Schema Registry is not asked without AWS credentials (the dry run makes no AWS call)";

impl RegistryError {
    /// Whether asking again may succeed: the registry was unreachable, throttled or failing.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Unreachable(_) => true,
            Self::Status { status, .. } => *status == 429 || *status >= 500,
            Self::Glue(error) => error.is_retryable(),
            Self::Client(_)
            | Self::Body(_)
            | Self::TooLarge
            | Self::Redirect(_)
            | Self::SchemaType(_)
            | Self::TooManyReferences
            | Self::Incomplete(_)
            | Self::NoConfluentRegistry
            | Self::NotConfigured(_) => false,
        }
    }
}

/// A `GetSchemaVersion` call that failed.
#[derive(Debug, thiserror::Error)]
#[error("AWS Glue GetSchemaVersion failed")]
pub struct GetSchemaVersionCallError {
    #[source]
    pub(super) source: Box<SdkError<GetSchemaVersionError, HttpResponse>>,
}

impl GetSchemaVersionCallError {
    /// Whether asking again may succeed: throttling, Glue's internal errors, timeouts and lost
    /// connections may; an unknown version or denied access may not.
    pub(crate) fn is_retryable(&self) -> bool {
        crate::sdk::is_retryable(&self.source, &RETRYABLE_CODES)
    }
}

/// `GetSchemaVersion` error codes worth trying again (besides HTTP 429 and 5xx).
const RETRYABLE_CODES: [&str; 2] = ["ThrottlingException", "InternalServiceException"];

/// The most schemas one schema may refer to, directly or through its references: a bound on
/// the registry calls a cyclic or runaway chain of references could make.
pub(crate) const MAX_REFERENCES: usize = 64;

/// The most bytes of a registry's answer that are read: a schema document of 1 MiB holds a
/// schema far larger than any in use (Confluent Schema Registry itself refuses a schema over
/// its `schema.max.size` guidance, and a Kafka message, which a Confluent registry stores its
/// schemas in, defaults to 1 MB: `message.max.bytes`). A longer answer fails its fetch.
pub(crate) const MAX_RESPONSE_BYTES: usize = 1_048_576;
