//! Hostile schema-encoded records and a hostile registry, end to end: records built here for
//! each class of attack (sizes chosen by a schema or a datum, schemas whose paths multiply,
//! zero-width bombs, zlib bombs, deep Protobuf, unknown names of a megabyte, schema-id headers
//! of a megabyte or naming a bomb, thousands of unknown schema ids) go through the real binary
//! under cargo-lambda, with the Confluent registry stand-in over HTTP and moto's EventBridge.
//! Each case asserts that the process survives, reports exactly the bad records with a specific
//! reason, delivers the good neighbours, stays under its peak-memory bound, and writes no
//! payload, secret or overlong line. The registry's own hostile answers (a huge body, a
//! megabyte of error text, a redirect to another host, a stall) are checked through the
//! pipeline with the real HTTP client.

use crate::support;

use std::time::Duration;

use kafka_eventbridge_lambda::Pipeline;
use serde_json::{Value, json};
use support::aws::sdk_config;
use support::config::config;
use support::events::{b64, event_json};
use support::registry::{Hostile, Registry};
use support::{Data, Function, Moto, failures};
use tokio::time::Instant;

/// The good records' schema; their values carry [`MARKER`], which no log line may show.
const GOOD: &str =
    r#"{"type":"record","name":"Good","fields":[{"name":"marker","type":"string"}]}"#;
const GOOD_ID: u32 = 1;
const MARKER: &str = "PAYLOAD-MARKER-do-not-log";
const SECRET: &str = "hunter2-registry-password";
/// The longest log line any case may write.
const MAX_LINE_BYTES: usize = 2_048;

/// A zigzag varint `long`, as the Avro writer writes it (the same varint as Protobuf's).
fn long(n: i64) -> Vec<u8> {
    let mut out = Vec::new();
    prost::encoding::encode_varint(((n << 1) ^ (n >> 63)) as u64, &mut out);
    out
}

fn confluent(id: u32, data: &[u8]) -> Vec<u8> {
    let mut framed = vec![0];
    framed.extend_from_slice(&id.to_be_bytes());
    framed.extend_from_slice(data);
    framed
}

fn good_value() -> Vec<u8> {
    let mut datum = long(MARKER.len() as i64);
    datum.extend_from_slice(MARKER.as_bytes());
    confluent(GOOD_ID, &datum)
}

fn record(offset: usize, value: &[u8]) -> Value {
    json!({"topic": "t", "partition": 0, "offset": offset, "timestamp": 1,
           "timestampType": "CREATE_TIME", "key": b64("k"), "value": b64(value), "headers": []})
}

/// A record whose value's schema a Confluent `__value_schema_id` header names, when given.
fn record_with_header(offset: usize, value: &[u8], header: Option<&[u8]>) -> Value {
    let mut r = record(offset, value);
    if let Some(header) = header {
        r["headers"] = json!([{ "__value_schema_id": header }]);
    }
    r
}

/// The hostile cases whose bad records name their schema in a schema-id header (the payload
/// then unframed), each with its header.
fn header_cases() -> Vec<(Case, Vec<u8>)> {
    let id_header = |id: u32, rest: &[u8]| [&[0][..], &id.to_be_bytes(), rest].concat();
    let mut null_bomb = Vec::new();
    for _ in 0..3 {
        null_bomb.extend(long(1 << 62));
    }
    null_bomb.extend([0, 0, 0]);
    vec![
        (
            Case {
                name: "schema-id-header-of-1-mib",
                bad: vec![b"x".to_vec()],
                reason: "more than the 522 a schema id and message indexes take",
            },
            vec![1; 1 << 20],
        ),
        (
            Case {
                name: "schema-id-header-with-2^62-message-indexes",
                bad: vec![nested_proto(3)],
                reason: "has malformed Protobuf message indexes",
            },
            id_header(17, &long(1 << 62)),
        ),
        (
            Case {
                name: "schema-id-header-naming-arrays-of-null",
                bad: vec![null_bomb],
                reason: "would decode to more than",
            },
            id_header(15, &[]),
        ),
    ]
}

/// `levels` Protobuf messages nested in field 1.
fn nested_proto(levels: usize) -> Vec<u8> {
    let mut data = Vec::new();
    for _ in 0..levels {
        let mut outer = vec![0x0a];
        let mut n = data.len();
        loop {
            let byte = (n & 0x7f) as u8;
            n >>= 7;
            if n == 0 {
                outer.push(byte);
                break;
            }
            outer.push(byte | 0x80);
        }
        outer.extend(data);
        data = outer;
    }
    data
}

/// One hostile case: its bad values, each between two good records, and the reason each gives.
struct Case {
    name: &'static str,
    bad: Vec<Vec<u8>>,
    reason: &'static str,
}

