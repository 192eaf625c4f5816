//! Stage 5: send.
//!
//! Sends planned batches through an [`EventBus`], at most `max_inflight` calls at once, and
//! retries what can be retried: entries rejected with a retryable code are resent alone, a call
//! that failed retryably is resent whole. Each entry is sent at most `retries_max + 1` times,
//! with full-jitter exponential backoff between attempts, and nothing is started that could not
//! end before the deadline. Every entry ends [`Delivery::Delivered`] or [`Delivery::Failed`].

use std::error::Error as StdError;
use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Semaphore;
use tokio::time::Instant;

use crate::batch::BatchLimits;
use crate::map::EventEntry;

/// A call is only started when at least this much time is left before the deadline; less would
/// mostly produce timeouts.
pub const MIN_CALL_TIME: Duration = Duration::from_millis(100);

/// No backoff sleep is longer than this, whatever the attempt.
pub const MAX_BACKOFF: Duration = Duration::from_secs(20);

/// What the bus said about one entry of a call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EntryStatus {
    /// The bus accepted the entry.
    Accepted,
    /// The bus rejected the entry.
    Rejected {
        /// The bus's error code, e.g. `ThrottlingException`.
        code: String,
        /// The bus's message.
        message: String,
        /// Whether sending it again may succeed.
        retryable: bool,
    },
}

/// The seam between the pipeline and one kind of event bus: the classic EventBridge bus today,
/// other bus APIs later.
pub trait EventBus: Send + Sync {
    /// What a failed call returns.
    type Error: StdError + Send + Sync + 'static;

    /// The limits of one call to this bus.
    fn limits(&self, max_bytes: usize) -> BatchLimits;

    /// Sends one call. On success, returns one status per entry, in request order.
    fn put(
        &self,
        entries: &[&EventEntry],
    ) -> impl Future<Output = Result<Vec<EntryStatus>, Self::Error>> + Send;

    /// Whether a failed call may succeed when sent again (throttling, 5xx, timeouts, lost
    /// connections), as opposed to a final failure (other 4xx, malformed requests).
    fn is_retryable(&self, error: &Self::Error) -> bool;
}

/// How calls are made and retried.
#[derive(Debug, Clone, Copy)]
pub struct SendPolicy {
    /// Most calls in flight at once.
    pub max_inflight: usize,
    /// Retries per entry after its first attempt.
    pub retries_max: u32,
    /// The first backoff; it doubles with each retry, with full jitter.
    pub retries_delay: Duration,
    /// How long one call may take.
    pub call_timeout: Duration,
}

/// Why an entry was not delivered.
#[derive(Debug, Clone)]
pub enum SendFailure {
    /// The bus rejected the entry with a final code.
    Rejected {
        /// The code.
        code: String,
        /// The message.
        message: String,
    },
    /// The call failed with a final error.
    Call(Arc<dyn StdError + Send + Sync>),
    /// Every allowed attempt failed; the last reason.
    Exhausted {
        /// Attempts made.
        attempts: u32,
        /// The last failure.
        last: Box<SendFailure>,
    },
    /// The deadline left no time for a first or further attempt.
    Deadline {
        /// Attempts made before giving up.
        attempts: u32,
        /// The last failure, if any attempt was made.
        last: Option<Box<SendFailure>>,
    },
    /// The call did not answer in time.
    Timeout(Duration),
    /// The response did not say what became of the entry.
    NoResult,
}

impl fmt::Display for SendFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Rejected { code, message } => write!(f, "rejected by the bus: {code}: {message}"),
            Self::Call(error) => write!(f, "call failed: {}", Chain(error.as_ref())),
            Self::Exhausted { attempts, last } => {
                write!(f, "gave up after {attempts} attempts; last: {last}")
            }
            Self::Deadline { attempts: 0, .. } => {
                f.write_str("not sent: the invocation deadline left no time for a call")
            }
            Self::Deadline { attempts, last } => {
                write!(
                    f,
                    "gave up after {attempts} attempts: no time left before the invocation deadline"
                )?;
                match last {
                    Some(last) => write!(f, "; last: {last}"),
                    None => Ok(()),
                }
            }
            Self::Timeout(after) => write!(f, "call timed out after {} ms", after.as_millis()),
            Self::NoResult => f.write_str("the response had no result for this entry"),
        }
    }
}

/// Displays an error with its sources: `outer: cause: root cause`.
#[derive(Debug, Clone, Copy)]
pub struct Chain<'a>(pub &'a (dyn StdError + 'static));

impl fmt::Display for Chain<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)?;
        let mut source = self.0.source();
        while let Some(s) = source {
            write!(f, ": {s}")?;
            source = s.source();
        }
        Ok(())
    }
}

