//! Reliability under faults: the pipeline in-process with the real SDK clients over real HTTP,
//! against a fault-injecting PutEvents/PutObject server, over many seeded schedules of faults,
//! record sets and settings. For every schedule:
//! - every record is accepted by the server or listed in `batchItemFailures` (duplicates from a
//!   lost acknowledgement are allowed; losses are not);
//! - no record whose acceptance was acknowledged to the client is reported failed;
//! - no entry is sent more than `retries.max + 1` times; no call carries more than 10 entries
//!   or more bytes than the cap;
//! - no offloaded event is accepted before its S3 object exists.
//!
//! `FAULT_SCHEDULES=N` runs N schedules (default 1000), `FAULT_SEED=S` replays one.

use crate::support;

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use kafka_eventbridge_lambda::{Config, EventBridgeBus, Pipeline, S3Store};
use support::aws::sdk_config;
use support::config::{BUS_ARN, config};
use support::events::{Payload, generated_event as event, reported};
use support::faults::{Fault, FaultServer, Id, Schedule};
use tokio::time::Instant;

/// Long enough that a call answered at once is never timed out by the client, even on a loaded
/// machine (the "acknowledged" invariant relies on it); hangs last longer than this.
const CALL_TIMEOUT_MS: u64 = 2_000;

struct Case {
    records: Vec<(u8, Payload)>,
    vars: HashMap<&'static str, String>,
    cap: usize,
    retries_max: u32,
}

fn pick_fault(rng: &mut fastrand::Rng, s3: bool) -> Fault {
    let roll = rng.u32(0..1000);
    if s3 {
        return match roll {
            0..750 => Fault::Ok,
            750..830 => Fault::Status500,
            830..910 => Fault::Status503,
            910..960 => Fault::Reset,
            960..990 => Fault::Latency(rng.u64(1..20)),
            990..995 => Fault::Hang,
            _ => Fault::AcceptThenTimeout,
        };
    }
    match roll {
        0..600 => Fault::Ok,
        600..720 => Fault::Partial,
        720..770 => Fault::Status500,
        770..820 => Fault::Status503,
        820..880 => Fault::Throttled,
        880..960 => Fault::Latency(rng.u64(1..20)),
        960..990 => Fault::Reset,
        990..995 => Fault::Hang,
        _ => Fault::AcceptThenTimeout,
    }
}

