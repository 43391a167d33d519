# The import id is the stream's name.
terraform import apigw_access_log_stream.shared amazon-apigateway-shared
