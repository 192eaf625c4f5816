//! The parameters of `template.yaml` that `migrate` sets: the contract between the two, which
//! the template's contract test (`tests/e2e/template.rs`) checks against the template itself.

/// `Source` = `kafka-connect.<ConnectorId>`.
pub(crate) const CONNECTOR_ID: &str = "ConnectorId";
/// The bus the events are put on.
pub(crate) const EVENT_BUS_ARN: &str = "EventBusArn";
/// The EventBridge client's region, when not the bus ARN's.
pub(crate) const EVENT_BUS_REGION: &str = "EventBusRegion";
/// An EventBridge endpoint override.
pub(crate) const ENDPOINT_URI: &str = "EventBridgeEndpointUri";
/// A global endpoint (`EndpointId`).
pub(crate) const GLOBAL_ENDPOINT_ID: &str = "GlobalEndpointId";
/// The `Resources` of every event.
pub(crate) const RESOURCES: &str = "EventResources";
/// The detail-type rule.
pub(crate) const DETAIL_TYPES: &str = "DetailTypes";
/// `default` or `jsonpath`.
pub(crate) const DETAIL_TYPES_MAPPER: &str = "DetailTypesMapper";
/// The JSONPath of the `jsonpath` mapper.
pub(crate) const DETAIL_TYPES_FIELDREF: &str = "DetailTypesFieldRef";
/// The event patterns a record's event must match to be put.
pub(crate) const FILTER_PATTERNS: &str = "FunctionFilterPatterns";
/// Retries per entry.
pub(crate) const RETRIES_MAX: &str = "RetriesMax";
/// The first backoff.
pub(crate) const RETRIES_DELAY: &str = "RetriesDelayMs";
/// A role to assume for EventBridge and S3.
pub(crate) const ROLE_ARN: &str = "RoleArn";
/// The role's `ExternalId`.
pub(crate) const EXTERNAL_ID: &str = "ExternalId";
/// The claim check's bucket.
pub(crate) const OFFLOAD_BUCKET: &str = "OffloadBucket";
/// The claim check's JSONPath.
pub(crate) const OFFLOAD_FIELDREF: &str = "OffloadFieldRef";
/// The claim check's S3 endpoint override.
pub(crate) const OFFLOAD_S3_ENDPOINT_URI: &str = "OffloadS3EndpointUri";
/// The record keys' format.
pub(crate) const KEY_FORMAT: &str = "KeyFormat";
/// The record values' format.
pub(crate) const VALUE_FORMAT: &str = "ValueFormat";
/// A Confluent-compatible registry.
pub(crate) const SCHEMA_REGISTRY_URL: &str = "FunctionSchemaRegistryUrl";
/// The AWS Glue Schema Registry the function reads.
pub(crate) const GLUE_REGISTRY_ARN: &str = "FunctionGlueRegistryArn";
/// The first topic.
pub(crate) const TOPIC: &str = "Topic";
/// The other topics, comma-separated.
pub(crate) const MORE_TOPICS: &str = "MoreTopics";
/// The consumer group of the first topic's mapping.
pub(crate) const CONSUMER_GROUP_ID: &str = "ConsumerGroupId";
/// `TRIM_HORIZON` or `LATEST`.
pub(crate) const STARTING_POSITION: &str = "StartingPosition";
/// Records per batch.
pub(crate) const BATCH_SIZE: &str = "BatchSize";
/// Where records that exhaust their retries go.
pub(crate) const ON_FAILURE_DESTINATION: &str = "OnFailureDestinationArn";
/// The MSK cluster.
pub(crate) const MSK_CLUSTER_ARN: &str = "MskClusterArn";
/// How the mapping authenticates to MSK.
pub(crate) const MSK_AUTHENTICATION: &str = "MskAuthentication";
/// Self-managed brokers.
pub(crate) const BOOTSTRAP_SERVERS: &str = "BootstrapServers";
/// How the mapping authenticates to self-managed Kafka.
pub(crate) const SELF_MANAGED_AUTHENTICATION: &str = "SelfManagedAuthentication";

/// The most topics the template's triggers read (one event source mapping each).
pub(crate) const MAX_TOPICS: usize = 5;
