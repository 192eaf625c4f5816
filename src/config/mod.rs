//! Stage 0: configuration.
//!
//! Every setting is read once at cold start from the environment, with the names of the
//! eventbridge-kafka-connector's properties upper-cased and with dots turned into underscores
//! (`aws.eventbridge.connector.id` → `AWS_EVENTBRIDGE_CONNECTOR_ID`). Parsing produces a typed,
//! validated [`Config`]; a bad value produces a [`ConfigError`] that names the variable, the
//! value and the rule it broke, so that the function fails its cold start instead of its first
//! record.

use std::collections::HashMap;
use std::fmt;
use std::num::NonZeroUsize;
use std::sync::Arc;
use std::time::Duration;

use crate::decode::registry::{
    ConfluentRegistry, Registries, RegistryDecoder, RegistryFormat, Schemas,
};
use crate::decode::{Decoders, EsmRecordFormat, PayloadDecoder, PayloadFormat};
use crate::map::{DetailTypeRule, Mapper, SystemMetadataRule, TimeRule};
use crate::metrics::{DEFAULT_NAMESPACE, MAX_NAMESPACE_CHARS, MetricsConfig};
use crate::offload::{OffloadConfig, Offloader};
use crate::path::{DefinitePath, PathError, Step};
use crate::retry::CallPolicy;
pub use crate::vars::*;

/// The default offloaded part: the whole record value (the connector's default).
pub const DEFAULT_OFFLOAD_FIELDREF: &str = "$.detail.value";
/// Longest accepted key prefix: S3 keys are at most 1,024 bytes and a UUID takes 36 of them
/// (<https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-keys.html>).
pub const MAX_OFFLOAD_KEY_PREFIX_BYTES: usize = 1024 - 36;

/// The detail-type rule used when `AWS_EVENTBRIDGE_DETAIL_TYPES` is unset (the connector's).
pub const DEFAULT_DETAIL_TYPES: &str = "kafka-connect-${topic}";
/// Largest accepted `AWS_EVENTBRIDGE_BATCH_MAX_BYTES` and offload threshold: the largest call
/// a supported bus accepts (PutEvents: 1 MiB; each bus caps it further to its own limit,
/// [`EventBus::limits`](crate::EventBus::limits)).
pub const MAX_BATCH_MAX_BYTES: usize = 1_048_576;
/// Default `AWS_EVENTBRIDGE_BATCH_MAX_BYTES`: AWS documents the PutEvents limit as "less than
/// 1 MB" per request ("Amazon EventBridge quotas",
/// <https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-quota.html>), and the connector
/// caps a call at 1,048,575 bytes; a call refused as too large anyway is split in two.
pub const DEFAULT_BATCH_MAX_BYTES: usize = 1_048_575;
/// An S3 bucket name is 3 to 63 characters
/// (<https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html>).
pub const BUCKET_NAME_CHARS: (usize, usize) = (3, 63);
/// An STS `ExternalId` is 2 to 1,224 characters
/// (<https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html>).
pub const EXTERNAL_ID_CHARS: (usize, usize) = (2, 1224);
/// Default of `AWS_EVENTBRIDGE_MAX_INFLIGHT_REQUESTS`.
pub const DEFAULT_MAX_INFLIGHT: usize = 8;
/// Largest accepted `AWS_EVENTBRIDGE_MAX_INFLIGHT_REQUESTS`.
pub const MAX_MAX_INFLIGHT: usize = 100;
/// Default of `AWS_EVENTBRIDGE_RETRIES_MAX` (the connector's).
pub const DEFAULT_RETRIES_MAX: u32 = 2;
/// Largest accepted `AWS_EVENTBRIDGE_RETRIES_MAX` (the connector's rule).
pub const MAX_RETRIES_MAX: u32 = 10;
/// Default of `AWS_EVENTBRIDGE_RETRIES_DELAY` in milliseconds (the connector's).
pub const DEFAULT_RETRIES_DELAY_MS: u64 = 200;
/// Largest accepted `AWS_EVENTBRIDGE_RETRIES_DELAY` in milliseconds.
pub const MAX_RETRIES_DELAY_MS: u64 = 60_000;
/// Default of `AWS_EVENTBRIDGE_CALL_TIMEOUT_MS`: the connector waits 5 s per call as well.
pub const DEFAULT_CALL_TIMEOUT_MS: u64 = 5_000;
/// Accepted range of `AWS_EVENTBRIDGE_CALL_TIMEOUT_MS`.
pub const CALL_TIMEOUT_RANGE_MS: (u64, u64) = (50, 60_000);

/// A configuration value that cannot be used; the function does not start.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    /// A required variable is unset or blank.
    #[error("`{var}` must be set: {rule}")]
    Missing {
        /// The variable.
        var: &'static str,
        /// What it must hold.
        rule: &'static str,
    },
    /// A variable holds a value that breaks its rule.
    #[error("`{var}`={value:?} is invalid: {rule}")]
    Invalid {
        /// The variable.
        var: &'static str,
        /// The value found.
        value: String,
        /// The rule it breaks.
        rule: String,
    },
}

impl ConfigError {
    fn invalid(var: &'static str, value: &str, rule: impl Into<String>) -> Self {
        Self::Invalid {
            var,
            value: value.to_owned(),
            rule: rule.into(),
        }
    }
}

/// What the function returns when some records were not delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureMode {
    /// Return them in `batchItemFailures` (needs `ReportBatchItemFailures` on the trigger).
    Partial,
    /// Fail the whole invocation (for on-demand event source mappings, which ignore partial
    /// responses).
    FailInvocation,
}

/// Where the function's AWS credentials come from.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CredentialsConfig {
    /// `AWS_EVENTBRIDGE_IAM_PROFILE_NAME`: the profile of the base credentials.
    pub(crate) profile_name: Option<String>,
    /// `AWS_EVENTBRIDGE_IAM_ROLE_ARN`: a role assumed with the base credentials.
    pub(crate) role_arn: Option<String>,
    /// `AWS_EVENTBRIDGE_IAM_EXTERNAL_ID`: sent as `ExternalId` when assuming the role.
    pub(crate) external_id: Option<String>,
}

/// Which EventBridge bus an ARN names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BusKind {
    /// `event-bus/<name>`: the rule-based bus ("Custom Event Bus - Classic"), API `events`.
    Classic,
    /// `event-busv2/<name>/<id>`: the Custom Event Bus, API `eventsv2`, with ordered event
    /// groups and publish-time deduplication.
    V2,
}

/// What `AWS_EVENTBRIDGE_EVENTBUS_ARN` must look like.
const BUS_ARN_RULE: &str = "must be arn:<partition>:events:<region>:<12-digit account>:event-bus/<name> (a classic bus) or arn:<partition>:events:<region>:<12-digit account>:event-busv2/<name>/<25-character id> (a Custom Event Bus)";

/// A validated bus ARN: `arn:<partition>:events:<region>:<account>:event-bus/<name>` (classic)
/// or `…:event-busv2/<name>/<id>` (Custom Event Bus).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BusArn {
    arn: String,
    partition_end: usize,
    region: (usize, usize),
    kind: BusKind,
}

impl BusArn {
    /// The whole ARN, as sent in each entry's `EventBusName` (classic) or the request's
    /// `EventBusArn` (Custom Event Bus).
    pub fn as_str(&self) -> &str {
        &self.arn
    }

    /// The ARN's partition (`aws`, `aws-cn`, `aws-us-gov`, …).
    pub fn partition(&self) -> &str {
        &self.arn[4..self.partition_end]
    }

    /// The ARN's region.
    pub fn region(&self) -> &str {
        &self.arn[self.region.0..self.region.1]
    }

    /// Which bus the ARN names.
    pub fn kind(&self) -> BusKind {
        self.kind
    }

    fn parse(value: &str) -> Result<Self, ConfigError> {
        let invalid = || ConfigError::invalid(EVENTBUS_ARN, value, BUS_ARN_RULE);
        let Some(["arn", partition, "events", region, account, rest]) = arn_parts(value) else {
            return Err(invalid());
        };
        let kind = if let Some(name) = rest.strip_prefix("event-bus/") {
            if name.is_empty() || name.chars().any(char::is_whitespace) {
                return Err(invalid());
            }
            BusKind::Classic
        } else if let Some(name_id) = rest.strip_prefix("event-busv2/") {
            // The API's pattern: a name of [A-Za-z0-9][.-_A-Za-z0-9]{0,255}, then a 25-character
            // id of lowercase letters and digits.
            let (name, id) = name_id.split_once('/').ok_or_else(invalid)?;
            let name_ok = name.len() <= 256
                && name.starts_with(|c: char| c.is_ascii_alphanumeric())
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || ".-_".contains(c));
            let id_ok = id.len() == 25
                && id
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
            if !name_ok || !id_ok {
                return Err(invalid());
            }
            BusKind::V2
        } else {
            return Err(invalid());
        };
        if !is_partition(partition) || !is_region(region) || !is_account(account) {
            return Err(invalid());
        }
        let partition_end = 4 + partition.len();
        let region_start = partition_end + ":events:".len();
        Ok(Self {
            arn: value.to_owned(),
            partition_end,
            region: (region_start, region_start + region.len()),
            kind,
        })
    }
}

/// What the `EventGroupId` of an event on a Custom Event Bus is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventGroup {
    /// `<topic>-<partition>`: the Kafka partition's order is kept.
    Partition,
    /// The record key as text (a record with a null key falls back to the partition).
    Key,
    /// No event group: no order.
    None,
}

/// How redeliveries are deduplicated on a Custom Event Bus.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deduplication {
    /// `DeduplicationId` = `<connector id>:<topic>:<partition>:<offset>`.
    Offset,
    /// The request's `DeduplicationConfiguration` is `CONTENT_BASED`; no per-entry id.
    Content,
    /// No deduplication.
    None,
}

