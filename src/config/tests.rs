use std::collections::HashMap;

use super::*;
use super::{bus::*, credentials::*, error::*};
use crate::decode::EsmRecordFormat;
use crate::map::EventGroup;

const ARN: &str = "arn:aws:events:us-east-1:123456789012:event-bus/b";

pub(super) fn parse(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
    let mut all: HashMap<String, String> = [(CONNECTOR_ID, "c1"), (EVENTBUS_ARN, ARN)]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    for (k, v) in vars {
        all.insert(k.to_string(), v.to_string());
    }
    Config::from_lookup(|name| all.get(name).cloned())
}

pub(super) fn invalid_var(result: Result<Config, ConfigError>) -> &'static str {
    match result {
        Err(ConfigError::Invalid { var, .. }) | Err(ConfigError::Missing { var, .. }) => var,
        Ok(_) => panic!("expected an error"),
    }
}

#[test]
fn defaults() {
    let c = parse(&[]).unwrap();
    assert_eq!(c.source(), "kafka-connect.c1");
    assert_eq!(c.bus_arn.as_str(), ARN);
    assert_eq!(c.region, "us-east-1");
    assert_eq!(c.resources, Vec::<String>::new());
    assert_eq!(
        c.detail_type,
        DetailTypeRule::Template("kafka-connect-${topic}".into())
    );
    assert_eq!(c.time_mapper, TimeRule::None);
    assert_eq!(c.decode.key_format, PayloadFormat::String);
    assert_eq!(c.decode.value_format, PayloadFormat::Json);
    assert_eq!(c.batch_max_bytes, 1_048_575);
    assert_eq!(c.max_inflight.get(), 8);
    assert!(c.adaptive_concurrency);
    assert_eq!(c.retries_max, 2);
    assert_eq!(c.retries_delay, Duration::from_millis(200));
    assert_eq!(c.failure_mode, FailureMode::Partial);
    assert_eq!(c.call_timeout, Duration::from_secs(5));
    assert_eq!(c.endpoint_uri, None);
    assert_eq!(c.global_endpoint_id, None);
}

#[test]
fn required_variables() {
    let r = Config::from_lookup(|_| None);
    assert_eq!(invalid_var(r), CONNECTOR_ID);
    let r = Config::from_lookup(|n| (n == CONNECTOR_ID).then(|| "  ".to_string()));
    assert_eq!(invalid_var(r), CONNECTOR_ID);
    let r = Config::from_lookup(|n| (n == CONNECTOR_ID).then(|| "c".to_string()));
    assert_eq!(invalid_var(r), EVENTBUS_ARN);
}

const V2_ARN: &str =
    "arn:aws:events:eu-west-1:123456789012:event-busv2/orders/abcdefghij0123456789klmno";

#[test]
fn custom_event_bus_arns_and_defaults() {
    let c = parse(&[(EVENTBUS_ARN, V2_ARN)]).unwrap();
    assert_eq!(c.bus_arn.kind(), BusKind::V2);
    assert_eq!(c.region, "eu-west-1");
    assert_eq!(c.batch_max_entries, 100);
    assert_eq!(
        c.ordering,
        Some(Ordering {
            event_group: EventGroup::Partition,
            deduplication: Deduplication::Offset
        })
    );
    let classic = parse(&[]).unwrap();
    assert_eq!(classic.bus_arn.kind(), BusKind::Classic);
    assert_eq!((classic.batch_max_entries, classic.ordering), (10, None));
    let c = parse(&[
        (EVENTBUS_ARN, V2_ARN),
        (EVENT_GROUP, "key"),
        (DEDUPLICATION, "content"),
        (BATCH_MAX_ENTRIES, "25"),
    ])
    .unwrap();
    assert_eq!(c.batch_max_entries, 25);
    assert_eq!(
        c.ordering,
        Some(Ordering {
            event_group: EventGroup::Key,
            deduplication: Deduplication::Content
        })
    );
    for bad in [
        "arn:aws:events:eu-west-1:123456789012:event-busv2/orders",
        "arn:aws:events:eu-west-1:123456789012:event-busv2/orders/ABCDEFGHIJ0123456789KLMNO",
        "arn:aws:events:eu-west-1:123456789012:event-busv2/orders/short",
        "arn:aws:events:eu-west-1:123456789012:event-busv2/-x/abcdefghij0123456789klmno",
    ] {
        let err = parse(&[(EVENTBUS_ARN, bad)]).unwrap_err().to_string();
        assert!(err.contains("event-bus/<name>"), "{err}");
        assert!(
            err.contains("event-busv2/<name>/<25-character id>"),
            "{err}"
        );
    }
}

