//! Avro values as JSON. Pure: no I/O; the schemas come from [`crate::registry`].
//!
//! Rendering (what a reader of the event sees; Avro's own JSON encoding wraps unions and
//! writes bytes as ISO-8859-1 strings, which reads badly):
//! - records → objects, fields in schema order; arrays → arrays; maps → objects, keys sorted
//!   (the Avro reader does not keep the writer's order, so sorting keeps events stable);
//! - unions → the chosen branch's value, unwrapped; enums → the symbol;
//! - `bytes` and `fixed` → base64 strings, as the connector writes bytes;
//! - `decimal` / `big-decimal` → a JSON string of the decimal number (`"12.34"`; the
//!   connector's `JsonConverter` writes base64 of the unscaled bytes, `"BNI="`, which no rule
//!   or reader can use, and a JSON number would lose precision in most readers);
//! - `date` → ISO date (`"2024-01-01"`); `timestamp-*` and `local-timestamp-*` → epoch
//!   milliseconds (micro- and nanoseconds floored, as the connector's Timestamp is in ms);
//!   `time-millis` / `time-micros` → milliseconds since midnight (the connector's Time);
//! - `uuid` → its string; `duration` → `{"months":…,"days":…,"millis":…}`;
//! - `float` / `double` not finite → the strings `"NaN"`, `"Infinity"`, `"-Infinity"` (JSON has
//!   no such numbers; this is what proto3's JSON mapping does too).

use std::fmt::Write as _;

use apache_avro::Schema;
use apache_avro::reader::datum::GenericDatumReader;
use apache_avro::schema::{DecimalSchema, InnerDecimalSchema, Name, NamesRef, ResolvedSchema};
use apache_avro::types::Value;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use num_bigint::BigInt;

use crate::json::{JsonText, MAX_JSON_DEPTH};

use crate::error::quote;
pub(crate) use error::AvroError;
pub(crate) use error::MAX_RECURSIVE_BYTES;

/// The most one string, bytes value or collection of a datum may allocate. A record cannot
/// carry more than the 6 MB of a synchronous invocation's payload (Lambda quotas,
/// <https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html>); the bound keeps a
/// hostile length prefix from allocating the Avro reader's default of 512 MiB.
pub(crate) const MAX_ALLOCATION_BYTES: usize = 32 * 1024 * 1024;

/// Datums of a recursive schema up to this long are decoded on the calling thread: they
/// cannot nest deeper than this, which any stack holds.
pub(crate) const INLINE_RECURSIVE_BYTES: usize = 16;
/// The stack of the thread that decodes a longer one: room for [`MAX_RECURSIVE_BYTES`] levels
/// of the reader's, the renderer's and the drop's recursion (reserved, committed as used).
pub(crate) const DEEP_STACK_BYTES: usize = 512 * 1024 * 1024;

/// `schema` followed by the schemas it refers to.
fn with_references<'s>(schema: &'s Schema, referenced: &'s [Schema]) -> Vec<&'s Schema> {
    std::iter::once(schema).chain(referenced).collect()
}

/// The order in which `schemata` resolve, each after the ones whose named types it uses (the
/// Avro library resolves a list in order), as indexes into `schemata`; or the error of one that
/// never resolves.
fn resolution_order(schemata: &[&Schema]) -> Result<Vec<usize>, apache_avro::Error> {
    let mut ordered: Vec<usize> = Vec::with_capacity(schemata.len());
    let mut pending: Vec<usize> = (0..schemata.len()).collect();
    while !pending.is_empty() {
        let before = pending.len();
        let mut last_error = None;
        pending.retain(|&candidate| {
            let trial = ordered
                .iter()
                .chain([&candidate])
                .map(|&i| schemata[i])
                .collect();
            match ResolvedSchema::new_with_schemata(trial) {
                Ok(_) => {
                    ordered.push(candidate);
                    false
                }
                Err(error) => {
                    last_error = Some(error);
                    true
                }
            }
        });
        if pending.len() == before {
            return Err(last_error.expect("a schema that did not resolve"));
        }
    }
    Ok(ordered)
}

