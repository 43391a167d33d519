//! Which operation of a model a request is, and its input as a JSON tree keyed by the model's
//! member names, whatever the protocol carried it in: a JSON body (`json`), URI labels, query
//! string, headers and a JSON body (`rest-json`), a form (`query`), or URI labels, query string,
//! headers and an XML payload (`rest-xml`, see `xml.rs`; blob bodies are [`OPAQUE`]).

use std::collections::HashMap;

use hyper::header::HeaderMap;
use hyper::{Method, Uri};
use serde_json::{Map, Value};

use super::super::classify::form_pairs;
use super::model::{MemberRef, Operation, Protocol, ServiceModel, Shape};

/// Stands for a payload the layer does not decode (an XML document, a blob body): present, so
/// `required` holds, but not checked further.
pub(crate) const OPAQUE: &str = "\u{0}payload not decoded";

/// Whether `value` is the [`OPAQUE`] stand-in.
pub(crate) fn is_opaque(value: &Value) -> bool {
    value.as_str() == Some(OPAQUE)
}

/// A request as the proxy read it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Request<'a> {
    pub method: &'a Method,
    pub uri: &'a Uri,
    pub headers: &'a HeaderMap,
    pub body: &'a [u8],
}

/// The operation a request calls and its decoded input (`Value::Null` without an input shape).
#[derive(Debug)]
pub(crate) struct Decoded<'m> {
    pub operation: &'m Operation,
    pub input: Value,
}

/// Finds the operation and decodes the input; `None` when the request is no operation of the
/// model (or its body is not even the protocol's syntax, which the SDKs never send).
pub(crate) fn decode<'m>(model: &'m ServiceModel, request: Request<'_>) -> Option<Decoded<'m>> {
    match model.protocol {
        Protocol::Json => {
            let operation = json_operation(model, request.headers)?;
            let input = match &operation.input {
                Some(input) => {
                    let body: Value = if request.body.is_empty() {
                        Value::Object(Map::new())
                    } else {
                        serde_json::from_slice(request.body).ok()?
                    };
                    canonical(model, &input.shape, &body)
                }
                None => Value::Null,
            };
            Some(Decoded { operation, input })
        }
        Protocol::Query => {
            let pairs = query_pairs(request);
            let action = pairs.get("Action")?;
            let operation = model.operations.get(action)?;
            let input = match &operation.input {
                Some(input) => query_value(model, &input.shape, "", &pairs)
                    .unwrap_or_else(|| Value::Object(Map::new())),
                None => Value::Null,
            };
            Some(Decoded { operation, input })
        }
        Protocol::RestJson | Protocol::RestXml => {
            let (operation, labels) = rest_operation(model, request)?;
            let input = match &operation.input {
                Some(input) => rest_input(model, model.shape(&input.shape), &labels, request)?,
                None => Value::Null,
            };
            Some(Decoded { operation, input })
        }
    }
}

// ---------------------------------------------------------------------------------------------
// json
// ---------------------------------------------------------------------------------------------

/// `X-Amz-Target: <targetPrefix>.<Operation>`.
fn json_operation<'m>(model: &'m ServiceModel, headers: &HeaderMap) -> Option<&'m Operation> {
    let target = headers.get("x-amz-target")?.to_str().ok()?;
    let (prefix, name) = target.rsplit_once('.')?;
    if model
        .target_prefix
        .as_deref()
        .is_some_and(|wanted| wanted != prefix)
    {
        return None;
    }
    model.operations.get(name)
}

/// A wire JSON value re-keyed by member names (a member's wire name is its `locationName`, if
/// any); unknown keys and `null`s are dropped, as AWS treats a `null` like an absent member.
fn canonical(model: &ServiceModel, shape_name: &str, wire: &Value) -> Value {
    let shape = model.shape(shape_name);
    match (shape.kind.as_str(), wire) {
        ("structure", Value::Object(fields)) => Value::Object(
            shape
                .members
                .iter()
                .filter_map(|(name, member)| {
                    let key = member.location_name.as_deref().unwrap_or(name);
                    let value = fields.get(key).filter(|v| !v.is_null())?;
                    Some((name.clone(), canonical(model, &member.shape, value)))
                })
                .collect(),
        ),
        ("list", Value::Array(items)) => {
            let member = element(shape);
            Value::Array(
                items
                    .iter()
                    .map(|item| canonical(model, &member.shape, item))
                    .collect(),
            )
        }
        ("map", Value::Object(entries)) => {
            let value_shape = &map_value(shape).shape;
            Value::Object(
                entries
                    .iter()
                    .map(|(k, v)| (k.clone(), canonical(model, value_shape, v)))
                    .collect(),
            )
        }
        // A scalar, or a value of the wrong type, which the validator reports.
        _ => wire.clone(),
    }
}