#[test]
fn bus_kind_settings_are_checked_against_the_bus() {
    for var in [EVENT_GROUP, DEDUPLICATION] {
        let err = parse(&[(var, "none")]).unwrap_err();
        assert_eq!(invalid_var(Err(err)), var);
    }
    assert_eq!(
        invalid_var(parse(&[(BATCH_MAX_ENTRIES, "11")])),
        BATCH_MAX_ENTRIES
    );
    assert_eq!(
        parse(&[(BATCH_MAX_ENTRIES, "10")])
            .unwrap()
            .batch_max_entries,
        10
    );
    assert_eq!(
        invalid_var(parse(&[(EVENTBUS_ARN, V2_ARN), (BATCH_MAX_ENTRIES, "101")])),
        BATCH_MAX_ENTRIES
    );
    assert_eq!(
        invalid_var(parse(&[(EVENTBUS_ARN, V2_ARN), (BATCH_MAX_ENTRIES, "0")])),
        BATCH_MAX_ENTRIES
    );
    assert_eq!(
        invalid_var(parse(&[(EVENTBUS_ARN, V2_ARN), (EVENT_GROUP, "topic")])),
        EVENT_GROUP
    );
    assert_eq!(
        invalid_var(parse(&[(EVENTBUS_ARN, V2_ARN), (DEDUPLICATION, "key")])),
        DEDUPLICATION
    );
    assert_eq!(
        invalid_var(parse(&[
            (EVENTBUS_ARN, V2_ARN),
            (GLOBAL_ENDPOINT_ID, "abc.xyz")
        ])),
        GLOBAL_ENDPOINT_ID
    );
}

#[test]
fn bus_arn_rules() {
    let ok = [
        "arn:aws:events:eu-central-1:123456789101:event-bus/default",
        "arn:aws-us-gov:events:us-gov-west-1:123456789101:event-bus/default",
        "arn:aws-cn:events:cn-north-1:123456789101:event-bus/a/b",
    ];
    for arn in ok {
        let c = parse(&[(EVENTBUS_ARN, arn)]).unwrap();
        assert_eq!(c.bus_arn.as_str(), arn);
    }
    let c = parse(&[(EVENTBUS_ARN, ok[1])]).unwrap();
    assert_eq!(c.bus_arn.partition(), "aws-us-gov");
    assert_eq!(c.region, "us-gov-west-1");
    let bad = [
        "arn:aws:events:eu-central-1:123456789101:event-bus/",
        "arn:aws:sqs:eu-central-1:123456789101:event-bus/x",
        "arn:aws:events:eu-central-1:12345678910:event-bus/x",
        "arn:aws:events:central:123456789101:event-bus/x",
        "arn:gcp:events:eu-central-1:123456789101:event-bus/x",
        "arn:aws:events:eu-central-1:123456789101:rule/x",
        "something",
    ];
    for arn in bad {
        let err = parse(&[(EVENTBUS_ARN, arn)]).unwrap_err();
        assert!(
            matches!(
                err,
                ConfigError::Invalid {
                    var: EVENTBUS_ARN,
                    ..
                }
            ),
            "{arn}: {err}"
        );
        assert!(
            err.to_string().contains(arn),
            "message names the value: {err}"
        );
    }
}

