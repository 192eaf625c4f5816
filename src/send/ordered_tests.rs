//! The ordered scheduler against the scripted bus: per-group order, one call per group in
//! flight, retries from a group's first failed entry, the rest of a group held after a final
//! failure, deduplicated entries delivered.

#![allow(clippy::unwrap_used, reason = "tests")]

use std::num::NonZeroUsize;
use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use super::tests::{Answer, ScriptedBus, batched, policy, rejected};
use super::*;
use crate::bus::{BatchLimits, EntryStatus};
use crate::error::ErrorChain;
use crate::map::EventEntry;
use crate::retry::CallPolicy;
use crate::retry::Caller;

/// `(group, count)` pairs → entries `"<group><i>"` in that group, groups interleaved in turn
/// (as records of several partitions can arrive); a group named `""` has no group id.
fn grouped(groups: &[(&str, usize)]) -> Vec<EventEntry> {
    let most = groups.iter().map(|g| g.1).max().unwrap_or(0);
    let mut out = Vec::new();
    for i in 0..most {
        for (name, n) in groups {
            if i < *n {
                out.push(EventEntry {
                    source: Arc::from("s"),
                    detail_type: "t".into(),
                    detail: format!("{name}{i}"),
                    resources: Arc::from(Vec::new()),
                    time_ms: None,
                    trace_header: None,
                    event_group_id: (!name.is_empty()).then(|| (*name).to_owned()),
                    deduplication_id: None,
                });
            }
        }
    }
    out
}

fn ordered_bus() -> ScriptedBus {
    ScriptedBus {
        ordered: true,
        ..ScriptedBus::default()
    }
}

async fn run_ordered(
    bus: &ScriptedBus,
    entries: &[EventEntry],
    policy: CallPolicy,
) -> (Vec<String>, SendReport) {
    let caller = Caller::new(policy, Instant::now() + Duration::from_secs(60));
    // One planned batch per entry: the ordered scheduler repacks them anyway.
    let batches = batched(entries, (0..entries.len()).map(|i| vec![i]).collect());
    let report = send_all(bus, batches, bus.limits(), &caller, None).await;
    let mut out = vec![String::new(); entries.len()];
    for (i, d) in &report.deliveries {
        assert!(out[*i].is_empty(), "entry {i} got two outcomes");
        out[*i] = match d {
            Ok(()) => "ok".into(),
            Err(f) => ErrorChain(f).to_string(),
        };
    }
    assert!(out.iter().all(|o| !o.is_empty()), "an entry got no outcome");
    (out, report)
}

/// The details sent for `group`, call after call, in order.
fn sent_of(bus: &ScriptedBus, group: &str) -> Vec<String> {
    bus.calls
        .lock()
        .unwrap()
        .iter()
        .flatten()
        .filter(|d| d.trim_end_matches(|c: char| c.is_ascii_digit()) == group)
        .cloned()
        .collect()
}

fn in_order(group: &str, n: usize) -> Vec<String> {
    (0..n).map(|i| format!("{group}{i}")).collect()
}

#[tokio::test]
async fn groups_go_in_order_one_call_each_in_flight() {
    let bus = ordered_bus();
    let entries = grouped(&[("a", 25), ("b", 25), ("c", 3)]);
    let mut p = policy(2);
    p.max_inflight = NonZeroUsize::new(4).unwrap();
    let (out, report) = run_ordered(&bus, &entries, p).await;
    assert!(out.iter().all(|o| o == "ok"), "{out:?}");
    for (g, n) in [("a", 25), ("b", 25), ("c", 3)] {
        assert_eq!(sent_of(&bus, g), in_order(g, n), "group {g}");
    }
    assert_eq!(
        bus.inflight.lock().unwrap().1,
        1,
        "two calls of one group in flight"
    );
    // a, b and c at once: c's 3 entries do not wait for a or b, which have more entries left
    // than c's call has room for; a's and b's last 5 then share a call.
    assert_eq!(
        bus.calls_inflight.lock().unwrap().1,
        3,
        "groups in flight at once"
    );
    let calls = bus.calls.lock().unwrap().clone();
    let sizes: Vec<usize> = calls.iter().map(Vec::len).collect();
    assert_eq!(sizes, [10, 10, 3, 10, 10, 10], "{calls:?}");
    assert_eq!(report.calls, bus.calls.lock().unwrap().len());
}

#[tokio::test]
async fn one_call_at_a_time_makes_full_calls() {
    let bus = ordered_bus();
    let entries = grouped(&[("a", 25), ("b", 25), ("c", 3)]);
    let (out, report) = run_ordered(&bus, &entries, policy(2)).await;
    assert!(out.iter().all(|o| o == "ok"), "{out:?}");
    // 53 entries, 10 per call: 6 calls, every call but the last full.
    let calls = bus.calls.lock().unwrap().clone();
    assert_eq!(report.calls, 6, "{calls:?}");
    assert!(calls[..5].iter().all(|c| c.len() == 10), "{calls:?}");
}

