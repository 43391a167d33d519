//! Points where a debug build panics on request, for the tests of the panic guard. Release
//! builds never read the variable, so no configuration can reach them.

/// The environment variable that names the point to panic at: `<operation>:<stage_name>` at
/// the start of a resource operation (such as `update:prod`), or `call:<api>` just before an
/// AWS call (such as `call:apigateway:UpdateStage`).
pub const PANIC_HOOK_VAR: &str = "TF_APIGW_TEST_PANIC";

/// Panics if [`PANIC_HOOK_VAR`] names `point` (debug builds only).
#[cfg(debug_assertions)]
pub fn panic_if_asked(point: &str) {
    if std::env::var(PANIC_HOOK_VAR).is_ok_and(|v| v == point) {
        panic!("{PANIC_HOOK_VAR} asked for a panic at {point}");
    }
}

/// Does nothing: release builds carry no hook.
#[cfg(not(debug_assertions))]
pub fn panic_if_asked(_: &str) {}
