//! Who holds a stage: an attachment (by the stage's own [`ATTACHMENT_TAG`]), a pipeline (by
//! the owner tag of the stream the stage logs to), or nobody. An attachment takes only a stage
//! nobody holds, or one its own earlier create left behind.

use std::collections::BTreeMap;

use crate::aws::apigateway::{self, Stage};
use crate::aws::arn::Arn;
use crate::aws::clients::AwsClients;
use crate::plugin::diagnostics::Diagnostics;
use crate::resources::access_log_pipeline::ownership::{Claim, Earlier, is_earlier_key};
use crate::resources::access_log_pipeline::steps::{failed, failed_at, stream_tags};
use crate::resources::stage_claim::{self, ATTACHMENT_TAG};

use super::fields::STAGE_NAME;
use super::model::Attachment;

/// The holder of a stage, with the record of what the stage had before it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Holder {
    /// No resource of this provider: the stage's settings are its own.
    Nobody,
    /// An attachment, whose create finished unless `creating`.
    Attachment {
        id: String,
        creating: bool,
        earlier: Option<Earlier>,
    },
    /// A pipeline, through its stream.
    Pipeline {
        id: String,
        stream: String,
        earlier: Option<Earlier>,
    },
}

/// The name of the stream `destination_arn` names when it is a Firehose stream of the caller's
/// account and region: only such a stream's tags can be read.
pub async fn own_stream_of(
    clients: &AwsClients,
    destination_arn: &str,
) -> Result<Option<String>, Diagnostics> {
    let Ok(arn) = Arn::parse_for(destination_arn, "firehose") else {
        return Ok(None);
    };
    let Some(name) = arn.delivery_stream_name() else {
        return Ok(None);
    };
    if arn.region != clients.region {
        return Ok(None);
    }
    let identity = clients
        .identity()
        .await
        .map_err(|e| failed("Cannot tell the caller's account", e))?;
    Ok((arn.account == identity.account).then(|| name.to_owned()))
}

/// Who holds `stage`.
pub async fn holder(clients: &AwsClients, stage: &Stage) -> Result<Holder, Diagnostics> {
    if let Some((id, creating)) = stage_claim::claim_of(&stage.tags) {
        return Ok(Holder::Attachment {
            id: id.to_owned(),
            creating,
            earlier: Earlier::from_tags(&stage.tags).ok().flatten(),
        });
    }
    let Some(log) = &stage.access_log else {
        return Ok(Holder::Nobody);
    };
    let Some(stream) = own_stream_of(clients, &log.destination_arn).await? else {
        return Ok(Holder::Nobody);
    };
    let Some(tags) = stream_tags(clients, &stream)
        .await
        .map_err(|e| failed("Cannot read the stream the stage logs to", e))?
    else {
        return Ok(Holder::Nobody);
    };
    Ok(match Claim::of(&tags).id() {
        Some(id) => Holder::Pipeline {
            id: id.to_owned(),
            stream,
            earlier: Earlier::from_tags(&tags).ok().flatten(),
        },
        None => Holder::Nobody,
    })
}

/// What attachment `id` gives back on destroy when it takes `stage`: the stage's settings, or
/// the record of an earlier create of its own (or of one that died) that already took it.
/// A stage another attachment or a pipeline holds is refused.
pub fn earlier_for_create(
    a: &Attachment,
    id: &str,
    stage: &Stage,
    holder: Holder,
) -> Result<Earlier, Diagnostics> {
    match holder {
        // A record left without its claim (the claim tag removed outside Terraform) still says
        // what the stage had before any attachment; otherwise it is what the stage has now.
        Holder::Nobody => Ok(Earlier::from_tags(&stage.tags)
            .ok()
            .flatten()
            .unwrap_or(Earlier {
                access_log: stage.access_log.clone(),
            })),
        Holder::Attachment {
            id: other,
            creating,
            earlier,
        } if other == id
            || (creating && !crate::resources::stream_parts::stream::is_live(&other)) =>
        {
            Ok(earlier.unwrap_or_default())
        }
        Holder::Attachment { id: other, .. } => Err(taken(
            a,
            &format!("another apigw_stage_access_log (attachment_id {other:?})"),
            "destroy that attachment where it is managed, or, if it is this very one managed \
             elsewhere, `terraform state rm` it there and import it here",
        )),
        Holder::Pipeline {
            id: other, stream, ..
        } => Err(taken(
            a,
            &format!(
                "the apigw_access_log_pipeline with pipeline_id {other:?} (stream {stream:?})"
            ),
            "to manage that stage with an attachment instead, move the pipeline's state over with a \
             `moved` block (see the docs of apigw_stage_access_log), or destroy the pipeline first",
        )),
    }
}

/// Whether `holder` is someone other than attachment `id`: another attachment, or a pipeline
/// (a pipeline moved into this attachment keeps its id).
pub fn held_by_other(holder: &Holder, id: Option<&str>) -> Option<String> {
    match holder {
        Holder::Attachment { id: other, .. } if Some(other.as_str()) != id => Some(format!(
            "another apigw_stage_access_log (attachment_id {other:?})"
        )),
        Holder::Pipeline {
            id: other, stream, ..
        } if Some(other.as_str()) != id => Some(format!(
            "the apigw_access_log_pipeline with pipeline_id {other:?} (stream {stream:?})"
        )),
        _ => None,
    }
}

/// API Gateway takes at most 50 tags per resource ("Tag restrictions and usage conventions",
/// API Gateway Developer Guide).
pub const MAX_STAGE_TAGS: usize = 50;

