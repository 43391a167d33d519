terraform {
  required_version = ">= 1.8"
  required_providers {
    apigw = {
      source = "seed-f9314e3d/apigw"
    }
  }
}
