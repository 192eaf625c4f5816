//! What the reference says of one variable.

/// The part of the function a setting belongs to: a section of the reference.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Section {
    Bus,
    Mapping,
    Filtering,
    Formats,
    Sending,
    Metrics,
    Offloading,
    Credentials,
}

impl Section {
    pub(super) const ALL: [Self; 8] = [
        Self::Bus,
        Self::Mapping,
        Self::Filtering,
        Self::Formats,
        Self::Sending,
        Self::Metrics,
        Self::Offloading,
        Self::Credentials,
    ];

    pub(super) fn title(self) -> &'static str {
        match self {
            Self::Bus => "The bus and the events",
            Self::Mapping => "Detail-type and time",
            Self::Filtering => "Filtering",
            Self::Formats => "Key and value formats, schema registries",
            Self::Sending => "Sending",
            Self::Metrics => "Metrics",
            Self::Offloading => "Offloading to S3 (claim check)",
            Self::Credentials => "Credentials",
        }
    }
}

/// What a setting holds when it is unset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Unset {
    /// It must be set.
    Required,
    /// This value: setting it gives the same configuration as leaving it unset.
    Value(&'static str),
    /// This number, likewise.
    Number(u64),
    /// Nothing, or something that depends on other settings, said in words.
    Otherwise(&'static str),
}

/// What a setting accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Accepts {
    /// One of these names (the parser's own list).
    Choice(&'static [&'static str]),
    /// A whole number from the first to the second, inclusive.
    Range(u64, u64),
    /// Anything else, said in words.
    Rule(&'static str),
}

/// How a deployment from `template.yaml` sets a variable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Parameter {
    /// The template parameter whose value the function's environment takes.
    Named(&'static str),
    /// The template does not set it, for this reason.
    NotInTemplate(&'static str),
}

/// One variable of the function.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Setting {
    pub(crate) var: &'static str,
    /// The eventbridge-kafka-connector property it stands for, if any.
    pub(crate) property: Option<&'static str>,
    pub(crate) section: Section,
    pub(crate) default: Unset,
    pub(crate) accepts: Accepts,
    /// What it does, in a sentence or two of Markdown.
    pub(crate) meaning: &'static str,
    pub(crate) parameter: Parameter,
}

impl Unset {
    pub(super) fn markdown(&self) -> String {
        match self {
            Self::Required => "required".to_owned(),
            Self::Value(v) => format!("`{v}`"),
            Self::Number(n) => format!("`{n}`"),
            Self::Otherwise(words) => (*words).to_owned(),
        }
    }
}

impl Accepts {
    pub(super) fn markdown(&self) -> String {
        match self {
            Self::Choice(names) => {
                let names: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
                format!("one of {}", names.join(", "))
            }
            Self::Range(min, max) => format!("a whole number from {min} to {max}"),
            Self::Rule(words) => (*words).to_owned(),
        }
    }
}
