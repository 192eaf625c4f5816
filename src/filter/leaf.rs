//! The comparisons of an event pattern's leaves: each tests one value of the event (a string,
//! a number, `true`, `false` or `null`), as EventBridge's content filtering documents them
//! (<https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html>).

use std::net::IpAddr;

use serde_json::Value;

use super::error::PatternError;
use super::json::{Json, Kind, Scalar};

/// One comparison of a leaf's array: the pattern matches the field when any of them matches
/// any of the field's values.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Leaf {
    /// A string, number, boolean or null, equal to the value (numbers compared as numbers).
    Exact(Literal),
    /// `prefix`, or with `equals-ignore-case`.
    Prefix(Text),
    /// `suffix`, or with `equals-ignore-case`.
    Suffix(Text),
    /// `equals-ignore-case`.
    EqualsIgnoreCase(String),
    /// `wildcard`.
    Wildcard(Wildcard),
    /// `anything-but`: any value except what the inner test accepts.
    AnythingBut(Negated),
    /// `numeric`.
    Numeric(Range),
    /// `exists`: the field has a value (`true`) or none (`false`).
    Exists(bool),
    /// `cidr`: a string that is an IP address within the block.
    Cidr(Cidr),
}

/// A literal of a pattern.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Literal {
    Str(String),
    Num(f64),
    Bool(bool),
    Null,
}

/// The text of a `prefix` or `suffix`; with `equals-ignore-case` it is kept in lower case.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Text {
    text: String,
    ignore_case: bool,
}

/// What `anything-but` excludes.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Negated {
    /// Values equal to one of these (all strings or all numbers).
    Values(Vec<Literal>),
    /// Strings that start with one of these.
    Prefix(Vec<String>),
    /// Strings that end with one of these.
    Suffix(Vec<String>),
    /// Strings equal to one of these, ignoring case (kept in lower case).
    IgnoreCase(Vec<String>),
    /// Strings that match one of these wildcards.
    Wildcard(Vec<Wildcard>),
}

/// A numeric range: `=`, one bound, or a lower bound then an upper bound.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Range {
    /// The lower bound and whether it is included.
    low: Option<(f64, bool)>,
    /// The upper bound and whether it is included.
    high: Option<(f64, bool)>,
}

/// A wildcard: literal parts around each unescaped `*`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Wildcard {
    parts: Vec<String>,
}

/// An IPv4 or IPv6 block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Cidr {
    network: IpAddr,
    bits: u8,
}

/// The names of the comparisons; an object of a leaf's array is one of these.
const OPERATORS: [&str; 8] = [
    "prefix",
    "suffix",
    "equals-ignore-case",
    "wildcard",
    "anything-but",
    "numeric",
    "exists",
    "cidr",
];

/// Whether `name` is a comparison's name (not a field name inside `$or`).
pub(super) fn is_operator(name: &str) -> bool {
    OPERATORS.contains(&name)
}

impl Leaf {
    /// The comparison one element of a leaf's array states.
    pub(super) fn compile(element: &Value) -> Result<Self, PatternError> {
        let Value::Object(members) = element else {
            return match element {
                Value::Array(_) => Err(PatternError::Operand {
                    operator: "a field",
                    expected: "values that are strings, numbers, booleans, null or objects",
                }),
                other => Ok(Self::Exact(literal(other))),
            };
        };
        let mut members = members.iter();
        let (Some((name, operand)), None) = (members.next(), members.next()) else {
            return Err(PatternError::OneOperator);
        };
        match name.as_str() {
            "prefix" => Ok(Self::Prefix(Text::compile("prefix", operand)?)),
            "suffix" => Ok(Self::Suffix(Text::compile("suffix", operand)?)),
            "equals-ignore-case" => Ok(Self::EqualsIgnoreCase(lower(text(
                "equals-ignore-case",
                operand,
            )?))),
            "wildcard" => Ok(Self::Wildcard(Wildcard::compile(text(
                "wildcard", operand,
            )?)?)),
            "anything-but" => Ok(Self::AnythingBut(Negated::compile(operand)?)),
            "numeric" => Ok(Self::Numeric(Range::compile(operand)?)),
            "exists" => match operand {
                Value::Bool(b) => Ok(Self::Exists(*b)),
                _ => Err(PatternError::Operand {
                    operator: "exists",
                    expected: "true or false",
                }),
            },
            "cidr" => Ok(Self::Cidr(Cidr::compile(text("cidr", operand)?)?)),
            other => Err(PatternError::UnknownOperator(other.to_owned())),
        }
    }

