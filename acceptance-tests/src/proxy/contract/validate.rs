//! A decoded input checked against its shape, the way AWS's front ends check it: required
//! members, lengths, ranges, enums, patterns and types, through nested structures, lists and
//! maps. Each broken rule is one [`Violation`], worded as AWS words it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use regex::Regex;
use serde_json::Value;

use super::decode::is_opaque;
use super::model::{ServiceModel, Shape};

/// What kind of rule a violation breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A constraint of the model (required, length, range, enum, pattern).
    Constraint,
    /// A value of the wrong type (here, what was found instead), which AWS refuses before
    /// checking constraints.
    Type(Found),
}

/// The JSON type of a value of the wrong type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Found {
    Object,
    Array,
    Text,
    Number,
    Boolean,
}

impl Found {
    fn of(value: &Value) -> Found {
        match value {
            Value::Object(_) => Found::Object,
            Value::Array(_) => Found::Array,
            Value::Number(_) => Found::Number,
            Value::Bool(_) => Found::Boolean,
            Value::String(_) | Value::Null => Found::Text,
        }
    }
}

/// One broken rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Violation {
    /// `<service>.<Operation>.<member path>.<constraint>`, such as
    /// `firehose.CreateDeliveryStream.DeliveryStreamName.pattern`.
    pub rule: String,
    /// Where, as AWS's messages say it: member names with a lower-case first letter, list
    /// elements as `.N.member` (`tags.1.member.key`).
    pub path: String,
    /// The value, as AWS's messages print it (`None`: the member is missing).
    pub value: Option<String>,
    /// The constraint, as AWS words it ("Member must have length less than or equal to 64").
    pub constraint: String,
    pub kind: Kind,
}

impl Violation {
    /// "Value 'x' at 'path' failed to satisfy constraint: ...", AWS's wording of one violation
    /// (seen in, e.g., awslabs/lambda-streams-to-firehose#23 and NixOS/nixops#328).
    pub fn message(&self) -> String {
        let value = match &self.value {
            Some(v) => format!("'{v}'"),
            None => "null".to_owned(),
        };
        format!(
            "Value {value} at '{}' failed to satisfy constraint: {}",
            self.path, self.constraint
        )
    }
}

/// Every violation in `input` of the operation `operation`, whose input shape is `shape`.
pub(crate) fn violations(
    model: &ServiceModel,
    operation: &str,
    shape: &str,
    input: &Value,
) -> Vec<Violation> {
    let mut walker = Walker {
        model,
        rule_prefix: format!("{}.{operation}", model.name),
        out: Vec::new(),
    };
    walker.walk(shape, input, "", "");
    walker.out
}

struct Walker<'m> {
    model: &'m ServiceModel,
    rule_prefix: String,
    out: Vec<Violation>,
}

/// AWS's messages name members with a lower-case first letter: `RoleName` is `roleName`.
fn wire_path(path: &str, member: &str) -> String {
    let mut chars = member.chars();
    let lowered: String = chars
        .next()
        .map(|c| c.to_lowercase().chain(chars).collect())
        .unwrap_or_default();
    join(path, &lowered)
}

fn join(path: &str, part: &str) -> String {
    if path.is_empty() {
        part.to_owned()
    } else {
        format!("{path}.{part}")
    }
}

