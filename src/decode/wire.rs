//! The event a Kafka event source mapping sends, as it arrives. The wire types are lenient on
//! purpose: a record whose fields have unexpected types still deserializes, so that it can be
//! reported in `batchItemFailures` with a precise reason instead of failing the whole
//! invocation.

use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

/// `eventSource` of an Amazon MSK event source mapping.
pub(crate) const EVENT_SOURCE_MSK: &str = "aws:kafka";
/// `eventSource` of a self-managed Kafka event source mapping.
pub(crate) const EVENT_SOURCE_SELF_MANAGED: &str = "SelfManagedKafka";
/// The same, as older AWS documentation and some libraries' sample events spell it.
pub(crate) const EVENT_SOURCE_SELF_MANAGED_ALIAS: &str = "aws:SelfManagedKafka";

/// Base64 as the event source mapping writes it (standard alphabet, padded), read as leniently
/// as the JDK and Python decoders: the unused bits of the last character may be non-zero (the
/// AWS console's sample MSK event has such a key), and padding may be absent.
pub(super) const BASE64_LENIENT: base64::engine::GeneralPurpose =
    base64::engine::GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        base64::engine::GeneralPurposeConfig::new()
            .with_decode_allow_trailing_bits(true)
            .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
    );

/// The event a Kafka event source mapping invokes the function with.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KafkaEvent {
    /// `aws:kafka` or `SelfManagedKafka` (also read as `aws:SelfManagedKafka`).
    #[serde(default)]
    pub event_source: Option<String>,
    /// The MSK cluster ARN (MSK only).
    #[serde(default)]
    pub event_source_arn: Option<String>,
    /// The records, by `"<topic>-<partition>"`, in the order the event lists them.
    #[serde(default)]
    pub records: Records,
    /// `"preflight": true`: the request of a pre-flight run, not a Kafka event.
    #[serde(default)]
    preflight: Option<bool>,
}

impl KafkaEvent {
    /// Whether this is the request of a pre-flight run, `{"preflight": true}`: that member, and
    /// none of a Kafka event's (`eventSource`, `eventSourceArn`, `records`), which every event of
    /// an event source mapping has.
    pub fn is_preflight_request(&self) -> bool {
        self.preflight == Some(true)
            && self.event_source.is_none()
            && self.event_source_arn.is_none()
            && matches!(self.records, Records::Missing)
    }
}

/// The `records` member of the event.
#[derive(Debug, Default)]
pub enum Records {
    /// There is no `records` member.
    #[default]
    Missing,
    /// `records` is not a map; the JSON type found.
    NotAMap(&'static str),
    /// The partitions, in the order the event lists them.
    Partitions(Vec<PartitionRecords>),
}

/// The records of one `"<topic>-<partition>"` key.
#[derive(Debug)]
pub struct PartitionRecords {
    /// The key, echoed back in `itemIdentifier.partition`.
    pub key: String,
    /// The records, in offset order.
    pub records: Vec<WireRecord>,
}

/// One record as it arrives. Every field is kept as JSON so that a wrong type becomes a record
/// error rather than an invocation error; `null` and absent are the same.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct WireRecord {
    /// The topic.
    pub topic: Option<Value>,
    /// The partition number.
    pub partition: Option<Value>,
    /// The offset.
    pub offset: Option<Value>,
    /// Epoch milliseconds.
    pub timestamp: Option<Value>,
    /// `CREATE_TIME` or `LOG_APPEND_TIME`.
    pub timestamp_type: Option<Value>,
    /// Base64 key; absent for a null key.
    pub key: Option<Value>,
    /// Base64 value; null or absent for a tombstone.
    pub value: Option<Value>,
    /// `[{"name": [byte, …]}, …]`.
    pub headers: WireHeaders,
    /// `{"dataFormat": "AVRO"|"PROTOBUF"|"JSON", "schemaId": "…"}`: present when the event
    /// source mapping has a schema registry (the key was decoded to JSON, or, with
    /// `EventRecordFormat: SOURCE`, left as the producer's bytes without the registry header).
    pub key_schema_metadata: Option<Value>,
    /// The same, for the value.
    pub value_schema_metadata: Option<Value>,
}

/// Implements `Deserialize` for `$ty` through `deserialize_any`, with a visitor that expects
/// `$expecting` and has the visit methods given: the one shape of the lenient wire types.
macro_rules! deserialize_any {
    ($ty:ident, $expecting:literal, { $($methods:tt)* }) => {
        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                struct AnyVisitor;
                impl<'de> Visitor<'de> for AnyVisitor {
                    type Value = $ty;
                    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                        f.write_str($expecting)
                    }
                    $($methods)*
                }
                deserializer.deserialize_any(AnyVisitor)
            }
        }
    };
}

/// Implements the visit methods of a lenient visitor that maps every JSON type it does not
/// handle itself to `$value`, consuming containers.
macro_rules! otherwise {
    (scalars => $value:expr) => {
        otherwise!(bool => $value);
        otherwise!(float => $value);
        otherwise!(str => $value);
        otherwise!(unit => $value);
    };
    (bool => $value:expr) => {
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
            Ok($value)
        }
    };
    (float => $value:expr) => {
        fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
            Ok($value)
        }
    };
    (str => $value:expr) => {
        fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
            Ok($value)
        }
    };
    (unit => $value:expr) => {
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok($value)
        }
    };
    (integers => $value:expr) => {
        fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
            Ok($value)
        }
    };
    (seq => $value:expr) => {
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            Ok($value)
        }
    };
    (map => $value:expr) => {
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
            Ok($value)
        }
    };
}

