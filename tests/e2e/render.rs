//! The dry run tells the truth: for every sample event, `render`'s PutEvents bodies, S3 objects
//! and batchItemFailures equal what the real binary, invoked through cargo-lambda with the same
//! event and environment, sends to a recording server and answers. Object keys are random in the
//! function and seeded in `render`; both are UUIDs, compared as such.

use crate::support;

use std::process::Command;
use std::time::Duration;
use support::events::sample_event_files;

use serde_json::{Value, json};
use support::recorder::{Call, Recorder};
use support::{Data, Function};

/// `text` with every UUID replaced by `<uuid>`.
fn without_uuids(text: &str) -> String {
    let bytes = text.as_bytes();
    let is_uuid = |s: &[u8]| {
        s.len() == 36
            && s.iter().enumerate().all(|(i, c)| match i {
                8 | 13 | 18 | 23 => *c == b'-',
                _ => c.is_ascii_hexdigit(),
            })
    };
    let (mut out, mut i) = (String::new(), 0);
    while i < bytes.len() {
        if i + 36 <= bytes.len() && is_uuid(&bytes[i..i + 36]) {
            out.push_str("<uuid>");
            i += 36;
        } else {
            let c = text[i..].chars().next().unwrap();
            out.push(c);
            i += c.len_utf8();
        }
    }
    out
}

fn normalized(call: &Call) -> Value {
    let (kind, value) = match call {
        Call::PutEvents(v) => ("PutEvents", v),
        Call::PutObject(v) => ("PutObject", v),
    };
    json!({kind: without_uuids(&value.to_string())})
}

/// Runs `render` on `event` with `env`: its documents (objects, calls, response) and stderr.
fn render(env: &[(&str, &str)], event: &str, trace: Option<&str>) -> (Vec<Call>, Value, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_kafka-eventbridge-lambda"));
    command
        .env_clear()
        .envs(env.iter().copied())
        .args(["render", "--event", event, "--seed", "42"])
        .current_dir(env!("CARGO_MANIFEST_DIR"));
    if let Some(trace) = trace {
        command.args(["--trace-header", trace]);
    }
    let output = command.output().unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(output.status.success(), "render {event} failed: {stderr}");
    let stdout = String::from_utf8(output.stdout).unwrap();
    let mut documents: Vec<Value> = stdout
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let response = documents.pop().unwrap();
    let calls = documents
        .into_iter()
        .map(|d| {
            if d.get("Entries").is_some() {
                Call::PutEvents(d)
            } else {
                Call::PutObject(d)
            }
        })
        .collect();
    (calls, response, stderr)
}