/// The ordering and deduplication settings of a Custom Event Bus.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ordering {
    /// `AWS_EVENTBRIDGE_EVENT_GROUP`.
    pub event_group: EventGroup,
    /// `AWS_EVENTBRIDGE_DEDUPLICATION`.
    pub deduplication: Deduplication,
}

impl fmt::Display for BusArn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.arn)
    }
}

/// The function's whole configuration, parsed and validated: only the parser builds one, so
/// every `Config` holds valid values.
#[derive(Debug, Clone)]
pub struct Config {
    /// `AWS_EVENTBRIDGE_CONNECTOR_ID`, trimmed.
    pub(crate) connector_id: String,
    /// `AWS_EVENTBRIDGE_EVENTBUS_ARN`.
    pub(crate) bus_arn: BusArn,
    /// `AWS_EVENTBRIDGE_REGION`, or the bus ARN's region.
    pub(crate) region: String,
    /// `AWS_EVENTBRIDGE_ENDPOINT_URI`, when set.
    pub(crate) endpoint_uri: Option<String>,
    /// `AWS_EVENTBRIDGE_EVENTBUS_GLOBAL_ENDPOINT_ID`, when set.
    pub(crate) global_endpoint_id: Option<String>,
    /// `AWS_EVENTBRIDGE_EVENTBUS_RESOURCES`, trimmed, blanks dropped.
    pub(crate) resources: Vec<String>,
    /// `AWS_EVENTBRIDGE_DETAIL_TYPES` / `…_MAPPER` / `…_FIELDREF`.
    pub(crate) detail_type: DetailTypeRule,
    /// `AWS_EVENTBRIDGE_TIME_MAPPER`.
    pub(crate) time_mapper: TimeRule,
    /// `AWS_EVENTBRIDGE_KEY_FORMAT`.
    pub(crate) key_format: PayloadFormat,
    /// `AWS_EVENTBRIDGE_VALUE_FORMAT`.
    pub(crate) value_format: PayloadFormat,
    /// `AWS_EVENTBRIDGE_SCHEMA_REGISTRY_*`: the Confluent-compatible schema registry, when set.
    pub(crate) registry: Option<RegistryConfig>,
    /// `AWS_EVENTBRIDGE_SCHEMA_REGISTRY_GLUE_REGION`, else the function's region.
    pub(crate) glue_region: String,
    /// `AWS_REGION` (the function's region on Lambda), else the bus's region.
    pub(crate) function_region: String,
    /// `AWS_EVENTBRIDGE_ESM_RECORD_FORMAT`.
    pub(crate) esm_format: EsmRecordFormat,
    /// `AWS_EVENTBRIDGE_BATCH_MAX_BYTES`.
    pub(crate) batch_max_bytes: usize,
    /// `AWS_EVENTBRIDGE_BATCH_MAX_ENTRIES`, or the bus's own limit.
    pub(crate) batch_max_entries: usize,
    /// `AWS_EVENTBRIDGE_EVENT_GROUP` and `AWS_EVENTBRIDGE_DEDUPLICATION`: set for a Custom
    /// Event Bus only.
    pub(crate) ordering: Option<Ordering>,
    /// `AWS_EVENTBRIDGE_MAX_INFLIGHT_REQUESTS`.
    pub(crate) max_inflight: NonZeroUsize,
    /// `AWS_EVENTBRIDGE_ADAPTIVE_CONCURRENCY`.
    pub(crate) adaptive_concurrency: bool,
    /// `AWS_EVENTBRIDGE_RETRIES_MAX`.
    pub(crate) retries_max: u32,
    /// `AWS_EVENTBRIDGE_RETRIES_DELAY`.
    pub(crate) retries_delay: Duration,
    /// `AWS_EVENTBRIDGE_CALL_TIMEOUT_MS`: a call that has not answered by then is abandoned and
    /// counts as a retryable failure.
    pub(crate) call_timeout: Duration,
    /// `AWS_EVENTBRIDGE_BATCH_FAILURE_MODE`.
    pub(crate) failure_mode: FailureMode,

    // Parts with settings of their own.
    /// `AWS_EVENTBRIDGE_OFFLOADING_DEFAULT_*`: the S3 claim check, when a bucket is set.
    pub(crate) offload: Option<OffloadConfig>,
    /// `AWS_EVENTBRIDGE_METRICS*`: the operator metrics.
    pub(crate) metrics: MetricsConfig,
    /// `AWS_EVENTBRIDGE_IAM_*`: where credentials come from.
    pub(crate) credentials: CredentialsConfig,
}

impl Config {
    /// Reads the configuration from the process environment, and logs a WARN for each
    /// `AWS_EVENTBRIDGE_*` variable that is not one of [`KNOWN_VARS`], with the closest known
    /// name (a misspelled variable would otherwise pass silently).
    pub fn from_env() -> Result<Self, ConfigError> {
        for unknown in unknown_vars(std::env::vars_os().filter_map(|(k, _)| k.into_string().ok())) {
            tracing::warn!(
                variable = %unknown.name,
                closest = unknown.closest,
                "Unknown AWS_EVENTBRIDGE_* variable ignored; did you mean the closest known name?"
            );
        }
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the configuration through `lookup` (a variable name → its value).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        // A variable set to blanks counts as unset, as in the connector.
        let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let bus = parse_bus(&get)?;
        let resources = parse_resources(get(RESOURCES));
        let detail_type = parse_detail_type(
            get(DETAIL_TYPES),
            get(DETAIL_TYPES_MAPPER),
            get(DETAIL_TYPES_FIELDREF),
        )?;
        let time_mapper = parse_time_rule(get(TIME_MAPPER))?;
        let key_format = parse_format(KEY_FORMAT, get(KEY_FORMAT), PayloadFormat::String)?;
        let value_format = parse_format(VALUE_FORMAT, get(VALUE_FORMAT), PayloadFormat::Json)?;
        let registry = parse_registry(&get)?;
        // The function's own region (Lambda sets AWS_REGION); the bus's outside Lambda.
        let function_region = get("AWS_REGION")
            .map(|region| region.trim().to_owned())
            .filter(|region| is_region(region))
            .unwrap_or_else(|| bus.region.clone());
        let glue_region = parse_region(
            SCHEMA_REGISTRY_GLUE_REGION,
            get(SCHEMA_REGISTRY_GLUE_REGION),
        )?
        .unwrap_or_else(|| function_region.clone());
        let esm_format = parse_choice(
            ESM_RECORD_FORMAT,
            get(ESM_RECORD_FORMAT),
            EsmRecordFormat::Auto,
            &[
                ("auto", EsmRecordFormat::Auto),
                ("json", EsmRecordFormat::Json),
                ("source", EsmRecordFormat::Source),
            ],
        )?;
        let sending = parse_sending(&get)?;
        let (batch_max_entries, ordering) = parse_bus_kind_settings(&get, &bus)?;
        Ok(Self {
            connector_id: bus.connector_id,
            bus_arn: bus.bus_arn,
            region: bus.region,
            endpoint_uri: bus.endpoint_uri,
            global_endpoint_id: bus.global_endpoint_id,
            resources,
            detail_type,
            time_mapper,
            key_format,
            value_format,
            registry,
            glue_region,
            function_region,
            esm_format,
            batch_max_bytes: sending.batch_max_bytes,
            batch_max_entries,
            ordering,
            max_inflight: sending.max_inflight,
            adaptive_concurrency: sending.adaptive_concurrency,
            retries_max: sending.retries_max,
            retries_delay: sending.retries_delay,
            call_timeout: sending.call_timeout,
            failure_mode: parse_failure_mode(get(BATCH_FAILURE_MODE))?,
            offload: parse_offload(&get)?,
            credentials: parse_credentials(&get)?,
            metrics: parse_metrics(&get)?,
        })
    }

    /// The `Source` of every event: `kafka-connect.<connector id>`.
    pub fn source(&self) -> String {
        format!("kafka-connect.{}", self.connector_id)
    }

    /// `AWS_EVENTBRIDGE_CONNECTOR_ID`, trimmed.
    pub fn connector_id(&self) -> &str {
        &self.connector_id
    }

    /// `AWS_EVENTBRIDGE_EVENTBUS_ARN`.
    pub fn bus_arn(&self) -> &BusArn {
        &self.bus_arn
    }

    /// `AWS_EVENTBRIDGE_REGION`, or the bus ARN's region.
    pub fn region(&self) -> &str {
        &self.region
    }

    /// `AWS_EVENTBRIDGE_BATCH_MAX_BYTES`: the byte cap of one call.
    pub fn batch_max_bytes(&self) -> usize {
        self.batch_max_bytes
    }

    /// `AWS_EVENTBRIDGE_BATCH_MAX_ENTRIES`: the entry cap of one call (by default the bus's
    /// own limit).
    pub fn batch_max_entries(&self) -> usize {
        self.batch_max_entries
    }

    /// The event groups and deduplication of a Custom Event Bus; `None` on the classic bus.
    pub fn ordering(&self) -> Option<Ordering> {
        self.ordering
    }

    /// `AWS_EVENTBRIDGE_BATCH_FAILURE_MODE`.
    pub fn failure_mode(&self) -> FailureMode {
        self.failure_mode
    }

    /// `AWS_EVENTBRIDGE_OFFLOADING_DEFAULT_*`: the S3 claim check, when a bucket is set.
    pub fn offload(&self) -> Option<&OffloadConfig> {
        self.offload.as_ref()
    }

    /// `AWS_EVENTBRIDGE_METRICS*`: the operator metrics.
    pub fn metrics(&self) -> &MetricsConfig {
        &self.metrics
    }

    /// `AWS_EVENTBRIDGE_SCHEMA_REGISTRY_GLUE_REGION`: the region of the AWS Glue Schema
    /// Registry (default: the function's own).
    pub fn glue_region(&self) -> &str {
        &self.glue_region
    }

    /// The decoders of the configured key and value formats, with the configured
    /// Confluent-compatible registry and no AWS Glue Schema Registry (a pipeline built with
    /// [`aws`](crate::PipelineBuilder::aws) has one).
    pub fn decoders(&self) -> Decoders {
        self.decoders_with(Registries::new())
    }

