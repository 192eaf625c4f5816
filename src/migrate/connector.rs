//! The connector's own properties (`aws.eventbridge.*`): most map one to one onto the
//! function's variables, which are named after them; the mapper and credentials classes, the
//! region and the profile need a rule each.

use super::params;
use super::plan::{NoteKind, Plan};
use super::text::shown;
use crate::vars;

/// The connector's class, which a configuration of another connector does not name.
pub(crate) const CONNECTOR_CLASS: &str =
    "software.amazon.event.kafkaconnector.EventBridgeSinkConnector";

/// The connector's built-in detail-type mappers and time mapper, by class.
const DEFAULT_DETAIL_TYPE_MAPPER: &str =
    "software.amazon.event.kafkaconnector.mapping.DefaultDetailTypeMapper";
const JSONPATH_DETAIL_TYPE_MAPPER: &str =
    "software.amazon.event.kafkaconnector.mapping.JsonPathDetailTypeMapper";
const DEFAULT_TIME_MAPPER: &str = "software.amazon.event.kafkaconnector.mapping.DefaultTimeMapper";

/// The properties that map one to one: property, template parameter, variable.
const DIRECT: [(&str, &str, &str); 14] = [
    (
        "aws.eventbridge.connector.id",
        params::CONNECTOR_ID,
        vars::CONNECTOR_ID,
    ),
    (
        "aws.eventbridge.eventbus.arn",
        params::EVENT_BUS_ARN,
        vars::EVENTBUS_ARN,
    ),
    (
        "aws.eventbridge.endpoint.uri",
        params::ENDPOINT_URI,
        vars::ENDPOINT_URI,
    ),
    (
        "aws.eventbridge.eventbus.global.endpoint.id",
        params::GLOBAL_ENDPOINT_ID,
        vars::GLOBAL_ENDPOINT_ID,
    ),
    (
        "aws.eventbridge.eventbus.resources",
        params::RESOURCES,
        vars::RESOURCES,
    ),
    (
        "aws.eventbridge.detail.types",
        params::DETAIL_TYPES,
        vars::DETAIL_TYPES,
    ),
    (
        "aws.eventbridge.detail.types.jsonpathmapper.fieldref",
        params::DETAIL_TYPES_FIELDREF,
        vars::DETAIL_TYPES_FIELDREF,
    ),
    (
        "aws.eventbridge.retries.max",
        params::RETRIES_MAX,
        vars::RETRIES_MAX,
    ),
    (
        "aws.eventbridge.retries.delay",
        params::RETRIES_DELAY,
        vars::RETRIES_DELAY,
    ),
    (
        "aws.eventbridge.iam.role.arn",
        params::ROLE_ARN,
        vars::IAM_ROLE_ARN,
    ),
    (
        "aws.eventbridge.iam.external.id",
        params::EXTERNAL_ID,
        vars::IAM_EXTERNAL_ID,
    ),
    (
        "aws.eventbridge.offloading.default.s3.bucket",
        params::OFFLOAD_BUCKET,
        vars::OFFLOAD_BUCKET,
    ),
    (
        "aws.eventbridge.offloading.default.fieldref",
        params::OFFLOAD_FIELDREF,
        vars::OFFLOAD_FIELDREF,
    ),
    (
        "aws.eventbridge.offloading.default.s3.endpoint.uri",
        params::OFFLOAD_S3_ENDPOINT_URI,
        vars::OFFLOAD_S3_ENDPOINT_URI,
    ),
];

/// Every property of the connector (its `ConfigDef`), for the closest name to a misspelled one.
pub(crate) const KNOWN: [&str; 19] = [
    "aws.eventbridge.connector.id",
    "aws.eventbridge.region",
    "aws.eventbridge.eventbus.arn",
    "aws.eventbridge.endpoint.uri",
    "aws.eventbridge.eventbus.global.endpoint.id",
    "aws.eventbridge.eventbus.resources",
    "aws.eventbridge.detail.types",
    "aws.eventbridge.detail.types.mapper.class",
    "aws.eventbridge.detail.types.jsonpathmapper.fieldref",
    "aws.eventbridge.time.mapper.class",
    "aws.eventbridge.retries.max",
    "aws.eventbridge.retries.delay",
    "aws.eventbridge.auth.credentials_provider.class",
    "aws.eventbridge.iam.profile.name",
    "aws.eventbridge.iam.role.arn",
    "aws.eventbridge.iam.external.id",
    "aws.eventbridge.offloading.default.s3.bucket",
    "aws.eventbridge.offloading.default.fieldref",
    "aws.eventbridge.offloading.default.s3.endpoint.uri",
];

/// Maps the connector's own properties.
pub(crate) fn plan(plan: &mut Plan) {
    for (property, param, var) in DIRECT {
        if let Some(value) = plan.take(property) {
            plan.set(Some(param), Some(var), value.trim(), property);
        }
    }
    region(plan);
    detail_type_mapper(plan);
    time_mapper(plan);
    credentials(plan);
    retries_delay(plan);
}

