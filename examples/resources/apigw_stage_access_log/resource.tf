# Points one stage at a stream the configuration does not own. What the stage logged to
# before is recorded on the stage and given back on destroy.
resource "apigw_stage_access_log" "example" {
  rest_api_id     = var.rest_api_id
  stage_name      = var.stage_name
  destination_arn = var.stream_arn
  format          = provider::apigw::log_format("json")
}
