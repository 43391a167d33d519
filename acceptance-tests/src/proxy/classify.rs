//! Which AWS service and operation a request is, read the way AWS itself routes it: the
//! service from the SigV4 credential scope, the operation from the protocol of that service
//! (`X-Amz-Target` for JSON 1.1, `Action=` for the query protocol, method and path for REST).

use hyper::header::{AUTHORIZATION, HeaderMap};
use hyper::{Method, Uri};

/// The AWS services the provider talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Service {
    /// Amazon Data Firehose (JSON 1.1 protocol).
    Firehose,
    /// API Gateway (REST, JSON bodies).
    ApiGateway,
    /// The Glue Data Catalog (JSON 1.1 protocol, `X-Amz-Target: AWSGlue.<Operation>`).
    Glue,
    /// IAM (query protocol, XML answers).
    Iam,
    /// CloudWatch Logs (JSON 1.1 protocol, `X-Amz-Target: Logs_20140328.<Operation>`).
    Logs,
    /// S3 (REST, XML answers).
    S3,
    /// STS (query protocol, XML answers).
    Sts,
    /// Anything else, or a request without a SigV4 signature.
    Unknown,
}

impl Service {
    /// The SigV4 signing name, as used in `service:Operation` keys.
    pub fn name(self) -> &'static str {
        match self {
            Service::Firehose => "firehose",
            Service::ApiGateway => "apigateway",
            Service::Glue => "glue",
            Service::Iam => "iam",
            Service::Logs => "logs",
            Service::S3 => "s3",
            Service::Sts => "sts",
            Service::Unknown => "unknown",
        }
    }

    /// The service for a SigV4 signing name.
    pub fn from_signing_name(name: &str) -> Service {
        match name {
            "firehose" => Service::Firehose,
            "apigateway" => Service::ApiGateway,
            "glue" => Service::Glue,
            "iam" => Service::Iam,
            "logs" => Service::Logs,
            "s3" => Service::S3,
            "sts" => Service::Sts,
            _ => Service::Unknown,
        }
    }
}

/// A classified request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    /// The service it is addressed to.
    pub service: Service,
    /// The operation, such as `CreateDeliveryStream`.
    pub operation: String,
}

impl Call {
    /// The `service:Operation` key the proxy counts by, such as `firehose:CreateDeliveryStream`.
    pub fn key(&self) -> String {
        format!("{}:{}", self.service.name(), self.operation)
    }

    /// Whether this is `operation` of `service`.
    pub fn is(&self, service: Service, operation: &str) -> bool {
        self.service == service && self.operation == operation
    }
}

/// Classifies one request from its method, URI, headers and (complete) body.
pub fn classify(method: &Method, uri: &Uri, headers: &HeaderMap, body: &[u8]) -> Call {
    let service = signing_service(headers)
        .map(|s| Service::from_signing_name(&s))
        .unwrap_or_else(|| guess_unsigned(headers));
    let operation = match service {
        Service::Firehose | Service::Glue | Service::Logs => json_target(headers),
        Service::Iam | Service::Sts => query_action(uri, body),
        Service::ApiGateway => Some(apigateway_operation(method, uri.path())),
        Service::S3 => Some(s3_operation(method, uri)),
        Service::Unknown => None,
    }
    .unwrap_or_else(|| format!("{method} {}", uri.path()));
    Call { service, operation }
}

/// The service named in `Authorization: AWS4-HMAC-SHA256 Credential=AKID/DATE/REGION/SERVICE/aws4_request, ...`.
pub(crate) fn signing_service(headers: &HeaderMap) -> Option<String> {
    let auth = headers.get(AUTHORIZATION)?.to_str().ok()?;
    let credential = auth.split("Credential=").nth(1)?;
    let scope = credential.split([',', ' ']).next()?;
    let parts: Vec<&str> = scope.split('/').collect();
    // AKID / date / region / service / aws4_request
    (parts.len() >= 5).then(|| parts[parts.len() - 2].to_owned())
}

