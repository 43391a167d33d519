//! rest-xml payloads (S3's `Delete`, `Tagging`, `CreateBucketConfiguration`, ...) decoded into
//! the same member-keyed JSON tree as the other protocols, guided by the payload's shape:
//! members are child elements named by their `locationName` (or attributes, for
//! `xmlAttribute` members), lists are wrapper elements (or repeated elements when flattened),
//! maps are `entry` elements with `key` and `value`.

use serde_json::{Map, Value};

use super::decode::scalar;
use super::model::{ServiceModel, Shape};

/// One element: its local name, attributes (local names), child elements and text.
#[derive(Debug, Default)]
struct Element {
    name: String,
    attributes: Vec<(String, String)>,
    children: Vec<Element>,
    text: String,
}

impl Element {
    fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }
}

/// The payload `body` as shape `shape_name`; `None` for a body that is not well-formed XML.
pub(crate) fn payload(model: &ServiceModel, shape_name: &str, body: &[u8]) -> Option<Value> {
    let text = std::str::from_utf8(body).ok()?;
    let root = parse(text)?;
    Some(value(model, shape_name, &root))
}

/// The local part of a name: `type` of `xsi:type`.
fn local(name: &str) -> &str {
    name.rsplit(':').next().unwrap_or(name)
}

fn value(model: &ServiceModel, shape_name: &str, element: &Element) -> Value {
    let shape = model.shape(shape_name);
    match shape.kind.as_str() {
        "structure" => {
            let mut fields = Map::new();
            for (name, member) in &shape.members {
                let wire = local(member.location_name.as_deref().unwrap_or(name));
                let target = model.shape(&member.shape);
                let found = if member.xml_attribute {
                    element
                        .attributes
                        .iter()
                        .find(|(k, _)| k == wire)
                        .map(|(_, v)| scalar(target, v))
                } else if target.kind == "list" && (target.flattened || member.flattened) {
                    let items: Vec<Value> = element
                        .children
                        .iter()
                        .filter(|c| c.name == wire)
                        .map(|c| value(model, &list_element(target), c))
                        .collect();
                    (!items.is_empty()).then_some(Value::Array(items))
                } else {
                    element.child(wire).map(|c| value(model, &member.shape, c))
                };
                if let Some(found) = found {
                    fields.insert(name.clone(), found);
                }
            }
            Value::Object(fields)
        }
        "list" => Value::Array(
            element
                .children
                .iter()
                .map(|c| value(model, &list_element(shape), c))
                .collect(),
        ),
        "map" => {
            let key_name = shape
                .key
                .as_ref()
                .and_then(|k| k.location_name.as_deref())
                .unwrap_or("key");
            let value_ref = shape.value.as_ref().expect("a map value");
            let value_name = value_ref.location_name.as_deref().unwrap_or("value");
            let entries = element
                .children
                .iter()
                .filter_map(|entry| {
                    let key = entry.child(key_name)?.text.clone();
                    let v = entry
                        .child(value_name)
                        .map(|v| value(model, &value_ref.shape, v))
                        .unwrap_or(Value::Null);
                    Some((key, v))
                })
                .collect();
            Value::Object(entries)
        }
        _ => scalar(shape, &element.text),
    }
}

fn list_element(list: &Shape) -> String {
    list.member
        .as_ref()
        .expect("a list shape has a member")
        .shape
        .clone()
}

/// The root element of an XML document.
fn parse(text: &str) -> Option<Element> {
    use xmlparser::{ElementEnd, Token};
    let mut stack: Vec<Element> = Vec::new();
    let mut root = None;
    for token in xmlparser::Tokenizer::from(text) {
        match token.ok()? {
            Token::ElementStart { local, .. } => stack.push(Element {
                name: local.as_str().to_owned(),
                ..Element::default()
            }),
            Token::Attribute { local, value, .. } => stack
                .last_mut()?
                .attributes
                .push((local.as_str().to_owned(), unescape(value.as_str()))),
            Token::ElementEnd { end, .. } => match end {
                ElementEnd::Open => {}
                ElementEnd::Close(..) | ElementEnd::Empty => {
                    let done = stack.pop()?;
                    match stack.last_mut() {
                        Some(parent) => parent.children.push(done),
                        None => root = Some(done),
                    }
                }
            },
            Token::Text { text } => {
                if let Some(current) = stack.last_mut() {
                    current.text.push_str(&unescape(text.as_str()));
                }
            }
            Token::Cdata { text, .. } => {
                if let Some(current) = stack.last_mut() {
                    current.text.push_str(text.as_str());
                }
            }
            _ => {}
        }
    }
    root
}

/// Replaces XML's predefined entities and character references.
fn unescape(text: &str) -> String {
    if !text.contains('&') {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        let Some(end) = after.find(';') else {
            out.push_str(&rest[at..]);
            return out;
        };
        let entity = &after[..end];
        let decoded = match entity {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            _ => entity
                .strip_prefix("#x")
                .and_then(|hex| u32::from_str_radix(hex, 16).ok())
                .or_else(|| entity.strip_prefix('#').and_then(|d| d.parse().ok()))
                .and_then(char::from_u32),
        };
        match decoded {
            Some(c) => out.push(c),
            None => out.push_str(&rest[at..at + 1 + end + 1]),
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::super::model;
    use super::*;
    use serde_json::json;

    #[test]
    fn payloads_decode_flattened_lists_wrapped_lists_and_attributes() {
        let s3 = model::service("s3").unwrap();
        let delete = payload(
            &s3,
            "Delete",
            br#"<?xml version="1.0" encoding="UTF-8"?><Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Object><Key>a&amp;b</Key></Object><Object><Key>c</Key><VersionId>v</VersionId></Object><Quiet>true</Quiet></Delete>"#,
        )
        .unwrap();
        assert_eq!(
            delete,
            json!({"Objects": [{"Key": "a&b"}, {"Key": "c", "VersionId": "v"}], "Quiet": true})
        );
        let tagging = payload(
            &s3,
            "Tagging",
            b"<Tagging><TagSet><Tag><Key>k</Key><Value>v</Value></Tag></TagSet></Tagging>",
        )
        .unwrap();
        assert_eq!(tagging, json!({"TagSet": [{"Key": "k", "Value": "v"}]}));
        let grantee = payload(
            &s3,
            "Grantee",
            br#"<Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="CanonicalUser"><ID>1</ID></Grantee>"#,
        )
        .unwrap();
        assert_eq!(grantee, json!({"ID": "1", "Type": "CanonicalUser"}));
        assert!(payload(&s3, "Tagging", b"<Tagging><TagSet>").is_none());
    }
}