/// `aws.eventbridge.region`: the function's default is the bus ARN's region, so it is set
/// only when it differs.
fn region(plan: &mut Plan) {
    const PROPERTY: &str = "aws.eventbridge.region";
    let Some(region) = plan.take(PROPERTY) else {
        return;
    };
    let region = region.trim().to_owned();
    let arn_region = plan
        .var_value(vars::EVENTBUS_ARN)
        .and_then(|arn| arn.split(':').nth(3))
        .map(str::to_owned);
    if arn_region.as_deref() == Some(region.as_str()) {
        plan.note(
            PROPERTY,
            NoteKind::NotNeeded,
            "the bus ARN's region, which the function uses by default",
        );
    } else {
        plan.set(
            Some(params::EVENT_BUS_REGION),
            Some(vars::REGION),
            region,
            PROPERTY,
        );
    }
}

/// `aws.eventbridge.detail.types.mapper.class`: the two built-in mappers have names; another
/// class is code to port.
fn detail_type_mapper(plan: &mut Plan) {
    const PROPERTY: &str = "aws.eventbridge.detail.types.mapper.class";
    let Some(class) = plan.take(PROPERTY) else {
        return;
    };
    match class.trim() {
        DEFAULT_DETAIL_TYPE_MAPPER => plan.note(
            PROPERTY,
            NoteKind::NotNeeded,
            "the default mapper, which the function uses by default",
        ),
        JSONPATH_DETAIL_TYPE_MAPPER => plan.set(
            Some(params::DETAIL_TYPES_MAPPER),
            Some(vars::DETAIL_TYPES_MAPPER),
            "jsonpath",
            PROPERTY,
        ),
        other => plan.note(
            PROPERTY,
            NoteKind::Action,
            format!(
                "{} is a custom class: port it to the library's `DetailTypeMapper` trait and build \
                 your own function with it (examples/header_detail_type.rs shows one; README, \
                 *Library: plug-in mappers*). Until then the events get the `DetailTypes` rule",
                shown(other)
            ),
        ),
    }
}

/// `aws.eventbridge.time.mapper.class`: the default leaves `Time` unset, as the function does.
fn time_mapper(plan: &mut Plan) {
    const PROPERTY: &str = "aws.eventbridge.time.mapper.class";
    let Some(class) = plan.take(PROPERTY) else {
        return;
    };
    match class.trim() {
        DEFAULT_TIME_MAPPER => plan.note(
            PROPERTY,
            NoteKind::NotNeeded,
            "the default mapper (EventBridge stamps the time), which the function uses by default",
        ),
        other => plan.note(
            PROPERTY,
            NoteKind::Action,
            format!(
                "{} is a custom class: the built-in `TimeMapper=record-timestamp` sets `Time` to \
                 the record's timestamp; for another rule, port it to the library's `TimeMapper` \
                 trait (README, *Library: plug-in mappers*)",
                shown(other)
            ),
        ),
    }
}

/// The credentials provider class and the profile: in Lambda, credentials are the execution
/// role's, or a role it assumes.
fn credentials(plan: &mut Plan) {
    const PROVIDER: &str = "aws.eventbridge.auth.credentials_provider.class";
    const PROFILE: &str = "aws.eventbridge.iam.profile.name";
    if let Some(class) = plan.take(PROVIDER) {
        plan.note(
            PROVIDER,
            NoteKind::Action,
            format!(
                "{} cannot run in the function: its credentials are the execution role's \
                 (template.yaml creates it with events:PutEvents on the bus). Grant that role what \
                 the provider's identity had, or set `RoleArn` to a role it may assume",
                shown(&class)
            ),
        );
    }
    if let Some(profile) = plan.take(PROFILE) {
        plan.note(
            PROFILE,
            NoteKind::Action,
            format!(
                "profile {} lives in files on the Connect worker; in Lambda set `RoleArn` to the \
                 profile's role_arn (or grant the execution role its permissions). \
                 {} still works for local runs",
                shown(&profile),
                crate::vars::IAM_PROFILE_NAME
            ),
        );
    }
}

/// `aws.eventbridge.retries.delay`: the connector sleeps that long after every put; the
/// function waits it before the first retry and doubles it after each, with jitter.
fn retries_delay(plan: &mut Plan) {
    let Some(delay) = plan.var_value(vars::RETRIES_DELAY).map(str::to_owned) else {
        return;
    };
    if delay.parse::<i64>().is_ok_and(|ms| ms < 0) {
        // The connector sleeps only for a positive delay.
        plan.settings.retain(|s| s.var != Some(vars::RETRIES_DELAY));
        plan.set(
            Some(params::RETRIES_DELAY),
            Some(vars::RETRIES_DELAY),
            "0",
            "aws.eventbridge.retries.delay",
        );
    }
    plan.note(
        "aws.eventbridge.retries.delay",
        NoteKind::Differs,
        "the connector sleeps this long after every put, successful or not; the function waits \
         it before an entry's first retry only, doubling it (with jitter) for each further retry",
    );
}
