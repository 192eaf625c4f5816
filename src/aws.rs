//! What the AWS adapters ([`eventbridge`](crate::eventbridge), [`s3`](crate::s3)) share: the
//! AWS configuration and credentials they are built from, how a failed SDK call is classified,
//! and the connection timeout of their clients.

use std::time::Duration;

use aws_config::sts::AssumeRoleProvider;
use aws_config::{BehaviorVersion, SdkConfig};
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use aws_sdk_eventbridge::config::Region;

use crate::config::{Config, IAM_PROFILE_NAME, IAM_ROLE_ARN};

use aws_sdk_eventbridge::config::http::HttpResponse;
use aws_sdk_eventbridge::error::{ProvideErrorMetadata, SdkError};

/// How long establishing a connection may take before the call fails (retryably).
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);

/// Whether a failed SDK call may succeed when sent again: timeouts, connection failures,
/// HTTP 429 and 5xx, and the service's own throttling or transient `retryable_codes` may;
/// construction failures and other client errors (4xx) may not.
pub fn is_retryable<E: ProvideErrorMetadata>(
    error: &SdkError<E, HttpResponse>,
    retryable_codes: &[&str],
) -> bool {
    let retryable_status = |status: u16| status == 429 || status >= 500;
    match error {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) => true,
        SdkError::ResponseError(e) => retryable_status(e.raw().status().as_u16()),
        SdkError::ServiceError(e) => {
            retryable_status(e.raw().status().as_u16())
                || e.err()
                    .code()
                    .is_some_and(|code| retryable_codes.contains(&code))
        }
        _ => false,
    }
}

/// Whether a failed SDK call was throttled: HTTP 429, or the service's `throttling_code`.
pub fn is_throttling<E: ProvideErrorMetadata>(
    error: &SdkError<E, HttpResponse>,
    throttling_code: &str,
) -> bool {
    match error {
        SdkError::ResponseError(e) => e.raw().status().as_u16() == 429,
        SdkError::ServiceError(e) => {
            e.raw().status().as_u16() == 429 || e.err().code() == Some(throttling_code)
        }
        _ => false,
    }
}

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
pub async fn load_shared_config(config: &Config) -> SdkConfig {
    let mut loader =
        aws_config::defaults(BehaviorVersion::latest()).region(Region::new(config.region.clone()));
    if let Some(profile) = &config.credentials.profile_name {
        loader = loader.profile_name(profile);
    }
    let base = loader.load().await;
    assume_role(config, base).await
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
pub fn session_name(connector_id: &str) -> String {
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
