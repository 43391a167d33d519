//! `make bench`: footprint and protocol figures of a provider binary, each as the median of
//! repeated runs with min and max. Prints figures; asserts nothing.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use acceptance_tests::block_on;
use acceptance_tests::plugin_client::{ProviderClient, start_plugin, terraform_like_client_cert};
use terraform_provider_apigw::plugin::proto::tfplugin6 as pb;

const STARTS: usize = 30;
const SCHEMA_CALLS: usize = 500;

fn summary(name: &str, mut samples: Vec<Duration>) {
    samples.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "{name:<40} median {:>8.3} ms   min {:>8.3} ms   max {:>8.3} ms   (n={})",
        ms(samples[samples.len() / 2]),
        ms(samples[0]),
        ms(samples[samples.len() - 1]),
        samples.len()
    );
}

fn main() {
    let binary: PathBuf = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            eprintln!("usage: bench <path to terraform-provider-apigw>");
            std::process::exit(2);
        });
    let size = std::fs::metadata(&binary)
        .unwrap_or_else(|e| panic!("{}: {e}", binary.display()))
        .len();
    println!(
        "binary                                   {}",
        binary.display()
    );
    println!(
        "{:<40} {:.2} MiB ({size} bytes)",
        "release binary size",
        size as f64 / (1024.0 * 1024.0)
    );

    let cert = terraform_like_client_cert();
    let mut starts = Vec::with_capacity(STARTS);
    for _ in 0..STARTS {
        let t = Instant::now();
        let plugin = start_plugin(&binary, &cert, "6");
        starts.push(t.elapsed());
        drop(plugin);
    }
    summary("start to handshake line", starts);

    let plugin = start_plugin(&binary, &cert, "6");
    let calls = block_on(async {
        let channel = plugin.connect(&cert).await.expect("mTLS connection");
        let mut client = ProviderClient::new(channel);
        let mut calls = Vec::with_capacity(SCHEMA_CALLS);
        for _ in 0..SCHEMA_CALLS {
            let t = Instant::now();
            client
                .get_provider_schema(pb::get_provider_schema::Request {})
                .await
                .expect("GetProviderSchema");
            calls.push(t.elapsed());
        }
        calls
    });
    summary("GetProviderSchema round trip (mTLS)", calls);
}
