//! The Lambda entry point: read the configuration, build the clients once, serve invocations.

use kafka_eventbridge_lambda::{
    Config, ErrorChain, EventBridgeBus, KafkaEvent, Pipeline, S3Store, aws, deadline_from,
};
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
            let error = ErrorChain(error);
            tracing::error!(%error, "No usable AWS credentials; the function cannot start.");
        })?;
    config.log_loaded();
    let store = config
        .offload()
        .map(|offload| S3Store::from_config(&config, offload, &shared));
    let pipeline = Pipeline::builder(&config)
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
