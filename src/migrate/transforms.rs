//! Single Message Transforms: Kafka Connect's `Filter` with the predicates `TopicNameMatches`
//! (a regex that is a literal, a prefix, a suffix or a wildcard), `HasHeaderKey` and
//! `RecordIsTombstone`, negated or not, becomes one event pattern of
//! `AWS_EVENTBRIDGE_FILTER_PATTERNS` that keeps what the chain of filters keeps. Every other
//! transform, and a filter that has no such pattern, stays an action.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::params;
use super::plan::{NoteKind, Plan};
use super::text::shown;
use crate::vars;

const FILTER: &str = "org.apache.kafka.connect.transforms.Filter";
const PREDICATES: &str = "org.apache.kafka.connect.transforms.predicates.";

/// What a record must be to be kept: a condition on one member of the detail.
struct Keep {
    /// `topic`, `headers` or `value`.
    member: &'static str,
    /// Its pattern: a leaf, or the object of `headers`.
    pattern: Value,
}

/// What the `Filter` transforms became so far.
#[derive(Default)]
struct Collected {
    /// The detail's pattern.
    detail: Map<String, Value>,
    /// The transforms it took.
    mapped: Vec<String>,
    /// The properties it comes from.
    from: Vec<String>,
}

/// Maps `transforms` and `predicates`.
pub(crate) fn plan(plan: &mut Plan) {
    let mut transforms = plan.take_prefixed("transforms");
    let mut predicates = plan.take_prefixed("predicates");
    let predicate_list = predicates.remove("predicates");
    let names = transforms.remove("transforms");
    let listed: Vec<&str> = names
        .as_deref()
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .collect();
    let mut collected = Collected {
        from: vec!["transforms".to_owned(), "predicates".to_owned()],
        ..Collected::default()
    };
    for &name in &listed {
        collected.add(plan, name, &mut transforms, &mut predicates);
    }
    // The lists are accounted for by the pattern when it took every name in them.
    let mapped = &collected.mapped;
    let every_one = !mapped.is_empty() && mapped.len() == listed.len();
    if let Some(names) = names.filter(|_| !every_one) {
        transforms.insert("transforms".to_owned(), names);
    }
    if let Some(list) = predicate_list.filter(|_| !predicates.is_empty() || mapped.is_empty()) {
        predicates.insert("predicates".to_owned(), list);
    }
    collected.set(plan);
    note_rest(plan, transforms, predicates);
}

impl Collected {
    /// Takes the transform `name` into the pattern when it is a `Filter` with a pattern, its
    /// properties and its predicate's with it; else leaves them in `transforms`.
    fn add(
        &mut self,
        plan: &mut Plan,
        name: &str,
        transforms: &mut BTreeMap<String, String>,
        predicates: &mut BTreeMap<String, String>,
    ) {
        let own = take_own(transforms, &format!("transforms.{name}."));
        let Some((keep, predicate)) = filter_keep(&own, predicates) else {
            transforms.extend(own);
            return;
        };
        if let Err(member) = merge(&mut self.detail, keep) {
            transforms.extend(own);
            plan.note(
                &format!("transforms.{name}"),
                NoteKind::Action,
                format!(
                    "a second filter on detail.{member}: one event pattern cannot say both; \
                     combine them into AWS_EVENTBRIDGE_FILTER_PATTERNS by hand"
                ),
            );
            return;
        }
        self.mapped.push(name.to_owned());
        self.from.extend(own.into_keys());
        let used: Vec<String> = predicates
            .keys()
            .filter(|k| k.starts_with(&predicate))
            .cloned()
            .collect();
        for key in used {
            predicates.remove(&key);
            self.from.push(key);
        }
    }

    /// Sets the pattern, when there is one.
    fn set(self, plan: &mut Plan) {
        if self.detail.is_empty() {
            return;
        }
        let pattern = json!({ "detail": self.detail }).to_string();
        plan.set(
            Some(params::FILTER_PATTERNS),
            Some(vars::FILTER_PATTERNS),
            pattern,
            &self.from.join(", "),
        );
        let names: Vec<String> = self.mapped.iter().map(|n| shown(n)).collect();
        plan.note(
            "transforms",
            NoteKind::Differs,
            format!(
                "the Filter transforms {} become one event pattern: a record it does not match is \
                 acknowledged and counted as RecordsFiltered, never sent",
                names.join(", ")
            ),
        );
    }
}

/// The properties of one transform (`transforms.<name>.*`), by their own name.
fn take_own(transforms: &mut BTreeMap<String, String>, prefix: &str) -> BTreeMap<String, String> {
    let names: Vec<String> = transforms
        .keys()
        .filter(|k| k.starts_with(prefix))
        .cloned()
        .collect();
    names
        .into_iter()
        .filter_map(|k| transforms.remove_entry(&k))
        .collect()
}

