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
pub(super) const DETAIL_TYPE_MAPPERS: [(&str, MapperKind); 3] = [
    ("default", MapperKind::Default),
    ("jsonpath", MapperKind::JsonPath),
    ("header", MapperKind::Header),
];

/// The built-in detail-type mappers, by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum MapperKind {
    /// The topic's detail-type (`AWS_EVENTBRIDGE_DETAIL_TYPES`).
    Default,
    /// A string at a JSONPath of the value, else the bare topic.
    JsonPath,
    /// A header's text, else the topic's detail-type.
    Header,
}

pub(super) fn parse_time_rule(value: Option<String>) -> Result<TimeRule, ConfigError> {
    parse_choice(TIME_MAPPER, value, TimeRule::None, &TIME_RULES)
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
    if let Some(header) = get(DETAIL_TYPES_HEADER)
        && mapper != MapperKind::Header
    {
        let rule = format!("is only used with {DETAIL_TYPES_MAPPER}=header");
        return Err(ConfigError::invalid(DETAIL_TYPES_HEADER, &header, rule));
    }
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
        MapperKind::Header => {
            let Some(name) = get(DETAIL_TYPES_HEADER) else {
                return Err(ConfigError::Missing {
                    var: DETAIL_TYPES_HEADER,
                    rule: format!(
                        "the name of the record header that holds the detail-type when {DETAIL_TYPES_MAPPER}=header"
                    ),
                });
            };
            Ok(DetailTypeRule::Header {
                name: name.trim().to_owned(),
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
