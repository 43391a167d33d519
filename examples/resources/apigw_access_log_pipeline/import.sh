# The import id is <rest_api_id>/<stage_name>.
terraform import apigw_access_log_pipeline.example a1b2c3d4e5/prod