    /// Whether this comparison accepts a field whose values `values` walks (the leaf values
    /// of the field; none when it is absent, an object or an empty array).
    pub(super) fn matches<'a, J: Json<'a>>(&self, values: Option<J>) -> bool {
        match self {
            Self::Exists(wanted) => any_value(values, &mut |_| true) == *wanted,
            _ => any_value(values, &mut |v| self.accepts(v)),
        }
    }

    /// Whether this comparison accepts one value (never an array or an object).
    fn accepts(&self, value: &Scalar<'_>) -> bool {
        match self {
            Self::Exact(literal) => literal.equals(value),
            Self::Prefix(t) => value.as_str().is_some_and(|s| t.is_prefix_of(s)),
            Self::Suffix(t) => value.as_str().is_some_and(|s| t.is_suffix_of(s)),
            Self::EqualsIgnoreCase(t) => value.as_str().is_some_and(|s| lower(s) == *t),
            Self::Wildcard(w) => value.as_str().is_some_and(|s| w.matches(s)),
            Self::AnythingBut(n) => !n.excludes(value),
            Self::Numeric(range) => value.as_f64().is_some_and(|x| range.contains(x)),
            Self::Exists(_) => true,
            Self::Cidr(cidr) => value.as_str().is_some_and(|s| cidr.contains(s)),
        }
    }
}

