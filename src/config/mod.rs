//! Stage 0: configuration.
//!
//! Every setting is read once at cold start from the environment, with the names of the
//! eventbridge-kafka-connector's properties upper-cased and with dots turned into underscores
//! (`aws.eventbridge.connector.id` → `AWS_EVENTBRIDGE_CONNECTOR_ID`). Parsing produces a typed,
//! validated [`Config`]; a bad value produces a [`ConfigError`] that names the variable, the
//! value and the rule it broke, so that the function fails its cold start instead of its first
//! record.

use std::num::NonZeroUsize;
use std::sync::Arc;
use std::time::Duration;

use crate::decode::registry::{
    ConfluentRegistry, Registries, RegistryDecoder, RegistryFormat, Schemas,
};
use crate::decode::{Decoders, PayloadDecoder, PayloadFormat};
use crate::filter::Filter;
use crate::map::{DetailTypeRule, Mapper, SystemMetadataRule, TimeRule};
use crate::metrics::MetricsConfig;
use crate::offload::{OffloadConfig, Offloader};
use crate::retry::CallPolicy;
pub(crate) use crate::vars::*;

mod bus;
mod credentials;
mod decode;
mod defaults;
mod error;
mod map;
mod offload;
mod parse;
mod reference;
mod region;
mod send;

pub(crate) use crate::map::{Deduplication, Ordering};
pub(crate) use crate::report::FailureMode;
pub(crate) use bus::{BusArn, BusKind};
pub(crate) use credentials::CredentialsConfig;
pub(crate) use decode::Secret;
pub(crate) use defaults::*;
pub use error::ConfigError;
pub use reference::{config_json, config_markdown};

use reference::unknown_vars;

use bus::*;
use credentials::*;
use decode::*;
use map::*;
use offload::*;
use send::*;

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
    /// `AWS_EVENTBRIDGE_FILTER_PATTERNS`, when set.
    pub(crate) filter: Option<Filter>,
    /// The decode settings: formats, registries, regions, the ESM record format.
    pub(crate) decode: DecodeSettings,
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
    /// `AWS_EVENTBRIDGE_OFFLOADING_DEFAULT_FIELDREF` set without a bucket: valid, and unused.
    pub(crate) unused_offload_fieldref: Option<crate::path::DefinitePath>,
    /// `AWS_EVENTBRIDGE_METRICS*`: the operator metrics.
    pub(crate) metrics: MetricsConfig,
    /// `AWS_EVENTBRIDGE_IAM_*`: where credentials come from.
    pub(crate) credentials: CredentialsConfig,
}

impl Config {
    /// Reads the configuration from the process environment, and logs a WARN for each
    /// `AWS_EVENTBRIDGE_*` variable that is not in the reference (`SETTINGS`), with the closest known
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
        let detail_type = parse_detail_type(&get)?;
        let time_mapper = parse_time_rule(&get)?;
        let filter = parse_filter(get(FILTER_PATTERNS))?;
        let decode = parse_decode(&get, &bus.region)?;
        let sending = parse_sending(&get)?;
        let (batch_max_entries, ordering) = parse_bus_kind_settings(&get, &bus)?;
        let offload = parse_offload(&get)?;
        Ok(Self {
            connector_id: bus.connector_id,
            bus_arn: bus.bus_arn,
            region: bus.region,
            endpoint_uri: bus.endpoint_uri,
            global_endpoint_id: bus.global_endpoint_id,
            resources,
            detail_type,
            time_mapper,
            filter,
            decode,
            batch_max_bytes: sending.batch_max_bytes,
            batch_max_entries,
            ordering,
            max_inflight: sending.max_inflight,
            adaptive_concurrency: sending.adaptive_concurrency,
            retries_max: sending.retries_max,
            retries_delay: sending.retries_delay,
            call_timeout: sending.call_timeout,
            failure_mode: parse_failure_mode(get(BATCH_FAILURE_MODE))?,
            offload: offload.config,
            unused_offload_fieldref: offload.unused_fieldref,
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
        &self.decode.glue_region
    }

    /// The decoders of the configured key and value formats, with the configured
    /// Confluent-compatible registry and no AWS Glue Schema Registry (a pipeline built with
    /// [`aws`](crate::PipelineBuilder::aws) has one).
    pub fn decoders(&self) -> Decoders {
        self.decoders_with(Registries::new())
    }

    /// The decoders of the configured key and value formats, reading schemas from
    /// `registries` and from the configured Confluent-compatible registry.
    pub fn decoders_with(&self, registries: Registries) -> Decoders {
        self.decoders_with_auth(registries, None)
    }

    /// [`decoders_with`](Self::decoders_with), the Confluent-compatible registry signing in
    /// with `user_info` (read from Secrets Manager) in place of the configured one.
    pub(crate) fn decoders_with_auth(
        &self,
        mut registries: Registries,
        user_info: Option<&Secret>,
    ) -> Decoders {
        if let Some(registry) = &self.decode.registry {
            registries = registries.confluent(ConfluentRegistry::new(
                &registry.url,
                user_info
                    .or(registry.user_info.as_ref())
                    .map(|s| s.0.as_str()),
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
                PayloadFormat::String
                | PayloadFormat::Json
                | PayloadFormat::ConnectJson
                | PayloadFormat::Bytes
                | PayloadFormat::Auto => Box::new(format),
            }
        };
        Decoders {
            key: decoder(self.decode.key_format),
            value: decoder(self.decode.value_format),
            esm_format: self.decode.esm_format,
            schemas,
        }
    }

    /// `AWS_EVENTBRIDGE_DETAIL_TYPES_MAPPER` and its settings: the configured detail-type rule
    /// (a plug-in [`DetailTypeMapper`](crate::DetailTypeMapper) may fall back on it).
    pub fn detail_type_rule(&self) -> &DetailTypeRule {
        &self.detail_type
    }

    /// `AWS_EVENTBRIDGE_TIME_MAPPER`: the configured time rule.
    pub fn time_rule(&self) -> &TimeRule {
        &self.time_mapper
    }

    /// `AWS_EVENTBRIDGE_FILTER_PATTERNS`: the filter, when patterns are set.
    pub fn filter(&self) -> Option<&Filter> {
        self.filter.as_ref()
    }

    /// The mapper of the configured source, resources, detail-type and time rules.
    pub fn mapper(&self) -> Mapper {
        let mapper = Mapper::new(
            &self.source(),
            &self.resources,
            self.detail_type.clone(),
            self.time_mapper.clone(),
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
            schema_registry = self.decode.registry.as_ref().map_or("-", |r| r.url.as_str()),
            schema_registry_auth = self.decode.registry.as_ref().map_or("-", |r| match (&r.secret_arn, &r.user_info) {
                (Some(_), _) => "secret",
                (None, Some(_)) => "user-info",
                (None, None) => "none",
            }),
            glue_region = %self.decode.glue_region,
            esm_record_format = ?self.decode.esm_format,
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
        if let Some(fieldref) = &self.unused_offload_fieldref {
            tracing::warn!(
                variable = OFFLOAD_FIELDREF,
                fieldref = %fieldref,
                "Offloading is off: a field path is set without {OFFLOAD_BUCKET}, so nothing is offloaded."
            );
        }
    }
}

// The configuration never allows a byte cap above what one PutEvents call carries.
const _: () = assert!(MAX_BATCH_MAX_BYTES <= crate::bus::classic::PUT_EVENTS_MAX_BYTES);

#[cfg(test)]
mod mapping_tests;
#[cfg(test)]
mod tests;
