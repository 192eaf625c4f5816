//! The Custom Event Bus (EventBridge v2) end to end through the real `aws-sdk-eventbridgev2`
//! client over HTTP, against a local stub that speaks its protocol (Smithy RPC v2 CBOR):
//!
//! - the ARN and the entries sent (the same detail as on the classic bus), 100 entries a call;
//! - `EventGroupId` and `DeduplicationId` for each mode, and `CONTENT_BASED`;
//! - per-group order, never two calls of one group in flight, groups concurrently;
//! - `DEDUPLICATED` is a success, counted apart;
//! - a retry resends a group from its first failed entry; a final failure reports the rest of
//!   its group; throttling retries are bounded by `retries.max`;
//! - as the Custom Event Bus is now documented: `FailedEntryCount` absent on a fully successful
//!   publish; one entry the caller may not publish denies the whole request, and malformed
//!   input in one entry rejects it (the other entries are delivered, those reported).

use crate::support;

use std::collections::HashMap;
use std::time::Duration;

use kafka_eventbridge_lambda::{AwsBus, Invocation, KafkaEvent, Pipeline};
use serde_json::{Value, json};
use support::aws::sdk_config;
use support::config::config;
use support::events;
use support::eventsv2::{BUS_ARN, CallFault, EntryFault, EventsV2};

fn pipeline(endpoint: &str, vars: &[(&str, &str)]) -> Pipeline<AwsBus> {
    let mut all = vec![
        ("AWS_EVENTBRIDGE_ENDPOINT_URI", endpoint),
        ("AWS_EVENTBRIDGE_EVENTBUS_ARN", BUS_ARN),
        ("AWS_EVENTBRIDGE_RETRIES_DELAY", "10"),
    ];
    all.extend_from_slice(vars);
    let config = config(&all);
    Pipeline::builder(&config).aws(&sdk_config(None)).build()
}

async fn run(pipeline: &Pipeline<AwsBus>, event: KafkaEvent) -> Invocation {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    pipeline.run(event, deadline, None).await.unwrap()
}

/// `per_partition` records on each of `partitions` partitions of topic `t`, key `k-<offset % 3>`
/// (offset 2 of each partition has a null key), value `{"n": offset}`.
fn event(partitions: i64, per_partition: i64) -> KafkaEvent {
    events::kafka_event((0..partitions).flat_map(|p| {
        (0..per_partition).map(move |o| {
            let key = (o != 2).then(|| format!("k-{}", o % 3));
            events::record(
                "t",
                p,
                o,
                key.as_deref(),
                Some(&json!({"n": o}).to_string()),
            )
        })
    }))
}

fn offset_of(detail: &str) -> i64 {
    serde_json::from_str::<Value>(detail).unwrap()["offset"]
        .as_i64()
        .unwrap()
}

/// The offsets each group was sent, in the order of the calls' start, entries in call order.
fn sent_per_group(server: &EventsV2) -> HashMap<String, Vec<i64>> {
    let mut calls = server.calls();
    calls.sort_by_key(|c| c.started);
    let mut out: HashMap<String, Vec<i64>> = HashMap::new();
    for call in calls {
        for e in call.entries {
            out.entry(e.event_group_id.clone().unwrap_or_default())
                .or_default()
                .push(offset_of(&e.detail));
        }
    }
    out
}

