//! The Lambda entry point: read the configuration, build the clients once, serve invocations.

use kafka_eventbridge_lambda::offload::BlobStore;
use kafka_eventbridge_lambda::s3::S3Store;
use kafka_eventbridge_lambda::send::EventBus;
use kafka_eventbridge_lambda::{Config, EventBridgeBus, KafkaEvent, Pipeline, aws, handler};
use lambda_runtime::{Error, LambdaEvent, service_fn};

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
            let error = kafka_eventbridge_lambda::send::Chain(error);
            tracing::error!(%error, "No usable AWS credentials; the function cannot start.");
        })?;
    let bus = EventBridgeBus::from_config(&config, &shared);
    tracing::info!(
        connector_id = %config.connector_id,
        bus_arn = %config.bus_arn,
        region = %config.region,
        endpoint = config.endpoint_uri.as_deref().unwrap_or("-"),
        global_endpoint_id = config.global_endpoint_id.as_deref().unwrap_or("-"),
        batch_max_bytes = config.batch_max_bytes,
        max_inflight = config.max_inflight,
        retries_max = config.retries_max,
        retries_delay_ms = config.retries_delay.as_millis() as u64,
        "Configuration loaded."
    );
    match &config.offload {
        Some(offload) => {
            tracing::info!(
                bucket = %offload.bucket,
                fieldref = %offload.fieldref,
                threshold_bytes = offload.threshold_bytes,
                key_prefix = %offload.key_prefix,
                s3_endpoint = offload.s3_endpoint_uri.as_deref().unwrap_or("-"),
                "S3 offloading is on."
            );
            let store = S3Store::from_config(&config, offload, &shared);
            serve(Pipeline::with_store(&config, bus, store)).await
        }
        None => serve(Pipeline::new(&config, bus)).await,
    }
}

async fn serve<B: EventBus, S: BlobStore>(pipeline: Pipeline<B, S>) -> Result<(), Error> {
    let pipeline = &pipeline;
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<KafkaEvent>| async move {
            let deadline = handler::deadline_from(event.context.deadline);
            pipeline.handle(event.payload, deadline).await
        },
    ))
    .await
}
