//! Create, read, update, delete and import of a shared stream, as scripts of the shared steps
//! in `stream_parts`. Only what this instance made (its owner tag says so) is ever changed or
//! deleted; an instance that adopted a pipeline's stream by import owns what carries that
//! pipeline's owner tag instead (the kind is per instance, in private state).

use std::collections::BTreeMap;

use tokio::time::Instant;

use super::fields::{NAME, timeouts};
use crate::aws::clients::AwsClients;
use crate::aws::error::{AwsError, ErrorKind};
use crate::aws::firehose;
use crate::aws::iam;
use crate::aws::policy::{DEFAULT_CREATE_TIMEOUT, DEFAULT_DELETE_TIMEOUT, DEFAULT_UPDATE_TIMEOUT};
use crate::plugin::diagnostics::{Diagnostic, Diagnostics};
use crate::plugin::framework::{ApplyOutcome, OpContext};
use crate::plugin::value::Value;
use crate::resources::stream_parts::owner::{Claim, Owner, OwnerKind, user_tags};
use crate::resources::stream_parts::role::names_role;
use crate::resources::stream_parts::settings::StreamSettings;
use crate::resources::stream_parts::stream::{self, stream_tags};
use crate::resources::stream_parts::tags::keeping_provider_tags;
use crate::resources::stream_parts::{
    bucket, catalog_table, encryption, error_logging, failed, failed_at, role,
};

use super::model::{
    OWNER, Observed, ObservedStream, Private, SharedStream, partial_state, state_value,
};

/// The shared steps' view of instance `id` of stream `s`, owning objects of `kind`.
fn owner<'a>(s: &'a SharedStream, kind: OwnerKind, id: &'a str) -> Owner<'a> {
    Owner {
        kind,
        id,
        taken: Box::new(move |what, other, attr| {
            failed_at(
                &[attr],
                "Stream already managed",
                format!(
                    "{what} belongs to another {} ({} {other:?}) for stream {:?}. \
                     This provider never takes another instance's objects: destroy that one where it is \
                     managed, or move it here (`terraform state rm` there, then `terraform import <address> \
                     {}` here).",
                    kind.resource_type(),
                    kind.id_attribute(),
                    s.name,
                    s.name
                ),
            )
        }),
        name_taken_hint:
            "Choose another name: an apigw_access_log_stream only manages streams it made."
                .to_owned(),
    }
}

pub async fn create(clients: &AwsClients, ctx: &OpContext, planned: &Value) -> ApplyOutcome {
    let s = SharedStream::from_value(planned);
    let id = uuid::Uuid::new_v4().to_string();
    stream::mark_live(&id);
    let mut private = Private::default();
    let mut made_role = None;
    let mut warnings = Diagnostics::new();
    let parts = s.parts();
    // Nothing is made for a name someone else's stream has: no state is left to clean up.
    if let Err(errors) = stream::require_name_free(clients, &parts, &owner(&s, OWNER, &id)).await {
        return ApplyOutcome {
            state: Value::Null,
            private: Vec::new(),
            diags: errors,
        };
    }
    let result = steps_of_create(
        clients,
        ctx,
        &s,
        &id,
        &mut private,
        &mut made_role,
        &mut warnings,
    )
    .await;
    match result {
        Ok(state) => ApplyOutcome {
            state,
            private: private.encode(),
            diags: warnings,
        },
        Err(errors) => {
            warnings.extend(errors);
            ApplyOutcome {
                state: partial_state(planned, &id, made_role.as_deref()),
                private: private.encode(),
                diags: warnings,
            }
        }
    }
}

