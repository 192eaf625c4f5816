//! One event pattern as a tree: objects of fields, each field either a nested object or a leaf
//! (an array of comparisons), and `$or` groups of alternative objects.
//!
//! Matching follows EventBridge's arrays: a leaf matches when any of its comparisons accepts any
//! value of the field (an array's values at any depth); an object pattern over an array of
//! objects must match within one element, so two fields of one pattern match in the same element
//! (aws/event-ruler's array consistency). A field that is absent, an object where the pattern has
//! a leaf, or an empty array has no value: only `exists: false` matches it. An object that only
//! asks for absent fields holds over an array when no element has them.

use serde_json::{Map, Value};

use super::error::PatternError;
use super::json::{Json, Kind};
use super::leaf::{self, Leaf};

/// The `$or` keyword.
const OR: &str = "$or";

/// An object of a pattern.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Node {
    /// Its fields, each of which must match.
    fields: Vec<(String, Field)>,
    /// Its `$or` groups: one alternative of each must match.
    ors: Vec<Vec<Node>>,
}

/// What a pattern says about one field.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Field {
    /// An object: the field's own fields.
    Object(Node),
    /// A leaf: any of the comparisons.
    Leaf(Vec<Leaf>),
}

impl Node {
    /// Compiles a pattern object; `path` names where it is, for errors.
    pub(super) fn compile(members: &Map<String, Value>, path: &str) -> Result<Self, PatternError> {
        if members.is_empty() {
            return Err(PatternError::at(path, PatternError::EmptyObject));
        }
        let mut node = Self {
            fields: Vec::with_capacity(members.len()),
            ors: Vec::new(),
        };
        for (name, value) in members {
            let here = if path.is_empty() {
                name.clone()
            } else {
                format!("{path}.{name}")
            };
            if name == OR {
                let group = or_alternatives(value)
                    .map_err(|e| PatternError::at(&here, e))?
                    .into_iter()
                    .map(|alt| Self::compile(alt, &here))
                    .collect::<Result<_, _>>()?;
                node.ors.push(group);
                continue;
            }
            let field = match value {
                Value::Object(inner) => Field::Object(Self::compile(inner, &here)?),
                Value::Array(items) if items.is_empty() => {
                    return Err(PatternError::at(&here, PatternError::EmptyArray));
                }
                Value::Array(items) => Field::Leaf(
                    items
                        .iter()
                        .map(Leaf::compile)
                        .collect::<Result<_, _>>()
                        .map_err(|e| PatternError::at(&here, e))?,
                ),
                _ => return Err(PatternError::at(&here, PatternError::NotArrayOrObject)),
            };
            node.fields.push((name.clone(), field));
        }
        Ok(node)
    }

    /// Whether the pattern matches `value` (`None`: absent).
    pub(super) fn matches<'a, J: Json<'a>>(&self, value: Option<J>) -> bool {
        let Some(node) = value else {
            return self.matches_fields::<J>(|_| None, None);
        };
        match node.kind() {
            Kind::Array { empty: false } if self.absence_only() => {
                !node.any_element(&mut |item| !self.matches(Some(item)))
            }
            Kind::Array { empty: false } => node.any_element(&mut |item| self.matches(Some(item))),
            Kind::Object => self.matches_fields(|name| node.get(name), value),
            _ => self.matches_fields::<J>(|_| None, None),
        }
    }

    fn matches_fields<'a, J: Json<'a>>(
        &self,
        get: impl Fn(&str) -> Option<J>,
        whole: Option<J>,
    ) -> bool {
        self.fields
            .iter()
            .all(|(name, field)| field.matches(get(name)))
            && self
                .ors
                .iter()
                .all(|group| group.iter().any(|alt| alt.matches(whole)))
    }

    /// Whether this object only asks for fields to be absent (`exists: false` leaves, at any
    /// depth, and no `$or`). Over an array, such an object holds when no element has any of
    /// the fields, as in aws/event-ruler, where an absent field is one that no element
    /// consistent with the fields matched so far has: with nothing else matched, any element.
    fn absence_only(&self) -> bool {
        self.ors.is_empty()
            && self.fields.iter().all(|(_, field)| match field {
                Field::Object(node) => node.absence_only(),
                Field::Leaf(leaves) => leaves.iter().all(|l| *l == Leaf::Exists(false)),
            })
    }

    /// How many plain patterns this one stands for once its `$or` groups are expanded.
    pub(super) fn combinations(&self) -> usize {
        let fields = self.fields.iter().map(|(_, field)| match field {
            Field::Object(node) => node.combinations(),
            Field::Leaf(_) => 1,
        });
        let ors = self.ors.iter().map(|group| {
            group
                .iter()
                .map(Self::combinations)
                .fold(0, usize::saturating_add)
        });
        fields.chain(ors).fold(1, usize::saturating_mul)
    }

    /// The names of the fields of this object, its `$or` alternatives' included, with their
    /// patterns.
    pub(super) fn fields(&self) -> Vec<(&str, &Field)> {
        let mut out: Vec<(&str, &Field)> =
            self.fields.iter().map(|(n, f)| (n.as_str(), f)).collect();
        for alt in self.ors.iter().flatten() {
            out.extend(alt.fields());
        }
        out
    }
}

impl Field {
    fn matches<'a, J: Json<'a>>(&self, value: Option<J>) -> bool {
        match self {
            Self::Object(node) => node.matches(value),
            Self::Leaf(leaves) => leaves.iter().any(|leaf| leaf.matches(value)),
        }
    }
}

/// The alternatives of a `$or` member: an array of at least two objects, none of which names a
/// comparison operator as a field (aws/event-ruler rejects those as reserved names).
fn or_alternatives(value: &Value) -> Result<Vec<&Map<String, Value>>, PatternError> {
    let bad = PatternError::Operand {
        operator: "$or",
        expected: "an array of at least two objects of fields",
    };
    let items = value.as_array().ok_or_else(|| bad.clone())?;
    let objects: Vec<&Map<String, Value>> = items.iter().filter_map(Value::as_object).collect();
    if objects.len() != items.len() || objects.len() < 2 {
        return Err(bad);
    }
    if let Some(name) = objects
        .iter()
        .flat_map(|o| o.keys())
        .find(|k| leaf::is_operator(k))
    {
        return Err(PatternError::ReservedName(name.clone()));
    }
    Ok(objects)
}
