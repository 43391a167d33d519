//! AWS's published service models, as botocore ships them in the emulator's venv
//! (`botocore/data/<service>/<version>/service-2.json.gz`): found once, each service read once
//! per process, never copied into the repository.

use std::collections::{BTreeMap, HashMap};
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use serde::Deserialize;

/// The wire protocol a model declares in `metadata.protocol`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Protocol {
    /// JSON body, operation in `X-Amz-Target` (Firehose, Glue, CloudWatch Logs, KMS).
    Json,
    /// Method and URI template, JSON body (API Gateway).
    RestJson,
    /// Form-encoded `Action=...` (IAM, STS).
    Query,
    /// Method and URI template, XML body (S3).
    RestXml,
}

/// One service's model.
#[derive(Debug)]
pub(crate) struct ServiceModel {
    /// The directory name under `botocore/data`, such as `firehose`.
    pub name: String,
    pub protocol: Protocol,
    /// `metadata.targetPrefix` of JSON services, such as `Firehose_20150804`.
    pub target_prefix: Option<String>,
    pub operations: BTreeMap<String, Operation>,
    pub shapes: HashMap<String, Shape>,
}

impl ServiceModel {
    /// The shape named `name`; the models are closed, so a dangling name is a broken model.
    pub fn shape(&self, name: &str) -> &Shape {
        self.shapes.get(name).unwrap_or_else(|| {
            panic!(
                "botocore model {}: shape {name:?} is referenced but not defined",
                self.name
            )
        })
    }
}

/// One operation: its name, HTTP binding (REST protocols) and input shape.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Operation {
    pub name: String,
    pub http: Option<Http>,
    pub input: Option<MemberRef>,
}

/// `http.method` and `http.requestUri` of an operation.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Http {
    pub method: String,
    pub request_uri: String,
}

/// A shape: its type and the constraints the model puts on it.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Shape {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub required: Vec<String>,
    #[serde(default)]
    pub members: BTreeMap<String, MemberRef>,
    /// A list's element.
    pub member: Option<MemberRef>,
    /// A map's key and value.
    pub key: Option<MemberRef>,
    pub value: Option<MemberRef>,
    /// Length (strings, lists, maps, blobs) or range (numbers), inclusive.
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub pattern: Option<String>,
    #[serde(rename = "enum")]
    pub enum_values: Option<Vec<String>>,
    #[serde(default)]
    pub flattened: bool,
    /// The member that is the whole HTTP body (REST protocols).
    pub payload: Option<String>,
}

/// A reference to a shape, with where the member travels in a REST request.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct MemberRef {
    pub shape: String,
    /// `uri`, `querystring`, `header`, `headers` (REST protocols); absent: the body.
    pub location: Option<String>,
    /// The wire name: URI label, query key, header name, JSON key or query-protocol name.
    pub location_name: Option<String>,
    #[serde(default)]
    pub flattened: bool,
    /// An XML attribute of its parent element rather than a child element (rest-xml).
    #[serde(default)]
    pub xml_attribute: bool,
}

#[derive(Deserialize)]
struct RawModel {
    metadata: Metadata,
    operations: BTreeMap<String, Operation>,
    shapes: HashMap<String, Shape>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Metadata {
    protocol: String,
    target_prefix: Option<String>,
}

/// Where botocore's models are: `<workspace>/.venv/lib/python3.*/site-packages/botocore/data`
/// (the python version is found, not assumed). Panics with the path looked at if absent.
pub(crate) fn data_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let lib = crate::workspace_root().join(".venv").join("lib");
        let found = std::fs::read_dir(&lib).ok().and_then(|entries| {
            let mut pythons: Vec<PathBuf> = entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| {
                    p.file_name()
                        .and_then(|n| n.to_str())
                        .is_some_and(|n| n.starts_with("python"))
                })
                .map(|p| p.join("site-packages/botocore/data"))
                .filter(|p| p.is_dir())
                .collect();
            pythons.sort();
            pythons.pop()
        });
        found.unwrap_or_else(|| {
            panic!(
                "the contract layer needs botocore's service models at {}/python3.*/site-packages/botocore/data \
                 (the emulator venv; acceptance-tests/scripts/install-emulator.sh creates it)",
                lib.display()
            )
        })
    })
}

/// The models read so far, by botocore service directory name; `None` for a service without one.
fn cache() -> &'static Mutex<HashMap<String, Option<Arc<ServiceModel>>>> {
    static CACHE: OnceLock<Mutex<HashMap<String, Option<Arc<ServiceModel>>>>> = OnceLock::new();
    CACHE.get_or_init(Default::default)
}

/// The model of the service that signs as `signing_name` (botocore names its directories by
/// the same name for every service the provider uses), read on first use and kept for the
/// process; `None` when botocore has no model of that name.
pub(crate) fn service(signing_name: &str) -> Option<Arc<ServiceModel>> {
    let mut cache = cache().lock().unwrap_or_else(|e| e.into_inner());
    if let Some(model) = cache.get(signing_name) {
        return model.clone();
    }
    let model = load(signing_name).map(Arc::new);
    cache.insert(signing_name.to_owned(), model.clone());
    model
}

/// Reads `data/<name>/<latest version>/service-2.json.gz`; panics on a model that exists but
/// cannot be read, since checking against half a model would pass what AWS refuses.
fn load(name: &str) -> Option<ServiceModel> {
    if name.is_empty() || name.contains(['/', '.']) {
        return None;
    }
    let service_dir = data_dir().join(name);
    let mut versions: Vec<PathBuf> = std::fs::read_dir(&service_dir)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path().join("service-2.json.gz")))
        .filter(|p| p.is_file())
        .collect();
    versions.sort();
    let path = versions.pop()?;
    let file = std::fs::File::open(&path)
        .unwrap_or_else(|e| panic!("opening the botocore model {}: {e}", path.display()));
    let mut json = Vec::new();
    flate2::read::GzDecoder::new(file)
        .read_to_end(&mut json)
        .unwrap_or_else(|e| panic!("decompressing the botocore model {}: {e}", path.display()));
    let raw: RawModel = serde_json::from_slice(&json)
        .unwrap_or_else(|e| panic!("parsing the botocore model {}: {e}", path.display()));
    let protocol = match raw.metadata.protocol.as_str() {
        "json" => Protocol::Json,
        "rest-json" => Protocol::RestJson,
        "query" => Protocol::Query,
        "rest-xml" => Protocol::RestXml,
        // ec2 and any other protocol are not checked.
        _ => return None,
    };
    Some(ServiceModel {
        name: name.to_owned(),
        protocol,
        target_prefix: raw.metadata.target_prefix,
        operations: raw.operations,
        shapes: raw.shapes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_models_of_every_protocol() {
        for (name, protocol) in [
            ("firehose", Protocol::Json),
            ("apigateway", Protocol::RestJson),
            ("iam", Protocol::Query),
            ("sts", Protocol::Query),
            ("s3", Protocol::RestXml),
            ("glue", Protocol::Json),
            ("logs", Protocol::Json),
            ("kms", Protocol::Json),
        ] {
            let model = service(name).unwrap_or_else(|| panic!("no model for {name}"));
            assert_eq!(model.protocol, protocol, "{name}");
            assert!(!model.operations.is_empty(), "{name}");
        }
        let firehose = service("firehose").unwrap();
        assert_eq!(firehose.target_prefix.as_deref(), Some("Firehose_20150804"));
        let name = firehose.shape("DeliveryStreamName");
        assert_eq!((name.min, name.max), (Some(1.0), Some(64.0)));
        assert!(service("no-such-service").is_none());
    }
}
