//! The failure shared by every remote call (PutEvents, PutObject, and later registry fetches
//! and other buses), and the printer that shows an error with its sources.
//!
//! Each type's `Display` says only its own part; the causes hang off [`Error::source`], and
//! [`ErrorChain`] joins them into the one line that logs and reasons show.

use std::error::Error;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// A call, or an entry of a call, that did not succeed.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum CallFailure {
    /// The service rejected one entry of the call with a final code.
    #[error("rejected by the bus: {code}: {message}")]
    Rejected {
        /// The service's code, e.g. `MalformedDetail`.
        code: String,
        /// The service's message.
        message: String,
    },
    /// The call failed with an error.
    #[error("call failed")]
    Call(#[source] Arc<dyn Error + Send + Sync>),
    /// Every allowed attempt failed; the source is the last reason.
    #[error("gave up after {attempts} attempts; last")]
    Exhausted {
        /// Attempts made.
        attempts: u32,
        /// The last failure.
        #[source]
        last: Box<CallFailure>,
    },
    /// The invocation deadline left no time for a first or a further attempt.
    #[error("{}", deadline_message(*attempts, last.is_some()))]
    Deadline {
        /// Attempts made before giving up.
        attempts: u32,
        /// The last failure, if any attempt was made.
        #[source]
        last: Option<Box<CallFailure>>,
    },
    /// The call did not answer within its timeout.
    #[error("call timed out after {} ms", .0.as_millis())]
    Timeout(Duration),
    /// The response did not say what became of the entry.
    #[error("the response had no result for this entry")]
    NoResult,
    /// Not sent (or sent again): an earlier record of its event group was not delivered, and
    /// an ordered bus keeps the group's order, so a redelivery resumes from that record.
    #[error(
        "not sent: an earlier record of its event group was not delivered, and the group's order is kept"
    )]
    Held,
}

fn deadline_message(attempts: u32, has_last: bool) -> String {
    match (attempts, has_last) {
        (0, _) => "not sent: the invocation deadline left no time for a call".to_owned(),
        (n, true) => {
            format!("gave up after {n} attempts: no time left before the invocation deadline; last")
        }
        (n, false) => {
            format!("gave up after {n} attempts: no time left before the invocation deadline")
        }
    }
}

/// Displays an error with its sources: `outer: cause: root cause`.
#[derive(Debug, Clone, Copy)]
pub struct ErrorChain<'a>(pub &'a (dyn Error + 'static));

impl fmt::Display for ErrorChain<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)?;
        let mut source = self.0.source();
        while let Some(s) = source {
            write!(f, ": {s}")?;
            source = s.source();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("outer")]
    struct Outer(#[source] std::io::Error);

    #[test]
    fn chains_print_every_cause_once() {
        let call = CallFailure::Call(Arc::new(Outer(std::io::Error::other("root"))));
        let exhausted = CallFailure::Exhausted {
            attempts: 3,
            last: Box::new(call),
        };
        assert_eq!(
            ErrorChain(&exhausted).to_string(),
            "gave up after 3 attempts; last: call failed: outer: root"
        );
        let deadline = CallFailure::Deadline {
            attempts: 2,
            last: Some(Box::new(CallFailure::Timeout(Duration::from_millis(1500)))),
        };
        assert_eq!(
            ErrorChain(&deadline).to_string(),
            "gave up after 2 attempts: no time left before the invocation deadline; last: call timed out after 1500 ms"
        );
        let none = CallFailure::Deadline {
            attempts: 0,
            last: None,
        };
        assert_eq!(
            ErrorChain(&none).to_string(),
            "not sent: the invocation deadline left no time for a call"
        );
    }
}
