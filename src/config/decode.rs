//! The decode settings: key and value formats, the schema registry (Confluent-compatible URL
//! and credentials, AWS Glue region), the event source mapping's record format.

use std::fmt;

use super::defaults::*;
use super::error::ConfigError;
use super::parse::*;
use crate::decode::{EsmRecordFormat, PayloadFormat};
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

/// The decode settings of a [`Config`](super::Config).
#[derive(Debug, Clone)]
pub(crate) struct DecodeSettings {
    /// `AWS_EVENTBRIDGE_KEY_FORMAT`.
    pub(crate) key_format: PayloadFormat,
    /// `AWS_EVENTBRIDGE_VALUE_FORMAT`.
    pub(crate) value_format: PayloadFormat,
    /// `AWS_EVENTBRIDGE_SCHEMA_REGISTRY_*`: the Confluent-compatible schema registry, when set.
    pub(crate) registry: Option<RegistryConfig>,
    /// `AWS_EVENTBRIDGE_SCHEMA_REGISTRY_GLUE_REGION`, else the function's region.
    pub(crate) glue_region: String,
    /// `AWS_REGION` (the function's region on Lambda), else the bus's region.
    pub(crate) function_region: String,
    /// `AWS_EVENTBRIDGE_ESM_RECORD_FORMAT`.
    pub(crate) esm_format: EsmRecordFormat,
}

/// The key and value formats, the registries and the event source mapping's record format;
/// the regions default to `bus_region` outside Lambda.
pub(super) fn parse_decode(
    get: &impl Fn(&str) -> Option<String>,
    bus_region: &str,
) -> Result<DecodeSettings, ConfigError> {
    let key_format = parse_format(KEY_FORMAT, get(KEY_FORMAT), DEFAULT_KEY_FORMAT)?;
    let value_format = parse_format(VALUE_FORMAT, get(VALUE_FORMAT), DEFAULT_VALUE_FORMAT)?;
    let registry = parse_registry(get)?;
    // The function's own region (Lambda sets AWS_REGION); the bus's outside Lambda.
    let function_region = get("AWS_REGION")
        .map(|region| region.trim().to_owned())
        .filter(|region| is_region(region))
        .unwrap_or_else(|| bus_region.to_owned());
    let glue_region = parse_region(
        SCHEMA_REGISTRY_GLUE_REGION,
        get(SCHEMA_REGISTRY_GLUE_REGION),
    )?
    .unwrap_or_else(|| function_region.clone());
    Ok(DecodeSettings {
        key_format,
        value_format,
        registry,
        function_region,
        glue_region,
        esm_format: parse_choice(
            ESM_RECORD_FORMAT,
            get(ESM_RECORD_FORMAT),
            EsmRecordFormat::Auto,
            &ESM_RECORD_FORMATS,
        )?,
    })
}

fn parse_registry(
    get: &impl Fn(&str) -> Option<String>,
) -> Result<Option<RegistryConfig>, ConfigError> {
    let user_info = get(SCHEMA_REGISTRY_USER_INFO);
    let secret_arn = get(SCHEMA_REGISTRY_SECRET_ARN).map(|arn| arn.trim().to_owned());
    let Some(url) = get(SCHEMA_REGISTRY_URL) else {
        if user_info.is_some() || secret_arn.is_some() {
            return Err(ConfigError::Missing {
                var: SCHEMA_REGISTRY_URL,
                rule: format!(
                    "the schema registry's credentials are set ({SCHEMA_REGISTRY_USER_INFO} or {SCHEMA_REGISTRY_SECRET_ARN}), so its http:// or https:// URL must be set too"
                ),
            });
        }
        return Ok(None);
    };
    let url = url.trim();
    let parsed = registry_url(url)?;
    // Credentials in the URL (`https://user:password@host`) become the basic auth, and the URL
    // that is kept, logged and requested has none.
    let (url, user_info) = if !parsed.username().is_empty() || parsed.password().is_some() {
        if user_info.is_some() || secret_arn.is_some() {
            return Err(ConfigError::invalid(
                SCHEMA_REGISTRY_URL,
                &crate::error::redact_url(url),
                format!(
                    "carries user:password@, and {SCHEMA_REGISTRY_USER_INFO} or {SCHEMA_REGISTRY_SECRET_ARN} is set too: set one source of the registry's credentials"
                ),
            ));
        }
        let (url, info) = take_url_credentials(parsed)?;
        (url, Some(info))
    } else {
        (url.to_owned(), user_info)
    };
    check_credentials(user_info.as_deref(), secret_arn.as_deref())?;
    Ok(Some(RegistryConfig {
        url: url.trim_end_matches('/').to_owned(),
        user_info: user_info.map(Secret),
        secret_arn,
    }))
}

