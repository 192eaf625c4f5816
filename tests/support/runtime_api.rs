//! A stub Lambda runtime API for the benches: it hands the real binary one event `total` times
//! and notes when `/next` was first polled, when responses came back and how many. After the
//! first invocation it holds the next `/next` until [`RuntimeApi::release`], so that a
//! measurement can start with the function idle.

use std::convert::Infallible;
use std::ffi::OsStr;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper::body::Incoming;
use hyper::{Request, Response};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

use super::http;

#[derive(Debug, Default, Clone, Copy)]
pub struct Seen {
    /// When the function first polled `/next`.
    pub first_poll: Option<Instant>,
    /// When the first response (or error) came back.
    pub first_response: Option<Instant>,
    /// Invocations handed out.
    pub served: usize,
    /// Responses and errors received.
    pub responses: usize,
    /// The function polled `/next` again after the first invocation, and is held.
    pub idle_after_first: bool,
}

/// The stub; it serves until the runtime ends.
pub struct RuntimeApi {
    pub address: String,
    seen: Arc<Mutex<Seen>>,
    go: Arc<Semaphore>,
}

impl RuntimeApi {
    /// Serves `event` `total` times; any further `/next` waits forever.
    pub async fn start(event: Bytes, total: usize) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a local port");
        let address = listener.local_addr().expect("an address").to_string();
        let seen = Arc::new(Mutex::new(Seen::default()));
        let go = Arc::new(Semaphore::new(0));
        let (shared, gate) = (Arc::clone(&seen), Arc::clone(&go));
        http::serve(listener, move |req: Request<Incoming>| {
            let (seen, gate, event) = (Arc::clone(&shared), Arc::clone(&gate), event.clone());
            async move {
                let path = req.uri().path().to_owned();
                req.into_body().collect().await.ok();
                if path.ends_with("/invocation/next") {
                    let n = {
                        let mut s = seen.lock().expect("lock");
                        s.first_poll.get_or_insert_with(Instant::now);
                        s.idle_after_first |= s.served == 1;
                        s.served
                    };
                    if n == 1 {
                        gate.acquire().await.expect("never closed").forget();
                    }
                    if n >= total {
                        std::future::pending::<()>().await;
                    }
                    seen.lock().expect("lock").served += 1;
                    return Ok::<_, Infallible>(next_invocation(event, n));
                }
                if path.ends_with("/response") || path.ends_with("/error") {
                    let mut s = seen.lock().expect("lock");
                    s.responses += 1;
                    s.first_response.get_or_insert_with(Instant::now);
                }
                Ok(http::respond(202, "application/json", Bytes::new()))
            }
        });
        Self { address, seen, go }
    }

    /// What the stub saw so far.
    pub fn seen(&self) -> Seen {
        *self.seen.lock().expect("lock")
    }

    /// Lets the invocations after the first go.
    pub fn release(&self) {
        self.go.add_permits(1);
    }

    /// `binary` (the function) against this stub, sending to `endpoint`, quiet (its EMF lines
    /// would fill a bench's output), with dummy credentials; add variables before spawning.
    pub fn function(&self, binary: &OsStr, endpoint: &str) -> Command {
        let mut command = Command::new(binary);
        command
            .stdout(Stdio::null())
            .env_clear()
            .env("AWS_LAMBDA_RUNTIME_API", &self.address)
            .env("AWS_LAMBDA_FUNCTION_NAME", "bench")
            .env("AWS_LAMBDA_FUNCTION_VERSION", "1")
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "512")
            .env("AWS_ACCESS_KEY_ID", "test")
            .env("AWS_SECRET_ACCESS_KEY", "test")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_LAMBDA_LOG_LEVEL", "ERROR")
            .env("AWS_EVENTBRIDGE_CONNECTOR_ID", "bench")
            .env(
                "AWS_EVENTBRIDGE_EVENTBUS_ARN",
                "arn:aws:events:us-east-1:123456789012:event-bus/b",
            )
            .env("AWS_EVENTBRIDGE_ENDPOINT_URI", endpoint);
        command
    }
}

/// The runtime API's answer to `/next`: `event` as invocation `n`, due in 60 s.
fn next_invocation(event: Bytes, n: usize) -> Response<Full<Bytes>> {
    let deadline = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_millis()
        + 60_000;
    Response::builder()
        .header("lambda-runtime-aws-request-id", format!("bench-{n}"))
        .header("lambda-runtime-deadline-ms", deadline.to_string())
        .header(
            "lambda-runtime-invoked-function-arn",
            "arn:aws:lambda:us-east-1:123456789012:function:f",
        )
        .body(Full::new(event))
        .expect("a valid response")
}

/// Peak resident memory of `pid` so far (`VmHWM`), in bytes.
pub fn peak_rss(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let kib: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0);
    kib * 1024
}
