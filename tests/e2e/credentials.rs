//! Credentials and endpoints with the real SDK over real HTTP: assuming a role (the STS call
//! carries RoleArn, RoleSessionName and ExternalId, and the role's keys sign PutEvents), a named
//! profile from config files, global endpoints signed with SigV4a, and a cold start that fails
//! clearly when no credentials can be resolved.

use crate::support;

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};

use aws_config::BehaviorVersion;
use aws_sdk_eventbridge::config::{Credentials, Region};
use http_body_util::BodyExt;
use hyper::Request;
use hyper::body::Incoming;
use kafka_eventbridge_lambda::{Config, EventBridgeBus, Pipeline};
use kafka_eventbridge_lambda::{assume_role, check_credentials};
use serde_json::json;
use support::events::{kafka_event, record};
use support::http;
use support::{Data, Function, Moto};
use tokio::net::TcpListener;
use tokio::time::Instant;

/// One request as the stub saw it.
#[derive(Debug, Clone)]
struct Seen {
    headers: HashMap<String, String>,
    body: String,
}

const STS_RESPONSE: &str = r#"<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
<AssumeRoleResult><Credentials><AccessKeyId>ASIAROLEKEY</AccessKeyId><SecretAccessKey>role-secret</SecretAccessKey>
<SessionToken>role-token</SessionToken><Expiration>2099-01-01T00:00:00Z</Expiration></Credentials>
<AssumedRoleUser><AssumedRoleId>AROA:s</AssumedRoleId><Arn>arn:aws:sts::123456789012:assumed-role/x/s</Arn></AssumedRoleUser>
</AssumeRoleResult><ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata></AssumeRoleResponse>"#;

/// A stub that answers STS AssumeRole and PutEvents, and records every request.
async fn stub() -> (String, Arc<Mutex<Vec<Seen>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&seen);
    http::serve(listener, move |req: Request<Incoming>| {
        let log = Arc::clone(&log);
        async move {
            let headers = req
                .headers()
                .iter()
                .map(|(k, v)| {
                    (
                        k.as_str().to_owned(),
                        v.to_str().unwrap_or_default().to_owned(),
                    )
                })
                .collect::<HashMap<_, _>>();
            let body = req.into_body().collect().await.unwrap().to_bytes();
            let body = String::from_utf8_lossy(&body).into_owned();
            let is_sts = body.contains("Action=AssumeRole");
            log.lock().unwrap().push(Seen { headers, body });
            Ok::<_, Infallible>(if is_sts {
                http::respond(200, "text/xml", STS_RESPONSE)
            } else {
                let put = r#"{"FailedEntryCount":0,"Entries":[{"EventId":"1"}]}"#;
                http::respond(200, "application/x-amz-json-1.1", put)
            })
        }
    });
    (endpoint, seen)
}

fn config(vars: &[(&str, &str)]) -> Config {
    let mut all = vec![("AWS_EVENTBRIDGE_CONNECTOR_ID", "orders connector")];
    all.extend(vars.iter().copied());
    support::config::config(&all)
}

/// Sends one record through a pipeline on `shared`; it must be delivered.
async fn deliver_one(config: &Config, shared: &aws_config::SdkConfig) {
    let pipeline = Pipeline::builder(config)
        .bus(EventBridgeBus::from_config(config, shared))
        .build();
    let event = kafka_event([record("t", 0, 1, None, Some("{}"))]);
    let deadline = Instant::now() + std::time::Duration::from_secs(10);
    let done = pipeline.run(event, deadline, None).await.unwrap();
    assert_eq!(done.tally.delivered, 1);
}

async fn base_config(endpoint: &str) -> aws_config::SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new(
            "AKIDBASE",
            "base-secret",
            None,
            None,
            "test",
        ))
        .endpoint_url(endpoint)
        .load()
        .await
}

