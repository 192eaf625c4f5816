//! CPU per invocation, end to end: the real binary, warm, serves invocations from a stub Lambda
//! runtime API and sends through the real SDK client to a local PutEvents server that answers at
//! once. The figure is the process's CPU time (user + system, from `/proc/<pid>/stat`) over
//! `WARM_RUNS` warm invocations, per invocation, and the event JSON it handled per CPU-second.
//!
//! Then the same invocations on a Custom Event Bus, against the CBOR stub of the tests.
//!
//! Run with `make bench` or `cargo bench --bench cpu`.

#![allow(
    clippy::unwrap_used,
    reason = "a benchmark that cannot unwrap has failed"
)]

#[path = "../tests/support/mod.rs"]
mod support;

use std::time::Duration;

use bytes::Bytes;
use support::events;
use support::eventsv2::{BUS_ARN, EventsV2};
use support::faults::{FaultServer, Schedule};
use support::runtime_api::{RuntimeApi, peak_rss};

/// Warm invocations measured per case (`KEL_WARM_RUNS` sets another number).
fn warm_runs() -> usize {
    std::env::var("KEL_WARM_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(30)
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

/// CPU seconds per warm invocation of `event`, and the process's peak RSS in MB; `bus_arn`
/// names another bus than the classic one of the stub runtime API's environment.
async fn cpu_per_invocation(endpoint: &str, event: &[u8], bus_arn: Option<&str>) -> (f64, f64) {
    let runs = warm_runs();
    let api = RuntimeApi::start(Bytes::copy_from_slice(event), 1 + runs).await;
    // `KEL_BINARY` measures another build of the function (before/after comparisons).
    let binary = std::env::var_os("KEL_BINARY")
        .unwrap_or_else(|| env!("CARGO_BIN_EXE_kafka-eventbridge-lambda").into());
    let mut command = api.function(&binary, endpoint);
    if let Some(arn) = bus_arn {
        command.env("AWS_EVENTBRIDGE_EVENTBUS_ARN", arn);
    }
    let mut child = command.spawn().unwrap();
    while !api.seen().idle_after_first {
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let before = cpu_ticks(child.id());
    api.release();
    while api.seen().responses < 1 + runs {
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let after = cpu_ticks(child.id());
    let peak = peak_rss(child.id()) as f64 / 1e6;
    // SIGTERM, so that a wrapper (valgrind) writes its output before exiting.
    std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .ok();
    child.wait().ok();
    let cpu = (after - before) as f64 / ticks_per_second() / runs as f64;
    (cpu, peak)
}

/// The Python interpreter of the project venv (`make venv`), when it exists: it has boto3.
fn venv_python() -> Option<std::path::PathBuf> {
    let bin = std::env::var_os("KEL_VENV_BIN")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| concat!(env!("CARGO_MANIFEST_DIR"), "/.venv/bin").into());
    Some(bin.join("python")).filter(|p| p.exists())
}

/// CPU seconds per warm invocation of the Python + boto3 equivalent
/// (`benches/boto3_equivalent.py`) on `event`, or `None` without the venv.
fn boto3_cpu(endpoint: &str, event: &[u8]) -> Option<f64> {
    let python = venv_python()?;
    let file = std::env::temp_dir().join(format!("kel-cpu-{}.json", std::process::id()));
    std::fs::write(&file, event).unwrap();
    let output = std::process::Command::new(python)
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/benches/boto3_equivalent.py"
        ))
        .arg(&file)
        .arg(endpoint)
        .arg(warm_runs().min(10).to_string())
        .output()
        .unwrap();
    std::fs::remove_file(&file).ok();
    assert!(
        output.status.success(),
        "the boto3 equivalent failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let ms: f64 = String::from_utf8_lossy(&output.stdout)
        .trim()
        .parse()
        .unwrap();
    Some(ms / 1000.0)
}

/// `| records | event JSON | CPU per invocation | MB per CPU-second | peak RSS |` of one case.
fn row(records: usize, value_bytes: usize, event_bytes: usize, cpu: f64, peak: f64) -> String {
    let mb = event_bytes as f64 / 1e6;
    format!(
        "| {records} × {} KB | {mb:.2} MB | {:.1} ms | {:.1} | {peak:.1} MB |",
        value_bytes / 1024,
        cpu * 1000.0,
        mb / cpu
    )
}

fn event(records: usize, value_bytes: usize) -> Vec<u8> {
    serde_json::to_vec(&events::padded_event("cpu", records, value_bytes)).unwrap()
}

fn main() {
    let (quick, runtime) = (support::bench_as_test(), support::bench_runtime());
    runtime.block_on(async {
        let server = FaultServer::start(Schedule::accept_all()).await;
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
        println!(
            "| records | event JSON | CPU per invocation | MB of event per CPU-second | peak RSS | Python + boto3 CPU | ratio |"
        );
        println!("|---|---|---|---|---|---|---|");
        for &(records, value_bytes) in &cases {
            let bytes = event(records, value_bytes);
            let (cpu, peak) = cpu_per_invocation(&server.endpoint, &bytes, None).await;
            // The Python equivalent takes seconds per run: only in a real bench run.
            let python = if quick {
                None
            } else {
                boto3_cpu(&server.endpoint, &bytes)
            };
            let (python_ms, ratio) = python.map_or(("n/a".into(), "n/a".into()), |p| {
                (format!("{:.0} ms", p * 1000.0), format!("{:.1}×", p / cpu))
            });
            let row = row(records, value_bytes, bytes.len(), cpu, peak);
            println!("{row} {python_ms} | {ratio} |");
        }
        // The same invocations on a Custom Event Bus: 100 entries a call, CBOR (no escaping of
        // the detail), against the CBOR stub answering at once.
        let v2 = EventsV2::start(Duration::ZERO).await;
        println!("\nThe same on a Custom Event Bus (aws-sdk-eventbridgev2, 100 entries a call)");
        println!("| records | event JSON | CPU per invocation | MB of event per CPU-second | peak RSS |");
        println!("|---|---|---|---|---|");
        for &(records, value_bytes) in &cases {
            let bytes = event(records, value_bytes);
            let (cpu, peak) = cpu_per_invocation(&v2.endpoint, &bytes, Some(BUS_ARN)).await;
            println!("{}", row(records, value_bytes, bytes.len(), cpu, peak));
        }
    });
}