#[test]
fn region_override_and_endpoint() {
    let c = parse(&[
        (REGION, "eu-west-1"),
        (ENDPOINT_URI, "http://127.0.0.1:5000"),
    ])
    .unwrap();
    assert_eq!(c.region, "eu-west-1");
    assert_eq!(c.endpoint_uri.as_deref(), Some("http://127.0.0.1:5000"));
    assert_eq!(invalid_var(parse(&[(REGION, "invalid region")])), REGION);
    assert_eq!(
        invalid_var(parse(&[(ENDPOINT_URI, "127.0.0.1:5000")])),
        ENDPOINT_URI
    );
}

#[test]
fn global_endpoint_id_rules() {
    let c = parse(&[(GLOBAL_ENDPOINT_ID, "abcde.veo")]).unwrap();
    assert_eq!(c.global_endpoint_id.as_deref(), Some("abcde.veo"));
    for bad in ["abcendpoint", "abc.def.xyz", ".x", "a_b.c"] {
        assert_eq!(
            invalid_var(parse(&[(GLOBAL_ENDPOINT_ID, bad)])),
            GLOBAL_ENDPOINT_ID,
            "{bad}"
        );
    }
}

#[test]
fn resources_are_trimmed() {
    let c = parse(&[(RESOURCES, " r1, r2 ,,")]).unwrap();
    assert_eq!(c.resources, vec!["r1", "r2"]);
}

#[test]
fn detail_type_rules() {
    let c = parse(&[(DETAIL_TYPES, "x-${topic}")]).unwrap();
    assert_eq!(c.detail_type, DetailTypeRule::Template("x-${topic}".into()));
    let c = parse(&[(DETAIL_TYPES, "my detail type")]).unwrap();
    assert_eq!(
        c.detail_type,
        DetailTypeRule::Template("my detail type".into())
    );
    let c = parse(&[(DETAIL_TYPES, "orders:com.ex.Order.v1, users:com.ex.User.v1")]).unwrap();
    let DetailTypeRule::PerTopic(map) = c.detail_type else {
        panic!("map mode")
    };
    assert_eq!(map["orders"], "com.ex.Order.v1");
    assert_eq!(map["users"], "com.ex.User.v1");
    let c = parse(&[(DETAIL_TYPES, "orders:Order")]).unwrap();
    assert!(matches!(c.detail_type, DetailTypeRule::PerTopic(_)));
    // A detail-type may itself hold a colon; only the first one separates the topic.
    let c = parse(&[(DETAIL_TYPES, "a:b:c")]).unwrap();
    let DetailTypeRule::PerTopic(map) = c.detail_type else {
        panic!("map mode")
    };
    assert_eq!(map["a"], "b:c");
    for bad in [
        "kafka-connect:test,something,else",
        "a:",
        ":b",
        "a:b,a:c",
        "a b:c,d:e",
    ] {
        assert_eq!(
            invalid_var(parse(&[(DETAIL_TYPES, bad)])),
            DETAIL_TYPES,
            "{bad}"
        );
    }
}

#[test]
fn jsonpath_detail_type() {
    let c = parse(&[
        (DETAIL_TYPES_MAPPER, "jsonpath"),
        (DETAIL_TYPES_FIELDREF, "$.meta.type"),
    ])
    .unwrap();
    assert!(matches!(c.detail_type, DetailTypeRule::JsonPath(_)));
    assert_eq!(
        invalid_var(parse(&[(DETAIL_TYPES_MAPPER, "jsonpath")])),
        DETAIL_TYPES_FIELDREF
    );
    for bad in ["$..type", "$.a[*]", "not a path", "$.a[?@.b]"] {
        let r = parse(&[
            (DETAIL_TYPES_MAPPER, "jsonpath"),
            (DETAIL_TYPES_FIELDREF, bad),
        ]);
        assert_eq!(invalid_var(r), DETAIL_TYPES_FIELDREF, "{bad}");
    }
    assert_eq!(
        invalid_var(parse(&[(DETAIL_TYPES_MAPPER, "class")])),
        DETAIL_TYPES_MAPPER
    );
}