/// What became of one entry.
#[derive(Debug, Clone)]
pub enum Delivery {
    /// The bus accepted it.
    Delivered,
    /// It was not delivered.
    Failed(SendFailure),
}

/// The outcome of sending every batch.
#[derive(Debug, Default)]
pub struct SendReport {
    /// `(entry index, delivery)` for every entry of every batch, in no particular order.
    pub deliveries: Vec<(usize, Delivery)>,
    /// Calls made, retries included.
    pub calls: usize,
    /// Calls that were retries.
    pub retries: usize,
}

/// Sends `batches` (lists of indices into `entries`) and reports what became of each entry.
pub async fn send_all<B: EventBus>(
    bus: &B,
    entries: &[EventEntry],
    batches: Vec<Vec<usize>>,
    policy: &SendPolicy,
    deadline: Instant,
) -> SendReport {
    let permits = Semaphore::new(policy.max_inflight.max(1));
    let runs = batches
        .into_iter()
        .map(|batch| send_batch(bus, entries, batch, policy, deadline, &permits));
    let mut report = SendReport::default();
    for run in futures_util::future::join_all(runs).await {
        report.calls += run.calls;
        report.retries += run.calls.saturating_sub(1);
        report.deliveries.extend(run.deliveries);
    }
    report
}

struct BatchRun {
    deliveries: Vec<(usize, Delivery)>,
    calls: usize,
}

async fn send_batch<B: EventBus>(
    bus: &B,
    entries: &[EventEntry],
    mut pending: Vec<usize>,
    policy: &SendPolicy,
    deadline: Instant,
    permits: &Semaphore,
) -> BatchRun {
    let mut run = BatchRun {
        deliveries: Vec::with_capacity(pending.len()),
        calls: 0,
    };
    let mut attempts: u32 = 0;
    let mut last_failure: Option<SendFailure> = None;
    loop {
        let refs: Vec<&EventEntry> = pending.iter().map(|&i| &entries[i]).collect();
        let Some(result) = bounded_call(permits, policy, deadline, bus.put(&refs)).await else {
            let failure = SendFailure::Deadline {
                attempts,
                last: last_failure.map(Box::new),
            };
            run.fail_all(&pending, &failure);
            return run;
        };
        run.calls += 1;
        attempts += 1;

        let mut retry = Vec::new();
        match result {
            Err(timeout) => {
                retry = std::mem::take(&mut pending);
                last_failure = Some(SendFailure::Timeout(timeout));
            }
            Ok(Err(error)) => {
                let retryable = bus.is_retryable(&error);
                let failure = SendFailure::Call(Arc::new(error));
                if retryable {
                    retry = std::mem::take(&mut pending);
                    last_failure = Some(failure);
                } else {
                    run.fail_all(&pending, &failure);
                    return run;
                }
            }
            Ok(Ok(statuses)) => {
                for (position, &index) in pending.iter().enumerate() {
                    match statuses.get(position) {
                        Some(EntryStatus::Accepted) => {
                            run.deliveries.push((index, Delivery::Delivered))
                        }
                        Some(EntryStatus::Rejected {
                            code,
                            message,
                            retryable: false,
                        }) => {
                            let failure = SendFailure::Rejected {
                                code: code.clone(),
                                message: message.clone(),
                            };
                            run.deliveries.push((index, Delivery::Failed(failure)));
                        }
                        Some(EntryStatus::Rejected {
                            code,
                            message,
                            retryable: true,
                        }) => {
                            retry.push(index);
                            last_failure = Some(SendFailure::Rejected {
                                code: code.clone(),
                                message: message.clone(),
                            });
                        }
                        None => {
                            retry.push(index);
                            last_failure = Some(SendFailure::NoResult);
                        }
                    }
                }
            }
        }
        if retry.is_empty() {
            return run;
        }
        let last = last_failure
            .take()
            .expect("a retry always follows a recorded failure");
        let delay = match next_attempt(attempts, policy, deadline) {
            NextAttempt::After(delay) => delay,
            NextAttempt::Exhausted => {
                let last = Box::new(last);
                run.fail_all(&retry, &SendFailure::Exhausted { attempts, last });
                return run;
            }
            NextAttempt::NoTime => {
                let last = Some(Box::new(last));
                run.fail_all(&retry, &SendFailure::Deadline { attempts, last });
                return run;
            }
        };
        tracing::debug!(entries = retry.len(), attempt = attempts, delay_ms = delay.as_millis() as u64, reason = %last, "Retrying PutEvents entries.");
        last_failure = Some(last);
        tokio::time::sleep(delay).await;
        pending = retry;
    }
}

