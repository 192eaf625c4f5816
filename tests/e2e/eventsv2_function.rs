//! The real binary, served by cargo-lambda's runtime emulator, on a Custom Event Bus ARN: it
//! sends through `aws-sdk-eventbridgev2` to the CBOR stub. For every sample event, what it
//! sends and answers equals what `render` shows (one call in flight, so that the calls are
//! those of the dry run); a redelivery is deduplicated, counted apart in the metrics, and
//! reported as delivered.

use crate::support;

use std::process::Command;
use std::time::Duration;
use support::events::sample_event_files;

use serde_json::{Value, json};
use support::eventsv2::{BUS_ARN, Entry, EventsV2};
use support::{Data, Function};

fn env(endpoint: &str) -> Vec<(&'static str, String)> {
    vec![
        ("AWS_ACCESS_KEY_ID", "test".into()),
        ("AWS_SECRET_ACCESS_KEY", "test".into()),
        ("AWS_REGION", "us-east-1".into()),
        ("AWS_EVENTBRIDGE_ENDPOINT_URI", endpoint.into()),
        ("AWS_EVENTBRIDGE_CONNECTOR_ID", "v2".into()),
        ("AWS_EVENTBRIDGE_EVENTBUS_ARN", BUS_ARN.into()),
        ("AWS_EVENTBRIDGE_MAX_INFLIGHT_REQUESTS", "1".into()),
        ("AWS_EVENTBRIDGE_TIME_MAPPER", "record-timestamp".into()),
    ]
}

/// An entry of a rendered body, in the stub's terms.
fn entry_of(rendered: &Value) -> Entry {
    let text = |v: &Value| v.as_str().map(str::to_owned);
    Entry {
        source: text(&rendered["Source"]).unwrap(),
        detail_type: text(&rendered["DetailType"]).unwrap(),
        detail: text(&rendered["Detail"]).unwrap(),
        resources: rendered["Resources"]
            .as_array()
            .map(|r| r.iter().filter_map(text).collect())
            .unwrap_or_default(),
        time_ms: rendered["Time"]
            .as_f64()
            .map(|s| (s * 1000.0).round() as i64),
        event_group_id: text(&rendered["SystemMetadata"]["EventGroupId"]),
        deduplication_id: text(&rendered["SystemMetadata"]["DeduplicationId"]),
    }
}

/// `render`'s calls (their ARN and entries) and response for `event`, without credentials.
fn render(env: &[(&str, String)], event: &str) -> (Vec<(String, Vec<Entry>)>, Value) {
    let output = Command::new(env!("CARGO_BIN_EXE_kafka-eventbridge-lambda"))
        .env_clear()
        .envs(
            env.iter()
                .filter(|(k, _)| !k.starts_with("AWS_ACCESS") && !k.starts_with("AWS_SECRET"))
                .map(|(k, v)| (*k, v.as_str())),
        )
        .args(["render", "--event", event])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "render {event}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let mut documents: Vec<Value> = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let response = documents.pop().unwrap();
    let calls = documents
        .iter()
        .map(|d| {
            (
                d["EventBusArn"].as_str().unwrap().to_owned(),
                d["Entries"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(entry_of)
                    .collect(),
            )
        })
        .collect();
    (calls, response)
}

fn sorted_failures(response: &Value) -> Vec<Value> {
    let mut f = response["batchItemFailures"].as_array().unwrap().clone();
    f.sort_by_key(|v| v.to_string());
    f
}

async fn matches_render(group: &str) {
    let server = EventsV2::start(Duration::ZERO).await;
    let mut env = env(&server.endpoint);
    env.push(("AWS_EVENTBRIDGE_EVENT_GROUP", group.into()));
    let pairs: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let function = Function::start_with_env(&pairs);
    for event in sample_event_files() {
        server.clear_calls();
        let response = function.invoke(Data::File(&event)).unwrap();
        let sent: Vec<(String, Vec<Entry>)> = server
            .calls()
            .into_iter()
            .map(|c| (c.bus_arn, c.entries))
            .collect();
        let (rendered, rendered_response) = render(&env, &event);
        // Nothing sent only when every record failed (the Avro sample without a registry).
        let records = support::events::record_count(&event);
        assert!(
            !sent.is_empty() || sorted_failures(&response).len() == records,
            "{event}: nothing sent"
        );
        assert_eq!(sent, rendered, "{event} ({group}): sent ≠ rendered");
        assert_eq!(
            sorted_failures(&response),
            sorted_failures(&rendered_response),
            "{event}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_the_function_sends_is_what_render_shows_by_partition() {
    matches_render("partition").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_the_function_sends_is_what_render_shows_by_key() {
    matches_render("key").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redelivered_batch_is_deduplicated() {
    let server = EventsV2::start(Duration::ZERO).await;
    let env = env(&server.endpoint);
    let pairs: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let function = Function::start_with_env(&pairs);
    let event = Data::File("events/ordered-accounts.json");
    assert_eq!(
        function.invoke(event).unwrap(),
        json!({"batchItemFailures": []})
    );
    assert_eq!(
        function.invoke(event).unwrap(),
        json!({"batchItemFailures": []})
    );
    let calls = server.calls();
    assert_eq!(calls.len(), 2, "12 records, one call each time");
    assert!(calls[0].results.iter().all(|r| r == "PUBLISHED"));
    assert!(calls[1].results.iter().all(|r| r == "DEDUPLICATED"));
    let groups: std::collections::BTreeSet<_> = calls[0]
        .entries
        .iter()
        .map(|e| e.event_group_id.clone().unwrap())
        .collect();
    assert_eq!(
        groups.into_iter().collect::<Vec<_>>(),
        ["accounts-0", "accounts-1"]
    );
    let log = function.log();
    assert!(
        log.contains(r#""DeduplicatedEntries":12"#),
        "no EMF count of the duplicates: {log}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rejected_entry_is_logged_and_holds_the_rest_of_its_partition() {
    let server = EventsV2::start(Duration::ZERO).await;
    // Partition 0 holds offsets 200..205; the record at 202 ("move":4) is rejected for good.
    server.fail_entries(support::eventsv2::EntryFault {
        marker: r#""move":4,"#.into(),
        code: "InvalidInputException",
        times: usize::MAX,
    });
    let env = env(&server.endpoint);
    let pairs: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let function = Function::start_with_env(&pairs);
    let response = function
        .invoke(Data::File("events/ordered-accounts.json"))
        .unwrap();
    let failed: Vec<(String, i64)> = support::failures(&response);
    let expected: Vec<(String, i64)> = (202..206).map(|o| ("accounts-0".into(), o)).collect();
    assert_eq!(failed, expected);
    let log = function.log();
    assert!(
        log.contains("The Custom Event Bus rejected entries of a call.")
            && log.contains("InvalidInputException"),
        "{log}"
    );
    assert!(
        !log.contains("acct-"),
        "a key or value reached the log: {log}"
    );
}