/// A parsed writer schema, with its reader and the named types it defines (for its
/// references).
///
/// The schema is leaked once, so that the reader (which borrows it) is built once rather than
/// per record: schemas are cached for the life of the execution environment and never evicted
/// ([`Schemas`](crate::Schemas)), so this costs what the cache costs anyway.
#[cfg_attr(not(feature = "internals"), allow(unreachable_pub, dead_code))]
pub struct AvroSchema {
    schema: &'static Schema,
    /// Whether a named type of the schema contains itself (so a datum may nest as deep as it
    /// is long).
    recursive: bool,
    reader: GenericDatumReader<'static>,
    names: NamesRef<'static>,
    /// Whether the schema is of type `bytes` at its top (plain, `decimal` or `big-decimal`):
    /// Confluent's serializers write such a value raw, without Avro's length prefix.
    bytes_at_top: bool,
}

impl std::fmt::Debug for AvroSchema {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AvroSchema")
            .field("schema", &self.schema.canonical_form())
            .finish_non_exhaustive()
    }
}

impl AvroSchema {
    /// Parses the schema text a registry returned.
    #[cfg_attr(not(feature = "internals"), allow(unreachable_pub, dead_code))]
    pub fn parse(text: &str) -> Result<Self, AvroError> {
        Self::parse_with_references(text, std::iter::empty())
    }

    /// Parses the schema text a registry returned, whose named types may be defined in
    /// `references` (Confluent schema references: each the text of a named type, which may
    /// refer to the others).
    #[cfg_attr(not(feature = "internals"), allow(unreachable_pub, dead_code))]
    pub fn parse_with_references<'a>(
        text: &str,
        references: impl Iterator<Item = &'a str>,
    ) -> Result<Self, AvroError> {
        // The first schema sets the Avro reader's allocation bound for the process.
        apache_avro::util::max_allocation_bytes(MAX_ALLOCATION_BYTES);
        let invalid = |e: apache_avro::Error| AvroError::Schema(quote(&e.to_string()));
        let (schema, referenced) =
            Schema::parse_str_with_list(text, references).map_err(invalid)?;
        // Ordered before leaking: a schema whose references do not resolve is not kept.
        let order = resolution_order(&with_references(&schema, &referenced)).map_err(invalid)?;
        let (schema, referenced): &'static (Schema, Vec<Schema>) =
            Box::leak(Box::new((schema, referenced)));
        let all = with_references(schema, referenced);
        let resolved = ResolvedSchema::new_with_schemata(order.iter().map(|&i| all[i]).collect())
            .map_err(invalid)?;
        let names = resolved.get_names().clone();
        let shape = bounds::check_schema(schema, &names)?;
        let reader = GenericDatumReader::builder(schema)
            .resolved_writer_schemata(resolved)
            .build()
            .map_err(invalid)?;
        let bytes_at_top = matches!(
            schema,
            Schema::Bytes
                | Schema::BigDecimal
                | Schema::Decimal(DecimalSchema {
                    inner: InnerDecimalSchema::Bytes,
                    ..
                })
        );
        Ok(Self {
            schema,
            recursive: shape.recursive,
            reader,
            names,
            bytes_at_top,
        })
    }

    /// Decodes the payload of a Confluent serializer (without its framing) as JSON: a datum,
    /// except for a schema of type `bytes` at its top, whose value Confluent's serializers
    /// (Java's `KafkaAvroSerializer`, which Kafka Connect's `AvroConverter` uses, and
    /// confluent-kafka's `AvroSerializer`) write raw, with no Avro length prefix, and their
    /// deserializers read back as the whole payload. Such a payload is read as that value.
    #[cfg_attr(not(feature = "internals"), allow(unreachable_pub, dead_code))]
    pub fn confluent_to_json(&self, bytes: &[u8]) -> Result<JsonText, AvroError> {
        if !self.bytes_at_top {
            return self.to_json(bytes);
        }
        // The datum Avro would have written: the length (a zigzag long, 2n for n >= 0), then
        // the bytes; decoded as any datum, so the bounds and the rendering are the same.
        let mut datum = Vec::with_capacity(bytes.len() + 10);
        prost::encoding::encode_varint(2 * bytes.len() as u64, &mut datum);
        datum.extend_from_slice(bytes);
        self.to_json(&datum)
    }

    /// Decodes one datum (the payload without any framing) and renders it as compact JSON.
    ///
    /// The Avro reader recurses once per level of nesting, and a datum of a recursive schema
    /// (a record that contains itself) can nest about as deep as it has bytes: such a datum
    /// longer than
    /// `INLINE_RECURSIVE_BYTES` is decoded on a thread of its own with a
    /// `DEEP_STACK_BYTES` stack, and one longer than `MAX_RECURSIVE_BYTES` is refused, so
    /// that no input can overflow the stack.
    #[cfg_attr(not(feature = "internals"), allow(unreachable_pub, dead_code))]
    pub fn to_json(&self, bytes: &[u8]) -> Result<JsonText, AvroError> {
        if !self.recursive || bytes.len() <= INLINE_RECURSIVE_BYTES {
            return self.decode(bytes);
        }
        if bytes.len() > MAX_RECURSIVE_BYTES {
            return Err(AvroError::TooLongRecursive(bytes.len()));
        }
        std::thread::scope(|scope| {
            std::thread::Builder::new()
                .name("avro-deep".into())
                .stack_size(DEEP_STACK_BYTES)
                .spawn_scoped(scope, || self.decode(bytes))
                .map_err(|_| AvroError::TooLongRecursive(bytes.len()))?
                .join()
                .unwrap_or(Err(AvroError::Datum))
        })
    }

    fn decode(&self, mut bytes: &[u8]) -> Result<JsonText, AvroError> {
        let len = bytes.len();
        // Sizes, counts and nesting checked before the library allocates or loops on them.
        bounds::check_datum(self.schema, &self.names, bytes)?;
        let value = self
            .reader
            .read_value(&mut bytes)
            .map_err(|_| AvroError::Datum)?;
        if !bytes.is_empty() {
            return Err(AvroError::Trailing(bytes.len()));
        }
        let mut out = String::with_capacity(len.max(64) * 2);
        Render { names: &self.names }.value(&value, self.schema, &mut out, 0)?;
        Ok(JsonText::rendered(out))
    }
}

