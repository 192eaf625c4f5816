//! AWS regions and their partitions, as the AWS SDK for Rust knows them: a region is one that
//! a partition lists, or that matches a partition's `regionRegex`, so that a region opened after
//! this build is accepted while a typo (`invalid-region-1`, `us-east1`) stops the cold start.
//!
//! `partitions.json` is the SDK's own partition metadata, the table its endpoint resolvers are
//! built with (`endpoint_lib.rs` of each `aws-sdk-*` crate, private there). A test compares it
//! with the copy inside the `aws-sdk-eventbridge` crate this build resolved, so it cannot drift
//! from the SDK; `make partitions` refreshes it.

use std::sync::LazyLock;

/// One partition: its id, its regex of region names, and the regions it lists.
#[derive(Debug)]
struct Partition {
    id: String,
    region_regex: regex_lite::Regex,
    regions: Vec<String>,
}

/// The SDK's partitions, in the SDK's order.
static PARTITIONS: LazyLock<Vec<Partition>> = LazyLock::new(|| {
    partitions(include_str!("partitions.json"))
        .expect("partitions.json is the SDK's partition metadata, checked by a test")
});

/// The partitions of the SDK's metadata document `json`.
fn partitions(json: &str) -> Result<Vec<Partition>, String> {
    #[derive(serde::Deserialize)]
    struct Document {
        partitions: Vec<Entry>,
    }
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Entry {
        id: String,
        region_regex: String,
        regions: serde_json::Map<String, serde_json::Value>,
    }
    let document: Document = serde_json::from_str(json).map_err(|e| e.to_string())?;
    document
        .partitions
        .into_iter()
        .map(|p| {
            Ok(Partition {
                region_regex: regex_lite::Regex::new(&p.region_regex)
                    .map_err(|e| format!("{}: {e}", p.id))?,
                regions: p.regions.into_iter().map(|(name, _)| name).collect(),
                id: p.id,
            })
        })
        .collect()
}

/// The partition of `region` (`aws`, `aws-cn`, `aws-us-gov`, …), as the SDK resolves it: the
/// partition that lists it, else the first whose regex matches it; `None` for a name no
/// partition has.
pub(super) fn partition_of(region: &str) -> Option<&'static str> {
    let partitions = &*PARTITIONS;
    partitions
        .iter()
        .find(|p| p.regions.iter().any(|r| r == region))
        .or_else(|| partitions.iter().find(|p| p.region_regex.is_match(region)))
        .map(|p| p.id.as_str())
}

