//! Plug-in mappers through the builder: a detail-type and a time mapper of the library's user
//! replace the configured rules, and a plug-in's bad detail-type fails its record alone.

use crate::support;

use std::sync::Arc;

use kafka_eventbridge_lambda::{
    DecodedRecord, DetailTypeMapper, DetailTypeRule, Failure, MapError, Pipeline, TimeMapper,
};
use serde_json::json;
use support::config::config;
use support::events::{b64, kafka_event};
use support::fakes::FakeBus;

/// The detail-type is the `type` header, repeated `times` times; the configured rule without it.
#[derive(Debug)]
struct FromHeader {
    times: usize,
    fallback: DetailTypeRule,
}

impl DetailTypeMapper for FromHeader {
    fn detail_type(&self, record: &DecodedRecord) -> String {
        match record.headers.iter().find(|(name, _)| name == "type") {
            Some((_, value)) => String::from_utf8_lossy(value).repeat(self.times),
            None => self.fallback.detail_type(record),
        }
    }
}

/// The time is the offset, in seconds after the epoch.
#[derive(Debug)]
struct OffsetSeconds;

impl TimeMapper for OffsetSeconds {
    fn time_ms(&self, record: &DecodedRecord) -> Option<i64> {
        Some(record.offset * 1000)
    }
}

fn record(offset: i64, kind: Option<&str>) -> serde_json::Value {
    let headers = match kind {
        Some(kind) => json!([{"type": kind.bytes().collect::<Vec<u8>>()}]),
        None => json!([]),
    };
    json!({"topic": "orders", "partition": 0, "offset": offset, "timestamp": 1,
           "timestampType": "CREATE_TIME", "key": null, "value": b64("{}"), "headers": headers})
}

#[test]
fn plug_ins_replace_the_configured_rules() {
    let config = config(&[("AWS_EVENTBRIDGE_DETAIL_TYPES", "kafka.${topic}")]);
    let pipeline = Pipeline::builder(&config)
        .detail_type(FromHeader {
            times: 1,
            fallback: config.detail_type_rule().clone(),
        })
        .time(OffsetSeconds)
        .bus(Arc::new(FakeBus::default()))
        .build();
    let event = kafka_event([record(7, Some("created")), record(8, None)]);
    let prepared = pipeline.prepare(event).unwrap();
    let calls: Vec<_> = prepared.calls().collect();
    assert_eq!(calls.len(), 1);
    let entries: Vec<_> = calls[0]
        .iter()
        .map(|e| (e.detail_type.as_str(), e.time_ms, &*e.source))
        .collect();
    assert_eq!(
        entries,
        [
            ("created", Some(7000), "kafka-connect.test"),
            ("kafka.orders", Some(8000), "kafka-connect.test"),
        ]
    );
    assert_eq!(prepared.failures().count(), 0);
}

#[tokio::test]
async fn a_bad_detail_type_fails_its_record_only() {
    let config = config::<&str>(&[]);
    let bus = Arc::new(FakeBus::default());
    let pipeline = Pipeline::builder(&config)
        .detail_type(FromHeader {
            times: 50,
            fallback: config.detail_type_rule().clone(),
        })
        .bus(Arc::clone(&bus))
        .build();
    // "" (empty), "ab" x 50 (100 characters: accepted), "abc" x 50 (150: too long), none.
    let event = kafka_event([
        record(0, Some("")),
        record(1, Some("ab")),
        record(2, Some("abc")),
        record(3, None),
    ]);
    let prepared = pipeline.prepare(event).unwrap();
    let failed: Vec<_> = prepared
        .failures()
        .map(|(info, failure)| {
            let Failure::Map(MapError::DetailType { chars }) = failure else {
                panic!(
                    "record {} failed for another reason: {failure}",
                    info.id.offset
                );
            };
            (info.id.offset, *chars)
        })
        .collect();
    assert_eq!(failed, [(0, 0), (2, 150)]);
    let done = pipeline
        .deliver(
            prepared,
            tokio::time::Instant::now() + std::time::Duration::from_secs(5),
        )
        .await;
    let reported = support::events::reported(&done.response);
    assert_eq!(reported, [("orders-0".into(), 0), ("orders-0".into(), 2)]);
    let accepted = &bus.state.lock().unwrap().accepted;
    assert_eq!(accepted.len(), 2, "{accepted:?}");
}
