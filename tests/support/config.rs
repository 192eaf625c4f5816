//! Configurations for tests and benches, built through the real parser.

use std::collections::HashMap;

use kafka_eventbridge_lambda::Config;

/// The bus of every test configuration that does not name another.
pub const BUS_ARN: &str = "arn:aws:events:us-east-1:123456789012:event-bus/b";

/// A configuration with connector id `test` on [`BUS_ARN`], then `vars` (which may replace
/// either). Panics with the parser's message if it is invalid.
pub fn config<V: AsRef<str>>(vars: &[(&str, V)]) -> Config {
    let mut all: HashMap<&str, &str> = [
        ("AWS_EVENTBRIDGE_CONNECTOR_ID", "test"),
        ("AWS_EVENTBRIDGE_EVENTBUS_ARN", BUS_ARN),
    ]
    .into_iter()
    .collect();
    all.extend(vars.iter().map(|(k, v)| (*k, v.as_ref())));
    Config::from_lookup(|n| all.get(n).map(|v| (*v).to_owned()))
        .unwrap_or_else(|e| panic!("invalid test configuration: {e}"))
}
