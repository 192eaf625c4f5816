//! Send phase and start-up, measured with the real SDK clients over real HTTP against a local
//! stub endpoint (the fault-injecting server of the tests, configured to accept everything after
//! a fixed latency), and the real binary against a stub Lambda runtime API.
//!
//! - One invocation of 10,000 × 1 KB records per in-flight limit (1, 4, 8, 16, 32), with a
//!   per-call latency of `SEND_LATENCY_MS` (default 20): wall time against the ideal
//!   `ceil(calls / in-flight) × latency`; then the same with 10 % of entries throttled.
//! - The same on a Custom Event Bus (the CBOR stub, 8 calls in flight), with 1 and 32
//!   partitions: calls against the classic bus's, wall time against the ordered ideal
//!   `max(⌈calls ÷ in-flight⌉, calls of the longest group) × latency`.
//! - Cold start: from exec to the binary's first `/next` poll of the runtime API, with the
//!   EventBridge and S3 clients built (median of 20 runs).
//! - Peak RSS while handling a 6 MB event.
//!
//! Run with `make bench` or `cargo bench --bench send`.

#![allow(
    clippy::unwrap_used,
    reason = "a benchmark that cannot unwrap has failed"
)]

#[path = "../tests/support/mod.rs"]
mod support;

use std::time::{Duration, Instant};

use bytes::Bytes;
use kafka_eventbridge_lambda::{EventBridgeBus, EventBus, Invocation, KafkaEvent, Pipeline};
use serde_json::{Value, json};
use support::aws::sdk_config;
use support::config::config;
use support::events;
use support::eventsv2::EventsV2;
use support::faults::{Fault, FaultServer, Schedule};
use support::quota::{Quota, QuotaServer};
use support::runtime_api::{RuntimeApi, peak_rss};

const RECORDS: usize = 10_000;

fn event_json(records: usize, value_bytes: usize) -> Value {
    events::padded_event("bench", records, value_bytes)
}

/// Runs one invocation of `event` to the end: its wall time, and the invocation, every record
/// delivered.
async fn timed_run<B: EventBus>(
    pipeline: &Pipeline<B>,
    event: KafkaEvent,
) -> (Duration, Invocation) {
    let started = Instant::now();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(600);
    let done = pipeline.run(event, deadline, None).await.unwrap();
    let took = started.elapsed();
    assert_eq!(done.tally.delivered, RECORDS, "every record is delivered");
    (took, done)
}

/// One send phase: (wall time, calls, retries, entries sent).
async fn send_phase(
    latency_ms: u64,
    inflight: usize,
    throttle_tenth: bool,
    adaptive: bool,
) -> (Duration, usize, usize, usize) {
    let fault = Fault::Latency(latency_ms);
    let schedule = Schedule {
        rng: fastrand::Rng::with_seed(7),
        put_events: vec![fault; 10 * RECORDS],
        put_object: vec![],
        hang_for: Duration::from_secs(1),
        throttle_percent: if throttle_tenth { 10 } else { 0 },
    };
    let server = FaultServer::start(schedule).await;
    let config = config(&[
        ("AWS_EVENTBRIDGE_CONNECTOR_ID", "bench".to_owned()),
        ("AWS_EVENTBRIDGE_ENDPOINT_URI", server.endpoint.clone()),
        (
            "AWS_EVENTBRIDGE_MAX_INFLIGHT_REQUESTS",
            inflight.to_string(),
        ),
        ("AWS_EVENTBRIDGE_RETRIES_MAX", "10".to_owned()),
        ("AWS_EVENTBRIDGE_RETRIES_DELAY", "20".to_owned()),
        ("AWS_EVENTBRIDGE_ADAPTIVE_CONCURRENCY", adaptive.to_string()),
    ]);
    let shared = sdk_config(None);
    let pipeline = Pipeline::builder(&config)
        .bus(EventBridgeBus::from_config(&config, &shared))
        .build();
    let event: KafkaEvent = serde_json::from_value(event_json(RECORDS, 1024)).unwrap();
    let (took, done) = timed_run(&pipeline, event).await;
    let offers = server.truth().sends.values().map(|&n| n as usize).sum();
    (took, done.calls, done.retries, offers)
}

