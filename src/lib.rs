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
//! EventBridge bus is [`EventBridgeBus`], the ordered Custom Event Bus [`EventBridgeV2Bus`], and
//! [`AwsBus`] the one the configured ARN names), [`BlobStore`] ([`S3Store`]), [`PayloadDecoder`],
//! [`DetailTypeMapper`], [`TimeMapper`] and [`ObjectKeys`]. Every remote call goes through one retry engine, and every call that did not
//! succeed is a [`CallFailure`].
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
//! use kafka_eventbridge_lambda::aws;
//! let start = aws::cold_start().await?;
//! let pipeline = start.pipeline().build();
//! # let _ = pipeline; Ok(()) }
//! ```

pub mod aws;
mod batch;
mod bus;
mod concurrency;
pub mod config;
mod decode;
mod error;
#[cfg(any(test, feature = "fuzzing"))]
mod fuzz;
mod json;
mod map;
mod metrics;
mod offload;
mod path;
mod pipeline;
mod report;
mod retry;
mod sdk;
mod send;
mod store;
mod vars;

pub use aws::secrets::SecretError;
pub use bus::classic::{
    EventBridgeBus, MAX_ENTRIES_PER_PUT, PUT_EVENTS_LIMITS, PUT_EVENTS_MAX_BYTES,
    PutEventsCallError, entry_size as put_events_entry_size,
};
pub use bus::v2::{
    EventBridgeV2Bus, PUT_EVENTS_LIMITS as V2_PUT_EVENTS_LIMITS, PutEventsV2CallError,
    entry_size as put_events_v2_entry_size,
};
pub use bus::{AwsBus, AwsBusError, BatchLimits, CallClass, EntryStatus, EventBus, RequestBody};
pub use concurrency::AdaptiveLimit;
pub use config::{BusKind, Config, ConfigError, Deduplication, EventGroup, FailureMode, Ordering};
pub use decode::avro::{AvroError, AvroSchema};
pub use decode::protobuf::{ProtoError, ProtoSchema};
pub use decode::registry::{
    ConfluentRegistry, FetchedSchema, GetSchemaVersionCallError, GlueRegistry, MAX_REFERENCES,
    NamedSchema, Registries, RegistryDecoder, RegistryError, RegistryFormat, RegistrySchema,
    SchemaError, SchemaSource, Schemas,
};
pub use decode::{
    DecodeError, Decoded, DecodedRecord, Decoders, EsmRecordFormat, EventError, KafkaEvent,
    PayloadDecoder, PayloadError, PayloadFormat, RecordInfo, RecordRef, SCHEMA_ID_PREFIX_LEN,
    TimestampType, decode_event,
};
pub use decode::{SchemaId, SchemaKind};
pub use error::{CallFailure, ErrorChain};
#[cfg(feature = "fuzzing")]
pub use fuzz::{fuzz_avro, fuzz_framing, fuzz_protobuf};
pub use json::{JsonError, JsonText, MAX_JSON_DEPTH};
pub use map::{
    DetailTypeMapper, DetailTypeRule, EventEntry, MapError, Mapper, SystemMetadataRule, TimeMapper,
    TimeRule, digest_id,
};
pub use metrics::{MetricsConfig, emf_documents};
pub use offload::{ObjectKeys, OffloadConfig, Offloader, RandomKeys, RecordKeys, SeededKeys};
pub use path::{DefinitePath, PathError};
pub use pipeline::render::Rendering;
pub use pipeline::{DEADLINE_MARGIN, NoBus, Pipeline, PipelineBuilder, Prepared, deadline_from};
pub use report::{
    BatchItemFailure, BatchResponse, Failure, FailureClass, FailureCounts, Invocation,
    InvocationError, ItemIdentifier, Outcome, Tally,
};
pub use retry::CallPolicy;
pub use store::s3::{PutObjectCallError, S3Store};
pub use store::{BlobStore, Upload};
