//! The access-log format presets the API Gateway console offers, and the rule every format
//! must follow.

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

/// API Gateway refuses access-log formats that do not identify the request.
pub fn identifies_request(format: &str) -> bool {
    format.contains("$context.requestId") || format.contains("$context.extendedRequestId")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_preset_identifies_the_request() {
        for (name, format) in PRESETS {
            assert!(identifies_request(format), "{name}");
        }
    }

    #[test]
    fn the_json_preset_is_json() {
        let v: serde_json::Value = serde_json::from_str(JSON).unwrap();
        assert_eq!(v["requestId"], "$context.requestId");
    }
}
