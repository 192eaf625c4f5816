//! The one place where the stages meet: decode → map → offload → batch → send → report.
//!
//! [`Pipeline`] is built once at cold start and handles each invocation. It knows nothing of a
//! particular bus (that is the [`EventBus`] seam), object store (the [`BlobStore`] seam) or value
//! format (the [`PayloadDecoder`](crate::decode::PayloadDecoder) seam).

use std::time::{Duration, SystemTime};

use tokio::time::Instant;
use uuid::Uuid;

use crate::batch::{self, BatchLimits};
use crate::config::{Config, FailureMode};
use crate::decode::{self, Decoders, EventError, KafkaEvent};
use crate::map::Mapper;
use crate::offload::{self, BlobStore, Offloader, Upload};
use crate::report::{self, BatchResponse, Failure, InvocationError, Outcome, RecordInfo, Tally};
use crate::send::{self, Delivery, EventBus, SendPolicy};

/// Time kept free before the invocation deadline: nothing is started that would end later, so
/// that the response (and its logs) always leave before Lambda stops the function. It covers
/// building and logging the report of a large batch with room to spare.
pub const DEADLINE_MARGIN: Duration = Duration::from_millis(500);

/// What one invocation did.
#[derive(Debug)]
pub struct Invocation {
    /// The partial batch response.
    pub response: BatchResponse,
    /// Records, delivered and failed.
    pub tally: Tally,
    /// PutEvents calls made, retries included.
    pub calls: usize,
    /// Calls that were retries.
    pub retries: usize,
    /// Every record of the event, in event order.
    pub records: Vec<RecordInfo>,
    /// The records not delivered (indices into `records`) and why.
    pub failures: Vec<(usize, Failure)>,
}

/// Everything an invocation needs, built once.
#[derive(Debug)]
pub struct Pipeline<B, S = NoStore> {
    decoders: Decoders,
    mapper: Mapper,
    bus: B,
    offload: Option<(Offloader, S)>,
    limits: BatchLimits,
    policy: SendPolicy,
    failure_mode: FailureMode,
}

/// The object store of a pipeline built without one: every upload fails (finally), so a record
/// that would need offloading is reported rather than sent without its payload.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoStore;

/// The error of [`NoStore`].
#[derive(Debug, thiserror::Error)]
#[error("no object store is configured for offloading")]
pub struct NoStoreError;

impl BlobStore for NoStore {
    type Error = NoStoreError;

    async fn put(&self, _upload: &Upload) -> Result<(), NoStoreError> {
        Err(NoStoreError)
    }

    fn is_retryable(&self, _error: &NoStoreError) -> bool {
        false
    }
}

impl<B: EventBus> Pipeline<B, NoStore> {
    /// A pipeline for `config` that sends through `bus`, with no object store.
    pub fn new(config: &Config, bus: B) -> Self {
        Pipeline::with_store(config, bus, NoStore)
    }
}

impl<B: EventBus, S: BlobStore> Pipeline<B, S> {
    /// A pipeline for `config` that sends through `bus` and, when `config` enables offloading,
    /// offloads to `store`.
    pub fn with_store(config: &Config, bus: B, store: S) -> Self {
        let offload = config
            .offload
            .clone()
            .map(|o| (Offloader::new(o, config.bus_arn.partition()), store));
        Self {
            decoders: Decoders::new(config.key_format, config.value_format),
            mapper: Mapper::new(config),
            limits: bus.limits(config.batch_max_bytes),
            bus,
            offload,
            policy: SendPolicy {
                max_inflight: config.max_inflight,
                retries_max: config.retries_max,
                retries_delay: config.retries_delay,
                call_timeout: config.call_timeout,
            },
            failure_mode: config.failure_mode,
        }
    }

    /// The bus events are sent through.
    pub fn bus(&self) -> &B {
        &self.bus
    }

    /// The object store, when offloading is on.
    pub fn store(&self) -> Option<&S> {
        self.offload.as_ref().map(|(_, store)| store)
    }

    /// Handles one invocation. `deadline` is when the last call or sleep must have ended.
    pub async fn handle(
        &self,
        event: KafkaEvent,
        deadline: Instant,
    ) -> Result<BatchResponse, InvocationError> {
        let done = self.run(event, deadline).await?;
        if self.failure_mode == FailureMode::FailInvocation && !done.failures.is_empty() {
            return Err(report::undelivered_error(&done.records, &done.failures));
        }
        Ok(done.response)
    }

