//! `preflight` through the real binary against moto (EventBridge, S3, Secrets Manager, Glue)
//! and a closed port: a passing run, and one run per failing check, each naming what is
//! missing; the exit codes; the JSON report. moto has no `ListEndpoints`: the global endpoint
//! check is not run against it.

use std::process::Command;

use crate::support;

use serde_json::Value;
use support::Moto;

/// Runs `preflight` with `args` and exactly `env` (plus moto's endpoint and test keys when
/// `moto` is given): its exit code and stdout.
fn preflight(moto: Option<&Moto>, env: &[(&str, &str)], args: &[&str]) -> (i32, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_kafka-eventbridge-lambda"));
    command
        .env_clear()
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_EVENTBRIDGE_CONNECTOR_ID", "preflight")
        .arg("preflight")
        .args(args);
    if let Some(moto) = moto {
        command
            .env("AWS_ACCESS_KEY_ID", "test")
            .env("AWS_SECRET_ACCESS_KEY", "test")
            .env("AWS_ENDPOINT_URL", &moto.endpoint);
    }
    let output = command
        .envs(env.iter().copied())
        .output()
        .expect("the binary runs");
    let stdout = String::from_utf8(output.stdout).expect("UTF-8");
    (output.status.code().expect("an exit code"), stdout)
}

/// The line of `check` in a text report.
fn line<'a>(report: &'a str, check: &str) -> &'a str {
    report
        .lines()
        .find(|l| l[5..].starts_with(&format!("{check}:")))
        .unwrap_or_else(|| panic!("no {check} line in:\n{report}"))
}

const MISSING_BUS: &str = "arn:aws:events:us-east-1:123456789012:event-bus/not-there";

