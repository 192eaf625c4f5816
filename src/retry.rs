//! The retry engine that every remote call goes through: PutEvents, PutObject, and whatever
//! call comes next (schema registries, other buses).
//!
//! A [`Caller`] belongs to one invocation. It bounds the calls in flight, cuts each call to the
//! call timeout and to the time left before the deadline, never starts a call that could not
//! end before the deadline, and decides after each failed attempt whether and when to try
//! again: within `retries_max` retries, after a full-jitter exponential backoff. The SDK's own
//! retries are off, so an item is sent at most `retries_max + 1` times.

use std::future::Future;
use std::num::NonZeroUsize;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Semaphore;
use tokio::time::Instant;

use crate::error::CallFailure;

/// A call is only started when at least this much time is left before the deadline; less would
/// mostly produce timeouts.
pub(crate) const MIN_CALL_TIME: Duration = Duration::from_millis(100);

/// No backoff sleep is longer than this, whatever the attempt.
pub(crate) const MAX_BACKOFF: Duration = Duration::from_secs(20);

/// How remote calls are made and retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallPolicy {
    /// Most calls in flight at once.
    pub max_inflight: NonZeroUsize,
    /// Retries per item after its first attempt.
    pub retries_max: u32,
    /// The first backoff; it doubles with each retry, with full jitter.
    pub retries_delay: Duration,
    /// How long one call may take.
    pub call_timeout: Duration,
}

/// Makes the remote calls of one invocation.
#[derive(Debug)]
pub(crate) struct Caller {
    policy: CallPolicy,
    deadline: Instant,
    slots: Semaphore,
}

/// What one attempt came to.
#[derive(Debug)]
pub(crate) enum Attempt<T> {
    /// The call answered.
    Answered(T),
    /// The call failed; `retryable` says whether sending it again may succeed.
    Failed {
        /// Why.
        failure: CallFailure,
        /// Whether to try again.
        retryable: bool,
    },
    /// No call was made: the deadline leaves no time for one. Final.
    NoTime(CallFailure),
}

impl Caller {
    /// A caller for calls that must end by `deadline`.
    pub(crate) fn new(policy: CallPolicy, deadline: Instant) -> Self {
        Self {
            policy,
            deadline,
            slots: Semaphore::new(policy.max_inflight.get()),
        }
    }

    /// The attempts of one item (a call and its retries).
    pub(crate) fn attempts(&self) -> Attempts<'_> {
        Attempts {
            caller: self,
            made: 0,
            last: None,
        }
    }

    /// Calls `call` until it succeeds, fails finally, runs out of retries or of time.
    pub(crate) async fn with_retries<T, E, F, Fut>(
        &self,
        mut call: F,
        is_retryable: impl Fn(&E) -> bool,
    ) -> Result<T, CallFailure>
    where
        E: std::error::Error + Send + Sync + 'static,
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        let mut attempts = self.attempts();
        loop {
            match attempts.call(call(), &is_retryable).await {
                Attempt::Answered(value) => return Ok(value),
                Attempt::NoTime(failure)
                | Attempt::Failed {
                    failure,
                    retryable: false,
                } => {
                    return Err(failure);
                }
                Attempt::Failed { failure, .. } => attempts.back_off(failure).await?,
            }
        }
    }

    /// The time left at `now` before the deadline.
    pub(crate) fn time_left(&self, now: Instant) -> Duration {
        self.deadline.saturating_duration_since(now)
    }

    /// Most calls in flight at once.
    pub(crate) fn max_inflight(&self) -> usize {
        self.policy.max_inflight.get()
    }

    /// After `attempts` attempts of an item, the last of which failed retryably with `failure`:
    /// the backoff before the next (and `failure`, to keep as the last reason), or the final
    /// failure when the retry budget is spent or the deadline leaves no time. Both the
    /// per-call attempts here and the send stage's per-entry attempts decide through it.
    pub(crate) fn retry_after(
        &self,
        attempts: u32,
        failure: CallFailure,
    ) -> Result<(Duration, CallFailure), CallFailure> {
        match next_attempt(attempts, &self.policy, self.deadline) {
            NextAttempt::After(delay) => {
                tracing::debug!(
                    attempt = attempts,
                    delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
                    reason = %crate::error::ErrorChain(&failure),
                    "Retrying."
                );
                Ok((delay, failure))
            }
            NextAttempt::Exhausted => Err(CallFailure::Exhausted {
                attempts,
                last: Box::new(failure),
            }),
            NextAttempt::NoTime => Err(CallFailure::Deadline {
                attempts,
                last: Some(Box::new(failure)),
            }),
        }
    }

    /// Runs `call` in one of the slots, cut to the call timeout and to the time left before the
    /// deadline: `Err(timeout)` when it did not answer in time, `None` (and no call) when less
    /// than [`MIN_CALL_TIME`] is left once a slot is free. `call` is only polled inside the slot.
    pub(crate) async fn bounded<F: Future>(&self, call: F) -> Option<Result<F::Output, Duration>> {
        let _slot = self
            .slots
            .acquire()
            .await
            .expect("the semaphore is never closed");
        let remaining = self.deadline.saturating_duration_since(Instant::now());
        if remaining < MIN_CALL_TIME {
            return None;
        }
        let timeout = self.policy.call_timeout.min(remaining);
        Some(
            tokio::time::timeout(timeout, call)
                .await
                .map_err(|_elapsed| timeout),
        )
    }
}

