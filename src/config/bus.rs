//! The bus settings: the connector id, the bus ARN (classic or Custom Event Bus), region,
//! endpoint, global endpoint, resources, and the ordering of a Custom Event Bus.

use std::fmt;

use super::error::ConfigError;
use super::parse::*;
use crate::map::{Deduplication, EventGroup, Ordering};
use crate::vars::*;

/// Which EventBridge bus an ARN names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BusKind {
    /// `event-bus/<name>`: the rule-based bus ("Custom Event Bus - Classic"), API `events`.
    Classic,
    /// `event-busv2/<name>/<id>`: the Custom Event Bus, API `eventsv2`, with ordered event
    /// groups and publish-time deduplication.
    V2,
}

/// What `AWS_EVENTBRIDGE_EVENTBUS_ARN` must look like.
pub(super) const BUS_ARN_SHAPE: &str = "arn:<partition>:events:<region>:<12-digit account>:event-bus/<name> (a classic bus) or arn:<partition>:events:<region>:<12-digit account>:event-busv2/<name>/<25-character id> (a Custom Event Bus)";

/// A validated bus ARN: `arn:<partition>:events:<region>:<account>:event-bus/<name>` (classic)
/// or `…:event-busv2/<name>/<id>` (Custom Event Bus).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BusArn {
    arn: String,
    partition_end: usize,
    region: (usize, usize),
    kind: BusKind,
}

impl BusArn {
    /// The whole ARN, as sent in each entry's `EventBusName` (classic) or the request's
    /// `EventBusArn` (Custom Event Bus).
    pub fn as_str(&self) -> &str {
        &self.arn
    }

    /// The ARN's partition (`aws`, `aws-cn`, `aws-us-gov`, …).
    pub fn partition(&self) -> &str {
        &self.arn[4..self.partition_end]
    }

    /// The ARN's region.
    pub fn region(&self) -> &str {
        &self.arn[self.region.0..self.region.1]
    }

    /// Which bus the ARN names.
    pub fn kind(&self) -> BusKind {
        self.kind
    }

    fn parse(value: &str) -> Result<Self, ConfigError> {
        let invalid =
            || ConfigError::invalid(EVENTBUS_ARN, value, format!("must be {BUS_ARN_SHAPE}"));
        let Some(["arn", partition, "events", region, account, rest]) = arn_parts(value) else {
            return Err(invalid());
        };
        let kind = if let Some(name) = rest.strip_prefix("event-bus/") {
            if name.is_empty() || name.chars().any(char::is_whitespace) {
                return Err(invalid());
            }
            BusKind::Classic
        } else if let Some(name_id) = rest.strip_prefix("event-busv2/") {
            // The API's pattern: a name of [A-Za-z0-9][.-_A-Za-z0-9]{0,255}, then a 25-character
            // id of lowercase letters and digits.
            let (name, id) = name_id.split_once('/').ok_or_else(invalid)?;
            let name_ok = name.len() <= 256
                && name.starts_with(|c: char| c.is_ascii_alphanumeric())
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || ".-_".contains(c));
            let id_ok = id.len() == 25
                && id
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
            if !name_ok || !id_ok {
                return Err(invalid());
            }
            BusKind::V2
        } else {
            return Err(invalid());
        };
        if !is_partition(partition) || !is_account(account) {
            return Err(invalid());
        }
        if let Some(problem) = super::region::arn_region_problem(partition, region) {
            return Err(ConfigError::invalid(EVENTBUS_ARN, value, problem));
        }
        let partition_end = 4 + partition.len();
        let region_start = partition_end + ":events:".len();
        Ok(Self {
            arn: value.to_owned(),
            partition_end,
            region: (region_start, region_start + region.len()),
            kind,
        })
    }
}

impl fmt::Display for BusArn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.arn)
    }
}

pub(super) struct BusSettings {
    pub(super) connector_id: String,
    pub(super) bus_arn: BusArn,
    pub(super) region: String,
    pub(super) endpoint_uri: Option<String>,
    pub(super) global_endpoint_id: Option<String>,
}

pub(super) fn parse_bus(get: &impl Fn(&str) -> Option<String>) -> Result<BusSettings, ConfigError> {
    let connector_id = get(CONNECTOR_ID)
        .map(|v| v.trim().to_owned())
        .ok_or_else(|| ConfigError::Missing {
            var: CONNECTOR_ID,
            rule: "a non-blank connector id (the events' Source is kafka-connect.<id>)".into(),
        })?;
    let bus_arn = get(EVENTBUS_ARN).ok_or_else(|| ConfigError::Missing {
        var: EVENTBUS_ARN,
        rule: BUS_ARN_SHAPE.into(),
    })?;
    let bus_arn = BusArn::parse(bus_arn.trim())?;
    let region = parse_region(REGION, get(REGION))?.unwrap_or_else(|| bus_arn.region().to_owned());
    Ok(BusSettings {
        connector_id,
        bus_arn,
        region,
        endpoint_uri: get(ENDPOINT_URI)
            .map(|v| parse_endpoint(ENDPOINT_URI, &v))
            .transpose()?,
        global_endpoint_id: get(GLOBAL_ENDPOINT_ID)
            .map(|v| parse_global_endpoint_id(&v))
            .transpose()?,
    })
}

