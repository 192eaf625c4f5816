//! Stage 6: report.
//!
//! Gathers the outcome of every record into the partial batch response that a Kafka event
//! source mapping understands, logs one WARN line per failed record (coordinates and reason,
//! never the payload) for the first [`FAILURES_LOGGED`] and one line counting the rest, logs
//! the INFO summary, and, in `fail-invocation` mode, turns any failure into an invocation error.

use std::time::Duration;

use lambda_runtime::Diagnostic;
use serde::Serialize;

use crate::decode::{DecodeError, EventError, RecordInfo};
use crate::error::{CallFailure, ErrorChain};
use crate::map::MapError;

/// How many failed records an invocation error names.
pub(crate) const FAILURES_NAMED_IN_ERROR: usize = 3;

/// How many failed records an invocation names in WARN lines, one line each; the rest are
/// counted by class in one more WARN line, so that a batch of 10,000 failures writes 101 lines.
pub(crate) const FAILURES_LOGGED: usize = 100;

/// The partial batch response of a Kafka event source mapping:
/// `{"batchItemFailures":[{"itemIdentifier":{"partition":"<topic>-<partition>","offset":<n>}}]}`.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchResponse {
    /// The records that were not delivered.
    pub batch_item_failures: Vec<BatchItemFailure>,
}

/// One record the event source mapping should retry or send to its on-failure destination.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchItemFailure {
    /// The record.
    pub item_identifier: ItemIdentifier,
}

impl From<&RecordInfo> for BatchItemFailure {
    fn from(record: &RecordInfo) -> Self {
        Self {
            item_identifier: ItemIdentifier {
                partition: record.id.partition_key.to_string(),
                offset: record.id.offset,
            },
        }
    }
}

/// A record's identity: its records-map key and its offset.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct ItemIdentifier {
    /// `"<topic>-<partition>"`, as the event's `records` map keys it.
    pub partition: String,
    /// The record's offset.
    pub offset: i64,
}

/// Why a record was not delivered.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Failure {
    /// The record could not be decoded. (Decode errors spell out their causes in their own
    /// message, so the chain stops here.)
    #[error("{0}")]
    Decode(DecodeError),
    /// The record could not be mapped to an event.
    #[error("{0}")]
    Map(MapError),
    /// The event is larger than one call may carry.
    #[error("entry exceeds PutEvents size limit ({size} > {cap} bytes)")]
    Oversize {
        /// The entry's size, as the bus counts it.
        size: usize,
        /// The byte cap of one call.
        cap: usize,
    },
    /// Offloading part of the event to S3 failed, so the event was not sent.
    #[error("not sent: offloading {bytes} bytes to s3://{bucket}/{key}")]
    Offload {
        /// The bucket.
        bucket: String,
        /// The object key.
        key: String,
        /// The object's size.
        bytes: usize,
        /// What went wrong.
        #[source]
        failure: CallFailure,
    },
    /// Sending failed.
    #[error(transparent)]
    Send(CallFailure),
}

impl Failure {
    /// The whole reason, with every cause: what logs and errors show.
    pub fn reason(&self) -> String {
        ErrorChain(self).to_string()
    }

    /// The class of the failure, for counts and metrics.
    pub fn class(&self) -> FailureClass {
        match self {
            Self::Decode(_) => FailureClass::Decode,
            Self::Map(_) => FailureClass::Mapping,
            Self::Oversize { .. } => FailureClass::Oversize,
            Self::Offload { .. } => FailureClass::Offload,
            Self::Send(CallFailure::Exhausted { .. }) => FailureClass::SendExhausted,
            Self::Send(CallFailure::Deadline { .. }) => FailureClass::Deadline,
            Self::Send(CallFailure::Held) => FailureClass::OrderHeld,
            Self::Send(_) => FailureClass::SendFinal,
        }
    }
}

/// The kinds of failure operators count apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum FailureClass {
    /// The record could not be decoded.
    Decode,
    /// The record could not be mapped.
    Mapping,
    /// The event is too large to send.
    Oversize,
    /// Its object could not be stored.
    Offload,
    /// The bus rejected it, or the call failed, finally.
    SendFinal,
    /// Every allowed attempt failed.
    SendExhausted,
    /// The invocation deadline left no time.
    Deadline,
    /// Held back behind an earlier record of its event group that was not delivered (an
    /// ordered bus).
    OrderHeld,
}

