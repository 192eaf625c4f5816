//! Keys, values and headers never reach the logs: the real binary, at the default level and at
//! DEBUG (the function's and the AWS SDK's), handles a batch whose keys, values and headers
//! carry a marker (delivered, failing and offloaded records alike), and no log line holds it.

use crate::support;

use base64::Engine as _;
use serde_json::json;
use support::events::{event_json, record};
use support::{Data, Function, Moto, deploy};

const MARKER: &str = "S3CR3T-MARKER-7f3a";

fn event_with_marker() -> String {
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    let header = |s: &str| s.bytes().collect::<Vec<u8>>();
    let records = json!({"secrets-0": [
        {"topic": "secrets", "partition": 0, "offset": 1, "timestamp": 1, "timestampType": "CREATE_TIME",
         "key": b64(&format!("key-{MARKER}")), "value": b64(&json!({"password": MARKER}).to_string()),
         "headers": [{"authorization": header(&format!("Bearer {MARKER}"))}]},
        // Invalid JSON that holds the marker: the record fails, its reason must not quote it.
        {"topic": "secrets", "partition": 0, "offset": 2, "timestamp": 1, "timestampType": "CREATE_TIME",
         "key": b64(MARKER), "value": b64(&format!("{{\"password\": \"{MARKER}\", ")), "headers": []},
        // Not base64.
        {"topic": "secrets", "partition": 0, "offset": 3, "timestamp": 1, "timestampType": "CREATE_TIME",
         "key": MARKER, "value": MARKER, "headers": []},
        // Invalid UTF-8 around the marker, under the string key format.
        {"topic": "secrets", "partition": 0, "offset": 4, "timestamp": 1, "timestampType": "CREATE_TIME",
         "key": base64::engine::general_purpose::STANDARD.encode([MARKER.as_bytes(), &[0xff]].concat()),
         "value": b64(&json!({"big": MARKER.repeat(100)}).to_string()), "headers": []}
    ]});
    json!({"eventSource": "aws:kafka", "records": records}).to_string()
}

async fn check(level: Option<&str>) {
    let moto = Moto::start();
    let bus = moto.bus_to_queue("logs").await;
    moto.create_bucket("logs-offload").await;
    let mut env = vec![
        ("AWS_EVENTBRIDGE_CONNECTOR_ID", "logs"),
        ("AWS_EVENTBRIDGE_EVENTBUS_ARN", bus.bus_arn.as_str()),
        (
            "AWS_EVENTBRIDGE_OFFLOADING_DEFAULT_S3_BUCKET",
            "logs-offload",
        ),
        (
            "AWS_EVENTBRIDGE_OFFLOADING_DEFAULT_S3_ENDPOINT_URI",
            moto.endpoint.as_str(),
        ),
        ("AWS_EVENTBRIDGE_OFFLOADING_DEFAULT_THRESHOLD_BYTES", "1000"),
    ];
    if let Some(level) = level {
        env.push(("AWS_LAMBDA_LOG_LEVEL", level));
    }
    let function = Function::start(&moto, &env);
    let event = event_with_marker();
    let response = function
        .invoke(Data::Ascii(&event))
        .expect("invocation succeeds");
    assert_eq!(
        response["batchItemFailures"].as_array().unwrap().len(),
        3,
        "{response}"
    );
    assert_eq!(bus.events(1).await.len(), 1);
    // The invocation's lines are all written when its metrics are.
    let log = function.log_when(0, support::has_metrics);
    assert!(
        log.contains("Invocation done."),
        "the log is captured: {log}"
    );
    if level == Some("DEBUG") {
        assert!(log.contains("DEBUG"), "DEBUG lines are on");
    }
    for line in log.lines() {
        assert!(!line.contains(MARKER), "a log line leaks a payload: {line}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn no_payload_in_logs_at_the_default_level() {
    check(None).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn no_payload_in_logs_at_debug() {
    check(Some("DEBUG")).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_large_failing_batch_names_100_records_then_counts_the_rest() {
    let env = [
        ("AWS_EVENTBRIDGE_CONNECTOR_ID", "logs"),
        // A typo: warned at cold start with the closest known name, otherwise ignored.
        ("AWS_EVENTBRIDGE_RETRY_MAX", "3"),
    ];
    let (_moto, _bus, function) = deploy("bounded", &env).await;
    let invalid = (0..150).map(|offset| record("t", 0, offset, None, Some("{not json")));
    let event = event_json(invalid).to_string();
    let response = function
        .invoke(Data::Ascii(&event))
        .expect("invocation succeeds");
    assert_eq!(response["batchItemFailures"].as_array().unwrap().len(), 150);
    let log = function.log_when(0, support::has_metrics);
    let named = log.matches("Record not delivered").count();
    assert_eq!(
        named, 100,
        "one WARN line per record for the first 100: {log}"
    );
    let rest: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("More records not delivered"))
        .collect();
    assert_eq!(rest.len(), 1, "{log}");
    assert!(
        rest[0].contains("more=50") && rest[0].contains("decode=50"),
        "{}",
        rest[0]
    );
    let typo = log
        .lines()
        .find(|l| l.contains("Unknown AWS_EVENTBRIDGE_* variable"))
        .unwrap_or_else(|| panic!("no warning for the misspelled variable: {log}"));
    assert!(typo.contains("WARN"), "{typo}");
    assert!(typo.contains("AWS_EVENTBRIDGE_RETRY_MAX"), "{typo}");
    assert!(typo.contains("AWS_EVENTBRIDGE_RETRIES_MAX"), "{typo}");
}
