//! CPU per invocation, end to end: the real binary, warm, serves invocations from a stub Lambda
//! runtime API and sends through the real SDK client to a local PutEvents server that answers at
//! once. The figure is the process's CPU time (user + system, from `/proc/<pid>/stat`) over
//! `WARM_RUNS` warm invocations, per invocation, and the event JSON it handled per CPU-second.
//!
//! Then the same invocations on a Custom Event Bus, against the CBOR stub of the tests.
//!
//! Then sizing: the duration of a warm invocation of the template's default batch (500 records
//! of 1 KB) at 128 to 1,024 MB, with the binary held to Lambda's CPU share for that memory (a
//! cgroup CPU quota of memory ÷ 1,769 MB of one vCPU; it needs root and cgroup v1's `cpu`
//! controller, else the table says why it is missing), and what a million records cost.
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

/// Lambda gives a function one vCPU at 1,769 MB, and CPU in proportion to memory below that
/// (<https://docs.aws.amazon.com/lambda/latest/dg/configuration-memory.html>).
const MB_PER_VCPU: u64 = 1_769;
/// Lambda's arm64 price in us-east-1, USD per GB-second and per request
/// (<https://aws.amazon.com/lambda/pricing/>).
const USD_PER_GB_SECOND: f64 = 0.000_013_333_4;
const USD_PER_REQUEST: f64 = 0.000_000_2;
/// The template's default `BatchSize`.
const SIZING_RECORDS: usize = 500;

/// A cgroup (v1 `cpu`) that holds a process to `mem_mb` ÷ 1,769 of one CPU; removed on drop.
struct CpuShare(std::path::PathBuf);

impl CpuShare {
    fn new(mem_mb: u64) -> Result<Self, String> {
        let dir = std::path::PathBuf::from(format!(
            "/sys/fs/cgroup/cpu/kel-sizing-{}-{mem_mb}",
            std::process::id()
        ));
        std::fs::create_dir_all(&dir).map_err(|e| format!("no cgroup {}: {e}", dir.display()))?;
        let period = 100_000;
        let write = |file: &str, value: u64| {
            std::fs::write(dir.join(file), value.to_string())
                .map_err(|e| format!("cannot write {file}: {e}"))
        };
        write("cpu.cfs_period_us", period)?;
        write("cpu.cfs_quota_us", period * mem_mb / MB_PER_VCPU)?;
        Ok(Self(dir))
    }

    fn hold(&self, pid: u32) {
        std::fs::write(self.0.join("cgroup.procs"), pid.to_string()).unwrap();
    }
}

impl Drop for CpuShare {
    fn drop(&mut self) {
        std::fs::remove_dir(&self.0).ok();
    }
}

/// Wall time per warm invocation of `event`, the binary held to `share`.
async fn duration_per_invocation(endpoint: &str, event: &[u8], share: &CpuShare) -> Duration {
    let runs = warm_runs();
    let api = RuntimeApi::start(Bytes::copy_from_slice(event), 1 + runs).await;
    let binary = std::env::var_os("KEL_BINARY")
        .unwrap_or_else(|| env!("CARGO_BIN_EXE_kafka-eventbridge-lambda").into());
    let mut child = api.function(&binary, endpoint).spawn().unwrap();
    share.hold(child.id());
    while !api.seen().idle_after_first {
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let started = std::time::Instant::now();
    api.release();
    while api.seen().responses < 1 + runs {
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let took = started.elapsed();
    child.kill().ok();
    child.wait().ok();
    took / u32::try_from(runs).unwrap()
}

/// The sizing table: duration, billed duration, records per second and compute cost per
/// million records at each memory size.
async fn sizing(endpoint: &str, memories: &[u64], records: usize) {
    let bytes = event(records, 1_024);
    println!(
        "\nSizing: a warm invocation of {records} records × 1 KB under Lambda's CPU share (cgroup quota = memory ÷ {MB_PER_VCPU} MB), PutEvents answered at once"
    );
    println!(
        "| memory | CPU share | duration | billed | records per second | compute per million records (arm64) |"
    );
    println!("|---|---|---|---|---|---|");
    for &mem in memories {
        let share = match CpuShare::new(mem) {
            Ok(share) => share,
            Err(why) => {
                println!("| {mem} MB | not measured: {why} | | | | |");
                continue;
            }
        };
        let took = duration_per_invocation(endpoint, &bytes, &share).await;
        let billed_ms = took.as_secs_f64() * 1000.0;
        let billed_ms = billed_ms.ceil();
        let invocations = 1e6 / records as f64;
        let usd = invocations
            * (billed_ms / 1000.0 * mem as f64 / 1024.0 * USD_PER_GB_SECOND + USD_PER_REQUEST);
        println!(
            "| {mem} MB | {:.1} % | {:.1} ms | {billed_ms:.0} ms | {:.0} | USD {usd:.4} |",
            100.0 * mem as f64 / MB_PER_VCPU as f64,
            took.as_secs_f64() * 1000.0,
            records as f64 / took.as_secs_f64(),
        );
    }
    println!(
        "Beside it, per million 1 KB records: PutEvents USD 1.00 (per 64 KB chunk); EventBridge Pipes USD 0.40 (per 64 KB request, after filtering)."
    );
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
        if quick {
            sizing(&server.endpoint, &[1_024], 10).await;
        } else {
            sizing(&server.endpoint, &[128, 256, 512, 1_024], SIZING_RECORDS).await;
        }
    });
}
