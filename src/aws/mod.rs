//! What the AWS adapters (the EventBridge, S3, Glue and Secrets Manager clients) share: the
//! AWS configuration and credentials they are built from, and the connection timeout of their
//! clients. How a failed SDK call is classified is [`crate::sdk`]'s.

use aws_config::{BehaviorVersion, SdkConfig};
use aws_sdk_eventbridge::config::Region;

use crate::bus::AwsBus;
use crate::config::{Config, ConfigError, Secret};
use crate::pipeline::{Pipeline, PipelineBuilder};

/// Why the function cannot start: what to fix is in the message, one line through
/// [`ErrorChain`](crate::ErrorChain).
#[derive(Debug, thiserror::Error)]
pub enum ColdStartError {
    /// The configuration is invalid.
    #[error("invalid configuration")]
    Config(#[from] ConfigError),
    /// No usable AWS credentials.
    #[error("no usable AWS credentials")]
    Credentials(#[from] CredentialsError),
    /// The schema registry's credentials could not be read from Secrets Manager.
    #[error("the schema registry's credentials could not be read")]
    Secret(#[from] secrets::SecretError),
}

/// What a cold start found: the validated configuration, the shared AWS configuration its
/// clients are built from, and the schema registry's credentials when they were read from
/// Secrets Manager (kept beside the configuration, which stays as validated).
#[derive(Debug)]
pub struct ColdStart {
    config: Config,
    shared: SdkConfig,
    registry_user_info: Option<Secret>,
}

impl ColdStart {
    /// The configuration, as read from the environment and validated.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The shared AWS configuration (region, credentials, endpoint) of every client.
    pub fn shared(&self) -> &SdkConfig {
        &self.shared
    }

    /// A builder of the function's pipeline: the configured parts, the AWS clients, and the
    /// schema registry's credentials from Secrets Manager when configured.
    pub fn pipeline(&self) -> PipelineBuilder<'_, AwsBus> {
        Pipeline::builder(&self.config)
            .aws(&self.shared)
            .registry_user_info(self.registry_user_info.clone())
            .preflight(preflight::InFunction::new(&self.config, &self.shared))
    }

    /// The configuration, once the pipeline is built.
    pub fn into_config(self) -> Config {
        self.config
    }
}

/// A function's cold start: the configuration from the environment, then the shared AWS
/// configuration with its credentials checked, the schema registry's credentials read from
/// Secrets Manager when configured, and the loaded configuration logged. A failure is
/// logged at ERROR (what to fix) and returned: the function cannot start.
///
/// Every remote call it makes goes through the shared retry engine ([`cold_start_caller`]):
/// a stalled or failing dependency stops the start within
/// [`COLD_START_BUDGET`](credentials::COLD_START_BUDGET).
pub async fn cold_start() -> Result<ColdStart, ColdStartError> {
    let config = Config::from_env().inspect_err(|error| {
        tracing::error!(%error, "Invalid configuration; the function cannot start.");
    })?;
    let shared = load_shared_config(&config).await;
    let caller = cold_start_caller(&config);
    check_credentials_with(&config, &shared, &caller)
        .await
        .inspect_err(|error| {
            let error = crate::error::ErrorChain(error);
            tracing::error!(%error, "No usable AWS credentials; the function cannot start.");
        })?;
    let registry_user_info = secrets::resolve(&config, &shared, &caller)
        .await
        .inspect_err(|error| {
            let error = crate::error::ErrorChain(error);
            tracing::error!(%error, "The schema registry's credentials could not be read; the function cannot start.");
        })?;
    config.log_loaded();
    Ok(ColdStart {
        config,
        shared,
        registry_user_info,
    })
}

/// The shared configuration of a run that makes no AWS call (the dry run): the configured
/// region and no credentials provider at all, so that no request could even be signed.
pub fn offline_config(config: &Config) -> SdkConfig {
    SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(config.region.clone()))
        .build()
}

mod build;
mod client;
mod credentials;
mod preflight;
mod secrets;
use credentials::check_credentials_with;
pub use credentials::{CredentialsError, assume_role, check_credentials};
pub(crate) use credentials::{cold_start_caller, load_shared_config};
pub use preflight::{
    CheckStatus, PreflightCheck, PreflightOptions, PreflightReport, preflight, preflight_from_env,
};
pub use secrets::SecretError;
