//! The classic Amazon EventBridge bus behind the [`EventBus`] seam: `PutEvents` with the
//! `aws-sdk-eventbridge` client, built once at cold start with the SDK's own retries turned off
//! (the send stage owns retries, so an entry is never sent more often than configured).

use aws_config::SdkConfig;
use aws_sdk_eventbridge::Client;
use aws_sdk_eventbridge::config::Region;
use aws_sdk_eventbridge::config::http::HttpResponse;
use aws_sdk_eventbridge::config::retry::RetryConfig;
use aws_sdk_eventbridge::config::timeout::TimeoutConfig;
use aws_sdk_eventbridge::error::SdkError;
use aws_sdk_eventbridge::operation::put_events::PutEventsError;
use aws_sdk_eventbridge::primitives::DateTime;
use aws_sdk_eventbridge::types::PutEventsRequestEntry;

use crate::aws::CONNECT_TIMEOUT;
use crate::batch::{BatchLimits, MAX_ENTRIES_PER_PUT, PUT_EVENTS_MAX_BYTES};
use crate::config::Config;
use crate::map::EventEntry;
use crate::send::{EntryStatus, EventBus};

/// Per-entry error codes worth sending again
/// (<https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEventsResultEntry.html>).
pub const RETRYABLE_ENTRY_CODES: [&str; 2] = ["ThrottlingException", "InternalFailure"];

/// A PutEvents call that failed as a whole.
#[derive(Debug, thiserror::Error)]
#[error("PutEvents failed")]
pub struct PutEventsCallError(#[source] pub Box<SdkError<PutEventsError, HttpResponse>>);

/// The classic EventBridge bus.
#[derive(Debug, Clone)]
pub struct EventBridgeBus {
    client: Client,
    bus_arn: String,
    endpoint_id: Option<String>,
}

impl EventBridgeBus {
    /// A bus that puts events on `bus_arn` through `client`.
    pub fn new(client: Client, bus_arn: String, endpoint_id: Option<String>) -> Self {
        Self {
            client,
            bus_arn,
            endpoint_id,
        }
    }

    /// Builds the client from the shared AWS configuration
    /// (see [`load_shared_config`](crate::aws::load_shared_config)) and the
    /// function's configuration: its region, endpoint override and global endpoint. The SDK's
    /// own retries are turned off.
    pub fn from_config(config: &Config, shared: &SdkConfig) -> Self {
        let mut builder = aws_sdk_eventbridge::config::Builder::from(shared)
            .region(Region::new(config.region.clone()))
            .retry_config(RetryConfig::disabled())
            .timeout_config(
                TimeoutConfig::builder()
                    .connect_timeout(CONNECT_TIMEOUT)
                    .build(),
            );
        if let Some(uri) = &config.endpoint_uri {
            builder = builder.endpoint_url(uri);
        }
        Self::new(
            Client::from_conf(builder.build()),
            config.bus_arn.as_str().to_owned(),
            config.global_endpoint_id.clone(),
        )
    }

    fn request_entry(&self, entry: &EventEntry) -> PutEventsRequestEntry {
        PutEventsRequestEntry::builder()
            .source(&*entry.source)
            .detail_type(&entry.detail_type)
            .detail(&entry.detail)
            .event_bus_name(&self.bus_arn)
            .set_resources((!entry.resources.is_empty()).then(|| entry.resources.to_vec()))
            .set_time(entry.time_ms.map(DateTime::from_millis))
            .build()
    }
}

impl EventBus for EventBridgeBus {
    type Error = PutEventsCallError;

    fn limits(&self, max_bytes: usize) -> BatchLimits {
        BatchLimits {
            max_entries: MAX_ENTRIES_PER_PUT,
            max_bytes: max_bytes.min(PUT_EVENTS_MAX_BYTES),
        }
    }

    async fn put(&self, entries: &[&EventEntry]) -> Result<Vec<EntryStatus>, PutEventsCallError> {
        let output = self
            .client
            .put_events()
            .set_entries(Some(
                entries.iter().map(|e| self.request_entry(e)).collect(),
            ))
            .set_endpoint_id(self.endpoint_id.clone())
            .send()
            .await
            .map_err(|e| PutEventsCallError(Box::new(e)))?;
        Ok(output
            .entries()
            .iter()
            .map(|result| match result.error_code() {
                None => EntryStatus::Accepted,
                Some(code) => EntryStatus::Rejected {
                    code: code.to_owned(),
                    message: result.error_message().unwrap_or_default().to_owned(),
                    retryable: RETRYABLE_ENTRY_CODES.contains(&code),
                },
            })
            .collect())
    }

    fn is_retryable(&self, error: &PutEventsCallError) -> bool {
        is_retryable(&error.0)
    }
}

/// Call-level error codes of PutEvents worth sending again (besides HTTP 429 and 5xx).
pub const RETRYABLE_CALL_CODES: [&str; 4] = [
    "ThrottlingException",
    "InternalFailure",
    "InternalException",
    "ServiceUnavailable",
];

/// Whether a failed PutEvents call may succeed when sent again.
pub fn is_retryable(error: &SdkError<PutEventsError, HttpResponse>) -> bool {
    crate::aws::is_retryable(error, &RETRYABLE_CALL_CODES)
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_eventbridge::config::http::HttpResponse;
    use aws_sdk_eventbridge::error::{ConnectorError, ErrorMetadata};
    use aws_smithy_runtime_api::http::StatusCode;
    use aws_smithy_types::body::SdkBody;

    fn service_error(status: u16, code: &str) -> SdkError<PutEventsError, HttpResponse> {
        let meta = ErrorMetadata::builder().code(code).message("m").build();
        let raw = HttpResponse::new(StatusCode::try_from(status).unwrap(), SdkBody::empty());
        SdkError::service_error(PutEventsError::generic(meta), raw)
    }

    #[test]
    fn classification() {
        assert!(is_retryable(&service_error(400, "ThrottlingException")));
        assert!(is_retryable(&service_error(500, "InternalException")));
        assert!(is_retryable(&service_error(503, "ServiceUnavailable")));
        assert!(is_retryable(&service_error(502, "Whatever")));
        assert!(is_retryable(&service_error(429, "TooManyRequests")));
        assert!(!is_retryable(&service_error(400, "ValidationException")));
        assert!(!is_retryable(&service_error(
            404,
            "ResourceNotFoundException"
        )));
        assert!(!is_retryable(&service_error(403, "AccessDeniedException")));
        assert!(!is_retryable(&service_error(413, "RequestEntityTooLarge")));
        let timeout: SdkError<PutEventsError, HttpResponse> = SdkError::timeout_error("slow");
        assert!(is_retryable(&timeout));
        let io = std::io::Error::new(std::io::ErrorKind::ConnectionReset, "reset");
        let dispatch: SdkError<PutEventsError, HttpResponse> =
            SdkError::dispatch_failure(ConnectorError::io(Box::new(io)));
        assert!(is_retryable(&dispatch));
        let construction: SdkError<PutEventsError, HttpResponse> =
            SdkError::construction_failure("bad");
        assert!(!is_retryable(&construction));
    }

    #[test]
    fn retryable_entry_codes() {
        assert!(RETRYABLE_ENTRY_CODES.contains(&"ThrottlingException"));
        assert!(RETRYABLE_ENTRY_CODES.contains(&"InternalFailure"));
        assert!(!RETRYABLE_ENTRY_CODES.contains(&"MalformedDetail"));
    }
}