async fn steps_of_create(
    clients: &AwsClients,
    ctx: &OpContext,
    s: &SharedStream,
    id: &str,
    private: &mut Private,
    made_role: &mut Option<String>,
    warnings: &mut Diagnostics,
) -> Result<Value, Diagnostics> {
    let deadline = Instant::now() + s.timeout(timeouts::CREATE, DEFAULT_CREATE_TIMEOUT);
    let parts = s.parts();
    let owner = owner(s, OWNER, id);
    let checked = bucket::check(clients, &s.settings.s3).await?;
    warnings.extend(checked.warnings);
    private.bucket_region = Some(checked.region.clone());
    let (role_arn, role_made) = match &s.settings.role_arn {
        Some(arn) => (arn.clone(), None),
        None => {
            private.owned_role = Some(role::owned_role_name(clients, &parts));
            let tags = s.remote_tags(OWNER, id, false);
            let owned =
                role::ensure_owned_role(clients, &parts, &owner, &tags, &checked.region).await?;
            *made_role = Some(owned.role.arn.clone());
            (owned.role.arn, owned.made)
        }
    };
    catalog_table::ensure(clients, &parts, &owner).await?;
    error_logging::ensure(clients, &parts, &owner).await?;
    let tags = s.remote_tags(OWNER, id, true);
    let made = stream::make_stream(
        clients, ctx, &parts, &owner, &tags, &role_arn, role_made, deadline,
    )
    .await?;
    stream::commit(clients, &s.name, &owner).await?;
    let catalog = s.settings.catalog.as_ref().map_or(Value::Null, |c| {
        c.to_value(Some(catalog_table::table_arn(&made.arn, c)))
    });
    let observed = Observed {
        stream_id: id.to_owned(),
        stream: Some(ObservedStream {
            arn: made.arn,
            destination: made.s3.unwrap_or_else(|| parts.destination(&role_arn)),
            encryption: made.encryption,
            error_logging: Default::default(),
        }),
        role_intact: true,
        tags: s.settings.tags_all.clone(),
        catalog,
    };
    Ok(state_value(s, &observed, &clients.default_tags))
}

/// Looks at the stream, its role, log group and table; None when nothing of it is left.
async fn observe(
    clients: &AwsClients,
    s: &SharedStream,
    cache: &mut Private,
    warnings: &mut Diagnostics,
) -> Result<Option<Observed>, AwsError> {
    let found = match firehose::find_stream(clients, &s.name).await {
        Ok(found) => Some(found),
        Err(e) if e.is(ErrorKind::NotFound) => None,
        Err(e) => return Err(e),
    };
    let tags = match &found {
        Some(_) => stream_tags(clients, &s.name).await?.unwrap_or_default(),
        None => Default::default(),
    };
    let kind = cache.owner_kind();
    let id = s
        .stream_id
        .clone()
        .or_else(|| kind.claim(&tags).id().map(str::to_owned))
        .unwrap_or_default();
    // A stream of this name that another instance (or someone else) made is not this one's.
    let found = found.filter(|_| kind.claim(&tags).is(&id));
    let parts = s.parts();
    let in_use = found
        .as_ref()
        .and_then(|f| f.s3.as_ref())
        .map(|d| d.role_arn.clone())
        .or_else(|| s.settings.role_arn.clone());
    let role = role::observe_owned_role(
        clients,
        &parts,
        kind,
        &id,
        in_use.as_deref(),
        found.as_ref(),
        cache.owned_role.is_some(),
        &mut cache.bucket_region,
    )
    .await?;
    if let Some(r) = &role.found {
        cache.owned_role = Some(r.name.clone());
    }
    if let Some(w) = role.warning.clone() {
        warnings.push(w);
    }
    let Some(found) = found else {
        if !role.exists && !error_logging::owned_exists(clients, &s.name, kind, &id).await? {
            return Ok(None);
        }
        warnings.push(Diagnostic::warning(
            "Delivery stream gone",
            format!(
                "Stream {:?} was deleted outside Terraform. The plan makes it again; destroy removes \
                 what is left.",
                s.name
            ),
        ));
        return Ok(Some(Observed {
            stream_id: id,
            stream: None,
            role_intact: role.intact,
            tags: s.settings.tags_all.clone(),
            catalog: catalog_table::observe(clients, &parts, kind, "", None).await?,
        }));
    };
    let destination = found.s3.clone().ok_or_else(|| {
        AwsError::fatal(
            "firehose:DescribeDeliveryStream",
            format!("stream {} has no S3 destination", s.name),
        )
    })?;
    let seen = error_logging::observe(clients, &destination.error_logging).await?;
    let catalog = catalog_table::observe(
        clients,
        &parts,
        kind,
        &id,
        Some((found.arn.as_str(), &destination)),
    )
    .await?;
    Ok(Some(Observed {
        stream_id: id,
        stream: Some(ObservedStream {
            arn: found.arn,
            destination,
            encryption: found.encryption,
            error_logging: seen,
        }),
        role_intact: role.intact,
        tags: user_tags(&tags),
        catalog,
    }))
}

