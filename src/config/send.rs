//! The send settings: batch caps, calls in flight, retries, call timeout, the failure mode,
//! and the operator metrics.

use std::num::NonZeroUsize;
use std::time::Duration;

use super::defaults::*;
use super::error::{ConfigError, ensure};
use super::parse::*;
use crate::metrics::{DEFAULT_NAMESPACE, MAX_NAMESPACE_CHARS, MetricsConfig};
use crate::report::FailureMode;
use crate::vars::*;

/// The names `AWS_EVENTBRIDGE_BATCH_FAILURE_MODE` accepts; the first is the default.
pub(super) const FAILURE_MODES: [(&str, FailureMode); 2] = [
    ("partial", FailureMode::Partial),
    ("fail-invocation", FailureMode::FailInvocation),
];

/// The names `AWS_EVENTBRIDGE_METRICS` accepts (whether metrics are on); the first is the
/// default.
pub(super) const METRICS_MODES: [(&str, bool); 2] = [("emf", true), ("off", false)];

pub(super) fn parse_failure_mode(value: Option<String>) -> Result<FailureMode, ConfigError> {
    parse_choice(
        BATCH_FAILURE_MODE,
        value,
        FailureMode::Partial,
        &FAILURE_MODES,
    )
}

pub(super) fn parse_metrics(
    get: &impl Fn(&str) -> Option<String>,
) -> Result<MetricsConfig, ConfigError> {
    let enabled = parse_choice(METRICS, get(METRICS), true, &METRICS_MODES)?;
    let per_topic = parse_flag(get, METRICS_TOPIC_DIMENSION, false)?;
    let namespace = get(METRICS_NAMESPACE)
        .map_or_else(|| DEFAULT_NAMESPACE.to_owned(), |v| v.trim().to_owned());
    let ok = namespace.chars().count() <= MAX_NAMESPACE_CHARS
        && !namespace.starts_with("AWS/")
        && namespace
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || " ._-/#:".contains(c));
    let rule = "must be at most 255 characters of A-Z a-z 0-9 . - _ / # : and spaces, not starting with AWS/";
    ensure(ok, METRICS_NAMESPACE, &namespace, rule)?;
    Ok(MetricsConfig {
        enabled,
        namespace,
        per_topic,
    })
}

pub(super) struct SendSettings {
    pub(super) batch_max_bytes: usize,
    pub(super) max_inflight: NonZeroUsize,
    pub(super) adaptive_concurrency: bool,
    pub(super) retries_max: u32,
    pub(super) retries_delay: Duration,
    pub(super) call_timeout: Duration,
}

pub(super) fn parse_sending(
    get: &impl Fn(&str) -> Option<String>,
) -> Result<SendSettings, ConfigError> {
    let max_inflight = parse_int(get, MAX_INFLIGHT, DEFAULT_MAX_INFLIGHT, 1, MAX_MAX_INFLIGHT)?;
    let retries_max = parse_int(get, RETRIES_MAX, DEFAULT_RETRIES_MAX, 0, MAX_RETRIES_MAX)?;
    let delay_ms = parse_int(
        get,
        RETRIES_DELAY,
        DEFAULT_RETRIES_DELAY_MS,
        0,
        MAX_RETRIES_DELAY_MS,
    )?;
    let (min, max) = CALL_TIMEOUT_RANGE_MS;
    let timeout_ms = parse_int(get, CALL_TIMEOUT_MS, DEFAULT_CALL_TIMEOUT_MS, min, max)?;
    let cap = MAX_BATCH_MAX_BYTES;
    let adaptive_concurrency = parse_flag(get, ADAPTIVE_CONCURRENCY, true)?;
    Ok(SendSettings {
        batch_max_bytes: parse_int(get, BATCH_MAX_BYTES, DEFAULT_BATCH_MAX_BYTES, 1, cap)?,
        max_inflight: NonZeroUsize::new(max_inflight).expect("the parser's minimum is 1"),
        adaptive_concurrency,
        retries_max,
        retries_delay: Duration::from_millis(delay_ms),
        call_timeout: Duration::from_millis(timeout_ms),
    })
}
