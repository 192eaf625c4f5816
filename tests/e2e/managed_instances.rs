//! Lambda Managed Instances: with `AWS_LAMBDA_MAX_CONCURRENCY=4` one process of the real binary
//! serves 4 invocations at once (`cargo lambda watch --concurrency 4`), and each response names
//! exactly its own failed records. Without the variable (classic Lambda) the same binary serves
//! one invocation at a time, as before.

use crate::support;

use std::collections::BTreeSet;
use std::time::Duration;

use serde_json::Value;
use support::events::{event_json, record};
use support::recorder::{Call, Recorder};
use support::{Data, Function, failures};

const INVOCATIONS: usize = 4;
/// Records per invocation; those at `BROKEN` offsets (from the invocation's base) are not JSON.
const RECORDS: i64 = 15;
const BROKEN: [i64; 2] = [3, 11];

/// Invocation `n`: topic `inv<n>`, offsets from `100 * n`.
fn event(n: usize) -> String {
    let base = 100 * i64::try_from(n).unwrap();
    let topic = format!("inv{n}");
    event_json((0..RECORDS).map(|i| {
        let value = if BROKEN.contains(&i) {
            "{\"broken\":".to_owned()
        } else {
            format!("{{\"n\":{n},\"i\":{i}}}")
        };
        record(&topic, 0, base + i, Some("k"), Some(&value))
    }))
    .to_string()
}

/// Invokes 4 events at once; returns each response (by invocation) and the recorder's peak.
async fn invoke_four(env_extra: &[(&str, &str)]) -> (Vec<Value>, usize, Vec<Call>) {
    // Each PutEvents takes 300 ms: invocations that run at once overlap on the recorder.
    let recorder = Recorder::start(Duration::from_millis(300)).await;
    let mut env = vec![
        ("AWS_ACCESS_KEY_ID", "test"),
        ("AWS_SECRET_ACCESS_KEY", "test"),
        ("AWS_REGION", "us-east-1"),
        ("AWS_ENDPOINT_URL", recorder.endpoint.as_str()),
        ("AWS_EVENTBRIDGE_CONNECTOR_ID", "mi"),
        (
            "AWS_EVENTBRIDGE_EVENTBUS_ARN",
            "arn:aws:events:us-east-1:123456789012:event-bus/mi",
        ),
        // One call at a time per invocation: more at once means invocations overlapped.
        ("AWS_EVENTBRIDGE_MAX_INFLIGHT_REQUESTS", "1"),
    ];
    env.extend_from_slice(env_extra);
    let function = Function::start_concurrent(&env, 4);
    let events: Vec<String> = (0..INVOCATIONS).map(event).collect();
    let responses = std::thread::scope(|scope| {
        let running: Vec<_> = events
            .iter()
            .map(|e| scope.spawn(|| function.invoke(Data::Ascii(e))))
            .collect();
        running
            .into_iter()
            .map(|r| r.join().unwrap().unwrap())
            .collect::<Vec<_>>()
    });
    (responses, recorder.max_inflight(), recorder.take())
}

fn check_responses(responses: &[Value], calls: &[Call]) {
    for (n, response) in responses.iter().enumerate() {
        let base = 100 * i64::try_from(n).unwrap();
        let expected: Vec<(String, i64)> = BROKEN
            .iter()
            .map(|i| (format!("inv{n}-0"), base + i))
            .collect();
        assert_eq!(failures(response), expected, "invocation {n}: {response}");
    }
    // Every call carries the entries of one invocation only, and every good record went once.
    let mut sent = BTreeSet::new();
    for call in calls {
        let Call::PutEvents(body) = call else {
            panic!("unexpected {call:?}")
        };
        let topics: BTreeSet<String> = body["Entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                let detail: Value = serde_json::from_str(e["Detail"].as_str().unwrap()).unwrap();
                assert!(sent.insert((detail["topic"].to_string(), detail["offset"].as_i64())));
                detail["topic"].as_str().unwrap().to_owned()
            })
            .collect();
        assert_eq!(topics.len(), 1, "a call mixes invocations: {topics:?}");
    }
    let good = usize::try_from(RECORDS).unwrap() - BROKEN.len();
    assert_eq!(sent.len(), INVOCATIONS * good);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_process_serves_four_invocations_at_once() {
    let (responses, peak, calls) = invoke_four(&[("AWS_LAMBDA_MAX_CONCURRENCY", "4")]).await;
    eprintln!("peak: {peak} PutEvents calls at once");
    check_responses(&responses, &calls);
    assert!(
        peak > 1,
        "the invocations did not overlap: at most {peak} call at once"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_the_variable_one_invocation_at_a_time() {
    let (responses, peak, calls) = invoke_four(&[]).await;
    check_responses(&responses, &calls);
    assert_eq!(peak, 1, "classic Lambda serves one invocation at a time");
}
