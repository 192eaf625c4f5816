//! The bounds of Avro decoding, checked before the Avro library allocates anything. Pure.
//!
//! The Avro library (`apache-avro`) sizes its allocations and loops from the schema and the
//! datum: a `fixed` of 2^40 bytes, a decimal whose scale is 2^40 digits, a block count of 2^62
//! items of type `null` (which take no bytes) are all honoured, and abort the process or take
//! its memory. Its one knob, `max_allocation_bytes`, bounds a single string, bytes value or
//! collection, not a `fixed`, not a decimal's rendering, not the total of a datum, and it cannot
//! be set per datum. So the bound sits in front of it:
//!
//! - [`check_schema`] runs once per schema, when it is parsed: it walks the named-type graph once
//!   (memoised, so a type shared by many fields is walked once) and refuses a schema whose
//!   expansion is over [`MAX_SCHEMA_NODES`] (named types shared so that the paths multiply), and
//!   says whether a named type contains itself;
//! - [`check_datum`] walks each datum with its schema, reading lengths, counts and indexes only,
//!   allocating nothing, and refuses it before decoding when a length is over the bytes left, when
//!   it would decode to more values than its [`Budget`] allows (zero-width items), render more
//!   JSON than its budget (decimal scales, field names repeated), or nest deeper than
//!   EventBridge accepts.

use std::collections::HashMap;

use apache_avro::Schema;
use apache_avro::schema::{DecimalSchema, InnerDecimalSchema, Name, NamesRef, UuidSchema};

use super::error::AvroError;
use crate::json::MAX_JSON_DEPTH;

/// The most schema nodes a schema expands to when its named types are followed (each reference
/// to an enclosing type, i.e. recursion, counted once). Real schemas, wide records included, stay
/// in the thousands; a schema whose named types are shared so that every level doubles the paths
/// (`A {x: B, y: B}`, `B {x: C, y: C}`, …) passes it after a few dozen levels and would cost
/// exponential time in any walk that follows the types.
pub(crate) const MAX_SCHEMA_NODES: u64 = 100_000;

/// Values a datum may decode to beyond [`VALUES_PER_BYTE`] per byte of it: room for records of
/// `null` fields and empty records, which take no bytes.
pub(crate) const FREE_VALUES: usize = 65_536;
/// Values per byte of a datum: every value but `null`, an empty record and a `fixed` of size 0
/// takes at least one byte, and a record or collection adds one value for itself.
pub(crate) const VALUES_PER_BYTE: usize = 2;
/// Bytes of JSON a datum may render to beyond [`RENDERED_PER_BYTE`] per byte of it.
pub(crate) const FREE_RENDERED_BYTES: usize = 64 * 1024;
/// Bytes of JSON per byte of a datum: a one-byte field renders its name too (`"customer_id":1`).
pub(crate) const RENDERED_PER_BYTE: usize = 32;
/// The most JSON one datum may render to, whatever its size: five times the 6 MB of a
/// synchronous invocation's payload (Lambda quotas,
/// <https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html>), more than any
/// honest record of an invocation renders to.
pub(crate) const MAX_RENDERED_BYTES: usize = 32 * 1024 * 1024;

/// What a schema's shape says, from [`check_schema`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Shape {
    /// Whether a named type contains itself (so a datum may nest as deep as it is long).
    pub(crate) recursive: bool,
    /// The schema nodes it expands to.
    pub(crate) nodes: u64,
}

/// Walks the named-type graph of `schema` once, memoised by name: its expansion size and
/// whether it is recursive; a schema over [`MAX_SCHEMA_NODES`] is refused.
pub(crate) fn check_schema<'s>(
    schema: &'s Schema,
    names: &NamesRef<'s>,
) -> Result<Shape, AvroError> {
    let mut walk = ShapeWalk {
        names,
        memo: HashMap::new(),
        within: Vec::new(),
        recursive: false,
    };
    let nodes = walk.size(schema);
    if nodes > MAX_SCHEMA_NODES {
        return Err(AvroError::Schema(format!(
            "expands to more than {MAX_SCHEMA_NODES} types when its named types are followed (named types shared so that the paths multiply)"
        )));
    }
    Ok(Shape {
        recursive: walk.recursive,
        nodes,
    })
}

struct ShapeWalk<'a, 's> {
    names: &'a NamesRef<'s>,
    /// The expansion of each named record walked in full.
    memo: HashMap<&'s Name, u64>,
    /// The records being walked (a reference to one of them is recursion).
    within: Vec<&'s Name>,
    recursive: bool,
}

