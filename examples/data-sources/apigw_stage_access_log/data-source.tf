data "apigw_stage_access_log" "example" {
  rest_api_id = var.rest_api_id
  stage_name  = var.stage_name
}

output "access_logs" {
  value = {
    kind    = data.apigw_stage_access_log.example.destination_kind
    arn     = data.apigw_stage_access_log.example.destination_arn
    preset  = data.apigw_stage_access_log.example.format_preset
    managed = data.apigw_stage_access_log.example.managed_by
  }
}

# Records without a trailing newline land in Firehose's objects as one long line.
check "one_record_per_line" {
  assert {
    condition     = data.apigw_stage_access_log.example.destination_kind != "firehose" || data.apigw_stage_access_log.example.ends_with_newline == true
    error_message = "The stage's access-log format does not end in a newline."
  }
}
