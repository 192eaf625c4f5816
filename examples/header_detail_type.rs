//! A Lambda function built on the library with a plug-in detail-type mapper: an event's
//! detail-type is the record's `event-type` header when it has one, and the configured rule
//! (`AWS_EVENTBRIDGE_DETAIL_TYPES*`) otherwise. Everything else (configuration, claim check,
//! retries, metrics, partial batch response) is the function's own: it serves through the same
//! [`Pipeline::serve`](kafka_eventbridge_lambda::Pipeline::serve) as the function.
//!
//! Build and run it like the function: `cargo lambda watch --example header_detail_type`, or
//! `cargo lambda build --release --example header_detail_type` for a deployable `bootstrap`.

use kafka_eventbridge_lambda::{DecodedRecord, DetailTypeMapper, DetailTypeRule, cold_start};
use lambda_runtime::Error;

/// The header that names an event's detail-type.
const HEADER: &str = "event-type";

/// The detail-type from the [`HEADER`] header (its first occurrence, when it is UTF-8 and not
/// blank), else from the configured rule. A header value EventBridge does not accept (over 128
/// characters) fails its record, reported in `batchItemFailures`; the batch goes on.
#[derive(Debug)]
struct HeaderDetailType {
    fallback: DetailTypeRule,
}

impl DetailTypeMapper for HeaderDetailType {
    fn detail_type(&self, record: &DecodedRecord) -> String {
        record
            .headers
            .iter()
            .find(|(name, _)| name == HEADER)
            .and_then(|(_, value)| std::str::from_utf8(value).ok())
            .filter(|value| !value.trim().is_empty())
            .map_or_else(|| self.fallback.detail_type(record), str::to_owned)
    }
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let start = cold_start().await?;
    let pipeline = start
        .pipeline()
        .detail_type(HeaderDetailType {
            fallback: start.config().detail_type_rule().clone(),
        })
        .build();
    pipeline.serve().await
}
