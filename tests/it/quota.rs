//! Quota-aware sending, with the real SDK client over HTTP against a PutEvents server that
//! enforces an account quota (a token bucket) or refuses calls over a size:
//!
//! - adaptive concurrency keeps throttling low and gets every record through a quota that the
//!   fixed concurrency overruns, and the next invocation starts at the limit the last one left;
//! - throttled entries are repacked into full calls;
//! - a call refused as too large is split without spending the entries' retries, down to a
//!   single entry, which fails with the bus's message.

use crate::support;

use std::time::Duration;

use kafka_eventbridge_lambda::{EventBridgeBus, Invocation, KafkaEvent, Pipeline};
use serde_json::json;
use support::aws::sdk_config;
use support::config::config;
use support::events;
use support::quota::{Quota, QuotaServer};

fn event(records: usize, value_bytes: usize) -> KafkaEvent {
    events::kafka_event((0..records).map(|i| {
        let value = json!({"i": i, "pad": "x".repeat(value_bytes)}).to_string();
        let offset = i64::try_from(i).unwrap();
        events::record("q", offset % 4, offset, Some("k"), Some(&value))
    }))
}

fn pipeline(endpoint: &str, vars: &[(&str, &str)]) -> Pipeline<EventBridgeBus> {
    let mut all = vec![("AWS_EVENTBRIDGE_ENDPOINT_URI", endpoint)];
    all.extend_from_slice(vars);
    let config = config(&all);
    let shared = sdk_config(None);
    Pipeline::builder(&config)
        .bus(EventBridgeBus::from_config(&config, &shared))
        .build()
}

async fn run(pipeline: &Pipeline<EventBridgeBus>, event: KafkaEvent) -> Invocation {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    pipeline.run(event, deadline, None).await.unwrap()
}

/// 40 calls/s, while 8 calls in flight of 50 ms each would ask for 160/s.
const QUOTA: Quota = Quota {
    rate: 40.0,
    burst: 4.0,
    latency: Duration::from_millis(50),
    max_bytes: None,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn adaptive_concurrency_respects_the_quota() {
    let server = QuotaServer::start(QUOTA).await;
    let adaptive = pipeline(&server.endpoint, &[]);
    let started = std::time::Instant::now();
    let done = run(&adaptive, event(400, 100)).await;
    let seen = server.seen();
    eprintln!(
        "adaptive: {} calls, {} throttled, limit {}, {:?}",
        seen.calls,
        seen.throttled,
        done.concurrency_limit,
        started.elapsed()
    );
    assert_eq!(done.tally.delivered, 400, "{:?}", done.failures);
    assert_eq!(seen.throttled, done.throttled_calls);
    assert!(
        seen.throttled * 100 <= seen.calls * 25,
        "{} of {} calls throttled",
        seen.throttled,
        seen.calls
    );
    assert!(done.concurrency_limit < 8, "{}", done.concurrency_limit);
    // The environment keeps the limit: the next invocation starts where this one ended.
    let before = done.concurrency_limit;
    let next = run(&adaptive, event(10, 100)).await;
    assert!(
        next.concurrency_limit <= before + 1,
        "{before} → {}",
        next.concurrency_limit
    );

    let server = QuotaServer::start(QUOTA).await;
    let fixed = pipeline(
        &server.endpoint,
        &[("AWS_EVENTBRIDGE_ADAPTIVE_CONCURRENCY", "false")],
    );
    let done = run(&fixed, event(400, 100)).await;
    let fixed_seen = server.seen();
    eprintln!(
        "fixed: {} calls, {} throttled",
        fixed_seen.calls, fixed_seen.throttled
    );
    assert_eq!(done.concurrency_limit, 8);
    assert!(
        fixed_seen.throttled > 3 * seen.throttled.max(1),
        "fixed: {} throttled calls, adaptive: {}",
        fixed_seen.throttled,
        seen.throttled
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttled_entries_are_repacked_into_full_calls() {
    // Without adaptation every throttled call's 10 entries wait, then go out together again.
    let server = QuotaServer::start(QUOTA).await;
    let fixed = pipeline(
        &server.endpoint,
        &[
            ("AWS_EVENTBRIDGE_ADAPTIVE_CONCURRENCY", "false"),
            ("AWS_EVENTBRIDGE_RETRIES_MAX", "10"),
        ],
    );
    let done = run(&fixed, event(400, 100)).await;
    let seen = server.seen();
    assert_eq!(done.tally.delivered, 400);
    assert!(seen.throttled > 0, "the quota was not reached");
    let offers: u32 = seen.sends.values().sum();
    let full_calls = (offers as usize).div_ceil(10);
    eprintln!("repacked: {} calls for {offers} entries sent", seen.calls);
    assert!(
        seen.calls * 100 <= full_calls * 115,
        "{} calls for {offers} entries sent",
        seen.calls
    );
    assert!(seen.accepted_calls.iter().all(|&(n, _)| n <= 10));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_refused_as_too_large_are_split_without_spending_retries() {
    // The server refuses calls over 250 KB; records of ~100 KB pack 10 to a planned call.
    let server = QuotaServer::start(Quota {
        rate: 10_000.0,
        burst: 10_000.0,
        latency: Duration::ZERO,
        max_bytes: Some(250_000),
    })
    .await;
    let pipeline = pipeline(&server.endpoint, &[("AWS_EVENTBRIDGE_RETRIES_MAX", "0")]);
    let mut records: Vec<_> = (0..10)
        .map(|i| {
            let value = json!({"pad": "x".repeat(100_000)}).to_string();
            events::record("big", 0, i, Some("k"), Some(&value))
        })
        .collect();
    // One record alone is over the server's size: it fails with the bus's answer.
    let huge = json!({"pad": "y".repeat(300_000)}).to_string();
    records.push(events::record("big", 0, 10, Some("k"), Some(&huge)));
    let done = run(&pipeline, events::kafka_event(records)).await;
    let seen = server.seen();
    assert_eq!(done.tally.delivered, 10, "{:?}", done.failures);
    assert_eq!(seen.accepted.len(), 10);
    assert!(seen.too_large >= 2, "{seen:?}");
    assert!(
        seen.accepted_calls
            .iter()
            .all(|&(_, bytes)| bytes <= 250_000)
    );
    let reported = events::reported(&done.response);
    assert_eq!(reported, [("big-0".to_owned(), 10)]);
    let (_, failure) = &done.failures[0];
    let reason = kafka_eventbridge_lambda::ErrorChain(failure).to_string();
    assert!(reason.contains("Request Entity Too Large"), "{reason}");
}