fn case(seed: u64, endpoint: &str) -> (Case, Schedule) {
    let mut rng = fastrand::Rng::with_seed(seed);
    let count = match rng.u32(0..100) {
        0..80 => rng.usize(1..100),
        80..95 => rng.usize(100..500),
        _ => rng.usize(500..=2000),
    };
    let partitions = rng.u8(1..=4);
    let records = (0..count)
        .map(|_| {
            let payload = match rng.u32(0..100) {
                0..5 => Payload::Invalid,
                5..10 => Payload::Tombstone,
                _ => Payload::Json(if rng.u32(0..20) == 0 {
                    rng.usize(5_000..40_000)
                } else {
                    rng.usize(0..2_000)
                }),
            };
            (rng.u8(0..partitions), payload)
        })
        .collect();
    let cap = [1_048_576, 262_144, 20_000, 8_000][rng.usize(0..4)];
    let retries_max = rng.u32(0..=4);
    let mut vars: HashMap<&'static str, String> = HashMap::new();
    vars.insert("AWS_EVENTBRIDGE_CONNECTOR_ID", "faults".into());
    vars.insert("AWS_EVENTBRIDGE_EVENTBUS_ARN", BUS_ARN.into());
    vars.insert("AWS_EVENTBRIDGE_ENDPOINT_URI", endpoint.into());
    vars.insert("AWS_EVENTBRIDGE_BATCH_MAX_BYTES", cap.to_string());
    vars.insert("AWS_EVENTBRIDGE_RETRIES_MAX", retries_max.to_string());
    vars.insert("AWS_EVENTBRIDGE_RETRIES_DELAY", rng.u64(0..5).to_string());
    vars.insert(
        "AWS_EVENTBRIDGE_MAX_INFLIGHT_REQUESTS",
        rng.usize(1..=16).to_string(),
    );
    vars.insert(
        "AWS_EVENTBRIDGE_CALL_TIMEOUT_MS",
        CALL_TIMEOUT_MS.to_string(),
    );
    if rng.u32(0..10) < 3 {
        vars.insert(
            "AWS_EVENTBRIDGE_OFFLOADING_DEFAULT_S3_BUCKET",
            "faultbucket".into(),
        );
        vars.insert(
            "AWS_EVENTBRIDGE_OFFLOADING_DEFAULT_S3_ENDPOINT_URI",
            endpoint.into(),
        );
        vars.insert(
            "AWS_EVENTBRIDGE_OFFLOADING_DEFAULT_THRESHOLD_BYTES",
            ["0", "500", "4000"][rng.usize(0..3)].into(),
        );
    }
    let put_events = (0..600).map(|_| pick_fault(&mut rng, false)).collect();
    let put_object = (0..600).map(|_| pick_fault(&mut rng, true)).collect();
    let schedule = Schedule {
        rng: fastrand::Rng::with_seed(seed ^ 0x5eed),
        put_events,
        put_object,
        hang_for: Duration::from_millis(CALL_TIMEOUT_MS + 500),
        throttle_percent: 0,
    };
    (
        Case {
            records,
            vars,
            cap,
            retries_max,
        },
        schedule,
    )
}

/// Runs one schedule; `Err` says which invariant broke.
async fn run_schedule(seed: u64, shared: &aws_config::SdkConfig) -> Result<usize, String> {
    // The endpoint is only known once the server runs; the schedule does not depend on it.
    let server = FaultServer::start(case(seed, "http://unused").1).await;
    let (case, _) = case(seed, &server.endpoint);
    let config = Config::from_lookup(|n| case.vars.get(n).cloned()).map_err(|e| e.to_string())?;
    let bus = EventBridgeBus::from_config(&config, shared);
    let store = config
        .offload()
        .map(|o| S3Store::from_config(&config, o, shared));
    let deadline = Instant::now() + Duration::from_secs(120);
    let done = Pipeline::builder(&config)
        .bus(bus)
        .store(store)
        .build()
        .run(event(&case.records), deadline, None)
        .await
        .map_err(|e| format!("the invocation failed: {e}"))?;

    let reported: HashSet<Id> = reported(&done.response).into_iter().collect();
    let truth = server.truth();
    for (offset, (partition, payload)) in case.records.iter().enumerate() {
        let id: Id = (format!("t-{partition}"), offset as i64);
        let accepted = truth.accepted.contains(&id);
        let failed = reported.contains(&id);
        if !accepted && !failed {
            return Err(format!(
                "record {id:?} was lost: neither accepted nor reported"
            ));
        }
        if failed && truth.acknowledged.contains(&id) {
            return Err(format!(
                "record {id:?} was acknowledged as accepted but reported failed"
            ));
        }
        let sends = truth.sends.get(&id).copied().unwrap_or(0);
        if sends > case.retries_max + 1 {
            return Err(format!(
                "record {id:?} was sent {sends} times (retries.max = {})",
                case.retries_max
            ));
        }
        if matches!(payload, Payload::Invalid) && (sends > 0 || !failed) {
            return Err(format!("invalid record {id:?} was sent or not reported"));
        }
    }
    for &(entries, bytes) in &truth.calls {
        if !(1..=10).contains(&entries) || bytes > case.cap {
            return Err(format!(
                "a call of {entries} entries and {bytes} bytes (cap {})",
                case.cap
            ));
        }
    }
    if let Some(id) = truth.accepted_without_object.first() {
        return Err(format!(
            "record {id:?}'s event was accepted before its S3 object existed"
        ));
    }
    Ok(case.records.len())
}

