//! Stage 5: send.
//!
//! Sends planned batches through an [`EventBus`] and retries what can be retried, one scheduler
//! per invocation:
//!
//! - The planned batches go out first, in order, as many at once as the limit on calls in
//!   flight allows: the configured maximum, or the environment's [`AdaptiveLimit`], which
//!   throttling cuts and calls without throttling raise.
//! - An entry rejected with a retryable code, or carried by a call that failed retryably, waits
//!   for its own backoff, then goes back into one queue; waiting entries are **repacked** into
//!   full calls (within the bus's entry and byte limits). A call of waiting entries goes out
//!   when it is full, when no planned batch is left, or when its oldest entry has been ready for
//!   [`RETRY_PACK_WAIT`]. Each entry keeps its own attempt count (at most `retries_max + 1`
//!   sends) and the deadline.
//! - A call the bus refuses as too large is split in two and the halves are sent, without
//!   spending their entries' retries, down to single entries (which then fail with the bus's
//!   message).
//!
//! An ordered bus ([`EventBus::ordered`]) gets the scheduler of [`ordered`] instead: per event
//! group, in order, one call of a group in flight, retries from a group's first failed entry.
//!
//! Attempts, backoff, timeouts and the deadline are the retry engine's ([`crate::retry`]).
//! Every entry ends delivered or with a [`CallFailure`].

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt as _;
use futures_util::stream::FuturesUnordered;
use tokio::time::Instant;

use crate::bus::{BatchLimits, EntryStatus, EventBus};
use crate::concurrency::{AdaptiveLimit, Signal};
use crate::error::CallFailure;
use crate::map::EventEntry;
use crate::retry::{Caller, MIN_CALL_TIME};

mod ordered;
#[cfg(test)]
mod ordered_tests;

pub(crate) use ordered::sequential_calls;

/// A ready entry waits at most this long for others to fill a call with it while planned
/// batches are still going out.
pub(crate) const RETRY_PACK_WAIT: Duration = Duration::from_millis(250);

/// What became of one entry: delivered, or why not.
pub(crate) type Delivery = Result<(), CallFailure>;

/// The outcome of sending every batch.
#[derive(Debug, Default)]
pub(crate) struct SendReport {
    /// `(item, delivery)` for every entry of every batch, in no particular order.
    pub(crate) deliveries: Vec<(usize, Delivery)>,
    /// Calls made, retries included.
    pub(crate) calls: usize,
    /// Calls that resent entries (repacked retries, and the halves of a call split for size).
    pub(crate) retries: usize,
    /// Entries the bus throttled, counted once per throttled attempt.
    pub(crate) throttled: usize,
    /// Calls the bus throttled, as a whole or in any entry.
    pub(crate) throttled_calls: usize,
    /// Bytes of the entries of every call made, retries included.
    pub(crate) bytes_sent: usize,
    /// Entries the bus accepted as duplicates of events it already had (delivered).
    pub(crate) deduplicated: usize,
}

impl SendReport {
    /// Counts a call that was made, and each of its entries as sent once more.
    fn count(&mut self, call: &mut Call<'_>) {
        self.calls += 1;
        self.retries += usize::from(call.resend);
        self.bytes_sent += call.entries.iter().map(|e| e.item.size).sum::<usize>();
        for entry in &mut call.entries {
            entry.sent += 1;
        }
    }

    /// Counts a throttled call, and tells `limit` what the call started in `round` said.
    fn signal(&mut self, limit: Option<&AdaptiveLimit>, round: u64, signal: Signal) {
        if signal == Signal::Throttled {
            self.throttled_calls += 1;
        }
        if let Some(limit) = limit {
            limit.record(round, signal);
        }
    }
}

impl<'a> Entry<'a> {
    /// An entry not yet sent.
    fn new(item: Item<'a>) -> Self {
        Self {
            item,
            sent: 0,
            last: None,
        }
    }

    /// What becomes of it when the deadline leaves no time for its next send.
    fn deadline(self) -> (usize, Delivery) {
        let failure = CallFailure::Deadline {
            attempts: self.sent,
            last: self.last.map(Box::new),
        };
        (self.item.id, Err(failure))
    }
}

/// One entry to send: the caller's item number, the entry, and its size as the bus counts it
/// (computed once, when the entry was planned).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Item<'a> {
    pub(crate) id: usize,
    pub(crate) entry: &'a EventEntry,
    pub(crate) size: usize,
}

/// One batch: its entries.
pub(crate) type Batch<'a> = Vec<Item<'a>>;

/// An entry on its way: how often it was sent, and why the last send did not deliver it.
#[derive(Debug)]
struct Entry<'a> {
    item: Item<'a>,
    sent: u32,
    last: Option<CallFailure>,
}

