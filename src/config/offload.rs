//! The claim check's settings: bucket, field, threshold, key prefix, S3 endpoint.

use super::defaults::*;
use super::error::ConfigError;
use super::parse::*;
use crate::offload::OffloadConfig;
use crate::path::{DefinitePath, Step};
use crate::vars::*;

/// The claim check's settings, and a field path set without a bucket (offloading is then off,
/// and the cold start says so in a WARN).
pub(super) struct OffloadSettings {
    pub(super) config: Option<OffloadConfig>,
    pub(super) unused_fieldref: Option<DefinitePath>,
}

pub(super) fn parse_offload(
    get: &impl Fn(&str) -> Option<String>,
) -> Result<OffloadSettings, ConfigError> {
    // The field path is checked whatever else is set, as the connector does: a path that could
    // never be offloaded is a mistake even before a bucket turns offloading on.
    let fieldref = get(OFFLOAD_FIELDREF)
        .map(|text| parse_fieldref(text.trim()))
        .transpose()?;
    let Some(bucket) = get(OFFLOAD_BUCKET) else {
        // The default, the whole value, is no choice of the user's (the template passes it
        // whatever the bucket): only a path under the value, set without a bucket, is worth a
        // WARN. A checked path starts with `detail` and `value`.
        let unused_fieldref = fieldref.filter(|f| f.steps().len() > 2);
        return Ok(OffloadSettings {
            config: None,
            unused_fieldref,
        });
    };
    let bucket = parse_bucket(&bucket)?;
    let fieldref = match fieldref {
        Some(fieldref) => fieldref,
        None => parse_fieldref(DEFAULT_OFFLOAD_FIELDREF)?,
    };
    let s3_endpoint_uri = get(OFFLOAD_S3_ENDPOINT_URI)
        .map(|v| parse_endpoint(OFFLOAD_S3_ENDPOINT_URI, &v))
        .transpose()?;
    let threshold_bytes = parse_int(get, OFFLOAD_THRESHOLD, 0, 0, MAX_BATCH_MAX_BYTES)?;
    let key_prefix = get(OFFLOAD_KEY_PREFIX)
        .map(|p| p.trim().to_owned())
        .unwrap_or_default();
    if key_prefix.len() > MAX_OFFLOAD_KEY_PREFIX_BYTES {
        return Err(ConfigError::invalid(
            OFFLOAD_KEY_PREFIX,
            &key_prefix,
            format!("must be at most {MAX_OFFLOAD_KEY_PREFIX_BYTES} bytes"),
        ));
    }
    Ok(OffloadSettings {
        config: Some(OffloadConfig {
            bucket,
            fieldref,
            s3_endpoint_uri,
            threshold_bytes,
            key_prefix,
        }),
        unused_fieldref: None,
    })
}

/// `AWS_EVENTBRIDGE_OFFLOADING_DEFAULT_FIELDREF`: a definite JSONPath at or under
/// `$.detail.value` (the connector refuses `$`, `$.detail` and wildcards).
fn parse_fieldref(text: &str) -> Result<DefinitePath, ConfigError> {
    let fieldref = DefinitePath::parse(text)
        .map_err(|e| ConfigError::invalid(OFFLOAD_FIELDREF, text, e.to_string()))?;
    let under_value = matches!(
        fieldref.steps(),
        [Step::Member(d), Step::Member(v), ..] if d == "detail" && v == "value"
    );
    if !under_value {
        return Err(ConfigError::invalid(
            OFFLOAD_FIELDREF,
            text,
            "must lie at or under $.detail.value (the record value)",
        ));
    }
    Ok(fieldref)
}

pub(super) fn parse_bucket(value: &str) -> Result<String, ConfigError> {
    let bucket = value.trim();
    let (min, max) = BUCKET_NAME_CHARS;
    let bucket_ok = (min..=max).contains(&bucket.len())
        && bucket
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-')
        && bucket.starts_with(|c: char| c.is_ascii_alphanumeric())
        && bucket.ends_with(|c: char| c.is_ascii_alphanumeric());
    if !bucket_ok {
        return Err(ConfigError::invalid(
            OFFLOAD_BUCKET,
            bucket,
            "must be an S3 bucket name: 3 to 63 characters of a-z, 0-9, '.' and '-', starting and ending with a letter or digit",
        ));
    }
    Ok(bucket.to_owned())
}
