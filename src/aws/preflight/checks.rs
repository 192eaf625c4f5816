//! The checks of pre-flight, each through the shared retry engine with a timeout.

use std::num::NonZeroUsize;
use std::time::Duration;

use aws_config::SdkConfig;
use aws_sdk_eventbridge::config::http::HttpResponse;
use aws_sdk_eventbridge::error::{ProvideErrorMetadata, SdkError};
use tokio::time::Instant;

use super::super::build;
use super::report::{CheckStatus, PreflightReport};
use crate::config::{BusKind, Config};
use crate::decode::PayloadFormat;
use crate::decode::registry::{ConfluentRegistry, RegistryError};
use crate::error::{CallFailure, ErrorChain};
use crate::retry::{CallPolicy, Caller};

/// How long one check's calls may take in all, retries and backoff included.
const CHECK_BUDGET: Duration = Duration::from_secs(10);
/// The longest one call of a check may take.
const CHECK_CALL_TIMEOUT: Duration = Duration::from_secs(3);
/// The most pages of `ListEndpoints` read (100 endpoints per account and region by default,
/// <https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-quota.html>).
const MAX_ENDPOINT_PAGES: usize = 10;
/// A schema version id no registry holds: `GetSchemaVersion` of it answers "not found" when the
/// caller may read schema versions, and "access denied" when it may not.
const ABSENT_SCHEMA_VERSION: &str = "00000000-0000-0000-0000-000000000000";

/// What pre-flight may do beyond reading.
#[derive(Debug, Clone, Copy, Default)]
pub struct PreflightOptions {
    /// Put and delete a zero-byte object under the offload key prefix.
    pub write: bool,
}

/// The retry engine of one check: the configured retries and backoff, one call at a time, each
/// call cut to [`CHECK_CALL_TIMEOUT`], all within [`CHECK_BUDGET`].
pub(super) fn check_caller(config: &Config) -> Caller {
    let policy = config.call_policy();
    Caller::new(
        CallPolicy {
            max_inflight: NonZeroUsize::MIN,
            call_timeout: policy.call_timeout.min(CHECK_CALL_TIMEOUT),
            ..policy
        },
        Instant::now() + CHECK_BUDGET,
    )
}

pub(super) fn credentials_found(config: &Config) -> String {
    match &config.credentials.role_arn {
        Some(role) => format!("resolved; role {role} assumed"),
        None => "resolved".to_owned(),
    }
}

/// The SDK error of a failure's last attempt, when it was one of operation `E`.
fn sdk_error<E: std::error::Error + 'static>(
    failure: &CallFailure,
) -> Option<&SdkError<E, HttpResponse>> {
    failure.last_error()?.downcast_ref()
}

/// The service's error code in a failure, when it came from the service.
fn code_of<E: ProvideErrorMetadata + std::error::Error + 'static>(
    failure: &CallFailure,
) -> Option<&str> {
    sdk_error::<E>(failure)?.code()
}

/// What a failed call's code tells to do: `missing` for a resource that is not there,
/// `denied` for a permission the caller lacks.
fn advice(code: Option<&str>, missing: &str, denied: &str) -> String {
    match code {
        Some(c) if c.contains("NotFound") || c == "NoSuchBucket" => missing.to_owned(),
        Some(c)
            if c.contains("AccessDenied")
                || c.contains("Forbidden")
                || c.contains("Unauthorized") =>
        {
            denied.to_owned()
        }
        _ => "check the network path and the endpoint, then run pre-flight again".to_owned(),
    }
}

pub(super) async fn bus(config: &Config, shared: &SdkConfig, report: &mut PreflightReport) {
    let arn = config.bus_arn().as_str().to_owned();
    let caller = check_caller(config);
    let missing = format!(
        "no bus {arn} for these credentials in {}: create it, or fix AWS_EVENTBRIDGE_EVENTBUS_ARN",
        config.region
    );
    let result = match config.bus_arn().kind() {
        BusKind::Classic => {
            let client = build::eventbridge_client(config, shared);
            caller
                .with_retries(
                    || client.describe_event_bus().name(&arn).send(),
                    |e| crate::sdk::is_retryable(e, &[]),
                )
                .await
                .map(|_| ())
                .map_err(|f| {
                    let code = code_of::<aws_sdk_eventbridge::operation::describe_event_bus::DescribeEventBusError>(&f);
                    let denied = "the credentials may not call events:DescribeEventBus on the bus: grant it (read-only), or check the bus's resource policy";
                    let what = advice(code, &missing, denied);
                    (f, what)
                })
        }
        BusKind::V2 => {
            let client = build::eventbridge_v2_client(config, shared);
            caller
                .with_retries(
                    || client.describe_event_bus().event_bus_arn(&arn).send(),
                    |e| crate::sdk::is_retryable(e, &[]),
                )
                .await
                .map(|_| ())
                .map_err(|f| {
                    let code = code_of::<aws_sdk_eventbridgev2::operation::describe_event_bus::DescribeEventBusError>(&f);
                    let denied = "the credentials may not describe the Custom Event Bus: grant its read-only describe permission";
                    let what = advice(code, &missing, denied);
                    (f, what)
                })
        }
    };
    match result {
        Ok(()) => report.push("event bus", CheckStatus::Passed, format!("{arn} exists")),
        Err((failure, what)) => report.push(
            "event bus",
            CheckStatus::Failed,
            format!("{}; {what}", ErrorChain(&failure)),
        ),
    }
}

