//! A local stand-in for the EventBridge Custom Event Bus's `PutEvents` (service `AWSEventsV2`,
//! Smithy RPC v2 CBOR): `POST /service/AWSEventsV2/operation/PutEvents` with a CBOR body,
//! answered in CBOR, as the real `aws-sdk-eventbridgev2` client speaks it. No emulator speaks
//! this API (moto does not).
//!
//! It records every call (the bus ARN, the entries with their `SystemMetadata`, the request's
//! `DeduplicationConfiguration`, when it started and ended), deduplicates like the bus (an
//! entry whose `(EventGroupId, DeduplicationId)` it has already published comes back
//! `SuccessCode: DEDUPLICATED`; with `CONTENT_BASED`, the content decides), and applies a
//! script: a per-call answer (a request-level error), per-entry error codes for entries
//! whose `Detail` contains a marker, and the bus's refusals of a whole request for one entry
//! (`AccessDeniedException` when an entry's detail-type is denied, as the bus authorizes
//! each entry with no partial authorization; `InvalidInputException` when an entry's `Detail`
//! carries a malformed marker).

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use ciborium::Value as Cbor;
use http_body_util::BodyExt as _;
use hyper::Request;
use hyper::body::Incoming;

use super::http::{self, Reply, Stub};

/// The operation path of `PutEvents`.
pub const PUT_EVENTS_PATH: &str = "/service/AWSEventsV2/operation/PutEvents";

/// The operation path of `DescribeEventBus` (pre-flight).
pub const DESCRIBE_EVENT_BUS_PATH: &str = "/service/AWSEventsV2/operation/DescribeEventBus";

/// A Custom Event Bus ARN (the 25-character id is made up).
pub const BUS_ARN: &str =
    "arn:aws:events:us-east-1:123456789012:event-busv2/kafka-demo/abcdefghij0123456789klmno";

/// One entry as the stub received it.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub source: String,
    pub detail_type: String,
    pub detail: String,
    pub resources: Vec<String>,
    /// `Time`, in epoch milliseconds.
    pub time_ms: Option<i64>,
    pub event_group_id: Option<String>,
    pub deduplication_id: Option<String>,
}

/// One `PutEvents` call.
#[derive(Debug, Clone)]
pub struct Call {
    pub bus_arn: String,
    pub entries: Vec<Entry>,
    /// `DeduplicationConfiguration.DeduplicationType`, if sent.
    pub deduplication_type: Option<String>,
    pub started: Instant,
    pub ended: Instant,
    /// What each entry got back: `PUBLISHED`, `DEDUPLICATED`, or the error code.
    pub results: Vec<String>,
}

/// A request-level answer.
#[derive(Debug, Clone)]
pub enum CallFault {
    /// HTTP `status` with the CBOR error `__type` (e.g. 400 `ThrottlingException`).
    Error { status: u16, code: &'static str },
}

/// A per-entry failure: entries whose `Detail` contains `marker` get `code`, `times` times
/// (`usize::MAX`: always).
#[derive(Debug, Clone)]
pub struct EntryFault {
    pub marker: String,
    pub code: &'static str,
    pub times: usize,
}

#[derive(Default)]
struct State {
    calls: Vec<Call>,
    /// Detail-types the caller may not publish: a request with one is denied as a whole.
    denied_detail_types: HashSet<String>,
    /// A `Detail` that contains this is malformed input: its request is rejected as a whole.
    malformed_marker: Option<String>,
    /// Leave `FailedEntryCount` out of a response with no failed entry.
    omit_failed_entry_count: bool,
    /// Per-call answers, in arrival order; `None` answers normally.
    call_faults: VecDeque<Option<CallFault>>,
    entry_faults: Vec<EntryFault>,
    /// What was published: `(group, deduplication id or content)`.
    published: HashSet<(Option<String>, String)>,
    next_sequence: HashMap<Option<String>, u64>,
    /// Calls in flight per group now, and the most seen for any group.
    inflight: HashMap<String, usize>,
    max_group_inflight: usize,
    calls_inflight: usize,
    max_calls_inflight: usize,
}

/// The stub; stopped when dropped.
pub struct EventsV2 {
    pub endpoint: String,
    state: Arc<Mutex<State>>,
    _stub: Stub,
}

impl EventsV2 {
    /// A stub that answers each call after `latency`.
    pub async fn start(latency: Duration) -> Self {
        let state = Arc::new(Mutex::new(State::default()));
        let shared = Arc::clone(&state);
        let stub = Stub::start(move |req: Request<Incoming>| {
            let state = Arc::clone(&shared);
            async move { handle(req, &state, latency).await }
        })
        .await;
        Self {
            endpoint: stub.endpoint.clone(),
            state,
            _stub: stub,
        }
    }