fn element(list: &Shape) -> &MemberRef {
    list.member.as_ref().expect("a list shape has a member")
}

fn map_key(map: &Shape) -> &MemberRef {
    map.key.as_ref().expect("a map shape has a key")
}

fn map_value(map: &Shape) -> &MemberRef {
    map.value.as_ref().expect("a map shape has a value")
}

// ---------------------------------------------------------------------------------------------
// query
// ---------------------------------------------------------------------------------------------

/// The form of a query-protocol request: the body's, or the query string's for a GET.
fn query_pairs(request: Request<'_>) -> HashMap<String, String> {
    let body = std::str::from_utf8(request.body).unwrap_or_default();
    let text = if body.contains('=') {
        body
    } else {
        request.uri.query().unwrap_or_default()
    };
    form_pairs(text).into_iter().collect()
}

fn join(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_owned()
    } else {
        format!("{prefix}.{name}")
    }
}

/// The value of shape `shape_name` under the form key `prefix`: `A.B` for a structure's
/// members, `A.member.N` for list elements (`A.N` when flattened), `A.entry.N.key` and
/// `A.entry.N.value` for map entries (`A.N.key` when flattened); `None` when absent.
fn query_value(
    model: &ServiceModel,
    shape_name: &str,
    prefix: &str,
    form: &HashMap<String, String>,
) -> Option<Value> {
    let shape = model.shape(shape_name);
    match shape.kind.as_str() {
        "structure" => {
            let fields: Map<String, Value> = shape
                .members
                .iter()
                .filter_map(|(name, member)| {
                    let key = join(prefix, member.location_name.as_deref().unwrap_or(name));
                    Some((name.clone(), query_value(model, &member.shape, &key, form)?))
                })
                .collect();
            (!fields.is_empty() || prefix.is_empty()).then_some(Value::Object(fields))
        }
        "list" => {
            let member = element(shape);
            let base = if shape.flattened || member.flattened {
                prefix.to_owned()
            } else {
                join(prefix, member.location_name.as_deref().unwrap_or("member"))
            };
            let items: Vec<Value> = (1..)
                .map_while(|n| query_value(model, &member.shape, &format!("{base}.{n}"), form))
                .collect();
            // An empty list travels as `A=` with no value.
            if items.is_empty() && form.get(prefix).is_none_or(|v| !v.is_empty()) {
                return None;
            }
            Some(Value::Array(items))
        }
        "map" => {
            let base = if shape.flattened {
                prefix.to_owned()
            } else {
                join(prefix, "entry")
            };
            let key_name = map_key(shape).location_name.as_deref().unwrap_or("key");
            let value = map_value(shape);
            let value_name = value.location_name.as_deref().unwrap_or("value");
            let mut entries = Map::new();
            for n in 1.. {
                let Some(key) = form.get(&format!("{base}.{n}.{key_name}")) else {
                    break;
                };
                let v = query_value(
                    model,
                    &value.shape,
                    &format!("{base}.{n}.{value_name}"),
                    form,
                )
                .unwrap_or(Value::Null);
                entries.insert(key.clone(), v);
            }
            (!entries.is_empty()).then_some(Value::Object(entries))
        }
        _ => form.get(prefix).map(|text| scalar(shape, text)),
    }
}

/// A text from a form, URI, query string or header as the shape's type, if it parses as one;
/// otherwise the text itself, which the validator reports as the wrong type.
pub(crate) fn scalar(shape: &Shape, text: &str) -> Value {
    match shape.kind.as_str() {
        "integer" | "long" => text
            .parse::<i64>()
            .map(Value::from)
            .unwrap_or_else(|_| Value::from(text)),
        "float" | "double" => text
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map(Value::Number)
            .unwrap_or_else(|| Value::from(text)),
        "boolean" => match text {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            _ => Value::from(text),
        },
        _ => Value::from(text),
    }
}

// ---------------------------------------------------------------------------------------------
// rest-json and rest-xml
// ---------------------------------------------------------------------------------------------