/// The partitions' ids, for the rule of a region no partition has.
pub(super) fn partition_ids() -> String {
    PARTITIONS
        .iter()
        .map(|p| p.id.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The rule a region must follow, as error messages state it.
pub(super) fn region_rule() -> String {
    format!(
        "must be an AWS region such as eu-west-1: a region of a partition the AWS SDK knows ({})",
        partition_ids()
    )
}

/// Why the region and partition of an ARN do not go together, if they do not: the region is
/// unknown, or belongs to another partition than the ARN names.
pub(super) fn arn_region_problem(partition: &str, region: &str) -> Option<String> {
    match partition_of(region) {
        None => Some(format!(
            "names region {region}, which no AWS partition has ({})",
            partition_ids()
        )),
        Some(found) if found != partition => Some(format!(
            "names partition {partition}, and its region {region} is in partition {found}"
        )),
        Some(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions_resolve_to_their_partition() {
        for (region, partition) in [
            ("us-east-1", "aws"),
            ("eu-west-1", "aws"),
            ("ap-southeast-7", "aws"),
            ("mx-central-1", "aws"),
            // Not listed yet, and matched by the partition's regex: a new region works.
            ("ap-southeast-9", "aws"),
            ("eu-north-4", "aws"),
            ("cn-north-1", "aws-cn"),
            ("us-gov-west-1", "aws-us-gov"),
            ("us-iso-east-1", "aws-iso"),
            ("us-isob-east-1", "aws-iso-b"),
            ("eusc-de-east-1", "aws-eusc"),
            ("aws-global", "aws"),
        ] {
            assert_eq!(partition_of(region), Some(partition), "{region}");
        }
    }

    #[test]
    fn typos_are_no_region() {
        for bad in [
            "invalid-region-1",
            "us-east1",
            "useast-1",
            "US-EAST-1",
            "us-east-1a",
            "xx-east-1",
            "us--1",
            "",
            "us-east-1 ",
        ] {
            assert_eq!(partition_of(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn arn_regions_match_their_partition() {
        assert_eq!(arn_region_problem("aws", "us-east-1"), None);
        assert_eq!(arn_region_problem("aws-cn", "cn-northwest-1"), None);
        assert_eq!(
            arn_region_problem("aws", "cn-north-1").unwrap(),
            "names partition aws, and its region cn-north-1 is in partition aws-cn"
        );
        assert!(
            arn_region_problem("aws", "invalid-region-1")
                .unwrap()
                .starts_with("names region invalid-region-1, which no AWS partition has (aws, ")
        );
    }

    /// Every region the function reads follows the rule, and a typo stops the start naming
    /// the variable: the bus's (`AWS_EVENTBRIDGE_REGION`, the bus ARN's), AWS Glue's, the
    /// Secrets Manager secret ARN's.
    #[test]
    fn every_region_setting_follows_the_rule() {
        use crate::config::{Config, ConfigError};
        use crate::vars::*;
        const BUS: &str = "arn:aws:events:eu-west-1:123456789012:event-bus/b";
        let parse = |vars: &[(&'static str, &str)]| {
            let vars: Vec<_> = [(CONNECTOR_ID, "c"), (EVENTBUS_ARN, BUS)]
                .into_iter()
                .chain(vars.iter().copied())
                .collect();
            Config::from_lookup(|name| {
                vars.iter()
                    .rev()
                    .find(|(n, _)| *n == name)
                    .map(|(_, v)| (*v).to_owned())
            })
        };
        let refused = |vars: &[(&'static str, &str)]| match parse(vars) {
            Err(ConfigError::Invalid { var, rule, .. }) => (var, rule),
            other => panic!("{vars:?}: {other:?}"),
        };
        // A new region of a known partition starts.
        assert_eq!(
            parse(&[(REGION, "ap-southeast-9")]).unwrap().region(),
            "ap-southeast-9"
        );
        assert_eq!(
            parse(&[(
                EVENTBUS_ARN,
                "arn:aws-cn:events:cn-north-1:123456789012:event-bus/b"
            )])
            .unwrap()
            .region(),
            "cn-north-1"
        );
        let (var, rule) = refused(&[(REGION, "invalid-region-1")]);
        assert_eq!(var, REGION);
        assert!(
            rule.starts_with("must be an AWS region such as eu-west-1"),
            "{rule}"
        );
        let (var, rule) = refused(&[(
            EVENTBUS_ARN,
            "arn:aws:events:invalid-region-1:123456789012:event-bus/b",
        )]);
        assert_eq!(var, EVENTBUS_ARN);
        assert!(rule.starts_with("names region invalid-region-1"), "{rule}");
        let (var, rule) = refused(&[(
            EVENTBUS_ARN,
            "arn:aws:events:cn-north-1:123456789012:event-bus/b",
        )]);
        assert_eq!(var, EVENTBUS_ARN);
        assert!(rule.contains("is in partition aws-cn"), "{rule}");
        let (var, _) = refused(&[(SCHEMA_REGISTRY_GLUE_REGION, "eu-west1")]);
        assert_eq!(var, SCHEMA_REGISTRY_GLUE_REGION);
        let registry = [(SCHEMA_REGISTRY_URL, "https://registry.example")];
        let secret = |arn| [registry[0], (SCHEMA_REGISTRY_SECRET_ARN, arn)];
        assert!(
            parse(&secret(
                "arn:aws:secretsmanager:eu-west-1:123456789012:secret:s"
            ))
            .is_ok()
        );
        assert!(parse(&secret("registry-credentials")).is_ok());
        let (var, rule) = refused(&secret(
            "arn:aws:secretsmanager:invalid-region-1:123456789012:secret:s",
        ));
        assert_eq!(var, SCHEMA_REGISTRY_SECRET_ARN);
        assert!(rule.starts_with("names region invalid-region-1"), "{rule}");
    }

    /// The copy here is the SDK's: `scripts/sdk_partitions.py` (what `make partitions` runs)
    /// prints the metadata inside the `aws-sdk-eventbridge` crate this build resolved, and it
    /// parses to the same JSON. When it fails after an SDK update, `make partitions` refreshes
    /// the copy.
    #[test]
    fn the_partitions_are_the_sdks() {
        let root = env!("CARGO_MANIFEST_DIR");
        let output = std::process::Command::new("python3")
            .arg(format!("{root}/scripts/sdk_partitions.py"))
            .current_dir(root)
            .env("CARGO", env!("CARGO"))
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let sdk = String::from_utf8(output.stdout).unwrap();
        let ours: serde_json::Value =
            serde_json::from_str(include_str!("partitions.json")).unwrap();
        let theirs: serde_json::Value = serde_json::from_str(&sdk).unwrap();
        assert_eq!(
            ours, theirs,
            "src/config/partitions.json differs from the SDK's: run make partitions"
        );
        assert!(partitions(&sdk).unwrap().len() >= 3);
    }
}
