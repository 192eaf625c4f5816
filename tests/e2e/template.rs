//! The template's contract, read with SAM's own code (`scripts/template_contract.py`: SAM's
//! transform, the `--parameter-overrides` parser of `sam deploy`, the metadata parser of
//! `sam publish`):
//! - what `migrate` prints deploys: SAM reads its overrides back, every one is a parameter of
//!   the template within its constraints, and the template gives the function the environment
//!   `migrate` printed (the function parses both to the same configuration);
//! - every variable the template sets is one the function reads (the real binary warns on no
//!   other), and the alarms and the dashboard read metrics the function emits, in the namespace
//!   and with the dimension it writes;
//! - each topic gets a mapping with its consumer group and the filter patterns; the Serverless
//!   Application Repository metadata is what `sam publish` accepts and follows Cargo.toml.

use crate::support;

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;
use std::time::Duration;

use kafka_eventbridge_lambda::Config;
use serde_json::{Value, json};
use support::recorder::Recorder;
use support::{Data, Function, venv_bin};

const BIN: &str = env!("CARGO_BIN_EXE_kafka-eventbridge-lambda");
const MSK: &str =
    "arn:aws:kafka:us-east-1:123456789012:cluster/orders/0f3c2a10-7d1e-4b2a-9a51-3f0c9d1e2b44-2";

/// The connector README's examples, with the 12-digit account AWS requires.
fn readme_examples() -> Vec<(&'static str, String)> {
    ["readme-json", "readme-json-dlq", "readme-avro-glue"]
        .into_iter()
        .map(|name| (name, support::readme_example(name)))
        .collect()
}

/// Runs `scripts/template_contract.py` with `args`.
fn contract(args: &[&str]) -> Value {
    let output = Command::new(venv_bin().join("python"))
        .arg("scripts/template_contract.py")
        .args(args)
        .env("AWS_DEFAULT_REGION", "us-east-1")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "template_contract.py {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

/// The stack `params` give.
fn deploy(params: &BTreeMap<String, String>) -> Value {
    contract(&["deploy", &serde_json::to_string(params).unwrap()])
}

/// `migrate --output <output>` of `config` for an MSK cluster: stdout and exit code.
fn migrate(config: &str, output: &str) -> (String, i32) {
    support::migrate(config, &["--msk-cluster-arn", MSK, "--output", output])
}

/// The words a POSIX shell makes of `line` (bash itself splits them).
fn shell_words(line: &str) -> Vec<String> {
    let output = Command::new("bash")
        .args(["-c", &format!("printf '%s\\0' {line}")])
        .output()
        .unwrap();
    assert!(output.status.success());
    String::from_utf8(output.stdout)
        .unwrap()
        .split_terminator('\0')
        .map(str::to_owned)
        .collect()
}

/// A variable map as text (the template's numbers as the function reads them).
fn text_map(value: &Value) -> BTreeMap<String, String> {
    value
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| {
            (
                k.clone(),
                v.as_str().map_or_else(|| v.to_string(), str::to_owned),
            )
        })
        .collect()
}

/// The configuration the function parses from `env`, as text.
fn parsed(env: &BTreeMap<String, String>) -> String {
    format!(
        "{:?}",
        Config::from_lookup(|name| env.get(name).cloned()).unwrap()
    )
}

