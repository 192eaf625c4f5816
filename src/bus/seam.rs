//! The seam between the pipeline and one kind of event bus ([`EventBus`]): the classic
//! EventBridge bus and the Custom Event Bus implement it.
//!
//! A bus owns everything that differs between buses: how many entries and bytes one call may
//! carry, how an entry is sized, how a call is made and which failures are worth retrying. The
//! batcher and the sender ask the bus; they hold no limit of their own.

use std::error::Error as StdError;
use std::future::Future;

use crate::map::EventEntry;

/// What the bus said about one entry of a call.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum EntryStatus {
    /// The bus accepted the entry.
    Accepted,
    /// The bus accepted the entry as a duplicate of one it already has (a Custom Event Bus's
    /// `SuccessCode: DEDUPLICATED`): delivered, not a new event.
    Deduplicated,
    /// The bus rejected the entry.
    Rejected {
        /// The bus's error code, e.g. `ThrottlingException`.
        code: String,
        /// The bus's message.
        message: String,
        /// Whether sending it again may succeed.
        retryable: bool,
        /// Whether the bus throttled it (counted for operators).
        throttled: bool,
    },
}

/// The limits of one call to a bus.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchLimits {
    /// Most entries per call.
    pub max_entries: usize,
    /// Most bytes per call, summed over the entries' sizes by [`EventBus::entry_size`].
    pub max_bytes: usize,
}

impl BatchLimits {
    /// These limits with the entry and byte caps lowered to `max_entries` and `max_bytes` where
    /// those are smaller.
    pub fn capped(self, max_entries: usize, max_bytes: usize) -> Self {
        Self {
            max_entries: self.max_entries.min(max_entries).max(1),
            max_bytes: self.max_bytes.min(max_bytes),
        }
    }
}

/// One kind of event bus.
pub trait EventBus: Send + Sync {
    /// What a failed call returns.
    type Error: StdError + Send + Sync + 'static;

    /// The most one call to this bus may carry.
    fn limits(&self) -> BatchLimits;

    /// The size of `entry` as this bus counts it against [`BatchLimits::max_bytes`].
    fn entry_size(&self, entry: &EventEntry) -> usize;

    /// Sends one call. On success, returns one status per entry, in request order.
    fn put(
        &self,
        entries: &[&EventEntry],
    ) -> impl Future<Output = Result<Vec<EntryStatus>, Self::Error>> + Send;

    /// Whether the bus keeps the order of each event group ([`EventEntry::event_group_id`]):
    /// the send stage then sends a group's entries in order, with at most one call of the
    /// group in flight, and resends a group from its first failed entry.
    fn ordered(&self) -> bool {
        false
    }

    /// Whether a failed call may succeed when sent again (throttling, 5xx, timeouts, lost
    /// connections), as opposed to a final failure (other 4xx, malformed requests).
    fn is_retryable(&self, error: &Self::Error) -> bool;

    /// Whether a failed call was throttled; counted for operators, retried like any retryable
    /// failure.
    fn is_throttling(&self, _error: &Self::Error) -> bool {
        false
    }

    /// Whether the bus refused the call as too large as a whole (the send stage then splits
    /// it). No bus does by default.
    fn is_too_large(&self, _error: &Self::Error) -> bool {
        false
    }
}

impl<B: EventBus> EventBus for std::sync::Arc<B> {
    type Error = B::Error;

    fn limits(&self) -> BatchLimits {
        B::limits(self)
    }

    fn entry_size(&self, entry: &EventEntry) -> usize {
        B::entry_size(self, entry)
    }

    fn put(
        &self,
        entries: &[&EventEntry],
    ) -> impl Future<Output = Result<Vec<EntryStatus>, B::Error>> + Send {
        B::put(self, entries)
    }

    fn ordered(&self) -> bool {
        B::ordered(self)
    }

    fn is_retryable(&self, error: &B::Error) -> bool {
        B::is_retryable(self, error)
    }

    fn is_throttling(&self, error: &B::Error) -> bool {
        B::is_throttling(self, error)
    }

    fn is_too_large(&self, error: &B::Error) -> bool {
        B::is_too_large(self, error)
    }
}
