//! The EventBridge Custom Event Bus (API `eventsv2`, "EventBridge v2") behind the [`EventBus`]
//! seam: `PutEvents` with the `aws-sdk-eventbridgev2` client (Smithy RPC v2 CBOR), built once at
//! cold start with the SDK's own retries off. The bus keeps the order of each event group and
//! deduplicates at publish time, so it declares itself [`ordered`](EventBus::ordered): the send
//! stage then keeps at most one call per group in flight and resends a group from its first
//! failed entry.
//!
//! What AWS does not document for this bus (per-entry error codes, byte limits) is handled on
//! the safe side and named where it is decided.

use aws_sdk_eventbridgev2::Client;
use aws_sdk_eventbridgev2::config::http::HttpResponse;
use aws_sdk_eventbridgev2::error::SdkError;
use aws_sdk_eventbridgev2::operation::put_events::PutEventsError;
use aws_sdk_eventbridgev2::primitives::DateTime;
use aws_sdk_eventbridgev2::types::{
    DeduplicationConfiguration, DeduplicationType, PutEventsRequestEntry, PutEventsSystemMetadata,
    SuccessCode,
};

use super::classic::event_size;
use serde::Serialize;

use super::seam::{
    BatchLimits, CallClass, EntryStatus, EventBus, RequestBody, SdkCodes, classify_sdk,
};
use crate::map::EventEntry;

/// At most this many entries go in one `PutEvents` call to a Custom Event Bus (Amazon
/// EventBridge Custom Event Bus API Reference, `PutEvents`: `Entries`, 1 to 100 items).
pub(crate) const MAX_ENTRIES_PER_PUT: usize = 100;

/// The byte cap of one call. AWS does not publish a request size limit for this bus; the
/// classic bus's 1 MiB (<https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-quota.html>)
/// is assumed, and a call refused as too large is split.
pub(crate) const PUT_EVENTS_MAX_BYTES: usize = 1_048_576;

/// The limits of one `PutEvents` call to a Custom Event Bus.
pub(crate) const PUT_EVENTS_LIMITS: BatchLimits = BatchLimits {
    max_entries: MAX_ENTRIES_PER_PUT,
    max_bytes: PUT_EVENTS_MAX_BYTES,
};

/// How this bus names its call failures: the request-level errors of `PutEvents` that the API
/// models as retryable (Custom Event Bus API Reference, `PutEvents`, Errors; HTTP 429 and 5xx
/// and timeouts are retried too), the code of throttling, and the HTTP status of a request over
/// the size limit.
pub(crate) const CALL_CODES: SdkCodes = SdkCodes {
    retryable: &["ThrottlingException", "InternalException"],
    throttling: "ThrottlingException",
    too_large_status: 413,
};

/// The size of an entry: the classic bus's formula (14 bytes for a set `Time`, plus the UTF-8
/// bytes of `Source`, `DetailType`, `Detail` and each `Resources` item) plus the bytes of the
/// `EventGroupId` and `DeduplicationId`. AWS does not document how this bus sizes an entry;
/// counting the system metadata is the safe side. There is no `TraceHeader` on this bus.
pub(crate) fn entry_size(entry: &EventEntry) -> usize {
    event_size(entry)
        + entry.event_group_id.as_deref().map_or(0, str::len)
        + entry.deduplication_id.as_deref().map_or(0, str::len)
}

/// Whether a per-entry error code is worth sending again. The codes of this bus are not
/// documented: throttling- and internal-looking codes are retried, anything else is final.
pub(crate) fn is_retryable_entry_code(code: &str) -> bool {
    let code = code.to_ascii_lowercase();
    code.contains("throttl") || code.contains("internal") || code.contains("unavailable")
}