#[test]
fn what_migrate_prints_deploys_as_the_same_configuration() {
    for (name, config) in readme_examples() {
        let (sam_line, code) = migrate(&config, "sam");
        assert_eq!(code, 0, "{name}");
        // What SAM's own parser reads of the words a shell passes it.
        let words = shell_words(sam_line.trim());
        let words: Vec<&str> = words.iter().map(String::as_str).collect();
        let mut args = vec!["overrides"];
        args.extend(&words);
        let params: BTreeMap<String, String> = text_map(&contract(&args));
        let (json_text, _) = migrate(&config, "json");
        let migrated: Value = serde_json::from_str(&json_text).unwrap();
        assert_eq!(
            params,
            text_map(&migrated["parameters"]),
            "{name}: SAM reads the overrides as printed"
        );
        let stack = deploy(&params);
        assert_eq!(stack["constraintFailures"], json!([]), "{name}");
        assert_eq!(stack["missingParameters"], json!([]), "{name}");
        let deployed = text_map(&stack["environment"]);
        let printed = text_map(&migrated["environment"]);
        for (var, value) in &printed {
            assert_eq!(deployed.get(var), Some(value), "{name}: {var}");
        }
        assert_eq!(parsed(&deployed), parsed(&printed), "{name}");
        // One mapping per topic, the first in the connector's group.
        let mappings = stack["eventSourceMappings"].as_array().unwrap();
        let topics: Vec<&str> = mappings
            .iter()
            .map(|m| m["topics"][0].as_str().unwrap())
            .collect();
        let groups: Vec<&str> = mappings
            .iter()
            .map(|m| m["consumerGroupId"].as_str().unwrap())
            .collect();
        match name {
            "readme-avro-glue" => {
                assert_eq!(topics, ["avro-topic-1", "avro-topic-2"]);
                assert_eq!(
                    groups,
                    [
                        "connect-EventBridgeSink-Avro",
                        "connect-EventBridgeSink-Avro-avro-topic-2"
                    ]
                );
            }
            _ => {
                assert_eq!(topics, ["json-values-topic"]);
                assert_eq!(groups, ["connect-EventBridgeSink-Json"]);
            }
        }
        let destination = if name == "readme-json-dlq" {
            "kafka://json-dlq"
        } else {
            "<FailedRecordsQueue.Arn>"
        };
        assert!(
            mappings.iter().all(|m| m["destination"] == destination),
            "{name}"
        );
        assert!(mappings.iter().all(|m| m["msk"] == true));
    }
}