    /// Answers the next calls with `faults`, in order (`None`: normally).
    pub fn script_calls(&self, faults: impl IntoIterator<Item = Option<CallFault>>) {
        self.state.lock().unwrap().call_faults.extend(faults);
    }

    /// Adds a per-entry failure.
    pub fn fail_entries(&self, fault: EntryFault) {
        self.state.lock().unwrap().entry_faults.push(fault);
    }

    /// Denies every request with an entry of `detail_type` (403 `AccessDeniedException`).
    pub fn deny_detail_type(&self, detail_type: &str) {
        let mut s = self.state.lock().unwrap();
        s.denied_detail_types.insert(detail_type.to_owned());
    }

    /// Rejects every request with an entry whose `Detail` contains `marker` (400
    /// `InvalidInputException`).
    pub fn reject_malformed(&self, marker: &str) {
        self.state.lock().unwrap().malformed_marker = Some(marker.to_owned());
    }

    /// Leaves `FailedEntryCount` out of fully successful responses.
    pub fn omit_failed_entry_count(&self) {
        self.state.lock().unwrap().omit_failed_entry_count = true;
    }

    /// Every call so far.
    pub fn calls(&self) -> Vec<Call> {
        self.state.lock().unwrap().calls.clone()
    }

    /// The most calls of one event group ever in flight at once.
    pub fn max_group_inflight(&self) -> usize {
        self.state.lock().unwrap().max_group_inflight
    }

    /// The most calls ever in flight at once.
    pub fn max_calls_inflight(&self) -> usize {
        self.state.lock().unwrap().max_calls_inflight
    }

