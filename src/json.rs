//! JSON text as EventBridge takes it: compact, valid, nested at most [`MAX_JSON_DEPTH`] levels,
//! integers within 64 bits. A leaf: every stage that writes or checks JSON text uses it.

use serde::de::IgnoredAny;
use serde_json::Value;

/// The deepest JSON nesting accepted in a key or value. PutEvents processes a detail nested up to
/// 1,100 levels (<https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEvents.html>),
/// and the detail object is one level itself.
pub(crate) const MAX_JSON_DEPTH: usize = 1_099;

/// Compact, valid JSON text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonText(String);

impl JsonText {
    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Text that a renderer of this crate wrote as compact JSON within EventBridge's rules
    /// (nesting at most [`MAX_JSON_DEPTH`], integers within 64 bits), so not checked again.
    pub(crate) fn rendered(text: String) -> Self {
        Self(text)
    }

    /// The length of the text in bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the text is empty (never, for valid JSON).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Why text is not JSON that EventBridge accepts.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum JsonError {
    /// Not JSON.
    #[error("is not valid JSON: {0}")]
    Json(#[source] serde_json::Error),
    /// Nested deeper than [`MAX_JSON_DEPTH`].
    #[error("is JSON nested deeper than {MAX_JSON_DEPTH} levels")]
    TooDeep,
    /// An integer outside the signed 64-bit range.
    #[error("is JSON with an integer outside EventBridge's 64-bit range")]
    IntegerRange,
}

/// `text` as a JSON string literal.
pub(crate) fn json_string(text: &str) -> JsonText {
    let mut out = Vec::with_capacity(text.len() + 2);
    serde_json::to_writer(&mut out, text).expect("writing a str to a Vec cannot fail");
    JsonText(String::from_utf8(out).expect("serde_json writes UTF-8"))
}

/// Validates `text` as JSON that EventBridge accepts and removes the whitespace between its
/// tokens, keeping key order and the exact text of numbers and strings.
pub(crate) fn json_text(text: String) -> Result<JsonText, JsonError> {
    // Validation into IgnoredAny is iterative in serde_json, so deep nesting cannot exhaust the
    // stack here; `compact` enforces the depth limit.
    serde_json::from_str::<IgnoredAny>(&text).map_err(JsonError::Json)?;
    compact(text)
}

/// Removes insignificant whitespace from valid JSON text, and rejects what PutEvents refuses:
/// nesting deeper than [`MAX_JSON_DEPTH`] and integers outside the signed 64-bit range
/// (<https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEvents.html>). Strings
/// are skipped with a vectorised search for their closing quote, so text that is already compact
/// costs one fast scan and no copy.
///
/// Over 60 lines by design, a named exception: the JSON scanner is one hot byte loop whose
/// state (position, copy start, depth) stays in registers; splitting it into functions would
/// pass that state around on every byte of every record.
fn compact(text: String) -> Result<JsonText, JsonError> {
    let is_ws = |b: u8| matches!(b, b' ' | b'\n' | b'\r' | b'\t');
    let bytes = text.as_bytes();
    let n = bytes.len();
    let mut out: Option<Vec<u8>> = None;
    let (mut i, mut copied_to, mut depth) = (0, 0, 0_usize);
    while i < n {
        match bytes[i] {
            b'[' | b'{' => {
                depth += 1;
                if depth > MAX_JSON_DEPTH {
                    return Err(JsonError::TooDeep);
                }
                i += 1;
            }
            b']' | b'}' => {
                depth = depth.saturating_sub(1);
                i += 1;
            }
            b'"' => {
                i += 1;
                // Valid JSON: every string closes; an escape always has a following byte.
                while let Some(j) = memchr::memchr2(b'"', b'\\', &bytes[i..]) {
                    if bytes[i + j] == b'\\' {
                        i += j + 2;
                    } else {
                        i += j + 1;
                        break;
                    }
                }
            }
            b'-' | b'0'..=b'9' => {
                let start = i;
                while i < n && matches!(bytes[i], b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9') {
                    i += 1;
                }
                let number = &text[start..i];
                let integer = !number.contains(['.', 'e', 'E']);
                if integer && number.parse::<i64>().is_err() {
                    return Err(JsonError::IntegerRange);
                }
            }
            b if is_ws(b) => {
                let out = out.get_or_insert_with(|| Vec::with_capacity(n));
                out.extend_from_slice(&bytes[copied_to..i]);
                while i < n && is_ws(bytes[i]) {
                    i += 1;
                }
                copied_to = i;
            }
            _ => i += 1,
        }
    }
    Ok(JsonText(match out {
        None => text,
        Some(mut out) => {
            out.extend_from_slice(&bytes[copied_to..]);
            String::from_utf8(out)
                .expect("removing ASCII whitespace outside strings keeps UTF-8 valid")
        }
    }))
}

/// The JSON type of `value`, as a reason names it.
pub(crate) fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
