//! Any configuration (msgpack of the resource's type, unknowns included) through validation
//! and planning: never a panic, and the plan still encodes under the schema.
#![no_main]

use libfuzzer_sys::fuzz_target;
use terraform_provider_apigw::plugin::codec::{decode_msgpack, encode_msgpack};
use terraform_provider_apigw::plugin::diagnostics::Diagnostics;
use terraform_provider_apigw::plugin::framework::{PlanRequest, Provider};
use terraform_provider_apigw::plugin::plan;
use terraform_provider_apigw::plugin::value::Value;
use terraform_provider_apigw::provider::ApigwProvider;

fuzz_target!(|data: &[u8]| {
    let provider = ApigwProvider::default();
    let resource = &provider.resources()[0];
    let schema = resource.schema();
    let ty = schema.value_type();
    let Ok(config) = decode_msgpack(data, &ty) else { return };
    let mut diags = Diagnostics::new();
    schema.validate(&config, &mut diags);
    resource.validate(&config, &mut diags);
    if config.is_null() {
        return;
    }
    let mut planned = plan::apply_schema(schema, &Value::Null, &config, &config);
    let req = PlanRequest { prior: &Value::Null, config: &config, prior_private: &[] };
    resource.modify_plan(&req, &mut planned, &mut diags);
    let _ = plan::replace_paths(schema, &config, &planned);
    encode_msgpack(&planned, &ty).expect("a plan encodes under its schema");
});
