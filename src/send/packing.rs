//! How an ordered bus's calls are packed, pure: the event groups of a batch ([`groups`]), and
//! the next call from the heads of the groups that are idle and ready ([`pack`]). No I/O and
//! no clock: the caller says what time it is.

use std::collections::{HashMap, VecDeque};

use tokio::time::Instant;

use super::call::{Call, Entry, Item};
use crate::bus::BatchLimits;

/// One event group: its entries still to send, in order; whether a call of it is in flight;
/// when it may be sent again (after a backoff).
#[derive(Debug)]
pub(super) struct Group<'a> {
    pub(super) queue: VecDeque<Entry<'a>>,
    pub(super) busy: bool,
    pub(super) ready_at: Instant,
}

impl Group<'_> {
    /// Whether it can give entries to a call at `now`.
    fn sendable(&self, now: Instant) -> bool {
        !self.busy && self.ready_at <= now && !self.queue.is_empty()
    }
}

/// A call of an ordered bus: its entries, with the group of each.
pub(super) type GroupCall<'a> = (Call<'a>, Vec<usize>);

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

/// The plan of a call: how many of its next entries each group gives (the first group as
/// many as fit, the others all or none), and what the plan adds up to.
struct Plan {
    /// `(group, entries)`, the first group first.
    parts: Vec<(usize, usize)>,
    /// Entries in the call.
    count: usize,
    /// Bytes in the call.
    bytes: usize,
    /// What the first group gives.
    first: Take,
    /// Whether the byte cap stopped a group (the call is full by bytes).
    by_bytes: bool,
    /// Whole groups that did not fit after the first, at most [`REPACK_CANDIDATES`].
    left_out: Vec<usize>,
}

impl Plan {
    /// The room left after the first group: entries, bytes.
    fn room(&self, limits: BatchLimits) -> (usize, usize) {
        (
            limits.max_entries - self.first.count,
            limits.max_bytes - self.first.bytes,
        )
    }

    /// The groups after the first, then those left out: the candidates of a better fill.
    fn others(&self) -> impl Iterator<Item = usize> + '_ {
        self.parts[1..]
            .iter()
            .map(|&(g, _)| g)
            .chain(self.left_out.iter().copied())
    }
}

/// The next call: the next entries of idle groups ready at `now`, starting with the one with
/// the most entries left (the first in turn from `cursor` among equals), which gives as many
/// of its next entries as fit in `limits`, then in turn (the cursor moves past the last group
/// used) each group whose entries all fit; the groups used are marked busy. `None` when no
/// group can send, or when the call would be less than half full while a group in flight
/// still has entries to fill it.
pub(super) fn pack<'a>(
    groups: &mut [Group<'a>],
    cursor: &mut usize,
    limits: BatchLimits,
    now: Instant,
) -> Option<GroupCall<'a>> {
    let first = first_group(groups, *cursor, now)?;
    let mut plan = plan_in_turn(groups, first, limits, now);
    refill(groups, &mut plan, limits);
    if waits_for_busy_groups(groups, &plan, limits) {
        return None;
    }
    Some(drain(groups, cursor, plan))
}

