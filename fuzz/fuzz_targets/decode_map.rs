//! Fuzzes event decoding and mapping: arbitrary bytes as the event a Kafka event source mapping
//! sends, through every key/value format (the registry decoders too, so that schema-id headers
//! and the schema ids a batch needs are read from arbitrary records), detail-type rule and the
//! claim-check split. Nothing may panic, and every detail and every cut value must be valid
//! JSON.
#![no_main]

use kafka_eventbridge_lambda::Config;
use kafka_eventbridge_lambda::put_events_entry_size as entry_size;
use std::sync::Arc;

use kafka_eventbridge_lambda::{
    Decoders, KafkaEvent, PayloadFormat, Registries, RegistryDecoder, RegistryFormat, Schemas,
    decode_event,
};
use libfuzzer_sys::fuzz_target;
use serde::de::IgnoredAny;

const FORMATS: [PayloadFormat; 5] = [
    PayloadFormat::String,
    PayloadFormat::Json,
    PayloadFormat::Bytes,
    PayloadFormat::Auto,
    PayloadFormat::ConnectJson,
];

fn config(selector: u8) -> Config {
    let detail_types = ["kafka-connect-${topic}", "a:A,b:B", "static", "${topic}-${topic}"];
    Config::from_lookup(|name| match name {
        "AWS_EVENTBRIDGE_CONNECTOR_ID" => Some("fuzz".into()),
        "AWS_EVENTBRIDGE_EVENTBUS_ARN" => Some("arn:aws:events:us-east-1:123456789012:event-bus/b".into()),
        "AWS_EVENTBRIDGE_DETAIL_TYPES" => Some(detail_types[usize::from(selector % 4)].into()),
        "AWS_EVENTBRIDGE_DETAIL_TYPES_MAPPER" if selector & 0x10 != 0 => Some("jsonpath".into()),
        "AWS_EVENTBRIDGE_DETAIL_TYPES_JSONPATHMAPPER_FIELDREF" => Some("$.type".into()),
        "AWS_EVENTBRIDGE_TIME_MAPPER" if selector & 0x20 != 0 => Some("record-timestamp".into()),
        "AWS_EVENTBRIDGE_OFFLOADING_DEFAULT_S3_BUCKET" => Some("bucket".into()),
        "AWS_EVENTBRIDGE_OFFLOADING_DEFAULT_FIELDREF" if selector & 0x40 != 0 => Some("$.detail.value.a[0]".into()),
        _ => None,
    })
    .expect("a valid configuration")
}

/// Validation into `IgnoredAny` is iterative in serde_json and has no recursion limit, so any
/// depth the decoder accepts validates here.
fn valid_json(text: &str) -> bool {
    serde_json::from_str::<IgnoredAny>(text).is_ok()
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, event)) = data.split_first() else { return };
    let Ok(event) = serde_json::from_slice::<KafkaEvent>(event) else { return };
    let config = config(selector);
    let mut decoders = Decoders::new(
        FORMATS[usize::from(selector >> 2) % FORMATS.len()],
        FORMATS[usize::from(selector) % FORMATS.len()],
    );
    if selector & 0x80 != 0 {
        // A registry decoder for values: JSON Schema (no registry needed), or any kind over an
        // empty cache (every schema unavailable), reading schema-id headers and framing.
        decoders.value = Box::new(if selector & 1 == 0 {
            RegistryDecoder::new(RegistryFormat::JsonSchema, None)
        } else {
            let schemas = Arc::new(Schemas::new(Registries::new()));
            decoders.schemas = Some(Arc::clone(&schemas));
            RegistryDecoder::new(RegistryFormat::Any, Some(schemas))
        });
        let _ = decoders.schema_ids(&event);
    }
    let mapper = config.mapper();
    let offloader = config.offloader().expect("offloading is configured");
    let Ok(records) = decode_event(event, &decoders) else { return };
    for record in records {
        let Ok(record) = record.result else { continue };
        let Ok(entry) = mapper.map(&record) else { continue };
        assert!(valid_json(&entry.detail), "the detail is not JSON");
        assert!(entry_size(&entry) >= entry.detail.len());
        if let Some((detail, upload)) = offloader.plan(&record, "key") {
            assert!(valid_json(&detail), "the offloaded detail is not JSON");
            assert!(!upload.body.is_empty() || upload.content_type.starts_with("text/"));
        }
    }
});
