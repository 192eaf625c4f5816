//! The send schedule of an ordered bus
//! ([`EventBus::ordered`](crate::bus::EventBus::ordered)): each event group's entries go out
//! in order, with at most one call of a group in flight; different groups share calls and run
//! concurrently within the limit on calls in flight.
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

use std::collections::HashMap;

use tokio::time::Instant;

use super::call::{Batch, Entry, SendReport};
use super::driver::{Schedule, Step, retry_or_final};
use super::packing::{Group, GroupCall, groups, pack};
use crate::bus::BatchLimits;
use crate::error::CallFailure;
use crate::retry::Caller;

/// The event groups, and where the next call starts looking for them.
pub(super) struct Ordered<'b, 'a> {
    caller: &'b Caller,
    limits: BatchLimits,
    groups: Vec<Group<'a>>,
    /// Where the next call starts looking for groups (round robin).
    cursor: usize,
}

impl<'a> Schedule<'a, Vec<usize>> for Ordered<'_, 'a> {
    /// The next call: see [`pack`].
    fn next_call(&mut self, now: Instant, _inflight: usize) -> Option<GroupCall<'a>> {
        pack(&mut self.groups, &mut self.cursor, self.limits, now)
    }

    /// When a waiting group ends its backoff.
    fn next_wake(&self, now: Instant) -> Option<Instant> {
        self.groups
            .iter()
            .filter(|g| !g.busy && !g.queue.is_empty() && g.ready_at > now)
            .map(|g| g.ready_at)
            .min()
    }

    /// Walks a finished call's entries in order. A group's entries before its first
    /// undelivered one are delivered; from that one on, the group is retried (back to its
    /// head, after the backoff) or, when that entry's failure is final, failed with the rest of
    /// the group held.
    fn settle(
        &mut self,
        entries: Vec<Entry<'a>>,
        members: &Vec<usize>,
        step: impl Fn(usize) -> Step,
        report: &mut SendReport,
    ) {
        let mut stopped: HashMap<usize, Vec<Entry<'a>>> = HashMap::new();
        let mut order: Vec<usize> = Vec::new();
        for (position, (entry, &g)) in entries.into_iter().zip(members).enumerate() {
            if let Some(rest) = stopped.get_mut(&g) {
                rest.push(entry);
                continue;
            }
            let Some((failure, retryable)) = step(position).delivered_or(&entry, report) else {
                continue;
            };
            let rest = match retry_or_final(self.caller, &entry, failure, retryable) {
                Ok((delay, failure)) => {
                    let mut entry = entry;
                    entry.last = Some(failure);
                    self.groups[g].ready_at = Instant::now() + delay;
                    vec![entry]
                }
                Err(last) => {
                    report.deliveries.push((entry.item.id, Err(last)));
                    self.hold_rest(g, report);
                    Vec::new()
                }
            };
            stopped.insert(g, rest);
            order.push(g);
        }
        for g in order {
            let rest = stopped.remove(&g).unwrap_or_default();
            self.retry_or_hold(g, rest, report);
        }
    }

    /// Back to their groups unspent; smaller calls from now on.
    fn shrink(&mut self, entries: Vec<Entry<'a>>, members: &Vec<usize>) {
        self.limits.max_entries = (entries.len() / 2).max(1);
        self.requeue(entries, members);
    }

    fn release(&mut self, members: &Vec<usize>) {
        for &g in members {
            self.groups[g].busy = false;
        }
    }

    fn is_drained(&self) -> bool {
        self.groups.iter().all(|g| g.queue.is_empty())
    }
}

impl<'b, 'a> Ordered<'b, 'a> {
    /// The schedule of `batches` (their entries, in event order); calls stay within `limits`.
    pub(super) fn new(batches: Vec<Batch<'a>>, limits: BatchLimits, caller: &'b Caller) -> Self {
        Self {
            caller,
            limits,
            groups: groups(batches.into_iter().flatten().collect(), Instant::now()),
            cursor: 0,
        }
    }

    /// What becomes of group `g`'s entries of a call from its first undelivered one on: back
    /// to the head of the group when that one is retried, else held.
    fn retry_or_hold(&mut self, g: usize, rest: Vec<Entry<'a>>, report: &mut SendReport) {
        if self.groups[g].queue.is_empty() && rest.is_empty() {
            return;
        }
        if rest.first().is_some_and(|e| e.last.is_some()) {
            let members = vec![g; rest.len()];
            self.requeue(rest, &members);
        } else {
            for entry in rest {
                report
                    .deliveries
                    .push((entry.item.id, Err(CallFailure::Held)));
            }
        }
    }

    /// Fails every entry still queued in group `g`, held behind a final failure.
    fn hold_rest(&mut self, g: usize, report: &mut SendReport) {
        for entry in self.groups[g].queue.drain(..) {
            report
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
