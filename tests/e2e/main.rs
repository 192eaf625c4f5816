//! The end-to-end tests: the real binary under cargo-lambda's emulator, moto over HTTP with the
//! real SDK clients, and the template read by SAM's own code. They need the project venv (moto,
//! cargo-lambda, the SAM CLI): `make test` creates it and enables the `e2e` feature. One binary
//! (one link of the AWS SDKs); one module per concern.

#![cfg(feature = "e2e")]
#![allow(clippy::unwrap_used, reason = "a test that cannot unwrap has failed")]

#[path = "../support/mod.rs"]
mod support;

mod bad_inputs;
mod credentials;
mod eventsv2_function;
mod example;
mod filter;
mod from_record;
mod function;
mod hostile_registry;
mod logs;
mod managed_instances;
mod migrate;
mod offload;
mod pipeline_aws;
mod preflight;
mod render;
mod schema_registry;
mod template;