impl BatchRun {
    fn fail_all(&mut self, indices: &[usize], failure: &SendFailure) {
        self.deliveries.extend(
            indices
                .iter()
                .map(|&i| (i, Delivery::Failed(failure.clone()))),
        );
    }
}

/// Runs `call` in one of the `permits` slots, cut to the call timeout and to the time left
/// before `deadline`: `Err(timeout)` when it did not answer in time, `None` (and no call) when
/// less than [`MIN_CALL_TIME`] is left once a slot is free. `call` is only polled inside the slot.
pub async fn bounded_call<F: Future>(
    permits: &Semaphore,
    policy: &SendPolicy,
    deadline: Instant,
    call: F,
) -> Option<Result<F::Output, Duration>> {
    let _permit = permits
        .acquire()
        .await
        .expect("the semaphore is never closed");
    let remaining = deadline.saturating_duration_since(Instant::now());
    if remaining < MIN_CALL_TIME {
        return None;
    }
    let timeout = policy.call_timeout.min(remaining);
    Some(
        tokio::time::timeout(timeout, call)
            .await
            .map_err(|_elapsed| timeout),
    )
}

/// What to do after a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NextAttempt {
    /// Sleep this long, then try again.
    After(Duration),
    /// The retry budget is spent.
    Exhausted,
    /// The backoff and a call would not end before the deadline.
    NoTime,
}

