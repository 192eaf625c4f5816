//! The bus the configured ARN names: [`AwsBus`] is the classic bus or the Custom Event Bus,
//! chosen at cold start, and passes every call to it.

use super::classic::{EventBridgeBus, PutEventsCallError};
use super::seam::{BatchLimits, CallClass, EntryStatus, EventBus, RequestBody};
use super::v2::{EventBridgeV2Bus, PutEventsV2CallError};
use crate::map::EventEntry;

/// The bus the configured ARN names: the classic bus (`event-bus/…`) or a Custom Event Bus
/// (`event-busv2/…`).
#[derive(Debug, Clone)]
pub enum AwsBus {
    /// A classic bus.
    Classic(EventBridgeBus),
    /// A Custom Event Bus.
    V2(EventBridgeV2Bus),
}

/// A failed call to an [`AwsBus`].
#[derive(Debug, thiserror::Error)]
pub enum AwsBusError {
    /// On a classic bus.
    #[error(transparent)]
    Classic(#[from] PutEventsCallError),
    /// On a Custom Event Bus.
    #[error(transparent)]
    V2(#[from] PutEventsV2CallError),
}

impl RequestBody for AwsBus {
    fn put_events_body(&self, entries: &[&EventEntry]) -> String {
        match self {
            Self::Classic(bus) => bus.put_events_body(entries),
            Self::V2(bus) => bus.put_events_body(entries),
        }
    }
}

impl EventBus for AwsBus {
    type Error = AwsBusError;

    fn limits(&self) -> BatchLimits {
        match self {
            Self::Classic(bus) => bus.limits(),
            Self::V2(bus) => bus.limits(),
        }
    }

    fn entry_size(&self, entry: &EventEntry) -> usize {
        match self {
            Self::Classic(bus) => bus.entry_size(entry),
            Self::V2(bus) => bus.entry_size(entry),
        }
    }

    fn ordered(&self) -> bool {
        matches!(self, Self::V2(_))
    }

    async fn put(&self, entries: &[&EventEntry]) -> Result<Vec<EntryStatus>, AwsBusError> {
        match self {
            Self::Classic(bus) => Ok(bus.put(entries).await?),
            Self::V2(bus) => Ok(bus.put(entries).await?),
        }
    }

    fn classify(&self, error: &AwsBusError) -> CallClass {
        match (self, error) {
            (Self::Classic(bus), AwsBusError::Classic(e)) => bus.classify(e),
            (Self::V2(bus), AwsBusError::V2(e)) => bus.classify(e),
            // An error of the other bus cannot come from this one; nothing to retry.
            _ => CallClass::Final,
        }
    }
}
