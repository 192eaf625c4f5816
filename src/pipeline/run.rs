//! The invocation: where the stages meet: [`Pipeline::prepare`] (decode → map → offload plan →
//! batch plan; pure, no I/O) and [`Pipeline::deliver`] (uploads, then sends), joined by
//! [`Pipeline::run`].
//!
//! Each record of an invocation has one slot, which holds either its pending work (its entry,
//! the entry's size and the object to upload first) or its final [`Outcome`]. Every stage moves
//! slots from pending to done; at the end every slot is done, and the report reads them in
//! event order. The pipeline knows nothing of a particular bus ([`EventBus`]), object store
//! ([`BlobStore`]) or value format ([`PayloadDecoder`](crate::PayloadDecoder)): those come
//! through [`Pipeline::builder`].

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use tokio::time::Instant;

use crate::batch::{self, Plan};
use crate::bus::classic::MAX_TRACE_HEADER_CHARS;
use crate::bus::{BatchLimits, EventBus};
use crate::concurrency::AdaptiveLimit;
use crate::decode::{self, Decoded, DecodedRecord, Decoders, EventError, KafkaEvent, RecordInfo};
use crate::error::CallFailure;
use crate::filter::Filter;
use crate::map::{EventEntry, Mapper};
use crate::metrics::MetricsConfig;
use crate::offload::{ObjectKeys, Offloader};
use crate::report::{
    self, BatchResponse, Failure, FailureMode, Invocation, InvocationError, Outcome,
};
use crate::retry::{CallPolicy, Caller};
use crate::send;
use crate::store::{AnyStore, NoObjectStore, Upload};

/// Time kept free before the invocation deadline: nothing is started that would end later, so
/// that the response (and its logs) always leave before Lambda stops the function. It covers
/// building and logging the report of a large batch with room to spare.
pub(crate) const DEADLINE_MARGIN: Duration = Duration::from_millis(500);

/// The share of an invocation's remaining time, in percent, that fetching its schemas may take:
/// a registry that stalls costs at most this, and the records that need no schema (or a cached
/// one) are still sent in the rest.
pub(crate) const SCHEMA_FETCH_SHARE_PERCENT: u32 = 40;

/// Everything an invocation needs, built once at cold start.
#[derive(Debug)]
pub struct Pipeline<B> {
    pub(super) decoders: Decoders,
    pub(super) mapper: Mapper,
    /// The configured event patterns: a record whose event none matches is not sent.
    pub(super) filter: Option<Filter>,
    pub(super) bus: B,
    pub(super) limits: BatchLimits,
    pub(super) offload: Option<Offloader>,
    pub(super) store: Option<AnyStore>,
    pub(super) keys: Box<dyn ObjectKeys>,
    pub(super) policy: CallPolicy,
    /// The environment's limit on calls in flight to the bus, when it adapts to throttling.
    pub(super) limit: Option<AdaptiveLimit>,
    pub(super) failure_mode: FailureMode,
    /// The operator metrics each invocation writes, and the connector id they carry.
    pub(super) metrics: MetricsConfig,
    pub(super) connector_id: String,
    /// The checks of a `{"preflight": true}` request, when the function has them.
    pub(super) preflight: Option<Arc<dyn super::answer::Preflight>>,
}

/// One record's place in an invocation.
#[derive(Debug)]
struct Slot {
    record: RecordInfo,
    state: State,
}

#[derive(Debug)]
enum State {
    Pending(Pending),
    Done(Outcome),
}

/// A record whose event is ready to go, once its object (if any) is stored.
#[derive(Debug)]
struct Pending {
    entry: EventEntry,
    size: usize,
    upload: Option<Upload>,
}

/// An invocation planned: what [`Pipeline::deliver`] will upload and send, and the records that
/// already failed.
#[derive(Debug)]
pub struct Prepared {
    slots: Vec<Slot>,
    batches: Vec<Vec<usize>>,
    started: Instant,
    /// Schema ids the records need that were not available (for the invocation's summary).
    schemas_unavailable: usize,
    /// Records whose time mapper reads the record but found no time in it.
    time_unset: usize,
}