#[test]
fn schema_registry_settings() {
    let c = parse(&[]).unwrap();
    assert_eq!(
        (c.decode.registry.is_none(), c.decode.esm_format),
        (true, EsmRecordFormat::Auto)
    );
    // Records may name schemas (framing, the event source mapping's metadata) whatever the
    // formats: the cache is always there, and a missing registry is a record's reason.
    assert!(c.decoders().schemas.is_some());
    assert_eq!(c.decode.glue_region, "us-east-1");
    // The avro, protobuf and registry formats need no URL: Glue-framed data needs none.
    for (var, format) in [(VALUE_FORMAT, "avro"), (KEY_FORMAT, "registry")] {
        let c = parse(&[(var, format)]).unwrap();
        assert!(c.decode.registry.is_none());
    }
    // The Glue region: the variable, else the function's region, else the bus's.
    assert_eq!(
        parse(&[("AWS_REGION", "eu-west-1")])
            .unwrap()
            .decode
            .glue_region,
        "eu-west-1"
    );
    let c = parse(&[
        ("AWS_REGION", "eu-west-1"),
        (SCHEMA_REGISTRY_GLUE_REGION, " ap-south-2 "),
    ])
    .unwrap();
    assert_eq!(
        (
            c.decode.glue_region.as_str(),
            c.decode.function_region.as_str()
        ),
        ("ap-south-2", "eu-west-1")
    );
    assert_eq!(
        invalid_var(parse(&[(SCHEMA_REGISTRY_GLUE_REGION, "Europe")])),
        SCHEMA_REGISTRY_GLUE_REGION
    );
    // connect-json (JsonConverter's envelope) needs no registry either.
    assert_eq!(
        parse(&[(KEY_FORMAT, "connect-json")])
            .unwrap()
            .decode
            .key_format,
        PayloadFormat::ConnectJson
    );
    // json-schema needs no schema to read JSON.
    assert_eq!(
        parse(&[(VALUE_FORMAT, "json-schema")])
            .unwrap()
            .decode
            .value_format,
        PayloadFormat::JsonSchema
    );
    let c = parse(&[
        (KEY_FORMAT, "avro"),
        (SCHEMA_REGISTRY_URL, " https://registry.example.com:8081/ "),
        (SCHEMA_REGISTRY_USER_INFO, "svc:p@ss:word"),
        (ESM_RECORD_FORMAT, "source"),
    ])
    .unwrap();
    let registry = c.decode.registry.clone().unwrap();
    assert_eq!(registry.url, "https://registry.example.com:8081");
    assert_eq!(registry.user_info.as_ref().unwrap().0, "svc:p@ss:word");
    assert!(
        !format!("{c:?}").contains("p@ss"),
        "the password is never printed"
    );
    assert_eq!(
        (c.decode.key_format, c.decode.esm_format),
        (PayloadFormat::Avro, EsmRecordFormat::Source)
    );
    assert!(c.decoders().schemas.is_some());
    for bad in [
        "registry:8081",
        "ftp://r",
        "https://",
        "http:///x",
        "https://a b",
    ] {
        let r = parse(&[(SCHEMA_REGISTRY_URL, bad)]);
        assert_eq!(invalid_var(r), SCHEMA_REGISTRY_URL, "{bad}");
    }
    // Credentials in the URL become the basic auth; the URL kept has none.
    let c = parse(&[(
        SCHEMA_REGISTRY_URL,
        "https://svc:p%40ss@registry.example.com:8081/",
    )])
    .unwrap();
    let registry = c.decode.registry.clone().unwrap();
    assert_eq!(registry.url, "https://registry.example.com:8081");
    assert_eq!(registry.user_info.as_ref().unwrap().0, "svc:p@ss");
    assert!(!format!("{c:?} {:?}", c.decoders()).contains("p%40ss"));
    let err = parse(&[
        (SCHEMA_REGISTRY_URL, "https://svc:hunter2@r"),
        (SCHEMA_REGISTRY_USER_INFO, "a:b"),
    ])
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("https://***@r") && !err.contains("hunter2"),
        "{err}"
    );
    let err = parse(&[(SCHEMA_REGISTRY_URL, "ftp://svc:hunter2@r")])
        .unwrap_err()
        .to_string();
    assert!(!err.contains("hunter2"), "{err}");
    let err = parse(&[
        (SCHEMA_REGISTRY_URL, "http://r"),
        (SCHEMA_REGISTRY_USER_INFO, "secret"),
    ])
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "`AWS_EVENTBRIDGE_SCHEMA_REGISTRY_USER_INFO`=\"(hidden)\" is invalid: must be user:password"
    );
    for credentials in [SCHEMA_REGISTRY_USER_INFO, SCHEMA_REGISTRY_SECRET_ARN] {
        assert!(matches!(
            parse(&[(credentials, "a:b")]).unwrap_err(),
            ConfigError::Missing {
                var: SCHEMA_REGISTRY_URL,
                ..
            }
        ));
    }
    // Credentials from Secrets Manager: one source only, read at cold start.
    let secret = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:registry-AbCdEf";
    let c = parse(&[
        (SCHEMA_REGISTRY_URL, "http://r"),
        (SCHEMA_REGISTRY_SECRET_ARN, secret),
    ])
    .unwrap();
    let registry = c.decode.registry.unwrap();
    assert_eq!(
        (registry.secret_arn.as_deref(), registry.user_info),
        (Some(secret), None)
    );
    let err = parse(&[
        (SCHEMA_REGISTRY_URL, "http://r"),
        (SCHEMA_REGISTRY_SECRET_ARN, secret),
        (SCHEMA_REGISTRY_USER_INFO, "a:b"),
    ])
    .unwrap_err();
    assert_eq!(invalid_var(Err(err)), SCHEMA_REGISTRY_SECRET_ARN);
    assert_eq!(
        invalid_var(parse(&[
            (SCHEMA_REGISTRY_URL, "http://r"),
            (SCHEMA_REGISTRY_SECRET_ARN, "my secret"),
        ])),
        SCHEMA_REGISTRY_SECRET_ARN
    );
    assert_eq!(
        invalid_var(parse(&[(ESM_RECORD_FORMAT, "SOURCE")])),
        ESM_RECORD_FORMAT
    );
}

