//! Property: for arbitrary record sets, limits and per-call outcomes, every record gets exactly
//! one outcome (delivered, or reported in `batchItemFailures`), no call exceeds 10 entries or
//! the byte cap, no entry is sent more than `retries.max + 1` times (calls split for size
//! aside), and, with offloading on and
//! arbitrary upload failures, no event is sent before its S3 object exists. On an ordered bus
//! (a Custom Event Bus configuration, one event group per partition), every delivered record
//! was accepted, and the delivered records of each partition are a prefix of those that could
//! be sent: nothing is delivered after a record of its partition that was not.
//!
//! Registry failures on an ordered bus: for arbitrary registry-framed records whose schemas are
//! available, down (a transient outage) or gone (a final 404), a record whose schema is down holds
//! every later record of its partition, one that is gone holds none, and the others are delivered.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::support;

use futures_util::future::BoxFuture;
use kafka_eventbridge_lambda::{
    EventBus, FailureClass, FetchedSchema, Invocation, KafkaEvent, PUT_EVENTS_LIMITS, Pipeline,
    Registries, RegistryError, SchemaId, SchemaKind, SchemaSource,
};
use proptest::prelude::*;
use support::config::config;
use support::events::{
    Payload, generated_event as event, kafka_event, record, reported as reported_ids,
};
use support::fakes::{Answer, Call, FakeBus, FakeStore, Id, State};

/// Runs `event` through `pipeline` on a runtime whose clock is paused (backoffs and timeouts
/// pass at once), with a 60 s deadline.
fn run_paused<B: EventBus>(pipeline: &Pipeline<B>, event: KafkaEvent) -> Invocation {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        pipeline
            .run(event, deadline, None)
            .await
            .expect("a well-formed event")
    })
}

fn record_strategy() -> impl Strategy<Value = (u8, Payload)> {
    let value = prop_oneof![
        6 => (0_usize..3000).prop_map(Payload::Json),
        1 => Just(Payload::Invalid),
        1 => Just(Payload::Tombstone),
    ];
    (0_u8..3, value)
}