/// The state as AWS has it (null when nothing is left), the cache, and warnings.
pub async fn read(
    clients: &AwsClients,
    s: &SharedStream,
    private: &[u8],
) -> Result<(Value, Vec<u8>, Diagnostics), Diagnostics> {
    let mut cache = Private::decode(private);
    let mut warnings = Diagnostics::new();
    if std::mem::take(&mut cache.announce_adoption) {
        warnings.push(adoption_warning(s));
    }
    match observe(clients, s, &mut cache, &mut warnings).await {
        Ok(Some(o)) => Ok((
            state_value(s, &o, &clients.default_tags),
            cache.encode(),
            warnings,
        )),
        Ok(None) => Ok((Value::Null, Vec::new(), warnings)),
        Err(e) => Err(failed("Cannot read the stream", e)),
    }
}

pub async fn update(
    clients: &AwsClients,
    ctx: &OpContext,
    prior: &Value,
    planned: &Value,
    private: &[u8],
) -> ApplyOutcome {
    let (before, mut s) = (
        SharedStream::from_value(prior),
        SharedStream::from_value(planned),
    );
    s.stream_id = s.stream_id.clone().or_else(|| before.stream_id.clone());
    let mut cache = Private::decode(private);
    let mut diags = Diagnostics::new();
    let result = steps_of_update(clients, ctx, &before, &s, &mut cache, &mut diags).await;
    let state = match read(clients, &s, &cache.encode()).await {
        Ok((state, read, _)) if !state.is_null() => {
            cache = Private::decode(&read);
            state
        }
        _ => prior.clone(),
    };
    diags.extend(result.err().unwrap_or_default());
    ApplyOutcome {
        state,
        private: cache.encode(),
        diags,
    }
}

