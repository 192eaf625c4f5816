//! What the schedulers share: an entry to send ([`Item`]), its attempts ([`Entry`]), one call
//! of entries ([`Call`]) and how it is made ([`start`]), and what became of every entry
//! ([`SendReport`]).

use std::time::Duration;

use crate::bus::{EntryStatus, EventBus};
use crate::concurrency::{AdaptiveLimit, Signal};
use crate::error::CallFailure;
use crate::map::EventEntry;
use crate::retry::Caller;

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
    pub(super) fn count(&mut self, call: &mut Call<'_>) {
        self.calls += 1;
        self.retries += usize::from(call.resend);
        self.bytes_sent += call.entries.iter().map(|e| e.item.size).sum::<usize>();
        for entry in &mut call.entries {
            entry.sent += 1;
        }
    }

    /// Counts a throttled call, and tells `limit` what the call started in `round` said.
    pub(super) fn signal(&mut self, limit: Option<&AdaptiveLimit>, round: u64, signal: Signal) {
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
    pub(super) fn new(item: Item<'a>) -> Self {
        Self {
            item,
            sent: 0,
            last: None,
        }
    }

    /// What becomes of it when the deadline leaves no time for its next send.
    pub(super) fn deadline(self) -> (usize, Delivery) {
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
pub(super) struct Entry<'a> {
    pub(super) item: Item<'a>,
    pub(super) sent: u32,
    pub(super) last: Option<CallFailure>,
}

/// The entries of one call, and whether they were sent before.
#[derive(Debug)]
pub(super) struct Call<'a> {
    pub(super) entries: Vec<Entry<'a>>,
    pub(super) resend: bool,
}

/// Makes one call of `call`'s entries; notes the limit's round when it starts.
pub(super) async fn start<'a, B: EventBus>(
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

/// A finished call: its entries, the round of the limit it started in, and what came back
/// (`None`: no call was made, the deadline left no time).
pub(super) type Done<'a, E> = (
    Call<'a>,
    u64,
    Option<Result<Result<Vec<EntryStatus>, E>, Duration>>,
);
