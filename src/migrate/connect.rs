//! Kafka Connect's own properties: the topics and consumer settings become the template's
//! trigger parameters (one event source mapping per topic), `errors.*` the mapping's on-failure
//! destination, and what Connect does that Lambda does itself is noted as not needed.

use std::collections::BTreeMap;

use super::connector::CONNECTOR_CLASS;
use super::params;
use super::plan::{NoteKind, Plan};
use super::text::shown;

/// The most records per batch a Kafka event source mapping takes (`BatchSize`,
/// <https://docs.aws.amazon.com/lambda/latest/api/API_CreateEventSourceMapping.html>).
const MAX_BATCH_SIZE: u32 = 10_000;
/// The longest Kafka topic name (Kafka's `Topic.MAX_NAME_LENGTH`; the event source mapping's
/// `Topics` items are 1 to 249 characters).
const MAX_TOPIC_CHARS: usize = 249;

/// Whether `topic` is a name Kafka and the event source mapping accept: 1 to 249 of
/// `a-z A-Z 0-9 . _ -`, not `.` or `..`.
fn valid_topic(topic: &str) -> bool {
    (1..=MAX_TOPIC_CHARS).contains(&topic.len())
        && topic
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
        && topic != "."
        && topic != ".."
}

/// Maps Connect's properties (`name` is the connector's name, when known).
pub(crate) fn plan(plan: &mut Plan, name: Option<&str>) {
    connector_class(plan);
    let topics = topics(plan);
    consumer(plan, name);
    errors(plan, &topics);
    if let Some(tasks) = plan.take("tasks.max") {
        plan.note(
            "tasks.max",
            NoteKind::NotNeeded,
            format!(
                "was {}: Lambda runs up to one invocation per partition at once; the mapping's \
                 pollers (MinimumPollers, MaximumPollers) set its throughput",
                shown(&tasks)
            ),
        );
    }
    super::transforms::plan(plan);
    if plan.take("header.converter").is_some() {
        plan.note(
            "header.converter",
            NoteKind::Differs,
            "the function sends each header value as a JSON string (UTF-8), or base64 when it is \
             not UTF-8; the connector's SimpleHeaderConverter also turns `3` into 3 and `true` \
             into true",
        );
    }
}

/// `connector.class`: a configuration of another connector is not migrated.
fn connector_class(plan: &mut Plan) {
    match plan.take("connector.class") {
        None => plan.note(
            "connector.class",
            NoteKind::NotNeeded,
            "absent: taken to be the EventBridge sink connector",
        ),
        Some(class) if class.trim() == CONNECTOR_CLASS => {}
        Some(class) => plan.problem(format!(
            "`connector.class` is {}, not {CONNECTOR_CLASS}: only the EventBridge sink \
             connector's configuration can be migrated",
            shown(&class)
        )),
    }
}

/// `topics` (or `topics.regex`): one event source mapping per topic, up to the template's
/// limit. Returns the topics.
fn topics(plan: &mut Plan) -> Vec<String> {
    let list = plan.take("topics");
    let regex = plan.take("topics.regex");
    if let Some(regex) = &regex {
        let text = format!(
            "{} names topics by pattern; an event source mapping reads named topics only: list \
             them in `topics`",
            shown(regex)
        );
        if list.is_some() {
            plan.note("topics.regex", NoteKind::Action, text);
        } else {
            plan.problem(format!("`topics.regex` {text}"));
            return Vec::new();
        }
    }
    let topics: Vec<String> = list
        .unwrap_or_default()
        .split(',')
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty())
        .collect();
    if topics.is_empty() {
        plan.problem("`topics` is missing: the event source mapping needs at least one topic");
        return topics;
    }
    if let Some(bad) = topics.iter().find(|t| !valid_topic(t)) {
        plan.problem(format!(
            "`topics` holds {}, which is not a Kafka topic name (1 to {MAX_TOPIC_CHARS} of \
             a-z A-Z 0-9 . _ -)",
            shown(bad)
        ));
        return topics;
    }
    let (first, more) = topics.split_first().expect("topics is not empty");
    plan.set(Some(params::TOPIC), None, first.clone(), "topics");
    let (kept, over) = more.split_at(more.len().min(params::MAX_TOPICS - 1));
    if !kept.is_empty() {
        plan.set(Some(params::MORE_TOPICS), None, kept.join(","), "topics");
        plan.note(
            "topics",
            NoteKind::Differs,
            "a mapping reads one topic: each further topic gets its own, with a consumer group \
             of its own (<ConsumerGroupId>-<topic>) that has no committed offsets and starts at \
             StartingPosition",
        );
    }
    if !over.is_empty() {
        plan.note(
            "topics",
            NoteKind::Action,
            format!(
                "the template reads at most {} topics; deploy a second stack for {}",
                params::MAX_TOPICS,
                over.iter().map(|t| shown(t)).collect::<Vec<_>>().join(", ")
            ),
        );
    }
    topics
}

