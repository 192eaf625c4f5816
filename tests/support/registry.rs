//! A Confluent Schema Registry stand-in on 127.0.0.1: `GET /schemas/ids/{id}` (and
//! `GET /schemas/guids/{guid}` for a schema registered with its GUID) answers
//! `{"schema": "<text>"}` (with `schemaType` and `references` when set) for the schemas
//! registered here, `GET /subjects/{subject}/versions/{version}` the schema that subject
//! version names, and `404` with Confluent's error body (`{"error_code": 40403, …}`) for the
//! others; it counts the requests per id, can be taken "down" (503) and can require HTTP basic
//! auth.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use hyper::Request;
use hyper::body::Incoming;

use super::http::{Reply, Stub, respond};

#[derive(Default)]
struct State {
    /// The schema text and `schemaType` (absent for Avro) of each id.
    schemas: HashMap<u32, (String, Option<&'static str>)>,
    /// The references (`name`, `subject`, `version`) of each id that has some.
    references: HashMap<u32, Vec<(String, String, i64)>>,
    /// The id each subject version names.
    subjects: HashMap<(String, String), u32>,
    /// The id each schema GUID names (`GET /schemas/guids/{guid}`).
    guids: HashMap<String, u32>,
    requests: HashMap<u32, usize>,
    down: bool,
    /// `user:password` that every request must carry.
    user_info: Option<String>,
    /// Hostile answers, for the bounds of the registry client.
    hostile: Hostile,
}

/// How the stand-in misbehaves, for every request after the count.
#[derive(Default, Clone)]
pub enum Hostile {
    /// It does not.
    #[default]
    No,
    /// It never answers.
    Stall,
    /// A 200 answer of this many bytes.
    HugeBody(usize),
    /// A 500 whose `message` is this many bytes.
    LongError(usize),
    /// A 302 to this URL.
    Redirect(String),
}

/// The stand-in; stopped when dropped.
pub struct Registry {
    /// `http://127.0.0.1:<port>`.
    pub url: String,
    state: Arc<Mutex<State>>,
    _stub: Stub,
}

impl Registry {
    pub async fn start() -> Self {
        let state = Arc::new(Mutex::new(State::default()));
        let shared = Arc::clone(&state);
        let stub = Stub::start(move |req: Request<Incoming>| {
            let state = Arc::clone(&shared);
            async move {
                let hostile = state.lock().unwrap().hostile.clone();
                match hostile {
                    Hostile::Stall => {
                        tokio::time::sleep(std::time::Duration::from_secs(3_600)).await;
                        handle(&req, &state)
                    }
                    Hostile::HugeBody(n) => Ok(respond(200, "application/json", vec![b' '; n])),
                    Hostile::LongError(n) => Ok(error(500, 50001, &"E".repeat(n))),
                    Hostile::Redirect(to) => {
                        *state.lock().unwrap().requests.entry(0).or_default() += 1;
                        Ok(hyper::Response::builder()
                            .status(302)
                            .header("location", format!("{to}{}", req.uri().path()))
                            .body(http_body_util::Full::new(bytes::Bytes::new()))
                            .unwrap())
                    }
                    Hostile::No => handle(&req, &state),
                }
            }
        })
        .await;
        Self {
            url: stub.endpoint.clone(),
            state,
            _stub: stub,
        }
    }

    /// Registers `schema` (Avro schema JSON) under `id`.
    pub fn register(&self, id: u32, schema: &str) {
        self.state
            .lock()
            .unwrap()
            .schemas
            .insert(id, (schema.to_owned(), None));
    }

    /// Registers `schema` of `schema_type` (`None` for Avro) under `id` and `guid`, as a
    /// registry that serves schemas by GUID does (`GET /schemas/guids/{guid}` answers what
    /// `GET /schemas/ids/{id}` does).
    pub fn register_with_guid(
        &self,
        id: u32,
        guid: &str,
        schema: &str,
        schema_type: Option<&'static str>,
    ) {
        let mut state = self.state.lock().unwrap();
        state.schemas.insert(id, (schema.to_owned(), schema_type));
        state.guids.insert(guid.to_owned(), id);
    }

    /// Registers `.proto` text under `id` (`schemaType: PROTOBUF`).
    pub fn register_protobuf(&self, id: u32, schema: &str) {
        self.state
            .lock()
            .unwrap()
            .schemas
            .insert(id, (schema.to_owned(), Some("PROTOBUF")));
    }

    /// Registers a JSON Schema under `id` (`schemaType: JSON`).
    pub fn register_json_schema(&self, id: u32, schema: &str) {
        self.state
            .lock()
            .unwrap()
            .schemas
            .insert(id, (schema.to_owned(), Some("JSON")));
    }

    /// Makes version `version` of `subject` name the schema `id` (`latest` too, for the
    /// highest version registered).
    pub fn register_subject(&self, subject: &str, version: i64, id: u32) {
        let mut state = self.state.lock().unwrap();
        let latest = state
            .subjects
            .keys()
            .filter(|(s, v)| s == subject && v != "latest")
            .filter_map(|(_, v)| v.parse::<i64>().ok())
            .max();
        if latest.is_none_or(|l| l <= version) {
            state
                .subjects
                .insert((subject.to_owned(), "latest".to_owned()), id);
        }
        state
            .subjects
            .insert((subject.to_owned(), version.to_string()), id);
    }

