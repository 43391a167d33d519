resource "apigw_access_log_pipeline" "example" {
  rest_api_id = var.rest_api_id
  stage_name  = var.stage_name
  format      = provider::apigw::log_format("json")

  s3 = {
    bucket_arn                 = "arn:aws:s3:::${var.bucket_name}"
    prefix                     = "apigw/!{timestamp:yyyy/MM/dd}/"
    error_output_prefix        = "apigw-errors/!{firehose:error-output-type}/"
    buffering_size_mib         = 5
    buffering_interval_seconds = 300
    compression                = "GZIP"
  }

  tags = {
    team = "platform"
  }

  timeouts = {
    create = "20m"
  }
}
