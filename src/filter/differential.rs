//! The filter against an independent matcher: quamina (the Rust port of Tim Bray's quamina,
//! whose pattern language follows EventBridge's), on generated events and patterns, for the
//! operators both implement. Where the two answer differently by design, the case is left out
//! here and stated in the docs (docs/filtering.md).

use proptest::prelude::*;
use serde_json::{Value, json};

use super::pattern::Node;

/// What the values of a generated event may be.
#[derive(Debug, Clone, Copy)]
enum Scalars {
    /// Strings, numbers, booleans and null.
    Any,
    /// Numbers only (quamina's `numeric` also accepts some strings, booleans and null).
    Numbers,
}

fn scalar(kind: Scalars) -> BoxedStrategy<Value> {
    let numbers = prop::sample::select(vec![-1.0, 0.0, 1.0, 2.0, 10.0, 1.5]).prop_map(|n: f64| {
        if n.fract() == 0.0 {
            json!(n as i64)
        } else {
            json!(n)
        }
    });
    match kind {
        Scalars::Numbers => numbers.boxed(),
        Scalars::Any => prop_oneof![
            prop::sample::select(vec!["x", "xy", "yx", "X", "", "10.0.0.7", "x*y"])
                .prop_map(|s| json!(s)),
            numbers,
            any::<bool>().prop_map(|b| json!(b)),
            Just(Value::Null),
        ]
        .boxed(),
    }
}

/// The field names at each depth: distinct from one depth to the next (quamina confuses a
/// field with a same-named field of an object inside its array).
const NAMES: [[&str; 2]; 3] = [["a", "b"], ["c", "d"], ["e", "f"]];

fn names(depth: usize) -> BoxedStrategy<&'static str> {
    prop::sample::select(NAMES[depth].to_vec()).boxed()
}

fn object(m: std::collections::BTreeMap<&str, Value>) -> Value {
    Value::Object(m.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
}

/// A value at `depth`: a scalar, an array (of values at the same depth) or an object.
fn event_value(kind: Scalars, depth: usize) -> BoxedStrategy<Value> {
    if depth + 1 >= NAMES.len() {
        return prop_oneof![
            3 => scalar(kind),
            1 => prop::collection::vec(scalar(kind), 0..3).prop_map(Value::Array),
        ]
        .boxed();
    }
    let nested = prop::collection::btree_map(names(depth + 1), event_value(kind, depth + 1), 0..3)
        .prop_map(object)
        .boxed();
    prop_oneof![
        3 => scalar(kind),
        1 => prop::collection::vec(prop_oneof![scalar(kind), nested.clone()], 0..3)
            .prop_map(Value::Array),
        1 => nested,
    ]
    .boxed()
}

fn event(kind: Scalars) -> impl Strategy<Value = Value> {
    prop::collection::btree_map(names(0), event_value(kind, 0), 1..3).prop_map(object)
}

fn comparison() -> impl Strategy<Value = Value> {
    let text = prop::sample::select(vec!["x", "y", "X", "xy", "10."]);
    let number = prop::sample::select(vec![-1, 0, 1, 2, 10]);
    prop_oneof![
        scalar(Scalars::Any),
        text.clone().prop_map(|t| json!({"prefix": t})),
        text.clone().prop_map(|t| json!({"suffix": t})),
        text.clone().prop_map(|t| json!({"equals-ignore-case": t})),
        prop::sample::select(vec!["x*", "*y", "x*y", "*", "*x*"])
            .prop_map(|w| json!({"wildcard": w})),
        prop::collection::vec(text, 1..3).prop_map(|v| json!({"anything-but": v})),
        prop::collection::vec(number, 1..3).prop_map(|v| json!({"anything-but": v})),
        Just(json!({"cidr": "10.0.0.0/24"})),
    ]
}

fn numeric() -> impl Strategy<Value = Value> {
    let number = prop::sample::select(vec![-1, 0, 1, 2, 10]);
    prop_oneof![
        number.clone().prop_map(|n| json!(n)),
        (
            prop::sample::select(vec!["<", "<=", "=", ">", ">="]),
            number.clone()
        )
            .prop_map(|(op, n)| json!({"numeric": [op, n]})),
        (number.clone(), number)
            .prop_map(|(a, b)| json!({"numeric": [">=", a.min(b), "<", a.max(b) + 1]})),
    ]
}

/// A leaf: one `exists`, or comparisons (quamina takes `exists` only alone in its array).
fn leaf(comparisons: BoxedStrategy<Value>) -> impl Strategy<Value = Value> {
    prop_oneof![
        1 => any::<bool>().prop_map(|b| json!([{"exists": b}])),
        4 => prop::collection::vec(comparisons, 1..3).prop_map(Value::Array),
    ]
}

fn pattern_object(comparisons: BoxedStrategy<Value>, depth: usize) -> BoxedStrategy<Value> {
    let field = if depth + 1 >= NAMES.len() {
        leaf(comparisons).boxed()
    } else {
        prop_oneof![
            3 => leaf(comparisons.clone()),
            1 => pattern_object(comparisons, depth + 1),
        ]
        .boxed()
    };
    prop::collection::btree_map(names(depth), field, 1..3)
        .prop_map(object)
        .boxed()
}

fn ours(pattern: &Value, event: &Value) -> bool {
    Node::compile(pattern.as_object().expect("an object"), "")
        .expect("a generated pattern compiles")
        .matches(Some(event))
}

/// quamina's answer, when it has one we compare with. Left out: patterns with `exists: false`
/// beside another `exists` (quamina then matches nothing, where aws/event-ruler and the
/// documentation match: `{"a":[{"exists":true}],"b":[{"exists":false}]}` on `{"a":"x"}`).
fn theirs(pattern: &Value, event: &Value) -> Option<bool> {
    let text = pattern.to_string();
    if text.contains(r#""exists":false"#) && text.matches(r#""exists":"#).count() > 1 {
        return None;
    }
    let mut q = quamina::Quamina::<u8>::new();
    q.add_pattern(1, &pattern.to_string()).ok()?;
    let found = q.matches_for_event(event.to_string().as_bytes()).ok()?;
    Some(!found.is_empty())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 4096, ..ProptestConfig::default() })]

    #[test]
    fn agrees_with_quamina(
        pattern in pattern_object(comparison().boxed(), 0),
        event in event(Scalars::Any),
    ) {
        if let Some(expected) = theirs(&pattern, &event) {
            prop_assert_eq!(ours(&pattern, &event), expected, "pattern {} event {}", pattern, event);
        }
    }

    #[test]
    fn agrees_with_quamina_on_numbers(
        pattern in pattern_object(numeric().boxed(), 0),
        event in event(Scalars::Numbers),
    ) {
        if let Some(expected) = theirs(&pattern, &event) {
            prop_assert_eq!(ours(&pattern, &event), expected, "pattern {} event {}", pattern, event);
        }
    }
}
