//! Reading a Kafka Connect connector configuration: the JSON the Connect REST API takes
//! (`{"name": …, "config": {…}}`, or the bare `config` object), with the `//` and `/* */`
//! comments the connector's README examples carry. Values are strings, numbers or booleans, as
//! Connect's REST API reads them; anything else is refused with the property's name.

use std::collections::BTreeMap;

use json_comments::CommentSettings;
use serde_json::{Map, Value};

use super::text::shown;
use crate::json::json_type;

/// The most bytes of configuration read: a connector configuration is a few KiB; this bounds
/// what a hostile file can make the command hold and print.
pub(crate) const MAX_INPUT_BYTES: usize = 1 << 20;

/// Why a configuration cannot be read at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum InputError {
    /// Larger than [`MAX_INPUT_BYTES`].
    #[error(
        "the configuration is {0} bytes long; a connector configuration is at most {MAX_INPUT_BYTES} bytes"
    )]
    TooLarge(usize),
    /// Not JSON (after its comments are removed).
    #[error("the configuration is not JSON: {0}")]
    NotJson(String),
    /// JSON of another shape.
    #[error("the configuration {0}")]
    Shape(String),
}

/// A connector configuration as read: its name, if it has one, and its properties with their
/// values as text (numbers and booleans as JSON writes them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ConnectorConfig {
    /// `name` beside `config`, or the `name` property of a bare configuration.
    pub name: Option<String>,
    /// Every property, by name.
    pub properties: BTreeMap<String, String>,
}

/// Reads `text` as a connector configuration.
pub(crate) fn read(text: &str) -> Result<ConnectorConfig, InputError> {
    if text.len() > MAX_INPUT_BYTES {
        return Err(InputError::TooLarge(text.len()));
    }
    let stripped = CommentSettings::c_style().strip_comments(text.as_bytes());
    let document: Value =
        serde_json::from_reader(stripped).map_err(|e| InputError::NotJson(e.to_string()))?;
    let Value::Object(top) = document else {
        return Err(InputError::Shape(format!(
            "is {}, not an object (`{{\"name\": …, \"config\": {{…}}}}` or the `config` object itself)",
            json_type(&document)
        )));
    };
    let (name, config) = match top.get("config") {
        Some(Value::Object(config)) => (top.get("name").cloned(), config.clone()),
        Some(other) => {
            return Err(InputError::Shape(format!(
                "has a `config` that is {}, not an object of properties",
                json_type(other)
            )));
        }
        None => (top.get("name").cloned(), top),
    };
    let name = match name {
        None => None,
        Some(Value::String(name)) => Some(name),
        Some(other) => {
            return Err(InputError::Shape(format!(
                "has a `name` that is {}, not a string",
                json_type(&other)
            )));
        }
    };
    Ok(ConnectorConfig {
        name,
        properties: properties(config)?,
    })
}

/// The properties of `config` as text; a value that Connect would not read as a string fails.
fn properties(config: Map<String, Value>) -> Result<BTreeMap<String, String>, InputError> {
    let mut out = BTreeMap::new();
    for (name, value) in config {
        let text = match value {
            Value::String(text) => text,
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => b.to_string(),
            other => {
                return Err(InputError::Shape(format!(
                    "property {} is {}; Kafka Connect takes a string, a number or a boolean",
                    shown(&name),
                    json_type(&other)
                )));
            }
        };
        out.insert(name, text);
    }
    Ok(out)
}
