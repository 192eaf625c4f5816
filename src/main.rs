//! The Lambda entry point: read the configuration, build the clients once, serve invocations.

use std::io::Write as _;
use std::time::SystemTime;

use kafka_eventbridge_lambda::{
    Config, ErrorChain, EventBridgeBus, Invocation, KafkaEvent, Pipeline, S3Store, aws,
    deadline_from, emf_documents,
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
    let (pipeline, config) = (&pipeline, &config);
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<KafkaEvent>| async move {
            let deadline = deadline_from(event.context.deadline);
            let trace = event.context.xray_trace_id.as_deref();
            let done = pipeline.run_traced(event.payload, deadline, trace).await?;
            emit_metrics(config, &done);
            pipeline.respond(done)
        },
    ))
    .await
}

/// Prints the invocation's EMF documents, one JSON line each, on stdout (not through the log
/// subscriber, whose JSON format would nest them), where CloudWatch Logs extracts the metrics.
fn emit_metrics(config: &Config, done: &Invocation) {
    if !config.metrics().enabled() {
        return;
    }
    let now_ms = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
    let mut stdout = std::io::stdout().lock();
    for document in emf_documents(done, config.connector_id(), config.metrics(), now_ms) {
        if let Err(error) = writeln!(stdout, "{document}") {
            tracing::warn!(%error, "Could not write the metrics document.");
        }
    }
}
