//! The provider binary: started by Terraform (or by hand with `--debug`).

use std::process::ExitCode;
use std::sync::Arc;

use terraform_provider_apigw::plugin::{logging, serve};
use terraform_provider_apigw::provider::ApigwProvider;

const BINARY: &str = "terraform-provider-apigw";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mode = match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        [] => serve::Mode::Managed,
        ["--debug"] => serve::Mode::Debug,
        ["--version" | "-v"] => {
            println!("{BINARY} {}", env!("CARGO_PKG_VERSION"));
            return ExitCode::SUCCESS;
        }
        _ => {
            eprintln!("usage: {BINARY} [--debug | --version]");
            return ExitCode::from(2);
        }
    };
    let env = serve::HandshakeEnv::from_process();
    if mode == serve::Mode::Managed && !env.started_by_terraform() {
        eprint!("{}", serve::not_by_hand_message(BINARY));
        return ExitCode::from(1);
    }
    logging::init();
    // One thread: the provider's work is waiting on Terraform and AWS, and a plan's many small
    // calls are answered sooner without hand-offs between worker threads.
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("{BINARY}: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(serve::serve(Arc::new(ApigwProvider::default()), env, mode)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{BINARY}: {e}");
            ExitCode::from(1)
        }
    }
}
