//! Any bytes, decoded as msgpack under a schema's type: never a panic, and whatever decodes
//! re-encodes to a value that decodes to itself.
#![no_main]

use libfuzzer_sys::fuzz_target;
use terraform_provider_apigw::plugin::codec::{decode_msgpack, encode_msgpack};
use terraform_provider_apigw::plugin::framework::Provider;
use terraform_provider_apigw::plugin::types::Type;
use terraform_provider_apigw::provider::ApigwProvider;

fuzz_target!(|data: &[u8]| {
    let provider = ApigwProvider::default();
    let types = [
        provider.resources()[0].schema().value_type(),
        provider.schema().value_type(),
        Type::Dynamic,
        Type::list(Type::map(Type::Number)),
    ];
    let Some((&pick, bytes)) = data.split_first() else { return };
    let ty = &types[usize::from(pick) % types.len()];
    if let Ok(value) = decode_msgpack(bytes, ty) {
        let again = encode_msgpack(&value, ty).expect("a decoded value encodes");
        assert_eq!(decode_msgpack(&again, ty).expect("re-decodes"), value);
    }
});
