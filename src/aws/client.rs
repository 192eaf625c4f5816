//! The shared AWS configuration as each adapter's client uses it.

use std::time::Duration;

use aws_config::SdkConfig;
use aws_sdk_eventbridge::config::Region;

use crate::config::Config;

/// How long establishing a connection may take before the call fails (retryably).
pub(crate) const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);

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