fn cases() -> Vec<Case> {
    // A top-level big-decimal is a bytes schema: Confluent's serializers write its value raw
    // (no Avro length prefix), here an unscaled 1 with a scale of 2^40.
    let big_decimal = {
        let mut raw = vec![2, 1];
        raw.extend(long(1 << 40));
        raw
    };
    let mut null_bomb = Vec::new();
    for _ in 0..3 {
        null_bomb.extend(long(1 << 62));
    }
    null_bomb.extend([0, 0, 0]);
    let glue_bomb = {
        let mut framed = vec![3, 5];
        framed.extend_from_slice(uuid::Uuid::from_u128(9).as_bytes());
        framed.extend(miniz_oxide::deflate::compress_to_vec_zlib(
            &vec![b' '; 30 << 20],
            9,
        ));
        framed
    };
    vec![
        Case {
            name: "decimal-scale-from-the-schema",
            // A top-level bytes decimal, raw as Confluent writes it: the unscaled 1.
            bad: vec![confluent(11, &[1])],
            reason: "would decode to more than",
        },
        Case {
            name: "big-decimal-scale-from-the-datum",
            bad: vec![confluent(12, &big_decimal)],
            reason: "would decode to more than",
        },
        Case {
            name: "fixed-of-2^40-bytes",
            bad: vec![confluent(13, &[0; 8])],
            reason: "has a fixed of 1099511627776 bytes",
        },
        Case {
            name: "shared-types-2^60-paths",
            bad: vec![confluent(14, &[0])],
            reason: "expands to more than 100000 types",
        },
        Case {
            name: "nested-arrays-of-null",
            bad: vec![confluent(15, &null_bomb)],
            reason: "would decode to more than",
        },
        Case {
            name: "nested-arrays-of-null-200-times",
            bad: vec![confluent(15, &null_bomb); 200],
            reason: "would decode to more than",
        },
        Case {
            name: "unknown-type-name-of-900-kb",
            bad: vec![confluent(16, &[0])],
            reason: "is not a valid Avro schema",
        },
        Case {
            name: "protobuf-nested-5000-deep",
            bad: vec![confluent(17, &[&[0][..], &nested_proto(5_000)].concat())],
            reason: "nests messages deeper than 100 levels",
        },
        Case {
            name: "glue-zlib-inflating-to-30-mib-10-times",
            bad: vec![glue_bomb; 10],
            reason: "inflates to more than 1048576 bytes",
        },
    ]
}

