//! Validators that know nothing of AWS: lengths, patterns, choices, ranges, URLs, durations.

use super::diagnostics::{AttrPath, Diagnostics};
use super::schema::Validator;
use super::value::Value;

fn invalid(diags: &mut Diagnostics, path: &AttrPath, detail: String) {
    diags.attr_error(path, "Invalid attribute value", format!("{path}: {detail}"));
}

/// A string's length in characters lies within `min..=max`.
pub struct Length {
    pub min: usize,
    pub max: usize,
}

impl Validator for Length {
    fn validate(&self, path: &AttrPath, value: &Value, diags: &mut Diagnostics) {
        let Some(s) = value.as_str() else { return };
        let n = s.chars().count();
        if n < self.min || n > self.max {
            let got = if n == 0 {
                "it is empty".to_owned()
            } else {
                format!("got {n}")
            };
            invalid(
                diags,
                path,
                format!(
                    "must be {} to {} characters long; {got}.",
                    self.min, self.max
                ),
            );
        }
    }
    fn describe(&self) -> String {
        format!("{} to {} characters", self.min, self.max)
    }
}

/// Every character of a string passes a test; `explain` says in words which are allowed.
pub struct Chars {
    pub allowed: fn(char) -> bool,
    pub explain: &'static str,
}

impl Validator for Chars {
    fn validate(&self, path: &AttrPath, value: &Value, diags: &mut Diagnostics) {
        let Some(s) = value.as_str() else { return };
        if let Some(bad) = s.chars().find(|c| !(self.allowed)(*c)) {
            invalid(
                diags,
                path,
                format!(
                    "may contain only {}; {bad:?} is not allowed in {s:?}.",
                    self.explain
                ),
            );
        }
    }
    fn describe(&self) -> String {
        format!("only {}", self.explain)
    }
}

/// A string starts with a fixed prefix; `why` says what the prefix is for.
pub struct Prefix {
    pub prefix: &'static str,
    pub why: &'static str,
}

impl Validator for Prefix {
    fn validate(&self, path: &AttrPath, value: &Value, diags: &mut Diagnostics) {
        let Some(s) = value.as_str() else { return };
        if !s.starts_with(self.prefix) {
            invalid(
                diags,
                path,
                format!(
                    "must start with {:?}, {}; got {s:?}.",
                    self.prefix, self.why
                ),
            );
        }
    }
    fn describe(&self) -> String {
        format!("starts with {}", self.prefix)
    }
}

/// A string is one of a fixed set.
pub struct OneOf(pub &'static [&'static str]);

impl Validator for OneOf {
    fn validate(&self, path: &AttrPath, value: &Value, diags: &mut Diagnostics) {
        let Some(s) = value.as_str() else { return };
        if !self.0.contains(&s) {
            invalid(
                diags,
                path,
                format!("must be one of {}; got {s:?}.", self.0.join(", ")),
            );
        }
    }
    fn describe(&self) -> String {
        format!("one of {}", self.0.join(", "))
    }
}

/// A number is a whole number within `min..=max`.
pub struct IntRange {
    pub min: i64,
    pub max: i64,
}

impl Validator for IntRange {
    fn validate(&self, path: &AttrPath, value: &Value, diags: &mut Diagnostics) {
        let Some(n) = value.as_number() else { return };
        match n.as_i64() {
            Some(i) if (self.min..=self.max).contains(&i) => {}
            _ => invalid(
                diags,
                path,
                format!(
                    "must be a whole number from {} to {}; got {n}.",
                    self.min, self.max
                ),
            ),
        }
    }
    fn describe(&self) -> String {
        format!("from {} to {}", self.min, self.max)
    }
}

/// A string is an absolute http or https URL.
pub struct HttpUrl;

impl Validator for HttpUrl {
    fn validate(&self, path: &AttrPath, value: &Value, diags: &mut Diagnostics) {
        let Some(s) = value.as_str() else { return };
        let ok = s
            .strip_prefix("https://")
            .or_else(|| s.strip_prefix("http://"))
            .is_some_and(|rest| {
                !rest.is_empty() && !rest.starts_with('/') && !rest.contains(char::is_whitespace)
            });
        if !ok {
            invalid(
                diags,
                path,
                format!("must be an absolute http:// or https:// URL; got {s:?}."),
            );
        }
    }
    fn describe(&self) -> String {
        "an http(s) URL".to_owned()
    }
}

/// A string is a duration such as `30m` or `1h30m`.
pub struct Duration;

/// Parses a Terraform-style duration (`90s`, `30m`, `1h30m`).
pub fn parse_duration(s: &str) -> Option<std::time::Duration> {
    humantime::parse_duration(s).ok().filter(|d| !d.is_zero())
}

impl Validator for Duration {
    fn validate(&self, path: &AttrPath, value: &Value, diags: &mut Diagnostics) {
        let Some(s) = value.as_str() else { return };
        if parse_duration(s).is_none() {
            invalid(
                diags,
                path,
                format!("must be a positive duration such as \"30m\" or \"1h30m\"; got {s:?}."),
            );
        }
    }
    fn describe(&self) -> String {
        "a duration such as 30m".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plugin::value::Number;

    fn check(v: &dyn Validator, value: Value) -> Vec<String> {
        let mut d = Diagnostics::new();
        v.validate(&AttrPath::attrs(["a"]), &value, &mut d);
        d.0.into_iter().map(|d| d.detail).collect()
    }

    #[test]
    fn length_counts_characters() {
        let v = Length { min: 1, max: 3 };
        assert!(check(&v, "äöü".into()).is_empty());
        assert_eq!(
            check(&v, "".into()),
            vec!["a: must be 1 to 3 characters long; it is empty."]
        );
        assert_eq!(check(&v, "abcd".into()).len(), 1);
    }

    #[test]
    fn ranges_need_whole_numbers() {
        let v = IntRange { min: 1, max: 128 };
        assert!(check(&v, Value::int(128)).is_empty());
        assert_eq!(check(&v, Value::int(129)).len(), 1);
        assert_eq!(check(&v, Value::Number(Number::Float(1.5))).len(), 1);
    }

    #[test]
    fn urls_and_durations() {
        assert!(check(&HttpUrl, "http://127.0.0.1:4566".into()).is_empty());
        assert_eq!(check(&HttpUrl, "127.0.0.1:4566".into()).len(), 1);
        assert!(check(&Duration, "1h30m".into()).is_empty());
        assert_eq!(check(&Duration, "soon".into()).len(), 1);
        assert_eq!(check(&Duration, "0s".into()).len(), 1);
    }

    #[test]
    fn chars_and_prefixes_name_the_problem() {
        let v = Chars {
            allowed: |c| c.is_ascii_alphanumeric(),
            explain: "letters and digits",
        };
        assert!(check(&v, "abc1".into()).is_empty());
        assert_eq!(
            check(&v, "ab-c".into()),
            vec!["a: may contain only letters and digits; '-' is not allowed in \"ab-c\"."]
        );
        let p = Prefix {
            prefix: "amazon-",
            why: "as required",
        };
        assert!(check(&p, "amazon-x".into()).is_empty());
        assert_eq!(check(&p, "x".into()).len(), 1);
    }

    #[test]
    fn one_of_lists_the_choices() {
        let d = check(&OneOf(&["A", "B"]), "C".into());
        assert_eq!(d, vec!["a: must be one of A, B; got \"C\"."]);
    }
}
