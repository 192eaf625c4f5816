//! The claim check's settings: bucket, field, threshold, key prefix, S3 endpoint.

use super::defaults::*;
use super::error::ConfigError;
use super::parse::*;
use crate::offload::OffloadConfig;
use crate::path::{DefinitePath, Step};
use crate::vars::*;

pub(super) fn parse_offload(
    get: &impl Fn(&str) -> Option<String>,
) -> Result<Option<OffloadConfig>, ConfigError> {
    let Some(bucket) = get(OFFLOAD_BUCKET) else {
        return Ok(None);
    };
    let bucket = parse_bucket(&bucket)?;
    let fieldref_text =
        get(OFFLOAD_FIELDREF).unwrap_or_else(|| DEFAULT_OFFLOAD_FIELDREF.to_owned());
    let fieldref_text = fieldref_text.trim();
    let fieldref = DefinitePath::parse(fieldref_text)
        .map_err(|e| ConfigError::invalid(OFFLOAD_FIELDREF, fieldref_text, e.to_string()))?;
    let under_value = matches!(
        fieldref.steps(),
        [Step::Member(d), Step::Member(v), ..] if d == "detail" && v == "value"
    );
    if !under_value {
        return Err(ConfigError::invalid(
            OFFLOAD_FIELDREF,
            fieldref_text,
            "must lie at or under $.detail.value (the record value)",
        ));
    }
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
    Ok(Some(OffloadConfig {
        bucket,
        fieldref,
        s3_endpoint_uri,
        threshold_bytes,
        key_prefix,
    }))
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
