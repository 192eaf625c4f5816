//! The bad-input corpus (`tests/bad_inputs/`, see its `generate.py`) through the real binary
//! under cargo-lambda's emulator: each malformed or hostile event ends in its expected outcome,
//! a specific invocation error or exactly the expected per-record failures with their reasons,
//! and never in a panic or a hang. Two inputs too large for git are built here.

use crate::support;

use std::collections::BTreeMap;
use std::path::Path;

use base64::Engine as _;
use serde_json::{Value, json};
use support::{Data, Function, Moto, failures};

fn big_inputs(dir: &Path) -> Vec<(String, Value)> {
    std::fs::create_dir_all(dir).unwrap();
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    let record = |offset: usize, value: String| {
        json!({"topic": "t", "partition": 0, "offset": offset, "timestamp": 1, "timestampType": "CREATE_TIME",
               "key": b64("k"), "value": b64(&value), "headers": []})
    };
    let six_mb = json!({"eventSource": "aws:kafka", "records": {"t-0": [
        record(1, json!({"blob": "x".repeat(6 * 1024 * 1024 + 1)}).to_string()),
        record(2, "{}".into()),
    ]}});
    let many: Vec<Value> = (0..10_000)
        .map(|i| record(i, json!({"i": i}).to_string()))
        .collect();
    let many = json!({"eventSource": "aws:kafka", "records": {"t-0": many}});
    let mut out = Vec::new();
    for (name, event, expected) in [
        (
            "record-above-6mb.json",
            six_mb,
            json!({"failures": [["t-0", 1]], "reason": "entry exceeds PutEvents size limit"}),
        ),
        ("ten-thousand-records.json", many, json!({"failures": []})),
    ] {
        std::fs::write(dir.join(name), event.to_string()).unwrap();
        out.push((dir.join(name).to_string_lossy().into_owned(), expected));
    }
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn every_bad_input_ends_in_its_expected_outcome() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let manifest: BTreeMap<String, Value> = serde_json::from_str(
        &std::fs::read_to_string(root.join("tests/bad_inputs/manifest.json")).unwrap(),
    )
    .unwrap();
    assert!(
        manifest.len() >= 40,
        "the corpus has {} inputs",
        manifest.len()
    );
    let mut cases: Vec<(String, Value)> = manifest
        .into_iter()
        .map(|(name, expected)| (format!("tests/bad_inputs/{name}"), expected))
        .collect();
    cases.extend(big_inputs(&root.join("target/test-inputs")));

    let moto = Moto::start();
    moto.eventbridge()
        .create_event_bus()
        .name("bad-inputs")
        .send()
        .await
        .unwrap();
    let function = Function::start(
        &moto,
        &[
            ("AWS_EVENTBRIDGE_CONNECTOR_ID", "bad-inputs"),
            (
                "AWS_EVENTBRIDGE_EVENTBUS_ARN",
                "arn:aws:events:us-east-1:123456789012:event-bus/bad-inputs",
            ),
        ],
    );
    let mut problems = Vec::new();
    for (file, expected) in &cases {
        let before = function.log().len();
        let outcome = function.invoke(Data::File(file));
        let log = function.log()[before..].to_owned();
        assert!(
            !log.contains("panicked"),
            "{file}: the function panicked:\n{log}"
        );
        match (expected.get("error"), outcome) {
            (Some(text), Err(error)) => {
                if !error.contains(text.as_str().unwrap()) {
                    problems.push(format!("{file}: error {error:?} does not say {text}"));
                }
            }
            (Some(_), Ok(response)) => problems.push(format!(
                "{file}: expected an invocation error, got {response}"
            )),
            (None, Err(error)) => {
                problems.push(format!("{file}: unexpected invocation error {error}"))
            }
            (None, Ok(response)) => {
                let mut want: Vec<(String, i64)> = expected["failures"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|f| (f[0].as_str().unwrap().to_owned(), f[1].as_i64().unwrap()))
                    .collect();
                want.sort();
                if failures(&response) != want {
                    problems.push(format!(
                        "{file}: reported {:?}, expected {want:?}",
                        failures(&response)
                    ));
                }
                if let Some(reason) = expected.get("reason").and_then(Value::as_str) {
                    let log = function.log_when(before, |log| {
                        log.lines()
                            .any(|l| l.contains("WARN") && l.contains(reason))
                    });
                    if !log
                        .lines()
                        .any(|l| l.contains("WARN") && l.contains(reason))
                    {
                        problems.push(format!("{file}: no WARN line gives the reason {reason:?}"));
                    }
                }
            }
        }
    }
    assert!(
        problems.is_empty(),
        "{} of {} inputs went wrong:\n{}",
        problems.len(),
        cases.len(),
        problems.join("\n")
    );
    println!("{} bad inputs checked", cases.len());
}