    /// The decoders of the configured key and value formats, reading schemas from
    /// `registries` and from the configured Confluent-compatible registry.
    pub fn decoders_with(&self, mut registries: Registries) -> Decoders {
        if let Some(registry) = &self.registry {
            registries = registries.confluent(ConfluentRegistry::new(
                &registry.url,
                registry.user_info.as_ref().map(|s| s.0.as_str()),
            ));
        }
        let schemas = Some(Arc::new(Schemas::new(registries)));
        let decoder = |format: PayloadFormat| -> Box<dyn PayloadDecoder> {
            let registry = |format| Box::new(RegistryDecoder::new(format, schemas.clone()));
            match format {
                PayloadFormat::Avro => registry(RegistryFormat::Avro),
                PayloadFormat::JsonSchema => registry(RegistryFormat::JsonSchema),
                PayloadFormat::Protobuf => registry(RegistryFormat::Protobuf),
                PayloadFormat::Registry => registry(RegistryFormat::Any),
                format => Box::new(format),
            }
        };
        Decoders {
            key: decoder(self.key_format),
            value: decoder(self.value_format),
            esm_format: self.esm_format,
            schemas,
        }
    }

    /// `AWS_EVENTBRIDGE_DETAIL_TYPES_MAPPER` and its settings: the configured detail-type rule
    /// (a plug-in [`DetailTypeMapper`](crate::DetailTypeMapper) may fall back on it).
    pub fn detail_type_rule(&self) -> &DetailTypeRule {
        &self.detail_type
    }

    /// `AWS_EVENTBRIDGE_TIME_MAPPER`: the configured time rule.
    pub fn time_rule(&self) -> TimeRule {
        self.time_mapper
    }

    /// The mapper of the configured source, resources, detail-type and time rules.
    pub fn mapper(&self) -> Mapper {
        let mapper = Mapper::new(
            &self.source(),
            &self.resources,
            self.detail_type.clone(),
            self.time_mapper,
        );
        match self.ordering {
            Some(ordering) => {
                mapper.with_system_metadata(SystemMetadataRule::new(ordering, &self.connector_id))
            }
            None => mapper,
        }
    }

    /// The planner of the claim check, when offloading is on.
    pub fn offloader(&self) -> Option<Offloader> {
        let offload = self.offload.clone()?;
        Some(Offloader::new(offload, self.bus_arn.partition()))
    }

    /// `AWS_EVENTBRIDGE_ADAPTIVE_CONCURRENCY`: whether throttling adapts the calls in flight.
    pub fn adaptive_concurrency(&self) -> bool {
        self.adaptive_concurrency
    }

    /// How remote calls are made and retried.
    pub fn call_policy(&self) -> CallPolicy {
        CallPolicy {
            max_inflight: self.max_inflight,
            retries_max: self.retries_max,
            retries_delay: self.retries_delay,
            call_timeout: self.call_timeout,
        }
    }

    /// Logs the configuration (no secrets: the external id and credentials are left out).
    pub fn log_loaded(&self) {
        tracing::info!(
            connector_id = %self.connector_id,
            bus_arn = %self.bus_arn,
            region = %self.region,
            endpoint = self.endpoint_uri.as_deref().unwrap_or("-"),
            global_endpoint_id = self.global_endpoint_id.as_deref().unwrap_or("-"),
            bus_kind = ?self.bus_arn.kind(),
            batch_max_bytes = self.batch_max_bytes,
            batch_max_entries = self.batch_max_entries,
            event_group = ?self.ordering.map(|o| o.event_group),
            deduplication = ?self.ordering.map(|o| o.deduplication),
            max_inflight = self.max_inflight,
            adaptive_concurrency = self.adaptive_concurrency,
            retries_max = self.retries_max,
            retries_delay_ms = u64::try_from(self.retries_delay.as_millis()).unwrap_or(u64::MAX),
            schema_registry = self.registry.as_ref().map_or("-", |r| r.url.as_str()),
            schema_registry_auth = self.registry.as_ref().map_or("-", |r| match (&r.secret_arn, &r.user_info) {
                (Some(_), _) => "secret",
                (None, Some(_)) => "user-info",
                (None, None) => "none",
            }),
            glue_region = %self.glue_region,
            esm_record_format = ?self.esm_format,
            "Configuration loaded."
        );
        if let Some(offload) = &self.offload {
            tracing::info!(
                bucket = %offload.bucket,
                fieldref = %offload.fieldref,
                threshold_bytes = offload.threshold_bytes,
                key_prefix = %offload.key_prefix,
                s3_endpoint = offload.s3_endpoint_uri.as_deref().unwrap_or("-"),
                "S3 offloading is on."
            );
        }
    }
}

struct BusSettings {
    connector_id: String,
    bus_arn: BusArn,
    region: String,
    endpoint_uri: Option<String>,
    global_endpoint_id: Option<String>,
}

fn parse_bus(get: &impl Fn(&str) -> Option<String>) -> Result<BusSettings, ConfigError> {
    let connector_id =
        get(CONNECTOR_ID)
            .map(|v| v.trim().to_owned())
            .ok_or(ConfigError::Missing {
                var: CONNECTOR_ID,
                rule: "a non-blank connector id (the events' Source is kafka-connect.<id>)",
            })?;
    let bus_arn = get(EVENTBUS_ARN).ok_or(ConfigError::Missing {
        var: EVENTBUS_ARN,
        rule: "arn:<partition>:events:<region>:<12-digit account>:event-bus/<name> (a classic bus) or arn:<partition>:events:<region>:<12-digit account>:event-busv2/<name>/<25-character id> (a Custom Event Bus)",
    })?;
    let bus_arn = BusArn::parse(bus_arn.trim())?;
    let region = parse_region(REGION, get(REGION))?.unwrap_or_else(|| bus_arn.region().to_owned());
    Ok(BusSettings {
        connector_id,
        bus_arn,
        region,
        endpoint_uri: get(ENDPOINT_URI)
            .map(|v| parse_endpoint(ENDPOINT_URI, &v))
            .transpose()?,
        global_endpoint_id: get(GLOBAL_ENDPOINT_ID)
            .map(|v| parse_global_endpoint_id(&v))
            .transpose()?,
    })
}

/// The settings that depend on the kind of bus: the entry cap of a call (at most the bus's
/// limit) and, on a Custom Event Bus only, the event groups and deduplication.
fn parse_bus_kind_settings(
    get: &impl Fn(&str) -> Option<String>,
    bus: &BusSettings,
) -> Result<(usize, Option<Ordering>), ConfigError> {
    let kind = bus.bus_arn.kind();
    let limit = match kind {
        BusKind::Classic => crate::eventbridge::MAX_ENTRIES_PER_PUT,
        BusKind::V2 => crate::eventbridge_v2::MAX_ENTRIES_PER_PUT,
    };
    let max_entries = match get(BATCH_MAX_ENTRIES) {
        None => limit,
        Some(v) => {
            let rule = match kind {
                BusKind::Classic => {
                    "must be an integer from 1 to 10 (a classic bus takes at most 10 entries per PutEvents call)"
                }
                BusKind::V2 => {
                    "must be an integer from 1 to 100 (a Custom Event Bus takes at most 100 entries per PutEvents call)"
                }
            };
            v.trim()
                .parse::<usize>()
                .ok()
                .filter(|n| (1..=limit).contains(n))
                .ok_or_else(|| ConfigError::invalid(BATCH_MAX_ENTRIES, &v, rule))?
        }
    };
    if kind == BusKind::Classic {
        for var in [EVENT_GROUP, DEDUPLICATION] {
            if let Some(v) = get(var) {
                return Err(ConfigError::invalid(
                    var,
                    &v,
                    "applies only to a Custom Event Bus (an event-busv2 ARN); a classic bus has no event groups or deduplication",
                ));
            }
        }
        return Ok((max_entries, None));
    }
    if let Some(id) = &bus.global_endpoint_id {
        return Err(ConfigError::invalid(
            GLOBAL_ENDPOINT_ID,
            id,
            "applies only to a classic bus; a Custom Event Bus has no global endpoints",
        ));
    }
    let event_group = parse_choice(
        EVENT_GROUP,
        get(EVENT_GROUP),
        EventGroup::Partition,
        &[
            ("partition", EventGroup::Partition),
            ("key", EventGroup::Key),
            ("none", EventGroup::None),
        ],
    )?;
    let deduplication = parse_choice(
        DEDUPLICATION,
        get(DEDUPLICATION),
        Deduplication::Offset,
        &[
            ("offset", Deduplication::Offset),
            ("content", Deduplication::Content),
            ("none", Deduplication::None),
        ],
    )?;
    Ok((
        max_entries,
        Some(Ordering {
            event_group,
            deduplication,
        }),
    ))
}

fn parse_global_endpoint_id(value: &str) -> Result<String, ConfigError> {
    let v = value.trim();
    if is_endpoint_id(v) {
        Ok(v.to_owned())
    } else {
        Err(ConfigError::invalid(
            GLOBAL_ENDPOINT_ID,
            v,
            "must match ^[A-Za-z0-9-]+\\.[A-Za-z0-9-]+$ (the subdomain of the global endpoint, e.g. abcde.veo)",
        ))
    }
}

