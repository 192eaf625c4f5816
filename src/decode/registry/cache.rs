//! The schemas of one execution environment: fetched once per id through the retry engine,
//! parsed once, kept (or kept as unusable) for its life; and decoding with them.

use std::collections::HashMap;
use std::sync::atomic::AtomicUsize;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::{Arc, Mutex};

use tokio::sync::OnceCell;

use super::error::RegistryError;
use super::source::{FetchedSchema, SchemaSource};
use crate::decode::avro::AvroSchema;
use crate::decode::avro::error::AvroError;
use crate::decode::payload::{PayloadError, PayloadFormat, json_bytes};
use crate::decode::protobuf::{ProtoError, ProtoSchema, confluent_indexes, glue_index};
use crate::decode::schema::{SchemaId, SchemaKind};
use crate::error::{CallFailure, ErrorChain};
use crate::json::JsonText;
use crate::retry::Caller;

/// The schema ids a fetch names one by one in WARN lines per invocation; the rest are counted
/// in the invocation's summary (`schemas_unavailable`).
pub(crate) const SCHEMA_WARNINGS_LOGGED: usize = 5;

/// A schema ready to decode with.
#[derive(Debug)]
pub(crate) enum RegistrySchema {
    /// An Avro schema, parsed.
    Avro(Box<AvroSchema>),
    /// A JSON Schema: the data is JSON text (not validated against the schema).
    Json,
    /// A `.proto` schema, compiled.
    Protobuf(Box<ProtoSchema>),
}

impl RegistrySchema {
    fn parse(fetched: &FetchedSchema) -> Result<Self, SchemaError> {
        Ok(match fetched.kind {
            SchemaKind::Avro => Self::Avro(Box::new(AvroSchema::parse_with_references(
                &fetched.text,
                fetched.references.iter().map(|r| r.text.as_str()),
            )?)),
            SchemaKind::Json => Self::Json,
            SchemaKind::Protobuf => Self::Protobuf(Box::new(ProtoSchema::parse_with_imports(
                &fetched.text,
                fetched
                    .references
                    .iter()
                    .map(|r| (r.name.as_str(), r.text.as_str())),
            )?)),
        })
    }

    fn kind(&self) -> SchemaKind {
        match self {
            Self::Avro(_) => SchemaKind::Avro,
            Self::Json => SchemaKind::Json,
            Self::Protobuf(_) => SchemaKind::Protobuf,
        }
    }
}

