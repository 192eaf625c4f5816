//! The schedule of an unordered bus: planned batches first, as many at once as the limit
//! allows; entries that wait for a retry are repacked into full calls.

use std::collections::VecDeque;
use std::time::Duration;

use tokio::time::Instant;

use super::call::{Batch, Call, Entry, SendReport};
use super::driver::{Schedule, Step, retry_or_final};
use crate::bus::BatchLimits;
use crate::error::CallFailure;
use crate::retry::{Caller, MIN_CALL_TIME};

/// A ready entry waits at most this long for others to fill a call with it while planned
/// batches are still going out.
pub(crate) const RETRY_PACK_WAIT: Duration = Duration::from_millis(250);

/// An entry waiting for its backoff or for a call.
#[derive(Debug)]
struct Waiting<'a> {
    entry: Entry<'a>,
    ready_at: Instant,
}

/// The planned calls, in order, and the entries waiting to be repacked.
pub(super) struct Unordered<'b, 'a> {
    caller: &'b Caller,
    limits: BatchLimits,
    planned: VecDeque<Call<'a>>,
    waiting: Vec<Waiting<'a>>,
}

impl<'a> Schedule<'a, ()> for Unordered<'_, 'a> {
    fn next_call(&mut self, now: Instant, inflight: usize) -> Option<(Call<'a>, ())> {
        self.next(now, inflight).map(|call| (call, ()))
    }

    /// When the loop must wake for waiting entries: when the next one ends its backoff, or
    /// when the oldest ready one has waited [`RETRY_PACK_WAIT`].
    fn next_wake(&self, now: Instant) -> Option<Instant> {
        let next_ready = self
            .waiting
            .iter()
            .map(|w| w.ready_at)
            .filter(|&t| t > now)
            .min();
        let oldest_ready = self
            .waiting
            .iter()
            .map(|w| w.ready_at)
            .filter(|&t| t <= now)
            .min();
        let pack_timeout = oldest_ready.map(|t| t + RETRY_PACK_WAIT);
        match (next_ready, pack_timeout) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Each entry on its own: delivered, waiting for its retry, or failed.
    fn settle(
        &mut self,
        entries: Vec<Entry<'a>>,
        (): &(),
        step: impl Fn(usize) -> Step,
        report: &mut SendReport,
    ) {
        for (position, entry) in entries.into_iter().enumerate() {
            if let Some((failure, retryable)) = step(position).delivered_or(&entry, report) {
                self.retry_or_fail(entry, failure, retryable, report);
            }
        }
    }

    /// Splits the call in two; both halves go out next.
    fn shrink(&mut self, mut entries: Vec<Entry<'a>>, (): &()) {
        let second = entries.split_off(entries.len() / 2);
        for half in [second, entries] {
            self.planned.push_front(Call {
                entries: half,
                resend: true,
            });
        }
    }

    fn is_drained(&self) -> bool {
        self.planned.is_empty() && self.waiting.is_empty()
    }
}

impl<'b, 'a> Unordered<'b, 'a> {
    /// The schedule of `batches`, sent in order first; repacked calls stay within `limits`.
    pub(super) fn new(batches: Vec<Batch<'a>>, limits: BatchLimits, caller: &'b Caller) -> Self {
        Self {
            caller,
            limits,
            planned: batches
                .into_iter()
                .filter(|batch| !batch.is_empty())
                .map(|batch| Call {
                    entries: batch.into_iter().map(Entry::new).collect(),
                    resend: false,
                })
                .collect(),
            waiting: Vec::new(),
        }
    }

    /// The next call to start: a full call of ready waiting entries, else the next planned
    /// batch, else the ready waiting entries when nothing else can join them (no other entry
    /// waits and no call is in flight), when the oldest has waited [`RETRY_PACK_WAIT`], or when
    /// the deadline is near.
    fn next(&mut self, now: Instant, inflight: usize) -> Option<Call<'a>> {
        let (count, full, oldest) = self.ready_pack(now);
        if count > 0 && full {
            return Some(self.take_ready(count));
        }
        if let Some(call) = self.planned.pop_front() {
            return Some(call);
        }
        let alone = count == self.waiting.len() && inflight == 0;
        let waited = oldest.is_some_and(|t| now >= t + RETRY_PACK_WAIT);
        let late = self.caller.time_left(now) < RETRY_PACK_WAIT + MIN_CALL_TIME;
        (count > 0 && (alone || waited || late)).then(|| self.take_ready(count))
    }

    /// How many ready entries the next call of waiting entries would carry, whether that call
    /// is full, and when its oldest entry became ready.
    fn ready_pack(&mut self, now: Instant) -> (usize, bool, Option<Instant>) {
        self.waiting.sort_by_key(|w| w.ready_at);
        let (mut count, mut bytes) = (0, 0);
        for w in self.waiting.iter().take_while(|w| w.ready_at <= now) {
            if count == self.limits.max_entries || bytes + w.entry.item.size > self.limits.max_bytes
            {
                break;
            }
            count += 1;
            bytes += w.entry.item.size;
        }
        let next_fits = self.waiting.get(count).is_some_and(|w| {
            w.ready_at <= now && bytes + w.entry.item.size > self.limits.max_bytes
        });
        let full = count == self.limits.max_entries || next_fits;
        let oldest = self
            .waiting
            .first()
            .map(|w| w.ready_at)
            .filter(|_| count > 0);
        (count, full, oldest)
    }

    fn take_ready(&mut self, count: usize) -> Call<'a> {
        Call {
            entries: self.waiting.drain(..count).map(|w| w.entry).collect(),
            resend: true,
        }
    }

    /// Puts an entry that failed retryably in the queue after its backoff, or fails it when
    /// it may not be retried, or its retries or the time are spent.
    fn retry_or_fail(
        &mut self,
        mut entry: Entry<'a>,
        failure: CallFailure,
        retryable: bool,
        report: &mut SendReport,
    ) {
        match retry_or_final(self.caller, &entry, failure, retryable) {
            Ok((delay, failure)) => {
                entry.last = Some(failure);
                self.waiting.push(Waiting {
                    entry,
                    ready_at: Instant::now() + delay,
                });
            }
            Err(last) => report.deliveries.push((entry.item.id, Err(last))),
        }
    }
}