impl Prepared {
    /// The objects to upload, in event order, with their records.
    pub fn uploads(&self) -> impl Iterator<Item = (&RecordInfo, &Upload)> {
        self.slots.iter().filter_map(|slot| match &slot.state {
            State::Pending(Pending {
                upload: Some(upload),
                ..
            }) => Some((&slot.record, upload)),
            _ => None,
        })
    }

    /// The planned calls, in order, each with its entries.
    pub fn calls(&self) -> impl Iterator<Item = Vec<&EventEntry>> {
        self.batches
            .iter()
            .map(|batch| batch.iter().filter_map(|&i| self.entry(i)).collect())
    }

    /// The records the filter left out.
    pub fn filtered(&self) -> impl Iterator<Item = &RecordInfo> {
        self.slots.iter().filter_map(|slot| match &slot.state {
            State::Done(Outcome::Filtered) => Some(&slot.record),
            _ => None,
        })
    }

    /// The records that failed before any I/O, with why.
    pub fn failures(&self) -> impl Iterator<Item = (&RecordInfo, &Failure)> {
        self.slots.iter().filter_map(|slot| match &slot.state {
            State::Done(Outcome::Failed(failure)) => Some((&slot.record, failure)),
            _ => None,
        })
    }

    fn entry(&self, slot: usize) -> Option<&EventEntry> {
        match &self.slots[slot].state {
            State::Pending(p) => Some(&p.entry),
            State::Done(_) => None,
        }
    }
}

impl<B: EventBus> Pipeline<B> {
    /// The calls of `prepared` as the bus would first make them: the planned batches, or on an
    /// ordered bus the calls of its scheduler when each call returns before the next starts.
    pub(crate) fn first_calls<'p>(&self, prepared: &'p Prepared) -> Vec<Vec<&'p EventEntry>> {
        if !self.bus.ordered() {
            return prepared.calls().collect();
        }
        let items = (0..prepared.slots.len())
            .filter_map(|id| send_item(&prepared.slots, id))
            .collect();
        send::sequential_calls(items, self.limits)
            .into_iter()
            .map(|call| call.into_iter().filter_map(|i| prepared.entry(i)).collect())
            .collect()
    }
}

impl<B> Pipeline<B> {
    /// The bus events are sent through.
    pub(crate) fn bus(&self) -> &B {
        &self.bus
    }

    /// The bucket of the claim check, when offloading is on.
    pub(crate) fn bucket(&self) -> Option<&str> {
        self.offload.as_ref().map(Offloader::bucket)
    }
}

impl<B: EventBus> Pipeline<B> {
    /// The function's answer for an invocation that ran: the partial batch response, or in
    /// `fail-invocation` mode an error when any record was not delivered.
    pub(crate) fn respond(&self, done: Invocation) -> Result<BatchResponse, InvocationError> {
        if self.failure_mode == FailureMode::FailInvocation && !done.failures.is_empty() {
            return Err(report::undelivered_error(&done.records, &done.failures));
        }
        Ok(done.response)
    }

    /// Processes one invocation and returns everything that happened, whatever the failure mode.
    /// `deadline` is when the last call or sleep must have ended; `trace_header` is the
    /// invocation's X-Ray trace header (the runtime's `_X_AMZN_TRACE_ID`), which every entry
    /// then carries as its `TraceHeader`. [`handle`](Self::handle) is this, as the Lambda
    /// runtime calls it.
    pub async fn run(
        &self,
        event: KafkaEvent,
        deadline: Instant,
        trace_header: Option<&str>,
    ) -> Result<Invocation, EventError> {
        let now = Instant::now();
        let share = deadline.saturating_duration_since(now) * SCHEMA_FETCH_SHARE_PERCENT / 100;
        let unavailable = self.fetch_schemas(&event, now + share).await;
        let mut prepared = self.prepare_traced(event, trace_header)?;
        prepared.schemas_unavailable = unavailable;
        Ok(self.deliver(prepared, deadline).await)
    }

