# API Gateway access logs of one stage, delivered to S3 through Firehose.
# Region, credentials and endpoints come from the standard AWS environment variables.

terraform {
  required_version = ">= 1.11"
  required_providers {
    apigw = {
      source = "seed-f9314e3d/apigw"
    }
  }
}

provider "apigw" {
  default_tags {
    tags = {
      managed-by = "terraform"
    }
  }
}

variable "rest_api_id" {
  description = "Id of the REST API whose stage is logged."
  type        = string
}

variable "stage_name" {
  description = "Stage whose requests are logged."
  type        = string
  default     = "prod"
}

variable "bucket_name" {
  description = "Bucket the access logs are delivered to."
  type        = string
}

variable "glue_database" {
  description = "Existing Glue database that gets the table describing the logs (for Athena)."
  type        = string
}

resource "apigw_access_log_pipeline" "this" {
  rest_api_id = var.rest_api_id
  stage_name  = var.stage_name
  format      = provider::apigw::log_format("json")

  s3 = {
    bucket_arn                 = "arn:aws:s3:::${var.bucket_name}"
    prefix                     = "access-logs/"
    buffering_interval_seconds = 60
  }

  # A Glue table over the delivered logs, partitioned by hour through partition projection:
  # query it with Athena right away.
  catalog = {
    database = var.glue_database
    table    = "api_access_logs"
  }

  tags = {
    app = "quickstart"
  }
}

output "delivery_stream_arn" {
  description = "The Firehose stream the stage delivers to."
  value       = apigw_access_log_pipeline.this.delivery_stream_arn
}

output "s3_destination_uri" {
  description = "Where the access logs land."
  value       = apigw_access_log_pipeline.this.s3_destination_uri
}
