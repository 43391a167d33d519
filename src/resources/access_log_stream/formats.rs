//! The formats a shared stream hands out: the console's presets, each carrying the API id and
//! the stage, so that the records of many stages in one stream can be told apart.

use std::collections::BTreeMap;

use crate::log_format;

/// The JSON preset with `apiId` and `stage` first: the default `format`, and one that dynamic
/// partitioning can read.
pub fn json() -> String {
    with_api_and_stage("json", log_format::JSON)
}

/// A preset with `$context.apiId` and `$context.stage` added in its own syntax.
fn with_api_and_stage(name: &str, preset: &str) -> String {
    match name {
        "json" => preset.replacen(
            "{ ",
            "{ \"apiId\":\"$context.apiId\", \"stage\":\"$context.stage\", ",
            1,
        ),
        "xml" => preset.replacen(
            "<request id=\"$context.requestId\">",
            "<request id=\"$context.requestId\" apiId=\"$context.apiId\" stage=\"$context.stage\">",
            1,
        ),
        "csv" => format!("$context.apiId,$context.stage,{preset}"),
        _ => format!("$context.apiId $context.stage {preset}"),
    }
}

/// Every preset, by its name (`clf`, `json`, `xml`, `csv`), with the API id and stage.
pub fn all() -> BTreeMap<String, String> {
    log_format::PRESETS
        .iter()
        .map(|(name, preset)| ((*name).to_owned(), with_api_and_stage(name, preset)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::stream_parts::partitioning::unpartitionable;

    #[test]
    fn every_format_carries_api_and_stage_and_identifies_requests() {
        let all = all();
        assert_eq!(all.len(), log_format::PRESETS.len());
        for (name, format) in &all {
            let vars = log_format::context_variables(format);
            assert!(vars.contains(&"apiId") && vars.contains(&"stage"), "{name}");
            assert!(log_format::identifies_request(format), "{name}");
            assert!(format.len() <= log_format::MAX_FORMAT_BYTES, "{name}");
        }
        let parsed: serde_json::Value = serde_json::from_str(&all["json"]).unwrap();
        assert_eq!(parsed["apiId"], "$context.apiId");
        assert_eq!(parsed["stage"], "$context.stage");
        assert_eq!(unpartitionable(&json()), None);
    }
}