/// Refuses a claim that would take the stage past [`MAX_STAGE_TAGS`], before anything is
/// written.
pub fn check_tag_room(
    a: &Attachment,
    stage: &Stage,
    want: &BTreeMap<String, String>,
) -> Result<(), Diagnostics> {
    let own = claim_keys(&stage.tags);
    let theirs = stage.tags.len() - own.len();
    let total = theirs + want.len();
    if total <= MAX_STAGE_TAGS {
        return Ok(());
    }
    Err(failed_at(
        &[STAGE_NAME],
        "Too many tags on the stage",
        format!(
            "Stage {:?} of REST API {:?} has {theirs} tags of its own, and the claim with its record of \
             the stage's current access-log settings takes {}: {total} in all, and API Gateway takes at \
             most {MAX_STAGE_TAGS} per stage. Remove {} of the stage's tags.",
            a.stage_name,
            a.rest_api_id,
            want.len(),
            total - MAX_STAGE_TAGS
        ),
    ))
}

/// The error for a stage someone else holds.
pub fn taken(a: &Attachment, who: &str, what_to_do: &str) -> Diagnostics {
    failed_at(
        &[STAGE_NAME],
        "Stage already claimed",
        format!(
            "Stage {:?} of REST API {:?} is held by {who}. A stage has one access-log destination, and \
             this provider never takes what another of its resources holds: {what_to_do}.",
            a.stage_name, a.rest_api_id
        ),
    )
}

/// The tags that claim the stage for attachment `id` and record what it had before.
pub fn claim_tags(id: &str, creating: bool, earlier: &Earlier) -> BTreeMap<String, String> {
    let mut tags = earlier.tags();
    tags.insert(
        ATTACHMENT_TAG.to_owned(),
        stage_claim::claim_value(id, creating),
    );
    tags
}

/// The keys of the provider's own tags on a stage: the claim and its record.
pub fn claim_keys(tags: &BTreeMap<String, String>) -> Vec<String> {
    tags.keys()
        .filter(|k| *k == ATTACHMENT_TAG || is_earlier_key(k))
        .cloned()
        .collect()
}

/// Writes the claim: removes record chunks a longer, older record left, then tags.
pub async fn write_claim(
    clients: &AwsClients,
    stage_arn: &str,
    have: &BTreeMap<String, String>,
    want: &BTreeMap<String, String>,
) -> Result<(), Diagnostics> {
    let stale: Vec<String> = claim_keys(have)
        .into_iter()
        .filter(|k| !want.contains_key(k))
        .collect();
    apigateway::untag_stage(clients, stage_arn, &stale)
        .await
        .map_err(|e| failed("Cannot untag the stage", e))?;
    apigateway::tag_stage(clients, stage_arn, want)
        .await
        .map_err(|e| failed("Cannot tag the stage", e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::apigateway::AccessLog;

    fn attachment() -> Attachment {
        Attachment {
            attachment_id: None,
            rest_api_id: "a1".into(),
            stage_name: "prod".into(),
            destination_arn: Some(
                "arn:aws:firehose:us-east-1:123456789012:deliverystream/amazon-apigateway-s".into(),
            ),
            format: "$context.requestId".into(),
            append_newline: true,
        }
    }

    fn stage(log: Option<&str>) -> Stage {
        Stage {
            access_log: log.map(|d| AccessLog {
                destination_arn: d.into(),
                format: "$context.status".into(),
            }),
            tags: BTreeMap::new(),
        }
    }

    #[test]
    fn a_stage_nobody_holds_gives_back_what_it_has() {
        let s = stage(Some("arn:aws:logs:us-east-1:123456789012:log-group:g"));
        let earlier = earlier_for_create(&attachment(), "me", &s, Holder::Nobody).unwrap();
        assert_eq!(earlier.access_log, s.access_log);
    }

    #[test]
    fn another_finished_attachment_or_a_pipeline_is_refused_at_stage_name() {
        let s = stage(None);
        for holder in [
            Holder::Attachment {
                id: "other".into(),
                creating: false,
                earlier: None,
            },
            Holder::Pipeline {
                id: "p".into(),
                stream: "amazon-apigateway-x".into(),
                earlier: None,
            },
        ] {
            let err = earlier_for_create(&attachment(), "me", &s, holder).unwrap_err();
            let text = format!("{err:?}");
            assert!(text.contains("Stage already claimed"), "{text}");
            assert!(text.contains("stage_name"), "{text}");
        }
    }

    #[test]
    fn a_dead_create_or_our_own_is_adopted_with_its_record() {
        let record = Earlier {
            access_log: Some(AccessLog {
                destination_arn: "arn:aws:logs:us-east-1:123456789012:log-group:g".into(),
                format: "f".into(),
            }),
        };
        for (id, creating) in [("me", false), ("dead", true)] {
            let holder = Holder::Attachment {
                id: id.into(),
                creating,
                earlier: Some(record.clone()),
            };
            let got = earlier_for_create(&attachment(), "me", &stage(None), holder).unwrap();
            assert_eq!(got, record);
        }
    }

    #[test]
    fn claim_tags_round_trip_and_name_their_keys() {
        let record = Earlier {
            access_log: Some(AccessLog {
                destination_arn: "arn:aws:logs:us-east-1:123456789012:log-group:g".into(),
                format: "x".repeat(3000),
            }),
        };
        let mut tags = claim_tags("me", true, &record);
        tags.insert("team".into(), "a".into());
        assert_eq!(Earlier::from_tags(&tags).unwrap(), Some(record));
        assert_eq!(stage_claim::claim_of(&tags), Some(("me", true)));
        let keys = claim_keys(&tags);
        assert!(!keys.contains(&"team".to_owned()));
        assert_eq!(keys.len(), tags.len() - 1);
    }
}
