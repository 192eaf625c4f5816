//! The event as the patterns see it, read from the record and its entry without writing or
//! re-reading the detail: the envelope and the detail's members, each as the detail has it
//! (`map::detail_with` writes the same members; a test holds the two together), borrowed. Only
//! the key and the value are read, once, keeping only the members the patterns reach
//! ([`Shape`]); the rest is skipped without being copied.

use std::borrow::Cow;
use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use super::json::{Json, Kind, Scalar};
use super::pattern::{Field, Node};
use crate::decode::DecodedRecord;
use crate::map::{EventEntry, header_value};

/// What of a JSON document the patterns reach: a leaf's values (scalars, at any depth of
/// arrays; an object there has none), or the members of an object (of each element, over an
/// array).
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Shape {
    /// The values of a leaf.
    Leaf,
    /// These members, each with its own shape.
    Members(Vec<(String, Shape)>),
}

impl Shape {
    /// The shape a field's pattern reaches.
    pub(super) fn of(field: &Field) -> Self {
        match field {
            Field::Leaf(_) => Self::Leaf,
            Field::Object(node) => Self::of_node(node),
        }
    }

    fn of_node(node: &Node) -> Self {
        let mut shape = Self::Members(Vec::new());
        for (name, field) in node.fields() {
            shape.merge_member(name, Self::of(field));
        }
        shape
    }

    /// This shape and `other`: an object's members reach a leaf's values too (its scalars and
    /// arrays are kept), so members win over a leaf.
    pub(super) fn merge(&mut self, other: Self) {
        match (&mut *self, other) {
            (_, Self::Leaf) => {}
            (Self::Leaf, members) => *self = members,
            (Self::Members(_), Self::Members(theirs)) => {
                for (name, shape) in theirs {
                    self.merge_member(&name, shape);
                }
            }
        }
    }

    fn merge_member(&mut self, name: &str, shape: Self) {
        let Self::Members(members) = self else {
            *self = Self::Members(vec![(name.to_owned(), shape)]);
            return;
        };
        match members.iter_mut().find(|(n, _)| n == name) {
            Some((_, existing)) => existing.merge(shape),
            None => members.push((name.to_owned(), shape)),
        }
    }

    /// The part of the JSON text `text` this shape reaches; `None` when it is not JSON. Of a
    /// member named twice in one object, the filter reads the first.
    pub(super) fn read(&self, text: &str) -> Option<Value> {
        let mut de = serde_json::Deserializer::from_str(text);
        // The key and value are nested at most MAX_JSON_DEPTH levels (the decoders' bound).
        de.disable_recursion_limit();
        Pruned(self).deserialize(&mut de).ok()
    }
}

/// Reads a JSON document keeping what a [`Shape`] reaches.
struct Pruned<'s>(&'s Shape);

impl<'de> DeserializeSeed<'de> for Pruned<'_> {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Pruned<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(Pruned(self.0))? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        let Shape::Members(members) = self.0 else {
            // A leaf's object has no values.
            while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
            return Ok(Value::Object(out));
        };
        while let Some(Key(name)) = map.next_key::<Key<'de>>()? {
            match members.iter().find(|(n, _)| *n == name) {
                Some((_, shape)) => {
                    let value = map.next_value_seed(Pruned(shape))?;
                    out.entry(name.into_owned()).or_insert(value);
                }
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(Value::Object(out))
    }
}

#[derive(serde::Deserialize)]
struct Key<'a>(#[serde(borrow)] Cow<'a, str>);

/// What of the event the patterns see: the top-level fields and the detail's members they
/// name, with what of the key and value they reach.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct View {
    /// The top-level fields named: `source`, `detail-type`, `resources`, `detail`.
    pub(super) fields: Vec<&'static str>,
    /// The detail's members named, with what of each the patterns reach.
    pub(super) members: Vec<(&'static str, Shape)>,
}

/// One record's event, as the patterns see it: the record and its entry borrowed, and the parts
/// of its key and value the patterns reach, read.
#[derive(Debug)]
pub(super) struct Event<'r> {
    record: &'r DecodedRecord,
    entry: &'r EventEntry,
    key: Option<Part<'r>>,
    value: Option<Part<'r>>,
}

/// A key or value as the patterns see it.
#[derive(Debug)]
enum Part<'r> {
    /// A JSON string without escapes, borrowed (most keys): nothing to read.
    Text(&'r str),
    /// What the patterns reach of any other JSON.
    Json(Value),
}

