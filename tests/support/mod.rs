//! Test support: a real moto server, real SDK clients, and the real function binary served by
//! cargo-lambda's runtime emulator. Every process started here is stopped when its guard drops.
//!
//! The tools come from the project venv (`make venv`); `KEL_VENV_BIN` points elsewhere.

#![allow(
    dead_code,
    unreachable_pub,
    reason = "each test binary uses a part of the shared support"
)]

pub mod aws;
pub mod config;
pub mod events;
pub mod eventsv2;
pub mod fakes;
pub mod faults;
pub mod http;
pub mod quota;
pub mod recorder;
pub mod registry;
pub mod runtime_api;
pub mod schemas;

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

pub const ACCOUNT: &str = "123456789012";
pub const REGION: &str = "us-east-1";

/// The venv's `bin` folder, with moto_server and cargo-lambda.
/// Whether a bench runs as a test: `cargo test --all-targets` runs each bench once without
/// `--bench`, and it then runs one small case.
pub fn bench_as_test() -> bool {
    std::env::args().all(|a| a != "--bench")
}

/// The multi-threaded runtime a bench runs on.
pub fn bench_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime")
}

/// Asserts that `text` contains `part`, showing `text` when it does not.
#[track_caller]
pub fn assert_contains(text: &str, part: &str) {
    assert!(text.contains(part), "{part:?} not in: {text}");
}

pub fn venv_bin() -> PathBuf {
    let dir = std::env::var_os("KEL_VENV_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv/bin"));
    assert!(
        dir.join("moto_server").exists() && dir.join("cargo-lambda").exists(),
        "moto_server and cargo-lambda not found in {}: run `make venv` first (or set KEL_VENV_BIN)",
        dir.display()
    );
    dir
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free local port")
}