async fn steps_of_update(
    clients: &AwsClients,
    ctx: &OpContext,
    before: &SharedStream,
    s: &SharedStream,
    cache: &mut Private,
    warnings: &mut Diagnostics,
) -> Result<(), Diagnostics> {
    let deadline = Instant::now() + s.timeout(timeouts::UPDATE, DEFAULT_UPDATE_TIMEOUT);
    let id = s.stream_id.clone().unwrap_or_default();
    let kind = cache.owner_kind();
    let parts = s.parts();
    let owner = owner(s, kind, &id);
    let have_tags = stream_tags(clients, &s.name)
        .await
        .map_err(|e| failed("Cannot read the stream", e))?;
    if let Some(tags) = &have_tags {
        if !kind.claim(tags).is(&id) {
            let other = kind.claim(tags).id().unwrap_or("none").to_owned();
            return Err((owner.taken)(&format!("Stream {:?}", s.name), &other, NAME));
        }
    }
    let checked = bucket::check(clients, &s.settings.s3).await?;
    warnings.extend(checked.warnings);
    cache.bucket_region = Some(checked.region.clone());
    catalog_table::ensure(clients, &parts, &owner).await?;
    error_logging::ensure(clients, &parts, &owner).await?;
    let owned_name = role::owned_role_name(clients, &parts);
    let tags = s.remote_tags(kind, &id, false);
    // An adopted pipeline's role keeps the provider's other tags (the pipeline's record of
    // its stage's earlier settings) as the stream does.
    let role_tags = match kind {
        OwnerKind::Pipeline => match iam::find_role(clients, &owned_name).await {
            Ok(role) => keeping_provider_tags(&role.tags, &tags),
            Err(e) if e.is(ErrorKind::NotFound) => tags.clone(),
            Err(e) => return Err(failed("Cannot read the IAM role", e)),
        },
        OwnerKind::Stream => tags.clone(),
    };
    let mut role_made = None;
    let mut retire_owned = None;
    let role_arn = match &s.settings.role_arn {
        None => {
            let owned =
                role::ensure_owned_role(clients, &parts, &owner, &role_tags, &checked.region)
                    .await?;
            cache.owned_role = Some(owned.role.name.clone());
            role_made = owned.made;
            owned.role.arn
        }
        // The owned role's ARN given as role_arn (as a state of an earlier version recorded
        // it): its policy is kept up to date only while its owner tag says it is ours, so a
        // role of that name made by hand is used as given and never changed.
        Some(arn) if names_role(arn, &owned_name) => {
            let ours = match iam::find_role(clients, &owned_name).await {
                Ok(found) => owner.claim(&found.tags).is(owner.id),
                Err(e) if e.is(ErrorKind::NotFound) => false,
                Err(e) => return Err(failed("Cannot read the IAM role", e)),
            };
            if ours {
                role::write_role_policy(clients, &parts, &owned_name, &checked.region).await?;
            }
            arn.clone()
        }
        Some(arn) => {
            retire_owned = cache.owned_role.clone();
            arn.clone()
        }
    };
    match &have_tags {
        None => {
            let creating = s.remote_tags(kind, &id, true);
            stream::make_stream(
                clients, ctx, &parts, &owner, &creating, &role_arn, role_made, deadline,
            )
            .await?;
            stream::commit(clients, &s.name, &owner).await?;
        }
        Some(have) => {
            let desired = parts.destination(&role_arn);
            let current = firehose::find_stream(clients, &s.name)
                .await
                .map_err(|e| failed("Cannot read the stream", e))?;
            if current.s3.as_ref() != Some(&desired) {
                stream::update_destination(clients, ctx, &s.name, &desired, deadline).await?;
            }
            let want = &s.settings.server_side_encryption;
            encryption::converge(clients, ctx, &s.name, want, &current, deadline).await?;
            // The stream keeps the provider's other tags: an adopted pipeline's stream holds the
            // record its stage's attachment gives back on destroy.
            let tags = keeping_provider_tags(have, &tags);
            if have != &tags {
                firehose::sync_tags(clients, &s.name, have, &tags)
                    .await
                    .map_err(|e| failed("Cannot tag the stream", e))?;
            }
        }
    }
    if names_role(&role_arn, &owned_name) && before.settings.tags_all != s.settings.tags_all {
        let have = iam::find_role(clients, &owned_name)
            .await
            .map_err(|e| failed("Cannot read the IAM role", e))?
            .tags;
        let tags = keeping_provider_tags(&have, &tags);
        iam::sync_tags(clients, &owned_name, &have, &tags)
            .await
            .map_err(|e| failed("Cannot tag the IAM role", e))?;
    }
    if let Some(old) = &before.settings.catalog {
        if s.settings
            .catalog
            .as_ref()
            .is_none_or(|c| !c.same_table(old))
        {
            catalog_table::delete_owned(clients, kind, &id, old).await?;
        }
    }
    error_logging::retire(clients, &before.parts(), &parts, kind, &id).await?;
    if let Some(name) = retire_owned {
        role::delete_owned_role(clients, kind, &id, &name, &ctx.cancel).await?;
        cache.owned_role = None;
    }
    Ok(())
}

