//! The AWS Glue Schema Registry behind the [`SchemaSource`] seam: `GetSchemaVersion` by schema
//! version id with the `aws-sdk-glue` client, built once at cold start with the function's
//! credentials and the SDK's own retries turned off (the registry cache owns retries).
//!
//! A schema version id names one version in the whole region, so no registry name is needed;
//! the region is the function's own unless `AWS_EVENTBRIDGE_SCHEMA_REGISTRY_GLUE_REGION` says
//! otherwise, and `AWS_ENDPOINT_URL_GLUE` (the SDK's standard variable) overrides the endpoint.

use aws_sdk_glue::Client;
use aws_sdk_glue::types::DataFormat;
use futures_util::future::BoxFuture;

use super::error::{GetSchemaVersionCallError, RegistryError};
use super::source::{FetchedSchema, SchemaSource, not_configured};
use crate::decode::schema::{SchemaId, SchemaKind};

/// The AWS Glue Schema Registry of one region.
#[derive(Debug, Clone)]
pub(crate) struct GlueRegistry {
    client: Client,
}

impl GlueRegistry {
    /// A registry reached through `client`.
    pub(crate) fn new(client: Client) -> Self {
        Self { client }
    }

    async fn get(&self, version: uuid::Uuid) -> Result<FetchedSchema, RegistryError> {
        let output = self
            .client
            .get_schema_version()
            .schema_version_id(version.to_string())
            .send()
            .await
            .map_err(|e| {
                RegistryError::Glue(GetSchemaVersionCallError {
                    source: Box::new(e),
                })
            })?;
        let kind = match output.data_format() {
            Some(DataFormat::Avro) => SchemaKind::Avro,
            Some(DataFormat::Json) => SchemaKind::Json,
            Some(DataFormat::Protobuf) => SchemaKind::Protobuf,
            Some(other) => return Err(RegistryError::SchemaType(other.as_str().to_owned())),
            None => return Err(RegistryError::Incomplete("DataFormat")),
        };
        let text = output
            .schema_definition
            .ok_or(RegistryError::Incomplete("SchemaDefinition"))?;
        Ok(FetchedSchema::new(kind, text))
    }
}

impl SchemaSource for GlueRegistry {
    fn fetch(&self, id: SchemaId) -> BoxFuture<'_, Result<FetchedSchema, RegistryError>> {
        match id {
            SchemaId::Glue(version) => Box::pin(self.get(version)),
            SchemaId::Confluent(_) | SchemaId::ConfluentGuid(_) => {
                not_configured(RegistryError::NoConfluentRegistry)
            }
        }
    }
}
