//! The access-log format presets the API Gateway console offers, and the rules every format
//! must follow: API Gateway's own (one line, a request id, a size quota) and its documented
//! list of `$context` variables.

/// Common Log Format.
pub const CLF: &str = "$context.identity.sourceIp $context.identity.caller $context.identity.user [$context.requestTime] \"$context.httpMethod $context.resourcePath $context.protocol\" $context.status $context.responseLength $context.requestId";

/// One JSON object per request; the resource's default.
pub const JSON: &str = "{ \"requestId\":\"$context.requestId\", \"ip\": \"$context.identity.sourceIp\", \"caller\":\"$context.identity.caller\", \"user\":\"$context.identity.user\",\"requestTime\":\"$context.requestTime\", \"httpMethod\":\"$context.httpMethod\",\"resourcePath\":\"$context.resourcePath\", \"status\":\"$context.status\",\"protocol\":\"$context.protocol\", \"responseLength\":\"$context.responseLength\" }";

/// One XML element per request.
pub const XML: &str = "<request id=\"$context.requestId\"> <ip>$context.identity.sourceIp</ip> <caller>$context.identity.caller</caller> <user>$context.identity.user</user> <requestTime>$context.requestTime</requestTime> <httpMethod>$context.httpMethod</httpMethod> <resourcePath>$context.resourcePath</resourcePath> <status>$context.status</status> <protocol>$context.protocol</protocol> <responseLength>$context.responseLength</responseLength> </request>";

/// Comma-separated values.
pub const CSV: &str = "$context.identity.sourceIp,$context.identity.caller,$context.identity.user,$context.requestTime,$context.httpMethod,$context.resourcePath,$context.protocol,$context.status,$context.responseLength,$context.requestId";

/// The presets by the names users pick them with.
pub const PRESETS: [(&str, &str); 4] = [("clf", CLF), ("json", JSON), ("xml", XML), ("csv", CSV)];

/// The preset called `name`, if there is one.
pub fn preset(name: &str) -> Option<&'static str> {
    PRESETS.iter().find(|(n, _)| *n == name).map(|(_, f)| *f)
}

/// The name of the preset a stage's format is, written as the preset or with one `\n` after it
/// (as `append_newline` gives it), if it is one.
pub fn preset_of(format: &str) -> Option<&'static str> {
    let body = format.strip_suffix('\n').unwrap_or(format);
    PRESETS.iter().find(|(_, f)| *f == body).map(|(n, _)| *n)
}

/// API Gateway refuses access-log formats that do not identify the request.
pub fn identifies_request(format: &str) -> bool {
    format.contains("$context.requestId") || format.contains("$context.extendedRequestId")
}

/// The largest format API Gateway takes, in bytes of UTF-8. Source: API Gateway Developer
/// Guide, "Quotas for configuring and running a REST API in API Gateway": "Access log template
/// size: 3 KB", not adjustable. Read as 3 × 1024 bytes.
pub const MAX_FORMAT_BYTES: usize = 3 * 1024;

/// Where a format breaks its line before its very end, as a character index, if it does.
///
/// UpdateStage refuses such a format with "Access Log format must be single line, new line
/// character is allowed only at end of the format" (botocore data/apigateway/2015-07-09
/// service-2.json, AccessLogSettings.format: "A single line format"; the WebSocket logging page
/// of the developer guide says the same and allows one newline at the end).
pub fn line_break_before_end(format: &str) -> Option<usize> {
    let body = format.strip_suffix('\n').unwrap_or(format);
    body.chars().position(|c| c == '\n' || c == '\r')
}

/// The format as the stage holds it: with `append_newline`, one `\n` is added to a format that
/// lacks it. API Gateway sends each record as the format renders it and adds nothing, and
/// "by default, Firehose concatenates data without any delimiters" ("Understand data delivery
/// in Amazon Data Firehose", Firehose Developer Guide), so without it an object is one line of
/// many records, which Athena reads as one row. The newline goes in the format rather than in
/// Firehose's `AppendDelimiterToRecord` processor (API Reference, Processor) so that the record
/// carries it whichever stream it goes to, and the stage shows what is sent.
pub fn as_stage_holds(format: &str, append_newline: bool) -> String {
    if append_newline && !format.ends_with('\n') {
        format!("{format}\n")
    } else {
        format.to_owned()
    }
}

