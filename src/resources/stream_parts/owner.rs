//! Who made an object: the owner tag the provider puts on what it makes, one key per kind of
//! resource, so that a pipeline and a stream resource never take each other's objects.
//!
//! Each resource instance has an id of its own (a random UUID made on create). The stream,
//! the role and the log group it makes carry that id under its kind's tag key. The stream's
//! tag reads `<id> creating` until the create has finished: objects of a create that died (a
//! crash, a kill) stay adoptable by the re-run, objects of a finished create never are.

use std::collections::BTreeMap;

use crate::plugin::diagnostics::Diagnostics;

use super::tags::is_reserved;

/// Appended to the owner tag's value until the create that made the object has finished.
const CREATING: &str = " creating";

/// The kinds of resource that own streams and what goes with them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OwnerKind {
    /// `apigw_access_log_pipeline`.
    Pipeline,
    /// `apigw_access_log_stream`.
    Stream,
}

impl OwnerKind {
    /// The tag key (and, on Glue tables, the parameter key) that holds an owner's id.
    pub const fn tag(self) -> &'static str {
        match self {
            OwnerKind::Pipeline => "terraform-provider-apigw:pipeline",
            OwnerKind::Stream => "terraform-provider-apigw:stream",
        }
    }

    /// The resource type, for messages.
    pub fn resource_type(self) -> &'static str {
        match self {
            OwnerKind::Pipeline => "apigw_access_log_pipeline",
            OwnerKind::Stream => "apigw_access_log_stream",
        }
    }

    /// The attribute that holds an instance's id.
    pub fn id_attribute(self) -> &'static str {
        match self {
            OwnerKind::Pipeline => "pipeline_id",
            OwnerKind::Stream => "stream_id",
        }
    }

    /// Whose an object is, for this kind, from its tags.
    pub fn claim(self, tags: &BTreeMap<String, String>) -> Claim {
        match tags.get(self.tag()) {
            None => Claim::None,
            Some(v) => match v.strip_suffix(CREATING) {
                Some(id) => Claim::Creating(id.to_owned()),
                None => Claim::Made(v.clone()),
            },
        }
    }

    /// The owner tag for instance `id`.
    pub fn owner_tag(self, id: &str, creating: bool) -> (String, String) {
        (self.tag().to_owned(), owner_value(id, creating))
    }

    /// Another kind that claims the object, if one does, with its instance's id.
    pub fn other_claim(self, tags: &BTreeMap<String, String>) -> Option<(OwnerKind, String)> {
        [OwnerKind::Pipeline, OwnerKind::Stream]
            .into_iter()
            .filter(|k| *k != self)
            .find_map(|k| k.claim(tags).id().map(|id| (k, id.to_owned())))
    }
}

/// The owner tag's value for instance `id`.
pub fn owner_value(id: &str, creating: bool) -> String {
    if creating {
        format!("{id}{CREATING}")
    } else {
        id.to_owned()
    }
}

/// Whose an object is, from its owner tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// Not made by an instance of this kind.
    None,
    /// Made by instance `id`, whose create had not finished (or died).
    Creating(String),
    /// Made by instance `id`, whose create finished.
    Made(String),
}

impl Claim {
    /// The id of the instance that made the object, if one did.
    pub fn id(&self) -> Option<&str> {
        match self {
            Claim::None => None,
            Claim::Creating(id) | Claim::Made(id) => Some(id),
        }
    }

    pub fn is(&self, id: &str) -> bool {
        self.id() == Some(id)
    }
}

/// The user's tags among an object's tags: everything but the provider's own.
pub fn user_tags(tags: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    tags.iter()
        .filter(|(k, _)| !is_reserved(k))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// The instance the shared steps act for, and how its resource words a refusal.
pub struct Owner<'a> {
    pub kind: OwnerKind,
    pub id: &'a str,
    /// The error for `what` (a sentence start, such as `IAM role "x"`) belonging to another
    /// instance `other` of this kind, pointed at attribute `attr`.
    #[allow(clippy::type_complexity)]
    pub taken: Box<dyn Fn(&str, &str, &str) -> Diagnostics + Send + Sync + 'a>,
    /// What to do about a stream of the wanted name that this provider did not make.
    pub name_taken_hint: String,
}

impl Owner<'_> {
    pub fn claim(&self, tags: &BTreeMap<String, String>) -> Claim {
        self.kind.claim(tags)
    }

    /// The owner tag with this instance's id.
    pub fn tag(&self, creating: bool) -> (String, String) {
        self.kind.owner_tag(self.id, creating)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_owner_tag_says_who_and_whether_the_create_finished() {
        for kind in [OwnerKind::Pipeline, OwnerKind::Stream] {
            let tags = |v: &str| BTreeMap::from([(kind.tag().to_owned(), v.to_owned())]);
            assert_eq!(
                kind.claim(&tags(&owner_value("p1", true))),
                Claim::Creating("p1".into())
            );
            assert_eq!(
                kind.claim(&tags(&owner_value("p1", false))),
                Claim::Made("p1".into())
            );
            assert_eq!(kind.claim(&BTreeMap::new()), Claim::None);
        }
        // The owner tag of the pipeline's first version held `<rest_api_id>/<stage_name>`.
        let old = BTreeMap::from([(OwnerKind::Pipeline.tag().to_owned(), "abc/prod".to_owned())]);
        assert_eq!(
            OwnerKind::Pipeline.claim(&old),
            Claim::Made("abc/prod".into())
        );
    }

    #[test]
    fn one_kind_never_reads_the_others_tag_as_its_own() {
        let pipeline = BTreeMap::from([OwnerKind::Pipeline.owner_tag("p1", false)]);
        assert_eq!(OwnerKind::Stream.claim(&pipeline), Claim::None);
        assert_eq!(
            OwnerKind::Stream.other_claim(&pipeline),
            Some((OwnerKind::Pipeline, "p1".to_owned()))
        );
        assert_eq!(OwnerKind::Pipeline.other_claim(&pipeline), None);
    }

    #[test]
    fn user_tags_leave_out_the_providers_own() {
        let mut tags = BTreeMap::from([OwnerKind::Stream.owner_tag("s1", false)]);
        tags.insert("team".into(), "a".into());
        assert_eq!(
            user_tags(&tags),
            BTreeMap::from([("team".to_owned(), "a".to_owned())])
        );
    }
}