pub(super) async fn global_endpoint(
    config: &Config,
    shared: &SdkConfig,
    report: &mut PreflightReport,
) {
    let Some(id) = &config.global_endpoint_id else {
        report.push(
            "global endpoint",
            CheckStatus::NotChecked,
            "none configured",
        );
        return;
    };
    let (status, detail) = match find_endpoint(config, shared, id).await {
        Err(failure) => (
            CheckStatus::Failed,
            format!(
                "{}; the credentials must be able to call events:ListEndpoints",
                ErrorChain(&failure)
            ),
        ),
        Ok(None) => (
            CheckStatus::Failed,
            format!(
                "no endpoint {id} in {}: fix AWS_EVENTBRIDGE_EVENTBUS_GLOBAL_ENDPOINT_ID",
                config.region
            ),
        ),
        Ok(Some(endpoint)) => {
            let bus = config.bus_arn().as_str();
            if endpoint
                .event_buses()
                .iter()
                .any(|b| b.event_bus_arn() == bus)
            {
                (CheckStatus::Passed, format!("{id} routes to {bus}"))
            } else {
                let name = endpoint.name().unwrap_or("?");
                (
                    CheckStatus::Failed,
                    format!(
                        "{id} ({name}) does not route to {bus}: add the bus to the endpoint, or fix AWS_EVENTBRIDGE_EVENTBUS_GLOBAL_ENDPOINT_ID"
                    ),
                )
            }
        }
    };
    report.push("global endpoint", status, detail);
}

/// The global endpoint `id`, from at most [`MAX_ENDPOINT_PAGES`] pages of `ListEndpoints`.
async fn find_endpoint(
    config: &Config,
    shared: &SdkConfig,
    id: &str,
) -> Result<Option<aws_sdk_eventbridge::types::Endpoint>, CallFailure> {
    let client = build::eventbridge_client(config, shared);
    let caller = check_caller(config);
    let mut token: Option<String> = None;
    for _ in 0..MAX_ENDPOINT_PAGES {
        let page = caller
            .with_retries(
                || client.list_endpoints().set_next_token(token.clone()).send(),
                |e| crate::sdk::is_retryable(e, &[]),
            )
            .await?;
        if let Some(endpoint) = page
            .endpoints()
            .iter()
            .find(|e| e.endpoint_id() == Some(id))
        {
            return Ok(Some(endpoint.clone()));
        }
        token = page.next_token().map(str::to_owned);
        if token.is_none() {
            break;
        }
    }
    Ok(None)
}

pub(super) async fn bucket(
    config: &Config,
    shared: &SdkConfig,
    options: PreflightOptions,
    report: &mut PreflightReport,
) {
    let Some(offload) = config.offload() else {
        report.push(
            "offload bucket",
            CheckStatus::NotChecked,
            "offloading is off",
        );
        return;
    };
    let client = build::s3_client(config, offload, shared);
    let bucket = &offload.bucket;
    let caller = check_caller(config);
    let head = caller
        .with_retries(
            || client.head_bucket().bucket(bucket).send(),
            |e| crate::sdk::is_retryable(e, &[]),
        )
        .await;
    if let Err(failure) = head {
        let status = sdk_error::<aws_sdk_s3::operation::head_bucket::HeadBucketError>(&failure)
            .and_then(crate::sdk::status);
        let what = match status {
            Some(404) => format!(
                "no bucket {bucket}: create it, or fix AWS_EVENTBRIDGE_OFFLOADING_DEFAULT_S3_BUCKET"
            ),
            Some(403) => format!(
                "the credentials may not read bucket {bucket} (s3:ListBucket): grant it, or check the bucket policy"
            ),
            _ => "check the network path and the S3 endpoint, then run pre-flight again".to_owned(),
        };
        report.push(
            "offload bucket",
            CheckStatus::Failed,
            format!("{}; {what}", ErrorChain(&failure)),
        );
        return;
    }
    let detail = if options.write {
        write_probe(&client, &caller, offload).await
    } else {
        Ok(format!("{bucket} exists (run with --write to try a write)"))
    };
    match detail {
        Ok(detail) => report.push("offload bucket", CheckStatus::Passed, detail),
        Err(detail) => report.push("offload bucket", CheckStatus::Failed, detail),
    }
}