    /// Fetches the registry schemas that the records of `event` need and the cache lacks,
    /// within `deadline`, so that [`prepare`](Self::prepare) finds them. A schema that cannot
    /// be fetched fails only the records that need it (in `prepare`). Without a registry, or
    /// when every schema is cached, no call is made. Returns how many of the schema ids the
    /// records need are not available.
    pub(crate) async fn fetch_schemas(&self, event: &KafkaEvent, deadline: Instant) -> usize {
        let Some(schemas) = &self.decoders.schemas else {
            return 0;
        };
        let ids = self.decoders.schema_ids(event);
        if ids.is_empty() {
            return 0;
        }
        let caller = Caller::new(self.policy, deadline);
        let resolved = schemas.resolve(ids, &caller).await;
        if resolved.fetched > 0 {
            tracing::debug!(
                fetched = resolved.fetched,
                "Schemas fetched from the registry."
            );
        }
        resolved.unavailable
    }

    /// Decodes, maps, plans the offloading and the calls of one event. Pure: no I/O, and
    /// deterministic when the [`ObjectKeys`] are.
    pub fn prepare(&self, event: KafkaEvent) -> Result<Prepared, EventError> {
        self.prepare_traced(event, None)
    }

    /// [`prepare`](Self::prepare) with an X-Ray trace header for every entry (counted in its
    /// size; one longer than `TraceHeader` allows is left out).
    pub(crate) fn prepare_traced(
        &self,
        event: KafkaEvent,
        trace_header: Option<&str>,
    ) -> Result<Prepared, EventError> {
        let started = Instant::now();
        let trace: Option<Arc<str>> = trace_header
            .filter(|t| (1..=MAX_TRACE_HEADER_CHARS).contains(&t.chars().count()))
            .map(Arc::from);
        let decoded = decode::decode_event(event, &self.decoders)?;
        let mut slots: Vec<Slot> = decoded
            .into_iter()
            .map(|d| self.slot(d, trace.as_ref()))
            .collect();
        let time_unset = if self.mapper.time_from_record() {
            slots
                .iter()
                .filter(|s| matches!(&s.state, State::Pending(p) if p.entry.time_ms.is_none()))
                .count()
        } else {
            0
        };
        if self.bus.ordered() {
            hold_after_transient(&mut slots);
        }
        let batches = self.plan(&mut slots);
        Ok(Prepared {
            slots,
            batches,
            started,
            schemas_unavailable: 0,
            time_unset,
        })
    }

    fn slot(&self, decoded: Decoded, trace: Option<&Arc<str>>) -> Slot {
        let state = match decoded.result {
            Ok(record) => match self.pending(&record, trace) {
                Ok(Some(pending)) => State::Pending(pending),
                Ok(None) => State::Done(Outcome::Filtered),
                Err(failure) => State::Done(Outcome::Failed(failure)),
            },
            Err(e) => State::Done(Outcome::Failed(Failure::Decode(e))),
        };
        Slot {
            record: decoded.info,
            state,
        }
    }

    /// The record's event, sized and with its object to upload; `None` when the filter leaves
    /// it out.
    fn pending(
        &self,
        record: &DecodedRecord,
        trace: Option<&Arc<str>>,
    ) -> Result<Option<Pending>, Failure> {
        let mut entry = self.mapper.map(record).map_err(Failure::Map)?;
        if let Some(filter) = &self.filter
            && !filter.keeps(record, &entry)
        {
            tracing::debug!(
                topic = &*record.topic,
                partition = record.partition,
                offset = record.offset,
                "Record filtered out: no pattern of AWS_EVENTBRIDGE_FILTER_PATTERNS matches its event."
            );
            return Ok(None);
        }
        entry.trace_header = trace.cloned();
        let mut size = self.bus.entry_size(&entry);
        let mut upload = None;
        if let Some(offloader) = &self.offload
            && offloader.applies_to(size)
            && let Some((detail, object)) = offloader.plan(record, &self.keys.key_for(record))
        {
            entry.detail = detail;
            size = self.bus.entry_size(&entry);
            upload = Some(object);
        }
        Ok(Some(Pending {
            entry,
            size,
            upload,
        }))
    }

