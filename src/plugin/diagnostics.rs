//! Diagnostics (errors and warnings shown by Terraform) and the attribute paths they point at.

use std::fmt;

use super::proto::tfplugin6 as pb;

/// One step of a path into a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    Attr(String),
    Key(String),
    Index(i64),
}

/// A path to an attribute, such as `s3.buffering_size_mib`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AttrPath(pub Vec<Step>);

impl AttrPath {
    pub fn root() -> AttrPath {
        AttrPath(Vec::new())
    }

    /// A path of attribute names: `AttrPath::attrs(["s3", "prefix"])`.
    pub fn attrs<'a>(names: impl IntoIterator<Item = &'a str>) -> AttrPath {
        AttrPath(
            names
                .into_iter()
                .map(|n| Step::Attr(n.to_owned()))
                .collect(),
        )
    }

    pub fn attr(&self, name: &str) -> AttrPath {
        let mut steps = self.0.clone();
        steps.push(Step::Attr(name.to_owned()));
        AttrPath(steps)
    }

    pub fn key(&self, key: &str) -> AttrPath {
        let mut steps = self.0.clone();
        steps.push(Step::Key(key.to_owned()));
        AttrPath(steps)
    }

    pub fn to_proto(&self) -> pb::AttributePath {
        use pb::attribute_path::step::Selector;
        let steps = self
            .0
            .iter()
            .map(|s| pb::attribute_path::Step {
                selector: Some(match s {
                    Step::Attr(n) => Selector::AttributeName(n.clone()),
                    Step::Key(k) => Selector::ElementKeyString(k.clone()),
                    Step::Index(i) => Selector::ElementKeyInt(*i),
                }),
            })
            .collect();
        pb::AttributePath { steps }
    }
}

impl fmt::Display for AttrPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, step) in self.0.iter().enumerate() {
            match step {
                Step::Attr(n) if i == 0 => write!(f, "{n}")?,
                Step::Attr(n) => write!(f, ".{n}")?,
                Step::Key(k) => write!(f, "[{k:?}]")?,
                Step::Index(ix) => write!(f, "[{ix}]")?,
            }
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    Error,
    Warning,
}

/// One message for the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    pub summary: String,
    pub detail: String,
    pub attribute: Option<AttrPath>,
}

impl Diagnostic {
    pub fn error(summary: impl Into<String>, detail: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Error,
            summary: summary.into(),
            detail: detail.into(),
            attribute: None,
        }
    }

    pub fn warning(summary: impl Into<String>, detail: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Warning,
            summary: summary.into(),
            detail: detail.into(),
            attribute: None,
        }
    }

    /// Points the diagnostic at an attribute, so Terraform shows the offending line.
    pub fn at(mut self, path: AttrPath) -> Diagnostic {
        self.attribute = Some(path);
        self
    }

    pub fn to_proto(&self) -> pb::Diagnostic {
        pb::Diagnostic {
            severity: match self.severity {
                Severity::Error => pb::diagnostic::Severity::Error,
                Severity::Warning => pb::diagnostic::Severity::Warning,
            } as i32,
            summary: self.summary.clone(),
            detail: self.detail.clone(),
            attribute: self.attribute.as_ref().map(AttrPath::to_proto),
        }
    }
}

/// What a diagnostic shows in place of a sensitive value, as Terraform does in its plans.
pub const SENSITIVE: &str = "(sensitive value)";

/// The diagnostics of one operation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    pub fn new() -> Diagnostics {
        Diagnostics::default()
    }

    pub fn push(&mut self, d: Diagnostic) {
        self.0.push(d);
    }

    pub fn error(&mut self, summary: impl Into<String>, detail: impl Into<String>) {
        self.push(Diagnostic::error(summary, detail));
    }

    /// An error about the attribute at `path`.
    pub fn attr_error(
        &mut self,
        path: &AttrPath,
        summary: impl Into<String>,
        detail: impl Into<String>,
    ) {
        self.push(Diagnostic::error(summary, detail).at(path.clone()));
    }

    /// Replaces `secret`, as written and as quoted by `{:?}`, in every summary and detail, so
    /// that a diagnostic about a sensitive value does not show it.
    pub fn scrub(&mut self, secret: &str) {
        if secret.is_empty() {
            return;
        }
        let quoted = format!("{secret:?}");
        for d in &mut self.0 {
            for text in [&mut d.summary, &mut d.detail] {
                *text = text.replace(&quoted, SENSITIVE).replace(secret, SENSITIVE);
            }
        }
    }

    pub fn extend(&mut self, other: Diagnostics) {
        self.0.extend(other.0);
    }

    pub fn has_errors(&self) -> bool {
        self.0.iter().any(|d| d.severity == Severity::Error)
    }

    pub fn to_proto(&self) -> Vec<pb::Diagnostic> {
        self.0.iter().map(Diagnostic::to_proto).collect()
    }
}

impl From<Diagnostic> for Diagnostics {
    fn from(d: Diagnostic) -> Diagnostics {
        Diagnostics(vec![d])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scrubbing_removes_a_value_written_or_quoted() {
        let mut d = Diagnostics::new();
        let secret = "se\\cret";
        d.error(
            format!("bad {secret:?}"),
            format!("got {secret}, and {secret:?}"),
        );
        d.scrub(secret);
        assert_eq!(d.0[0].summary, "bad (sensitive value)");
        assert_eq!(
            d.0[0].detail,
            "got (sensitive value), and (sensitive value)"
        );
    }

    #[test]
    fn paths_print_like_terraform_addresses() {
        let p = AttrPath::attrs(["s3", "prefix"]);
        assert_eq!(p.to_string(), "s3.prefix");
        assert_eq!(
            AttrPath::attrs(["tags"]).key("a b").to_string(),
            "tags[\"a b\"]"
        );
    }
}
