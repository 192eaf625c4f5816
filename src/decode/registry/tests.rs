use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::time::Instant;

use apache_avro::Schema;

use std::sync::Arc;

use futures_util::future::BoxFuture;

use super::cache::*;
use super::decoder::*;
use super::error::*;
use super::source::*;
use crate::decode::avro::to_avro_datum;
use crate::decode::payload::{PayloadDecoder, PayloadError};
use crate::decode::schema::{SchemaId, SchemaKind};
use crate::retry::CallPolicy;
use crate::retry::Caller;

const SCHEMA: &str = r#"{"type":"record","name":"A","fields":[{"name":"n","type":"long"}]}"#;

/// A registry that answers after 10 ms: with `SCHEMA` for id 1, HTTP 503 for id 2 while
/// `down` is above zero (counting down), 404 for the rest.
#[derive(Debug, Default)]
struct Fake {
    fetches: AtomicUsize,
    down: AtomicUsize,
}

impl SchemaSource for Fake {
    fn fetch(&self, id: SchemaId) -> BoxFuture<'_, Result<FetchedSchema, RegistryError>> {
        Box::pin(async move {
            self.fetches.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(10)).await;
            // A Glue schema version or GUID whose UUID is a small number stands for that id.
            let n = match id {
                SchemaId::Confluent(n) => n,
                SchemaId::Glue(uuid) | SchemaId::ConfluentGuid(uuid) => {
                    u32::try_from(uuid.as_u128()).unwrap_or(u32::MAX)
                }
            };
            let status = |status| RegistryError::Status {
                status,
                message: "no".into(),
            };
            let avro = || FetchedSchema::new(SchemaKind::Avro, SCHEMA);
            match n {
                1 => Ok(avro()),
                4 => Ok(FetchedSchema::new(SchemaKind::Json, "{}")),
                // An Avro schema naming a type of 2 MB that is defined nowhere.
                5 => Ok(FetchedSchema::new(
                    SchemaKind::Avro,
                    format!(
                        r#"{{"type":"record","name":"R","fields":[{{"name":"f","type":"{}"}}]}}"#,
                        "N".repeat(2 << 20)
                    ),
                )),
                2 if self.down.load(Ordering::SeqCst) > 0 => {
                    self.down.fetch_sub(1, Ordering::SeqCst);
                    Err(status(503))
                }
                2 => Ok(avro()),
                _ => Err(status(404)),
            }
        })
    }
}

fn caller(retries_max: u32) -> Caller {
    Caller::new(
        CallPolicy {
            max_inflight: 4.try_into().unwrap(),
            retries_max,
            retries_delay: Duration::from_millis(1),
            call_timeout: Duration::from_secs(5),
        },
        Instant::now() + Duration::from_secs(30),
    )
}

fn framed(id: u32, n: i64) -> Vec<u8> {
    let schema = Schema::parse_str(SCHEMA).unwrap();
    let datum = to_avro_datum(
        &schema,
        apache_avro::types::Value::Record(vec![("n".into(), apache_avro::types::Value::Long(n))]),
    )
    .unwrap();
    let mut bytes = vec![0];
    bytes.extend_from_slice(&id.to_be_bytes());
    bytes.extend_from_slice(&datum);
    bytes
}

#[tokio::test]
async fn concurrent_first_fetches_of_one_id_share_one_call() {
    let schemas = Schemas::new(Fake::default());
    let caller = caller(0);
    let ids = [SchemaId::Confluent(1), SchemaId::Confluent(1)];
    let (a, b) = tokio::join!(schemas.resolve(ids, &caller), schemas.resolve(ids, &caller));
    assert_eq!(a.fetched + b.fetched, 1);
    assert_eq!(
        schemas.resolve(ids, &caller).await,
        Resolved::default(),
        "cached"
    );
    let decoder = RegistryDecoder::new(RegistryFormat::Avro, Some(Arc::new(schemas)));
    assert_eq!(
        decoder.decode(framed(1, -3)).unwrap().as_str(),
        r#"{"n":-3}"#
    );
}

