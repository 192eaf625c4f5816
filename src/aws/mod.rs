//! What the AWS adapters (the EventBridge and S3 clients) share: the
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
    matches!(
        error,
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_)
    ) || status(error).is_some_and(|status| status == 429 || status >= 500)
        || service_code(error).is_some_and(|code| retryable_codes.contains(&code))
}

/// The HTTP status an SDK error came with, if the service answered.
pub fn status<E>(error: &SdkError<E, HttpResponse>) -> Option<u16> {
    match error {
        SdkError::ResponseError(e) => Some(e.raw().status().as_u16()),
        SdkError::ServiceError(e) => Some(e.raw().status().as_u16()),
        _ => None,
    }
}

/// The service's error code, if the service answered with one.
fn service_code<E: ProvideErrorMetadata>(error: &SdkError<E, HttpResponse>) -> Option<&str> {
    match error {
        SdkError::ServiceError(e) => e.err().code(),
        _ => None,
    }
}

/// Whether a failed SDK call was throttled: HTTP 429, or the service's `throttling_code`.
pub fn is_throttling<E: ProvideErrorMetadata>(
    error: &SdkError<E, HttpResponse>,
    throttling_code: &str,
) -> bool {
    status(error) == Some(429) || service_code(error) == Some(throttling_code)
}

/// The shared configuration as each adapter's client uses it: the function's region, the SDK's
/// own retries off (the pipeline owns retries, so nothing is sent more often than configured),
/// and [`CONNECT_TIMEOUT`].
pub(crate) fn client_config(config: &Config, shared: &SdkConfig) -> SdkConfig {
    shared
        .to_builder()
        .region(Region::new(config.region.clone()))
        .retry_config(aws_config::retry::RetryConfig::disabled())
        // The call timeout (AWS_EVENTBRIDGE_CALL_TIMEOUT_MS) already bounds a stalled call;
        // the SDK's own watch over every body poll only costs CPU.
        .stalled_stream_protection(
            aws_config::stalled_stream_protection::StalledStreamProtectionConfig::disabled(),
        )
        .timeout_config(
            aws_config::timeout::TimeoutConfig::builder()
                .connect_timeout(CONNECT_TIMEOUT)
                .build(),
        )
        .build()
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

/// A function's cold start: the configuration from the environment, then the shared AWS
/// configuration with its credentials checked, the schema registry's credentials read from
/// Secrets Manager when configured, and the loaded configuration logged. A failure is
/// logged at ERROR (what to fix) and returned: the function cannot start.
pub async fn cold_start() -> Result<(Config, SdkConfig), Box<dyn std::error::Error + Send + Sync>> {
    let mut config = Config::from_env().inspect_err(|error| {
        tracing::error!(%error, "Invalid configuration; the function cannot start.");
    })?;
    let shared = load_shared_config(&config).await;
    check_credentials(&config, &shared)
        .await
        .inspect_err(|error| {
            let error = crate::ErrorChain(error);
            tracing::error!(%error, "No usable AWS credentials; the function cannot start.");
        })?;
    crate::secrets::resolve(&mut config, &shared)
        .await
        .inspect_err(|error| {
            let error = crate::ErrorChain(error);
            tracing::error!(%error, "The schema registry's credentials could not be read; the function cannot start.");
        })?;
    config.log_loaded();
    Ok((config, shared))
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

/// A service error of `status` with `code`, for the classification tests of each adapter.
#[cfg(test)]
pub(crate) fn service_error<E>(status: u16, code: &str) -> SdkError<E, HttpResponse>
where
    E: aws_smithy_runtime_api::client::result::CreateUnhandledError,
{
    use aws_smithy_types::body::SdkBody;
    let meta = aws_smithy_types::error::ErrorMetadata::builder()
        .code(code)
        .message("m")
        .build();
    let status = aws_smithy_runtime_api::http::StatusCode::try_from(status).expect("a status");
    let error =
        E::create_unhandled_error(Box::new(std::io::Error::other(code.to_owned())), Some(meta));
    SdkError::service_error(error, HttpResponse::new(status, SdkBody::empty()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_eventbridge::operation::put_events::PutEventsError;
    use aws_sdk_s3::operation::put_object::PutObjectError;

    #[test]
    fn failures_without_a_response() {
        let timeout: SdkError<PutObjectError, HttpResponse> = SdkError::timeout_error("slow");
        assert!(crate::s3::is_retryable(&timeout));
        let io = std::io::Error::new(std::io::ErrorKind::ConnectionReset, "reset");
        let dispatch: SdkError<PutEventsError, HttpResponse> = SdkError::dispatch_failure(
            aws_sdk_eventbridge::error::ConnectorError::io(Box::new(io)),
        );
        assert!(crate::eventbridge::is_retryable(&dispatch));
        let construction: SdkError<PutEventsError, HttpResponse> =
            SdkError::construction_failure("bad");
        assert!(!crate::eventbridge::is_retryable(&construction));
    }

    #[test]
    fn classification_by_service_status_and_code() {
        fn put_events(status: u16, code: &str) -> (bool, bool) {
            let error = service_error::<PutEventsError>(status, code);
            let throttling = is_throttling(&error, "ThrottlingException");
            (crate::eventbridge::is_retryable(&error), throttling)
        }
        fn put_object(status: u16, code: &str) -> (bool, bool) {
            let error = service_error::<PutObjectError>(status, code);
            (crate::s3::is_retryable(&error), false)
        }
        let retry = [(400, "ThrottlingException"), (500, "InternalException")];
        let retry = [retry, [(503, "ServiceUnavailable"), (502, "Whatever")]].concat();
        for (status, code) in retry {
            let throttling = code.contains("Throttl");
            assert_eq!(put_events(status, code), (true, throttling), "{code}");
        }
        assert_eq!(
            put_events(429, "TooManyRequests"),
            (true, true),
            "429 is throttling"
        );
        let final_codes = ["ValidationException", "ResourceNotFoundException"];
        let final_codes = [
            final_codes,
            ["AccessDeniedException", "RequestEntityTooLarge"],
        ];
        for (status, code) in [400, 404, 403, 413].into_iter().zip(final_codes.concat()) {
            assert_eq!(put_events(status, code), (false, false), "{code}");
        }
        let retry = [
            (503, "SlowDown"),
            (500, "InternalError"),
            (400, "RequestTimeout"),
        ];
        for (status, code) in retry {
            assert_eq!(put_object(status, code), (true, false), "{code}");
        }
        for (status, code) in [(404, "NoSuchBucket"), (403, "AccessDenied")] {
            assert_eq!(put_object(status, code), (false, false), "{code}");
        }
    }

    #[test]
    fn session_names() {
        assert_eq!(session_name("orders-connector"), "orders-connector");
        assert_eq!(session_name("a b/c"), "a-b-c");
        assert_eq!(session_name("x"), "x-");
        assert_eq!(session_name(&"y".repeat(100)).len(), 64);
    }
}

pub(crate) mod secrets;
