terraform {
  required_version = ">= 1.8"
  required_providers {
    apigw = {
      source = "seed-f9314e3d/apigw"
    }
  }
}

# The access-log format presets of the API Gateway console: clf, json, xml and csv.
output "clf" {
  value = provider::apigw::log_format("clf")
}

output "json_request_id" {
  value = jsondecode(provider::apigw::log_format("json")).requestId
}
