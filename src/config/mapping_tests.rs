//! The mapping settings beyond the connector's: the filter, and the type and time taken from
//! the record.

use super::tests::{invalid_var, parse};
use super::*;

#[test]
fn filter_patterns_are_checked_at_cold_start() {
    assert!(parse(&[]).unwrap().filter().is_none());
    let one = parse(&[(FILTER_PATTERNS, r#"{"detail":{"topic":["orders"]}}"#)]).unwrap();
    assert!(one.filter().is_some());
    let many = r#"[{"detail":{"topic":["a"]}},{"detail-type":[{"prefix":"x"}]}]"#;
    assert!(
        parse(&[(FILTER_PATTERNS, many)])
            .unwrap()
            .filter()
            .is_some()
    );
    for bad in [
        "{",
        "[]",
        r#"{"detail":{"topic":[{"regex":"a"}]}}"#,
        r#"{"detail":{"topic":"orders"}}"#,
        r#"{"region":["us-east-1"]}"#,
    ] {
        assert_eq!(
            invalid_var(parse(&[(FILTER_PATTERNS, bad)])),
            FILTER_PATTERNS,
            "{bad}"
        );
    }
    let err = parse(&[(FILTER_PATTERNS, r#"{"detail":{"topic":[{"regex":"a"}]}}"#)])
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("`AWS_EVENTBRIDGE_FILTER_PATTERNS`=")
            && err.ends_with(
                "is invalid: at detail.topic: `regex` is not an EventBridge comparison operator"
            ),
        "{err}"
    );
}

#[test]
fn time_mappers_need_their_setting_and_nothing_else_takes_one() {
    let header = (TIME_HEADER, "event-time");
    let fieldref = (TIME_FIELDREF, "$.at");
    assert_eq!(invalid_var(parse(&[(TIME_MAPPER, "header")])), TIME_HEADER);
    assert_eq!(
        invalid_var(parse(&[(TIME_MAPPER, "jsonpath")])),
        TIME_FIELDREF
    );
    assert_eq!(invalid_var(parse(&[header])), TIME_HEADER);
    assert_eq!(
        invalid_var(parse(&[(TIME_MAPPER, "jsonpath"), header])),
        TIME_HEADER
    );
    assert_eq!(
        invalid_var(parse(&[(TIME_MAPPER, "header"), header, fieldref])),
        TIME_FIELDREF
    );
    assert_eq!(
        invalid_var(parse(&[
            (TIME_MAPPER, "jsonpath"),
            (TIME_FIELDREF, "$..at")
        ])),
        TIME_FIELDREF
    );
    let c = parse(&[(TIME_MAPPER, "header"), (TIME_HEADER, " event-time ")]).unwrap();
    assert_eq!(c.time_mapper, TimeRule::Header("event-time".to_owned()));
    let c = parse(&[(TIME_MAPPER, "jsonpath"), fieldref]).unwrap();
    assert!(matches!(c.time_mapper, TimeRule::JsonPath(_)));
    let c = parse(&[(TIME_MAPPER, "cloudevents")]).unwrap();
    assert_eq!(c.time_mapper, TimeRule::CloudEvents);
    let c = parse(&[(DETAIL_TYPES_MAPPER, "cloudevents")]).unwrap();
    assert!(matches!(c.detail_type, DetailTypeRule::CloudEvents { .. }));
    let err = parse(&[(TIME_MAPPER, "jsonpath")]).unwrap_err().to_string();
    assert_eq!(
        err,
        "`AWS_EVENTBRIDGE_TIME_JSONPATHMAPPER_FIELDREF` must be set: it is required when AWS_EVENTBRIDGE_TIME_MAPPER=jsonpath"
    );
}
