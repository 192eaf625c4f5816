//! The bounds of the configured event patterns.

/// The longest event pattern, in characters: `PutRule`'s `EventPattern` and a pipe's `Filter`
/// accept at most 4,096 (<https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutRule.html>;
/// the account's default quota is 2,048, adjustable to 4,096).
pub(crate) const MAX_PATTERN_CHARS: usize = 4_096;

/// The most patterns: a pipe's `FilterCriteria` takes at most 5 filters
/// (<https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-pipes-event-filtering.html>).
pub(crate) const MAX_PATTERNS: usize = 5;

/// The most plain patterns one pattern may stand for once its `$or` groups are expanded: a
/// bound on the work of matching one record, as EventBridge rejects a rule that is too complex.
pub(crate) const MAX_COMBINATIONS: usize = 1_000;
