//! The worst case of each hostile class, decoded through the library's registry decoder with
//! cached schemas (no I/O): CPU time and peak heap per record, and the throughput of a batch of
//! 1,000 good Avro records with one bomb among them against the same batch without it.
//!
//! Peak memory is the process's own: each case runs once in a child process of its own, which
//! reports its peak RSS (`VmHWM`) above its RSS before the record was decoded. Time is the
//! median of a single-threaded loop, which is its CPU time: decoding does no I/O and never waits.
//!
//! Run with `make bench` or `cargo bench --bench hostile`.

#[path = "../tests/support/schemas.rs"]
#[allow(
    unreachable_pub,
    reason = "the file is also a module of the tests' support"
)]
mod schemas;

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use kafka_eventbridge_lambda::{
    AvroSchema, Config, Decoders, FetchedSchema, KafkaEvent, PayloadDecoder, PayloadFormat,
    Registries, RegistryDecoder, RegistryFormat, SchemaId, SchemaKind, Schemas, decode_event,
};
use serde_json::json;

/// A field of `/proc/self/status` in bytes (`VmRSS`, `VmHWM`: Linux reports them in kB).
fn status_bytes(field: &str) -> usize {
    let status = std::fs::read_to_string("/proc/self/status").expect("Linux /proc");
    status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|rest| {
            rest.trim()
                .trim_end_matches("kB")
                .trim()
                .parse::<usize>()
                .ok()
        })
        .expect("the field is listed")
        * 1024
}

/// The process's peak RSS above its RSS before `f` ran, and `f`'s result. The high-water
/// mark is reset first (`5` to `/proc/self/clear_refs`, Linux 4.0+); each case still runs in a
/// child of its own so that no other case's pages are counted.
fn peak_of<T>(f: impl FnOnce() -> T) -> (usize, T) {
    std::fs::write("/proc/self/clear_refs", "5").expect("the peak RSS can be reset");
    let base = status_bytes("VmRSS");
    let out = f();
    (status_bytes("VmHWM").saturating_sub(base), out)
}

/// The median time of `runs` runs of `f`.
fn median(runs: usize, mut f: impl FnMut()) -> Duration {
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let started = Instant::now();
            f();
            started.elapsed()
        })
        .collect();
    times.sort();
    times[runs / 2]
}

fn long(n: i64) -> Vec<u8> {
    let mut out = Vec::new();
    prost::encoding::encode_varint(((n << 1) ^ (n >> 63)) as u64, &mut out);
    out
}

fn confluent(id: u32, data: &[u8]) -> Vec<u8> {
    [&[0][..], &id.to_be_bytes(), data].concat()
}

const GOOD: &str = r#"{"type":"record","name":"Order","fields":[
    {"name":"id","type":"long"},{"name":"customer","type":"string"},
    {"name":"lines","type":{"type":"array","items":{"type":"record","name":"Line","fields":[
        {"name":"sku","type":"string"},{"name":"qty","type":"int"}]}}},
    {"name":"total","type":{"type":"bytes","logicalType":"decimal","precision":12,"scale":2}}]}"#;

/// A good order of about 1 KB.
fn good(i: i64) -> Vec<u8> {
    let mut datum = long(i);
    let customer = format!("customer-{i:06}-{}", "x".repeat(40));
    datum.extend(long(customer.len() as i64));
    datum.extend(customer.as_bytes());
    datum.extend(long(30));
    for line in 0..30 {
        let sku = format!("sku-{line:04}-abcdefghijklmnopqrst");
        datum.extend(long(sku.len() as i64));
        datum.extend(sku.as_bytes());
        datum.extend(long(line));
    }
    datum.push(0);
    datum.extend([long(2), vec![0x30, 0x39]].concat());
    confluent(1, &datum)
}