/// Calls `f` on each leaf value of `value` (itself when it is a scalar, the scalars of an array
/// at any depth; an object has none) until it returns true; whether it did.
pub(super) fn any_value<'a, J: Json<'a>>(
    value: Option<J>,
    f: &mut dyn FnMut(&Scalar<'a>) -> bool,
) -> bool {
    let Some(value) = value else {
        return false;
    };
    match value.kind() {
        Kind::Object => false,
        Kind::Array { .. } => value.any_element(&mut |item| any_value(Some(item), f)),
        Kind::Scalar(scalar) => f(&scalar),
    }
}

fn literal(value: &Value) -> Literal {
    match value {
        Value::String(s) => Literal::Str(s.clone()),
        Value::Number(n) => Literal::Num(n.as_f64().unwrap_or(f64::NAN)),
        Value::Bool(b) => Literal::Bool(*b),
        _ => Literal::Null,
    }
}

impl Literal {
    fn equals(&self, value: &Scalar<'_>) -> bool {
        match (self, value) {
            (Self::Str(a), Scalar::Str(b)) => a == b,
            (Self::Num(a), Scalar::Num(b)) => a == b,
            (Self::Bool(a), Scalar::Bool(b)) => a == b,
            (Self::Null, Scalar::Null) => true,
            _ => false,
        }
    }
}

/// `s` in lower case, character by character (Unicode's simple lower-case mapping).
fn lower(s: &str) -> String {
    s.chars().flat_map(char::to_lowercase).collect()
}

/// The string operand of `operator`.
fn text<'v>(operator: &'static str, operand: &'v Value) -> Result<&'v str, PatternError> {
    operand.as_str().ok_or(PatternError::Operand {
        operator,
        expected: "a string",
    })
}

/// The operand of `operator`: one string, or a non-empty array of strings.
fn texts<'v>(operator: &'static str, operand: &'v Value) -> Result<Vec<&'v str>, PatternError> {
    let err = PatternError::Operand {
        operator,
        expected: "a string or a non-empty array of strings",
    };
    match operand {
        Value::String(s) => Ok(vec![s.as_str()]),
        Value::Array(items) if !items.is_empty() => items
            .iter()
            .map(|item| item.as_str().ok_or_else(|| err.clone()))
            .collect(),
        _ => Err(err),
    }
}

impl Text {
    /// `"text"` or `{"equals-ignore-case": "text"}`; never empty.
    fn compile(operator: &'static str, operand: &Value) -> Result<Self, PatternError> {
        let (text, ignore_case) = match operand {
            Value::Object(members) if members.len() == 1 => match members.get("equals-ignore-case")
            {
                Some(inner) => (lower(text(operator, inner)?), true),
                None => return Err(PatternError::OneOperator),
            },
            _ => (text(operator, operand)?.to_owned(), false),
        };
        Ok(Self { text, ignore_case })
    }

    fn is_prefix_of(&self, s: &str) -> bool {
        if self.ignore_case {
            lower(s).starts_with(&self.text)
        } else {
            s.starts_with(&self.text)
        }
    }

    fn is_suffix_of(&self, s: &str) -> bool {
        if self.ignore_case {
            lower(s).ends_with(&self.text)
        } else {
            s.ends_with(&self.text)
        }
    }
}

impl Negated {
    fn compile(operand: &Value) -> Result<Self, PatternError> {
        match operand {
            Value::String(_) | Value::Number(_) => Ok(Self::Values(vec![literal(operand)])),
            Value::Array(items) if !items.is_empty() => {
                let strings = items.iter().all(Value::is_string);
                let numbers = items.iter().all(Value::is_number);
                if !strings && !numbers {
                    return Err(PatternError::Operand {
                        operator: "anything-but",
                        expected: "a list of only strings or only numbers",
                    });
                }
                Ok(Self::Values(items.iter().map(literal).collect()))
            }
            Value::Object(members) if members.len() == 1 => Self::compile_inner(members),
            Value::Object(_) => Err(PatternError::OneOperator),
            _ => Err(PatternError::Operand {
                operator: "anything-but",
                expected: "a string, a number, a non-empty list of either, or an object \
                           with prefix, suffix, equals-ignore-case or wildcard",
            }),
        }
    }

    fn compile_inner(members: &serde_json::Map<String, Value>) -> Result<Self, PatternError> {
        let (name, operand) = members.iter().next().expect("one member, checked");
        let non_empty = |operator: &'static str| -> Result<Vec<String>, PatternError> {
            let texts = texts(operator, operand)?;
            if texts.iter().any(|t| t.is_empty()) {
                return Err(PatternError::Operand {
                    operator,
                    expected: "a string that is not empty",
                });
            }
            Ok(texts.into_iter().map(str::to_owned).collect())
        };
        match name.as_str() {
            "prefix" => Ok(Self::Prefix(non_empty("anything-but prefix")?)),
            "suffix" => Ok(Self::Suffix(non_empty("anything-but suffix")?)),
            "equals-ignore-case" => Ok(Self::IgnoreCase(
                texts("anything-but equals-ignore-case", operand)?
                    .into_iter()
                    .map(lower)
                    .collect(),
            )),
            "wildcard" => Ok(Self::Wildcard(
                texts("anything-but wildcard", operand)?
                    .into_iter()
                    .map(Wildcard::compile)
                    .collect::<Result<_, _>>()?,
            )),
            other => Err(PatternError::UnknownOperator(format!(
                "anything-but {other}"
            ))),
        }
    }

    /// Whether `value` is one that `anything-but` excludes. Values of another type than the
    /// excluded ones are never excluded (as in aws/event-ruler).
    fn excludes(&self, value: &Scalar<'_>) -> bool {
        let string = value.as_str();
        match self {
            Self::Values(literals) => literals.iter().any(|l| l.equals(value)),
            Self::Prefix(p) => string.is_some_and(|s| p.iter().any(|p| s.starts_with(p))),
            Self::Suffix(p) => string.is_some_and(|s| p.iter().any(|p| s.ends_with(p))),
            Self::IgnoreCase(p) => string.is_some_and(|s| p.contains(&lower(s))),
            Self::Wildcard(w) => string.is_some_and(|s| w.iter().any(|w| w.matches(s))),
        }
    }
}

impl Range {
    /// `["=", x]`, `[op, x]` with `op` one of `<`, `<=`, `>`, `>=`, or a lower bound (`>` or
    /// `>=`) followed by an upper one (`<` or `<=`) not below it.
    fn compile(operand: &Value) -> Result<Self, PatternError> {
        let bad = |expected| PatternError::Operand {
            operator: "numeric",
            expected,
        };
        let Value::Array(items) = operand else {
            return Err(bad(
                "an array of an operator and a number, or two such pairs",
            ));
        };
        let pair = |i: usize| -> Result<(&str, f64), PatternError> {
            let op = items[i]
                .as_str()
                .ok_or(bad("an operator (=, <, <=, >, >=) first"))?;
            let number = items[i + 1]
                .as_f64()
                .ok_or(bad("a number after each operator"))?;
            Ok((op, number))
        };
        let unknown = |op: &str| PatternError::UnknownOperator(format!("numeric {op}"));
        let mut range = Self {
            low: None,
            high: None,
        };
        match items.len() {
            2 => match pair(0)? {
                ("=", x) => (range.low, range.high) = (Some((x, true)), Some((x, true))),
                (">", x) => range.low = Some((x, false)),
                (">=", x) => range.low = Some((x, true)),
                ("<", x) => range.high = Some((x, false)),
                ("<=", x) => range.high = Some((x, true)),
                (op, _) => return Err(unknown(op)),
            },
            4 => {
                range.low = match pair(0)? {
                    (">", x) => Some((x, false)),
                    (">=", x) => Some((x, true)),
                    _ => return Err(bad("a lower bound (> or >=) before the upper bound")),
                };
                range.high = match pair(2)? {
                    ("<", x) => Some((x, false)),
                    ("<=", x) => Some((x, true)),
                    _ => return Err(bad("an upper bound (< or <=) after the lower bound")),
                };
                if range.low.map(|l| l.0) > range.high.map(|h| h.0) {
                    return Err(bad("a lower bound that is not above the upper bound"));
                }
            }
            _ => return Err(bad("an operator and a number, or two such pairs")),
        }
        Ok(range)
    }