fn call_strategy() -> impl Strategy<Value = Call> {
    let answer = prop_oneof![
        3 => Just(Answer::Accept),
        1 => Just(Answer::Throttled),
        1 => Just(Answer::Internal),
        1 => Just(Answer::Malformed),
    ];
    prop_oneof![
        3 => Just(Call::AcceptAll),
        3 => proptest::collection::vec(answer, 1..5).prop_map(Call::PerEntry),
        1 => any::<bool>().prop_map(|retryable| Call::Fail { retryable }),
        1 => Just(Call::TooLarge),
        1 => Just(Call::Hang),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn every_record_gets_exactly_one_outcome(
        records in proptest::collection::vec(record_strategy(), 0..60),
        script in proptest::collection::vec(call_strategy(), 0..30),
        cap in 400_usize..4000,
        retries_max in 0_u32..4,
        max_inflight in 1_usize..5,
        adaptive in any::<bool>(),
        offload in proptest::option::of(0_usize..3000),
        uploads in proptest::collection::vec(proptest::option::of(any::<bool>()), 0..20),
        ordered in any::<bool>(),
    ) {
        let (cap_s, retries_s, inflight_s) = (cap.to_string(), retries_max.to_string(), max_inflight.to_string());
        let threshold_s = offload.map(|t| t.to_string()).unwrap_or_default();
        let mut vars = vec![
            ("AWS_EVENTBRIDGE_BATCH_MAX_BYTES", cap_s.as_str()),
            ("AWS_EVENTBRIDGE_RETRIES_MAX", retries_s.as_str()),
            ("AWS_EVENTBRIDGE_MAX_INFLIGHT_REQUESTS", inflight_s.as_str()),
            ("AWS_EVENTBRIDGE_ADAPTIVE_CONCURRENCY", if adaptive { "true" } else { "false" }),
        ];
        if offload.is_some() {
            vars.push(("AWS_EVENTBRIDGE_OFFLOADING_DEFAULT_S3_BUCKET", "bucket"));
            vars.push(("AWS_EVENTBRIDGE_OFFLOADING_DEFAULT_FIELDREF", "$.detail.value.pad"));
            vars.push(("AWS_EVENTBRIDGE_OFFLOADING_DEFAULT_THRESHOLD_BYTES", threshold_s.as_str()));
        }
        if ordered {
            vars.push((
                "AWS_EVENTBRIDGE_EVENTBUS_ARN",
                "arn:aws:events:us-east-1:123456789012:event-busv2/b/abcdefghij0123456789klmno",
            ));
        }
        let config = config(&vars);
        let bus = Arc::new(FakeBus { state: Mutex::new(State { script: script.into(), ordered, ..State::default() }) });
        let store = Arc::new(FakeStore { script: Mutex::new(uploads.into()), ..FakeStore::default() });
        let pipeline = Pipeline::builder(&config).bus(Arc::clone(&bus)).store(Some(Arc::clone(&store))).build();
        let done = run_paused(&pipeline, event(&records));
        let all: Vec<Id> = (0..records.len())
            .map(|offset| (format!("t-{}", records[offset].0), offset as i64))
            .collect();
        let mut reported: Vec<Id> = reported_ids(&done.response);
        let reported_set: HashSet<Id> = reported.iter().cloned().collect();
        reported.sort();
        reported.dedup();
        prop_assert_eq!(reported.len(), done.response.batch_item_failures.len(), "a record reported twice");
        prop_assert_eq!(done.tally.records, records.len());
        prop_assert_eq!(done.tally.delivered + done.tally.failed, records.len());

        let state = bus.state.lock().expect("lock");
        for id in &all {
            let accepted = state.accepted.contains(id);
            let failed = reported_set.contains(id);
            if ordered {
                // A later entry of a group that the bus accepted in a call where an earlier one
                // failed is resent or held: accepted and reported both (the bus deduplicates).
                prop_assert!(failed || accepted, "record {:?} delivered but not accepted", id);
            } else {
                prop_assert!(accepted != failed, "record {:?}: accepted={} reported={}", id, accepted, failed);
            }
            let sends = state.sends.get(id).copied().unwrap_or(0);
            let refused = state.refused_too_large.get(id).copied().unwrap_or(0);
            prop_assert!(sends - refused <= retries_max + 1, "record {:?} sent too often", id);
        }
        for (offset, (_, value)) in records.iter().enumerate() {
            if matches!(value, Payload::Invalid) {
                let id = (format!("t-{}", records[offset].0), offset as i64);
                prop_assert!(!state.sends.contains_key(&id), "an invalid record was sent");
            }
        }
        for &(entries, bytes) in &state.calls {
            prop_assert!((1..=PUT_EVENTS_LIMITS.max_entries).contains(&entries), "a call of {} entries", entries);
            prop_assert!(bytes <= cap, "a call of {} bytes over the cap {}", bytes, cap);
        }
        if ordered {
            let failed_before_send: HashSet<usize> = done
                .failures
                .iter()
                .filter(|(_, f)| matches!(f.class(), FailureClass::Decode | FailureClass::Mapping | FailureClass::Oversize))
                .map(|(i, _)| done.records[*i].id.offset as usize)
                .collect();
            for partition in 0..3_u8 {
                let mut gap = None;
                for (offset, (p, _)) in records.iter().enumerate() {
                    if *p != partition || failed_before_send.contains(&offset) {
                        continue;
                    }
                    let id = (format!("t-{partition}"), offset as i64);
                    let delivered = !reported_set.contains(&id);
                    match (delivered, gap) {
                        (false, None) => gap = Some(offset),
                        (true, Some(first)) => prop_assert!(
                            false,
                            "partition {}: offset {} delivered after {} was not", partition, offset, first
                        ),
                        _ => {}
                    }
                }
            }
        }
        // An event that references an object is only ever sent once the object exists.
        let stored = store.stored.lock().expect("lock").clone();
        for key in &state.sent_datarefs {
            prop_assert!(stored.contains(key), "an event was sent without its object {}", key);
        }
    }
}

/// A registry: schema id 1 is a JSON Schema, 2 is down (HTTP 503 every time), 3 is gone (404).
#[derive(Debug)]
struct Registry;

impl SchemaSource for Registry {
    fn fetch(&self, id: SchemaId) -> BoxFuture<'_, Result<FetchedSchema, RegistryError>> {
        let answer = match id {
            SchemaId::Confluent(1) => Ok(FetchedSchema::new(SchemaKind::Json, "{}")),
            SchemaId::Confluent(2) => Err(503),
            _ => Err(404),
        };
        Box::pin(async move {
            answer.map_err(|status| RegistryError::Status {
                status,
                message: "no".into(),
            })
        })
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn registry_outages_hold_the_rest_of_their_partition_on_an_ordered_bus(
        records in proptest::collection::vec((0_u8..3, 1_u32..4), 0..40),
        ordered in any::<bool>(),
    ) {
        let mut vars = vec![("AWS_EVENTBRIDGE_VALUE_FORMAT", "registry"), ("AWS_EVENTBRIDGE_RETRIES_MAX", "1")];
        if ordered {
            vars.push((
                "AWS_EVENTBRIDGE_EVENTBUS_ARN",
                "arn:aws:events:us-east-1:123456789012:event-busv2/b/abcdefghij0123456789klmno",
            ));
        }
        let config = config(&vars);
        let bus = Arc::new(FakeBus { state: Mutex::new(State { ordered, ..State::default() }) });
        let pipeline = Pipeline::builder(&config)
            .bus(Arc::clone(&bus))
            .registries(Registries::new().confluent(Registry))
            .build();
        let values: Vec<String> = records
            .iter()
            .enumerate()
            .map(|(offset, (_, id))| {
                let mut framed = vec![0_u8];
                framed.extend_from_slice(&id.to_be_bytes());
                let mut text = String::from_utf8(framed).unwrap();
                text.push_str(&format!(r#"{{"offset":{offset}}}"#));
                text
            })
            .collect();
        let kafka = kafka_event(records.iter().zip(&values).enumerate().map(|(offset, ((p, _), value))| {
            record("t", i64::from(*p), offset as i64, Some("k"), Some(value))
        }));
        let done = run_paused(&pipeline, kafka);
        let reported: HashSet<(String, i64)> = reported_ids(&done.response).into_iter().collect();
        prop_assert_eq!(done.tally.delivered + done.tally.failed, records.len());
        let state = bus.state.lock().expect("lock");
        let mut down = [false; 3];
        for (offset, (p, schema)) in records.iter().enumerate() {
            let id = (format!("t-{p}"), offset as i64);
            let (accepted, failed) = (state.accepted.contains(&id), reported.contains(&id));
            let held = ordered && down[usize::from(*p)];
            match schema {
                1 if !held => prop_assert!(accepted && !failed, "offset {} not delivered", offset),
                1 => prop_assert!(!accepted && failed, "offset {} sent after an outage of its partition", offset),
                _ => prop_assert!(!accepted && failed, "offset {} has no schema", offset),
            }
            if *schema == 2 {
                down[usize::from(*p)] = true;
            }
        }
    }
}