pub async fn delete(
    clients: &AwsClients,
    ctx: &OpContext,
    prior: &Value,
    private: &[u8],
) -> Diagnostics {
    let s = SharedStream::from_value(prior);
    let cache = Private::decode(private);
    let deadline = Instant::now() + s.timeout(timeouts::DELETE, DEFAULT_DELETE_TIMEOUT);
    let id = s.stream_id.clone().unwrap_or_default();
    let kind = cache.owner_kind();
    let mut diags = Diagnostics::new();
    let claim = match stream_tags(clients, &s.name).await {
        Ok(tags) => tags.map(|t| kind.claim(&t)),
        Err(e) => return failed("Cannot read the stream", e),
    };
    match &claim {
        Some(c) if c.is(&id) => {
            let may_be_creating = matches!(c, Claim::Creating(_));
            match stream::delete_owned_stream(clients, ctx, &s.name, may_be_creating, deadline)
                .await
            {
                Ok(warnings) => diags.extend(warnings),
                Err(errors) => return errors,
            }
        }
        Some(_) => diags.push(Diagnostic::warning(
            "Delivery stream left alone",
            format!(
                "Stream {:?} was not made by this resource, so destroy did not touch it.",
                s.name
            ),
        )),
        None => {}
    }
    if let Some(c) = &s.settings.catalog {
        if let Err(e) = catalog_table::delete_owned(clients, kind, &id, c).await {
            diags.extend(e);
        }
    }
    if let Err(e) = error_logging::delete_owned(clients, &s.name, kind, &id).await {
        diags.extend(e);
    }
    let role_name = cache
        .owned_role
        .clone()
        .unwrap_or_else(|| role::owned_role_name(clients, &s.parts()));
    if let Err(e) = role::delete_owned_role(clients, kind, &id, &role_name, &ctx.cancel).await {
        diags.extend(e);
    }
    diags
}

/// The warning of the read that follows the import of a pipeline's stream.
fn adoption_warning(s: &SharedStream) -> Diagnostic {
    Diagnostic::warning(
        "Stream adopted from an apigw_access_log_pipeline",
        format!(
            "Stream {:?} was made by the apigw_access_log_pipeline with pipeline_id {:?}. This resource \
             now manages it, its owned role, log group and Glue table, and keeps their owner tag \
             (stream_id is that pipeline_id); nothing was written to AWS. The pipeline must leave \
             the state in this same change: by a `moved` block to an apigw_stage_access_log (as \
             \"Moving a pipeline over\" shows; nothing more to do if this change has one), or by \
             `terraform state rm`. Otherwise two resources manage one stream.",
            s.name,
            s.stream_id.as_deref().unwrap_or_default()
        ),
    )
}

/// Whose a stream is, for an import: an apigw_access_log_stream's (its id) or a finished
/// pipeline's (its id, adopted with its owner tag). Anything else is refused.
fn importable(
    name: &str,
    tags: &BTreeMap<String, String>,
) -> Result<(OwnerKind, String), Diagnostics> {
    if let Some(id) = OWNER.claim(tags).id() {
        return Ok((OWNER, id.to_owned()));
    }
    let refused = |why: String| {
        failed(
            "Stream not made by this provider's stream resources",
            format!(
                "Stream {name:?} {why}. An apigw_access_log_stream only manages streams an \
                 apigw_access_log_stream or an apigw_access_log_pipeline made, so that nothing a user \
                 has is changed or deleted."
            ),
        )
    };
    match OwnerKind::Pipeline.claim(tags) {
        Claim::Made(id) => Ok((OwnerKind::Pipeline, id)),
        Claim::Creating(id) => Err(refused(format!(
            "is the stream of an apigw_access_log_pipeline (pipeline_id {id:?}) whose create did not \
             finish; apply that pipeline first"
        ))),
        Claim::None => Err(refused(
            "carries no terraform-provider-apigw:stream or terraform-provider-apigw:pipeline owner tag \
             (it was made outside this provider)"
                .to_owned(),
        )),
    }
}