fn parse_resources(value: Option<String>) -> Vec<String> {
    value
        .map(|v| {
            v.split(',')
                .map(str::trim)
                .filter(|r| !r.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

fn parse_time_rule(value: Option<String>) -> Result<TimeRule, ConfigError> {
    let choices = [
        ("none", TimeRule::None),
        ("record-timestamp", TimeRule::RecordTimestamp),
    ];
    parse_choice(TIME_MAPPER, value, TimeRule::None, &choices)
}

fn parse_failure_mode(value: Option<String>) -> Result<FailureMode, ConfigError> {
    let choices = [
        ("partial", FailureMode::Partial),
        ("fail-invocation", FailureMode::FailInvocation),
    ];
    parse_choice(BATCH_FAILURE_MODE, value, FailureMode::Partial, &choices)
}

/// The choice named by `value` (trimmed), `default` when unset; anything else is rejected with
/// the list of names.
fn parse_choice<T: Copy>(
    var: &'static str,
    value: Option<String>,
    default: T,
    choices: &[(&str, T)],
) -> Result<T, ConfigError> {
    let Some(value) = value else {
        return Ok(default);
    };
    let value = value.trim();
    if let Some((_, choice)) = choices.iter().find(|(name, _)| *name == value) {
        return Ok(*choice);
    }
    let names: Vec<&str> = choices.iter().map(|(name, _)| *name).collect();
    let (last, rest) = names.split_last().expect("at least one choice");
    let list = if rest.is_empty() {
        (*last).to_owned()
    } else {
        format!("{} or {last}", rest.join(", "))
    };
    Err(ConfigError::invalid(var, value, format!("must be {list}")))
}

/// A `true`/`false` flag.
fn parse_flag(
    get: &impl Fn(&str) -> Option<String>,
    var: &'static str,
    default: bool,
) -> Result<bool, ConfigError> {
    parse_choice(var, get(var), default, &[("false", false), ("true", true)])
}

fn parse_metrics(get: &impl Fn(&str) -> Option<String>) -> Result<MetricsConfig, ConfigError> {
    let enabled = parse_choice(
        METRICS,
        get(METRICS),
        true,
        &[("emf", true), ("off", false)],
    )?;
    let per_topic = parse_flag(get, METRICS_TOPIC_DIMENSION, false)?;
    let namespace = get(METRICS_NAMESPACE)
        .map_or_else(|| DEFAULT_NAMESPACE.to_owned(), |v| v.trim().to_owned());
    let ok = namespace.chars().count() <= MAX_NAMESPACE_CHARS
        && !namespace.starts_with("AWS/")
        && namespace
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || " ._-/#:".contains(c));
    let rule = "must be at most 255 characters of A-Z a-z 0-9 . - _ / # : and spaces, not starting with AWS/";
    ensure(ok, METRICS_NAMESPACE, &namespace, rule)?;
    Ok(MetricsConfig {
        enabled,
        namespace,
        per_topic,
    })
}

struct SendSettings {
    batch_max_bytes: usize,
    max_inflight: NonZeroUsize,
    adaptive_concurrency: bool,
    retries_max: u32,
    retries_delay: Duration,
    call_timeout: Duration,
}

fn parse_sending(get: &impl Fn(&str) -> Option<String>) -> Result<SendSettings, ConfigError> {
    let max_inflight = parse_int(get, MAX_INFLIGHT, DEFAULT_MAX_INFLIGHT, 1, MAX_MAX_INFLIGHT)?;
    let retries_max = parse_int(get, RETRIES_MAX, DEFAULT_RETRIES_MAX, 0, MAX_RETRIES_MAX)?;
    let delay_ms = parse_int(
        get,
        RETRIES_DELAY,
        DEFAULT_RETRIES_DELAY_MS,
        0,
        MAX_RETRIES_DELAY_MS,
    )?;
    let (min, max) = CALL_TIMEOUT_RANGE_MS;
    let timeout_ms = parse_int(get, CALL_TIMEOUT_MS, DEFAULT_CALL_TIMEOUT_MS, min, max)?;
    let cap = MAX_BATCH_MAX_BYTES;
    let adaptive_concurrency = parse_flag(get, ADAPTIVE_CONCURRENCY, true)?;
    Ok(SendSettings {
        batch_max_bytes: parse_int(get, BATCH_MAX_BYTES, DEFAULT_BATCH_MAX_BYTES, 1, cap)?,
        max_inflight: NonZeroUsize::new(max_inflight).expect("the parser's minimum is 1"),
        adaptive_concurrency,
        retries_max,
        retries_delay: Duration::from_millis(delay_ms),
        call_timeout: Duration::from_millis(timeout_ms),
    })
}

fn parse_detail_type(
    types: Option<String>,
    mapper: Option<String>,
    fieldref: Option<String>,
) -> Result<DetailTypeRule, ConfigError> {
    match mapper.as_deref().map(str::trim) {
        None | Some("default") => {}
        Some("jsonpath") => {
            let Some(fieldref) = fieldref else {
                return Err(ConfigError::Missing {
                    var: DETAIL_TYPES_FIELDREF,
                    rule: "a definite JSONPath into the record value when AWS_EVENTBRIDGE_DETAIL_TYPES_MAPPER=jsonpath",
                });
            };
            let fieldref = fieldref.trim();
            return DefinitePath::parse(fieldref)
                .map(DetailTypeRule::JsonPath)
                .map_err(|e: PathError| {
                    ConfigError::invalid(DETAIL_TYPES_FIELDREF, fieldref, e.to_string())
                });
        }
        Some(other) => {
            return Err(ConfigError::invalid(
                DETAIL_TYPES_MAPPER,
                other,
                "must be default or jsonpath",
            ));
        }
    }

    let raw = types.unwrap_or_else(|| DEFAULT_DETAIL_TYPES.to_owned());
    let items: Vec<&str> = raw.split(',').map(str::trim).collect();
    if items.len() == 1 && !items[0].contains(':') {
        return Ok(DetailTypeRule::Template(items[0].to_owned()));
    }
    let mut map = HashMap::with_capacity(items.len());
    for item in items {
        let rule = "must be one detail-type (with optional ${topic} placeholders) or a list of topic:detail-type pairs without blanks";
        let Some((topic, detail_type)) = item.split_once(':') else {
            return Err(ConfigError::invalid(DETAIL_TYPES, &raw, rule));
        };
        if topic.is_empty() || detail_type.is_empty() || item.chars().any(char::is_whitespace) {
            return Err(ConfigError::invalid(DETAIL_TYPES, &raw, rule));
        }
        if map
            .insert(topic.to_owned(), detail_type.to_owned())
            .is_some()
        {
            return Err(ConfigError::invalid(
                DETAIL_TYPES,
                &raw,
                format!("topic {topic:?} is listed twice"),
            ));
        }
    }
    Ok(DetailTypeRule::PerTopic(map))
}

/// `Ok` when `ok`, else the error that `var`=`value` breaks `rule`.
fn ensure(ok: bool, var: &'static str, value: &str, rule: &str) -> Result<(), ConfigError> {
    if ok {
        Ok(())
    } else {
        Err(ConfigError::invalid(var, value, rule))
    }
}

fn parse_credentials(
    get: &impl Fn(&str) -> Option<String>,
) -> Result<CredentialsConfig, ConfigError> {
    let role_arn = get(IAM_ROLE_ARN).map(|v| v.trim().to_owned());
    if let Some(arn) = &role_arn {
        let rule = "must be arn:<partition>:iam::<12-digit account>:role/<name>";
        ensure(is_role_arn(arn), IAM_ROLE_ARN, arn, rule)?;
    }
    let external_id = get(IAM_EXTERNAL_ID).map(|v| v.trim().to_owned());
    if let Some(id) = &external_id {
        let rule = "is only used with AWS_EVENTBRIDGE_IAM_ROLE_ARN, which is unset";
        ensure(role_arn.is_some(), IAM_EXTERNAL_ID, id, rule)?;
        let allowed = |c: char| c.is_ascii_alphanumeric() || "_+=,.@:/-".contains(c);
        let (min, max) = EXTERNAL_ID_CHARS;
        let ok = (min..=max).contains(&id.len()) && id.chars().all(allowed);
        let rule = "must be 2 to 1224 characters of A-Z a-z 0-9 and _+=,.@:/-";
        ensure(ok, IAM_EXTERNAL_ID, id, rule)?;
    }
    let profile_name = get(IAM_PROFILE_NAME).map(|v| v.trim().to_owned());
    if let Some(profile) = &profile_name {
        let set: Vec<&str> = PROFILE_CONFLICTS
            .into_iter()
            .filter(|v| get(v).is_some())
            .collect();
        if !set.is_empty() {
            return Err(ConfigError::invalid(
                IAM_PROFILE_NAME,
                profile,
                format!(
                    "cannot take effect while {} set; unset them to use the profile",
                    set.join(", ") + if set.len() == 1 { " is" } else { " are" }
                ),
            ));
        }
    }
    Ok(CredentialsConfig {
        profile_name,
        role_arn,
        external_id,
    })
}

/// `arn:<partition>:iam::<12 digits>:role/<name>`, in any partition.
fn is_role_arn(arn: &str) -> bool {
    match arn_parts(arn) {
        Some(["arn", partition, "iam", "", account, resource]) => {
            is_partition(partition)
                && is_account(account)
                && resource
                    .strip_prefix("role/")
                    .is_some_and(|name| !name.is_empty())
        }
        _ => false,
    }
}

/// The six `:`-separated parts of an ARN (the last keeps any further `:`), if it has six.
fn arn_parts(arn: &str) -> Option<[&str; 6]> {
    let mut parts = arn.splitn(6, ':');
    let mut out = [""; 6];
    for part in &mut out {
        *part = parts.next()?;
    }
    Some(out)
}

/// A 12-digit AWS account id.
fn is_account(account: &str) -> bool {
    account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit())
}

fn parse_offload(
    get: &impl Fn(&str) -> Option<String>,
) -> Result<Option<OffloadConfig>, ConfigError> {
    let Some(bucket) = get(OFFLOAD_BUCKET) else {
        return Ok(None);
    };
    let bucket = parse_bucket(&bucket)?;
    let fieldref_text =
        get(OFFLOAD_FIELDREF).unwrap_or_else(|| DEFAULT_OFFLOAD_FIELDREF.to_owned());
    let fieldref_text = fieldref_text.trim();
    let fieldref = DefinitePath::parse(fieldref_text)
        .map_err(|e| ConfigError::invalid(OFFLOAD_FIELDREF, fieldref_text, e.to_string()))?;
    let under_value = matches!(
        fieldref.steps(),
        [Step::Member(d), Step::Member(v), ..] if d == "detail" && v == "value"
    );
    if !under_value {
        return Err(ConfigError::invalid(
            OFFLOAD_FIELDREF,
            fieldref_text,
            "must lie at or under $.detail.value (the record value)",
        ));
    }
    let s3_endpoint_uri = get(OFFLOAD_S3_ENDPOINT_URI)
        .map(|v| parse_endpoint(OFFLOAD_S3_ENDPOINT_URI, &v))
        .transpose()?;
    let threshold_bytes = parse_int(get, OFFLOAD_THRESHOLD, 0, 0, MAX_BATCH_MAX_BYTES)?;
    let key_prefix = get(OFFLOAD_KEY_PREFIX)
        .map(|p| p.trim().to_owned())
        .unwrap_or_default();
    if key_prefix.len() > MAX_OFFLOAD_KEY_PREFIX_BYTES {
        return Err(ConfigError::invalid(
            OFFLOAD_KEY_PREFIX,
            &key_prefix,
            format!("must be at most {MAX_OFFLOAD_KEY_PREFIX_BYTES} bytes"),
        ));
    }
    Ok(Some(OffloadConfig {
        bucket,
        fieldref,
        s3_endpoint_uri,
        threshold_bytes,
        key_prefix,
    }))
}

fn parse_bucket(value: &str) -> Result<String, ConfigError> {
    let bucket = value.trim();
    let (min, max) = BUCKET_NAME_CHARS;
    let bucket_ok = (min..=max).contains(&bucket.len())
        && bucket
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-')
        && bucket.starts_with(|c: char| c.is_ascii_alphanumeric())
        && bucket.ends_with(|c: char| c.is_ascii_alphanumeric());
    if !bucket_ok {
        return Err(ConfigError::invalid(
            OFFLOAD_BUCKET,
            bucket,
            "must be an S3 bucket name: 3 to 63 characters of a-z, 0-9, '.' and '-', starting and ending with a letter or digit",
        ));
    }
    Ok(bucket.to_owned())
}

/// A Confluent-compatible schema registry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RegistryConfig {
    /// `AWS_EVENTBRIDGE_SCHEMA_REGISTRY_URL`, without a trailing `/`.
    pub(crate) url: String,
    /// `AWS_EVENTBRIDGE_SCHEMA_REGISTRY_USER_INFO`, or the secret of
    /// `AWS_EVENTBRIDGE_SCHEMA_REGISTRY_SECRET_ARN` once read at cold start.
    pub(crate) user_info: Option<Secret>,
    /// `AWS_EVENTBRIDGE_SCHEMA_REGISTRY_SECRET_ARN`.
    pub(crate) secret_arn: Option<String>,
}

/// A secret setting: never printed.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Secret(pub(crate) String);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(..)")
    }
}

