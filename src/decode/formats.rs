//! The built-in key and value formats, after the Kafka Connect converters users know: `string`,
//! `json`, `bytes`, `auto`, and the registry formats (which need a registry, except
//! `json-schema`).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::de::IgnoredAny;

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