/// A `PutEvents` call to a Custom Event Bus that failed as a whole.
#[derive(Debug, thiserror::Error)]
#[error("PutEvents (Custom Event Bus) failed")]
pub struct PutEventsV2CallError(#[source] pub Box<SdkError<PutEventsError, HttpResponse>>);

/// A Custom Event Bus.
#[derive(Debug, Clone)]
pub struct EventBridgeV2Bus {
    client: Client,
    bus_arn: String,
    content_deduplication: bool,
}

impl EventBridgeV2Bus {
    /// A bus that puts events on `bus_arn` through `client`; `content_deduplication` sends
    /// `DeduplicationConfiguration: CONTENT_BASED` with every request.
    pub fn new(client: Client, bus_arn: String, content_deduplication: bool) -> Self {
        Self {
            client,
            bus_arn,
            content_deduplication,
        }
    }

    fn request_entry(entry: &EventEntry) -> PutEventsRequestEntry {
        let system =
            (entry.event_group_id.is_some() || entry.deduplication_id.is_some()).then(|| {
                PutEventsSystemMetadata::builder()
                    .set_event_group_id(entry.event_group_id.clone())
                    .set_deduplication_id(entry.deduplication_id.clone())
                    .build()
            });
        PutEventsRequestEntry::builder()
            .source(&*entry.source)
            .detail_type(&entry.detail_type)
            .detail(&entry.detail)
            .set_resources((!entry.resources.is_empty()).then(|| entry.resources.to_vec()))
            .set_time(entry.time_ms.map(DateTime::from_millis))
            .set_system_metadata(system)
            .build()
            .expect("Source and DetailType, the required members, are always set")
    }
}

impl RequestBody for EventBridgeV2Bus {
    /// The `PutEvents` request that carries `entries`, as JSON with the API's member names
    /// (the wire format is CBOR; `Time` in epoch seconds). Pure: the dry run prints it.
    fn put_events_body(&self, entries: &[&EventEntry]) -> String {
        let body = PutEventsBody {
            deduplication_configuration: self.content_deduplication.then_some(DeduplicationBody {
                deduplication_type: "CONTENT_BASED",
            }),
            entries: entries.iter().map(|e| BodyEntry::of(e)).collect(),
            event_bus_arn: &self.bus_arn,
        };
        serde_json::to_string(&body).expect("a PutEvents body serializes: strings and numbers")
    }
}

// The request body as JSON. Members are in alphabetical order, as the dry run has always
// printed this bus's requests.

/// `PutEventsRequest`.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct PutEventsBody<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    deduplication_configuration: Option<DeduplicationBody>,
    entries: Vec<BodyEntry<'a>>,
    event_bus_arn: &'a str,
}

/// `DeduplicationConfiguration`.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct DeduplicationBody {
    deduplication_type: &'static str,
}

/// `PutEventsRequestEntry`.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct BodyEntry<'a> {
    detail: &'a str,
    detail_type: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    resources: Option<&'a [String]>,
    source: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    system_metadata: Option<SystemMetadataBody<'a>>,
    /// Epoch seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    time: Option<f64>,
}

/// `PutEventsSystemMetadata`.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct SystemMetadataBody<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    deduplication_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    event_group_id: Option<&'a str>,
}

impl<'a> BodyEntry<'a> {
    fn of(entry: &'a EventEntry) -> Self {
        let (group, dedup) = (
            entry.event_group_id.as_deref(),
            entry.deduplication_id.as_deref(),
        );
        Self {
            detail: &entry.detail,
            detail_type: &entry.detail_type,
            resources: (!entry.resources.is_empty()).then_some(&*entry.resources),
            source: &entry.source,
            system_metadata: (group.is_some() || dedup.is_some()).then_some(SystemMetadataBody {
                deduplication_id: dedup,
                event_group_id: group,
            }),
            time: entry.time_ms.map(|ms| ms as f64 / 1000.0),
        }
    }
}

impl EventBus for EventBridgeV2Bus {
    type Error = PutEventsV2CallError;

    fn limits(&self) -> BatchLimits {
        PUT_EVENTS_LIMITS
    }

    fn entry_size(&self, entry: &EventEntry) -> usize {
        entry_size(entry)
    }

    fn ordered(&self) -> bool {
        true
    }

