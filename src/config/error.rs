//! Why a configuration cannot be used: [`ConfigError`] names the variable, the value and the
//! rule it broke.

/// A configuration value that cannot be used; the function does not start.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    /// A required variable is unset or blank.
    #[error("`{var}` must be set: {rule}")]
    Missing {
        /// The variable.
        var: &'static str,
        /// What it must hold.
        rule: String,
    },
    /// A variable holds a value that breaks its rule.
    #[error("`{var}`={value:?} is invalid: {rule}")]
    Invalid {
        /// The variable.
        var: &'static str,
        /// The value found.
        value: String,
        /// The rule it breaks.
        rule: String,
    },
}

impl ConfigError {
    pub(super) fn invalid(var: &'static str, value: &str, rule: impl Into<String>) -> Self {
        Self::Invalid {
            var,
            value: value.to_owned(),
            rule: rule.into(),
        }
    }
}

/// `Ok` when `ok`, else the error that `var`=`value` breaks `rule`.
pub(super) fn ensure(
    ok: bool,
    var: &'static str,
    value: &str,
    rule: &str,
) -> Result<(), ConfigError> {
    if ok {
        Ok(())
    } else {
        Err(ConfigError::invalid(var, value, rule))
    }
}
