//! The defaults and bounds of the settings, each with the AWS rule it follows.

use crate::decode::PayloadFormat;

/// Default `AWS_EVENTBRIDGE_KEY_FORMAT`: the connector's `StringConverter` keys.
pub(crate) const DEFAULT_KEY_FORMAT: PayloadFormat = PayloadFormat::String;
/// Default `AWS_EVENTBRIDGE_VALUE_FORMAT`: the connector's schemaless `JsonConverter` values.
pub(crate) const DEFAULT_VALUE_FORMAT: PayloadFormat = PayloadFormat::Json;

/// The default offloaded part: the whole record value (the connector's default).
pub(crate) const DEFAULT_OFFLOAD_FIELDREF: &str = "$.detail.value";
/// Longest accepted key prefix: S3 keys are at most 1,024 bytes and a UUID takes 36 of them
/// (<https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-keys.html>).
pub(crate) const MAX_OFFLOAD_KEY_PREFIX_BYTES: usize = 1024 - 36;

/// The detail-type rule used when `AWS_EVENTBRIDGE_DETAIL_TYPES` is unset (the connector's).
pub(crate) const DEFAULT_DETAIL_TYPES: &str = "kafka-connect-${topic}";
/// Largest accepted `AWS_EVENTBRIDGE_BATCH_MAX_BYTES` and offload threshold: the largest call
/// a supported bus accepts (PutEvents: 1 MiB; each bus caps it further to its own limit,
/// [`EventBus::limits`](crate::EventBus::limits)).
pub(crate) const MAX_BATCH_MAX_BYTES: usize = 1_048_576;
/// Default `AWS_EVENTBRIDGE_BATCH_MAX_BYTES`: AWS documents the PutEvents limit as "less than
/// 1 MB" per request ("Amazon EventBridge quotas",
/// <https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-quota.html>), and the connector
/// caps a call at 1,048,575 bytes; a call refused as too large anyway is split in two.
pub(crate) const DEFAULT_BATCH_MAX_BYTES: usize = 1_048_575;
/// An S3 bucket name is 3 to 63 characters
/// (<https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html>).
pub(crate) const BUCKET_NAME_CHARS: (usize, usize) = (3, 63);
/// An STS `ExternalId` is 2 to 1,224 characters
/// (<https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html>).
pub(crate) const EXTERNAL_ID_CHARS: (usize, usize) = (2, 1224);
/// Default of `AWS_EVENTBRIDGE_MAX_INFLIGHT_REQUESTS`.
pub(crate) const DEFAULT_MAX_INFLIGHT: usize = 8;
/// Largest accepted `AWS_EVENTBRIDGE_MAX_INFLIGHT_REQUESTS`.
pub(crate) const MAX_MAX_INFLIGHT: usize = 100;
/// Default of `AWS_EVENTBRIDGE_RETRIES_MAX` (the connector's).
pub(crate) const DEFAULT_RETRIES_MAX: u32 = 2;
/// Largest accepted `AWS_EVENTBRIDGE_RETRIES_MAX` (the connector's rule).
pub(crate) const MAX_RETRIES_MAX: u32 = 10;
/// Default of `AWS_EVENTBRIDGE_RETRIES_DELAY` in milliseconds (the connector's).
pub(crate) const DEFAULT_RETRIES_DELAY_MS: u64 = 200;
/// Largest accepted `AWS_EVENTBRIDGE_RETRIES_DELAY` in milliseconds.
pub(crate) const MAX_RETRIES_DELAY_MS: u64 = 60_000;
/// Default of `AWS_EVENTBRIDGE_CALL_TIMEOUT_MS`: the connector waits 5 s per call as well.
pub(crate) const DEFAULT_CALL_TIMEOUT_MS: u64 = 5_000;
/// Accepted range of `AWS_EVENTBRIDGE_CALL_TIMEOUT_MS`.
pub(crate) const CALL_TIMEOUT_RANGE_MS: (u64, u64) = (50, 60_000);
