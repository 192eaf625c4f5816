#![allow(clippy::unwrap_used, reason = "a test that cannot unwrap has failed")]

use proptest::prelude::*;

use super::plan::{Note, NoteKind};
use super::*;

/// The connector README's configuration examples, verbatim (comments included).
const README_JSON: &str = include_str!("../../tests/connector-configs/readme-json.json");
const README_DLQ: &str = include_str!("../../tests/connector-configs/readme-json-dlq.json");
const README_AVRO: &str = include_str!("../../tests/connector-configs/readme-avro-glue.json");
const README_PROVIDER: &str =
    include_str!("../../tests/connector-configs/readme-credentials-provider.json");

/// The README's ARNs name a 10-digit account, which neither AWS nor the connector's validator
/// accepts; its examples with a 12-digit one.
fn fixed(example: &str) -> String {
    example.replace(":1234567890:", ":123456789012:")
}

fn run(text: &str) -> Migration {
    migrate(text, &MigrateOptions::default())
}

/// Every output of `migration`, stdout and stderr, as one text.
fn all_output(migration: &Migration) -> String {
    let mut all = String::new();
    for format in [
        OutputFormat::Text,
        OutputFormat::Env,
        OutputFormat::Sam,
        OutputFormat::Json,
    ] {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        migration.write(format, &mut out, &mut err).unwrap();
        all.push_str(&String::from_utf8(out).unwrap());
        all.push_str(&String::from_utf8(err).unwrap());
    }
    all
}

fn notes_of<'a>(migration: &'a Migration, property: &str) -> Vec<&'a Note> {
    let shown = format!("`{property}`");
    migration
        .notes
        .iter()
        .filter(|n| n.property == shown)
        .collect()
}

#[test]
fn readme_examples_as_written_name_the_ten_digit_account() {
    for example in [README_JSON, README_DLQ, README_AVRO] {
        let migration = run(example);
        assert_eq!(migration.exit_code(), 2);
        let problems = migration.problems.join("\n");
        assert!(
            problems.contains("`aws.eventbridge.eventbus.arn`")
                && problems.contains("AWS_EVENTBRIDGE_EVENTBUS_ARN")
                && problems.contains("12-digit account"),
            "{problems}"
        );
        let (mut out, mut err) = (Vec::new(), Vec::new());
        migration
            .write(OutputFormat::Env, &mut out, &mut err)
            .unwrap();
        assert!(out.is_empty(), "nothing to deploy is printed");
    }
    // Every invalid value is named, not only the first.
    let problems = run(README_AVRO).problems.join("\n");
    assert!(
        problems.contains("`aws.eventbridge.iam.role.arn`"),
        "{problems}"
    );
}

#[test]
fn readme_minimal_example_maps_every_property() {
    let migration = run(&fixed(README_JSON));
    assert_eq!(migration.problems, Vec::<String>::new());
    assert_eq!(migration.exit_code(), 0);
    assert_eq!(
        migration.environment(),
        vec![
            ("AWS_EVENTBRIDGE_CONNECTOR_ID", "my-json-values-connector"),
            (
                "AWS_EVENTBRIDGE_EVENTBUS_ARN",
                "arn:aws:events:us-east-1:123456789012:event-bus/kafkabus"
            ),
            ("AWS_EVENTBRIDGE_KEY_FORMAT", "string"),
            ("AWS_EVENTBRIDGE_VALUE_FORMAT", "json"),
        ]
    );
    assert_eq!(
        migration.parameters(),
        vec![
            ("ConnectorId", "my-json-values-connector"),
            (
                "EventBusArn",
                "arn:aws:events:us-east-1:123456789012:event-bus/kafkabus"
            ),
            ("KeyFormat", "string"),
            ("ValueFormat", "json"),
            ("Topic", "json-values-topic"),
            ("ConsumerGroupId", "connect-EventBridgeSink-Json"),
            ("StartingPosition", "TRIM_HORIZON"),
        ]
    );
    assert_eq!(migration.name.as_deref(), Some("EventBridgeSink-Json"));
    assert_eq!(
        notes_of(&migration, "aws.eventbridge.region")[0].kind,
        NoteKind::NotNeeded
    );
}

