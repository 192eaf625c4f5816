//! What the AWS adapters (the EventBridge, S3, Glue and Secrets Manager clients) share: the
//! AWS configuration and credentials they are built from, and the connection timeout of their
//! clients. How a failed SDK call is classified is [`crate::sdk`]'s.

use aws_config::sts::AssumeRoleProvider;
use aws_config::{BehaviorVersion, SdkConfig};
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use aws_sdk_eventbridge::config::Region;

use crate::bus::AwsBus;
use crate::config::{Config, IAM_PROFILE_NAME, IAM_ROLE_ARN, Secret};
use crate::pipeline::{Pipeline, PipelineBuilder};

/// Credentials could not be resolved at cold start.
#[derive(Debug, thiserror::Error)]
pub enum CredentialsError {
    /// The configuration chain found no credentials provider at all.
    #[error("no AWS credentials provider is configured")]
    NoProvider,
    /// The provider failed.
    #[error("AWS credentials could not be resolved ({source_of_credentials})")]
    Unresolved {
        /// Where the credentials were to come from.
        source_of_credentials: String,
        /// Why they could not be.
        #[source]
        source: aws_credential_types::provider::error::CredentialsError,
    },
}

/// Loads the standard AWS configuration chain (environment, the Lambda execution role,
/// `AWS_ENDPOINT_URL`, profiles) once, for every client the function builds, with the profile
/// of `AWS_EVENTBRIDGE_IAM_PROFILE_NAME`, then assumes `AWS_EVENTBRIDGE_IAM_ROLE_ARN` when set.
pub(crate) async fn load_shared_config(config: &Config) -> SdkConfig {
    let mut loader =
        aws_config::defaults(BehaviorVersion::latest()).region(Region::new(config.region.clone()));
    if let Some(profile) = &config.credentials.profile_name {
        loader = loader.profile_name(profile);
    }
    let base = loader.load().await;
    assume_role(config, base).await
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
pub async fn cold_start() -> Result<ColdStart, Box<dyn std::error::Error + Send + Sync>> {
    let config = Config::from_env().inspect_err(|error| {
        tracing::error!(%error, "Invalid configuration; the function cannot start.");
    })?;
    let shared = load_shared_config(&config).await;
    check_credentials(&config, &shared)
        .await
        .inspect_err(|error| {
            let error = crate::error::ErrorChain(error);
            tracing::error!(%error, "No usable AWS credentials; the function cannot start.");
        })?;
    let registry_user_info = secrets::resolve(&config, &shared)
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

/// `base` with credentials of the role `AWS_EVENTBRIDGE_IAM_ROLE_ARN`, assumed with `base`'s
/// credentials (session name: the connector id; `ExternalId` when configured). The SDK caches
/// the role's credentials and refreshes them before they expire. Without a role, `base` itself.
pub async fn assume_role(config: &Config, base: SdkConfig) -> SdkConfig {
    let Some(role_arn) = &config.credentials.role_arn else {
        return base;
    };
    let mut builder =
        AssumeRoleProvider::builder(role_arn).session_name(session_name(&config.connector_id));
    if let Some(id) = &config.credentials.external_id {
        builder = builder.external_id(id);
    }
    let provider = builder.configure(&base).build().await;
    base.into_builder()
        .credentials_provider(SharedCredentialsProvider::new(provider))
        .build()
}

/// The connector id as an STS session name: 2 to 64 characters of `[\w+=,.@-]`, others
/// replaced by `-`.
pub(crate) fn session_name(connector_id: &str) -> String {
    let mut name: String = connector_id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "_+=,.@-".contains(c) {
                c
            } else {
                '-'
            }
        })
        .take(64)
        .collect();
    while name.len() < 2 {
        name.push('-');
    }
    name
}

/// Resolves the credentials once, so that a function that cannot sign fails its cold start with
/// a clear message instead of failing every record.
pub async fn check_credentials(
    config: &Config,
    shared: &SdkConfig,
) -> Result<(), CredentialsError> {
    let provider = shared
        .credentials_provider()
        .ok_or(CredentialsError::NoProvider)?;
    let source_of_credentials = match (
        &config.credentials.role_arn,
        &config.credentials.profile_name,
    ) {
        (Some(role), _) => format!("assuming {IAM_ROLE_ARN}={role}"),
        (None, Some(profile)) => format!("profile {IAM_PROFILE_NAME}={profile}"),
        (None, None) => {
            "the default chain: environment, profile, container or instance role".to_owned()
        }
    };
    provider
        .provide_credentials()
        .await
        .map(|_| ())
        .map_err(|source| CredentialsError::Unresolved {
            source_of_credentials,
            source,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_names() {
        assert_eq!(session_name("orders-connector"), "orders-connector");
        assert_eq!(session_name("a b/c"), "a-b-c");
        assert_eq!(session_name("x"), "x-");
        assert_eq!(session_name(&"y".repeat(100)).len(), 64);
    }
}

mod build;
mod client;
pub(crate) mod secrets;
