//! The send scheduler of an ordered bus ([`EventBus::ordered`]): each event group's entries go
//! out in order, with at most one call of a group in flight; different groups share calls and
//! run concurrently within the limit on calls in flight.
//!
//! - A call is packed from the heads of the groups that are idle and ready: first the group with
//!   the most entries left, then the others in turn (round robin), each group giving as many of
//!   its next entries as fit; so calls are full whenever enough entries wait, the longest
//!   groups do not end up alone in the last rounds, and a group never has two calls in flight.
//!   A call that would not be full waits while a group in flight has entries left that could
//!   fill it.
//! - When an entry of a group is not delivered and may be retried (a retryable code, no
//!   result, a retryable or timed-out call), the group starts again from that entry: it and
//!   every later entry of the group in the call go back to the head of the group, in order,
//!   after the entry's backoff (later entries the bus accepted are sent again; the bus's
//!   deduplication drops them).
//! - When an entry fails finally (a final code or call error, its retries spent), it is
//!   reported, and so is every later entry of its group, [`CallFailure::Held`], unsent: the
//!   event source mapping redelivers from the first of them, in order.
//! - A call refused as too large goes back unspent, and calls are made half as large from
//!   then on, down to one entry.
//! - Entries without a group are each their own group.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use futures_util::StreamExt as _;
use futures_util::stream::FuturesUnordered;
use tokio::time::Instant;

use super::{Batch, Call, Entry, Item, SendReport, start};
use crate::bus::{BatchLimits, EntryStatus, EventBus};
use crate::concurrency::{AdaptiveLimit, Signal};
use crate::error::CallFailure;
use crate::retry::Caller;

/// One event group: its entries still to send, in order; whether a call of it is in flight;
/// when it may be sent again (after a backoff).
#[derive(Debug)]
struct Group<'a> {
    queue: VecDeque<Entry<'a>>,
    busy: bool,
    ready_at: Instant,
}

/// Sends `batches` (their entries, in event order) to an ordered bus; see the module docs.
pub(super) async fn send_ordered<B: EventBus>(
    bus: &B,
    batches: Vec<Batch<'_>>,
    limits: BatchLimits,
    caller: &Caller,
    limit: Option<&AdaptiveLimit>,
) -> SendReport {
    let groups = groups(batches.into_iter().flatten().collect(), Instant::now());
    let mut scheduler = Ordered {
        bus,
        caller,
        limit,
        limits,
        groups,
        cursor: 0,
        report: SendReport::default(),
    };
    scheduler.run().await;
    scheduler.report
}

/// The calls an ordered bus makes for `items` when every call is answered, accepting every
/// entry, before the next starts: the item ids of each call, in order. (With several calls in
/// flight, the same entries go in the same order per group, possibly split differently.)
pub(crate) fn sequential_calls(items: Vec<Item<'_>>, limits: BatchLimits) -> Vec<Vec<usize>> {
    let now = Instant::now();
    let (mut groups, mut cursor) = (groups(items, now), 0);
    let mut calls = Vec::new();
    while let Some((call, members)) = pack(&mut groups, &mut cursor, limits, now) {
        for g in members {
            groups[g].busy = false;
        }
        calls.push(call.entries.iter().map(|e| e.item.id).collect());
    }
    calls
}

/// The next call: the next entries of idle groups ready at `now`, starting with the one with
/// the most entries left (the first in turn from `cursor` among equals), then in turn (the
/// cursor moves past the last group used), each giving as many of its next entries as fit in
/// `limits`; the groups used are marked busy. `None` when no group can send, or when the call
/// would not be full while a group in flight still has entries to fill it.
fn pack<'a>(
    groups: &mut [Group<'a>],
    cursor: &mut usize,
    limits: BatchLimits,
    now: Instant,
) -> Option<GroupCall<'a>> {
    let n = groups.len();
    let sendable = |g: &Group<'_>| !g.busy && g.ready_at <= now && !g.queue.is_empty();
    // The call starts with the idle group that has the most entries left (so that the last
    // rounds are not one long group alone), then takes the others in turn.
    let first = groups
        .iter()
        .enumerate()
        .filter(|(_, g)| sendable(g))
        .max_by_key(|&(i, g)| (g.queue.len(), std::cmp::Reverse((i + n - *cursor) % n)))
        .map(|(i, _)| i)?;
    // The plan: how many of its next entries each group gives.
    let (mut plan, mut count, mut bytes) = (Vec::new(), 0, 0);
    let mut by_bytes = false;
    for step in 0..n {
        let g = (first + step) % n;
        if !sendable(&groups[g]) {
            continue;
        }
        let mut took = 0;
        for next in &groups[g].queue {
            if count == limits.max_entries {
                break;
            }
            if bytes + next.item.size > limits.max_bytes && count > 0 {
                by_bytes = true;
                break;
            }
            bytes += next.item.size;
            count += 1;
            took += 1;
        }
        if took > 0 {
            plan.push((g, took));
        }
        if count == limits.max_entries {
            break;
        }
    }
    // A call that is not full waits while a group in flight still has entries: when that
    // call returns, they can fill this one (fewer, fuller calls; nothing is sent later than
    // the group in flight allows anyway).
    let full = count == limits.max_entries || by_bytes;
    let fillable = groups
        .iter()
        .enumerate()
        .any(|(i, g)| g.busy && !g.queue.is_empty() && plan.iter().all(|&(p, _)| p != i));
    if !full && fillable {
        return None;
    }
    let (mut entries, mut members, mut resend) = (Vec::with_capacity(count), Vec::new(), false);
    for (g, took) in plan {
        let group = &mut groups[g];
        for entry in group.queue.drain(..took) {
            resend |= entry.sent > 0;
            entries.push(entry);
            members.push(g);
        }
        group.busy = true;
        *cursor = (g + 1) % n;
    }
    Some((Call { entries, resend }, members))
}

