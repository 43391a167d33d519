//! A panic in one operation becomes an error diagnostic for that operation, so the plugin
//! keeps serving Terraform's other and later calls.

use std::any::Any;
use std::future::Future;
use std::panic::AssertUnwindSafe;

use futures::FutureExt as _;

use super::diagnostics::Diagnostics;

/// Runs `work`; if it panics, returns the error diagnostic that says so, naming `what` was
/// being done.
pub async fn catch_panic<T>(what: &str, work: impl Future<Output = T>) -> Result<T, Diagnostics> {
    // Unwind safety: what the operation shared (clients, rate limits) holds no invariant a
    // half-done call could break; its own state is dropped with it.
    AssertUnwindSafe(work)
        .catch_unwind()
        .await
        .map_err(|payload| {
            let mut d = Diagnostics::new();
            d.error(
                "The provider panicked",
                format!(
                    "The provider hit a bug while {what} and stopped that operation: {}. \
                 Other operations are not affected. The state keeps what existed when it \
                 stopped; please report this with the provider's log (TF_LOG=debug).",
                    message(payload.as_ref())
                ),
            );
            d
        })
}

fn message(payload: &(dyn Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_panic_is_an_error_diagnostic() {
        let out = catch_panic("testing", async { panic!("boom {}", 7) }).await;
        let diags = out.expect_err("the panic is caught");
        assert!(diags.has_errors());
        let text = format!("{:?}", diags.to_proto());
        assert!(text.contains("boom 7"), "{text}");
        assert!(text.contains("while testing"), "{text}");
    }

    #[tokio::test]
    async fn no_panic_passes_the_result_through() {
        assert_eq!(catch_panic("testing", async { 3 }).await.unwrap(), 3);
    }
}
