//! The dry run (`kafka-eventbridge-lambda render --event <file>`): what the function would do
//! with an event under its configuration, without credentials or any AWS call. It runs the
//! function's own [`Pipeline::prepare`] and prints the result of that plan:
//!
//! - each object the claim check would upload, as `{"Bucket","Key","ContentType","ContentLength"}`
//!   (the `PutObject` parameters), in event order;
//! - each `PutEvents` request, as the API's JSON body, in call order;
//! - the `{"batchItemFailures": [...]}` of the records that fail before any call (decoding,
//!   mapping, size), with one reason per failed record;
//! - the records `AWS_EVENTBRIDGE_FILTER_PATTERNS` leaves out (acknowledged, never sent).
//!
//! Uploads and sends that fail at run time cannot be foreseen: the dry run shows the calls as
//! they would first be made. On a Custom Event Bus (ordered), the calls are those made when each
//! returns before the next starts; with several calls in flight, each event group's entries go
//! in the same order but may be split into calls differently. Pure: the caller reads the event and prints the documents.

use serde::Serialize;
use tokio::time::Instant;

use super::run::Pipeline;
use crate::bus::{EventBus, RequestBody};
use crate::decode::{EventError, KafkaEvent, RecordInfo};
use crate::error::ErrorChain;
use crate::report::{BatchItemFailure, BatchResponse};

/// What the function would do with one event.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Rendering {
    /// The objects to upload, one JSON document each, in event order.
    pub uploads: Vec<String>,
    /// The `PutEvents` request bodies, one JSON document each, in call order.
    pub calls: Vec<String>,
    /// The partial batch response of the records that fail before any call.
    pub response: BatchResponse,
    /// Why each of those records fails: one line each, in the response's order.
    pub reasons: Vec<String>,
    /// The records the filter leaves out, one line each naming the record, in event order.
    pub filtered: Vec<String>,
}

/// `PutObject`'s parameters for one object.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct PutObject<'a> {
    bucket: &'a str,
    key: &'a str,
    content_type: &'a str,
    content_length: usize,
}

impl<B: EventBus + RequestBody> Pipeline<B> {
    /// The dry run of `event`: the schemas its records need, fetched by `schemas_by` as an
    /// invocation fetches them, then the plan of [`prepare`](Self::prepare) as the requests the
    /// function would make and the failures it would report.
    pub async fn render(
        &self,
        event: KafkaEvent,
        trace_header: Option<&str>,
        schemas_by: Instant,
    ) -> Result<Rendering, EventError> {
        self.fetch_schemas(&event, schemas_by).await;
        let prepared = self.prepare_traced(event, trace_header)?;
        let bucket = self.bucket().unwrap_or_default();
        let uploads = prepared
            .uploads()
            .map(|(_, upload)| {
                let object = PutObject {
                    bucket,
                    key: &upload.key,
                    content_type: upload.content_type,
                    content_length: upload.body.len(),
                };
                serde_json::to_string(&object).expect("PutObject parameters serialize")
            })
            .collect();
        let calls = self
            .first_calls(&prepared)
            .into_iter()
            .map(|entries| self.bus().put_events_body(&entries))
            .collect();
        let mut response = BatchResponse::default();
        let mut reasons = Vec::new();
        for (record, failure) in prepared.failures() {
            response
                .batch_item_failures
                .push(BatchItemFailure::from(record));
            reasons.push(format!("{}: {}", named(record), ErrorChain(failure)));
        }
        let filtered = prepared.filtered().map(named).collect();
        Ok(Rendering {
            uploads,
            calls,
            response,
            reasons,
            filtered,
        })
    }
}

/// `topic T, partition P, offset O (T-P)`.
fn named(record: &RecordInfo) -> String {
    format!(
        "topic {}, partition {}, offset {} ({})",
        record.topic.as_deref().unwrap_or("?"),
        record
            .partition
            .map_or_else(|| "?".to_owned(), |p| p.to_string()),
        record.id.offset,
        record.id.partition_key,
    )
}
