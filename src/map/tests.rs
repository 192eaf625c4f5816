use super::*;
use crate::config::Config;
use crate::decode::{PayloadDecoder, PayloadFormat, TimestampType};
use crate::json::JsonText;
use serde_json::Value;

fn config(vars: &[(&str, &str)]) -> Config {
    let mut all: HashMap<&str, &str> = [
        ("AWS_EVENTBRIDGE_CONNECTOR_ID", "c1"),
        (
            "AWS_EVENTBRIDGE_EVENTBUS_ARN",
            "arn:aws:events:us-east-1:123456789012:event-bus/b",
        ),
    ]
    .into_iter()
    .collect();
    all.extend(vars.iter().copied());
    Config::from_lookup(|n| all.get(n).map(|v| v.to_string())).unwrap()
}

fn json(text: &str) -> JsonText {
    PayloadFormat::Json
        .decode(text.as_bytes().to_vec())
        .unwrap()
}

fn string(text: &str) -> JsonText {
    PayloadFormat::String
        .decode(text.as_bytes().to_vec())
        .unwrap()
}

fn record() -> DecodedRecord {
    DecodedRecord {
        topic: "orders".into(),
        partition: 0,
        offset: 5,
        timestamp: Some(1684841916831),
        timestamp_type: TimestampType::CreateTime,
        headers: vec![],
        key: Some(string("order-1")),
        value: Some(json(r#"{"a":1}"#)),
    }
}

#[test]
fn conformance_detail() {
    let e = config(&[]).mapper().map(&record()).unwrap();
    assert_eq!(
        e.detail,
        r#"{"topic":"orders","partition":0,"offset":5,"timestamp":1684841916831,"timestampType":"CreateTime","headers":[],"key":"order-1","value":{"a":1}}"#
    );
    assert_eq!(&*e.source, "kafka-connect.c1");
    assert_eq!(e.detail_type, "kafka-connect-orders");
    assert!(e.resources.is_empty());
    assert_eq!(e.time_ms, None);
}

/// The members a filter pattern may name under `detail` are the detail's, in its order.
#[test]
fn detail_members_are_the_details() {
    let e = config(&[]).mapper().map(&record()).unwrap();
    let v: serde_json::Map<String, Value> = serde_json::from_str(&e.detail).unwrap();
    let mut keys: Vec<&str> = v.keys().map(String::as_str).collect();
    let mut members = super::DETAIL_MEMBERS.to_vec();
    keys.sort();
    members.sort();
    assert_eq!(keys, members);
    let at: Vec<usize> = super::DETAIL_MEMBERS
        .iter()
        .map(|m| e.detail.find(&format!("\"{m}\":")).unwrap())
        .collect();
    assert!(at.windows(2).all(|w| w[0] < w[1]), "{at:?}");
}

#[test]
fn null_key_tombstone_and_no_timestamp() {
    let mut r = record();
    r.key = None;
    r.value = None;
    r.timestamp = None;
    r.timestamp_type = TimestampType::NoTimestampType;
    assert_eq!(
        detail(&r),
        r#"{"topic":"orders","partition":0,"offset":5,"timestamp":null,"timestampType":"NoTimestampType","headers":[],"key":null,"value":null}"#
    );
    r.timestamp = Some(1);
    r.timestamp_type = TimestampType::LogAppendTime;
    assert!(detail(&r).contains(r#""timestamp":1,"timestampType":"LogAppendTime""#));
}

#[test]
fn headers_in_order_duplicates_kept_binary_as_base64() {
    let mut r = record();
    r.headers = vec![
        ("traceId".into(), b"abc-123".to_vec()),
        ("traceId".into(), "café \"q\"".as_bytes().to_vec()),
        ("bin".into(), vec![0xff, 0x00]),
        ("".into(), vec![]),
    ];
    let d = detail(&r);
    assert!(
        d.contains(
            r#""headers":[{"traceId":"abc-123"},{"traceId":"café \"q\""},{"bin":"/wA="},{"":""}],"#
        ),
        "{d}"
    );
    let parsed: Value = serde_json::from_str(&d).unwrap();
    assert_eq!(parsed["headers"].as_array().unwrap().len(), 4);
}

#[test]
fn offloaded_details_keep_order_and_append_the_reference() {
    let r = record();
    let data_ref = DataRef {
        arn: "arn:aws:s3:::b/k",
        json_path: "$.detail.value",
    };
    assert_eq!(
        detail_with(&r, ValuePart::Omitted, Some(data_ref)),
        r#"{"topic":"orders","partition":0,"offset":5,"timestamp":1684841916831,"timestampType":"CreateTime","headers":[],"key":"order-1","dataref":"arn:aws:s3:::b/k","datarefJsonPath":"$.detail.value"}"#
    );
    let data_ref = DataRef {
        arn: "arn:aws:s3:::b/k",
        json_path: "$.detail.value.a",
    };
    assert!(detail_with(&r, ValuePart::Remaining("{}"), Some(data_ref))
        .ends_with(r#""key":"order-1","value":{},"dataref":"arn:aws:s3:::b/k","datarefJsonPath":"$.detail.value.a"}"#));
    assert_eq!(detail_with(&r, ValuePart::Whole, None), detail(&r));
}

#[test]
fn string_and_bytes_values() {
    let mut r = record();
    r.value = Some(string(r#"{"a":1}"#));
    assert!(detail(&r).ends_with(r#""value":"{\"a\":1}"}"#));
    r.value = Some(PayloadFormat::Bytes.decode(vec![1, 2, 3]).unwrap());
    assert!(detail(&r).ends_with(r#""value":"AQID"}"#));
}

#[test]
fn topic_with_special_characters_is_escaped() {
    let mut r = record();
    r.topic = "a\"b\\c".into();
    let v: Value = serde_json::from_str(&detail(&r)).unwrap();
    assert_eq!(v["topic"], "a\"b\\c");
}

#[test]
fn detail_type_rules() {
    let dt = |vars: &[(&str, &str)], topic: &str| {
        let mut r = record();
        r.topic = topic.into();
        config(vars).mapper().map(&r).map(|e| e.detail_type)
    };
    let types = "AWS_EVENTBRIDGE_DETAIL_TYPES";
    assert_eq!(dt(&[], "orders").unwrap(), "kafka-connect-orders");
    assert_eq!(dt(&[(types, "${topic}")], "orders").unwrap(), "orders");
    assert_eq!(
        dt(&[(types, "x-${topic}-${topic}")], "orders").unwrap(),
        "x-orders-orders"
    );
    assert_eq!(dt(&[(types, "static")], "users").unwrap(), "static");
    let map = "orders:com.ex.Order.v1, users:com.ex.User.v1";
    assert_eq!(dt(&[(types, map)], "orders").unwrap(), "com.ex.Order.v1");
    assert_eq!(dt(&[(types, map)], "other").unwrap(), "kafka-connect-other");
    assert_eq!(
        dt(&[(types, "orders:Order")], "users").unwrap(),
        "kafka-connect-users"
    );
    assert_eq!(
        dt(&[(types, "orders:x-${topic}")], "orders").unwrap(),
        "x-${topic}"
    );
    assert_eq!(
        dt(&[(types, "${topic}")], "").unwrap_err(),
        MapError::DetailType { chars: 0 }
    );
    let long = "t".repeat(129);
    assert_eq!(
        dt(&[(types, "${topic}")], &long).unwrap_err(),
        MapError::DetailType { chars: 129 }
    );
}

#[test]
fn jsonpath_detail_type() {
    let cfg = config(&[
        ("AWS_EVENTBRIDGE_DETAIL_TYPES_MAPPER", "jsonpath"),
        (
            "AWS_EVENTBRIDGE_DETAIL_TYPES_JSONPATHMAPPER_FIELDREF",
            "$.meta.type",
        ),
    ]);
    let mapper = cfg.mapper();
    let dt = |value: Option<JsonText>| {
        let mut r = record();
        r.value = value;
        mapper.map(&r).unwrap().detail_type
    };
    assert_eq!(
        dt(Some(json(r#"{"meta":{"type":"order.created"}}"#))),
        "order.created"
    );
    assert_eq!(dt(Some(json(r#"{"meta":{}}"#))), "orders");
    assert_eq!(dt(Some(json(r#"{"meta":{"type":{"a":1}}}"#))), "orders");
    assert_eq!(dt(Some(json(r#"{"meta":{"type":" "}}"#))), "orders");
    assert_eq!(dt(Some(json(r#"{"meta":{"type":7}}"#))), "orders");
    assert_eq!(dt(Some(string("order.created"))), "orders");
    assert_eq!(dt(None), "orders");
}

#[test]
fn header_detail_type() {
    let cfg = config(&[
        ("AWS_EVENTBRIDGE_DETAIL_TYPES_MAPPER", "header"),
        ("AWS_EVENTBRIDGE_DETAIL_TYPES_HEADER", " event-type "),
        (
            "AWS_EVENTBRIDGE_DETAIL_TYPES",
            "orders:Order,payments:Payment",
        ),
    ]);
    let mapper = cfg.mapper();
    let dt = |headers: &[(&str, &[u8])]| {
        let mut r = record();
        r.headers = headers
            .iter()
            .map(|(name, value)| ((*name).to_owned(), value.to_vec()))
            .collect();
        mapper.map(&r).map(|e| e.detail_type)
    };
    // The header's text; of several, the last (Kafka's lastHeader).
    assert_eq!(
        dt(&[("event-type", b"order.created")]).unwrap(),
        "order.created"
    );
    let two: &[(&str, &[u8])] = &[
        ("event-type", b"first"),
        ("x", b"y"),
        ("event-type", b"last"),
    ];
    assert_eq!(dt(two).unwrap(), "last");
    // Without it, blank or not UTF-8: the topic's detail-type.
    assert_eq!(dt(&[]).unwrap(), "Order");
    assert_eq!(dt(&[("Event-Type", b"other")]).unwrap(), "Order");
    assert_eq!(dt(&[("event-type", b"  ")]).unwrap(), "Order");
    assert_eq!(dt(&[("event-type", &[0xff, 0xfe])]).unwrap(), "Order");
    // Over EventBridge's 128 characters: that record fails.
    let long = "x".repeat(129);
    assert_eq!(
        dt(&[("event-type", long.as_bytes())]).unwrap_err(),
        MapError::DetailType { chars: 129 }
    );
}

#[test]
fn resources_and_time() {
    let cfg = config(&[
        ("AWS_EVENTBRIDGE_EVENTBUS_RESOURCES", "r1, r2"),
        ("AWS_EVENTBRIDGE_TIME_MAPPER", "record-timestamp"),
    ]);
    let e = cfg.mapper().map(&record()).unwrap();
    assert_eq!(&*e.resources, &["r1".to_string(), "r2".to_string()]);
    assert_eq!(e.time_ms, Some(1684841916831));
    let mut r = record();
    r.timestamp = None;
    assert_eq!(cfg.mapper().map(&r).unwrap().time_ms, None);
}

fn system(event_group: EventGroup, deduplication: Deduplication) -> SystemMetadataRule {
    SystemMetadataRule::new(
        Ordering {
            event_group,
            deduplication,
        },
        "c1",
    )
}

#[test]
fn event_group_ids() {
    let mut r = record();
    let partition = system(EventGroup::Partition, Deduplication::Offset);
    assert_eq!(partition.event_group_id(&r).as_deref(), Some("orders-0"));
    let key = system(EventGroup::Key, Deduplication::Offset);
    assert_eq!(key.event_group_id(&r).as_deref(), Some("order-1"));
    assert_eq!(
        system(EventGroup::None, Deduplication::Offset).event_group_id(&r),
        None
    );
    r.key = Some(json(r#"{"id":7}"#));
    assert_eq!(key.event_group_id(&r).as_deref(), Some(r#"{"id":7}"#));
    r.key = None;
    assert_eq!(key.event_group_id(&r).as_deref(), Some("orders-0"));
    r.key = Some(string(""));
    assert_eq!(key.event_group_id(&r).as_deref(), Some("orders-0"));
    let long = "k".repeat(129);
    r.key = Some(string(&long));
    let digest = key.event_group_id(&r).unwrap();
    assert_eq!(digest, digest_id(&long));
    assert!(
        digest.starts_with("sha256:") && digest.len() == 71,
        "{digest}"
    );
    r.key = Some(string(&"k".repeat(128)));
    assert_eq!(key.event_group_id(&r).unwrap(), "k".repeat(128));
}

#[test]
fn deduplication_ids() {
    let r = record();
    let offset = system(EventGroup::Partition, Deduplication::Offset);
    assert_eq!(
        offset.deduplication_id(&r).as_deref(),
        Some("c1:orders:0:5")
    );
    for mode in [Deduplication::Content, Deduplication::None] {
        assert_eq!(
            system(EventGroup::Partition, mode).deduplication_id(&r),
            None
        );
    }
    let mut long = r;
    long.topic = std::sync::Arc::from("t".repeat(130));
    let id = offset.deduplication_id(&long).unwrap();
    assert_eq!(id, digest_id(&format!("c1:{}:0:5", "t".repeat(130))));
}