fn parse_registry(
    get: &impl Fn(&str) -> Option<String>,
) -> Result<Option<RegistryConfig>, ConfigError> {
    let user_info = get(SCHEMA_REGISTRY_USER_INFO);
    let secret_arn = get(SCHEMA_REGISTRY_SECRET_ARN).map(|arn| arn.trim().to_owned());
    let Some(url) = get(SCHEMA_REGISTRY_URL) else {
        if user_info.is_some() || secret_arn.is_some() {
            return Err(ConfigError::Missing {
                var: SCHEMA_REGISTRY_URL,
                rule: "the schema registry's credentials are set (AWS_EVENTBRIDGE_SCHEMA_REGISTRY_USER_INFO or _SECRET_ARN), so its http:// or https:// URL must be set too",
            });
        }
        return Ok(None);
    };
    let url = url.trim();
    let shown = crate::error::redact_url(url);
    let host = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"));
    let parsed = reqwest::Url::parse(url).ok();
    if host.is_none_or(|h| h.is_empty() || h.starts_with('/') || h.contains(char::is_whitespace))
        || parsed.is_none()
    {
        return Err(ConfigError::invalid(
            SCHEMA_REGISTRY_URL,
            &shown,
            "must be an http:// or https:// URL of a Confluent-compatible schema registry",
        ));
    }
    // Credentials in the URL (`https://user:password@host`) become the basic auth, and the URL
    // that is kept, logged and requested has none.
    let (url, user_info) = match parsed {
        Some(mut parsed) if !parsed.username().is_empty() || parsed.password().is_some() => {
            if user_info.is_some() || secret_arn.is_some() {
                return Err(ConfigError::invalid(
                    SCHEMA_REGISTRY_URL,
                    &shown,
                    "carries user:password@, and AWS_EVENTBRIDGE_SCHEMA_REGISTRY_USER_INFO or _SECRET_ARN is set too: set one source of the registry's credentials",
                ));
            }
            let decode = |part: &str| {
                percent_encoding::percent_decode_str(part)
                    .decode_utf8_lossy()
                    .into_owned()
            };
            let info = format!(
                "{}:{}",
                decode(parsed.username()),
                decode(parsed.password().unwrap_or(""))
            );
            // Both succeed on a URL with a host (checked above); were one to fail, the
            // credentials would stay in the URL, so that case is refused.
            if parsed.set_username("").is_err() || parsed.set_password(None).is_err() {
                return Err(ConfigError::invalid(
                    SCHEMA_REGISTRY_URL,
                    &shown,
                    "carries credentials that cannot be taken out of it",
                ));
            }
            (parsed.as_str().to_owned(), Some(info))
        }
        _ => (url.to_owned(), user_info),
    };
    let url = url.as_str();
    if let Some(info) = &user_info
        && !info.contains(':')
    {
        return Err(ConfigError::Invalid {
            var: SCHEMA_REGISTRY_USER_INFO,
            value: "(hidden)".to_owned(),
            rule: "must be user:password".to_owned(),
        });
    }
    if let Some(arn) = &secret_arn {
        if user_info.is_some() {
            return Err(ConfigError::invalid(
                SCHEMA_REGISTRY_SECRET_ARN,
                arn,
                "cannot be set together with AWS_EVENTBRIDGE_SCHEMA_REGISTRY_USER_INFO: set one source of the registry's credentials",
            ));
        }
        if arn.contains(char::is_whitespace) {
            return Err(ConfigError::invalid(
                SCHEMA_REGISTRY_SECRET_ARN,
                arn,
                "must be a Secrets Manager secret ARN (arn:<partition>:secretsmanager:<region>:<account>:secret:<name>) or name",
            ));
        }
    }
    Ok(Some(RegistryConfig {
        url: url.trim_end_matches('/').to_owned(),
        user_info: user_info.map(Secret),
        secret_arn,
    }))
}

fn parse_format(
    var: &'static str,
    value: Option<String>,
    default: PayloadFormat,
) -> Result<PayloadFormat, ConfigError> {
    let choices = [
        ("string", PayloadFormat::String),
        ("json", PayloadFormat::Json),
        ("bytes", PayloadFormat::Bytes),
        ("auto", PayloadFormat::Auto),
        ("avro", PayloadFormat::Avro),
        ("json-schema", PayloadFormat::JsonSchema),
        ("protobuf", PayloadFormat::Protobuf),
        ("registry", PayloadFormat::Registry),
    ];
    parse_choice(var, value, default, &choices)
}

fn parse_int<T>(
    get: &impl Fn(&str) -> Option<String>,
    var: &'static str,
    default: T,
    min: T,
    max: T,
) -> Result<T, ConfigError>
where
    T: std::str::FromStr + PartialOrd + fmt::Display + Copy,
{
    let Some(value) = get(var) else {
        return Ok(default);
    };
    match value.trim().parse::<T>() {
        Ok(n) if n >= min && n <= max => Ok(n),
        _ => Err(ConfigError::invalid(
            var,
            &value,
            format!("must be a whole number from {min} to {max}"),
        )),
    }
}

fn parse_endpoint(var: &'static str, value: &str) -> Result<String, ConfigError> {
    let value = value.trim();
    let host = value
        .strip_prefix("https://")
        .or_else(|| value.strip_prefix("http://"));
    match host {
        Some(h)
            if !h.is_empty() && !h.starts_with('/') && !value.chars().any(char::is_whitespace) =>
        {
            Ok(value.to_owned())
        }
        _ => Err(ConfigError::invalid(
            var,
            value,
            "must be an http:// or https:// URL with a host",
        )),
    }
}

/// An AWS partition: `aws`, or `aws-` and lowercase words (`aws-cn`, `aws-us-gov`).
fn is_partition(partition: &str) -> bool {
    partition == "aws"
        || partition.strip_prefix("aws-").is_some_and(|p| {
            !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase() || b == b'-')
        })
}

/// `xx-name-N` with any number of name parts: `us-east-1`, `us-gov-west-1`, `eu-south-2`.
/// The region `var` sets, trimmed, if it is set.
fn parse_region(var: &'static str, value: Option<String>) -> Result<Option<String>, ConfigError> {
    match value {
        Some(r) if is_region(r.trim()) => Ok(Some(r.trim().to_owned())),
        Some(r) => Err(ConfigError::invalid(
            var,
            &r,
            "must be an AWS region name such as eu-west-1",
        )),
        None => Ok(None),
    }
}

fn is_region(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() >= 3
        && parts[..parts.len() - 1]
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()))
        && parts[parts.len() - 1].parse::<u8>().is_ok()
}