/// The `format` and `append_newline` that the stage's format `held` reads back as, given what
/// was configured: the configured text when the stage holds it as [`as_stage_holds`] writes
/// it, and otherwise what the stage holds, with `append_newline` false when the newline the
/// configuration asks for is missing (so the plan shows it coming back).
pub fn as_configured(held: &str, format: &str, append_newline: bool) -> (String, bool) {
    if held == as_stage_holds(format, append_newline) {
        return (format.to_owned(), append_newline);
    }
    if append_newline && held == format {
        return (format.to_owned(), false);
    }
    match held.strip_suffix('\n') {
        Some(body) if append_newline && !format.ends_with('\n') => (body.to_owned(), true),
        _ => (held.to_owned(), append_newline),
    }
}

/// The `$context` variables API Gateway documents for REST API access logs. Source: API Gateway
/// Developer Guide, "Variables for access logging for API Gateway" (and, for the ones added
/// since: the response-streaming and routing-rule announcements that extended that page).
/// API Gateway adds variables over time, so a name missing here is only warned about.
pub const ACCESS_LOG_VARIABLES: &[&str] = &[
    "accountId",
    "apiId",
    "authenticate.error",
    "authenticate.latency",
    "authenticate.status",
    "authorize.error",
    "authorize.latency",
    "authorize.status",
    "awsEndpointRequestId",
    "customDomain.basePathMatched",
    "customDomain.routingRuleIdMatched",
    "domainName",
    "domainPrefix",
    "error.message",
    "error.messageString",
    "error.responseType",
    "error.validationErrorString",
    "extendedRequestId",
    "httpMethod",
    "identity.accountId",
    "identity.apiKey",
    "identity.apiKeyId",
    "identity.caller",
    "identity.clientCert.clientCertPem",
    "identity.clientCert.issuerDN",
    "identity.clientCert.serialNumber",
    "identity.clientCert.subjectDN",
    "identity.clientCert.validity.notAfter",
    "identity.clientCert.validity.notBefore",
    "identity.cognitoAuthenticationProvider",
    "identity.cognitoAuthenticationType",
    "identity.cognitoIdentityId",
    "identity.cognitoIdentityPoolId",
    "identity.principalOrgId",
    "identity.sourceIp",
    "identity.user",
    "identity.userAgent",
    "identity.userArn",
    "identity.vpcId",
    "identity.vpceId",
    "integration.error",
    "integration.integrationStatus",
    "integration.latency",
    "integration.requestId",
    "integration.responseTransferMode",
    "integration.status",
    "integration.timeToAllHeaders",
    "integration.timeToFirstContent",
    "integrationErrorMessage",
    "integrationLatency",
    "integrationStatus",
    "isCanaryRequest",
    "path",
    "protocol",
    "requestId",
    "requestTime",
    "requestTimeEpoch",
    "resourceId",
    "resourcePath",
    "responseLatency",
    "responseLength",
    "responseOverride.status",
    "stage",
    "status",
    "waf.error",
    "waf.latency",
    "waf.status",
    "wafResponseCode",
    "webaclArn",
    "xrayTraceId",
];

/// Documented families whose last part is the user's own: an authorizer's context keys and
/// claims, and the request and response overrides (same source as [`ACCESS_LOG_VARIABLES`]).
pub const ACCESS_LOG_VARIABLE_FAMILIES: &[&str] = &[
    "authorizer.",
    "requestOverride.header.",
    "requestOverride.path.",
    "requestOverride.querystring.",
    "responseOverride.header.",
];

/// Whether `name` (what follows `$context.`) is a documented access-log variable.
pub fn is_documented_variable(name: &str) -> bool {
    ACCESS_LOG_VARIABLES.contains(&name)
        || ACCESS_LOG_VARIABLE_FAMILIES
            .iter()
            .any(|f| name.len() > f.len() && name.starts_with(f))
}

/// The names a format uses after `$context.`, in order, each once. A name is the longest run of
/// letters, digits, `_` and `.` after the prefix, without a trailing `.` (a full stop in text).
pub fn context_variables(format: &str) -> Vec<&str> {
    const PREFIX: &str = "$context.";
    let mut names: Vec<&str> = Vec::new();
    let mut rest = format;
    while let Some(at) = rest.find(PREFIX) {
        let after = &rest[at + PREFIX.len()..];
        let len = after
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.'))
            .unwrap_or(after.len());
        let name = after[..len].trim_end_matches('.');
        if !name.is_empty() && !names.contains(&name) {
            names.push(name);
        }
        rest = &after[len..];
    }
    names
}

/// The documented variable closest to an unknown `name`, if one is near enough to be a typo.
pub fn closest_variable(name: &str) -> Option<&'static str> {
    let lowered = name.to_ascii_lowercase();
    let limit = if name.len() > 12 { 3 } else { 2 };
    ACCESS_LOG_VARIABLES
        .iter()
        .map(|v| (edit_distance(&lowered, &v.to_ascii_lowercase()), *v))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, v)| v)
}

