//! The send scheduler of an ordered bus ([`EventBus::ordered`]): each event group's entries go
//! out in order, with at most one call of a group in flight; different groups share calls and
//! run concurrently within the limit on calls in flight.
//!
//! - A call is packed from the heads of the groups that are idle and ready: first the group with
//!   the most entries left, giving as many of its next entries as fit, then the others in turn
//!   (round robin), each giving all its entries if they fit (a group's last entries are not
//!   split off into a call of their own, which would cost that group another round trip); so
//!   calls are full whenever enough entries wait, the longest groups do not end up alone in
//!   the last rounds, and a group never has two calls in flight. A call less than half full
//!   waits while a group in flight has entries left that could fill it.
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

use super::call::{Batch, Call, Entry, Item, SendReport, start};
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
/// the most entries left (the first in turn from `cursor` among equals), which gives as many
/// of its next entries as fit in `limits`, then in turn (the cursor moves past the last group
/// used) each group whose entries all fit; the groups used are marked busy. `None` when no
/// group can send, or when the call would be less than half full while a group in flight
/// still has entries to fill it.
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
    // The plan: how many of its next entries each group gives. The first group gives as many
    // as fit; each other group gives all its entries or none (a group's last entries are not
    // split off into a call of their own, which would cost that group another round trip).
    let first_take = take(&groups[first].queue, 0, 0, limits);
    let (mut count, mut bytes) = (first_take.count, first_take.bytes);
    let mut by_bytes = first_take.by_bytes;
    let mut plan = vec![(first, first_take.count)];
    // The others, in turn: whole groups while they fit.
    let mut left_out = Vec::new();
    for step in 1..n {
        let g = (first + step) % n;
        if count == limits.max_entries {
            break;
        }
        if !sendable(&groups[g]) {
            continue;
        }
        let whole = take(&groups[g].queue, count, bytes, limits);
        if whole.count == groups[g].queue.len() {
            plan.push((g, whole.count));
            count += whole.count;
            bytes += whole.bytes;
        } else if left_out.len() < REPACK_CANDIDATES {
            by_bytes |= whole.by_bytes;
            left_out.push(g);
        }
    }
    // Not full, and whole groups were left out: choose, among the groups taken after the
    // first and those left out, the set that fills the call best (fewest entries left over).
    let room = (
        limits.max_entries - first_take.count,
        limits.max_bytes - first_take.bytes,
    );
    let filled =
        |chosen: &[usize]| -> usize { chosen.iter().map(|&g| groups[g].queue.len()).sum() };
    if count < limits.max_entries && !left_out.is_empty() {
        let candidates: Vec<usize> = (plan[1..].iter().map(|&(g, _)| g))
            .chain(left_out.iter().copied())
            .collect();
        let chosen = best_fill(groups, &candidates, room);
        let chosen_count = filled(&chosen);
        if chosen_count > count - first_take.count {
            plan.truncate(1);
            plan.extend(chosen.into_iter().map(|g| (g, groups[g].queue.len())));
            count = first_take.count + chosen_count;
        }
    }
    // A call that is not full waits while groups in flight, once back, would fill it better
    // (fewer, fuller calls; nothing is sent later than the group in flight allows anyway).
    // A group in flight with more entries than the call has room for could not join, so the
    // call does not wait for it: a small partition is not held back behind a large one.
    let full = count == limits.max_entries || by_bytes;
    if !full {
        let busy: Vec<usize> = groups
            .iter()
            .enumerate()
            .filter(|&(i, g)| {
                g.busy && (1..=room.0).contains(&g.queue.len()) && plan.iter().all(|&(p, _)| p != i)
            })
            .map(|(i, _)| i)
            .take(REPACK_CANDIDATES)
            .collect();
        if !busy.is_empty() {
            let candidates: Vec<usize> = (plan[1..].iter().map(|&(g, _)| g))
                .chain(left_out)
                .chain(busy)
                .collect();
            if filled(&best_fill(groups, &candidates, room)) > count - first_take.count {
                return None;
            }
        }
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

/// At most this many whole groups left out of a call are considered for a better fill (the
/// search is `candidates × max_entries` steps).
const REPACK_CANDIDATES: usize = 64;

/// What a group can give a call that already holds `count` entries of `bytes` bytes: its next
/// entries while they fit.
struct Take {
    count: usize,
    bytes: usize,
    /// Stopped by the byte cap (not by the entry cap or the end of the group).
    by_bytes: bool,
}

fn take(queue: &VecDeque<Entry<'_>>, count: usize, bytes: usize, limits: BatchLimits) -> Take {
    let mut t = Take {
        count: 0,
        bytes: 0,
        by_bytes: false,
    };
    for next in queue {
        if count + t.count == limits.max_entries {
            break;
        }
        if bytes + t.bytes + next.item.size > limits.max_bytes && count + t.count > 0 {
            t.by_bytes = true;
            break;
        }
        t.bytes += next.item.size;
        t.count += 1;
    }
    t
}

/// The subset of `candidates` (whole groups) with the most entries that fits in `room`
/// (entries, bytes): a knapsack over the entry count that keeps, for each count, the fewest
/// bytes that reach it.
fn best_fill(groups: &[Group<'_>], candidates: &[usize], room: (usize, usize)) -> Vec<usize> {
    let (max_count, max_bytes) = room;
    // reach[c] = the fewest bytes of a subset of the candidates seen with c entries, and the
    // candidate added last to reach it (with the count before it).
    let mut reach: Vec<Option<(usize, Vec<usize>)>> = vec![None; max_count + 1];
    reach[0] = Some((0, Vec::new()));
    for &g in candidates {
        let count = groups[g].queue.len();
        let bytes: usize = groups[g].queue.iter().map(|e| e.item.size).sum();
        if count == 0 || count > max_count {
            continue;
        }
        for c in (count..=max_count).rev() {
            let Some((base, set)) = &reach[c - count] else {
                continue;
            };
            let total = base + bytes;
            if total > max_bytes || reach[c].as_ref().is_some_and(|(b, _)| *b <= total) {
                continue;
            }
            let mut set = set.clone();
            set.push(g);
            reach[c] = Some((total, set));
        }
    }
    reach
        .into_iter()
        .rev()
        .find_map(|r| r.map(|(_, set)| set))
        .unwrap_or_default()
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

    fn finish(
        &mut self,
        (mut call, round, result): super::call::Done<'a, B::Error>,
        members: &[usize],
    ) {
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