#[test]
fn numeric_ranges() {
    for (var, bad) in [
        (RETRIES_MAX, "-1"),
        (RETRIES_MAX, "11"),
        (RETRIES_MAX, "two"),
        (MAX_INFLIGHT, "0"),
        (MAX_INFLIGHT, "101"),
        (BATCH_MAX_BYTES, "0"),
        (BATCH_MAX_BYTES, "1048577"),
        (RETRIES_DELAY, "-5"),
        (RETRIES_DELAY, "60001"),
        (CALL_TIMEOUT_MS, "49"),
        (CALL_TIMEOUT_MS, "60001"),
    ] {
        let err = parse(&[(var, bad)]).unwrap_err();
        assert!(
            matches!(&err, ConfigError::Invalid { var: v, .. } if *v == var),
            "{var}={bad}: {err}"
        );
        assert!(
            err.to_string().contains("must be a whole number from"),
            "{err}"
        );
    }
    let c = parse(&[
        (RETRIES_MAX, "10"),
        (MAX_INFLIGHT, "1"),
        (BATCH_MAX_BYTES, "262144"),
        (RETRIES_DELAY, "0"),
    ])
    .unwrap();
    assert_eq!(
        (c.retries_max, c.max_inflight.get(), c.batch_max_bytes),
        (10, 1, 262_144)
    );
    assert_eq!(c.retries_delay, Duration::ZERO);
}