/// One send phase on a Custom Event Bus (the CBOR stub of the tests, `latency_ms` per call, 8
/// calls in flight, 100 entries a call), {RECORDS} × 1 KB records on `partitions` partitions,
/// one event group each: (wall time of the whole invocation, of its send phase, calls, the calls
/// of the group with the most).
async fn send_phase_v2(latency_ms: u64, partitions: i64) -> (Duration, Duration, usize, usize) {
    let server = EventsV2::start(Duration::from_millis(latency_ms)).await;
    let config = config(&[
        ("AWS_EVENTBRIDGE_CONNECTOR_ID", "bench".to_owned()),
        (
            "AWS_EVENTBRIDGE_EVENTBUS_ARN",
            support::eventsv2::BUS_ARN.to_owned(),
        ),
        ("AWS_EVENTBRIDGE_ENDPOINT_URI", server.endpoint.clone()),
        ("AWS_EVENTBRIDGE_MAX_INFLIGHT_REQUESTS", "8".to_owned()),
    ]);
    let pipeline = Pipeline::builder(&config).aws(&sdk_config(None)).build();
    let event: KafkaEvent = serde_json::from_value(events::event_json((0..RECORDS).map(|i| {
        let value = json!({"i": i, "pad": "x".repeat(1004)}).to_string();
        let offset = i64::try_from(i).unwrap();
        events::record(
            "bench",
            offset % partitions,
            offset,
            Some("k"),
            Some(&value),
        )
    })))
    .unwrap();
    let (took, done) = timed_run(&pipeline, event).await;
    let mut per_group: std::collections::HashMap<String, usize> = Default::default();
    for call in server.calls() {
        let mut groups: Vec<String> = call
            .entries
            .into_iter()
            .filter_map(|e| e.event_group_id)
            .collect();
        groups.sort();
        groups.dedup();
        for g in groups {
            *per_group.entry(g).or_default() += 1;
        }
    }
    let longest = per_group.values().copied().max().unwrap_or(0);
    (took, done.send_duration, done.calls, longest)
}

/// Records per invocation of the quota table.
const QUOTA_RECORDS: usize = 6_000;

/// `invocations` invocations at once (each its own execution environment and limiter) of
/// 6,000 × 1 KB records against one quota of `rate` calls/s (burst: a tenth of a second), 20 ms
/// per call: (records delivered, records, calls, throttled calls, wall time).
async fn quota_phase(
    rate: f64,
    adaptive: bool,
    invocations: usize,
) -> (usize, usize, usize, usize, Duration) {
    let server = QuotaServer::start(Quota {
        rate,
        burst: (rate / 10.0).max(1.0),
        latency: Duration::from_millis(20),
        max_bytes: None,
    })
    .await;
    let config = config(&[
        ("AWS_EVENTBRIDGE_CONNECTOR_ID", "bench".to_owned()),
        ("AWS_EVENTBRIDGE_ENDPOINT_URI", server.endpoint.clone()),
        ("AWS_EVENTBRIDGE_ADAPTIVE_CONCURRENCY", adaptive.to_string()),
    ]);
    let shared = sdk_config(None);
    let pipelines: Vec<_> = (0..invocations)
        .map(|_| {
            Pipeline::builder(&config)
                .bus(EventBridgeBus::from_config(&config, &shared))
                .build()
        })
        .collect();
    let started = Instant::now();
    let runs = pipelines.iter().map(|pipeline| {
        let event: KafkaEvent = serde_json::from_value(event_json(QUOTA_RECORDS, 1024)).unwrap();
        pipeline.run(
            event,
            tokio::time::Instant::now() + Duration::from_secs(600),
            None,
        )
    });
    let done = futures_util::future::join_all(runs).await;
    let took = started.elapsed();
    let delivered = done
        .iter()
        .map(|d| d.as_ref().unwrap().tally.delivered)
        .sum();
    let seen = server.seen();
    (
        delivered,
        invocations * QUOTA_RECORDS,
        seen.calls,
        seen.throttled,
        took,
    )
}