    /// Packs the pending slots into calls; a slot too large for any call is done (failed).
    fn plan(&self, slots: &mut [Slot]) -> Vec<Vec<usize>> {
        let sizes = slots
            .iter()
            .enumerate()
            .filter_map(|(i, slot)| match &slot.state {
                State::Pending(p) => Some((i, p.size)),
                State::Done(_) => None,
            });
        let Plan { batches, oversize } = batch::plan(sizes, self.limits);
        for (i, size) in oversize {
            let cap = self.limits.max_bytes;
            slots[i].state = State::Done(Outcome::Failed(Failure::Oversize { size, cap }));
        }
        batches
    }

    /// Uploads the planned objects, then sends the events, within `deadline`.
    pub async fn deliver(&self, prepared: Prepared, deadline: Instant) -> Invocation {
        let Prepared {
            mut slots,
            mut batches,
            started,
            schemas_unavailable,
            time_unset,
        } = prepared;
        let caller = Caller::new(self.policy, deadline);
        let mut done = Invocation {
            schemas_unavailable,
            time_unset,
            ..Invocation::default()
        };
        // Objects first: an event is only sent once its object exists.
        if self.upload(&mut slots, &caller, &mut done).await {
            batches = self.plan(&mut slots);
        }
        done.batches = batches.len();
        let sending = Instant::now();
        self.send(&mut slots, batches, &caller, &mut done).await;
        done.send_duration = sending.elapsed();
        let outcomes = slots.into_iter().map(|slot| match slot.state {
            State::Done(outcome) => (slot.record, outcome),
            State::Pending(_) => unreachable!(
                "every pending slot is batched and every batched entry gets a delivery"
            ),
        });
        report::build(outcomes.collect(), done, started.elapsed())
    }

    /// Uploads every planned object; a slot whose upload fails is done. Returns whether any
    /// failed.
    async fn upload(&self, slots: &mut [Slot], caller: &Caller, done: &mut Invocation) -> bool {
        let planned: Vec<(usize, &Upload)> = slots
            .iter()
            .enumerate()
            .filter_map(|(i, slot)| match &slot.state {
                State::Pending(Pending {
                    upload: Some(u), ..
                }) => Some((i, u)),
                _ => None,
            })
            .collect();
        let (Some(offloader), false) = (&self.offload, planned.is_empty()) else {
            return false;
        };
        let uploads: Vec<&Upload> = planned.iter().map(|&(_, u)| u).collect();
        let results = match &self.store {
            Some(store) => store.upload_all(&uploads, caller).await,
            None => vec![Err(CallFailure::Call(std::sync::Arc::new(NoObjectStore))); uploads.len()],
        };
        let mut failed = Vec::new();
        for (&(i, upload), result) in planned.iter().zip(results) {
            match result {
                Ok(()) => {
                    done.offloaded += 1;
                    done.offloaded_bytes += upload.body.len();
                    tracing::debug!(
                        bucket = offloader.bucket(),
                        key = %upload.key,
                        bytes = upload.body.len(),
                        topic = slots[i].record.topic.as_deref().unwrap_or("?"),
                        partition = slots[i].record.partition,
                        offset = slots[i].record.id.offset,
                        "Offloaded part of an event to S3."
                    );
                }
                Err(failure) => failed.push((
                    i,
                    Failure::Offload {
                        bucket: offloader.bucket().to_owned(),
                        key: upload.key.clone(),
                        bytes: upload.body.len(),
                        failure,
                    },
                )),
            }
        }
        let any_failed = !failed.is_empty();
        let mut halted: Vec<(usize, String)> = Vec::new();
        for (i, failure) in failed {
            if let State::Pending(p) = &slots[i].state
                && let Some(group) = &p.entry.event_group_id
                && self.bus.ordered()
            {
                halted.push((i, group.clone()));
            }
            slots[i].state = State::Done(Outcome::Failed(failure));
        }
        hold_after(slots, &halted);
        any_failed
    }

