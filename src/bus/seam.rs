//! The seam between the pipeline and one kind of event bus ([`EventBus`]): the classic
//! EventBridge bus and the Custom Event Bus implement it.
//!
//! A bus owns everything that differs between buses: how many entries and bytes one call may
//! carry, how an entry is sized, how a call is made and which failures are worth retrying. The
//! batcher and the sender ask the bus; they hold no limit of their own.

use std::error::Error as StdError;
use std::future::Future;

use aws_sdk_eventbridge::config::http::HttpResponse;
use aws_sdk_eventbridge::error::{ProvideErrorMetadata, SdkError};

use crate::map::EventEntry;

/// What a failed call means for its entries, as the bus that made it decides
/// ([`EventBus::classify`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CallClass {
    /// The bus throttled the call: retried like a transient failure, counted for operators,
    /// and the adaptive limit on calls in flight is cut.
    Throttled,
    /// It may succeed when sent again (5xx, timeouts, lost connections, retryable codes).
    Transient,
    /// The bus refused the call as too large as a whole: the send stage splits it, without
    /// spending its entries' retries (a single entry fails finally).
    TooLarge,
    /// The bus refused the whole call as malformed, which one entry can cause (a Custom Event
    /// Bus rejects a request as a whole when part of its input is invalid): the send stage
    /// splits it to isolate the entries at fault, without spending the entries' retries; a
    /// single entry fails finally.
    Malformed,
    /// The bus denied the whole call. A Custom Event Bus authorizes each entry (on its
    /// `events:source` and `events:detail-type`) and denies the request when one is not
    /// allowed: a call whose entries have several detail-types is split until each call has
    /// one (their retries unspent); a call of one detail-type fails finally.
    Denied,
    /// It would fail again (other 4xx, malformed requests).
    Final,
}

impl CallClass {
    /// Whether the call's entries may be sent again.
    pub fn is_retryable(self) -> bool {
        matches!(self, Self::Throttled | Self::Transient)
    }
}

/// How one AWS bus names its call failures: the call-level codes worth sending again (besides
/// HTTP 429 and 5xx), the code of throttling, and the HTTP status of a request over its size.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SdkCodes {
    pub(crate) retryable: &'static [&'static str],
    pub(crate) throttling: &'static str,
    pub(crate) too_large_status: u16,
}

/// The class of a failed SDK call to a bus that names its failures with `codes`: too large
/// first (a 413 is a client error, never retried as such), then throttled, then whatever
/// [`crate::sdk::is_retryable`] deems transient; the rest is final.
pub(crate) fn classify_sdk<E: ProvideErrorMetadata>(
    error: &SdkError<E, HttpResponse>,
    codes: &SdkCodes,
) -> CallClass {
    if crate::sdk::status(error) == Some(codes.too_large_status) {
        CallClass::TooLarge
    } else if crate::sdk::is_throttling(error, codes.throttling) {
        CallClass::Throttled
    } else if crate::sdk::is_retryable(error, codes.retryable) {
        CallClass::Transient
    } else {
        CallClass::Final
    }
}

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

    /// What a failed call means: throttled, transient (sent again), too large (split) or
    /// final. The one place a bus decides whether its failures are retried.
    fn classify(&self, error: &Self::Error) -> CallClass;
}

/// A bus whose calls the dry run can print: the body of the `PutEvents` request that carries
/// `entries`, as JSON with the API's member names, typed per bus. Pure.
pub trait RequestBody {
    /// The request body of a call that carries `entries`.
    fn put_events_body(&self, entries: &[&EventEntry]) -> String;
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

    fn classify(&self, error: &B::Error) -> CallClass {
        B::classify(self, error)
    }
}