/// `^[A-Za-z0-9-]+\.[A-Za-z0-9-]+$`, the connector's rule for global endpoint ids.
fn is_endpoint_id(s: &str) -> bool {
    let ok = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    s.split_once('.').is_some_and(|(a, b)| ok(a) && ok(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    const ARN: &str = "arn:aws:events:us-east-1:123456789012:event-bus/b";

    fn parse(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let mut all: HashMap<String, String> = [(CONNECTOR_ID, "c1"), (EVENTBUS_ARN, ARN)]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        for (k, v) in vars {
            all.insert(k.to_string(), v.to_string());
        }
        Config::from_lookup(|name| all.get(name).cloned())
    }

    fn invalid_var(result: Result<Config, ConfigError>) -> &'static str {
        match result {
            Err(ConfigError::Invalid { var, .. }) | Err(ConfigError::Missing { var, .. }) => var,
            Ok(_) => panic!("expected an error"),
        }
    }

    #[test]
    fn defaults() {
        let c = parse(&[]).unwrap();
        assert_eq!(c.source(), "kafka-connect.c1");
        assert_eq!(c.bus_arn.as_str(), ARN);
        assert_eq!(c.region, "us-east-1");
        assert_eq!(c.resources, Vec::<String>::new());
        assert_eq!(
            c.detail_type,
            DetailTypeRule::Template("kafka-connect-${topic}".into())
        );
        assert_eq!(c.time_mapper, TimeRule::None);
        assert_eq!(c.key_format, PayloadFormat::String);
        assert_eq!(c.value_format, PayloadFormat::Json);
        assert_eq!(c.batch_max_bytes, 1_048_575);
        assert_eq!(c.max_inflight.get(), 8);
        assert!(c.adaptive_concurrency);
        assert_eq!(c.retries_max, 2);
        assert_eq!(c.retries_delay, Duration::from_millis(200));
        assert_eq!(c.failure_mode, FailureMode::Partial);
        assert_eq!(c.call_timeout, Duration::from_secs(5));
        assert_eq!(c.endpoint_uri, None);
        assert_eq!(c.global_endpoint_id, None);
    }

    #[test]
    fn required_variables() {
        let r = Config::from_lookup(|_| None);
        assert_eq!(invalid_var(r), CONNECTOR_ID);
        let r = Config::from_lookup(|n| (n == CONNECTOR_ID).then(|| "  ".to_string()));
        assert_eq!(invalid_var(r), CONNECTOR_ID);
        let r = Config::from_lookup(|n| (n == CONNECTOR_ID).then(|| "c".to_string()));
        assert_eq!(invalid_var(r), EVENTBUS_ARN);
    }

    const V2_ARN: &str =
        "arn:aws:events:eu-west-1:123456789012:event-busv2/orders/abcdefghij0123456789klmno";

    #[test]
    fn custom_event_bus_arns_and_defaults() {
        let c = parse(&[(EVENTBUS_ARN, V2_ARN)]).unwrap();
        assert_eq!(c.bus_arn.kind(), BusKind::V2);
        assert_eq!(c.region, "eu-west-1");
        assert_eq!(c.batch_max_entries, 100);
        assert_eq!(
            c.ordering,
            Some(Ordering {
                event_group: EventGroup::Partition,
                deduplication: Deduplication::Offset
            })
        );
        let classic = parse(&[]).unwrap();
        assert_eq!(classic.bus_arn.kind(), BusKind::Classic);
        assert_eq!((classic.batch_max_entries, classic.ordering), (10, None));
        let c = parse(&[
            (EVENTBUS_ARN, V2_ARN),
            (EVENT_GROUP, "key"),
            (DEDUPLICATION, "content"),
            (BATCH_MAX_ENTRIES, "25"),
        ])
        .unwrap();
        assert_eq!(c.batch_max_entries, 25);
        assert_eq!(
            c.ordering,
            Some(Ordering {
                event_group: EventGroup::Key,
                deduplication: Deduplication::Content
            })
        );
        for bad in [
            "arn:aws:events:eu-west-1:123456789012:event-busv2/orders",
            "arn:aws:events:eu-west-1:123456789012:event-busv2/orders/ABCDEFGHIJ0123456789KLMNO",
            "arn:aws:events:eu-west-1:123456789012:event-busv2/orders/short",
            "arn:aws:events:eu-west-1:123456789012:event-busv2/-x/abcdefghij0123456789klmno",
        ] {
            let err = parse(&[(EVENTBUS_ARN, bad)]).unwrap_err().to_string();
            assert!(err.contains("event-bus/<name>"), "{err}");
            assert!(
                err.contains("event-busv2/<name>/<25-character id>"),
                "{err}"
            );
        }
    }

    #[test]
    fn bus_kind_settings_are_checked_against_the_bus() {
        for var in [EVENT_GROUP, DEDUPLICATION] {
            let err = parse(&[(var, "none")]).unwrap_err();
            assert_eq!(invalid_var(Err(err)), var);
        }
        assert_eq!(
            invalid_var(parse(&[(BATCH_MAX_ENTRIES, "11")])),
            BATCH_MAX_ENTRIES
        );
        assert_eq!(
            parse(&[(BATCH_MAX_ENTRIES, "10")])
                .unwrap()
                .batch_max_entries,
            10
        );
        assert_eq!(
            invalid_var(parse(&[(EVENTBUS_ARN, V2_ARN), (BATCH_MAX_ENTRIES, "101")])),
            BATCH_MAX_ENTRIES
        );
        assert_eq!(
            invalid_var(parse(&[(EVENTBUS_ARN, V2_ARN), (BATCH_MAX_ENTRIES, "0")])),
            BATCH_MAX_ENTRIES
        );
        assert_eq!(
            invalid_var(parse(&[(EVENTBUS_ARN, V2_ARN), (EVENT_GROUP, "topic")])),
            EVENT_GROUP
        );
        assert_eq!(
            invalid_var(parse(&[(EVENTBUS_ARN, V2_ARN), (DEDUPLICATION, "key")])),
            DEDUPLICATION
        );
        assert_eq!(
            invalid_var(parse(&[
                (EVENTBUS_ARN, V2_ARN),
                (GLOBAL_ENDPOINT_ID, "abc.xyz")
            ])),
            GLOBAL_ENDPOINT_ID
        );
    }

    #[test]
    fn bus_arn_rules() {
        let ok = [
            "arn:aws:events:eu-central-1:123456789101:event-bus/default",
            "arn:aws-us-gov:events:us-gov-west-1:123456789101:event-bus/default",
            "arn:aws-cn:events:cn-north-1:123456789101:event-bus/a/b",
        ];
        for arn in ok {
            let c = parse(&[(EVENTBUS_ARN, arn)]).unwrap();
            assert_eq!(c.bus_arn.as_str(), arn);
        }
        let c = parse(&[(EVENTBUS_ARN, ok[1])]).unwrap();
        assert_eq!(c.bus_arn.partition(), "aws-us-gov");
        assert_eq!(c.region, "us-gov-west-1");
        let bad = [
            "arn:aws:events:eu-central-1:123456789101:event-bus/",
            "arn:aws:sqs:eu-central-1:123456789101:event-bus/x",
            "arn:aws:events:eu-central-1:12345678910:event-bus/x",
            "arn:aws:events:central:123456789101:event-bus/x",
            "arn:gcp:events:eu-central-1:123456789101:event-bus/x",
            "arn:aws:events:eu-central-1:123456789101:rule/x",
            "something",
        ];
        for arn in bad {
            let err = parse(&[(EVENTBUS_ARN, arn)]).unwrap_err();
            assert!(
                matches!(
                    err,
                    ConfigError::Invalid {
                        var: EVENTBUS_ARN,
                        ..
                    }
                ),
                "{arn}: {err}"
            );
            assert!(
                err.to_string().contains(arn),
                "message names the value: {err}"
            );
        }
    }

    #[test]
    fn region_override_and_endpoint() {
        let c = parse(&[
            (REGION, "eu-west-1"),
            (ENDPOINT_URI, "http://127.0.0.1:5000"),
        ])
        .unwrap();
        assert_eq!(c.region, "eu-west-1");
        assert_eq!(c.endpoint_uri.as_deref(), Some("http://127.0.0.1:5000"));
        assert_eq!(invalid_var(parse(&[(REGION, "invalid region")])), REGION);
        assert_eq!(
            invalid_var(parse(&[(ENDPOINT_URI, "127.0.0.1:5000")])),
            ENDPOINT_URI
        );
    }

    #[test]
    fn global_endpoint_id_rules() {
        let c = parse(&[(GLOBAL_ENDPOINT_ID, "abcde.veo")]).unwrap();
        assert_eq!(c.global_endpoint_id.as_deref(), Some("abcde.veo"));
        for bad in ["abcendpoint", "abc.def.xyz", ".x", "a_b.c"] {
            assert_eq!(
                invalid_var(parse(&[(GLOBAL_ENDPOINT_ID, bad)])),
                GLOBAL_ENDPOINT_ID,
                "{bad}"
            );
        }
    }

    #[test]
    fn resources_are_trimmed() {
        let c = parse(&[(RESOURCES, " r1, r2 ,,")]).unwrap();
        assert_eq!(c.resources, vec!["r1", "r2"]);
    }

    #[test]
    fn detail_type_rules() {
        let c = parse(&[(DETAIL_TYPES, "x-${topic}")]).unwrap();
        assert_eq!(c.detail_type, DetailTypeRule::Template("x-${topic}".into()));
        let c = parse(&[(DETAIL_TYPES, "my detail type")]).unwrap();
        assert_eq!(
            c.detail_type,
            DetailTypeRule::Template("my detail type".into())
        );
        let c = parse(&[(DETAIL_TYPES, "orders:com.ex.Order.v1, users:com.ex.User.v1")]).unwrap();
        let DetailTypeRule::PerTopic(map) = c.detail_type else {
            panic!("map mode")
        };
        assert_eq!(map["orders"], "com.ex.Order.v1");
        assert_eq!(map["users"], "com.ex.User.v1");
        let c = parse(&[(DETAIL_TYPES, "orders:Order")]).unwrap();
        assert!(matches!(c.detail_type, DetailTypeRule::PerTopic(_)));
        // A detail-type may itself hold a colon; only the first one separates the topic.
        let c = parse(&[(DETAIL_TYPES, "a:b:c")]).unwrap();
        let DetailTypeRule::PerTopic(map) = c.detail_type else {
            panic!("map mode")
        };
        assert_eq!(map["a"], "b:c");
        for bad in [
            "kafka-connect:test,something,else",
            "a:",
            ":b",
            "a:b,a:c",
            "a b:c,d:e",
        ] {
            assert_eq!(
                invalid_var(parse(&[(DETAIL_TYPES, bad)])),
                DETAIL_TYPES,
                "{bad}"
            );
        }
    }

    #[test]
    fn jsonpath_detail_type() {
        let c = parse(&[
            (DETAIL_TYPES_MAPPER, "jsonpath"),
            (DETAIL_TYPES_FIELDREF, "$.meta.type"),
        ])
        .unwrap();
        assert!(matches!(c.detail_type, DetailTypeRule::JsonPath(_)));
        assert_eq!(
            invalid_var(parse(&[(DETAIL_TYPES_MAPPER, "jsonpath")])),
            DETAIL_TYPES_FIELDREF
        );
        for bad in ["$..type", "$.a[*]", "not a path", "$.a[?@.b]"] {
            let r = parse(&[
                (DETAIL_TYPES_MAPPER, "jsonpath"),
                (DETAIL_TYPES_FIELDREF, bad),
            ]);
            assert_eq!(invalid_var(r), DETAIL_TYPES_FIELDREF, "{bad}");
        }
        assert_eq!(
            invalid_var(parse(&[(DETAIL_TYPES_MAPPER, "class")])),
            DETAIL_TYPES_MAPPER
        );
    }

    #[test]
    fn schema_registry_settings() {
        let c = parse(&[]).unwrap();
        assert_eq!(
            (c.registry.is_none(), c.esm_format),
            (true, EsmRecordFormat::Auto)
        );
        // Records may name schemas (framing, the event source mapping's metadata) whatever the
        // formats: the cache is always there, and a missing registry is a record's reason.
        assert!(c.decoders().schemas.is_some());
        assert_eq!(c.glue_region, "us-east-1");
        // The avro, protobuf and registry formats need no URL: Glue-framed data needs none.
        for (var, format) in [(VALUE_FORMAT, "avro"), (KEY_FORMAT, "registry")] {
            let c = parse(&[(var, format)]).unwrap();
            assert!(c.registry.is_none());
        }
        // The Glue region: the variable, else the function's region, else the bus's.
        assert_eq!(
            parse(&[("AWS_REGION", "eu-west-1")]).unwrap().glue_region,
            "eu-west-1"
        );
        let c = parse(&[
            ("AWS_REGION", "eu-west-1"),
            (SCHEMA_REGISTRY_GLUE_REGION, " ap-south-2 "),
        ])
        .unwrap();
        assert_eq!(
            (c.glue_region.as_str(), c.function_region.as_str()),
            ("ap-south-2", "eu-west-1")
        );
        assert_eq!(
            invalid_var(parse(&[(SCHEMA_REGISTRY_GLUE_REGION, "Europe")])),
            SCHEMA_REGISTRY_GLUE_REGION
        );
        // json-schema needs no schema to read JSON.
        assert_eq!(
            parse(&[(VALUE_FORMAT, "json-schema")])
                .unwrap()
                .value_format,
            PayloadFormat::JsonSchema
        );
        let c = parse(&[
            (KEY_FORMAT, "avro"),
            (SCHEMA_REGISTRY_URL, " https://registry.example.com:8081/ "),
            (SCHEMA_REGISTRY_USER_INFO, "svc:p@ss:word"),
            (ESM_RECORD_FORMAT, "source"),
        ])
        .unwrap();
        let registry = c.registry.clone().unwrap();
        assert_eq!(registry.url, "https://registry.example.com:8081");
        assert_eq!(registry.user_info.as_ref().unwrap().0, "svc:p@ss:word");
        assert!(
            !format!("{c:?}").contains("p@ss"),
            "the password is never printed"
        );
        assert_eq!(
            (c.key_format, c.esm_format),
            (PayloadFormat::Avro, EsmRecordFormat::Source)
        );
        assert!(c.decoders().schemas.is_some());
        for bad in [
            "registry:8081",
            "ftp://r",
            "https://",
            "http:///x",
            "https://a b",
        ] {
            let r = parse(&[(SCHEMA_REGISTRY_URL, bad)]);
            assert_eq!(invalid_var(r), SCHEMA_REGISTRY_URL, "{bad}");
        }
        // Credentials in the URL become the basic auth; the URL kept has none.
        let c = parse(&[(
            SCHEMA_REGISTRY_URL,
            "https://svc:p%40ss@registry.example.com:8081/",
        )])
        .unwrap();
        let registry = c.registry.clone().unwrap();
        assert_eq!(registry.url, "https://registry.example.com:8081");
        assert_eq!(registry.user_info.as_ref().unwrap().0, "svc:p@ss");
        assert!(!format!("{c:?} {:?}", c.decoders()).contains("p%40ss"));
        let err = parse(&[
            (SCHEMA_REGISTRY_URL, "https://svc:hunter2@r"),
            (SCHEMA_REGISTRY_USER_INFO, "a:b"),
        ])
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("https://***@r") && !err.contains("hunter2"),
            "{err}"
        );
        let err = parse(&[(SCHEMA_REGISTRY_URL, "ftp://svc:hunter2@r")])
            .unwrap_err()
            .to_string();
        assert!(!err.contains("hunter2"), "{err}");
        let err = parse(&[
            (SCHEMA_REGISTRY_URL, "http://r"),
            (SCHEMA_REGISTRY_USER_INFO, "secret"),
        ])
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "`AWS_EVENTBRIDGE_SCHEMA_REGISTRY_USER_INFO`=\"(hidden)\" is invalid: must be user:password"
        );
        for credentials in [SCHEMA_REGISTRY_USER_INFO, SCHEMA_REGISTRY_SECRET_ARN] {
            assert!(matches!(
                parse(&[(credentials, "a:b")]).unwrap_err(),
                ConfigError::Missing {
                    var: SCHEMA_REGISTRY_URL,
                    ..
                }
            ));
        }
        // Credentials from Secrets Manager: one source only, read at cold start.
        let secret = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:registry-AbCdEf";
        let c = parse(&[
            (SCHEMA_REGISTRY_URL, "http://r"),
            (SCHEMA_REGISTRY_SECRET_ARN, secret),
        ])
        .unwrap();
        let registry = c.registry.unwrap();
        assert_eq!(
            (registry.secret_arn.as_deref(), registry.user_info),
            (Some(secret), None)
        );
        let err = parse(&[
            (SCHEMA_REGISTRY_URL, "http://r"),
            (SCHEMA_REGISTRY_SECRET_ARN, secret),
            (SCHEMA_REGISTRY_USER_INFO, "a:b"),
        ])
        .unwrap_err();
        assert_eq!(invalid_var(Err(err)), SCHEMA_REGISTRY_SECRET_ARN);
        assert_eq!(
            invalid_var(parse(&[
                (SCHEMA_REGISTRY_URL, "http://r"),
                (SCHEMA_REGISTRY_SECRET_ARN, "my secret"),
            ])),
            SCHEMA_REGISTRY_SECRET_ARN
        );
        assert_eq!(
            invalid_var(parse(&[(ESM_RECORD_FORMAT, "SOURCE")])),
            ESM_RECORD_FORMAT
        );
    }

    #[test]
    fn numeric_ranges() {
        for (var, bad) in [
            (RETRIES_MAX, "-1"),
            (RETRIES_MAX, "11"),
            (RETRIES_MAX, "two"),
            (MAX_INFLIGHT, "0"),
            (MAX_INFLIGHT, "101"),
            (BATCH_MAX_BYTES, "0"),
            (BATCH_MAX_BYTES, "1048577"),
            (RETRIES_DELAY, "-5"),
            (RETRIES_DELAY, "60001"),
            (CALL_TIMEOUT_MS, "49"),
            (CALL_TIMEOUT_MS, "60001"),
        ] {
            let err = parse(&[(var, bad)]).unwrap_err();
            assert!(
                matches!(&err, ConfigError::Invalid { var: v, .. } if *v == var),
                "{var}={bad}: {err}"
            );
            assert!(
                err.to_string().contains("must be a whole number from"),
                "{err}"
            );
        }
        let c = parse(&[
            (RETRIES_MAX, "10"),
            (MAX_INFLIGHT, "1"),
            (BATCH_MAX_BYTES, "262144"),
            (RETRIES_DELAY, "0"),
        ])
        .unwrap();
        assert_eq!(
            (c.retries_max, c.max_inflight.get(), c.batch_max_bytes),
            (10, 1, 262_144)
        );
        assert_eq!(c.retries_delay, Duration::ZERO);
    }

    #[test]
    fn named_choices() {
        let c = parse(&[
            (TIME_MAPPER, "record-timestamp"),
            (KEY_FORMAT, "bytes"),
            (VALUE_FORMAT, "auto"),
            (BATCH_FAILURE_MODE, "fail-invocation"),
        ])
        .unwrap();
        assert_eq!(c.time_mapper, TimeRule::RecordTimestamp);
        assert_eq!(c.key_format, PayloadFormat::Bytes);
        assert_eq!(c.value_format, PayloadFormat::Auto);
        assert_eq!(c.failure_mode, FailureMode::FailInvocation);
        for var in [TIME_MAPPER, KEY_FORMAT, VALUE_FORMAT, BATCH_FAILURE_MODE] {
            assert_eq!(invalid_var(parse(&[(var, "nonsense")])), var);
        }
    }

    #[test]
    fn offloading_is_off_without_a_bucket() {
        assert_eq!(
            parse(&[(OFFLOAD_FIELDREF, "$.detail.value.x")])
                .unwrap()
                .offload,
            None
        );
    }

    #[test]
    fn offloading_defaults() {
        let o = parse(&[(OFFLOAD_BUCKET, "my-bucket")])
            .unwrap()
            .offload
            .unwrap();
        assert_eq!(o.bucket, "my-bucket");
        assert_eq!(o.fieldref.as_str(), "$.detail.value");
        assert!(o.value_steps().is_empty());
        assert_eq!(
            (
                o.threshold_bytes,
                o.key_prefix.as_str(),
                o.s3_endpoint_uri.as_deref()
            ),
            (0, "", None)
        );
        let o = parse(&[
            (OFFLOAD_BUCKET, "test"),
            (OFFLOAD_FIELDREF, "$.detail.value.message"),
            (OFFLOAD_S3_ENDPOINT_URI, "http://127.0.0.1:9000"),
            (OFFLOAD_THRESHOLD, "262144"),
            (OFFLOAD_KEY_PREFIX, "kafka/"),
        ])
        .unwrap()
        .offload
        .unwrap();
        assert_eq!(
            o.value_steps(),
            &[crate::path::Step::Member("message".into())]
        );
        assert_eq!(o.s3_endpoint_uri.as_deref(), Some("http://127.0.0.1:9000"));
        assert_eq!(
            (o.threshold_bytes, o.key_prefix.as_str()),
            (262_144, "kafka/")
        );
    }

    #[test]
    fn offload_bucket_rules() {
        for ok in ["test", "a.b-c", "123", &"a".repeat(63)] {
            assert!(parse(&[(OFFLOAD_BUCKET, ok)]).is_ok(), "{ok}");
        }
        for bad in ["s3", "s 3", "-s3", "s3-", "Upper", "a_b", &"a".repeat(64)] {
            let err = parse(&[(OFFLOAD_BUCKET, bad)]).unwrap_err();
            assert_eq!(invalid_var(Err(err.clone())), OFFLOAD_BUCKET, "{bad}");
            assert!(
                err.to_string().contains("must be an S3 bucket name"),
                "{err}"
            );
        }
    }

    #[test]
    fn offload_fieldref_rules() {
        let fieldref = |f: &str| parse(&[(OFFLOAD_BUCKET, "test"), (OFFLOAD_FIELDREF, f)]);
        for ok in [
            "$.detail.value",
            "$.detail.value.test",
            "$.detail.value.orderItems",
            "$.detail.value.a[0]",
            "$.detail.value.non-existing-key",
        ] {
            assert!(fieldref(ok).is_ok(), "{ok}");
        }
        for (bad, rule) in [
            ("$", "must lie at or under $.detail.value"),
            ("$.detail", "must lie at or under $.detail.value"),
            ("$.other", "must lie at or under $.detail.value"),
            ("$.detail.valueX", "must lie at or under $.detail.value"),
            ("$.detail.value[*]", "must be a definite JSONPath"),
            (
                "$.detail.value.orderItems[*]",
                "must be a definite JSONPath",
            ),
            ("$..value", "must be a definite JSONPath"),
            ("$.detail.value[?@.a]", "must be a definite JSONPath"),
            ("$.detail.value[0:1]", "must be a definite JSONPath"),
            ("$.detail.value['a','b']", "must be a definite JSONPath"),
            ("$.detail..", "not a valid JSONPath"),
            ("detail.value", "not a valid JSONPath"),
        ] {
            let err = fieldref(bad).unwrap_err();
            assert!(
                matches!(
                    &err,
                    ConfigError::Invalid {
                        var: OFFLOAD_FIELDREF,
                        ..
                    }
                ),
                "{bad}: {err}"
            );
            assert!(err.to_string().contains(rule), "{bad}: {err}");
        }
    }

    #[test]
    fn offload_threshold_and_prefix_rules() {
        let with = |k: &'static str, v: &str| parse(&[(OFFLOAD_BUCKET, "test"), (k, v)]);
        assert_eq!(
            invalid_var(with(OFFLOAD_THRESHOLD, "-1")),
            OFFLOAD_THRESHOLD
        );
        assert_eq!(
            invalid_var(with(OFFLOAD_THRESHOLD, "1048577")),
            OFFLOAD_THRESHOLD
        );
        assert_eq!(
            invalid_var(with(OFFLOAD_KEY_PREFIX, &"p".repeat(989))),
            OFFLOAD_KEY_PREFIX
        );
        assert_eq!(
            invalid_var(with(OFFLOAD_S3_ENDPOINT_URI, "localhost:9000")),
            OFFLOAD_S3_ENDPOINT_URI
        );
    }

    #[test]
    fn credentials_rules() {
        assert_eq!(
            parse(&[]).unwrap().credentials,
            CredentialsConfig::default()
        );
        for arn in [
            "arn:aws:iam::123456789101:role/x",
            "arn:aws-us-gov:iam::123456789101:role/path/x",
            "arn:aws-cn:iam::123456789101:role/x",
        ] {
            let c = parse(&[(IAM_ROLE_ARN, arn), (IAM_EXTERNAL_ID, "ext-id_1")])
                .unwrap()
                .credentials;
            assert_eq!(c.role_arn.as_deref(), Some(arn));
            assert_eq!(c.external_id.as_deref(), Some("ext-id_1"));
        }
        for bad in [
            "arn:aws:iam::12345:role/x",
            "arn:aws:iam::123456789101:user/x",
            "arn:aws:iam::123456789101:role/",
            "role",
        ] {
            assert_eq!(
                invalid_var(parse(&[(IAM_ROLE_ARN, bad)])),
                IAM_ROLE_ARN,
                "{bad}"
            );
        }
        assert_eq!(
            invalid_var(parse(&[(IAM_EXTERNAL_ID, "abc")])),
            IAM_EXTERNAL_ID,
            "needs a role"
        );
        let role = (IAM_ROLE_ARN, "arn:aws:iam::123456789101:role/x");
        assert_eq!(
            invalid_var(parse(&[role, (IAM_EXTERNAL_ID, "a")])),
            IAM_EXTERNAL_ID,
            "too short"
        );
        assert_eq!(
            invalid_var(parse(&[role, (IAM_EXTERNAL_ID, "a b")])),
            IAM_EXTERNAL_ID
        );
    }

    #[test]
    fn a_profile_is_rejected_when_standard_credentials_are_set() {
        let c = parse(&[(IAM_PROFILE_NAME, "dev")]).unwrap().credentials;
        assert_eq!(c.profile_name.as_deref(), Some("dev"));
        let err = parse(&[
            (IAM_PROFILE_NAME, "dev"),
            ("AWS_ACCESS_KEY_ID", "AKID"),
            ("AWS_PROFILE", "x"),
        ])
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "`AWS_EVENTBRIDGE_IAM_PROFILE_NAME`=\"dev\" is invalid: cannot take effect while AWS_PROFILE, AWS_ACCESS_KEY_ID are set; unset them to use the profile"
        );
        let err = parse(&[(IAM_PROFILE_NAME, "dev"), ("AWS_SESSION_TOKEN", "t")]).unwrap_err();
        assert!(
            err.to_string().contains("while AWS_SESSION_TOKEN is set"),
            "{err}"
        );
    }

    #[test]
    fn message_names_variable_value_and_rule() {
        let err = parse(&[(RETRIES_MAX, "11")]).unwrap_err().to_string();
        assert_eq!(
            err,
            "`AWS_EVENTBRIDGE_RETRIES_MAX`=\"11\" is invalid: must be a whole number from 0 to 10"
        );
    }

    #[test]
    fn unknown_variables_are_named_with_the_closest_known_one() {
        let names = [
            "AWS_EVENTBRIDGE_RETRY_MAX",
            "AWS_EVENTBRIDGE_RETRIES_MAX",
            "AWS_EVENTBRIDGE_EVENTBUS_ARM",
            "AWS_REGION",
            "AWS_EVENTBRIDGE_IAM_PROFILE_NAME",
        ]
        .map(String::from);
        assert_eq!(
            unknown_vars(names),
            vec![
                UnknownVar {
                    name: "AWS_EVENTBRIDGE_RETRY_MAX".into(),
                    closest: RETRIES_MAX,
                },
                UnknownVar {
                    name: "AWS_EVENTBRIDGE_EVENTBUS_ARM".into(),
                    closest: EVENTBUS_ARN,
                },
            ]
        );
    }

    #[test]
    fn every_variable_constant_is_known() {
        let source = include_str!("../vars.rs");
        let declared = source
            .lines()
            .filter(|l| l.starts_with("pub const ") && l.contains(": &str = \"AWS_EVENTBRIDGE_"))
            .filter(|l| !l.contains(&format!("\"{VAR_PREFIX}\";")))
            .count();
        assert_eq!(declared, KNOWN_VARS.len());
    }

    #[test]
    fn metrics_settings() {
        let c = parse(&[]).unwrap();
        assert_eq!(c.metrics, MetricsConfig::default());
        assert!(c.metrics.enabled && !c.metrics.per_topic);
        assert_eq!(c.metrics.namespace, "KafkaEventBridge");
        let c = parse(&[
            (METRICS, "off"),
            (METRICS_NAMESPACE, "Team/Kafka Orders"),
            (METRICS_TOPIC_DIMENSION, "true"),
        ])
        .unwrap();
        assert!(!c.metrics.enabled && c.metrics.per_topic);
        assert_eq!(c.metrics.namespace, "Team/Kafka Orders");
        assert_eq!(
            parse(&[(METRICS, "csv")]).unwrap_err().to_string(),
            "`AWS_EVENTBRIDGE_METRICS`=\"csv\" is invalid: must be emf or off"
        );
        assert_eq!(
            invalid_var(parse(&[(METRICS_NAMESPACE, "AWS/Lambda")])),
            METRICS_NAMESPACE
        );
        assert_eq!(
            invalid_var(parse(&[(METRICS_NAMESPACE, "a;b")])),
            METRICS_NAMESPACE
        );
        let long = "n".repeat(256);
        assert_eq!(
            invalid_var(parse(&[(METRICS_NAMESPACE, &long)])),
            METRICS_NAMESPACE
        );
        let flag = parse(&[(METRICS_TOPIC_DIMENSION, "yes")]);
        assert_eq!(invalid_var(flag), METRICS_TOPIC_DIMENSION);
    }
}