impl FailureClass {
    /// Every class, in a fixed order.
    pub const ALL: [FailureClass; 8] = [
        Self::Decode,
        Self::Mapping,
        Self::Oversize,
        Self::Offload,
        Self::SendFinal,
        Self::SendExhausted,
        Self::Deadline,
        Self::OrderHeld,
    ];

    /// The class in a metric name: `Decode`, `Mapping`, `Oversize`, `Offload`, `SendFinal`,
    /// `SendExhausted`, `Deadline`, `OrderHeld`.
    pub fn metric_suffix(self) -> &'static str {
        match self {
            Self::Decode => "Decode",
            Self::Mapping => "Mapping",
            Self::Oversize => "Oversize",
            Self::Offload => "Offload",
            Self::SendFinal => "SendFinal",
            Self::SendExhausted => "SendExhausted",
            Self::Deadline => "Deadline",
            Self::OrderHeld => "OrderHeld",
        }
    }

    /// A short name: `decode`, `mapping`, `oversize`, `offload`, `send-final`,
    /// `send-exhausted`, `deadline`, `order-held`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Decode => "decode",
            Self::Mapping => "mapping",
            Self::Oversize => "oversize",
            Self::Offload => "offload",
            Self::SendFinal => "send-final",
            Self::SendExhausted => "send-exhausted",
            Self::Deadline => "deadline",
            Self::OrderHeld => "order-held",
        }
    }
}

/// Failed records per [`FailureClass`].
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct FailureCounts([usize; FailureClass::ALL.len()]);

impl FailureCounts {
    /// The count of `class`.
    pub fn get(&self, class: FailureClass) -> usize {
        self.0[class as usize]
    }

    pub(crate) fn add(&mut self, class: FailureClass) {
        self.0[class as usize] += 1;
    }

    /// `decode=1 send-final=2`: the classes that have a count.
    fn summary(&self) -> String {
        FailureClass::ALL
            .iter()
            .filter(|c| self.get(**c) > 0)
            .map(|c| format!("{}={}", c.as_str(), self.get(*c)))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// What became of one record.
#[derive(Debug)]
pub(crate) enum Outcome {
    /// The bus accepted its event.
    Delivered,
    /// It was not delivered.
    Failed(Failure),
    /// The filter left it out: acknowledged, not sent.
    Filtered,
}

/// What one invocation did: the response, and everything operators count.
#[derive(Debug, Default)]
#[non_exhaustive]
pub struct Invocation {
    /// The partial batch response.
    pub response: BatchResponse,
    /// Records, delivered and failed.
    pub tally: Tally,
    /// Failed records by class.
    pub failed_by_class: FailureCounts,
    /// Objects offloaded to the object store.
    pub offloaded: usize,
    /// Bytes offloaded.
    pub offloaded_bytes: usize,
    /// Calls planned (before retries).
    pub batches: usize,
    /// Calls made, retries included.
    pub calls: usize,
    /// Calls that resent entries (repacked retries, halves of a call split for size).
    pub retries: usize,
    /// Entries the bus throttled (once per throttled attempt).
    pub throttled: usize,
    /// Calls the bus throttled, as a whole or in any entry.
    pub throttled_calls: usize,
    /// Delivered entries that the bus recognised as duplicates of events it already had (a
    /// Custom Event Bus's `DEDUPLICATED`); counted in `delivered` too.
    pub deduplicated: usize,
    /// The limit on calls in flight when the sending ended (the adaptive limit, or the
    /// configured maximum).
    pub concurrency_limit: usize,
    /// Bytes of the entries of every call made (retries included), as the bus sizes them.
    pub bytes_sent: usize,
    /// The time spent sending (after the uploads).
    pub send_duration: Duration,
    /// From the start of `prepare` to the end of `deliver`.
    pub duration: Duration,
    /// Every record of the event, in event order.
    pub records: Vec<RecordInfo>,
    /// The records the filter left out (indices into `records`): acknowledged, not sent.
    pub filtered: Vec<usize>,
    /// The records not delivered (indices into `records`) and why.
    pub failures: Vec<(usize, Failure)>,
    /// Records whose time mapper reads the record (a header, a field, CloudEvents) and found no
    /// time there: their events carry no `Time` (EventBridge stamps the call's).
    pub time_unset: usize,
    /// Schema ids the records needed that were not available (the first few are named in WARN
    /// lines of their own; this counts them all).
    pub schemas_unavailable: usize,
}

/// The invocation as a whole failed; the event source mapping retries the whole batch.
#[derive(Debug, thiserror::Error)]
pub enum InvocationError {
    /// The event cannot be processed at all.
    #[error(transparent)]
    Event(#[from] EventError),
    /// `fail-invocation` mode and some records were not delivered.
    #[error(
        "{failed} of {total} records were not delivered ({}=fail-invocation); first: {first}",
        crate::vars::BATCH_FAILURE_MODE
    )]
    Undelivered {
        /// Records not delivered.
        failed: usize,
        /// Records in the event.
        total: usize,
        /// The first few, with reasons.
        first: String,
    },
}

impl From<InvocationError> for Diagnostic {
    fn from(error: InvocationError) -> Self {
        let error_type = match &error {
            InvocationError::Event(_) => "InvalidEvent",
            InvocationError::Undelivered { .. } => "RecordsNotDelivered",
        };
        Diagnostic {
            error_type: error_type.to_owned(),
            error_message: error.to_string(),
        }
    }
}

/// Counts for the invocation summary.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Tally {
    /// Records in the event.
    pub records: usize,
    /// Records delivered.
    pub delivered: usize,
    /// Records not delivered.
    pub failed: usize,
    /// Records the filter left out (acknowledged, not sent).
    pub filtered: usize,
}

