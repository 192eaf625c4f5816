//! The one place where the stages meet. `run` holds the [`Pipeline`] and its invocation:
//! [`Pipeline::prepare`] (decode → map → offload plan → batch plan; pure, no I/O) and
//! [`Pipeline::deliver`] (uploads, then sends), joined by [`Pipeline::handle`]; `builder` builds
//! it from the configuration; `render` is the dry run.

mod builder;
pub(crate) mod render;
mod run;

pub use builder::PipelineBuilder;
pub use run::{Pipeline, deadline_from};
