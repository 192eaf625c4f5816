//! The framing that schema-registry serializers put in front of a key or value. Pure.
//!
//! - Confluent (Confluent Schema Registry wire format): magic byte `0x00`, the schema id as a
//!   4-byte big-endian integer, then the data.
//! - AWS Glue Schema Registry: header version byte `0x03`, a compression byte (`0x00` none,
//!   `0x05` zlib), the 16-byte schema version id (a UUID), then the data (zlib-compressed with
//!   `0x05`).
//! - Confluent's schema-id headers: newer Confluent serializers (confluent-kafka 2.11 and later
//!   with `schema.id.serializer = header_schema_id_serializer`, the Java serializers' header
//!   option) leave the payload unframed and name its schema in a `__key_schema_id` or
//!   `__value_schema_id` header: a version byte, `0x01` and the schema's 16-byte GUID (or
//!   `0x00` and a 4-byte id), then, for Protobuf, the message indexes.

use std::borrow::Cow;

use super::schema::SchemaId;

/// The first byte of a Confluent-framed payload.
pub(crate) const CONFLUENT_MAGIC: u8 = 0;
/// The length of the Confluent header: the magic byte and the 4-byte schema id.
pub(crate) const CONFLUENT_HEADER_LEN: usize = 5;
/// The first byte of an AWS Glue Schema Registry payload (its header version).
pub(crate) const GLUE_HEADER_VERSION: u8 = 3;
/// The length of the Glue header: version, compression, 16-byte schema version id.
pub(crate) const GLUE_HEADER_LEN: usize = 18;
/// Glue's compression byte: no compression.
const GLUE_UNCOMPRESSED: u8 = 0;
/// Glue's compression byte: zlib.
const GLUE_ZLIB: u8 = 5;
/// The most a Glue-compressed payload may inflate to: 1 MiB, the most an event entry may hold
/// (PutEvents: "The total entry size must be less than 1MB",
/// <https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-putevent-size.html>). Inflation
/// stops there, so that a few KiB of hostile zlib cannot take the function's memory (zlib
/// inflates up to 1,032 times).
pub(crate) const MAX_INFLATED_BYTES: usize = 1_048_576;

/// The header in which a Confluent serializer names the schema of a record's key.
pub(crate) const KEY_SCHEMA_ID_HEADER: &str = "__key_schema_id";
/// The header in which a Confluent serializer names the schema of a record's value.
pub(crate) const VALUE_SCHEMA_ID_HEADER: &str = "__value_schema_id";
/// A schema-id header's version byte before a 16-byte GUID (Confluent's `MAGIC_BYTE_V1`).
const HEADER_GUID_VERSION: u8 = 1;
/// The length of a schema-id header's GUID part: the version byte and the 16-byte GUID.
const HEADER_GUID_LEN: usize = 17;
/// The most bytes a schema-id header may have: the version, the GUID and the message indexes
/// of a Protobuf message nested 100 deep (each index a varint of at most 5 bytes, and the
/// count). No serializer writes more; a longer header is refused before it is read further.
pub(crate) const MAX_SCHEMA_ID_HEADER_BYTES: usize = HEADER_GUID_LEN + 5 * 101;

/// A framed payload.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Frame<'a> {
    /// Confluent: the schema id and the data.
    Confluent(u32, &'a [u8]),
    /// AWS Glue: the schema version id and the data (inflated when it was compressed).
    Glue(uuid::Uuid, Cow<'a, [u8]>),
}

/// Reads the framing of `bytes`, or says in a phrase that completes "it …" why it is not one.
pub(crate) fn read(bytes: &[u8]) -> Result<Frame<'_>, String> {
    match bytes {
        [CONFLUENT_MAGIC, a, b, c, d, data @ ..] => {
            Ok(Frame::Confluent(u32::from_be_bytes([*a, *b, *c, *d]), data))
        }
        [CONFLUENT_MAGIC, ..] => Err(format!(
            "is {} bytes long, shorter than the {CONFLUENT_HEADER_LEN}-byte Confluent header",
            bytes.len()
        )),
        [GLUE_HEADER_VERSION, compression, rest @ ..] if rest.len() >= 16 => {
            let (id, data) = rest.split_at(16);
            let id = uuid::Uuid::from_slice(id).expect("16 bytes");
            match *compression {
                GLUE_UNCOMPRESSED => Ok(Frame::Glue(id, Cow::Borrowed(data))),
                GLUE_ZLIB => miniz_oxide::inflate::decompress_to_vec_zlib_with_limit(
                    data,
                    MAX_INFLATED_BYTES,
                )
                .map(|inflated| Frame::Glue(id, Cow::Owned(inflated)))
                .map_err(|e| match e.status {
                    miniz_oxide::inflate::TINFLStatus::HasMoreOutput => format!(
                        "has an AWS Glue header for zlib, and its data inflates to more than {MAX_INFLATED_BYTES} bytes (the most an event entry holds)"
                    ),
                    _ => "has an AWS Glue header for zlib, and its data does not inflate".to_owned(),
                }),
                other => Err(format!(
                    "has an AWS Glue header with compression byte {other:#04x} (0x00 none or 0x05 zlib expected)"
                )),
            }
        }
        [GLUE_HEADER_VERSION, ..] => Err(format!(
            "is {} bytes long, shorter than the {GLUE_HEADER_LEN}-byte AWS Glue header",
            bytes.len()
        )),
        [] => Err("is empty".to_owned()),
        [first, ..] => Err(format!(
            "starts with byte {first:#04x}, not 0x00 (Confluent) or 0x03 (AWS Glue)"
        )),
    }
}

