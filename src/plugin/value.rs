//! Terraform values (the cty model): null, unknown, primitives and collections.
//!
//! Values are untyped trees; the codecs take the schema's [`Type`] alongside, as cty does.

use std::collections::BTreeMap;
use std::fmt;

use super::types::Type;

/// A cty number. Terraform's numbers are arbitrary precision; providers in practice exchange
/// integers and doubles, which is what this keeps.
#[derive(Debug, Clone, Copy)]
pub enum Number {
    Int(i64),
    Float(f64),
}

impl Number {
    pub fn as_f64(self) -> f64 {
        match self {
            Number::Int(i) => i as f64,
            Number::Float(f) => f,
        }
    }

    /// The number as an integer, if it is one exactly.
    pub fn as_i64(self) -> Option<i64> {
        match self {
            Number::Int(i) => Some(i),
            Number::Float(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Some(f as i64),
            Number::Float(_) => None,
        }
    }

    /// Normalizes integral floats to `Int`, so equal numbers compare equal.
    pub fn normalized(self) -> Number {
        match self.as_i64() {
            Some(i) => Number::Int(i),
            None => self,
        }
    }
}

impl PartialEq for Number {
    fn eq(&self, other: &Number) -> bool {
        match (self.normalized(), other.normalized()) {
            (Number::Int(a), Number::Int(b)) => a == b,
            (a, b) => a.as_f64() == b.as_f64(),
        }
    }
}

impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.normalized() {
            Number::Int(i) => write!(f, "{i}"),
            Number::Float(x) => write!(f, "{x}"),
        }
    }
}

/// What Terraform knows about an unknown value beyond its type (cty "refinements"), kept as
/// the opaque msgpack payload so it survives a round trip through the provider unchanged.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Refinements(pub Option<Vec<u8>>);

/// A Terraform value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Unknown(Refinements),
    Bool(bool),
    Number(Number),
    String(String),
    List(Vec<Value>),
    Set(Vec<Value>),
    Map(BTreeMap<String, Value>),
    Object(BTreeMap<String, Value>),
    Tuple(Vec<Value>),
}

impl Value {
    pub fn unknown() -> Value {
        Value::Unknown(Refinements::default())
    }

    pub fn string(s: impl Into<String>) -> Value {
        Value::String(s.into())
    }

    pub fn int(i: i64) -> Value {
        Value::Number(Number::Int(i))
    }

    pub fn object<'a>(attributes: impl IntoIterator<Item = (&'a str, Value)>) -> Value {
        Value::Object(
            attributes
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v))
                .collect(),
        )
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    pub fn is_unknown(&self) -> bool {
        matches!(self, Value::Unknown(_))
    }

    /// True when neither this value nor anything inside it is unknown.
    pub fn is_wholly_known(&self) -> bool {
        match self {
            Value::Unknown(_) => false,
            Value::List(v) | Value::Set(v) | Value::Tuple(v) => {
                v.iter().all(Value::is_wholly_known)
            }
            Value::Map(m) | Value::Object(m) => m.values().all(Value::is_wholly_known),
            _ => true,
        }
    }

    /// An object's attribute; null for a missing attribute or a value that is not an object.
    pub fn attr(&self, name: &str) -> &Value {
        const NULL: Value = Value::Null;
        match self {
            Value::Object(attrs) => attrs.get(name).unwrap_or(&NULL),
            _ => &NULL,
        }
    }

    /// Mutable access to an object's attribute, inserting null when absent.
    /// Does nothing useful (returns a scratch value) when `self` is not an object.
    pub fn attr_mut(&mut self, name: &str) -> Option<&mut Value> {
        match self {
            Value::Object(attrs) => Some(attrs.entry(name.to_owned()).or_insert(Value::Null)),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    pub fn as_number(&self) -> Option<Number> {
        match self {
            Value::Number(n) => Some(*n),
            _ => None,
        }
    }

    /// Elements of a string-keyed collection (map or object).
    pub fn as_map(&self) -> Option<&BTreeMap<String, Value>> {
        match self {
            Value::Map(m) | Value::Object(m) => Some(m),
            _ => None,
        }
    }

    /// Elements of a sequence (list, set or tuple).
    pub fn as_seq(&self) -> Option<&[Value]> {
        match self {
            Value::List(v) | Value::Set(v) | Value::Tuple(v) => Some(v),
            _ => None,
        }
    }

    /// The type this value most plausibly has, for encoding it where the schema says
    /// "dynamic". Nulls and unknowns are dynamic; empty collections have dynamic elements.
    pub fn infer_type(&self) -> Type {
        let first = |v: &[Value]| v.first().map(Value::infer_type).unwrap_or(Type::Dynamic);
        match self {
            Value::Null | Value::Unknown(_) => Type::Dynamic,
            Value::Bool(_) => Type::Bool,
            Value::Number(_) => Type::Number,
            Value::String(_) => Type::String,
            Value::List(v) => Type::list(first(v)),
            Value::Set(v) => Type::set(first(v)),
            Value::Map(m) => Type::map(
                m.values()
                    .next()
                    .map(Value::infer_type)
                    .unwrap_or(Type::Dynamic),
            ),
            Value::Object(m) => {
                Type::Object(m.iter().map(|(k, v)| (k.clone(), v.infer_type())).collect())
            }
            Value::Tuple(v) => Type::Tuple(v.iter().map(Value::infer_type).collect()),
        }
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::String(s.to_owned())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::String(s)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Value {
        Value::Bool(b)
    }
}

impl From<i64> for Value {
    fn from(i: i64) -> Value {
        Value::int(i)
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Value {
        v.map(Into::into).unwrap_or(Value::Null)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_compare_by_value() {
        assert_eq!(Number::Int(5), Number::Float(5.0));
        assert_ne!(Number::Int(5), Number::Float(5.5));
        assert_eq!(Number::Float(300.0).as_i64(), Some(300));
        assert_eq!(Number::Float(0.5).as_i64(), None);
    }

    #[test]
    fn wholly_known_looks_inside() {
        let v = Value::object([("a", Value::List(vec![Value::unknown()]))]);
        assert!(!v.is_wholly_known());
        assert!(Value::object([("a", Value::Null)]).is_wholly_known());
    }

    #[test]
    fn missing_attributes_read_as_null() {
        assert!(Value::Null.attr("x").is_null());
        assert!(Value::object([]).attr("x").is_null());
    }
}
