//! The decode settings: key and value formats, the schema registry (Confluent-compatible URL
//! and credentials, AWS Glue region), the event source mapping's record format.

use std::fmt;

use super::error::ConfigError;
use super::parse::*;
use crate::decode::PayloadFormat;
use crate::vars::*;

/// A Confluent-compatible schema registry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RegistryConfig {
    /// `AWS_EVENTBRIDGE_SCHEMA_REGISTRY_URL`, without a trailing `/`.
    pub(crate) url: String,
    /// `AWS_EVENTBRIDGE_SCHEMA_REGISTRY_USER_INFO` (the secret of
    /// `AWS_EVENTBRIDGE_SCHEMA_REGISTRY_SECRET_ARN` is read at cold start into
    /// `aws::ColdStart`, beside the configuration).
    pub(crate) user_info: Option<Secret>,
    /// `AWS_EVENTBRIDGE_SCHEMA_REGISTRY_SECRET_ARN`.
    pub(crate) secret_arn: Option<String>,
}

/// A secret setting: never printed.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Secret(pub(crate) String);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(..)")
    }
}

pub(super) fn parse_registry(
    get: &impl Fn(&str) -> Option<String>,
) -> Result<Option<RegistryConfig>, ConfigError> {
    let user_info = get(SCHEMA_REGISTRY_USER_INFO);
    let secret_arn = get(SCHEMA_REGISTRY_SECRET_ARN).map(|arn| arn.trim().to_owned());
    let Some(url) = get(SCHEMA_REGISTRY_URL) else {
        if user_info.is_some() || secret_arn.is_some() {
            return Err(ConfigError::Missing {
                var: SCHEMA_REGISTRY_URL,
                rule: "the schema registry's credentials are set (AWS_EVENTBRIDGE_SCHEMA_REGISTRY_USER_INFO or _SECRET_ARN), so its http:// or https:// URL must be set too",
            });
        }
        return Ok(None);
    };
    let url = url.trim();
    let shown = crate::error::redact_url(url);
    let host = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"));
    let parsed = reqwest::Url::parse(url).ok();
    if host.is_none_or(|h| h.is_empty() || h.starts_with('/') || h.contains(char::is_whitespace))
        || parsed.is_none()
    {
        return Err(ConfigError::invalid(
            SCHEMA_REGISTRY_URL,
            &shown,
            "must be an http:// or https:// URL of a Confluent-compatible schema registry",
        ));
    }
    // Credentials in the URL (`https://user:password@host`) become the basic auth, and the URL
    // that is kept, logged and requested has none.
    let (url, user_info) = match parsed {
        Some(mut parsed) if !parsed.username().is_empty() || parsed.password().is_some() => {
            if user_info.is_some() || secret_arn.is_some() {
                return Err(ConfigError::invalid(
                    SCHEMA_REGISTRY_URL,
                    &shown,
                    "carries user:password@, and AWS_EVENTBRIDGE_SCHEMA_REGISTRY_USER_INFO or _SECRET_ARN is set too: set one source of the registry's credentials",
                ));
            }
            let decode = |part: &str| {
                percent_encoding::percent_decode_str(part)
                    .decode_utf8_lossy()
                    .into_owned()
            };
            let info = format!(
                "{}:{}",
                decode(parsed.username()),
                decode(parsed.password().unwrap_or(""))
            );
            // Both succeed on a URL with a host (checked above); were one to fail, the
            // credentials would stay in the URL, so that case is refused.
            if parsed.set_username("").is_err() || parsed.set_password(None).is_err() {
                return Err(ConfigError::invalid(
                    SCHEMA_REGISTRY_URL,
                    &shown,
                    "carries credentials that cannot be taken out of it",
                ));
            }
            (parsed.as_str().to_owned(), Some(info))
        }
        _ => (url.to_owned(), user_info),
    };
    let url = url.as_str();
    if let Some(info) = &user_info
        && !info.contains(':')
    {
        return Err(ConfigError::Invalid {
            var: SCHEMA_REGISTRY_USER_INFO,
            value: "(hidden)".to_owned(),
            rule: "must be user:password".to_owned(),
        });
    }
    if let Some(arn) = &secret_arn {
        if user_info.is_some() {
            return Err(ConfigError::invalid(
                SCHEMA_REGISTRY_SECRET_ARN,
                arn,
                "cannot be set together with AWS_EVENTBRIDGE_SCHEMA_REGISTRY_USER_INFO: set one source of the registry's credentials",
            ));
        }
        if arn.contains(char::is_whitespace) {
            return Err(ConfigError::invalid(
                SCHEMA_REGISTRY_SECRET_ARN,
                arn,
                "must be a Secrets Manager secret ARN (arn:<partition>:secretsmanager:<region>:<account>:secret:<name>) or name",
            ));
        }
    }
    Ok(Some(RegistryConfig {
        url: url.trim_end_matches('/').to_owned(),
        user_info: user_info.map(Secret),
        secret_arn,
    }))
}

pub(super) fn parse_format(
    var: &'static str,
    value: Option<String>,
    default: PayloadFormat,
) -> Result<PayloadFormat, ConfigError> {
    let choices = [
        ("string", PayloadFormat::String),
        ("json", PayloadFormat::Json),
        ("bytes", PayloadFormat::Bytes),
        ("auto", PayloadFormat::Auto),
        ("avro", PayloadFormat::Avro),
        ("json-schema", PayloadFormat::JsonSchema),
        ("protobuf", PayloadFormat::Protobuf),
        ("registry", PayloadFormat::Registry),
    ];
    parse_choice(var, value, default, &choices)
}
