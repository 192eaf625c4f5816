//! Amazon S3 behind the [`BlobStore`] seam: `PutObject` with the `aws-sdk-s3` client, built once
//! at cold start with the SDK's own retries turned off (the offload stage owns retries). The S3
//! endpoint override is separate from EventBridge's and switches to path-style addressing.

use aws_sdk_s3::Client;
use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::error::SdkError;
use aws_sdk_s3::operation::put_object::PutObjectError;
use aws_sdk_s3::primitives::ByteStream;

use crate::store::{BlobStore, Upload};

/// A PutObject call that failed.
#[derive(Debug, thiserror::Error)]
#[error("PutObject to bucket {bucket:?} failed")]
pub struct PutObjectCallError {
    bucket: String,
    #[source]
    source: Box<SdkError<PutObjectError, HttpResponse>>,
}

/// One S3 bucket.
#[derive(Debug, Clone)]
pub struct S3Store {
    client: Client,
    bucket: String,
}

impl S3Store {
    /// A store that puts objects in `bucket` through `client`.
    pub fn new(client: Client, bucket: String) -> Self {
        Self { client, bucket }
    }
}

impl BlobStore for S3Store {
    type Error = PutObjectCallError;

    async fn put(&self, upload: &Upload) -> Result<(), PutObjectCallError> {
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(&upload.key)
            .content_type(upload.content_type)
            .body(ByteStream::from(upload.body.clone()))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| PutObjectCallError {
                bucket: self.bucket.clone(),
                source: Box::new(e),
            })
    }

    fn is_retryable(&self, error: &PutObjectCallError) -> bool {
        is_retryable(&error.source)
    }
}

/// PutObject error codes worth trying again (besides HTTP 429 and 5xx, which `SlowDown` is).
pub(crate) const RETRYABLE_CODES: [&str; 3] = ["SlowDown", "RequestTimeout", "InternalError"];

/// Whether a failed PutObject may succeed when tried again: throttling, server errors,
/// timeouts and lost connections may; a missing bucket or denied access may not.
pub(crate) fn is_retryable(error: &SdkError<PutObjectError, HttpResponse>) -> bool {
    crate::sdk::is_retryable(error, &RETRYABLE_CODES)
}