/// The entries of one call, and whether they were sent before.
#[derive(Debug)]
struct Call<'a> {
    entries: Vec<Entry<'a>>,
    resend: bool,
}

/// An entry waiting for its backoff or for a call.
#[derive(Debug)]
struct Waiting<'a> {
    entry: Entry<'a>,
    ready_at: Instant,
}

/// Makes one call of `call`'s entries; notes the limit's round when it starts.
async fn start<'a, B: EventBus>(
    bus: &B,
    caller: &Caller,
    limit: Option<&AdaptiveLimit>,
    call: Call<'a>,
) -> Done<'a, B::Error> {
    let round = limit.map_or(0, AdaptiveLimit::round);
    let refs: Vec<&EventEntry> = call.entries.iter().map(|e| e.item.entry).collect();
    let result = caller.bounded(bus.put(&refs)).await;
    (call, round, result)
}

/// Sends `batches` and reports what became of each entry. Repacked calls stay within `limits`
/// (the bus's, capped by the configuration); `limit` adapts the calls in flight (without it,
/// `caller`'s maximum holds).
pub(crate) async fn send_all<B: EventBus>(
    bus: &B,
    batches: Vec<Batch<'_>>,
    limits: BatchLimits,
    caller: &Caller,
    limit: Option<&AdaptiveLimit>,
) -> SendReport {
    if bus.ordered() {
        return ordered::send_ordered(bus, batches, limits, caller, limit).await;
    }
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

/// A finished call: its entries, the round of the limit it started in, and what came back
/// (`None`: no call was made, the deadline left no time).
type Done<'a, E> = (
    Call<'a>,
    u64,
    Option<Result<Result<Vec<EntryStatus>, E>, Duration>>,
);

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bus::BatchLimits;
    use crate::error::ErrorChain;
    use crate::retry::CallPolicy;
    use std::collections::VecDeque;
    use std::num::NonZeroUsize;
    use std::sync::{Arc, Mutex};
    use std::time::Duration;
    use tokio::time::Instant;

    /// A bus that answers each call from a script and records what it was sent.
    #[derive(Default)]
    pub(super) struct ScriptedBus {
        pub(super) script: Mutex<VecDeque<Answer>>,
        pub(super) calls: Mutex<Vec<Vec<String>>>,
        /// Declares the bus ordered.
        pub(super) ordered: bool,
        /// Calls in flight per event group, and the most ever seen for one group.
        pub(super) inflight: Mutex<(std::collections::HashMap<String, usize>, usize)>,
        /// Calls in flight, and the most ever seen.
        pub(super) calls_inflight: Mutex<(usize, usize)>,
    }

    #[derive(Clone)]
    pub(super) enum Answer {
        All,
        Statuses(Vec<EntryStatus>),
        Fail { retryable: bool },
        TooLarge,
        Hang,
    }

    #[derive(Debug, thiserror::Error)]
    #[error("scripted call failure")]
    pub(super) struct ScriptedError {
        retryable: bool,
        too_large: bool,
    }

    impl EventBus for ScriptedBus {
        type Error = ScriptedError;

        fn limits(&self) -> BatchLimits {
            BatchLimits {
                max_entries: 10,
                max_bytes: 1_048_576,
            }
        }

        fn entry_size(&self, entry: &EventEntry) -> usize {
            entry.detail.len()
        }

        fn ordered(&self) -> bool {
            self.ordered
        }

        async fn put(&self, entries: &[&EventEntry]) -> Result<Vec<EntryStatus>, ScriptedError> {
            self.calls
                .lock()
                .unwrap()
                .push(entries.iter().map(|e| e.detail.clone()).collect());
            let mut groups: Vec<String> = entries
                .iter()
                .filter_map(|e| e.event_group_id.clone())
                .collect();
            groups.dedup();
            {
                let mut calls = self.calls_inflight.lock().unwrap();
                calls.0 += 1;
                calls.1 = calls.1.max(calls.0);
            }
            {
                let mut inflight = self.inflight.lock().unwrap();
                for g in &groups {
                    let n = inflight.0.entry(g.clone()).or_default();
                    *n += 1;
                    let n = *n;
                    inflight.1 = inflight.1.max(n);
                }
            }
            // Long enough for other calls to start meanwhile.
            tokio::time::sleep(Duration::from_millis(2)).await;
            {
                let mut inflight = self.inflight.lock().unwrap();
                for g in &groups {
                    *inflight.0.get_mut(g).unwrap() -= 1;
                }
            }
            self.calls_inflight.lock().unwrap().0 -= 1;
            let answer = self
                .script
                .lock()
                .unwrap()
                .pop_front()
                .unwrap_or(Answer::All);
            match answer {
                Answer::All => Ok(vec![EntryStatus::Accepted; entries.len()]),
                Answer::Statuses(s) => Ok(s),
                Answer::Fail { retryable } => Err(ScriptedError {
                    retryable,
                    too_large: false,
                }),
                Answer::TooLarge => Err(ScriptedError {
                    retryable: false,
                    too_large: true,
                }),
                Answer::Hang => std::future::pending().await,
            }
        }

        fn is_retryable(&self, error: &ScriptedError) -> bool {
            error.retryable
        }

        fn is_too_large(&self, error: &ScriptedError) -> bool {
            error.too_large
        }
    }

    fn entries(n: usize) -> Vec<EventEntry> {
        (0..n)
            .map(|i| EventEntry {
                source: Arc::from("s"),
                detail_type: "t".into(),
                detail: i.to_string(),
                resources: Arc::from(Vec::new()),
                time_ms: None,
                trace_header: None,
                event_group_id: None,
                deduplication_id: None,
            })
            .collect()
    }

    pub(super) fn policy(retries_max: u32) -> CallPolicy {
        CallPolicy {
            max_inflight: NonZeroUsize::MIN,
            retries_max,
            retries_delay: Duration::from_millis(1),
            call_timeout: Duration::from_secs(5),
        }
    }

    pub(super) fn rejected(code: &str, retryable: bool) -> EntryStatus {
        EntryStatus::Rejected {
            code: code.into(),
            message: "m".into(),
            retryable,
            throttled: code == "ThrottlingException",
        }
    }

    async fn run(
        bus: &ScriptedBus,
        n: usize,
        batches: Vec<Vec<usize>>,
        policy: CallPolicy,
    ) -> Vec<Option<String>> {
        let entries = entries(n);
        let caller = Caller::new(policy, Instant::now() + Duration::from_secs(60));
        let report = send_all(bus, batched(&entries, batches), bus.limits(), &caller, None).await;
        let mut out = vec![None; n];
        for (i, d) in report.deliveries {
            assert!(out[i].is_none(), "entry {i} got two outcomes");
            out[i] = Some(match d {
                Ok(()) => "ok".to_string(),
                Err(f) => ErrorChain(&f).to_string(),
            });
        }
        out
    }

    /// Sends the first of `entries` alone.
    async fn send_one(bus: &ScriptedBus, entries: &[EventEntry], caller: &Caller) -> SendReport {
        let batches = batched(entries, vec![vec![0]]);
        send_all(bus, batches, bus.limits(), caller, None).await
    }

    pub(super) fn batched(entries: &[EventEntry], batches: Vec<Vec<usize>>) -> Vec<Batch<'_>> {
        batches
            .into_iter()
            .map(|b| {
                b.into_iter()
                    .map(|id| Item {
                        id,
                        entry: &entries[id],
                        size: entries[id].detail.len(),
                    })
                    .collect()
            })
            .collect()
    }

    #[tokio::test]
    async fn per_entry_retry_resends_only_failed_entries() {
        let bus = ScriptedBus::default();
        bus.script.lock().unwrap().push_back(Answer::Statuses(vec![
            EntryStatus::Accepted,
            rejected("ThrottlingException", true),
            rejected("MalformedDetail", false),
            rejected("InternalFailure", true),
        ]));
        let out = run(&bus, 4, vec![vec![0, 1, 2, 3]], policy(2)).await;
        assert_eq!(out[0].as_deref(), Some("ok"));
        assert_eq!(out[1].as_deref(), Some("ok"));
        assert_eq!(
            out[2].as_deref(),
            Some("rejected by the bus: MalformedDetail: m")
        );
        assert_eq!(out[3].as_deref(), Some("ok"));
        let mut calls = bus.calls.lock().unwrap().clone();
        // Retried entries go out in the order their backoffs end.
        calls[1].sort();
        assert_eq!(calls, vec![vec!["0", "1", "2", "3"], vec!["1", "3"]]);
    }

    #[tokio::test]
    async fn retries_of_several_calls_are_repacked_into_one() {
        let bus = ScriptedBus::default();
        let half_throttled: Vec<EntryStatus> = (0..10)
            .map(|i| {
                if i % 2 == 0 {
                    EntryStatus::Accepted
                } else {
                    rejected("ThrottlingException", true)
                }
            })
            .collect();
        for _ in 0..2 {
            bus.script
                .lock()
                .unwrap()
                .push_back(Answer::Statuses(half_throttled.clone()));
        }
        let batches = vec![(0..10).collect(), (10..20).collect()];
        let out = run(&bus, 20, batches, policy(2)).await;
        assert!(out.iter().all(|o| o.as_deref() == Some("ok")), "{out:?}");
        let calls = bus.calls.lock().unwrap().clone();
        assert_eq!(calls.len(), 3, "{calls:?}");
        let mut retried: Vec<usize> = calls[2].iter().map(|d| d.parse().unwrap()).collect();
        retried.sort_unstable();
        assert_eq!(retried, [1, 3, 5, 7, 9, 11, 13, 15, 17, 19]);
    }

    #[tokio::test]
    async fn calls_too_large_are_halved_down_to_single_entries() {
        let bus = ScriptedBus::default();
        // 4 entries: refused; 2 + 2: the first half refused again, then 1 + 1: the first alone
        // refused (final), the rest accepted. No retry budget at all.
        for answer in [Answer::TooLarge, Answer::TooLarge, Answer::TooLarge] {
            bus.script.lock().unwrap().push_back(answer);
        }
        let out = run(&bus, 4, vec![vec![0, 1, 2, 3]], policy(0)).await;
        assert_eq!(
            out[0].as_deref(),
            Some("call failed: scripted call failure")
        );
        assert!(
            out[1..].iter().all(|o| o.as_deref() == Some("ok")),
            "{out:?}"
        );
        let calls = bus.calls.lock().unwrap().clone();
        assert_eq!(
            calls,
            vec![
                vec!["0", "1", "2", "3"],
                vec!["0", "1"],
                vec!["0"],
                vec!["1"],
                vec!["2", "3"],
            ]
        );
    }

    #[tokio::test]
    async fn retries_are_bounded() {
        let bus = ScriptedBus::default();
        for _ in 0..10 {
            bus.script
                .lock()
                .unwrap()
                .push_back(Answer::Fail { retryable: true });
        }
        let out = run(&bus, 2, vec![vec![0, 1]], policy(2)).await;
        assert_eq!(
            bus.calls.lock().unwrap().len(),
            3,
            "retries_max=2 means 3 attempts"
        );
        assert!(
            out[0]
                .as_deref()
                .unwrap()
                .starts_with("gave up after 3 attempts; last: call failed: scripted")
        );

        let bus = ScriptedBus::default();
        bus.script
            .lock()
            .unwrap()
            .push_back(Answer::Fail { retryable: true });
        let out = run(&bus, 1, vec![vec![0]], policy(0)).await;
        assert_eq!(bus.calls.lock().unwrap().len(), 1);
        assert!(
            out[0]
                .as_deref()
                .unwrap()
                .starts_with("gave up after 1 attempts")
        );
    }

    #[tokio::test]
    async fn final_call_errors_are_not_retried() {
        let bus = ScriptedBus::default();
        bus.script
            .lock()
            .unwrap()
            .push_back(Answer::Fail { retryable: false });
        let out = run(&bus, 2, vec![vec![0], vec![1]], policy(2)).await;
        assert_eq!(bus.calls.lock().unwrap().len(), 2);
        assert_eq!(
            out[0].as_deref(),
            Some("call failed: scripted call failure")
        );
        assert_eq!(out[1].as_deref(), Some("ok"));
    }

    #[tokio::test]
    async fn missing_results_are_retried() {
        let bus = ScriptedBus::default();
        bus.script
            .lock()
            .unwrap()
            .push_back(Answer::Statuses(vec![EntryStatus::Accepted]));
        let out = run(&bus, 2, vec![vec![0, 1]], policy(1)).await;
        assert_eq!(out, vec![Some("ok".into()), Some("ok".into())]);
        assert_eq!(bus.calls.lock().unwrap()[1], vec!["1"]);
    }

    #[tokio::test(start_paused = true)]
    async fn hung_calls_time_out_and_the_deadline_is_kept() {
        let bus = ScriptedBus::default();
        for _ in 0..5 {
            bus.script.lock().unwrap().push_back(Answer::Hang);
        }
        let entries = entries(1);
        let start = Instant::now();
        let deadline = start + Duration::from_secs(3);
        let mut p = policy(10);
        p.call_timeout = Duration::from_secs(2);
        let report = send_one(&bus, &entries, &Caller::new(p, deadline)).await;
        assert!(Instant::now() <= deadline, "returned after the deadline");
        let Err(failure) = &report.deliveries[0].1 else {
            panic!("delivered")
        };
        assert!(matches!(failure, CallFailure::Deadline { .. }), "{failure}");
    }

    #[tokio::test]
    async fn no_call_starts_without_time() {
        let bus = ScriptedBus::default();
        let entries = entries(1);
        let report = send_one(&bus, &entries, &Caller::new(policy(2), Instant::now())).await;
        assert_eq!(report.calls, 0);
        let Err(failure) = &report.deliveries[0].1 else {
            panic!("delivered")
        };
        assert_eq!(
            failure.to_string(),
            "not sent: the invocation deadline left no time for a call"
        );
    }
}