fn schemas() -> Arc<Schemas> {
    let schemas = Arc::new(Schemas::new(Registries::new()));
    let avro = |text: &str| FetchedSchema::new(SchemaKind::Avro, text);
    for (id, schema) in [
        (1, avro(GOOD)),
        (
            11,
            avro(
                r#"{"type":"bytes","logicalType":"decimal","precision":1099511627776,"scale":1099511627776}"#,
            ),
        ),
        (12, avro(r#"{"type":"bytes","logicalType":"big-decimal"}"#)),
        (
            13,
            avro(r#"{"type":"fixed","name":"F","size":1099511627776}"#),
        ),
        (
            15,
            avro(
                r#"{"type":"array","items":{"type":"array","items":{"type":"array","items":"null"}}}"#,
            ),
        ),
        (
            17,
            FetchedSchema::new(
                SchemaKind::Protobuf,
                "syntax = \"proto3\"; message Node { Node next = 1; }",
            ),
        ),
        (18, FetchedSchema::new(SchemaKind::Json, "{}")),
    ] {
        schemas
            .preload(SchemaId::Confluent(id), &schema)
            .expect("a bench schema parses");
    }
    schemas
}

fn null_bomb() -> Vec<u8> {
    let mut datum = Vec::new();
    for _ in 0..3 {
        datum.extend(long(1 << 62));
    }
    datum.extend([0, 0, 0]);
    confluent(15, &datum)
}

fn cases() -> Vec<(&'static str, Vec<u8>)> {
    // Confluent writes a top-level big-decimal (a bytes schema) raw: no Avro length prefix.
    let big_decimal = [vec![2, 1], long(1 << 40)].concat();
    let mut nested = Vec::new();
    for _ in 0..5_000 {
        let mut outer = vec![0x0a];
        prost::encoding::encode_varint(nested.len() as u64, &mut outer);
        outer.extend(nested);
        nested = outer;
    }
    let mut zlib = vec![3, 5];
    zlib.extend_from_slice(&[0; 16]);
    zlib.extend(miniz_oxide::deflate::compress_to_vec_zlib(
        &vec![b' '; 30 << 20],
        9,
    ));
    vec![
        ("good Avro order (1 KB)", good(1)),
        // A top-level bytes decimal, raw as Confluent writes it: the unscaled 1.
        ("Avro decimal, schema scale 2^40", confluent(11, &[1])),
        (
            "Avro big-decimal, raw scale 2^40",
            confluent(12, &big_decimal),
        ),
        ("Avro fixed of 2^40 bytes", confluent(13, &[0; 8])),
        ("Avro arrays of null, 3 × 2^62 items", null_bomb()),
        (
            "Protobuf nested 5,000 deep",
            confluent(17, &[&[0][..], &nested].concat()),
        ),
        ("Glue zlib JSON inflating to 30 MiB", zlib),
    ]
}

fn event(values: &[Vec<u8>]) -> Vec<u8> {
    let records: Vec<_> = values
        .iter()
        .enumerate()
        .map(|(i, v)| {
            json!({"topic": "orders", "partition": 0, "offset": i, "timestamp": 1,
                   "timestampType": "CREATE_TIME", "key": BASE64.encode(format!("k{i}")),
                   "value": BASE64.encode(v), "headers": []})
        })
        .collect();
    serde_json::to_vec(&json!({"eventSource": "aws:kafka", "records": {"orders-0": records}}))
        .expect("serializes")
}

/// The environment variable that makes this binary a child running one case.
const CASE_VAR: &str = "KEL_HOSTILE_CASE";

/// Runs case `index` once for its peak and 21 times for its time, and prints its table row.
/// The last index is the shared-type schema, parsed.
fn run_case(index: usize) {
    let schemas = schemas();
    let decoder = RegistryDecoder::new(RegistryFormat::Any, Some(Arc::clone(&schemas)));
    let cases = cases();
    let Some((name, bytes)) = cases.into_iter().nth(index) else {
        let text = schemas::shared_types(61, 1);
        let (peak, refused) = peak_of(|| AvroSchema::parse(&text).is_err());
        let time = median(21, || drop(black_box(AvroSchema::parse(&text))));
        println!(
            "| Avro schema of 61 shared types (2^60 paths), parsed | {} B | refused: {refused} | {:.1} µs | {:.1} KiB |",
            text.len(),
            time.as_secs_f64() * 1e6,
            peak as f64 / 1024.0
        );
        return;
    };
    let (peak, result) = peak_of(|| decoder.decode(bytes.clone()));
    let time = median(21, || drop(black_box(decoder.decode(bytes.clone()))));
    let outcome = match result {
        Ok(json) => format!("{} bytes of JSON", json.as_str().len()),
        Err(e) => {
            let reason = e.to_string();
            let cut = (0..=reason.len().min(130))
                .rev()
                .find(|&i| reason.is_char_boundary(i));
            format!("refused: {}", &reason[..cut.unwrap_or(0)])
        }
    };
    println!(
        "| {name} | {} B | {outcome} | {:.1} µs | {:.1} KiB |",
        bytes.len(),
        time.as_secs_f64() * 1e6,
        peak as f64 / 1024.0
    );
}

fn main() {
    if let Ok(index) = std::env::var(CASE_VAR) {
        run_case(index.parse().expect("a case index"));
        return;
    }
    println!("| case | datum | outcome | time per record | peak RSS above the start |");
    println!("|---|---:|---|---:|---:|");
    let exe = std::env::current_exe().expect("the bench binary");
    for index in 0..=cases().len() {
        let status = std::process::Command::new(&exe)
            .env(CASE_VAR, index.to_string())
            .status()
            .expect("the child runs");
        assert!(status.success(), "case {index} failed: {status}");
    }
    let schemas = schemas();

    // 1,000 good records, and the same with one bomb among them.
    let goods: Vec<Vec<u8>> = (0..1_000).map(good).collect();
    let mut bombed = goods.clone();
    bombed.insert(500, null_bomb());
    let config = Config::from_lookup(|name| match name {
        "AWS_EVENTBRIDGE_CONNECTOR_ID" => Some("bench".into()),
        "AWS_EVENTBRIDGE_EVENTBUS_ARN" => {
            Some("arn:aws:events:us-east-1:123456789012:event-bus/b".into())
        }
        _ => None,
    })
    .expect("valid config");
    let mapper = config.mapper();
    let mut decoders = Decoders::new(PayloadFormat::String, PayloadFormat::Json);
    decoders.value = Box::new(RegistryDecoder::new(
        RegistryFormat::Any,
        Some(Arc::clone(&schemas)),
    ));
    decoders.schemas = Some(Arc::clone(&schemas));
    let run = |bytes: &[u8]| {
        let event: KafkaEvent = serde_json::from_slice(bytes).expect("an event");
        let decoded = decode_event(event, &decoders).expect("decodes");
        decoded
            .into_iter()
            .filter_map(|d| d.result.ok())
            .filter_map(|r| mapper.map(&r).ok())
            .count()
    };
    let (plain, with_bomb) = (event(&goods), event(&bombed));
    assert_eq!(run(&plain), 1_000);
    assert_eq!(run(&with_bomb), 1_000, "the bomb alone fails");
    let t_plain = median(31, || {
        black_box(run(&plain));
    });
    let t_bomb = median(31, || {
        black_box(run(&with_bomb));
    });
    println!(
        "\n1,000 good records: {:.2} ms per batch; with one null bomb among them: {:.2} ms ({:+.1} %)",
        t_plain.as_secs_f64() * 1e3,
        t_bomb.as_secs_f64() * 1e3,
        (t_bomb.as_secs_f64() / t_plain.as_secs_f64() - 1.0) * 100.0
    );
}
