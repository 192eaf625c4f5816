//! The mapping settings: the detail-type and time rules, and the filter.

use std::collections::HashMap;

use super::defaults::*;
use super::error::ConfigError;
use super::parse::*;
use crate::filter::Filter;
use crate::map::{DetailTypeRule, TimeRule};
use crate::path::{DefinitePath, PathError};
use crate::vars::*;

/// The names `AWS_EVENTBRIDGE_TIME_MAPPER` accepts; the first is the default.
pub(super) const TIME_MAPPERS: [(&str, MapperKind); 5] = [
    ("none", MapperKind::Default),
    ("record-timestamp", MapperKind::RecordTimestamp),
    ("header", MapperKind::Header),
    ("jsonpath", MapperKind::JsonPath),
    ("cloudevents", MapperKind::CloudEvents),
];

/// The names `AWS_EVENTBRIDGE_DETAIL_TYPES_MAPPER` accepts; the first is the default.
pub(super) const DETAIL_TYPE_MAPPERS: [(&str, MapperKind); 4] = [
    ("default", MapperKind::Default),
    ("jsonpath", MapperKind::JsonPath),
    ("header", MapperKind::Header),
    ("cloudevents", MapperKind::CloudEvents),
];

/// The built-in detail-type and time mappers, by kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum MapperKind {
    /// The topic's detail-type (`AWS_EVENTBRIDGE_DETAIL_TYPES`); no time (`none`).
    Default,
    /// The record's timestamp (time only).
    RecordTimestamp,
    /// A JSONPath into the value.
    JsonPath,
    /// A header's text.
    Header,
    /// CloudEvents' Kafka protocol binding.
    CloudEvents,
}

/// `AWS_EVENTBRIDGE_FILTER_PATTERNS`: the patterns, checked in full here (not JSON, an unknown
/// operator, a wrong type, over a limit: the function does not start).
pub(super) fn parse_filter(value: Option<String>) -> Result<Option<Filter>, ConfigError> {
    let Some(value) = value else {
        return Ok(None);
    };
    Filter::parse(&value)
        .map(Some)
        .map_err(|e| ConfigError::invalid(FILTER_PATTERNS, &value, e.to_string()))
}

pub(super) fn parse_time_rule(
    get: &impl Fn(&str) -> Option<String>,
) -> Result<TimeRule, ConfigError> {
    let kind = parse_choice(
        TIME_MAPPER,
        get(TIME_MAPPER),
        MapperKind::Default,
        &TIME_MAPPERS,
    )?;
    let header = only_with(
        get,
        TIME_HEADER,
        kind,
        MapperKind::Header,
        TIME_MAPPER,
        "header",
    )?;
    let fieldref = only_with(
        get,
        TIME_FIELDREF,
        kind,
        MapperKind::JsonPath,
        TIME_MAPPER,
        "jsonpath",
    )?;
    Ok(match kind {
        MapperKind::Default => TimeRule::None,
        MapperKind::RecordTimestamp => TimeRule::RecordTimestamp,
        MapperKind::CloudEvents => TimeRule::CloudEvents,
        MapperKind::Header => TimeRule::Header(header.expect("required with header, checked")),
        MapperKind::JsonPath => {
            let fieldref = fieldref.expect("required with jsonpath, checked");
            TimeRule::JsonPath(DefinitePath::parse(&fieldref).map_err(|e: PathError| {
                ConfigError::invalid(TIME_FIELDREF, &fieldref, e.to_string())
            })?)
        }
    })
}

/// The trimmed value of `var`, a setting of the `wanted` mapper only: required with it,
/// refused with any other.
fn only_with(
    get: &impl Fn(&str) -> Option<String>,
    var: &'static str,
    kind: MapperKind,
    wanted: MapperKind,
    mapper_var: &'static str,
    name: &str,
) -> Result<Option<String>, ConfigError> {
    match (get(var), kind == wanted) {
        (Some(value), true) => Ok(Some(value.trim().to_owned())),
        (None, false) => Ok(None),
        (Some(value), false) => Err(ConfigError::invalid(
            var,
            &value,
            format!("is only used with {mapper_var}={name}"),
        )),
        (None, true) => Err(ConfigError::Missing {
            var,
            rule: format!("it is required when {mapper_var}={name}"),
        }),
    }
}

pub(super) fn parse_detail_type(
    get: &impl Fn(&str) -> Option<String>,
) -> Result<DetailTypeRule, ConfigError> {
    let mapper = parse_choice(
        DETAIL_TYPES_MAPPER,
        get(DETAIL_TYPES_MAPPER),
        MapperKind::Default,
        &DETAIL_TYPE_MAPPERS,
    )?;
    let header = only_with(
        get,
        DETAIL_TYPES_HEADER,
        mapper,
        MapperKind::Header,
        DETAIL_TYPES_MAPPER,
        "header",
    )?;
    match mapper {
        MapperKind::Default => topic_rule(get(DETAIL_TYPES)),
        MapperKind::JsonPath => {
            let Some(fieldref) = get(DETAIL_TYPES_FIELDREF) else {
                return Err(ConfigError::Missing {
                    var: DETAIL_TYPES_FIELDREF,
                    rule: format!(
                        "a definite JSONPath into the record value when {DETAIL_TYPES_MAPPER}=jsonpath"
                    ),
                });
            };
            let fieldref = fieldref.trim();
            DefinitePath::parse(fieldref)
                .map(DetailTypeRule::JsonPath)
                .map_err(|e: PathError| {
                    ConfigError::invalid(DETAIL_TYPES_FIELDREF, fieldref, e.to_string())
                })
        }
        MapperKind::CloudEvents => Ok(DetailTypeRule::CloudEvents {
            fallback: Box::new(topic_rule(get(DETAIL_TYPES))?),
        }),
        MapperKind::RecordTimestamp => unreachable!("not a detail-type mapper's name"),
        MapperKind::Header => {
            let name = header.expect("required with header, checked");
            Ok(DetailTypeRule::Header {
                name,
                fallback: Box::new(topic_rule(get(DETAIL_TYPES))?),
            })
        }
    }
}

/// The detail-type `AWS_EVENTBRIDGE_DETAIL_TYPES` gives a record's topic.
fn topic_rule(types: Option<String>) -> Result<DetailTypeRule, ConfigError> {
    let raw = types.unwrap_or_else(|| DEFAULT_DETAIL_TYPES.to_owned());
    let items: Vec<&str> = raw.split(',').map(str::trim).collect();
    if items.len() == 1 && !items[0].contains(':') {
        return Ok(DetailTypeRule::Template(items[0].to_owned()));
    }
    let mut map = HashMap::with_capacity(items.len());
    for item in items {
        let rule = "must be one detail-type (with optional ${topic} placeholders) or a list of topic:detail-type pairs without blanks";
        let Some((topic, detail_type)) = item.split_once(':') else {
            return Err(ConfigError::invalid(DETAIL_TYPES, &raw, rule));
        };
        if topic.is_empty() || detail_type.is_empty() || item.chars().any(char::is_whitespace) {
            return Err(ConfigError::invalid(DETAIL_TYPES, &raw, rule));
        }
        if map
            .insert(topic.to_owned(), detail_type.to_owned())
            .is_some()
        {
            return Err(ConfigError::invalid(
                DETAIL_TYPES,
                &raw,
                format!("topic {topic:?} is listed twice"),
            ));
        }
    }
    Ok(DetailTypeRule::PerTopic(map))
}