/// Why a registry's schema text cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum SchemaError {
    /// An Avro schema that does not parse.
    #[error(transparent)]
    Avro(#[from] AvroError),
    /// A `.proto` schema that does not compile.
    #[error(transparent)]
    Protobuf(#[from] ProtoError),
}

/// Why a schema could not be used: fetching it failed, or its text is not an Avro schema.
#[derive(Debug, thiserror::Error)]
enum FetchError {
    #[error("fetching it failed")]
    Fetch(#[source] CallFailure),
    /// Not a source: the schema error's own text completes this one's.
    #[error("the registry's schema {0}")]
    Invalid(SchemaError),
}

/// What a cache cell holds: the schema, or why the registry's schema text cannot be used (for
/// good: an id names the same text for ever).
type Cached = Result<Arc<RegistrySchema>, Arc<str>>;

/// Why a schema id is not available, kept for the records that need it.
#[derive(Debug, Clone)]
struct Unavailable {
    reason: String,
    /// Whether asking again may succeed (the registry was unreachable or failing).
    transient: bool,
}

/// What [`Schemas::resolve`] did for one invocation.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Resolved {
    /// Fetches made (retries counted once per id).
    pub(crate) fetched: usize,
    /// Ids the invocation needs that are not available (fetch failed, or cached as unusable).
    pub(crate) unavailable: usize,
}

/// The schemas of one execution environment: fetched once per id, kept for its life.
#[derive(Debug)]
pub struct Schemas {
    source: Box<dyn SchemaSource>,
    cells: Mutex<HashMap<SchemaId, Arc<OnceCell<Cached>>>>,
    /// The last fetch failure of each id not cached, for the reasons of the records that need it.
    failures: Mutex<HashMap<SchemaId, Unavailable>>,
}

impl Schemas {
    /// An empty cache in front of `source`.
    pub fn new(source: impl SchemaSource + 'static) -> Self {
        Self {
            source: Box::new(source),
            cells: Mutex::default(),
            failures: Mutex::default(),
        }
    }

    fn cell(&self, id: SchemaId) -> Arc<OnceCell<Cached>> {
        let mut cells = self.cells.lock().expect("no panic holds the lock");
        Arc::clone(cells.entry(id).or_default())
    }

    /// Fetches the schemas of `ids` that are not cached yet, concurrently within the
    /// caller's limit on calls in flight, each with the caller's retries and deadline. The first
    /// [`SCHEMA_WARNINGS_LOGGED`] ids that fail are logged one by one; all are counted.
    pub(crate) async fn resolve(
        &self,
        ids: impl IntoIterator<Item = SchemaId>,
        caller: &Caller,
    ) -> Resolved {
        let mut ids: Vec<SchemaId> = ids.into_iter().collect();
        ids.sort_unstable();
        ids.dedup();
        let mut unusable = 0;
        let mut missing = Vec::new();
        for id in ids {
            let cell = self.cell(id);
            match cell.get() {
                Some(Ok(_)) => {}
                Some(Err(_)) => unusable += 1,
                None => missing.push((id, cell)),
            }
        }
        let fetched = AtomicUsize::new(0);
        let warned = AtomicUsize::new(0);
        let fetches = missing.into_iter().map(|(id, cell)| {
            let (fetched, warned) = (&fetched, &warned);
            async move {
                let failure = self.fetch_into(id, &cell, caller, fetched).await;
                self.note(id, failure, warned)
            }
        });
        let failed = futures_util::future::join_all(fetches)
            .await
            .into_iter()
            .filter(|&failed| failed)
            .count();
        Resolved {
            fetched: fetched.into_inner(),
            unavailable: unusable + failed,
        }
    }

    /// Fetches and parses the schema of `id` into `cell` (unless a concurrent fetch does);
    /// why it is not available, if it is not. A schema that does not parse is cached as such.
    async fn fetch_into(
        &self,
        id: SchemaId,
        cell: &OnceCell<Cached>,
        caller: &Caller,
        fetched: &AtomicUsize,
    ) -> Option<Unavailable> {
        let result = cell
            .get_or_try_init(|| async {
                fetched.fetch_add(1, Relaxed);
                let schema = caller
                    .with_retries(|| self.source.fetch(id), RegistryError::is_retryable)
                    .await
                    .map_err(FetchError::Fetch)?;
                Ok::<_, FetchError>(
                    RegistrySchema::parse(&schema)
                        .map(Arc::new)
                        .map_err(|e| Arc::from(ErrorChain(&FetchError::Invalid(e)).to_string())),
                )
            })
            .await;
        match result {
            Ok(Ok(_)) => None,
            Ok(Err(reason)) => Some(Unavailable {
                reason: reason.to_string(),
                transient: false,
            }),
            Err(error) => Some(Unavailable {
                reason: ErrorChain(&error).to_string(),
                transient: matches!(&error, FetchError::Fetch(f) if f.is_transient()),
            }),
        }
    }

    /// Notes what became of the schema of `id`: a failure is kept (and logged while fewer
    /// than [`SCHEMA_WARNINGS_LOGGED`] were), a success clears an earlier one. Whether it
    /// failed.
    fn note(&self, id: SchemaId, failure: Option<Unavailable>, warned: &AtomicUsize) -> bool {
        let mut failures = self.failures.lock().expect("no panic holds the lock");
        let Some(failure) = failure else {
            failures.remove(&id);
            return false;
        };
        if warned.fetch_add(1, Relaxed) < SCHEMA_WARNINGS_LOGGED {
            tracing::warn!(
                schema = %id,
                reason = %failure.reason,
                transient = failure.transient,
                "Schema not available; the records that need it fail."
            );
        }
        failures.insert(id, failure);
        true
    }

    /// Puts the schema `text` in the cache under `id`, as if fetched: for schemas shipped
    /// with a function built on the library, and for benchmarks. An id already cached keeps
    /// its schema.
    pub fn preload(&self, id: SchemaId, schema: &FetchedSchema) -> Result<(), SchemaError> {
        let schema = Arc::new(RegistrySchema::parse(schema)?);
        // Already set: the cached schema stays, as documented, and this one is dropped.
        drop(self.cell(id).set(Ok(schema)));
        Ok(())
    }

    /// The cached schema of `id`, or why there is none.
    pub(crate) fn get(&self, id: SchemaId) -> Result<Arc<RegistrySchema>, PayloadError> {
        match self.cell(id).get() {
            Some(Ok(schema)) => return Ok(Arc::clone(schema)),
            Some(Err(reason)) => {
                return Err(PayloadError::SchemaUnavailable {
                    id,
                    reason: reason.to_string(),
                    transient: false,
                });
            }
            None => {}
        }
        let failure = self
            .failures
            .lock()
            .expect("no panic holds the lock")
            .get(&id)
            .cloned()
            .unwrap_or_else(|| Unavailable {
                reason: "it was not fetched".to_owned(),
                transient: true,
            });
        Err(PayloadError::SchemaUnavailable {
            id,
            reason: failure.reason,
            transient: failure.transient,
        })
    }

    /// Decodes `payload` (no framing) written with the schema `id`, as JSON text; `only`
    /// refuses a schema of another kind.
    pub(crate) fn decode(
        &self,
        id: SchemaId,
        payload: &[u8],
        only: Option<SchemaKind>,
    ) -> Result<JsonText, PayloadError> {
        self.decode_named(id, None, payload, only)
    }

    /// Decodes `payload` written with the schema `id`; `header_rest` is what a schema-id
    /// header holds after the id (a Protobuf schema's message indexes, which the payload then
    /// does not carry; nothing for the other kinds), `None` when the id came from the framing.
    pub(crate) fn decode_named(
        &self,
        id: SchemaId,
        header_rest: Option<&[u8]>,
        payload: &[u8],
        only: Option<SchemaKind>,
    ) -> Result<JsonText, PayloadError> {
        let schema = self.get(id)?;
        if let Some(expected) = only
            && expected != schema.kind()
        {
            return Err(PayloadError::WrongKind {
                id,
                found: schema.kind(),
                expected,
            });
        }
        if let Some(rest) = header_rest
            && !rest.is_empty()
            && schema.kind() != SchemaKind::Protobuf
        {
            return Err(PayloadError::SchemaHeader(format!(
                "has {} bytes after the schema id, which only a Protobuf schema's message indexes fill",
                rest.len()
            )));
        }
        match &*schema {
            RegistrySchema::Avro(avro) => match id {
                SchemaId::Confluent(_) | SchemaId::ConfluentGuid(_) => {
                    avro.confluent_to_json(payload)
                }
                SchemaId::Glue(_) => avro.to_json(payload),
            }
            .map_err(|source| PayloadError::Avro { id, source }),
            RegistrySchema::Json => json_bytes(payload.to_vec(), PayloadFormat::Json.name()),
            RegistrySchema::Protobuf(proto) => match (id, header_rest) {
                (_, Some(indexes)) => confluent_indexes(indexes).and_then(|(indexes, rest)| {
                    if rest.is_empty() {
                        proto.to_json(&indexes, payload)
                    } else {
                        Err(ProtoError::Indexes)
                    }
                }),
                (SchemaId::Confluent(_) | SchemaId::ConfluentGuid(_), None) => {
                    confluent_indexes(payload)
                        .and_then(|(indexes, data)| proto.to_json(&indexes, data))
                }
                (SchemaId::Glue(_), None) => {
                    glue_index(payload).and_then(|(index, data)| proto.glue_to_json(index, data))
                }
            }
            .map_err(|source| PayloadError::Protobuf { id, source }),
        }
    }
}
