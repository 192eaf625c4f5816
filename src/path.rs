//! Definite JSONPath expressions (RFC 9535), parsed once at cold start.
//!
//! The connector only accepts *definite* paths: a chain of member names and array indices that
//! can match at most one node. Such a path is parsed here with `jsonpath-rust` and kept as a
//! list of steps. This module is the one evaluator of such paths, for the jsonpath detail-type
//! and for the claim check alike: it walks the record value's compact JSON text, one container
//! level per step, with no tree built and no parsing per record beyond the containers on the
//! path. Values nested as deep as the decoder accepts
//! ([`MAX_JSON_DEPTH`](crate::json::MAX_JSON_DEPTH)) are walked like any other: skipping a
//! member's value is iterative in serde_json and has no recursion limit.

use std::borrow::Cow;
use std::fmt;

use jsonpath_rust::parser::model::{Segment, Selector};
use serde::Deserialize;
use serde::de::{Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;

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

    /// The JSON text of the node the path selects in `root` (compact JSON text), if there is
    /// one.
    pub fn find<'a>(&self, root: &'a str) -> Option<&'a str> {
        find(root, &self.steps)
    }
}

/// The JSON text of the node that `steps` select in `root` (compact JSON text), if any.
pub(crate) fn find<'a>(root: &'a str, steps: &[Step]) -> Option<&'a str> {
    steps
        .iter()
        .try_fold(root, |node, step| Some(child(node, step)?.value))
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
pub(crate) fn resolve_index(i: i64, len: usize) -> Option<usize> {
    let index = if i < 0 {
        len.checked_sub(usize::try_from(i.unsigned_abs()).ok()?)?
    } else {
        usize::try_from(i).ok()?
    };
    (index < len).then_some(index)
}

/// The node a path selected, cut out of a value.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Cut<'a> {
    /// The node's JSON text.
    pub node: &'a str,
    /// The value without the node; `None` when the node is the whole value.
    pub remaining: Option<String>,
}

/// Finds the node that `steps` select in `value` (compact JSON text) and cuts it out. `None`
/// when nothing matches or the match is JSON `null`.
pub(crate) fn cut<'a>(value: &'a str, steps: &[Step]) -> Option<Cut<'a>> {
    let Some((last, parents)) = steps.split_last() else {
        return (value != "null").then_some(Cut {
            node: value,
            remaining: None,
        });
    };
    let mut node = value;
    for step in parents {
        node = child(node, step)?.value;
    }
    let found = child(node, last)?;
    if found.value == "null" {
        return None;
    }
    let (start, end) = (
        offset_in(value, found.remove.0),
        offset_in(value, found.remove.1),
    );
    let mut remaining = String::with_capacity(value.len() - (end - start));
    remaining.push_str(&value[..start]);
    remaining.push_str(&value[end..]);
    Some(Cut {
        node: found.value,
        remaining: Some(remaining),
    })
}

/// A child of a container: its value text, and the text to remove to delete it (member or
/// element plus one separating comma), as two sub-slices of the container (start, end-marker).
struct Child<'a> {
    value: &'a str,
    remove: (&'a str, &'a str),
}

fn child<'a>(container: &'a str, step: &Step) -> Option<Child<'a>> {
    let items: Vec<&'a RawValue> = match (step, container.as_bytes().first()) {
        (Step::Member(name), Some(b'{')) => {
            let members = serde_json::from_str::<Members<'a>>(container).ok()?.0;
            let index = members.iter().rposition(|(key, _)| key == name)?;
            return Some(span(
                container,
                &members.iter().map(|(_, v)| *v).collect::<Vec<_>>(),
                index,
                true,
            ));
        }
        (Step::Index(_), Some(b'[')) => serde_json::from_str(container).ok()?,
        _ => return None,
    };
    let Step::Index(i) = step else { return None };
    let index = resolve_index(*i, items.len())?;
    Some(span(container, &items, index, false))
}

/// The removal span of item `index` in compact container text: from the start of the item (its
/// key for a member) to the start of the next item, or, for the last item, from the end of the
/// previous one.
fn span<'a>(container: &'a str, items: &[&'a RawValue], index: usize, member: bool) -> Child<'a> {
    let value = items[index].get();
    let value_start = offset_in(container, value);
    let value_end = value_start + value.len();
    let item_start = if index == 0 {
        1
    } else if member {
        offset_in(container, items[index - 1].get()) + items[index - 1].get().len() + 1
    } else {
        value_start
    };
    let (start, end) = if index + 1 < items.len() {
        (item_start, value_end + 1)
    } else if index > 0 {
        (
            offset_in(container, items[index - 1].get()) + items[index - 1].get().len(),
            value_end,
        )
    } else {
        (item_start, value_end)
    };
    Child {
        value,
        remove: (&container[start..], &container[end..]),
    }
}

/// The byte offset of `inner` in `outer`, of which it must be a sub-slice.
fn offset_in(outer: &str, inner: &str) -> usize {
    let offset = (inner.as_ptr() as usize).wrapping_sub(outer.as_ptr() as usize);
    debug_assert!(
        offset <= outer.len() && offset + inner.len() <= outer.len(),
        "inner is not a sub-slice of outer"
    );
    offset
}

/// An object's members in order, values borrowed as raw JSON.
struct Members<'a>(Vec<(Cow<'a, str>, &'a RawValue)>);

impl<'de> Deserialize<'de> for Members<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct MembersVisitor;
        impl<'de> Visitor<'de> for MembersVisitor {
            type Value = Members<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Members<'de>, A::Error> {
                let mut members = Vec::new();
                while let Some(key) = map.next_key::<Key<'de>>()? {
                    members.push((key.0, map.next_value::<&'de RawValue>()?));
                }
                Ok(Members(members))
            }
        }
        deserializer.deserialize_map(MembersVisitor)
    }
}