/// The attempts of one item: counts them and remembers the last failure, for the final reason.
#[derive(Debug)]
pub(crate) struct Attempts<'a> {
    caller: &'a Caller,
    made: u32,
    last: Option<CallFailure>,
}

impl Attempts<'_> {
    /// Makes one attempt. A timeout is a retryable failure; an error is classified by
    /// `is_retryable`.
    pub(crate) async fn call<T, E>(
        &mut self,
        call: impl Future<Output = Result<T, E>>,
        is_retryable: impl FnOnce(&E) -> bool,
    ) -> Attempt<T>
    where
        E: std::error::Error + Send + Sync + 'static,
    {
        let Some(result) = self.caller.bounded(call).await else {
            return Attempt::NoTime(CallFailure::Deadline {
                attempts: self.made,
                last: self.last.take().map(Box::new),
            });
        };
        self.made += 1;
        match result {
            Ok(Ok(value)) => Attempt::Answered(value),
            Ok(Err(error)) => Attempt::Failed {
                retryable: is_retryable(&error),
                failure: CallFailure::Call(Arc::new(error)),
            },
            Err(timeout) => Attempt::Failed {
                failure: CallFailure::Timeout(timeout),
                retryable: true,
            },
        }
    }

    /// After a retryable `failure`: sleeps the backoff before the next attempt, or returns the
    /// final failure when the retry budget is spent or the deadline leaves no time.
    pub(crate) async fn back_off(&mut self, failure: CallFailure) -> Result<(), CallFailure> {
        let (delay, failure) = self.caller.retry_after(self.made, failure)?;
        self.last = Some(failure);
        tokio::time::sleep(delay).await;
        Ok(())
    }
}

/// What to do after a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NextAttempt {
    /// Sleep this long, then try again.
    After(Duration),
    /// The retry budget is spent.
    Exhausted,
    /// The backoff and a call would not end before the deadline.
    NoTime,
}

/// Decides, after `attempts` failed attempts, whether and when to try again: within
/// `retries_max` retries, never starting a sleep after which no call fits before `deadline`.
fn next_attempt(attempts: u32, policy: &CallPolicy, deadline: Instant) -> NextAttempt {
    if attempts > policy.retries_max {
        return NextAttempt::Exhausted;
    }
    let delay = backoff(policy.retries_delay, attempts);
    if Instant::now() + delay + MIN_CALL_TIME > deadline {
        NextAttempt::NoTime
    } else {
        NextAttempt::After(delay)
    }
}