/// Registers the schemas of the cases; returns the bytes of their texts (the cached schemas,
/// which the peak-memory bound allows for).
fn register_hostile_schemas(registry: &Registry) -> u64 {
    registry.register(GOOD_ID, GOOD);
    registry.register(
        11,
        r#"{"type":"bytes","logicalType":"decimal","precision":1099511627776,"scale":1099511627776}"#,
    );
    registry.register(12, r#"{"type":"bytes","logicalType":"big-decimal"}"#);
    registry.register(13, r#"{"type":"fixed","name":"F","size":1099511627776}"#);
    registry.register(14, &support::schemas::shared_types(61, 1));
    registry.register(
        15,
        r#"{"type":"array","items":{"type":"array","items":{"type":"array","items":"null"}}}"#,
    );
    registry.register(
        16,
        &format!(
            r#"{{"type":"record","name":"R","fields":[{{"name":"f","type":"{}"}}]}}"#,
            "N".repeat(900 * 1024)
        ),
    );
    registry.register_protobuf(17, "syntax = \"proto3\"; message Node { Node next = 1; }");
    registry.schema_bytes()
}

/// Checks the log lines an invocation wrote: bounded, no payload, no secret.
fn check_lines(name: &str, log: &str, problems: &mut Vec<String>) {
    for line in log.lines() {
        if line.len() > MAX_LINE_BYTES {
            problems.push(format!("{name}: a log line of {} bytes", line.len()));
        }
        if line.contains(MARKER) || line.contains(SECRET) {
            problems.push(format!("{name}: a payload or the secret in {line:.200}"));
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn hostile_records_fail_alone_within_bounds_through_the_binary() {
    let (moto, registry) = (Moto::start(), Registry::start().await);
    moto.eventbridge()
        .create_event_bus()
        .name("hostile")
        .send()
        .await
        .unwrap();
    registry.require_auth(&format!("svc:{SECRET}"));
    let schema_bytes = register_hostile_schemas(&registry);
    let url = registry
        .url
        .replace("http://", &format!("http://svc:{SECRET}@"));
    let function = Function::start(
        &moto,
        &[
            ("AWS_EVENTBRIDGE_CONNECTOR_ID", "hostile"),
            (
                "AWS_EVENTBRIDGE_EVENTBUS_ARN",
                "arn:aws:events:us-east-1:123456789012:event-bus/hostile",
            ),
            ("AWS_EVENTBRIDGE_VALUE_FORMAT", "registry"),
            ("AWS_EVENTBRIDGE_SCHEMA_REGISTRY_URL", &url),
        ],
    );
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/test-inputs");
    std::fs::create_dir_all(&dir).unwrap();
    let mut problems = Vec::new();
    let mut figures = Vec::new();
    let all = cases().into_iter().map(|case| (case, None));
    let with_headers = header_cases().into_iter().map(|(case, h)| (case, Some(h)));
    for (case, header) in all.chain(with_headers) {
        // Good, bad, good, bad, …, good: the bad records at the odd offsets.
        let mut records = vec![record(0, &good_value())];
        for (i, bad) in case.bad.iter().enumerate() {
            records.push(record_with_header(2 * i + 1, bad, header.as_deref()));
            records.push(record(2 * i + 2, &good_value()));
        }
        let event = json!({"eventSource": "aws:kafka", "records": {"t-0": records}}).to_string();
        let file = dir.join(format!("hostile-{}.json", case.name));
        std::fs::write(&file, &event).unwrap();
        let before = function.log().len();
        function.reset_peak_rss();
        let started = std::time::Instant::now();
        let outcome = function.invoke(Data::File(file.to_str().unwrap()));
        let took = started.elapsed();
        let peak = function.peak_rss();
        let log = function.log_when(before, |log| {
            log.lines()
                .any(|l| l.contains("WARN") && l.contains(case.reason))
        });
        // 3 × the event + 30 MB, plus the schemas: each text is read, parsed as JSON and into
        // the Avro library's tree (or refused), about 8 times its size at the peak, and the
        // allocator keeps the pages of the largest (900 KB) for the cases after it.
        let bound = 3 * event.len() as u64 + (30 << 20) + 8 * schema_bytes;
        figures.push(format!(
            "{}: {} bytes of event, peak RSS {:.1} MiB (bound {:.1} MiB), {} ms",
            case.name,
            event.len(),
            peak as f64 / 1_048_576.0,
            bound as f64 / 1_048_576.0,
            took.as_millis()
        ));
        let want: Vec<(String, i64)> = (0..case.bad.len())
            .map(|i| ("t-0".to_owned(), 2 * i as i64 + 1))
            .collect();
        match outcome {
            Ok(response) if failures(&response) == want => {}
            Ok(response) => problems.push(format!(
                "{}: reported {:?}, expected {want:?}",
                case.name,
                failures(&response)
            )),
            Err(error) => problems.push(format!("{}: invocation error {error:.300}", case.name)),
        }
        if !log
            .lines()
            .any(|l| l.contains("WARN") && l.contains(case.reason))
        {
            problems.push(format!(
                "{}: no WARN line says {:?}",
                case.name, case.reason
            ));
        }
        if peak > bound {
            problems.push(format!("{}: peak RSS {peak} over {bound}", case.name));
        }
        check_lines(case.name, &log, &mut problems);
    }
    println!("{}", figures.join("\n"));
    assert!(!function.log().contains("panicked"), "a panic");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[tokio::test(flavor = "multi_thread")]
async fn thousands_of_unknown_schema_ids_write_a_bounded_log() {
    let (moto, registry) = (Moto::start(), Registry::start().await);
    moto.eventbridge()
        .create_event_bus()
        .name("unknown-ids")
        .send()
        .await
        .unwrap();
    registry.register(GOOD_ID, GOOD);
    let function = Function::start(
        &moto,
        &[
            ("AWS_EVENTBRIDGE_CONNECTOR_ID", "unknown-ids"),
            (
                "AWS_EVENTBRIDGE_EVENTBUS_ARN",
                "arn:aws:events:us-east-1:123456789012:event-bus/unknown-ids",
            ),
            ("AWS_EVENTBRIDGE_VALUE_FORMAT", "registry"),
            ("AWS_EVENTBRIDGE_SCHEMA_REGISTRY_URL", &registry.url),
        ],
    );
    let mut records = vec![record(0, &good_value())];
    records.extend((1..=2_000).map(|i| record(i, &confluent(100_000 + i as u32, &[0]))));
    let event = json!({"eventSource": "aws:kafka", "records": {"t-0": records}}).to_string();
    let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/test-inputs");
    std::fs::create_dir_all(&file).unwrap();
    let file = file.join("hostile-2000-unknown-ids.json");
    std::fs::write(&file, event).unwrap();
    let before = function.log().len();
    let response = function.invoke(Data::File(file.to_str().unwrap())).unwrap();
    let log = function.log_when(before, support::has_metrics);
    assert_eq!(failures(&response).len(), 2_000);
    // The cold start's configuration line and the EMF metrics document aside: 5 schema ids
    // named, 100 records named, one line for the rest, one summary.
    let lines = log
        .lines()
        .filter(|l| !l.contains("Configuration loaded.") && !l.starts_with(r#"{"_aws""#))
        .count();
    assert!(lines <= 107, "{lines} log lines:\n{log:.2000}");
    let summary = log
        .lines()
        .find(|l| l.contains("Invocation done."))
        .unwrap();
    assert!(summary.contains("schemas_unavailable=2000"), "{summary}");
    let mut problems = Vec::new();
    check_lines("unknown ids", &log, &mut problems);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The registry's hostile answers, through the pipeline and its real HTTP client.
#[tokio::test(flavor = "multi_thread")]
async fn hostile_registry_answers_are_bounded() {
    let (moto, registry, elsewhere) = (
        Moto::start(),
        Registry::start().await,
        Registry::start().await,
    );
    let bus = moto.bus_to_queue("hostile-answers").await;
    registry.register(GOOD_ID, GOOD);
    elsewhere.register(GOOD_ID, GOOD);
    let config = config(&[
        ("AWS_EVENTBRIDGE_EVENTBUS_ARN", bus.bus_arn.as_str()),
        ("AWS_EVENTBRIDGE_ENDPOINT_URI", moto.endpoint.as_str()),
        ("AWS_EVENTBRIDGE_VALUE_FORMAT", "registry"),
        ("AWS_EVENTBRIDGE_SCHEMA_REGISTRY_URL", registry.url.as_str()),
        ("AWS_EVENTBRIDGE_SCHEMA_REGISTRY_USER_INFO", "svc:pw"),
        ("AWS_EVENTBRIDGE_RETRIES_MAX", "0"),
    ]);
    let redirect = elsewhere.url.replace("127.0.0.1", "localhost");
    for (hostile, says) in [
        (
            Hostile::HugeBody(2 << 20),
            "answer is over the 1048576 bytes read from a registry",
        ),
        (Hostile::LongError(512 << 10), "answered HTTP 500: EEEE"),
        (
            Hostile::LongError(1 << 20),
            "answer is over the 1048576 bytes read from a registry",
        ),
        (
            Hostile::Redirect(redirect),
            "redirected to another origin, which is not followed",
        ),
    ] {
        // A pipeline per case: a fresh cache.
        let pipeline = Pipeline::builder(&config).aws(&sdk_config(None)).build();
        registry.set_hostile(hostile);
        let kafka = serde_json::from_value(event_json(vec![record(0, &good_value())])).unwrap();
        let done = pipeline
            .run(kafka, Instant::now() + Duration::from_secs(20), None)
            .await
            .unwrap();
        assert_eq!(done.failures.len(), 1);
        let reason = done.failures[0].1.reason();
        assert!(reason.contains(says), "{reason:.300}");
        assert!(reason.len() <= 1_100, "a reason of {} bytes", reason.len());
    }
    assert_eq!(
        elsewhere.all_requests(),
        0,
        "nothing went to the other host"
    );
}

/// A registry that stalls costs its share of the deadline, not all of it: the record that needs
/// no schema is delivered.
#[tokio::test(flavor = "multi_thread")]
async fn a_stalled_registry_leaves_time_for_records_that_need_no_schema() {
    let (moto, registry) = (Moto::start(), Registry::start().await);
    let bus = moto.bus_to_queue("stalled").await;
    registry.register(GOOD_ID, GOOD);
    registry.set_hostile(Hostile::Stall);
    let config = config(&[
        ("AWS_EVENTBRIDGE_EVENTBUS_ARN", bus.bus_arn.as_str()),
        ("AWS_EVENTBRIDGE_ENDPOINT_URI", moto.endpoint.as_str()),
        ("AWS_EVENTBRIDGE_VALUE_FORMAT", "auto"),
        ("AWS_EVENTBRIDGE_SCHEMA_REGISTRY_URL", registry.url.as_str()),
    ]);
    let pipeline = Pipeline::builder(&config).aws(&sdk_config(None)).build();
    let mut framed = record(1, &good_value()[5..]);
    framed["valueSchemaMetadata"] = json!({"dataFormat": "AVRO", "schemaId": "1"});
    let records = vec![record(0, br#"{"plain":"json"}"#), framed];
    let kafka = serde_json::from_value(event_json(records)).unwrap();
    let done = pipeline
        .run(kafka, Instant::now() + Duration::from_secs(8), None)
        .await
        .unwrap();
    assert_eq!(done.tally.delivered, 1, "the JSON record is delivered");
    assert_eq!(done.failures.len(), 1);
    assert_eq!(done.records[done.failures[0].0].id.offset, 1);
    let reason = done.failures[0].1.reason();
    assert!(
        reason.contains("deadline") || reason.contains("timed out"),
        "{reason}"
    );
    bus.events(1).await;
}
