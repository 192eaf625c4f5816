//! The Lambda entry point: read the configuration, build the clients once, serve invocations.
//! `render` is the dry run: what the function would do with an event, without any AWS call.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use kafka_eventbridge_lambda::{
    AwsBus, Config, ErrorChain, KafkaEvent, MigrateOptions, OutputFormat, Pipeline,
    PreflightOptions, Rendering, SeededKeys, cold_start, config_json, config_markdown,
    migrate_from, offline_config, preflight_from_env,
};
use lambda_runtime::Error;

/// Forwards Kafka event source mapping batches to Amazon EventBridge. Without a command, serves
/// invocations through the Lambda runtime API.
#[derive(Debug, Parser)]
#[command(version)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Prints what the function would do with an event under the current environment, without
    /// credentials or any AWS call: each S3 object it would upload, each PutEvents request body
    /// (one JSON document per line, in order), then the batchItemFailures of the records that
    /// fail before any call, with a reason for each on stderr. A Confluent-compatible schema
    /// registry, when configured, is asked for the schemas the records name.
    Render {
        /// The Kafka event source mapping event, as a JSON file (`-` reads standard input).
        #[arg(long)]
        event: PathBuf,
        /// Seed of the offloaded objects' keys (UUIDs, as the function's, but repeatable).
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// The X-Ray trace header of the invocation (`Root=1-…;Parent=…;Sampled=1`).
        #[arg(long)]
        trace_header: Option<String>,
    },
    /// Translates a configuration of the eventbridge-kafka-connector (Kafka Connect's JSON,
    /// `{"name": …, "config": {…}}` or the `config` object; `//` comments accepted) into this
    /// function's: `sam deploy` parameters and environment variables, with a note on every
    /// property that has no setting. Exit code 0: all mapped; 1: some properties need an
    /// action; 2: not migrated (unreadable, a required setting missing or invalid).
    Migrate {
        /// The connector configuration, as a JSON file (`-` reads standard input).
        #[arg(long)]
        config: PathBuf,
        /// What to print.
        #[arg(long, value_enum, default_value_t)]
        output: OutputFormat,
        /// The MSK cluster the connector's Connect cluster reads (a connector configuration
        /// does not name it).
        #[arg(long, conflicts_with = "bootstrap_servers")]
        msk_cluster_arn: Option<String>,
        /// Self-managed Kafka brokers, `host:port,…`.
        #[arg(long)]
        bootstrap_servers: Option<String>,
    },
    /// Checks, read-only, with the function's environment (its credentials, role and
    /// endpoints), that what it writes to is there and answers: the credentials, the bus, the
    /// global endpoint, the offload bucket, the schema registries and their secret. One line
    /// per check; exit code 0: no check failed, 1: a check failed, 2: invalid configuration.
    Preflight {
        /// Also put and delete a zero-byte object under the offload key prefix.
        #[arg(long)]
        write: bool,
        /// `text` (one line per check) or `json` (the report, for scripts).
        #[arg(long, value_enum, default_value_t)]
        output: PreflightOutput,
    },
    /// Prints the configuration reference: every variable the function reads, with what it
    /// accepts, its default, its connector property and its template parameter. Markdown
    /// (`docs/configuration.md` is this output) unless `--json`.
    Config {
        /// Markdown, the default.
        #[arg(long, conflicts_with = "json")]
        markdown: bool,
        /// One JSON object per variable, for scripts.
        #[arg(long)]
        json: bool,
    },
}

/// How `preflight` prints its report.
#[derive(Debug, Clone, Copy, Default, clap::ValueEnum)]
enum PreflightOutput {
    /// One line per check.
    #[default]
    Text,
    /// The report as one JSON document.
    Json,
}

fn main() -> ExitCode {
    match Cli::parse().command {
        None => match serve() {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => {
                // One line: what to fix was already logged at ERROR, with its fields.
                eprintln!("Error: {}", ErrorChain(&*error));
                ExitCode::FAILURE
            }
        },
        Some(Command::Render {
            event,
            seed,
            trace_header,
        }) => render(&event, seed, trace_header.as_deref()),
        Some(Command::Migrate {
            config,
            output,
            msk_cluster_arn,
            bootstrap_servers,
        }) => {
            let options = MigrateOptions {
                msk_cluster_arn,
                bootstrap_servers,
            };
            migrate_config(&config, output, &options)
        }
        Some(Command::Preflight { write, output }) => preflight(write, output),
        Some(Command::Config { json, .. }) => {
            let text = if json {
                format!("{:#}\n", config_json())
            } else {
                config_markdown()
            };
            match std::io::stdout().lock().write_all(text.as_bytes()) {
                Ok(()) => ExitCode::SUCCESS,
                Err(error) => {
                    eprintln!("config: could not write: {error}");
                    ExitCode::FAILURE
                }
            }
        }
    }
}

/// Reads the connector configuration at `path` (`-`: stdin) and prints its migration.
fn migrate_config(
    path: &std::path::Path,
    output: OutputFormat,
    options: &MigrateOptions,
) -> ExitCode {
    let migration = if path.as_os_str() == "-" {
        migrate_from(std::io::stdin().lock(), options)
    } else {
        match std::fs::File::open(path) {
            Ok(file) => migrate_from(file, options),
            Err(error) => {
                eprintln!("migrate: cannot read {}: {error}", path.display());
                return ExitCode::from(2);
            }
        }
    };
    let written = migration.write(
        output,
        &mut std::io::stdout().lock(),
        &mut std::io::stderr().lock(),
    );
    if let Err(error) = written {
        eprintln!("migrate: could not write: {error}");
        return ExitCode::FAILURE;
    }
    ExitCode::from(migration.exit_code())
}

