//! CPU per invocation, end to end: the real binary, warm, serves invocations from a stub Lambda
//! runtime API and sends through the real SDK client to a local PutEvents server that answers at
//! once. The figure is the process's CPU time (user + system, from `/proc/<pid>/stat`) over
//! `WARM_RUNS` warm invocations, per invocation, and the event JSON it handled per CPU-second.
//!
//! Run with `make bench` or `cargo bench --bench cpu`.

#![allow(
    clippy::unwrap_used,
    reason = "a benchmark that cannot unwrap has failed"
)]

#[path = "../tests/support/mod.rs"]
mod support;

use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response};
use serde_json::json;
use support::events;
use support::faults::{FaultServer, Schedule};
use support::http;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

/// Warm invocations measured per case (`KEL_WARM_RUNS` sets another number).
fn warm_runs() -> usize {
    std::env::var("KEL_WARM_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(30)
}

#[derive(Default)]
struct ApiState {
    served: usize,
    responses: usize,
    idle_after_first: bool,
}

/// A stub runtime API that serves `event` `1 + WARM_RUNS` times. After the first (warm-up)
/// invocation it holds the next `/next` until `go` has a permit, so that the CPU count starts
/// with the function idle.
async fn runtime_api(event: Bytes) -> (String, Arc<Mutex<ApiState>>, Arc<Semaphore>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap().to_string();
    let state = Arc::new(Mutex::new(ApiState::default()));
    let go = Arc::new(Semaphore::new(0));
    let (shared, gate) = (Arc::clone(&state), Arc::clone(&go));
    http::serve(listener, move |req: Request<Incoming>| {
        let (state, gate, event) = (Arc::clone(&shared), Arc::clone(&gate), event.clone());
        async move {
            let path = req.uri().path().to_owned();
            req.into_body().collect().await.ok();
            if path.ends_with("/invocation/next") {
                let n = state.lock().unwrap().served;
                if n == 1 {
                    state.lock().unwrap().idle_after_first = true;
                    gate.acquire().await.unwrap().forget();
                }
                if n > warm_runs() {
                    std::future::pending::<()>().await;
                }
                state.lock().unwrap().served += 1;
                return Ok::<_, Infallible>(next_invocation(event, n));
            }
            if path.ends_with("/response") || path.ends_with("/error") {
                state.lock().unwrap().responses += 1;
            }
            Ok(http::respond(202, "application/json", Bytes::new()))
        }
    });
    (address, state, go)
}

fn next_invocation(event: Bytes, n: usize) -> Response<Full<Bytes>> {
    let deadline = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis()
        + 60_000;
    Response::builder()
        .header("lambda-runtime-aws-request-id", format!("cpu-{n}"))
        .header("lambda-runtime-deadline-ms", deadline.to_string())
        .header(
            "lambda-runtime-invoked-function-arn",
            "arn:aws:lambda:us-east-1:123456789012:function:f",
        )
        .body(Full::new(event))
        .unwrap()
}

/// User + system CPU of `pid` so far, in clock ticks.
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    // Fields after the command (which may hold spaces): state is field 3, utime 14, stime 15.
    let rest = &stat[stat.rfind(')').unwrap() + 2..];
    let fields: Vec<&str> = rest.split(' ').collect();
    fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap()
}

fn ticks_per_second() -> f64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(100.0)
}

/// Peak resident memory of `pid` so far, in MB.
fn peak_rss_mb(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let kib: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0.0);
    kib * 1024.0 / 1e6
}

/// CPU seconds per warm invocation of `event`, and the process's peak RSS in MB.
async fn cpu_per_invocation(endpoint: &str, event: &[u8]) -> (f64, f64) {
    let (address, state, go) = runtime_api(Bytes::copy_from_slice(event)).await;
    // `KEL_BINARY` measures another build of the function (before/after comparisons).
    let binary = std::env::var_os("KEL_BINARY")
        .unwrap_or_else(|| env!("CARGO_BIN_EXE_kafka-eventbridge-lambda").into());
    let mut child = std::process::Command::new(binary)
        .stdout(std::process::Stdio::null())
        .env_clear()
        .env("AWS_LAMBDA_RUNTIME_API", &address)
        .env("AWS_LAMBDA_FUNCTION_NAME", "bench")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "1")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "512")
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_LAMBDA_LOG_LEVEL", "ERROR")
        .env("AWS_EVENTBRIDGE_CONNECTOR_ID", "bench")
        .env(
            "AWS_EVENTBRIDGE_EVENTBUS_ARN",
            "arn:aws:events:us-east-1:123456789012:event-bus/b",
        )
        .env("AWS_EVENTBRIDGE_ENDPOINT_URI", endpoint)
        .spawn()
        .unwrap();
    while !state.lock().unwrap().idle_after_first {
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let before = cpu_ticks(child.id());
    go.add_permits(1);
    while state.lock().unwrap().responses < 1 + warm_runs() {
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let after = cpu_ticks(child.id());
    let peak = peak_rss_mb(child.id());
    // SIGTERM, so that a wrapper (valgrind) writes its output before exiting.
    std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .ok();
    child.wait().ok();
    let cpu = (after - before) as f64 / ticks_per_second() / warm_runs() as f64;
    (cpu, peak)
}

fn event(records: usize, value_bytes: usize) -> Vec<u8> {
    let json = events::event_json((0..records).map(|i| {
        let value = json!({"i": i, "pad": "x".repeat(value_bytes.saturating_sub(20))}).to_string();
        let offset = i64::try_from(i).unwrap();
        events::record(
            "cpu",
            offset % 4,
            offset,
            Some(&format!("k-{i}")),
            Some(&value),
        )
    }));
    serde_json::to_vec(&json).unwrap()
}

fn main() {
    // `cargo test --all-targets` runs benches once as tests: one small case.
    let quick = std::env::args().all(|a| a != "--bench");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let server = FaultServer::start(Schedule {
            rng: fastrand::Rng::with_seed(1),
            put_events: vec![],
            put_object: vec![],
            hang_for: Duration::from_secs(1),
            throttle_percent: 0,
        })
        .await;
        // `KEL_CASES=1000x1024,…` measures other cases.
        let cases: Vec<(usize, usize)> = match std::env::var("KEL_CASES") {
            Ok(list) => list
                .split(',')
                .map(|c| {
                    let (r, b) = c.split_once('x').unwrap();
                    (r.parse().unwrap(), b.parse().unwrap())
                })
                .collect(),
            Err(_) if quick => vec![(10, 100)],
            Err(_) => vec![(1_000, 1_024), (4_000, 1_024), (400, 10_240)],
        };
        let runs = warm_runs();
        println!("\nCPU per warm invocation (process user + system, {runs} runs each), PutEvents answered at once");
        println!("| records | event JSON | CPU per invocation | MB of event per CPU-second | peak RSS |");
        println!("|---|---|---|---|---|");
        for (records, value_bytes) in cases {
            let bytes = event(records, value_bytes);
            let (cpu, peak) = cpu_per_invocation(&server.endpoint, &bytes).await;
            println!(
                "| {records} × {} KB | {:.2} MB | {:.1} ms | {:.1} | {peak:.1} MB |",
                value_bytes / 1024,
                bytes.len() as f64 / 1e6,
                cpu * 1000.0,
                bytes.len() as f64 / 1e6 / cpu
            );
        }
    });
}
