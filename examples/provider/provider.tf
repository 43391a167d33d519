terraform {
  required_providers {
    apigw = {
      source = "seed-f9314e3d/apigw"
    }
  }
}

# Credentials come from the standard AWS chain: environment variables, shared files
# (profiles, SSO, credential_process), web identity, then container and instance roles.
provider "apigw" {
  region = "us-east-1"

  default_tags {
    tags = {
      managed-by = "terraform"
    }
  }
}