    /// Processes one invocation and returns everything that happened, whatever the failure mode.
    pub async fn run(
        &self,
        event: KafkaEvent,
        deadline: Instant,
    ) -> Result<Invocation, EventError> {
        let started = Instant::now();
        let decoded = decode::decode_event(event, &self.decoders)?;

        let mut records = Vec::with_capacity(decoded.len());
        let mut outcomes: Vec<Option<Outcome>> = Vec::with_capacity(decoded.len());
        let mut entries = Vec::with_capacity(decoded.len());
        let mut entry_record = Vec::with_capacity(decoded.len());
        let mut uploads = Vec::new();
        let mut upload_entry = Vec::new();
        for d in decoded {
            let index = records.len();
            records.push(RecordInfo {
                id: d.id,
                topic: d.topic,
                partition: d.partition,
            });
            let record = match d.result {
                Ok(record) => record,
                Err(e) => {
                    outcomes.push(Some(Outcome::Failed(Failure::Decode(e))));
                    continue;
                }
            };
            let mut entry = match self.mapper.map(&record) {
                Ok(entry) => entry,
                Err(e) => {
                    outcomes.push(Some(Outcome::Failed(Failure::Map(e))));
                    continue;
                }
            };
            if let Some((offloader, _)) = &self.offload
                && offloader.applies_to(batch::entry_size(&entry))
                && let Some((detail, upload)) = offloader.plan(&record, &Uuid::new_v4().to_string())
            {
                entry.detail = detail;
                upload_entry.push(entries.len());
                uploads.push(upload);
            }
            entries.push(entry);
            entry_record.push(index);
            outcomes.push(None);
        }

        // Objects first: an event is only sent once its object exists.
        let mut not_sendable = vec![false; entries.len()];
        if let Some((offloader, store)) = &self.offload
            && !uploads.is_empty()
        {
            let results = offload::upload_all(store, &uploads, &self.policy, deadline).await;
            for ((upload, result), &entry) in uploads.iter().zip(results).zip(&upload_entry) {
                let record = &records[entry_record[entry]];
                match result {
                    Ok(()) => tracing::debug!(
                        bucket = offloader.bucket(),
                        key = %upload.key,
                        bytes = upload.body.len(),
                        topic = record.topic.as_deref().unwrap_or("?"),
                        partition = record.partition,
                        offset = record.id.offset,
                        "Offloaded part of an event to S3."
                    ),
                    Err(failure) => {
                        not_sendable[entry] = true;
                        let failure = Failure::Offload {
                            bucket: offloader.bucket().to_owned(),
                            key: upload.key.clone(),
                            bytes: upload.body.len(),
                            failure,
                        };
                        outcomes[entry_record[entry]] = Some(Outcome::Failed(failure));
                    }
                }
            }
        }

        let sizes = entries
            .iter()
            .enumerate()
            .filter(|(i, _)| !not_sendable[*i])
            .map(|(i, e)| (i, batch::entry_size(e)));
        let plan = batch::plan(sizes, self.limits);
        for (entry, size) in plan.oversize {
            let failure = Failure::Oversize {
                size,
                cap: self.limits.max_bytes,
            };
            outcomes[entry_record[entry]] = Some(Outcome::Failed(failure));
        }
        let batches = plan.batches.len();
        let sent = send::send_all(&self.bus, &entries, plan.batches, &self.policy, deadline).await;
        for (entry, delivery) in sent.deliveries {
            let slot = &mut outcomes[entry_record[entry]];
            debug_assert!(slot.is_none(), "entry {entry} got a second outcome");
            *slot = Some(match delivery {
                Delivery::Delivered => Outcome::Delivered,
                Delivery::Failed(f) => Outcome::Failed(Failure::Send(f)),
            });
        }

        let (response, tally, failures) = report::build(&records, outcomes);
        tracing::info!(
            records = tally.records,
            delivered = tally.delivered,
            failed = tally.failed,
            offloaded = uploads.len(),
            batches,
            calls = sent.calls,
            retries = sent.retries,
            duration_ms = started.elapsed().as_millis() as u64,
            "Invocation done."
        );
        Ok(Invocation {
            response,
            tally,
            calls: sent.calls,
            retries: sent.retries,
            records,
            failures,
        })
    }
}

/// Deadlines below this many epoch milliseconds (September 2001) cannot be real: Lambda sends an
/// epoch deadline, but cargo-lambda's local emulator sends the function timeout itself
/// (`lambda-runtime-deadline-ms: 600000`), which is then read as a duration.
const PLAUSIBLE_EPOCH_MS: u64 = 1_000_000_000_000;

/// The instant by which a handler must be done: the invocation deadline (the runtime API's
/// `lambda-runtime-deadline-ms`) less [`DEADLINE_MARGIN`].
pub fn deadline_from(deadline_ms: u64) -> Instant {
    let remaining = if deadline_ms < PLAUSIBLE_EPOCH_MS {
        Duration::from_millis(deadline_ms)
    } else {
        (SystemTime::UNIX_EPOCH + Duration::from_millis(deadline_ms))
            .duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO)
    };
    Instant::now() + remaining.saturating_sub(DEADLINE_MARGIN)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn epoch_ms(t: SystemTime) -> u64 {
        t.duration_since(SystemTime::UNIX_EPOCH)
            .unwrap()
            .as_millis() as u64
    }

    #[test]
    fn deadline_keeps_the_margin() {
        let in_ten_s = epoch_ms(SystemTime::now() + Duration::from_secs(10));
        let left = deadline_from(in_ten_s) - Instant::now();
        assert!(
            left <= Duration::from_secs(10) - DEADLINE_MARGIN,
            "{left:?}"
        );
        assert!(left >= Duration::from_secs(9) - DEADLINE_MARGIN, "{left:?}");
        let past = epoch_ms(SystemTime::now() - Duration::from_secs(1));
        assert!(deadline_from(past) <= Instant::now());
    }

    #[test]
    fn emulator_timeouts_are_read_as_durations() {
        let left = deadline_from(600_000) - Instant::now();
        assert!(
            left > Duration::from_secs(599) - DEADLINE_MARGIN && left <= Duration::from_secs(600),
            "{left:?}"
        );
    }
}
