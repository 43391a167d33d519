# The stage defined with the AWS provider, its access logs with apigw, and a bucket in a
# central log-archive account that lets the pipeline's role deliver.
#
# Needs the hashicorp/aws provider, so the docs tests only format-check this example (they
# run offline); `terraform init` and `validate` work as usual with registry access.

terraform {
  required_version = ">= 1.11"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.0"
    }
    apigw = {
      source = "seed-f9314e3d/apigw"
    }
  }
}

provider "aws" {
  region = "eu-west-1"
}

# The log-archive account, which owns the bucket.
provider "aws" {
  alias  = "archive"
  region = "eu-west-1"

  assume_role {
    role_arn = var.archive_role_arn
  }
}

provider "apigw" {
  region = "eu-west-1"
}

variable "archive_role_arn" {
  description = "A role in the log-archive account that may change the bucket's policy."
  type        = string
}

variable "archive_bucket" {
  description = "Name of the bucket in the log-archive account."
  type        = string
}

resource "aws_api_gateway_rest_api" "api" {
  name = "orders"
}

resource "aws_api_gateway_resource" "orders" {
  rest_api_id = aws_api_gateway_rest_api.api.id
  parent_id   = aws_api_gateway_rest_api.api.root_resource_id
  path_part   = "orders"
}

resource "aws_api_gateway_method" "get" {
  rest_api_id   = aws_api_gateway_rest_api.api.id
  resource_id   = aws_api_gateway_resource.orders.id
  http_method   = "GET"
  authorization = "NONE"
}

resource "aws_api_gateway_integration" "get" {
  rest_api_id = aws_api_gateway_rest_api.api.id
  resource_id = aws_api_gateway_resource.orders.id
  http_method = aws_api_gateway_method.get.http_method
  type        = "MOCK"
}

resource "aws_api_gateway_deployment" "api" {
  rest_api_id = aws_api_gateway_rest_api.api.id
  depends_on  = [aws_api_gateway_integration.get]

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_api_gateway_stage" "prod" {
  rest_api_id   = aws_api_gateway_rest_api.api.id
  deployment_id = aws_api_gateway_deployment.api.id
  stage_name    = "prod"

  # apigw_access_log_pipeline.api owns the stage's access-log settings. Without this, each
  # apply of this stage removes them and the pipeline's next apply puts them back.
  lifecycle {
    ignore_changes = [access_log_settings]
  }
}

resource "apigw_access_log_pipeline" "api" {
  rest_api_id = aws_api_gateway_stage.prod.rest_api_id
  stage_name  = aws_api_gateway_stage.prod.stage_name

  s3 = {
    bucket_arn = "arn:aws:s3:::${var.archive_bucket}"
    prefix     = "apigw/orders/"
  }
}

# The statement the pipeline's role needs, merged with the bucket's other statements.
data "aws_iam_policy_document" "archive_bucket" {
  source_policy_documents = [apigw_access_log_pipeline.api.bucket_policy_json]
}

resource "aws_s3_bucket_policy" "archive" {
  provider = aws.archive
  bucket   = var.archive_bucket
  policy   = data.aws_iam_policy_document.archive_bucket.json
}
