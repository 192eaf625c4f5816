//! The registry seam: [`SchemaSource`] returns a schema by id ([`FetchedSchema`]), and
//! [`Registries`] asks the registry of each id's kind.

use futures_util::future::BoxFuture;

use super::error::{NO_GLUE_REGISTRY, RegistryError};
use crate::decode::schema::{SchemaId, SchemaKind};

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

/// A registry: a schema by id. The seam for the registry kinds (Confluent over HTTP here)
/// and for fakes in tests.
pub trait SchemaSource: std::fmt::Debug + Send + Sync {
    /// The schema that `id` names.
    fn fetch(&self, id: SchemaId) -> BoxFuture<'_, Result<FetchedSchema, RegistryError>>;
}

/// A fetch that fails at once: no registry of the id's kind.
pub(crate) fn not_configured(
    why: RegistryError,
) -> BoxFuture<'static, Result<FetchedSchema, RegistryError>> {
    Box::pin(std::future::ready(Err(why)))
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
            SchemaId::Confluent(_) | SchemaId::ConfluentGuid(_) => {
                (&self.confluent, RegistryError::NoConfluentRegistry)
            }
            SchemaId::Glue(_) => (&self.glue, RegistryError::NotConfigured(NO_GLUE_REGISTRY)),
        };
        match source {
            Some(source) => source.fetch(id),
            None => not_configured(missing),
        }
    }
}
