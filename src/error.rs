//! The failure shared by every remote call (PutEvents, PutObject, and later registry fetches
//! and other buses), and the printer that shows an error with its sources.
//!
//! Each type's `Display` says only its own part; the causes hang off [`Error::source`], and
//! [`ErrorChain`] joins them into the one line that logs and reasons show, at most
//! `MAX_REASON_BYTES` long. Text that comes from outside (a registry's error message, a name in
//! a schema) is cut to [`MAX_QUOTED_BYTES`] with [`quote`] where it enters an error, and URLs lose
//! their credentials with [`redact_url`] wherever they can be printed.

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

impl CallFailure {
    /// The error of the last attempt, when an attempt failed with one (through retries and
    /// a deadline).
    pub(crate) fn last_error(&self) -> Option<&(dyn Error + Send + Sync + 'static)> {
        match self {
            Self::Call(error) => Some(error.as_ref()),
            Self::Exhausted { last, .. }
            | Self::Deadline {
                last: Some(last), ..
            } => last.last_error(),
            _ => None,
        }
    }

    /// Whether a later invocation may succeed where this one did not: the retries ran out or
    /// the deadline came, rather than the service giving a final answer. A call's errors are
    /// classed by their own `is_retryable` as the retry engine runs; this reads its verdict.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Rejected { .. } | Self::Call(_) => false,
            Self::Exhausted { .. }
            | Self::Deadline { .. }
            | Self::Timeout(_)
            | Self::NoResult
            | Self::Held => true,
        }
    }
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

/// The most bytes of outside text (a registry's message, a type name from a schema) an error
/// quotes.
pub(crate) const MAX_QUOTED_BYTES: usize = 200;
/// The most bytes [`ErrorChain`] prints: a reason or log line stays bounded, whatever its causes
/// quote.
pub(crate) const MAX_REASON_BYTES: usize = 1_024;

/// `text` cut to [`MAX_QUOTED_BYTES`] (on a character boundary), saying how long it was.
pub(crate) fn quote(text: &str) -> String {
    cut(text, MAX_QUOTED_BYTES, text.len())
}

/// `text` cut to `max` bytes (on a character boundary), saying that the whole was `total` bytes
/// long; whole when it fits.
pub(crate) fn cut(text: &str, max: usize, total: usize) -> String {
    if text.len() <= max {
        return text.to_owned();
    }
    let end = floor_char_boundary(text, max);
    format!("{}… ({total} bytes in all)", &text[..end])
}

/// The largest index `<= at` that starts a character of `text`.
fn floor_char_boundary(text: &str, at: usize) -> usize {
    let mut cut = at.min(text.len());
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    cut
}

/// `url` without the `user:password@` of its authority, if it has one (`https://***@host/`).
pub(crate) fn redact_url(url: &str) -> std::borrow::Cow<'_, str> {
    let authority_start = url.find("://").map_or(0, |i| i + 3);
    let rest = &url[authority_start..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => {
            std::borrow::Cow::Owned(format!("{}***{}", &url[..authority_start], &rest[at..]))
        }
        None => std::borrow::Cow::Borrowed(url),
    }
}

/// A [`fmt::Write`] that passes on at most `left` bytes and notes whether it cut.
struct Bounded<'a, 'b> {
    f: &'a mut fmt::Formatter<'b>,
    left: usize,
    cut: bool,
}

impl fmt::Write for Bounded<'_, '_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        if s.len() <= self.left {
            self.left -= s.len();
            return self.f.write_str(s);
        }
        self.cut = true;
        let take = floor_char_boundary(s, self.left);
        self.left = 0;
        self.f.write_str(&s[..take])
    }
}

/// Displays an error with its sources: `outer: cause: root cause`, cut at
/// `MAX_REASON_BYTES` (then ending in `…`).
#[derive(Debug, Clone, Copy)]
pub struct ErrorChain<'a>(pub &'a (dyn Error + 'static));

impl fmt::Display for ErrorChain<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use fmt::Write as _;
        let mut out = Bounded {
            f,
            left: MAX_REASON_BYTES,
            cut: false,
        };
        write!(out, "{}", self.0)?;
        let mut source = self.0.source();
        while let Some(s) = source {
            if out.cut {
                break;
            }
            write!(out, ": {s}")?;
            source = s.source();
        }
        if out.cut {
            out.f.write_str("…")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outside_text_and_chains_are_bounded() {
        assert_eq!(quote("short"), "short");
        let long = "é".repeat(1_000);
        let quoted = quote(&long);
        assert!(quoted.len() < MAX_QUOTED_BYTES + 40, "{quoted}");
        assert!(quoted.ends_with("(2000 bytes in all)"), "{quoted}");
        let chain = CallFailure::Call(Arc::new(std::io::Error::other("x".repeat(1 << 20))));
        let shown = ErrorChain(&chain).to_string();
        assert!(shown.len() <= MAX_REASON_BYTES + 3, "{}", shown.len());
        assert!(shown.starts_with("call failed: xxx") && shown.ends_with('…'));
    }

    #[test]
    fn urls_lose_their_credentials() {
        assert_eq!(
            redact_url("https://user:pa%40ss@registry.example.com:8081/x?a=b@c"),
            "https://***@registry.example.com:8081/x?a=b@c"
        );
        assert_eq!(redact_url("http://r:8081/a@b"), "http://r:8081/a@b");
        assert_eq!(redact_url("u:p@host"), "***@host");
    }

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
