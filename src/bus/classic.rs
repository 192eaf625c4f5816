//! The classic Amazon EventBridge bus behind the [`EventBus`] seam: `PutEvents` with the
//! `aws-sdk-eventbridge` client, built once at cold start with the SDK's own retries turned off
//! (the send stage owns retries, so an entry is never sent more often than configured). The
//! classic bus's limits and AWS's entry-size formula live here, with the bus they belong to.

use aws_sdk_eventbridge::Client;
use aws_sdk_eventbridge::config::http::HttpResponse;
use aws_sdk_eventbridge::error::SdkError;
use aws_sdk_eventbridge::operation::put_events::PutEventsError;
use aws_sdk_eventbridge::primitives::{DateTime, DateTimeFormat};
use aws_sdk_eventbridge::types::PutEventsRequestEntry;
use serde::Serialize;
use serde_json::value::RawValue;

use super::seam::{
    BatchLimits, CallClass, EntryStatus, EventBus, RequestBody, SdkCodes, classify_sdk,
};
use crate::map::EventEntry;

/// At most this many entries go in one PutEvents call
/// (<https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEvents.html>, `Entries`:
/// 1 to 10 items).
pub(crate) const MAX_ENTRIES_PER_PUT: usize = 10;

/// The total entry size of one PutEvents call may be at most 1 MiB since 2026-01-29 (it was
/// 256 KiB before; "Amazon EventBridge quotas",
/// <https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-quota.html>, and "Calculating
/// PutEvents event entry size",
/// <https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-putevent-size.html>).
pub(crate) const PUT_EVENTS_MAX_BYTES: usize = 1_048_576;

/// The limits of one PutEvents call.
pub const PUT_EVENTS_LIMITS: BatchLimits = BatchLimits {
    max_entries: MAX_ENTRIES_PER_PUT,
    max_bytes: PUT_EVENTS_MAX_BYTES,
};

/// A set `Time` counts 14 bytes ("Calculating PutEvents event entry size",
/// <https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-putevent-size.html>).
pub(crate) const TIME_ENTRY_BYTES: usize = 14;

/// The size of an entry by AWS's formula: 14 bytes if `Time` is set, plus the UTF-8 bytes of
/// `Source`, `DetailType`, `Detail` and each `Resources` item. `EventBusName` does not count.
/// A `TraceHeader` counts its bytes too, as the connector counts it (the user guide's formula
/// does not mention it; counting it is the safe side of the cap).
pub fn entry_size(entry: &EventEntry) -> usize {
    event_size(entry) + entry.trace_header.as_deref().map_or(0, str::len)
}

/// AWS's formula over the members every bus sends: 14 bytes if `Time` is set, plus the UTF-8
/// bytes of `Source`, `DetailType`, `Detail` and each `Resources` item.
pub(crate) fn event_size(entry: &EventEntry) -> usize {
    let time = if entry.time_ms.is_some() {
        TIME_ENTRY_BYTES
    } else {
        0
    };
    time + entry.source.len()
        + entry.detail_type.len()
        + entry.detail.len()
        + entry.resources.iter().map(String::len).sum::<usize>()
}

/// A `TraceHeader` is 1 to 500 characters
/// (<https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEventsRequestEntry.html>);
/// a longer one is not sent.
pub(crate) const MAX_TRACE_HEADER_CHARS: usize = 500;

/// Per-entry error codes worth sending again
/// (<https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEventsResultEntry.html>).
pub(crate) const RETRYABLE_ENTRY_CODES: [&str; 2] = ["ThrottlingException", "InternalFailure"];

/// The per-entry and call-level code of throttling
/// (<https://docs.aws.amazon.com/eventbridge/latest/APIReference/CommonErrors.html>).
pub(crate) const THROTTLING_CODE: &str = "ThrottlingException";

/// How PutEvents names its call failures: the call-level codes worth sending again, besides
/// HTTP 429 and 5xx (<https://docs.aws.amazon.com/eventbridge/latest/APIReference/CommonErrors.html>:
/// `ThrottlingException`, `InternalFailure`, `ServiceUnavailable`; `InternalException` is
/// PutEvents' own, <https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEvents.html>),
/// and the HTTP status of a request over the size limit ("413 Request Entity Too Large"; the
/// connector reports it as "EventBridge batch size limit exceeded").
pub(crate) const CALL_CODES: SdkCodes = SdkCodes {
    retryable: &[
        "ThrottlingException",
        "InternalFailure",
        "InternalException",
        "ServiceUnavailable",
    ],
    throttling: THROTTLING_CODE,
    too_large_status: 413,
};

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

    fn request_entry(&self, entry: &EventEntry) -> PutEventsRequestEntry {
        PutEventsRequestEntry::builder()
            .source(&*entry.source)
            .detail_type(&entry.detail_type)
            .detail(&entry.detail)
            .event_bus_name(&self.bus_arn)
            .set_resources((!entry.resources.is_empty()).then(|| entry.resources.to_vec()))
            .set_time(entry.time_ms.map(DateTime::from_millis))
            .set_trace_header(entry.trace_header.as_deref().map(str::to_owned))
            .build()
    }

    fn body_entry<'a>(&'a self, entry: &'a EventEntry) -> BodyEntry<'a> {
        let time = entry.time_ms.map(|ms| {
            let seconds = DateTime::from_millis(ms)
                .fmt(DateTimeFormat::EpochSeconds)
                .expect("epoch seconds format every DateTime");
            RawValue::from_string(seconds).expect("epoch seconds are a JSON number")
        });
        BodyEntry {
            source: &entry.source,
            detail_type: &entry.detail_type,
            detail: &entry.detail,
            resources: (!entry.resources.is_empty()).then_some(&*entry.resources),
            time,
            event_bus_name: &self.bus_arn,
            trace_header: entry.trace_header.as_deref(),
        }
    }
}

