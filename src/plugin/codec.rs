//! Wire codecs for values: msgpack (what DynamicValue carries, unknowns included) and JSON
//! (raw state and the JSON form of DynamicValue). Both are directed by the value's type.

use std::collections::BTreeMap;

use rmp::Marker;
use serde_json::Value as Json;

use super::types::Type;
use super::value::{Number, Refinements, Value};

/// A value could not be encoded or decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct CodecError(String);

impl CodecError {
    pub fn new(msg: impl Into<String>) -> CodecError {
        CodecError(msg.into())
    }
}

/// cty's extension code for a plain unknown value.
const EXT_UNKNOWN: i8 = 0;
/// cty's extension code for an unknown value carrying refinements.
const EXT_UNKNOWN_REFINED: i8 = 12;
/// Nesting deeper than this is refused rather than risking the stack on hostile input.
const MAX_DEPTH: usize = 64;

// ---------------------------------------------------------------------------------------------
// msgpack
// ---------------------------------------------------------------------------------------------

/// Decodes a msgpack DynamicValue of type `ty`.
pub fn decode_msgpack(bytes: &[u8], ty: &Type) -> Result<Value, CodecError> {
    let mut rd = bytes;
    let value = read_value(&mut rd, ty, 0)?;
    if !rd.is_empty() {
        return Err(CodecError::new(format!(
            "{} trailing bytes after msgpack value",
            rd.len()
        )));
    }
    Ok(value)
}

/// Encodes `value` as msgpack under type `ty`.
pub fn encode_msgpack(value: &Value, ty: &Type) -> Result<Vec<u8>, CodecError> {
    let mut out = Vec::with_capacity(64);
    write_value(&mut out, value, ty, 0)?;
    Ok(out)
}

fn eof() -> CodecError {
    CodecError::new("unexpected end of msgpack data")
}

fn rmp_err(e: impl std::fmt::Display) -> CodecError {
    CodecError::new(format!("malformed msgpack: {e}"))
}

fn take<'a>(rd: &mut &'a [u8], n: usize) -> Result<&'a [u8], CodecError> {
    if rd.len() < n {
        return Err(eof());
    }
    let (head, tail) = rd.split_at(n);
    *rd = tail;
    Ok(head)
}

fn peek_marker(rd: &[u8]) -> Result<Marker, CodecError> {
    rd.first().map(|b| Marker::from_u8(*b)).ok_or_else(eof)
}

fn read_value(rd: &mut &[u8], ty: &Type, depth: usize) -> Result<Value, CodecError> {
    if depth > MAX_DEPTH {
        return Err(CodecError::new("value nested too deeply"));
    }
    match peek_marker(rd)? {
        Marker::Null => {
            take(rd, 1)?;
            return Ok(Value::Null);
        }
        Marker::FixExt1
        | Marker::FixExt2
        | Marker::FixExt4
        | Marker::FixExt8
        | Marker::FixExt16
        | Marker::Ext8
        | Marker::Ext16
        | Marker::Ext32 => return read_unknown(rd),
        _ => {}
    }
    match ty {
        Type::Dynamic => {
            let len = rmp::decode::read_array_len(rd).map_err(rmp_err)?;
            if len != 2 {
                return Err(CodecError::new(
                    "dynamic value must be a [type, value] pair",
                ));
            }
            let type_json = read_bytes_or_str(rd)?;
            let inner = Type::from_json_bytes(type_json)?;
            read_value(rd, &inner, depth + 1)
        }
        Type::Bool => rmp::decode::read_bool(rd).map(Value::Bool).map_err(rmp_err),
        Type::Number => read_number(rd).map(Value::Number),
        Type::String => {
            let bytes = read_str_bytes(rd)?;
            let s =
                std::str::from_utf8(bytes).map_err(|_| CodecError::new("string is not UTF-8"))?;
            Ok(Value::String(s.to_owned()))
        }
        Type::List(e) | Type::Set(e) => {
            let len = rmp::decode::read_array_len(rd).map_err(rmp_err)? as usize;
            let mut items = Vec::with_capacity(len.min(rd.len()));
            for _ in 0..len {
                items.push(read_value(rd, e, depth + 1)?);
            }
            Ok(if matches!(ty, Type::List(_)) {
                Value::List(items)
            } else {
                Value::Set(items)
            })
        }
        Type::Tuple(elems) => {
            let len = rmp::decode::read_array_len(rd).map_err(rmp_err)? as usize;
            if len != elems.len() {
                return Err(CodecError::new(format!(
                    "tuple needs {} elements, got {len}",
                    elems.len()
                )));
            }
            let items = elems
                .iter()
                .map(|e| read_value(rd, e, depth + 1))
                .collect::<Result<_, _>>()?;
            Ok(Value::Tuple(items))
        }
        Type::Map(e) => {
            let len = rmp::decode::read_map_len(rd).map_err(rmp_err)?;
            let mut items = BTreeMap::new();
            for _ in 0..len {
                let key = read_key(rd)?;
                items.insert(key, read_value(rd, e, depth + 1)?);
            }
            Ok(Value::Map(items))
        }
        Type::Object(attrs) => {
            let len = rmp::decode::read_map_len(rd).map_err(rmp_err)?;
            let mut items = BTreeMap::new();
            for _ in 0..len {
                let key = read_key(rd)?;
                let attr_ty = attrs
                    .get(&key)
                    .ok_or_else(|| CodecError::new(format!("unsupported attribute {key:?}")))?;
                let value = read_value(rd, attr_ty, depth + 1)?;
                items.insert(key, value);
            }
            for name in attrs.keys() {
                items.entry(name.clone()).or_insert(Value::Null);
            }
            Ok(Value::Object(items))
        }
    }
}

