//! The names of the function's environment variables: every `AWS_EVENTBRIDGE_*` name (the
//! connector's property, upper-cased, dots as underscores). A leaf: a reason that tells the user
//! which variable to set names it from here. What each one accepts, its default and its template
//! parameter are in the configuration reference, `config/reference.rs`.

/// `aws.eventbridge.connector.id`: the suffix of every event's `Source`.
pub(crate) const CONNECTOR_ID: &str = "AWS_EVENTBRIDGE_CONNECTOR_ID";
/// `aws.eventbridge.eventbus.arn`: the bus every event is put on.
pub(crate) const EVENTBUS_ARN: &str = "AWS_EVENTBRIDGE_EVENTBUS_ARN";
/// `aws.eventbridge.region`: the region of the EventBridge client.
pub(crate) const REGION: &str = "AWS_EVENTBRIDGE_REGION";
/// `aws.eventbridge.endpoint.uri`: an EventBridge endpoint override.
pub(crate) const ENDPOINT_URI: &str = "AWS_EVENTBRIDGE_ENDPOINT_URI";
/// `aws.eventbridge.eventbus.global.endpoint.id`: the global endpoint sent as `EndpointId`.
pub(crate) const GLOBAL_ENDPOINT_ID: &str = "AWS_EVENTBRIDGE_EVENTBUS_GLOBAL_ENDPOINT_ID";
/// `aws.eventbridge.eventbus.resources`: the `Resources` of every event.
pub(crate) const RESOURCES: &str = "AWS_EVENTBRIDGE_EVENTBUS_RESOURCES";
/// `aws.eventbridge.detail.types`: the detail-type rule.
pub(crate) const DETAIL_TYPES: &str = "AWS_EVENTBRIDGE_DETAIL_TYPES";
/// `aws.eventbridge.detail.types.mapper.class`, as a name: `default`, `jsonpath`, `header` or
/// `cloudevents`.
pub(crate) const DETAIL_TYPES_MAPPER: &str = "AWS_EVENTBRIDGE_DETAIL_TYPES_MAPPER";
/// `aws.eventbridge.detail.types.jsonpathmapper.fieldref`: the JSONPath of the jsonpath mapper.
pub(crate) const DETAIL_TYPES_FIELDREF: &str =
    "AWS_EVENTBRIDGE_DETAIL_TYPES_JSONPATHMAPPER_FIELDREF";
/// With `AWS_EVENTBRIDGE_DETAIL_TYPES_MAPPER=header`: the record header whose text is the
/// detail-type.
pub(crate) const DETAIL_TYPES_HEADER: &str = "AWS_EVENTBRIDGE_DETAIL_TYPES_HEADER";
/// The EventBridge event patterns a record's event must match to be put (one pattern, or an
/// array of them); unset puts every record.
pub(crate) const FILTER_PATTERNS: &str = "AWS_EVENTBRIDGE_FILTER_PATTERNS";
/// `aws.eventbridge.time.mapper.class`, as a name: `none`, `record-timestamp`, `header`,
/// `jsonpath` or `cloudevents`.
pub(crate) const TIME_MAPPER: &str = "AWS_EVENTBRIDGE_TIME_MAPPER";
/// With `AWS_EVENTBRIDGE_TIME_MAPPER=header`: the record header whose text is the time.
pub(crate) const TIME_HEADER: &str = "AWS_EVENTBRIDGE_TIME_HEADER";
/// With `AWS_EVENTBRIDGE_TIME_MAPPER=jsonpath`: the JSONPath of the time in the record value.
pub(crate) const TIME_FIELDREF: &str = "AWS_EVENTBRIDGE_TIME_JSONPATHMAPPER_FIELDREF";
/// The converter of record keys: `string`, `json`, `bytes`, `auto`, `avro`, `json-schema` or
/// `registry`.
pub(crate) const KEY_FORMAT: &str = "AWS_EVENTBRIDGE_KEY_FORMAT";
/// The converter of record values: `string`, `json`, `bytes`, `auto`, `avro`, `json-schema` or
/// `registry`.
pub(crate) const VALUE_FORMAT: &str = "AWS_EVENTBRIDGE_VALUE_FORMAT";
/// A Confluent-compatible schema registry, for Confluent-framed `avro`, `protobuf` and
/// `registry` data and for records of an event source mapping with `EventRecordFormat: SOURCE`
/// whose schema id is a Confluent one.
pub(crate) const SCHEMA_REGISTRY_URL: &str = "AWS_EVENTBRIDGE_SCHEMA_REGISTRY_URL";
/// `user:password` for the schema registry's HTTP basic auth (Confluent's
/// `basic.auth.user.info`).
pub(crate) const SCHEMA_REGISTRY_USER_INFO: &str = "AWS_EVENTBRIDGE_SCHEMA_REGISTRY_USER_INFO";
/// A Secrets Manager secret (ARN or name) with the schema registry's basic auth: JSON
/// `{"username": …, "password": …}` (the event source mapping's `BASIC_AUTH` secret) or
/// `user:password` text; read once at cold start.
pub(crate) const SCHEMA_REGISTRY_SECRET_ARN: &str = "AWS_EVENTBRIDGE_SCHEMA_REGISTRY_SECRET_ARN";
/// The region of the AWS Glue Schema Registry; default: the function's own (`AWS_REGION`).
pub(crate) const SCHEMA_REGISTRY_GLUE_REGION: &str = "AWS_EVENTBRIDGE_SCHEMA_REGISTRY_GLUE_REGION";
/// How records with the event source mapping's schema metadata are read: `auto`, `json` or
/// `source`.
pub(crate) const ESM_RECORD_FORMAT: &str = "AWS_EVENTBRIDGE_ESM_RECORD_FORMAT";
/// The byte cap of one PutEvents call.
pub(crate) const BATCH_MAX_BYTES: &str = "AWS_EVENTBRIDGE_BATCH_MAX_BYTES";
/// The entry cap of one PutEvents call (at most the bus's own limit).
pub(crate) const BATCH_MAX_ENTRIES: &str = "AWS_EVENTBRIDGE_BATCH_MAX_ENTRIES";
/// Custom Event Bus only: the `EventGroupId` of each event: `partition`, `key` or `none`.
pub(crate) const EVENT_GROUP: &str = "AWS_EVENTBRIDGE_EVENT_GROUP";
/// Custom Event Bus only: how redeliveries are deduplicated: `offset`, `content` or `none`.
pub(crate) const DEDUPLICATION: &str = "AWS_EVENTBRIDGE_DEDUPLICATION";
/// How many PutEvents calls may be in flight at once.
pub(crate) const MAX_INFLIGHT: &str = "AWS_EVENTBRIDGE_MAX_INFLIGHT_REQUESTS";
/// Whether throttling lowers the calls in flight (and calls without it raise them back).
pub(crate) const ADAPTIVE_CONCURRENCY: &str = "AWS_EVENTBRIDGE_ADAPTIVE_CONCURRENCY";
/// `aws.eventbridge.retries.max`: retries per entry.
pub(crate) const RETRIES_MAX: &str = "AWS_EVENTBRIDGE_RETRIES_MAX";
/// `aws.eventbridge.retries.delay`: the first backoff, in milliseconds.
pub(crate) const RETRIES_DELAY: &str = "AWS_EVENTBRIDGE_RETRIES_DELAY";
/// How long one PutEvents or PutObject call may take, in milliseconds.
pub(crate) const CALL_TIMEOUT_MS: &str = "AWS_EVENTBRIDGE_CALL_TIMEOUT_MS";
/// What an undelivered record does to the invocation: `partial` or `fail-invocation`.
pub(crate) const BATCH_FAILURE_MODE: &str = "AWS_EVENTBRIDGE_BATCH_FAILURE_MODE";