impl RequestBody for EventBridgeBus {
    /// The JSON body of the `PutEvents` request that carries `entries`, member for member as
    /// [`put`](EventBus::put) has the SDK send it (awsJson1.1; `Time` in the SDK's epoch-seconds
    /// text). Pure: the dry run prints it.
    fn put_events_body(&self, entries: &[&EventEntry]) -> String {
        let body = PutEventsBody {
            entries: entries.iter().map(|e| self.body_entry(e)).collect(),
            endpoint_id: self.endpoint_id.as_deref(),
        };
        serde_json::to_string(&body).expect("a PutEvents body serializes: strings and numbers")
    }
}

/// `PutEventsRequest` as JSON.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct PutEventsBody<'a> {
    entries: Vec<BodyEntry<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    endpoint_id: Option<&'a str>,
}

/// `PutEventsRequestEntry` as JSON, members in the order the README's dry run shows them.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct BodyEntry<'a> {
    source: &'a str,
    detail_type: &'a str,
    detail: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    resources: Option<&'a [String]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    time: Option<Box<RawValue>>,
    event_bus_name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    trace_header: Option<&'a str>,
}

impl EventBus for EventBridgeBus {
    type Error = PutEventsCallError;

    fn limits(&self) -> BatchLimits {
        PUT_EVENTS_LIMITS
    }

    fn entry_size(&self, entry: &EventEntry) -> usize {
        entry_size(entry)
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
                    throttled: code == THROTTLING_CODE,
                },
            })
            .collect())
    }

    fn classify(&self, error: &PutEventsCallError) -> CallClass {
        classify_sdk(&error.0, &CALL_CODES)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(
        source: &str,
        detail_type: &str,
        detail: &str,
        resources: &[&str],
        time: bool,
    ) -> EventEntry {
        EventEntry {
            source: std::sync::Arc::from(source),
            detail_type: detail_type.into(),
            detail: detail.into(),
            resources: resources
                .iter()
                .map(|r| r.to_string())
                .collect::<Vec<_>>()
                .into(),
            time_ms: time.then_some(0),
            trace_header: None,
            event_group_id: None,
            deduplication_id: None,
        }
    }

    #[test]
    fn size_formula() {
        assert_eq!(entry_size(&entry("", "", "", &[], false)), 0);
        assert_eq!(entry_size(&entry("", "", "", &[], true)), 14);
        assert_eq!(entry_size(&entry("!", "", "", &[], false)), 1);
        // UTF-8 bytes, not characters: µ is 2 bytes, Ⅲ 3, 👍 4.
        assert_eq!(entry_size(&entry("µ", "Ⅲ", "👍", &[], false)), 2 + 3 + 4);
        assert_eq!(
            entry_size(&entry("s", "dt", "{}", &["r1", "r22"], true)),
            14 + 1 + 2 + 2 + 2 + 3
        );
    }

    #[test]
    fn a_trace_header_is_sent_and_counted() {
        let mut e = entry("s", "dt", "{}", &[], false);
        e.trace_header = Some(std::sync::Arc::from(
            "Root=1-5759e988-bd862e3fe1be46a994272793",
        ));
        assert_eq!(entry_size(&e), 1 + 2 + 2 + 40);
        let config = aws_sdk_eventbridge::Config::builder()
            .behavior_version(aws_sdk_eventbridge::config::BehaviorVersion::latest())
            .build();
        let bus = EventBridgeBus::new(Client::from_conf(config), "arn".into(), None);
        let request = bus.request_entry(&e);
        assert_eq!(
            request.trace_header(),
            Some("Root=1-5759e988-bd862e3fe1be46a994272793")
        );
        assert_eq!(
            bus.request_entry(&entry("s", "dt", "{}", &[], false))
                .trace_header(),
            None
        );
    }

    #[test]
    fn put_events_body_has_the_api_members() {
        let config = aws_sdk_eventbridge::Config::builder()
            .behavior_version(aws_sdk_eventbridge::config::BehaviorVersion::latest())
            .build();
        let bus = EventBridgeBus::new(Client::from_conf(config), "arn:bus".into(), None);
        let mut timed = entry("s", "dt", r#"{"a":1}"#, &["r1"], true);
        timed.time_ms = Some(1_764_240_000_123);
        let mut whole = entry("s", "dt", "{}", &[], true);
        whole.time_ms = Some(1_764_240_001_000);
        assert_eq!(
            bus.put_events_body(&[&timed, &whole]),
            concat!(
                r#"{"Entries":[{"Source":"s","DetailType":"dt","Detail":"{\"a\":1}","#,
                r#""Resources":["r1"],"Time":1764240000.123,"EventBusName":"arn:bus"},"#,
                r#"{"Source":"s","DetailType":"dt","Detail":"{}","Time":1764240001,"#,
                r#""EventBusName":"arn:bus"}]}"#
            )
        );
        let global = EventBridgeBus {
            endpoint_id: Some("abc.xyz".into()),
            ..bus
        };
        let body: serde_json::Value =
            serde_json::from_str(&global.put_events_body(&[&whole])).unwrap();
        assert_eq!(body["EndpointId"], "abc.xyz");
    }

    #[test]
    fn retryable_entry_codes() {
        assert!(RETRYABLE_ENTRY_CODES.contains(&"ThrottlingException"));
        assert!(RETRYABLE_ENTRY_CODES.contains(&"InternalFailure"));
        assert!(!RETRYABLE_ENTRY_CODES.contains(&"MalformedDetail"));
    }
}
