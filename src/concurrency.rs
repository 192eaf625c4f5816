//! Adaptive concurrency of the calls to the bus: additive increase, multiplicative decrease
//! (AIMD, as TCP and Vector's adaptive request concurrency do), with throttling as the signal.
//!
//! PutEvents is limited per account and Region, and every producer and every concurrent
//! invocation draws on the same quota. The limit on calls in flight starts at the configured
//! maximum and never exceeds it. A call the bus throttles (the whole call, or any of its
//! entries) cuts the limit by [`DECREASE`], once per round: a throttled call that started before
//! the last cut does not cut again, since it reflects the old limit. Each call answered without
//! throttling raises it by `1 / (INCREASE_CALLS × limit)`, so about one step per
//! [`INCREASE_CALLS`] rounds of calls. It never drops below one call.
//!
//! One [`AdaptiveLimit`] lives in the execution environment (in the pipeline), so the next
//! invocation starts where the last one ended; concurrent invocations (Managed Instances) read
//! and teach the same limit, each bounding its own calls by it. Pure: no I/O, no clock.

use std::num::NonZeroUsize;
use std::sync::{Mutex, PoisonError};

/// A throttled round multiplies the limit by this.
pub(crate) const DECREASE: f64 = 0.5;

/// Calls without throttling per round of growth: the limit grows by one call after about this
/// many times `limit` calls answered without throttling.
pub(crate) const INCREASE_CALLS: f64 = 10.0;

/// What one call said about the quota.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Signal {
    /// The bus throttled the call or one of its entries.
    Throttled,
    /// The bus answered without throttling.
    Clear,
    /// The call says nothing of the quota (a timeout, a connection error, a final error).
    Neutral,
}

/// The limit on calls in flight of one execution environment.
#[derive(Debug)]
pub(crate) struct AdaptiveLimit {
    max: f64,
    state: Mutex<State>,
}

#[derive(Debug, Clone, Copy)]
struct State {
    limit: f64,
    /// Counts the cuts; a call remembers the round it started in.
    round: u64,
}

impl AdaptiveLimit {
    /// A limit that starts at, and never exceeds, `max` calls in flight.
    pub(crate) fn new(max: NonZeroUsize) -> Self {
        let max = max.get() as f64;
        Self {
            max,
            state: Mutex::new(State {
                limit: max,
                round: 0,
            }),
        }
    }

    /// The calls that may be in flight now: at least one.
    pub(crate) fn current(&self) -> usize {
        // The limit is within 1..=max, which came from a usize.
        self.state().limit.floor() as usize
    }

    /// The round a call starting now belongs to, for [`record`](Self::record).
    pub(crate) fn round(&self) -> u64 {
        self.state().round
    }

    /// Learns from a call that started in `round`.
    pub(crate) fn record(&self, round: u64, signal: Signal) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        match signal {
            Signal::Throttled if round == state.round => {
                state.limit = (state.limit * DECREASE).max(1.0);
                state.round += 1;
            }
            Signal::Clear => {
                state.limit = (state.limit + 1.0 / (INCREASE_CALLS * state.limit)).min(self.max);
            }
            Signal::Throttled | Signal::Neutral => {}
        }
    }

    fn state(&self) -> State {
        // The state is two numbers, valid whatever a panicking holder left behind.
        *self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn limit(max: usize) -> AdaptiveLimit {
        AdaptiveLimit::new(NonZeroUsize::new(max).unwrap())
    }

    #[test]
    fn throttling_halves_once_per_round() {
        let l = limit(8);
        assert_eq!(l.current(), 8);
        let round = l.round();
        // Eight calls of the same round come back throttled: one cut.
        for _ in 0..8 {
            l.record(round, Signal::Throttled);
        }
        assert_eq!(l.current(), 4);
        l.record(l.round(), Signal::Throttled);
        assert_eq!(l.current(), 2);
        l.record(l.round(), Signal::Throttled);
        l.record(l.round(), Signal::Throttled);
        assert_eq!(l.current(), 1, "never below one");
        l.record(l.round(), Signal::Neutral);
        assert_eq!(l.current(), 1);
    }

    #[test]
    fn clear_calls_grow_it_back_to_the_maximum_and_no_further() {
        let l = limit(8);
        for _ in 0..4 {
            l.record(l.round(), Signal::Throttled);
        }
        assert_eq!(l.current(), 1);
        let mut calls = 0;
        while l.current() < 8 {
            l.record(l.round(), Signal::Clear);
            calls += 1;
        }
        // From 1 to 8: about 10 × (1 + 2 + … + 7) calls.
        assert!((250..=350).contains(&calls), "{calls} calls");
        for _ in 0..1000 {
            l.record(l.round(), Signal::Clear);
        }
        assert_eq!(l.current(), 8);
    }

    proptest! {
        #[test]
        fn stays_within_bounds_and_recovers(
            max in 1usize..64,
            signals in prop::collection::vec((0u8..3, any::<bool>()), 0..500),
        ) {
            let l = limit(max);
            for (kind, stale) in signals {
                let round = if stale { l.round().saturating_sub(1) } else { l.round() };
                let signal = [Signal::Throttled, Signal::Clear, Signal::Neutral][usize::from(kind)];
                l.record(round, signal);
                prop_assert!((1..=max).contains(&l.current()));
            }
            // Once throttling stops, clear calls bring it back to the maximum.
            let bound = 10 * max * max + 10;
            for _ in 0..bound {
                l.record(l.round(), Signal::Clear);
            }
            prop_assert_eq!(l.current(), max);
        }
    }
}
