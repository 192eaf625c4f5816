//! AWS Secrets Manager: the schema registry's basic auth, read once at cold start from the
//! secret that `AWS_EVENTBRIDGE_SCHEMA_REGISTRY_SECRET_ARN` names, with the function's
//! credentials (`GetSecretValue`, the secret's own region when an ARN names it).
//!
//! The secret holds JSON `{"username": …, "password": …}` (the shape of an event source
//! mapping's `BASIC_AUTH` access configuration) or `user:password` text. Its value is never
//! logged, and no error quotes it.

use aws_config::SdkConfig;
use aws_sdk_secretsmanager::Client;
use aws_sdk_secretsmanager::config::Region;
use aws_sdk_secretsmanager::config::http::HttpResponse;
use aws_sdk_secretsmanager::error::SdkError;
use aws_sdk_secretsmanager::operation::get_secret_value::GetSecretValueError;

use crate::config::{Config, SCHEMA_REGISTRY_SECRET_ARN, Secret};
use crate::error::CallFailure;
use crate::retry::Caller;

/// The registry's credentials could not be read from Secrets Manager.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    /// `GetSecretValue` failed, finally or on every attempt the cold start's budget allowed.
    #[error("{SCHEMA_REGISTRY_SECRET_ARN}={arn}: secretsmanager:GetSecretValue failed")]
    Call {
        /// The secret.
        arn: String,
        /// Why (the SDK's error, within the attempts made).
        #[source]
        source: CallFailure,
    },
    /// The secret has no text, or text of another shape.
    #[error(
        "{SCHEMA_REGISTRY_SECRET_ARN}={arn}: the secret must be JSON {{\"username\": …, \"password\": …}} or user:password text ({why})"
    )]
    Shape {
        /// The secret.
        arn: String,
        /// What is wrong, without quoting the secret.
        why: &'static str,
    },
}

/// Reads the registry's credentials from the configured secret, if one is configured: the
/// `user:password` that stands in for `AWS_EVENTBRIDGE_SCHEMA_REGISTRY_USER_INFO` (the
/// configuration itself is not changed).
pub(crate) async fn resolve(
    config: &Config,
    shared: &SdkConfig,
    caller: &Caller,
) -> Result<Option<Secret>, SecretError> {
    let Some(arn) = config
        .decode
        .registry
        .as_ref()
        .and_then(|r| r.secret_arn.clone())
    else {
        return Ok(None);
    };
    // An ARN names its region (arn:partition:secretsmanager:region:account:secret:name); a
    // name is looked up in the function's region.
    let region = arn
        .strip_prefix("arn:")
        .and_then(|rest| rest.split(':').nth(2))
        .filter(|region| !region.is_empty())
        .unwrap_or(&config.decode.function_region)
        .to_owned();
    let client_config = super::client::client_config(config, shared);
    let client = Client::from_conf(
        aws_sdk_secretsmanager::config::Builder::from(&client_config)
            .region(Region::new(region))
            .build(),
    );
    let output = caller
        .with_retries(
            || client.get_secret_value().secret_id(&arn).send(),
            is_retryable,
        )
        .await
        .map_err(|source| SecretError::Call {
            arn: arn.clone(),
            source,
        })?;
    let shape = |why| SecretError::Shape {
        arn: arn.clone(),
        why,
    };
    let text = output
        .secret_string()
        .ok_or_else(|| shape("it has no SecretString"))?;
    user_info(text)
        .map(|info| Some(Secret(info)))
        .map_err(shape)
}

/// Whether a failed `GetSecretValue` may succeed when sent again: timeouts, lost connections,
/// 429 and 5xx, and Secrets Manager's `InternalServiceError`; not an access denial or a
/// missing secret.
fn is_retryable(error: &SdkError<GetSecretValueError, HttpResponse>) -> bool {
    crate::sdk::is_retryable(error, &["InternalServiceError"])
}

/// `user:password` from the secret's text.
fn user_info(text: &str) -> Result<String, &'static str> {
    #[derive(serde::Deserialize)]
    struct BasicAuth {
        username: String,
        password: String,
    }
    let text = text.trim();
    if text.starts_with('{') {
        let auth: BasicAuth = serde_json::from_str(text)
            .map_err(|_| "it is JSON without username and password strings")?;
        return Ok(format!("{}:{}", auth.username, auth.password));
    }
    if text.contains(':') {
        Ok(text.to_owned())
    } else {
        Err("it is text without a ':'")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_shapes() {
        assert_eq!(
            user_info(r#"{"username":"svc","password":"p:w"}"#).unwrap(),
            "svc:p:w"
        );
        assert_eq!(
            user_info(" {\"password\":\"x\",\"username\":\"u\",\"other\":1}\n").unwrap(),
            "u:x"
        );
        assert_eq!(user_info("svc:pw").unwrap(), "svc:pw");
        assert_eq!(
            user_info(r#"{"user":"svc"}"#).unwrap_err(),
            "it is JSON without username and password strings"
        );
        assert_eq!(user_info("token").unwrap_err(), "it is text without a ':'");
    }
}
