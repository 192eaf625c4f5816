//! Stage 3: offload (the S3 claim check).
//!
//! When a bucket is configured, the part of an event that the configured JSONPath selects (by
//! default the whole record value) is uploaded to S3 and replaced in the detail by
//! `"dataref":"arn:<partition>:s3:::<bucket>/<key>"` and `"datarefJsonPath":"<path>"`, appended
//! after the other members. The pure part ([`split`], [`Offloader::plan`]) finds and cuts out the
//! node in the value's JSON text, so the rest of the detail keeps its order and bytes; the I/O
//! part ([`upload_all`]) puts the objects through a [`BlobStore`], with the same retry budget,
//! concurrency bound and deadline as the PutEvents calls. An event is only sent once its object
//! exists; a record whose upload fails is reported, never sent without its payload.

use std::borrow::Cow;
use std::error::Error as StdError;
use std::fmt;
use std::future::Future;
use std::sync::Arc;

use serde::Deserialize;
use serde::de::{Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;
use tokio::sync::Semaphore;
use tokio::time::Instant;

use crate::config::OffloadConfig;
use crate::decode::DecodedRecord;
use crate::map::{DataRef, ValuePart, detail_with};
use crate::path::{Step, resolve_index};
use crate::send::{Chain, NextAttempt, SendPolicy, bounded_call, next_attempt};

/// `Content-Type` of an offloaded object or array (also numbers and booleans: their text is
/// JSON).
pub const CONTENT_TYPE_JSON: &str = "application/json";
/// `Content-Type` of an offloaded string, stored as its raw text without quotes.
pub const CONTENT_TYPE_TEXT: &str = "text/plain; charset=utf-8";

/// The node a path selected, cut out of a value.
#[derive(Debug, PartialEq, Eq)]
pub struct Cut<'a> {
    /// The node's JSON text.
    pub node: &'a str,
    /// The value without the node; `None` when the node is the whole value.
    pub remaining: Option<String>,
}

/// Finds the node that `steps` select in `value` (compact JSON text) and cuts it out. `None`
/// when nothing matches or the match is JSON `null`.
pub fn split<'a>(value: &'a str, steps: &[Step]) -> Option<Cut<'a>> {
    let Some((last, parents)) = steps.split_last() else {
        return (value != "null").then_some(Cut {
            node: value,
            remaining: None,
        });
    };
    let mut node = value;
    for step in parents {
        node = child(node, step)?.value;
    }
    let found = child(node, last)?;
    if found.value == "null" {
        return None;
    }
    let (start, end) = (
        offset_in(value, found.remove.0),
        offset_in(value, found.remove.1),
    );
    let mut remaining = String::with_capacity(value.len() - (end - start));
    remaining.push_str(&value[..start]);
    remaining.push_str(&value[end..]);
    Some(Cut {
        node: found.value,
        remaining: Some(remaining),
    })
}

/// A child of a container: its value text, and the text to remove to delete it (member or
/// element plus one separating comma), as two sub-slices of the container (start, end-marker).
struct Child<'a> {
    value: &'a str,
    remove: (&'a str, &'a str),
}

fn child<'a>(container: &'a str, step: &Step) -> Option<Child<'a>> {
    let items: Vec<&'a RawValue> = match (step, container.as_bytes().first()) {
        (Step::Member(name), Some(b'{')) => {
            let members = serde_json::from_str::<Members<'a>>(container).ok()?.0;
            let index = members.iter().rposition(|(key, _)| key == name)?;
            return Some(span(
                container,
                &members.iter().map(|(_, v)| *v).collect::<Vec<_>>(),
                index,
                true,
            ));
        }
        (Step::Index(_), Some(b'[')) => serde_json::from_str(container).ok()?,
        _ => return None,
    };
    let Step::Index(i) = step else { return None };
    let index = resolve_index(*i, items.len())?;
    Some(span(container, &items, index, false))
}

