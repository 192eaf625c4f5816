//! A recording AWS endpoint: it accepts every PutEvents and PutObject, keeps what it received in
//! order, and can take its time over each PutEvents (to make invocations overlap).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use http_body_util::BodyExt as _;
use hyper::Request;
use hyper::body::Incoming;
use serde_json::{Value, json};

use super::http::{Reply, Stub, respond};

/// One request the recorder received.
#[derive(Debug, Clone, PartialEq)]
pub enum Call {
    /// A PutEvents request body.
    PutEvents(Value),
    /// A PutObject: `{"Bucket","Key","ContentType","ContentLength"}`.
    PutObject(Value),
}

#[derive(Default)]
struct Shared {
    calls: Mutex<Vec<Call>>,
    inflight: AtomicUsize,
    max_inflight: AtomicUsize,
}

/// The recording server; stopped when dropped.
pub struct Recorder {
    pub endpoint: String,
    shared: Arc<Shared>,
    _stub: Stub,
}

impl Recorder {
    /// Starts the server on 127.0.0.1; each PutEvents is answered after `delay`.
    pub async fn start(delay: Duration) -> Self {
        let shared = Arc::new(Shared::default());
        let handling = Arc::clone(&shared);
        let stub = Stub::start(move |req| handle(Arc::clone(&handling), req, delay)).await;
        Self {
            endpoint: stub.endpoint.clone(),
            shared,
            _stub: stub,
        }
    }

    /// What it received so far, in order; then forgets it.
    pub fn take(&self) -> Vec<Call> {
        std::mem::take(&mut *self.shared.calls.lock().expect("lock"))
    }

    /// The most PutEvents requests it was ever answering at once.
    pub fn max_inflight(&self) -> usize {
        self.shared.max_inflight.load(Ordering::SeqCst)
    }
}

async fn handle(shared: Arc<Shared>, req: Request<Incoming>, delay: Duration) -> Reply {
    let (parts, body) = req.into_parts();
    let body = body.collect().await.expect("a request body").to_bytes();
    let header = |name: &str| {
        parts
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    if header("x-amz-target").as_deref() == Some("AWSEvents.PutEvents") {
        let request: Value = serde_json::from_slice(&body).expect("a JSON body");
        let n = request["Entries"].as_array().expect("Entries").len();
        let now = shared.inflight.fetch_add(1, Ordering::SeqCst) + 1;
        shared.max_inflight.fetch_max(now, Ordering::SeqCst);
        shared
            .calls
            .lock()
            .expect("lock")
            .push(Call::PutEvents(request));
        tokio::time::sleep(delay).await;
        shared.inflight.fetch_sub(1, Ordering::SeqCst);
        let entries: Vec<Value> = (0..n).map(|i| json!({"EventId": i.to_string()})).collect();
        let answer = json!({"FailedEntryCount": 0, "Entries": entries});
        return Ok(respond(
            200,
            "application/x-amz-json-1.1",
            answer.to_string(),
        ));
    }
    assert_eq!(
        parts.method,
        hyper::Method::PUT,
        "not a PutObject: {parts:?}"
    );
    let path = parts.uri.path().trim_start_matches('/');
    let (bucket, key) = path.split_once('/').expect("a path-style /bucket/key");
    // A streamed (aws-chunked) body gives the object's length in its own header.
    let length = header("x-amz-decoded-content-length")
        .and_then(|l| l.parse::<usize>().ok())
        .unwrap_or(body.len());
    shared
        .calls
        .lock()
        .expect("lock")
        .push(Call::PutObject(json!({
            "Bucket": bucket, "Key": key,
            "ContentType": header("content-type"), "ContentLength": length,
        })));
    Ok(respond(200, "application/xml", ""))
}
