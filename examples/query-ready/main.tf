# Access logs Athena can query as they land: the pipeline keeps a Glue table describing them,
# with partition projection on the S3 keys its prefix gives (no crawler, no MSCK REPAIR TABLE).
# The Glue database must exist; the provider never makes or deletes databases.

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

variable "glue_database" {
  description = "An existing Glue database for the table."
  type        = string
  default     = "access_logs"
}

# JSON lines, partitioned by day, with a table to query them.
resource "apigw_access_log_pipeline" "json" {
  rest_api_id = var.rest_api_id
  stage_name  = "prod"
  format      = provider::apigw::log_format("json")

  # The default, shown: the stage's format gets one trailing newline, so each record is one
  # line of the objects Firehose writes (API Gateway and Firehose add none).
  append_newline = true

  s3 = {
    bucket_arn          = "arn:aws:s3:::${var.bucket_name}"
    prefix              = "prod/day=!{timestamp:yyyy-MM-dd}/"
    error_output_prefix = "prod-errors/!{firehose:error-output-type}/"
  }

  catalog = {
    database = var.glue_database
    table    = "prod_access_logs"
  }
}

# The same logs as Parquet: Firehose converts each JSON record against the table.
resource "apigw_access_log_pipeline" "parquet" {
  rest_api_id = var.rest_api_id
  stage_name  = "staging"
  format      = provider::apigw::log_format("json")

  s3 = {
    bucket_arn         = "arn:aws:s3:::${var.bucket_name}"
    prefix             = "staging/"
    compression        = "UNCOMPRESSED" # Parquet compresses its own blocks
    buffering_size_mib = 64             # the least Firehose takes with format conversion
  }

  catalog = {
    database = var.glue_database
    table    = "staging_access_logs"
    parquet  = true
  }
}

output "query" {
  description = "An Athena query over the last day of the prod logs."
  value       = "SELECT status, count(*) FROM ${var.glue_database}.prod_access_logs WHERE dt >= date_format(current_date - interval '1' day, '%Y-%m-%d') GROUP BY status"
}

output "table_arns" {
  value = [
    apigw_access_log_pipeline.json.catalog.table_arn,
    apigw_access_log_pipeline.parquet.catalog.table_arn,
  ]
}
