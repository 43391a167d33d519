variable "rest_api_id" {
  description = "Id of the REST API whose stage is logged."
  type        = string
}

variable "stage_name" {
  description = "Stage whose requests are logged."
  type        = string
  default     = "prod"
}

variable "stream_arn" {
  description = "ARN of a Firehose stream whose name starts with amazon-apigateway-."
  type        = string
}
