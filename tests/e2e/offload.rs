//! End to end, S3 claim check: the real binary under cargo-lambda's emulator with offloading on,
//! against moto's EventBridge, SQS and S3.

use crate::support;

use base64::Engine as _;
use serde_json::{Value, json};
use support::{BusQueue, Data, Function, Moto, details_by_offset, failures};

const BUCKET: &str = "kafka-offload";

/// The key of the object an event's `dataref` names.
fn key_of(detail: &Value) -> String {
    let dataref = detail["dataref"].as_str().expect("a dataref");
    dataref
        .strip_prefix(&format!("arn:aws:s3:::{BUCKET}/"))
        .expect("an S3 ARN in the bucket")
        .to_owned()
}

/// The value of `offset` in the sample `file`, as the producer wrote it.
fn sample_value(file: &str, offset: i64) -> Vec<u8> {
    let text = std::fs::read_to_string(format!("{}/{file}", env!("CARGO_MANIFEST_DIR"))).unwrap();
    let event: Value = serde_json::from_str(&text).unwrap();
    for records in event["records"].as_object().unwrap().values() {
        for r in records.as_array().unwrap() {
            if r["offset"] == offset {
                return base64::engine::general_purpose::STANDARD
                    .decode(r["value"].as_str().unwrap())
                    .unwrap();
            }
        }
    }
    panic!("no offset {offset} in {file}");
}

/// A moto server with a bus whose rule feeds a queue (and the offload bucket, unless
/// `bucket` is false), and the function with offloading into it plus `extra`, invoked once with
/// `file`: the server, the bus and the response.
async fn invoke_offloading(
    name: &str,
    bucket: bool,
    extra: &[(&str, &str)],
    file: &str,
) -> (Moto, BusQueue, Value) {
    let moto = Moto::start();
    let bus = moto.bus_to_queue(name).await;
    if bucket {
        moto.create_bucket(BUCKET).await;
    }
    let mut env = vec![
        ("AWS_EVENTBRIDGE_CONNECTOR_ID", "offload"),
        ("AWS_EVENTBRIDGE_EVENTBUS_ARN", bus.bus_arn.as_str()),
        ("AWS_EVENTBRIDGE_OFFLOADING_DEFAULT_S3_BUCKET", BUCKET),
        (
            "AWS_EVENTBRIDGE_OFFLOADING_DEFAULT_S3_ENDPOINT_URI",
            moto.endpoint.as_str(),
        ),
    ];
    env.extend_from_slice(extra);
    let response = Function::start(&moto, &env)
        .invoke(Data::File(file))
        .expect("invocation succeeds");
    (moto, bus, response)
}

/// [`invoke_offloading`] with the bucket, for an event whose three records are all delivered:
/// the server and the details in offset order.
async fn offloaded_and_delivered(
    name: &str,
    extra: &[(&str, &str)],
    file: &str,
) -> (Moto, Vec<Value>) {
    let (moto, bus, response) = invoke_offloading(name, true, extra, file).await;
    assert_eq!(response, json!({"batchItemFailures": []}));
    let details = details_by_offset(&bus.events(3).await);
    (moto, details)
}