/// A best guess for unsigned requests: only Firehose's target header is unambiguous.
fn guess_unsigned(headers: &HeaderMap) -> Service {
    match header_str(headers, "x-amz-target") {
        Some(t) if t.starts_with("Firehose_") => Service::Firehose,
        Some(t) if t.starts_with("Logs_") => Service::Logs,
        _ => Service::Unknown,
    }
}

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// `Firehose_20150804.CreateDeliveryStream` -> `CreateDeliveryStream`.
fn json_target(headers: &HeaderMap) -> Option<String> {
    let target = header_str(headers, "x-amz-target")?;
    Some(target.rsplit('.').next().unwrap_or(target).to_owned())
}

/// `Action=...` from the form body, or from the query string of a GET.
fn query_action(uri: &Uri, body: &[u8]) -> Option<String> {
    let body = std::str::from_utf8(body).unwrap_or_default();
    form_value(body, "Action").or_else(|| form_value(uri.query().unwrap_or_default(), "Action"))
}

/// The decoded value of `key` in an `application/x-www-form-urlencoded` text.
pub fn form_value(form: &str, key: &str) -> Option<String> {
    form.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (form_decode(k) == key).then(|| form_decode(v))
    })
}

/// Every decoded `(key, value)` of an `application/x-www-form-urlencoded` text, in order.
pub fn form_pairs(form: &str) -> Vec<(String, String)> {
    form.split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (form_decode(k), form_decode(v))
        })
        .collect()
}

/// Decodes `+` and `%XX` of a form-encoded component.
fn form_decode(text: &str) -> String {
    crate::percent_decode(&text.replace('+', " "))
}

/// The non-empty segments of a URI path.
pub fn path_segments(path: &str) -> Vec<&str> {
    path.split('/').filter(|s| !s.is_empty()).collect()
}

/// API Gateway (REST APIs) operations by method and path; others are named `METHOD /path`.
fn apigateway_operation(method: &Method, path: &str) -> String {
    let segments = path_segments(path);
    let op = match (method.as_str(), segments.as_slice()) {
        ("GET", ["restapis"]) => "GetRestApis",
        ("POST", ["restapis"]) => "CreateRestApi",
        ("GET", ["restapis", _]) => "GetRestApi",
        ("PATCH", ["restapis", _]) => "UpdateRestApi",
        ("DELETE", ["restapis", _]) => "DeleteRestApi",
        ("GET", ["restapis", _, "stages"]) => "GetStages",
        ("POST", ["restapis", _, "stages"]) => "CreateStage",
        ("GET", ["restapis", _, "stages", _]) => "GetStage",
        ("PATCH", ["restapis", _, "stages", _]) => "UpdateStage",
        ("DELETE", ["restapis", _, "stages", _]) => "DeleteStage",
        ("GET", ["restapis", _, "deployments"]) => "GetDeployments",
        ("POST", ["restapis", _, "deployments"]) => "CreateDeployment",
        ("GET", ["restapis", _, "resources"]) => "GetResources",
        ("GET", ["restapis", _, "resources", _]) => "GetResource",
        ("POST", ["restapis", _, "resources", _]) => "CreateResource",
        ("DELETE", ["restapis", _, "resources", _]) => "DeleteResource",
        ("PUT", ["restapis", _, "resources", _, "methods", _]) => "PutMethod",
        ("GET", ["restapis", _, "resources", _, "methods", _]) => "GetMethod",
        ("PUT", [.., "methods", _, "integration"]) => "PutIntegration",
        ("PUT", [.., "methods", _, "responses", _]) => "PutMethodResponse",
        ("PUT", [.., "integration", "responses", _]) => "PutIntegrationResponse",
        ("GET", ["tags", _]) => "GetTags",
        ("PUT", ["tags", _]) => "TagResource",
        ("DELETE", ["tags", _]) => "UntagResource",
        _ => return format!("{method} {path}"),
    };
    op.to_owned()
}