/// The sleep before retry number `retry` (1-based): a uniformly random duration up to
/// `base × 2^(retry-1)`, capped at [`MAX_BACKOFF`] ("full jitter", which spreads out the
/// retries of concurrent callers best).
fn backoff(base: Duration, retry: u32) -> Duration {
    let ceiling = base
        .saturating_mul(1_u32 << retry.saturating_sub(1).min(20))
        .min(MAX_BACKOFF);
    let ceiling_ms = u64::try_from(ceiling.as_millis()).unwrap_or(u64::MAX);
    Duration::from_millis(fastrand::u64(0..=ceiling_ms))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorChain;
    use std::sync::atomic::{AtomicU32, Ordering};

    #[derive(Debug, thiserror::Error)]
    #[error("scripted")]
    struct Scripted {
        retryable: bool,
    }

    fn policy(retries_max: u32) -> CallPolicy {
        CallPolicy {
            max_inflight: NonZeroUsize::MIN,
            retries_max,
            retries_delay: Duration::from_millis(1),
            call_timeout: Duration::from_secs(2),
        }
    }

    /// Calls that always fail, `retryable` or not, through `caller`: (calls made, final failure).
    async fn always_failing(caller: &Caller, retryable: bool) -> (u32, CallFailure) {
        let calls = AtomicU32::new(0);
        let failure = caller
            .with_retries(
                || async {
                    calls.fetch_add(1, Ordering::SeqCst);
                    Err::<(), _>(Scripted { retryable })
                },
                |e| e.retryable,
            )
            .await
            .unwrap_err();
        (calls.load(Ordering::SeqCst), failure)
    }

    #[tokio::test]
    async fn retries_until_success_or_budget() {
        let caller = Caller::new(policy(2), Instant::now() + Duration::from_secs(60));
        let calls = AtomicU32::new(0);
        let result = caller
            .with_retries(
                || async {
                    let n = calls.fetch_add(1, Ordering::SeqCst);
                    if n < 2 {
                        Err(Scripted { retryable: true })
                    } else {
                        Ok(n)
                    }
                },
                |e| e.retryable,
            )
            .await;
        assert_eq!(result.unwrap(), 2);

        let (calls, failure) = always_failing(&caller, true).await;
        assert_eq!(calls, 3, "retries_max=2 means 3 attempts");
        assert_eq!(
            ErrorChain(&failure).to_string(),
            "gave up after 3 attempts; last: call failed: scripted"
        );
    }

    #[tokio::test]
    async fn final_errors_are_not_retried() {
        let caller = Caller::new(policy(5), Instant::now() + Duration::from_secs(60));
        let (calls, failure) = always_failing(&caller, false).await;
        assert_eq!(calls, 1);
        assert_eq!(ErrorChain(&failure).to_string(), "call failed: scripted");
    }

    #[tokio::test(start_paused = true)]
    async fn hung_calls_time_out_and_the_deadline_is_kept() {
        let start = Instant::now();
        let deadline = start + Duration::from_secs(3);
        let caller = Caller::new(policy(10), deadline);
        let failure = caller
            .with_retries(std::future::pending::<Result<(), Scripted>>, |e| {
                e.retryable
            })
            .await
            .unwrap_err();
        assert!(Instant::now() <= deadline, "returned after the deadline");
        assert!(
            matches!(failure, CallFailure::Deadline { attempts: 1.., .. }),
            "{failure}"
        );
    }

    #[tokio::test]
    async fn no_call_starts_without_time() {
        let caller = Caller::new(policy(2), Instant::now());
        let failure = caller
            .with_retries(|| async { Ok::<(), Scripted>(()) }, |e| e.retryable)
            .await
            .unwrap_err();
        assert_eq!(
            failure.to_string(),
            "not sent: the invocation deadline left no time for a call"
        );
    }

    #[test]
    fn backoff_is_bounded_and_grows() {
        let base = Duration::from_millis(200);
        for _ in 0..200 {
            assert!(backoff(base, 1) <= base);
            assert!(backoff(base, 3) <= base * 4);
            assert!(backoff(base, 30) <= MAX_BACKOFF);
        }
        assert_eq!(backoff(Duration::ZERO, 5), Duration::ZERO);
        // Full jitter: over many draws the third retry's sleeps exceed the first's ceiling.
        assert!((0..200).any(|_| backoff(base, 3) > base));
    }
}