/// Operator metrics: `emf` (an Embedded Metric Format document per invocation, the default) or
/// `off`.
pub(crate) const METRICS: &str = "AWS_EVENTBRIDGE_METRICS";
/// The CloudWatch namespace of the metrics.
pub(crate) const METRICS_NAMESPACE: &str = "AWS_EVENTBRIDGE_METRICS_NAMESPACE";
/// `true` adds a document per topic, with the dimension `Topic`.
pub(crate) const METRICS_TOPIC_DIMENSION: &str = "AWS_EVENTBRIDGE_METRICS_TOPIC_DIMENSION";

/// `aws.eventbridge.offloading.default.s3.bucket`: enables the S3 claim check.
pub(crate) const OFFLOAD_BUCKET: &str = "AWS_EVENTBRIDGE_OFFLOADING_DEFAULT_S3_BUCKET";
/// `aws.eventbridge.offloading.default.fieldref`: the part of the event to offload.
pub(crate) const OFFLOAD_FIELDREF: &str = "AWS_EVENTBRIDGE_OFFLOADING_DEFAULT_FIELDREF";
/// `aws.eventbridge.offloading.default.s3.endpoint.uri`: an S3 endpoint override.
pub(crate) const OFFLOAD_S3_ENDPOINT_URI: &str =
    "AWS_EVENTBRIDGE_OFFLOADING_DEFAULT_S3_ENDPOINT_URI";
/// Offload only events whose entry size exceeds this many bytes (0: every matching event).
pub(crate) const OFFLOAD_THRESHOLD: &str = "AWS_EVENTBRIDGE_OFFLOADING_DEFAULT_THRESHOLD_BYTES";
/// A prefix for the keys of offloaded objects.
pub(crate) const OFFLOAD_KEY_PREFIX: &str = "AWS_EVENTBRIDGE_OFFLOADING_DEFAULT_S3_KEY_PREFIX";

/// `aws.eventbridge.iam.role.arn`: a role to assume for EventBridge and S3.
pub(crate) const IAM_ROLE_ARN: &str = "AWS_EVENTBRIDGE_IAM_ROLE_ARN";
/// `aws.eventbridge.iam.external.id`: the `ExternalId` sent when assuming the role.
pub(crate) const IAM_EXTERNAL_ID: &str = "AWS_EVENTBRIDGE_IAM_EXTERNAL_ID";
/// `aws.eventbridge.iam.profile.name`: a named profile of the shared AWS config files.
pub(crate) const IAM_PROFILE_NAME: &str = "AWS_EVENTBRIDGE_IAM_PROFILE_NAME";
/// Standard variables that would override a profile, so they exclude `IAM_PROFILE_NAME` (the
/// connector's rule).
pub(crate) const PROFILE_CONFLICTS: [&str; 4] = [
    "AWS_PROFILE",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
];

/// The prefix of the function's own variables.
pub(crate) const VAR_PREFIX: &str = "AWS_EVENTBRIDGE_";
