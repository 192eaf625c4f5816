//! `key.converter` and `value.converter`, with their `….converter.*` settings: the Kafka
//! Connect converter of each side becomes the function's key or value format, and a schema
//! registry converter's settings become the function's registry settings. A credential is
//! never copied: the report says where to put it instead.

use std::collections::BTreeMap;

use super::params;
use super::plan::{NoteKind, Plan};
use super::text::shown;
use crate::vars;

/// The default registry of the AWS Glue Schema Registry converters.
const GLUE_DEFAULT_REGISTRY: &str = "default-registry";

/// Which registry a converter reads its schemas from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Registry {
    None,
    Confluent,
    Glue,
}

/// What a converter class becomes: the format, its registry, or why it has no format.
fn format_of(
    class: &str,
    settings: &BTreeMap<String, String>,
    side: &str,
) -> Result<(&'static str, Registry), String> {
    Ok(match class {
        "org.apache.kafka.connect.storage.StringConverter" => ("string", Registry::None),
        "org.apache.kafka.connect.converters.ByteArrayConverter" => ("bytes", Registry::None),
        "org.apache.kafka.connect.json.JsonConverter" => {
            // JsonConverter's own default is `schemas.enable=true`: records are envelopes.
            let key = format!("{side}.converter.schemas.enable");
            let enabled = settings
                .get(&key)
                .is_none_or(|v| !v.trim().eq_ignore_ascii_case("false"));
            (
                if enabled { "connect-json" } else { "json" },
                Registry::None,
            )
        }
        "io.confluent.connect.avro.AvroConverter" => ("avro", Registry::Confluent),
        "io.confluent.connect.protobuf.ProtobufConverter" => ("protobuf", Registry::Confluent),
        "io.confluent.connect.json.JsonSchemaConverter" => ("json-schema", Registry::Confluent),
        "com.amazonaws.services.schemaregistry.kafkaconnect.AWSKafkaAvroConverter" => {
            ("avro", Registry::Glue)
        }
        "com.amazonaws.services.schemaregistry.kafkaconnect.protobuf.ProtobufSchemaConverter" => {
            ("protobuf", Registry::Glue)
        }
        "com.amazonaws.services.schemaregistry.kafkaconnect.jsonschema.JsonSchemaConverter" => {
            ("json-schema", Registry::Glue)
        }
        numeric if numeric.starts_with("org.apache.kafka.connect.converters.") => {
            return Err(format!(
                "{} reads fixed-width binary numbers, which the function has no format for; \
                 `bytes` sends them as base64 (set the format to `bytes`), or produce JSON",
                shown(numeric)
            ));
        }
        other => {
            return Err(format!(
                "{} is not a converter the function knows: the formats are string, json, \
                 connect-json, bytes, auto, avro, protobuf, json-schema and registry (README, \
                 *Key and value formats*); set the closest one",
                shown(other)
            ));
        }
    })
}

/// Maps both converters.
pub(crate) fn plan(plan: &mut Plan) {
    let mut confluent_urls = Vec::new();
    for (side, param, var, default) in [
        ("key", params::KEY_FORMAT, vars::KEY_FORMAT, "string"),
        ("value", params::VALUE_FORMAT, vars::VALUE_FORMAT, "json"),
    ] {
        let property = format!("{side}.converter");
        let class = plan.take(&property);
        let settings = plan.take_prefixed(&format!("{property}."));
        let Some(class) = class.map(|c| c.trim().to_owned()) else {
            plan.note(
                &property,
                NoteKind::Action,
                format!(
                    "not set: the Connect worker's converter applied, which a connector \
                     configuration does not show; the function reads {side}s as `{default}`. Set \
                     `{param}` to the worker's (string, json, connect-json, bytes, avro, …)"
                ),
            );
            unmapped_settings(plan, &settings, side);
            continue;
        };
        match format_of(&class, &settings, side) {
            Ok((format, registry)) => {
                let switch = format!("{property}.schemas.enable");
                let from = if format.ends_with("json") && settings.contains_key(&switch) {
                    format!("{property}, {switch}")
                } else {
                    property.clone()
                };
                plan.set(Some(param), Some(var), format, &from);
                let converter = (format, registry);
                converter_settings(plan, side, converter, settings, &mut confluent_urls);
            }
            Err(reason) => {
                plan.note(&property, NoteKind::Action, reason);
                unmapped_settings(plan, &settings, side);
            }
        }
    }
    confluent_url(plan, &confluent_urls);
}

/// Notes the settings of a converter that is not mapped.
fn unmapped_settings(plan: &mut Plan, settings: &BTreeMap<String, String>, side: &str) {
    for name in settings.keys() {
        plan.note(
            name,
            NoteKind::NotNeeded,
            format!("a setting of the {side} converter, which is not mapped"),
        );
    }
}

