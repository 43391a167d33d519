# The import id is <rest_api_id>/<stage_name>; the stage must log to a Firehose stream.
terraform import apigw_stage_access_log.example a1b2c3d4e5/prod