/// The removal span of item `index` in compact container text: from the start of the item (its
/// key for a member) to the start of the next item, or, for the last item, from the end of the
/// previous one.
fn span<'a>(container: &'a str, items: &[&'a RawValue], index: usize, member: bool) -> Child<'a> {
    let value = items[index].get();
    let value_start = offset_in(container, value);
    let value_end = value_start + value.len();
    let item_start = if index == 0 {
        1
    } else if member {
        offset_in(container, items[index - 1].get()) + items[index - 1].get().len() + 1
    } else {
        value_start
    };
    let (start, end) = if index + 1 < items.len() {
        (item_start, value_end + 1)
    } else if index > 0 {
        (
            offset_in(container, items[index - 1].get()) + items[index - 1].get().len(),
            value_end,
        )
    } else {
        (item_start, value_end)
    };
    Child {
        value,
        remove: (&container[start..], &container[end..]),
    }
}

/// The byte offset of `inner` (a sub-slice) in `outer`.
fn offset_in(outer: &str, inner: &str) -> usize {
    inner.as_ptr() as usize - outer.as_ptr() as usize
}

/// An object's members in order, values borrowed as raw JSON.
struct Members<'a>(Vec<(Cow<'a, str>, &'a RawValue)>);

impl<'de> Deserialize<'de> for Members<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct MembersVisitor;
        impl<'de> Visitor<'de> for MembersVisitor {
            type Value = Members<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Members<'de>, A::Error> {
                let mut members = Vec::new();
                while let Some(key) = map.next_key::<Key<'de>>()? {
                    members.push((key.0, map.next_value::<&'de RawValue>()?));
                }
                Ok(Members(members))
            }
        }
        deserializer.deserialize_map(MembersVisitor)
    }
}

#[derive(Deserialize)]
struct Key<'a>(#[serde(borrow)] Cow<'a, str>);

/// One object to upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upload {
    /// The object key.
    pub key: String,
    /// The object body.
    pub body: Vec<u8>,
    /// Its `Content-Type`.
    pub content_type: &'static str,
}

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
        let cut = split(value.as_str(), self.config.value_steps())?;
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

/// The seam between the pipeline and an object store (S3 today).
pub trait BlobStore: Send + Sync {
    /// What a failed upload returns.
    type Error: StdError + Send + Sync + 'static;

    /// Stores one object.
    fn put(&self, upload: &Upload) -> impl Future<Output = Result<(), Self::Error>> + Send;

    /// Whether a failed upload may succeed when tried again.
    fn is_retryable(&self, error: &Self::Error) -> bool;
}

/// Why an object could not be stored.
#[derive(Debug, Clone)]
pub enum UploadFailure {
    /// A final error.
    Failed(Arc<dyn StdError + Send + Sync>),
    /// Every allowed attempt failed.
    Exhausted {
        /// Attempts made.
        attempts: u32,
        /// The last error.
        last: Arc<dyn StdError + Send + Sync>,
    },
    /// No time was left before the deadline for a (further) attempt.
    Deadline {
        /// Attempts made.
        attempts: u32,
    },
    /// The upload did not answer in time.
    Timeout,
}

impl fmt::Display for UploadFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Failed(e) => write!(f, "S3 upload failed: {}", Chain(e.as_ref())),
            Self::Exhausted { attempts, last } => write!(
                f,
                "S3 upload gave up after {attempts} attempts; last: {}",
                Chain(last.as_ref())
            ),
            Self::Deadline { attempts } => write!(
                f,
                "S3 upload not completed after {attempts} attempts: no time left before the invocation deadline"
            ),
            Self::Timeout => f.write_str("S3 upload timed out"),
        }
    }
}

/// Uploads every object, at most `policy.max_inflight` at once, retrying retryable failures
/// within the retry budget and the deadline. Returns one result per upload, in order.
pub async fn upload_all<S: BlobStore>(
    store: &S,
    uploads: &[Upload],
    policy: &SendPolicy,
    deadline: Instant,
) -> Vec<Result<(), UploadFailure>> {
    let permits = Semaphore::new(policy.max_inflight.max(1));
    let runs = uploads
        .iter()
        .map(|u| upload_one(store, u, policy, deadline, &permits));
    futures_util::future::join_all(runs).await
}