/// The consumer settings: group, starting position, batch size; the rest is Lambda's.
fn consumer(plan: &mut Plan, name: Option<&str>) {
    let mut overrides = plan.take_prefixed("consumer.override.");
    let group = overrides.remove("consumer.override.group.id");
    match (group, name) {
        (Some(group), _) => plan.set(
            Some(params::CONSUMER_GROUP_ID),
            None,
            group.trim(),
            "consumer.override.group.id",
        ),
        (None, Some(name)) => {
            plan.set(
                Some(params::CONSUMER_GROUP_ID),
                None,
                format!("connect-{name}"),
                "name",
            );
            plan.note(
                "name",
                NoteKind::Differs,
                "the mapping joins the connector's consumer group (connect-<name>) and resumes \
                 from its committed offsets: stop the connector first, or both consume the topic",
            );
        }
        (None, None) => plan.note(
            "name",
            NoteKind::Action,
            "absent, so the connector's consumer group (connect-<name>) is unknown: set \
             ConsumerGroupId to it to resume from the connector's offsets",
        ),
    }
    let reset = overrides
        .remove("consumer.override.auto.offset.reset")
        .map(|v| ("consumer.override.auto.offset.reset", v))
        .or_else(|| {
            plan.take("auto.offset.reset")
                .map(|v| ("auto.offset.reset", v))
        });
    if let Some((property, reset)) = reset {
        starting_position(plan, property, &reset);
    }
    if let Some(records) = overrides.remove("consumer.override.max.poll.records") {
        batch_size(plan, &records);
    }
    consumer_rest(plan, overrides);
}

/// `auto.offset.reset` → `StartingPosition` (which applies when the group has no offsets).
fn starting_position(plan: &mut Plan, property: &str, reset: &str) {
    match reset.trim() {
        "earliest" => plan.set(
            Some(params::STARTING_POSITION),
            None,
            "TRIM_HORIZON",
            property,
        ),
        "latest" => plan.set(Some(params::STARTING_POSITION), None, "LATEST", property),
        other => plan.problem(format!(
            "`{property}` is {}; the event source mapping starts at `earliest` (TRIM_HORIZON) or \
             `latest` (LATEST) when its group has no offsets",
            shown(other)
        )),
    }
}

/// `max.poll.records` → `BatchSize` (1 to 10,000).
fn batch_size(plan: &mut Plan, records: &str) {
    const PROPERTY: &str = "consumer.override.max.poll.records";
    match records.trim().parse::<u64>() {
        Ok(n @ 1..) => {
            let size = n.min(u64::from(MAX_BATCH_SIZE));
            plan.set(Some(params::BATCH_SIZE), None, size.to_string(), PROPERTY);
            if n > u64::from(MAX_BATCH_SIZE) {
                plan.note(
                    PROPERTY,
                    NoteKind::Differs,
                    format!("a mapping's batch holds at most {MAX_BATCH_SIZE} records"),
                );
            }
        }
        _ => plan.problem(format!(
            "`{PROPERTY}` is {}, not a whole number of records from 1",
            shown(records)
        )),
    }
}

/// The other consumer overrides: authentication becomes the mapping's (never with its
/// secret); the rest is the mapping's own business.
fn consumer_rest(plan: &mut Plan, overrides: BTreeMap<String, String>) {
    for (name, value) in overrides {
        let setting = &name["consumer.override.".len()..];
        match setting {
            "sasl.mechanism" => sasl_mechanism(plan, &name, &value),
            "sasl.jaas.config" => plan.note(
                &name,
                NoteKind::Action,
                "a Kafka credential (not shown): store the user name and password in AWS Secrets \
                 Manager ({\"username\": …, \"password\": …}) and pass its ARN as KafkaSecretArn",
            ),
            "security.protocol" | "sasl.client.callback.handler.class" => plan.note(
                &name,
                NoteKind::NotNeeded,
                "the mapping's authentication (MskAuthentication or SelfManagedAuthentication) sets it",
            ),
            _ => plan.note(
                &name,
                NoteKind::NotNeeded,
                "a consumer setting: the event source mapping runs the consumer (BatchSize and \
                 MaximumBatchingWindowInSeconds are its batching)",
            ),
        }
    }
}