/// Rebuilds the state of the stream called `name`, which an apigw_access_log_stream or an
/// apigw_access_log_pipeline must have made; a pipeline's is adopted with its owner tag, so
/// nothing is written. A stream made by hand is refused.
pub async fn import(clients: &AwsClients, name: &str) -> Result<(Value, Vec<u8>), Diagnostics> {
    let found = firehose::find_stream(clients, name).await.map_err(|e| {
        if e.is(ErrorKind::NotFound) {
            failed(
                "No stream to import",
                format!(
                    "There is no Firehose stream {name:?} in region {}.",
                    clients.region
                ),
            )
        } else {
            failed("Cannot read the stream", e)
        }
    })?;
    let tags = stream_tags(clients, name)
        .await
        .map_err(|e| failed("Cannot read the stream's tags", e))?
        .unwrap_or_default();
    let (kind, id) = importable(name, &tags)?;
    let Some(d) = found.s3.clone() else {
        return Err(failed(
            "Not an S3 stream",
            format!("Stream {name:?} does not deliver to S3."),
        ));
    };
    // The stream does not record the format its stages use; a pipeline's default is the JSON
    // preset, a stream's the JSON preset with the API id and stage.
    let format = match kind {
        OwnerKind::Pipeline => {
            crate::resources::access_log_pipeline::fields::DEFAULT_FORMAT.to_owned()
        }
        OwnerKind::Stream => super::formats::json(),
    };
    let base = SharedStream {
        stream_id: Some(id),
        name: name.to_owned(),
        partitioning: d.partitioning.is_some(),
        format,
        settings: StreamSettings::imported(&d, &found.encryption),
    };
    let adopted = Private {
        from_pipeline: kind == OwnerKind::Pipeline,
        ..Private::default()
    };
    let (state, private, _) = read(clients, &base, &adopted.encode()).await?;
    let mut private = Private::decode(&private);
    private.announce_adoption = private.from_pipeline;
    Ok((state, private.encode()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn a_pipelines_finished_stream_is_adopted_with_its_id_and_anything_else_refused() {
        let pipeline = OwnerKind::Pipeline.tag();
        let stream = OwnerKind::Stream.tag();
        assert_eq!(
            importable("s", &tags(&[(stream, "s1")])).unwrap(),
            (OwnerKind::Stream, "s1".to_owned())
        );
        assert_eq!(
            importable("s", &tags(&[(pipeline, "p1")])).unwrap(),
            (OwnerKind::Pipeline, "p1".to_owned())
        );
        for (refused, says) in [
            (tags(&[(pipeline, "p1 creating")]), "did not finish"),
            (tags(&[("team", "a")]), "made outside this provider"),
        ] {
            let text = format!("{:?}", importable("s", &refused).unwrap_err());
            assert!(text.contains(says), "{text}");
        }
    }

    #[test]
    fn an_adopted_instance_owns_what_carries_the_pipelines_tag() {
        let adopted = Private {
            from_pipeline: true,
            ..Private::default()
        };
        assert_eq!(adopted.owner_kind(), OwnerKind::Pipeline);
        assert_eq!(Private::default().owner_kind(), OwnerKind::Stream);
        // The flag survives the round trip; a stream of its own writes no extra field.
        assert_eq!(Private::decode(&adopted.encode()), adopted);
        assert_eq!(
            Private::default().encode(),
            br#"{"owned_role":null}"#.to_vec()
        );
    }

    #[test]
    fn the_streams_tags_keep_the_records_of_other_resources() {
        let earlier = "terraform-provider-apigw:earlier";
        let have = tags(&[
            (OwnerKind::Pipeline.tag(), "p1"),
            (earlier, "x"),
            ("old", "1"),
        ]);
        let want = tags(&[(OwnerKind::Pipeline.tag(), "p1"), ("team", "a")]);
        assert_eq!(
            keeping_provider_tags(&have, &want),
            tags(&[
                (OwnerKind::Pipeline.tag(), "p1"),
                (earlier, "x"),
                ("team", "a")
            ])
        );
    }
}
