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
//! An ordered bus ([`EventBus::ordered`]) gets the schedule of [`ordered`] instead: per event
//! group, in order, one call of a group in flight, retries from a group's first failed entry
//! (its packing, pure, is [`packing`]'s). Both schedules run in the one loop of [`driver`],
//! which starts the calls, waits for them and reads what the bus said.
//!
//! Attempts, backoff, timeouts and the deadline are the retry engine's ([`crate::retry`]).
//! Every entry ends delivered or with a [`CallFailure`].

use crate::bus::{BatchLimits, EventBus};
use crate::concurrency::AdaptiveLimit;
use crate::retry::Caller;

mod call;
mod driver;
mod ordered;
#[cfg(test)]
mod ordered_tests;
mod packing;
mod unordered;

pub(crate) use call::{Batch, Item, SendReport};
pub(crate) use packing::sequential_calls;

/// Sends `batches` and reports what became of each entry: per event group, in order, on an
/// ordered bus ([`ordered`]); repacked and as many at once as the limit allows on the others
/// ([`unordered`]). Calls stay within `limits` (the bus's, capped by the configuration); `limit`
/// adapts the calls in flight (without it, `caller`'s maximum holds).
pub(crate) async fn send_all<B: EventBus>(
    bus: &B,
    batches: Vec<Batch<'_>>,
    limits: BatchLimits,
    caller: &Caller,
    limit: Option<&AdaptiveLimit>,
) -> SendReport {
    if bus.ordered() {
        let schedule = ordered::Ordered::new(batches, limits, caller);
        driver::drive(bus, caller, limit, schedule).await
    } else {
        let schedule = unordered::Unordered::new(batches, limits, caller);
        driver::drive(bus, caller, limit, schedule).await
    }
}

#[cfg(test)]
mod tests;