/// Builds the invocation's report from the outcome of every record, in event order, and logs
/// the failures (bounded) and the summary.
/// `done` holds what the I/O counted; the rest is filled in here.
pub(crate) fn build(
    outcomes: Vec<(RecordInfo, Outcome)>,
    mut done: Invocation,
    duration: Duration,
) -> Invocation {
    let mut tally = Tally {
        records: outcomes.len(),
        ..Tally::default()
    };
    let mut failed_by_class = FailureCounts::default();
    let mut response = BatchResponse::default();
    let mut records = Vec::with_capacity(outcomes.len());
    let mut failures = Vec::new();
    let mut filtered = Vec::new();
    for (index, (record, outcome)) in outcomes.into_iter().enumerate() {
        match outcome {
            Outcome::Failed(failure) => {
                failed_by_class.add(failure.class());
                response
                    .batch_item_failures
                    .push(BatchItemFailure::from(&record));
                failures.push((index, failure));
            }
            Outcome::Filtered => filtered.push(index),
            Outcome::Delivered => {}
        }
        records.push(record);
    }
    tally.failed = failures.len();
    tally.filtered = filtered.len();
    tally.delivered = tally.records - tally.failed - tally.filtered;
    done.filtered = filtered;
    (done.response, done.tally, done.failed_by_class) = (response, tally, failed_by_class);
    (done.duration, done.records, done.failures) = (duration, records, failures);
    log_failures(&done);
    log_summary(&done);
    done
}

/// One WARN line for each of the first [`FAILURES_LOGGED`] failed records, then one for the
/// rest, counted by class.
fn log_failures(done: &Invocation) {
    for (index, failure) in done.failures.iter().take(FAILURES_LOGGED) {
        let record = &done.records[*index];
        tracing::warn!(
            topic = record.topic.as_deref().unwrap_or("?"),
            partition = record.partition,
            offset = record.id.offset,
            records_key = &*record.id.partition_key,
            reason = %ErrorChain(failure),
            "Record not delivered; reported in batchItemFailures."
        );
    }
    if done.failures.len() > FAILURES_LOGGED {
        let mut rest = FailureCounts::default();
        for (_, failure) in &done.failures[FAILURES_LOGGED..] {
            rest.add(failure.class());
        }
        tracing::warn!(
            more = done.failures.len() - FAILURES_LOGGED,
            by_class = %rest.summary(),
            "More records not delivered, not named one by one; all are in batchItemFailures."
        );
    }
}

fn log_summary(done: &Invocation) {
    tracing::info!(
        records = done.tally.records,
        delivered = done.tally.delivered,
        failed = done.tally.failed,
        filtered = done.tally.filtered,
        offloaded = done.offloaded,
        batches = done.batches,
        calls = done.calls,
        retries = done.retries,
        throttled = done.throttled,
        throttled_calls = done.throttled_calls,
        deduplicated = done.deduplicated,
        concurrency_limit = done.concurrency_limit,
        schemas_unavailable = done.schemas_unavailable,
        time_unset = done.time_unset,
        duration_ms = u64::try_from(done.duration.as_millis()).unwrap_or(u64::MAX),
        "Invocation done."
    );
}

