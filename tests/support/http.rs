//! The one HTTP/1 server loop of the local stubs (the fault server, the credentials stub, the
//! bench's Lambda runtime API): accept, then serve each connection on its own task.

use std::convert::Infallible;
use std::error::Error;
use std::future::Future;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// The response of a stub.
pub type Reply<E = Infallible> = Result<Response<Full<Bytes>>, E>;

/// Serves every connection on `listener` with `handle` until the task is aborted or the
/// runtime ends. A handler's `Err` aborts its connection (a reset, for the fault server).
pub fn serve<F, Fut, E>(listener: TcpListener, handle: F) -> JoinHandle<()>
where
    F: Fn(Request<Incoming>) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Reply<E>> + Send + 'static,
    E: Into<Box<dyn Error + Send + Sync>> + 'static,
{
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let handle = handle.clone();
            tokio::spawn(async move {
                // A reset or an aborted connection ends here; for some stubs that is the point.
                http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service_fn(handle))
                    .await
                    .ok();
            });
        }
    })
}

/// A stub on 127.0.0.1 that serves every connection with a handler; stopped when dropped.
pub struct Stub {
    /// `http://127.0.0.1:<port>`.
    pub endpoint: String,
    task: JoinHandle<()>,
}

impl Stub {
    /// Binds a free port and serves it with `handle` (see [`serve`]).
    pub async fn start<F, Fut, E>(handle: F) -> Self
    where
        F: Fn(Request<Incoming>) -> Fut + Clone + Send + Sync + 'static,
        Fut: Future<Output = Reply<E>> + Send + 'static,
        E: Into<Box<dyn Error + Send + Sync>> + 'static,
    {
        let listener = TcpListener::bind(("127.0.0.1", 0))
            .await
            .expect("a local port");
        let endpoint = format!("http://{}", listener.local_addr().expect("an address"));
        Self {
            endpoint,
            task: serve(listener, handle),
        }
    }
}

impl Drop for Stub {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A response with `content_type` and `body`.
pub fn respond(status: u16, content_type: &str, body: impl Into<Bytes>) -> Response<Full<Bytes>> {
    Response::builder()
        .status(status)
        .header("content-type", content_type)
        .body(Full::new(body.into()))
        .expect("a valid response")
}
