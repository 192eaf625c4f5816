//! The function as the Lambda runtime drives it: [`Pipeline::serve`] runs the runtime loop and
//! [`Pipeline::handle`] one invocation (its deadline and trace header, the run, its metrics, the
//! answer). `main` and every function built on the library (`examples/`) serve through these
//! two, so they behave alike.

use std::io::Write as _;
use std::sync::Arc;
use std::time::SystemTime;

use lambda_runtime::{LambdaEvent, service_fn};

use super::answer::Answer;
use super::run::{Pipeline, deadline_from};
use crate::bus::EventBus;
use crate::decode::KafkaEvent;
use crate::metrics::emf_documents;
use crate::report::{Invocation, InvocationError};

impl<B: EventBus + 'static> Pipeline<B> {
    /// Serves invocations through the Lambda runtime API until it stops: one at a time on
    /// classic Lambda, as many at once as `AWS_LAMBDA_MAX_CONCURRENCY` says on Lambda Managed
    /// Instances (each with its own records, calls and limits).
    pub async fn serve(self) -> Result<(), lambda_runtime::Error> {
        let pipeline = Arc::new(self);
        lambda_runtime::run_concurrent(service_fn(move |event: LambdaEvent<KafkaEvent>| {
            let pipeline = Arc::clone(&pipeline);
            async move { pipeline.handle(event).await }
        }))
        .await
    }

    /// One invocation as the runtime hands it over: runs it by its deadline with its X-Ray
    /// trace header, writes its metrics, and answers: the partial batch response, or an error
    /// for an event that cannot be processed at all (and, in `fail-invocation` mode, for any
    /// record not delivered).
    ///
    /// The error is an [`InvocationError`], whose diagnostic gives Lambda its `errorType`
    /// (`RecordsNotDelivered`, …).
    ///
    /// `{"preflight": true}` in place of a Kafka event runs the pipeline's pre-flight checks
    /// ([`Preflight`]) and answers their report; no record is read or sent.
    pub async fn handle(&self, event: LambdaEvent<KafkaEvent>) -> Result<Answer, InvocationError> {
        if event.payload.is_preflight_request()
            && let Some(preflight) = &self.preflight
        {
            let report = preflight.run().await;
            tracing::info!(
                passed = report["passed"].as_bool().unwrap_or(false),
                "Pre-flight run on request."
            );
            return Ok(Answer::Preflight { preflight: report });
        }
        let deadline = deadline_from(event.context.deadline);
        let trace = event.context.xray_trace_id.as_deref();
        let done = self.run(event.payload, deadline, trace).await?;
        self.emit_metrics(&done);
        self.respond(done).map(Answer::Batch)
    }

    /// Prints the invocation's EMF documents, one JSON line each, on stdout (not through the
    /// log subscriber, whose JSON format would nest them), where CloudWatch Logs extracts the
    /// metrics.
    fn emit_metrics(&self, done: &Invocation) {
        if !self.metrics.enabled() {
            return;
        }
        let now_ms = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
        let mut stdout = std::io::stdout().lock();
        for document in emf_documents(done, &self.connector_id, &self.metrics, now_ms) {
            if let Err(error) = writeln!(stdout, "{document}") {
                tracing::warn!(%error, "Could not write the metrics document.");
            }
        }
    }
}