fn read_unknown(rd: &mut &[u8]) -> Result<Value, CodecError> {
    let meta = rmp::decode::read_ext_meta(rd).map_err(rmp_err)?;
    let payload = take(rd, meta.size as usize)?;
    Ok(match meta.typeid {
        EXT_UNKNOWN_REFINED => Value::Unknown(Refinements(Some(payload.to_vec()))),
        _ => Value::unknown(),
    })
}

fn read_str_bytes<'a>(rd: &mut &'a [u8]) -> Result<&'a [u8], CodecError> {
    let len = rmp::decode::read_str_len(rd).map_err(rmp_err)?;
    take(rd, len as usize)
}

fn read_bytes_or_str<'a>(rd: &mut &'a [u8]) -> Result<&'a [u8], CodecError> {
    match peek_marker(rd)? {
        Marker::Bin8 | Marker::Bin16 | Marker::Bin32 => {
            let len = rmp::decode::read_bin_len(rd).map_err(rmp_err)?;
            take(rd, len as usize)
        }
        _ => read_str_bytes(rd),
    }
}

fn read_key(rd: &mut &[u8]) -> Result<String, CodecError> {
    let bytes = read_str_bytes(rd)?;
    std::str::from_utf8(bytes)
        .map(str::to_owned)
        .map_err(|_| CodecError::new("key is not UTF-8"))
}

fn read_number(rd: &mut &[u8]) -> Result<Number, CodecError> {
    match peek_marker(rd)? {
        Marker::F32 => rmp::decode::read_f32(rd)
            .map(|f| Number::Float(f64::from(f)))
            .map_err(rmp_err),
        Marker::F64 => rmp::decode::read_f64(rd)
            .map(Number::Float)
            .map_err(rmp_err),
        Marker::U64 => {
            let n: u64 = rmp::decode::read_int(rd).map_err(rmp_err)?;
            Ok(i64::try_from(n)
                .map(Number::Int)
                .unwrap_or(Number::Float(n as f64)))
        }
        Marker::FixStr(_) | Marker::Str8 | Marker::Str16 | Marker::Str32 => {
            // cty writes numbers that do not fit a double as decimal strings.
            let bytes = read_str_bytes(rd)?;
            let text =
                std::str::from_utf8(bytes).map_err(|_| CodecError::new("number is not UTF-8"))?;
            parse_number(text)
        }
        _ => rmp::decode::read_int::<i64, _>(rd)
            .map(Number::Int)
            .map_err(rmp_err),
    }
}

