//! A state written by the provider as it was before its internals were rebuilt (commit
//! e5dbb56, through the real CLI against the emulator: a pipeline with a catalog and tags, a
//! shared stream with a catalog, and an attachment on another stage) reads into today's
//! provider and plans no change. `-refresh=false` keeps AWS out of it: what is checked is
//! the state's decoding (UpgradeResourceState), the schema and the plan over that state, which
//! is where a rebuilt model or plan modifier would show a diff.

use std::path::Path;

use acceptance_tests::{TfDir, assert_contains, provider_block};

fn fixture(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/state-e5dbb56")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn a_state_written_before_the_rebuild_plans_no_change() {
    let tf = TfDir::new();
    tf.write("main.tf", provider_block() + &fixture("resources.tf"));
    tf.write("terraform.tfstate", fixture("terraform.tfstate"));
    tf.init().success();
    let out = tf.tf(&["plan", "-refresh=false", "-detailed-exitcode", "-no-color"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "a state of the earlier version plans a change:\n{}{}",
        out.stdout,
        out.stderr
    );
    assert_contains(&out.stdout, "No changes.");
}
