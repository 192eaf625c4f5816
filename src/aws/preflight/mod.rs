//! Pre-flight (`kafka-eventbridge-lambda preflight`): with the function's configuration,
//! credentials and endpoints, checks read-only that what it will write to is there and
//! answers, before the first record: the credentials (the role assumed), the bus, the global
//! endpoint, the offload bucket, the schema registries and their secret. One line per check,
//! each failure with what to do; every call through the shared retry engine with a timeout.

mod checks;
mod permissions;
mod report;

use aws_config::SdkConfig;

use crate::config::{Config, ConfigError};
use crate::error::ErrorChain;
pub use checks::PreflightOptions;
use checks::{bucket, bus, check_caller, credentials_found, global_endpoint, registries};
pub use report::{CheckStatus, PreflightCheck, PreflightReport};

/// Pre-flight as the function would run it: the configuration from the environment (an
/// invalid one is the cold start's own error), the shared AWS configuration the cold start
/// loads (the role assumed), then every check.
pub async fn preflight_from_env(options: PreflightOptions) -> Result<PreflightReport, ConfigError> {
    let config = Config::from_env()?;
    let shared = super::credentials::load_shared_config(&config).await;
    Ok(preflight(&config, &shared, options).await)
}

/// Runs every check with `config` and the shared AWS configuration `shared` (credentials and
/// endpoints as the function's cold start resolves them).
pub async fn preflight(
    config: &Config,
    shared: &SdkConfig,
    options: PreflightOptions,
) -> PreflightReport {
    let mut report = PreflightReport::default();
    report.push(
        "configuration",
        CheckStatus::Passed,
        format!(
            "valid; bus {} in {}",
            config.bus_arn().as_str(),
            config.region
        ),
    );
    let credentials =
        super::credentials::check_credentials_with(config, shared, &check_caller(config)).await;
    if let Err(error) = credentials {
        report.push(
            "credentials",
            CheckStatus::Failed,
            format!(
                "{}; give the function a role, or fix the profile or the role to assume",
                ErrorChain(&error)
            ),
        );
        for check in [
            "event bus",
            "global endpoint",
            "offload bucket",
            "schema registry",
            "write permissions",
        ] {
            report.push(check, CheckStatus::NotChecked, "no credentials");
        }
        return report;
    }
    report.push(
        "credentials",
        CheckStatus::Passed,
        credentials_found(config),
    );
    bus(config, shared, &mut report).await;
    global_endpoint(config, shared, &mut report).await;
    bucket(config, shared, options, &mut report).await;
    registries(config, shared, &mut report).await;
    permissions::permissions(config, shared, &mut report).await;
    report
}

/// The checks of the deployed function, run on a `{"preflight": true}` request with its own
/// role, network and endpoints (read-only: no write probe).
#[derive(Debug)]
pub(crate) struct InFunction {
    config: Config,
    shared: SdkConfig,
}

impl InFunction {
    pub(crate) fn new(config: &Config, shared: &SdkConfig) -> Self {
        Self {
            config: config.clone(),
            shared: shared.clone(),
        }
    }
}

impl crate::pipeline::Preflight for InFunction {
    fn run(&self) -> futures_util::future::BoxFuture<'_, serde_json::Value> {
        Box::pin(async move {
            let report = preflight(&self.config, &self.shared, PreflightOptions::default()).await;
            let mut answer = serde_json::to_value(&report).expect("a report serializes");
            answer["passed"] = serde_json::Value::Bool(report.exit_code() == 0);
            answer
        })
    }
}