/// The Tokio runtime of the function. Below 1,769 MB a function has less than one vCPU, so one
/// thread does the work without cross-thread wake-ups; on Lambda Managed Instances
/// (`AWS_LAMBDA_MAX_CONCURRENCY` above 1) invocations run at once on several vCPUs.
fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    let concurrent = std::env::var("AWS_LAMBDA_MAX_CONCURRENCY")
        .ok()
        .and_then(|v| v.trim().parse::<u32>().ok())
        .is_some_and(|n| n > 1);
    let mut builder = if concurrent {
        tokio::runtime::Builder::new_multi_thread()
    } else {
        tokio::runtime::Builder::new_current_thread()
    };
    builder.enable_all().build()
}

fn serve() -> Result<(), Error> {
    runtime()?.block_on(serve_invocations())
}

async fn serve_invocations() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let start = cold_start().await?;
    start.pipeline().build().serve().await
}

/// Pre-flight: the report on stdout, in text or JSON.
fn preflight(write: bool, output: PreflightOutput) -> ExitCode {
    let options = PreflightOptions { write };
    let report = match runtime().map(|rt| rt.block_on(preflight_from_env(options))) {
        Ok(Ok(report)) => report,
        Ok(Err(error)) => {
            eprintln!("invalid configuration: {error}");
            return ExitCode::from(2);
        }
        Err(error) => {
            eprintln!("preflight: {error}");
            return ExitCode::FAILURE;
        }
    };
    let text = match output {
        PreflightOutput::Text => report.text(),
        PreflightOutput::Json => {
            serde_json::to_string(&report).expect("a report serializes") + "\n"
        }
    };
    if let Err(error) = std::io::stdout().lock().write_all(text.as_bytes()) {
        eprintln!("preflight: could not write: {error}");
        return ExitCode::FAILURE;
    }
    ExitCode::from(report.exit_code())
}

/// How long the dry run waits for the schema registry, retries included.
const RENDER_SCHEMA_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// The dry run: documents on stdout, reasons and errors on stderr.
fn render(event: &std::path::Path, seed: u64, trace_header: Option<&str>) -> ExitCode {
    lambda_runtime::tracing::init_default_subscriber_with_writer(std::io::stderr);
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(error) => {
            eprintln!("invalid configuration: {error}");
            return ExitCode::from(2);
        }
    };
    let event_data = match read_event(event) {
        Ok(data) => data,
        Err(error) => {
            eprintln!("{}: not a Kafka event: {error}", event.display());
            return ExitCode::FAILURE;
        }
    };
    let shared = offline_config(&config);
    let pipeline = Pipeline::builder(&config)
        .bus(AwsBus::from_config(&config, &shared))
        .keys(SeededKeys::new(seed))
        .build();
    // The schemas come from the Confluent-compatible registry, as in the function; the AWS Glue
    // Schema Registry is not asked (no AWS call), and its records fail with that reason.
    let rendered = runtime().map(|runtime| {
        runtime.block_on(async {
            let deadline = tokio::time::Instant::now() + RENDER_SCHEMA_TIMEOUT;
            pipeline.render(event_data, trace_header, deadline).await
        })
    });
    let rendered = match rendered {
        Ok(rendered) => rendered,
        Err(error) => {
            eprintln!("could not start the runtime that fetches schemas: {error}");
            return ExitCode::FAILURE;
        }
    };
    match rendered {
        Ok(rendering) => write_rendering(&rendering),
        Err(error) => {
            eprintln!("{}: {}", event.display(), ErrorChain(&error));
            ExitCode::FAILURE
        }
    }
}

/// The Kafka event in the file `path` (`-`: stdin).
fn read_event(path: &std::path::Path) -> Result<KafkaEvent, String> {
    let text = if path.as_os_str() == "-" {
        std::io::read_to_string(std::io::stdin())
    } else {
        std::fs::read_to_string(path)
    };
    let text = text.map_err(|e| e.to_string())?;
    serde_json::from_str(&text).map_err(|e| e.to_string())
}

/// Writes the uploads, the calls and the batch response, one JSON document a line, on
/// stdout, and why each record not delivered was not, and which records the filter leaves
/// out, on stderr.
fn write_rendering(rendering: &Rendering) -> ExitCode {
    let response = serde_json::to_string(&rendering.response).expect("a batch response serializes");
    let mut stdout = std::io::stdout().lock();
    let written = rendering
        .uploads
        .iter()
        .chain(&rendering.calls)
        .chain([&response])
        .try_for_each(|document| writeln!(stdout, "{document}"));
    if let Err(error) = written {
        eprintln!("could not write the rendering: {error}");
        return ExitCode::FAILURE;
    }
    for reason in &rendering.reasons {
        eprintln!("not delivered: {reason}");
    }
    for record in &rendering.filtered {
        eprintln!("filtered out (acknowledged, not sent): {record}");
    }
    ExitCode::SUCCESS
}
