# One stream for the access logs of many stages, partitioned in S3 per API and stage.
resource "apigw_access_log_stream" "shared" {
  name         = "amazon-apigateway-shared"
  partitioning = true

  s3 = {
    bucket_arn          = "arn:aws:s3:::${var.bucket_name}"
    prefix              = "apigw/api_id=!{partitionKeyFromQuery:api_id}/stage=!{partitionKeyFromQuery:stage}/!{timestamp:yyyy/MM/dd/HH}/"
    error_output_prefix = "apigw-errors/!{firehose:error-output-type}/"
    buffering_size_mib  = 64
  }

  tags = {
    team = "platform"
  }
}

# What a stage's access-log settings take: the stream's ARN and a format that carries the API
# id and stage, ending in a newline so that each record is a line of its own.
output "destination_arn" {
  value = apigw_access_log_stream.shared.arn
}

output "format" {
  value = "${apigw_access_log_stream.shared.format}\n"
}
