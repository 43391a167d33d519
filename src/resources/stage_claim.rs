//! How a stage says that an `apigw_stage_access_log` attachment has it: a tag on the stage
//! itself, since the stream it logs to may be shared, or someone else's, and cannot carry a
//! record per stage. Beside it, the stage carries the attachment's record of what it had
//! before (the same `terraform-provider-apigw:earlier` tags a pipeline writes on its stream).

/// On a stage: the attachment instance that points it at a stream, `<id>` (or `<id> creating`
/// while its create has not finished).
pub const ATTACHMENT_TAG: &str = "terraform-provider-apigw:attachment";

/// Marks a claim whose create has not finished. API Gateway's tag values are of
/// `[a-zA-Z+-=._:/]` (TagResource, API Gateway API Reference) or letters, numbers, spaces and
/// `. : + = @ _ / -` ("Tag restrictions and usage conventions", API Gateway Developer Guide);
/// the claim keeps to what both allow, so not the space a stream's owner tag uses.
const CREATING: &str = ":creating";

/// The attachment that claims a stage, from the stage's tags: its id and whether its create
/// had not finished.
pub fn claim_of(tags: &std::collections::BTreeMap<String, String>) -> Option<(&str, bool)> {
    let value = tags.get(ATTACHMENT_TAG)?;
    Some(match value.strip_suffix(CREATING) {
        Some(id) => (id, true),
        None => (value.as_str(), false),
    })
}

/// The claim tag's value for attachment `id`.
pub fn claim_value(id: &str, creating: bool) -> String {
    if creating {
        format!("{id}{CREATING}")
    } else {
        id.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claims_round_trip_in_api_gateway_tag_characters() {
        let allowed = |c: char| c.is_ascii_alphanumeric() || "+-=._:/".contains(c);
        for creating in [true, false] {
            let value = claim_value("0b5c-11aa", creating);
            assert!(value.chars().all(allowed), "{value}");
            let tags = [(ATTACHMENT_TAG.to_owned(), value)].into();
            assert_eq!(claim_of(&tags), Some(("0b5c-11aa", creating)));
        }
        assert_eq!(claim_of(&Default::default()), None);
    }
}
