//! The in-process integration tests: the library with fakes, local stub servers and property
//! tests, no emulator. One binary (one link of the AWS SDKs); one module per concern.

#![allow(clippy::unwrap_used, reason = "a test that cannot unwrap has failed")]

#[path = "../support/mod.rs"]
mod support;

mod docs;
mod events;
mod eventsv2;
mod fault_schedules;
mod plugins;
mod properties;
mod quota;
