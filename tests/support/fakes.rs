//! In-process fakes of the pipeline's seams: a bus that answers each call from a script (and
//! accepts everything once the script is spent) and keeps the ground truth of what it was sent
//! and accepted, and an object store that fails the uploads a script says to fail.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Mutex;

use kafka_eventbridge_lambda::put_events_entry_size as entry_size;
use kafka_eventbridge_lambda::{
    BatchLimits, BlobStore, CallClass, EntryStatus, EventBus, EventEntry, PUT_EVENTS_LIMITS, Upload,
};
use serde_json::Value;

pub type Id = (String, i64);

#[derive(Debug, Clone)]
pub enum Call {
    AcceptAll,
    /// Per-entry answers, cycled over the call's entries.
    PerEntry(Vec<Answer>),
    Fail {
        retryable: bool,
    },
    /// The whole call refused as too large (HTTP 413).
    TooLarge,
    Hang,
}

#[derive(Debug, Clone, Copy)]
pub enum Answer {
    Accept,
    Throttled,
    Internal,
    Malformed,
}

#[derive(Debug, thiserror::Error)]
#[error("scripted failure")]
pub struct Failure {
    pub retryable: bool,
    pub too_large: bool,
}

#[derive(Default)]
pub struct State {
    pub script: VecDeque<Call>,
    pub sends: HashMap<Id, u32>,
    /// Sends refused as part of a call too large (they spend no retry).
    pub refused_too_large: HashMap<Id, u32>,
    pub accepted: HashSet<Id>,
    pub calls: Vec<(usize, usize)>,
    pub sent_datarefs: Vec<String>,
    /// The `TraceHeader` of every entry sent.
    pub trace_headers: Vec<Option<String>>,
    /// The bus declares itself ordered (as a Custom Event Bus does).
    pub ordered: bool,
}

pub struct FakeBus {
    pub state: Mutex<State>,
}

pub fn id_of(entry: &EventEntry) -> Id {
    let d: Value = serde_json::from_str(&entry.detail).expect("detail is JSON");
    let key = format!("{}-{}", d["topic"].as_str().expect("topic"), d["partition"]);
    (key, d["offset"].as_i64().expect("offset"))
}

impl EventBus for FakeBus {
    type Error = Failure;

    fn limits(&self) -> BatchLimits {
        PUT_EVENTS_LIMITS
    }

    fn ordered(&self) -> bool {
        self.state.lock().expect("lock").ordered
    }

    fn classify(&self, error: &Failure) -> CallClass {
        match (error.too_large, error.retryable) {
            (true, _) => CallClass::TooLarge,
            (false, true) => CallClass::Transient,
            (false, false) => CallClass::Final,
        }
    }

    fn entry_size(&self, entry: &EventEntry) -> usize {
        entry_size(entry)
    }

    async fn put(&self, entries: &[&EventEntry]) -> Result<Vec<EntryStatus>, Failure> {
        let call = {
            let mut state = self.state.lock().expect("lock");
            state
                .calls
                .push((entries.len(), entries.iter().map(|e| entry_size(e)).sum()));
            for e in entries {
                *state.sends.entry(id_of(e)).or_default() += 1;
                state
                    .trace_headers
                    .push(e.trace_header.as_deref().map(str::to_owned));
                let detail: Value = serde_json::from_str(&e.detail).expect("detail is JSON");
                if let Some(arn) = detail["dataref"].as_str() {
                    let key = arn
                        .strip_prefix("arn:aws:s3:::bucket/")
                        .expect("an S3 ARN in the bucket");
                    state.sent_datarefs.push(key.to_owned());
                }
            }
            state.script.pop_front().unwrap_or(Call::AcceptAll)
        };
        let answers: Vec<Answer> = match call {
            Call::AcceptAll => vec![Answer::Accept],
            Call::PerEntry(a) if !a.is_empty() => a,
            Call::PerEntry(_) => vec![Answer::Accept],
            Call::Fail { retryable } => {
                return Err(Failure {
                    retryable,
                    too_large: false,
                });
            }
            Call::TooLarge => {
                let mut state = self.state.lock().expect("lock");
                for e in entries {
                    *state.refused_too_large.entry(id_of(e)).or_default() += 1;
                }
                return Err(Failure {
                    retryable: false,
                    too_large: true,
                });
            }
            Call::Hang => std::future::pending().await,
        };
        let mut state = self.state.lock().expect("lock");
        Ok(entries
            .iter()
            .enumerate()
            .map(|(i, e)| {
                let rejected = |code: &str, retryable| EntryStatus::Rejected {
                    code: code.into(),
                    message: "scripted".into(),
                    retryable,
                    throttled: code == "ThrottlingException",
                };
                match answers[i % answers.len()] {
                    Answer::Accept => {
                        state.accepted.insert(id_of(e));
                        EntryStatus::Accepted
                    }
                    Answer::Throttled => rejected("ThrottlingException", true),
                    Answer::Internal => rejected("InternalFailure", true),
                    Answer::Malformed => rejected("MalformedDetail", false),
                }
            })
            .collect())
    }
}

/// An object store that fails the uploads a script says to fail, and keeps what it stored.
#[derive(Default)]
pub struct FakeStore {
    pub script: Mutex<VecDeque<Option<bool>>>,
    pub stored: Mutex<HashSet<String>>,
}

impl BlobStore for FakeStore {
    type Error = Failure;

    async fn put(&self, upload: &Upload) -> Result<(), Failure> {
        // None: store it; Some(retryable): fail.
        match self.script.lock().expect("lock").pop_front().flatten() {
            Some(retryable) => Err(Failure {
                retryable,
                too_large: false,
            }),
            None => {
                self.stored.lock().expect("lock").insert(upload.key.clone());
                Ok(())
            }
        }
    }

    fn is_retryable(&self, error: &Failure) -> bool {
        error.retryable
    }
}

impl Default for FakeBus {
    fn default() -> Self {
        Self {
            state: Mutex::new(State::default()),
        }
    }
}
