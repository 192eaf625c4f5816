//! The loop both schedules share ([`drive`]): start calls while the limit on calls in flight
//! allows, wait for the first to finish or for the schedule's next wake-up, and turn what came
//! back (statuses, a failed call, a timeout, no time left) into one [`Step`] per entry, which
//! the schedule then settles. A schedule ([`Schedule`]) only says which call goes next, when
//! to wake, what becomes of a finished call's entries, and how to shrink a call the bus
//! refused as too large.

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt as _;
use futures_util::stream::FuturesUnordered;
use tokio::time::Instant;

use super::call::{Call, Done, Entry, SendReport, start};
use crate::bus::{CallClass, EntryStatus, EventBus};
use crate::concurrency::{AdaptiveLimit, Signal};
use crate::error::CallFailure;
use crate::retry::Caller;

/// What became of one entry of a finished call.
pub(super) enum Step {
    /// Delivered (a duplicate the bus dropped counts as delivered).
    Delivered {
        /// The bus said `DEDUPLICATED`.
        deduplicated: bool,
    },
    /// Not delivered: why, and whether it may be sent again.
    Failed(CallFailure, bool),
}

impl Step {
    /// Records a delivered entry; hands back the failure of one that was not (and whether it
    /// may be sent again).
    pub(super) fn delivered_or(
        self,
        entry: &Entry<'_>,
        report: &mut SendReport,
    ) -> Option<(CallFailure, bool)> {
        match self {
            Self::Delivered { deduplicated } => {
                report.deduplicated += usize::from(deduplicated);
                report.deliveries.push((entry.item.id, Ok(())));
                None
            }
            Self::Failed(failure, retryable) => Some((failure, retryable)),
        }
    }
}

/// Whether an entry that was not delivered is sent again: after this backoff, with its last
/// failure (`Ok`), or not, with its final failure (`Err`: not retryable, or its retries or the
/// time are spent).
pub(super) fn retry_or_final(
    caller: &Caller,
    entry: &Entry<'_>,
    failure: CallFailure,
    retryable: bool,
) -> Result<(Duration, CallFailure), CallFailure> {
    if retryable {
        caller.retry_after(entry.sent, failure)
    } else {
        Err(failure)
    }
}

