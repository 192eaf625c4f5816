//! How a migration is printed: a report for a person (`text`), the environment alone (`env`),
//! the `--parameter-overrides` alone (`sam`), or everything as one JSON document (`json`).

use std::io::{self, Write};

use serde_json::{Map, Value, json};

use super::migration::Migration;
use super::params;
use super::text::{sam_override, shell_word, shown};

/// How `migrate` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum OutputFormat {
    /// The report: a `sam deploy` command, the environment, and a note on every property that
    /// has no setting.
    #[default]
    Text,
    /// `VAR=value` lines (shell words), for `render`, a local run or another deployment; notes
    /// on stderr.
    Env,
    /// The `Key=value` words of `sam deploy --parameter-overrides`, on one line; notes on
    /// stderr.
    Sam,
    /// One JSON document: connector, parameters, environment, notes, problems, exit code.
    Json,
}

impl Migration {
    /// Writes the migration as `format` says: the configuration on `out`, what a person should
    /// read beside it on `err`. With problems, `out` gets nothing (but for `json`).
    pub fn write(
        &self,
        format: OutputFormat,
        out: &mut impl Write,
        err: &mut impl Write,
    ) -> io::Result<()> {
        match format {
            OutputFormat::Json => writeln!(out, "{}", self.to_json()),
            _ if !self.problems.is_empty() => {
                writeln!(err, "migrate: the configuration cannot be migrated:")?;
                for problem in &self.problems {
                    writeln!(err, "  - {problem}")?;
                }
                self.write_notes(err, "migrate: ")
            }
            OutputFormat::Text => self.write_report(out),
            OutputFormat::Env => {
                self.write_environment(out)?;
                self.write_notes(err, "migrate: ")
            }
            OutputFormat::Sam => {
                writeln!(out, "{}", self.sam_words().join(" "))?;
                self.write_notes(err, "migrate: ")
            }
        }
    }

    /// Each `--parameter-overrides` argument, as a shell word.
    fn sam_words(&self) -> Vec<String> {
        self.parameters()
            .iter()
            .map(|(key, value)| shell_word(&sam_override(key, value)))
            .collect()
    }

    fn write_report(&self, out: &mut impl Write) -> io::Result<()> {
        let name = self
            .name
            .as_deref()
            .map_or_else(|| "(no name)".to_owned(), shown);
        writeln!(
            out,
            "# kafka-eventbridge-lambda, migrated from the connector {name}"
        )?;
        writeln!(out, "#")?;
        writeln!(out, "# Deploy with SAM (template.yaml):")?;
        writeln!(
            out,
            "sam build && sam deploy --guided --parameter-overrides \\"
        )?;
        writeln!(out, "  {}", self.sam_words().join(" \\\n  "))?;
        let parameters = self.parameters();
        let has = |param: &str| parameters.iter().any(|(k, _)| *k == param);
        if !has(params::MSK_CLUSTER_ARN) && !has(params::BOOTSTRAP_SERVERS) {
            writeln!(
                out,
                "# Add MskClusterArn=<the cluster's ARN> (or BootstrapServers=<host:port,…>): a \
                 connector configuration does not name its cluster (--msk-cluster-arn, \
                 --bootstrap-servers)."
            )?;
        }
        writeln!(out)?;
        writeln!(
            out,
            "# The same settings as the function's environment (`render`, a local run, a \
             function deployed without the template):"
        )?;
        self.write_environment(out)?;
        if !self.notes.is_empty() {
            writeln!(out)?;
            writeln!(
                out,
                "# Properties without a setting of their own, or that behave differently:"
            )?;
            self.write_notes(out, "# ")?;
        }
        Ok(())
    }

    fn write_environment(&self, out: &mut impl Write) -> io::Result<()> {
        for (var, value) in self.environment() {
            writeln!(out, "{var}={}", shell_word(value))?;
        }
        Ok(())
    }

    fn write_notes(&self, out: &mut impl Write, prefix: &str) -> io::Result<()> {
        let mut notes: Vec<_> = self.notes.iter().collect();
        notes.sort_by_key(|n| std::cmp::Reverse(n.kind));
        for note in notes {
            writeln!(
                out,
                "{prefix}[{}] {}: {}",
                note.kind.label(),
                note.property,
                note.text
            )?;
        }
        Ok(())
    }

    fn to_json(&self) -> Value {
        let pairs = |items: Vec<(&'static str, &str)>| {
            items
                .into_iter()
                .map(|(k, v)| (k.to_owned(), Value::from(v)))
                .collect::<Map<_, _>>()
        };
        let notes: Vec<Value> = self
            .notes
            .iter()
            .map(|n| json!({"property": n.property, "kind": n.kind.label(), "text": n.text}))
            .collect();
        json!({
            "connector": self.name,
            "parameters": pairs(self.parameters()),
            "environment": pairs(self.environment()),
            "notes": notes,
            "problems": self.problems,
            "exitCode": self.exit_code(),
        })
    }
}
