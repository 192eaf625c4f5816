//! Text that goes out of `migrate`: a name or value from the input shown in a message (bounded,
//! control characters escaped, so a hostile file cannot flood or drive the terminal), and the
//! quoting of shell words and of SAM's `--parameter-overrides` values.

use crate::error::{MAX_QUOTED_BYTES, cut};

/// `text` as a message shows it: in backquotes, control characters escaped, cut to the bytes an
/// error quotes.
pub(crate) fn shown(text: &str) -> String {
    // Escape no more than can be shown: past MAX_QUOTED_BYTES characters, the text is cut.
    let mut escaped = String::new();
    for c in text.chars().take(MAX_QUOTED_BYTES + 1) {
        if c.is_control() {
            escaped.extend(c.escape_debug());
        } else {
            escaped.push(c);
        }
    }
    format!("`{}`", cut(&escaped, MAX_QUOTED_BYTES, text.len()))
}

/// `word` as one POSIX shell word: bare when it holds only characters no shell treats
/// specially, else in single quotes (a `'` inside written as `'\''`).
pub(crate) fn shell_word(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:@,+=%".contains(c));
    if plain {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// `Key=value` as one argument of `sam deploy --parameter-overrides`: SAM splits an argument at
/// spaces and reads `"…"` with `\"` as one value, so a value with a space or a quote goes in
/// double quotes.
pub(crate) fn sam_override(key: &str, value: &str) -> String {
    if value.contains([' ', '"', '\'', '\\']) {
        format!("{key}=\"{}\"", value.replace('"', "\\\""))
    } else {
        format!("{key}={value}")
    }
}
