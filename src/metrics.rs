//! Operator metrics: one CloudWatch Embedded Metric Format document per invocation
//! (<https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html>),
//! printed by the entry point as one JSON line on stdout, where CloudWatch Logs turns it into
//! metrics. Pure: this module builds the documents; it prints nothing.
//!
//! The invocation document has the dimension `ConnectorId` and every metric. With the topic
//! dimension on, each topic of the invocation also gets a document with the dimensions
//! `ConnectorId` and `Topic` and the metrics that belong to records (received, delivered,
//! filtered, failed, failed by class); calls, retries, bytes and durations belong to the invocation as a
//! whole, so they stay in its document only.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use crate::report::{FailureClass, FailureCounts, Invocation};

/// Default of `AWS_EVENTBRIDGE_METRICS_NAMESPACE`.
pub(crate) const DEFAULT_NAMESPACE: &str = "KafkaEventBridge";

/// A CloudWatch namespace is at most 255 characters
/// (<https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_MetricDatum.html>,
/// `Namespace`).
pub(crate) const MAX_NAMESPACE_CHARS: usize = 255;

/// What metrics the function emits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetricsConfig {
    /// `AWS_EVENTBRIDGE_METRICS=emf` (the default) or `off`.
    pub(crate) enabled: bool,
    /// `AWS_EVENTBRIDGE_METRICS_NAMESPACE`.
    pub(crate) namespace: String,
    /// `AWS_EVENTBRIDGE_METRICS_TOPIC_DIMENSION`.
    pub(crate) per_topic: bool,
}

impl Default for MetricsConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            namespace: DEFAULT_NAMESPACE.to_owned(),
            per_topic: false,
        }
    }
}

impl MetricsConfig {
    /// Whether documents are emitted at all.
    pub fn enabled(&self) -> bool {
        self.enabled
    }
}

/// A metric's CloudWatch unit.
#[derive(Debug, Clone, Copy)]
enum Unit {
    Count,
    Bytes,
    Milliseconds,
}

impl Unit {
    fn as_str(self) -> &'static str {
        match self {
            Self::Count => "Count",
            Self::Bytes => "Bytes",
            Self::Milliseconds => "Milliseconds",
        }
    }
}

/// The per-record metrics of some records: received, delivered, filtered out, failed, failed
/// by class.
fn record_metrics(
    received: usize,
    filtered: usize,
    failed: &FailureCounts,
) -> Vec<(String, Unit, f64)> {
    let failed_total: usize = FailureClass::ALL.iter().map(|c| failed.get(*c)).sum();
    let count = |n: usize| n as f64;
    let mut out = vec![
        ("RecordsReceived".to_owned(), Unit::Count, count(received)),
        (
            "RecordsDelivered".to_owned(),
            Unit::Count,
            count(received - failed_total - filtered),
        ),
        ("RecordsFiltered".to_owned(), Unit::Count, count(filtered)),
        ("RecordsFailed".to_owned(), Unit::Count, count(failed_total)),
    ];
    for class in FailureClass::ALL {
        let n = failed.get(class);
        out.push((
            format!("RecordsFailed{}", class.metric_suffix()),
            Unit::Count,
            count(n),
        ));
    }
    out
}

/// The invocation-wide metrics.
fn invocation_metrics(done: &Invocation) -> Vec<(String, Unit, f64)> {
    let ms = |d: std::time::Duration| d.as_secs_f64() * 1000.0;
    let count = |n: usize| n as f64;
    [
        ("OffloadedObjects", Unit::Count, count(done.offloaded)),
        ("OffloadedBytes", Unit::Bytes, count(done.offloaded_bytes)),
        ("PutEventsCalls", Unit::Count, count(done.calls)),
        ("Retries", Unit::Count, count(done.retries)),
        ("ThrottledEntries", Unit::Count, count(done.throttled)),
        ("ThrottledCalls", Unit::Count, count(done.throttled_calls)),
        ("DeduplicatedEntries", Unit::Count, count(done.deduplicated)),
        ("RecordsTimeUnset", Unit::Count, count(done.time_unset)),
        (
            "ConcurrencyLimit",
            Unit::Count,
            count(done.concurrency_limit),
        ),
        ("BytesSent", Unit::Bytes, count(done.bytes_sent)),
        ("SendDuration", Unit::Milliseconds, ms(done.send_duration)),
        ("InvocationDuration", Unit::Milliseconds, ms(done.duration)),
    ]
    .into_iter()
    .map(|(name, unit, value)| (name.to_owned(), unit, value))
    .collect()
}

/// An EMF document: `_aws` first, then the dimensions' and metrics' members.
#[derive(serde::Serialize)]
struct Document {
    #[serde(rename = "_aws")]
    aws: Value,
    #[serde(flatten)]
    members: Map<String, Value>,
}

