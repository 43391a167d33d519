//! Firehose's rules for the S3 key prefixes of a stream (`Prefix` and `ErrorOutputPrefix`):
//! the `!{namespace:value}` expressions it evaluates at delivery time, and its limits.
//!
//! Sources: Firehose Developer Guide, "Understand custom prefixes for Amazon S3 objects"
//! (namespaces, `firehose` values, semantic rules); botocore data/firehose/2015-08-04
//! service-2.json (Prefix and ErrorOutputPrefix: 0 to 1024 characters).

/// Longest prefix Firehose's API takes (model shapes Prefix and ErrorOutputPrefix: max 1024).
pub const MAX_CHARS: usize = 1024;

/// Longest a prefix may be once evaluated ("Neither Prefix nor ErrorOutputPrefix can be greater
/// than 512 characters after they're evaluated").
pub const MAX_EVALUATED_CHARS: usize = 512;

/// What `!{firehose:random-string}` evaluates to: 11 characters.
const RANDOM_STRING_CHARS: usize = 11;

/// Which of the two prefixes a value is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Prefix,
    ErrorOutputPrefix,
    /// The prefix of a stream with dynamic partitioning, whose records carry these keys
    /// (`!{partitionKeyFromQuery:<key>}`, "Use Amazon S3 bucket prefix to deliver data",
    /// Firehose Developer Guide).
    PartitionedPrefix(&'static [&'static str]),
}

/// One `!{namespace:value}` expression as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expression<'a> {
    pub text: &'a str,
    pub namespace: &'a str,
    pub value: &'a str,
}

/// The rule a prefix breaks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PrefixError {
    #[error(
        "\"!{{\" at character {at} is never closed by \"}}\"; Firehose allows \"!{{\" only in !{{namespace:value}} expressions"
    )]
    Unclosed { at: usize },
    #[error("{text} is not an expression of the form !{{namespace:value}}")]
    Malformed { text: String },
    #[error(
        "{text} uses the namespace {namespace:?}; Firehose evaluates only the firehose and timestamp namespaces here"
    )]
    UnknownNamespace { text: String, namespace: String },
    #[error(
        "{text} takes a partition key from the records, which needs Firehose's dynamic partitioning; this resource does not turn it on"
    )]
    NeedsDynamicPartitioning { text: String },
    #[error("{text} names a partition key the stream does not make; it makes {keys}")]
    UnknownPartitionKey { text: String, keys: String },
    #[error(
        "{text} is not a value of the firehose namespace, which has only error-output-type and random-string"
    )]
    UnknownFirehoseValue { text: String },
    #[error(
        "!{{firehose:error-output-type}} may appear only in error_output_prefix; Firehose refuses it in prefix"
    )]
    ErrorOutputTypeInPrefix,
    #[error(
        "an error_output_prefix with expressions must contain !{{firehose:error-output-type}}, as Firehose requires"
    )]
    ErrorOutputTypeMissing,
    #[error(
        "evaluates to at least {min} characters, and Firehose allows at most {MAX_EVALUATED_CHARS} after evaluation"
    )]
    EvaluatesTooLong { min: usize },
}

/// Whether a prefix has expressions for Firehose to evaluate.
pub fn has_expressions(prefix: &str) -> bool {
    prefix.contains("!{")
}

/// The expressions of a prefix, in order. "The sequence `!{` can only appear in
/// `!{namespace:value}` expressions", so every one must close and name a namespace and value.
pub fn expressions(prefix: &str) -> Result<Vec<Expression<'_>>, PrefixError> {
    let mut found = Vec::new();
    let mut offset = 0;
    while let Some(start) = prefix[offset..].find("!{").map(|i| i + offset) {
        let Some(end) = prefix[start..].find('}').map(|i| i + start) else {
            return Err(PrefixError::Unclosed {
                at: prefix[..start].chars().count() + 1,
            });
        };
        let text = &prefix[start..=end];
        let inner = &prefix[start + 2..end];
        match inner.split_once(':') {
            Some((namespace, value)) if !namespace.is_empty() && !value.is_empty() => {
                found.push(Expression {
                    text,
                    namespace,
                    value,
                })
            }
            _ => {
                return Err(PrefixError::Malformed {
                    text: text.to_owned(),
                });
            }
        }
        offset = end + 1;
    }
    Ok(found)
}