deserialize_any!(
    Records,
    "a map of \"<topic>-<partition>\" to arrays of records",
    {
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Records, A::Error> {
            let mut partitions = Vec::with_capacity(map.size_hint().unwrap_or(4));
            while let Some(key) = map.next_key::<String>()? {
                let records = map.next_value::<Vec<WireRecord>>()?;
                partitions.push(PartitionRecords { key, records });
            }
            Ok(Records::Partitions(partitions))
        }

        fn visit_none<E: de::Error>(self) -> Result<Records, E> {
            Ok(Records::NotAMap("null"))
        }

        otherwise!(unit => Records::NotAMap("null"));
        otherwise!(seq => Records::NotAMap("an array"));
        otherwise!(bool => Records::NotAMap("a boolean"));
        otherwise!(integers => Records::NotAMap("a number"));
        otherwise!(float => Records::NotAMap("a number"));
        otherwise!(str => Records::NotAMap("a string"));
    }
);

/// The `headers` member of a record, read without building a JSON tree. A wrong shape is kept
/// as a record error rather than failing the whole event.
#[derive(Debug, Default)]
pub enum WireHeaders {
    /// Absent or `null`: no headers.
    #[default]
    Absent,
    /// Names and raw values in record order (an object with several names gives several
    /// headers, in document order).
    Headers(Vec<(String, Vec<u8>)>),
    /// Not an array; the JSON type found.
    WrongType(&'static str),
    /// The element at this index is not `{"name": [byte, …]}` with bytes in -128..=255.
    BadHeader(usize),
}

deserialize_any!(WireHeaders, "an array of headers", {
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<WireHeaders, A::Error> {
        let mut headers = Vec::with_capacity(seq.size_hint().unwrap_or(2));
        let mut bad = None;
        let mut index = 0;
        while let Some(header) = seq.next_element::<WireHeader>()? {
            match header.0 {
                Some(mut list) if bad.is_none() => headers.append(&mut list),
                Some(_) => {}
                None => {
                    bad.get_or_insert(index);
                }
            }
            index += 1;
        }
        Ok(bad.map_or(WireHeaders::Headers(headers), WireHeaders::BadHeader))
    }
    fn visit_unit<E: de::Error>(self) -> Result<WireHeaders, E> {
        Ok(WireHeaders::Absent)
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<WireHeaders, E> {
        Ok(WireHeaders::WrongType("a boolean"))
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<WireHeaders, E> {
        Ok(WireHeaders::WrongType("a number"))
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<WireHeaders, E> {
        Ok(WireHeaders::WrongType("a string"))
    }
    otherwise!(integers => WireHeaders::WrongType("a number"));
    otherwise!(map => WireHeaders::WrongType("an object"));
});

/// One element of `headers`: its headers, or `None` when it is not `{"name": [byte, …]}`.
struct WireHeader(Option<Vec<(String, Vec<u8>)>>);

deserialize_any!(WireHeader, "a header object", {
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<WireHeader, A::Error> {
        let mut list = Vec::with_capacity(1);
        let mut bad = false;
        while let Some(name) = map.next_key::<String>()? {
            match map.next_value::<HeaderBytes>()?.0 {
                Some(bytes) => list.push((name, bytes)),
                None => bad = true,
            }
        }
        Ok(WireHeader((!bad).then_some(list)))
    }
    otherwise!(scalars => WireHeader(None));
    otherwise!(integers => WireHeader(None));
    otherwise!(seq => WireHeader(None));
});

/// A header value: its bytes, or `None` when it is not an array of numbers in -128..=255.
struct HeaderBytes(Option<Vec<u8>>);

deserialize_any!(HeaderBytes, "an array of bytes", {
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<HeaderBytes, A::Error> {
        let mut bytes = Vec::with_capacity(seq.size_hint().unwrap_or(16));
        let mut bad = false;
        while let Some(byte) = seq.next_element::<HeaderByte>()? {
            match byte.0 {
                Some(b) => bytes.push(b),
                None => bad = true,
            }
        }
        Ok(HeaderBytes((!bad).then_some(bytes)))
    }
    otherwise!(scalars => HeaderBytes(None));
    otherwise!(integers => HeaderBytes(None));
    otherwise!(map => HeaderBytes(None));
});

/// One header byte: -128..=-1 are Java's signed bytes 0x80..=0xFF; 0..=255 is accepted too.
struct HeaderByte(Option<u8>);

deserialize_any!(HeaderByte, "a byte", {
    fn visit_i64<E: de::Error>(self, n: i64) -> Result<HeaderByte, E> {
        Ok(HeaderByte(
            (-128..=255).contains(&n).then(|| n.to_le_bytes()[0]),
        ))
    }
    fn visit_u64<E: de::Error>(self, n: u64) -> Result<HeaderByte, E> {
        Ok(HeaderByte(u8::try_from(n).ok()))
    }
    otherwise!(scalars => HeaderByte(None));
    otherwise!(seq => HeaderByte(None));
    otherwise!(map => HeaderByte(None));
});