/// The settings of one side's converter.
fn converter_settings(
    plan: &mut Plan,
    side: &str,
    (format, registry): (&str, Registry),
    settings: BTreeMap<String, String>,
    confluent_urls: &mut Vec<(String, String)>,
) {
    let prefix = format!("{side}.converter.");
    let mut glue_name = None;
    for (name, value) in settings {
        let setting = &name[prefix.len()..];
        match (registry, setting) {
            // Read into the format: `json` or `connect-json`.
            (_, "schemas.enable") if format.ends_with("json") && registry == Registry::None => {}
            (Registry::Confluent, "schema.registry.url") => confluent_urls.push((name, value)),
            (Registry::Confluent, s) if s.ends_with("basic.auth.user.info") => plan.note(
                &name,
                NoteKind::Action,
                "a registry credential (not shown): store it in AWS Secrets Manager as \
                 {\"username\": …, \"password\": …} and pass the secret's ARN as \
                 `FunctionSchemaRegistrySecretArn` (the function reads it at cold start and never \
                 logs it)",
            ),
            (Registry::Confluent, s) if s.starts_with("schema.registry.ssl.") => plan.note(
                &name,
                NoteKind::Action,
                "the function verifies the registry's TLS certificate against the system's roots \
                 and presents no client certificate; a registry that needs either is not supported",
            ),
            (Registry::Glue, "region") => glue_region(plan, &name, &value),
            (Registry::Glue, "registry.name") => glue_name = Some((name, value)),
            (Registry::Glue, "endpoint") => plan.note(
                &name,
                NoteKind::Action,
                "a Glue endpoint override: set the SDK's AWS_ENDPOINT_URL_GLUE on the function",
            ),
            (Registry::Glue, "assumeRoleArn" | "assumeRoleSessionName") => plan.note(
                &name,
                NoteKind::Action,
                "the function reads Glue with its execution role: grant it glue:GetSchemaVersion \
                 on the registry (template.yaml does, for FunctionGlueRegistryArn)",
            ),
            _ => plan.note(
                &name,
                NoteKind::NotNeeded,
                "a serializer or converter setting; the function reads each record's schema id and \
                 needs none",
            ),
        }
    }
    if registry == Registry::Glue {
        glue_registry(plan, side, glue_name);
    }
}

/// `….converter.region` of a Glue converter: the registry's region (the function reads one, so
/// the other converter's, if it names another, is an action).
fn glue_region(plan: &mut Plan, name: &str, region: &str) {
    let region = region.trim();
    match plan.var_value(vars::SCHEMA_REGISTRY_GLUE_REGION) {
        None => plan.set(None, Some(vars::SCHEMA_REGISTRY_GLUE_REGION), region, name),
        Some(set) if set == region => plan.note(
            name,
            NoteKind::NotNeeded,
            "the same region as the other converter's",
        ),
        Some(_) => plan.note(
            name,
            NoteKind::Action,
            "another region than the other converter's: the function reads one Glue registry",
        ),
    }
}

/// The Glue registry's ARN, for the template's permission: its name (`name`, the property and
/// its value; Glue's default when unset), in the converter's region, in the bus's account.
fn glue_registry(plan: &mut Plan, side: &str, name: Option<(String, String)>) {
    if let Some(arn) = plan.param_value(params::GLUE_REGISTRY_ARN) {
        // The other converter's registry is set already; the function reads one.
        if let Some((property, name)) = name {
            let same = arn.ends_with(&format!(":registry/{}", name.trim()));
            let (kind, text) = if same {
                (
                    NoteKind::NotNeeded,
                    "the same registry as the other converter's",
                )
            } else {
                (
                    NoteKind::Action,
                    "another registry than the other converter's: the function is granted one \
                     (FunctionGlueRegistryArn); grant it glue:GetSchemaVersion on this one too",
                )
            };
            plan.note(&property, kind, text);
        }
        return;
    }
    let arn = plan
        .var_value(vars::EVENTBUS_ARN)
        .unwrap_or_default()
        .to_owned();
    let parts: Vec<&str> = arn.split(':').collect();
    let (Some(partition), Some(bus_region), Some(account)) =
        (parts.get(1), parts.get(3), parts.get(4))
    else {
        return;
    };
    let region = plan
        .var_value(vars::SCHEMA_REGISTRY_GLUE_REGION)
        .unwrap_or(bus_region)
        .to_owned();
    let (from, name) = name.unwrap_or_else(|| {
        (
            format!("{side}.converter"),
            GLUE_DEFAULT_REGISTRY.to_owned(),
        )
    });
    plan.set(
        Some(params::GLUE_REGISTRY_ARN),
        None,
        format!(
            "arn:{partition}:glue:{region}:{account}:registry/{}",
            name.trim()
        ),
        &from,
    );
    plan.note(
        &from,
        NoteKind::Differs,
        "the Glue registry is taken to be in the bus's account; change FunctionGlueRegistryArn if \
         it is in another",
    );
}

/// The Confluent registry URL of either converter: the function reads one registry. A URL's
/// `user:password@` is a credential, never copied.
fn confluent_url(plan: &mut Plan, urls: &[(String, String)]) {
    let Some((first_name, first)) = urls.first() else {
        return;
    };
    let url = first
        .split(',')
        .next()
        .unwrap_or_default()
        .trim()
        .to_owned();
    for (name, other) in &urls[1..] {
        if other.split(',').next().unwrap_or_default().trim() != url {
            plan.note(
                name,
                NoteKind::Action,
                "names another registry than the other converter: the function reads one; move \
                 both subjects to one registry",
            );
        }
    }
    let (plain, had_credentials) = without_userinfo(&url);
    if had_credentials {
        plan.note(
            first_name,
            NoteKind::Action,
            "the URL holds a credential (not shown): store it in AWS Secrets Manager as \
             {\"username\": …, \"password\": …} and pass its ARN as \
             `FunctionSchemaRegistrySecretArn`; the URL is given without it",
        );
    }
    plan.set(
        Some(params::SCHEMA_REGISTRY_URL),
        Some(vars::SCHEMA_REGISTRY_URL),
        plain,
        first_name,
    );
    if first.contains(',') {
        plan.note(
            first_name,
            NoteKind::Differs,
            "several URLs: the function reads the first",
        );
    }
}

/// `url` without the `user:password@` of its authority, and whether it had one.
fn without_userinfo(url: &str) -> (String, bool) {
    let authority_start = url.find("://").map_or(0, |i| i + 3);
    let rest = &url[authority_start..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => (
            format!("{}{}", &url[..authority_start], &rest[at + 1..]),
            true,
        ),
        None => (url.to_owned(), false),
    }
}