#[tokio::test]
async fn failures_are_retried_reported_and_not_cached() {
    let fake = Fake::default();
    fake.down.store(5, Ordering::SeqCst);
    let schemas = Arc::new(Schemas::new(fake));
    let decoder = RegistryDecoder::new(RegistryFormat::Avro, Some(Arc::clone(&schemas)));
    schemas.resolve([SchemaId::Confluent(2)], &caller(1)).await;
    let reason = decoder.decode(framed(2, 1)).unwrap_err().to_string();
    assert_eq!(
        reason,
        "names Confluent schema id 2, which is not available: fetching it failed: gave up after 2 attempts; last: call failed: the schema registry answered HTTP 503: no"
    );
    // Final errors are not retried.
    schemas.resolve([SchemaId::Confluent(3)], &caller(5)).await;
    assert_eq!(
        decoder.decode(framed(3, 1)).unwrap_err().to_string(),
        "names Confluent schema id 3, which is not available: fetching it failed: call failed: the schema registry answered HTTP 404: no"
    );
    // The registry recovers (3 more 503s, then the schema): the next invocation gets it.
    schemas.resolve([SchemaId::Confluent(2)], &caller(5)).await;
    assert_eq!(decoder.decode(framed(2, 9)).unwrap().as_str(), r#"{"n":9}"#);
}

#[tokio::test]
async fn unusable_schemas_are_cached_as_failures_with_bounded_reasons() {
    let schemas = Schemas::new(Fake::default());
    let id = SchemaId::Confluent(5);
    let first = schemas.resolve([id], &caller(0)).await;
    assert_eq!((first.fetched, first.unavailable), (1, 1));
    let again = schemas.resolve([id], &caller(0)).await;
    assert_eq!(
        (again.fetched, again.unavailable),
        (0, 1),
        "cached as a failure"
    );
    let error = schemas.get(id).unwrap_err();
    assert!(matches!(
        &error,
        PayloadError::SchemaUnavailable {
            transient: false,
            ..
        }
    ));
    let reason = error.to_string();
    assert!(reason.len() < 1_500, "{}", reason.len());
    assert!(reason.contains("is not a valid Avro schema"), "{reason}");
}

#[tokio::test]
async fn outages_are_transient_and_final_answers_are_not() {
    let fake = Fake::default();
    fake.down.store(100, Ordering::SeqCst);
    let schemas = Schemas::new(fake);
    let resolved = schemas
        .resolve([SchemaId::Confluent(2), SchemaId::Confluent(3)], &caller(1))
        .await;
    assert_eq!(resolved.unavailable, 2);
    let transient = |n| match schemas.get(SchemaId::Confluent(n)) {
        Err(PayloadError::SchemaUnavailable { transient, .. }) => transient,
        other => panic!("{other:?}"),
    };
    assert!(transient(2), "503 until the retries ran out");
    assert!(!transient(3), "404 is the registry's final answer");
    // Many unknown ids: each counted, however few are named in WARN lines.
    let many = schemas
        .resolve((100..400).map(SchemaId::Confluent), &caller(0))
        .await;
    assert_eq!(many.unavailable, 300);
}

#[test]
fn framing_errors_say_what_is_wrong() {
    let decoder = RegistryDecoder::new(
        RegistryFormat::Avro,
        Some(Arc::new(Schemas::new(Fake::default()))),
    );
    let reason = |bytes: &[u8]| decoder.decode(bytes.to_vec()).unwrap_err().to_string();
    assert_eq!(reason(b""), "is not registry-framed: it is empty");
    assert_eq!(
        reason(b"{}"),
        "is not registry-framed: it starts with byte 0x7b, not 0x00 (Confluent) or 0x03 (AWS Glue)"
    );
    assert_eq!(
        reason(&[0, 0, 1]),
        "is not registry-framed: it is 3 bytes long, shorter than the 5-byte Confluent header"
    );
    let mut glue = vec![3, 0];
    glue.extend_from_slice(&[7; 16]);
    glue.push(2);
    assert_eq!(
        reason(&glue),
        "names AWS Glue schema version 07070707-0707-0707-0707-070707070707, which is not available: it was not fetched"
    );
    assert_eq!(
        decoder.schema_id(&glue[..18]),
        Some(SchemaId::Glue(uuid::Uuid::from_bytes([7; 16])))
    );
    assert_eq!(
        reason(&framed(1, 1)),
        "names Confluent schema id 1, which is not available: it was not fetched"
    );
    assert_eq!(
        decoder.schema_id(&[0, 0, 0, 1, 0, 2]),
        Some(SchemaId::Confluent(256))
    );
    assert_eq!(decoder.schema_id(&[1, 0, 0, 1, 0, 2]), None);
}

#[tokio::test]
async fn the_registry_format_follows_the_schema_kind_and_json_schema_needs_none() {
    let schemas = Arc::new(Schemas::new(Fake::default()));
    schemas
        .resolve([SchemaId::Confluent(1), SchemaId::Confluent(4)], &caller(0))
        .await;
    let framed_json = |id: u32| {
        let mut bytes = vec![0];
        bytes.extend_from_slice(&id.to_be_bytes());
        bytes.extend_from_slice(b"{ \"a\": [1, 2] }");
        bytes
    };
    let any = RegistryDecoder::new(RegistryFormat::Any, Some(Arc::clone(&schemas)));
    assert_eq!(any.decode(framed(1, 5)).unwrap().as_str(), r#"{"n":5}"#);
    assert_eq!(
        any.decode(framed_json(4)).unwrap().as_str(),
        r#"{"a":[1,2]}"#
    );
    let avro = RegistryDecoder::new(RegistryFormat::Avro, Some(Arc::clone(&schemas)));
    assert!(
        avro.decode(framed_json(4))
            .unwrap_err()
            .to_string()
            .contains("names Confluent schema id 4, of kind JSON Schema, and the format reads Avro (set registry to read any)")
    );
    // json-schema reads the JSON after Confluent or Glue framing, with no registry.
    let json = RegistryDecoder::new(RegistryFormat::JsonSchema, None);
    assert_eq!(
        json.decode(framed_json(99)).unwrap().as_str(),
        r#"{"a":[1,2]}"#
    );
    let mut glue = vec![3, 5];
    glue.extend_from_slice(&[1; 16]);
    glue.extend(miniz_oxide::deflate::compress_to_vec_zlib(b"[true]", 6));
    assert_eq!(json.decode(glue).unwrap().as_str(), "[true]");
    assert_eq!(json.schema_id(&framed_json(4)), None);
    assert_eq!(any.schema_id(&framed_json(4)), Some(SchemaId::Confluent(4)));
}

/// Glue-framed data (plain and zlib) is decoded with the schema its version id names, fetched
/// like a Confluent id; without a Glue registry the reason says why.
#[tokio::test]
async fn glue_framed_data_reads_its_schema_version() {
    let version = uuid::Uuid::from_u128(1);
    let schema = Schema::parse_str(SCHEMA).unwrap();
    let datum = |n| {
        to_avro_datum(
            &schema,
            apache_avro::types::Value::Record(vec![(
                "n".into(),
                apache_avro::types::Value::Long(n),
            )]),
        )
        .unwrap()
    };
    let mut plain = vec![3, 0];
    plain.extend_from_slice(version.as_bytes());
    plain.extend(datum(7));
    let mut zlib = vec![3, 5];
    zlib.extend_from_slice(version.as_bytes());
    zlib.extend(miniz_oxide::deflate::compress_to_vec_zlib(&datum(-8), 6));

    let schemas = Arc::new(Schemas::new(Registries::new().glue(Fake::default())));
    let decoder = RegistryDecoder::new(RegistryFormat::Avro, Some(Arc::clone(&schemas)));
    let ids = [decoder.schema_id(&plain[..18]).unwrap()];
    assert_eq!(ids, [SchemaId::Glue(version)]);
    assert_eq!(schemas.resolve(ids, &caller(0)).await.fetched, 1);
    assert_eq!(
        decoder.decode(plain.clone()).unwrap().as_str(),
        r#"{"n":7}"#
    );
    assert_eq!(decoder.decode(zlib).unwrap().as_str(), r#"{"n":-8}"#);

    // A Confluent id with only a Glue registry, and a Glue version with only a Confluent one.
    schemas.resolve([SchemaId::Confluent(1)], &caller(3)).await;
    assert_eq!(
        decoder.decode(framed(1, 1)).unwrap_err().to_string(),
        format!(
            "names Confluent schema id 1, which is not available: fetching it failed: call failed: {}",
            RegistryError::NoConfluentRegistry
        )
    );
    let confluent_only = Schemas::new(Registries::new().confluent(Fake::default()));
    confluent_only.resolve(ids, &caller(3)).await;
    let reason = confluent_only.get(ids[0]).unwrap_err().to_string();
    assert!(reason.ends_with(NO_GLUE_REGISTRY), "{reason}");
}