async fn check(extra: &[(&str, &str)]) {
    let recorder = Recorder::start(Duration::ZERO).await;
    let endpoint = recorder.endpoint.clone();
    let mut env = vec![
        ("AWS_ACCESS_KEY_ID", "test"),
        ("AWS_SECRET_ACCESS_KEY", "test"),
        ("AWS_REGION", "us-east-1"),
        ("AWS_ENDPOINT_URL", endpoint.as_str()),
        ("AWS_EVENTBRIDGE_CONNECTOR_ID", "render"),
        (
            "AWS_EVENTBRIDGE_EVENTBUS_ARN",
            "arn:aws:events:us-east-1:123456789012:event-bus/render",
        ),
        // One call at a time: the recording is then in call order.
        ("AWS_EVENTBRIDGE_MAX_INFLIGHT_REQUESTS", "1"),
        ("AWS_EVENTBRIDGE_METRICS", "off"),
    ];
    env.extend_from_slice(extra);
    let s3_endpoint = (
        "AWS_EVENTBRIDGE_OFFLOADING_DEFAULT_S3_ENDPOINT_URI",
        &*endpoint,
    );
    if extra.iter().any(|(k, _)| k.contains("OFFLOADING")) {
        env.push(s3_endpoint);
    }
    let function = Function::start_with_env(&env);
    let mut objects = 0;
    let mut filtered = 0;
    for event in sample_event_files() {
        let response = function.invoke(Data::File(&event)).unwrap();
        let sent = recorder.take();
        let trace = sent.iter().find_map(|call| match call {
            Call::PutEvents(body) => body["Entries"][0]["TraceHeader"]
                .as_str()
                .map(str::to_owned),
            Call::PutObject(_) => None,
        });
        // Without credentials: render must not need any.
        let offline: Vec<_> = env
            .iter()
            .copied()
            .filter(|(k, _)| !k.starts_with("AWS_ACCESS_KEY") && !k.starts_with("AWS_SECRET"))
            .collect();
        let (rendered, rendered_response, reasons) = render(&offline, &event, trace.as_deref());
        // Nothing sent only when every record failed (the Avro sample without a registry).
        assert!(
            sent.iter().any(|c| matches!(c, Call::PutEvents(_)))
                || response["batchItemFailures"].as_array().map(Vec::len)
                    == Some(support::events::record_count(&event)),
            "{event}: the function sent nothing"
        );
        assert_eq!(
            rendered.iter().map(normalized).collect::<Vec<_>>(),
            sent.iter().map(normalized).collect::<Vec<_>>(),
            "{event} with {extra:?}: render differs from what the function sent"
        );
        assert_eq!(rendered_response, response, "{event} with {extra:?}");
        objects += sent
            .iter()
            .filter(|c| matches!(c, Call::PutObject(_)))
            .count();
        let failed = response["batchItemFailures"].as_array().unwrap().len();
        assert_eq!(
            reasons.matches("not delivered: ").count(),
            failed,
            "{event}: one reason per failed record: {reasons}"
        );
        // Every record is sent, reported or shown as filtered out.
        let left_out = reasons
            .matches("filtered out (acknowledged, not sent): ")
            .count();
        let put: usize = sent
            .iter()
            .map(|c| match c {
                Call::PutEvents(body) => body["Entries"].as_array().map_or(0, Vec::len),
                Call::PutObject(_) => 0,
            })
            .sum();
        assert_eq!(
            put + failed + left_out,
            support::events::record_count(&event),
            "{event}: {reasons}"
        );
        filtered += left_out;
    }
    let filtering = extra
        .iter()
        .any(|(k, _)| *k == "AWS_EVENTBRIDGE_FILTER_PATTERNS");
    assert_eq!(filtered > 0, filtering, "{filtered} records filtered out");
    let offloading = env.contains(&s3_endpoint);
    assert_eq!(objects > 0, offloading, "{objects} objects stored");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn render_equals_what_the_function_sends() {
    check(&[]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn render_equals_what_the_function_sends_with_time_resources_and_offload() {
    check(&[
        ("AWS_EVENTBRIDGE_TIME_MAPPER", "record-timestamp"),
        (
            "AWS_EVENTBRIDGE_EVENTBUS_RESOURCES",
            "arn:aws:kafka:a,arn:aws:kafka:b",
        ),
        ("AWS_EVENTBRIDGE_DETAIL_TYPES", "${topic}-type"),
        (
            "AWS_EVENTBRIDGE_OFFLOADING_DEFAULT_S3_BUCKET",
            "render-offload",
        ),
        ("AWS_EVENTBRIDGE_OFFLOADING_DEFAULT_THRESHOLD_BYTES", "200"),
    ])
    .await;
}

/// With a filter, the dry run names the records it leaves out, and the function sends what the
/// dry run shows.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn render_equals_what_the_function_sends_with_a_filter() {
    let offsets = "[11, 101, 201, 4711, 1006, 1009, 203, 5001]";
    check(&[(
        "AWS_EVENTBRIDGE_FILTER_PATTERNS",
        &format!(r#"{{"detail":{{"offset":[{{"anything-but":{offsets}}}]}}}}"#),
    )])
    .await;
}

#[test]
fn render_names_the_invalid_variable_and_exits_non_zero() {
    let output = Command::new(env!("CARGO_BIN_EXE_kafka-eventbridge-lambda"))
        .env_clear()
        .env("AWS_EVENTBRIDGE_CONNECTOR_ID", "render")
        .env("AWS_EVENTBRIDGE_EVENTBUS_ARN", "not-an-arn")
        .args(["render", "--event", "events/msk.json"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(output.stdout.is_empty());
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.contains("invalid configuration") && stderr.contains("AWS_EVENTBRIDGE_EVENTBUS_ARN"),
        "{stderr}"
    );
}
