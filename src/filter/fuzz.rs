//! The check of the `filter` fuzz target (`fuzz/fuzz_targets/filter.rs`), shared with the unit
//! test that replays its kept inputs (`fuzz/regressions/filter/`). Built for the fuzzer with the
//! `fuzzing` feature, and for the tests.

// Public for the fuzz crate (feature `fuzzing`); without it only the tests use it.
#![cfg_attr(not(feature = "fuzzing"), allow(unreachable_pub))]

use std::sync::Arc;

use serde_json::Value;

use super::Filter;
use super::pattern::Node;
use crate::decode::{DecodedRecord, PayloadDecoder, PayloadFormat, TimestampType};
use crate::map::EventEntry;

/// The filter: the bytes up to the first newline are the patterns, the rest an event. No panic
/// whatever they are; patterns that compile judge the event, as the function's filter (the
/// rest as a record's value and header) and as a bare pattern tree (the rest as any JSON
/// document), and judge it the same way twice. The rest also goes through the mappers that
/// read the record ([`from_record`]).
pub fn fuzz_filter(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let (patterns, event) = text.split_once('\n').unwrap_or((&text, "{}"));
    from_record(event);
    let parsed = serde_json::from_str::<Value>(event);
    if let (Ok(filter), Ok(value)) = (Filter::parse(patterns), &parsed) {
        let record = DecodedRecord {
            topic: "fuzz".into(),
            partition: 0,
            offset: 0,
            timestamp: None,
            timestamp_type: TimestampType::NoTimestampType,
            headers: vec![("h".to_owned(), event.as_bytes().to_vec())],
            key: None,
            value: PayloadFormat::Json
                .decode(value.to_string().into_bytes())
                .ok(),
        };
        let entry = EventEntry {
            source: Arc::from("kafka-connect.fuzz"),
            detail_type: "fuzz".to_owned(),
            detail: String::new(),
            resources: Arc::from(Vec::new()),
            time_ms: None,
            trace_header: None,
            event_group_id: None,
            deduplication_id: None,
        };
        assert_eq!(filter.keeps(&record, &entry), filter.keeps(&record, &entry));
    }
    let (Ok(Value::Object(pattern)), Ok(event)) = (serde_json::from_str::<Value>(patterns), parsed)
    else {
        return;
    };
    if let Ok(node) = Node::compile(&pattern, "") {
        assert_eq!(node.matches(Some(&event)), node.matches(Some(&event)));
    }
}

/// The mappers that read the record, on `text` as CloudEvents' binary headers, as a structured
/// CloudEvent's value, and as a time header: no panic, and a detail-type EventBridge takes or
/// the error that names the limit.
fn from_record(text: &str) {
    use crate::map::{DetailTypeRule, Mapper, TimeRule};
    let topic = || Box::new(DetailTypeRule::Template("t".to_owned()));
    let mappers = [
        Mapper::new(
            "s",
            &[],
            DetailTypeRule::CloudEvents { fallback: topic() },
            TimeRule::CloudEvents,
        ),
        Mapper::new(
            "s",
            &[],
            DetailTypeRule::Header {
                name: "ce_type".to_owned(),
                fallback: topic(),
            },
            TimeRule::Header("ce_time".to_owned()),
        ),
    ];
    let value = PayloadFormat::Json.decode(text.as_bytes().to_vec()).ok();
    for content_type in ["application/cloudevents+json", "text/plain"] {
        let header = |name: &str, value: &str| (name.to_owned(), value.as_bytes().to_vec());
        let record = DecodedRecord {
            topic: "fuzz".into(),
            partition: 0,
            offset: 0,
            timestamp: None,
            timestamp_type: TimestampType::NoTimestampType,
            headers: vec![
                header("content-type", content_type),
                header("ce_type", text),
                header("ce_time", text),
            ],
            key: None,
            value: value.clone(),
        };
        for mapper in &mappers {
            if let Ok(entry) = mapper.map(&record) {
                assert!((1..=128).contains(&entry.detail_type.chars().count()));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    /// Every kept corpus file and crash of the target, replayed.
    #[test]
    fn kept_fuzz_inputs_replay_cleanly() {
        crate::fuzz_replay::replay("filter", super::fuzz_filter);
    }
}