/// Puts a zero-byte object under the key prefix and deletes it: what was found, or why the
/// write failed.
async fn write_probe(
    client: &aws_sdk_s3::Client,
    caller: &Caller,
    offload: &crate::offload::OffloadConfig,
) -> Result<String, String> {
    let bucket = &offload.bucket;
    let key = format!("{}preflight-{}", offload.key_prefix, uuid::Uuid::new_v4());
    caller
        .with_retries(
            || {
                let body = Vec::new().into();
                client
                    .put_object()
                    .bucket(bucket)
                    .key(&key)
                    .body(body)
                    .send()
            },
            |e| crate::sdk::is_retryable(e, &[]),
        )
        .await
        .map_err(|failure| {
            format!(
                "{}; the credentials may not write {bucket}/{key} (s3:PutObject): grant it",
                ErrorChain(&failure)
            )
        })?;
    let deleted = caller
        .with_retries(
            || client.delete_object().bucket(bucket).key(&key).send(),
            |e| crate::sdk::is_retryable(e, &[]),
        )
        .await;
    Ok(match deleted {
        Ok(_) => {
            format!("{bucket} exists; a zero-byte object was put and deleted under the key prefix")
        }
        Err(_) => format!(
            "{bucket} exists and takes writes; the probe {key} could not be deleted: delete it"
        ),
    })
}

pub(super) async fn registries(config: &Config, shared: &SdkConfig, report: &mut PreflightReport) {
    let caller = check_caller(config);
    let user_info = match super::super::secrets::resolve(config, shared, &caller).await {
        Ok(info) => {
            if info.is_some() {
                report.push(
                    "registry secret",
                    CheckStatus::Passed,
                    "read (its value is not shown)",
                );
            }
            info
        }
        Err(error) => {
            report.push(
                "registry secret",
                CheckStatus::Failed,
                format!("{}; grant secretsmanager:GetSecretValue on it, or fix AWS_EVENTBRIDGE_SCHEMA_REGISTRY_SECRET_ARN", ErrorChain(&error)),
            );
            None
        }
    };
    match &config.decode.registry {
        None => report.push(
            "schema registry",
            CheckStatus::NotChecked,
            "no Confluent-compatible registry configured",
        ),
        Some(registry) => {
            let auth = user_info
                .as_ref()
                .map(|s| s.0.as_str())
                .or(registry.user_info.as_ref().map(|s| s.0.as_str()));
            let client = ConfluentRegistry::new(&registry.url, auth);
            let probe = caller
                .with_retries(|| client.probe(), RegistryError::is_retryable)
                .await;
            match probe {
                Ok(()) => report.push(
                    "schema registry",
                    CheckStatus::Passed,
                    format!("{} answers", crate::error::redact_url(&registry.url)),
                ),
                Err(failure) => report.push(
                    "schema registry",
                    CheckStatus::Failed,
                    format!(
                        "{}: {}; check the URL, the network path and the credentials",
                        crate::error::redact_url(&registry.url),
                        ErrorChain(&failure)
                    ),
                ),
            }
        }
    }
    glue(config, shared, report).await;
}

async fn glue(config: &Config, shared: &SdkConfig, report: &mut PreflightReport) {
    let framed = |f: PayloadFormat| {
        matches!(
            f,
            PayloadFormat::Avro
                | PayloadFormat::JsonSchema
                | PayloadFormat::Protobuf
                | PayloadFormat::Registry
        )
    };
    if !framed(config.decode.key_format) && !framed(config.decode.value_format) {
        report.push(
            "glue schema registry",
            CheckStatus::NotChecked,
            "no key or value format reads registry-framed data",
        );
        return;
    }
    let client = build::glue_client(config, shared);
    let caller = check_caller(config);
    let answer = caller
        .with_retries(
            || {
                client
                    .get_schema_version()
                    .schema_version_id(ABSENT_SCHEMA_VERSION)
                    .send()
            },
            |e| crate::sdk::is_retryable(e, &[]),
        )
        .await;
    let region = config.glue_region();
    let (status, detail) = match answer {
        Ok(_) => (CheckStatus::Passed, format!("Glue answers in {region}")),
        Err(failure) => match code_of::<
            aws_sdk_glue::operation::get_schema_version::GetSchemaVersionError,
        >(&failure)
        {
            Some("EntityNotFoundException") => (
                CheckStatus::Passed,
                format!("Glue answers in {region}, and glue:GetSchemaVersion is allowed"),
            ),
            code => (
                CheckStatus::Failed,
                format!(
                    "{}; {}",
                    ErrorChain(&failure),
                    advice(
                        code,
                        "",
                        "grant glue:GetSchemaVersion (and glue:GetSchema) to the credentials"
                    )
                ),
            ),
        },
    };
    report.push("glue schema registry", status, detail);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advice_follows_the_service_code() {
        let advise = |code| advice(code, "missing", "denied");
        assert_eq!(advise(Some("ResourceNotFoundException")), "missing");
        assert_eq!(advise(Some("NoSuchBucket")), "missing");
        assert_eq!(advise(Some("AccessDeniedException")), "denied");
        assert!(advise(Some("InternalException")).starts_with("check the network"));
        assert!(advise(None).starts_with("check the network"));
    }
}
