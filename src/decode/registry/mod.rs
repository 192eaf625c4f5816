//! Schema registries: where the writer schemas of registry-encoded keys and values come from,
//! and the cache that keeps them for the life of the execution environment.
//!
//! An invocation first collects the schema ids its records name ([`Decoders::schema_ids`](
//! crate::Decoders::schema_ids)), fetches the ones not cached yet through the shared retry
//! engine, within the invocation's deadline ([`Schemas::resolve`]), and only then decodes,
//! synchronously, from the cache. Concurrent first fetches of one id (Managed Instances run
//! several invocations at once) share one call. A fetch that fails is not cached: the records
//! that need that schema fail with the registry's error as their reason, and the next
//! invocation (the event source mapping's retry) asks again. A schema that was fetched and
//! cannot be used (it does not parse, or is over a bound) is cached as that failure: a schema id
//! names the same text for ever, so asking again would only cost the parse again.
//!
//! A registry's answers are bounded: the body is read incrementally up to
//! [`MAX_RESPONSE_BYTES`], redirects are followed at most [`MAX_REDIRECTS`] times and only on the
//! registry's own origin (so its credentials never go to another host), and its texts are quoted
//! at most [`MAX_QUOTED_BYTES`](crate::error::MAX_QUOTED_BYTES) long.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use futures_util::future::BoxFuture;
use tokio::sync::OnceCell;

use crate::avro::{AvroError, AvroSchema};
use crate::decode::{JsonText, PayloadDecoder, PayloadError, PayloadFormat};
use crate::error::{CallFailure, ErrorChain, quote, redact_url};
use crate::framing::{self, Frame};
use crate::glue::GetSchemaVersionCallError;
use crate::protobuf::{ProtoError, ProtoSchema, confluent_indexes, glue_index};
use crate::retry::Caller;

/// A schema as a registry identifies it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SchemaId {
    /// A Confluent Schema Registry id (the 4 bytes after the magic byte; `schemaId` of the
    /// event source mapping's metadata with a Confluent registry).
    Confluent(u32),
    /// An AWS Glue Schema Registry schema version id (the 16 bytes after Glue's header
    /// version and compression bytes; `schemaId` of the metadata with a Glue registry).
    Glue(uuid::Uuid),
}

impl std::fmt::Display for SchemaId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Confluent(id) => write!(f, "Confluent schema id {id}"),
            Self::Glue(version) => write!(f, "AWS Glue schema version {version}"),
        }
    }
}

/// Why a registry did not return a schema.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// The registry answered with an error status.
    #[error("the schema registry answered HTTP {status}: {message}")]
    Status {
        /// The HTTP status.
        status: u16,
        /// The registry's message (Confluent: `message` of the error body), or the body.
        message: String,
    },
    /// The registry could not be reached, or did not answer in full.
    #[error("the schema registry could not be reached")]
    Unreachable(#[source] reqwest::Error),
    /// The HTTP client could not be built (TLS roots).
    #[error("the HTTP client for the schema registry could not be built: {0}")]
    Client(String),
    /// The answer is not a schema document.
    #[error("the schema registry's answer is not a schema document")]
    Body(#[source] serde_json::Error),
    /// The answer is longer than this function reads.
    #[error(
        "the schema registry's answer is over the {MAX_RESPONSE_BYTES} bytes read from a registry"
    )]
    TooLarge,
    /// The registry redirected elsewhere than its own origin, or too many times.
    #[error("the schema registry redirected {0}")]
    Redirect(&'static str),
    /// The schema is of a type this function does not decode.
    #[error("the schema is of type {0}, which this function does not decode yet")]
    SchemaType(String),
    /// The schema's references (with theirs) are more than this function follows.
    #[error("the schema refers to more than {MAX_REFERENCES} other schemas")]
    TooManyReferences,
    /// The AWS Glue Schema Registry did not answer with the schema.
    #[error(transparent)]
    Glue(GetSchemaVersionCallError),
    /// The registry's answer lacks a part of the schema.
    #[error("the schema registry's answer has no {0}")]
    Incomplete(&'static str),
    /// No registry of the id's kind is configured.
    #[error("{0}")]
    NotConfigured(&'static str),
}

/// Why a Confluent schema id cannot be fetched without a Confluent-compatible registry.
pub(crate) const NO_CONFLUENT_REGISTRY: &str = "no Confluent-compatible schema registry is configured: set AWS_EVENTBRIDGE_SCHEMA_REGISTRY_URL";
/// Why an AWS Glue schema version cannot be fetched by a pipeline without AWS clients.
pub(crate) const NO_GLUE_REGISTRY: &str = "the AWS Glue Schema Registry is not asked without AWS credentials (the dry run makes no AWS call)";

impl RegistryError {
    /// Whether asking again may succeed: the registry was unreachable, throttled or failing.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Unreachable(_) => true,
            Self::Status { status, .. } => *status == 429 || *status >= 500,
            Self::Glue(error) => error.is_retryable(),
            Self::Client(_)
            | Self::Body(_)
            | Self::TooLarge
            | Self::Redirect(_)
            | Self::SchemaType(_)
            | Self::TooManyReferences
            | Self::Incomplete(_)
            | Self::NotConfigured(_) => false,
        }
    }
}

