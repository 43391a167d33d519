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