impl<'s> ShapeWalk<'_, 's> {
    fn size(&mut self, schema: &'s Schema) -> u64 {
        match schema {
            Schema::Ref { name } => {
                if self.within.contains(&name) {
                    self.recursive = true;
                    1
                } else if let Some(&nodes) = self.memo.get(name) {
                    nodes
                } else {
                    self.names.get(name).map_or(1, |defined| self.size(defined))
                }
            }
            Schema::Array(a) => 1 + self.size(&a.items),
            Schema::Map(m) => 1 + self.size(&m.types),
            Schema::Union(u) => u
                .variants()
                .iter()
                .fold(1u64, |total, v| total.saturating_add(self.size(v))),
            Schema::Record(r) => {
                self.within.push(&r.name);
                let nodes = r
                    .fields
                    .iter()
                    .fold(1u64, |total, f| total.saturating_add(self.size(&f.schema)));
                self.within.pop();
                self.memo.insert(&r.name, nodes);
                nodes
            }
            _ => 1,
        }
    }
}

/// What one datum may cost: values decoded and bytes of JSON rendered, set by its length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Budget {
    /// Values (each item, field, key and container counts one).
    pub(crate) values: usize,
    /// Bytes of rendered JSON, as estimated from the datum's lengths and the schema's names.
    pub(crate) rendered: usize,
}

impl Budget {
    /// The budget of a datum of `len` bytes.
    pub(crate) fn for_len(len: usize) -> Self {
        Self {
            values: len
                .saturating_mul(VALUES_PER_BYTE)
                .saturating_add(FREE_VALUES),
            rendered: len
                .saturating_mul(RENDERED_PER_BYTE)
                .saturating_add(FREE_RENDERED_BYTES)
                .min(MAX_RENDERED_BYTES),
        }
    }
}

/// Walks `bytes` as a datum of `schema` without decoding it: every length is checked against
/// the bytes left, the values and the rendered JSON against the datum's [`Budget`], the nesting
/// against [`MAX_JSON_DEPTH`]. Nothing is allocated, and the walk stops at the first breach, so
/// its own cost is bounded by the budget.
pub(crate) fn check_datum(
    schema: &Schema,
    names: &NamesRef<'_>,
    bytes: &[u8],
) -> Result<(), AvroError> {
    let budget = Budget::for_len(bytes.len());
    let mut walk = DatumWalk {
        names,
        rest: bytes,
        len: bytes.len(),
        values: 0,
        rendered: 0,
        budget,
    };
    walk.value(schema, 0)
}

struct DatumWalk<'a, 'n, 'b> {
    names: &'a NamesRef<'n>,
    rest: &'b [u8],
    len: usize,
    values: usize,
    rendered: usize,
    budget: Budget,
}

