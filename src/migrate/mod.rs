//! `migrate`: a configuration of the eventbridge-kafka-connector (Kafka Connect's JSON, as the
//! connector's README writes it) becomes this function's configuration: the parameters of
//! `template.yaml` for `sam deploy --parameter-overrides`, and the same settings as the
//! function's environment variables. Every property of the input ends as a setting or a note
//! that says why it needs none or what to do instead; a credential is never copied into the
//! output. The environment is checked with the function's own parser, so a migration that
//! succeeds gives a configuration that starts.
//!
//! A tool beside the function, not a stage: it reads [`Config`] to validate, as `main` does.

mod connect;
mod connector;
mod converters;
#[cfg(any(test, feature = "fuzzing"))]
pub(crate) mod fuzz;
mod input;
mod migration;
mod output;
mod params;
mod plan;
#[cfg(test)]
mod tests;
mod text;
mod transforms;

use std::collections::BTreeMap;
use std::io::Read as _;

use crate::config::{Config, ConfigError};
use crate::vars;
pub use migration::Migration;
pub use output::OutputFormat;
use plan::NoteKind;
use plan::Plan;
use text::shown;

/// What `migrate` needs beside the connector's configuration: the Kafka cluster, which lives in
/// the Connect worker's configuration, not the connector's.
#[derive(Debug, Clone, Default)]
pub struct MigrateOptions {
    /// The MSK cluster's ARN (`MskClusterArn`).
    pub msk_cluster_arn: Option<String>,
    /// Self-managed brokers, `host:port,…` (`BootstrapServers`).
    pub bootstrap_servers: Option<String>,
}

/// Migrates the connector configuration that `reader` gives, reading at most
/// [`MAX_INPUT_BYTES`](input::MAX_INPUT_BYTES) (and one more, to tell a longer one).
pub fn migrate_from(reader: impl std::io::Read, options: &MigrateOptions) -> Migration {
    let mut bytes = Vec::new();
    let limit = u64::try_from(input::MAX_INPUT_BYTES).unwrap_or(u64::MAX) + 1;
    let read = std::io::Read::take(reader, limit).read_to_end(&mut bytes);
    let text = read
        .map_err(|e| format!("the configuration cannot be read: {e}"))
        .and_then(|_| {
            String::from_utf8(bytes).map_err(|e| {
                format!(
                    "the configuration is not UTF-8 text (byte {} is not)",
                    e.utf8_error().valid_up_to()
                )
            })
        });
    match text {
        Ok(text) => migrate(&text, options),
        Err(problem) => Migration {
            name: None,
            settings: Vec::new(),
            notes: Vec::new(),
            problems: vec![problem],
        },
    }
}

/// Migrates the connector configuration `text`.
pub fn migrate(text: &str, options: &MigrateOptions) -> Migration {
    let config = match input::read(text) {
        Ok(config) => config,
        Err(error) => {
            return Migration {
                name: None,
                settings: Vec::new(),
                notes: Vec::new(),
                problems: vec![error.to_string()],
            };
        }
    };
    let mut plan = Plan::new(config.properties);
    // A bare configuration may carry its name as a property.
    let name = plan.take("name").or(config.name);
    let name = name.filter(|n| !n.trim().is_empty());
    // Blank values are unset, as the connector reads them; no rule below sees one.
    for property in plan.take_blank() {
        plan.note(
            &property,
            NoteKind::NotNeeded,
            "blank: unset, as the connector reads it; the function's default applies",
        );
    }
    connector::plan(&mut plan);
    converters::plan(&mut plan);
    connect::plan(&mut plan, name.as_deref());
    connect::cluster(
        &mut plan,
        options.msk_cluster_arn.as_deref(),
        options.bootstrap_servers.as_deref(),
    );
    for (property, _) in plan.take_rest() {
        let text = unknown(&property);
        plan.note(&property, NoteKind::NotNeeded, text);
    }
    validate(&mut plan);
    Migration {
        name,
        settings: plan.settings,
        notes: plan.notes,
        problems: plan.problems,
    }
}

/// What a property that no rule knows is: a misspelled connector property, a Connect setting
/// with no effect here, or another connector's.
fn unknown(property: &str) -> String {
    if property.starts_with("aws.eventbridge.") {
        let closest = connector::KNOWN
            .iter()
            .min_by_key(|known| strsim::damerau_levenshtein(property, known))
            .copied()
            .unwrap_or_default();
        return format!(
            "not a property of the connector, which ignored it (the closest is `{closest}`); \
             the function ignores it too"
        );
    }
    if [
        "producer.override.",
        "admin.override.",
        "config.action.reload",
    ]
    .iter()
    .any(|p| property.starts_with(p))
    {
        return "a Kafka Connect setting of the worker's clients or lifecycle: Lambda runs neither"
            .to_owned();
    }
    "not a property of this connector or of a Kafka Connect sink; ignored, as the connector \
     ignored it"
        .to_owned()
}

/// Placeholders for the required variables while the rest is checked, so that every invalid
/// value is reported, not only the first.
const PLACEHOLDERS: [(&str, &str); 2] = [
    (vars::CONNECTOR_ID, "placeholder"),
    (
        vars::EVENTBUS_ARN,
        "arn:aws:events:us-east-1:123456789012:event-bus/placeholder",
    ),
];

/// Checks the environment with the function's own parser; each refused variable becomes a
/// problem that names the connector property it came from.
fn validate(plan: &mut Plan) {
    let mut env: BTreeMap<&str, String> = plan
        .settings
        .iter()
        .filter_map(|s| Some((s.var?, s.value.clone())))
        .collect();
    // Each round removes or fills one variable, so this ends.
    for _ in 0..=env.len() + PLACEHOLDERS.len() {
        let Err(error) = Config::from_lookup(|name| env.get(name).cloned()) else {
            return;
        };
        let var = match &error {
            ConfigError::Missing { var, .. } | ConfigError::Invalid { var, .. } => *var,
        };
        let property = plan
            .settings
            .iter()
            .find(|s| s.var == Some(var))
            .map_or_else(|| property_of(var), |s| s.from.clone());
        let missing = matches!(error, ConfigError::Missing { .. });
        let reason = error.to_string();
        plan.problem(if missing {
            format!("{} is missing: {reason}", shown(&property))
        } else {
            format!("{}: {reason}", shown(&property))
        });
        let was_set = env.remove(var).is_some();
        match PLACEHOLDERS.iter().find(|(v, _)| *v == var) {
            Some((_, placeholder)) => {
                env.insert(var, (*placeholder).to_owned());
            }
            // Nothing to fill it with, or nothing removed: the next round would say the same.
            None if missing || !was_set => return,
            None => {}
        }
    }
}

/// The connector property a variable is named after (`AWS_EVENTBRIDGE_CONNECTOR_ID` →
/// `aws.eventbridge.connector.id`).
fn property_of(var: &str) -> String {
    var.to_ascii_lowercase().replace('_', ".")
}