#[tokio::test]
async fn a_retry_resends_the_group_from_its_first_failed_entry() {
    let bus = ordered_bus();
    let entries = grouped(&[("a", 5)]);
    bus.script.lock().unwrap().push_back(Answer::Statuses(vec![
        EntryStatus::Accepted,
        EntryStatus::Accepted,
        rejected("ThrottlingException", true),
        EntryStatus::Accepted,
        EntryStatus::Accepted,
    ]));
    let (out, report) = run_ordered(&bus, &entries, policy(2)).await;
    assert!(out.iter().all(|o| o == "ok"), "{out:?}");
    assert_eq!(
        bus.calls.lock().unwrap().clone(),
        vec![
            in_order("a", 5),
            vec!["a2".into(), "a3".into(), "a4".into()]
        ]
    );
    assert_eq!((report.calls, report.retries, report.throttled), (2, 1, 1));
}

#[tokio::test]
async fn a_final_failure_holds_the_rest_of_its_group_only() {
    let bus = ordered_bus();
    // a: 12 entries (two calls of a), b: 2 entries in the first call too.
    let entries = grouped(&[("a", 12), ("b", 2)]);
    let mut statuses = vec![EntryStatus::Accepted; 10];
    statuses[3] = rejected("MalformedDetail", false);
    bus.script
        .lock()
        .unwrap()
        .push_back(Answer::Statuses(statuses));
    let (out, _) = run_ordered(&bus, &entries, policy(2)).await;
    let by_detail: std::collections::HashMap<&str, &str> = entries
        .iter()
        .zip(&out)
        .map(|(e, o)| (e.detail.as_str(), o.as_str()))
        .collect();
    let first_call = bus.calls.lock().unwrap()[0].clone();
    // The first call carried entries of both groups in event order; a's fourth failed.
    let a_failed = first_call
        .iter()
        .filter(|d| d.starts_with('a'))
        .nth(3)
        .unwrap();
    assert_eq!(
        by_detail[a_failed.as_str()],
        "rejected by the bus: MalformedDetail: m"
    );
    let a_index: usize = a_failed[1..].parse().unwrap();
    for i in 0..12 {
        let outcome = by_detail[format!("a{i}").as_str()];
        if i < a_index {
            assert_eq!(outcome, "ok", "a{i}");
        } else if i > a_index {
            assert!(
                outcome.starts_with("not sent: an earlier record"),
                "a{i}: {outcome}"
            );
        }
    }
    assert_eq!(by_detail["b0"], "ok");
    assert_eq!(by_detail["b1"], "ok");
    // Nothing of a was sent after the failure.
    let later: Vec<String> = bus.calls.lock().unwrap()[1..].concat();
    assert!(later.iter().all(|d| !d.starts_with('a')), "{later:?}");
}

#[tokio::test]
async fn throttling_retries_are_bounded_then_the_group_is_held() {
    let bus = ordered_bus();
    let entries = grouped(&[("a", 3)]);
    for _ in 0..10 {
        bus.script.lock().unwrap().push_back(Answer::Statuses(vec![
            rejected(
                "ThrottlingException",
                true
            );
            3
        ]));
    }
    let (out, report) = run_ordered(&bus, &entries, policy(2)).await;
    assert!(out[0].starts_with("gave up after 3 attempts"), "{}", out[0]);
    assert!(
        out[1].starts_with("not sent: an earlier record"),
        "{}",
        out[1]
    );
    assert!(
        out[2].starts_with("not sent: an earlier record"),
        "{}",
        out[2]
    );
    assert_eq!(
        report.calls, 3,
        "retries.max = 2: three sends of the first entry"
    );
}

#[tokio::test]
async fn a_retryable_call_failure_retries_every_group_of_the_call() {
    let bus = ordered_bus();
    let entries = grouped(&[("a", 2), ("b", 2)]);
    bus.script
        .lock()
        .unwrap()
        .push_back(Answer::Fail { retryable: true });
    let (out, report) = run_ordered(&bus, &entries, policy(2)).await;
    assert!(out.iter().all(|o| o == "ok"), "{out:?}");
    // The groups' backoffs end apart: one retry call each, or one for both.
    assert!((2..=3).contains(&report.calls), "{}", report.calls);
    for g in ["a", "b"] {
        assert_eq!(sent_of(&bus, g), [in_order(g, 2), in_order(g, 2)].concat());
    }
}