/// The condition a `Filter` transform keeps records on, when it has a pattern, and the prefix
/// of its predicate's properties.
fn filter_keep(
    own: &BTreeMap<String, String>,
    predicates: &BTreeMap<String, String>,
) -> Option<(Keep, String)> {
    let get = |suffix: &str| {
        own.iter()
            .find(|(k, _)| k.ends_with(&format!(".{suffix}")) && k.matches('.').count() == 2)
            .map(|(_, v)| v.trim().to_owned())
    };
    if get("type")? != FILTER {
        return None;
    }
    let predicate = get("predicate")?;
    let negate = match get("negate").as_deref() {
        None | Some("false") => false,
        Some("true") => true,
        Some(_) => return None,
    };
    let prefix = format!("predicates.{predicate}.");
    let kind = predicates
        .get(&format!("{prefix}type"))?
        .trim()
        .strip_prefix(PREDICATES)?
        .to_owned();
    let arg = |name: &str| {
        predicates
            .get(&format!("{prefix}{name}"))
            .map(|v| v.trim().to_owned())
    };
    let keep = predicate_keep(&kind, negate, arg)?;
    Some((keep, prefix))
}

/// What a `Filter` whose predicate is `kind` (with its argument `arg`) keeps: the records the
/// predicate does not hold for (negated: holds for).
fn predicate_keep(kind: &str, negate: bool, arg: impl Fn(&str) -> Option<String>) -> Option<Keep> {
    Some(match kind {
        "TopicNameMatches" => {
            let matching = topic_comparison(&arg("pattern")?)?;
            let leaf = if negate {
                matching
            } else {
                json!({ "anything-but": matching })
            };
            Keep {
                member: "topic",
                pattern: json!([leaf]),
            }
        }
        "HasHeaderKey" => Keep {
            member: "headers",
            pattern: json!({ arg("name")?: [{ "exists": negate }] }),
        },
        "RecordIsTombstone" if negate => Keep {
            member: "value",
            pattern: json!([null]),
        },
        // Anything but null: no leaf value (an object), a string, a number or a boolean.
        "RecordIsTombstone" => Keep {
            member: "value",
            pattern: json!([{"exists": false}, {"prefix": ""}, {"numeric": [">=", 0]}, {"numeric": ["<", 0]}, true, false]),
        },
        _ => return None,
    })
}

/// Adds `keep` to the detail's pattern; the member's name when it already has one that cannot
/// be joined (headers that are all absent can).
fn merge(detail: &mut Map<String, Value>, keep: Keep) -> Result<(), &'static str> {
    let absent = |v: &Value| {
        v.as_object()
            .is_some_and(|o| o.values().all(|l| *l == json!([{"exists": false}])))
    };
    match detail.get_mut(keep.member) {
        None => {
            detail.insert(keep.member.to_owned(), keep.pattern);
            Ok(())
        }
        Some(Value::Object(headers))
            if absent(&Value::Object(headers.clone())) && absent(&keep.pattern) =>
        {
            let new = keep
                .pattern
                .as_object()
                .expect("a headers pattern is an object");
            headers.extend(new.clone());
            Ok(())
        }
        Some(_) => Err(keep.member),
    }
}

/// The comparison that matches the topics a `TopicNameMatches` regex matches (Java's
/// `Matcher.matches`, the whole name): a literal, a prefix (`p.*`), a suffix (`.*s`) or a
/// wildcard (`a.*b.*c`), with `\` escapes and redundant `^`/`$`; none for any other regex.
fn topic_comparison(regex: &str) -> Option<Value> {
    let regex = regex.strip_prefix('^').unwrap_or(regex);
    let regex = regex
        .strip_suffix('$')
        .filter(|r| !r.ends_with('\\'))
        .unwrap_or(regex);
    // Literal runs, split where the regex has `.*`.
    let mut parts = vec![String::new()];
    let mut chars = regex.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '.' if chars.peek() == Some(&'*') => {
                chars.next();
                if !parts.last().is_some_and(String::is_empty) || parts.len() == 1 {
                    parts.push(String::new());
                }
            }
            '\\' => match chars.next() {
                Some(e) if !e.is_ascii_alphanumeric() => parts.last_mut()?.push(e),
                _ => return None,
            },
            c if ".[]{}()*+?^$|".contains(c) => return None,
            c => parts.last_mut()?.push(c),
        }
    }
    Some(match parts.as_slice() {
        [literal] => json!(literal),
        [prefix, end] if end.is_empty() && !prefix.is_empty() => json!({ "prefix": prefix }),
        [start, suffix] if start.is_empty() && !suffix.is_empty() => json!({ "suffix": suffix }),
        _ => {
            let escaped: Vec<String> = parts
                .iter()
                .map(|p| p.replace('\\', "\\\\").replace('*', "\\*"))
                .collect();
            json!({ "wildcard": escaped.join("*") })
        }
    })
}

/// The transforms and predicates left: actions, as before.
fn note_rest(
    plan: &mut Plan,
    transforms: BTreeMap<String, String>,
    predicates: BTreeMap<String, String>,
) {
    for (group, taken, text) in [
        (
            "transforms",
            transforms,
            "Single Message Transforms do not run in Lambda: filter with \
             AWS_EVENTBRIDGE_FILTER_PATTERNS (the FunctionFilterPatterns parameter), reshape with an input \
             transformer on the rule's target, or port the transform to a plug-in mapper",
        ),
        (
            "predicates",
            predicates,
            "predicates of Single Message Transforms; see `transforms`",
        ),
    ] {
        if !taken.is_empty() {
            let names = taken
                .keys()
                .map(|n| shown(n))
                .collect::<Vec<_>>()
                .join(", ");
            plan.note(group, NoteKind::Action, format!("{text} ({names})"));
        }
    }
}