/// The kind of a registry schema, as the registry says (Confluent: `schemaType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SchemaKind {
    /// Apache Avro (Confluent: `schemaType` absent or `AVRO`).
    Avro,
    /// JSON Schema (`JSON`): the data is JSON text.
    Json,
    /// Protobuf (`PROTOBUF`): `.proto` text; the data starts with message indexes.
    Protobuf,
}

impl std::fmt::Display for SchemaKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Avro => "Avro",
            Self::Json => "JSON Schema",
            Self::Protobuf => "Protobuf",
        })
    }
}

/// A schema as a registry returned it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchedSchema {
    /// Its kind.
    pub kind: SchemaKind,
    /// Its text.
    pub text: String,
    /// The schemas it refers to, their own references included (Confluent schema
    /// references): each by the name the text uses for it (an Avro type's full name, a
    /// `.proto` import path).
    pub references: Vec<NamedSchema>,
}

impl FetchedSchema {
    /// A schema of `kind` with `text`, without references.
    pub fn new(kind: SchemaKind, text: impl Into<String>) -> Self {
        Self {
            kind,
            text: text.into(),
            references: Vec::new(),
        }
    }
}

/// A schema that another refers to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedSchema {
    /// The name the referring schema uses for it.
    pub name: String,
    /// Its text.
    pub text: String,
}

/// The most schemas one schema may refer to, directly or through its references: a bound on
/// the registry calls a cyclic or runaway chain of references could make.
pub const MAX_REFERENCES: usize = 64;

/// The most bytes of a registry's answer that are read: a schema document of 1 MiB holds a
/// schema far larger than any in use (Confluent Schema Registry itself refuses a schema over
/// its `schema.max.size` guidance, and a Kafka message, which a Confluent registry stores its
/// schemas in, defaults to 1 MB: `message.max.bytes`). A longer answer fails its fetch.
pub(crate) const MAX_RESPONSE_BYTES: usize = 1_048_576;

/// The most redirects followed on one registry call, each on the registry's own origin.
pub(crate) const MAX_REDIRECTS: usize = 3;

/// The schema ids a fetch names one by one in WARN lines per invocation; the rest are counted
/// in the invocation's summary (`schemas_unavailable`).
pub(crate) const SCHEMA_WARNINGS_LOGGED: usize = 5;

/// A registry: a schema by id. The seam for the registry kinds (Confluent over HTTP here)
/// and for fakes in tests.
pub trait SchemaSource: std::fmt::Debug + Send + Sync {
    /// The schema that `id` names.
    fn fetch(&self, id: SchemaId) -> BoxFuture<'_, Result<FetchedSchema, RegistryError>>;
}

/// A schema ready to decode with.
#[derive(Debug)]
pub enum RegistrySchema {
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

/// A Confluent-compatible schema registry (Confluent Platform, Confluent Cloud, Redpanda,
/// Karapace, Apicurio's ccompat API): `GET {url}/schemas/ids/{id}`, TLS verified against the
/// system's roots, optional HTTP basic auth.
pub struct ConfluentRegistry {
    /// The HTTP client, or why it could not be built (then every fetch fails with that).
    client: Result<reqwest::Client, String>,
    url: String,
    user_info: Option<(String, String)>,
}

impl std::fmt::Debug for ConfluentRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConfluentRegistry")
            .field("url", &redact_url(&self.url))
            .field("basic_auth", &self.user_info.is_some())
            .finish_non_exhaustive()
    }
}