/// `AWS_EVENTBRIDGE_SCHEMA_REGISTRY_URL`, parsed: an http:// or https:// URL with a host.
fn registry_url(url: &str) -> Result<reqwest::Url, ConfigError> {
    let host = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"));
    let parsed = reqwest::Url::parse(url).ok();
    match parsed {
        Some(parsed)
            if host.is_some_and(|h| {
                !(h.is_empty() || h.starts_with('/') || h.contains(char::is_whitespace))
            }) =>
        {
            Ok(parsed)
        }
        _ => Err(ConfigError::invalid(
            SCHEMA_REGISTRY_URL,
            &crate::error::redact_url(url),
            "must be an http:// or https:// URL of a Confluent-compatible schema registry",
        )),
    }
}

/// The registry URL without the `user:password@` it carries, and that `user:password`
/// (percent-decoded).
fn take_url_credentials(mut parsed: reqwest::Url) -> Result<(String, String), ConfigError> {
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
    // Both succeed on a URL with a host (checked before); were one to fail, the credentials
    // would stay in the URL, so that case is refused.
    if parsed.set_username("").is_err() || parsed.set_password(None).is_err() {
        return Err(ConfigError::invalid(
            SCHEMA_REGISTRY_URL,
            &crate::error::redact_url(parsed.as_str()),
            "carries credentials that cannot be taken out of it",
        ));
    }
    Ok((parsed.as_str().to_owned(), info))
}

/// The registry's credentials: `user:password`, from one source only; a secret named by an
/// ARN or a name without spaces.
fn check_credentials(user_info: Option<&str>, secret_arn: Option<&str>) -> Result<(), ConfigError> {
    if let Some(info) = user_info
        && !info.contains(':')
    {
        return Err(ConfigError::Invalid {
            var: SCHEMA_REGISTRY_USER_INFO,
            value: "(hidden)".to_owned(),
            rule: "must be user:password".to_owned(),
        });
    }
    if let Some(arn) = secret_arn {
        if user_info.is_some() {
            return Err(ConfigError::invalid(
                SCHEMA_REGISTRY_SECRET_ARN,
                arn,
                format!(
                    "cannot be set together with {SCHEMA_REGISTRY_USER_INFO}: set one source of the registry's credentials"
                ),
            ));
        }
        if arn.contains(char::is_whitespace) {
            return Err(ConfigError::invalid(
                SCHEMA_REGISTRY_SECRET_ARN,
                arn,
                "must be a Secrets Manager secret ARN (arn:<partition>:secretsmanager:<region>:<account>:secret:<name>) or name",
            ));
        }
        // An ARN names the region the secret is read in: it must be one.
        if let Some(["arn", partition, "secretsmanager", region, _, _]) = arn_parts(arn)
            && let Some(problem) = super::region::arn_region_problem(partition, region)
        {
            return Err(ConfigError::invalid(
                SCHEMA_REGISTRY_SECRET_ARN,
                arn,
                problem,
            ));
        }
    }
    Ok(())
}

/// The names `AWS_EVENTBRIDGE_ESM_RECORD_FORMAT` accepts; the first is the default.
pub(super) const ESM_RECORD_FORMATS: [(&str, EsmRecordFormat); 3] = [
    ("auto", EsmRecordFormat::Auto),
    ("json", EsmRecordFormat::Json),
    ("source", EsmRecordFormat::Source),
];

pub(super) fn parse_format(
    var: &'static str,
    value: Option<String>,
    default: PayloadFormat,
) -> Result<PayloadFormat, ConfigError> {
    parse_choice(
        var,
        value,
        default,
        &PayloadFormat::ALL.map(|f| (f.name(), f)),
    )
}
