//! A Lambda function built on the library with a plug-in detail-type mapper: an event's
//! detail-type is the record's `event-type` header when it has one, and the configured rule
//! (`AWS_EVENTBRIDGE_DETAIL_TYPES*`) otherwise. Everything else (configuration, claim check,
//! retries, partial batch response) is the function's own.
//!
//! Build and run it like the function: `cargo lambda watch --example header_detail_type`, or
//! `cargo lambda build --release --example header_detail_type` for a deployable `bootstrap`.

use kafka_eventbridge_lambda::{
    Config, DecodedRecord, DetailTypeMapper, DetailTypeRule, ErrorChain, EventBridgeBus,
    KafkaEvent, Pipeline, S3Store, aws, deadline_from,
};
use lambda_runtime::{Error, LambdaEvent, service_fn};

/// The header that names an event's detail-type.
const HEADER: &str = "event-type";

/// The detail-type from the [`HEADER`] header (its first occurrence, when it is UTF-8 and not
/// blank), else from the configured rule. A header value EventBridge does not accept (over 128
/// characters) fails its record, reported in `batchItemFailures`; the batch goes on.
#[derive(Debug)]
struct HeaderDetailType {
    fallback: DetailTypeRule,
}

impl DetailTypeMapper for HeaderDetailType {
    fn detail_type(&self, record: &DecodedRecord) -> String {
        record
            .headers
            .iter()
            .find(|(name, _)| name == HEADER)
            .and_then(|(_, value)| std::str::from_utf8(value).ok())
            .filter(|value| !value.trim().is_empty())
            .map_or_else(|| self.fallback.detail_type(record), str::to_owned)
    }
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let config = Config::from_env().inspect_err(|error| {
        tracing::error!(%error, "Invalid configuration; the function cannot start.");
    })?;
    let shared = aws::load_shared_config(&config).await;
    aws::check_credentials(&config, &shared)
        .await
        .inspect_err(|error| {
            let error = ErrorChain(error);
            tracing::error!(%error, "No usable AWS credentials; the function cannot start.");
        })?;
    let store = config
        .offload()
        .map(|offload| S3Store::from_config(&config, offload, &shared));
    let pipeline = Pipeline::builder(&config)
        .detail_type(HeaderDetailType {
            fallback: config.detail_type_rule().clone(),
        })
        .bus(EventBridgeBus::from_config(&config, &shared))
        .store(store)
        .build();
    let pipeline = &pipeline;
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<KafkaEvent>| async move {
            let deadline = deadline_from(event.context.deadline);
            pipeline.handle(event.payload, deadline).await
        },
    ))
    .await
}