    /// Forgets the calls (deduplication state stays, as on the bus).
    pub fn clear_calls(&self) {
        self.state.lock().unwrap().calls.clear();
    }
}

async fn handle(req: Request<Incoming>, state: &Mutex<State>, latency: Duration) -> Reply {
    // The bus answers `latency` after the request arrives: the stub's own reading and
    // bookkeeping are part of that time, as a real bus's are (not added to it).
    let started = Instant::now();
    let path = req.uri().path().to_owned();
    let protocol = req
        .headers()
        .get("smithy-protocol")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body = req.into_body().collect().await.expect("a body").to_bytes();
    if path == DESCRIBE_EVENT_BUS_PATH && protocol.as_deref() == Some("rpc-v2-cbor") {
        return Ok(describe_event_bus(&body));
    }
    if path != PUT_EVENTS_PATH || protocol.as_deref() != Some("rpc-v2-cbor") {
        return Ok(error(
            400,
            "UnknownOperationException",
            &format!("{path} {protocol:?}"),
        ));
    }
    let (bus_arn, entries, deduplication_type) = parse(&body);
    let groups: Vec<String> = {
        let mut g: Vec<String> = entries
            .iter()
            .filter_map(|e| e.event_group_id.clone())
            .collect();
        g.sort();
        g.dedup();
        g
    };
    {
        let mut s = state.lock().unwrap();
        s.calls_inflight += 1;
        s.max_calls_inflight = s.max_calls_inflight.max(s.calls_inflight);
        for g in &groups {
            let n = {
                let n = s.inflight.entry(g.clone()).or_default();
                *n += 1;
                *n
            };
            s.max_group_inflight = s.max_group_inflight.max(n);
        }
    }
    // Tokio's timer wheel rounds a sleep up to the next millisecond tick, which would add up
    // to 1 ms to every call; a blocking-pool thread sleeps to the instant.
    let answer_at = started + latency;
    tokio::task::spawn_blocking(move || {
        std::thread::sleep(answer_at.saturating_duration_since(Instant::now()));
    })
    .await
    .expect("the sleeping thread does not panic");
    let mut s = state.lock().unwrap();
    s.calls_inflight -= 1;
    for g in &groups {
        *s.inflight.get_mut(g).expect("counted") -= 1;
    }
    let fault = s.call_faults.pop_front().flatten();
    let mut call = Call {
        bus_arn,
        entries: Vec::new(),
        deduplication_type: deduplication_type.clone(),
        started,
        ended: Instant::now(),
        results: Vec::new(),
    };
    let denied = entries
        .iter()
        .any(|e| s.denied_detail_types.contains(&e.detail_type));
    let malformed = s
        .malformed_marker
        .as_ref()
        .is_some_and(|m| entries.iter().any(|e| e.detail.contains(m.as_str())));
    let fault = fault.or_else(|| {
        let (status, code) = if denied {
            (403, "AccessDeniedException")
        } else if malformed {
            (400, "InvalidInputException")
        } else {
            return None;
        };
        Some(CallFault::Error { status, code })
    });
    if let Some(CallFault::Error { status, code }) = fault {
        call.results = vec![code.to_owned(); entries.len()];
        call.entries = entries;
        s.calls.push(call);
        return Ok(error(status, code, "scripted"));
    }
    let mut results = Vec::new();
    let mut failed = 0;
    for entry in &entries {
        let fault = s
            .entry_faults
            .iter_mut()
            .find(|f| f.times > 0 && entry.detail.contains(&f.marker));
        if let Some(fault) = fault {
            if fault.times != usize::MAX {
                fault.times -= 1;
            }
            failed += 1;
            call.results.push(fault.code.to_owned());
            results.push(Cbor::Map(vec![
                text("ErrorCode", fault.code),
                text("ErrorMessage", "scripted entry failure"),
            ]));
            continue;
        }
        let key = match (&entry.deduplication_id, deduplication_type.as_deref()) {
            (Some(id), _) => Some(id.clone()),
            (None, Some("CONTENT_BASED")) => Some(format!(
                "{}|{}|{}",
                entry.source, entry.detail_type, entry.detail
            )),
            _ => None,
        };
        let duplicate = key.is_some_and(|k| !s.published.insert((entry.event_group_id.clone(), k)));
        let code = if duplicate {
            "DEDUPLICATED"
        } else {
            "PUBLISHED"
        };
        let sequence = {
            let n = s
                .next_sequence
                .entry(entry.event_group_id.clone())
                .or_default();
            *n += 1;
            *n
        };
        call.results.push(code.to_owned());
        results.push(Cbor::Map(vec![
            text("EventId", &format!("id-{sequence}")),
            text("SequenceNumber", &sequence.to_string()),
            text("SuccessCode", code),
        ]));
    }
    call.entries = entries;
    s.calls.push(call);
    let mut members = vec![(Cbor::Text("Entries".into()), Cbor::Array(results))];
    if failed > 0 || !s.omit_failed_entry_count {
        members.push((
            Cbor::Text("FailedEntryCount".into()),
            Cbor::Integer(failed.into()),
        ));
    }
    let response = Cbor::Map(members);
    Ok(cbor(200, &response))
}

fn text(key: &str, value: &str) -> (Cbor, Cbor) {
    (Cbor::Text(key.into()), Cbor::Text(value.into()))
}

fn cbor(status: u16, value: &Cbor) -> hyper::Response<http_body_util::Full<Bytes>> {
    let mut body = Vec::new();
    ciborium::into_writer(value, &mut body).expect("CBOR encodes");
    let mut response = http::respond(status, "application/cbor", body);
    response.headers_mut().insert(
        "smithy-protocol",
        hyper::header::HeaderValue::from_static("rpc-v2-cbor"),
    );
    response
}

/// `DescribeEventBus`: the stub's bus ([`BUS_ARN`]) exists, no other does.
fn describe_event_bus(body: &[u8]) -> hyper::Response<http_body_util::Full<Bytes>> {
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct Request {
        event_bus_arn: String,
    }
    let request: Request = ciborium::from_reader(body).expect("a DescribeEventBus request");
    if request.event_bus_arn != BUS_ARN {
        let message = format!("Event bus {} does not exist.", request.event_bus_arn);
        return error(404, "ResourceNotFoundException", &message);
    }
    let body = Cbor::Map(vec![
        text("EventBusArn", BUS_ARN),
        text("Name", "kafka-demo"),
    ]);
    cbor(200, &body)
}

fn error(status: u16, code: &str, message: &str) -> hyper::Response<http_body_util::Full<Bytes>> {
    let body = Cbor::Map(vec![
        text("__type", &format!("com.amazonaws.eventbridgev2#{code}")),
        text("message", message),
    ]);
    cbor(status, &body)
}

/// `PutEventsRequest`, as the client encodes it.
#[derive(serde::Deserialize)]
#[serde(rename_all = "PascalCase")]
struct PutEventsRequest {
    event_bus_arn: String,
    entries: Vec<RequestEntry>,
    #[serde(default)]
    deduplication_configuration: Option<DeduplicationConfiguration>,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RequestEntry {
    source: String,
    detail_type: String,
    #[serde(default)]
    detail: Option<String>,
    #[serde(default)]
    resources: Option<Vec<String>>,
    #[serde(default)]
    time: Option<Cbor>,
    #[serde(default)]
    system_metadata: Option<SystemMetadata>,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "PascalCase")]
struct SystemMetadata {
    #[serde(default)]
    event_group_id: Option<String>,
    #[serde(default)]
    deduplication_id: Option<String>,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DeduplicationConfiguration {
    deduplication_type: String,
}

/// The request's bus ARN, entries and deduplication type.
fn parse(body: &[u8]) -> (String, Vec<Entry>, Option<String>) {
    let request: PutEventsRequest =
        ciborium::from_reader(body).expect("a PutEvents request in CBOR");
    let entries = request
        .entries
        .into_iter()
        .map(|e| {
            let (event_group_id, deduplication_id) = e
                .system_metadata
                .map_or((None, None), |s| (s.event_group_id, s.deduplication_id));
            Entry {
                source: e.source,
                detail_type: e.detail_type,
                detail: e.detail.unwrap_or_default(),
                resources: e.resources.unwrap_or_default(),
                time_ms: e.time.as_ref().map(epoch_ms),
                event_group_id,
                deduplication_id,
            }
        })
        .collect();
    (
        request.event_bus_arn,
        entries,
        request
            .deduplication_configuration
            .map(|d| d.deduplication_type),
    )
}

/// A CBOR timestamp (tag 1, epoch seconds as an integer or a float) in epoch milliseconds.
fn epoch_ms(value: &Cbor) -> i64 {
    let inner = match value {
        Cbor::Tag(1, inner) => inner.as_ref(),
        other => other,
    };
    match inner {
        Cbor::Integer(i) => i64::try_from(i128::from(*i)).expect("seconds fit") * 1000,
        Cbor::Float(f) => (f * 1000.0).round() as i64,
        other => panic!("Time is not a timestamp: {other:?}"),
    }
}
