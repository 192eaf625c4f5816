//! A Confluent-compatible schema registry over HTTP: `GET {url}/schemas/ids/{id}` (and
//! `/schemas/guids/{guid}` for a schema named by GUID in a header), its
//! references, the body read in chunks up to [`MAX_RESPONSE_BYTES`], redirects only on its own
//! origin.

use futures_util::future::BoxFuture;

use super::error::{MAX_REFERENCES, MAX_RESPONSE_BYTES, NO_GLUE_REGISTRY, RegistryError};
use super::source::{FetchedSchema, NamedSchema, SchemaSource, not_configured};
use crate::decode::schema::{SchemaId, SchemaKind};
use crate::error::{ErrorChain, quote, redact_url};

/// The most redirects followed on one registry call, each on the registry's own origin.
pub(crate) const MAX_REDIRECTS: usize = 3;

/// A Confluent-compatible schema registry (Confluent Platform, Confluent Cloud, Redpanda,
/// Karapace, Apicurio's ccompat API): `GET {url}/schemas/ids/{id}`, TLS verified against the
/// system's roots, optional HTTP basic auth.
#[cfg_attr(not(feature = "internals"), allow(unreachable_pub, dead_code))]
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
    #[cfg_attr(not(feature = "internals"), allow(unreachable_pub, dead_code))]
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
        let body = self.body(segments).await?;
        serde_json::from_slice(&body).map_err(RegistryError::Body)
    }

    /// One cheap authenticated request (`GET /subjects`): whether the registry answers these
    /// credentials (pre-flight).
    pub(crate) async fn probe(&self) -> Result<(), RegistryError> {
        self.body(&["subjects"]).await.map(|_| ())
    }

    /// The body of a successful `GET` of `segments` under the registry's URL (bounded).
    async fn body(&self, segments: &[&str]) -> Result<Vec<u8>, RegistryError> {
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
        Ok(body)
    }

    /// The schema at `segments` (`schemas/ids/{id}` or `schemas/guids/{guid}`), with its
    /// references.
    async fn get(&self, segments: &[&str]) -> Result<FetchedSchema, RegistryError> {
        let document = self.document(segments).await?;
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
            SchemaId::Confluent(id) => {
                Box::pin(async move { self.get(&["schemas", "ids", &id.to_string()]).await })
            }
            SchemaId::ConfluentGuid(guid) => {
                Box::pin(async move { self.get(&["schemas", "guids", &guid.to_string()]).await })
            }
            SchemaId::Glue(_) => not_configured(RegistryError::NotConfigured(NO_GLUE_REGISTRY)),
        }
    }
}