/// `sasl.mechanism` → the mapping's authentication.
fn sasl_mechanism(plan: &mut Plan, name: &str, mechanism: &str) {
    let (msk, self_managed) = match mechanism.trim() {
        "AWS_MSK_IAM" => (Some("IAM"), None),
        "SCRAM-SHA-512" => (Some("SASL_SCRAM"), Some("SASL_SCRAM_512_AUTH")),
        "SCRAM-SHA-256" => (None, Some("SASL_SCRAM_256_AUTH")),
        "PLAIN" => (None, Some("BASIC_AUTH")),
        other => {
            plan.note(
                name,
                NoteKind::Action,
                format!("{} has no event source mapping counterpart", shown(other)),
            );
            return;
        }
    };
    if let Some(msk) = msk {
        plan.set(Some(params::MSK_AUTHENTICATION), None, msk, name);
    }
    if let Some(self_managed) = self_managed {
        plan.set(
            Some(params::SELF_MANAGED_AUTHENTICATION),
            None,
            self_managed,
            name,
        );
    }
}

/// `errors.*`: the dead-letter topic becomes the mapping's on-failure destination.
fn errors(plan: &mut Plan, topics: &[String]) {
    let mut errors = plan.take_prefixed("errors.");
    let tolerance = errors
        .remove("errors.tolerance")
        .map(|t| t.trim().to_owned());
    let dlq = errors
        .remove("errors.deadletterqueue.topic.name")
        .map(|t| t.trim().to_owned());
    match dlq {
        Some(dlq) if !valid_topic(&dlq) => plan.problem(format!(
            "`errors.deadletterqueue.topic.name` is {}, which is not a Kafka topic name",
            shown(&dlq)
        )),
        Some(dlq) if topics.contains(&dlq) => plan.problem(format!(
            "`errors.deadletterqueue.topic.name` is {}, a topic the connector reads; the event \
             source mapping's destination must be another topic",
            shown(&dlq)
        )),
        Some(dlq) => {
            plan.set(
                Some(params::ON_FAILURE_DESTINATION),
                None,
                format!("kafka://{dlq}"),
                "errors.deadletterqueue.topic.name",
            );
            plan.note(
                "errors.deadletterqueue.topic.name",
                NoteKind::Differs,
                "records the function reports failed are retried by the mapping \
                 (MaximumRetryAttempts), then written to this topic of the same cluster, each with \
                 the failure in its metadata",
            );
        }
        None => {}
    }
    tolerance_note(plan, tolerance.as_deref());
    for (name, _) in errors {
        let text = match name.as_str() {
            "errors.deadletterqueue.topic.replication.factor" => {
                "the mapping does not create its destination topic: create it (with this \
                 replication factor) before deploying"
            }
            "errors.deadletterqueue.context.headers.enable" => {
                "the mapping's on-failure record carries the failure (condition, attempts, \
                 offsets) in its metadata"
            }
            _ => {
                "the function logs each failed record (topic, partition, offset, reason; never \
                 its content) and the mapping retries and sets it aside: no setting needed"
            }
        };
        plan.note(&name, NoteKind::NotNeeded, text);
    }
}

/// `errors.tolerance`: what the function and the mapping do instead.
fn tolerance_note(plan: &mut Plan, tolerance: Option<&str>) {
    match tolerance {
        None => {}
        Some("all") => plan.note(
            "errors.tolerance",
            NoteKind::Differs,
            "the function reports each record that fails in batchItemFailures and delivers the \
             rest; the mapping retries the failed ones, then sends them to its on-failure \
             destination (an SQS queue the template creates, unless OnFailureDestinationArn \
             names one), where the connector without a dead-letter topic skipped them",
        ),
        Some("none") => plan.note(
            "errors.tolerance",
            NoteKind::Differs,
            "`none` stopped the connector at the first failed record; the function reports each \
             failed record and delivers the rest, and the mapping retries, then sets aside, only \
             the failed ones",
        ),
        Some(other) => plan.problem(format!(
            "`errors.tolerance` is {}; Kafka Connect takes `none` or `all`",
            shown(other)
        )),
    }
}

/// The Kafka cluster, which a connector configuration does not carry (it is the worker's).
pub(crate) fn cluster(
    plan: &mut Plan,
    msk_cluster_arn: Option<&str>,
    bootstrap_servers: Option<&str>,
) {
    if let Some(arn) = msk_cluster_arn {
        plan.set(
            Some(params::MSK_CLUSTER_ARN),
            None,
            arn.trim(),
            "--msk-cluster-arn",
        );
    }
    if let Some(servers) = bootstrap_servers {
        plan.set(
            Some(params::BOOTSTRAP_SERVERS),
            None,
            servers.trim(),
            "--bootstrap-servers",
        );
    }
    if msk_cluster_arn.is_some() && bootstrap_servers.is_some() {
        plan.problem("give --msk-cluster-arn or --bootstrap-servers, not both");
    }
}