#[test]
fn named_choices() {
    let c = parse(&[
        (TIME_MAPPER, "record-timestamp"),
        (KEY_FORMAT, "bytes"),
        (VALUE_FORMAT, "auto"),
        (BATCH_FAILURE_MODE, "fail-invocation"),
    ])
    .unwrap();
    assert_eq!(c.time_mapper, TimeRule::RecordTimestamp);
    assert_eq!(c.decode.key_format, PayloadFormat::Bytes);
    assert_eq!(c.decode.value_format, PayloadFormat::Auto);
    assert_eq!(c.failure_mode, FailureMode::FailInvocation);
    for var in [TIME_MAPPER, KEY_FORMAT, VALUE_FORMAT, BATCH_FAILURE_MODE] {
        assert_eq!(invalid_var(parse(&[(var, "nonsense")])), var);
    }
}

#[test]
fn offloading_is_off_without_a_bucket() {
    let config = parse(&[(OFFLOAD_FIELDREF, "$.detail.value.x")]).unwrap();
    assert_eq!(config.offload, None);
    assert_eq!(
        config.unused_offload_fieldref.map(|f| f.to_string()),
        Some("$.detail.value.x".to_owned())
    );
    assert_eq!(parse(&[]).unwrap().unused_offload_fieldref, None);
    let default = parse(&[(OFFLOAD_FIELDREF, DEFAULT_OFFLOAD_FIELDREF)]);
    assert_eq!(default.unwrap().unused_offload_fieldref, None);
}

#[test]
fn the_offload_fieldref_is_checked_without_a_bucket() {
    for (bad, rule) in [
        ("$", "must lie at or under $.detail.value"),
        ("$.detail", "must lie at or under $.detail.value"),
        ("$.detail.[*]", "not a valid JSONPath"),
        ("$.detail.value[*]", "must be a definite JSONPath"),
    ] {
        let err = parse(&[(OFFLOAD_FIELDREF, bad)]).unwrap_err();
        assert_eq!(invalid_var(Err(err.clone())), OFFLOAD_FIELDREF, "{bad}");
        assert!(err.to_string().contains(rule), "{bad}: {err}");
    }
}

#[test]
fn offloading_defaults() {
    let o = parse(&[(OFFLOAD_BUCKET, "my-bucket")])
        .unwrap()
        .offload
        .unwrap();
    assert_eq!(o.bucket, "my-bucket");
    assert_eq!(o.fieldref.as_str(), "$.detail.value");
    assert!(o.value_steps().is_empty());
    assert_eq!(
        (
            o.threshold_bytes,
            o.key_prefix.as_str(),
            o.s3_endpoint_uri.as_deref()
        ),
        (0, "", None)
    );
    let o = parse(&[
        (OFFLOAD_BUCKET, "test"),
        (OFFLOAD_FIELDREF, "$.detail.value.message"),
        (OFFLOAD_S3_ENDPOINT_URI, "http://127.0.0.1:9000"),
        (OFFLOAD_THRESHOLD, "262144"),
        (OFFLOAD_KEY_PREFIX, "kafka/"),
    ])
    .unwrap()
    .offload
    .unwrap();
    assert_eq!(
        o.value_steps(),
        &[crate::path::Step::Member("message".into())]
    );
    assert_eq!(o.s3_endpoint_uri.as_deref(), Some("http://127.0.0.1:9000"));
    assert_eq!(
        (o.threshold_bytes, o.key_prefix.as_str()),
        (262_144, "kafka/")
    );
}

#[test]
fn offload_bucket_rules() {
    for ok in ["test", "a.b-c", "123", &"a".repeat(63)] {
        assert!(parse(&[(OFFLOAD_BUCKET, ok)]).is_ok(), "{ok}");
    }
    for bad in ["s3", "s 3", "-s3", "s3-", "Upper", "a_b", &"a".repeat(64)] {
        let err = parse(&[(OFFLOAD_BUCKET, bad)]).unwrap_err();
        assert_eq!(invalid_var(Err(err.clone())), OFFLOAD_BUCKET, "{bad}");
        assert!(
            err.to_string().contains("must be an S3 bucket name"),
            "{err}"
        );
    }
}

