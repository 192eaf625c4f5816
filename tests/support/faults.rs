//! A fault-injecting stand-in for EventBridge `PutEvents` (AWS JSON 1.1) and S3 `PutObject`
//! (path-style), on 127.0.0.1, for the real SDK clients. It keeps the ground truth: every entry
//! it accepted, how often each entry was sent, each call's size, and every object it stored.
//! Each call follows a seeded schedule of faults.

#![allow(unreachable_pub, reason = "a test support module")]

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};

use super::http::serve;
use serde_json::{Value, json};
use tokio::net::TcpListener;

/// A record's identity: (`"<topic>-<partition>"`, offset).
pub type Id = (String, i64);

/// What one call gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Everything accepted.
    Ok,
    /// HTTP 500 for the whole call.
    Status500,
    /// HTTP 503 for the whole call.
    Status503,
    /// HTTP 400 `ThrottlingException` for the whole call.
    Throttled,
    /// Per-entry results: some accepted, some `ThrottlingException`, `InternalFailure` or
    /// `MalformedDetail`.
    Partial,
    /// Everything accepted after a delay (milliseconds).
    Latency(u64),
    /// No response ever (the client times out).
    Hang,
    /// The connection is closed without a response.
    Reset,
    /// Entries accepted, but the response comes after the client gave up.
    AcceptThenTimeout,
}

/// Everything the server saw and did.
#[derive(Debug, Default)]
pub struct Truth {
    /// Entries the server accepted (whether or not the client heard of it).
    pub accepted: HashSet<Id>,
    /// Entries whose acceptance was answered at once (the client was told).
    pub acknowledged: HashSet<Id>,
    /// How often each entry was sent.
    pub sends: HashMap<Id, u32>,
    /// (entries, bytes by AWS's formula) of each PutEvents call.
    pub calls: Vec<(usize, usize)>,
    /// Object keys stored.
    pub objects: HashSet<String>,
    /// Accepted entries whose `dataref` named an object that did not exist at that moment.
    pub accepted_without_object: Vec<Id>,
}

/// The faults of a run: one per PutEvents call and one per PutObject call, in arrival order.
pub struct Schedule {
    pub rng: fastrand::Rng,
    pub put_events: Vec<Fault>,
    pub put_object: Vec<Fault>,
    pub hang_for: Duration,
    /// Of the entries of an `Ok` or `Latency` call, this percentage is throttled
    /// (`ThrottlingException` per entry) instead of accepted.
    pub throttle_percent: u8,
}

impl Schedule {
    /// No fault: every call is answered at once, every entry accepted.
    pub fn accept_all() -> Self {
        Self {
            rng: fastrand::Rng::with_seed(1),
            put_events: vec![],
            put_object: vec![],
            hang_for: Duration::from_secs(1),
            throttle_percent: 0,
        }
    }
}

struct Shared {
    truth: Mutex<Truth>,
    schedule: Mutex<Schedule>,
    counters: Mutex<(usize, usize)>,
}

/// A running server; it stops when dropped.
pub struct FaultServer {
    pub endpoint: String,
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FaultServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FaultServer {
    pub async fn start(schedule: Schedule) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr: SocketAddr = listener.local_addr().expect("addr");
        let shared = Arc::new(Shared {
            truth: Mutex::new(Truth::default()),
            schedule: Mutex::new(schedule),
            counters: Mutex::new((0, 0)),
        });
        let accept_shared = Arc::clone(&shared);
        let task = serve(listener, move |req| handle(Arc::clone(&accept_shared), req));
        Self {
            endpoint: format!("http://{addr}"),
            shared,
            task,
        }
    }

    /// The ground truth so far.
    pub fn truth(&self) -> std::sync::MutexGuard<'_, Truth> {
        self.shared.truth.lock().expect("lock")
    }
}

#[derive(Debug, thiserror::Error)]
#[error("injected connection reset")]
struct InjectedReset;

type Reply = super::http::Reply<InjectedReset>;

