//! What the matcher reads of an event, whatever holds it: a parsed JSON value, or the record
//! itself (its topic, headers and numbers borrowed, never copied into a tree).

use std::borrow::Cow;

use serde_json::Value;

/// A scalar of the event: what a leaf's comparisons test.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Scalar<'a> {
    Str(Cow<'a, str>),
    Num(f64),
    Bool(bool),
    Null,
}

impl Scalar<'_> {
    pub(super) fn as_str(&self) -> Option<&str> {
        match self {
            Self::Str(s) => Some(s),
            _ => None,
        }
    }

    pub(super) fn as_f64(&self) -> Option<f64> {
        match self {
            Self::Num(n) => Some(*n),
            _ => None,
        }
    }
}

/// What a node of the event is.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Kind<'a> {
    Object,
    /// An array, and whether it has elements.
    Array {
        empty: bool,
    },
    Scalar(Scalar<'a>),
}

/// A node of the event, as a cheap handle.
pub(super) trait Json<'a>: Copy {
    /// What it is.
    fn kind(self) -> Kind<'a>;
    /// An object's member `name`.
    fn get(self, name: &str) -> Option<Self>;
    /// Whether `f` holds for any element of an array (none for anything else).
    fn any_element(self, f: &mut dyn FnMut(Self) -> bool) -> bool;
}

impl<'a> Json<'a> for &'a Value {
    fn kind(self) -> Kind<'a> {
        match self {
            Value::Object(_) => Kind::Object,
            Value::Array(items) => Kind::Array {
                empty: items.is_empty(),
            },
            Value::String(s) => Kind::Scalar(Scalar::Str(Cow::Borrowed(s))),
            Value::Number(n) => Kind::Scalar(Scalar::Num(n.as_f64().unwrap_or(f64::NAN))),
            Value::Bool(b) => Kind::Scalar(Scalar::Bool(*b)),
            Value::Null => Kind::Scalar(Scalar::Null),
        }
    }

    fn get(self, name: &str) -> Option<Self> {
        self.as_object()?.get(name)
    }

    fn any_element(self, f: &mut dyn FnMut(Self) -> bool) -> bool {
        self.as_array().is_some_and(|items| items.iter().any(f))
    }
}
