//! kafka-eventbridge-lambda: an AWS Lambda function that a Kafka event source mapping (Amazon MSK
//! or self-managed Kafka) invokes with batches of records. Each record becomes an Amazon
//! EventBridge event shaped exactly like the eventbridge-kafka-connector's; the events are sent
//! with `PutEvents`, and every record that was not delivered is returned in
//! `batchItemFailures`.
//!
//! The data flows through one module per stage:
//! [`config`] → [`decode`] → [`map`] → [`offload`] → [`batch`] → [`send`] → [`report`],
//! joined in [`handler`]. [`eventbridge`] is the EventBridge implementation of the send stage's
//! [`send::EventBus`] seam, and [`s3`] the S3 implementation of the offload stage's
//! [`offload::BlobStore`] seam.

pub mod aws;
pub mod batch;
pub mod config;
pub mod decode;
pub mod eventbridge;
pub mod handler;
pub mod map;
pub mod offload;
pub mod path;
pub mod report;
pub mod s3;
pub mod send;

pub use config::{Config, ConfigError};
pub use decode::KafkaEvent;
pub use eventbridge::EventBridgeBus;
pub use handler::Pipeline;
pub use report::BatchResponse;
