//! The seam between the pipeline and an object store (S3 today, [`S3Store`](crate::S3Store)),
//! and the upload step of the claim check: every planned object is put through the retry
//! engine, before any event is sent.

use std::error::Error as StdError;
use std::fmt;
use std::future::Future;
use std::sync::Arc;

use futures_util::future::BoxFuture;

use crate::error::CallFailure;
use crate::retry::Caller;

/// One object to upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upload {
    /// The object key.
    pub key: String,
    /// The object body.
    pub body: Vec<u8>,
    /// Its `Content-Type`.
    pub content_type: &'static str,
}

/// An object store.
pub trait BlobStore: Send + Sync {
    /// What a failed upload returns.
    type Error: StdError + Send + Sync + 'static;

    /// Stores one object.
    fn put(&self, upload: &Upload) -> impl Future<Output = Result<(), Self::Error>> + Send;

    /// Whether a failed upload may succeed when tried again.
    fn is_retryable(&self, error: &Self::Error) -> bool;
}

impl<S: BlobStore> BlobStore for Arc<S> {
    type Error = S::Error;

    fn put(&self, upload: &Upload) -> impl Future<Output = Result<(), S::Error>> + Send {
        S::put(self, upload)
    }

    fn is_retryable(&self, error: &S::Error) -> bool {
        S::is_retryable(self, error)
    }
}

/// A store's error, classified where the store's type was still known.
#[derive(Debug, thiserror::Error)]
enum Classified {
    #[error(transparent)]
    Retryable(Box<dyn StdError + Send + Sync>),
    #[error(transparent)]
    Final(Box<dyn StdError + Send + Sync>),
}

/// Any [`BlobStore`], behind one type, so that a pipeline's type does not depend on whether it
/// offloads.
pub(crate) struct AnyStore(Box<dyn ErasedStore>);

trait ErasedStore: Send + Sync {
    fn put<'a>(&'a self, upload: &'a Upload) -> BoxFuture<'a, Result<(), Classified>>;
}

impl<S: BlobStore> ErasedStore for S {
    fn put<'a>(&'a self, upload: &'a Upload) -> BoxFuture<'a, Result<(), Classified>> {
        Box::pin(async move {
            BlobStore::put(self, upload).await.map_err(|e| {
                if self.is_retryable(&e) {
                    Classified::Retryable(Box::new(e))
                } else {
                    Classified::Final(Box::new(e))
                }
            })
        })
    }
}

impl fmt::Debug for AnyStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AnyStore")
    }
}

impl AnyStore {
    pub(crate) fn new<S: BlobStore + 'static>(store: S) -> Self {
        Self(Box::new(store))
    }

    /// Uploads every object through `caller`, retrying retryable failures within its budget
    /// and deadline. Returns one result per upload, in order.
    pub(crate) async fn upload_all(
        &self,
        uploads: &[&Upload],
        caller: &Caller,
    ) -> Vec<Result<(), CallFailure>> {
        let runs = uploads.iter().map(|upload| {
            caller.with_retries(
                || self.0.put(upload),
                |e: &Classified| matches!(e, Classified::Retryable(_)),
            )
        });
        futures_util::future::join_all(runs).await
    }
}

/// Why a record that needs offloading fails in a pipeline built without an object store.
#[derive(Debug, Clone, Copy, thiserror::Error)]
#[error("no object store is configured for offloading")]
pub(crate) struct NoObjectStore;

pub(crate) mod s3;
