//! Terraform's type system (cty types) and their JSON encoding, as used in schemas and in
//! dynamic values.

use std::collections::BTreeMap;

use serde_json::{Value as Json, json};

use super::codec::CodecError;

/// A cty type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Type {
    Bool,
    Number,
    String,
    /// The "any type" placeholder: values of it carry their own type on the wire.
    Dynamic,
    List(Box<Type>),
    Set(Box<Type>),
    Map(Box<Type>),
    Object(BTreeMap<String, Type>),
    Tuple(Vec<Type>),
}

impl Type {
    pub fn list(element: Type) -> Type {
        Type::List(Box::new(element))
    }

    pub fn set(element: Type) -> Type {
        Type::Set(Box::new(element))
    }

    pub fn map(element: Type) -> Type {
        Type::Map(Box::new(element))
    }

    pub fn object<'a>(attributes: impl IntoIterator<Item = (&'a str, Type)>) -> Type {
        Type::Object(
            attributes
                .into_iter()
                .map(|(k, t)| (k.to_owned(), t))
                .collect(),
        )
    }

    /// The JSON form Terraform uses for types (`"string"`, `["list","string"]`, ...).
    pub fn to_json(&self) -> Json {
        match self {
            Type::Bool => json!("bool"),
            Type::Number => json!("number"),
            Type::String => json!("string"),
            Type::Dynamic => json!("dynamic"),
            Type::List(e) => json!(["list", e.to_json()]),
            Type::Set(e) => json!(["set", e.to_json()]),
            Type::Map(e) => json!(["map", e.to_json()]),
            Type::Object(attrs) => {
                let attrs: serde_json::Map<String, Json> = attrs
                    .iter()
                    .map(|(k, t)| (k.clone(), t.to_json()))
                    .collect();
                json!(["object", attrs])
            }
            Type::Tuple(elems) => {
                json!(["tuple", elems.iter().map(Type::to_json).collect::<Vec<_>>()])
            }
        }
    }

    /// The type's JSON form as bytes, as schema attributes carry it.
    pub fn to_json_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(&self.to_json()).expect("a type always serializes")
    }

    /// Parses Terraform's JSON type form. Optional-attribute markers on object types are
    /// accepted and ignored: they only matter to Terraform's type conversion.
    pub fn from_json(json: &Json) -> Result<Type, CodecError> {
        let bad = || CodecError::new(format!("invalid type expression: {json}"));
        match json {
            Json::String(s) => match s.as_str() {
                "bool" => Ok(Type::Bool),
                "number" => Ok(Type::Number),
                "string" => Ok(Type::String),
                "dynamic" => Ok(Type::Dynamic),
                _ => Err(bad()),
            },
            Json::Array(parts) => {
                let kind = parts.first().and_then(Json::as_str).ok_or_else(bad)?;
                let arg = parts.get(1).ok_or_else(bad)?;
                match (kind, parts.len()) {
                    ("list", 2) => Ok(Type::list(Type::from_json(arg)?)),
                    ("set", 2) => Ok(Type::set(Type::from_json(arg)?)),
                    ("map", 2) => Ok(Type::map(Type::from_json(arg)?)),
                    ("object", 2 | 3) => {
                        let attrs = arg.as_object().ok_or_else(bad)?;
                        let attrs = attrs
                            .iter()
                            .map(|(k, v)| Ok((k.clone(), Type::from_json(v)?)))
                            .collect::<Result<_, CodecError>>()?;
                        Ok(Type::Object(attrs))
                    }
                    ("tuple", 2) => {
                        let elems = arg.as_array().ok_or_else(bad)?;
                        Ok(Type::Tuple(
                            elems
                                .iter()
                                .map(Type::from_json)
                                .collect::<Result<_, _>>()?,
                        ))
                    }
                    _ => Err(bad()),
                }
            }
            _ => Err(bad()),
        }
    }

    pub fn from_json_bytes(bytes: &[u8]) -> Result<Type, CodecError> {
        let json: Json = serde_json::from_slice(bytes)
            .map_err(|e| CodecError::new(format!("invalid type JSON: {e}")))?;
        Type::from_json(&json)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_json_round_trips() {
        let ty = Type::object([
            ("a", Type::String),
            ("b", Type::list(Type::Number)),
            ("c", Type::map(Type::set(Type::Bool))),
            ("d", Type::Tuple(vec![Type::Dynamic, Type::String])),
        ]);
        let json = ty.to_json();
        assert_eq!(Type::from_json(&json).unwrap(), ty);
        assert_eq!(json["0"], Json::Null);
        assert_eq!(
            Type::list(Type::String).to_json(),
            json!(["list", "string"])
        );
    }

    #[test]
    fn optional_attribute_markers_are_accepted() {
        let json = json!(["object", {"a": "string"}, ["a"]]);
        assert_eq!(
            Type::from_json(&json).unwrap(),
            Type::object([("a", Type::String)])
        );
    }

    #[test]
    fn malformed_types_are_errors() {
        for bad in [
            json!("strin"),
            json!(["list"]),
            json!(["object", 1]),
            json!(7),
            json!(["tuple", {}]),
        ] {
            assert!(Type::from_json(&bad).is_err(), "{bad}");
        }
    }
}