impl View {
    /// The event of `record`, whose entry is `entry`; `None` when its key or value is not JSON
    /// (never, for a decoded record).
    pub(super) fn event<'r>(
        &self,
        record: &'r DecodedRecord,
        entry: &'r EventEntry,
    ) -> Option<Event<'r>> {
        let read = |member: &str, text: Option<&'r str>| -> Option<Option<Part<'r>>> {
            let Some((_, shape)) = self.members.iter().find(|(m, _)| *m == member) else {
                return Some(None);
            };
            let Some(text) = text else {
                return Some(Some(Part::Json(Value::Null)));
            };
            let plain = text
                .strip_prefix('"')
                .and_then(|t| t.strip_suffix('"'))
                .filter(|t| !t.contains(['\\', '"']));
            Some(Some(match plain {
                Some(plain) => Part::Text(plain),
                None => Part::Json(shape.read(text)?),
            }))
        };
        Some(Event {
            record,
            entry,
            key: read("key", record.key.as_ref().map(|k| k.as_str()))?,
            value: read("value", record.value.as_ref().map(|v| v.as_str()))?,
        })
    }
}

impl<'r> Event<'r> {
    /// The event's root.
    pub(super) fn root(&self) -> Doc<'_> {
        Doc::Root(self)
    }
}

impl Part<'_> {
    fn doc(&self) -> Doc<'_> {
        match self {
            Self::Text(text) => Doc::Str(text),
            Self::Json(value) => Doc::Json(value),
        }
    }
}

/// A node of an [`Event`].
#[derive(Debug, Clone, Copy)]
pub(super) enum Doc<'e> {
    Root(&'e Event<'e>),
    Detail(&'e Event<'e>),
    Resources(&'e [String]),
    Headers(&'e [(String, Vec<u8>)]),
    Header(&'e (String, Vec<u8>)),
    HeaderValue(&'e [u8]),
    Str(&'e str),
    Num(f64),
    Null,
    Json(&'e Value),
}

impl<'e> Json<'e> for Doc<'e> {
    fn kind(self) -> Kind<'e> {
        match self {
            Self::Root(_) | Self::Detail(_) | Self::Header(_) => Kind::Object,
            Self::Resources(items) => Kind::Array {
                empty: items.is_empty(),
            },
            Self::Headers(items) => Kind::Array {
                empty: items.is_empty(),
            },
            Self::HeaderValue(bytes) => Kind::Scalar(Scalar::Str(header_value(bytes))),
            Self::Str(s) => Kind::Scalar(Scalar::Str(Cow::Borrowed(s))),
            Self::Num(n) => Kind::Scalar(Scalar::Num(n)),
            Self::Null => Kind::Scalar(Scalar::Null),
            Self::Json(value) => value.kind(),
        }
    }

    fn get(self, name: &str) -> Option<Self> {
        match self {
            Self::Root(event) => match name {
                "source" => Some(Self::Str(&event.entry.source)),
                "detail-type" => Some(Self::Str(&event.entry.detail_type)),
                "resources" => Some(Self::Resources(&event.entry.resources)),
                "detail" => Some(Self::Detail(event)),
                _ => None,
            },
            Self::Detail(event) => event.member(name),
            Self::Header((header, value)) => (header == name).then_some(Self::HeaderValue(value)),
            Self::Json(value) => value.get(name).map(Self::Json),
            _ => None,
        }
    }

    fn any_element(self, f: &mut dyn FnMut(Self) -> bool) -> bool {
        match self {
            Self::Resources(items) => items.iter().any(|r| f(Self::Str(r))),
            Self::Headers(items) => items.iter().any(|h| f(Self::Header(h))),
            Self::Json(Value::Array(items)) => items.iter().any(|v| f(Self::Json(v))),
            _ => false,
        }
    }
}

impl Event<'_> {
    /// The detail's member `name`, as the detail has it (numbers as JSON numbers are read).
    fn member(&self, name: &str) -> Option<Doc<'_>> {
        let record = self.record;
        Some(match name {
            "topic" => Doc::Str(&record.topic),
            "partition" => Doc::Num(record.partition as f64),
            "offset" => Doc::Num(record.offset as f64),
            "timestamp" => record.timestamp.map_or(Doc::Null, |t| Doc::Num(t as f64)),
            "timestampType" => Doc::Str(record.timestamp_type.as_str()),
            "headers" => Doc::Headers(&record.headers),
            "key" => self.key.as_ref()?.doc(),
            "value" => self.value.as_ref()?.doc(),
            _ => return None,
        })
    }
}