/// One EMF document: `_aws` with the directive, then each dimension and metric at the top level.
fn document(
    config: &MetricsConfig,
    timestamp_ms: u64,
    dimensions: &[(&str, &str)],
    metrics: &[(String, Unit, f64)],
) -> String {
    let mut members = Map::new();
    let declared: Vec<Value> = metrics
        .iter()
        .map(|(name, unit, _)| json!({"Name": name, "Unit": unit.as_str()}))
        .collect();
    let names: Vec<&str> = dimensions.iter().map(|(name, _)| *name).collect();
    let aws = json!({"Timestamp": timestamp_ms, "CloudWatchMetrics": [
        {"Namespace": config.namespace, "Dimensions": [names], "Metrics": declared}
    ]});
    for (name, value) in dimensions {
        members.insert((*name).to_owned(), json!(value));
    }
    for (name, _, value) in metrics {
        members.insert(name.clone(), json!(value));
    }
    let doc = Document { aws, members };
    serde_json::to_string(&doc).expect("a document of JSON values serializes")
}

/// The EMF documents of one invocation, as JSON lines: the invocation's, then one per topic
/// (in name order) when the topic dimension is on.
pub fn emf_documents(
    done: &Invocation,
    connector_id: &str,
    config: &MetricsConfig,
    timestamp_ms: u64,
) -> Vec<String> {
    let dims = [("ConnectorId", connector_id)];
    let mut metrics = record_metrics(
        done.tally.records,
        done.tally.filtered,
        &done.failed_by_class,
    );
    metrics.extend(invocation_metrics(done));
    let mut out = vec![document(config, timestamp_ms, &dims, &metrics)];
    if config.per_topic {
        let mut topics: BTreeMap<&str, usize> = BTreeMap::new();
        for record in &done.records {
            *topics
                .entry(record.topic.as_deref().unwrap_or("unknown"))
                .or_default() += 1;
        }
        for (topic, received) in topics {
            let failed = failed_in_topic(done, topic);
            let filtered = done
                .filtered
                .iter()
                .filter(|&&i| done.records[i].topic.as_deref().unwrap_or("unknown") == topic)
                .count();
            let dims = [("ConnectorId", connector_id), ("Topic", topic)];
            out.push(document(
                config,
                timestamp_ms,
                &dims,
                &record_metrics(received, filtered, &failed),
            ));
        }
    }
    out
}