/// The answer of `GET /schemas/ids/{id}` and of `GET /subjects/{subject}/versions/{version}`.
#[derive(Debug, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct SchemaDocument {
    schema: String,
    /// Absent for Avro.
    #[serde(default)]
    schema_type: Option<String>,
    #[serde(default)]
    references: Vec<Reference>,
}

/// A Confluent schema reference: the name the schema uses, and the subject version that
/// holds the referenced schema.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Deserialize)]
struct Reference {
    name: String,
    subject: String,
    version: i64,
}

impl ConfluentRegistry {
    /// A registry at `url` (without a trailing `/`), with basic auth `user:password` when
    /// given.
    pub fn new(url: &str, user_info: Option<&str>) -> Self {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::custom(same_origin_redirects))
            .build()
            .map_err(|e| ErrorChain(&e).to_string());
        let user_info = user_info.map(|info| match info.split_once(':') {
            Some((user, password)) => (user.to_owned(), password.to_owned()),
            None => (info.to_owned(), String::new()),
        });
        Self {
            client,
            url: url.trim_end_matches('/').to_owned(),
            user_info,
        }
    }

    /// `GET` of `segments` under the registry's URL, as a schema document.
    async fn document(&self, segments: &[&str]) -> Result<SchemaDocument, RegistryError> {
        let client = self
            .client
            .as_ref()
            .map_err(|e| RegistryError::Client(e.clone()))?;
        let mut url = reqwest::Url::parse(&self.url)
            .map_err(|e| RegistryError::Client(format!("the registry URL is invalid: {e}")))?;
        url.path_segments_mut()
            .map_err(|()| RegistryError::Client("the registry URL cannot have a path".into()))?
            .pop_if_empty()
            .extend(segments);
        let mut request = client.get(url);
        if let Some((user, password)) = &self.user_info {
            request = request.basic_auth(user, Some(password));
        }
        let response = request.send().await.map_err(unreachable)?;
        let status = response.status().as_u16();
        let body = read_bounded(response).await?;
        if !(200..300).contains(&status) {
            #[derive(serde::Deserialize)]
            struct ErrorBody {
                message: String,
            }
            let message = serde_json::from_slice::<ErrorBody>(&body).map_or_else(
                |_| {
                    let head = &body[..body.len().min(crate::error::MAX_QUOTED_BYTES + 4)];
                    quote(&String::from_utf8_lossy(head))
                },
                |e| quote(&e.message),
            );
            return Err(RegistryError::Status { status, message });
        }
        serde_json::from_slice(&body).map_err(RegistryError::Body)
    }

    async fn get(&self, id: u32) -> Result<FetchedSchema, RegistryError> {
        let document = self.document(&["schemas", "ids", &id.to_string()]).await?;
        let kind = match document.schema_type.as_deref() {
            None | Some("AVRO") => SchemaKind::Avro,
            Some("JSON") => SchemaKind::Json,
            Some("PROTOBUF") => SchemaKind::Protobuf,
            Some(other) => return Err(RegistryError::SchemaType(quote(other))),
        };
        // JSON data is read without its schema, so a JSON Schema's references are not needed.
        let references = if kind == SchemaKind::Json {
            Vec::new()
        } else {
            self.references(document.references).await?
        };
        Ok(FetchedSchema {
            kind,
            text: document.schema,
            references,
        })
    }

    /// The schemas that `direct` names, and the ones they name in turn, each fetched once
    /// (`GET /subjects/{subject}/versions/{version}`; version -1 is the latest), at most
    /// [`MAX_REFERENCES`].
    async fn references(&self, direct: Vec<Reference>) -> Result<Vec<NamedSchema>, RegistryError> {
        let mut pending = std::collections::VecDeque::from(direct);
        let mut seen = std::collections::HashSet::new();
        let mut found = Vec::new();
        while let Some(reference) = pending.pop_front() {
            if !seen.insert(reference.clone()) {
                continue;
            }
            if found.len() == MAX_REFERENCES {
                return Err(RegistryError::TooManyReferences);
            }
            let version = match reference.version {
                -1 => "latest".to_owned(),
                v => v.to_string(),
            };
            let document = self
                .document(&["subjects", &reference.subject, "versions", &version])
                .await?;
            pending.extend(document.references);
            found.push(NamedSchema {
                name: reference.name,
                text: document.schema,
            });
        }
        Ok(found)
    }
}