#[tokio::test(flavor = "multi_thread")]
async fn whole_values_go_to_s3_and_events_carry_the_reference() {
    let (moto, bus, response) = invoke_offloading(
        "offload-whole",
        true,
        &[("AWS_EVENTBRIDGE_OFFLOADING_DEFAULT_S3_KEY_PREFIX", "kafka/")],
        "events/msk.json",
    )
    .await;
    assert_eq!(response, json!({"batchItemFailures": []}));

    let raw = bus.raw_events(3).await;
    let events: Vec<Value> = raw
        .iter()
        .map(|b| serde_json::from_str(b).unwrap())
        .collect();
    let details = details_by_offset(&events);
    // offset 4711: a JSON object, offloaded whole; the detail keeps its other members in order
    // and ends with the reference.
    let d = &details[0];
    assert_eq!(d["offset"], 4711);
    let body = raw.iter().find(|b| b.contains("4711")).unwrap();
    let positions: Vec<usize> = [
        "\"topic\"",
        "\"partition\"",
        "\"offset\"",
        "\"timestamp\"",
        "\"timestampType\"",
        "\"headers\"",
        "\"key\"",
        "\"dataref\"",
        "\"datarefJsonPath\"",
    ]
    .iter()
    .map(|m| {
        body.find(m)
            .unwrap_or_else(|| panic!("{m} missing in {body}"))
    })
    .collect();
    assert!(
        positions.windows(2).all(|w| w[0] < w[1]),
        "member order in {body}"
    );
    assert!(d.get("value").is_none());
    assert_eq!(d["datarefJsonPath"], "$.detail.value");
    let key = key_of(d);
    assert!(
        key.starts_with("kafka/") && key.len() == "kafka/".len() + 36,
        "{key}"
    );
    let (body, content_type) = moto.object(BUCKET, &key).await;
    assert_eq!(
        body,
        sample_value("events/msk.json", 4711),
        "the object holds exactly the offloaded bytes"
    );
    assert_eq!(content_type.as_deref(), Some("application/json"));
    // offset 4712: a tombstone, nothing to offload.
    assert_eq!(details[1]["offset"], 4712);
    assert_eq!(details[1]["value"], Value::Null);
    assert!(details[1].get("dataref").is_none());
    // offset 88: offloaded too.
    assert_eq!(details[2]["offset"], 88);
    assert!(details[2].get("value").is_none());
    let (body, _) = moto.object(BUCKET, &key_of(&details[2])).await;
    assert_eq!(body, sample_value("events/msk.json", 88));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_nested_field_is_offloaded_as_raw_text() {
    let (moto, details) = offloaded_and_delivered(
        "offload-nested",
        &[(
            "AWS_EVENTBRIDGE_OFFLOADING_DEFAULT_FIELDREF",
            "$.detail.value.note",
        )],
        "events/msk.json",
    )
    .await;
    // 4711 has no `note`: unchanged, no reference.
    assert!(details[0].get("dataref").is_none());
    assert_eq!(details[0]["value"]["orderId"], "order-1001");
    // 88: `note` is cut out of the value; the reference sits at the detail's root.
    let d = &details[2];
    assert_eq!(d["value"], json!({"lang": "fr"}));
    assert_eq!(d["datarefJsonPath"], "$.detail.value.note");
    let (body, content_type) = moto.object(BUCKET, &key_of(d)).await;
    assert_eq!(body, b"plain value");
    assert_eq!(content_type.as_deref(), Some("text/plain; charset=utf-8"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_record_above_one_mib_is_delivered_through_offloading() {
    let (moto, bus, response) =
        invoke_offloading("offload-big", true, &[], "events/oversize.json").await;
    assert_eq!(
        response,
        json!({"batchItemFailures": []}),
        "without offloading, offset 5001 would fail"
    );
    let details = details_by_offset(&bus.events(3).await);
    let big = &details[1];
    assert_eq!(big["offset"], 5001);
    let (body, _) = moto.object(BUCKET, &key_of(big)).await;
    assert!(body.len() > 1_048_576);
    assert!(
        body == sample_value("events/oversize.json", 5001),
        "the object holds exactly the offloaded bytes"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn with_a_threshold_only_large_events_are_offloaded() {
    let (moto, details) = offloaded_and_delivered(
        "offload-threshold",
        &[(
            "AWS_EVENTBRIDGE_OFFLOADING_DEFAULT_THRESHOLD_BYTES",
            "262144",
        )],
        "events/oversize.json",
    )
    .await;
    for small in [&details[0], &details[2]] {
        assert!(small.get("dataref").is_none(), "{small}");
        assert_eq!(small["value"]["items"], json!(["sku-1", "sku-2"]));
    }
    assert!(details[1].get("value").is_none());
    assert!(
        moto.object(BUCKET, &key_of(&details[1])).await.0
            == sample_value("events/oversize.json", 5001)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unwritable_bucket_reports_those_records_and_delivers_the_others() {
    // The bucket is never created.
    let (_moto, bus, response) = invoke_offloading(
        "offload-missing",
        false,
        &[(
            "AWS_EVENTBRIDGE_OFFLOADING_DEFAULT_THRESHOLD_BYTES",
            "262144",
        )],
        "events/oversize.json",
    )
    .await;
    assert_eq!(failures(&response), vec![("orders.v1-0".to_owned(), 5001)]);
    let offsets: Vec<Value> = details_by_offset(&bus.events(2).await)
        .iter()
        .map(|d| d["offset"].clone())
        .collect();
    assert_eq!(
        offsets,
        vec![json!(5000), json!(5002)],
        "the event without its object is never sent"
    );
}