/// The schema a Confluent schema-id header names, and the header's bytes after it (a Protobuf
/// schema's message indexes; nothing for Avro and JSON Schema); or, in a phrase that completes
/// "it …", why the header is not one.
pub(crate) fn header_id(header: &[u8]) -> Result<(SchemaId, &[u8]), String> {
    if header.len() > MAX_SCHEMA_ID_HEADER_BYTES {
        return Err(format!(
            "is {} bytes long, more than the {MAX_SCHEMA_ID_HEADER_BYTES} a schema id and message indexes take",
            header.len()
        ));
    }
    match header {
        [HEADER_GUID_VERSION, rest @ ..] if rest.len() >= 16 => {
            let (guid, rest) = rest.split_at(16);
            let guid = uuid::Uuid::from_slice(guid).expect("16 bytes");
            Ok((SchemaId::ConfluentGuid(guid), rest))
        }
        [CONFLUENT_MAGIC, a, b, c, d, rest @ ..] => Ok((
            SchemaId::Confluent(u32::from_be_bytes([*a, *b, *c, *d])),
            rest,
        )),
        [HEADER_GUID_VERSION, ..] => Err(format!(
            "is {} bytes long, shorter than the {HEADER_GUID_LEN} bytes of a version and a schema GUID",
            header.len()
        )),
        [CONFLUENT_MAGIC, ..] => Err(format!(
            "is {} bytes long, shorter than the {CONFLUENT_HEADER_LEN} bytes of a version and a schema id",
            header.len()
        )),
        [] => Err("is empty".to_owned()),
        [first, ..] => Err(format!(
            "starts with byte {first:#04x}, not 0x01 (a schema GUID) or 0x00 (a schema id)"
        )),
    }
}

/// The Confluent schema id of a payload that starts with `prefix`, if it is Confluent-framed.
pub(crate) fn confluent_id(prefix: &[u8]) -> Option<u32> {
    match prefix {
        [CONFLUENT_MAGIC, a, b, c, d, ..] => Some(u32::from_be_bytes([*a, *b, *c, *d])),
        _ => None,
    }
}

