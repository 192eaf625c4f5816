//! The write permissions, simulated: IAM's `SimulatePrincipalPolicy` for the caller's own
//! principal (`sts:GetCallerIdentity`), `events:PutEvents` on the bus and, with offloading,
//! `s3:PutObject` under the key prefix. Nothing is written. When the caller may not simulate,
//! the check says so and is not counted as failed.

use aws_config::SdkConfig;
use aws_sdk_iam::types::PolicyEvaluationDecisionType;

use super::checks::check_caller;
use super::report::{CheckStatus, PreflightReport};
use crate::config::Config;
use crate::error::ErrorChain;

/// The IAM principal an STS caller ARN stands for: an assumed role's role (without its path,
/// which the caller ARN does not carry), a user (also when an emulator names it under `sts`),
/// or the ARN itself.
fn principal(caller: &str) -> String {
    let Some(rest) = caller.strip_prefix("arn:") else {
        return caller.to_owned();
    };
    let parts: Vec<&str> = rest.splitn(5, ':').collect();
    match parts.as_slice() {
        [partition, "sts", _, account, resource] => match resource
            .strip_prefix("assumed-role/")
            .and_then(|r| r.split('/').next())
        {
            Some(role) => format!("arn:{partition}:iam::{account}:role/{role}"),
            None if resource.starts_with("user/") => {
                format!("arn:{partition}:iam::{account}:{resource}")
            }
            None => caller.to_owned(),
        },
        _ => caller.to_owned(),
    }
}

/// The actions the function writes with, and on what.
fn writes(config: &Config) -> Vec<(&'static str, String)> {
    let mut out = vec![("events:PutEvents", config.bus_arn().as_str().to_owned())];
    if let Some(offload) = config.offload() {
        let partition = config.bus_arn().as_str().split(':').nth(1).unwrap_or("aws");
        out.push((
            "s3:PutObject",
            format!(
                "arn:{partition}:s3:::{}/{}object",
                offload.bucket, offload.key_prefix
            ),
        ));
    }
    out
}

/// Simulates each write for the caller's principal.
pub(super) async fn permissions(config: &Config, shared: &SdkConfig, report: &mut PreflightReport) {
    let caller = check_caller(config);
    let shared = super::super::client::client_config(config, shared);
    let sts = aws_sdk_sts::Client::new(&shared);
    let identity = caller
        .with_retries(
            || sts.get_caller_identity().send(),
            |e| crate::sdk::is_retryable(e, &[]),
        )
        .await;
    let arn = match identity.as_ref().ok().and_then(|i| i.arn()) {
        Some(arn) => arn.to_owned(),
        None => {
            let why = identity
                .err()
                .map_or_else(|| "no ARN".to_owned(), |e| ErrorChain(&e).to_string());
            report.push(
                "write permissions",
                CheckStatus::NotChecked,
                format!("sts:GetCallerIdentity: {why}"),
            );
            return;
        }
    };
    let principal = principal(&arn);
    let iam = aws_sdk_iam::Client::new(&shared);
    for (action, resource) in writes(config) {
        let (status, detail) = simulate(&iam, &caller, &principal, action, &resource).await;
        report.push("write permissions", status, detail);
    }
}

/// Whether `principal` may `action` on `resource`, as IAM's simulation answers.
async fn simulate(
    iam: &aws_sdk_iam::Client,
    caller: &crate::retry::Caller,
    principal: &str,
    action: &str,
    resource: &str,
) -> (CheckStatus, String) {
    let simulated = caller
        .with_retries(
            || {
                iam.simulate_principal_policy()
                    .policy_source_arn(principal)
                    .action_names(action)
                    .resource_arns(resource)
                    .send()
            },
            |e| crate::sdk::is_retryable(e, &[]),
        )
        .await;
    let output = match simulated {
        Ok(output) => output,
        Err(failure) => {
            return (
                CheckStatus::NotChecked,
                format!(
                    "iam:SimulatePrincipalPolicy for {principal} was refused or failed ({}); grant it to simulate {action}",
                    ErrorChain(&failure)
                ),
            );
        }
    };
    let results = output.evaluation_results();
    let allowed = !results.is_empty()
        && results
            .iter()
            .all(|r| *r.eval_decision() == PolicyEvaluationDecisionType::Allowed);
    if allowed {
        (
            CheckStatus::Passed,
            format!("{principal} may {action} on {resource}"),
        )
    } else {
        (
            CheckStatus::Failed,
            format!(
                "{principal} may not {action} on {resource}: grant it in the role's policy (and the resource's policy, if it has one)"
            ),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::principal;

    #[test]
    fn the_principal_of_a_caller() {
        assert_eq!(
            principal("arn:aws:sts::123456789012:assumed-role/fn-role/fn-session"),
            "arn:aws:iam::123456789012:role/fn-role"
        );
        assert_eq!(
            principal("arn:aws-cn:sts::123456789012:assumed-role/r/s"),
            "arn:aws-cn:iam::123456789012:role/r"
        );
        assert_eq!(
            principal("arn:aws:iam::123456789012:user/ops"),
            "arn:aws:iam::123456789012:user/ops"
        );
        assert_eq!(
            principal("arn:aws:sts::123456789012:user/ops"),
            "arn:aws:iam::123456789012:user/ops"
        );
        assert_eq!(principal("not an arn"), "not an arn");
    }
}
