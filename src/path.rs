//! Definite JSONPath expressions (RFC 9535), parsed once at cold start.
//!
//! The connector only accepts *definite* paths: a chain of member names and array indices that
//! can match at most one node. Such a path is parsed here with `jsonpath-rust` and kept as a
//! list of steps, so that evaluating it on a record is a plain walk, with no parsing per record.

use std::fmt;

use jsonpath_rust::parser::model::{Segment, Selector};
use serde_json::Value;

/// A path that is not a usable definite JSONPath.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PathError {
    /// The text is not JSONPath.
    #[error("not a valid JSONPath ({0})")]
    Syntax(String),
    /// The path can match more than one node.
    #[error(
        "must be a definite JSONPath (member names and array indices only; no wildcards, filters, slices, unions or recursive descent)"
    )]
    NotDefinite,
}

/// One step of a definite path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// `.name` or `['name']`.
    Member(String),
    /// `[n]`; a negative index counts from the end of the array.
    Index(i64),
}

/// A parsed definite JSONPath.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DefinitePath {
    text: String,
    steps: Vec<Step>,
}

impl DefinitePath {
    /// Parses `text` and checks that it is definite.
    pub fn parse(text: &str) -> Result<Self, PathError> {
        let query = jsonpath_rust::parser::parse_json_path(&bracket_dashed_members(text))
            .map_err(|e| PathError::Syntax(e.to_string()))?;
        let steps = query
            .segments
            .iter()
            .map(|segment| match segment {
                Segment::Selector(Selector::Name(name)) => Ok(Step::Member(name.clone())),
                Segment::Selector(Selector::Index(i)) => Ok(Step::Index(*i)),
                Segment::Selectors(list) if list.len() == 1 => match &list[0] {
                    Selector::Name(name) => Ok(Step::Member(name.clone())),
                    Selector::Index(i) => Ok(Step::Index(*i)),
                    _ => Err(PathError::NotDefinite),
                },
                _ => Err(PathError::NotDefinite),
            })
            .collect::<Result<_, _>>()?;
        Ok(Self {
            text: text.to_owned(),
            steps,
        })
    }

    /// The path as configured.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The steps after `$`.
    pub fn steps(&self) -> &[Step] {
        &self.steps
    }

    /// The node the path selects in `root`, if there is one.
    pub fn find<'v>(&self, root: &'v Value) -> Option<&'v Value> {
        self.steps
            .iter()
            .try_fold(root, |node, step| match (step, node) {
                (Step::Member(name), Value::Object(map)) => map.get(name),
                (Step::Index(i), Value::Array(items)) => items.get(resolve_index(*i, items.len())?),
                _ => None,
            })
    }
}

/// Rewrites dot-notation members that contain `-` (`$.meta.event-type`) into bracket notation
/// (`$.meta['event-type']`). RFC 9535 does not allow `-` in shorthand names, but the connector's
/// JSONPath library does, and its documentation uses such paths (`$.detail.value.non-existing-key`).
fn bracket_dashed_members(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.contains('-') || text.contains("..") || text.contains(['[', '\'', '"']) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for (i, part) in text.split('.').enumerate() {
        if i == 0 {
            out.push_str(part);
        } else if part.contains('-')
            && part
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            out.push_str("['");
            out.push_str(part);
            out.push_str("']");
        } else {
            out.push('.');
            out.push_str(part);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// The position that index `i` selects in an array of `len` items (negative counts from the
/// end), if it is inside the array.
pub fn resolve_index(i: i64, len: usize) -> Option<usize> {
    let index = if i < 0 {
        len.checked_sub(usize::try_from(i.unsigned_abs()).ok()?)?
    } else {
        usize::try_from(i).ok()?
    };
    (index < len).then_some(index)
}

impl fmt::Display for DefinitePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn accepts_definite_paths() {
        for (text, steps) in [
            ("$", vec![]),
            ("$.a", vec![Step::Member("a".into())]),
            (
                "$.meta.event-type",
                vec![
                    Step::Member("meta".into()),
                    Step::Member("event-type".into()),
                ],
            ),
            (
                "$['a b'][0]",
                vec![Step::Member("a b".into()), Step::Index(0)],
            ),
            ("$.a[-1]", vec![Step::Member("a".into()), Step::Index(-1)]),
            (
                "$.detail.value.non-existing-key",
                vec![
                    Step::Member("detail".into()),
                    Step::Member("value".into()),
                    Step::Member("non-existing-key".into()),
                ],
            ),
        ] {
            let path = DefinitePath::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(path.steps(), steps.as_slice(), "{text}");
            assert_eq!(path.as_str(), text);
        }
    }

    #[test]
    fn rejects_indefinite_and_invalid_paths() {
        for text in [
            "$..a",
            "$.a[*]",
            "$.*",
            "$.a[0:2]",
            "$.a[?@.b == 1]",
            "$['a','b']",
            "$.a[0,1]",
        ] {
            assert_eq!(
                DefinitePath::parse(text),
                Err(PathError::NotDefinite),
                "{text}"
            );
        }
        for text in ["", "a.b", "$.", "$.detail..", "$[", "not a path"] {
            assert!(
                matches!(DefinitePath::parse(text), Err(PathError::Syntax(_))),
                "{text}"
            );
        }
    }

    #[test]
    fn finds_nodes() {
        let doc = json!({"meta": {"type": "order.created", "tags": ["a", "b"]}, "n": null});
        let find = |p: &str| DefinitePath::parse(p).unwrap().find(&doc).cloned();
        assert_eq!(find("$.meta.type"), Some(json!("order.created")));
        assert_eq!(find("$.meta.tags[1]"), Some(json!("b")));
        assert_eq!(find("$.meta.tags[-2]"), Some(json!("a")));
        assert_eq!(find("$.meta.tags[2]"), None);
        assert_eq!(find("$.meta.tags[-3]"), None);
        assert_eq!(find("$.n"), Some(json!(null)));
        assert_eq!(find("$.missing"), None);
        assert_eq!(find("$.meta.type.deeper"), None);
        assert_eq!(find("$"), Some(doc.clone()));
    }
}