fn wait_for_port(port: u16, what: &str, child: &mut Child) {
    let start = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        if let Ok(Some(status)) = child.try_wait() {
            panic!("{what} exited early with {status}");
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "{what} did not listen on {port} within 60 s"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Polls `check` every 20 ms until it gives `Some`, for at most `within`: a wait on a
/// condition with a deadline, never a fixed sleep. `None` when the deadline passed.
pub fn eventually<T>(within: Duration, mut check: impl FnMut() -> Option<T>) -> Option<T> {
    let deadline = Instant::now() + within;
    loop {
        if let Some(found) = check() {
            return Some(found);
        }
        if Instant::now() >= deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Whether `log` holds the invocation's EMF document: the function writes it after the
/// invocation's last log line, so the invocation's lines are all there.
pub fn has_metrics(log: &str) -> bool {
    log.lines().any(|l| l.starts_with(r#"{"_aws""#))
}

/// A child process that is killed when dropped.
pub struct Guard(pub Child);

impl Drop for Guard {
    fn drop(&mut self) {
        // The process may already have exited; either way it is gone afterwards.
        self.0.kill().ok();
        self.0.wait().ok();
    }
}

/// A moto server on 127.0.0.1 with its own state.
pub struct Moto {
    pub endpoint: String,
    _process: Guard,
}

impl Moto {
    pub fn start() -> Self {
        let port = free_port();
        let mut child = Command::new(venv_bin().join("moto_server"))
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("moto_server starts");
        wait_for_port(port, "moto_server", &mut child);
        Self {
            endpoint: format!("http://127.0.0.1:{port}"),
            _process: Guard(child),
        }
    }

    pub fn eventbridge(&self) -> aws_sdk_eventbridge::Client {
        aws_sdk_eventbridge::Client::new(&aws::sdk_config(Some(&self.endpoint)))
    }

    pub fn sqs(&self) -> aws_sdk_sqs::Client {
        aws_sdk_sqs::Client::new(&aws::sdk_config(Some(&self.endpoint)))
    }

    #[allow(dead_code, reason = "not every test binary reads a schema registry")]
    pub fn glue(&self) -> aws_sdk_glue::Client {
        aws_sdk_glue::Client::new(&aws::sdk_config(Some(&self.endpoint)))
    }

    #[allow(dead_code, reason = "not every test binary reads a secret")]
    pub fn secrets_manager(&self) -> aws_sdk_secretsmanager::Client {
        aws_sdk_secretsmanager::Client::new(&aws::sdk_config(Some(&self.endpoint)))
    }

    /// Creates the secret `name` holding `text`; its ARN.
    pub async fn secret(&self, name: &str, text: &str) -> String {
        let created = self
            .secrets_manager()
            .create_secret()
            .name(name)
            .secret_string(text)
            .send()
            .await
            .expect("a secret");
        created.arn().expect("an ARN").to_owned()
    }

    /// Creates `name` (BACKWARD compatibility) in the Glue registry `registry` (created unless
    /// there already); the schema version id.
    pub async fn glue_schema(
        &self,
        registry: &str,
        name: &str,
        format: aws_sdk_glue::types::DataFormat,
        definition: &str,
    ) -> uuid::Uuid {
        let glue = self.glue();
        // Already there for the second schema of a test: that is fine.
        drop(glue.create_registry().registry_name(registry).send().await);
        let created = glue
            .create_schema()
            .registry_id(
                aws_sdk_glue::types::RegistryId::builder()
                    .registry_name(registry)
                    .build(),
            )
            .schema_name(name)
            .data_format(format)
            .compatibility(aws_sdk_glue::types::Compatibility::Backward)
            .schema_definition(definition)
            .send()
            .await
            .expect("create schema");
        created
            .schema_version_id()
            .and_then(|id| id.parse().ok())
            .expect("a schema version id")
    }

    pub fn s3(&self) -> aws_sdk_s3::Client {
        let shared = aws::sdk_config(Some(&self.endpoint));
        let config = aws_sdk_s3::config::Builder::from(&shared)
            .force_path_style(true)
            .build();
        aws_sdk_s3::Client::from_conf(config)
    }

    pub async fn create_bucket(&self, name: &str) {
        self.s3()
            .create_bucket()
            .bucket(name)
            .send()
            .await
            .expect("create bucket");
    }

    /// The body and content type of `s3://bucket/key`.
    pub async fn object(&self, bucket: &str, key: &str) -> (Vec<u8>, Option<String>) {
        let out = self
            .s3()
            .get_object()
            .bucket(bucket)
            .key(key)
            .send()
            .await
            .unwrap_or_else(|e| panic!("get s3://{bucket}/{key}: {e:?}"));
        let content_type = out.content_type.clone();
        let body = out
            .body
            .collect()
            .await
            .expect("body")
            .into_bytes()
            .to_vec();
        (body, content_type)
    }

    /// Creates a bus, a queue, and a rule that sends every `kafka-connect.*` event to the queue.
    pub async fn bus_to_queue(&self, name: &str) -> BusQueue {
        let eb = self.eventbridge();
        let sqs = self.sqs();
        eb.create_event_bus()
            .name(name)
            .send()
            .await
            .expect("create bus");
        let queue_url = sqs
            .create_queue()
            .queue_name(name)
            .send()
            .await
            .expect("create queue")
            .queue_url
            .expect("queue url");
        eb.put_rule()
            .name(format!("{name}-all"))
            .event_bus_name(name)
            .event_pattern(r#"{"source":[{"prefix":"kafka-connect."}]}"#)
            .send()
            .await
            .expect("put rule");
        let target = aws_sdk_eventbridge::types::Target::builder()
            .id("queue")
            .arn(format!("arn:aws:sqs:{REGION}:{ACCOUNT}:{name}"))
            .build()
            .expect("target");
        eb.put_targets()
            .rule(format!("{name}-all"))
            .event_bus_name(name)
            .targets(target)
            .send()
            .await
            .expect("put targets");
        BusQueue {
            bus_arn: format!("arn:aws:events:{REGION}:{ACCOUNT}:event-bus/{name}"),
            queue_url,
            sqs,
        }
    }
}

/// A bus whose events land in a queue.
pub struct BusQueue {
    pub bus_arn: String,
    pub queue_url: String,
    sqs: aws_sdk_sqs::Client,
}

impl BusQueue {
    /// Receives (and deletes) events until `expected` have arrived, then waits a little longer to
    /// catch any extra; returns them all, as delivered (the EventBridge envelope).
    pub async fn events(&self, expected: usize) -> Vec<Value> {
        self.raw_events(expected)
            .await
            .iter()
            .map(|body| serde_json::from_str(body).expect("an event"))
            .collect()
    }

    /// As [`Self::events`], as the JSON text delivered (member order as EventBridge keeps it).
    pub async fn raw_events(&self, expected: usize) -> Vec<String> {
        let mut out = Vec::new();
        let start = Instant::now();
        let mut quiet_since: Option<Instant> = None;
        loop {
            let received = self
                .sqs
                .receive_message()
                .queue_url(&self.queue_url)
                .max_number_of_messages(10)
                .wait_time_seconds(if out.len() >= expected { 0 } else { 1 })
                .send()
                .await
                .expect("receive");
            let messages = received.messages.unwrap_or_default();
            for m in &messages {
                out.push(m.body().expect("body").to_owned());
                self.sqs
                    .delete_message()
                    .queue_url(&self.queue_url)
                    .receipt_handle(m.receipt_handle().expect("handle"))
                    .send()
                    .await
                    .expect("delete");
            }
            if out.len() >= expected {
                if !messages.is_empty() {
                    quiet_since = None;
                }
                let since = *quiet_since.get_or_insert_with(Instant::now);
                if since.elapsed() > Duration::from_millis(500) {
                    return out;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            } else if start.elapsed() > Duration::from_secs(30) {
                panic!(
                    "only {} of {expected} events arrived within 30 s",
                    out.len()
                );
            }
        }
    }
}

/// The function binary, served by `cargo lambda watch --only-lambda-apis` (the Lambda runtime
/// API emulator) and invoked with `cargo lambda invoke`.
pub struct Function {
    port: u16,
    log: PathBuf,
    _function: Guard,
    _emulator: Emulator,
}

/// `cargo lambda watch`. With `--concurrency` above 1, cargo-lambda 1.9 starts the function
/// with `cargo run` anyway (despite `--only-lambda-apis`), each in a session of its own: left
/// alone, those outlive the test and build the dependency tree again (without the
/// dev-dependencies' features) while the next tests run. Dropping the emulator stops them.
struct Emulator(Child);

impl Drop for Emulator {
    fn drop(&mut self) {
        for child in children_of(self.0.id()) {
            // Each leads its own process group (cargo and the rustc it runs).
            Command::new("kill")
                .args(["-KILL", "--", &format!("-{child}")])
                .stderr(Stdio::null())
                .status()
                .ok();
        }
        self.0.kill().ok();
        self.0.wait().ok();
    }
}

/// The processes whose parent is `pid` (from `/proc/<pid>/stat`).
fn children_of(pid: u32) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|candidate| {
            // `pid (comm) state ppid …`; the name may hold spaces and parentheses.
            std::fs::read_to_string(format!("/proc/{candidate}/stat"))
                .ok()
                .and_then(|stat| {
                    let after_name = &stat[stat.rfind(')')? + 1..];
                    after_name.split_whitespace().nth(1)?.parse::<u32>().ok()
                })
                == Some(pid)
        })
        .collect()
}

impl Function {
    /// Starts the emulator and the binary with `env` (plus dummy credentials pointed at `moto`).
    pub fn start(moto: &Moto, env: &[(&str, &str)]) -> Self {
        let mut all = vec![
            ("AWS_ACCESS_KEY_ID", "test"),
            ("AWS_SECRET_ACCESS_KEY", "test"),
            ("AWS_ENDPOINT_URL", moto.endpoint.as_str()),
        ];
        all.extend_from_slice(env);
        Self::start_with_env(&all)
    }

    /// Starts the emulator and the binary with exactly `env` (and the runtime API variables).
    pub fn start_with_env(env: &[(&str, &str)]) -> Self {
        Self::start_concurrent(env, 1)
    }

    /// As [`Self::start_with_env`], with an emulator that runs up to `concurrency`
    /// invocations at once (`cargo lambda watch --concurrency`).
    pub fn start_concurrent(env: &[(&str, &str)], concurrency: u32) -> Self {
        let binary = Path::new(env!("CARGO_BIN_EXE_kafka-eventbridge-lambda"));
        Self::start_binary(binary, env, concurrency)
    }

    /// As [`Self::start`], with the example `name` (built by `cargo test` beside the binary)
    /// in place of the function.
    pub fn start_example(moto: &Moto, name: &str, env: &[(&str, &str)]) -> Self {
        let binary = Path::new(env!("CARGO_BIN_EXE_kafka-eventbridge-lambda"))
            .parent()
            .expect("the binary's folder")
            .join("examples")
            .join(name);
        assert!(
            binary.exists(),
            "{} is missing: `cargo test` builds the examples",
            binary.display()
        );
        let mut all = vec![
            ("AWS_ACCESS_KEY_ID", "test"),
            ("AWS_SECRET_ACCESS_KEY", "test"),
            ("AWS_ENDPOINT_URL", moto.endpoint.as_str()),
        ];
        all.extend_from_slice(env);
        Self::start_binary(&binary, &all, 1)
    }

    fn start_binary(binary: &Path, env: &[(&str, &str)], concurrency: u32) -> Self {
        let port = free_port();
        let mut emulator = Command::new(venv_bin().join("cargo-lambda"))
            .args([
                "lambda",
                "watch",
                "--only-lambda-apis",
                "-A",
                "127.0.0.1",
                "-P",
                &port.to_string(),
                "--concurrency",
                &concurrency.to_string(),
            ])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("cargo lambda watch starts");
        wait_for_port(port, "cargo lambda watch", &mut emulator);
        let emulator = Emulator(emulator);
        let mut command = Command::new(binary);
        command
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env(
                "AWS_LAMBDA_RUNTIME_API",
                format!("http://127.0.0.1:{port}/.rt"),
            )
            .env("AWS_LAMBDA_FUNCTION_NAME", "_")
            .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256")
            .env("AWS_EC2_METADATA_DISABLED", "true");
        let log_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/test-logs");
        std::fs::create_dir_all(&log_dir).expect("log folder");
        let log = log_dir.join(format!("function-{port}.log"));
        let file = std::fs::File::create(&log).expect("log file");
        command
            .stdout(file.try_clone().expect("log file"))
            .stderr(file);
        for (k, v) in env {
            command.env(k, v);
        }
        let function = command.spawn().expect("the function binary starts");
        Self {
            port,
            log,
            _function: Guard(function),
            _emulator: emulator,
        }
    }

    /// The function process's peak resident memory since the last [`Self::reset_peak_rss`], in
    /// bytes (`VmHWM` of `/proc/<pid>/status`).
    pub fn peak_rss(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self._function.0.id()))
            .expect("the function's status");
        let kib: u64 = status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("VmHWM");
        kib * 1024
    }

    /// Resets the peak of [`Self::peak_rss`] to the current resident memory.
    pub fn reset_peak_rss(&self) {
        std::fs::write(format!("/proc/{}/clear_refs", self._function.0.id()), "5")
            .expect("clear_refs");
    }

    /// Everything the function wrote to stdout and stderr so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).expect("the function's log")
    }

    /// The log from byte `from` on, once `done` holds for it, or as it is after 10 s (the
    /// test's own assertions then say what is missing). The emulator relays the function's
    /// lines after its answer, so a test waits for the line it reads, not for a fixed time.
    pub fn log_when(&self, from: usize, done: impl Fn(&str) -> bool) -> String {
        let log = || self.log().get(from..).unwrap_or_default().to_owned();
        eventually(Duration::from_secs(10), || Some(log()).filter(|l| done(l))).unwrap_or_else(log)
    }

    /// Invokes the function with `cargo lambda invoke`: `Ok(response)` or `Err(error text)`.
    pub fn invoke(&self, data: Data<'_>) -> Result<Value, String> {
        let mut command = Command::new(venv_bin().join("cargo-lambda"));
        command
            .args([
                "lambda",
                "invoke",
                "--invoke-address",
                "127.0.0.1",
                "--invoke-port",
                &self.port.to_string(),
            ])
            .current_dir(env!("CARGO_MANIFEST_DIR"));
        match data {
            Data::File(path) => command.args(["--data-file", path]),
            Data::Ascii(text) => command.args(["--data-ascii", text]),
        };
        command.arg("_");
        let Output {
            status,
            stdout,
            stderr,
        } = command.output().expect("cargo lambda invoke runs");
        let stdout = String::from_utf8_lossy(&stdout).into_owned();
        let stderr = String::from_utf8_lossy(&stderr).into_owned();
        if status.success() {
            Ok(serde_json::from_str(stdout.trim())
                .unwrap_or_else(|e| panic!("response {stdout:?} is not JSON: {e}")))
        } else {
            Err(format!("{stdout}{stderr}"))
        }
    }
}

/// What to invoke the function with.
#[derive(Debug, Clone, Copy)]
pub enum Data<'a> {
    /// A file, relative to the crate root.
    File(&'a str),
    /// Inline JSON.
    Ascii(&'a str),
}

/// The `detail` objects of `events`, sorted by (topic, partition, offset).
pub fn details_by_offset(events: &[Value]) -> Vec<Value> {
    let mut details: Vec<Value> = events.iter().map(|e| e["detail"].clone()).collect();
    details.sort_by_key(|d| {
        (
            d["topic"].as_str().unwrap_or_default().to_owned(),
            d["partition"].as_i64().unwrap_or_default(),
            d["offset"].as_i64().unwrap_or_default(),
        )
    });
    details
}

/// The `(partition key, offset)` pairs of a response's `batchItemFailures`, sorted.
pub fn failures(response: &Value) -> Vec<(String, i64)> {
    let mut out: Vec<(String, i64)> = response["batchItemFailures"]
        .as_array()
        .expect("batchItemFailures is a list")
        .iter()
        .map(|f| {
            let id = &f["itemIdentifier"];
            (
                id["partition"]
                    .as_str()
                    .expect("a partition key")
                    .to_owned(),
                id["offset"].as_i64().expect("an offset"),
            )
        })
        .collect();
    out.sort();
    out
}

/// A moto server with a bus that forwards to a queue named `queue`, and the function started
/// against it with `env` plus the bus's ARN.
pub async fn deploy(queue: &str, env: &[(&str, &str)]) -> (Moto, BusQueue, Function) {
    let moto = Moto::start();
    let bus = moto.bus_to_queue(queue).await;
    let mut env = env.to_vec();
    env.push(("AWS_EVENTBRIDGE_EVENTBUS_ARN", &bus.bus_arn));
    let function = Function::start(&moto, &env);
    (moto, bus, function)
}

/// Starts the real binary with only `env` (the cold start of a function so configured) and
/// returns whether it exited successfully, with its stdout and stderr.
pub fn cold_start(env: &[(&str, &str)]) -> (bool, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_kafka-eventbridge-lambda"))
        .env_clear()
        .envs(env.iter().copied())
        .output()
        .expect("the binary runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

/// The connector README's configuration example `name` (`tests/connector-configs/<name>.json`)
/// with a 12-digit account: its ARNs name a 10-digit one, which AWS (and the connector's own
/// validator) refuse.
pub fn readme_example(name: &str) -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/connector-configs/{name}.json")),
    )
    .expect("a README example")
    .replace(":1234567890:", ":123456789012:")
}

/// Runs the real binary's `migrate --config -` with `args`, `config` on its stdin: its stdout
/// and exit code.
pub fn migrate(config: &str, args: &[&str]) -> (String, i32) {
    use std::io::Write as _;
    let mut child = Command::new(env!("CARGO_BIN_EXE_kafka-eventbridge-lambda"))
        .args(["migrate", "--config", "-"])
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    child
        .stdin
        .take()
        .expect("a piped stdin")
        .write_all(config.as_bytes())
        .expect("the configuration is written");
    let output = child.wait_with_output().expect("migrate ends");
    (
        String::from_utf8(output.stdout).expect("UTF-8 output"),
        output.status.code().expect("an exit code"),
    )
}
