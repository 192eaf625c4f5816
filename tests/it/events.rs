//! Every sample event in `events/` runs through the pipeline in-process, with the fake bus and
//! the default configuration: each record gets exactly one outcome, every accepted event is one
//! of the event's records, and the sizes of the calls respect the limits. The fast path of the
//! tests thus sees the same fixtures as the demo and the end-to-end tests.

use crate::support;

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use kafka_eventbridge_lambda::{Config, KafkaEvent, PUT_EVENTS_LIMITS, Pipeline};
use serde_json::Value;
use support::events::{reported, sample_event_files};
use support::fakes::{FakeBus, Id};

fn sample_events() -> Vec<std::path::PathBuf> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    sample_event_files().iter().map(|f| root.join(f)).collect()
}

fn record_ids(event: &Value) -> HashSet<Id> {
    let records = event["records"].as_object().unwrap();
    records
        .iter()
        .flat_map(|(key, list)| {
            list.as_array()
                .unwrap()
                .iter()
                .map(move |r| (key.clone(), r["offset"].as_i64().unwrap()))
        })
        .collect()
}

#[tokio::test]
async fn every_sample_event_gives_each_record_one_outcome() {
    let files = sample_events();
    assert!(files.len() >= 6, "the sample events are missing: {files:?}");
    let config = Config::from_lookup(|name| match name {
        "AWS_EVENTBRIDGE_CONNECTOR_ID" => Some("samples".into()),
        "AWS_EVENTBRIDGE_EVENTBUS_ARN" => {
            Some("arn:aws:events:us-east-1:123456789012:event-bus/samples".into())
        }
        _ => None,
    })
    .unwrap();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let json: Value = serde_json::from_str(&text).unwrap();
        let ids = record_ids(&json);
        let bus = Arc::new(FakeBus::default());
        let pipeline = Pipeline::builder(&config).bus(Arc::clone(&bus)).build();
        let event: KafkaEvent = serde_json::from_str(&text).unwrap();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        let done = pipeline.run(event, deadline, None).await.unwrap();
        let name = file.display();

        let failed: HashSet<Id> = reported(&done.response).into_iter().collect();
        let state = bus.state.lock().unwrap();
        assert_eq!(done.tally.records, ids.len(), "{name}");
        assert_eq!(
            failed.len(),
            done.tally.failed,
            "{name}: a record reported twice"
        );
        assert!(
            failed.is_subset(&ids),
            "{name}: a reported record is not in the event"
        );
        assert!(
            state.accepted.is_subset(&ids),
            "{name}: an unknown event was sent"
        );
        assert!(
            state.accepted.is_disjoint(&failed),
            "{name}: delivered and reported"
        );
        assert_eq!(state.accepted.len() + failed.len(), ids.len(), "{name}");
        for &(entries, bytes) in &state.calls {
            assert!(
                (1..=PUT_EVENTS_LIMITS.max_entries).contains(&entries),
                "{name}: {entries} entries"
            );
            assert!(bytes <= config.batch_max_bytes(), "{name}: {bytes} bytes");
        }
        if file.ends_with("oversize.json") {
            assert!(
                done.tally.failed > 0,
                "{name}: the oversize record was sent"
            );
        }
    }
}

#[tokio::test]
async fn an_invocations_trace_header_goes_on_every_entry_and_counts_in_its_size() {
    let config = support::config::config::<&str>(&[]);
    let bus = Arc::new(FakeBus::default());
    let pipeline = Pipeline::builder(&config).bus(Arc::clone(&bus)).build();
    let text = std::fs::read_to_string(sample_events()[0].with_file_name("msk.json")).unwrap();
    let event: KafkaEvent = serde_json::from_str(&text).unwrap();
    let trace = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1";
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    let done = pipeline.run(event, deadline, Some(trace)).await.unwrap();
    assert_eq!(done.tally.delivered, 3);
    let sent = bus.state.lock().unwrap().trace_headers.clone();
    assert_eq!(sent, vec![Some(trace.to_owned()); 3]);
    let untraced = {
        let bus = Arc::new(FakeBus::default());
        let pipeline = Pipeline::builder(&config).bus(Arc::clone(&bus)).build();
        let event: KafkaEvent = serde_json::from_str(&text).unwrap();
        let done = pipeline.run(event, deadline, None).await.unwrap();
        assert_eq!(bus.state.lock().unwrap().trace_headers, vec![None; 3]);
        done.bytes_sent
    };
    assert_eq!(
        done.bytes_sent,
        untraced + 3 * trace.len(),
        "the header counts in each size"
    );
}
