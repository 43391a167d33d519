# Two apigw_access_log_pipeline resources ("orders" and "billing", both on stage "prod")
# moved over to a stream and an attachment each, with nothing written to AWS: the pipeline
# blocks are gone, a `moved` block takes each pipeline to its attachment, and an `import`
# block adopts each pipeline's stream (with its role, log group, table and encryption).
# The plan reads "2 to import, 0 to add, 0 to change, 0 to destroy". After the apply these
# blocks may stay or go.

terraform {
  required_version = ">= 1.8"
  required_providers {
    apigw = {
      source = "seed-f9314e3d/apigw"
    }
  }
}

provider "apigw" {}

variable "orders_api_id" {
  description = "REST API of the orders pipeline."
  type        = string
}

variable "billing_api_id" {
  description = "REST API of the billing pipeline."
  type        = string
}

# Was: apigw_access_log_pipeline "orders" with s3 = { bucket_arn = ... } and the defaults.
resource "apigw_access_log_stream" "orders" {
  name = "amazon-apigateway-${var.orders_api_id}-prod"
  # The pipeline's default format; this resource's own default adds apiId and stage.
  format = provider::apigw::log_format("json")
  s3 = {
    bucket_arn = "arn:aws:s3:::my-access-logs"
  }
}

resource "apigw_stage_access_log" "orders" {
  rest_api_id     = var.orders_api_id
  stage_name      = "prod"
  destination_arn = apigw_access_log_stream.orders.arn
}

moved {
  from = apigw_access_log_pipeline.orders
  to   = apigw_stage_access_log.orders
}

import {
  to = apigw_access_log_stream.orders
  id = "amazon-apigateway-${var.orders_api_id}-prod"
}

# Was: apigw_access_log_pipeline "billing" with its own role, error logging off and a tag.
resource "apigw_access_log_stream" "billing" {
  name     = "amazon-apigateway-${var.billing_api_id}-prod"
  format   = provider::apigw::log_format("json")
  role_arn = "arn:aws:iam::123456789012:role/billing-delivery"
  s3 = {
    bucket_arn = "arn:aws:s3:::my-access-logs"
    prefix     = "billing/"
  }
  error_logging = {
    enabled = false
  }
  tags = {
    team = "billing"
  }
}

resource "apigw_stage_access_log" "billing" {
  rest_api_id     = var.billing_api_id
  stage_name      = "prod"
  destination_arn = apigw_access_log_stream.billing.arn
}

moved {
  from = apigw_access_log_pipeline.billing
  to   = apigw_stage_access_log.billing
}

import {
  to = apigw_access_log_stream.billing
  id = "amazon-apigateway-${var.billing_api_id}-prod"
}
