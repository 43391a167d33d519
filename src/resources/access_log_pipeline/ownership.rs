//! Who owns what, recorded in AWS where every path finds it again.
//!
//! Each pipeline instance has an id of its own (`pipeline_id`), made on create. The stream and
//! the role it makes carry that id in [`OWNER_TAG`], so two resources aimed at one stage (two
//! states, two workspaces, a copy-paste slip) never take each other's objects. The stream's
//! owner tag reads `<id> creating` until the create has finished: objects of a create that died
//! (a crash, a kill) stay adoptable by the re-run, objects of a finished create never are.
//!
//! What the stage had before the pipeline (its destination and format, or nothing) is recorded
//! in [`EARLIER_TAG`] tags on the stream and on the owned role, written with the objects
//! themselves, before the stage is changed. Create, read, import and destroy read it back from
//! there; private state only caches it.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::sync::{Mutex, MutexGuard};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};

use crate::aws::apigateway::AccessLog;

pub use crate::resources::stream_parts::owner::Claim;
use crate::resources::stream_parts::owner::{OwnerKind, owner_value};
use crate::resources::stream_parts::stream;

/// Marks the stream and the role as made by one pipeline instance (see `stream_parts::owner`).
pub const OWNER: OwnerKind = OwnerKind::Pipeline;
/// The pipeline's owner tag key.
pub const OWNER_TAG: &str = OWNER.tag();
impl Claim {
    /// Whose an object is, as a pipeline reads its tags.
    pub fn of(tags: &BTreeMap<String, String>) -> Claim {
        OWNER.claim(tags)
    }
}

/// The stage's earlier access-log settings, compressed and split over this key and
/// `<EARLIER_TAG>:1`, `<EARLIER_TAG>:2`, ...
pub const EARLIER_TAG: &str = "terraform-provider-apigw:earlier";
/// How many tags the provider adds at least (the owner tag and one record tag); the plan counts
/// them against the 50-tag limit.
pub const RESERVED_TAGS: usize = 2;

/// A tag value is at most 256 characters for Firehose's API ("TagValue", Firehose API Reference)
/// and for IAM ("tagValueType", botocore's iam/2010-05-08 model), but 255 in the Firehose
/// Developer Guide ("Know tag restrictions"): chunks keep to the smaller. Base64's alphabet
/// (`A-Z a-z 0-9 + / =`) lies inside both services' allowed characters.
const TAG_VALUE_MAX: usize = 255;

/// A new pipeline id: a random UUID, unique to one resource instance.
pub fn new_pipeline_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// What the stage had before a pipeline took it: its access-log settings, or none.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Earlier {
    pub access_log: Option<AccessLog>,
}

/// Whether `key` is one of the tags that hold an [`Earlier`] record.
pub fn is_earlier_key(key: &str) -> bool {
    key == EARLIER_TAG
        || key
            .strip_prefix(EARLIER_TAG)
            .is_some_and(|rest| rest.starts_with(':'))
}

impl Earlier {
    /// The tags that record it: compressed JSON in base64, in chunks that fit a tag value.
    pub fn tags(&self) -> BTreeMap<String, String> {
        let json = serde_json::to_vec(self).expect("the record always serializes");
        let mut z = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
        z.write_all(&json).expect("writing to memory");
        let text = STANDARD.encode(z.finish().expect("writing to memory"));
        text.as_bytes()
            .chunks(TAG_VALUE_MAX)
            .enumerate()
            .map(|(i, chunk)| {
                let key = if i == 0 {
                    EARLIER_TAG.to_owned()
                } else {
                    format!("{EARLIER_TAG}:{i}")
                };
                (key, String::from_utf8_lossy(chunk).into_owned())
            })
            .collect()
    }

    /// The record in `tags`: `Ok(None)` when there is none, an error when it is unreadable.
    pub fn from_tags(tags: &BTreeMap<String, String>) -> Result<Option<Earlier>, String> {
        let Some(first) = tags.get(EARLIER_TAG) else {
            return Ok(None);
        };
        let mut text = first.clone();
        for i in 1.. {
            match tags.get(&format!("{EARLIER_TAG}:{i}")) {
                Some(chunk) => text.push_str(chunk),
                None => break,
            }
        }
        let packed = STANDARD.decode(text).map_err(|e| e.to_string())?;
        let mut json = Vec::new();
        flate2::read::DeflateDecoder::new(&packed[..])
            .read_to_end(&mut json)
            .map_err(|e| e.to_string())?;
        serde_json::from_slice(&json)
            .map(Some)
            .map_err(|e| e.to_string())
    }
}

/// The tags the provider itself puts on the stream and the owned role, beside the user's.
pub fn provider_tags(id: &str, creating: bool, earlier: &Earlier) -> BTreeMap<String, String> {
    let mut tags = earlier.tags();
    tags.insert(OWNER_TAG.to_owned(), owner_value(id, creating));
    tags
}

/// The pipelines this provider process is creating or has created, and the stages they claim:
/// a pipeline whose create died is adoptable by a re-run, but one of this very run (a second
/// resource on the same stage in one configuration) never is.
#[derive(Default)]
struct Live {
    /// `<region>/<rest_api_id>/<stage_name>` -> pipeline id and its stream's name.
    stages: BTreeMap<String, (String, String)>,
}

static LIVE: Mutex<Live> = Mutex::new(Live {
    stages: BTreeMap::new(),
});

fn live() -> MutexGuard<'static, Live> {
    LIVE.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Registers pipeline `id`'s claim on a stage for its stream in this process; returns the id
/// and stream of another pipeline of this process that claims the same stage, if any.
pub fn claim_in_process(stage_key: &str, id: &str, stream: &str) -> Option<(String, String)> {
    let mut live = live();
    stream::mark_live(id);
    match live.stages.get(stage_key) {
        Some(other) if other.0 != id => Some(other.clone()),
        _ => {
            let claim = (id.to_owned(), stream.to_owned());
            live.stages.insert(stage_key.to_owned(), claim);
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_earlier_settings_survive_the_round_trip_through_tags() {
        let long_format = format!(
            "{{\"requestId\":\"$context.requestId\"{}}}",
            ",\"x\":\"$context.status\"".repeat(100)
        );
        for earlier in [
            Earlier::default(),
            Earlier {
                access_log: Some(AccessLog {
                    destination_arn: "arn:aws:logs:us-east-1:123456789012:log-group:api".into(),
                    format: long_format.clone(),
                }),
            },
        ] {
            let tags = earlier.tags();
            for (k, v) in &tags {
                assert!(k.len() <= 128 && v.chars().count() <= TAG_VALUE_MAX, "{k}");
                assert!(
                    v.chars()
                        .all(|c| c.is_ascii_alphanumeric() || "+/=".contains(c))
                );
            }
            assert_eq!(Earlier::from_tags(&tags).unwrap(), Some(earlier));
        }
        assert_eq!(Earlier::from_tags(&BTreeMap::new()).unwrap(), None);
        let broken = BTreeMap::from([(EARLIER_TAG.to_owned(), "not base64!".to_owned())]);
        assert!(Earlier::from_tags(&broken).is_err());
    }

    #[test]
    fn a_stage_is_claimed_by_one_pipeline_of_a_process() {
        assert_eq!(claim_in_process("r/a/s", "one", "s1"), None);
        assert_eq!(claim_in_process("r/a/s", "one", "s1"), None);
        assert_eq!(
            claim_in_process("r/a/s", "two", "s2"),
            Some(("one".to_owned(), "s1".to_owned()))
        );
        assert!(stream::is_live("two"));
        assert!(!stream::is_live("three"));
    }
}
