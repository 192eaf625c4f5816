//! Property: for arbitrary record sets, limits and per-call outcomes, every record gets exactly
//! one outcome (delivered, or reported in `batchItemFailures`), no call exceeds 10 entries or
//! the byte cap, no entry is sent more than `retries.max + 1` times, and, with offloading on and
//! arbitrary upload failures, no event is sent before its S3 object exists.

#![allow(clippy::unwrap_used, reason = "a test that cannot unwrap has failed")]

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Mutex;
use std::time::Duration;

use kafka_eventbridge_lambda::batch::{BatchLimits, MAX_ENTRIES_PER_PUT, entry_size};
use kafka_eventbridge_lambda::map::EventEntry;
use kafka_eventbridge_lambda::offload::{BlobStore, Upload};
use kafka_eventbridge_lambda::send::{EntryStatus, EventBus};
use kafka_eventbridge_lambda::{Config, KafkaEvent, Pipeline};
use proptest::prelude::*;
use serde_json::{Value, json};

type Id = (String, i64);

#[derive(Debug, Clone)]
enum Call {
    AcceptAll,
    /// Per-entry answers, cycled over the call's entries.
    PerEntry(Vec<Answer>),
    Fail {
        retryable: bool,
    },
    Hang,
}

#[derive(Debug, Clone, Copy)]
enum Answer {
    Accept,
    Throttled,
    Internal,
    Malformed,
}

#[derive(Debug, thiserror::Error)]
#[error("scripted failure")]
struct Failure {
    retryable: bool,
}

#[derive(Default)]
struct State {
    script: VecDeque<Call>,
    sends: HashMap<Id, u32>,
    accepted: HashSet<Id>,
    calls: Vec<(usize, usize)>,
    sent_datarefs: Vec<String>,
}

struct FakeBus {
    state: Mutex<State>,
}

fn id_of(entry: &EventEntry) -> Id {
    let d: Value = serde_json::from_str(&entry.detail).expect("detail is JSON");
    let key = format!("{}-{}", d["topic"].as_str().expect("topic"), d["partition"]);
    (key, d["offset"].as_i64().expect("offset"))
}

impl EventBus for FakeBus {
    type Error = Failure;

    fn limits(&self, max_bytes: usize) -> BatchLimits {
        BatchLimits {
            max_entries: MAX_ENTRIES_PER_PUT,
            max_bytes,
        }
    }

    async fn put(&self, entries: &[&EventEntry]) -> Result<Vec<EntryStatus>, Failure> {
        let call = {
            let mut state = self.state.lock().expect("lock");
            state
                .calls
                .push((entries.len(), entries.iter().map(|e| entry_size(e)).sum()));
            for e in entries {
                *state.sends.entry(id_of(e)).or_default() += 1;
                let detail: Value = serde_json::from_str(&e.detail).expect("detail is JSON");
                if let Some(arn) = detail["dataref"].as_str() {
                    let key = arn
                        .strip_prefix("arn:aws:s3:::bucket/")
                        .expect("an S3 ARN in the bucket");
                    state.sent_datarefs.push(key.to_owned());
                }
            }
            state.script.pop_front().unwrap_or(Call::AcceptAll)
        };
        let answers: Vec<Answer> = match call {
            Call::AcceptAll => vec![Answer::Accept],
            Call::PerEntry(a) if !a.is_empty() => a,
            Call::PerEntry(_) => vec![Answer::Accept],
            Call::Fail { retryable } => return Err(Failure { retryable }),
            Call::Hang => std::future::pending().await,
        };
        let mut state = self.state.lock().expect("lock");
        Ok(entries
            .iter()
            .enumerate()
            .map(|(i, e)| {
                let rejected = |code: &str, retryable| EntryStatus::Rejected {
                    code: code.into(),
                    message: "scripted".into(),
                    retryable,
                };
                match answers[i % answers.len()] {
                    Answer::Accept => {
                        state.accepted.insert(id_of(e));
                        EntryStatus::Accepted
                    }
                    Answer::Throttled => rejected("ThrottlingException", true),
                    Answer::Internal => rejected("InternalFailure", true),
                    Answer::Malformed => rejected("MalformedDetail", false),
                }
            })
            .collect())
    }

    fn is_retryable(&self, error: &Failure) -> bool {
        error.retryable
    }
}

/// An object store that fails the uploads a script says to fail, and keeps what it stored.
#[derive(Default)]
struct FakeStore {
    script: Mutex<VecDeque<Option<bool>>>,
    stored: Mutex<HashSet<String>>,
}

impl BlobStore for FakeStore {
    type Error = Failure;

    async fn put(&self, upload: &Upload) -> Result<(), Failure> {
        // None: store it; Some(retryable): fail.
        match self.script.lock().expect("lock").pop_front().flatten() {
            Some(retryable) => Err(Failure { retryable }),
            None => {
                self.stored.lock().expect("lock").insert(upload.key.clone());
                Ok(())
            }
        }
    }

    fn is_retryable(&self, error: &Failure) -> bool {
        error.retryable
    }
}

#[derive(Debug, Clone)]
enum Value_ {
    Json(usize),
    Invalid,
    Tombstone,
}

