//! End to end: the real function binary under cargo-lambda's runtime emulator, invoked with the
//! sample events of `events/`, putting events on a moto EventBridge bus whose rule forwards them
//! to an SQS queue. Asserts the exact events that arrive and the response.

use crate::support;

use serde_json::{Value, json};
use support::{BusQueue, Data, Moto, deploy, details_by_offset, failures};

const CONNECTOR: (&str, &str) = ("AWS_EVENTBRIDGE_CONNECTOR_ID", "e2e");

/// Invokes the function with `file` on a fresh bus forwarding to `queue`, with `env`; every
/// record must be delivered. The server (kept alive) and the bus.
async fn all_delivered(file: &str, queue: &str, env: &[(&str, &str)]) -> (Moto, BusQueue) {
    let (moto, bus, function) = deploy(queue, env).await;
    let response = function
        .invoke(Data::File(file))
        .expect("invocation succeeds");
    assert_eq!(response, json!({"batchItemFailures": []}));
    (moto, bus)
}

#[tokio::test(flavor = "multi_thread")]
async fn msk_sample_arrives_exactly() {
    let (_moto, bus) = all_delivered("events/msk.json", "msk", &[CONNECTOR]).await;

    let events = bus.events(3).await;
    assert_eq!(events.len(), 3);
    for e in &events {
        assert_eq!(e["source"], "kafka-connect.e2e");
        assert_eq!(e["detail-type"], "kafka-connect-orders.v1");
        assert_eq!(e["resources"], json!([]));
    }
    let details = details_by_offset(&events);
    assert_eq!(
        details,
        vec![
            json!({"topic":"orders.v1","partition":0,"offset":4711,"timestamp":1764240000123_i64,"timestampType":"CreateTime",
                   "headers":[{"content-type":"application/json"},{"trace":"t-1"}],"key":"order-1001",
                   "value":{"orderId":"order-1001","total":42.5,"items":["sku-1","sku-2"]}}),
            json!({"topic":"orders.v1","partition":0,"offset":4712,"timestamp":1764240000456_i64,"timestampType":"CreateTime",
                   "headers":[],"key":"order-1001","value":null}),
            json!({"topic":"orders.v1","partition":3,"offset":88,"timestamp":1764240001000_i64,"timestampType":"LogAppendTime",
                   "headers":[{"note":"café"}],"key":null,"value":{"note":"plain value","lang":"fr"}}),
        ]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn self_managed_sample_with_resources_detail_type_map_and_time() {
    let (_moto, bus) = all_delivered(
        "events/self-managed.json",
        "selfmanaged",
        &[
            CONNECTOR,
            (
                "AWS_EVENTBRIDGE_EVENTBUS_RESOURCES",
                "arn:aws:kafka:us-east-1:123456789012:cluster/c/1, r2",
            ),
            (
                "AWS_EVENTBRIDGE_DETAIL_TYPES",
                "mytopic:com.example.Thing.v1,other:Other",
            ),
            ("AWS_EVENTBRIDGE_TIME_MAPPER", "record-timestamp"),
        ],
    )
    .await;
    let events = bus.events(1).await;
    assert_eq!(events.len(), 1);
    let e = &events[0];
    assert_eq!(e["source"], "kafka-connect.e2e");
    assert_eq!(e["detail-type"], "com.example.Thing.v1");
    assert_eq!(
        e["resources"],
        json!(["arn:aws:kafka:us-east-1:123456789012:cluster/c/1", "r2"])
    );
    // 1545084650987 ms, at EventBridge's second precision.
    assert_eq!(e["time"], "2018-12-17T22:10:50Z");
    assert_eq!(
        e["detail"],
        json!({"topic":"mytopic","partition":0,"offset":15,"timestamp":1545084650987_i64,"timestampType":"CreateTime",
               "headers":[{"headerKey":"headerValue"}],"key":"recordKey","value":{"key":"value"}})
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn multi_partition_batch_of_25() {
    let (_moto, bus) = all_delivered(
        "events/multi-partition-25.json",
        "clicks",
        &[CONNECTOR, ("AWS_EVENTBRIDGE_DETAIL_TYPES", "${topic}")],
    )
    .await;
    let events = bus.events(25).await;
    assert_eq!(events.len(), 25, "each record arrives once");
    let mut got: Vec<(i64, i64)> = events
        .iter()
        .map(|e| {
            assert_eq!(e["detail-type"], "clicks");
            let d = &e["detail"];
            assert_eq!(
                d["value"]["click"].as_i64().unwrap() + 1000,
                d["offset"].as_i64().unwrap()
            );
            assert_eq!(
                d["headers"][0]["seq"],
                (d["offset"].as_i64().unwrap() - 1000).to_string()
            );
            (
                d["partition"].as_i64().unwrap(),
                d["offset"].as_i64().unwrap(),
            )
        })
        .collect();
    got.sort_unstable();
    let mut want: Vec<(i64, i64)> = (0..25).map(|i| (i % 3, 1000 + i)).collect();
    want.sort_unstable();
    assert_eq!(got, want);
}

#[tokio::test(flavor = "multi_thread")]
async fn tombstones_and_null_keys_are_sent() {
    let (_moto, bus) = all_delivered("events/tombstones.json", "users", &[CONNECTOR]).await;
    let details = details_by_offset(&bus.events(3).await);
    let kv: Vec<(Value, Value)> = details
        .iter()
        .map(|d| (d["key"].clone(), d["value"].clone()))
        .collect();
    assert_eq!(
        kv,
        vec![
            (json!("user-1"), Value::Null),
            (Value::Null, json!({"id": "anonymous"})),
            (Value::Null, Value::Null),
        ]
    );
}

/// Invokes `file` on a fresh bus: `failed` is the only record reported, and the records at
/// `delivered` arrive.
async fn only_one_reported(queue: &str, file: &str, failed: (&str, i64), delivered: [i64; 2]) {
    let (_moto, bus, function) = deploy(queue, &[CONNECTOR]).await;
    let response = function
        .invoke(Data::File(file))
        .expect("invocation succeeds");
    assert_eq!(failures(&response), vec![(failed.0.to_owned(), failed.1)]);
    let offsets: Vec<Value> = details_by_offset(&bus.events(2).await)
        .iter()
        .map(|d| d["offset"].clone())
        .collect();
    assert_eq!(offsets, delivered.map(|o| json!(o)).to_vec());
}

#[tokio::test(flavor = "multi_thread")]
async fn invalid_json_value_is_the_only_record_reported() {
    let failed = ("payments-0", 11);
    only_one_reported("payments", "events/mixed-json.json", failed, [10, 12]).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn oversize_record_is_reported_and_its_neighbours_delivered() {
    let failed = ("orders.v1-0", 5001);
    only_one_reported("oversize", "events/oversize.json", failed, [5000, 5002]).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn fail_invocation_mode_fails_the_invocation_and_names_the_record() {
    let (_moto, _bus, function) = deploy(
        "failmode",
        &[
            CONNECTOR,
            ("AWS_EVENTBRIDGE_BATCH_FAILURE_MODE", "fail-invocation"),
        ],
    )
    .await;
    let error = function
        .invoke(Data::File("events/mixed-json.json"))
        .expect_err("the invocation fails");
    assert!(error.contains("RecordsNotDelivered"), "{error}");
    assert!(
        error.contains("1 of 3 records were not delivered"),
        "{error}"
    );
    assert!(error.contains("payments-0@11"), "{error}");
    // The event itself is unusable: a specific invocation error in either mode.
    let error = function
        .invoke(Data::Ascii(r#"{"eventSource":"aws:kafka","records":null}"#))
        .expect_err("fails");
    assert!(
        error.contains("InvalidEvent") && error.contains("no `records` map"),
        "{error}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bad_configuration_stops_the_cold_start() {
    let (started, text) = support::cold_start(&[
        ("AWS_EVENTBRIDGE_CONNECTOR_ID", "c"),
        (
            "AWS_EVENTBRIDGE_EVENTBUS_ARN",
            "arn:aws:events:us-east-1:123456789012:event-bus/b",
        ),
        ("AWS_EVENTBRIDGE_RETRIES_MAX", "11"),
    ]);
    assert!(!started);
    assert!(
        text.contains(
            "`AWS_EVENTBRIDGE_RETRIES_MAX`=\"11\" is invalid: must be a whole number from 0 to 10"
        ),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_emf_document_per_invocation_and_topic_on_stdout() {
    let topic_dimension = ("AWS_EVENTBRIDGE_METRICS_TOPIC_DIMENSION", "true");
    let (_moto, _bus, function) = deploy("metrics", &[CONNECTOR, topic_dimension]).await;
    function
        .invoke(Data::File("events/mixed-json.json"))
        .expect("invocation succeeds");
    let emf = |log: &str| log.lines().filter(|l| l.starts_with(r#"{"_aws""#)).count();
    let log = function.log_when(0, |log| emf(log) >= 2);
    let docs: Vec<Value> = log
        .lines()
        .filter(|l| l.starts_with(r#"{"_aws""#))
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(docs.len(), 2, "the invocation's and the one topic's: {log}");
    let (all, topic) = (&docs[0], &docs[1]);
    assert_eq!(
        all["_aws"]["CloudWatchMetrics"][0]["Namespace"],
        "KafkaEventBridge"
    );
    assert_eq!(all["ConnectorId"], "e2e");
    assert_eq!(all["RecordsReceived"], 3.0);
    assert_eq!(all["RecordsDelivered"], 2.0);
    assert_eq!(all["RecordsFailedDecode"], 1.0);
    assert_eq!(all["PutEventsCalls"], 1.0);
    assert!(all["BytesSent"].as_f64().unwrap() > 0.0);
    assert_eq!(topic["Topic"], "payments");
    assert_eq!(topic["RecordsFailed"], 1.0);
}

/// `AWS_EVENTBRIDGE_DETAIL_TYPES_MAPPER=header`: the real binary puts each record with the text
/// of its `event-type` header as the detail-type (the last of two), and the topic's detail-type
/// without one.
#[tokio::test(flavor = "multi_thread")]
async fn the_header_mapper_takes_the_detail_type_from_the_record() {
    let mapper = [
        CONNECTOR,
        ("AWS_EVENTBRIDGE_DETAIL_TYPES_MAPPER", "header"),
        ("AWS_EVENTBRIDGE_DETAIL_TYPES_HEADER", "event-type"),
    ];
    let (_moto, bus, function) = deploy("header", &mapper).await;
    let record = |offset: i64, headers: Value| {
        json!({"topic": "orders", "partition": 0, "offset": offset, "timestamp": 1,
               "timestampType": "CREATE_TIME", "key": null,
               "value": support::events::b64("{\"n\":1}"), "headers": headers})
    };
    let bytes = |text: &str| json!(text.bytes().collect::<Vec<u8>>());
    let event = json!({"eventSource": "aws:kafka", "records": {"orders-0": [
        record(1, json!([{"event-type": bytes("order.created")}])),
        record(2, json!([{"event-type": bytes("first")}, {"event-type": bytes("order.paid")}])),
        record(3, json!([{"trace": bytes("t")}])),
    ]}});
    let response = function.invoke(Data::Ascii(&event.to_string())).unwrap();
    assert_eq!(failures(&response), []);
    let mut got: Vec<(i64, String)> = bus
        .events(3)
        .await
        .iter()
        .map(|e| {
            let offset = e["detail"]["offset"].as_i64().unwrap();
            (offset, e["detail-type"].as_str().unwrap().to_owned())
        })
        .collect();
    got.sort();
    let want = [
        (1, "order.created"),
        (2, "order.paid"),
        (3, "kafka-connect-orders"),
    ];
    assert_eq!(got, want.map(|(o, t)| (o, t.to_owned())));
}
