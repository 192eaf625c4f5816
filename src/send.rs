//! Stage 5: send.
//!
//! Sends planned batches through an [`EventBus`], as many at once as the [`Caller`] allows, and
//! retries what can be retried: entries rejected with a retryable code are resent alone, a call
//! that failed retryably is resent whole. Attempts, backoff, timeouts and the deadline are the
//! retry engine's ([`crate::retry`]). Every entry ends delivered or with a [`CallFailure`].

use crate::bus::{EntryStatus, EventBus};
use crate::error::CallFailure;
use crate::map::EventEntry;
use crate::retry::{Attempt, Caller};

/// What became of one entry: delivered, or why not.
pub(crate) type Delivery = Result<(), CallFailure>;

/// The outcome of sending every batch.
#[derive(Debug, Default)]
pub(crate) struct SendReport {
    /// `(item, delivery)` for every entry of every batch, in no particular order.
    pub(crate) deliveries: Vec<(usize, Delivery)>,
    /// Calls made, retries included.
    pub(crate) calls: usize,
    /// Calls that were retries.
    pub(crate) retries: usize,
    /// Entries the bus throttled, counted once per throttled attempt.
    pub(crate) throttled: usize,
    /// Bytes of the entries of every call made, retries included.
    pub(crate) bytes_sent: usize,
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

/// Sends `batches` and reports what became of each entry.
pub(crate) async fn send_all<B: EventBus>(
    bus: &B,
    batches: Vec<Batch<'_>>,
    caller: &Caller,
) -> SendReport {
    let runs = batches
        .into_iter()
        .map(|batch| send_batch(bus, batch, caller));
    let mut report = SendReport::default();
    for run in futures_util::future::join_all(runs).await {
        report.calls += run.calls;
        report.retries += run.calls.saturating_sub(1);
        report.throttled += run.throttled;
        report.bytes_sent += run.bytes_sent;
        report.deliveries.extend(run.deliveries);
    }
    report
}

#[derive(Default)]
struct BatchRun {
    deliveries: Vec<(usize, Delivery)>,
    calls: usize,
    throttled: usize,
    bytes_sent: usize,
}

async fn send_batch<B: EventBus>(bus: &B, mut pending: Batch<'_>, caller: &Caller) -> BatchRun {
    let mut run = BatchRun::default();
    let mut attempts = caller.attempts();
    loop {
        let refs: Vec<&EventEntry> = pending.iter().map(|item| item.entry).collect();
        let mut throttled = false;
        let attempt = attempts
            .call(bus.put(&refs), |e| {
                throttled = bus.is_throttling(e);
                bus.is_retryable(e)
            })
            .await;
        if !matches!(attempt, Attempt::NoTime(_)) {
            run.calls += 1;
            run.bytes_sent += pending.iter().map(|item| item.size).sum::<usize>();
        }
        let (retry, failure) = match attempt {
            Attempt::NoTime(failure)
            | Attempt::Failed {
                failure,
                retryable: false,
            } => {
                run.fail_all(&pending, &failure);
                return run;
            }
            Attempt::Failed { failure, .. } => {
                if throttled {
                    run.throttled += pending.len();
                }
                (pending, failure)
            }
            Attempt::Answered(statuses) => match run.read_statuses(pending, &statuses) {
                Some(retry) => retry,
                None => return run,
            },
        };
        if let Err(failure) = attempts.back_off(failure).await {
            run.fail_all(&retry, &failure);
            return run;
        }
        pending = retry;
    }
}

impl BatchRun {
    /// Records the final statuses of a call's entries; returns the entries to retry with the
    /// last retryable reason, if any.
    fn read_statuses<'a>(
        &mut self,
        sent: Batch<'a>,
        statuses: &[EntryStatus],
    ) -> Option<(Batch<'a>, CallFailure)> {
        let mut retry = Vec::new();
        let mut last = None;
        for (position, item) in sent.into_iter().enumerate() {
            match statuses.get(position) {
                Some(EntryStatus::Accepted) => self.deliveries.push((item.id, Ok(()))),
                Some(EntryStatus::Rejected {
                    code,
                    message,
                    retryable,
                    throttled,
                }) => {
                    self.throttled += usize::from(*throttled);
                    let failure = CallFailure::Rejected {
                        code: code.clone(),
                        message: message.clone(),
                    };
                    if *retryable {
                        retry.push(item);
                        last = Some(failure);
                    } else {
                        self.deliveries.push((item.id, Err(failure)));
                    }
                }
                None => {
                    retry.push(item);
                    last = Some(CallFailure::NoResult);
                }
            }
        }
        last.map(|failure| (retry, failure))
    }

    fn fail_all(&mut self, items: &[Item<'_>], failure: &CallFailure) {
        self.deliveries
            .extend(items.iter().map(|item| (item.id, Err(failure.clone()))));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bus::BatchLimits;
    use crate::error::ErrorChain;
    use crate::retry::CallPolicy;
    use std::collections::VecDeque;
    use std::num::NonZeroUsize;
    use std::sync::{Arc, Mutex};
    use std::time::Duration;
    use tokio::time::Instant;

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

        fn limits(&self) -> BatchLimits {
            BatchLimits {
                max_entries: 10,
                max_bytes: 1_048_576,
            }
        }

        fn entry_size(&self, entry: &EventEntry) -> usize {
            entry.detail.len()
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
                trace_header: None,
            })
            .collect()
    }

    fn policy(retries_max: u32) -> CallPolicy {
        CallPolicy {
            max_inflight: NonZeroUsize::MIN,
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
            throttled: code == "ThrottlingException",
        }
    }

    async fn run(
        bus: &ScriptedBus,
        n: usize,
        batches: Vec<Vec<usize>>,
        policy: CallPolicy,
    ) -> Vec<Option<String>> {
        let entries = entries(n);
        let caller = Caller::new(policy, Instant::now() + Duration::from_secs(60));
        let report = send_all(bus, batched(&entries, batches), &caller).await;
        let mut out = vec![None; n];
        for (i, d) in report.deliveries {
            assert!(out[i].is_none(), "entry {i} got two outcomes");
            out[i] = Some(match d {
                Ok(()) => "ok".to_string(),
                Err(f) => ErrorChain(&f).to_string(),
            });
        }
        out
    }

    fn batched(entries: &[EventEntry], batches: Vec<Vec<usize>>) -> Vec<Batch<'_>> {
        batches
            .into_iter()
            .map(|b| {
                b.into_iter()
                    .map(|id| Item {
                        id,
                        entry: &entries[id],
                        size: entries[id].detail.len(),
                    })
                    .collect()
            })
            .collect()
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
        let caller = Caller::new(p, deadline);
        let report = send_all(&bus, batched(&entries, vec![vec![0]]), &caller).await;
        assert!(Instant::now() <= deadline, "returned after the deadline");
        let Err(failure) = &report.deliveries[0].1 else {
            panic!("delivered")
        };
        assert!(matches!(failure, CallFailure::Deadline { .. }), "{failure}");
    }

    #[tokio::test]
    async fn no_call_starts_without_time() {
        let bus = ScriptedBus::default();
        let entries = entries(1);
        let caller = Caller::new(policy(2), Instant::now());
        let report = send_all(&bus, batched(&entries, vec![vec![0]]), &caller).await;
        assert_eq!(report.calls, 0);
        let Err(failure) = &report.deliveries[0].1 else {
            panic!("delivered")
        };
        assert_eq!(
            failure.to_string(),
            "not sent: the invocation deadline left no time for a call"
        );
    }
}