/// The idle, ready group with the most entries left (so that the last rounds are not one long
/// group alone); among equals, the first in turn from `cursor`.
fn first_group(groups: &[Group<'_>], cursor: usize, now: Instant) -> Option<usize> {
    let n = groups.len();
    groups
        .iter()
        .enumerate()
        .filter(|(_, g)| g.sendable(now))
        .max_by_key(|&(i, g)| (g.queue.len(), std::cmp::Reverse((i + n - cursor) % n)))
        .map(|(i, _)| i)
}

/// The first group's entries as far as they fit, then the others in turn, each whole while
/// it fits (a group's last entries are not split off into a call of their own, which would
/// cost that group another round trip).
fn plan_in_turn(groups: &[Group<'_>], first: usize, limits: BatchLimits, now: Instant) -> Plan {
    let n = groups.len();
    let first_take = take(&groups[first].queue, 0, 0, limits);
    let mut plan = Plan {
        parts: vec![(first, first_take.count)],
        count: first_take.count,
        bytes: first_take.bytes,
        by_bytes: first_take.by_bytes,
        first: first_take,
        left_out: Vec::new(),
    };
    for step in 1..n {
        let g = (first + step) % n;
        if plan.count == limits.max_entries {
            break;
        }
        if !groups[g].sendable(now) {
            continue;
        }
        let whole = take(&groups[g].queue, plan.count, plan.bytes, limits);
        if whole.count == groups[g].queue.len() {
            plan.parts.push((g, whole.count));
            plan.count += whole.count;
            plan.bytes += whole.bytes;
        } else if plan.left_out.len() < REPACK_CANDIDATES {
            plan.by_bytes |= whole.by_bytes;
            plan.left_out.push(g);
        }
    }
    plan
}

/// The entries of whole groups `chosen`.
fn entries_of(groups: &[Group<'_>], chosen: &[usize]) -> usize {
    chosen.iter().map(|&g| groups[g].queue.len()).sum()
}

/// Not full, and whole groups were left out: the set, among the groups taken after the first
/// and those left out, that fills the call best (fewest entries left over) replaces them.
fn refill(groups: &[Group<'_>], plan: &mut Plan, limits: BatchLimits) {
    if plan.count >= limits.max_entries || plan.left_out.is_empty() {
        return;
    }
    let candidates: Vec<usize> = plan.others().collect();
    let chosen = best_fill(groups, &candidates, plan.room(limits));
    let chosen_count = entries_of(groups, &chosen);
    if chosen_count > plan.count - plan.first.count {
        plan.parts.truncate(1);
        plan.parts
            .extend(chosen.into_iter().map(|g| (g, groups[g].queue.len())));
        plan.count = plan.first.count + chosen_count;
    }
}

/// Whether a call that is not full should wait for groups in flight that, once back, would
/// fill it better (fewer, fuller calls; nothing is sent later than the group in flight allows
/// anyway). A group in flight with more entries than the call has room for could not join, so
/// the call does not wait for it: a small partition is not held back behind a large one.
fn waits_for_busy_groups(groups: &[Group<'_>], plan: &Plan, limits: BatchLimits) -> bool {
    if plan.count == limits.max_entries || plan.by_bytes {
        return false;
    }
    let room = plan.room(limits);
    let busy: Vec<usize> = groups
        .iter()
        .enumerate()
        .filter(|&(i, g)| {
            g.busy
                && (1..=room.0).contains(&g.queue.len())
                && plan.parts.iter().all(|&(p, _)| p != i)
        })
        .map(|(i, _)| i)
        .take(REPACK_CANDIDATES)
        .collect();
    if busy.is_empty() {
        return false;
    }
    let candidates: Vec<usize> = plan.others().chain(busy).collect();
    entries_of(groups, &best_fill(groups, &candidates, room)) > plan.count - plan.first.count
}

/// Takes the planned entries out of their groups, marks the groups busy, and moves the cursor
/// past the last group used.
fn drain<'a>(groups: &mut [Group<'a>], cursor: &mut usize, plan: Plan) -> GroupCall<'a> {
    let n = groups.len();
    let (mut entries, mut members) = (Vec::with_capacity(plan.count), Vec::new());
    let mut resend = false;
    for (g, took) in plan.parts {
        let group = &mut groups[g];
        for entry in group.queue.drain(..took) {
            resend |= entry.sent > 0;
            entries.push(entry);
            members.push(g);
        }
        group.busy = true;
        *cursor = (g + 1) % n;
    }
    (Call { entries, resend }, members)
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
pub(super) fn groups(mut items: Vec<Item<'_>>, now: Instant) -> Vec<Group<'_>> {
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