/// The error of a `fail-invocation` invocation with undelivered records.
pub(crate) fn undelivered_error(
    records: &[RecordInfo],
    failures: &[(usize, Failure)],
) -> InvocationError {
    let first = failures
        .iter()
        .take(FAILURES_NAMED_IN_ERROR)
        .map(|(i, f)| {
            let id = &records[*i].id;
            format!("{}@{}: {}", id.partition_key, id.offset, f.reason())
        })
        .collect::<Vec<_>>()
        .join("; ");
    InvocationError::Undelivered {
        failed: failures.len(),
        total: records.len(),
        first,
    }
}

/// What the function returns when some records were not delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureMode {
    /// Return them in `batchItemFailures` (needs `ReportBatchItemFailures` on the trigger).
    Partial,
    /// Fail the whole invocation (for on-demand event source mappings, which ignore partial
    /// responses).
    FailInvocation,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::RecordRef;
    use std::sync::Arc;

    fn info(key: &str, offset: i64) -> RecordInfo {
        RecordInfo {
            id: RecordRef {
                partition_key: Arc::from(key),
                offset,
            },
            topic: Some("t".into()),
            partition: Some(0),
        }
    }

    fn report(outcomes: Vec<(RecordInfo, Outcome)>) -> Invocation {
        build(outcomes, Invocation::default(), Duration::ZERO)
    }

    /// The failure model names every class as the WARN lines and the metrics do.
    #[test]
    fn every_failure_class_is_documented() {
        let page = include_str!("../docs/reliability.md");
        for class in FailureClass::ALL {
            assert!(
                page.contains(&format!("`{}`", class.as_str())),
                "docs/reliability.md does not name {}",
                class.as_str()
            );
        }
    }

    #[test]
    fn response_shape() {
        let records = vec![
            info("orders.v1-0", 4711),
            info("orders.v1-0", 4712),
            info("orders.v1-3", 88),
            info("orders.v1-3", 89),
        ];
        let outcomes = vec![
            Outcome::Delivered,
            Outcome::Failed(Failure::Oversize {
                size: 300_000,
                cap: 262_144,
            }),
            Outcome::Failed(Failure::Send(CallFailure::NoResult)),
            Outcome::Filtered,
        ];
        let done = report(records.into_iter().zip(outcomes).collect());
        let (response, tally, failures) = (&done.response, done.tally, &done.failures);
        assert_eq!(
            serde_json::to_string(response).unwrap(),
            r#"{"batchItemFailures":[{"itemIdentifier":{"partition":"orders.v1-0","offset":4712}},{"itemIdentifier":{"partition":"orders.v1-3","offset":88}}]}"#
        );
        assert_eq!(
            tally,
            Tally {
                records: 4,
                delivered: 1,
                failed: 2,
                filtered: 1,
            }
        );
        assert_eq!(done.filtered, [3], "acknowledged: not in batchItemFailures");
        assert_eq!(
            failures[0].1.to_string(),
            "entry exceeds PutEvents size limit (300000 > 262144 bytes)"
        );
        let err = undelivered_error(&done.records, failures).to_string();
        assert!(
            err.starts_with("2 of 4 records were not delivered"),
            "{err}"
        );
        assert!(
            err.contains("orders.v1-0@4712: entry exceeds PutEvents size limit"),
            "{err}"
        );
        assert_eq!(done.failed_by_class.get(FailureClass::Oversize), 1);
        assert_eq!(done.failed_by_class.get(FailureClass::SendFinal), 1);
    }

    #[test]
    fn all_delivered_is_an_empty_list() {
        let done = report(vec![(info("t-0", 1), Outcome::Delivered)]);
        assert_eq!(
            serde_json::to_string(&done.response).unwrap(),
            r#"{"batchItemFailures":[]}"#
        );
    }

    #[test]
    fn classes_and_reasons() {
        let exhausted = Failure::Send(CallFailure::Exhausted {
            attempts: 3,
            last: Box::new(CallFailure::NoResult),
        });
        assert_eq!(exhausted.class(), FailureClass::SendExhausted);
        let deadline = Failure::Send(CallFailure::Deadline {
            attempts: 0,
            last: None,
        });
        assert_eq!(deadline.class(), FailureClass::Deadline);
        let offload = Failure::Offload {
            bucket: "b".into(),
            key: "k".into(),
            bytes: 3,
            failure: CallFailure::NoResult,
        };
        assert_eq!(offload.class(), FailureClass::Offload);
        assert_eq!(
            offload.reason(),
            "not sent: offloading 3 bytes to s3://b/k: the response had no result for this entry"
        );
    }
}
