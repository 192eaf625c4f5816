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
//!
//! The room's files: `source` (the [`SchemaSource`] seam and [`Registries`]), `confluent` and
//! `glue` (the registries), `cache` ([`Schemas`]), `decoder` ([`RegistryDecoder`]) and `error`.

pub(crate) mod cache;
pub(crate) mod confluent;
pub(crate) mod decoder;
pub(crate) mod error;
pub(crate) mod glue;
pub(crate) mod source;

#[cfg_attr(not(feature = "internals"), allow(unreachable_pub, dead_code))]
pub use cache::Schemas;
#[cfg_attr(not(feature = "internals"), allow(unreachable_pub, dead_code))]
pub use confluent::ConfluentRegistry;
#[cfg_attr(not(feature = "internals"), allow(unreachable_pub, dead_code))]
pub use decoder::{RegistryDecoder, RegistryFormat};
pub use error::RegistryError;
pub(crate) use glue::GlueRegistry;
pub use source::{FetchedSchema, Registries, SchemaSource};

#[cfg(test)]
mod tests;