/// A parsed `http.requestUri`: path segments (literal, `{label}` or greedy `{label+}`) and the
/// query literals every request of the operation carries (`?tagging`, `?list-type=2`).
#[derive(Debug, PartialEq, Eq)]
struct UriTemplate<'t> {
    segments: Vec<Segment<'t>>,
    query: Vec<(&'t str, Option<&'t str>)>,
}

#[derive(Debug, PartialEq, Eq)]
enum Segment<'t> {
    Literal(&'t str),
    Label(&'t str),
    Greedy(&'t str),
}

fn parse_template(template: &str) -> UriTemplate<'_> {
    let (path, query) = template.split_once('?').unwrap_or((template, ""));
    let segments = path
        .split('/')
        .filter(|s| !s.is_empty())
        .map(
            |s| match s.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                Some(label) => match label.strip_suffix('+') {
                    Some(greedy) => Segment::Greedy(greedy),
                    None => Segment::Label(label),
                },
                None => Segment::Literal(s),
            },
        )
        .collect();
    let query = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (k, Some(v)),
            None => (p, None),
        })
        .collect();
    UriTemplate { segments, query }
}

/// The labels of `path` under `template`, percent-decoded; `None` if the path does not fit.
fn match_path(template: &UriTemplate<'_>, path: &str) -> Option<HashMap<String, String>> {
    let parts: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let mut labels = HashMap::new();
    let mut i = 0;
    for segment in &template.segments {
        match segment {
            Segment::Literal(text) => {
                if parts.get(i) != Some(text) {
                    return None;
                }
                i += 1;
            }
            Segment::Label(name) => {
                labels.insert((*name).to_owned(), crate::percent_decode(parts.get(i)?));
                i += 1;
            }
            Segment::Greedy(name) => {
                if i >= parts.len() {
                    return None;
                }
                labels.insert(
                    (*name).to_owned(),
                    crate::percent_decode(&parts[i..].join("/")),
                );
                i = parts.len();
            }
        }
    }
    (i == parts.len()).then_some(labels)
}

/// The operation whose method and URI template fit the request, the most specific when
/// several do: most query literals, then fewest required query or header members missing
/// (S3's PutObject, CopyObject and UploadPart share one template), then most of them present,
/// then most literal segments. Returns it with its URI labels.
fn rest_operation<'m>(
    model: &'m ServiceModel,
    request: Request<'_>,
) -> Option<(&'m Operation, HashMap<String, String>)> {
    let (method, uri) = (request.method, request.uri);
    let query = form_pairs(uri.query().unwrap_or_default());
    let has = |key: &str, value: Option<&str>| {
        query
            .iter()
            .any(|(k, v)| k == key && value.is_none_or(|want| want == v))
    };
    model
        .operations
        .values()
        .filter_map(|operation| {
            let http = operation.http.as_ref()?;
            if !http.method.eq_ignore_ascii_case(method.as_str()) {
                return None;
            }
            let template = parse_template(&http.request_uri);
            if !template.query.iter().all(|(k, v)| has(k, *v)) {
                return None;
            }
            let labels = match_path(&template, uri.path())?;
            let literals = template
                .segments
                .iter()
                .filter(|s| matches!(s, Segment::Literal(_)))
                .count();
            let (missing, present) = required_bindings(model, operation, &query, request.headers);
            let rank = (
                template.query.len(),
                usize::MAX - missing,
                present,
                literals,
            );
            Some((rank, operation, labels))
        })
        .max_by_key(|(rank, ..)| *rank)
        .map(|(_, operation, labels)| (operation, labels))
}

/// How many of the operation's required query-string and header members the request lacks,
/// and how many it has.
fn required_bindings(
    model: &ServiceModel,
    operation: &Operation,
    query: &[(String, String)],
    headers: &HeaderMap,
) -> (usize, usize) {
    let Some(input) = &operation.input else {
        return (0, 0);
    };
    let shape = model.shape(&input.shape);
    let (mut missing, mut present) = (0, 0);
    for name in &shape.required {
        let Some(member) = shape.members.get(name) else {
            continue;
        };
        let wire = member.location_name.as_deref().unwrap_or(name);
        let found = match member.location.as_deref() {
            Some("querystring") => query.iter().any(|(k, _)| k == wire),
            Some("header") => headers.contains_key(wire),
            _ => continue,
        };
        if found {
            present += 1;
        } else {
            missing += 1;
        }
    }
    (missing, present)
}

