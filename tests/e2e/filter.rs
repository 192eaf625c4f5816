//! `AWS_EVENTBRIDGE_FILTER_PATTERNS` through the real binary under cargo-lambda against moto:
//! the records each pattern keeps arrive, the others are acknowledged (never in
//! `batchItemFailures`), counted in the summary line and as `RecordsFiltered`, and a record
//! that cannot be decoded is reported whatever the filter.

use crate::support;

use serde_json::{Value, json};
use support::events::b64;
use support::{Data, deploy, failures};

/// Five patterns, two operator families or more each.
const PATTERNS: &str = r#"[
  {"detail": {"topic": ["orders"], "headers": {"tenant": [{"equals-ignore-case": "ACME"}]}}},
  {"detail": {"key": [{"prefix": "vip-"}], "value": {"amount": [{"numeric": [">=", 100]}]}}},
  {"detail": {"topic": [{"wildcard": "audit.*.eu"}], "value": {"ip": [{"cidr": "10.0.0.0/8"}]}}},
  {"detail": {"topic": [{"suffix": ".dlq"}], "headers": {"retry": [{"exists": false}]}}},
  {"detail": {"$or": [
      {"key": [{"anything-but": {"prefix": "test-"}}], "partition": [3]},
      {"timestampType": ["LogAppendTime"]}]}}
]"#;

/// One record; `headers` as `(name, text)` pairs.
fn record(
    topic: &str,
    partition: i64,
    offset: i64,
    key: &str,
    value: &str,
    headers: &[(&str, &str)],
) -> Value {
    let headers: Vec<Value> = headers
        .iter()
        .map(|(name, text)| json!({ *name: text.bytes().collect::<Vec<u8>>() }))
        .collect();
    json!({"topic": topic, "partition": partition, "offset": offset, "timestamp": 1,
           "timestampType": "CREATE_TIME", "key": b64(key), "value": b64(value),
           "headers": headers})
}

/// The records, each kept by one pattern or by none; offset 11 cannot be decoded.
fn event() -> Value {
    let records = [
        record(
            "orders",
            0,
            1,
            "k1",
            r#"{"amount":1}"#,
            &[("tenant", "acme")],
        ),
        record(
            "orders",
            0,
            2,
            "k2",
            r#"{"amount":1}"#,
            &[("tenant", "other")],
        ),
        record("payments", 0, 3, "vip-1", r#"{"amount":150}"#, &[]),
        record("payments", 0, 4, "vip-2", r#"{"amount":50}"#, &[]),
        record("audit.login.eu", 0, 5, "a", r#"{"ip":"10.1.2.3"}"#, &[]),
        record("audit.login.us", 0, 6, "a", r#"{"ip":"10.1.2.3"}"#, &[]),
        record("orders.dlq", 0, 7, "d", "{}", &[]),
        record("orders.dlq", 0, 8, "d", "{}", &[("retry", "1")]),
        record("misc", 3, 9, "real", "{}", &[]),
        record("misc", 3, 10, "test-1", "{}", &[]),
        record("orders", 0, 11, "k3", "{not json", &[("tenant", "acme")]),
    ];
    let mut appended = record("misc", 0, 12, "test-2", "{}", &[]);
    appended["timestampType"] = json!("LOG_APPEND_TIME");
    let mut partitions = serde_json::Map::new();
    for r in records.into_iter().chain([appended]) {
        let key = format!("{}-{}", r["topic"].as_str().unwrap(), r["partition"]);
        partitions
            .entry(key)
            .or_insert_with(|| json!([]))
            .as_array_mut()
            .unwrap()
            .push(r);
    }
    json!({"eventSource": "aws:kafka", "records": partitions})
}

#[tokio::test(flavor = "multi_thread")]
async fn each_pattern_keeps_its_records_and_the_rest_are_acknowledged() {
    let env = [
        ("AWS_EVENTBRIDGE_CONNECTOR_ID", "e2e"),
        ("AWS_EVENTBRIDGE_FILTER_PATTERNS", PATTERNS),
    ];
    let (_moto, bus, function) = deploy("filter", &env).await;
    let response = function
        .invoke(Data::Ascii(&event().to_string()))
        .expect("invocation succeeds");
    assert_eq!(failures(&response), [("orders-0".to_owned(), 11)]);
    let mut offsets: Vec<i64> = bus
        .events(6)
        .await
        .iter()
        .map(|e| e["detail"]["offset"].as_i64().unwrap())
        .collect();
    offsets.sort_unstable();
    assert_eq!(offsets, [1, 3, 5, 7, 9, 12]);
    let log = function.log_when(0, support::has_metrics);
    let summary = log
        .lines()
        .find(|l| l.contains("Invocation done."))
        .unwrap();
    assert!(
        summary.contains("filtered=5") && summary.contains("failed=1"),
        "{summary}"
    );
    let emf: Value = log
        .lines()
        .find(|l| l.starts_with(r#"{"_aws""#))
        .map(|l| serde_json::from_str(l).unwrap())
        .unwrap();
    assert_eq!(
        (
            &emf["RecordsReceived"],
            &emf["RecordsDelivered"],
            &emf["RecordsFiltered"],
            &emf["RecordsFailed"]
        ),
        (&json!(12.0), &json!(6.0), &json!(5.0), &json!(1.0))
    );
}

/// A bad pattern stops the cold start, naming the variable and the reason.
#[tokio::test(flavor = "multi_thread")]
async fn a_bad_pattern_stops_the_cold_start() {
    for (pattern, reason) in [
        (r#"{"detail":{"topic":["a"]"#, "is not JSON"),
        (
            r#"{"detail":{"topic":[{"regex":"a.*"}]}}"#,
            "`regex` is not an EventBridge comparison operator",
        ),
        (
            r#"{"detail":{"topic":"orders"}}"#,
            "must be an array of values or an object",
        ),
        (
            r#"{"account":["123456789012"]}"#,
            "`account`, which EventBridge sets",
        ),
    ] {
        let (started, text) = support::cold_start(&[
            ("AWS_EVENTBRIDGE_CONNECTOR_ID", "c"),
            (
                "AWS_EVENTBRIDGE_EVENTBUS_ARN",
                "arn:aws:events:us-east-1:123456789012:event-bus/b",
            ),
            ("AWS_EVENTBRIDGE_FILTER_PATTERNS", pattern),
        ]);
        assert!(!started, "{pattern}");
        assert!(
            text.contains("`AWS_EVENTBRIDGE_FILTER_PATTERNS`="),
            "{text}"
        );
        assert!(text.contains(reason), "{pattern}: {text}");
    }
}