    fn contains(&self, x: f64) -> bool {
        let above = self
            .low
            .is_none_or(|(low, inclusive)| x > low || (inclusive && x == low));
        let below = self
            .high
            .is_none_or(|(high, inclusive)| x < high || (inclusive && x == high));
        above && below
    }
}

impl Wildcard {
    /// `*` matches any characters, `\*` is a star and `\\` a backslash; two stars in a row and
    /// any other escape are errors (as EventBridge rejects them).
    pub(super) fn compile(pattern: &str) -> Result<Self, PatternError> {
        let bad = |expected| PatternError::Operand {
            operator: "wildcard",
            expected,
        };
        let mut parts = vec![String::new()];
        let mut chars = pattern.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '*' if chars.peek() == Some(&'*') => {
                    return Err(bad("no two consecutive wildcard characters"));
                }
                '*' => parts.push(String::new()),
                '\\' => match chars.next() {
                    Some(escaped @ ('*' | '\\')) => push(&mut parts, escaped),
                    _ => return Err(bad("a backslash only before * or \\")),
                },
                other => push(&mut parts, other),
            }
        }
        Ok(Self { parts })
    }

    /// Whether `s` matches: the first part starts it, the last ends it, and the others follow
    /// in order between them (leftmost first, which is exact for `*`-only patterns).
    pub(super) fn matches(&self, s: &str) -> bool {
        let (first, rest) = self.parts.split_first().expect("a wildcard has a part");
        let Some(mut tail) = s.strip_prefix(first.as_str()) else {
            return false;
        };
        let Some((last, middle)) = rest.split_last() else {
            return tail.is_empty();
        };
        for part in middle {
            match tail.find(part.as_str()) {
                Some(at) => tail = &tail[at + part.len()..],
                None => return false,
            }
        }
        tail.ends_with(last.as_str())
    }
}

fn push(parts: &mut [String], c: char) {
    parts.last_mut().expect("a wildcard has a part").push(c);
}

impl Cidr {
    /// `address/bits`, IPv4 or IPv6.
    fn compile(text: &str) -> Result<Self, PatternError> {
        let bad = || PatternError::Operand {
            operator: "cidr",
            expected: "an IPv4 or IPv6 block such as 10.0.0.0/24 or 2001:db8::/32",
        };
        let (address, bits) = text.split_once('/').ok_or_else(bad)?;
        let network: IpAddr = address.parse().map_err(|_| bad())?;
        let bits: u8 = bits.parse().map_err(|_| bad())?;
        let max = if network.is_ipv4() { 32 } else { 128 };
        if bits > max {
            return Err(bad());
        }
        Ok(Self { network, bits })
    }

    fn contains(&self, text: &str) -> bool {
        let Ok(address) = text.parse::<IpAddr>() else {
            return false;
        };
        match (self.network, address) {
            (IpAddr::V4(n), IpAddr::V4(a)) => same_prefix(
                u128::from(n.to_bits()) << 96,
                u128::from(a.to_bits()) << 96,
                self.bits,
            ),
            (IpAddr::V6(n), IpAddr::V6(a)) => same_prefix(n.to_bits(), a.to_bits(), self.bits),
            _ => false,
        }
    }
}

/// Whether the first `bits` bits of `a` and `b` (left-aligned) are equal.
fn same_prefix(a: u128, b: u128, bits: u8) -> bool {
    bits == 0 || (a ^ b) >> (128 - u32::from(bits)) == 0
}
