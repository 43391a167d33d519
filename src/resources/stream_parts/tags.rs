//! Which tags belong to whom: the keys the provider reserves for itself, and the split of a
//! stream's tags into the resource's own `tags` and what the provider's `default_tags` added.

use std::collections::BTreeMap;

use crate::validators::has_prefix_ignoring_case;

/// Every tag key the provider sets for itself starts with this (the ownership tag among them);
/// users may not set such keys, in `tags` or in `default_tags`.
pub const RESERVED_TAG_PREFIX: &str = "terraform-provider-apigw:";

/// Whether `key` is one the provider reserves for its own tags (in any case, as IAM compares
/// tag keys: IAM User Guide, "Tagging IAM resources").
pub fn is_reserved(key: &str) -> bool {
    has_prefix_ignoring_case(key, RESERVED_TAG_PREFIX)
}

/// `want` plus the provider's own tags of `have` that `want` does not set: what a resource
/// writes when it must not drop another resource's records (an adopted pipeline's stream
/// keeps the pipeline's record of its stage's earlier settings).
pub fn keeping_provider_tags(
    have: &BTreeMap<String, String>,
    want: &BTreeMap<String, String>,
) -> BTreeMap<String, String> {
    let mut tags = want.clone();
    for (k, v) in have.iter().filter(|(k, _)| is_reserved(k)) {
        tags.entry(k.clone()).or_insert_with(|| v.clone());
    }
    tags
}

/// The resource's own tags among `observed` (the stream's tags, reserved ones removed).
///
/// A key counts as the resource's own when its configuration or state names it in `tags`, or
/// when it is neither a current default tag nor one the last state had in `tags_all` only (a
/// default tag since removed or renamed). Everything else came from `default_tags`, so a
/// changed or removed default shows as a change of `tags_all` alone, while a tag added outside
/// Terraform still shows as drift of `tags`.
pub fn own_tags(
    tags: Option<&BTreeMap<String, String>>,
    prior_tags_all: &BTreeMap<String, String>,
    observed: &BTreeMap<String, String>,
    default_tags: &BTreeMap<String, String>,
) -> BTreeMap<String, String> {
    let named_in_tags = |k: &str| tags.is_some_and(|t| t.contains_key(k));
    observed
        .iter()
        .filter(|(k, _)| {
            named_in_tags(k) || !(default_tags.contains_key(*k) || prior_tags_all.contains_key(*k))
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::access_log_pipeline::OWNER_TAG;

    fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn the_ownership_tag_is_reserved_in_any_case() {
        assert!(is_reserved(OWNER_TAG));
        assert!(is_reserved("Terraform-Provider-Apigw:anything"));
        assert!(!is_reserved("terraform-provider-apigw"));
        assert!(!is_reserved("team"));
    }

    #[test]
    fn a_changed_default_is_not_taken_for_an_own_tag() {
        let observed = map(&[("run", "old"), ("team", "a")]);
        let prior_all = map(&[("run", "old"), ("team", "a")]);
        let own = map(&[("team", "a")]);
        // The default's value changed: still not the resource's own.
        let defaults = map(&[("run", "new")]);
        assert_eq!(own_tags(Some(&own), &prior_all, &observed, &defaults), own);
        // The default was removed from the provider block: still not the resource's own.
        assert_eq!(
            own_tags(Some(&own), &prior_all, &observed, &BTreeMap::new()),
            own
        );
        // No own tags at all.
        assert!(!own_tags(None, &prior_all, &observed, &defaults).contains_key("run"));
    }

    #[test]
    fn a_tag_added_outside_terraform_is_drift_of_tags() {
        let observed = map(&[("run", "x"), ("added", "by hand")]);
        let prior_all = map(&[("run", "x")]);
        let defaults = map(&[("run", "x")]);
        assert_eq!(
            own_tags(None, &prior_all, &observed, &defaults),
            map(&[("added", "by hand")])
        );
        // A resource tag that overrides a default is the resource's own.
        let own = map(&[("run", "mine")]);
        let observed = map(&[("run", "mine")]);
        assert_eq!(own_tags(Some(&own), &observed, &observed, &defaults), own);
    }
}