impl Walker<'_> {
    fn push(
        &mut self,
        rule: &str,
        constraint_name: &str,
        path: &str,
        value: Option<&Value>,
        text: String,
        kind: Kind,
    ) {
        self.out.push(Violation {
            rule: format!("{}.{}", join(&self.rule_prefix, rule), constraint_name),
            path: path.to_owned(),
            value: value.map(render),
            constraint: text,
            kind,
        });
    }

    /// Checks `value` against shape `shape_name`; `rule` and `path` say where it is.
    fn walk(&mut self, shape_name: &str, value: &Value, rule: &str, path: &str) {
        if is_opaque(value) {
            return;
        }
        let model = self.model;
        let shape = model.shape(shape_name);
        match shape.kind.as_str() {
            "structure" => {
                let Some(fields) = value.as_object() else {
                    return self.wrong_type(shape, value, rule, path);
                };
                for (name, member) in &shape.members {
                    let member_rule = join(rule, name);
                    let member_path = wire_path(path, name);
                    match fields.get(name) {
                        Some(v) => self.walk(&member.shape, v, &member_rule, &member_path),
                        None if shape.required.contains(name) => self.push(
                            &member_rule,
                            "required",
                            &member_path,
                            None,
                            "Member must not be null".to_owned(),
                            Kind::Constraint,
                        ),
                        None => {}
                    }
                }
            }
            "list" => {
                let Some(items) = value.as_array() else {
                    return self.wrong_type(shape, value, rule, path);
                };
                self.length(shape, items.len(), value, rule, path);
                let element = shape.member.as_ref().expect("a list shape has a member");
                for (i, item) in items.iter().enumerate() {
                    let item_path = format!("{}.member", join(path, &(i + 1).to_string()));
                    self.walk(&element.shape, item, &join(rule, "member"), &item_path);
                }
            }
            "map" => {
                let Some(entries) = value.as_object() else {
                    return self.wrong_type(shape, value, rule, path);
                };
                self.length(shape, entries.len(), value, rule, path);
                let key_shape = model.shape(&shape.key.as_ref().expect("a map key").shape);
                let value_ref = shape.value.as_ref().expect("a map value");
                let value_shape = model.shape(&value_ref.shape);
                for (k, v) in entries {
                    let key = Value::from(k.as_str());
                    for (name, text) in scalar_breaks(key_shape, &key) {
                        self.push(
                            &join(rule, "key"),
                            name,
                            path,
                            Some(&key),
                            format!("Map keys must satisfy constraint: [{text}]"),
                            Kind::Constraint,
                        );
                    }
                    if matches!(value_shape.kind.as_str(), "structure" | "list" | "map") {
                        self.walk(&value_ref.shape, v, &join(rule, "value"), &join(path, k));
                    } else if !type_fits(value_shape, v) {
                        self.wrong_type(value_shape, v, &join(rule, "value"), &join(path, k));
                    } else {
                        for (name, text) in scalar_breaks(value_shape, v) {
                            self.push(
                                &join(rule, "value"),
                                name,
                                path,
                                Some(v),
                                format!("Map value must satisfy constraint: [{text}]"),
                                Kind::Constraint,
                            );
                        }
                    }
                }
            }
            _ => {
                if !type_fits(shape, value) {
                    return self.wrong_type(shape, value, rule, path);
                }
                for (name, text) in scalar_breaks(shape, value) {
                    self.push(rule, name, path, Some(value), text, Kind::Constraint);
                }
            }
        }
    }

    fn length(&mut self, shape: &Shape, len: usize, value: &Value, rule: &str, path: &str) {
        if let Some(text) = length_break(shape, len) {
            self.push(rule, "length", path, Some(value), text, Kind::Constraint);
        }
    }

    fn wrong_type(&mut self, shape: &Shape, value: &Value, rule: &str, path: &str) {
        let text = format!("Member must be {}", type_name(&shape.kind));
        let kind = Kind::Type(Found::of(value));
        self.push(rule, "type", path, Some(value), text, kind);
    }
}

/// The model's word for a type, with its article, for messages.
fn type_name(kind: &str) -> &'static str {
    match kind {
        "structure" => "a structure",
        "list" => "a list",
        "map" => "a map",
        "string" => "a string",
        "integer" | "long" => "an integer",
        "float" | "double" => "a number",
        "boolean" => "a boolean",
        "timestamp" => "a timestamp",
        "blob" => "a base64-encoded blob",
        _ => "of its model type",
    }
}

/// Whether a scalar value has its shape's type (timestamps travel as text or epoch seconds).
fn type_fits(shape: &Shape, value: &Value) -> bool {
    match shape.kind.as_str() {
        "string" | "blob" => value.is_string(),
        "integer" | "long" => value.is_i64() || value.is_u64(),
        "float" | "double" => value.is_number(),
        "boolean" => value.is_boolean(),
        "timestamp" => value.is_string() || value.is_number(),
        _ => true,
    }
}

