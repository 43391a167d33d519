variable "rest_api_id" {
  description = "Id of the REST API whose stage is described."
  type        = string
}

variable "stage_name" {
  description = "The stage."
  type        = string
  default     = "prod"
}