/// Levenshtein distance between two strings, in characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let next = (diagonal + usize::from(ca != *cb))
                .min(row[j] + 1)
                .min(row[j + 1] + 1);
            diagonal = row[j + 1];
            row[j + 1] = next;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_format_gets_one_newline_and_reads_back_as_written() {
        assert_eq!(
            as_stage_holds("$context.requestId", true),
            "$context.requestId\n"
        );
        assert_eq!(
            as_stage_holds("$context.requestId\n", true),
            "$context.requestId\n"
        );
        assert_eq!(
            as_stage_holds("$context.requestId", false),
            "$context.requestId"
        );
        let f = "$context.requestId";
        assert_eq!(
            as_configured("$context.requestId\n", f, true),
            (f.to_owned(), true)
        );
        assert_eq!(as_configured(f, f, false), (f.to_owned(), false));
        // The newline removed outside Terraform: the plan shows append_newline coming back.
        assert_eq!(as_configured(f, f, true), (f.to_owned(), false));
        // Another format with a newline: its text without it, so the diff is in `format` only.
        assert_eq!(
            as_configured("$context.extendedRequestId\n", f, true),
            ("$context.extendedRequestId".to_owned(), true)
        );
        // A format written with its own newline keeps it.
        let g = "$context.requestId\n";
        assert_eq!(as_configured(g, g, true), (g.to_owned(), true));
        assert_eq!(as_configured(g, g, false), (g.to_owned(), false));
    }

    #[test]
    fn a_preset_is_recognised_with_or_without_one_newline() {
        for (name, format) in PRESETS {
            assert_eq!(preset_of(format), Some(name));
            assert_eq!(preset_of(&as_stage_holds(format, true)), Some(name));
            assert_eq!(preset_of(&format!("{format}\n\n")), None, "{name}");
            assert_eq!(preset_of(&format!(" {format}")), None, "{name}");
        }
        assert_eq!(preset_of("$context.requestId"), None);
        assert_eq!(preset_of(""), None);
    }

    #[test]
    fn every_preset_identifies_the_request() {
        for (name, format) in PRESETS {
            assert!(identifies_request(format), "{name}");
        }
    }

    #[test]
    fn every_preset_is_one_line_within_the_quota_and_uses_documented_variables() {
        for (name, format) in PRESETS {
            assert_eq!(line_break_before_end(format), None, "{name}");
            assert!(format.len() <= MAX_FORMAT_BYTES, "{name}");
            for v in context_variables(format) {
                assert!(is_documented_variable(v), "{name}: {v}");
            }
        }
    }

    #[test]
    fn a_line_break_is_allowed_only_at_the_very_end() {
        assert_eq!(line_break_before_end("$context.requestId"), None);
        assert_eq!(line_break_before_end("$context.requestId\n"), None);
        assert_eq!(line_break_before_end("a\nb"), Some(1));
        assert_eq!(line_break_before_end("ab\n\n"), Some(2));
        assert_eq!(line_break_before_end("a\rb"), Some(1));
        assert_eq!(line_break_before_end("ä\r\n"), Some(1));
    }

    #[test]
    fn variables_are_read_up_to_the_first_other_character() {
        assert_eq!(
            context_variables(
                "$context.requestId,\"$context.identity.sourceIp\" [$context.requestTime]. $context.requestId $context."
            ),
            vec!["requestId", "identity.sourceIp", "requestTime"]
        );
        assert_eq!(
            context_variables("$context.status-$context.path"),
            vec!["status", "path"]
        );
    }

    #[test]
    fn families_cover_user_defined_names_only_after_their_prefix() {
        assert!(is_documented_variable("authorizer.claims.email"));
        assert!(is_documented_variable("authorizer.principalId"));
        assert!(is_documented_variable("requestOverride.header.x"));
        assert!(!is_documented_variable("authorizer."));
        assert!(!is_documented_variable("requestid"));
        assert!(!is_documented_variable("identity.sourceIP"));
    }

    #[test]
    fn near_misses_find_the_documented_name() {
        assert_eq!(closest_variable("requestid"), Some("requestId"));
        assert_eq!(
            closest_variable("identity.sourceIP"),
            Some("identity.sourceIp")
        );
        assert_eq!(closest_variable("reqestTime"), Some("requestTime"));
        assert_eq!(closest_variable("httpMethd"), Some("httpMethod"));
        assert_eq!(closest_variable("somethingElseEntirely"), None);
    }

    #[test]
    fn edit_distance_counts_single_character_edits() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("abc", "abc"), 0);
    }

    #[test]
    fn the_json_preset_is_json() {
        let v: serde_json::Value = serde_json::from_str(JSON).unwrap();
        assert_eq!(v["requestId"], "$context.requestId");
    }
}