impl DatumWalk<'_, '_, '_> {
    /// Counts one value rendering to about `rendered` bytes.
    fn charge(&mut self, rendered: usize) -> Result<(), AvroError> {
        self.values += 1;
        self.rendered = self.rendered.saturating_add(rendered);
        if self.values > self.budget.values {
            return Err(AvroError::OverBudget {
                what: "values",
                limit: self.budget.values,
                len: self.len,
            });
        }
        if self.rendered > self.budget.rendered {
            return Err(AvroError::OverBudget {
                what: "bytes of JSON",
                limit: self.budget.rendered,
                len: self.len,
            });
        }
        Ok(())
    }

    /// Skips `n` bytes of a `kind` (string, bytes, fixed) that the datum or schema sized.
    fn take(&mut self, kind: &'static str, n: u64) -> Result<&[u8], AvroError> {
        let left = self.rest.len();
        match usize::try_from(n) {
            Ok(n) if n <= left => {
                let (taken, rest) = self.rest.split_at(n);
                self.rest = rest;
                Ok(taken)
            }
            _ => Err(AvroError::Length { kind, len: n, left }),
        }
    }

    /// A zigzag varint `long` (at most 10 bytes).
    fn long(&mut self) -> Result<i64, AvroError> {
        let (value, rest) = read_long(self.rest).ok_or(AvroError::Datum)?;
        self.rest = rest;
        Ok(value)
    }

    /// A length prefix: a `long` that may not be negative.
    fn length(&mut self) -> Result<u64, AvroError> {
        u64::try_from(self.long()?).map_err(|_| AvroError::Datum)
    }

    /// A value of `schema`: a reference or a union's branch is followed, a record, array or
    /// map nests one level deeper, anything else is a [`scalar`](Self::scalar).
    fn value(&mut self, schema: &Schema, depth: usize) -> Result<(), AvroError> {
        match schema {
            Schema::Ref { name } => {
                let defined = *self.names.get(name).ok_or(AvroError::Mismatch)?;
                self.value(defined, depth)
            }
            Schema::Union(u) => {
                let index = self.long()?;
                let branch = usize::try_from(index)
                    .ok()
                    .and_then(|i| u.variants().get(i))
                    .ok_or(AvroError::Datum)?;
                self.value(branch, depth)
            }
            Schema::Record(r) => {
                let inner = nested(depth)?;
                self.charge(2)?;
                for field in &r.fields {
                    self.rendered = self.rendered.saturating_add(field.name.len() + 4);
                    self.value(&field.schema, inner)?;
                }
                Ok(())
            }
            Schema::Array(a) => {
                let inner = nested(depth)?;
                self.charge(2)?;
                self.blocks(|walk| walk.value(&a.items, inner))
            }
            Schema::Map(m) => {
                let inner = nested(depth)?;
                self.charge(2)?;
                self.blocks(|walk| {
                    let n = walk.length()?;
                    let key = walk.take("map key", n)?.len();
                    walk.rendered = walk.rendered.saturating_add(key + 4);
                    walk.value(&m.types, inner)
                })
            }
            scalar => self.scalar(scalar),
        }
    }

    /// A value that holds no other value.
    fn scalar(&mut self, schema: &Schema) -> Result<(), AvroError> {
        match schema {
            Schema::Null => self.charge(5),
            Schema::Boolean => {
                match self.take("boolean", 1) {
                    Ok([0 | 1]) => {}
                    _ => return Err(AvroError::Datum),
                }
                self.charge(6)
            }
            Schema::Int
            | Schema::Long
            | Schema::Date
            | Schema::TimeMillis
            | Schema::TimeMicros
            | Schema::TimestampMillis
            | Schema::TimestampMicros
            | Schema::TimestampNanos
            | Schema::LocalTimestampMillis
            | Schema::LocalTimestampMicros
            | Schema::LocalTimestampNanos => {
                self.long()?;
                self.charge(2)
            }
            Schema::Float => self.fixed_width("float", 4),
            Schema::Double => self.fixed_width("double", 8),
            Schema::Duration(_) => self.fixed_width("duration", 12),
            Schema::String | Schema::Uuid(UuidSchema::String) => {
                let n = self.length()?;
                let n = self.take("string", n)?.len();
                self.charge(n + 3)
            }
            Schema::Bytes | Schema::Uuid(UuidSchema::Bytes) => {
                let n = self.length()?;
                let n = self.take("bytes value", n)?.len();
                self.charge(base64_len(n) + 3)
            }
            Schema::Fixed(fixed) | Schema::Uuid(UuidSchema::Fixed(fixed)) => {
                let n = self.take("fixed", fixed.size as u64)?.len();
                self.charge(base64_len(n) + 3)
            }
            Schema::Decimal(decimal) => self.decimal(decimal),
            Schema::BigDecimal => self.big_decimal(),
            Schema::Enum(e) => {
                let index = self.long()?;
                let symbol = usize::try_from(index)
                    .ok()
                    .and_then(|i| e.symbols.get(i))
                    .ok_or(AvroError::Datum)?;
                self.charge(symbol.len() + 3)
            }
            // Values that hold others are walked by `value`.
            Schema::Ref { .. }
            | Schema::Union(_)
            | Schema::Record(_)
            | Schema::Array(_)
            | Schema::Map(_) => Err(AvroError::Mismatch),
        }
    }

    /// A `decimal`: the digits of its unscaled value, padded with zeros up to the scale.
    fn decimal(&mut self, decimal: &DecimalSchema) -> Result<(), AvroError> {
        let n = match &decimal.inner {
            InnerDecimalSchema::Fixed(fixed) => fixed.size as u64,
            InnerDecimalSchema::Bytes => self.length()?,
        };
        let n = self.take("decimal", n)?.len();
        self.charge(decimal_digits(n).max(decimal.scale).saturating_add(4))
    }

    /// A `big-decimal`: plain notation writes as many zeros as its scale (or its negation)
    /// says, whatever the digits.
    fn big_decimal(&mut self) -> Result<(), AvroError> {
        let n = self.length()?;
        let inner = self.take("big-decimal", n)?;
        let (unscaled, rest) = read_long(inner).ok_or(AvroError::Datum)?;
        let digits = usize::try_from(unscaled)
            .ok()
            .filter(|&d| d <= rest.len())
            .ok_or(AvroError::Datum)?;
        let (scale, _) = read_long(&rest[digits..]).ok_or(AvroError::Datum)?;
        let zeros = usize::try_from(scale.unsigned_abs()).unwrap_or(usize::MAX);
        self.charge(
            decimal_digits(digits)
                .saturating_add(zeros)
                .saturating_add(4),
        )
    }

    /// A value of `n` bytes whatever the datum (a datum that ends inside it is malformed).
    fn fixed_width(&mut self, kind: &'static str, n: u64) -> Result<(), AvroError> {
        self.take(kind, n).map_err(|_| AvroError::Datum)?;
        self.charge(12)
    }

    /// The blocks of an array or map: a count, negative when a byte size follows, then that many
    /// items; a count of 0 ends them. Every item charges at least one value, so that items that
    /// take no bytes (`null`) still spend the budget and a count of 2^62 ends at the budget.
    fn blocks(
        &mut self,
        mut item: impl FnMut(&mut Self) -> Result<(), AvroError>,
    ) -> Result<(), AvroError> {
        loop {
            let count = self.long()?;
            if count == 0 {
                return Ok(());
            }
            if count < 0 {
                let size = self.length()?;
                if size > self.rest.len() as u64 {
                    return Err(AvroError::Length {
                        kind: "block",
                        len: size,
                        left: self.rest.len(),
                    });
                }
            }
            for _ in 0..count.unsigned_abs() {
                // The comma; every schema charges its value, so no item is free.
                self.rendered = self.rendered.saturating_add(1);
                item(self)?;
            }
        }
    }
}

