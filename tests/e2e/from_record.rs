//! The detail-type and `Time` taken from the record, through the real binary under cargo-lambda
//! against moto: CloudEvents in binary and structured mode, a time header, a time field; with
//! and without what they read (the topic's detail-type, EventBridge's own time, counted).

use crate::support;

use serde_json::{Value, json};
use support::events::b64;
use support::{Data, deploy, failures};

/// 1700000000123 ms, at EventBridge's second precision.
const TIME: &str = "2023-11-14T22:13:20Z";
const RFC3339: &str = "2023-11-14T22:13:20.123Z";

fn record(offset: i64, value: &str, headers: &[(&str, &str)]) -> Value {
    let headers: Vec<Value> = headers
        .iter()
        .map(|(name, text)| json!({ *name: text.bytes().collect::<Vec<u8>>() }))
        .collect();
    json!({"topic": "orders", "partition": 0, "offset": offset, "timestamp": 1,
           "timestampType": "CREATE_TIME", "key": null, "value": b64(value), "headers": headers})
}

/// Invokes the function (deployed with `env`) with `records`; every one is delivered. The
/// events by offset as `(detail-type, time)`, and the invocation's EMF document.
async fn run(
    queue: &str,
    env: &[(&str, &str)],
    records: Vec<Value>,
) -> (Vec<(String, String)>, Value) {
    let mut env = env.to_vec();
    env.push(("AWS_EVENTBRIDGE_CONNECTOR_ID", "e2e"));
    env.push(("AWS_EVENTBRIDGE_DETAIL_TYPES", "orders:Order"));
    let (_moto, bus, function) = deploy(queue, &env).await;
    let count = records.len();
    let event = json!({"eventSource": "aws:kafka", "records": {"orders-0": records}});
    let response = function.invoke(Data::Ascii(&event.to_string())).unwrap();
    assert_eq!(failures(&response), []);
    let mut events: Vec<(i64, String, String)> = bus
        .events(count)
        .await
        .iter()
        .map(|e| {
            let offset = e["detail"]["offset"].as_i64().unwrap();
            (
                offset,
                e["detail-type"].as_str().unwrap().to_owned(),
                e["time"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    events.sort();
    let log = function.log_when(0, support::has_metrics);
    let emf = log
        .lines()
        .find(|l| l.starts_with(r#"{"_aws""#))
        .map(|l| serde_json::from_str(l).unwrap())
        .unwrap();
    (
        events.into_iter().map(|(_, t, time)| (t, time)).collect(),
        emf,
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn cloudevents_binary_and_structured() {
    let env = [
        ("AWS_EVENTBRIDGE_DETAIL_TYPES_MAPPER", "cloudevents"),
        ("AWS_EVENTBRIDGE_TIME_MAPPER", "cloudevents"),
    ];
    let structured = json!({"specversion": "1.0", "type": "com.example.order.paid", "time": RFC3339,
                            "source": "/orders", "id": "2", "data": {"n": 1}});
    let records = vec![
        record(
            1,
            r#"{"n":1}"#,
            &[
                ("ce_specversion", "1.0"),
                ("ce_type", "com.example.order.created"),
                ("ce_time", RFC3339),
                ("ce_source", "/orders"),
                ("ce_id", "1"),
            ],
        ),
        record(
            2,
            &structured.to_string(),
            &[("content-type", "application/cloudevents+json")],
        ),
        record(3, r#"{"n":1}"#, &[]),
    ];
    let (events, emf) = run("cloudevents", &env, records).await;
    assert_eq!(
        events[0],
        ("com.example.order.created".to_owned(), TIME.to_owned())
    );
    assert_eq!(
        events[1],
        ("com.example.order.paid".to_owned(), TIME.to_owned())
    );
    assert_eq!(events[2].0, "Order");
    assert_ne!(
        events[2].1, TIME,
        "no time in the record: EventBridge's own"
    );
    assert_eq!(emf["RecordsTimeUnset"], 1.0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_time_header() {
    let env = [
        ("AWS_EVENTBRIDGE_TIME_MAPPER", "header"),
        ("AWS_EVENTBRIDGE_TIME_HEADER", "event-time"),
    ];
    let records = vec![
        record(1, "{}", &[("event-time", RFC3339)]),
        record(2, "{}", &[("event-time", "1700000000123")]),
        record(3, "{}", &[("event-time", "not a time")]),
        record(4, "{}", &[]),
    ];
    let (events, emf) = run("timeheader", &env, records).await;
    assert_eq!((events[0].1.as_str(), events[1].1.as_str()), (TIME, TIME));
    assert!(
        events[2..].iter().all(|(_, time)| time != TIME),
        "{events:?}"
    );
    assert_eq!(emf["RecordsTimeUnset"], 2.0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_time_field() {
    let env = [
        ("AWS_EVENTBRIDGE_TIME_MAPPER", "jsonpath"),
        ("AWS_EVENTBRIDGE_TIME_JSONPATHMAPPER_FIELDREF", "$.meta.at"),
    ];
    let records = vec![
        record(1, &format!(r#"{{"meta":{{"at":"{RFC3339}"}}}}"#), &[]),
        record(2, r#"{"meta":{"at":1700000000123}}"#, &[]),
        record(3, r#"{"meta":{}}"#, &[]),
    ];
    let (events, emf) = run("timefield", &env, records).await;
    assert_eq!((events[0].1.as_str(), events[1].1.as_str()), (TIME, TIME));
    assert_ne!(events[2].1, TIME);
    assert_eq!(emf["RecordsTimeUnset"], 1.0);
}
