//! The AWS configuration of the SDK clients under test: a region and dummy credentials.

use aws_config::{BehaviorVersion, SdkConfig};
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_sdk_eventbridge::config::{Credentials, Region};

use super::REGION;

/// Shared configuration with [`REGION`] and test credentials, reaching `endpoint` when given.
pub fn sdk_config(endpoint: Option<&str>) -> SdkConfig {
    let mut builder = SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(REGION))
        .credentials_provider(SharedCredentialsProvider::new(Credentials::for_tests()));
    if let Some(endpoint) = endpoint {
        builder = builder.endpoint_url(endpoint);
    }
    builder.build()
}
