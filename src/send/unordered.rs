//! The scheduler of an unordered bus: planned batches first, as many at once as the limit
//! allows; entries that wait for a retry are repacked into full calls.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt as _;
use futures_util::stream::FuturesUnordered;
use tokio::time::Instant;

use super::call::{Batch, Call, Done, Entry, SendReport, start};
use crate::bus::{BatchLimits, EntryStatus, EventBus};
use crate::concurrency::{AdaptiveLimit, Signal};
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

/// Sends `batches` on an unordered bus and reports what became of each entry. Repacked calls stay within `limits`
/// (the bus's, capped by the configuration); `limit` adapts the calls in flight (without it,
/// `caller`'s maximum holds).
pub(super) async fn send_unordered<B: EventBus>(
    bus: &B,
    batches: Vec<Batch<'_>>,
    limits: BatchLimits,
    caller: &Caller,
    limit: Option<&AdaptiveLimit>,
) -> SendReport {
    let mut scheduler = Scheduler {
        bus,
        caller,
        limit,
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
        report: SendReport::default(),
    };
    scheduler.run().await;
    scheduler.report
}

struct Scheduler<'b, 'a, B> {
    bus: &'b B,
    caller: &'b Caller,
    limit: Option<&'b AdaptiveLimit>,
    limits: BatchLimits,
    planned: VecDeque<Call<'a>>,
    waiting: Vec<Waiting<'a>>,
    report: SendReport,
}

impl<'b, 'a, B: EventBus> Scheduler<'b, 'a, B> {
    async fn run(&mut self) {
        let (bus, caller, limit) = (self.bus, self.caller, self.limit);
        let mut inflight = FuturesUnordered::new();
        loop {
            let cap = self
                .limit
                .map_or(self.caller.max_inflight(), AdaptiveLimit::current);
            while inflight.len() < cap {
                let Some(call) = self.next_call(Instant::now(), inflight.len()) else {
                    break;
                };
                inflight.push(start(bus, caller, limit, call));
            }
            // Nothing in flight means nothing was startable: the planned batches are gone, and
            // any waiting entry is still in its backoff, so the timer below is set.
            let wake = self.next_wake(inflight.len() < cap, Instant::now());
            if inflight.is_empty() && wake.is_none() {
                debug_assert!(self.planned.is_empty() && self.waiting.is_empty());
                return;
            }
            tokio::select! {
                Some(done) = inflight.next(), if !inflight.is_empty() => self.finish(done),
                () = tokio::time::sleep_until(wake.unwrap_or_else(Instant::now)), if wake.is_some() => {}
            }
        }
    }

    /// The next call to start: a full call of ready waiting entries, else the next planned
    /// batch, else the ready waiting entries when nothing else can join them (no other entry
    /// waits and no call is in flight), when the oldest has waited [`RETRY_PACK_WAIT`], or when
    /// the deadline is near.
    fn next_call(&mut self, now: Instant, inflight: usize) -> Option<Call<'a>> {
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

    /// When the loop must wake for waiting entries: when the next one ends its backoff, or
    /// when the oldest ready one has waited [`RETRY_PACK_WAIT`]. `None` when no call could
    /// start anyway.
    fn next_wake(&self, slot_free: bool, now: Instant) -> Option<Instant> {
        if !slot_free {
            return None;
        }
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

    fn finish(&mut self, (mut call, round, result): Done<'a, B::Error>) {
        let Some(result) = result else {
            let failed = call.entries.into_iter().map(Entry::deadline);
            self.report.deliveries.extend(failed);
            return;
        };
        self.report.count(&mut call);
        let signal = match result {
            Ok(Ok(statuses)) => self.read_statuses(call.entries, &statuses),
            Ok(Err(error)) => self.call_failed(call, error),
            Err(timeout) => {
                for entry in call.entries {
                    self.retry_or_fail(entry, CallFailure::Timeout(timeout));
                }
                Signal::Neutral
            }
        };
        self.report.signal(self.limit, round, signal);
    }

    /// A call that failed as a whole: split when too large, retried when retryable, else final.
    fn call_failed(&mut self, call: Call<'a>, error: B::Error) -> Signal {
        let throttled = self.bus.is_throttling(&error);
        let (too_large, retryable) = (self.bus.is_too_large(&error), self.bus.is_retryable(&error));
        if throttled {
            self.report.throttled += call.entries.len();
        }
        let signal = if throttled {
            Signal::Throttled
        } else {
            Signal::Neutral
        };
        let failure = CallFailure::Call(Arc::new(error));
        let mut entries = call.entries;
        if too_large && entries.len() > 1 {
            // Not the entries' fault: resend both halves, their retries unspent.
            for entry in &mut entries {
                entry.sent -= 1;
            }
            let second = entries.split_off(entries.len() / 2);
            self.planned.push_front(Call {
                entries: second,
                resend: true,
            });
            self.planned.push_front(Call {
                entries,
                resend: true,
            });
        } else if retryable {
            for entry in entries {
                self.retry_or_fail(entry, failure.clone());
            }
        } else {
            for entry in entries {
                self.report
                    .deliveries
                    .push((entry.item.id, Err(failure.clone())));
            }
        }
        signal
    }

    /// Records the statuses of a call's entries; the retryable ones wait for their retry.
    fn read_statuses(&mut self, sent: Vec<Entry<'a>>, statuses: &[EntryStatus]) -> Signal {
        let mut signal = Signal::Clear;
        for (position, entry) in sent.into_iter().enumerate() {
            match statuses.get(position) {
                Some(EntryStatus::Accepted) => self.report.deliveries.push((entry.item.id, Ok(()))),
                Some(EntryStatus::Deduplicated) => {
                    self.report.deduplicated += 1;
                    self.report.deliveries.push((entry.item.id, Ok(())));
                }
                Some(EntryStatus::Rejected {
                    code,
                    message,
                    retryable,
                    throttled,
                }) => {
                    if *throttled {
                        self.report.throttled += 1;
                        signal = Signal::Throttled;
                    }
                    let failure = CallFailure::Rejected {
                        code: code.clone(),
                        message: message.clone(),
                    };
                    if *retryable {
                        self.retry_or_fail(entry, failure);
                    } else {
                        self.report.deliveries.push((entry.item.id, Err(failure)));
                    }
                }
                None => self.retry_or_fail(entry, CallFailure::NoResult),
            }
        }
        signal
    }

    /// Puts an entry that failed retryably in the queue after its backoff, or fails it when its
    /// retries or the time are spent.
    fn retry_or_fail(&mut self, mut entry: Entry<'a>, failure: CallFailure) {
        match self.caller.retry_after(entry.sent, failure) {
            Ok((delay, failure)) => {
                entry.last = Some(failure);
                self.waiting.push(Waiting {
                    entry,
                    ready_at: Instant::now() + delay,
                });
            }
            Err(last) => self.report.deliveries.push((entry.item.id, Err(last))),
        }
    }
}
