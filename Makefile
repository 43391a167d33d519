# The two commands a newcomer needs; see README.md.
.PHONY: demo test bench check require-terraform

demo: require-terraform ## The pipeline end to end against a local AWS emulator.
	cargo run --quiet -p acceptance-tests --bin demo

test: require-terraform ## Every test: unit, protocol, and acceptance through the real terraform CLI.
	./acceptance-tests/scripts/install-emulator.sh >/dev/null
	cargo run --quiet -p acceptance-tests --bin contract-report -- --reset
	cargo test --workspace
	cargo run --quiet -p acceptance-tests --bin contract-report

check: ## Formatting and lints, as CI holds them.
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings

require-terraform:
	@command -v terraform >/dev/null 2>&1 || { echo "error: the terraform CLI (>= 1.11) is not on PATH; install it first" >&2; exit 1; }

bench: require-terraform ## Footprint, protocol and at-scale figures of the release binary (about 8 minutes after the build).
	cargo build --release --bin terraform-provider-apigw
	cargo run --quiet -p acceptance-tests --bin bench -- target/release/terraform-provider-apigw
