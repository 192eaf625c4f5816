//! Stage 3: offload (the S3 claim check).
//!
//! When a bucket is configured, the part of an event that the configured JSONPath selects (by
//! default the whole record value) is uploaded to S3 and replaced in the detail by
//! `"dataref":"arn:<partition>:s3:::<bucket>/<key>"` and `"datarefJsonPath":"<path>"`, appended
//! after the other members. This module is pure: [`Offloader::plan`] finds and cuts out the
//! node in the value's JSON text ([`path::cut`](crate::path::cut)), so the rest of the detail
//! keeps its order and bytes, and names the object with an injected [`ObjectKeys`]. The upload
//! itself is the object store's ([`crate::store`]), before any event is sent; a record whose
//! upload fails is reported, never sent without its payload.

use std::fmt;
use std::sync::{Mutex, PoisonError};

use crate::decode::DecodedRecord;
use crate::map::{DataRef, ValuePart, detail_with};
use crate::path::{self, DefinitePath, Step};
use crate::store::Upload;

/// The S3 claim check: which part of an event goes to S3, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OffloadConfig {
    /// The bucket.
    pub(crate) bucket: String,
    /// The configured path (reported in each event's `datarefJsonPath`), at or under
    /// `$.detail.value`.
    pub(crate) fieldref: DefinitePath,
    /// The S3 endpoint override (path-style addressing when set).
    pub(crate) s3_endpoint_uri: Option<String>,
    /// Offload only entries larger than this; 0 offloads every match.
    pub(crate) threshold_bytes: usize,
    /// Prepended to each object key.
    pub(crate) key_prefix: String,
}

/// Names offloaded objects: the part of the key after the configured prefix.
pub trait ObjectKeys: fmt::Debug + Send + Sync {
    /// The key suffix of the object offloaded from `record`.
    fn key_for(&self, record: &DecodedRecord) -> String;
}

/// A random UUID (v4) per object: the function's keys, unique across redeliveries.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct RandomKeys;

impl ObjectKeys for RandomKeys {
    fn key_for(&self, _record: &DecodedRecord) -> String {
        uuid::Uuid::new_v4().to_string()
    }
}

/// UUIDs (v4 in form) drawn from a seeded generator: keys shaped like `RandomKeys`', the
/// same sequence for the same seed. The dry run names its objects with them.
#[derive(Debug)]
pub struct SeededKeys(Mutex<fastrand::Rng>);

impl SeededKeys {
    /// Keys from `seed`.
    pub fn new(seed: u64) -> Self {
        Self(Mutex::new(fastrand::Rng::with_seed(seed)))
    }
}

impl ObjectKeys for SeededKeys {
    fn key_for(&self, _record: &DecodedRecord) -> String {
        // A poisoned lock still holds a generator in a valid state: it has no invariant to break.
        let mut rng = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let bytes = rng.u128(..).to_le_bytes();
        uuid::Builder::from_random_bytes(bytes)
            .into_uuid()
            .to_string()
    }
}

/// `Content-Type` of an offloaded object or array (also numbers and booleans: their text is
/// JSON).
pub(crate) const CONTENT_TYPE_JSON: &str = "application/json";
/// `Content-Type` of an offloaded string, stored as its raw text without quotes.
pub(crate) const CONTENT_TYPE_TEXT: &str = "text/plain; charset=utf-8";

/// Plans the claim check of records; built once from the configuration.
#[derive(Debug, Clone)]
pub struct Offloader {
    config: OffloadConfig,
    arn_prefix: String,
}

impl Offloader {
    /// An offloader for `config`, on the bus ARN's `partition` (`aws`, `aws-cn`, …).
    pub fn new(config: OffloadConfig, partition: &str) -> Self {
        let arn_prefix = format!("arn:{partition}:s3:::{}/", config.bucket);
        Self { config, arn_prefix }
    }

    /// The bucket.
    pub fn bucket(&self) -> &str {
        &self.config.bucket
    }

    /// Whether an entry of `size` bytes is offloaded at all (when its path matches).
    pub fn applies_to(&self, size: usize) -> bool {
        self.config.threshold_bytes == 0 || size > self.config.threshold_bytes
    }

    /// The detail with the selected part replaced by a reference to `key_suffix`'s object, and
    /// that object; `None` when nothing (or `null`) matches.
    pub fn plan(&self, record: &DecodedRecord, key_suffix: &str) -> Option<(String, Upload)> {
        let value = record.value.as_ref()?;
        let cut = path::cut(value.as_str(), self.config.value_steps())?;
        let (body, content_type) = match serde_json::from_str::<String>(cut.node) {
            Ok(text) if cut.node.starts_with('"') => (text.into_bytes(), CONTENT_TYPE_TEXT),
            _ => (cut.node.as_bytes().to_vec(), CONTENT_TYPE_JSON),
        };
        let key = format!("{}{key_suffix}", self.config.key_prefix);
        let arn = format!("{}{key}", self.arn_prefix);
        let value_part = match &cut.remaining {
            None => ValuePart::Omitted,
            Some(rest) => ValuePart::Remaining(rest),
        };
        let data_ref = DataRef {
            arn: &arn,
            json_path: self.config.fieldref.as_str(),
        };
        let detail = detail_with(record, value_part, Some(data_ref));
        Some((
            detail,
            Upload {
                key,
                body,
                content_type,
            },
        ))
    }
}

