//! Credentials: the shared AWS configuration every client is built from (the profile, the
//! role assumed), resolved once through the retry engine of a cold start.

use std::num::NonZeroUsize;
use std::time::Duration;

use aws_config::sts::AssumeRoleProvider;
use aws_config::{BehaviorVersion, SdkConfig};
use aws_credential_types::provider::error::CredentialsError as ProviderError;
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use aws_sdk_eventbridge::config::Region;
use aws_sdk_eventbridge::config::http::HttpResponse;
use aws_sdk_sts::error::SdkError;
use aws_sdk_sts::operation::assume_role::AssumeRoleError;
use tokio::time::Instant;

use super::client;
use crate::config::{Config, IAM_PROFILE_NAME, IAM_ROLE_ARN};
use crate::error::CallFailure;
use crate::retry::{CallPolicy, Caller};

/// How long the remote calls of a cold start (the credentials check, which assumes the
/// configured role, and the Secrets Manager read) may take in all, retries and backoff
/// included: half of Lambda's 10-second init phase (Lambda execution environment lifecycle,
/// <https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html>: "The Init
/// phase is limited to 10 seconds"), so that a stalled dependency stops the start with a clear
/// error instead of a timeout without one.
pub(crate) const COLD_START_BUDGET: Duration = Duration::from_secs(5);

/// The longest one call of a cold start may take: `AWS_EVENTBRIDGE_CALL_TIMEOUT_MS`, cut to
/// this so that a stalled first attempt leaves time for a second within [`COLD_START_BUDGET`].
pub(crate) const COLD_START_CALL_TIMEOUT: Duration = Duration::from_millis(2_000);

/// The retry engine of a cold start: the configured retries and backoff, one call at a time,
/// each call cut to [`COLD_START_CALL_TIMEOUT`], all of them within [`COLD_START_BUDGET`].
pub(crate) fn cold_start_caller(config: &Config) -> Caller {
    let policy = config.call_policy();
    Caller::new(
        CallPolicy {
            max_inflight: NonZeroUsize::MIN,
            call_timeout: policy.call_timeout.min(COLD_START_CALL_TIMEOUT),
            ..policy
        },
        Instant::now() + COLD_START_BUDGET,
    )
}

/// Credentials could not be resolved at cold start.
#[derive(Debug, thiserror::Error)]
pub enum CredentialsError {
    /// The configuration chain found no credentials provider at all.
    #[error("no AWS credentials provider is configured")]
    NoProvider,
    /// The provider failed, finally or on every attempt the cold start's budget allowed.
    #[error("AWS credentials could not be resolved ({source_of_credentials})")]
    Unresolved {
        /// Where the credentials were to come from.
        source_of_credentials: String,
        /// Why they could not be (the provider's error, within the attempts made).
        #[source]
        source: CallFailure,
    },
}

/// Whether resolving credentials may succeed when tried again: a provider that timed out, or
/// failed for a reason [`crate::sdk::is_retryable`] deems transient when it was STS
/// answering `AssumeRole` (throttling, 5xx, a lost connection; not an access denial); a
/// provider that is not configured, or configured wrongly, will not.
fn credentials_retryable(error: &ProviderError) -> bool {
    match error {
        ProviderError::ProviderTimedOut(_) => true,
        ProviderError::ProviderError(_) => std::error::Error::source(error)
            .and_then(|e| e.downcast_ref::<SdkError<AssumeRoleError, HttpResponse>>())
            .is_none_or(|sts| crate::sdk::is_retryable(sts, &["IDPCommunicationError"])),
        _ => false,
    }
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
    // STS answers through the retry engine too: the SDK's own retries are off.
    let sts = base
        .to_builder()
        .retry_config(aws_config::retry::RetryConfig::disabled())
        .timeout_config(
            aws_config::timeout::TimeoutConfig::builder()
                .connect_timeout(client::CONNECT_TIMEOUT)
                .build(),
        )
        .build();
    let provider = builder.configure(&sts).build().await;
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
/// a clear message instead of failing every record; with the cold start's retry engine.
pub async fn check_credentials(
    config: &Config,
    shared: &SdkConfig,
) -> Result<(), CredentialsError> {
    check_credentials_with(config, shared, &cold_start_caller(config)).await
}

/// [`check_credentials`] through `caller`: a provider that times out or fails transiently is
/// asked again, within the caller's retries and deadline.
pub(super) async fn check_credentials_with(
    config: &Config,
    shared: &SdkConfig,
    caller: &Caller,
) -> Result<(), CredentialsError> {
    let provider = shared
        .credentials_provider()
        .ok_or(CredentialsError::NoProvider)?;
    let source_of_credentials = match (
        &config.credentials.role_arn,
        &config.credentials.profile_name,
    ) {
        (Some(role), _) => format!("sts:AssumeRole of {IAM_ROLE_ARN}={role}"),
        (None, Some(profile)) => format!("profile {IAM_PROFILE_NAME}={profile}"),
        (None, None) => {
            "the default chain: environment, profile, container or instance role".to_owned()
        }
    };
    caller
        .with_retries(|| provider.provide_credentials(), credentials_retryable)
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