    /// The references of schema `id`: (`name`, `subject`, `version`) each.
    pub fn set_references(&self, id: u32, references: &[(&str, &str, i64)]) {
        self.state.lock().unwrap().references.insert(
            id,
            references
                .iter()
                .map(|(n, s, v)| ((*n).to_owned(), (*s).to_owned(), *v))
                .collect(),
        );
    }

    /// Requests made for `id` so far (by id, or by a subject version that names it).
    pub fn requests(&self, id: u32) -> usize {
        self.state
            .lock()
            .unwrap()
            .requests
            .get(&id)
            .copied()
            .unwrap_or(0)
    }

    /// Every request answers 503 while `down`.
    pub fn set_down(&self, down: bool) {
        self.state.lock().unwrap().down = down;
    }

    /// The bytes of every schema text registered.
    pub fn schema_bytes(&self) -> u64 {
        let state = self.state.lock().unwrap();
        state
            .schemas
            .values()
            .map(|(text, _)| text.len() as u64)
            .sum()
    }

    /// Misbehaves as `hostile` says from now on.
    pub fn set_hostile(&self, hostile: Hostile) {
        self.state.lock().unwrap().hostile = hostile;
    }

    /// Every request made so far, for any id or subject (a redirected one counts under 0).
    pub fn all_requests(&self) -> usize {
        self.state.lock().unwrap().requests.values().sum()
    }

    /// Requires basic auth with `user_info` (`user:password`).
    pub fn require_auth(&self, user_info: &str) {
        self.state.lock().unwrap().user_info = Some(user_info.to_owned());
    }
}

fn handle(req: &Request<Incoming>, state: &Mutex<State>) -> Reply {
    let mut state = state.lock().unwrap();
    let path = req.uri().path();
    if path == "/subjects" {
        // The subjects (none listed): the registry's cheapest authenticated request.
        return Ok(refusal(req, &state)
            .unwrap_or_else(|| respond(200, "application/vnd.schemaregistry.v1+json", "[]")));
    }
    let by_id = path
        .strip_prefix("/schemas/ids/")
        .and_then(|id| id.parse::<u32>().ok());
    let by_subject = path
        .strip_prefix("/subjects/")
        .and_then(|rest| rest.split_once("/versions/"))
        .map(|(subject, version)| {
            let subject = percent_encoding::percent_decode_str(subject)
                .decode_utf8_lossy()
                .into_owned();
            state
                .subjects
                .get(&(subject.clone(), version.to_owned()))
                .copied()
                .ok_or(subject)
        });
    let by_guid = path.strip_prefix("/schemas/guids/").map(|guid| {
        state
            .guids
            .get(guid)
            .copied()
            .ok_or_else(|| guid.to_owned())
    });
    if let Some(Err(guid)) = &by_guid {
        return Ok(error(404, 40403, &format!("Schema {guid} not found")));
    }
    let by_id = by_id.or(by_guid.and_then(Result::ok));
    let id = match (by_id, by_subject) {
        (Some(id), _) | (None, Some(Ok(id))) => id,
        (None, Some(Err(subject))) => {
            return Ok(error(
                404,
                40401,
                &format!("Subject '{subject}' not found."),
            ));
        }
        (None, None) => return Ok(error(404, 404, "HTTP 404 Not Found")),
    };
    *state.requests.entry(id).or_default() += 1;
    if let Some(refused) = refusal(req, &state) {
        return Ok(refused);
    }
    Ok(match state.schemas.get(&id) {
        Some((schema, schema_type)) => {
            let mut body = serde_json::json!({ "schema": schema });
            if let Some(t) = schema_type {
                body["schemaType"] = serde_json::json!(t);
            }
            if let Some(references) = state.references.get(&id) {
                body["references"] = references
                    .iter()
                    .map(|(name, subject, version)| {
                        serde_json::json!({"name": name, "subject": subject, "version": version})
                    })
                    .collect();
            }
            respond(
                200,
                "application/vnd.schemaregistry.v1+json",
                body.to_string(),
            )
        }
        None => error(404, 40403, &format!("Schema {id} not found")),
    })
}

/// The answer of a registry that is down, or of a request without the required credentials.
fn refusal(
    req: &Request<Incoming>,
    state: &State,
) -> Option<hyper::Response<http_body_util::Full<bytes::Bytes>>> {
    if state.down {
        return Some(error(503, 50301, "Service unavailable"));
    }
    let expected = state.user_info.as_ref()?;
    let sent = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|v| base64::engine::general_purpose::STANDARD.decode(v).ok());
    (sent.as_deref() != Some(expected.as_bytes())).then(|| error(401, 401, "Unauthorized"))
}

fn error(
    status: u16,
    code: u32,
    message: &str,
) -> hyper::Response<http_body_util::Full<bytes::Bytes>> {
    respond(
        status,
        "application/vnd.schemaregistry.v1+json",
        serde_json::json!({ "error_code": code, "message": message }).to_string(),
    )
}