#[test]
fn readme_dead_letter_example_becomes_the_kafka_destination() {
    let migration = run(&fixed(README_DLQ));
    assert_eq!(migration.exit_code(), 0, "{:?}", migration.notes);
    assert!(
        migration
            .parameters()
            .contains(&("OnFailureDestinationArn", "kafka://json-dlq"))
    );
    let factor = notes_of(
        &migration,
        "errors.deadletterqueue.topic.replication.factor",
    );
    assert_eq!(factor.len(), 1);
    assert!(factor[0].text.contains("create it"), "{}", factor[0].text);
    assert_eq!(notes_of(&migration, "errors.tolerance").len(), 1);
}

#[test]
fn readme_glue_avro_example_maps_topics_retries_role_and_registry() {
    let migration = run(&fixed(README_AVRO));
    assert_eq!(migration.exit_code(), 0, "{:?}", migration.notes);
    let parameters = migration.parameters();
    for expected in [
        ("DetailTypes", "avro-test-${topic}"),
        ("RetriesMax", "1"),
        ("RetriesDelayMs", "1000"),
        (
            "RoleArn",
            "arn:aws:iam::123456789012:role/EventBridgePutEventsRole",
        ),
        ("KeyFormat", "connect-json"),
        ("ValueFormat", "avro"),
        (
            "FunctionGlueRegistryArn",
            "arn:aws:glue:us-east-1:123456789012:registry/avro-kafka-eventbridge",
        ),
        ("Topic", "avro-topic-1"),
        ("MoreTopics", "avro-topic-2"),
    ] {
        assert!(
            parameters.contains(&expected),
            "{expected:?} in {parameters:?}"
        );
    }
    assert!(
        migration
            .environment()
            .contains(&("AWS_EVENTBRIDGE_SCHEMA_REGISTRY_GLUE_REGION", "us-east-1"))
    );
    // The Debezium leftovers are named as ignored, one note each.
    assert_eq!(
        notes_of(&migration, "schema.history.internal.kafka.topic")[0].kind,
        NoteKind::NotNeeded
    );
}

#[test]
fn readme_credentials_provider_example_lacks_the_essentials_and_says_what_replaces_the_class() {
    let migration = run(README_PROVIDER);
    assert_eq!(migration.exit_code(), 2);
    let problems = migration.problems.join("\n");
    for essential in [
        "`topics` is missing",
        "`aws.eventbridge.connector.id` is missing",
        "`aws.eventbridge.eventbus.arn` is missing",
    ] {
        assert!(problems.contains(essential), "{essential} in {problems}");
    }
    let provider = notes_of(
        &migration,
        "aws.eventbridge.auth.credentials_provider.class",
    );
    assert_eq!(provider[0].kind, NoteKind::Action);
    assert!(provider[0].text.contains("execution role"));
}

/// The smallest configuration that migrates, plus `extra` properties.
fn minimal(extra: &str) -> String {
    format!(
        r#"{{"name": "c", "config": {{
            "connector.class": "software.amazon.event.kafkaconnector.EventBridgeSinkConnector",
            "topics": "orders",
            "aws.eventbridge.connector.id": "c1",
            "aws.eventbridge.eventbus.arn": "arn:aws:events:eu-west-1:123456789012:event-bus/b",
            "key.converter": "org.apache.kafka.connect.storage.StringConverter",
            "value.converter": "org.apache.kafka.connect.json.JsonConverter",
            "value.converter.schemas.enable": "false"{extra}
        }}}}"#
    )
}

