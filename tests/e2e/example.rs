//! The plug-in example (`examples/header_detail_type.rs`) is a working function: its binary,
//! served by cargo-lambda's emulator against moto, puts each record on the bus with the
//! detail-type of its `event-type` header, or the configured one without it, and reports the
//! record whose header is too long for a detail-type; it writes the function's metrics.

use crate::support;

use serde_json::json;
use support::events::b64;
use support::{Data, Function, Moto, failures};

fn record(offset: i64, event_type: Option<&str>) -> serde_json::Value {
    let headers = match event_type {
        Some(t) => json!([{"trace": [116]}, {"event-type": t.bytes().collect::<Vec<u8>>()}]),
        None => json!([]),
    };
    json!({"topic": "orders", "partition": 2, "offset": offset, "timestamp": 1,
           "timestampType": "CREATE_TIME", "key": b64("\"k\""), "value": b64("{\"n\":1}"),
           "headers": headers})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_example_maps_detail_types_from_headers() {
    let moto = Moto::start();
    let bus = moto.bus_to_queue("example").await;
    let function = Function::start_example(
        &moto,
        "header_detail_type",
        &[
            ("AWS_EVENTBRIDGE_CONNECTOR_ID", "example"),
            ("AWS_EVENTBRIDGE_EVENTBUS_ARN", bus.bus_arn.as_str()),
            ("AWS_EVENTBRIDGE_DETAIL_TYPES", "kafka.${topic}"),
        ],
    );
    let long = "x".repeat(129);
    let event = json!({"eventSource": "aws:kafka", "records": {"orders-2": [
        record(1, Some("order.created")),
        record(2, None),
        record(3, Some(&long)),
        record(4, Some("  ")),
    ]}});
    let response = function
        .invoke(Data::Ascii(&event.to_string()))
        .unwrap_or_else(|e| panic!("{e}\n{}", function.log()));
    assert_eq!(failures(&response), [("orders-2".to_owned(), 3)]);
    let mut got: Vec<(i64, String)> = bus
        .events(3)
        .await
        .iter()
        .map(|e| {
            (
                e["detail"]["offset"].as_i64().unwrap(),
                e["detail-type"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    got.sort();
    assert_eq!(
        got,
        [
            (1, "order.created".to_owned()),
            (2, "kafka.orders".to_owned()),
            (4, "kafka.orders".to_owned()),
        ]
    );
    // It serves through the function's own handler: the invocation's EMF document too.
    let log = function.log_when(0, support::has_metrics);
    let emf: serde_json::Value = serde_json::from_str(
        log.lines()
            .find(|l| l.starts_with(r#"{"_aws""#))
            .unwrap_or_else(|| panic!("no EMF document:\n{log}")),
    )
    .unwrap();
    assert_eq!(emf["ConnectorId"], "example");
    assert_eq!(emf["RecordsReceived"], 4.0);
    assert_eq!(emf["RecordsDelivered"], 3.0);
}