#[test]
fn offload_fieldref_rules() {
    let fieldref = |f: &str| parse(&[(OFFLOAD_BUCKET, "test"), (OFFLOAD_FIELDREF, f)]);
    for ok in [
        "$.detail.value",
        "$.detail.value.test",
        "$.detail.value.orderItems",
        "$.detail.value.a[0]",
        "$.detail.value.non-existing-key",
    ] {
        assert!(fieldref(ok).is_ok(), "{ok}");
    }
    for (bad, rule) in [
        ("$", "must lie at or under $.detail.value"),
        ("$.detail", "must lie at or under $.detail.value"),
        ("$.other", "must lie at or under $.detail.value"),
        ("$.detail.valueX", "must lie at or under $.detail.value"),
        ("$.detail.value[*]", "must be a definite JSONPath"),
        (
            "$.detail.value.orderItems[*]",
            "must be a definite JSONPath",
        ),
        ("$..value", "must be a definite JSONPath"),
        ("$.detail.value[?@.a]", "must be a definite JSONPath"),
        ("$.detail.value[0:1]", "must be a definite JSONPath"),
        ("$.detail.value['a','b']", "must be a definite JSONPath"),
        ("$.detail..", "not a valid JSONPath"),
        ("detail.value", "not a valid JSONPath"),
    ] {
        let err = fieldref(bad).unwrap_err();
        assert!(
            matches!(
                &err,
                ConfigError::Invalid {
                    var: OFFLOAD_FIELDREF,
                    ..
                }
            ),
            "{bad}: {err}"
        );
        assert!(err.to_string().contains(rule), "{bad}: {err}");
    }
}

#[test]
fn offload_threshold_and_prefix_rules() {
    let with = |k: &'static str, v: &str| parse(&[(OFFLOAD_BUCKET, "test"), (k, v)]);
    assert_eq!(
        invalid_var(with(OFFLOAD_THRESHOLD, "-1")),
        OFFLOAD_THRESHOLD
    );
    assert_eq!(
        invalid_var(with(OFFLOAD_THRESHOLD, "1048577")),
        OFFLOAD_THRESHOLD
    );
    assert_eq!(
        invalid_var(with(OFFLOAD_KEY_PREFIX, &"p".repeat(989))),
        OFFLOAD_KEY_PREFIX
    );
    assert_eq!(
        invalid_var(with(OFFLOAD_S3_ENDPOINT_URI, "localhost:9000")),
        OFFLOAD_S3_ENDPOINT_URI
    );
}

#[test]
fn credentials_rules() {
    assert_eq!(
        parse(&[]).unwrap().credentials,
        CredentialsConfig::default()
    );
    for arn in [
        "arn:aws:iam::123456789101:role/x",
        "arn:aws-us-gov:iam::123456789101:role/path/x",
        "arn:aws-cn:iam::123456789101:role/x",
    ] {
        let c = parse(&[(IAM_ROLE_ARN, arn), (IAM_EXTERNAL_ID, "ext-id_1")])
            .unwrap()
            .credentials;
        assert_eq!(c.role_arn.as_deref(), Some(arn));
        assert_eq!(c.external_id.as_deref(), Some("ext-id_1"));
    }
    for bad in [
        "arn:aws:iam::12345:role/x",
        "arn:aws:iam::123456789101:user/x",
        "arn:aws:iam::123456789101:role/",
        "role",
    ] {
        assert_eq!(
            invalid_var(parse(&[(IAM_ROLE_ARN, bad)])),
            IAM_ROLE_ARN,
            "{bad}"
        );
    }
    assert_eq!(
        invalid_var(parse(&[(IAM_EXTERNAL_ID, "abc")])),
        IAM_EXTERNAL_ID,
        "needs a role"
    );
    let role = (IAM_ROLE_ARN, "arn:aws:iam::123456789101:role/x");
    assert_eq!(
        invalid_var(parse(&[role, (IAM_EXTERNAL_ID, "a")])),
        IAM_EXTERNAL_ID,
        "too short"
    );
    assert_eq!(
        invalid_var(parse(&[role, (IAM_EXTERNAL_ID, "a b")])),
        IAM_EXTERNAL_ID
    );
}