/// One way of scheduling the calls of an invocation; `Tag` is what it keeps about a call in
/// flight besides its entries (a type parameter, not an associated type: the send future
/// must be provably `Send` for any lifetime of the entries).
pub(super) trait Schedule<'a, Tag> {
    /// The next call to start at `now`, with `inflight` calls in flight; `None` when none
    /// should start now.
    fn next_call(&mut self, now: Instant, inflight: usize) -> Option<(Call<'a>, Tag)>;

    /// When a call could next start, once a slot for it is free; `None` when no entry waits
    /// for a time.
    fn next_wake(&self, now: Instant) -> Option<Instant>;

    /// What becomes of a finished call's entries: `step(position)` says what the bus made of
    /// each.
    fn settle(
        &mut self,
        entries: Vec<Entry<'a>>,
        tag: &Tag,
        step: impl Fn(usize) -> Step,
        report: &mut SendReport,
    );

    /// Takes back the entries of a call the bus refused as too large (their retries unspent)
    /// to send them in smaller calls.
    fn shrink(&mut self, entries: Vec<Entry<'a>>, tag: &Tag);

    /// The call of `tag` is over (whatever became of it).
    fn release(&mut self, _tag: &Tag) {}

    /// Whether no entry is left to send.
    fn is_drained(&self) -> bool;
}

/// Runs `schedule` to the end on `bus` and reports what became of every entry.
pub(super) async fn drive<'a, B: EventBus, S: Schedule<'a, T>, T>(
    bus: &B,
    caller: &Caller,
    limit: Option<&AdaptiveLimit>,
    mut schedule: S,
) -> SendReport {
    let mut report = SendReport::default();
    let mut inflight = FuturesUnordered::new();
    loop {
        let cap = limit.map_or(caller.max_inflight(), AdaptiveLimit::current);
        while inflight.len() < cap {
            let Some((call, tag)) = schedule.next_call(Instant::now(), inflight.len()) else {
                break;
            };
            inflight.push(async move { (start(bus, caller, limit, call).await, tag) });
        }
        // Nothing in flight and no wake-up means nothing is left: every entry was settled.
        let wake = if inflight.len() < cap {
            schedule.next_wake(Instant::now())
        } else {
            None
        };
        if inflight.is_empty() && wake.is_none() {
            debug_assert!(schedule.is_drained());
            return report;
        }
        tokio::select! {
            Some((done, tag)) = inflight.next(), if !inflight.is_empty() => {
                finish(bus, limit, &mut schedule, &mut report, done, &tag);
                schedule.release(&tag);
            }
            () = tokio::time::sleep_until(wake.unwrap_or_else(Instant::now)), if wake.is_some() => {}
        }
    }
}

/// Settles a finished call and tells the limit what it said.
fn finish<'a, B: EventBus, S: Schedule<'a, T>, T>(
    bus: &B,
    limit: Option<&AdaptiveLimit>,
    schedule: &mut S,
    report: &mut SendReport,
    (mut call, round, result): Done<'a, B::Error>,
    tag: &T,
) {
    let Some(result) = result else {
        // No time was left for the call: its entries fail with the deadline.
        report
            .deliveries
            .extend(call.entries.into_iter().map(Entry::deadline));
        return;
    };
    report.count(&mut call);
    let entries = call.entries;
    let signal = match result {
        Ok(Ok(statuses)) => {
            let signal = count_throttled(&statuses[..statuses.len().min(entries.len())], report);
            schedule.settle(
                entries,
                tag,
                |position| step(statuses.get(position)),
                report,
            );
            signal
        }
        Ok(Err(error)) => call_failed(bus.classify(&error), error, entries, schedule, tag, report),
        Err(timeout) => {
            let failure = CallFailure::Timeout(timeout);
            schedule.settle(
                entries,
                tag,
                |_| Step::Failed(failure.clone(), true),
                report,
            );
            Signal::Neutral
        }
    };
    report.signal(limit, round, signal);
}

/// A call that failed as a whole: split when [`is_split`] says so, else every entry failed with
/// the call's error, retryable as its class says.
fn call_failed<'a, E, S, T>(
    class: CallClass,
    error: E,
    mut entries: Vec<Entry<'a>>,
    schedule: &mut S,
    tag: &T,
    report: &mut SendReport,
) -> Signal
where
    E: std::error::Error + Send + Sync + 'static,
    S: Schedule<'a, T>,
{
    if is_split(class, &entries) {
        // Not every entry's fault: their retries stay unspent.
        for entry in &mut entries {
            entry.sent -= 1;
        }
        schedule.shrink(entries, tag);
        return Signal::Neutral;
    }
    let throttled = class == CallClass::Throttled;
    if throttled {
        report.throttled += entries.len();
    }
    let (failure, retryable) = (CallFailure::Call(Arc::new(error)), class.is_retryable());
    schedule.settle(
        entries,
        tag,
        |_| Step::Failed(failure.clone(), retryable),
        report,
    );
    if throttled {
        Signal::Throttled
    } else {
        Signal::Neutral
    }
}

/// Whether a call the bus refused as a whole is sent again in halves, to deliver the entries
/// that were not at fault: one too large as a whole or malformed (one entry can cause either),
/// or denied while its entries have several detail-types (what a policy condition may tell
/// apart); never a single entry.
fn is_split(class: CallClass, entries: &[Entry<'_>]) -> bool {
    entries.len() > 1
        && match class {
            CallClass::TooLarge | CallClass::Malformed => true,
            CallClass::Denied => {
                let first = &entries[0].item.entry.detail_type;
                entries.iter().any(|e| e.item.entry.detail_type != *first)
            }
            CallClass::Throttled | CallClass::Transient | CallClass::Final => false,
        }
}

/// Counts the entries the bus throttled; the call's signal.
fn count_throttled(statuses: &[EntryStatus], report: &mut SendReport) -> Signal {
    let mut signal = Signal::Clear;
    for status in statuses {
        if let EntryStatus::Rejected {
            throttled: true, ..
        } = status
        {
            report.throttled += 1;
            signal = Signal::Throttled;
        }
    }
    signal
}

/// What the bus's status for an entry means (no status: the bus did not say, retried).
fn step(status: Option<&EntryStatus>) -> Step {
    match status {
        Some(EntryStatus::Accepted) => Step::Delivered {
            deduplicated: false,
        },
        Some(EntryStatus::Deduplicated) => Step::Delivered { deduplicated: true },
        Some(EntryStatus::Rejected {
            code,
            message,
            retryable,
            ..
        }) => Step::Failed(
            CallFailure::Rejected {
                code: code.clone(),
                message: message.clone(),
            },
            *retryable,
        ),
        None => Step::Failed(CallFailure::NoResult, true),
    }
}
