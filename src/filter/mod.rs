//! Stage 2b: filter. Keeps the events that any of the configured EventBridge event patterns
//! (`AWS_EVENTBRIDGE_FILTER_PATTERNS`) matches, judged on the event as it would be put:
//! `source`, `detail-type`, `resources` and the connector's `detail`, the same JSON the rules on
//! the bus see. A record whose event no pattern matches is acknowledged without being offloaded
//! or sent. Pure: no I/O.
//!
//! The patterns follow EventBridge's documented semantics
//! (<https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns.html>): exact
//! values (numbers compared as numbers), `prefix`, `suffix` (both also with
//! `equals-ignore-case`), `equals-ignore-case`, `wildcard`, `anything-but` (values, lists,
//! `prefix`, `suffix`, `equals-ignore-case`, `wildcard`), `numeric`, `exists`, `cidr`, `$or`, and
//! arrays matched by any element, fields of one object pattern within one element of an array of
//! objects.

#[cfg(test)]
mod differential;
mod error;
#[cfg(any(test, feature = "fuzzing"))]
pub(crate) mod fuzz;
mod json;
mod leaf;
mod limits;
mod pattern;
#[cfg(test)]
mod tests;
mod view;

use serde_json::{Map, Value};

use crate::decode::DecodedRecord;
use crate::map::{DETAIL_MEMBERS, EventEntry};
pub use error::PatternError;
pub(crate) use limits::{MAX_COMBINATIONS, MAX_PATTERN_CHARS, MAX_PATTERNS};
use pattern::{Field, Node};
use view::{Shape, View};

/// The top-level fields of an event the function knows before it is put. EventBridge adds
/// `version`, `id`, `account`, `time` and `region` when it accepts the event.
const EVENT_FIELDS: [&str; 4] = ["source", "detail-type", "resources", "detail"];

/// The configured event patterns: a record is kept when any matches its event.
#[derive(Debug, Clone, PartialEq)]
pub struct Filter {
    patterns: Vec<Node>,
    /// What of the event the patterns reach (the rest is not built).
    view: View,
}

impl Filter {
    /// The patterns of `text`: one event pattern, or an array of 1 to [`MAX_PATTERNS`].
    pub fn parse(text: &str) -> Result<Self, PatternError> {
        let value: Value =
            serde_json::from_str(text).map_err(|e| PatternError::NotJson(e.to_string()))?;
        let objects: Vec<&Map<String, Value>> = match &value {
            Value::Object(one) => vec![one],
            Value::Array(many) if !many.is_empty() => many
                .iter()
                .map(|p| p.as_object().ok_or(PatternError::NotPatterns))
                .collect::<Result<_, _>>()?,
            _ => return Err(PatternError::NotPatterns),
        };
        if objects.len() > MAX_PATTERNS {
            return Err(PatternError::TooMany(objects.len()));
        }
        let mut patterns = Vec::with_capacity(objects.len());
        for object in objects {
            let chars = Value::Object(object.clone()).to_string().chars().count();
            if chars > MAX_PATTERN_CHARS {
                return Err(PatternError::TooLong(chars));
            }
            let node = Node::compile(object, "")?;
            let combinations = node.combinations();
            if combinations > MAX_COMBINATIONS {
                return Err(PatternError::TooComplex(combinations));
            }
            patterns.push(node);
        }
        let view = view_of(&patterns)?;
        Ok(Self { patterns, view })
    }

    /// Whether any pattern matches the event of `record`, whose entry is `entry`. A record whose
    /// key or value the filter cannot read is kept: the filter never drops what it did not judge.
    pub fn keeps(&self, record: &DecodedRecord, entry: &EventEntry) -> bool {
        let Some(event) = self.view.event(record, entry) else {
            return true;
        };
        let root = Some(event.root());
        self.patterns.iter().any(|p| p.matches(root))
    }
}

/// What of the event `patterns` reach; an error for a top-level field the function cannot know
/// or a detail member the connector's detail does not have.
fn view_of(patterns: &[Node]) -> Result<View, PatternError> {
    let mut view = View {
        fields: Vec::new(),
        members: Vec::new(),
    };
    for pattern in patterns {
        for (name, field) in pattern.fields() {
            let known = EVENT_FIELDS
                .iter()
                .find(|f| **f == name)
                .ok_or_else(|| PatternError::UnknownEventField(name.to_owned()))?;
            if !view.fields.contains(known) {
                view.fields.push(known);
            }
            let (Field::Object(detail), "detail") = (field, name) else {
                continue;
            };
            for (member, field) in detail.fields() {
                let known = DETAIL_MEMBERS
                    .iter()
                    .find(|m| **m == member)
                    .ok_or_else(|| PatternError::UnknownDetailField(member.to_owned()))?;
                match view.members.iter_mut().find(|(m, _)| m == known) {
                    Some((_, shape)) => shape.merge(Shape::of(field)),
                    None => view.members.push((known, Shape::of(field))),
                }
            }
        }
    }
    Ok(view)
}
