//! The pipeline in-process with the real EventBridge SDK client over real HTTP: against moto,
//! against a port where nothing listens, and against a server that never answers.

use crate::support;

use std::net::TcpListener;
use std::time::Duration;

use kafka_eventbridge_lambda::{EventBridgeBus, Invocation, KafkaEvent, Pipeline};
use support::Moto;
use support::aws::sdk_config;
use support::config::{BUS_ARN, config};
use support::events::{kafka_event, record};
use tokio::time::Instant;

async fn pipeline(
    endpoint: &str,
    bus_arn: &str,
    extra: &[(&str, &str)],
) -> Pipeline<EventBridgeBus> {
    let mut vars = vec![
        ("AWS_EVENTBRIDGE_CONNECTOR_ID", "lib"),
        ("AWS_EVENTBRIDGE_EVENTBUS_ARN", bus_arn),
        ("AWS_EVENTBRIDGE_ENDPOINT_URI", endpoint),
        ("AWS_EVENTBRIDGE_RETRIES_DELAY", "10"),
    ];
    vars.extend(extra.iter().copied());
    let config = config(&vars);
    Pipeline::builder(&config)
        .bus(EventBridgeBus::from_config(&config, &sdk_config(None)))
        .build()
}

/// Runs `records` records through a pipeline on `endpoint` and `bus_arn`, within 30 s.
async fn run(endpoint: &str, bus_arn: &str, extra: &[(&str, &str)], records: i64) -> Invocation {
    pipeline(endpoint, bus_arn, extra)
        .await
        .run(
            event(records),
            Instant::now() + Duration::from_secs(30),
            None,
        )
        .await
        .expect("runs")
}

fn event(records: i64) -> KafkaEvent {
    kafka_event((0..records).map(|i| record("t", 0, i, None, Some(r#"{"a":1}"#))))
}

/// Asserts that all `records` failed after `calls` calls with `retries` retries (`why`), and
/// returns the first reason.
fn all_failed(
    done: &Invocation,
    records: usize,
    (calls, retries): (usize, usize),
    why: &str,
) -> String {
    assert_eq!(done.tally.failed, records);
    assert_eq!((done.calls, done.retries), (calls, retries), "{why}");
    reasons(done).swap_remove(0)
}

fn reasons(done: &Invocation) -> Vec<String> {
    done.failures.iter().map(|(_, f)| f.reason()).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn delivers_in_batches_of_ten_one_call_at_a_time() {
    let moto = Moto::start();
    let bus = moto.bus_to_queue("lib").await;
    let done = run(
        &moto.endpoint,
        &bus.bus_arn,
        &[("AWS_EVENTBRIDGE_MAX_INFLIGHT_REQUESTS", "1")],
        25,
    )
    .await;
    assert_eq!((done.tally.delivered, done.tally.failed), (25, 0));
    assert_eq!((done.calls, done.retries), (3, 0));
    assert_eq!(bus.events(25).await.len(), 25);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_bus_is_a_final_error_and_is_not_retried() {
    let moto = Moto::start();
    let missing = "arn:aws:events:us-east-1:123456789012:event-bus/does-not-exist";
    let done = run(&moto.endpoint, missing, &[], 12).await;
    let reason = all_failed(&done, 12, (2, 0), "one call per batch, no retry");
    assert!(reason.contains("ResourceNotFoundException"), "{reason}");
    assert_eq!(done.response.batch_item_failures.len(), 12);
}

#[tokio::test(flavor = "multi_thread")]
async fn connection_failures_are_retried_then_reported() {
    // A port that was free a moment ago: connections are refused.
    let port = support::free_port();
    let endpoint = format!("http://127.0.0.1:{port}");
    let done = run(
        &endpoint,
        BUS_ARN,
        &[("AWS_EVENTBRIDGE_RETRIES_MAX", "3")],
        3,
    )
    .await;
    let why = "retries.max + 1 attempts, no SDK retries on top";
    let reason = all_failed(&done, 3, (4, 3), why);
    assert!(
        reason.starts_with(
            "gave up after 4 attempts; last: call failed: PutEvents failed: dispatch failure"
        ),
        "{reason}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_that_never_answers_cannot_hold_the_invocation_past_its_deadline() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    // Accept connections and never answer; keep them open for the test's lifetime.
    std::thread::spawn(move || {
        let mut open = Vec::new();
        for stream in listener.incoming() {
            open.push(stream);
        }
    });
    let p = pipeline(
        &format!("http://127.0.0.1:{port}"),
        BUS_ARN,
        &[("AWS_EVENTBRIDGE_RETRIES_MAX", "10")],
    )
    .await;
    let deadline = Instant::now() + Duration::from_millis(1500);
    let done = p.run(event(25), deadline, None).await.expect("runs");
    let late = Instant::now().saturating_duration_since(deadline);
    assert!(
        late < Duration::from_millis(100),
        "returned {late:?} after the deadline"
    );
    assert_eq!(done.tally.failed, 25);
    assert!(
        reasons(&done).iter().all(|r| r.contains("deadline")),
        "{:?}",
        reasons(&done)
    );
}
