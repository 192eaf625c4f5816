//! The buses: the seam ([`EventBus`], in `seam`), the classic EventBridge bus (`classic`,
//! PutEvents), the Custom Event Bus (`v2`, ordered and deduplicated), and the bus the ARN names
//! (`any`, [`AwsBus`]).
//!
//! A bus owns everything that differs between buses: how many entries and bytes one call may
//! carry, how an entry is sized, how a call is made and which failures are worth retrying. The
//! batcher and the sender ask the bus; they hold no limit of their own.

mod any;
pub(crate) mod classic;
pub(crate) mod seam;
pub(crate) mod v2;

pub use any::AwsBus;
pub use seam::{BatchLimits, CallClass, EntryStatus, EventBus, RequestBody};
