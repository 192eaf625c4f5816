//! What pre-flight found: one line per check.

use serde::Serialize;

/// How a check ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CheckStatus {
    /// It passed.
    Passed,
    /// It failed: the detail says what to do.
    Failed,
    /// It was not checked: the detail says why.
    NotChecked,
}

/// One check and how it ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PreflightCheck {
    /// What was checked.
    pub check: &'static str,
    /// How it ended.
    pub status: CheckStatus,
    /// What was found; for a failure, what to do.
    pub detail: String,
}

/// Every check of a pre-flight run, in order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PreflightReport {
    /// The checks.
    pub checks: Vec<PreflightCheck>,
}

impl PreflightReport {
    /// 0 when no check failed, else 1 (2, an invalid configuration, never gets a report).
    pub fn exit_code(&self) -> u8 {
        u8::from(self.checks.iter().any(|c| c.status == CheckStatus::Failed))
    }

    /// One line per check: `PASS`, `FAIL` or `SKIP`, the check, what was found.
    pub fn text(&self) -> String {
        let mut out = String::new();
        for c in &self.checks {
            let label = match c.status {
                CheckStatus::Passed => "PASS",
                CheckStatus::Failed => "FAIL",
                CheckStatus::NotChecked => "SKIP",
            };
            out.push_str(&format!("{label} {}: {}\n", c.check, c.detail));
        }
        out
    }

    pub(super) fn push(
        &mut self,
        check: &'static str,
        status: CheckStatus,
        detail: impl Into<String>,
    ) {
        self.checks.push(PreflightCheck {
            check,
            status,
            detail: detail.into(),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_report_reads_one_line_per_check_and_fails_on_any_failure() {
        let mut report = PreflightReport::default();
        report.push("event bus", CheckStatus::Passed, "b exists");
        report.push(
            "global endpoint",
            CheckStatus::NotChecked,
            "none configured",
        );
        assert_eq!(report.exit_code(), 0);
        report.push(
            "offload bucket",
            CheckStatus::Failed,
            "no bucket x: create it",
        );
        assert_eq!(report.exit_code(), 1);
        assert_eq!(
            report.text(),
            "PASS event bus: b exists\nSKIP global endpoint: none configured\nFAIL offload bucket: no bucket x: create it\n"
        );
        let json = serde_json::to_value(&report).unwrap();
        assert_eq!(json["checks"][1]["status"], "not-checked");
    }
}
