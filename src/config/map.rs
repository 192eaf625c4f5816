//! The mapping settings: the detail-type and time rules.

use std::collections::HashMap;

use super::defaults::*;
use super::error::ConfigError;
use super::parse::*;
use crate::map::{DetailTypeRule, TimeRule};
use crate::path::{DefinitePath, PathError};
use crate::vars::*;

/// The names `AWS_EVENTBRIDGE_TIME_MAPPER` accepts; the first is the default.
pub(super) const TIME_RULES: [(&str, TimeRule); 2] = [
    ("none", TimeRule::None),
    ("record-timestamp", TimeRule::RecordTimestamp),
];

/// The names `AWS_EVENTBRIDGE_DETAIL_TYPES_MAPPER` accepts; the first is the default.
pub(super) const DETAIL_TYPE_MAPPERS: [(&str, MapperKind); 2] = [
    ("default", MapperKind::Default),
    ("jsonpath", MapperKind::JsonPath),
];

/// The built-in detail-type mappers, by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum MapperKind {
    /// The topic's detail-type (`AWS_EVENTBRIDGE_DETAIL_TYPES`).
    Default,
    /// A string at a JSONPath of the value, else the bare topic.
    JsonPath,
}

pub(super) fn parse_time_rule(value: Option<String>) -> Result<TimeRule, ConfigError> {
    parse_choice(TIME_MAPPER, value, TimeRule::None, &TIME_RULES)
}

pub(super) fn parse_detail_type(
    types: Option<String>,
    mapper: Option<String>,
    fieldref: Option<String>,
) -> Result<DetailTypeRule, ConfigError> {
    match parse_choice(
        DETAIL_TYPES_MAPPER,
        mapper,
        MapperKind::Default,
        &DETAIL_TYPE_MAPPERS,
    )? {
        MapperKind::Default => {}
        MapperKind::JsonPath => {
            let Some(fieldref) = fieldref else {
                return Err(ConfigError::Missing {
                    var: DETAIL_TYPES_FIELDREF,
                    rule: format!(
                        "a definite JSONPath into the record value when {DETAIL_TYPES_MAPPER}=jsonpath"
                    ),
                });
            };
            let fieldref = fieldref.trim();
            return DefinitePath::parse(fieldref)
                .map(DetailTypeRule::JsonPath)
                .map_err(|e: PathError| {
                    ConfigError::invalid(DETAIL_TYPES_FIELDREF, fieldref, e.to_string())
                });
        }
    }

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
