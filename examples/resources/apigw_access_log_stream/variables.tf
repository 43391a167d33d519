variable "bucket_name" {
  description = "Bucket the access logs of every stage are delivered to."
  type        = string
}