/// How many schedules run at once, each on its own thread with its own runtime, so that one
/// schedule's CPU-bound decoding never delays another's I/O (which would turn answered calls
/// into client timeouts and break the "acknowledged" invariant for the wrong reason).
const PARALLEL_SCHEDULES: usize = 8;

fn seeds() -> Vec<u64> {
    if let Ok(seed) = std::env::var("FAULT_SEED") {
        return vec![seed.parse().expect("FAULT_SEED is a number")];
    }
    let env = |name: &str, default: u64| {
        std::env::var(name)
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(default)
    };
    let (n, base) = (env("FAULT_SCHEDULES", 1000), env("FAULT_SEED_BASE", 0));
    (base..base + n).collect()
}

#[test]
fn no_record_is_lost_under_seeded_fault_schedules() {
    let seeds = seeds();
    let next = std::sync::atomic::AtomicUsize::new(0);
    let started = std::time::Instant::now();
    let outcomes: Vec<Vec<(u64, Result<usize, String>)>> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..PARALLEL_SCHEDULES)
            .map(|_| {
                scope.spawn(|| {
                    let runtime = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .unwrap();
                    let shared = sdk_config(None);
                    let mut done = Vec::new();
                    while let Some(&seed) =
                        seeds.get(next.fetch_add(1, std::sync::atomic::Ordering::Relaxed))
                    {
                        done.push((seed, runtime.block_on(run_schedule(seed, &shared))));
                    }
                    done
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().unwrap()).collect()
    });
    let mut records = 0;
    for (seed, result) in outcomes.into_iter().flatten() {
        match result {
            Ok(n) => records += n,
            Err(why) => panic!(
                "schedule seed={seed} broke an invariant: {why}\nreplay: FAULT_SEED={seed} cargo test --test it fault_schedules"
            ),
        }
    }
    println!(
        "{} schedules, {records} records checked in {:.1?}",
        seeds.len(),
        started.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invocation_with_a_3_s_deadline_returns_within_it() {
    // Every call answers after 10 s, far past the invocation's remaining time.
    let schedule = Schedule {
        rng: fastrand::Rng::with_seed(1),
        put_events: vec![Fault::Latency(10_000); 1000],
        put_object: vec![Fault::Latency(10_000); 1000],
        hang_for: Duration::from_secs(10),
        throttle_percent: 0,
    };
    let server = FaultServer::start(schedule).await;
    let config = config(&[
        ("AWS_EVENTBRIDGE_CONNECTOR_ID", "deadline"),
        ("AWS_EVENTBRIDGE_ENDPOINT_URI", &server.endpoint),
        ("AWS_EVENTBRIDGE_RETRIES_MAX", "10"),
        ("AWS_EVENTBRIDGE_MAX_INFLIGHT_REQUESTS", "2"),
    ]);
    let shared = sdk_config(None);
    let pipeline = Pipeline::builder(&config)
        .bus(EventBridgeBus::from_config(&config, &shared))
        .build();
    let records: Vec<(u8, Payload)> = (0..300_u32)
        .map(|i| ((i % 3) as u8, Payload::Json(100)))
        .collect();

    // The runtime API's deadline: now + 3 s, in epoch milliseconds.
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    let started = Instant::now();
    let deadline = kafka_eventbridge_lambda::deadline_from(now_ms + 3_000);
    let done = pipeline.run(event(&records), deadline, None).await.unwrap();
    let took = started.elapsed();

    assert!(
        took <= Duration::from_secs(3) - Duration::from_millis(250),
        "returned after {took:?}, too close to the 3 s deadline"
    );
    assert_eq!(
        done.tally.failed, 300,
        "every undelivered record is reported"
    );
    assert_eq!(done.response.batch_item_failures.len(), 300);
    println!("returned after {took:?} with {} calls", done.calls);
}
