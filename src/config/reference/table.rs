//! The table of the reference: one entry per variable, in the order of the reference.

use super::super::bus::{DEDUPLICATIONS, EVENT_GROUPS};
use super::super::decode::ESM_RECORD_FORMATS;
use super::super::defaults::*;
use super::super::map::{DETAIL_TYPE_MAPPERS, TIME_MAPPERS};
use super::super::parse::FLAG;
use super::super::send::{FAILURE_MODES, METRICS_MODES};
use super::setting::{Accepts, Parameter, Section, Setting, Unset};
use crate::decode::PayloadFormat;
use crate::metrics::DEFAULT_NAMESPACE;
use crate::vars::*;

/// The names of a parser's table of choices.
const fn names<T: Copy, const N: usize>(table: [(&'static str, T); N]) -> [&'static str; N] {
    let mut out = [""; N];
    let mut i = 0;
    while i < N {
        out[i] = table[i].0;
        i += 1;
    }
    out
}

const FORMAT_NAMES: [&str; PayloadFormat::ALL.len()] = {
    let mut out = [""; PayloadFormat::ALL.len()];
    let mut i = 0;
    while i < out.len() {
        out[i] = PayloadFormat::ALL[i].name();
        i += 1;
    }
    out
};

use Accepts::{Choice, Range, Rule};
use Parameter::{Named, NotInTemplate};
use Unset::{Number, Otherwise, Required, Value};

/// Why the template leaves a variable of the function's credentials to local runs.
const LOCAL_RUNS_ONLY: &str = "for local runs: a deployed function reads the shared config \
                               files of no one, and uses its execution role or `RoleArn`";

/// Every variable the function reads, in the order of the reference.
pub(crate) const SETTINGS: [Setting; 42] = [
    Setting {
        var: CONNECTOR_ID,
        property: Some("aws.eventbridge.connector.id"),
        section: Section::Bus,
        default: Required,
        accepts: Rule("non-blank text"),
        meaning: "Every event's `Source` is `kafka-connect.<id>`.",
        parameter: Named("ConnectorId"),
    },
    Setting {
        var: EVENTBUS_ARN,
        property: Some("aws.eventbridge.eventbus.arn"),
        section: Section::Bus,
        default: Required,
        accepts: Rule(
            "a classic bus, `arn:<partition>:events:<region>:<12 digits>:event-bus/<name>`, or a Custom Event Bus, `…:event-busv2/<name>/<25-character id>`",
        ),
        meaning: "The bus every event is put on: a classic bus is sent as each entry's `EventBusName`, a Custom Event Bus once per request as `EventBusArn` (see [the Custom Event Bus](custom-event-bus.md)).",
        parameter: Named("EventBusArn"),
    },
    Setting {
        var: REGION,
        property: Some("aws.eventbridge.region"),
        section: Section::Bus,
        default: Otherwise("the bus ARN's region"),
        accepts: Rule(
            "a region of a partition the AWS SDK knows: one it lists, or one its pattern matches (`invalid-region-1` stops the start); the bus ARN's, the Glue registry's and a secret ARN's region follow the same rule, and an ARN's partition must be its region's",
        ),
        meaning: "The region of the EventBridge client.",
        parameter: Named("EventBusRegion"),
    },
    Setting {
        var: ENDPOINT_URI,
        property: Some("aws.eventbridge.endpoint.uri"),
        section: Section::Bus,
        default: Otherwise("the SDK's endpoint"),
        accepts: Rule("an `http://` or `https://` URL with a host"),
        meaning: "An EventBridge endpoint, such as a VPC endpoint's.",
        parameter: Named("EventBridgeEndpointUri"),
    },
    Setting {
        var: GLOBAL_ENDPOINT_ID,
        property: Some("aws.eventbridge.eventbus.global.endpoint.id"),
        section: Section::Bus,
        default: Otherwise("none"),
        accepts: Rule("`^[A-Za-z0-9-]+\\.[A-Za-z0-9-]+$` (the connector's rule)"),
        meaning: "An EventBridge global endpoint, sent as `EndpointId` (the request is signed with SigV4a).",
        parameter: Named("GlobalEndpointId"),
    },
    Setting {
        var: RESOURCES,
        property: Some("aws.eventbridge.eventbus.resources"),
        section: Section::Bus,
        default: Otherwise("none"),
        accepts: Rule("a comma-separated list; each item is trimmed and blanks are dropped"),
        meaning: "The `Resources` of every event.",
        parameter: Named("EventResources"),
    },
    Setting {
        var: DETAIL_TYPES,
        property: Some("aws.eventbridge.detail.types"),
        section: Section::Mapping,
        default: Value(DEFAULT_DETAIL_TYPES),
        accepts: Rule(
            "one detail-type with optional `${topic}` placeholders, or `topic1:Type1,topic2:Type2` (unlisted topics get `kafka-connect-<topic>`; `${topic}` is not expanded there)",
        ),
        meaning: "Each event's `DetailType`, from its record's topic.",
        parameter: Named("DetailTypes"),
    },
    Setting {
        var: DETAIL_TYPES_MAPPER,
        property: Some("aws.eventbridge.detail.types.mapper.class"),
        section: Section::Mapping,
        default: Value(DETAIL_TYPE_MAPPERS[0].0),
        accepts: Choice(&names(DETAIL_TYPE_MAPPERS)),
        meaning: "`default` takes the detail-type from `AWS_EVENTBRIDGE_DETAIL_TYPES`; `jsonpath` from a field of each record value (the connector's `JsonPathDetailTypeMapper`); `header` from a record header (`AWS_EVENTBRIDGE_DETAIL_TYPES_HEADER`); `cloudevents` from the CloudEvent's `type` (the `ce_type` header, or the value's `type` with `content-type: application/cloudevents+json`), else the topic's detail-type.",
        parameter: Named("DetailTypesMapper"),
    },
    Setting {
        var: DETAIL_TYPES_FIELDREF,
        property: Some("aws.eventbridge.detail.types.jsonpathmapper.fieldref"),
        section: Section::Mapping,
        default: Otherwise("none; required with `jsonpath`"),
        accepts: Rule("a definite JSONPath into the record value, e.g. `$.meta.event-type`"),
        meaning: "With the `jsonpath` mapper: a non-blank string found there is the detail-type; anything else falls back to the bare topic.",
        parameter: Named("DetailTypesFieldRef"),
    },
    Setting {
        var: DETAIL_TYPES_HEADER,
        property: None,
        section: Section::Mapping,
        default: Otherwise("none; required with `header`, refused without it"),
        accepts: Rule("a record header's name, e.g. `event-type`"),
        meaning: "With the `header` mapper: the UTF-8 text of the record's last header of this name is the detail-type; a record without it, or with a blank or non-UTF-8 one, gets the detail-type `AWS_EVENTBRIDGE_DETAIL_TYPES` gives its topic. A text over 128 characters fails its record alone.",
        parameter: Named("DetailTypesHeader"),
    },
    Setting {
        var: TIME_MAPPER,
        property: Some("aws.eventbridge.time.mapper.class"),
        section: Section::Mapping,
        default: Value(TIME_MAPPERS[0].0),
        accepts: Choice(&names(TIME_MAPPERS)),
        meaning: "`none`: EventBridge stamps the time of the call; `record-timestamp`: each event's `Time` is its record's timestamp; `header`: a record header (`AWS_EVENTBRIDGE_TIME_HEADER`); `jsonpath`: a field of the value (`AWS_EVENTBRIDGE_TIME_JSONPATHMAPPER_FIELDREF`); `cloudevents`: the CloudEvent's `time` (the `ce_time` header, or the value's `time` in structured mode). From a record, an RFC 3339 date-time or a whole number of epoch milliseconds (years 1 to 9999) is the `Time`; anything else leaves it unset and is counted as `RecordsTimeUnset`, not failed.",
        parameter: Named("TimeMapper"),
    },
    Setting {
        var: TIME_HEADER,
        property: None,
        section: Section::Mapping,
        default: Otherwise("none; required with `header`, refused without it"),
        accepts: Rule("a record header's name, e.g. `event-time`"),
        meaning: "With the `header` time mapper: the text of the record's last header of this name is the event's `Time`.",
        parameter: Named("TimeHeader"),
    },
    Setting {
        var: TIME_FIELDREF,
        property: None,
        section: Section::Mapping,
        default: Otherwise("none; required with `jsonpath`, refused without it"),
        accepts: Rule("a definite JSONPath into the record value, e.g. `$.meta.occurred-at`"),
        meaning: "With the `jsonpath` time mapper: the string (RFC 3339, or epoch milliseconds) or number (epoch milliseconds) found there is the event's `Time`.",
        parameter: Named("TimeFieldRef"),
    },
    Setting {
        var: FILTER_PATTERNS,
        property: None,
        section: Section::Filtering,
        default: Otherwise("none: every record is put"),
        accepts: Rule(
            "one EventBridge event pattern (JSON), or an array of 1 to 5; each at most 4,096 characters, its `$or` groups at most 1,000 combinations",
        ),
        meaning: "A record is put when any pattern matches its event as the bus would see it (`source`, `detail-type`, `resources`, `detail` with `topic`, `partition`, `offset`, `timestamp`, `timestampType`, `headers`, `key`, `value`); the others are acknowledged, not sent, and counted as `RecordsFiltered` (see [filtering](filtering.md)).",
        parameter: Named("FunctionFilterPatterns"),
    },
    Setting {
        var: KEY_FORMAT,
        property: Some("key.converter"),
        section: Section::Formats,
        default: Value(DEFAULT_KEY_FORMAT.name()),
        accepts: Choice(&FORMAT_NAMES),
        meaning: "How record keys are read (see [formats and schema registries](formats.md)).",
        parameter: Named("KeyFormat"),
    },
    Setting {
        var: VALUE_FORMAT,
        property: Some("value.converter"),
        section: Section::Formats,
        default: Value(DEFAULT_VALUE_FORMAT.name()),
        accepts: Choice(&FORMAT_NAMES),
        meaning: "How record values are read (see [formats and schema registries](formats.md)).",
        parameter: Named("ValueFormat"),
    },
    Setting {
        var: SCHEMA_REGISTRY_URL,
        property: Some("value.converter.schema.registry.url"),
        section: Section::Formats,
        default: Otherwise("none"),
        accepts: Rule(
            "an `http://` or `https://` URL; `user:password@` in it becomes the basic auth",
        ),
        meaning: "A Confluent-compatible schema registry, for Confluent-framed `avro`, `protobuf` and `registry` data and for records in the event source mapping's `SOURCE` format with a Confluent schema id. The AWS Glue Schema Registry needs no setting.",
        parameter: Named("FunctionSchemaRegistryUrl"),
    },
    Setting {
        var: SCHEMA_REGISTRY_USER_INFO,
        property: Some("value.converter.basic.auth.user.info"),
        section: Section::Formats,
        default: Otherwise("none"),
        accepts: Rule("`user:password`; needs the registry's URL; never logged"),
        meaning: "The registry's HTTP basic auth.",
        parameter: NotInTemplate(
            "a password in a plain environment variable: the template takes the secret (`FunctionSchemaRegistrySecretArn`) instead",
        ),
    },
    Setting {
        var: SCHEMA_REGISTRY_SECRET_ARN,
        property: None,
        section: Section::Formats,
        default: Otherwise("none"),
        accepts: Rule(
            "a Secrets Manager secret ARN or name; the secret is JSON `{\"username\": …, \"password\": …}` (an event source mapping's `BASIC_AUTH` secret) or `user:password` text",
        ),
        meaning: "The registry's basic auth from AWS Secrets Manager, read once at cold start (a secret that cannot be read stops the start, naming this variable); never logged.",
        parameter: Named("FunctionSchemaRegistrySecretArn"),
    },
    Setting {
        var: SCHEMA_REGISTRY_GLUE_REGION,
        property: None,
        section: Section::Formats,
        default: Otherwise("the function's region"),
        accepts: Rule("a region, as for `AWS_EVENTBRIDGE_REGION`"),
        meaning: "The region of the AWS Glue Schema Registry whose schema versions Glue-framed records name.",
        parameter: Named("FunctionGlueRegistryArn"),
    },
    Setting {
        var: ESM_RECORD_FORMAT,
        property: None,
        section: Section::Formats,
        default: Value(ESM_RECORD_FORMATS[0].0),
        accepts: Choice(&names(ESM_RECORD_FORMATS)),
        meaning: "Records with `keySchemaMetadata` / `valueSchemaMetadata` (an event source mapping with a schema registry): `auto` reads JSON when the bytes are JSON, else decodes by the metadata; `json` is the mapping's `EventRecordFormat: JSON`, `source` its `SOURCE`.",
        parameter: NotInTemplate(
            "`auto` reads both of the mapping's record formats; set it on the function to insist on one",
        ),
    },
    Setting {
        var: BATCH_MAX_BYTES,
        property: None,
        section: Section::Sending,
        default: Number(DEFAULT_BATCH_MAX_BYTES as u64),
        accepts: Range(1, MAX_BATCH_MAX_BYTES as u64),
        meaning: "The byte cap of one PutEvents call (AWS documents \"less than 1 MB\"; set `262144` for the old limit). A call refused as too large anyway is split in two.",
        parameter: NotInTemplate(
            "the default follows the PutEvents quota; set it on the function to lower it",
        ),
    },
    Setting {
        var: BATCH_MAX_ENTRIES,
        property: None,
        section: Section::Sending,
        default: Otherwise("the bus's limit: 10 on a classic bus, 100 on a Custom Event Bus"),
        accepts: Rule("a whole number from 1 to the bus's limit"),
        meaning: "Entries per PutEvents call.",
        parameter: NotInTemplate(
            "the default is the bus's own limit; set it on the function to lower it",
        ),
    },
    Setting {
        var: EVENT_GROUP,
        property: None,
        section: Section::Sending,
        default: Value(EVENT_GROUPS[0].0),
        accepts: Choice(&names(EVENT_GROUPS)),
        meaning: "Custom Event Bus only (set on a classic bus, it stops the start): `partition` sends `EventGroupId` = `<topic>-<partition>`, `key` the record key as text (a null or empty key falls back to the partition), `none` nothing.",
        parameter: Named("EventGroup"),
    },
    Setting {
        var: DEDUPLICATION,
        property: None,
        section: Section::Sending,
        default: Value(DEDUPLICATIONS[0].0),
        accepts: Choice(&names(DEDUPLICATIONS)),
        meaning: "Custom Event Bus only: `offset` sends `DeduplicationId` = `<connector id>:<topic>:<partition>:<offset>`, `content` asks for `CONTENT_BASED` deduplication, `none` nothing.",
        parameter: Named("Deduplication"),
    },
    Setting {
        var: MAX_INFLIGHT,
        property: None,
        section: Section::Sending,
        default: Number(DEFAULT_MAX_INFLIGHT as u64),
        accepts: Range(1, MAX_MAX_INFLIGHT as u64),
        meaning: "PutEvents calls at once (`1`: one at a time); with adaptive concurrency, the most it may reach.",
        parameter: NotInTemplate("a tuning knob: see [sizing](operations.md#sizing)"),
    },
    Setting {
        var: ADAPTIVE_CONCURRENCY,
        property: None,
        section: Section::Sending,
        default: Value("true"),
        accepts: Choice(&names(FLAG)),
        meaning: "`true`: throttling lowers the calls in flight and calls without it raise them back; `false`: always `AWS_EVENTBRIDGE_MAX_INFLIGHT_REQUESTS`.",
        parameter: NotInTemplate("a tuning knob: see [sizing](operations.md#sizing)"),
    },
    Setting {
        var: RETRIES_MAX,
        property: Some("aws.eventbridge.retries.max"),
        section: Section::Sending,
        default: Number(DEFAULT_RETRIES_MAX as u64),
        accepts: Range(0, MAX_RETRIES_MAX as u64),
        meaning: "Retries per entry: an entry is sent at most retries + 1 times (the SDK adds none).",
        parameter: Named("RetriesMax"),
    },
    Setting {
        var: RETRIES_DELAY,
        property: Some("aws.eventbridge.retries.delay"),
        section: Section::Sending,
        default: Number(DEFAULT_RETRIES_DELAY_MS),
        accepts: Range(0, MAX_RETRIES_DELAY_MS),
        meaning: "The first backoff, in milliseconds; it doubles per retry, with full jitter, up to 20 s.",
        parameter: Named("RetriesDelayMs"),
    },
    Setting {
        var: CALL_TIMEOUT_MS,
        property: None,
        section: Section::Sending,
        default: Number(DEFAULT_CALL_TIMEOUT_MS),
        accepts: Range(CALL_TIMEOUT_RANGE_MS.0, CALL_TIMEOUT_RANGE_MS.1),
        meaning: "How long a PutEvents or PutObject call may take, in milliseconds; a call that has not answered by then is abandoned and retried (the connector waits 5 s).",
        parameter: NotInTemplate(
            "the connector's 5 s suits Lambda; set it on the function to change it",
        ),
    },
    Setting {
        var: BATCH_FAILURE_MODE,
        property: None,
        section: Section::Sending,
        default: Value(FAILURE_MODES[0].0),
        accepts: Choice(&names(FAILURE_MODES)),
        meaning: "`partial` returns `batchItemFailures`; `fail-invocation` fails the invocation when any record is not delivered (for event source mappings that ignore partial responses).",
        parameter: NotInTemplate(
            "the template's mappings report partial batch responses, which `partial` answers",
        ),
    },
    Setting {
        var: METRICS,
        property: None,
        section: Section::Metrics,
        default: Value(METRICS_MODES[0].0),
        accepts: Choice(&names(METRICS_MODES)),
        meaning: "`emf` writes one CloudWatch Embedded Metric Format document per invocation on stdout (see [operations](operations.md#metrics)); `off` none.",
        parameter: NotInTemplate("the template's alarms and dashboard read the metrics"),
    },
    Setting {
        var: METRICS_NAMESPACE,
        property: None,
        section: Section::Metrics,
        default: Value(DEFAULT_NAMESPACE),
        accepts: Rule(
            "at most 255 characters of `A-Z a-z 0-9 . - _ / # :` and spaces, not starting with `AWS/`",
        ),
        meaning: "The CloudWatch namespace of the metrics.",
        parameter: Named("MetricsNamespace"),
    },
    Setting {
        var: METRICS_TOPIC_DIMENSION,
        property: None,
        section: Section::Metrics,
        default: Value("false"),
        accepts: Choice(&names(FLAG)),
        meaning: "`true` adds one document per topic, with the dimensions `ConnectorId` and `Topic`.",
        parameter: NotInTemplate(
            "a metric per topic costs per topic; set it on the function to have it",
        ),
    },
    Setting {
        var: OFFLOAD_BUCKET,
        property: Some("aws.eventbridge.offloading.default.s3.bucket"),
        section: Section::Offloading,
        default: Otherwise("none: offloading is off"),
        accepts: Rule("an S3 bucket name of 3 to 63 characters"),
        meaning: "Turns the S3 claim check on (see [offloading](offloading.md)).",
        parameter: Named("OffloadBucket"),
    },
    Setting {
        var: OFFLOAD_FIELDREF,
        property: Some("aws.eventbridge.offloading.default.fieldref"),
        section: Section::Offloading,
        default: Value(DEFAULT_OFFLOAD_FIELDREF),
        accepts: Rule("a definite JSONPath at or under `$.detail.value`"),
        meaning: "The part of each event that is offloaded; checked even without a bucket.",
        parameter: Named("OffloadFieldRef"),
    },
    Setting {
        var: OFFLOAD_THRESHOLD,
        property: None,
        section: Section::Offloading,
        default: Number(0),
        accepts: Range(0, MAX_BATCH_MAX_BYTES as u64),
        meaning: "`0` offloads every matching event; `N` only events whose entry is larger than `N` bytes.",
        parameter: Named("OffloadThresholdBytes"),
    },
    Setting {
        var: OFFLOAD_KEY_PREFIX,
        property: None,
        section: Section::Offloading,
        default: Otherwise("none"),
        accepts: Rule("at most 988 bytes (S3's 1,024 less a UUID)"),
        meaning: "A prefix of the offloaded objects' keys.",
        parameter: Named("OffloadKeyPrefix"),
    },
    Setting {
        var: OFFLOAD_S3_ENDPOINT_URI,
        property: Some("aws.eventbridge.offloading.default.s3.endpoint.uri"),
        section: Section::Offloading,
        default: Otherwise("the SDK's endpoint"),
        accepts: Rule("an `http://` or `https://` URL with a host"),
        meaning: "An S3 endpoint, addressed path-style.",
        parameter: Named("OffloadS3EndpointUri"),
    },
    Setting {
        var: IAM_ROLE_ARN,
        property: Some("aws.eventbridge.iam.role.arn"),
        section: Section::Credentials,
        default: Otherwise("none: the execution role"),
        accepts: Rule("`arn:<partition>:iam::<12 digits>:role/<name>`"),
        meaning: "A role assumed with the base credentials for EventBridge and S3 (session name: the connector id), e.g. for a bus in another account; its credentials are refreshed before they expire.",
        parameter: Named("RoleArn"),
    },
    Setting {
        var: IAM_EXTERNAL_ID,
        property: Some("aws.eventbridge.iam.external.id"),
        section: Section::Credentials,
        default: Otherwise("none"),
        accepts: Rule("2 to 1,224 characters of `A-Z a-z 0-9 _+=,.@:/-`; only with a role"),
        meaning: "Sent as `ExternalId` when the role is assumed (the connector sends it as the session name).",
        parameter: Named("ExternalId"),
    },
    Setting {
        var: IAM_PROFILE_NAME,
        property: Some("aws.eventbridge.iam.profile.name"),
        section: Section::Credentials,
        default: Otherwise("none"),
        accepts: Rule(
            "a profile of the shared config files; refused while `AWS_PROFILE`, `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` or `AWS_SESSION_TOKEN` is set",
        ),
        meaning: "Credentials from a named profile.",
        parameter: NotInTemplate(LOCAL_RUNS_ONLY),
    },
];
