//! A migration's result: the settings, the notes, the problems, and the exit code they give.

use super::plan::{Note, NoteKind, Setting};

/// A connector configuration migrated: the settings, the notes, and the problems that keep it
/// from starting.
#[derive(Debug, Clone)]
pub struct Migration {
    pub(crate) name: Option<String>,
    pub(crate) settings: Vec<Setting>,
    pub(crate) notes: Vec<Note>,
    pub(crate) problems: Vec<String>,
}

impl Migration {
    /// The command's exit code: 0 when every property is mapped or needs nothing, 1 when some
    /// need an action before the events are the connector's, 2 when the configuration cannot be
    /// migrated (unreadable, an essential setting missing, or a value the function refuses).
    pub fn exit_code(&self) -> u8 {
        if !self.problems.is_empty() {
            2
        } else if self.notes.iter().any(|n| n.kind == NoteKind::Action) {
            1
        } else {
            0
        }
    }

    /// The function's environment: each variable and its value.
    pub fn environment(&self) -> Vec<(&'static str, &str)> {
        self.settings
            .iter()
            .filter_map(|s| Some((s.var?, s.value.as_str())))
            .collect()
    }

    /// The template's parameters: each parameter and its value.
    pub fn parameters(&self) -> Vec<(&'static str, &str)> {
        self.settings
            .iter()
            .filter_map(|s| Some((s.param?, s.value.as_str())))
            .collect()
    }
}
