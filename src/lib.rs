//! kafka-eventbridge-lambda: an AWS Lambda function that a Kafka event source mapping (Amazon MSK
//! or self-managed Kafka) invokes with batches of records. Each record becomes an Amazon
//! EventBridge event shaped exactly like the eventbridge-kafka-connector's; the events are sent
//! with `PutEvents`, and every record that was not delivered is returned in
//! `batchItemFailures`.
//!
//! The data flows through one module per stage, joined in [`Pipeline`]:
//! config → decode → map → offload → batch → send → report. An invocation runs in two phases:
//! [`Pipeline::prepare`] (decode, map, plan the claim check and the calls; pure) and
//! [`Pipeline::deliver`] (upload, then send). The seams are traits: [`EventBus`] (the classic
//! EventBridge bus is [`EventBridgeBus`], the ordered Custom Event Bus `EventBridgeV2Bus`, and
//! [`AwsBus`] the one the configured ARN names), [`BlobStore`] ([`S3Store`]), `PayloadDecoder`,
//! [`DetailTypeMapper`], [`TimeMapper`] and [`ObjectKeys`]. Every remote call goes through one retry engine, and every call that did not
//! succeed is a `CallFailure`.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
//! let start = kafka_eventbridge_lambda::cold_start().await?;
//! let pipeline = start.pipeline().build();
//! # let _ = pipeline; Ok(()) }
//! ```

mod aws;
mod batch;
mod bus;
mod concurrency;
mod config;
mod decode;
mod error;
mod filter;
#[cfg(test)]
mod fuzz_replay;
mod json;
mod map;
mod metrics;
mod migrate;
mod offload;
mod path;
mod pipeline;
mod report;
mod retry;
mod sdk;
mod send;
mod store;
mod vars;

// The function: its cold start, configuration, pipeline, and what an invocation returns.
pub use aws::{
    CheckStatus, ColdStart, ColdStartError, CredentialsError, PreflightCheck, PreflightOptions,
    PreflightReport, SecretError, assume_role, check_credentials, cold_start, offline_config,
    preflight, preflight_from_env,
};
pub use config::{Config, ConfigError, config_json, config_markdown};
pub use decode::KafkaEvent;
pub use error::ErrorChain;
pub use filter::{Filter, PatternError};
pub use metrics::emf_documents;
pub use migrate::{MigrateOptions, Migration, OutputFormat, migrate, migrate_from};
pub use pipeline::render::Rendering;
pub use pipeline::{Answer, Pipeline, PipelineBuilder, Preflight, deadline_from};
pub use report::{BatchResponse, Failure, FailureClass, Invocation, InvocationError};

// The seams a caller plugs parts into: a bus, an object store and its keys, mappers, a schema
// source.
pub use bus::classic::{EventBridgeBus, PUT_EVENTS_LIMITS, entry_size as put_events_entry_size};
pub use bus::{AwsBus, BatchLimits, CallClass, EntryStatus, EventBus, RequestBody};
pub use decode::registry::{FetchedSchema, Registries, RegistryError, SchemaSource};
pub use decode::{DecodedRecord, SchemaId, SchemaKind};
pub use map::{DetailTypeMapper, DetailTypeRule, EventEntry, MapError, TimeMapper};
pub use offload::{ObjectKeys, SeededKeys};
pub use store::s3::S3Store;
pub use store::{BlobStore, Upload};

// What the benchmarks and the fuzz targets drive directly (feature `internals`): the decoders,
// the schema cache and its registry decoder, one event's decode, the mapper. Their items carry
// `cfg_attr(not(feature = "internals"), allow(unreachable_pub, dead_code))`: public with the
// feature, unreachable (and partly unused) without it.
#[cfg(feature = "internals")]
pub use decode::avro::AvroSchema;
#[cfg(feature = "fuzzing")]
pub use decode::fuzz::{fuzz_avro, fuzz_framing, fuzz_protobuf};
#[cfg(feature = "internals")]
pub use decode::registry::{ConfluentRegistry, RegistryDecoder, RegistryFormat, Schemas};
#[cfg(feature = "internals")]
pub use decode::{Decoders, PayloadDecoder, PayloadFormat, decode_event};
#[cfg(feature = "fuzzing")]
pub use filter::fuzz::fuzz_filter;
#[cfg(feature = "internals")]
pub use map::Mapper;
#[cfg(feature = "fuzzing")]
pub use migrate::fuzz::fuzz_migrate;