#[tokio::test]
async fn the_arn_and_the_entries_go_in_calls_of_100() {
    let server = EventsV2::start(Duration::ZERO).await;
    let p = pipeline(
        &server.endpoint,
        &[
            ("AWS_EVENTBRIDGE_TIME_MAPPER", "record-timestamp"),
            ("AWS_EVENTBRIDGE_EVENTBUS_RESOURCES", "r1,r2"),
        ],
    );
    let done = run(&p, event(1, 250)).await;
    assert_eq!(done.tally.delivered, 250);
    assert!(done.response.batch_item_failures.is_empty());
    let calls = server.calls();
    let sizes: Vec<usize> = calls.iter().map(|c| c.entries.len()).collect();
    assert_eq!(sizes, [100, 100, 50]);
    let mut offset = 0;
    for call in &calls {
        assert_eq!(call.bus_arn, BUS_ARN);
        assert_eq!(call.deduplication_type, None);
        for e in &call.entries {
            assert_eq!(e.source, "kafka-connect.test");
            assert_eq!(e.detail_type, "kafka-connect-t");
            assert_eq!(e.resources, ["r1", "r2"]);
            assert_eq!(e.time_ms, Some(1));
            let detail: Value = serde_json::from_str(&e.detail).unwrap();
            assert_eq!(
                detail,
                json!({"topic": "t", "partition": 0, "offset": offset, "timestamp": 1,
                       "timestampType": "CreateTime", "headers": [],
                       "key": if offset == 2 { Value::Null } else { json!(format!("k-{}", offset % 3)) },
                       "value": {"n": offset}})
            );
            assert_eq!(e.event_group_id.as_deref(), Some("t-0"));
            let expected_id = format!("test:t:0:{offset}");
            assert_eq!(e.deduplication_id.as_deref(), Some(expected_id.as_str()));
            offset += 1;
        }
    }
    assert_eq!(server.max_group_inflight(), 1);
}

/// `(AWS_EVENTBRIDGE_EVENT_GROUP, AWS_EVENTBRIDGE_DEDUPLICATION, the group id of an offset,
/// its deduplication id, the request's deduplication type)`.
type Case = (
    &'static str,
    &'static str,
    fn(i64) -> Option<String>,
    fn(i64) -> Option<String>,
    Option<&'static str>,
);