/// The input of a REST operation from its URI labels, query string, headers and body.
fn rest_input(
    model: &ServiceModel,
    shape: &Shape,
    labels: &HashMap<String, String>,
    request: Request<'_>,
) -> Option<Value> {
    let query = form_pairs(request.uri.query().unwrap_or_default());
    let xml = model.protocol == Protocol::RestXml;
    let bound_keys: Vec<&str> = shape
        .members
        .iter()
        .filter(|(_, m)| m.location.as_deref() == Some("querystring"))
        .map(|(name, m)| m.location_name.as_deref().unwrap_or(name))
        .collect();
    let mut fields = Map::new();
    for (name, member) in &shape.members {
        let wire = member.location_name.as_deref().unwrap_or(name);
        let target = model.shape(&member.shape);
        let value = match member.location.as_deref() {
            Some("uri") => labels.get(wire).map(|text| scalar(target, text)),
            Some("querystring") => query_member(model, target, wire, &query, &bound_keys),
            Some("header") => header_member(model, target, request.headers.get(wire)),
            Some("headers") => prefixed_headers(wire, request.headers),
            Some(_) => None,
            None if shape.payload.as_deref() == Some(name.as_str()) => {
                payload(model, &member.shape, request.body, xml)?
            }
            // Other body members come from the JSON body below (rest-json); rest-xml inputs
            // carry their body as a payload.
            None => None,
        };
        if let Some(value) = value {
            fields.insert(name.clone(), value);
        }
    }
    if !xml && shape.payload.is_none() && !request.body.is_empty() {
        let body: Value = serde_json::from_slice(request.body).ok()?;
        let Value::Object(body) = body else {
            return None;
        };
        for (name, member) in &shape.members {
            if member.location.is_some() {
                continue;
            }
            let key = member.location_name.as_deref().unwrap_or(name);
            if let Some(value) = body.get(key).filter(|v| !v.is_null()) {
                fields.insert(name.clone(), canonical(model, &member.shape, value));
            }
        }
    }
    Some(Value::Object(fields))
}

/// A query-string member: a scalar, a list (the key repeated), or a map of the keys no other
/// member binds.
fn query_member(
    model: &ServiceModel,
    target: &Shape,
    key: &str,
    query: &[(String, String)],
    bound_keys: &[&str],
) -> Option<Value> {
    match target.kind.as_str() {
        "list" => {
            let element = model.shape(&element(target).shape);
            let items: Vec<Value> = query
                .iter()
                .filter(|(k, _)| k == key)
                .map(|(_, v)| scalar(element, v))
                .collect();
            (!items.is_empty()).then_some(Value::Array(items))
        }
        "map" => {
            let entries: Map<String, Value> = query
                .iter()
                .filter(|(k, _)| !bound_keys.contains(&k.as_str()))
                .map(|(k, v)| (k.clone(), Value::from(v.as_str())))
                .collect();
            (!entries.is_empty()).then_some(Value::Object(entries))
        }
        _ => query
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| scalar(target, v)),
    }
}

/// A header member; a list header is comma-separated.
fn header_member(
    model: &ServiceModel,
    target: &Shape,
    value: Option<&hyper::header::HeaderValue>,
) -> Option<Value> {
    let text = String::from_utf8_lossy(value?.as_bytes()).into_owned();
    Some(match target.kind.as_str() {
        "list" => {
            let element = model.shape(&element(target).shape);
            Value::Array(
                text.split(',')
                    .map(|item| scalar(element, item.trim()))
                    .collect(),
            )
        }
        _ => scalar(target, &text),
    })
}

/// The headers starting with `prefix` (such as `x-amz-meta-`), keyed by the rest of the name.
fn prefixed_headers(prefix: &str, headers: &HeaderMap) -> Option<Value> {
    let prefix = prefix.to_ascii_lowercase();
    let entries: Map<String, Value> = headers
        .iter()
        .filter_map(|(name, value)| {
            let rest = name.as_str().strip_prefix(&prefix)?;
            Some((
                rest.to_owned(),
                Value::from(String::from_utf8_lossy(value.as_bytes()).into_owned()),
            ))
        })
        .collect();
    (!entries.is_empty()).then_some(Value::Object(entries))
}

