//! What a record itself says of its event's type and time: a header, a field of the value, or
//! CloudEvents' Kafka protocol binding
//! (<https://github.com/cloudevents/spec/blob/main/cloudevents/bindings/kafka-protocol-binding.md>):
//! binary mode carries the attributes in `ce_`-prefixed headers, structured mode the whole event
//! as the value, with the header `content-type: application/cloudevents+json`.

use aws_smithy_types::DateTime;
use aws_smithy_types::date_time::Format;

use crate::decode::DecodedRecord;
use crate::path::{DefinitePath, Step};

/// The prefix of the binary mode's attribute headers (`ce_type`, `ce_time`).
const CE_PREFIX: &str = "ce_";
/// The header that marks structured mode, and its media type (parameters such as `charset`
/// may follow it).
const CONTENT_TYPE: &str = "content-type";
const CLOUDEVENTS_JSON: &str = "application/cloudevents+json";

/// The earliest `Time` taken from a record, in epoch milliseconds: 0001-01-01T00:00:00Z, the
/// first instant RFC 3339 writes with a four-digit year.
pub(crate) const MIN_TIME_MS: i64 = -62_135_596_800_000;
/// The latest: 9999-12-31T23:59:59.999Z.
pub(crate) const MAX_TIME_MS: i64 = 253_402_300_799_999;

/// The UTF-8 text of the record's last header named `name`, when it is not blank.
pub(crate) fn header_text<'r>(record: &'r DecodedRecord, name: &str) -> Option<&'r str> {
    record
        .headers
        .iter()
        .rev()
        .find(|(header, _)| header == name)
        .and_then(|(_, value)| std::str::from_utf8(value).ok())
        .filter(|text| !text.trim().is_empty())
}

/// The JSON node at `path` in the record value, as compact JSON text.
pub(crate) fn value_node<'r>(record: &'r DecodedRecord, path: &DefinitePath) -> Option<&'r str> {
    record.value.as_ref().and_then(|v| path.find(v.as_str()))
}

/// The string at `path` in the record value, when it is a string that is not blank.
pub(crate) fn value_string(record: &DecodedRecord, path: &DefinitePath) -> Option<String> {
    value_node(record, path).and_then(non_blank_string)
}

/// The string a JSON node is, when it is one that is not blank.
fn non_blank_string(node: &str) -> Option<String> {
    Some(node)
        .filter(|node| node.starts_with('"'))
        .and_then(|node| serde_json::from_str::<String>(node).ok())
        .filter(|s| !s.trim().is_empty())
}

/// Whether the record is a CloudEvent in structured mode: its last `content-type` header is
/// `application/cloudevents+json` (any case, parameters after `;` allowed).
pub(crate) fn structured_cloudevent(record: &DecodedRecord) -> bool {
    header_text(record, CONTENT_TYPE).is_some_and(|text| {
        let media = text.split(';').next().unwrap_or_default().trim();
        media.eq_ignore_ascii_case(CLOUDEVENTS_JSON)
    })
}

/// A CloudEvent attribute of the record: from the value's member `name` in structured mode,
/// else from the header `ce_<name>` (binary mode).
pub(crate) fn cloudevent_attribute(record: &DecodedRecord, name: &str) -> Option<String> {
    if structured_cloudevent(record) {
        let member = [Step::Member(name.to_owned())];
        let node = crate::path::find(record.value.as_ref()?.as_str(), &member)?;
        return non_blank_string(node);
    }
    header_text(record, &format!("{CE_PREFIX}{name}")).map(str::to_owned)
}

/// A time the record states, as text: an RFC 3339 date-time (any offset), or a whole number of
/// epoch milliseconds; in epoch milliseconds, when it is one within years 1 to 9999.
pub(crate) fn parse_time(text: &str) -> Option<i64> {
    let text = text.trim();
    let digits = text.strip_prefix('-').unwrap_or(text);
    let ms = if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        text.parse::<i64>().ok()?
    } else {
        let time = DateTime::from_str(text, Format::DateTimeWithOffset).ok()?;
        time.to_millis().ok()?
    };
    (MIN_TIME_MS..=MAX_TIME_MS).contains(&ms).then_some(ms)
}

/// A time at `path` in the record value: a string as [`parse_time`] reads it, or a JSON number of
/// epoch milliseconds (whole).
pub(crate) fn value_time(record: &DecodedRecord, path: &DefinitePath) -> Option<i64> {
    let node = value_node(record, path)?;
    if node.starts_with('"') {
        return parse_time(&serde_json::from_str::<String>(node).ok()?);
    }
    let number = serde_json::from_str::<serde_json::Number>(node).ok()?;
    let ms = match number.as_i64() {
        Some(ms) => ms,
        None => {
            let f = number.as_f64()?;
            if f.fract() != 0.0 || !(MIN_TIME_MS as f64..=MAX_TIME_MS as f64).contains(&f) {
                return None;
            }
            f as i64
        }
    };
    (MIN_TIME_MS..=MAX_TIME_MS).contains(&ms).then_some(ms)
}