#[test]
fn hostile_input_is_refused_with_a_reason_and_never_panics() {
    for (input, reason) in [
        ("", "not JSON"),
        ("not json at all", "not JSON"),
        ("[1, 2]", "is an array, not an object"),
        (r#"{"config": "x"}"#, "has a `config` that is a string"),
        (
            r#"{"name": 7, "config": {}}"#,
            "has a `name` that is a number",
        ),
        (r#"{"topics": {"a": 1}}"#, "property `topics` is an object"),
        (r#"{"topics": ["a"]}"#, "property `topics` is an array"),
        (r#"{"topics": null}"#, "property `topics` is null"),
        ("{\"a\": 1", "not JSON"),
        (&"[".repeat(100_000), "not JSON"),
    ] {
        let migration = run(input);
        assert_eq!(migration.exit_code(), 2, "{input:.40}");
        let problems = migration.problems.join("\n");
        assert!(problems.contains(reason), "{reason} in {problems}");
    }
    let huge = format!(r#"{{"x": "{}"}}"#, "a".repeat(input::MAX_INPUT_BYTES));
    assert!(run(&huge).problems[0].contains("at most 1048576 bytes"));
    let read = migrate_from(std::io::repeat(b' '), &MigrateOptions::default());
    assert!(
        read.problems[0].contains("at most 1048576 bytes"),
        "{:?}",
        read.problems
    );
    let binary = migrate_from(&[0xff_u8, 0xfe][..], &MigrateOptions::default());
    assert!(binary.problems[0].contains("not UTF-8"));
}

#[test]
fn a_value_with_a_line_break_cannot_add_a_line_to_the_environment() {
    let migration = run(&minimal(
        r#", "aws.eventbridge.eventbus.resources": "r1\nAWS_EVENTBRIDGE_IAM_ROLE_ARN=arn:x""#,
    ));
    assert_eq!(migration.exit_code(), 2);
    assert!(migration.problems[0].contains("control character"));
    assert!(!all_output(&migration).contains("\nAWS_EVENTBRIDGE_IAM_ROLE_ARN"));
}

#[test]
fn names_from_the_input_are_shown_escaped_and_bounded() {
    let long = "x".repeat(10_000);
    let migration = run(&minimal(&format!(
        r#", "evil\u001b[31m": "1", "{long}": "2""#
    )));
    let output = all_output(&migration);
    assert!(
        !output.contains('\u{1b}'),
        "no escape sequence reaches the terminal"
    );
    assert!(output.contains(r"`evil\u{1b}[31m`"));
    assert!(output.contains("(10000 bytes in all)"));
    assert!(
        output.lines().all(|l| l.len() < 2048),
        "no line is unbounded"
    );
}

#[test]
fn comment_markers_inside_strings_are_kept() {
    let migration = run(&minimal(
        r#", "aws.eventbridge.endpoint.uri": "https://events.eu-west-1.amazonaws.com" // trailing
           /* block */"#,
    ));
    assert_eq!(migration.exit_code(), 0, "{:?}", migration.problems);
    assert!(migration.environment().contains(&(
        "AWS_EVENTBRIDGE_ENDPOINT_URI",
        "https://events.eu-west-1.amazonaws.com"
    )));
}

#[test]
fn secrets_are_never_printed_and_say_where_they_go() {
    let migration = run(&minimal(
        r#",
        "value.converter": "io.confluent.connect.avro.AvroConverter",
        "value.converter.schema.registry.url": "https://bob:hunter2@registry.example:8081",
        "value.converter.basic.auth.credentials.source": "USER_INFO",
        "value.converter.basic.auth.user.info": "alice:s3cr3t-value",
        "value.converter.schema.registry.ssl.keystore.password": "ks-pass-123",
        "consumer.override.sasl.mechanism": "SCRAM-SHA-512",
        "consumer.override.sasl.jaas.config": "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"u\" password=\"jaas-pass-456\";""#,
    ));
    let output = all_output(&migration);
    for secret in ["hunter2", "s3cr3t-value", "ks-pass-123", "jaas-pass-456"] {
        assert!(!output.contains(secret), "{secret} printed:\n{output}");
    }
    assert!(
        migration
            .parameters()
            .contains(&("FunctionSchemaRegistryUrl", "https://registry.example:8081"))
    );
    assert!(
        migration
            .parameters()
            .contains(&("MskAuthentication", "SASL_SCRAM"))
    );
    let user_info = notes_of(&migration, "value.converter.basic.auth.user.info");
    assert!(
        user_info[0]
            .text
            .contains("FunctionSchemaRegistrySecretArn")
    );
    let jaas = notes_of(&migration, "consumer.override.sasl.jaas.config");
    assert!(jaas[0].text.contains("KafkaSecretArn"));
    assert_eq!(migration.exit_code(), 1);
}

#[test]
fn converters_become_formats() {
    for (key, value, expected) in [
        (
            "org.apache.kafka.connect.json.JsonConverter",
            "",
            ("connect-json", "json"),
        ),
        (
            "org.apache.kafka.connect.converters.ByteArrayConverter",
            r#", "value.converter": "io.confluent.connect.protobuf.ProtobufConverter", "value.converter.schema.registry.url": "http://r:8081""#,
            ("bytes", "protobuf"),
        ),
        (
            "org.apache.kafka.connect.storage.StringConverter",
            r#", "value.converter": "io.confluent.connect.json.JsonSchemaConverter", "value.converter.schema.registry.url": "http://r:8081""#,
            ("string", "json-schema"),
        ),
        (
            "org.apache.kafka.connect.storage.StringConverter",
            r#", "value.converter": "org.apache.kafka.connect.json.JsonConverter", "value.converter.schemas.enable": true"#,
            ("string", "connect-json"),
        ),
    ] {
        let migration = run(&minimal(&format!(r#", "key.converter": "{key}"{value}"#)));
        let env = migration.environment();
        assert!(
            env.contains(&("AWS_EVENTBRIDGE_KEY_FORMAT", expected.0)),
            "{env:?}"
        );
        assert!(
            env.contains(&("AWS_EVENTBRIDGE_VALUE_FORMAT", expected.1)),
            "{env:?}"
        );
    }
    let numeric = run(&minimal(
        r#", "key.converter": "org.apache.kafka.connect.converters.LongConverter""#,
    ));
    assert_eq!(numeric.exit_code(), 1);
    assert!(
        notes_of(&numeric, "key.converter")[0]
            .text
            .contains("bytes")
    );
}

#[test]
fn mappers_and_unknown_properties() {
    let jsonpath = run(&minimal(
        r#", "aws.eventbridge.detail.types.mapper.class": "software.amazon.event.kafkaconnector.mapping.JsonPathDetailTypeMapper",
             "aws.eventbridge.detail.types.jsonpathmapper.fieldref": "$.meta.type""#,
    ));
    assert_eq!(jsonpath.exit_code(), 0);
    assert!(
        jsonpath
            .parameters()
            .contains(&("DetailTypesMapper", "jsonpath"))
    );
    let custom = run(&minimal(
        r#", "aws.eventbridge.detail.types.mapper.class": "com.example.Mapper", "aws.eventbridge.retries.mx": "3""#,
    ));
    assert_eq!(custom.exit_code(), 1);
    assert!(
        notes_of(&custom, "aws.eventbridge.detail.types.mapper.class")[0]
            .text
            .contains("DetailTypeMapper")
    );
    assert!(
        notes_of(&custom, "aws.eventbridge.retries.mx")[0]
            .text
            .contains("`aws.eventbridge.retries.max`")
    );
    // The function's own rules apply: the connector's 0..10 for retries.
    let retries = run(&minimal(r#", "aws.eventbridge.retries.max": 11"#));
    assert!(retries.problems[0].contains("`aws.eventbridge.retries.max`"));
}

#[test]
fn topics_past_the_template_s_five_and_patterns_are_named() {
    let many = run(&minimal(r#", "topics": "a,b,c,d,e,f,g""#));
    assert!(many.parameters().contains(&("MoreTopics", "b,c,d,e")));
    assert_eq!(many.exit_code(), 1);
    let pattern = run(&minimal(r#", "topics.regex": "orders-.*""#));
    assert_eq!(
        pattern.exit_code(),
        1,
        "topics is there, the pattern is an action"
    );
    let only_pattern =
        run(&minimal(r#", "topics.regex": "orders-.*""#).replace(r#""topics": "orders","#, ""));
    assert!(only_pattern.problems[0].contains("`topics.regex`"));
    let loop_dlq = run(&minimal(
        r#", "errors.tolerance": "all", "errors.deadletterqueue.topic.name": "orders""#,
    ));
    assert!(loop_dlq.problems[0].contains("a topic the connector reads"));
    let other = run(&minimal(
        r#", "connector.class": "io.confluent.S3SinkConnector""#,
    ));
    assert!(other.problems[0].contains("only the EventBridge sink connector"));
}

#[test]
fn sam_overrides_quote_what_sam_would_split() {
    assert_eq!(text::sam_override("A", "x"), "A=x");
    assert_eq!(text::sam_override("A", "my type"), r#"A="my type""#);
    assert_eq!(text::sam_override("A", r#"a"b"#), r#"A="a\"b""#);
    assert_eq!(
        text::shell_word("kafka-connect-${topic}"),
        "'kafka-connect-${topic}'"
    );
    assert_eq!(text::shell_word("it's"), r"'it'\''s'");
    assert_eq!(text::shell_word(""), "''");
}

/// Property names: the connector's, Connect's, secrets, and made-up ones.
fn property_name() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(connector::KNOWN.to_vec()).prop_map(str::to_owned),
        prop::sample::select(vec![
            "topics",
            "topics.regex",
            "tasks.max",
            "name",
            "connector.class",
            "key.converter",
            "value.converter",
            "value.converter.schemas.enable",
            "value.converter.schema.registry.url",
            "errors.tolerance",
            "errors.deadletterqueue.topic.name",
            "consumer.override.max.poll.records",
            "consumer.override.auto.offset.reset",
            "transforms",
            "transforms.x.type",
            "header.converter",
        ])
        .prop_map(str::to_owned),
        "[a-z.]{1,30}",
    ]
}

/// Values: the common ones and anything.
fn property_value() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "orders,payments",
            "all",
            "none",
            "earliest",
            "12",
            "org.apache.kafka.connect.json.JsonConverter",
            "arn:aws:events:us-east-1:123456789012:event-bus/b",
            "https://u:p@h:1/",
        ])
        .prop_map(str::to_owned),
        any::<String>(),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// Whatever the configuration, migrate answers (no panic), accounts for every property
    /// (a setting or a note), and prints no value of a credential.
    #[test]
    fn every_property_ends_as_a_setting_or_a_note_and_no_secret_is_printed(
        properties in prop::collection::btree_map(property_name(), property_value(), 0..20),
        secret in "[A-Za-z0-9]{16}",
    ) {
        let mut config = serde_json::Map::new();
        for (name, value) in &properties {
            config.insert(name.clone(), serde_json::Value::from(value.clone()));
        }
        config.insert("value.converter.basic.auth.user.info".into(), format!("u:{secret}").into());
        config.insert("consumer.override.sasl.jaas.config".into(), format!("password=\"{secret}\"").into());
        config.insert("value.converter.schema.registry.url".into(), format!("https://u:{secret}@h/").into());
        config.insert("value.converter".into(), "io.confluent.connect.avro.AvroConverter".into());
        let text = serde_json::json!({"name": "p", "config": config}).to_string();
        let migration = run(&text);
        let output = all_output(&migration);
        prop_assert!(!output.contains(&secret), "the secret was printed");
        if migration.problems.iter().all(|p| !p.starts_with("the configuration")) {
            for name in config.keys().filter(|n| n.as_str() != "name") {
                let shown = text::shown(name);
                let accounted = migration.settings.iter().any(|s| s.from.split(", ").any(|f| f == name))
                    || migration.notes.iter().any(|n| n.property == shown || n.text.contains(&shown))
                    || migration.problems.iter().any(|p| p.contains(&shown));
                prop_assert!(accounted, "{} is neither set nor noted", name);
            }
        }
    }
}

/// The pattern `migrate` wrote for `extra`, and whether it keeps a record of `topic` with
/// `headers` and `value`.
fn filtered(extra: &str) -> (Migration, Option<crate::Filter>) {
    let migration = run(&minimal(extra));
    let filter = migration
        .parameters()
        .iter()
        .find(|(p, _)| *p == "FunctionFilterPatterns")
        .map(|(_, v)| crate::Filter::parse(v).unwrap());
    (migration, filter)
}

fn keeps(filter: &crate::Filter, topic: &str, headers: &[(&str, &str)], value: &str) -> bool {
    let record = crate::DecodedRecord::sample(topic, headers, Some(value).filter(|v| *v != "null"));
    let mapper = crate::map::Mapper::new(
        "kafka-connect.c1",
        &[],
        crate::DetailTypeRule::Template("t".into()),
        crate::map::TimeRule::None,
    );
    filter.keeps(&record, &mapper.map(&record).unwrap())
}

/// Connect's Filter transform keeps the records its predicate does not hold for (negated: does
/// hold for); the pattern keeps the same ones.
#[test]
fn filter_transforms_become_one_pattern() {
    const P: &str = "org.apache.kafka.connect.transforms.predicates.";
    let (m, filter) = filtered(&format!(
        r#", "transforms": "dropTests,dropTombstones,onlyTenant",
        "transforms.dropTests.type": "org.apache.kafka.connect.transforms.Filter",
        "transforms.dropTests.predicate": "isTest",
        "transforms.dropTombstones.type": "org.apache.kafka.connect.transforms.Filter",
        "transforms.dropTombstones.predicate": "isTombstone",
        "transforms.onlyTenant.type": "org.apache.kafka.connect.transforms.Filter",
        "transforms.onlyTenant.predicate": "hasTenant",
        "transforms.onlyTenant.negate": "true",
        "predicates": "isTest,isTombstone,hasTenant",
        "predicates.isTest.type": "{P}TopicNameMatches",
        "predicates.isTest.pattern": "test-.*",
        "predicates.isTombstone.type": "{P}RecordIsTombstone",
        "predicates.hasTenant.type": "{P}HasHeaderKey",
        "predicates.hasTenant.name": "tenant""#
    ));
    assert_eq!(m.exit_code(), 0, "{:?}", m.notes);
    let filter = filter.expect("a pattern");
    let tenant: &[(&str, &str)] = &[("tenant", "t1")];
    assert!(keeps(&filter, "orders", tenant, r#"{"a":1}"#));
    assert!(!keeps(&filter, "test-orders", tenant, r#"{"a":1}"#));
    assert!(!keeps(&filter, "orders", tenant, "null"));
    assert!(!keeps(&filter, "orders", &[], r#""x""#));
    assert!(keeps(&filter, "orders", tenant, "0"));
    assert!(notes_of(&m, "transforms")[0].kind == NoteKind::Differs);
}

#[test]
fn topic_regexes_that_patterns_can_say() {
    const P: &str = "org.apache.kafka.connect.transforms.predicates.";
    let only = |regex: &str| {
        filtered(&format!(
            r#", "transforms": "f", "transforms.f.type": "org.apache.kafka.connect.transforms.Filter",
            "transforms.f.predicate": "p", "transforms.f.negate": "true",
            "predicates": "p", "predicates.p.type": "{P}TopicNameMatches",
            "predicates.p.pattern": "{regex}""#
        ))
    };
    for (regex, kept, dropped) in [
        ("orders", "orders", "orders2"),
        (r"orders\\.v1", "orders.v1", "ordersXv1"),
        ("^orders$", "orders", "my-orders"),
        ("orders.*", "orders-eu", "eu-orders"),
        (".*-eu", "orders-eu", "orders-us"),
        ("a.*b.*c", "axxbyyc", "acb"),
        ("a\\\\*.*", "a*z", "az"),
    ] {
        let (m, filter) = only(regex);
        let filter = filter.unwrap_or_else(|| panic!("{regex}: {:?}", m.notes));
        assert!(keeps(&filter, kept, &[], "1"), "{regex} keeps {kept}");
        assert!(
            !keeps(&filter, dropped, &[], "1"),
            "{regex} drops {dropped}"
        );
    }
    for regex in [
        "orders|payments",
        "o[rs]ders",
        "orders.+",
        "order?s",
        "\\\\d+",
    ] {
        let (m, filter) = only(regex);
        assert!(filter.is_none(), "{regex}");
        assert_eq!(notes_of(&m, "transforms")[0].kind, NoteKind::Action);
        assert_eq!(notes_of(&m, "predicates")[0].kind, NoteKind::Action);
    }
}
