//! What the function answers: the partial batch response of a Kafka event, or the report of a
//! pre-flight request, and the seam of the pre-flight checks.

use futures_util::future::BoxFuture;
use serde::Serialize;

use crate::report::BatchResponse;

/// The checks a deployed function runs, with its own role and network, when it is invoked with
/// `{"preflight": true}` in place of a Kafka event. A pipeline built from a cold start
/// ([`ColdStart::pipeline`](crate::ColdStart::pipeline)) has the function's own
/// ([`preflight`](crate::preflight)); without one, that request is an invalid event.
pub trait Preflight: std::fmt::Debug + Send + Sync {
    /// Runs the checks: the report as JSON.
    fn run(&self) -> BoxFuture<'_, serde_json::Value>;
}

/// What the function answers an invocation.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum Answer {
    /// The partial batch response of a Kafka event.
    Batch(BatchResponse),
    /// The report of a pre-flight request: `{"preflight": {…}}`.
    Preflight {
        /// The report.
        preflight: serde_json::Value,
    },
}