/// Decides, after `attempts` failed attempts, whether and when to try again: within
/// `retries_max` retries, never starting a sleep after which no call fits before `deadline`.
pub fn next_attempt(attempts: u32, policy: &SendPolicy, deadline: Instant) -> NextAttempt {
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
pub fn backoff(base: Duration, retry: u32) -> Duration {
    let ceiling = base
        .saturating_mul(1_u32 << retry.saturating_sub(1).min(20))
        .min(MAX_BACKOFF);
    let ceiling_ms = u64::try_from(ceiling.as_millis()).unwrap_or(u64::MAX);
    Duration::from_millis(fastrand::u64(0..=ceiling_ms))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::VecDeque;
    use std::sync::Mutex;

    /// A bus that answers each call from a script and records what it was sent.
    #[derive(Default)]
    struct ScriptedBus {
        script: Mutex<VecDeque<Answer>>,
        calls: Mutex<Vec<Vec<String>>>,
    }

    #[derive(Clone)]
    enum Answer {
        All,
        Statuses(Vec<EntryStatus>),
        Fail { retryable: bool },
        Hang,
    }

    #[derive(Debug, thiserror::Error)]
    #[error("scripted call failure")]
    struct ScriptedError {
        retryable: bool,
    }

    impl EventBus for ScriptedBus {
        type Error = ScriptedError;

        fn limits(&self, max_bytes: usize) -> BatchLimits {
            BatchLimits {
                max_entries: 10,
                max_bytes,
            }
        }

        async fn put(&self, entries: &[&EventEntry]) -> Result<Vec<EntryStatus>, ScriptedError> {
            self.calls
                .lock()
                .unwrap()
                .push(entries.iter().map(|e| e.detail.clone()).collect());
            let answer = self
                .script
                .lock()
                .unwrap()
                .pop_front()
                .unwrap_or(Answer::All);
            match answer {
                Answer::All => Ok(vec![EntryStatus::Accepted; entries.len()]),
                Answer::Statuses(s) => Ok(s),
                Answer::Fail { retryable } => Err(ScriptedError { retryable }),
                Answer::Hang => std::future::pending().await,
            }
        }

        fn is_retryable(&self, error: &ScriptedError) -> bool {
            error.retryable
        }
    }

    fn entries(n: usize) -> Vec<EventEntry> {
        (0..n)
            .map(|i| EventEntry {
                source: Arc::from("s"),
                detail_type: "t".into(),
                detail: i.to_string(),
                resources: Arc::from(Vec::new()),
                time_ms: None,
            })
            .collect()
    }

    fn policy(retries_max: u32) -> SendPolicy {
        SendPolicy {
            max_inflight: 1,
            retries_max,
            retries_delay: Duration::from_millis(1),
            call_timeout: Duration::from_secs(5),
        }
    }

    fn rejected(code: &str, retryable: bool) -> EntryStatus {
        EntryStatus::Rejected {
            code: code.into(),
            message: "m".into(),
            retryable,
        }
    }

    async fn run(
        bus: &ScriptedBus,
        n: usize,
        batches: Vec<Vec<usize>>,
        policy: SendPolicy,
    ) -> Vec<Option<String>> {
        let entries = entries(n);
        let deadline = Instant::now() + Duration::from_secs(60);
        let report = send_all(bus, &entries, batches, &policy, deadline).await;
        let mut out = vec![None; n];
        for (i, d) in report.deliveries {
            assert!(out[i].is_none(), "entry {i} got two outcomes");
            out[i] = Some(match d {
                Delivery::Delivered => "ok".to_string(),
                Delivery::Failed(f) => f.to_string(),
            });
        }
        out
    }

    #[tokio::test]
    async fn per_entry_retry_resends_only_failed_entries() {
        let bus = ScriptedBus::default();
        bus.script.lock().unwrap().push_back(Answer::Statuses(vec![
            EntryStatus::Accepted,
            rejected("ThrottlingException", true),
            rejected("MalformedDetail", false),
            rejected("InternalFailure", true),
        ]));
        let out = run(&bus, 4, vec![vec![0, 1, 2, 3]], policy(2)).await;
        assert_eq!(out[0].as_deref(), Some("ok"));
        assert_eq!(out[1].as_deref(), Some("ok"));
        assert_eq!(
            out[2].as_deref(),
            Some("rejected by the bus: MalformedDetail: m")
        );
        assert_eq!(out[3].as_deref(), Some("ok"));
        let calls = bus.calls.lock().unwrap().clone();
        assert_eq!(calls, vec![vec!["0", "1", "2", "3"], vec!["1", "3"]]);
    }

    #[tokio::test]
    async fn retries_are_bounded() {
        let bus = ScriptedBus::default();
        for _ in 0..10 {
            bus.script
                .lock()
                .unwrap()
                .push_back(Answer::Fail { retryable: true });
        }
        let out = run(&bus, 2, vec![vec![0, 1]], policy(2)).await;
        assert_eq!(
            bus.calls.lock().unwrap().len(),
            3,
            "retries_max=2 means 3 attempts"
        );
        assert!(
            out[0]
                .as_deref()
                .unwrap()
                .starts_with("gave up after 3 attempts; last: call failed: scripted")
        );

        let bus = ScriptedBus::default();
        bus.script
            .lock()
            .unwrap()
            .push_back(Answer::Fail { retryable: true });
        let out = run(&bus, 1, vec![vec![0]], policy(0)).await;
        assert_eq!(bus.calls.lock().unwrap().len(), 1);
        assert!(
            out[0]
                .as_deref()
                .unwrap()
                .starts_with("gave up after 1 attempts")
        );
    }

    #[tokio::test]
    async fn final_call_errors_are_not_retried() {
        let bus = ScriptedBus::default();
        bus.script
            .lock()
            .unwrap()
            .push_back(Answer::Fail { retryable: false });
        let out = run(&bus, 2, vec![vec![0], vec![1]], policy(2)).await;
        assert_eq!(bus.calls.lock().unwrap().len(), 2);
        assert_eq!(
            out[0].as_deref(),
            Some("call failed: scripted call failure")
        );
        assert_eq!(out[1].as_deref(), Some("ok"));
    }

    #[tokio::test]
    async fn missing_results_are_retried() {
        let bus = ScriptedBus::default();
        bus.script
            .lock()
            .unwrap()
            .push_back(Answer::Statuses(vec![EntryStatus::Accepted]));
        let out = run(&bus, 2, vec![vec![0, 1]], policy(1)).await;
        assert_eq!(out, vec![Some("ok".into()), Some("ok".into())]);
        assert_eq!(bus.calls.lock().unwrap()[1], vec!["1"]);
    }

    #[tokio::test(start_paused = true)]
    async fn hung_calls_time_out_and_the_deadline_is_kept() {
        let bus = ScriptedBus::default();
        for _ in 0..5 {
            bus.script.lock().unwrap().push_back(Answer::Hang);
        }
        let entries = entries(1);
        let start = Instant::now();
        let deadline = start + Duration::from_secs(3);
        let mut p = policy(10);
        p.call_timeout = Duration::from_secs(2);
        let report = send_all(&bus, &entries, vec![vec![0]], &p, deadline).await;
        assert!(Instant::now() <= deadline, "returned after the deadline");
        let Delivery::Failed(failure) = &report.deliveries[0].1 else {
            panic!("delivered")
        };
        assert!(matches!(failure, SendFailure::Deadline { .. }), "{failure}");
    }

    #[tokio::test]
    async fn no_call_starts_without_time() {
        let bus = ScriptedBus::default();
        let entries = entries(1);
        let report = send_all(&bus, &entries, vec![vec![0]], &policy(2), Instant::now()).await;
        assert_eq!(report.calls, 0);
        let Delivery::Failed(failure) = &report.deliveries[0].1 else {
            panic!("delivered")
        };
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