/// Checks a prefix against Firehose's rules for its kind; the first rule broken, if any.
pub fn check(prefix: &str, kind: Kind) -> Result<(), PrefixError> {
    let found = expressions(prefix)?;
    let mut has_error_output_type = false;
    for e in &found {
        match (e.namespace, e.value) {
            ("timestamp", _) => {}
            ("firehose", "random-string") => {}
            ("firehose", "error-output-type") => {
                if kind != Kind::ErrorOutputPrefix {
                    return Err(PrefixError::ErrorOutputTypeInPrefix);
                }
                has_error_output_type = true;
            }
            ("firehose", _) => {
                return Err(PrefixError::UnknownFirehoseValue {
                    text: e.text.to_owned(),
                });
            }
            ("partitionKeyFromQuery", key) if matches!(kind, Kind::PartitionedPrefix(_)) => {
                let Kind::PartitionedPrefix(keys) = kind else {
                    unreachable!("matched above")
                };
                if !keys.contains(&key) {
                    return Err(PrefixError::UnknownPartitionKey {
                        text: e.text.to_owned(),
                        keys: keys.join(", "),
                    });
                }
            }
            ("partitionKeyFromQuery" | "partitionKeyFromLambda", _) => {
                return Err(PrefixError::NeedsDynamicPartitioning {
                    text: e.text.to_owned(),
                });
            }
            (namespace, _) => {
                return Err(PrefixError::UnknownNamespace {
                    text: e.text.to_owned(),
                    namespace: namespace.to_owned(),
                });
            }
        }
    }
    if kind == Kind::ErrorOutputPrefix && !found.is_empty() && !has_error_output_type {
        return Err(PrefixError::ErrorOutputTypeMissing);
    }
    let min = evaluated_chars_at_least(prefix, &found);
    if min > MAX_EVALUATED_CHARS {
        return Err(PrefixError::EvaluatesTooLong { min });
    }
    Ok(())
}

/// A lower bound of the evaluated length: the literal text, and 11 characters per random
/// string; timestamps and error types are counted as nothing.
fn evaluated_chars_at_least(prefix: &str, found: &[Expression<'_>]) -> usize {
    let expression_chars: usize = found.iter().map(|e| e.text.chars().count()).sum();
    let random = found
        .iter()
        .filter(|e| (e.namespace, e.value) == ("firehose", "random-string"))
        .count();
    prefix.chars().count() - expression_chars + random * RANDOM_STRING_CHARS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documented_examples_pass() {
        for (p, kind) in [
            (
                "myPrefix/year=!{timestamp:yyyy}/month=!{timestamp:MM}/",
                Kind::Prefix,
            ),
            (
                "myFirehose/DeliveredYear=!{timestamp:yyyy}/anyMonth/rand=!{firehose:random-string}",
                Kind::Prefix,
            ),
            (
                "myFirehoseFailures/!{firehose:error-output-type}/",
                Kind::ErrorOutputPrefix,
            ),
            (
                "myErrorPrefix/!{timestamp:'year='yyyy'/month='MM}/!{firehose:error-output-type}",
                Kind::ErrorOutputPrefix,
            ),
            ("errors/", Kind::ErrorOutputPrefix),
            ("plain/", Kind::Prefix),
        ] {
            assert_eq!(check(p, kind), Ok(()), "{p}");
        }
    }

    #[test]
    fn expressions_must_be_well_formed() {
        assert_eq!(
            check("logs/!{timestamp:yyyy", Kind::Prefix),
            Err(PrefixError::Unclosed { at: 6 })
        );
        for bad in ["a/!{timestamp}/", "a/!{:yyyy}/", "a/!{timestamp:}/"] {
            assert!(
                matches!(check(bad, Kind::Prefix), Err(PrefixError::Malformed { .. })),
                "{bad}"
            );
        }
    }

    #[test]
    fn only_the_documented_namespaces_and_values() {
        assert_eq!(
            check("a/!{env:HOME}/", Kind::Prefix),
            Err(PrefixError::UnknownNamespace {
                text: "!{env:HOME}".into(),
                namespace: "env".into()
            })
        );
        assert_eq!(
            check("a/!{firehose:random}/", Kind::Prefix),
            Err(PrefixError::UnknownFirehoseValue {
                text: "!{firehose:random}".into()
            })
        );
        assert_eq!(
            check("a/!{partitionKeyFromQuery:id}/", Kind::Prefix),
            Err(PrefixError::NeedsDynamicPartitioning {
                text: "!{partitionKeyFromQuery:id}".into()
            })
        );
    }

    #[test]
    fn the_error_output_type_belongs_in_the_error_prefix_only() {
        assert_eq!(
            check("a/!{firehose:error-output-type}/", Kind::Prefix),
            Err(PrefixError::ErrorOutputTypeInPrefix)
        );
        assert_eq!(
            check("errors/!{timestamp:yyyy}/", Kind::ErrorOutputPrefix),
            Err(PrefixError::ErrorOutputTypeMissing)
        );
    }

    #[test]
    fn the_evaluated_length_is_bounded() {
        let literal = "p".repeat(513);
        assert_eq!(
            check(&literal, Kind::Prefix),
            Err(PrefixError::EvaluatesTooLong { min: 513 })
        );
        // Expressions are not counted as written: 512 literal characters and a timestamp pass.
        let with_expression = format!("{}!{{timestamp:yyyy}}", "p".repeat(512));
        assert_eq!(check(&with_expression, Kind::Prefix), Ok(()));
        let with_random = format!("{}!{{firehose:random-string}}", "p".repeat(502));
        assert_eq!(
            check(&with_random, Kind::Prefix),
            Err(PrefixError::EvaluatesTooLong { min: 513 })
        );
    }
}