fn parse_number(text: &str) -> Result<Number, CodecError> {
    if let Ok(i) = text.parse::<i64>() {
        return Ok(Number::Int(i));
    }
    match text.parse::<f64>() {
        Ok(f) if f.is_finite() => Ok(Number::Float(f)),
        _ => Err(CodecError::new(format!("{text:?} is not a number"))),
    }
}

fn mismatch(value: &Value, ty: &Type) -> CodecError {
    CodecError::new(format!(
        "a {} value does not fit type {}",
        kind_name(value),
        ty.to_json()
    ))
}

fn kind_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Unknown(_) => "unknown",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::List(_) => "list",
        Value::Set(_) => "set",
        Value::Map(_) => "map",
        Value::Object(_) => "object",
        Value::Tuple(_) => "tuple",
    }
}

fn write_value(
    out: &mut Vec<u8>,
    value: &Value,
    ty: &Type,
    depth: usize,
) -> Result<(), CodecError> {
    if depth > MAX_DEPTH {
        return Err(CodecError::new("value nested too deeply"));
    }
    // Writing into a Vec cannot fail, so the rmp results below are infallible.
    match (value, ty) {
        (Value::Unknown(Refinements(None)), _) => {
            rmp::encode::write_ext_meta(out, 1, EXT_UNKNOWN).map_err(rmp_err)?;
            out.push(0);
        }
        (Value::Unknown(Refinements(Some(payload))), _) => {
            rmp::encode::write_ext_meta(out, payload.len() as u32, EXT_UNKNOWN_REFINED)
                .map_err(rmp_err)?;
            out.extend_from_slice(payload);
        }
        (Value::Null, _) => rmp::encode::write_nil(out).map_err(rmp_err)?,
        (_, Type::Dynamic) => {
            let inner = value.infer_type();
            rmp::encode::write_array_len(out, 2).map_err(rmp_err)?;
            let type_json = inner.to_json_bytes();
            rmp::encode::write_bin(out, &type_json).map_err(rmp_err)?;
            write_value(out, value, &inner, depth + 1)?;
        }
        (Value::Bool(b), Type::Bool) => rmp::encode::write_bool(out, *b).map_err(rmp_err)?,
        (Value::Number(n), Type::Number) => match n.normalized() {
            Number::Int(i) => {
                rmp::encode::write_sint(out, i).map_err(rmp_err)?;
            }
            Number::Float(f) => rmp::encode::write_f64(out, f).map_err(rmp_err)?,
        },
        (Value::String(s), Type::String) => rmp::encode::write_str(out, s).map_err(rmp_err)?,
        (Value::List(items), Type::List(e)) | (Value::Set(items), Type::Set(e)) => {
            rmp::encode::write_array_len(out, items.len() as u32).map_err(rmp_err)?;
            for item in items {
                write_value(out, item, e, depth + 1)?;
            }
        }
        (Value::Tuple(items), Type::Tuple(elems)) if items.len() == elems.len() => {
            rmp::encode::write_array_len(out, items.len() as u32).map_err(rmp_err)?;
            for (item, e) in items.iter().zip(elems) {
                write_value(out, item, e, depth + 1)?;
            }
        }
        (Value::Map(items), Type::Map(e)) => {
            rmp::encode::write_map_len(out, items.len() as u32).map_err(rmp_err)?;
            for (k, v) in items {
                rmp::encode::write_str(out, k).map_err(rmp_err)?;
                write_value(out, v, e, depth + 1)?;
            }
        }
        (Value::Object(items), Type::Object(attrs)) => {
            if let Some(extra) = items.keys().find(|k| !attrs.contains_key(*k)) {
                return Err(CodecError::new(format!("unsupported attribute {extra:?}")));
            }
            rmp::encode::write_map_len(out, attrs.len() as u32).map_err(rmp_err)?;
            for (name, attr_ty) in attrs {
                rmp::encode::write_str(out, name).map_err(rmp_err)?;
                write_value(
                    out,
                    items.get(name).unwrap_or(&Value::Null),
                    attr_ty,
                    depth + 1,
                )?;
            }
        }
        _ => return Err(mismatch(value, ty)),
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// JSON
// ---------------------------------------------------------------------------------------------

/// Decodes a JSON value (raw state, or DynamicValue's JSON form) of type `ty`.
/// Object attributes the type does not know are dropped: raw state written by an older
/// schema may still carry them.
pub fn decode_json(bytes: &[u8], ty: &Type) -> Result<Value, CodecError> {
    let json: Json =
        serde_json::from_slice(bytes).map_err(|e| CodecError::new(format!("invalid JSON: {e}")))?;
    from_json(&json, ty, 0)
}

/// Encodes a wholly known value as JSON under type `ty`.
pub fn encode_json(value: &Value, ty: &Type) -> Result<Vec<u8>, CodecError> {
    let json = to_json(value, ty, 0)?;
    Ok(serde_json::to_vec(&json).expect("JSON values always serialize"))
}

fn from_json(json: &Json, ty: &Type, depth: usize) -> Result<Value, CodecError> {
    if depth > MAX_DEPTH {
        return Err(CodecError::new("value nested too deeply"));
    }
    let wrong = || CodecError::new(format!("JSON {json} does not fit type {}", ty.to_json()));
    if json.is_null() {
        return Ok(Value::Null);
    }
    match ty {
        Type::Dynamic => {
            let obj = json.as_object().ok_or_else(wrong)?;
            let inner = Type::from_json(obj.get("type").ok_or_else(wrong)?)?;
            from_json(obj.get("value").unwrap_or(&Json::Null), &inner, depth + 1)
        }
        Type::Bool => json.as_bool().map(Value::Bool).ok_or_else(wrong),
        Type::Number => match json {
            Json::Number(n) => match n.as_i64() {
                Some(i) => Ok(Value::int(i)),
                None => n
                    .as_f64()
                    .map(|f| Value::Number(Number::Float(f)))
                    .ok_or_else(wrong),
            },
            Json::String(s) => parse_number(s).map(Value::Number),
            _ => Err(wrong()),
        },
        Type::String => json.as_str().map(Value::from).ok_or_else(wrong),
        Type::List(e) | Type::Set(e) => {
            let items = json.as_array().ok_or_else(wrong)?;
            let items = items
                .iter()
                .map(|j| from_json(j, e, depth + 1))
                .collect::<Result<_, _>>()?;
            Ok(if matches!(ty, Type::List(_)) {
                Value::List(items)
            } else {
                Value::Set(items)
            })
        }
        Type::Tuple(elems) => {
            let items = json
                .as_array()
                .filter(|a| a.len() == elems.len())
                .ok_or_else(wrong)?;
            let items = items
                .iter()
                .zip(elems)
                .map(|(j, e)| from_json(j, e, depth + 1))
                .collect::<Result<_, _>>()?;
            Ok(Value::Tuple(items))
        }
        Type::Map(e) => {
            let items = json.as_object().ok_or_else(wrong)?;
            let items = items
                .iter()
                .map(|(k, j)| Ok((k.clone(), from_json(j, e, depth + 1)?)))
                .collect::<Result<_, CodecError>>()?;
            Ok(Value::Map(items))
        }
        Type::Object(attrs) => {
            let items = json.as_object().ok_or_else(wrong)?;
            let items = attrs
                .iter()
                .map(|(name, attr_ty)| {
                    let v = items
                        .get(name)
                        .map(|j| from_json(j, attr_ty, depth + 1))
                        .transpose()?;
                    Ok((name.clone(), v.unwrap_or(Value::Null)))
                })
                .collect::<Result<_, CodecError>>()?;
            Ok(Value::Object(items))
        }
    }
}

fn to_json(value: &Value, ty: &Type, depth: usize) -> Result<Json, CodecError> {
    if depth > MAX_DEPTH {
        return Err(CodecError::new("value nested too deeply"));
    }
    Ok(match (value, ty) {
        (Value::Unknown(_), _) => {
            return Err(CodecError::new("unknown values cannot be written as JSON"));
        }
        (Value::Null, _) => Json::Null,
        (_, Type::Dynamic) => {
            let inner = value.infer_type();
            serde_json::json!({"value": to_json(value, &inner, depth + 1)?, "type": inner.to_json()})
        }
        (Value::Bool(b), Type::Bool) => Json::Bool(*b),
        (Value::Number(n), Type::Number) => match n.normalized() {
            Number::Int(i) => Json::from(i),
            Number::Float(f) => serde_json::Number::from_f64(f)
                .map(Json::Number)
                .ok_or_else(|| mismatch(value, ty))?,
        },
        (Value::String(s), Type::String) => Json::String(s.clone()),
        (Value::List(items), Type::List(e)) | (Value::Set(items), Type::Set(e)) => Json::Array(
            items
                .iter()
                .map(|v| to_json(v, e, depth + 1))
                .collect::<Result<_, _>>()?,
        ),
        (Value::Tuple(items), Type::Tuple(elems)) if items.len() == elems.len() => Json::Array(
            items
                .iter()
                .zip(elems)
                .map(|(v, e)| to_json(v, e, depth + 1))
                .collect::<Result<_, _>>()?,
        ),
        (Value::Map(items), Type::Map(e)) => Json::Object(
            items
                .iter()
                .map(|(k, v)| Ok((k.clone(), to_json(v, e, depth + 1)?)))
                .collect::<Result<_, CodecError>>()?,
        ),
        (Value::Object(items), Type::Object(attrs)) => {
            if let Some(extra) = items.keys().find(|k| !attrs.contains_key(*k)) {
                return Err(CodecError::new(format!("unsupported attribute {extra:?}")));
            }
            Json::Object(
                attrs
                    .iter()
                    .map(|(k, t)| {
                        Ok((
                            k.clone(),
                            to_json(items.get(k).unwrap_or(&Value::Null), t, depth + 1)?,
                        ))
                    })
                    .collect::<Result<_, CodecError>>()?,
            )
        }
        _ => return Err(mismatch(value, ty)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn arb_type() -> impl Strategy<Value = Type> {
        let leaf = prop_oneof![Just(Type::Bool), Just(Type::Number), Just(Type::String)];
        leaf.prop_recursive(4, 24, 4, |inner| {
            prop_oneof![
                inner.clone().prop_map(Type::list),
                inner.clone().prop_map(Type::set),
                inner.clone().prop_map(Type::map),
                proptest::collection::btree_map("[a-z_]{1,6}", inner.clone(), 0..4)
                    .prop_map(Type::Object),
                proptest::collection::vec(inner, 0..3).prop_map(Type::Tuple),
            ]
        })
    }

    /// A value of type `ty`; with `unknowns`, any part may be unknown.
    fn arb_value(ty: Type, unknowns: bool) -> BoxedStrategy<Value> {
        let known: BoxedStrategy<Value> = match ty {
            Type::Bool => any::<bool>().prop_map(Value::Bool).boxed(),
            Type::Number => prop_oneof![
                any::<i64>().prop_map(Value::int),
                (-1.0e12f64..1.0e12).prop_map(|f| Value::Number(Number::Float(f))),
            ]
            .boxed(),
            Type::String => "\\PC{0,12}".prop_map(Value::String).boxed(),
            Type::List(e) => proptest::collection::vec(arb_value(*e, unknowns), 0..4)
                .prop_map(Value::List)
                .boxed(),
            Type::Set(e) => proptest::collection::vec(arb_value(*e, unknowns), 0..4)
                .prop_map(Value::Set)
                .boxed(),
            Type::Map(e) => {
                proptest::collection::btree_map("\\PC{0,6}", arb_value(*e, unknowns), 0..4)
                    .prop_map(Value::Map)
                    .boxed()
            }
            Type::Object(attrs) => {
                let parts: Vec<_> = attrs
                    .into_iter()
                    .map(|(k, t)| arb_value(t, unknowns).prop_map(move |v| (k.clone(), v)))
                    .collect();
                parts
                    .prop_map(|kv| Value::Object(kv.into_iter().collect()))
                    .boxed()
            }
            Type::Tuple(elems) => {
                let parts: Vec<_> = elems.into_iter().map(|t| arb_value(t, unknowns)).collect();
                parts.prop_map(Value::Tuple).boxed()
            }
            Type::Dynamic => Just(Value::Null).boxed(),
        };
        if unknowns {
            prop_oneof![
                6 => known,
                1 => Just(Value::Null),
                1 => Just(Value::unknown()),
                1 => proptest::collection::vec(any::<u8>(), 0..8).prop_map(|p| Value::Unknown(Refinements(Some(p)))),
            ]
            .boxed()
        } else {
            prop_oneof![8 => known, 1 => Just(Value::Null)].boxed()
        }
    }

    fn typed_value(unknowns: bool) -> impl Strategy<Value = (Type, Value)> {
        arb_type().prop_flat_map(move |t| (Just(t.clone()), arb_value(t, unknowns)))
    }

    proptest! {
        #[test]
        fn msgpack_round_trips((ty, value) in typed_value(true)) {
            let bytes = encode_msgpack(&value, &ty).unwrap();
            prop_assert_eq!(decode_msgpack(&bytes, &ty).unwrap(), value);
        }

        #[test]
        fn json_round_trips((ty, value) in typed_value(false)) {
            let bytes = encode_json(&value, &ty).unwrap();
            prop_assert_eq!(decode_json(&bytes, &ty).unwrap(), value);
        }

        #[test]
        fn dynamic_values_carry_their_type((ty, value) in typed_value(false)) {
            let bytes = encode_msgpack(&value, &Type::Dynamic).unwrap();
            let back = decode_msgpack(&bytes, &Type::Dynamic).unwrap();
            // Re-encoding under the concrete type gives the same bytes as the original value.
            prop_assert_eq!(encode_msgpack(&back, &ty).ok(), encode_msgpack(&value, &ty).ok());
        }

        #[test]
        fn arbitrary_msgpack_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..64), ty in arb_type()) {
            let _ = decode_msgpack(&bytes, &ty);
            let _ = decode_msgpack(&bytes, &Type::Dynamic);
        }

        #[test]
        fn arbitrary_json_never_panics(text in "\\PC{0,40}", ty in arb_type()) {
            let _ = decode_json(text.as_bytes(), &ty);
        }
    }

    #[test]
    fn unknown_is_ctys_extension_zero() {
        assert_eq!(
            encode_msgpack(&Value::unknown(), &Type::String).unwrap(),
            vec![0xd4, 0, 0]
        );
        assert_eq!(
            decode_msgpack(&[0xd4, 0, 0], &Type::Number).unwrap(),
            Value::unknown()
        );
    }

    #[test]
    fn refined_unknown_keeps_its_payload() {
        // ext 12 carrying the map {1: false} (cty: "definitely not null").
        let bytes = [0xc7, 0x03, 0x0c, 0x81, 0x01, 0xc2];
        let value = decode_msgpack(&bytes, &Type::String).unwrap();
        assert_eq!(
            value,
            Value::Unknown(Refinements(Some(vec![0x81, 0x01, 0xc2])))
        );
        assert_eq!(encode_msgpack(&value, &Type::String).unwrap(), bytes);
    }

    #[test]
    fn objects_are_written_with_every_attribute() {
        let ty = Type::object([("a", Type::String), ("b", Type::Bool)]);
        let bytes = encode_msgpack(&Value::object([("a", "x".into())]), &ty).unwrap();
        let back = decode_msgpack(&bytes, &ty).unwrap();
        assert_eq!(back, Value::object([("a", "x".into()), ("b", Value::Null)]));
    }

    #[test]
    fn malformed_input_is_an_error() {
        let ty = Type::object([("a", Type::String)]);
        assert!(decode_msgpack(&[], &ty).is_err());
        assert!(
            decode_msgpack(&[0x81, 0xa1, b'z', 0xc0], &ty).is_err(),
            "unknown attribute"
        );
        assert!(
            decode_msgpack(&[0xa1, b'x', 0x00], &Type::String).is_err(),
            "trailing bytes"
        );
        assert!(decode_msgpack(&[0xdd, 0xff, 0xff, 0xff, 0xff], &Type::list(Type::Bool)).is_err());
        assert!(encode_json(&Value::unknown(), &Type::String).is_err());
        assert!(encode_msgpack(&Value::Bool(true), &Type::String).is_err());
    }

    #[test]
    fn json_numbers_may_be_strings_and_unknown_attributes_are_dropped() {
        let ty = Type::object([("n", Type::Number)]);
        let v = decode_json(br#"{"n":"42","gone":true}"#, &ty).unwrap();
        assert_eq!(v, Value::object([("n", Value::int(42))]));
    }
}