#[tokio::test]
async fn deduplicated_entries_are_delivered_and_counted() {
    let bus = ordered_bus();
    let entries = grouped(&[("a", 3)]);
    bus.script.lock().unwrap().push_back(Answer::Statuses(vec![
        EntryStatus::Deduplicated,
        EntryStatus::Accepted,
        EntryStatus::Deduplicated,
    ]));
    let (out, report) = run_ordered(&bus, &entries, policy(0)).await;
    assert!(out.iter().all(|o| o == "ok"), "{out:?}");
    assert_eq!(report.deduplicated, 2);
}

#[tokio::test]
async fn entries_without_a_group_fail_alone() {
    let bus = ordered_bus();
    let entries = grouped(&[("", 3)]);
    bus.script.lock().unwrap().push_back(Answer::Statuses(vec![
        EntryStatus::Accepted,
        rejected("MalformedDetail", false),
        EntryStatus::Accepted,
    ]));
    let (out, report) = run_ordered(&bus, &entries, policy(0)).await;
    assert_eq!(out, ["ok", "rejected by the bus: MalformedDetail: m", "ok"]);
    assert_eq!(report.calls, 1, "ungrouped entries share a call");
}

#[tokio::test]
async fn a_call_too_large_is_resent_smaller_unspent() {
    let bus = ordered_bus();
    let entries = grouped(&[("a", 4)]);
    bus.script.lock().unwrap().push_back(Answer::TooLarge);
    let (out, _) = run_ordered(&bus, &entries, policy(0)).await;
    assert!(out.iter().all(|o| o == "ok"), "{out:?}");
    assert_eq!(
        bus.calls.lock().unwrap().clone(),
        vec![
            in_order("a", 4),
            vec!["a0".to_string(), "a1".into()],
            vec!["a2".to_string(), "a3".into()]
        ]
    );
}

/// Calls of at most 10 entries, and bytes to spare.
const TEN_ENTRIES: BatchLimits = BatchLimits {
    max_entries: 10,
    max_bytes: 100,
};

/// The calls [`sequential_calls`] makes for `entries` (1 byte each), by detail.
fn sequential(entries: &[EventEntry], limits: BatchLimits) -> Vec<Vec<&str>> {
    let items: Vec<Item<'_>> = entries
        .iter()
        .enumerate()
        .map(|(id, entry)| Item { id, entry, size: 1 })
        .collect();
    sequential_calls(items, limits)
        .into_iter()
        .map(|c| c.into_iter().map(|i| entries[i].detail.as_str()).collect())
        .collect()
}

#[test]
fn sequential_calls_pack_groups_in_turn() {
    let entries = grouped(&[("a", 12), ("b", 5)]);
    let calls = sequential(&entries, TEN_ENTRIES);
    assert_eq!(
        calls,
        vec![
            vec!["a0", "a1", "a2", "a3", "a4", "a5", "a6", "a7", "a8", "a9"],
            vec!["b0", "b1", "b2", "b3", "b4", "a10", "a11"],
        ]
    );
}

#[test]
fn later_groups_go_whole_and_fill_the_call_best() {
    // a goes first (most entries, first in turn); b (4) fits after it but leaves 2 free, while
    // c and d (3 + 3) fill the call: the call takes a, c and d; b goes whole in the next.
    let entries = grouped(&[("a", 4), ("b", 4), ("c", 3), ("d", 3)]);
    let calls = sequential(&entries, TEN_ENTRIES);
    assert_eq!(
        calls,
        vec![
            vec!["a0", "a1", "a2", "a3", "c0", "c1", "c2", "d0", "d1", "d2"],
            vec!["b0", "b1", "b2", "b3"],
        ]
    );
    // No group but the first of a call is cut: after a's first 10, b (6, the most left) goes
    // with none of a, rather than with a10..a13, which would leave a14 to a call of its own.
    let entries = grouped(&[("a", 15), ("b", 6)]);
    let calls: Vec<usize> = sequential(&entries, TEN_ENTRIES)
        .iter()
        .map(Vec::len)
        .collect();
    assert_eq!(calls, vec![10, 6, 5]);
}

#[tokio::test]
async fn a_small_group_is_not_held_back_behind_a_large_one() {
    let bus = ordered_bus();
    let entries = grouped(&[("big", 100), ("small", 3)]);
    let mut p = policy(2);
    p.max_inflight = NonZeroUsize::new(2).unwrap();
    let (out, _) = run_ordered(&bus, &entries, p).await;
    assert!(out.iter().all(|o| o == "ok"), "{out:?}");
    let calls = bus.calls.lock().unwrap().clone();
    // The small group's call is the second made, beside big's first, not after big's last.
    assert_eq!(calls[1], in_order("small", 3), "{calls:?}");
    assert_eq!(calls.len(), 11);
}