/// S3 operations by method, path-style address and sub-resource; the ones the provider and
/// the fixtures use are named, others are `METHOD /path`.
fn s3_operation(method: &Method, uri: &Uri) -> String {
    let segments = path_segments(uri.path());
    let query = uri.query().unwrap_or_default();
    let has = |name: &str| {
        query
            .split('&')
            .any(|p| p.split_once('=').map_or(p, |(k, _)| k) == name)
    };
    let op = match (method.as_str(), segments.len()) {
        ("GET", 0) => "ListBuckets",
        ("HEAD", 1) => "HeadBucket",
        ("PUT", 1) if has("tagging") => "PutBucketTagging",
        ("PUT", 1) => "CreateBucket",
        ("DELETE", 1) => "DeleteBucket",
        ("GET", 1) if has("location") => "GetBucketLocation",
        ("GET", 1) if has("versions") => "ListObjectVersions",
        ("GET", 1) if has("list-type") => "ListObjectsV2",
        ("GET", 1) => "ListObjects",
        ("POST", 1) if has("delete") => "DeleteObjects",
        ("HEAD", _) => "HeadObject",
        ("GET", _) => "GetObject",
        ("PUT", _) => "PutObject",
        ("DELETE", _) => "DeleteObject",
        _ => return format!("{method} {}", uri.path()),
    };
    op.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signed(service: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        let auth = format!(
            "AWS4-HMAC-SHA256 Credential=testing/20240101/us-east-1/{service}/aws4_request, SignedHeaders=host;x-amz-date, Signature=00"
        );
        h.insert(AUTHORIZATION, auth.parse().unwrap());
        h
    }

    fn key(method: Method, uri: &str, headers: &HeaderMap, body: &str) -> String {
        classify(&method, &uri.parse().unwrap(), headers, body.as_bytes()).key()
    }

    #[test]
    fn names_each_protocols_operations() {
        let mut fh = signed("firehose");
        fh.insert(
            "x-amz-target",
            "Firehose_20150804.CreateDeliveryStream".parse().unwrap(),
        );
        assert_eq!(
            key(Method::POST, "/", &fh, "{}"),
            "firehose:CreateDeliveryStream"
        );
        let mut logs = signed("logs");
        logs.insert(
            "x-amz-target",
            "Logs_20140328.CreateLogGroup".parse().unwrap(),
        );
        assert_eq!(key(Method::POST, "/", &logs, "{}"), "logs:CreateLogGroup");
        let iam = signed("iam");
        assert_eq!(
            key(
                Method::POST,
                "/",
                &iam,
                "Action=CreateRole&RoleName=r&Version=2010-05-08"
            ),
            "iam:CreateRole"
        );
        assert_eq!(
            key(
                Method::POST,
                "/",
                &signed("sts"),
                "Action=GetCallerIdentity"
            ),
            "sts:GetCallerIdentity"
        );
        let gw = signed("apigateway");
        assert_eq!(
            key(Method::GET, "/restapis/abc/stages/prod", &gw, ""),
            "apigateway:GetStage"
        );
        assert_eq!(
            key(Method::PATCH, "/restapis/abc/stages/prod", &gw, ""),
            "apigateway:UpdateStage"
        );
        assert_eq!(
            key(Method::GET, "/restapis/abc", &gw, ""),
            "apigateway:GetRestApi"
        );
        assert_eq!(
            key(Method::HEAD, "/logs", &signed("s3"), ""),
            "s3:HeadBucket"
        );
        assert_eq!(
            key(Method::GET, "/moto-api/", &HeaderMap::new(), ""),
            "unknown:GET /moto-api/"
        );
    }

    #[test]
    fn form_values_are_decoded() {
        let form = "Action=PutRolePolicy&RoleName=apigw-logs%2Bx&PolicyDocument=%7B%22a%22%3A+1%7D";
        assert_eq!(
            form_value(form, "RoleName").as_deref(),
            Some("apigw-logs+x")
        );
        assert_eq!(
            form_value(form, "PolicyDocument").as_deref(),
            Some("{\"a\": 1}")
        );
        assert_eq!(form_value(form, "Missing"), None);
    }
}
