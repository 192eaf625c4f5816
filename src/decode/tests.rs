use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;

use super::*;
use crate::json::{JsonError, MAX_JSON_DEPTH};

fn decoders() -> Decoders {
    Decoders::new(PayloadFormat::String, PayloadFormat::Json)
}

fn event(json: &str) -> KafkaEvent {
    serde_json::from_str(json).unwrap()
}

fn b64(s: &[u8]) -> String {
    BASE64.encode(s)
}

fn one(record: serde_json::Value) -> Decoded {
    let ev = serde_json::json!({"eventSource": "aws:kafka", "records": {"t-0": [record]}});
    let mut out = decode_event(serde_json::from_value(ev).unwrap(), &decoders()).unwrap();
    assert_eq!(out.len(), 1);
    out.remove(0)
}

fn fmt(format: PayloadFormat, bytes: &[u8]) -> Result<String, PayloadError> {
    format.decode(bytes.to_vec()).map(|j| j.as_str().to_owned())
}

#[test]
fn formats() {
    assert_eq!(
        fmt(PayloadFormat::String, b"order-1").unwrap(),
        r#""order-1""#
    );
    assert_eq!(
        fmt(PayloadFormat::String, br#"{"a":1}"#).unwrap(),
        r#""{\"a\":1}""#
    );
    assert!(matches!(
        fmt(PayloadFormat::String, &[0xff]),
        Err(PayloadError::Utf8("string"))
    ));
    assert_eq!(
        fmt(PayloadFormat::Json, br#"{"b":1.50,"a":[1e3]}"#).unwrap(),
        r#"{"b":1.50,"a":[1e3]}"#
    );
    assert_eq!(
        fmt(
            PayloadFormat::Json,
            b" {\n  \"a b\" : \"x \\\" y\" ,\t\"c\":[ 1 , 2 ]\r\n} "
        )
        .unwrap(),
        r#"{"a b":"x \" y","c":[1,2]}"#
    );
    assert_eq!(
        fmt(PayloadFormat::Json, b"\"caf\xc3\xa9\"").unwrap(),
        "\"café\""
    );
    assert!(matches!(
        fmt(PayloadFormat::Json, b"{\"a\":"),
        Err(PayloadError::Json(JsonError::Json(_)))
    ));
    assert!(matches!(
        fmt(PayloadFormat::Json, b""),
        Err(PayloadError::Json(JsonError::Json(_)))
    ));
    assert!(matches!(
        fmt(PayloadFormat::Json, b"\"\xff\""),
        Err(PayloadError::Utf8("json"))
    ));
    assert_eq!(fmt(PayloadFormat::Bytes, &[1, 2, 3]).unwrap(), r#""AQID""#);
    assert_eq!(
        fmt(PayloadFormat::Auto, br#"{"a":1}"#).unwrap(),
        r#"{"a":1}"#
    );
    assert_eq!(
        fmt(PayloadFormat::Auto, b"plain text").unwrap(),
        r#""plain text""#
    );
    assert_eq!(
        fmt(PayloadFormat::Auto, &[0xff, 0x00]).unwrap(),
        r#""/wA=""#
    );
    assert_eq!(
        fmt(PayloadFormat::String, b"a\x01b").unwrap(),
        r#""a\u0001b""#
    );
}

/// Kafka Connect's `JsonConverter` with `schemas.enable=true`: the payload of the envelope, as it
/// came; anything else fails without quoting the record.
#[test]
fn connect_json_sends_the_envelope_s_payload() {
    let connect = |bytes: &[u8]| fmt(PayloadFormat::ConnectJson, bytes);
    assert_eq!(
        connect(br#"{"schema":{"type":"string","optional":false},"payload":"order-1"}"#).unwrap(),
        r#""order-1""#
    );
    assert_eq!(
        connect(
            b"{ \"payload\" : {\"id\": 7, \"total\": 1.50}, \"schema\": {\"type\":\"struct\"} }"
        )
        .unwrap(),
        r#"{"id":7,"total":1.50}"#
    );
    assert_eq!(
        connect(br#"{"schema":null,"payload":null}"#).unwrap(),
        "null"
    );
    for not_envelope in [
        &br#"{"id":7,"secret-field":"card-4111"}"#[..],
        br#"{"schema":{},"payload":1,"extra":"card-4111"}"#,
        br#"{"payload":"card-4111"}"#,
        br#""card-4111""#,
        b"[1,2]",
    ] {
        let error = connect(not_envelope).unwrap_err();
        assert!(matches!(error, PayloadError::NotEnvelope), "{error}");
        assert!(
            !error.to_string().contains("card-4111"),
            "the record is not quoted"
        );
    }
    assert!(matches!(
        connect(b"{\"schema\":"),
        Err(PayloadError::Json(JsonError::Json(_)))
    ));
    assert!(matches!(
        connect(&[0xff]),
        Err(PayloadError::Utf8("connect-json"))
    ));
    // Nesting that `json` accepts is accepted inside the envelope too.
    let nested = format!(
        r#"{{"schema":null,"payload":{}1{}}}"#,
        "[".repeat(1000),
        "]".repeat(1000)
    );
    assert_eq!(
        connect(nested.as_bytes()).unwrap(),
        format!("{}1{}", "[".repeat(1000), "]".repeat(1000))
    );
    // Deep nesting fails as under `json`, without exhausting the stack.
    let deep = format!(
        r#"{{"schema":null,"payload":{}1{}}}"#,
        "[".repeat(5000),
        "]".repeat(5000)
    );
    assert!(connect(deep.as_bytes()).is_err());
}

#[test]
fn eventbridge_json_limits() {
    let max =
        br#"{"a":[9223372036854775807,-9223372036854775808,1e400,1.5,18446744073709551616.0]}"#;
    assert!(fmt(PayloadFormat::Json, max).is_ok());
    assert!(matches!(
        fmt(PayloadFormat::Json, b"9223372036854775808"),
        Err(PayloadError::Json(JsonError::IntegerRange))
    ));
    assert!(matches!(
        fmt(PayloadFormat::Json, br#"{"n":-9223372036854775809}"#),
        Err(PayloadError::Json(JsonError::IntegerRange))
    ));
    assert!(
        fmt(PayloadFormat::Json, br#"{"s":"99999999999999999999"}"#).is_ok(),
        "digits in strings are text"
    );
    let deep = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n)).into_bytes();
    assert!(fmt(PayloadFormat::Json, &deep(MAX_JSON_DEPTH)).is_ok());
    assert!(matches!(
        fmt(PayloadFormat::Json, &deep(MAX_JSON_DEPTH + 1)),
        Err(PayloadError::Json(JsonError::TooDeep))
    ));
    assert!(matches!(
        fmt(PayloadFormat::Json, &deep(3_000_000)),
        Err(PayloadError::Json(JsonError::TooDeep))
    ));
    let in_strings = format!(
        "{}\"[[{{\"{}",
        "{\"a\":".repeat(MAX_JSON_DEPTH),
        "}".repeat(MAX_JSON_DEPTH)
    );
    assert!(
        fmt(PayloadFormat::Json, in_strings.as_bytes()).is_ok(),
        "brackets in strings do not nest"
    );
    assert!(fmt(PayloadFormat::Json, br#"{"a" : "b c"}"#).unwrap() == r#"{"a":"b c"}"#);
}

#[test]
fn headers_keep_document_order_and_bad_shapes_are_record_errors() {
    let headers = |h: serde_json::Value| {
        one(serde_json::json!({"topic": "t", "partition": 0, "offset": 1, "headers": h})).result
    };
    // Raw text: a serde_json::Value would sort the names.
    let ev = event(
        r#"{"records":{"t-0":[{"topic":"t","partition":0,"offset":1,
        "headers":[{"z":[1],"a":[2]},{"m":[]},{"z":[255,-1,0]}]}]}}"#,
    );
    let r = decode_event(ev, &decoders())
        .unwrap()
        .remove(0)
        .result
        .unwrap();
    let names: Vec<&str> = r.headers.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        ["z", "a", "m", "z"],
        "document order, duplicates kept"
    );
    assert_eq!(r.headers[3].1, vec![255, 255, 0]);
    for (bad, message) in [
        (
            serde_json::json!([{"h": [1]}, {"h": [1.5]}]),
            "header #1 is not",
        ),
        (serde_json::json!([{"h": [1]}, 7]), "header #1 is not"),
        (serde_json::json!([{"h": {"x": 1}}]), "header #0 is not"),
        (serde_json::json!([{"h": null}]), "header #0 is not"),
        (serde_json::json!([{"h": [[1]]}]), "header #0 is not"),
        (serde_json::json!([{"h": ["1"]}]), "header #0 is not"),
        (
            serde_json::json!([{"h": [-129]}, {"h": [256]}]),
            "header #0 is not",
        ),
        (serde_json::json!("headers"), "field `headers` is a string"),
        (serde_json::json!(5), "field `headers` is a number"),
        (serde_json::json!(true), "field `headers` is a boolean"),
    ] {
        let err = headers(bad.clone()).unwrap_err().to_string();
        assert!(err.starts_with(message), "{bad}: {err}");
    }
    assert!(headers(serde_json::Value::Null).unwrap().headers.is_empty());
    // A bad header does not derail the parse of the records after it.
    let ev = event(
        r#"{"records":{"t-0":[{"offset":1,"headers":[{"h":[1,{"deep":[[]]}]}]},{"offset":2,"headers":[{"ok":[104,105]}]}]}}"#,
    );
    let out = decode_event(ev, &decoders()).unwrap();
    assert!(out[0].result.is_err());
    assert_eq!(
        out[1].result.as_ref().unwrap().headers,
        vec![("ok".to_owned(), b"hi".to_vec())]
    );
}

#[test]
fn full_record() {
    let d = one(serde_json::json!({
        "topic": "orders", "partition": 0, "offset": 5, "timestamp": 1684841916831_i64,
        "timestampType": "CREATE_TIME", "key": b64(b"order-1"), "value": b64(br#"{"a":1}"#),
        "headers": [{"h1": [97, 98]}, {"h1": [-61, -87]}, {"h2": [195, 169]}]
    }));
    assert_eq!(
        d.info.id,
        RecordRef {
            partition_key: "t-0".into(),
            offset: 5
        }
    );
    let r = d.result.unwrap();
    assert_eq!(&*r.topic, "orders");
    assert_eq!(r.timestamp, Some(1684841916831));
    assert_eq!(r.timestamp_type, TimestampType::CreateTime);
    assert_eq!(r.key.unwrap().as_str(), r#""order-1""#);
    assert_eq!(r.value.unwrap().as_str(), r#"{"a":1}"#);
    assert_eq!(
        r.headers,
        vec![
            ("h1".into(), b"ab".to_vec()),
            ("h1".into(), "é".as_bytes().to_vec()),
            ("h2".into(), "é".as_bytes().to_vec())
        ]
    );
}

#[test]
fn absent_and_null_fields() {
    let r = one(serde_json::json!({"topic": "t", "partition": 0, "offset": 1, "timestamp": 5, "timestampType": "LOG_APPEND_TIME"}))
        .result
        .unwrap();
    assert_eq!((r.key, r.value, r.headers.len()), (None, None, 0));
    assert_eq!(r.timestamp_type, TimestampType::LogAppendTime);
    let r = one(serde_json::json!({"topic": "t", "partition": 0, "offset": 1, "key": null, "value": null, "headers": null}))
        .result
        .unwrap();
    assert_eq!((r.key, r.value, r.headers.len()), (None, None, 0));
    assert_eq!(
        (r.timestamp, r.timestamp_type),
        (None, TimestampType::NoTimestampType)
    );
}

#[test]
fn timestamp_rules() {
    let ts = |t: serde_json::Value, ty: &str| {
        let r = one(serde_json::json!({"topic": "t", "partition": 0, "offset": 1, "timestamp": t, "timestampType": ty}))
            .result
            .unwrap();
        (r.timestamp, r.timestamp_type)
    };
    assert_eq!(
        ts((-1).into(), "CREATE_TIME"),
        (None, TimestampType::NoTimestampType)
    );
    assert_eq!(
        ts(7.into(), "NO_TIMESTAMP_TYPE"),
        (None, TimestampType::NoTimestampType)
    );
    assert_eq!(
        ts(7.into(), "CREATE_TIME"),
        (Some(7), TimestampType::CreateTime)
    );
}

#[test]
fn topic_and_partition_fall_back_to_the_key() {
    let ev = event(r#"{"records":{"my-topic-7":[{"offset":3}]}}"#);
    let d = decode_event(ev, &decoders()).unwrap().remove(0);
    let r = d.result.unwrap();
    assert_eq!((&*r.topic, r.partition, r.offset), ("my-topic", 7, 3));
}

#[test]
fn record_errors() {
    let err = |rec: serde_json::Value| one(rec).result.unwrap_err().to_string();
    let base = |extra: serde_json::Value| {
        let mut r = serde_json::json!({"topic": "t", "partition": 0, "offset": 1});
        r.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        r
    };
    assert_eq!(
        err(base(serde_json::json!({"value": "!!"}))),
        "`value` is not valid base64"
    );
    assert_eq!(
        err(base(serde_json::json!({"value": 5}))),
        "field `value` is a number, expected a base64 string"
    );
    assert_eq!(
        err(base(serde_json::json!({"value": b64(b"{")})))
            .split(':')
            .next()
            .unwrap(),
        "value is not valid JSON"
    );
    assert_eq!(
        err(base(serde_json::json!({"key": b64(&[0xff])}))),
        "key is not valid UTF-8, so format string cannot read it; for binary data set AWS_EVENTBRIDGE_KEY_FORMAT to bytes (base64) or auto"
    );
    // Read as the JDK and Python decoders do: non-zero unused bits, no padding.
    let ok = |rec: serde_json::Value| one(rec).result.unwrap();
    let lenient = ok(base(
        serde_json::json!({"key": "a2V5ZR==", "value": "eyJhIjoxfQ"}),
    ));
    assert_eq!(lenient.key.unwrap().as_str(), r#""keye""#);
    assert_eq!(lenient.value.unwrap().as_str(), r#"{"a":1}"#);
    assert_eq!(
        err(base(serde_json::json!({"headers": [{"h": [256]}]}))),
        "header #0 is not a name with an array of bytes in -128..=255"
    );
    assert_eq!(
        err(base(serde_json::json!({"headers": [{"h": "x"}]}))),
        "header #0 is not a name with an array of bytes in -128..=255"
    );
    assert_eq!(
        err(base(serde_json::json!({"headers": {}}))),
        "field `headers` is an object, expected an array"
    );
    assert_eq!(
        err(base(serde_json::json!({"timestamp": "x"}))),
        "field `timestamp` is a string, expected an integer"
    );
    assert_eq!(
        err(serde_json::json!({"topic": 5, "partition": 0, "offset": 1})),
        "field `topic` is a number, expected a string"
    );
}

#[test]
fn schema_metadata_decodes_as_json() {
    let ev = serde_json::json!({"records": {"t-0": [{
        "topic": "t", "partition": 0, "offset": 1,
        "key": b64(br#"{"id":1}"#), "keySchemaMetadata": {"dataFormat": "AVRO", "schemaId": "1"},
        "value": b64(br#"{"a":1}"#), "valueSchemaMetadata": {"dataFormat": "AVRO", "schemaId": "2"}
    }]}});
    let decoders = Decoders::new(PayloadFormat::String, PayloadFormat::String);
    // JSON from the mapping (`EventRecordFormat: JSON`) needs no schema under `auto`.
    assert_eq!(
        decoders.schema_ids(&serde_json::from_value(ev.clone()).unwrap()),
        []
    );
    let r = decode_event(serde_json::from_value(ev).unwrap(), &decoders)
        .unwrap()
        .remove(0)
        .result
        .unwrap();
    assert_eq!(r.key.unwrap().as_str(), r#"{"id":1}"#);
    assert_eq!(r.value.unwrap().as_str(), r#"{"a":1}"#);
}

/// The schemas to fetch for metadata records: under `auto` only for ids whose records are
/// not JSON, under `source` always, under `json` never; a Glue schema version id is a UUID.
#[test]
fn metadata_schema_ids_follow_the_record_format() {
    let version = "0b5e3bd2-6a3e-4c32-9d5e-3a8c1f2b7d10";
    let ev = serde_json::json!({"records": {"t-0": [
        {"offset": 1, "value": b64(&[2, 4, 6]),
         "valueSchemaMetadata": {"dataFormat": "AVRO", "schemaId": version}},
        {"offset": 2, "value": b64(br#"{"a":1}"#),
         "valueSchemaMetadata": {"dataFormat": "AVRO", "schemaId": "7"}},
        {"offset": 3, "value": b64(&[0, 2]),
         "valueSchemaMetadata": {"dataFormat": "PROTOBUF", "schemaId": "7"}},
    ]}});
    let event = || serde_json::from_value::<KafkaEvent>(ev.clone()).unwrap();
    let glue = SchemaId::Glue(uuid::Uuid::parse_str(version).unwrap());
    let mut decoders = Decoders::new(PayloadFormat::String, PayloadFormat::Json);
    assert_eq!(decoders.schema_ids(&event()), [glue]);
    decoders.esm_format = EsmRecordFormat::Source;
    assert_eq!(
        decoders.schema_ids(&event()),
        [SchemaId::Confluent(7), glue]
    );
    decoders.esm_format = EsmRecordFormat::Json;
    assert_eq!(decoders.schema_ids(&event()), []);
}

#[test]
fn event_errors() {
    let d = decoders();
    assert_eq!(
        decode_event(event("{}"), &d).unwrap_err(),
        EventError::NoRecords("missing")
    );
    assert_eq!(
        decode_event(event(r#"{"records":null}"#), &d).unwrap_err(),
        EventError::NoRecords("null")
    );
    assert_eq!(
        decode_event(event(r#"{"records":[1]}"#), &d).unwrap_err(),
        EventError::NoRecords("an array")
    );
    assert_eq!(
        decode_event(event(r#"{"eventSource":"aws:sqs","records":{}}"#), &d).unwrap_err(),
        EventError::UnsupportedSource("aws:sqs".into())
    );
    assert_eq!(
        decode_event(
            event(r#"{"records":{"t-0":[{"offset":1},{"offset":"2"}]}}"#),
            &d
        )
        .unwrap_err(),
        EventError::NoOffset {
            partition_key: "t-0".into(),
            index: 1
        }
    );
    for source in ["SelfManagedKafka", "aws:SelfManagedKafka", "aws:kafka"] {
        let json = format!(r#"{{"eventSource":"{source}","records":{{}}}}"#);
        assert!(decode_event(event(&json), &d).unwrap().is_empty());
    }
}

#[test]
fn event_order_is_kept() {
    let ev = event(r#"{"records":{"b-1":[{"offset":9},{"offset":10}],"a-0":[{"offset":1}]}}"#);
    let ids: Vec<(String, i64)> = decode_event(ev, &decoders())
        .unwrap()
        .into_iter()
        .map(|d| (d.info.id.partition_key.to_string(), d.info.id.offset))
        .collect();
    assert_eq!(
        ids,
        vec![("b-1".into(), 9), ("b-1".into(), 10), ("a-0".into(), 1)]
    );
}

#[test]
fn accepts_the_aws_lambda_events_fixture_shape() {
    // The same event must deserialize into the aws_lambda_events type and into ours.
    let json = r#"{"eventSource":"aws:kafka","eventSourceArn":"arn:aws:kafka:us-east-1:123456789012:cluster/c/1",
        "bootstrapServers":"b-1:9092","records":{"mytopic-0":[{"topic":"mytopic","partition":0,"offset":15,
        "timestamp":1545084650987,"timestampType":"CREATE_TIME","key":"a2V5","value":"eyJrZXkiOiJ2YWx1ZSJ9",
        "headers":[{"headerKey":[104,101,97,100,101,114,86,97,108,117,101]}]}]}}"#;
    let theirs: aws_lambda_events::event::kafka::KafkaEvent = serde_json::from_str(json).unwrap();
    let ours = decode_event(event(json), &decoders()).unwrap();
    let their_record = &theirs.records["mytopic-0"][0];
    let our_record = ours[0].result.as_ref().unwrap();
    assert_eq!(their_record.offset, our_record.offset);
    assert_eq!(their_record.topic.as_deref(), Some(&*our_record.topic));
    assert_eq!(our_record.headers[0].1, b"headerValue");
    assert_eq!(
        our_record.value.as_ref().unwrap().as_str(),
        r#"{"key":"value"}"#
    );
}