    /// Sends the planned calls; every batched slot is done afterwards.
    async fn send(
        &self,
        slots: &mut [Slot],
        batches: Vec<Vec<usize>>,
        caller: &Caller,
        done: &mut Invocation,
    ) {
        let report = {
            let entries = |batch: Vec<usize>| -> send::Batch<'_> {
                batch
                    .into_iter()
                    .filter_map(|i| send_item(slots, i))
                    .collect()
            };
            let batches = batches.into_iter().map(entries).collect();
            send::send_all(&self.bus, batches, self.limits, caller, self.limit.as_ref()).await
        };
        done.calls = report.calls;
        done.retries = report.retries;
        done.throttled = report.throttled;
        done.throttled_calls = report.throttled_calls;
        done.deduplicated = report.deduplicated;
        done.concurrency_limit = self
            .limit
            .as_ref()
            .map_or(self.policy.max_inflight.get(), AdaptiveLimit::current);
        done.bytes_sent = report.bytes_sent;
        let mut sent = Vec::with_capacity(report.deliveries.len());
        for (i, delivery) in report.deliveries {
            let outcome = State::Done(match delivery {
                Ok(()) => Outcome::Delivered,
                Err(failure) => Outcome::Failed(Failure::Send(failure)),
            });
            sent.push(std::mem::replace(&mut slots[i].state, outcome));
        }
        free_later(sent);
    }
}

/// Frees `garbage` (the sent entries: their details and metadata, about as large as the
/// event) on a blocking-pool thread, so that the response does not wait for thousands of
/// frees (about 9 ms for 10,000 entries of 1 KB); at once when there is no runtime.
fn free_later<T: Send + 'static>(garbage: T) {
    match tokio::runtime::Handle::try_current() {
        Ok(runtime) => drop(runtime.spawn_blocking(move || drop(garbage))),
        Err(_) => drop(garbage),
    }
}

/// Slot `id` as an entry for the send stage, when it is pending.
fn send_item(slots: &[Slot], id: usize) -> Option<send::Item<'_>> {
    match &slots[id].state {
        State::Pending(p) => Some(send::Item {
            id,
            entry: &p.entry,
            size: p.size,
        }),
        State::Done(_) => None,
    }
}

/// On an ordered bus, a record that failed before sending (its upload) holds back the later
/// records of its event group, unsent, so that a redelivery resumes the group in order:
/// `halted` lists the failed slots with their groups.
fn hold_after(slots: &mut [Slot], halted: &[(usize, String)]) {
    for (first, group) in halted {
        for slot in slots.iter_mut().skip(first + 1) {
            if let State::Pending(p) = &slot.state
                && p.entry.event_group_id.as_ref() == Some(group)
            {
                slot.state = State::Done(Outcome::Failed(Failure::Send(CallFailure::Held)));
            }
        }
    }
}

/// On an ordered bus, a record whose decoding failed for a reason that may pass (its schema
/// could not be fetched) holds back the later records of its partition, unsent: its event group
/// is not known before it decodes (it may be its key), and every group of the record lies in
/// its partition. The event source mapping redelivers a partition from its first failed record
/// anyway, so the held records cost no extra delivery.
fn hold_after_transient(slots: &mut [Slot]) {
    let mut halted: Vec<(Option<Arc<str>>, Option<i64>)> = Vec::new();
    for slot in slots.iter_mut() {
        let partition = (slot.record.topic.clone(), slot.record.partition);
        match &slot.state {
            State::Done(Outcome::Failed(Failure::Decode(e)))
                if e.is_transient() && !halted.contains(&partition) =>
            {
                halted.push(partition);
            }
            State::Pending(_) if halted.contains(&partition) => {
                slot.state = State::Done(Outcome::Failed(Failure::Send(CallFailure::Held)));
            }
            _ => {}
        }
    }
}

/// Deadlines below this many epoch milliseconds (September 2001) cannot be real: Lambda sends an
/// epoch deadline, but cargo-lambda's local emulator sends the function timeout itself
/// (`lambda-runtime-deadline-ms: 600000`), which is then read as a duration.
const PLAUSIBLE_EPOCH_MS: u64 = 1_000_000_000_000;

/// The instant by which a handler must be done: the invocation deadline (the runtime API's
/// `lambda-runtime-deadline-ms`) less `DEADLINE_MARGIN`.
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