/// The length and, for strings, pattern and enum constraints a scalar breaks, as
/// `(constraint name, AWS's wording)`.
fn scalar_breaks(shape: &Shape, value: &Value) -> Vec<(&'static str, String)> {
    let mut breaks = Vec::new();
    match (shape.kind.as_str(), value) {
        ("string", Value::String(text)) => {
            // Smithy's length trait counts a string's Unicode scalar values, not its bytes
            // (smithy-lang/smithy docs/source-2.0/spec/constraint-traits.rst, "length trait").
            if let Some(text) = length_break(shape, text.chars().count()) {
                breaks.push(("length", text));
            }
            if let Some(allowed) = &shape.enum_values
                && !allowed.iter().any(|a| a == text)
            {
                breaks.push((
                    "enum",
                    format!(
                        "Member must satisfy enum value set: [{}]",
                        allowed.join(", ")
                    ),
                ));
            }
            if let Some(pattern) = &shape.pattern
                && let Some(compiled) = compiled(pattern)
                && !compiled.is_match(text)
            {
                breaks.push((
                    "pattern",
                    format!("Member must satisfy regular expression pattern: {pattern}"),
                ));
            }
        }
        ("blob", Value::String(base64)) => {
            if let Some(text) = length_break(shape, base64_len(base64)) {
                breaks.push(("length", text));
            }
        }
        ("integer" | "long" | "float" | "double", Value::Number(n)) => {
            let n = n.as_f64().unwrap_or(0.0);
            if let Some(min) = shape.min
                && n < min
            {
                breaks.push((
                    "range",
                    format!(
                        "Member must have value greater than or equal to {}",
                        number(min)
                    ),
                ));
            }
            if let Some(max) = shape.max
                && n > max
            {
                breaks.push((
                    "range",
                    format!(
                        "Member must have value less than or equal to {}",
                        number(max)
                    ),
                ));
            }
        }
        _ => {}
    }
    breaks
}

/// The length constraint `len` breaks, if any.
fn length_break(shape: &Shape, len: usize) -> Option<String> {
    let len = len as f64;
    if let Some(min) = shape.min
        && len < min
    {
        return Some(format!(
            "Member must have length greater than or equal to {}",
            number(min)
        ));
    }
    if let Some(max) = shape.max
        && len > max
    {
        return Some(format!(
            "Member must have length less than or equal to {}",
            number(max)
        ));
    }
    None
}

/// A bound as the model wrote it: `64`, not `64.0`.
fn number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        n.to_string()
    }
}

/// The decoded size of a base64 text.
fn base64_len(text: &str) -> usize {
    let text = text.trim_end_matches('=');
    text.len() * 3 / 4
}

/// A value as AWS's messages print it; long values are cut short.
fn render(value: &Value) -> String {
    const MAX: usize = 256;
    let text = render_full(value);
    if text.chars().count() > MAX {
        let cut: String = text.chars().take(MAX).collect();
        format!("{cut}...")
    } else {
        text
    }
}