async fn handle(shared: Arc<Shared>, req: Request<Incoming>) -> Reply {
    let is_put_events = req
        .headers()
        .get("x-amz-target")
        .is_some_and(|t| t.as_bytes().ends_with(b".PutEvents"));
    let path = req.uri().path().to_owned();
    let body = req
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    if is_put_events {
        put_events(&shared, &body).await
    } else {
        put_object(&shared, &path).await
    }
}

fn fault(shared: &Shared, put_events: bool) -> (Fault, Duration) {
    let mut counters = shared.counters.lock().expect("lock");
    let schedule = shared.schedule.lock().expect("lock");
    let (list, n) = if put_events {
        counters.0 += 1;
        (&schedule.put_events, counters.0 - 1)
    } else {
        counters.1 += 1;
        (&schedule.put_object, counters.1 - 1)
    };
    (list.get(n).copied().unwrap_or(Fault::Ok), schedule.hang_for)
}

fn json_response(status: StatusCode, body: Value) -> Response<Full<Bytes>> {
    Response::builder()
        .status(status)
        .header("content-type", "application/x-amz-json-1.1")
        .body(Full::new(Bytes::from(body.to_string())))
        .expect("a valid response")
}

fn id_of(detail: &Value) -> Id {
    (
        format!(
            "{}-{}",
            detail["topic"].as_str().unwrap_or("?"),
            detail["partition"]
        ),
        detail["offset"].as_i64().unwrap_or(-1),
    )
}

async fn put_events(shared: &Shared, body: &[u8]) -> Reply {
    let request: Value = serde_json::from_slice(body).expect("a PutEvents request");
    let entries = request["Entries"].as_array().cloned().unwrap_or_default();
    let details: Vec<Value> = entries
        .iter()
        .map(|e| {
            serde_json::from_str(e["Detail"].as_str().unwrap_or("{}")).expect("Detail is JSON")
        })
        .collect();
    let size: usize = entries
        .iter()
        .map(|e| {
            let s = |k: &str| e[k].as_str().map_or(0, str::len);
            let resources: usize = e["Resources"].as_array().map_or(0, |r| {
                r.iter().map(|x| x.as_str().map_or(0, str::len)).sum()
            });
            s("Source")
                + s("DetailType")
                + s("Detail")
                + resources
                + if e.get("Time").is_some() { 14 } else { 0 }
        })
        .sum();
    let (fault, hang_for) = fault(shared, true);
    {
        let mut truth = shared.truth.lock().expect("lock");
        truth.calls.push((entries.len(), size));
        for d in &details {
            *truth.sends.entry(id_of(d)).or_default() += 1;
        }
    }
    let accept = |truth: &mut Truth, d: &Value| {
        let id = id_of(d);
        if let Some(arn) = d["dataref"].as_str() {
            let key = arn.split_once(":::").map(|(_, rest)| rest).unwrap_or(arn);
            let key = key.split_once('/').map(|(_, k)| k).unwrap_or(key);
            if !truth.objects.contains(key) {
                truth.accepted_without_object.push(id.clone());
            }
        }
        truth.accepted.insert(id);
    };
    let all_ok = |ack: bool| {
        let mut truth = shared.truth.lock().expect("lock");
        let mut schedule = shared.schedule.lock().expect("lock");
        let mut failed = 0;
        let results: Vec<Value> = details
            .iter()
            .enumerate()
            .map(|(i, d)| {
                if schedule.throttle_percent > 0
                    && schedule.rng.u8(0..100) < schedule.throttle_percent
                {
                    failed += 1;
                    return json!({"ErrorCode": "ThrottlingException", "ErrorMessage": "Rate exceeded"});
                }
                accept(&mut truth, d);
                if ack {
                    truth.acknowledged.insert(id_of(d));
                }
                json!({"EventId": format!("id-{i}")})
            })
            .collect();
        json_response(
            StatusCode::OK,
            json!({"FailedEntryCount": failed, "Entries": results}),
        )
    };
    match fault {
        Fault::Ok => Ok(all_ok(true)),
        Fault::Latency(ms) => {
            tokio::time::sleep(Duration::from_millis(ms)).await;
            Ok(all_ok(true))
        }
        Fault::Status500 => Ok(json_response(
            StatusCode::INTERNAL_SERVER_ERROR,
            json!({"__type": "InternalException", "message": "injected"}),
        )),
        Fault::Status503 => Ok(json_response(
            StatusCode::SERVICE_UNAVAILABLE,
            json!({"__type": "ServiceUnavailable", "message": "injected"}),
        )),
        Fault::Throttled => Ok(json_response(
            StatusCode::BAD_REQUEST,
            json!({"__type": "ThrottlingException", "message": "Rate exceeded"}),
        )),
        Fault::Partial => {
            let mut truth = shared.truth.lock().expect("lock");
            let mut schedule = shared.schedule.lock().expect("lock");
            let mut failed = 0;
            let results: Vec<Value> = details
                .iter()
                .map(|d| match schedule.rng.u8(0..4) {
                    0 | 1 => {
                        accept(&mut truth, d);
                        truth.acknowledged.insert(id_of(d));
                        json!({"EventId": "ok"})
                    }
                    2 => {
                        failed += 1;
                        let code = if schedule.rng.bool() {
                            "ThrottlingException"
                        } else {
                            "InternalFailure"
                        };
                        json!({"ErrorCode": code, "ErrorMessage": "injected"})
                    }
                    _ => {
                        failed += 1;
                        json!({"ErrorCode": "MalformedDetail", "ErrorMessage": "injected"})
                    }
                })
                .collect();
            Ok(json_response(
                StatusCode::OK,
                json!({"FailedEntryCount": failed, "Entries": results}),
            ))
        }
        Fault::Hang => {
            tokio::time::sleep(hang_for).await;
            Ok(json_response(
                StatusCode::INTERNAL_SERVER_ERROR,
                json!({"__type": "InternalException", "message": "late"}),
            ))
        }
        Fault::AcceptThenTimeout => {
            let response = all_ok(false);
            tokio::time::sleep(hang_for).await;
            Ok(response)
        }
        Fault::Reset => Err(InjectedReset),
    }
}

