//! The reference against the parsers: each default parses as unset does, each list of choices
//! and each range is the parser's own, and `docs/configuration.md` is the generated text.

use std::collections::{BTreeSet, HashMap};

use super::*;
use crate::config::{Config, ConfigError};

/// The settings a variable is tried against: a classic bus, a Custom Event Bus (ordering
/// settings), and a classic bus with offloading on (offload settings).
const BASES: [&[(&str, &str)]; 3] = [
    &[
        (CONNECTOR_ID, "c1"),
        (
            EVENTBUS_ARN,
            "arn:aws:events:us-east-1:123456789012:event-bus/b",
        ),
    ],
    &[
        (CONNECTOR_ID, "c1"),
        (
            EVENTBUS_ARN,
            "arn:aws:events:us-east-1:123456789012:event-busv2/b/0123456789abcdefghijklmno",
        ),
    ],
    &[
        (CONNECTOR_ID, "c1"),
        (
            EVENTBUS_ARN,
            "arn:aws:events:us-east-1:123456789012:event-bus/b",
        ),
        (OFFLOAD_BUCKET, "bucket"),
    ],
];

fn parse(base: &[(&str, &str)], extra: Option<(&str, &str)>) -> Result<Config, ConfigError> {
    let vars: HashMap<&str, &str> = base.iter().copied().chain(extra).collect();
    Config::from_lookup(|name| vars.get(name).map(|v| (*v).to_owned()))
}

/// The results of `var`=`value` over each base whose own configuration is valid.
fn tried(var: &'static str, value: &str) -> Vec<(Config, Result<Config, ConfigError>)> {
    BASES
        .iter()
        .filter_map(|base| Some((parse(base, None).ok()?, parse(base, Some((var, value))))))
        .collect()
}

#[test]
fn each_variable_is_in_the_reference_once() {
    let vars: BTreeSet<&str> = SETTINGS.iter().map(|s| s.var).collect();
    assert_eq!(vars.len(), SETTINGS.len(), "a variable listed twice");
    assert!(vars.iter().all(|v| v.starts_with(VAR_PREFIX)));
    for section in Section::ALL {
        assert!(SETTINGS.iter().any(|s| s.section == section), "{section:?}");
    }
}

#[test]
fn each_default_parses_as_unset_does() {
    for s in SETTINGS {
        let value = match s.default {
            Unset::Value(v) => v.to_owned(),
            Unset::Number(n) => n.to_string(),
            Unset::Required => {
                let base: Vec<_> = BASES[0]
                    .iter()
                    .filter(|(k, _)| *k != s.var)
                    .copied()
                    .collect();
                assert!(
                    matches!(parse(&base, None), Err(ConfigError::Missing { var, .. }) if var == s.var),
                    "{} is required",
                    s.var
                );
                continue;
            }
            Unset::Otherwise(_) => continue,
        };
        let same = tried(s.var, &value)
            .into_iter()
            .any(|(unset, set)| set.is_ok_and(|set| format!("{set:?}") == format!("{unset:?}")));
        assert!(same, "{}={value:?} is not what unset gives", s.var);
    }
}

#[test]
fn each_list_of_choices_is_the_parsers() {
    for s in SETTINGS {
        let Accepts::Choice(names) = s.accepts else {
            continue;
        };
        for name in names {
            let ok = tried(s.var, name).into_iter().any(|(_, set)| {
                // `jsonpath` needs its field; that it asks for it is the parser's answer.
                set.is_ok() || matches!(set, Err(ConfigError::Missing { var, .. }) if var != s.var)
            });
            assert!(ok, "{}={name} is refused", s.var);
        }
        let (last, rest) = names.split_last().unwrap();
        let rule = if rest.is_empty() {
            format!("must be {last}")
        } else {
            format!("must be {} or {last}", rest.join(", "))
        };
        let refused = tried(s.var, "no-such-choice").into_iter().any(|(_, set)| {
            matches!(set, Err(ConfigError::Invalid { var, rule: r, .. }) if var == s.var && r == rule)
        });
        assert!(refused, "{} does not refuse with {rule:?}", s.var);
    }
}

#[test]
fn each_range_is_the_parsers() {
    for s in SETTINGS {
        let Accepts::Range(min, max) = s.accepts else {
            continue;
        };
        for n in [min, max] {
            let ok = tried(s.var, &n.to_string())
                .into_iter()
                .any(|(_, set)| set.is_ok());
            assert!(ok, "{}={n} is refused", s.var);
        }
        let rule = format!("must be a whole number from {min} to {max}");
        let mut outside = vec![max + 1];
        outside.extend(min.checked_sub(1));
        for n in outside {
            let refused = tried(s.var, &n.to_string()).into_iter().any(|(_, set)| {
                matches!(set, Err(ConfigError::Invalid { var, rule: r, .. }) if var == s.var && r == rule)
            });
            assert!(refused, "{}={n} is not refused with {rule:?}", s.var);
        }
    }
}

#[test]
fn unknown_variables_are_named_with_the_closest_known_one() {
    let names = [
        "AWS_EVENTBRIDGE_RETRY_MAX",
        "AWS_EVENTBRIDGE_RETRIES_MAX",
        "AWS_EVENTBRIDGE_EVENTBUS_ARM",
        "AWS_REGION",
        "AWS_EVENTBRIDGE_IAM_PROFILE_NAME",
    ]
    .map(String::from);
    assert_eq!(
        unknown_vars(names),
        vec![
            UnknownVar {
                name: "AWS_EVENTBRIDGE_RETRY_MAX".into(),
                closest: RETRIES_MAX,
            },
            UnknownVar {
                name: "AWS_EVENTBRIDGE_EVENTBUS_ARM".into(),
                closest: EVENTBUS_ARN,
            },
        ]
    );
}

/// `docs/configuration.md` is `config --markdown`: `make docs` writes it.
#[test]
fn the_configuration_page_is_generated_from_the_reference() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/configuration.md");
    let page = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        page == config_markdown(),
        "docs/configuration.md differs from the reference: run `make docs`"
    );
}

/// Every `AWS_EVENTBRIDGE_*` name the docs, the template and the code's messages write is a
/// variable of the reference (or the prefix itself, as in `AWS_EVENTBRIDGE_*`).
#[test]
fn every_variable_named_anywhere_is_in_the_reference() {
    let root = env!("CARGO_MANIFEST_DIR");
    let mut files = vec![
        format!("{root}/README.md"),
        format!("{root}/ARCHITECTURE.md"),
        format!("{root}/template.yaml"),
    ];
    for dir in ["docs", "src", "src/config"] {
        for entry in std::fs::read_dir(format!("{root}/{dir}")).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "md" || e == "rs") {
                files.push(path.display().to_string());
            }
        }
    }
    let known: BTreeSet<&str> = SETTINGS.iter().map(|s| s.var).collect();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        for (at, _) in text.match_indices(VAR_PREFIX) {
            let name: String = text[at..]
                .chars()
                .take_while(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || *c == '_')
                .collect();
            // A family, as in `AWS_EVENTBRIDGE_IAM_*`, or the unknown name of a WARN line shown
            // as an example (`variable=AWS_EVENTBRIDGE_RETRY_MAX closest=…`).
            if text[at + name.len()..].starts_with('*') || text[..at].ends_with("variable=") {
                continue;
            }
            let name = name.trim_end_matches('_');
            assert!(
                name == VAR_PREFIX.trim_end_matches('_') || known.contains(name),
                "{file} names {name}, which the function does not read"
            );
        }
    }
}