fn record_strategy() -> impl Strategy<Value = (u8, Value_)> {
    let value = prop_oneof![
        6 => (0_usize..3000).prop_map(Value_::Json),
        1 => Just(Value_::Invalid),
        1 => Just(Value_::Tombstone),
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
        1 => Just(Call::Hang),
    ]
}

fn event(records: &[(u8, Value_)]) -> KafkaEvent {
    use base64::Engine as _;
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    let mut partitions: serde_json::Map<String, Value> = serde_json::Map::new();
    for (offset, (partition, value)) in records.iter().enumerate() {
        let value = match value {
            Value_::Json(n) => json!(b64(&json!({"pad": "x".repeat(*n)}).to_string())),
            Value_::Invalid => json!(b64("{not json")),
            Value_::Tombstone => Value::Null,
        };
        let record = json!({"topic": "t", "partition": partition, "offset": offset, "timestamp": 1,
                            "timestampType": "CREATE_TIME", "key": b64("k"), "value": value, "headers": []});
        partitions
            .entry(format!("t-{partition}"))
            .or_insert_with(|| json!([]))
            .as_array_mut()
            .expect("array")
            .push(record);
    }
    serde_json::from_value(json!({"eventSource": "aws:kafka", "records": partitions}))
        .expect("event")
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
        offload in proptest::option::of(0_usize..3000),
        uploads in proptest::collection::vec(proptest::option::of(any::<bool>()), 0..20),
    ) {
        let (cap_s, retries_s, inflight_s) = (cap.to_string(), retries_max.to_string(), max_inflight.to_string());
        let threshold_s = offload.map(|t| t.to_string()).unwrap_or_default();
        let mut vars: HashMap<&str, &str> = [
            ("AWS_EVENTBRIDGE_CONNECTOR_ID", "prop"),
            ("AWS_EVENTBRIDGE_EVENTBUS_ARN", "arn:aws:events:us-east-1:123456789012:event-bus/b"),
            ("AWS_EVENTBRIDGE_BATCH_MAX_BYTES", cap_s.as_str()),
            ("AWS_EVENTBRIDGE_RETRIES_MAX", retries_s.as_str()),
            ("AWS_EVENTBRIDGE_MAX_INFLIGHT_REQUESTS", inflight_s.as_str()),
        ]
        .into_iter()
        .collect();
        if offload.is_some() {
            vars.insert("AWS_EVENTBRIDGE_OFFLOADING_DEFAULT_S3_BUCKET", "bucket");
            vars.insert("AWS_EVENTBRIDGE_OFFLOADING_DEFAULT_FIELDREF", "$.detail.value.pad");
            vars.insert("AWS_EVENTBRIDGE_OFFLOADING_DEFAULT_THRESHOLD_BYTES", threshold_s.as_str());
        }
        let config = Config::from_lookup(|n| vars.get(n).map(|v| v.to_string())).expect("config");
        let bus = FakeBus { state: Mutex::new(State { script: script.into(), ..State::default() }) };
        let store = FakeStore { script: Mutex::new(uploads.into()), ..FakeStore::default() };
        let pipeline = Pipeline::with_store(&config, bus, store);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .build()
            .expect("runtime");
        let done = runtime.block_on(async {
            let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
            pipeline.run(event(&records), deadline).await.expect("a well-formed event")
        });
        let all: Vec<Id> = (0..records.len())
            .map(|offset| (format!("t-{}", records[offset].0), offset as i64))
            .collect();
        let mut reported: Vec<Id> = done
            .response
            .batch_item_failures
            .iter()
            .map(|f| (f.item_identifier.partition.clone(), f.item_identifier.offset))
            .collect();
        let reported_set: HashSet<Id> = reported.iter().cloned().collect();
        reported.sort();
        reported.dedup();
        prop_assert_eq!(reported.len(), done.response.batch_item_failures.len(), "a record reported twice");
        prop_assert_eq!(done.tally.records, records.len());
        prop_assert_eq!(done.tally.delivered + done.tally.failed, records.len());

        let state = pipeline_state(&pipeline);
        for id in &all {
            let accepted = state.accepted.contains(id);
            let failed = reported_set.contains(id);
            prop_assert!(accepted != failed, "record {:?}: accepted={} reported={}", id, accepted, failed);
            prop_assert!(state.sends.get(id).copied().unwrap_or(0) <= retries_max + 1, "record {:?} sent too often", id);
        }
        for (offset, (_, value)) in records.iter().enumerate() {
            if matches!(value, Value_::Invalid) {
                let id = (format!("t-{}", records[offset].0), offset as i64);
                prop_assert!(!state.sends.contains_key(&id), "an invalid record was sent");
            }
        }
        for &(entries, bytes) in &state.calls {
            prop_assert!((1..=MAX_ENTRIES_PER_PUT).contains(&entries), "a call of {} entries", entries);
            prop_assert!(bytes <= cap, "a call of {} bytes over the cap {}", bytes, cap);
        }
        // An event that references an object is only ever sent once the object exists.
        let stored = pipeline.store().map(|s| s.stored.lock().expect("lock").clone()).unwrap_or_default();
        for key in &state.sent_datarefs {
            prop_assert!(stored.contains(key), "an event was sent without its object {}", key);
        }
    }
}

fn pipeline_state(pipeline: &Pipeline<FakeBus, FakeStore>) -> std::sync::MutexGuard<'_, State> {
    pipeline.bus().state.lock().expect("lock")
}