/// Starts the binary; returns (time to the first `/next`, peak RSS in KiB after the response).
async fn start_binary(event: Bytes, endpoint: &str) -> (Duration, u64) {
    let api = RuntimeApi::start(event, 1).await;
    let started = Instant::now();
    let binary = env!("CARGO_BIN_EXE_kafka-eventbridge-lambda");
    let mut child = api
        .function(binary.as_ref(), endpoint)
        .env(
            "AWS_EVENTBRIDGE_OFFLOADING_DEFAULT_S3_BUCKET",
            "bench-bucket",
        )
        .env(
            "AWS_EVENTBRIDGE_OFFLOADING_DEFAULT_S3_ENDPOINT_URI",
            endpoint,
        )
        .env(
            "AWS_EVENTBRIDGE_OFFLOADING_DEFAULT_THRESHOLD_BYTES",
            "1048576",
        )
        .spawn()
        .unwrap();
    let first_poll = loop {
        if let Some(t) = api.seen().first_poll {
            break t - started;
        }
        tokio::time::sleep(Duration::from_micros(200)).await;
    };
    while api.seen().first_response.is_none() {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let peak_kib = peak_rss(child.id()) / 1024;
    child.kill().ok();
    child.wait().ok();
    (first_poll, peak_kib)
}

fn main() {
    let (quick, runtime) = (support::bench_as_test(), support::bench_runtime());
    let latency_ms: u64 = std::env::var("SEND_LATENCY_MS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20);
    runtime.block_on(async {
        let server = FaultServer::start(Schedule::accept_all()).await;
        if quick {
            let (t, _) = start_binary(Bytes::from(event_json(10, 100).to_string()), &server.endpoint).await;
            println!("send bench (test mode): the binary starts in {t:?}");
            return;
        }

        // `KEL_SEND_TABLES=v2,start` runs some of the tables: send, v2, quota, start.
        let tables = std::env::var("KEL_SEND_TABLES").unwrap_or_else(|_| "send,v2,quota,start".into());
        let wanted = |name: &str| tables.split(',').any(|t| t.trim() == name);
        if wanted("send") {
            println!("\nSend phase: 1 invocation, {RECORDS} x 1 KB records, {latency_ms} ms per PutEvents call");
            println!("| in-flight | calls | retries | calls ÷ ⌈entries sent ÷ 10⌉ | wall time | ideal | ratio |");
            println!("|---|---|---|---|---|---|---|");
            for (throttle, adaptive) in [(false, true), (true, true), (true, false)] {
                for inflight in [1, 4, 8, 16, 32] {
                    let (took, calls, retries, offers) =
                        send_phase(latency_ms, inflight, throttle, adaptive).await;
                    let ideal = Duration::from_millis(calls.div_ceil(inflight) as u64 * latency_ms);
                    let label = match (throttle, adaptive) {
                        (false, _) => inflight.to_string(),
                        (true, true) => format!("{inflight} (10 % throttled, adaptive)"),
                        (true, false) => format!("{inflight} (10 % throttled, fixed)"),
                    };
                    println!(
                        "| {label} | {calls} | {retries} | {:.3} | {:.2} s | {:.2} s | {:.2} |",
                        calls as f64 / offers.div_ceil(10) as f64,
                        took.as_secs_f64(),
                        ideal.as_secs_f64(),
                        took.as_secs_f64() / ideal.as_secs_f64()
                    );
                }
            }
        }
        if wanted("v2") {
            let (_, classic_calls, _, _) = send_phase(latency_ms, 8, false, true).await;
            println!("\nSend phase on a Custom Event Bus (ordered, 100 entries a call): 1 invocation, {RECORDS} x 1 KB records, {latency_ms} ms per call, 8 calls in flight; classic bus: {classic_calls} calls");
            println!("| partitions (groups) | calls | classic calls ÷ calls | calls of the longest group | invocation | send phase | ideal max(⌈calls ÷ 8⌉, longest group) × latency | send phase ÷ ideal |");
            println!("|---|---|---|---|---|---|---|---|");
            for partitions in [1, 32] {
                let (took, sending, calls, longest) = send_phase_v2(latency_ms, partitions).await;
                let ideal = Duration::from_millis(calls.div_ceil(8).max(longest) as u64 * latency_ms);
                println!(
                    "| {partitions} | {calls} | {:.1} | {longest} | {:.2} s | {:.2} s | {:.2} s | {:.2} |",
                    classic_calls as f64 / calls as f64,
                    took.as_secs_f64(),
                    sending.as_secs_f64(),
                    ideal.as_secs_f64(),
                    sending.as_secs_f64() / ideal.as_secs_f64()
                );
            }
        }
        if wanted("quota") {
            println!("\nQuota: {QUOTA_RECORDS} x 1 KB records per invocation, 20 ms per call, 8 calls in flight at most, one account quota");
            println!("| quota | invocations | concurrency | delivered | calls | throttled calls | wall time | ideal | ratio |");
            println!("|---|---|---|---|---|---|---|---|---|");
            for (rate, invocations) in [(50.0, 1), (100.0, 1), (400.0, 1), (100.0, 4)] {
                for adaptive in [true, false] {
                    let (delivered, records, calls, throttled, took) =
                        quota_phase(rate, adaptive, invocations).await;
                    let ideal = (records.div_ceil(10)) as f64 / rate;
                    println!(
                        "| {rate} calls/s | {invocations} | {} | {:.1} % | {calls} | {:.1} % | {:.2} s | {ideal:.2} s | {:.2} |",
                        if adaptive { "adaptive" } else { "fixed" },
                        100.0 * delivered as f64 / records as f64,
                        100.0 * throttled as f64 / calls as f64,
                        took.as_secs_f64(),
                        took.as_secs_f64() / ideal
                    );
                }
            }
        }
        if wanted("start") {
            let mut starts = Vec::new();
            for _ in 0..20 {
                starts.push(start_binary(Bytes::from(event_json(1, 100).to_string()), &server.endpoint).await.0);
            }
            starts.sort();
            println!("\nCold start (exec → first /next poll, both SDK clients built): median {:.1} ms, min {:.1} ms, max {:.1} ms",
                starts[10].as_secs_f64() * 1000.0, starts[0].as_secs_f64() * 1000.0, starts[19].as_secs_f64() * 1000.0);

            let six_mb = event_json(4_000, 1_100).to_string();
            let size = six_mb.len();
            let (_, peak_kib) = start_binary(Bytes::from(six_mb), &server.endpoint).await;
            println!(
                "Peak RSS handling a {:.1} MB event: {:.1} MB (target ≤ 3 × event + 30 MB = {:.1} MB)",
                size as f64 / 1e6,
                peak_kib as f64 * 1024.0 / 1e6,
                3.0 * size as f64 / 1e6 + 30.0
            );
        }
    });
}