fn s3_error(status: StatusCode, code: &str) -> Response<Full<Bytes>> {
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>{code}</Code><Message>injected</Message></Error>"
    );
    Response::builder()
        .status(status)
        .header("content-type", "application/xml")
        .body(Full::new(Bytes::from(body)))
        .expect("a valid response")
}

async fn put_object(shared: &Shared, path: &str) -> Reply {
    // Path style: /<bucket>/<key>
    let key = path
        .trim_start_matches('/')
        .split_once('/')
        .map(|(_, k)| k.to_owned())
        .unwrap_or_default();
    let (fault, hang_for) = fault(shared, false);
    let stored = || {
        shared
            .truth
            .lock()
            .expect("lock")
            .objects
            .insert(key.clone());
        Response::builder()
            .status(StatusCode::OK)
            .header("etag", "\"e\"")
            .body(Full::new(Bytes::new()))
            .expect("a valid response")
    };
    match fault {
        Fault::Ok | Fault::Partial => Ok(stored()),
        Fault::Latency(ms) => {
            tokio::time::sleep(Duration::from_millis(ms)).await;
            Ok(stored())
        }
        Fault::Status500 => Ok(s3_error(StatusCode::INTERNAL_SERVER_ERROR, "InternalError")),
        Fault::Status503 | Fault::Throttled => {
            Ok(s3_error(StatusCode::SERVICE_UNAVAILABLE, "SlowDown"))
        }
        Fault::Hang => {
            tokio::time::sleep(hang_for).await;
            Ok(s3_error(StatusCode::INTERNAL_SERVER_ERROR, "InternalError"))
        }
        Fault::AcceptThenTimeout => {
            let response = stored();
            tokio::time::sleep(hang_for).await;
            Ok(response)
        }
        Fault::Reset => Err(InjectedReset),
    }
}