#[tokio::test(flavor = "multi_thread")]
async fn a_deployment_that_is_right_passes() {
    let moto = Moto::start();
    let bus = moto.bus_to_queue("preflight").await;
    moto.create_bucket("preflight-offload").await;
    let env = [
        ("AWS_EVENTBRIDGE_EVENTBUS_ARN", bus.bus_arn.as_str()),
        (
            "AWS_EVENTBRIDGE_OFFLOADING_DEFAULT_S3_BUCKET",
            "preflight-offload",
        ),
        (
            "AWS_EVENTBRIDGE_OFFLOADING_DEFAULT_S3_ENDPOINT_URI",
            moto.endpoint.as_str(),
        ),
    ];
    let (code, report) = preflight(Some(&moto), &env, &["--write"]);
    assert_eq!(code, 0, "{report}");
    assert!(line(&report, "credentials").starts_with("PASS"), "{report}");
    assert!(line(&report, "event bus").starts_with("PASS"), "{report}");
    assert!(
        line(&report, "offload bucket").contains("put and deleted"),
        "{report}"
    );
    assert!(
        line(&report, "global endpoint").starts_with("SKIP"),
        "{report}"
    );
    assert!(
        line(&report, "schema registry").starts_with("SKIP"),
        "{report}"
    );
    // The probe left nothing behind.
    let objects = moto
        .s3()
        .list_objects_v2()
        .bucket("preflight-offload")
        .send()
        .await
        .unwrap();
    assert_eq!(objects.key_count(), Some(0));
    // With a role to assume (and an external id), the credentials are the role's.
    let role = "arn:aws:iam::123456789012:role/preflight-writer";
    let mut with_role = env.to_vec();
    with_role.extend([
        ("AWS_EVENTBRIDGE_IAM_ROLE_ARN", role),
        ("AWS_EVENTBRIDGE_IAM_EXTERNAL_ID", "ext-1"),
    ]);
    let (code, report) = preflight(Some(&moto), &with_role, &[]);
    assert_eq!(code, 0, "{report}");
    assert_eq!(
        line(&report, "credentials"),
        format!("PASS credentials: resolved; role {role} assumed")
    );
    // The same report as JSON, for scripts.
    let (code, json) = preflight(Some(&moto), &env, &["--output", "json"]);
    assert_eq!(code, 0);
    let json: Value = serde_json::from_str(&json).unwrap();
    let checks = json["checks"].as_array().unwrap();
    assert!(
        checks
            .iter()
            .any(|c| c["check"] == "event bus" && c["status"] == "passed")
    );
    assert!(
        checks
            .iter()
            .any(|c| c["check"] == "global endpoint" && c["status"] == "not-checked")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn each_failing_check_names_what_is_missing() {
    let moto = Moto::start();
    let bus = moto.bus_to_queue("preflight-fail").await;
    let bus_arn = bus.bus_arn.as_str();
    // No bus.
    let (code, report) = preflight(
        Some(&moto),
        &[("AWS_EVENTBRIDGE_EVENTBUS_ARN", MISSING_BUS)],
        &[],
    );
    assert_eq!(code, 1, "{report}");
    let failed = line(&report, "event bus");
    assert!(
        failed.starts_with("FAIL") && failed.contains(MISSING_BUS) && failed.contains("create it"),
        "{report}"
    );
    // No bucket.
    let env = [
        ("AWS_EVENTBRIDGE_EVENTBUS_ARN", bus_arn),
        (
            "AWS_EVENTBRIDGE_OFFLOADING_DEFAULT_S3_BUCKET",
            "no-such-bucket",
        ),
        (
            "AWS_EVENTBRIDGE_OFFLOADING_DEFAULT_S3_ENDPOINT_URI",
            moto.endpoint.as_str(),
        ),
    ];
    let (code, report) = preflight(Some(&moto), &env, &[]);
    assert_eq!(code, 1, "{report}");
    assert!(
        line(&report, "offload bucket").contains("no bucket no-such-bucket"),
        "{report}"
    );
    assert!(line(&report, "event bus").starts_with("PASS"), "{report}");
    // A registry nobody answers, and a secret that is not there.
    let closed = format!("http://127.0.0.1:{}", support::free_port());
    let secret = "arn:aws:secretsmanager:us-east-1:123456789012:secret:registry-AbCdEf";
    let env = [
        ("AWS_EVENTBRIDGE_EVENTBUS_ARN", bus_arn),
        ("AWS_EVENTBRIDGE_VALUE_FORMAT", "avro"),
        ("AWS_EVENTBRIDGE_SCHEMA_REGISTRY_URL", closed.as_str()),
        ("AWS_EVENTBRIDGE_SCHEMA_REGISTRY_SECRET_ARN", secret),
        ("AWS_EVENTBRIDGE_RETRIES_MAX", "0"),
    ];
    let (code, report) = preflight(Some(&moto), &env, &[]);
    assert_eq!(code, 1, "{report}");
    let registry = line(&report, "schema registry");
    assert!(
        registry.starts_with("FAIL") && registry.contains("127.0.0.1"),
        "{report}"
    );
    let secret_line = line(&report, "registry secret");
    assert!(
        secret_line.starts_with("FAIL") && secret_line.contains(secret),
        "{report}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn no_credentials_and_a_bad_configuration() {
    let (code, report) = preflight(None, &[("AWS_EVENTBRIDGE_EVENTBUS_ARN", MISSING_BUS)], &[]);
    assert_eq!(code, 1, "{report}");
    assert!(line(&report, "credentials").starts_with("FAIL"), "{report}");
    assert!(
        line(&report, "event bus").contains("no credentials"),
        "{report}"
    );
    let (code, report) = preflight(None, &[("AWS_EVENTBRIDGE_EVENTBUS_ARN", "not-an-arn")], &[]);
    assert_eq!((code, report.as_str()), (2, ""));
}

/// The deployed function answers `{"preflight": true}` with the report of its own checks (its
/// role, its network), reads and sends nothing; a Kafka event that carries `preflight` is a
/// Kafka event.
#[tokio::test(flavor = "multi_thread")]
async fn the_function_answers_a_preflight_request() {
    let (moto, bus, function) =
        support::deploy("preflightfn", &[("AWS_EVENTBRIDGE_CONNECTOR_ID", "e2e")]).await;
    let answer = function
        .invoke(support::Data::Ascii(r#"{"preflight": true}"#))
        .unwrap();
    assert_eq!(answer["preflight"]["passed"], true, "{answer}");
    let checks = answer["preflight"]["checks"].as_array().unwrap();
    assert!(
        checks
            .iter()
            .any(|c| c["check"] == "event bus" && c["status"] == "passed"),
        "{answer}"
    );
    let event = serde_json::json!({"eventSource": "aws:kafka", "preflight": true,
        "records": {"t-0": [support::events::record("t", 0, 1, None, Some("{}"))]}});
    let response = function
        .invoke(support::Data::Ascii(&event.to_string()))
        .unwrap();
    assert_eq!(response, serde_json::json!({"batchItemFailures": []}));
    assert_eq!(
        bus.events(1).await.len(),
        1,
        "only the Kafka event's record"
    );
    // A function whose bus is not there says so, and still starts.
    let missing = support::Function::start(
        &moto,
        &[
            ("AWS_EVENTBRIDGE_CONNECTOR_ID", "e2e"),
            ("AWS_EVENTBRIDGE_EVENTBUS_ARN", MISSING_BUS),
        ],
    );
    let answer = missing
        .invoke(support::Data::Ascii(r#"{"preflight": true}"#))
        .unwrap();
    assert_eq!(answer["preflight"]["passed"], false, "{answer}");
    let bus_check = checks_named(&answer, "event bus");
    assert_eq!(bus_check["status"], "failed");
    assert!(
        bus_check["detail"].as_str().unwrap().contains(MISSING_BUS),
        "{answer}"
    );
}

fn checks_named<'a>(answer: &'a Value, check: &str) -> &'a Value {
    answer["preflight"]["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["check"] == check)
        .unwrap_or_else(|| panic!("no {check} in {answer}"))
}

/// IAM's answer to `SimulatePrincipalPolicy` for the action named in the request: `allowed`
/// for `events:PutEvents`, `implicitDeny` for anything else.
async fn simulate(request: hyper::Request<hyper::body::Incoming>) -> support::http::Reply {
    use http_body_util::BodyExt as _;
    let body = request.into_body().collect().await.unwrap().to_bytes();
    let form: std::collections::HashMap<String, String> =
        form_urlencoded::parse(&body).into_owned().collect();
    assert_eq!(form["Action"], "SimulatePrincipalPolicy");
    assert_eq!(
        form["PolicySourceArn"], "arn:aws:iam::123456789012:user/moto",
        "the caller's own principal"
    );
    let action = &form["ActionNames.member.1"];
    let decision = if action == "events:PutEvents" {
        "allowed"
    } else {
        "implicitDeny"
    };
    let xml = format!(
        r#"<SimulatePrincipalPolicyResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">
<SimulatePrincipalPolicyResult><IsTruncated>false</IsTruncated><EvaluationResults><member>
<EvalActionName>{action}</EvalActionName><EvalResourceName>{}</EvalResourceName>
<EvalDecision>{decision}</EvalDecision><MatchedStatements/><MissingContextValues/>
</member></EvaluationResults></SimulatePrincipalPolicyResult>
<ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></SimulatePrincipalPolicyResponse>"#,
        form["ResourceArns.member.1"]
    );
    Ok(support::http::respond(200, "text/xml", xml))
}

/// With IAM's simulation allowed, each write is simulated for the caller: a denied one fails
/// and names the action, the resource and the principal. (moto has no
/// `SimulatePrincipalPolicy`: against it the check is "not checked".)
#[tokio::test(flavor = "multi_thread")]
async fn the_write_permissions_are_simulated_for_the_caller() {
    let moto = Moto::start();
    let bus = moto.bus_to_queue("preflight-iam").await;
    moto.create_bucket("preflight-iam").await;
    let iam = support::http::Stub::start(simulate).await;
    let mut env = vec![
        ("AWS_EVENTBRIDGE_EVENTBUS_ARN", bus.bus_arn.as_str()),
        (
            "AWS_EVENTBRIDGE_OFFLOADING_DEFAULT_S3_BUCKET",
            "preflight-iam",
        ),
        (
            "AWS_EVENTBRIDGE_OFFLOADING_DEFAULT_S3_ENDPOINT_URI",
            moto.endpoint.as_str(),
        ),
    ];
    let (code, report) = preflight(Some(&moto), &env, &[]);
    assert_eq!(code, 0, "{report}");
    assert!(
        report
            .lines()
            .filter(|l| l.contains("write permissions:"))
            .all(|l| l.starts_with("SKIP") && l.contains("iam:SimulatePrincipalPolicy")),
        "{report}"
    );
    env.push(("AWS_ENDPOINT_URL_IAM", iam.endpoint.as_str()));
    let (code, report) = preflight(Some(&moto), &env, &[]);
    assert_eq!(code, 1, "{report}");
    let lines: Vec<&str> = report
        .lines()
        .filter(|l| l.contains("write permissions:"))
        .collect();
    assert_eq!(lines.len(), 2, "{report}");
    assert!(
        lines[0].starts_with("PASS") && lines[0].contains("events:PutEvents"),
        "{report}"
    );
    assert!(
        lines[1].starts_with("FAIL")
            && lines[1].contains("may not s3:PutObject on arn:aws:s3:::preflight-iam/")
            && lines[1].contains("arn:aws:iam::123456789012:user/moto"),
        "{report}"
    );
}

const BUS: &str = "arn:aws:events:us-east-1:123456789012:event-bus/orders";

/// EventBridge (JSON 1.1) as pre-flight calls it, for the global endpoint (moto has no
/// `ListEndpoints`): the bus exists; `abcde.veo` routes to it, `fghij.veo` to another bus.
async fn eventbridge(request: hyper::Request<hyper::body::Incoming>) -> support::http::Reply {
    let target = request
        .headers()
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let body = match target.as_str() {
        "AWSEvents.DescribeEventBus" => serde_json::json!({"Name": "orders", "Arn": BUS}),
        "AWSEvents.ListEndpoints" => serde_json::json!({"Endpoints": [
            {"Name": "orders-global", "EndpointId": "abcde.veo",
             "EventBuses": [{"EventBusArn": BUS},
                            {"EventBusArn": "arn:aws:events:us-west-2:123456789012:event-bus/orders"}]},
            {"Name": "other-global", "EndpointId": "fghij.veo",
             "EventBuses": [{"EventBusArn": "arn:aws:events:us-east-1:123456789012:event-bus/other"}]}
        ]}),
        other => panic!("unexpected {other}"),
    };
    Ok(support::http::respond(
        200,
        "application/x-amz-json-1.1",
        body.to_string(),
    ))
}

#[tokio::test(flavor = "multi_thread")]
async fn the_global_endpoint_must_route_to_the_bus() {
    let moto = Moto::start();
    let stub = support::http::Stub::start(eventbridge).await;
    let run = |id: &str| {
        let env = [
            ("AWS_EVENTBRIDGE_EVENTBUS_ARN", BUS),
            ("AWS_EVENTBRIDGE_ENDPOINT_URI", stub.endpoint.as_str()),
            ("AWS_EVENTBRIDGE_EVENTBUS_GLOBAL_ENDPOINT_ID", id),
        ];
        preflight(Some(&moto), &env, &[])
    };
    let (code, report) = run("abcde.veo");
    assert_eq!(code, 0, "{report}");
    assert!(
        line(&report, "global endpoint")
            .starts_with(&format!("PASS global endpoint: abcde.veo routes to {BUS}")),
        "{report}"
    );
    let (code, report) = run("fghij.veo");
    assert_eq!(code, 1, "{report}");
    assert!(
        line(&report, "global endpoint").contains("fghij.veo (other-global) does not route to"),
        "{report}"
    );
    let (code, report) = run("zzzzz.veo");
    assert_eq!(code, 1, "{report}");
    assert!(
        line(&report, "global endpoint").contains("no endpoint zzzzz.veo in us-east-1"),
        "{report}"
    );
}

/// On a Custom Event Bus, the bus is described with its own API (against the stand-in of
/// `tests/support/eventsv2.rs`: moto has none).
#[tokio::test(flavor = "multi_thread")]
async fn a_custom_event_bus_is_described_with_its_api() {
    let moto = Moto::start();
    let v2 = support::eventsv2::EventsV2::start(std::time::Duration::ZERO).await;
    let other = "arn:aws:events:us-east-1:123456789012:event-busv2/other/abcdefghij0123456789zzzzz";
    for (bus, passes) in [(support::eventsv2::BUS_ARN, true), (other, false)] {
        let env = [
            ("AWS_EVENTBRIDGE_EVENTBUS_ARN", bus),
            ("AWS_EVENTBRIDGE_ENDPOINT_URI", v2.endpoint.as_str()),
        ];
        let (code, report) = preflight(Some(&moto), &env, &[]);
        let found = line(&report, "event bus");
        if passes {
            assert!(code == 0 && found.starts_with("PASS"), "{report}");
        } else {
            assert!(
                code == 1 && found.contains(other) && found.contains("create it"),
                "{report}"
            );
        }
    }
}

/// The Confluent-compatible registry answers with the configured credentials, or says why not.
#[tokio::test(flavor = "multi_thread")]
async fn the_registry_answers_its_credentials() {
    let moto = Moto::start();
    let bus = moto.bus_to_queue("preflight-registry").await;
    let registry = support::registry::Registry::start().await;
    registry.require_auth("svc:right");
    let run = |user_info: &str| {
        let env = [
            ("AWS_EVENTBRIDGE_EVENTBUS_ARN", bus.bus_arn.as_str()),
            ("AWS_EVENTBRIDGE_VALUE_FORMAT", "avro"),
            ("AWS_EVENTBRIDGE_SCHEMA_REGISTRY_URL", registry.url.as_str()),
            ("AWS_EVENTBRIDGE_SCHEMA_REGISTRY_USER_INFO", user_info),
        ];
        preflight(Some(&moto), &env, &[])
    };
    let (code, report) = run("svc:right");
    assert_eq!(code, 0, "{report}");
    assert!(
        line(&report, "schema registry").starts_with("PASS"),
        "{report}"
    );
    let (code, report) = run("svc:wrong");
    assert_eq!(code, 1, "{report}");
    let failed = line(&report, "schema registry");
    assert!(
        failed.contains("401") && !failed.contains("wrong") && !failed.contains("right"),
        "{report}"
    );
    // The credentials from Secrets Manager: read (never shown), and the registry takes them.
    let secret = moto
        .secret(
            "preflight-registry",
            r#"{"username": "svc", "password": "right"}"#,
        )
        .await;
    let env = [
        ("AWS_EVENTBRIDGE_EVENTBUS_ARN", bus.bus_arn.as_str()),
        ("AWS_EVENTBRIDGE_VALUE_FORMAT", "avro"),
        ("AWS_EVENTBRIDGE_SCHEMA_REGISTRY_URL", registry.url.as_str()),
        (
            "AWS_EVENTBRIDGE_SCHEMA_REGISTRY_SECRET_ARN",
            secret.as_str(),
        ),
    ];
    let (code, report) = preflight(Some(&moto), &env, &[]);
    assert_eq!(code, 0, "{report}");
    assert_eq!(
        line(&report, "registry secret"),
        "PASS registry secret: read (its value is not shown)"
    );
    assert!(
        line(&report, "schema registry").starts_with("PASS"),
        "{report}"
    );
    assert!(!report.contains("right"), "{report}");
}

/// Glue answering `AccessDeniedException` to `GetSchemaVersion` (moto allows every call).
async fn glue_denies(_: hyper::Request<hyper::body::Incoming>) -> support::http::Reply {
    let body = r#"{"__type":"AccessDeniedException","message":"User is not authorized to perform: glue:GetSchemaVersion"}"#;
    Ok(support::http::respond(
        400,
        "application/x-amz-json-1.1",
        body,
    ))
}

#[tokio::test(flavor = "multi_thread")]
async fn glue_refusing_the_schema_reads_fails_the_check() {
    let moto = Moto::start();
    let bus = moto.bus_to_queue("preflight-glue").await;
    let glue = support::http::Stub::start(glue_denies).await;
    let env = [
        ("AWS_EVENTBRIDGE_EVENTBUS_ARN", bus.bus_arn.as_str()),
        ("AWS_EVENTBRIDGE_VALUE_FORMAT", "registry"),
        ("AWS_ENDPOINT_URL_GLUE", glue.endpoint.as_str()),
    ];
    let (code, report) = preflight(Some(&moto), &env, &[]);
    assert_eq!(code, 1, "{report}");
    let failed = line(&report, "glue schema registry");
    assert!(
        failed.starts_with("FAIL") && failed.contains("grant glue:GetSchemaVersion"),
        "{report}"
    );
}
