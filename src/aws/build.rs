//! The only adapter code that reads [`Config`]: each AWS adapter's client built from the shared
//! AWS configuration and the function's settings. The adapters themselves take their settings
//! in `new(client, …)` and know nothing of the configuration.

use aws_config::SdkConfig;
use aws_sdk_eventbridge::config::Region;

use super::client::client_config;
use crate::bus::AwsBus;
use crate::bus::classic::EventBridgeBus;
use crate::bus::v2::EventBridgeV2Bus;
use crate::config::{BusKind, Config, Deduplication};
use crate::decode::registry::GlueRegistry;
use crate::offload::OffloadConfig;
use crate::store::s3::S3Store;

/// The EventBridge client of the configuration: its region and endpoint override, the SDK's
/// own retries off.
pub(super) fn eventbridge_client(
    config: &Config,
    shared: &SdkConfig,
) -> aws_sdk_eventbridge::Client {
    let shared = client_config(config, shared);
    let mut builder = aws_sdk_eventbridge::config::Builder::from(&shared);
    if let Some(uri) = &config.endpoint_uri {
        builder = builder.endpoint_url(uri);
    }
    aws_sdk_eventbridge::Client::from_conf(builder.build())
}

/// The Custom Event Bus client of the configuration, as [`eventbridge_client`].
pub(super) fn eventbridge_v2_client(
    config: &Config,
    shared: &SdkConfig,
) -> aws_sdk_eventbridgev2::Client {
    let shared = client_config(config, shared);
    let mut builder = aws_sdk_eventbridgev2::config::Builder::from(&shared);
    if let Some(uri) = &config.endpoint_uri {
        builder = builder.endpoint_url(uri);
    }
    aws_sdk_eventbridgev2::Client::from_conf(builder.build())
}

/// The S3 client of the claim check: its endpoint override (path-style) when set.
pub(super) fn s3_client(
    config: &Config,
    offload: &OffloadConfig,
    shared: &SdkConfig,
) -> aws_sdk_s3::Client {
    let shared = client_config(config, shared);
    let mut builder = aws_sdk_s3::config::Builder::from(&shared);
    if let Some(uri) = &offload.s3_endpoint_uri {
        builder = builder.endpoint_url(uri).force_path_style(true);
    }
    aws_sdk_s3::Client::from_conf(builder.build())
}

/// The AWS Glue client, in the configured Glue region.
pub(super) fn glue_client(config: &Config, shared: &SdkConfig) -> aws_sdk_glue::Client {
    let shared = client_config(config, shared);
    let builder = aws_sdk_glue::config::Builder::from(&shared)
        .region(Region::new(config.glue_region().to_owned()));
    aws_sdk_glue::Client::from_conf(builder.build())
}

impl EventBridgeBus {
    /// Builds the client from the shared AWS configuration
    /// (see `aws::load_shared_config`) and the
    /// function's configuration: its region, endpoint override and global endpoint. The SDK's
    /// own retries are turned off.
    pub fn from_config(config: &Config, shared: &SdkConfig) -> Self {
        Self::new(
            eventbridge_client(config, shared),
            config.bus_arn.as_str().to_owned(),
            config.global_endpoint_id.clone(),
        )
    }
}

impl EventBridgeV2Bus {
    /// Builds the client from the shared AWS configuration and the function's configuration
    /// (region, endpoint override); the SDK's own retries are off.
    pub fn from_config(config: &Config, shared: &SdkConfig) -> Self {
        let content = config
            .ordering()
            .is_some_and(|o| o.deduplication == Deduplication::Content);
        Self::new(
            eventbridge_v2_client(config, shared),
            config.bus_arn.as_str().to_owned(),
            content,
        )
    }
}

impl AwsBus {
    /// The bus of the configuration's ARN, its client built from `shared`.
    pub fn from_config(config: &Config, shared: &SdkConfig) -> Self {
        match config.bus_arn().kind() {
            BusKind::Classic => Self::Classic(EventBridgeBus::from_config(config, shared)),
            BusKind::V2 => Self::V2(EventBridgeV2Bus::from_config(config, shared)),
        }
    }
}

impl S3Store {
    /// Builds the client from the shared AWS configuration and the offload configuration.
    pub fn from_config(config: &Config, offload: &OffloadConfig, shared: &SdkConfig) -> Self {
        Self::new(s3_client(config, offload, shared), offload.bucket.clone())
    }
}

impl GlueRegistry {
    /// Builds the client from the shared AWS configuration (credentials, endpoint variables)
    /// in the configured Glue region.
    pub(crate) fn from_config(config: &Config, shared: &SdkConfig) -> Self {
        Self::new(glue_client(config, shared))
    }
}
