# The import id is <rest_api_id>/<stage_name>. import blocks need Terraform 1.5, and an id
# built from variables 1.6 or later.
import {
  to = apigw_access_log_pipeline.example
  id = "${var.rest_api_id}/${var.stage_name}"
}
