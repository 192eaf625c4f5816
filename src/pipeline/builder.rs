//! Builds a [`Pipeline`] from the configuration: the defaults of every part come from
//! [`Config`], and the builder takes the parts a caller supplies (a bus, a store, decoders, a
//! mapper, plug-in rules). The one file of the pipeline that reads the configuration.

use std::sync::Arc;

use aws_config::SdkConfig;

use super::answer::Preflight;
use super::run::Pipeline;
use crate::bus::{AwsBus, EventBus};
use crate::concurrency::AdaptiveLimit;
use crate::config::{Config, Secret};
use crate::decode::Decoders;
use crate::decode::registry::{GlueRegistry, Registries};
use crate::map::{DetailTypeMapper, Mapper, TimeMapper};
use crate::offload::{ObjectKeys, RandomKeys};
use crate::store::s3::S3Store;
use crate::store::{AnyStore, BlobStore};

/// Builds a [`Pipeline`]: the configuration gives the defaults, the builder supplies the parts.
#[derive(Debug)]
#[must_use]
pub struct PipelineBuilder<'c, B> {
    config: &'c Config,
    bus: B,
    store: Option<AnyStore>,
    decoders: Option<Decoders>,
    registries: Option<Registries>,
    registry_user_info: Option<Secret>,
    mapper: Option<Mapper>,
    detail_type: Option<Arc<dyn DetailTypeMapper>>,
    time: Option<Arc<dyn TimeMapper>>,
    keys: Option<Box<dyn ObjectKeys>>,
    preflight: Option<Arc<dyn Preflight>>,
}

/// A builder that has no bus yet.
#[derive(Debug, Clone, Copy)]
pub struct NoBus;

impl Pipeline<NoBus> {
    /// Starts a pipeline for `config`; it needs a [`bus`](PipelineBuilder::bus) to be built.
    pub fn builder(config: &Config) -> PipelineBuilder<'_, NoBus> {
        PipelineBuilder {
            config,
            bus: NoBus,
            store: None,
            decoders: None,
            registries: None,
            registry_user_info: None,
            mapper: None,
            detail_type: None,
            time: None,
            keys: None,
            preflight: None,
        }
    }
}

impl<'c, B> PipelineBuilder<'c, B> {
    /// The bus events are sent through.
    pub fn bus<T: EventBus>(self, bus: T) -> PipelineBuilder<'c, T> {
        PipelineBuilder {
            config: self.config,
            bus,
            store: self.store,
            decoders: self.decoders,
            registries: self.registries,
            registry_user_info: self.registry_user_info,
            mapper: self.mapper,
            detail_type: self.detail_type,
            time: self.time,
            keys: self.keys,
            preflight: self.preflight,
        }
    }

    /// The function's own AWS parts, built from `shared` (see
    /// [`aws::cold_start`](crate::aws::cold_start)) and the configuration: the bus the ARN
    /// names (classic or Custom Event Bus), the S3 store when offloading is on, and the AWS
    /// Glue Schema Registry.
    pub fn aws(self, shared: &SdkConfig) -> PipelineBuilder<'c, AwsBus> {
        let config = self.config;
        let store = config
            .offload()
            .map(|offload| S3Store::from_config(config, offload, shared));
        self.bus(AwsBus::from_config(config, shared))
            .store(store)
            .registries(Registries::new().glue(GlueRegistry::from_config(config, shared)))
    }

    /// Schema registries beside the configured Confluent-compatible one (the AWS Glue Schema
    /// Registry); ignored when [`decoders`](Self::decoders) are given.
    pub fn registries(mut self, registries: Registries) -> Self {
        self.registries = Some(registries);
        self
    }

    /// The Confluent-compatible registry's `user:password` read at cold start from
    /// `AWS_EVENTBRIDGE_SCHEMA_REGISTRY_SECRET_ARN`, in place of the configured one.
    pub(crate) fn registry_user_info(mut self, user_info: Option<Secret>) -> Self {
        self.registry_user_info = user_info;
        self
    }

    /// The object store of the claim check, if any: a pipeline whose configuration offloads
    /// needs one (without it, a record that would be offloaded fails).
    pub fn store<S: BlobStore + 'static>(mut self, store: Option<S>) -> Self {
        self.store = store.map(AnyStore::new);
        self
    }

    /// Key and value decoders other than the configured formats.
    pub fn decoders(mut self, decoders: Decoders) -> Self {
        self.decoders = Some(decoders);
        self
    }

    /// A mapper other than the configured one.
    pub fn mapper(mut self, mapper: Mapper) -> Self {
        self.mapper = Some(mapper);
        self
    }

    /// A plug-in detail-type mapper in place of the configured rule (source, resources and
    /// time stay as configured, or as the [`mapper`](Self::mapper) sets them).
    pub fn detail_type(mut self, mapper: impl DetailTypeMapper + 'static) -> Self {
        self.detail_type = Some(Arc::new(mapper));
        self
    }

    /// A plug-in time mapper in place of the configured rule.
    pub fn time(mut self, mapper: impl TimeMapper + 'static) -> Self {
        self.time = Some(Arc::new(mapper));
        self
    }

    /// The checks the function runs when invoked with `{"preflight": true}`.
    pub fn preflight(mut self, preflight: impl Preflight + 'static) -> Self {
        self.preflight = Some(Arc::new(preflight));
        self
    }

    /// How offloaded objects are named (default: `RandomKeys`).
    pub fn keys(mut self, keys: impl ObjectKeys + 'static) -> Self {
        self.keys = Some(Box::new(keys));
        self
    }
}

impl<B: EventBus> PipelineBuilder<'_, B> {
    /// The pipeline.
    pub fn build(self) -> Pipeline<B> {
        let config = self.config;
        let mut mapper = self.mapper.unwrap_or_else(|| config.mapper());
        if let Some(detail_type) = self.detail_type {
            mapper = mapper.with_detail_type(detail_type);
        }
        if let Some(time) = self.time {
            mapper = mapper.with_time(time);
        }
        Pipeline {
            decoders: self.decoders.unwrap_or_else(|| {
                config.decoders_with_auth(
                    self.registries.unwrap_or_default(),
                    self.registry_user_info.as_ref(),
                )
            }),
            mapper,
            filter: config.filter().cloned(),
            limits: self
                .bus
                .limits()
                .capped(config.batch_max_entries(), config.batch_max_bytes()),
            bus: self.bus,
            offload: config.offloader(),
            store: self.store,
            keys: self.keys.unwrap_or_else(|| Box::new(RandomKeys)),
            policy: config.call_policy(),
            limit: config
                .adaptive_concurrency()
                .then(|| AdaptiveLimit::new(config.call_policy().max_inflight)),
            failure_mode: config.failure_mode(),
            metrics: config.metrics().clone(),
            connector_id: config.connector_id().to_owned(),
            preflight: self.preflight,
        }
    }
}
