//! A PutEvents endpoint with an account quota: a token bucket of `rate` calls per second and
//! `burst` calls, shared by every client that calls it. A call that finds no token is answered
//! as PutEvents answers throttling (HTTP 400 `ThrottlingException`); every answer comes after
//! `latency`. Optionally a call whose entries (by AWS's size formula) exceed `max_bytes` is
//! refused with HTTP 413, as a request over the size limit is.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use http_body_util::BodyExt as _;
use hyper::Request;
use hyper::body::Incoming;
use serde_json::{Value, json};
use tokio::time::Instant;

use super::http::{Reply, Stub, respond};

/// The quota and behaviour of the server.
#[derive(Debug, Clone, Copy)]
pub struct Quota {
    /// Calls per second the bucket refills.
    pub rate: f64,
    /// Calls the bucket holds.
    pub burst: f64,
    /// How long every answer takes.
    pub latency: Duration,
    /// Calls whose entries are larger than this are refused with HTTP 413.
    pub max_bytes: Option<usize>,
}

/// What the server saw.
#[derive(Debug, Default, Clone)]
pub struct Seen {
    /// Calls answered, throttled ones included.
    pub calls: usize,
    /// Calls answered with `ThrottlingException`.
    pub throttled: usize,
    /// Calls refused with 413.
    pub too_large: usize,
    /// `(entries, bytes)` of each accepted call.
    pub accepted_calls: Vec<(usize, usize)>,
    /// Records accepted, by `(topic-partition, offset)`.
    pub accepted: HashSet<(String, i64)>,
    /// How many times each record was sent.
    pub sends: HashMap<(String, i64), u32>,
}

struct Bucket {
    tokens: f64,
    at: Instant,
}

struct Shared {
    quota: Quota,
    bucket: Mutex<Bucket>,
    seen: Mutex<Seen>,
}

/// The server; stopped when dropped.
pub struct QuotaServer {
    pub endpoint: String,
    shared: Arc<Shared>,
    _stub: Stub,
}

impl QuotaServer {
    /// Starts the server on 127.0.0.1 with a full bucket.
    pub async fn start(quota: Quota) -> Self {
        let shared = Arc::new(Shared {
            quota,
            bucket: Mutex::new(Bucket {
                tokens: quota.burst,
                at: Instant::now(),
            }),
            seen: Mutex::default(),
        });
        let handling = Arc::clone(&shared);
        let stub = Stub::start(move |req| handle(Arc::clone(&handling), req)).await;
        Self {
            endpoint: stub.endpoint.clone(),
            shared,
            _stub: stub,
        }
    }

    /// What the server saw so far.
    pub fn seen(&self) -> Seen {
        self.shared.seen.lock().expect("lock").clone()
    }
}

/// Takes a token if the bucket has one.
fn take_token(shared: &Shared) -> bool {
    let mut bucket = shared.bucket.lock().expect("lock");
    let now = Instant::now();
    let refill = now.duration_since(bucket.at).as_secs_f64() * shared.quota.rate;
    bucket.tokens = (bucket.tokens + refill).min(shared.quota.burst);
    bucket.at = now;
    if bucket.tokens >= 1.0 {
        bucket.tokens -= 1.0;
        true
    } else {
        false
    }
}

fn json_reply(status: u16, body: &Value) -> Reply {
    Ok(respond(
        status,
        "application/x-amz-json-1.1",
        body.to_string(),
    ))
}

async fn handle(shared: Arc<Shared>, req: Request<Incoming>) -> Reply {
    let body = req
        .into_body()
        .collect()
        .await
        .expect("a request body")
        .to_bytes();
    let request: Value = serde_json::from_slice(&body).expect("a PutEvents request");
    let entries = request["Entries"].as_array().cloned().unwrap_or_default();
    let ids: Vec<(String, i64)> = entries
        .iter()
        .map(|e| {
            let d: Value =
                serde_json::from_str(e["Detail"].as_str().unwrap_or("{}")).expect("Detail is JSON");
            (
                format!("{}-{}", d["topic"].as_str().unwrap_or("?"), d["partition"]),
                d["offset"].as_i64().unwrap_or(-1),
            )
        })
        .collect();
    let size: usize = entries
        .iter()
        .map(|e| {
            let s = |k: &str| e[k].as_str().map_or(0, str::len);
            s("Source")
                + s("DetailType")
                + s("Detail")
                + if e.get("Time").is_some() { 14 } else { 0 }
        })
        .sum();
    let allowed = take_token(&shared);
    tokio::time::sleep(shared.quota.latency).await;
    let mut seen = shared.seen.lock().expect("lock");
    seen.calls += 1;
    for id in &ids {
        *seen.sends.entry(id.clone()).or_default() += 1;
    }
    if !allowed {
        seen.throttled += 1;
        return json_reply(
            400,
            &json!({"__type": "ThrottlingException", "message": "Rate exceeded"}),
        );
    }
    if shared.quota.max_bytes.is_some_and(|max| size > max) {
        seen.too_large += 1;
        return json_reply(
            413,
            &json!({"__type": "RequestEntityTooLarge", "message": "Request Entity Too Large"}),
        );
    }
    seen.accepted_calls.push((ids.len(), size));
    let results: Vec<Value> = ids
        .iter()
        .enumerate()
        .map(|(i, _)| json!({"EventId": format!("id-{i}")}))
        .collect();
    seen.accepted.extend(ids);
    json_reply(200, &json!({"FailedEntryCount": 0, "Entries": results}))
}