fn render_full(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Array(items) => format!(
            "[{}]",
            items.iter().map(render_full).collect::<Vec<_>>().join(", ")
        ),
        Value::Object(fields) => format!(
            "{{{}}}",
            fields
                .iter()
                .map(|(k, v)| format!("{k}={}", render_full(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        other => other.to_string(),
    }
}

/// A model pattern, compiled.
#[derive(Debug)]
struct Pattern {
    regex: Regex,
    /// From a leading `^(?!literal)`, AWS's idiom for reserved prefixes (`aws:` in tag keys),
    /// which the `regex` crate has no look-ahead for: the value must not start with it.
    forbidden_prefix: Option<String>,
}

impl Pattern {
    fn is_match(&self, text: &str) -> bool {
        self.forbidden_prefix
            .as_deref()
            .is_none_or(|prefix| !text.starts_with(prefix))
            && self.regex.is_match(text)
    }
}

/// The model's pattern as a Rust regex, compiled once per process; `None` (and one line in
/// the proxy's log) for a pattern the `regex` crate cannot take (other look-arounds, say), so
/// such a rule is skipped rather than reported falsely.
///
/// AWS matches a pattern against the whole value, although Smithy's pattern trait is not
/// anchored: Firehose refuses a stream name with a trailing newline under `[a-zA-Z0-9_.-]+`
/// (osquery/osquery#3694), which an unanchored match would pass. Java's `\w`, `\d`, `\s` are
/// ASCII classes, unlike the `regex` crate's Unicode ones, so they are rewritten to ASCII.
fn compiled(pattern: &str) -> Option<Arc<Pattern>> {
    static CACHE: OnceLock<Mutex<HashMap<String, Option<Arc<Pattern>>>>> = OnceLock::new();
    let mut cache = CACHE
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    if let Some(compiled) = cache.get(pattern) {
        return compiled.clone();
    }
    let (forbidden_prefix, rest) = split_reserved_prefix(pattern);
    let anchored = format!(r"\A(?:{})\z", java_classes_to_ascii(rest));
    let compiled = match Regex::new(&anchored) {
        Ok(regex) => Some(Arc::new(Pattern {
            regex,
            forbidden_prefix,
        })),
        Err(e) => {
            let reason = e.to_string().lines().last().unwrap_or_default().to_owned();
            eprintln!(
                "fault proxy: contract: pattern {pattern:?} is not checked (the regex crate refuses it: {reason})"
            );
            None
        }
    };
    cache.insert(pattern.to_owned(), compiled.clone());
    compiled
}

/// `^(?!aws:)rest` as (`Some("aws:")`, `rest`); any other pattern unchanged.
fn split_reserved_prefix(pattern: &str) -> (Option<String>, &str) {
    let Some(after) = pattern.strip_prefix("^(?!") else {
        return (None, pattern);
    };
    let Some((literal, rest)) = after.split_once(')') else {
        return (None, pattern);
    };
    if literal.is_empty() || literal.chars().any(|c| r"\.^$|?*+()[]{}".contains(c)) {
        return (None, pattern);
    }
    (Some(literal.to_owned()), rest)
}

/// Rewrites Java's ASCII shorthand classes (`\w`, `\d`, `\s` and their negations) into the
/// `regex` crate's ASCII classes, inside and outside brackets.
fn java_classes_to_ascii(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len() + 16);
    let mut in_class = 0usize;
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                let Some(next) = chars.next() else {
                    out.push('\\');
                    break;
                };
                let ascii = match next {
                    'w' => Some("[:word:]"),
                    'W' => Some("[:^word:]"),
                    'd' => Some("[:digit:]"),
                    'D' => Some("[:^digit:]"),
                    's' => Some("[:space:]"),
                    'S' => Some("[:^space:]"),
                    _ => None,
                };
                match ascii {
                    Some(class) if in_class > 0 => out.push_str(class),
                    Some(class) => {
                        out.push('[');
                        out.push_str(class);
                        out.push(']');
                    }
                    None => {
                        out.push('\\');
                        out.push(next);
                    }
                }
            }
            '[' => {
                in_class += 1;
                out.push(c);
            }
            ']' if in_class > 0 => {
                in_class -= 1;
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn java_shorthands_become_ascii_classes() {
        assert_eq!(java_classes_to_ascii(r"[\w+=,.@-]+"), "[[:word:]+=,.@-]+");
        assert_eq!(java_classes_to_ascii(r"\d{12}"), "[[:digit:]]{12}");
        assert_eq!(java_classes_to_ascii(r"a\.b\-"), r"a\.b\-");
        let role = compiled(r"[\w+=,.@-]+").unwrap();
        assert!(role.is_match("apigw-logs_1"));
        assert!(!role.is_match("rôle"), "Java's \\w is ASCII");
        assert!(!role.is_match("a b"));
        assert!(!role.is_match("abc\n"), "the whole value must match");
    }

    #[test]
    fn patterns_the_regex_crate_refuses_are_skipped() {
        assert!(compiled(r"(?<=a)b").is_none());
        assert!(compiled(r"[\u0020-\uD7FF\uE000-\uFFFD\uD800\uDC00-\uDBFF\uDFFF\t]*").is_none());
        assert!(compiled(r"[\u0009\u000A\u000D\u0020-\u00FF]+").is_some());
    }

    #[test]
    fn a_reserved_prefix_look_ahead_is_checked_without_look_ahead() {
        let tag_key = compiled(r"^(?!aws:)[\p{L}\p{Z}\p{N}_.:\/=+\-@%]*$").unwrap();
        assert!(tag_key.is_match("team"));
        assert!(tag_key.is_match("my:aws:key"));
        assert!(!tag_key.is_match("aws:team"));
        assert!(!tag_key.is_match("team!"));
    }
}