/// The depth inside a container at `depth`, or [`AvroError::TooDeep`].
fn nested(depth: usize) -> Result<usize, AvroError> {
    let inner = depth + 1;
    if inner > MAX_JSON_DEPTH {
        return Err(AvroError::TooDeep);
    }
    Ok(inner)
}

/// A zigzag varint `long` at the start of `bytes`, and the bytes after it.
fn read_long(bytes: &[u8]) -> Option<(i64, &[u8])> {
    let mut raw: u64 = 0;
    for (i, &byte) in bytes.iter().enumerate().take(10) {
        raw |= u64::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            let value = (raw >> 1) as i64 ^ -((raw & 1) as i64);
            return Some((value, &bytes[i + 1..]));
        }
    }
    None
}

/// The base64 length of `n` bytes.
fn base64_len(n: usize) -> usize {
    n.div_ceil(3) * 4
}

/// At most how many decimal digits an unscaled value of `n` bytes has (256^n < 10^(2.41n+1)).
fn decimal_digits(n: usize) -> usize {
    n.saturating_mul(5) / 2 + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn longs_read_as_the_avro_writer_writes_them() {
        assert_eq!(read_long(&[0x00]), Some((0, &[][..])));
        assert_eq!(read_long(&[0x01]), Some((-1, &[][..])));
        assert_eq!(read_long(&[0x02, 9]), Some((1, &[9][..])));
        assert_eq!(read_long(&[0x80, 0x01]), Some((64, &[][..])));
        let max = [0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01];
        assert_eq!(read_long(&max), Some((i64::MAX, &[][..])));
        assert_eq!(read_long(&[0x80; 11]), None, "longer than 10 bytes");
        assert_eq!(read_long(&[0x80]), None, "ends early");
    }

    #[test]
    fn the_budget_grows_with_the_datum_and_is_capped() {
        assert_eq!(Budget::for_len(0).values, FREE_VALUES);
        assert_eq!(Budget::for_len(10).values, FREE_VALUES + 20);
        assert_eq!(Budget::for_len(usize::MAX).rendered, MAX_RENDERED_BYTES);
    }

    #[test]
    fn decimal_digits_bound_the_unscaled_value() {
        for n in 1..=32usize {
            let max = num_bigint::BigUint::from(256u32).pow(n as u32);
            assert!(max.to_string().len() <= decimal_digits(n), "{n}");
        }
    }
}