#[derive(Deserialize)]
struct Key<'a>(#[serde(borrow)] Cow<'a, str>);

impl fmt::Display for DefinitePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

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
        let text = doc.to_string();
        let find = |p: &str| {
            DefinitePath::parse(p)
                .unwrap()
                .find(&text)
                .map(|t| serde_json::from_str::<Value>(t).unwrap())
        };
        assert_eq!(find("$.meta.type"), Some(json!("order.created")));
        assert_eq!(find("$.meta.tags[1]"), Some(json!("b")));
        assert_eq!(find("$.meta.tags[-2]"), Some(json!("a")));
        assert_eq!(find("$.meta.tags[2]"), None);
        assert_eq!(find("$.meta.tags[-3]"), None);
        assert_eq!(find("$.n"), Some(json!(null)));
        assert_eq!(find("$.missing"), None);
        assert_eq!(find("$.meta.type.deeper"), None);
        assert_eq!(find("$"), Some(doc));
    }

    fn steps(path: &str) -> Vec<Step> {
        DefinitePath::parse(path).unwrap().steps().to_vec()
    }

    fn cut_at(value: &str, path: &str) -> Option<(String, Option<String>)> {
        cut(value, &steps(path)).map(|c| (c.node.to_owned(), c.remaining))
    }

    #[test]
    fn whole_value() {
        assert_eq!(cut_at(r#"{"a":1}"#, "$"), Some((r#"{"a":1}"#.into(), None)));
        assert_eq!(cut_at("{}", "$"), Some(("{}".into(), None)));
        assert_eq!(cut_at("[]", "$"), Some(("[]".into(), None)));
        assert_eq!(cut_at(r#""text""#, "$"), Some((r#""text""#.into(), None)));
        assert_eq!(cut_at("null", "$"), None);
    }

    #[test]
    fn members_and_elements() {
        let v = r#"{"message":"hello","t":1,"items":["a","b","c"],"o":{"x":null,"y":[]}}"#;
        assert_eq!(
            cut_at(v, "$.message"),
            Some((
                r#""hello""#.into(),
                Some(r#"{"t":1,"items":["a","b","c"],"o":{"x":null,"y":[]}}"#.into())
            ))
        );
        assert_eq!(
            cut_at(v, "$.t"),
            Some((
                "1".into(),
                Some(r#"{"message":"hello","items":["a","b","c"],"o":{"x":null,"y":[]}}"#.into())
            ))
        );
        assert_eq!(
            cut_at(v, "$.o"),
            Some((
                r#"{"x":null,"y":[]}"#.into(),
                Some(r#"{"message":"hello","t":1,"items":["a","b","c"]}"#.into())
            ))
        );
        assert_eq!(
            cut_at(v, "$.o.y"),
            Some((
                "[]".into(),
                Some(r#"{"message":"hello","t":1,"items":["a","b","c"],"o":{"x":null}}"#.into())
            ))
        );
        assert_eq!(
            cut_at(v, "$.items[1]"),
            Some((
                r#""b""#.into(),
                Some(r#"{"message":"hello","t":1,"items":["a","c"],"o":{"x":null,"y":[]}}"#.into())
            ))
        );
        assert_eq!(
            cut_at(v, "$.items[-1]"),
            Some((
                r#""c""#.into(),
                Some(r#"{"message":"hello","t":1,"items":["a","b"],"o":{"x":null,"y":[]}}"#.into())
            ))
        );
        assert_eq!(
            cut_at(r#"{"only":[1]}"#, "$.only[0]"),
            Some(("1".into(), Some(r#"{"only":[]}"#.into())))
        );
        assert_eq!(
            cut_at(r#"{"only":{}}"#, "$.only"),
            Some(("{}".into(), Some("{}".into())))
        );
    }

    #[test]
    fn no_match() {
        let v = r#"{"a":{"b":1},"n":null,"s":"str"}"#;
        assert_eq!(cut_at(v, "$.missing"), None);
        assert_eq!(cut_at(v, "$.n"), None, "a null match is not offloaded");
        assert_eq!(
            cut_at(v, "$.s.deeper"),
            None,
            "a path into a string does not match"
        );
        assert_eq!(cut_at(v, "$.a[0]"), None);
        assert_eq!(cut_at(r#"[1,2]"#, "$[5]"), None);
        assert_eq!(cut_at(r#""just a string""#, "$.a"), None);
    }

    #[test]
    fn keys_with_escapes_match_their_unescaped_name() {
        assert_eq!(
            cut_at(r#"{"a\"b":1,"c":2}"#, r#"$['a"b']"#),
            Some(("1".into(), Some(r#"{"c":2}"#.into())))
        );
    }

    #[test]
    fn walks_values_as_deep_as_the_decoder_accepts() {
        let depth = crate::json::MAX_JSON_DEPTH - 1;
        let deep = format!(
            r#"{{"type":"deep.one","nested":{}1{}}}"#,
            "[".repeat(depth),
            "]".repeat(depth)
        );
        let path = DefinitePath::parse("$.type").unwrap();
        assert_eq!(path.find(&deep), Some(r#""deep.one""#));
        let inner = DefinitePath::parse("$.nested[0][0]").unwrap();
        assert!(inner.find(&deep).is_some_and(|t| t.starts_with("[[")));
    }
}
