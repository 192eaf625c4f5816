use super::*;
use crate::bus::{BatchLimits, CallClass, EntryStatus, EventBus};
use crate::error::CallFailure;
use crate::error::ErrorChain;
use crate::map::EventEntry;
use crate::retry::CallPolicy;
use crate::retry::Caller;
use std::collections::VecDeque;
use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::time::Instant;

/// A bus that answers each call from a script and records what it was sent.
#[derive(Default)]
pub(super) struct ScriptedBus {
    pub(super) script: Mutex<VecDeque<Answer>>,
    pub(super) calls: Mutex<Vec<Vec<String>>>,
    /// Declares the bus ordered.
    pub(super) ordered: bool,
    /// Calls in flight per event group, and the most ever seen for one group.
    pub(super) inflight: Mutex<(std::collections::HashMap<String, usize>, usize)>,
    /// Calls in flight, and the most ever seen.
    pub(super) calls_inflight: Mutex<(usize, usize)>,
}

#[derive(Clone)]
pub(super) enum Answer {
    All,
    Statuses(Vec<EntryStatus>),
    Fail { retryable: bool },
    TooLarge,
    Hang,
}

#[derive(Debug, thiserror::Error)]
#[error("scripted call failure")]
pub(super) struct ScriptedError {
    retryable: bool,
    too_large: bool,
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

    fn ordered(&self) -> bool {
        self.ordered
    }

    async fn put(&self, entries: &[&EventEntry]) -> Result<Vec<EntryStatus>, ScriptedError> {
        self.calls
            .lock()
            .unwrap()
            .push(entries.iter().map(|e| e.detail.clone()).collect());
        let mut groups: Vec<String> = entries
            .iter()
            .filter_map(|e| e.event_group_id.clone())
            .collect();
        groups.dedup();
        {
            let mut calls = self.calls_inflight.lock().unwrap();
            calls.0 += 1;
            calls.1 = calls.1.max(calls.0);
        }
        {
            let mut inflight = self.inflight.lock().unwrap();
            for g in &groups {
                let n = inflight.0.entry(g.clone()).or_default();
                *n += 1;
                let n = *n;
                inflight.1 = inflight.1.max(n);
            }
        }
        // Long enough for other calls to start meanwhile.
        tokio::time::sleep(Duration::from_millis(2)).await;
        {
            let mut inflight = self.inflight.lock().unwrap();
            for g in &groups {
                *inflight.0.get_mut(g).unwrap() -= 1;
            }
        }
        self.calls_inflight.lock().unwrap().0 -= 1;
        let answer = self
            .script
            .lock()
            .unwrap()
            .pop_front()
            .unwrap_or(Answer::All);
        match answer {
            Answer::All => Ok(vec![EntryStatus::Accepted; entries.len()]),
            Answer::Statuses(s) => Ok(s),
            Answer::Fail { retryable } => Err(ScriptedError {
                retryable,
                too_large: false,
            }),
            Answer::TooLarge => Err(ScriptedError {
                retryable: false,
                too_large: true,
            }),
            Answer::Hang => std::future::pending().await,
        }
    }

    fn classify(&self, error: &ScriptedError) -> CallClass {
        match (error.too_large, error.retryable) {
            (true, _) => CallClass::TooLarge,
            (false, true) => CallClass::Transient,
            (false, false) => CallClass::Final,
        }
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
            event_group_id: None,
            deduplication_id: None,
        })
        .collect()
}

pub(super) fn policy(retries_max: u32) -> CallPolicy {
    CallPolicy {
        max_inflight: NonZeroUsize::MIN,
        retries_max,
        retries_delay: Duration::from_millis(1),
        call_timeout: Duration::from_secs(5),
    }
}

pub(super) fn rejected(code: &str, retryable: bool) -> EntryStatus {
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
    let report = send_all(bus, batched(&entries, batches), bus.limits(), &caller, None).await;
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

/// Sends the first of `entries` alone.
async fn send_one(bus: &ScriptedBus, entries: &[EventEntry], caller: &Caller) -> SendReport {
    let batches = batched(entries, vec![vec![0]]);
    send_all(bus, batches, bus.limits(), caller, None).await
}

pub(super) fn batched(entries: &[EventEntry], batches: Vec<Vec<usize>>) -> Vec<Batch<'_>> {
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
    let mut calls = bus.calls.lock().unwrap().clone();
    // Retried entries go out in the order their backoffs end.
    calls[1].sort();
    assert_eq!(calls, vec![vec!["0", "1", "2", "3"], vec!["1", "3"]]);
}

#[tokio::test]
async fn retries_of_several_calls_are_repacked_into_one() {
    let bus = ScriptedBus::default();
    let half_throttled: Vec<EntryStatus> = (0..10)
        .map(|i| {
            if i % 2 == 0 {
                EntryStatus::Accepted
            } else {
                rejected("ThrottlingException", true)
            }
        })
        .collect();
    for _ in 0..2 {
        bus.script
            .lock()
            .unwrap()
            .push_back(Answer::Statuses(half_throttled.clone()));
    }
    let batches = vec![(0..10).collect(), (10..20).collect()];
    let out = run(&bus, 20, batches, policy(2)).await;
    assert!(out.iter().all(|o| o.as_deref() == Some("ok")), "{out:?}");
    let calls = bus.calls.lock().unwrap().clone();
    assert_eq!(calls.len(), 3, "{calls:?}");
    let mut retried: Vec<usize> = calls[2].iter().map(|d| d.parse().unwrap()).collect();
    retried.sort_unstable();
    assert_eq!(retried, [1, 3, 5, 7, 9, 11, 13, 15, 17, 19]);
}

#[tokio::test]
async fn calls_too_large_are_halved_down_to_single_entries() {
    let bus = ScriptedBus::default();
    // 4 entries: refused; 2 + 2: the first half refused again, then 1 + 1: the first alone
    // refused (final), the rest accepted. No retry budget at all.
    for answer in [Answer::TooLarge, Answer::TooLarge, Answer::TooLarge] {
        bus.script.lock().unwrap().push_back(answer);
    }
    let out = run(&bus, 4, vec![vec![0, 1, 2, 3]], policy(0)).await;
    assert_eq!(
        out[0].as_deref(),
        Some("call failed: scripted call failure")
    );
    assert!(
        out[1..].iter().all(|o| o.as_deref() == Some("ok")),
        "{out:?}"
    );
    let calls = bus.calls.lock().unwrap().clone();
    assert_eq!(
        calls,
        vec![
            vec!["0", "1", "2", "3"],
            vec!["0", "1"],
            vec!["0"],
            vec!["1"],
            vec!["2", "3"],
        ]
    );
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
    let report = send_one(&bus, &entries, &Caller::new(p, deadline)).await;
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
    let report = send_one(&bus, &entries, &Caller::new(policy(2), Instant::now())).await;
    assert_eq!(report.calls, 0);
    let Err(failure) = &report.deliveries[0].1 else {
        panic!("delivered")
    };
    assert_eq!(
        failure.to_string(),
        "not sent: the invocation deadline left no time for a call"
    );
}