struct Render<'a> {
    names: &'a NamesRef<'static>,
}

impl Render<'_> {
    /// Writes `value` (of `schema`), nested `depth` containers deep, as compact JSON.
    ///
    /// Over 60 lines by design, a named exception: one arm per Avro value kind, each a line or
    /// two, so that the whole mapping from Avro to JSON reads in one place (splitting it by
    /// kind would scatter one table over several functions).
    fn value(
        &self,
        value: &Value,
        schema: &Schema,
        out: &mut String,
        depth: usize,
    ) -> Result<(), AvroError> {
        let schema = self.resolve(schema)?;
        let inner = depth + 1;
        if inner > MAX_JSON_DEPTH
            && matches!(value, Value::Array(_) | Value::Map(_) | Value::Record(_))
        {
            return Err(AvroError::TooDeep);
        }
        match (value, schema) {
            (Value::Null, _) => out.push_str("null"),
            (Value::Boolean(b), _) => out.push_str(if *b { "true" } else { "false" }),
            (Value::Date(n), _) => write_string(out, &iso_date(i64::from(*n))),
            (Value::Int(n) | Value::TimeMillis(n), _) => write_display(out, n),
            (Value::Long(n), _) => write_display(out, n),
            (Value::Float(f), _) => write_float(out, f64::from(*f)),
            (Value::Double(f), _) => write_float(out, *f),
            (Value::Bytes(b) | Value::Fixed(_, b), _) => {
                // Base64 never needs escaping.
                out.push('"');
                BASE64.encode_string(b, out);
                out.push('"');
            }
            (Value::String(s), _) => write_string(out, s),
            (Value::Enum(_, symbol), _) => write_string(out, symbol),
            (Value::Union(index, inner_value), Schema::Union(union)) => {
                let branch = usize::try_from(*index)
                    .ok()
                    .and_then(|i| union.variants().get(i))
                    .ok_or(AvroError::Mismatch)?;
                self.value(inner_value, branch, out, depth)?;
            }
            (Value::Array(items), Schema::Array(array)) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    self.value(item, &array.items, out, inner)?;
                }
                out.push(']');
            }
            (Value::Map(map), Schema::Map(schema)) => {
                let mut entries: Vec<_> = map.iter().collect();
                entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
                let members = entries
                    .into_iter()
                    .map(|(key, item)| (key.as_str(), item, &*schema.types));
                self.object(members, out, inner)?;
            }
            (Value::Record(fields), Schema::Record(record)) => {
                let members = (fields.iter().zip(&record.fields))
                    .map(|((name, item), field)| (name.as_str(), item, &field.schema));
                self.object(members, out, inner)?;
            }
            (Value::Decimal(d), Schema::Decimal(schema)) => {
                write_decimal(out, &BigInt::from(d.clone()), schema.scale);
            }
            (Value::BigDecimal(d), _) => write_string(out, &d.to_plain_string()),
            (Value::TimeMicros(n), _) => write_display(out, &n.div_euclid(1_000)),
            (Value::TimestampMillis(n) | Value::LocalTimestampMillis(n), _) => {
                write_display(out, n);
            }
            (Value::TimestampMicros(n) | Value::LocalTimestampMicros(n), _) => {
                write_display(out, &n.div_euclid(1_000));
            }
            (Value::TimestampNanos(n) | Value::LocalTimestampNanos(n), _) => {
                write_display(out, &n.div_euclid(1_000_000));
            }
            (Value::Duration(d), _) => {
                write!(
                    out,
                    r#"{{"months":{},"days":{},"millis":{}}}"#,
                    u32::from(d.months()),
                    u32::from(d.days()),
                    u32::from(d.millis())
                )
                .expect("writing to a String cannot fail");
            }
            (Value::Uuid(u), _) => write_string(out, &u.to_string()),
            _ => return Err(AvroError::Mismatch),
        }
        Ok(())
    }

    /// Writes `members` (name, value, schema), nested `depth` containers deep, as a JSON
    /// object.
    fn object<'v>(
        &self,
        members: impl Iterator<Item = (&'v str, &'v Value, &'v Schema)>,
        out: &mut String,
        depth: usize,
    ) -> Result<(), AvroError> {
        out.push('{');
        for (i, (name, item, schema)) in members.enumerate() {
            if i > 0 {
                out.push(',');
            }
            write_string(out, name);
            out.push(':');
            self.value(item, schema, out, depth)?;
        }
        out.push('}');
        Ok(())
    }

    /// `schema`, or the named type it refers to.
    fn resolve<'s>(&'s self, schema: &'s Schema) -> Result<&'s Schema, AvroError> {
        match schema {
            Schema::Ref { name } => self.lookup(name),
            other => Ok(other),
        }
    }

    fn lookup(&self, name: &Name) -> Result<&Schema, AvroError> {
        self.names.get(name).copied().ok_or(AvroError::Mismatch)
    }
}

