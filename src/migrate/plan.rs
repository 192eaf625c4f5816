//! The migration being built: the settings found so far, the notes on properties that have no
//! setting, and the problems that stop it. Every property of the input is taken once, so that
//! each ends as a setting or a note.

use std::collections::BTreeMap;

use super::text::shown;
use crate::error::{MAX_REASON_BYTES, cut};

/// One setting of the function: a parameter of `template.yaml`, an environment variable of the
/// function, or both, with the property it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Setting {
    /// The template parameter, when the template has one.
    pub param: Option<&'static str>,
    /// The environment variable, when the function reads one.
    pub var: Option<&'static str>,
    /// The value.
    pub value: String,
    /// The connector properties it came from (for the report).
    pub from: String,
}

/// What a note says of a property.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum NoteKind {
    /// No setting needed: the function or the event source mapping does this itself, or the
    /// property has no effect on what is sent.
    NotNeeded,
    /// Mapped, but the function behaves differently; nothing to do.
    Differs,
    /// Not mapped: to get the connector's behaviour, do what the note says.
    Action,
}

impl NoteKind {
    /// How the report labels it.
    pub(crate) fn label(self) -> &'static str {
        match self {
            Self::Differs => "differs",
            Self::NotNeeded => "not needed",
            Self::Action => "action",
        }
    }
}

/// A note on a property (or a group of properties).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Note {
    /// The property or properties, as shown.
    pub property: String,
    /// What kind of note.
    pub kind: NoteKind,
    /// What the note says.
    pub text: String,
}

/// The migration under construction.
#[derive(Debug)]
pub(crate) struct Plan {
    props: BTreeMap<String, String>,
    pub settings: Vec<Setting>,
    pub notes: Vec<Note>,
    pub problems: Vec<String>,
}

impl Plan {
    pub(crate) fn new(props: BTreeMap<String, String>) -> Self {
        Self {
            props,
            settings: Vec::new(),
            notes: Vec::new(),
            problems: Vec::new(),
        }
    }

    /// Takes `name`'s value out of the properties left; `None` when absent.
    pub(crate) fn take(&mut self, name: &str) -> Option<String> {
        self.props.remove(name)
    }

    /// Takes every property whose name starts with `prefix`, by name.
    pub(crate) fn take_prefixed(&mut self, prefix: &str) -> BTreeMap<String, String> {
        let names: Vec<String> = self
            .props
            .range(prefix.to_owned()..)
            .take_while(|(name, _)| name.starts_with(prefix))
            .map(|(name, _)| name.clone())
            .collect();
        names
            .into_iter()
            .filter_map(|name| self.props.remove_entry(&name))
            .collect()
    }

    /// Takes every property whose value is blank, by name: the connector treats those as unset.
    pub(crate) fn take_blank(&mut self) -> Vec<String> {
        let blank: Vec<String> = self
            .props
            .iter()
            .filter(|(_, value)| value.trim().is_empty())
            .map(|(name, _)| name.clone())
            .collect();
        for name in &blank {
            self.props.remove(name);
        }
        blank
    }

    /// The properties not taken yet, by name (taking them).
    pub(crate) fn take_rest(&mut self) -> BTreeMap<String, String> {
        std::mem::take(&mut self.props)
    }

    /// Records a setting. A value with a control character is refused: it could add lines to
    /// an environment file or a command.
    pub(crate) fn set(
        &mut self,
        param: Option<&'static str>,
        var: Option<&'static str>,
        value: impl Into<String>,
        from: &str,
    ) {
        let value = value.into();
        if value.chars().any(char::is_control) {
            self.problem(format!(
                "{} holds a control character (a line break, a tab, …); no setting takes one",
                shown(from)
            ));
            return;
        }
        self.settings.push(Setting {
            param,
            var,
            value,
            from: from.to_owned(),
        });
    }

    /// Records a note on `property` (a name from the input, shown bounded and escaped); the
    /// text is cut to the bytes a reason holds, whatever it lists.
    pub(crate) fn note(&mut self, property: &str, kind: NoteKind, text: impl Into<String>) {
        self.notes.push(Note {
            property: shown(property),
            kind,
            text: bounded(text.into()),
        });
    }

    /// Records a problem: the migration cannot give a configuration that starts. Cut as a note.
    pub(crate) fn problem(&mut self, text: impl Into<String>) {
        self.problems.push(bounded(text.into()));
    }

    /// The value of the setting of `param`, if one was recorded.
    pub(crate) fn param_value(&self, param: &str) -> Option<&str> {
        self.settings
            .iter()
            .find(|s| s.param == Some(param))
            .map(|s| s.value.as_str())
    }

    /// The value of the setting of `var`, if one was recorded.
    pub(crate) fn var_value(&self, var: &str) -> Option<&str> {
        self.settings
            .iter()
            .find(|s| s.var == Some(var))
            .map(|s| s.value.as_str())
    }
}

/// `text` cut to [`MAX_REASON_BYTES`]: a note or problem may list input (topics, property
/// names), so its line stays bounded however long the input is.
fn bounded(text: String) -> String {
    if text.len() <= MAX_REASON_BYTES {
        return text;
    }
    cut(&text, MAX_REASON_BYTES, text.len())
}
