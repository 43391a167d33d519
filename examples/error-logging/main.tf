# Delivery errors of the stream in a CloudWatch Logs group of your own, which must exist with
# its log stream. Omit error_logging to have the provider make and own the console's group
# (/aws/kinesisfirehose/<stream>, stream DestinationDelivery); set enabled = false for none.

terraform {
  required_version = ">= 1.11"
  required_providers {
    apigw = {
      source = "seed-f9314e3d/apigw"
    }
  }
}

provider "apigw" {}

variable "rest_api_id" {
  description = "Id of the REST API whose stage is logged."
  type        = string
}

variable "bucket_name" {
  description = "Bucket the access logs are delivered to."
  type        = string
}

resource "apigw_access_log_pipeline" "logs" {
  rest_api_id = var.rest_api_id
  stage_name  = "prod"

  s3 = {
    bucket_arn = "arn:aws:s3:::${var.bucket_name}"
  }

  error_logging = {
    log_group_name  = "/team/platform/delivery-errors"
    log_stream_name = "apigw-prod"
  }
}

output "error_log_group" {
  description = "Where Firehose reports the records it could not deliver."
  value       = apigw_access_log_pipeline.logs.error_logging.log_group_name
}
