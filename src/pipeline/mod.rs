//! The one place where the stages meet. `run` holds the [`Pipeline`] and its invocation:
//! [`Pipeline::prepare`] (decode → map → offload plan → batch plan; pure, no I/O) and
//! [`Pipeline::deliver`] (uploads, then sends), joined by [`Pipeline::run`]; `serve` is the
//! function under the Lambda runtime ([`Pipeline::serve`], [`Pipeline::handle`]); `builder`
//! builds it from the configuration; `render` is the dry run.

mod answer;
mod builder;
pub(crate) mod render;
mod run;
mod serve;

pub use answer::{Answer, Preflight};
pub use builder::PipelineBuilder;
pub use run::{Pipeline, deadline_from};
