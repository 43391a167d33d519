# The import id is the stream's name. import blocks need Terraform 1.5.
import {
  to = apigw_access_log_stream.shared
  id = "amazon-apigateway-shared"
}