/// The event groups of `items`, in order of first appearance, each with its entries in event
/// (item id) order; an entry without a group is a group of its own.
fn groups(mut items: Vec<Item<'_>>, now: Instant) -> Vec<Group<'_>> {
    let mut groups: Vec<Group<'_>> = Vec::new();
    let mut index: HashMap<&str, usize> = HashMap::new();
    items.sort_by_key(|item| item.id);
    for item in items {
        let entry = Entry::new(item);
        let slot = match item.entry.event_group_id.as_deref() {
            Some(id) => *index.entry(id).or_insert_with(|| {
                groups.push(Group {
                    queue: VecDeque::new(),
                    busy: false,
                    ready_at: now,
                });
                groups.len() - 1
            }),
            None => {
                groups.push(Group {
                    queue: VecDeque::new(),
                    busy: false,
                    ready_at: now,
                });
                groups.len() - 1
            }
        };
        groups[slot].queue.push_back(entry);
    }
    groups
}

struct Ordered<'b, 'a, B> {
    bus: &'b B,
    caller: &'b Caller,
    limit: Option<&'b AdaptiveLimit>,
    limits: BatchLimits,
    groups: Vec<Group<'a>>,
    /// Where the next call starts looking for groups (round robin).
    cursor: usize,
    report: SendReport,
}

/// A call of an ordered bus: its entries, with the group of each.
type GroupCall<'a> = (Call<'a>, Vec<usize>);