#[tokio::test]
async fn event_group_and_deduplication_modes() {
    let server = EventsV2::start(Duration::ZERO).await;
    let cases: [Case; 4] = [
        (
            "key",
            "offset",
            |o| {
                Some(if o == 2 {
                    "t-0".into()
                } else {
                    format!("k-{}", o % 3)
                })
            },
            |o| Some(format!("test:t:0:{o}")),
            None,
        ),
        ("none", "none", |_| None, |_| None, None),
        (
            "partition",
            "content",
            |_| Some("t-0".into()),
            |_| None,
            Some("CONTENT_BASED"),
        ),
        (
            "none",
            "offset",
            |_| None,
            |o| Some(format!("test:t:0:{o}")),
            None,
        ),
    ];
    for (group, dedup, group_of, id_of, dedup_type) in cases {
        server.clear_calls();
        let p = pipeline(
            &server.endpoint,
            &[
                ("AWS_EVENTBRIDGE_EVENT_GROUP", group),
                ("AWS_EVENTBRIDGE_DEDUPLICATION", dedup),
                ("AWS_EVENTBRIDGE_CONNECTOR_ID", "test"),
            ],
        );
        // Repeats of earlier cases come back DEDUPLICATED: delivered all the same.
        let done = run(&p, event(1, 5)).await;
        assert_eq!(done.tally.delivered, 5, "{group}/{dedup}");
        let calls = server.calls();
        assert_eq!(calls.len(), 1, "{group}/{dedup}");
        assert_eq!(calls[0].deduplication_type.as_deref(), dedup_type);
        for e in &calls[0].entries {
            let o = offset_of(&e.detail);
            assert_eq!(e.event_group_id, group_of(o), "{group}/{dedup} offset {o}");
            assert_eq!(e.deduplication_id, id_of(o), "{group}/{dedup} offset {o}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn groups_in_order_one_call_each_in_flight_many_groups_at_once() {
    let server = EventsV2::start(Duration::from_millis(20)).await;
    let p = pipeline(
        &server.endpoint,
        &[
            ("AWS_EVENTBRIDGE_BATCH_MAX_ENTRIES", "10"),
            ("AWS_EVENTBRIDGE_MAX_INFLIGHT_REQUESTS", "8"),
        ],
    );
    let done = run(&p, event(32, 40)).await;
    assert_eq!(done.tally.delivered, 32 * 40);
    let sent = sent_per_group(&server);
    assert_eq!(sent.len(), 32);
    for (group, offsets) in &sent {
        assert_eq!(*offsets, (0..40).collect::<Vec<_>>(), "group {group}");
    }
    assert_eq!(server.max_group_inflight(), 1);
    assert!(
        server.max_calls_inflight() > 1,
        "groups should go concurrently"
    );
    assert_eq!(done.calls, 32 * 40 / 10, "every call full");
}

#[tokio::test]
async fn a_redelivery_is_deduplicated_and_counted_as_delivered() {
    let server = EventsV2::start(Duration::ZERO).await;
    let p = pipeline(&server.endpoint, &[]);
    let first = run(&p, event(2, 30)).await;
    assert_eq!((first.tally.delivered, first.deduplicated), (60, 0));
    let again = run(&p, event(2, 30)).await;
    assert_eq!((again.tally.delivered, again.deduplicated), (60, 60));
    assert!(again.response.batch_item_failures.is_empty());
}

#[tokio::test]
async fn a_retry_resends_the_group_from_its_first_failed_entry() {
    let server = EventsV2::start(Duration::ZERO).await;
    server.fail_entries(EntryFault {
        marker: r#""offset":3,"#.into(),
        code: "ThrottlingException",
        times: 1,
    });
    let p = pipeline(&server.endpoint, &[]);
    let done = run(&p, event(1, 10)).await;
    assert!(done.response.batch_item_failures.is_empty());
    assert_eq!(done.tally.delivered, 10);
    let sent = sent_per_group(&server);
    assert_eq!(
        sent["t-0"],
        [(0..10).collect::<Vec<_>>(), (3..10).collect()].concat()
    );
    // 4..9 landed with the first call; their resend is deduplicated.
    assert_eq!(done.deduplicated, 6);
    assert_eq!(done.throttled, 1);
}

#[tokio::test]
async fn a_final_failure_reports_the_rest_of_its_group_only() {
    let server = EventsV2::start(Duration::ZERO).await;
    server.fail_entries(EntryFault {
        marker: r#""partition":0,"offset":3,"#.into(),
        code: "InvalidInputException",
        times: usize::MAX,
    });
    let p = pipeline(
        &server.endpoint,
        &[("AWS_EVENTBRIDGE_BATCH_MAX_ENTRIES", "5")],
    );
    let done = run(&p, event(2, 12)).await;
    let failed = events::reported(&done.response);
    let expected: Vec<(String, i64)> = (3..12).map(|o| ("t-0".to_owned(), o)).collect();
    assert_eq!(failed, expected);
    assert_eq!(done.tally.delivered, 12 + 3);
    let reasons: Vec<String> = done.failures.iter().map(|(_, f)| f.reason()).collect();
    support::assert_contains(&reasons[0], "InvalidInputException");
    assert!(
        reasons[1..]
            .iter()
            .all(|r| r.starts_with("not sent: an earlier record of its event group"))
    );
    // Nothing of partition 0 after offset 4 (the rest of the failed call) was sent.
    assert_eq!(sent_per_group(&server)["t-0"], (0..5).collect::<Vec<_>>());
    assert_eq!(sent_per_group(&server)["t-1"], (0..12).collect::<Vec<_>>());
}

#[tokio::test]
async fn throttling_retries_are_bounded_by_retries_max() {
    let server = EventsV2::start(Duration::ZERO).await;
    server.script_calls(std::iter::repeat_n(
        Some(CallFault::Error {
            status: 400,
            code: "ThrottlingException",
        }),
        10,
    ));
    let p = pipeline(&server.endpoint, &[("AWS_EVENTBRIDGE_RETRIES_MAX", "2")]);
    let done = run(&p, event(1, 4)).await;
    assert_eq!(server.calls().len(), 3, "retries.max = 2: three calls");
    assert_eq!(done.tally.failed, 4);
    let reasons: Vec<String> = done.failures.iter().map(|(_, f)| f.reason()).collect();
    assert!(
        reasons[0].starts_with("gave up after 3 attempts")
            && reasons[0].contains("ThrottlingException"),
        "{}",
        reasons[0]
    );
    assert_eq!(done.throttled_calls, 3);
}

#[tokio::test]
async fn a_final_call_error_is_not_retried() {
    let server = EventsV2::start(Duration::ZERO).await;
    server.script_calls([Some(CallFault::Error {
        status: 403,
        code: "AccessDeniedException",
    })]);
    let p = pipeline(&server.endpoint, &[]);
    let done = run(&p, event(1, 3)).await;
    assert_eq!(server.calls().len(), 1);
    assert_eq!(done.tally.failed, 3);
    assert!(
        done.failures[0]
            .1
            .reason()
            .contains("AccessDeniedException")
    );
}

#[tokio::test]
async fn a_response_without_failed_entry_count_is_a_full_success() {
    let server = EventsV2::start(Duration::ZERO).await;
    server.omit_failed_entry_count();
    let p = pipeline(&server.endpoint, &[]);
    let done = run(&p, event(2, 3)).await;
    assert_eq!(done.tally.delivered, 6);
    assert_eq!(done.tally.failed, 0);
    assert!(done.failures.is_empty());
    assert_eq!(server.calls().len(), 1);
}

/// Records `{"n": offset}` on topics `allowed` and `denied`, 3 each on partition 0.
fn two_topics() -> KafkaEvent {
    events::kafka_event(["allowed", "denied"].into_iter().flat_map(|topic| {
        (0..3).map(move |o| {
            events::record(topic, 0, o, Some("k"), Some(&json!({"n": o}).to_string()))
        })
    }))
}

#[tokio::test]
async fn one_denied_detail_type_fails_only_its_records() {
    let server = EventsV2::start(Duration::ZERO).await;
    server.deny_detail_type("kafka-connect-denied");
    let p = pipeline(&server.endpoint, &[]);
    let done = run(&p, two_topics()).await;
    // The request of both topics is denied as a whole; its halves tell the topics apart.
    assert_eq!(done.tally.delivered, 3);
    assert_eq!(done.tally.failed, 3);
    // The denied group's first record fails with the bus's answer, the rest of the group
    // after it (the group's order is kept).
    for (index, _) in &done.failures {
        assert_eq!(&*done.records[*index].id.partition_key, "denied-0");
    }
    let first = done.failures[0].1.reason();
    assert!(first.contains("AccessDeniedException"), "{first}");
    let published: Vec<String> = server
        .calls()
        .iter()
        .flat_map(|c| c.entries.iter().zip(&c.results))
        .filter(|(_, r)| *r == "PUBLISHED")
        .map(|(e, _)| e.detail_type.clone())
        .collect();
    assert_eq!(published, ["kafka-connect-allowed"; 3]);
    // A denied call of one detail-type is not split further, nor retried.
    assert!(server.calls().len() <= 3, "{}", server.calls().len());
}

#[tokio::test]
async fn malformed_input_in_one_entry_fails_only_that_record() {
    let server = EventsV2::start(Duration::ZERO).await;
    let marker = "malformed-marker";
    server.reject_malformed(marker);
    let p = pipeline(&server.endpoint, &[]);
    let records = (0..3).flat_map(|partition| {
        (0..3).map(move |o| {
            let value = if (partition, o) == (1, 2) {
                json!({"n": o, "note": marker})
            } else {
                json!({"n": o})
            };
            events::record("t", partition, o, Some("k"), Some(&value.to_string()))
        })
    });
    let done = run(&p, events::kafka_event(records)).await;
    assert_eq!(done.tally.delivered, 8);
    assert_eq!(done.tally.failed, 1);
    let (index, failure) = &done.failures[0];
    let id = &done.records[*index].id;
    assert_eq!((&*id.partition_key, id.offset), ("t-1", 2));
    assert!(
        failure.reason().contains("InvalidInputException"),
        "{}",
        failure.reason()
    );
    // Bisection: each refused call was split in halves, the bad entry alone at the end.
    let calls = server.calls();
    let last_refused = calls
        .iter()
        .filter(|c| c.results.iter().all(|r| r == "InvalidInputException"))
        .min_by_key(|c| c.entries.len())
        .unwrap();
    assert_eq!(last_refused.entries.len(), 1);
    assert!(calls.len() <= 2 * 9, "{}", calls.len());
}
