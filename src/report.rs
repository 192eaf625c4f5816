//! Stage 6: report.
//!
//! Gathers the outcome of every record into the partial batch response that a Kafka event
//! source mapping understands, logs one WARN line per failed record (coordinates and reason,
//! never the payload), and, in `fail-invocation` mode, turns any failure into an invocation
//! error.

use std::fmt;
use std::sync::Arc;

use lambda_runtime::Diagnostic;
use serde::Serialize;

use crate::decode::{DecodeError, EventError, RecordRef};
use crate::map::MapError;
use crate::offload::UploadFailure;
use crate::send::SendFailure;

/// How many failed records an invocation error names.
pub const FAILURES_NAMED_IN_ERROR: usize = 3;

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

/// A record's identity: its records-map key and its offset.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct ItemIdentifier {
    /// `"<topic>-<partition>"`, as the event's `records` map keys it.
    pub partition: String,
    /// The record's offset.
    pub offset: i64,
}

/// Why a record was not delivered.
#[derive(Debug)]
pub enum Failure {
    /// The record could not be decoded.
    Decode(DecodeError),
    /// The record could not be mapped to an event.
    Map(MapError),
    /// The event is larger than one PutEvents call may carry.
    Oversize {
        /// The entry's size by AWS's formula.
        size: usize,
        /// The configured cap.
        cap: usize,
    },
    /// Offloading part of the event to S3 failed, so the event was not sent.
    Offload {
        /// The bucket.
        bucket: String,
        /// The object key.
        key: String,
        /// The object's size.
        bytes: usize,
        /// What went wrong.
        failure: UploadFailure,
    },
    /// Sending failed.
    Send(SendFailure),
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Decode(e) => write!(f, "{e}"),
            Self::Map(e) => write!(f, "{e}"),
            Self::Oversize { size, cap } => {
                write!(
                    f,
                    "entry exceeds PutEvents size limit ({size} > {cap} bytes)"
                )
            }
            Self::Offload {
                bucket,
                key,
                bytes,
                failure,
            } => write!(
                f,
                "not sent: offloading {bytes} bytes to s3://{bucket}/{key}: {failure}"
            ),
            Self::Send(e) => write!(f, "{e}"),
        }
    }
}

/// What became of one record.
#[derive(Debug)]
pub enum Outcome {
    /// EventBridge accepted its event.
    Delivered,
    /// It was not delivered.
    Failed(Failure),
}

/// A record as the report needs it: identity and coordinates for the log.
#[derive(Debug, Clone)]
pub struct RecordInfo {
    /// Its identity in the response.
    pub id: RecordRef,
    /// Its topic, when known.
    pub topic: Option<Arc<str>>,
    /// Its partition, when known.
    pub partition: Option<i64>,
}

/// The invocation as a whole failed; the event source mapping retries the whole batch.
#[derive(Debug, thiserror::Error)]
pub enum InvocationError {
    /// The event cannot be processed at all.
    #[error(transparent)]
    Event(#[from] EventError),
    /// `fail-invocation` mode and some records were not delivered.
    #[error(
        "{failed} of {total} records were not delivered (AWS_EVENTBRIDGE_BATCH_FAILURE_MODE=fail-invocation); first: {first}"
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
}

/// Builds the response from one outcome per record, logging each failure.
///
/// # Panics
/// If a record has no outcome: every stage must give each record exactly one.
pub fn build(
    records: &[RecordInfo],
    outcomes: Vec<Option<Outcome>>,
) -> (BatchResponse, Tally, Vec<(usize, Failure)>) {
    assert_eq!(records.len(), outcomes.len(), "one outcome slot per record");
    let mut tally = Tally {
        records: records.len(),
        ..Tally::default()
    };
    let mut response = BatchResponse::default();
    let mut failures = Vec::new();
    for (index, (record, outcome)) in records.iter().zip(outcomes).enumerate() {
        match outcome.unwrap_or_else(|| panic!("record #{index} ended without an outcome")) {
            Outcome::Delivered => tally.delivered += 1,
            Outcome::Failed(failure) => {
                tally.failed += 1;
                tracing::warn!(
                    topic = record.topic.as_deref().unwrap_or("?"),
                    partition = record.partition,
                    offset = record.id.offset,
                    records_key = &*record.id.partition_key,
                    reason = %failure,
                    "Record not delivered; reported in batchItemFailures."
                );
                response.batch_item_failures.push(BatchItemFailure {
                    item_identifier: ItemIdentifier {
                        partition: record.id.partition_key.to_string(),
                        offset: record.id.offset,
                    },
                });
                failures.push((index, failure));
            }
        }
    }
    (response, tally, failures)
}

/// The error of a `fail-invocation` invocation with undelivered records.
pub fn undelivered_error(records: &[RecordInfo], failures: &[(usize, Failure)]) -> InvocationError {
    let first = failures
        .iter()
        .take(FAILURES_NAMED_IN_ERROR)
        .map(|(i, f)| {
            let id = &records[*i].id;
            format!("{}@{}: {f}", id.partition_key, id.offset)
        })
        .collect::<Vec<_>>()
        .join("; ");
    InvocationError::Undelivered {
        failed: failures.len(),
        total: records.len(),
        first,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
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

    #[test]
    fn response_shape() {
        let records = vec![
            info("orders.v1-0", 4711),
            info("orders.v1-0", 4712),
            info("orders.v1-3", 88),
        ];
        let outcomes = vec![
            Some(Outcome::Delivered),
            Some(Outcome::Failed(Failure::Oversize {
                size: 300_000,
                cap: 262_144,
            })),
            Some(Outcome::Failed(Failure::Send(SendFailure::NoResult))),
        ];
        let (response, tally, failures) = build(&records, outcomes);
        assert_eq!(
            serde_json::to_string(&response).unwrap(),
            r#"{"batchItemFailures":[{"itemIdentifier":{"partition":"orders.v1-0","offset":4712}},{"itemIdentifier":{"partition":"orders.v1-3","offset":88}}]}"#
        );
        assert_eq!(
            tally,
            Tally {
                records: 3,
                delivered: 1,
                failed: 2
            }
        );
        assert_eq!(
            failures[0].1.to_string(),
            "entry exceeds PutEvents size limit (300000 > 262144 bytes)"
        );
        let err = undelivered_error(&records, &failures).to_string();
        assert!(
            err.starts_with("2 of 3 records were not delivered"),
            "{err}"
        );
        assert!(
            err.contains("orders.v1-0@4712: entry exceeds PutEvents size limit"),
            "{err}"
        );
    }

    #[test]
    fn all_delivered_is_an_empty_list() {
        let (response, _, _) = build(&[info("t-0", 1)], vec![Some(Outcome::Delivered)]);
        assert_eq!(
            serde_json::to_string(&response).unwrap(),
            r#"{"batchItemFailures":[]}"#
        );
    }

    #[test]
    #[should_panic(expected = "ended without an outcome")]
    fn a_record_without_outcome_is_a_bug() {
        let _ = build(&[info("t-0", 1)], vec![None]);
    }
}