impl<'a, B: EventBus> Ordered<'_, 'a, B> {
    async fn run(&mut self) {
        let (bus, caller, limit) = (self.bus, self.caller, self.limit);
        let mut inflight = FuturesUnordered::new();
        loop {
            let cap = limit.map_or(caller.max_inflight(), AdaptiveLimit::current);
            while inflight.len() < cap {
                let Some((call, members)) = self.next_call(Instant::now()) else {
                    break;
                };
                inflight.push(async move { (start(bus, caller, limit, call).await, members) });
            }
            let wake = self.next_wake(inflight.len() < cap);
            if inflight.is_empty() && wake.is_none() {
                debug_assert!(self.groups.iter().all(|g| g.queue.is_empty()));
                return;
            }
            tokio::select! {
                Some((done, members)) = inflight.next(), if !inflight.is_empty() => {
                    self.finish(done, &members);
                }
                () = tokio::time::sleep_until(wake.unwrap_or_else(Instant::now)), if wake.is_some() => {}
            }
        }
    }

    /// The next call: see [`pack`].
    fn next_call(&mut self, now: Instant) -> Option<GroupCall<'a>> {
        pack(&mut self.groups, &mut self.cursor, self.limits, now)
    }

    /// When a waiting group ends its backoff, if a call could start then.
    fn next_wake(&self, slot_free: bool) -> Option<Instant> {
        let now = Instant::now();
        slot_free
            .then(|| {
                self.groups
                    .iter()
                    .filter(|g| !g.busy && !g.queue.is_empty() && g.ready_at > now)
                    .map(|g| g.ready_at)
                    .min()
            })
            .flatten()
    }

    fn finish(&mut self, (mut call, round, result): super::Done<'a, B::Error>, members: &[usize]) {
        let Some(result) = result else {
            // No time left for the call: its entries fail, and so does the rest of their
            // groups when their turn comes (no call can start any more).
            for (entry, &g) in call.entries.into_iter().zip(members) {
                self.report.deliveries.push(entry.deadline());
                self.groups[g].busy = false;
            }
            return;
        };
        self.report.count(&mut call);
        let entries = call.entries;
        let signal = match result {
            Ok(Ok(statuses)) => self.read_statuses(entries, members, &statuses),
            Ok(Err(error)) => self.call_failed(entries, members, error),
            Err(timeout) => {
                self.settle(entries, members, |_| {
                    Step::Failed(CallFailure::Timeout(timeout), true)
                });
                Signal::Neutral
            }
        };
        for &g in members {
            self.groups[g].busy = false;
        }
        self.report.signal(self.limit, round, signal);
    }

    fn call_failed(
        &mut self,
        mut entries: Vec<Entry<'a>>,
        members: &[usize],
        error: B::Error,
    ) -> Signal {
        let throttled = self.bus.is_throttling(&error);
        if throttled {
            self.report.throttled += entries.len();
        }
        if self.bus.is_too_large(&error) && entries.len() > 1 {
            // Not the entries' fault: back to their groups unspent; smaller calls from now on.
            for entry in &mut entries {
                entry.sent -= 1;
            }
            self.limits.max_entries = (entries.len() / 2).max(1);
            self.requeue(entries, members);
            return Signal::Neutral;
        }
        let retryable = self.bus.is_retryable(&error);
        let failure = CallFailure::Call(Arc::new(error));
        self.settle(entries, members, |_| {
            Step::Failed(failure.clone(), retryable)
        });
        if throttled {
            Signal::Throttled
        } else {
            Signal::Neutral
        }
    }

    /// Reads the statuses of a call; per group, the first entry not delivered decides what
    /// becomes of it and of the group's later entries.
    fn read_statuses(
        &mut self,
        entries: Vec<Entry<'a>>,
        members: &[usize],
        statuses: &[EntryStatus],
    ) -> Signal {
        let mut signal = Signal::Clear;
        for status in statuses {
            if let EntryStatus::Rejected {
                throttled: true, ..
            } = status
            {
                self.report.throttled += 1;
                signal = Signal::Throttled;
            }
        }
        self.settle(entries, members, |position| match statuses.get(position) {
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
        });
        signal
    }

    /// Walks a finished call's entries in order; `outcome(position)` says what became of each.
    /// A group's entries before its first undelivered one are delivered; from that one on, the
    /// group is retried (back to its head, after the backoff) or, when that entry's failure is
    /// final, failed with the rest of the group held.
    fn settle(
        &mut self,
        entries: Vec<Entry<'a>>,
        members: &[usize],
        outcome: impl Fn(usize) -> Step,
    ) {
        let mut stopped: HashMap<usize, Vec<Entry<'a>>> = HashMap::new();
        let mut order: Vec<usize> = Vec::new();
        for (position, (entry, &g)) in entries.into_iter().zip(members).enumerate() {
            if let Some(rest) = stopped.get_mut(&g) {
                rest.push(entry);
                continue;
            }
            match outcome(position) {
                Step::Delivered { deduplicated } => {
                    self.report.deduplicated += usize::from(deduplicated);
                    self.report.deliveries.push((entry.item.id, Ok(())));
                }
                Step::Failed(failure, retryable) => {
                    let attempts = entry.sent;
                    let decided = if retryable {
                        self.caller.retry_after(attempts, failure)
                    } else {
                        Err(failure)
                    };
                    match decided {
                        Ok((delay, failure)) => {
                            let mut entry = entry;
                            entry.last = Some(failure);
                            self.groups[g].ready_at = Instant::now() + delay;
                            stopped.insert(g, vec![entry]);
                            order.push(g);
                        }
                        Err(last) => {
                            self.report.deliveries.push((entry.item.id, Err(last)));
                            self.hold_rest(g);
                            stopped.insert(g, Vec::new());
                            order.push(g);
                        }
                    }
                }
            }
        }
        for g in order {
            let rest = stopped.remove(&g).unwrap_or_default();
            if self.groups[g].queue.is_empty() && rest.is_empty() {
                continue;
            }
            let retrying = rest.first().is_some_and(|e| e.last.is_some());
            if retrying {
                let members = vec![g; rest.len()];
                self.requeue(rest, &members);
            } else {
                for entry in rest {
                    self.report
                        .deliveries
                        .push((entry.item.id, Err(CallFailure::Held)));
                }
            }
        }
    }

    /// Fails every entry still queued in group `g`, held behind a final failure.
    fn hold_rest(&mut self, g: usize) {
        for entry in self.groups[g].queue.drain(..) {
            self.report
                .deliveries
                .push((entry.item.id, Err(CallFailure::Held)));
        }
    }

    /// Puts `entries` back at the head of their groups, in order.
    fn requeue(&mut self, entries: Vec<Entry<'a>>, members: &[usize]) {
        let mut by_group: HashMap<usize, Vec<Entry<'a>>> = HashMap::new();
        for (entry, &g) in entries.into_iter().zip(members) {
            by_group.entry(g).or_default().push(entry);
        }
        for (g, entries) in by_group {
            let queue = &mut self.groups[g].queue;
            for entry in entries.into_iter().rev() {
                queue.push_front(entry);
            }
        }
    }
}

/// What became of one entry of a finished call.
enum Step {
    /// Delivered (a duplicate the bus dropped counts as delivered).
    Delivered {
        /// The bus said `DEDUPLICATED`.
        deduplicated: bool,
    },
    /// Not delivered: why, and whether it may be retried.
    Failed(CallFailure, bool),
}
