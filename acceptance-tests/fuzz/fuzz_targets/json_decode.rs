//! Any bytes, decoded as JSON state under a schema's type: never a panic, and whatever
//! decodes round-trips.
#![no_main]

use libfuzzer_sys::fuzz_target;
use terraform_provider_apigw::plugin::codec::{decode_json, encode_json};
use terraform_provider_apigw::plugin::framework::Provider;
use terraform_provider_apigw::plugin::types::Type;
use terraform_provider_apigw::provider::ApigwProvider;

fuzz_target!(|data: &[u8]| {
    let provider = ApigwProvider::default();
    let types = [provider.resources()[0].schema().value_type(), Type::Dynamic, Type::map(Type::String)];
    let Some((&pick, bytes)) = data.split_first() else { return };
    let ty = &types[usize::from(pick) % types.len()];
    if let Ok(value) = decode_json(bytes, ty) {
        let again = encode_json(&value, ty).expect("a decoded value encodes");
        assert_eq!(decode_json(&again, ty).expect("re-decodes"), value);
    }
});