    async fn put(&self, entries: &[&EventEntry]) -> Result<Vec<EntryStatus>, PutEventsV2CallError> {
        let dedup = self.content_deduplication.then(|| {
            DeduplicationConfiguration::builder()
                .deduplication_type(DeduplicationType::ContentBased)
                .build()
                .expect("DeduplicationType, the required member, is set")
        });
        let output = self
            .client
            .put_events()
            .event_bus_arn(&self.bus_arn)
            .set_entries(Some(
                entries.iter().map(|e| Self::request_entry(e)).collect(),
            ))
            .set_deduplication_configuration(dedup)
            .send()
            .await
            .map_err(|e| PutEventsV2CallError(Box::new(e)))?;
        log_rejections(output.entries());
        Ok(output
            .entries()
            .iter()
            .map(
                |result| match (result.error_code(), result.success_code()) {
                    (Some(code), _) => EntryStatus::Rejected {
                        code: code.to_owned(),
                        message: result.error_message().unwrap_or_default().to_owned(),
                        retryable: is_retryable_entry_code(code),
                        throttled: code.to_ascii_lowercase().contains("throttl"),
                    },
                    (None, Some(SuccessCode::Deduplicated)) => EntryStatus::Deduplicated,
                    (None, _) => EntryStatus::Accepted,
                },
            )
            .collect())
    }

    /// As the Custom Event Bus API reference models `PutEvents`' errors, with two refusals of
    /// the whole request that one entry can cause: `InvalidInputException` (input the bus
    /// rejects while reading the request) and `AccessDeniedException` (no partial
    /// authorization). Both let the send stage find the entries at fault, so that the others
    /// are delivered.
    fn classify(&self, error: &PutEventsV2CallError) -> CallClass {
        match classify_sdk(&error.0, &CALL_CODES) {
            CallClass::Final => match error.0.as_service_error() {
                Some(PutEventsError::InvalidInputException(_)) => CallClass::Malformed,
                Some(PutEventsError::AccessDeniedException(_)) => CallClass::Denied,
                _ => CallClass::Final,
            },
            class => class,
        }
    }
}

/// One WARN line per distinct per-entry error code of a call, with its count and whether it is
/// retried: this bus's codes are not documented, so operators see each one. No payload.
fn log_rejections(results: &[aws_sdk_eventbridgev2::types::PutEventsResultEntry]) {
    let mut codes: Vec<&str> = results.iter().filter_map(|r| r.error_code()).collect();
    codes.sort_unstable();
    for chunk in codes.chunk_by(|a, b| a == b) {
        let code = chunk[0];
        tracing::warn!(
            code,
            entries = chunk.len(),
            retryable = is_retryable_entry_code(code),
            "The Custom Event Bus rejected entries of a call."
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn entry() -> EventEntry {
        EventEntry {
            source: Arc::from("s"),
            detail_type: "dt".into(),
            detail: "{}".into(),
            resources: Arc::from(vec!["r1".to_owned()]),
            time_ms: Some(1_764_240_000_123),
            trace_header: Some(Arc::from("Root=1-5759e988-bd862e3fe1be46a994272793")),
            event_group_id: Some("t-0".into()),
            deduplication_id: Some("c:t:0:5".into()),
        }
    }

    #[test]
    fn size_counts_system_metadata_not_the_trace_header() {
        assert_eq!(entry_size(&entry()), 14 + 1 + 2 + 2 + 2 + 3 + 7);
    }

    #[test]
    fn entry_codes() {
        assert!(is_retryable_entry_code("ThrottlingException"));
        assert!(is_retryable_entry_code("InternalException"));
        assert!(is_retryable_entry_code("InternalFailure"));
        assert!(!is_retryable_entry_code("InvalidInputException"));
        assert!(!is_retryable_entry_code("AccessDeniedException"));
    }

    #[test]
    fn body_has_the_api_members() {
        let config = aws_sdk_eventbridgev2::Config::builder()
            .behavior_version(aws_sdk_eventbridgev2::config::BehaviorVersion::latest())
            .build();
        let bus = EventBridgeV2Bus::new(Client::from_conf(config), "arn:bus".into(), true);
        let body: serde_json::Value =
            serde_json::from_str(&bus.put_events_body(&[&entry()])).unwrap();
        assert_eq!(
            body,
            serde_json::json!({
                "EventBusArn": "arn:bus",
                "Entries": [{"Source": "s", "DetailType": "dt", "Detail": "{}",
                    "Resources": ["r1"], "Time": 1_764_240_000.123,
                    "SystemMetadata": {"EventGroupId": "t-0", "DeduplicationId": "c:t:0:5"}}],
                "DeduplicationConfiguration": {"DeduplicationType": "CONTENT_BASED"}
            })
        );
    }
}