fn write_display(out: &mut String, n: &impl std::fmt::Display) {
    write!(out, "{n}").expect("writing to a String cannot fail");
}

/// `text` as a JSON string: copied as it is when nothing in it needs escaping (the common
/// case, checked with a loop the compiler vectorises), else escaped by serde_json.
fn write_string(out: &mut String, text: &str) {
    if text.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\') {
        out.push('"');
        out.push_str(text);
        out.push('"');
    } else {
        out.push_str(&serde_json::to_string(text).expect("a str always serializes"));
    }
}

fn write_float(out: &mut String, f: f64) {
    if f.is_nan() {
        out.push_str(r#""NaN""#);
    } else if f.is_infinite() {
        out.push_str(if f > 0.0 {
            r#""Infinity""#
        } else {
            r#""-Infinity""#
        });
    } else {
        out.push_str(&serde_json::to_string(&f).expect("a finite f64 serializes"));
    }
}

/// `unscaled × 10^-scale` as a JSON string of the decimal number (`"-0.05"`, `"12.34"`).
fn write_decimal(out: &mut String, unscaled: &BigInt, scale: usize) {
    let digits = unscaled.magnitude().to_string();
    let negative = unscaled.sign() == num_bigint::Sign::Minus;
    out.push('"');
    if negative {
        out.push('-');
    }
    if scale == 0 {
        out.push_str(&digits);
    } else if digits.len() > scale {
        let (int, frac) = digits.split_at(digits.len() - scale);
        out.push_str(int);
        out.push('.');
        out.push_str(frac);
    } else {
        out.push_str("0.");
        out.extend(std::iter::repeat_n('0', scale - digits.len()));
        out.push_str(&digits);
    }
    out.push('"');
}

/// Days since 1970-01-01 as an ISO 8601 date (proleptic Gregorian).
fn iso_date(days: i64) -> String {
    use aws_sdk_eventbridge::primitives::{DateTime, DateTimeFormat};
    DateTime::from_secs(days.saturating_mul(86_400))
        .fmt(DateTimeFormat::DateTime)
        .ok()
        .and_then(|t| t.split('T').next().map(str::to_owned))
        .unwrap_or_else(|| days.to_string())
}

/// The Avro datum of `value`, written by the Avro library as a producer writes it (for the
/// unit tests of the registry formats).
#[cfg(test)]
pub(crate) fn to_avro_datum(schema: &Schema, value: Value) -> Result<Vec<u8>, apache_avro::Error> {
    apache_avro::writer::datum::GenericDatumWriter::builder(schema)
        .build()?
        .write_value_to_vec(value)
}

#[cfg(test)]
mod tests;

pub(crate) mod bounds;
pub(crate) mod error;
