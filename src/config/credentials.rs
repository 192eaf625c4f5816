//! Where the function's AWS credentials come from: a role to assume, its external id, a
//! profile.

use super::defaults::*;
use super::error::{ConfigError, ensure};
use super::parse::*;
use crate::vars::*;

/// Where the function's AWS credentials come from.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct CredentialsConfig {
    /// `AWS_EVENTBRIDGE_IAM_PROFILE_NAME`: the profile of the base credentials.
    pub(crate) profile_name: Option<String>,
    /// `AWS_EVENTBRIDGE_IAM_ROLE_ARN`: a role assumed with the base credentials.
    pub(crate) role_arn: Option<String>,
    /// `AWS_EVENTBRIDGE_IAM_EXTERNAL_ID`: sent as `ExternalId` when assuming the role.
    pub(crate) external_id: Option<String>,
}

pub(super) fn parse_credentials(
    get: &impl Fn(&str) -> Option<String>,
) -> Result<CredentialsConfig, ConfigError> {
    let role_arn = get(IAM_ROLE_ARN).map(|v| v.trim().to_owned());
    if let Some(arn) = &role_arn {
        let rule = "must be arn:<partition>:iam::<12-digit account>:role/<name>";
        ensure(is_role_arn(arn), IAM_ROLE_ARN, arn, rule)?;
    }
    let external_id = get(IAM_EXTERNAL_ID).map(|v| v.trim().to_owned());
    if let Some(id) = &external_id {
        let rule = format!("is only used with {IAM_ROLE_ARN}, which is unset");
        ensure(role_arn.is_some(), IAM_EXTERNAL_ID, id, &rule)?;
        let allowed = |c: char| c.is_ascii_alphanumeric() || "_+=,.@:/-".contains(c);
        let (min, max) = EXTERNAL_ID_CHARS;
        let ok = (min..=max).contains(&id.len()) && id.chars().all(allowed);
        let rule = "must be 2 to 1224 characters of A-Z a-z 0-9 and _+=,.@:/-";
        ensure(ok, IAM_EXTERNAL_ID, id, rule)?;
    }
    let profile_name = get(IAM_PROFILE_NAME).map(|v| v.trim().to_owned());
    if let Some(profile) = &profile_name {
        let set: Vec<&str> = PROFILE_CONFLICTS
            .into_iter()
            .filter(|v| get(v).is_some())
            .collect();
        if !set.is_empty() {
            return Err(ConfigError::invalid(
                IAM_PROFILE_NAME,
                profile,
                format!(
                    "cannot take effect while {} set; unset them to use the profile",
                    set.join(", ") + if set.len() == 1 { " is" } else { " are" }
                ),
            ));
        }
    }
    Ok(CredentialsConfig {
        profile_name,
        role_arn,
        external_id,
    })
}

/// `arn:<partition>:iam::<12 digits>:role/<name>`, in any partition.
pub(super) fn is_role_arn(arn: &str) -> bool {
    match arn_parts(arn) {
        Some(["arn", partition, "iam", "", account, resource]) => {
            is_partition(partition)
                && is_account(account)
                && resource
                    .strip_prefix("role/")
                    .is_some_and(|name| !name.is_empty())
        }
        _ => false,
    }
}
