//! The type and time a record states: the header, JSONPath and CloudEvents mappers, through the
//! configuration as a user sets them.

use std::collections::HashMap;

use super::*;
use crate::config::Config;

fn mapper(vars: &[(&str, &str)]) -> Mapper {
    let mut all: HashMap<&str, &str> = [
        ("AWS_EVENTBRIDGE_CONNECTOR_ID", "c1"),
        (
            "AWS_EVENTBRIDGE_EVENTBUS_ARN",
            "arn:aws:events:us-east-1:123456789012:event-bus/b",
        ),
        ("AWS_EVENTBRIDGE_DETAIL_TYPES", "orders:Order"),
    ]
    .into_iter()
    .collect();
    all.extend(vars.iter().copied());
    Config::from_lookup(|n| all.get(n).map(|v| v.to_string()))
        .unwrap()
        .mapper()
}

/// A record of `orders` with `headers` and a JSON `value` (or none).
fn record(headers: &[(&str, &str)], value: Option<&str>) -> DecodedRecord {
    DecodedRecord::sample("orders", headers, value)
}

const T_MS: i64 = 1_700_000_000_123;

#[test]
fn times_from_text() {
    use from_record::parse_time;
    assert_eq!(parse_time("2023-11-14T22:13:20.123Z"), Some(T_MS));
    assert_eq!(parse_time("2023-11-15T00:13:20.123+02:00"), Some(T_MS));
    assert_eq!(parse_time(" 1700000000123 "), Some(T_MS));
    assert_eq!(parse_time("-1000"), Some(-1000));
    assert_eq!(
        parse_time("0001-01-01T00:00:00Z"),
        Some(from_record::MIN_TIME_MS)
    );
    for bad in [
        "",
        "yesterday",
        "2023-11-14",
        "2023-11-14 22:13:20",
        "2023-13-14T22:13:20Z",
        "1.7e12",
        "99999999999999999999",
        "253402300800000",
        "-",
    ] {
        assert_eq!(parse_time(bad), None, "{bad:?}");
    }
}

#[test]
fn the_header_time_mapper() {
    let m = mapper(&[
        ("AWS_EVENTBRIDGE_TIME_MAPPER", "header"),
        ("AWS_EVENTBRIDGE_TIME_HEADER", "event-time"),
    ]);
    assert!(m.time_from_record());
    let time = |headers: &[(&str, &str)]| m.map(&record(headers, None)).unwrap().time_ms;
    assert_eq!(
        time(&[("event-time", "2023-11-14T22:13:20.123Z")]),
        Some(T_MS)
    );
    assert_eq!(
        time(&[("event-time", "1"), ("event-time", "1700000000123")]),
        Some(T_MS)
    );
    assert_eq!(time(&[("event-time", "soon")]), None);
    assert_eq!(time(&[("other", "1700000000123")]), None);
}

#[test]
fn the_jsonpath_time_mapper() {
    let m = mapper(&[
        ("AWS_EVENTBRIDGE_TIME_MAPPER", "jsonpath"),
        ("AWS_EVENTBRIDGE_TIME_JSONPATHMAPPER_FIELDREF", "$.meta.at"),
    ]);
    let time = |value: &str| m.map(&record(&[], Some(value))).unwrap().time_ms;
    assert_eq!(
        time(r#"{"meta":{"at":"2023-11-14T22:13:20.123Z"}}"#),
        Some(T_MS)
    );
    assert_eq!(time(r#"{"meta":{"at":1700000000123}}"#), Some(T_MS));
    assert_eq!(time(r#"{"meta":{"at":"1700000000123"}}"#), Some(T_MS));
    assert_eq!(time(r#"{"meta":{"at":1.7000000001230e12}}"#), Some(T_MS));
    for none in [
        r#"{"meta":{"at":1.5}}"#,
        r#"{"meta":{"at":true}}"#,
        r#"{"meta":{"at":{"t":1}}}"#,
        r#"{"meta":{}}"#,
        r#"{"meta":{"at":1e300}}"#,
        "7",
    ] {
        assert_eq!(time(none), None, "{none}");
    }
    assert_eq!(m.map(&record(&[], None)).unwrap().time_ms, None);
}

/// CloudEvents' Kafka binding: binary mode in `ce_` headers, structured mode in the value; the
/// topic's detail-type and no time otherwise.
#[test]
fn cloudevents_in_both_modes() {
    let m = mapper(&[
        ("AWS_EVENTBRIDGE_DETAIL_TYPES_MAPPER", "cloudevents"),
        ("AWS_EVENTBRIDGE_TIME_MAPPER", "cloudevents"),
    ]);
    let map = |headers: &[(&str, &str)], value: Option<&str>| {
        let e = m.map(&record(headers, value)).unwrap();
        (e.detail_type, e.time_ms)
    };
    let binary = [
        ("ce_specversion", "1.0"),
        ("ce_type", "com.example.order.created"),
        ("ce_time", "2023-11-14T22:13:20.123Z"),
        ("content-type", "application/json"),
    ];
    let created = "com.example.order.created".to_owned();
    assert_eq!(map(&binary, Some("{}")), (created.clone(), Some(T_MS)));
    let structured = r#"{"specversion":"1.0","type":"com.example.order.created",
        "time":"2023-11-14T22:13:20.123Z","source":"/orders","id":"1","data":{}}"#;
    let header = [(
        "content-type",
        "application/cloudevents+json; charset=UTF-8",
    )];
    assert_eq!(
        map(&header, Some(structured)),
        (created.clone(), Some(T_MS))
    );
    let upper = [("content-type", "Application/CloudEvents+JSON")];
    assert_eq!(map(&upper, Some(structured)), (created, Some(T_MS)));
    // Structured mode reads the value only, binary mode the headers only.
    assert_eq!(map(&header, Some("{}")), ("Order".to_owned(), None));
    assert_eq!(map(&[], Some(structured)), ("Order".to_owned(), None));
    assert_eq!(
        map(&[("ce_type", " "), ("ce_time", "later")], None),
        ("Order".to_owned(), None)
    );
}

/// A detail-type taken from a record that EventBridge would refuse fails that record alone,
/// naming the limit.
#[test]
fn a_detail_type_from_a_record_is_checked_against_the_limit() {
    let m = mapper(&[("AWS_EVENTBRIDGE_DETAIL_TYPES_MAPPER", "cloudevents")]);
    let long = "t".repeat(129);
    let err = m.map(&record(&[("ce_type", &long)], None)).unwrap_err();
    assert_eq!(
        err.to_string(),
        "the detail-type is 129 characters long; EventBridge accepts 1 to 128"
    );
    let max = "t".repeat(128);
    assert_eq!(
        m.map(&record(&[("ce_type", &max)], None))
            .unwrap()
            .detail_type,
        max
    );
}