async fn upload_one<S: BlobStore>(
    store: &S,
    upload: &Upload,
    policy: &SendPolicy,
    deadline: Instant,
    permits: &Semaphore,
) -> Result<(), UploadFailure> {
    let mut attempts = 0;
    loop {
        let Some(result) = bounded_call(permits, policy, deadline, store.put(upload)).await else {
            return Err(UploadFailure::Deadline { attempts });
        };
        attempts += 1;
        let last: Arc<dyn StdError + Send + Sync> = match result {
            Ok(Ok(())) => return Ok(()),
            Ok(Err(e)) if !store.is_retryable(&e) => {
                return Err(UploadFailure::Failed(Arc::new(e)));
            }
            Ok(Err(e)) => Arc::new(e),
            Err(_timeout) => Arc::new(UploadTimedOut),
        };
        match next_attempt(attempts, policy, deadline) {
            NextAttempt::After(delay) => {
                tracing::debug!(key = %upload.key, attempt = attempts, reason = %last, "Retrying S3 upload.");
                tokio::time::sleep(delay).await;
            }
            NextAttempt::Exhausted => return Err(UploadFailure::Exhausted { attempts, last }),
            NextAttempt::NoTime => return Err(UploadFailure::Deadline { attempts }),
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[error("no answer within the call timeout")]
struct UploadTimedOut;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::{PayloadDecoder, PayloadFormat, TimestampType};
    use crate::path::DefinitePath;

    fn steps(path: &str) -> Vec<Step> {
        DefinitePath::parse(path).unwrap().steps().to_vec()
    }

    fn cut(value: &str, path: &str) -> Option<(String, Option<String>)> {
        split(value, &steps(path)).map(|c| (c.node.to_owned(), c.remaining))
    }

    #[test]
    fn whole_value() {
        assert_eq!(cut(r#"{"a":1}"#, "$"), Some((r#"{"a":1}"#.into(), None)));
        assert_eq!(cut("{}", "$"), Some(("{}".into(), None)));
        assert_eq!(cut("[]", "$"), Some(("[]".into(), None)));
        assert_eq!(cut(r#""text""#, "$"), Some((r#""text""#.into(), None)));
        assert_eq!(cut("null", "$"), None);
    }

    #[test]
    fn members_and_elements() {
        let v = r#"{"message":"hello","t":1,"items":["a","b","c"],"o":{"x":null,"y":[]}}"#;
        assert_eq!(
            cut(v, "$.message"),
            Some((
                r#""hello""#.into(),
                Some(r#"{"t":1,"items":["a","b","c"],"o":{"x":null,"y":[]}}"#.into())
            ))
        );
        assert_eq!(
            cut(v, "$.t"),
            Some((
                "1".into(),
                Some(r#"{"message":"hello","items":["a","b","c"],"o":{"x":null,"y":[]}}"#.into())
            ))
        );
        assert_eq!(
            cut(v, "$.o"),
            Some((
                r#"{"x":null,"y":[]}"#.into(),
                Some(r#"{"message":"hello","t":1,"items":["a","b","c"]}"#.into())
            ))
        );
        assert_eq!(
            cut(v, "$.o.y"),
            Some((
                "[]".into(),
                Some(r#"{"message":"hello","t":1,"items":["a","b","c"],"o":{"x":null}}"#.into())
            ))
        );
        assert_eq!(
            cut(v, "$.items[1]"),
            Some((
                r#""b""#.into(),
                Some(r#"{"message":"hello","t":1,"items":["a","c"],"o":{"x":null,"y":[]}}"#.into())
            ))
        );
        assert_eq!(
            cut(v, "$.items[-1]"),
            Some((
                r#""c""#.into(),
                Some(r#"{"message":"hello","t":1,"items":["a","b"],"o":{"x":null,"y":[]}}"#.into())
            ))
        );
        assert_eq!(
            cut(r#"{"only":[1]}"#, "$.only[0]"),
            Some(("1".into(), Some(r#"{"only":[]}"#.into())))
        );
        assert_eq!(
            cut(r#"{"only":{}}"#, "$.only"),
            Some(("{}".into(), Some("{}".into())))
        );
    }

    #[test]
    fn no_match() {
        let v = r#"{"a":{"b":1},"n":null,"s":"str"}"#;
        assert_eq!(cut(v, "$.missing"), None);
        assert_eq!(cut(v, "$.n"), None, "a null match is not offloaded");
        assert_eq!(
            cut(v, "$.s.deeper"),
            None,
            "a path into a string does not match"
        );
        assert_eq!(cut(v, "$.a[0]"), None);
        assert_eq!(cut(r#"[1,2]"#, "$[5]"), None);
        assert_eq!(cut(r#""just a string""#, "$.a"), None);
    }

    #[test]
    fn keys_with_escapes_match_their_unescaped_name() {
        assert_eq!(
            cut(r#"{"a\"b":1,"c":2}"#, r#"$['a"b']"#),
            Some(("1".into(), Some(r#"{"c":2}"#.into())))
        );
    }

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
        assert_eq!(
            o.plan(&record(Some(r#"{"x":42.50}"#)), "u").unwrap().1.body,
            b"42.50"
        );
        assert_eq!(
            o.plan(&record(Some(r#"{"x":true}"#)), "u").unwrap().1.body,
            b"true"
        );
        assert_eq!(
            o.plan(&record(Some(r#"{"x":{}}"#)), "u").unwrap().1.body,
            b"{}"
        );
        assert_eq!(
            o.plan(&record(Some(r#"{"x":[]}"#)), "u").unwrap().1.body,
            b"[]"
        );
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