/// A transport error without the URL it names (which the logs need not repeat).
fn unreachable(error: reqwest::Error) -> RegistryError {
    RegistryError::Unreachable(error.without_url())
}

/// The body of `response`, read chunk by chunk and refused past [`MAX_RESPONSE_BYTES`] (a
/// `Content-Length` over it is refused before any is read).
async fn read_bounded(mut response: reqwest::Response) -> Result<Vec<u8>, RegistryError> {
    if response
        .content_length()
        .is_some_and(|n| n > MAX_RESPONSE_BYTES as u64)
    {
        return Err(RegistryError::TooLarge);
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(unreachable)? {
        if body.len() + chunk.len() > MAX_RESPONSE_BYTES {
            return Err(RegistryError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// The redirect policy of registry calls: at most [`MAX_REDIRECTS`], each to the origin
/// (scheme, host, port) of the first request, so that its basic auth stays with the registry.
fn same_origin_redirects(attempt: reqwest::redirect::Attempt<'_>) -> reqwest::redirect::Action {
    let origin = |url: &reqwest::Url| url.origin();
    let first = attempt.previous().first().map(origin);
    if attempt.previous().len() > MAX_REDIRECTS {
        attempt.error(RegistryError::Redirect("more than 3 times"))
    } else if first.is_some_and(|first| first != origin(attempt.url())) {
        attempt.error(RegistryError::Redirect(
            "to another origin, which is not followed",
        ))
    } else {
        attempt.follow()
    }
}

impl SchemaSource for ConfluentRegistry {
    fn fetch(&self, id: SchemaId) -> BoxFuture<'_, Result<FetchedSchema, RegistryError>> {
        match id {
            SchemaId::Confluent(id) => Box::pin(self.get(id)),
            SchemaId::Glue(_) => not_configured(NO_GLUE_REGISTRY),
        }
    }
}

/// A fetch that fails at once: no registry of the id's kind.
pub(crate) fn not_configured(
    why: &'static str,
) -> BoxFuture<'static, Result<FetchedSchema, RegistryError>> {
    Box::pin(std::future::ready(Err(RegistryError::NotConfigured(why))))
}

/// The registries of a function: each schema id is fetched from the registry of its kind (a
/// Confluent id from the Confluent-compatible registry, a Glue schema version from the AWS Glue
/// Schema Registry); an id whose registry is missing fails with what to configure.
#[derive(Debug, Default)]
pub struct Registries {
    confluent: Option<Box<dyn SchemaSource>>,
    glue: Option<Box<dyn SchemaSource>>,
}

impl Registries {
    /// No registry yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// The registry of Confluent schema ids.
    pub fn confluent(mut self, source: impl SchemaSource + 'static) -> Self {
        self.confluent = Some(Box::new(source));
        self
    }

    /// The registry of AWS Glue schema versions.
    pub fn glue(mut self, source: impl SchemaSource + 'static) -> Self {
        self.glue = Some(Box::new(source));
        self
    }
}

impl SchemaSource for Registries {
    fn fetch(&self, id: SchemaId) -> BoxFuture<'_, Result<FetchedSchema, RegistryError>> {
        let (source, missing) = match id {
            SchemaId::Confluent(_) => (&self.confluent, NO_CONFLUENT_REGISTRY),
            SchemaId::Glue(_) => (&self.glue, NO_GLUE_REGISTRY),
        };
        match source {
            Some(source) => source.fetch(id),
            None => not_configured(missing),
        }
    }
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
        let fetched = std::sync::atomic::AtomicUsize::new(0);
        let warned = std::sync::atomic::AtomicUsize::new(0);
        let fetches = missing.into_iter().map(|(id, cell)| {
            let (fetched, warned) = (&fetched, &warned);
            async move {
                let result = cell
                    .get_or_try_init(|| async {
                        fetched.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
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
                let failure = match result {
                    Ok(Ok(_)) => None,
                    Ok(Err(reason)) => Some(Unavailable {
                        reason: reason.to_string(),
                        transient: false,
                    }),
                    Err(error) => Some(Unavailable {
                        reason: ErrorChain(&error).to_string(),
                        transient: matches!(&error, FetchError::Fetch(f) if f.is_transient()),
                    }),
                };
                let mut failures = self.failures.lock().expect("no panic holds the lock");
                let Some(failure) = failure else {
                    failures.remove(&id);
                    return false;
                };
                if warned.fetch_add(1, std::sync::atomic::Ordering::Relaxed) < SCHEMA_WARNINGS_LOGGED {
                    tracing::warn!(schema = %id, reason = %failure.reason, transient = failure.transient, "Schema not available; the records that need it fail.");
                }
                failures.insert(id, failure);
                true
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
        match &*schema {
            RegistrySchema::Avro(avro) => avro
                .to_json(payload)
                .map_err(|source| PayloadError::Avro { id, source }),
            RegistrySchema::Json => json_payload(payload),
            RegistrySchema::Protobuf(proto) => match id {
                SchemaId::Confluent(_) => confluent_indexes(payload)
                    .and_then(|(indexes, data)| proto.to_json(&indexes, data)),
                SchemaId::Glue(_) => {
                    glue_index(payload).and_then(|(index, data)| proto.glue_to_json(index, data))
                }
            }
            .map_err(|source| PayloadError::Protobuf { id, source }),
        }
    }
}

/// JSON text of a registry-framed payload.
fn json_payload(payload: &[u8]) -> Result<JsonText, PayloadError> {
    PayloadFormat::Json.decode(payload.to_vec())
}

/// The registry formats: `avro` (Avro written with a registry schema), `json-schema` (JSON
/// written with a JSON Schema; no schema is needed to read it) and `registry` (whatever the
/// framing and the registry's schema say). Confluent framing names the schema by id, AWS Glue
/// framing by schema version id.
#[derive(Debug, Clone)]
pub struct RegistryDecoder {
    schemas: Option<Arc<Schemas>>,
    format: RegistryFormat,
}

/// What a [`RegistryDecoder`] reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegistryFormat {
    /// Avro only.
    Avro,
    /// JSON only.
    JsonSchema,
    /// Protobuf only.
    Protobuf,
    /// Any kind of schema the registry names.
    Any,
}

impl RegistryDecoder {
    /// A decoder of `format` that reads schemas from `schemas` (`json-schema` needs none).
    pub fn new(format: RegistryFormat, schemas: Option<Arc<Schemas>>) -> Self {
        Self { schemas, format }
    }

    fn name(&self) -> &'static str {
        match self.format {
            RegistryFormat::Avro => "Avro",
            RegistryFormat::JsonSchema => "JSON Schema",
            RegistryFormat::Protobuf => "Protobuf",
            RegistryFormat::Any => "registry",
        }
    }
}

impl PayloadDecoder for RegistryDecoder {
    fn decode(&self, bytes: Vec<u8>) -> Result<JsonText, PayloadError> {
        let frame = framing::read(&bytes).map_err(PayloadError::Framing)?;
        let (id, data) = match frame {
            Frame::Confluent(id, data) => (SchemaId::Confluent(id), Cow::Borrowed(data)),
            Frame::Glue(version, data) => (SchemaId::Glue(version), data),
        };
        let only = match self.format {
            RegistryFormat::JsonSchema => {
                return match data {
                    Cow::Borrowed(data) => json_payload(data),
                    Cow::Owned(data) => PayloadFormat::Json.decode(data),
                };
            }
            RegistryFormat::Avro => Some(SchemaKind::Avro),
            RegistryFormat::Protobuf => Some(SchemaKind::Protobuf),
            RegistryFormat::Any => None,
        };
        let schemas = self
            .schemas
            .as_ref()
            .ok_or(PayloadError::NoRegistry(self.name()))?;
        schemas.decode(id, &data, only)
    }

    fn schema_id(&self, prefix: &[u8]) -> Option<SchemaId> {
        match self.format {
            RegistryFormat::JsonSchema => None,
            RegistryFormat::Avro | RegistryFormat::Protobuf | RegistryFormat::Any => {
                framing::confluent_id(prefix)
                    .map(SchemaId::Confluent)
                    .or_else(|| framing::glue_id(prefix).map(SchemaId::Glue))
            }
        }
    }

    fn reads_schemas(&self) -> bool {
        self.format != RegistryFormat::JsonSchema
    }
}

#[cfg(test)]
mod tests;

pub(crate) mod glue;