/// The payload member: a structure is decoded (JSON for rest-json, XML for rest-xml), a blob
/// or string is [`OPAQUE`] when present. `Some(None)`: no payload; `None`: a body that is not JSON.
fn payload(
    model: &ServiceModel,
    shape_name: &str,
    body: &[u8],
    xml: bool,
) -> Option<Option<Value>> {
    if body.is_empty() {
        return Some(None);
    }
    if model.shape(shape_name).kind == "structure" {
        if xml {
            // A document that is not well-formed is left to moto rather than guessed at.
            let decoded = super::xml::payload(model, shape_name, body);
            return Some(Some(decoded.unwrap_or_else(|| Value::from(OPAQUE))));
        }
        let wire: Value = serde_json::from_slice(body).ok()?;
        return Some(Some(canonical(model, shape_name, &wire)));
    }
    Some(Some(Value::from(OPAQUE)))
}

#[cfg(test)]
mod tests {
    use super::super::model;
    use super::*;
    use serde_json::json;

    fn request<'a>(
        method: &'a Method,
        uri: &'a Uri,
        headers: &'a HeaderMap,
        body: &'a str,
    ) -> Request<'a> {
        Request {
            method,
            uri,
            headers,
            body: body.as_bytes(),
        }
    }

    fn decoded(
        service: &str,
        method: Method,
        uri: &str,
        headers: &[(&'static str, &str)],
        body: &str,
    ) -> (String, Value) {
        let model = model::service(service).unwrap();
        let uri: Uri = uri.parse().unwrap();
        let mut map = HeaderMap::new();
        for (k, v) in headers {
            map.insert(*k, v.parse().unwrap());
        }
        let d = decode(&model, request(&method, &uri, &map, body)).expect("decodes");
        (d.operation.name.clone(), d.input)
    }

    #[test]
    fn json_operations_come_from_the_target_and_members_from_the_body() {
        let (op, input) = decoded(
            "firehose",
            Method::POST,
            "/",
            &[("x-amz-target", "Firehose_20150804.CreateDeliveryStream")],
            r#"{"DeliveryStreamName":"s","Tags":[{"Key":"k","Value":"v"}],"Unknown":1,"DeliveryStreamType":null}"#,
        );
        assert_eq!(op, "CreateDeliveryStream");
        assert_eq!(
            input,
            json!({"DeliveryStreamName": "s", "Tags": [{"Key": "k", "Value": "v"}]})
        );
        let (op, _) = decoded(
            "logs",
            Method::POST,
            "/",
            &[("x-amz-target", "Logs_20140328.CreateLogGroup")],
            r#"{"logGroupName":"g"}"#,
        );
        assert_eq!(op, "CreateLogGroup");
        let model = model::service("firehose").unwrap();
        let mut wrong = HeaderMap::new();
        wrong.insert(
            "x-amz-target",
            "Kinesis_20131202.CreateStream".parse().unwrap(),
        );
        let uri: Uri = "/".parse().unwrap();
        assert!(decode(&model, request(&Method::POST, &uri, &wrong, "{}")).is_none());
    }

    #[test]
    fn query_forms_decode_lists_maps_and_nested_structures() {
        let (op, input) = decoded(
            "iam",
            Method::POST,
            "/",
            &[],
            "Action=CreateRole&Version=2010-05-08&RoleName=r%2Bx&AssumeRolePolicyDocument=%7B%7D\
             &Tags.member.1.Key=a&Tags.member.1.Value=1&Tags.member.2.Key=b&Tags.member.2.Value=2\
             &MaxSessionDuration=3600",
        );
        assert_eq!(op, "CreateRole");
        assert_eq!(
            input,
            json!({
                "RoleName": "r+x",
                "AssumeRolePolicyDocument": "{}",
                "MaxSessionDuration": 3600,
                "Tags": [{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}]
            })
        );
        let (_, input) = decoded(
            "sts",
            Method::POST,
            "/",
            &[],
            "Action=AssumeRole&RoleArn=arn&RoleSessionName=s&PolicyArns.member.1.arn=p\
             &DurationSeconds=soon",
        );
        assert_eq!(input["PolicyArns"], json!([{"arn": "p"}]));
        assert_eq!(input["DurationSeconds"], json!("soon"));
        // Maps: SQS-style `Attributes.entry.N.key/value` in IAM's neighbour, SNS.
        let (_, input) = decoded(
            "sns",
            Method::POST,
            "/",
            &[],
            "Action=CreateTopic&Name=t&Attributes.entry.1.key=DisplayName&Attributes.entry.1.value=d",
        );
        assert_eq!(input["Attributes"], json!({"DisplayName": "d"}));
        // An empty list.
        let (_, input) = decoded(
            "iam",
            Method::POST,
            "/",
            &[],
            "Action=UntagRole&RoleName=r&TagKeys=",
        );
        assert_eq!(input["TagKeys"], json!([]));
    }

    #[test]
    fn rest_json_binds_labels_query_headers_and_body() {
        let (op, input) = decoded(
            "apigateway",
            Method::PATCH,
            "/restapis/abc/stages/prod%20x",
            &[],
            r#"{"patchOperations":[{"op":"replace","path":"/a","value":"b"}]}"#,
        );
        assert_eq!(op, "UpdateStage");
        assert_eq!(
            input,
            json!({"restApiId": "abc", "stageName": "prod x",
                   "patchOperations": [{"op": "replace", "path": "/a", "value": "b"}]})
        );
        let (op, input) = decoded(
            "apigateway",
            Method::GET,
            "/restapis?limit=5&position=p",
            &[],
            "",
        );
        assert_eq!(op, "GetRestApis");
        assert_eq!(input, json!({"limit": 5, "position": "p"}));
        // A query literal in the template picks ImportRestApi over CreateRestApi.
        let (op, input) = decoded(
            "apigateway",
            Method::POST,
            "/restapis?mode=import&failonwarnings=true",
            &[],
            "{}",
        );
        assert_eq!(op, "ImportRestApi");
        assert_eq!(input["failOnWarnings"], json!(true));
        assert_eq!(input["body"], json!(OPAQUE));
        let (op, _) = decoded("apigateway", Method::POST, "/restapis", &[], "{}");
        assert_eq!(op, "CreateRestApi");
        let (op, input) = decoded(
            "apigateway",
            Method::GET,
            "/tags/arn%3Aaws%3Aapigateway%3Aus-east-1%3A%3A%2Frestapis%2Fabc",
            &[],
            "",
        );
        assert_eq!(op, "GetTags");
        assert_eq!(
            input["resourceArn"],
            json!("arn:aws:apigateway:us-east-1::/restapis/abc")
        );
    }

    #[test]
    fn rest_xml_binds_greedy_keys_sub_resources_and_headers() {
        let (op, input) = decoded(
            "s3",
            Method::PUT,
            "/logs/a/b/c.gz?x-id=PutObject",
            &[
                ("x-amz-meta-owner", "me"),
                ("content-length", "3"),
                ("x-amz-server-side-encryption", "AES256"),
            ],
            "abc",
        );
        assert_eq!(op, "PutObject");
        assert_eq!(input["Bucket"], json!("logs"));
        assert_eq!(input["Key"], json!("a/b/c.gz"));
        assert_eq!(input["Metadata"], json!({"owner": "me"}));
        assert_eq!(input["ContentLength"], json!(3));
        assert_eq!(input["ServerSideEncryption"], json!("AES256"));
        assert_eq!(input["Body"], json!(OPAQUE));
        let (op, _) = decoded("s3", Method::PUT, "/logs?tagging", &[], "<Tagging/>");
        assert_eq!(op, "PutBucketTagging");
        let (op, _) = decoded("s3", Method::GET, "/logs?list-type=2&prefix=a", &[], "");
        assert_eq!(op, "ListObjectsV2");
        let (op, _) = decoded("s3", Method::GET, "/logs?location", &[], "");
        assert_eq!(op, "GetBucketLocation");
        let (op, input) = decoded("s3", Method::HEAD, "/logs", &[], "");
        assert_eq!(op, "HeadBucket");
        assert_eq!(input, json!({"Bucket": "logs"}));
    }

    #[test]
    fn templates_parse_greedy_labels_and_query_literals() {
        assert_eq!(
            parse_template("/{Bucket}/{Key+}?uploads"),
            UriTemplate {
                segments: vec![Segment::Label("Bucket"), Segment::Greedy("Key")],
                query: vec![("uploads", None)],
            }
        );
        let t = parse_template("/restapis/{id}/stages");
        assert!(match_path(&t, "/restapis/a/stages").is_some());
        assert!(match_path(&t, "/restapis/a/stages/b").is_none());
        assert!(match_path(&t, "/restapis/a").is_none());
    }
}
