//! The check of the `migrate` fuzz target (`fuzz/fuzz_targets/migrate.rs`), shared with the unit
//! test that replays its kept inputs (`fuzz/regressions/migrate/`). Built for the fuzzer with the
//! `fuzzing` feature, and for the tests.

// Public for the fuzz crate (feature `fuzzing`); without it only the tests use it.
#![cfg_attr(not(feature = "fuzzing"), allow(unreachable_pub))]

use super::{MigrateOptions, OutputFormat, migrate_from};

/// The longest line `migrate` writes on stderr: a note or problem names input (cut to 200
/// bytes, escaped) and quotes a reason (cut to 1 KiB).
const MAX_STDERR_LINE: usize = 2 * 1024;

/// Migrate: arbitrary bytes as a connector configuration. No panic; every format writes; a
/// configuration with problems prints nothing on stdout (but for `json`); the exit code is 0, 1
/// or 2; no line on stderr is unbounded.
pub fn fuzz_migrate(data: &[u8]) {
    let migration = migrate_from(data, &MigrateOptions::default());
    assert!(migration.exit_code() <= 2);
    for format in [
        OutputFormat::Text,
        OutputFormat::Env,
        OutputFormat::Sam,
        OutputFormat::Json,
    ] {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        migration
            .write(format, &mut out, &mut err)
            .expect("writing to memory cannot fail");
        if migration.exit_code() == 2 && format != OutputFormat::Json {
            assert!(out.is_empty(), "a configuration with problems printed one");
        }
        let err = String::from_utf8(err).expect("migrate writes UTF-8");
        assert!(
            err.lines().all(|line| line.len() <= MAX_STDERR_LINE),
            "an unbounded line on stderr"
        );
    }
}

#[cfg(test)]
mod tests {
    /// Every kept corpus file and crash of the target, replayed.
    #[test]
    fn kept_fuzz_inputs_replay_cleanly() {
        crate::fuzz_replay::replay("migrate", super::fuzz_migrate);
    }
}