impl OffloadConfig {
    /// The path's steps inside the record value (after `$.detail.value`).
    pub fn value_steps(&self) -> &[Step] {
        self.fieldref.steps().get(2..).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::{PayloadDecoder, PayloadFormat, TimestampType};

    fn record(value: Option<&str>) -> DecodedRecord {
        DecodedRecord {
            topic: "topic".into(),
            partition: 0,
            offset: 0,
            timestamp: None,
            timestamp_type: TimestampType::NoTimestampType,
            headers: vec![],
            key: Some(PayloadFormat::String.decode(b"1".to_vec()).unwrap()),
            value: value.map(|v| PayloadFormat::Json.decode(v.as_bytes().to_vec()).unwrap()),
        }
    }

    #[test]
    fn seeded_keys_repeat_per_seed_and_look_like_random_ones() {
        let r = record(None);
        let keys = |seed| {
            let k = SeededKeys::new(seed);
            [k.key_for(&r), k.key_for(&r)]
        };
        assert_eq!(keys(7), keys(7));
        assert_ne!(keys(7), keys(8));
        let [a, b] = keys(0);
        assert_ne!(a, b);
        for key in [a, RandomKeys.key_for(&r)] {
            let uuid = uuid::Uuid::parse_str(&key).unwrap();
            assert_eq!(uuid.get_version_num(), 4, "{key}");
            assert_eq!(key.len(), 36);
        }
    }

    fn offloader(fieldref: &str, threshold_bytes: usize, key_prefix: &str) -> Offloader {
        let config = OffloadConfig {
            bucket: "bkt".into(),
            fieldref: DefinitePath::parse(fieldref).unwrap(),
            s3_endpoint_uri: None,
            threshold_bytes,
            key_prefix: key_prefix.into(),
        };
        Offloader::new(config, "aws")
    }

    #[test]
    fn plan_whole_value() {
        let o = offloader("$.detail.value", 0, "");
        let (detail, upload) = o
            .plan(
                &record(Some(
                    r#"{"orderItems":["item-1","item-2"],"orderCreatedTime":"Wed Dec 27"}"#,
                )),
                "uuid-1",
            )
            .unwrap();
        assert_eq!(
            detail,
            r#"{"topic":"topic","partition":0,"offset":0,"timestamp":null,"timestampType":"NoTimestampType","headers":[],"key":"1","dataref":"arn:aws:s3:::bkt/uuid-1","datarefJsonPath":"$.detail.value"}"#
        );
        assert_eq!(upload.key, "uuid-1");
        assert_eq!(
            upload.body,
            br#"{"orderItems":["item-1","item-2"],"orderCreatedTime":"Wed Dec 27"}"#
        );
        assert_eq!(upload.content_type, CONTENT_TYPE_JSON);
    }

    #[test]
    fn plan_nested_string_with_prefix() {
        let o = offloader("$.detail.value.message", 0, "kafka/");
        let (detail, upload) = o
            .plan(&record(Some(r#"{"message":"hello \"you\"","t":1}"#)), "u")
            .unwrap();
        assert!(
            detail.ends_with(r#""key":"1","value":{"t":1},"dataref":"arn:aws:s3:::bkt/kafka/u","datarefJsonPath":"$.detail.value.message"}"#),
            "{detail}"
        );
        assert_eq!(upload.key, "kafka/u");
        assert_eq!(
            upload.body, br#"hello "you""#,
            "strings are stored as raw text"
        );
        assert_eq!(upload.content_type, CONTENT_TYPE_TEXT);
    }

    #[test]
    fn plan_numbers_empty_containers_and_non_matches() {
        let o = offloader("$.detail.value.x", 0, "");
        for (value, body) in [
            (r#"{"x":42.50}"#, "42.50"),
            (r#"{"x":true}"#, "true"),
            (r#"{"x":{}}"#, "{}"),
            (r#"{"x":[]}"#, "[]"),
        ] {
            let planned = o.plan(&record(Some(value)), "u").unwrap();
            assert_eq!(planned.1.body, body.as_bytes(), "{value}");
        }
        assert_eq!(o.plan(&record(Some(r#"{"x":null}"#)), "u"), None);
        assert_eq!(o.plan(&record(Some(r#"{"y":1}"#)), "u"), None);
        assert_eq!(
            o.plan(&record(None), "u"),
            None,
            "tombstones are not offloaded"
        );
        let whole = offloader("$.detail.value", 0, "");
        assert_eq!(whole.plan(&record(None), "u"), None);
        assert_eq!(whole.plan(&record(Some("null")), "u"), None);
    }

    #[test]
    fn threshold() {
        let always = offloader("$.detail.value", 0, "");
        assert!(always.applies_to(0) && always.applies_to(10));
        let large = offloader("$.detail.value", 1000, "");
        assert!(!large.applies_to(999));
        assert!(!large.applies_to(1000));
        assert!(large.applies_to(1001));
    }
}