/// Failed records per class, of the records of `topic`.
fn failed_in_topic(done: &Invocation, topic: &str) -> FailureCounts {
    let mut counts = FailureCounts::default();
    for (index, failure) in &done.failures {
        if done.records[*index].topic.as_deref().unwrap_or("unknown") == topic {
            counts.add(failure.class());
        }
    }
    counts
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::{DecodeError, RecordInfo, RecordRef};
    use crate::report::{Failure, Outcome};
    use std::sync::Arc;
    use std::time::Duration;

    /// The units the EMF specification allows (those of CloudWatch `MetricDatum`).
    const UNITS: [&str; 3] = ["Count", "Bytes", "Milliseconds"];

    /// Checks `line` against the specification's required fields; returns the document.
    fn valid_emf(line: &str) -> Value {
        let doc: Value = serde_json::from_str(line).unwrap();
        let aws = doc["_aws"]
            .as_object()
            .expect("_aws is an object at the root");
        assert!(aws["Timestamp"].as_u64().is_some(), "Timestamp in epoch ms");
        let directives = aws["CloudWatchMetrics"].as_array().unwrap();
        assert!(!directives.is_empty());
        for directive in directives {
            let namespace = directive["Namespace"].as_str().unwrap();
            assert!((1..=255).contains(&namespace.len()));
            for set in directive["Dimensions"].as_array().unwrap() {
                let set = set.as_array().unwrap();
                assert!(set.len() <= 30, "at most 30 dimensions per set");
                for name in set {
                    let name = name.as_str().unwrap();
                    assert!(
                        doc[name].is_string(),
                        "dimension {name} is a root string member"
                    );
                }
            }
            let metrics = directive["Metrics"].as_array().unwrap();
            assert!(!metrics.is_empty() && metrics.len() <= 100);
            for metric in metrics {
                let name = metric["Name"].as_str().unwrap();
                assert!((1..=255).contains(&name.len()));
                assert!(
                    UNITS.contains(&metric["Unit"].as_str().unwrap()),
                    "{metric}"
                );
                assert!(
                    doc[name].is_number(),
                    "metric {name} has a value in the document"
                );
            }
        }
        doc
    }

    fn record(topic: &str, offset: i64) -> RecordInfo {
        RecordInfo {
            id: RecordRef {
                partition_key: Arc::from(format!("{topic}-0")),
                offset,
            },
            topic: Some(Arc::from(topic)),
            partition: Some(0),
        }
    }

    fn invocation() -> Invocation {
        let counted = Invocation {
            calls: 3,
            retries: 1,
            throttled: 2,
            throttled_calls: 1,
            deduplicated: 2,
            time_unset: 1,
            concurrency_limit: 4,
            bytes_sent: 1500,
            offloaded: 1,
            offloaded_bytes: 700,
            send_duration: Duration::from_millis(40),
            ..Invocation::default()
        };
        let failed = Outcome::Failed(Failure::Decode(DecodeError::NoTopic));
        let outcomes = vec![
            (record("orders", 1), Outcome::Delivered),
            (record("orders", 2), failed),
            (record("orders", 3), Outcome::Filtered),
            (record("clicks", 7), Outcome::Delivered),
        ];
        crate::report::build(outcomes, counted, Duration::from_millis(55))
    }

    #[test]
    fn one_document_per_invocation_with_every_metric() {
        let config = MetricsConfig::default();
        let docs = emf_documents(&invocation(), "c1", &config, 1_764_240_000_000);
        assert_eq!(docs.len(), 1);
        let doc = valid_emf(&docs[0]);
        assert_eq!(doc["_aws"]["Timestamp"], 1_764_240_000_000_u64);
        assert_eq!(
            doc["_aws"]["CloudWatchMetrics"][0]["Namespace"],
            "KafkaEventBridge"
        );
        assert_eq!(
            doc["_aws"]["CloudWatchMetrics"][0]["Dimensions"],
            json!([["ConnectorId"]])
        );
        assert_eq!(doc["ConnectorId"], "c1");
        for (name, value) in [
            ("RecordsReceived", 4.0),
            ("RecordsDelivered", 2.0),
            ("RecordsFiltered", 1.0),
            ("RecordsFailed", 1.0),
            ("RecordsFailedDecode", 1.0),
            ("RecordsFailedDeadline", 0.0),
            ("PutEventsCalls", 3.0),
            ("Retries", 1.0),
            ("ThrottledEntries", 2.0),
            ("ThrottledCalls", 1.0),
            ("DeduplicatedEntries", 2.0),
            ("RecordsTimeUnset", 1.0),
            ("RecordsFailedOrderHeld", 0.0),
            ("ConcurrencyLimit", 4.0),
            ("BytesSent", 1500.0),
            ("OffloadedObjects", 1.0),
            ("OffloadedBytes", 700.0),
            ("SendDuration", 40.0),
            ("InvocationDuration", 55.0),
        ] {
            assert_eq!(doc[name].as_f64(), Some(value), "{name}");
        }
        let declared = doc["_aws"]["CloudWatchMetrics"][0]["Metrics"]
            .as_array()
            .unwrap()
            .len();
        assert_eq!(declared, 4 + FailureClass::ALL.len() + 12);
    }

    #[test]
    fn the_directive_comes_first() {
        let docs = emf_documents(&invocation(), "c1", &MetricsConfig::default(), 1);
        assert!(docs[0].starts_with(r#"{"_aws":{"#), "{}", docs[0]);
    }

    #[test]
    fn a_document_per_topic_with_the_records_metrics() {
        let config = MetricsConfig {
            per_topic: true,
            namespace: "Team/Kafka".into(),
            ..MetricsConfig::default()
        };
        let docs = emf_documents(&invocation(), "c1", &config, 1);
        assert_eq!(docs.len(), 3, "the invocation's, then clicks and orders");
        let clicks = valid_emf(&docs[1]);
        let orders = valid_emf(&docs[2]);
        let dims = json!([["ConnectorId", "Topic"]]);
        assert_eq!(orders["_aws"]["CloudWatchMetrics"][0]["Dimensions"], dims);
        assert_eq!(
            orders["_aws"]["CloudWatchMetrics"][0]["Namespace"],
            "Team/Kafka"
        );
        assert_eq!(
            (clicks["Topic"].as_str(), clicks["RecordsReceived"].as_f64()),
            (Some("clicks"), Some(1.0))
        );
        assert_eq!(orders["Topic"], "orders");
        assert_eq!(orders["RecordsReceived"].as_f64(), Some(3.0));
        assert_eq!(orders["RecordsDelivered"].as_f64(), Some(1.0));
        assert_eq!(orders["RecordsFiltered"].as_f64(), Some(1.0));
        assert_eq!(clicks["RecordsFiltered"].as_f64(), Some(0.0));
        assert_eq!(orders["RecordsFailedDecode"].as_f64(), Some(1.0));
        assert!(
            orders.get("PutEventsCalls").is_none(),
            "calls belong to the invocation"
        );
    }
}
