//! The parse helpers every setting shares, and the one validator of each kind of id (region,
//! partition, account, endpoint id).

use super::error::ConfigError;
use std::fmt;

/// The choice named by `value` (trimmed), `default` when unset; anything else is rejected with
/// the list of names.
pub(super) fn parse_choice<T: Copy>(
    var: &'static str,
    value: Option<String>,
    default: T,
    choices: &[(&str, T)],
) -> Result<T, ConfigError> {
    let Some(value) = value else {
        return Ok(default);
    };
    let value = value.trim();
    if let Some((_, choice)) = choices.iter().find(|(name, _)| *name == value) {
        return Ok(*choice);
    }
    let names: Vec<&str> = choices.iter().map(|(name, _)| *name).collect();
    let (last, rest) = names.split_last().expect("at least one choice");
    let list = if rest.is_empty() {
        (*last).to_owned()
    } else {
        format!("{} or {last}", rest.join(", "))
    };
    Err(ConfigError::invalid(var, value, format!("must be {list}")))
}

/// The names a flag accepts.
pub(super) const FLAG: [(&str, bool); 2] = [("false", false), ("true", true)];

/// A `true`/`false` flag.
pub(super) fn parse_flag(
    get: &impl Fn(&str) -> Option<String>,
    var: &'static str,
    default: bool,
) -> Result<bool, ConfigError> {
    parse_choice(var, get(var), default, &FLAG)
}

pub(super) fn parse_int<T>(
    get: &impl Fn(&str) -> Option<String>,
    var: &'static str,
    default: T,
    min: T,
    max: T,
) -> Result<T, ConfigError>
where
    T: std::str::FromStr + PartialOrd + fmt::Display + Copy,
{
    let Some(value) = get(var) else {
        return Ok(default);
    };
    match value.trim().parse::<T>() {
        Ok(n) if n >= min && n <= max => Ok(n),
        _ => Err(ConfigError::invalid(
            var,
            &value,
            format!("must be a whole number from {min} to {max}"),
        )),
    }
}

pub(super) fn parse_endpoint(var: &'static str, value: &str) -> Result<String, ConfigError> {
    let value = value.trim();
    let host = value
        .strip_prefix("https://")
        .or_else(|| value.strip_prefix("http://"));
    match host {
        Some(h)
            if !h.is_empty() && !h.starts_with('/') && !value.chars().any(char::is_whitespace) =>
        {
            Ok(value.to_owned())
        }
        _ => Err(ConfigError::invalid(
            var,
            value,
            "must be an http:// or https:// URL with a host",
        )),
    }
}

/// An AWS partition: `aws`, or `aws-` and lowercase words (`aws-cn`, `aws-us-gov`).
pub(super) fn is_partition(partition: &str) -> bool {
    partition == "aws"
        || partition.strip_prefix("aws-").is_some_and(|p| {
            !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase() || b == b'-')
        })
}

/// The region `var` sets, trimmed, if it is set: a region of a partition the AWS SDK knows
/// ([`super::region`]).
pub(super) fn parse_region(
    var: &'static str,
    value: Option<String>,
) -> Result<Option<String>, ConfigError> {
    match value {
        Some(r) if is_region(r.trim()) => Ok(Some(r.trim().to_owned())),
        Some(r) => Err(ConfigError::invalid(var, &r, super::region::region_rule())),
        None => Ok(None),
    }
}

/// A region of a partition the AWS SDK knows: `us-east-1`, `us-gov-west-1`, a region opened
/// since (it matches its partition's pattern); not `invalid-region-1`.
pub(super) fn is_region(s: &str) -> bool {
    super::region::partition_of(s).is_some()
}

/// `^[A-Za-z0-9-]+\.[A-Za-z0-9-]+$`, the connector's rule for global endpoint ids.
pub(super) fn is_endpoint_id(s: &str) -> bool {
    let ok = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    s.split_once('.').is_some_and(|(a, b)| ok(a) && ok(b))
}

/// The six `:`-separated parts of an ARN (the last keeps any further `:`), if it has six.
pub(super) fn arn_parts(arn: &str) -> Option<[&str; 6]> {
    let mut parts = arn.splitn(6, ':');
    let mut out = [""; 6];
    for part in &mut out {
        *part = parts.next()?;
    }
    Some(out)
}

/// A 12-digit AWS account id.
pub(super) fn is_account(account: &str) -> bool {
    account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit())
}