fn form(body: &str) -> HashMap<String, String> {
    form_urlencoded::parse(body.as_bytes())
        .into_owned()
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn an_assumed_role_signs_the_calls_and_the_sts_call_carries_the_external_id() {
    let (endpoint, seen) = stub().await;
    let role = "arn:aws:iam::123456789012:role/eventbridge-writer";
    let config = config(&[
        ("AWS_EVENTBRIDGE_IAM_ROLE_ARN", role),
        ("AWS_EVENTBRIDGE_IAM_EXTERNAL_ID", "ext-42"),
        ("AWS_EVENTBRIDGE_ENDPOINT_URI", &endpoint),
    ]);
    let shared = assume_role(&config, base_config(&endpoint).await).await;
    check_credentials(&config, &shared).await.unwrap();
    for _ in 0..3 {
        deliver_one(&config, &shared).await;
    }

    let seen = seen.lock().unwrap().clone();
    let sts: Vec<&Seen> = seen
        .iter()
        .filter(|s| s.body.contains("Action=AssumeRole"))
        .collect();
    // One for the cold-start check, one for the client's identity cache; later calls reuse it.
    assert_eq!(sts.len(), 2, "the role's credentials are cached");
    let params = form(&sts[0].body);
    assert_eq!(params["RoleArn"], role);
    assert_eq!(
        params["RoleSessionName"], "orders-connector",
        "the connector id, made a valid session name"
    );
    assert_eq!(
        params["ExternalId"], "ext-42",
        "sent as ExternalId (the connector sends it as the session name)"
    );
    assert!(
        sts[0].headers["authorization"].contains("Credential=AKIDBASE/"),
        "STS is called with the base credentials"
    );
    let put = seen
        .iter()
        .find(|s| {
            s.headers
                .get("x-amz-target")
                .is_some_and(|t| t.ends_with("PutEvents"))
        })
        .unwrap();
    assert!(
        put.headers["authorization"].contains("Credential=ASIAROLEKEY/"),
        "PutEvents is signed by the role"
    );
    assert_eq!(put.headers["x-amz-security-token"], "role-token");
}

#[tokio::test(flavor = "multi_thread")]
async fn assuming_a_role_against_moto_sts_works() {
    let moto = Moto::start();
    let bus = moto.bus_to_queue("assumed").await;
    let config = config(&[
        ("AWS_EVENTBRIDGE_EVENTBUS_ARN", &bus.bus_arn),
        (
            "AWS_EVENTBRIDGE_IAM_ROLE_ARN",
            "arn:aws:iam::123456789012:role/writer",
        ),
        ("AWS_EVENTBRIDGE_IAM_EXTERNAL_ID", "ext-42"),
    ]);
    let shared = assume_role(&config, base_config(&moto.endpoint).await).await;
    check_credentials(&config, &shared).await.unwrap();
    deliver_one(&config, &shared).await;
    assert_eq!(bus.events(1).await.len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_global_endpoint_id_is_sent_and_signed_with_sigv4a() {
    let (endpoint, seen) = stub().await;
    let config = config(&[
        ("AWS_EVENTBRIDGE_EVENTBUS_GLOBAL_ENDPOINT_ID", "abcde.veo"),
        ("AWS_EVENTBRIDGE_ENDPOINT_URI", &endpoint),
    ]);
    let shared = base_config(&endpoint).await;
    deliver_one(&config, &shared).await;
    let seen = seen.lock().unwrap().clone();
    let put = &seen[0];
    let body: serde_json::Value = serde_json::from_str(&put.body).unwrap();
    assert_eq!(body["EndpointId"], "abcde.veo");
    assert!(
        put.headers["authorization"].starts_with("AWS4-ECDSA-P256-SHA256 "),
        "SigV4a: {}",
        put.headers["authorization"]
    );
    assert!(
        put.headers.contains_key("x-amz-region-set"),
        "SigV4a names its region set"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_named_profile_is_used_and_a_missing_one_stops_the_cold_start() {
    let (endpoint, seen) = stub().await;
    let dir = std::env::temp_dir().join(format!("kel-profiles-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("config"),
        "[default]\nregion = us-east-1\n[profile p2]\nregion = us-east-1\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("credentials"),
        "[default]\naws_access_key_id = AKIDDEFAULT\naws_secret_access_key = s\n[p2]\naws_access_key_id = AKIDPROFILE2\naws_secret_access_key = s2\n",
    )
    .unwrap();
    let config_file = dir.join("config").to_string_lossy().into_owned();
    let credentials_file = dir.join("credentials").to_string_lossy().into_owned();
    let env = |profile: &'static str| {
        vec![
            ("AWS_EVENTBRIDGE_CONNECTOR_ID", "profiles"),
            (
                "AWS_EVENTBRIDGE_EVENTBUS_ARN",
                "arn:aws:events:us-east-1:123456789012:event-bus/b",
            ),
            ("AWS_EVENTBRIDGE_ENDPOINT_URI", endpoint.as_str()),
            ("AWS_EVENTBRIDGE_IAM_PROFILE_NAME", profile),
            ("AWS_CONFIG_FILE", config_file.as_str()),
            ("AWS_SHARED_CREDENTIALS_FILE", credentials_file.as_str()),
        ]
    };
    let function = Function::start_with_env(&env("p2"));
    let response = function
        .invoke(Data::File("events/self-managed.json"))
        .expect("invocation succeeds");
    assert_eq!(response, json!({"batchItemFailures": []}));
    let seen = seen.lock().unwrap().clone();
    assert!(
        seen[0].headers["authorization"].contains("Credential=AKIDPROFILE2/"),
        "{:?}",
        seen[0].headers
    );

    // A profile that does not exist: the cold start fails and says why.
    let missing = Function::start_with_env(&env("nope"));
    let log = missing.log_when(0, |log| log.contains("the function cannot start"));
    assert!(
        log.contains("No usable AWS credentials; the function cannot start."),
        "{log}"
    );
    assert!(
        log.contains("profile AWS_EVENTBRIDGE_IAM_PROFILE_NAME=nope"),
        "{log}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

/// Runs the real binary's cold start (no Lambda runtime API: it stops after the start) with
/// a schema registry whose credentials are read from Secrets Manager at `secrets_endpoint`:
/// how long until it exited (after the start, without a runtime API, it cannot go on), and
/// what it wrote (its log lines and its error line).
fn cold_start_against(secrets_endpoint: &str) -> (std::time::Duration, String) {
    let started = std::time::Instant::now();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_kafka-eventbridge-lambda"))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .envs([
            ("AWS_EVENTBRIDGE_CONNECTOR_ID", "cold"),
            (
                "AWS_EVENTBRIDGE_EVENTBUS_ARN",
                "arn:aws:events:us-east-1:123456789012:event-bus/b",
            ),
            ("AWS_EVENTBRIDGE_SCHEMA_REGISTRY_URL", "http://127.0.0.1:9"),
            (
                "AWS_EVENTBRIDGE_SCHEMA_REGISTRY_SECRET_ARN",
                "arn:aws:secretsmanager:us-east-1:123456789012:secret:registry-AbCdEf",
            ),
            ("AWS_ENDPOINT_URL_SECRETS_MANAGER", secrets_endpoint),
            ("AWS_ACCESS_KEY_ID", "AKIDCOLD"),
            ("AWS_SECRET_ACCESS_KEY", "secret"),
            ("AWS_REGION", "us-east-1"),
            ("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9"),
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    fn drain(mut from: impl std::io::Read + Send + 'static) -> std::thread::JoinHandle<String> {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            from.read_to_end(&mut bytes).ok();
            String::from_utf8_lossy(&bytes).into_owned()
        })
    }
    let logs = drain(child.stdout.take().unwrap());
    let errors = drain(child.stderr.take().unwrap());
    let deadline = started + std::time::Duration::from_secs(30);
    let elapsed = loop {
        if child.try_wait().unwrap().is_some() {
            break started.elapsed();
        }
        assert!(std::time::Instant::now() < deadline, "the cold start hangs");
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    let output = logs.join().unwrap() + &errors.join().unwrap();
    (elapsed, output)
}

/// Secrets Manager that never answers: every attempt times out, and the start stops within
/// its budget (well inside Lambda's 10-second init phase) with one line that names the
/// variable, the call and the reason; never a `Debug` dump.
#[tokio::test(flavor = "multi_thread")]
async fn a_stalled_secrets_manager_stops_the_cold_start_within_its_budget() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    let held = tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            open.push(socket);
        }
    });
    let (elapsed, stderr) = tokio::task::spawn_blocking(move || cold_start_against(&endpoint))
        .await
        .unwrap();
    held.abort();
    eprintln!("cold start against a stalled Secrets Manager ended after {elapsed:?}");
    assert!(elapsed < std::time::Duration::from_secs(10), "{elapsed:?}");
    let error_line = stderr
        .lines()
        .find(|l| l.starts_with("Error: "))
        .unwrap_or_else(|| {
            panic!("no error line: {stderr}");
        });
    assert!(
        error_line.contains("AWS_EVENTBRIDGE_SCHEMA_REGISTRY_SECRET_ARN="),
        "{error_line}"
    );
    assert!(
        error_line.contains("secretsmanager:GetSecretValue failed"),
        "{error_line}"
    );
    assert!(
        error_line.contains("timed out")
            || error_line.contains("timeout")
            || error_line.contains("deadline"),
        "{error_line}"
    );
    assert!(
        !stderr.contains("Box<") && !stderr.contains("SdkError {"),
        "{stderr}"
    );
}

/// One transient 500 from Secrets Manager is retried: the start goes on.
#[tokio::test(flavor = "multi_thread")]
async fn a_transient_secrets_manager_failure_is_retried_at_cold_start() {
    let calls = Arc::new(Mutex::new(0_usize));
    let counted = Arc::clone(&calls);
    let stub = http::Stub::start(move |_req: Request<Incoming>| {
        let calls = Arc::clone(&counted);
        async move {
            let n = {
                let mut n = calls.lock().unwrap();
                *n += 1;
                *n
            };
            let content = "application/x-amz-json-1.1";
            Ok::<_, Infallible>(if n == 1 {
                http::respond(500, content, r#"{"__type":"InternalServiceError","message":"boom"}"#)
            } else {
                let secret = json!({"username": "u", "password": "p"}).to_string();
                let body = json!({"ARN": "arn:aws:secretsmanager:us-east-1:123456789012:secret:registry-AbCdEf",
                                  "Name": "registry", "SecretString": secret});
                http::respond(200, content, body.to_string())
            })
        }
    })
    .await;
    let endpoint = stub.endpoint.clone();
    let (_, stderr) = tokio::task::spawn_blocking(move || cold_start_against(&endpoint))
        .await
        .unwrap();
    assert_eq!(*calls.lock().unwrap(), 2, "{stderr}");
    assert!(stderr.contains("Configuration loaded."), "{stderr}");
    assert!(!stderr.contains("cannot start"), "{stderr}");
}
