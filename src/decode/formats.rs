//! The built-in key and value formats, after the Kafka Connect converters users know: `string`,
//! `json`, `bytes`, `auto`, and the registry formats (which need a registry, except
//! `json-schema`).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::de::IgnoredAny;
use serde_json::value::RawValue;

use super::payload::{PayloadDecoder, PayloadError, PayloadFormat, json_bytes};
use super::registry::decoder::{RegistryDecoder, RegistryFormat};
use crate::json::{JsonText, json_string, json_text};

impl PayloadDecoder for PayloadFormat {
    fn decode(&self, bytes: Vec<u8>) -> Result<JsonText, PayloadError> {
        match self {
            Self::String => match String::from_utf8(bytes) {
                Ok(text) => Ok(json_string(&text)),
                Err(_) => Err(PayloadError::Utf8(self.name())),
            },
            Self::Json => json_bytes(bytes, self.name()),
            Self::ConnectJson => connect_payload(bytes),
            Self::Bytes => Ok(json_string(&BASE64.encode(&bytes))),
            Self::Auto => match String::from_utf8(bytes) {
                Ok(text) if serde_json::from_str::<IgnoredAny>(&text).is_ok() => {
                    Ok(json_text(text)?)
                }
                Ok(text) => Ok(json_string(&text)),
                Err(e) => Ok(json_string(&BASE64.encode(e.as_bytes()))),
            },
            Self::Avro => Err(PayloadError::NoRegistry("Avro")),
            Self::Registry => Err(PayloadError::NoRegistry("registry-framed")),
            Self::Protobuf => Err(PayloadError::NoRegistry("Protobuf")),
            Self::JsonSchema => {
                RegistryDecoder::new(RegistryFormat::JsonSchema, None).decode(bytes)
            }
        }
    }
}

/// The payload of a Kafka Connect `JsonConverter` envelope, as `JsonConverter` reads it with
/// `schemas.enable=true`: an object with exactly the members `schema` and `payload`. The reason
/// for a record that is not one quotes nothing of it (it is the record's content).
fn connect_payload(bytes: Vec<u8>) -> Result<JsonText, PayloadError> {
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Envelope<'a> {
        #[serde(borrow)]
        #[expect(
            dead_code,
            reason = "the schema is read to be present; the payload is sent as it came"
        )]
        schema: &'a RawValue,
        #[serde(borrow)]
        payload: &'a RawValue,
    }
    // Plain JSON first, so that invalid JSON fails with the reason the json format gives.
    let text = json_bytes(bytes, PayloadFormat::ConnectJson.name())?;
    // Compact text: an object starts with its brace (serde would also read a struct from an
    // array).
    if !text.as_str().starts_with('{') {
        return Err(PayloadError::NotEnvelope);
    }
    let envelope: Envelope<'_> =
        serde_json::from_str(text.as_str()).map_err(|_| PayloadError::NotEnvelope)?;
    // A member of text checked and compacted above: checked already.
    Ok(JsonText::rendered(envelope.payload.get().to_owned()))
}