/// The AWS Glue schema version id of a payload that starts with `prefix` (at least
/// [`GLUE_HEADER_LEN`] bytes of it), if it is Glue-framed.
pub(crate) fn glue_id(prefix: &[u8]) -> Option<uuid::Uuid> {
    match prefix {
        [GLUE_HEADER_VERSION, _, rest @ ..] => rest
            .get(..16)
            .map(|id| uuid::Uuid::from_slice(id).expect("16 bytes")),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn confluent() {
        assert_eq!(
            read(&[0, 0, 0, 1, 2, 9, 9]),
            Ok(Frame::Confluent(258, &[9, 9][..]))
        );
        assert_eq!(read(&[0, 0, 0, 0, 7]), Ok(Frame::Confluent(7, &[][..])));
        assert_eq!(
            read(&[0, 0, 7]).unwrap_err(),
            "is 3 bytes long, shorter than the 5-byte Confluent header"
        );
        assert_eq!(confluent_id(&[0, 0, 0, 1, 0, 2]), Some(256));
        assert_eq!(confluent_id(&[3, 0, 0, 1, 0, 2]), None);
        assert_eq!(glue_id(&[0, 0, 0, 1, 0, 2]), None);
    }

    #[test]
    fn glue() {
        let id = uuid::Uuid::from_u128(0x0123_4567_89ab_cdef_0123_4567_89ab_cdef);
        let mut plain = vec![3, 0];
        plain.extend_from_slice(id.as_bytes());
        plain.extend_from_slice(b"{\"a\":1}");
        assert_eq!(
            read(&plain),
            Ok(Frame::Glue(id, Cow::Borrowed(&b"{\"a\":1}"[..])))
        );
        let mut zlib = vec![3, 5];
        zlib.extend_from_slice(id.as_bytes());
        zlib.extend(miniz_oxide::deflate::compress_to_vec_zlib(b"{\"a\":1}", 6));
        assert_eq!(
            read(&zlib),
            Ok(Frame::Glue(id, Cow::Owned(b"{\"a\":1}".to_vec())))
        );
        let mut bad = vec![3, 5];
        bad.extend_from_slice(id.as_bytes());
        bad.extend_from_slice(b"not zlib");
        assert!(read(&bad).unwrap_err().contains("does not inflate"));
        bad[1] = 9;
        assert!(read(&bad).unwrap_err().contains("compression byte 0x09"));
        assert!(
            read(&[3, 0, 1])
                .unwrap_err()
                .contains("18-byte AWS Glue header")
        );
        assert_eq!(glue_id(&plain[..GLUE_HEADER_LEN]), Some(id));
        assert_eq!(glue_id(&zlib), Some(id));
        assert_eq!(glue_id(&plain[..GLUE_HEADER_LEN - 1]), None);
        assert_eq!(
            read(b"{}").unwrap_err(),
            "starts with byte 0x7b, not 0x00 (Confluent) or 0x03 (AWS Glue)"
        );
        assert_eq!(read(b"").unwrap_err(), "is empty");
    }

    #[test]
    fn schema_id_headers() {
        let guid = uuid::Uuid::from_u128(0x0123_4567_89ab_cdef_0123_4567_89ab_cdef);
        let mut header = vec![1];
        header.extend_from_slice(guid.as_bytes());
        assert_eq!(
            header_id(&header),
            Ok((SchemaId::ConfluentGuid(guid), &[][..]))
        );
        header.extend_from_slice(&[2, 4]);
        assert_eq!(
            header_id(&header),
            Ok((SchemaId::ConfluentGuid(guid), &[2, 4][..]))
        );
        assert_eq!(
            header_id(&[0, 0, 0, 1, 2]),
            Ok((SchemaId::Confluent(258), &[][..]))
        );
        assert_eq!(
            header_id(&header[..16]).unwrap_err(),
            "is 16 bytes long, shorter than the 17 bytes of a version and a schema GUID"
        );
        assert_eq!(
            header_id(&[0, 1]).unwrap_err(),
            "is 2 bytes long, shorter than the 5 bytes of a version and a schema id"
        );
        assert_eq!(header_id(&[]).unwrap_err(), "is empty");
        assert!(header_id(&[3; 20]).unwrap_err().contains("byte 0x03"));
        let long = vec![1; MAX_SCHEMA_ID_HEADER_BYTES + 1];
        assert!(header_id(&long).unwrap_err().contains("more than the 522"));
        assert!(header_id(&long[..MAX_SCHEMA_ID_HEADER_BYTES]).is_ok());
    }

    #[test]
    fn zlib_stops_at_the_entry_limit() {
        let id = uuid::Uuid::from_u128(7);
        let frame = |inflated: usize| {
            let mut framed = vec![3, 5];
            framed.extend_from_slice(id.as_bytes());
            framed.extend(miniz_oxide::deflate::compress_to_vec_zlib(
                &vec![b' '; inflated],
                9,
            ));
            framed
        };
        // 30 MiB of spaces compress to about 30 KiB.
        let bomb = frame(30 * 1024 * 1024);
        assert!(bomb.len() < 64 * 1024, "{}", bomb.len());
        let why = read(&bomb).unwrap_err();
        assert!(why.contains("inflates to more than 1048576 bytes"), "{why}");
        match read(&frame(MAX_INFLATED_BYTES)) {
            Ok(Frame::Glue(_, data)) => assert_eq!(data.len(), MAX_INFLATED_BYTES),
            other => panic!("{other:?}"),
        }
    }
}