#[test]
fn a_profile_is_rejected_when_standard_credentials_are_set() {
    let c = parse(&[(IAM_PROFILE_NAME, "dev")]).unwrap().credentials;
    assert_eq!(c.profile_name.as_deref(), Some("dev"));
    let err = parse(&[
        (IAM_PROFILE_NAME, "dev"),
        ("AWS_ACCESS_KEY_ID", "AKID"),
        ("AWS_PROFILE", "x"),
    ])
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "`AWS_EVENTBRIDGE_IAM_PROFILE_NAME`=\"dev\" is invalid: cannot take effect while AWS_PROFILE, AWS_ACCESS_KEY_ID are set; unset them to use the profile"
    );
    let err = parse(&[(IAM_PROFILE_NAME, "dev"), ("AWS_SESSION_TOKEN", "t")]).unwrap_err();
    assert!(
        err.to_string().contains("while AWS_SESSION_TOKEN is set"),
        "{err}"
    );
}

#[test]
fn message_names_variable_value_and_rule() {
    let err = parse(&[(RETRIES_MAX, "11")]).unwrap_err().to_string();
    assert_eq!(
        err,
        "`AWS_EVENTBRIDGE_RETRIES_MAX`=\"11\" is invalid: must be a whole number from 0 to 10"
    );
}

#[test]
fn the_header_mapper_needs_its_header_and_nothing_else_takes_one() {
    let header = (DETAIL_TYPES_HEADER, "event-type");
    assert_eq!(
        invalid_var(parse(&[(DETAIL_TYPES_MAPPER, "header")])),
        DETAIL_TYPES_HEADER
    );
    assert_eq!(invalid_var(parse(&[header])), DETAIL_TYPES_HEADER);
    let c = parse(&[(DETAIL_TYPES_MAPPER, "header"), header]).unwrap();
    assert!(
        matches!(c.detail_type, DetailTypeRule::Header { ref name, .. } if name == "event-type")
    );
}

#[test]
fn every_variable_constant_is_in_the_reference() {
    // Each constant, whether rustfmt keeps it on one line or breaks it after the `=`.
    let source = include_str!("../vars.rs").replace("=\n    \"", "= \"");
    let declared = source
        .lines()
        .filter(|l| l.starts_with("pub(crate) const ") && l.contains(": &str = \"AWS_EVENTBRIDGE_"))
        .filter(|l| !l.contains(&format!("\"{VAR_PREFIX}\";")))
        .count();
    assert_eq!(declared, super::reference::SETTINGS.len());
}

#[test]
fn metrics_settings() {
    let c = parse(&[]).unwrap();
    assert_eq!(c.metrics, MetricsConfig::default());
    assert!(c.metrics.enabled && !c.metrics.per_topic);
    assert_eq!(c.metrics.namespace, "KafkaEventBridge");
    let c = parse(&[
        (METRICS, "off"),
        (METRICS_NAMESPACE, "Team/Kafka Orders"),
        (METRICS_TOPIC_DIMENSION, "true"),
    ])
    .unwrap();
    assert!(!c.metrics.enabled && c.metrics.per_topic);
    assert_eq!(c.metrics.namespace, "Team/Kafka Orders");
    assert_eq!(
        parse(&[(METRICS, "csv")]).unwrap_err().to_string(),
        "`AWS_EVENTBRIDGE_METRICS`=\"csv\" is invalid: must be emf or off"
    );
    assert_eq!(
        invalid_var(parse(&[(METRICS_NAMESPACE, "AWS/Lambda")])),
        METRICS_NAMESPACE
    );
    assert_eq!(
        invalid_var(parse(&[(METRICS_NAMESPACE, "a;b")])),
        METRICS_NAMESPACE
    );
    let long = "n".repeat(256);
    assert_eq!(
        invalid_var(parse(&[(METRICS_NAMESPACE, &long)])),
        METRICS_NAMESPACE
    );
    let flag = parse(&[(METRICS_TOPIC_DIMENSION, "yes")]);
    assert_eq!(invalid_var(flag), METRICS_TOPIC_DIMENSION);
}