/// The smallest parameters of a deployment, plus `extra`.
fn params(extra: &[(&str, &str)]) -> BTreeMap<String, String> {
    let mut params: BTreeMap<String, String> = [
        ("ConnectorId", "orders"),
        (
            "EventBusArn",
            "arn:aws:events:us-east-1:123456789012:event-bus/orders",
        ),
        ("Topic", "orders.v1"),
        ("MskClusterArn", MSK),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    for (k, v) in extra {
        params.insert((*k).to_owned(), (*v).to_owned());
    }
    params
}

#[test]
fn every_topic_gets_a_mapping_with_the_filters_and_the_iam_to_read_it() {
    let filters = [
        r#"{"value":{"type":["order"]}}"#,
        r#"{"value":[{"anything-but":["heartbeat"]}]}"#,
    ];
    let stack = deploy(&params(&[
        ("MoreTopics", "b,c,d,e"),
        ("FilterPattern1", filters[0]),
        ("FilterPattern3", filters[1]),
    ]));
    assert_eq!(stack["constraintFailures"], json!([]));
    let mappings = stack["eventSourceMappings"].as_array().unwrap();
    assert_eq!(mappings.len(), 5);
    for (mapping, topic) in mappings.iter().zip(["orders.v1", "b", "c", "d", "e"]) {
        assert_eq!(mapping["topics"], json!([topic]));
        assert_eq!(mapping["filters"], json!(filters), "{topic}");
    }
    // The execution role may read each topic and use each group (MSK IAM authentication).
    let policies = stack["policies"].to_string();
    for topic in ["orders.v1", "b", "e"] {
        assert!(
            policies.contains(&format!("/{topic}\"")),
            "{topic}: {policies}"
        );
    }
    assert!(policies.contains("/kafka-eventbridge-lambda-e\""));
    // No pattern: no FilterCriteria; a pattern that is not a JSON object is refused.
    let plain = deploy(&params(&[]));
    assert_eq!(plain["eventSourceMappings"][0]["filters"], json!([]));
    let bad = deploy(&params(&[("FilterPattern2", "type = order")]));
    assert_eq!(bad["constraintFailures"].as_array().unwrap().len(), 1);
}

/// The role may run the pre-flight checks of `{"preflight": true}`, read-only and no more: the
/// bus always, the endpoints and the bucket only when configured.
#[test]
fn the_role_may_run_the_preflight_checks_and_no_more() {
    let statements = |stack: &Value| -> Vec<Value> {
        stack["policies"]
            .as_object()
            .unwrap()
            .values()
            .flat_map(|policies| policies.as_array().unwrap().clone())
            .flat_map(|p| p["PolicyDocument"]["Statement"].as_array().unwrap().clone())
            .filter(|s| {
                s["Sid"]
                    .as_str()
                    .is_some_and(|sid| sid.starts_with("Preflight"))
            })
            .collect()
    };
    let plain = statements(&deploy(&params(&[])));
    assert_eq!(plain.len(), 1, "{plain:?}");
    assert_eq!(plain[0]["Action"], "events:DescribeEventBus");
    assert_eq!(
        plain[0]["Resource"],
        "arn:aws:events:us-east-1:123456789012:event-bus/orders"
    );
    let all = statements(&deploy(&params(&[
        ("GlobalEndpointId", "abcde.veo"),
        ("OffloadBucket", "orders-offload"),
    ])));
    let actions: Vec<&str> = all.iter().map(|s| s["Action"].as_str().unwrap()).collect();
    assert_eq!(
        actions,
        [
            "events:DescribeEventBus",
            "events:ListEndpoints",
            "s3:ListBucket"
        ]
    );
    assert_eq!(all[2]["Resource"], "arn:aws:s3:::orders-offload");
}

#[test]
fn the_template_sets_only_variables_the_function_reads() {
    let stack = deploy(&params(&[("TimeMapper", "record-timestamp")]));
    let env = text_map(&stack["environment"]);
    let output = Command::new(BIN)
        .env_clear()
        .envs(&env)
        .env("AWS_LAMBDA_LOG_LEVEL", "WARN")
        .args(["render", "--event", "events/msk.json"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(!stderr.contains("Unknown AWS_EVENTBRIDGE_"), "{stderr}");
    // The numbers the template writes parse as the function reads them.
    parsed(&env);
}

/// The metric names (per namespace) of the EMF documents in the function's log.
fn emitted(log: &str) -> BTreeMap<String, BTreeSet<(String, Vec<String>)>> {
    let mut out: BTreeMap<String, BTreeSet<(String, Vec<String>)>> = BTreeMap::new();
    for line in log.lines() {
        let Ok(document) = serde_json::from_str::<Value>(line) else {
            continue;
        };
        for directive in document["_aws"]["CloudWatchMetrics"]
            .as_array()
            .into_iter()
            .flatten()
        {
            let namespace = directive["Namespace"].as_str().unwrap().to_owned();
            let dimensions: Vec<String> = directive["Dimensions"][0]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| d.as_str().unwrap().to_owned())
                .collect();
            for metric in directive["Metrics"].as_array().unwrap() {
                let name = metric["Name"].as_str().unwrap().to_owned();
                out.entry(namespace.clone())
                    .or_default()
                    .insert((name, dimensions.clone()));
            }
        }
    }
    out
}

/// Lambda's own metrics the alarms and dashboard read.
const LAMBDA_METRICS: [&str; 4] = ["OffsetLag", "Errors", "Throttles", "Duration"];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alarms_and_dashboard_read_the_metrics_the_function_emits() {
    let topic = "arn:aws:sns:us-east-1:123456789012:oncall";
    let stack = deploy(&params(&[
        ("MetricsNamespace", "Team/Kafka"),
        ("AlarmTopicArn", topic),
    ]));
    // The function, with the environment the template gives it, against a recording server.
    let recorder = Recorder::start(Duration::ZERO).await;
    let mut env: Vec<(String, String)> = text_map(&stack["environment"]).into_iter().collect();
    env.extend([
        ("AWS_ACCESS_KEY_ID".into(), "test".into()),
        ("AWS_SECRET_ACCESS_KEY".into(), "test".into()),
        ("AWS_REGION".into(), "us-east-1".into()),
        (
            "AWS_ENDPOINT_URL".into(),
            recorder.endpoint.as_str().to_owned(),
        ),
    ]);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let function = Function::start_with_env(&env);
    function.invoke(Data::File("events/msk.json")).unwrap();
    let emitted = emitted(&function.log_when(0, support::has_metrics));
    let ours = &emitted["Team/Kafka"];
    // Every metric the function emits is documented by its full name.
    let operations =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/operations.md"))
            .unwrap();
    for (metric, _) in ours {
        assert!(
            operations.contains(&format!("`{metric}`")),
            "docs/operations.md does not document {metric}"
        );
    }
    let connector = vec!["ConnectorId".to_owned()];

    let alarms = stack["alarms"].as_array().unwrap();
    let names: BTreeSet<&str> = alarms
        .iter()
        .map(|a| a["MetricName"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        BTreeSet::from(["RecordsFailed", "ThrottledCalls", "OffsetLag", "Errors"])
    );
    for alarm in alarms {
        let metric = alarm["MetricName"].as_str().unwrap().to_owned();
        if alarm["Namespace"] == "Team/Kafka" {
            assert!(
                ours.contains(&(metric.clone(), connector.clone())),
                "{metric}"
            );
            assert_eq!(
                alarm["Dimensions"],
                json!([{"Name": "ConnectorId", "Value": "orders"}])
            );
        } else {
            assert_eq!(alarm["Namespace"], "AWS/Lambda");
            assert!(LAMBDA_METRICS.contains(&metric.as_str()), "{metric}");
            assert_eq!(alarm["Dimensions"][0]["Name"], "FunctionName");
        }
        assert_eq!(alarm["AlarmActions"], json!([topic]));
        assert_eq!(alarm["OKActions"], json!([topic]));
    }

    let dashboards = stack["dashboards"].as_array().unwrap();
    assert_eq!(dashboards.len(), 1);
    let mut seen = 0;
    for widget in dashboards[0]["widgets"].as_array().unwrap() {
        let mut previous: Vec<Value> = Vec::new();
        for row in widget["properties"]["metrics"].as_array().unwrap() {
            // "." repeats the row above's item.
            let row: Vec<Value> = row
                .as_array()
                .unwrap()
                .iter()
                .enumerate()
                .map(|(i, item)| {
                    if item == "." {
                        previous[i].clone()
                    } else {
                        item.clone()
                    }
                })
                .collect();
            let (namespace, metric) = (row[0].as_str().unwrap(), row[1].as_str().unwrap());
            if namespace == "Team/Kafka" {
                assert!(
                    ours.contains(&(metric.to_owned(), connector.clone())),
                    "{metric}"
                );
                assert_eq!(
                    (&row[2], &row[3]),
                    (&json!("ConnectorId"), &json!("orders"))
                );
            } else {
                assert_eq!(namespace, "AWS/Lambda");
                assert!(LAMBDA_METRICS.contains(&metric), "{metric}");
            }
            seen += 1;
            previous = row;
        }
    }
    assert!(seen >= 10, "{seen} metrics on the dashboard");

    // Off: neither alarms nor dashboard; on without a topic: alarms without actions.
    let off = deploy(&params(&[("Alarms", "false"), ("Dashboard", "false")]));
    assert_eq!(
        (off["alarms"].clone(), off["dashboards"].clone()),
        (json!([]), json!([]))
    );
    let quiet = deploy(&params(&[]));
    assert!(
        quiet["alarms"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a.get("AlarmActions").is_none())
    );
}

#[test]
fn the_serverless_application_repository_metadata_is_what_sam_publish_takes() {
    let sar = contract(&["sar"]);
    assert_eq!(sar["refused"], json!([]));
    let metadata = &sar["metadata"];
    assert_eq!(metadata["SemanticVersion"], env!("CARGO_PKG_VERSION"));
    assert_eq!(metadata["SpdxLicenseId"], env!("CARGO_PKG_LICENSE"));
    assert_eq!(metadata["SourceCodeUrl"], env!("CARGO_PKG_REPOSITORY"));
    assert_eq!(metadata["Name"], env!("CARGO_PKG_NAME"));
    for file in ["LicenseUrl", "ReadmeUrl"] {
        let path = metadata[file].as_str().unwrap();
        assert!(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join(path)
                .is_file(),
            "{file}: {path}"
        );
    }
    // The limits of the repository's CreateApplication.
    assert!(metadata["Description"].as_str().unwrap().len() <= 256);
    let labels = metadata["Labels"].as_array().unwrap();
    assert!(labels.len() <= 10);
}

/// The configuration reference (`config --json` of the real binary).
fn reference() -> Vec<Value> {
    let output = Command::new(BIN)
        .args(["config", "--json"])
        .output()
        .unwrap();
    assert!(output.status.success());
    match serde_json::from_slice::<Value>(&output.stdout).unwrap() {
        Value::Array(settings) => settings,
        other => panic!("config --json is not an array: {other}"),
    }
}

/// Each variable the template sets reads the parameter the reference names for it, and each
/// variable the reference gives a parameter is set from it; a variable without one has a
/// reason and is not set. Each such parameter declares what the parser accepts: its allowed
/// values are the reference's choices, its bounds the reference's range, its default the
/// function's.
#[test]
fn the_template_parameters_are_the_references() {
    let facts = contract(&["parameters"]);
    let (declared, environment) = (&facts["parameters"], &facts["environment"]);
    let reference = reference();
    let mut problems = Vec::new();
    for setting in &reference {
        let var = setting["var"].as_str().unwrap();
        let set_from = environment.get(var).map(|refs| {
            refs.as_array()
                .unwrap()
                .iter()
                .map(|r| r.as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        });
        let Some(parameter) = setting["parameter"].as_str() else {
            assert!(
                setting["not_in_template"]
                    .as_str()
                    .is_some_and(|why| !why.is_empty())
            );
            if set_from.is_some() {
                problems.push(format!(
                    "{var}: set by the template, but the reference says why not"
                ));
            }
            continue;
        };
        match set_from {
            Some(refs) if refs.contains(&parameter.to_owned()) => {}
            other => problems.push(format!("{var}: set from {other:?}, not from {parameter}")),
        }
        let Some(declaration) = declared.get(parameter) else {
            problems.push(format!("{var}: no parameter {parameter}"));
            continue;
        };
        if let Some(choices) = setting["choices"].as_array() {
            let want: BTreeSet<&str> = choices.iter().map(|c| c.as_str().unwrap()).collect();
            let allowed: BTreeSet<&str> = declaration["AllowedValues"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .filter(|v| !v.is_empty())
                        .collect()
                })
                .unwrap_or_default();
            if allowed != want {
                problems.push(format!(
                    "{parameter}: allows {allowed:?}, the function {want:?}"
                ));
            }
        }
        if let Some(range) = setting["range"].as_array() {
            let bounds = [&declaration["MinValue"], &declaration["MaxValue"]].map(|b| {
                b.as_u64()
                    .or_else(|| b.as_str().and_then(|s| s.parse().ok()))
            });
            if bounds != [range[0].as_u64(), range[1].as_u64()] {
                problems.push(format!(
                    "{parameter}: bounds {bounds:?}, the function {range:?}"
                ));
            }
        }
        let default = match &declaration["Default"] {
            Value::String(s) => s.clone(),
            Value::Null => String::new(),
            other => other.to_string(),
        };
        if !default.is_empty() && setting["default"].as_str() != Some(default.as_str()) {
            problems.push(format!(
                "{parameter}: default {default:?}, the function's {}",
                setting["default"]
            ));
        }
    }
    for var in environment.as_object().unwrap().keys() {
        if var.starts_with("AWS_EVENTBRIDGE_")
            && !reference.iter().any(|s| s["var"] == var.as_str())
        {
            problems.push(format!("{var}: set by the template, not in the reference"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The parameters and version of a snippet that deploys the published application: they are
/// parameters of the template, the required ones among them, and the crate's version.
fn check_snippet(
    what: &str,
    declared: &BTreeSet<String>,
    parameters: &BTreeSet<String>,
    version: &str,
) {
    let unknown: Vec<_> = parameters.difference(declared).collect();
    assert!(
        unknown.is_empty(),
        "{what}: not parameters of the template: {unknown:?}"
    );
    for required in ["ConnectorId", "EventBusArn"] {
        assert!(parameters.contains(required), "{what}: no {required}");
    }
    assert_eq!(version, env!("CARGO_PKG_VERSION"), "{what}: the version");
}

/// docs/deploy.md's CDK app, synthesized offline with aws-cdk-lib (`make test` runs `npm ci`
/// in docs/examples/cdk), and its Terraform configuration, read as text (applying either needs
/// an AWS account): both deploy the published application with the template's parameters.
#[test]
fn the_cdk_and_terraform_snippets_deploy_the_published_application() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let output = Command::new("node")
        .arg("app.js")
        .current_dir(root.join("docs/examples/cdk"))
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "node app.js: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let synthesized: Value = serde_json::from_slice(&output.stdout).unwrap();
    let apps: Vec<&Value> = synthesized["Resources"]
        .as_object()
        .unwrap()
        .values()
        .filter(|r| r["Type"] == "AWS::Serverless::Application")
        .collect();
    assert_eq!(apps.len(), 1, "{synthesized}");
    let properties = &apps[0]["Properties"];
    let parameters = properties["Parameters"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    let version = properties["Location"]["SemanticVersion"].as_str().unwrap();
    let declared: BTreeSet<String> = contract(&["parameters"])["parameters"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    check_snippet("the CDK app", &declared, &parameters, version);

    let terraform = std::fs::read_to_string(root.join("docs/examples/terraform/main.tf")).unwrap();
    let block = terraform.split("parameters = {").nth(1).unwrap();
    let block = &block[..block.find('}').unwrap()];
    let parameters = block
        .lines()
        .filter_map(|l| l.split_once('=').map(|(name, _)| name.trim().to_owned()))
        .filter(|name| !name.is_empty() && !name.starts_with('#'))
        .collect();
    let version = terraform
        .lines()
        .find_map(|l| l.trim().strip_prefix("semantic_version"))
        .and_then(|l| l.split('"').nth(1))
        .unwrap();
    check_snippet(
        "the Terraform configuration",
        &declared,
        &parameters,
        version,
    );
}