/// The settings that depend on the kind of bus: the entry cap of a call (at most the bus's
/// limit) and, on a Custom Event Bus only, the event groups and deduplication.
pub(super) fn parse_bus_kind_settings(
    get: &impl Fn(&str) -> Option<String>,
    bus: &BusSettings,
) -> Result<(usize, Option<Ordering>), ConfigError> {
    let kind = bus.bus_arn.kind();
    let max_entries = parse_max_entries(kind, get(BATCH_MAX_ENTRIES))?;
    match kind {
        BusKind::Classic => {
            for var in [EVENT_GROUP, DEDUPLICATION] {
                if let Some(v) = get(var) {
                    return Err(ConfigError::invalid(
                        var,
                        &v,
                        "applies only to a Custom Event Bus (an event-busv2 ARN); a classic bus has no event groups or deduplication",
                    ));
                }
            }
            Ok((max_entries, None))
        }
        BusKind::V2 => {
            if let Some(id) = &bus.global_endpoint_id {
                return Err(ConfigError::invalid(
                    GLOBAL_ENDPOINT_ID,
                    id,
                    "applies only to a classic bus; a Custom Event Bus has no global endpoints",
                ));
            }
            Ok((max_entries, Some(parse_ordering(get)?)))
        }
    }
}

/// `AWS_EVENTBRIDGE_BATCH_MAX_ENTRIES`: 1 to the bus's own limit (its default).
fn parse_max_entries(kind: BusKind, value: Option<String>) -> Result<usize, ConfigError> {
    let (limit, rule) = match kind {
        BusKind::Classic => (
            crate::bus::classic::MAX_ENTRIES_PER_PUT,
            "must be an integer from 1 to 10 (a classic bus takes at most 10 entries per PutEvents call)",
        ),
        BusKind::V2 => (
            crate::bus::v2::MAX_ENTRIES_PER_PUT,
            "must be an integer from 1 to 100 (a Custom Event Bus takes at most 100 entries per PutEvents call)",
        ),
    };
    let Some(v) = value else {
        return Ok(limit);
    };
    v.trim()
        .parse::<usize>()
        .ok()
        .filter(|n| (1..=limit).contains(n))
        .ok_or_else(|| ConfigError::invalid(BATCH_MAX_ENTRIES, &v, rule))
}

/// The names `AWS_EVENTBRIDGE_EVENT_GROUP` accepts; the first is the default.
pub(super) const EVENT_GROUPS: [(&str, EventGroup); 3] = [
    ("partition", EventGroup::Partition),
    ("key", EventGroup::Key),
    ("none", EventGroup::None),
];

/// The names `AWS_EVENTBRIDGE_DEDUPLICATION` accepts; the first is the default.
pub(super) const DEDUPLICATIONS: [(&str, Deduplication); 3] = [
    ("offset", Deduplication::Offset),
    ("content", Deduplication::Content),
    ("none", Deduplication::None),
];

/// A Custom Event Bus's `AWS_EVENTBRIDGE_EVENT_GROUP` and `AWS_EVENTBRIDGE_DEDUPLICATION`.
fn parse_ordering(get: &impl Fn(&str) -> Option<String>) -> Result<Ordering, ConfigError> {
    let event_group = parse_choice(
        EVENT_GROUP,
        get(EVENT_GROUP),
        EventGroup::Partition,
        &EVENT_GROUPS,
    )?;
    let deduplication = parse_choice(
        DEDUPLICATION,
        get(DEDUPLICATION),
        Deduplication::Offset,
        &DEDUPLICATIONS,
    )?;
    Ok(Ordering {
        event_group,
        deduplication,
    })
}

pub(super) fn parse_global_endpoint_id(value: &str) -> Result<String, ConfigError> {
    let v = value.trim();
    if is_endpoint_id(v) {
        Ok(v.to_owned())
    } else {
        Err(ConfigError::invalid(
            GLOBAL_ENDPOINT_ID,
            v,
            "must match ^[A-Za-z0-9-]+\\.[A-Za-z0-9-]+$ (the subdomain of the global endpoint, e.g. abcde.veo)",
        ))
    }
}

pub(super) fn parse_resources(value: Option<String>) -> Vec<String> {
    value
        .map(|v| {
            v.split(',')
                .map(str::trim)
                .filter(|r| !r.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}
