//! Every AWS call goes through here: its turn under the rate limits, then the SDK request, both
//! bounded by the running operation's deadline and ended at once when Terraform asks the
//! provider to stop. Calls begun after the stop or past the deadline (an operation's clean-up)
//! get a short window each.

use std::future::Future;

use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::clients::AwsClients;
use super::error::AwsError;
use super::policy::AFTER_STOP_CALL_WINDOW;

/// The operation a call belongs to: what ends it (Stop) and when it must give up.
#[derive(Clone)]
struct Scope {
    cancel: CancellationToken,
    deadline: Instant,
}

tokio::task_local! {
    static SCOPE: Scope;
}

/// Runs one provider operation: every AWS call and rate-limit wait inside `op` ends when
/// `cancel` fires or `deadline` passes.
pub async fn within<T>(
    cancel: &CancellationToken,
    deadline: Instant,
    op: impl Future<Output = T>,
) -> T {
    let scope = Scope {
        cancel: cancel.clone(),
        deadline,
    };
    SCOPE.scope(scope, Box::pin(op)).await
}

/// The running operation's deadline, if an operation is running.
pub fn deadline() -> Option<Instant> {
    SCOPE.try_with(|s| s.deadline).ok()
}

/// Runs `work` within the running operation's bounds: `Cancelled` on Stop, `DeadlineExceeded`
/// once its deadline passes. Outside an operation, `work` runs unbounded.
async fn bounded<T>(api: &'static str, work: impl Future<Output = T>) -> Result<T, AwsError> {
    // On the heap: the SDK's request futures are large, and each layer of waiting that holds
    // one inline would copy it onto the worker thread's stack again.
    let work = Box::pin(work);
    let Ok(scope) = SCOPE.try_with(Scope::clone) else {
        return Ok(work.await);
    };
    let stopped = scope.cancel.is_cancelled();
    if stopped || Instant::now() >= scope.deadline {
        // A call begun after the stop or past the deadline is the operation cleaning up
        // (undoing or recording what it made, or deleting the owned role after a stream that
        // outlasted the delete timeout, so nothing is orphaned): it may run, briefly.
        let until = Instant::now() + AFTER_STOP_CALL_WINDOW;
        return tokio::time::timeout_at(until, work).await.map_err(|_| {
            if stopped {
                AwsError::cancelled(api)
            } else {
                AwsError::deadline_exceeded(api)
            }
        });
    }
    tokio::select! {
        biased;
        _ = scope.cancel.cancelled() => Err(AwsError::cancelled(api)),
        _ = tokio::time::sleep_until(scope.deadline) => Err(AwsError::deadline_exceeded(api)),
        out = work => Ok(out),
    }
}

/// Waits for `api`'s turn under the shared rate limits, then awaits `request`, both bounded by
/// the running operation. The SDK's own answer is returned as it is, for callers that look at
/// the raw response.
pub async fn turn<T>(
    aws: &AwsClients,
    api: &'static str,
    request: impl Future<Output = T>,
) -> Result<T, AwsError> {
    crate::test_hooks::panic_if_asked(&format!("call:{api}"));
    bounded(api, async {
        aws.slot(api).await;
        request.await
    })
    .await
}

/// [`turn`], with the SDK's error classified; a request that never reached the service says
/// which endpoint and what happened.
pub async fn send<O, E>(
    aws: &AwsClients,
    api: &'static str,
    request: impl Future<Output = Result<O, SdkError<E, HttpResponse>>>,
) -> Result<O, AwsError>
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    turn(aws, api, request)
        .await?
        .map_err(|e| AwsError::from_sdk_at(api, e, &aws.endpoint_of(api)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::error::ErrorKind;
    use std::time::Duration;

    #[tokio::test(start_paused = true)]
    async fn stop_ends_a_call_in_flight() {
        let cancel = CancellationToken::new();
        let far = Instant::now() + Duration::from_secs(600);
        let stopper = cancel.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs(1)).await;
            stopper.cancel();
        });
        let out = within(&cancel, far, bounded("t:Op", std::future::pending::<()>())).await;
        assert!(matches!(out, Err(e) if e.is(ErrorKind::Cancelled)));
    }

    #[tokio::test(start_paused = true)]
    async fn the_deadline_ends_a_call_in_flight() {
        let soon = Instant::now() + Duration::from_secs(3);
        let out = within(
            &CancellationToken::new(),
            soon,
            bounded("t:Op", std::future::pending::<()>()),
        )
        .await;
        assert!(matches!(out, Err(e) if e.is(ErrorKind::DeadlineExceeded)));
        assert!(Instant::now() >= soon);
    }

    #[tokio::test(start_paused = true)]
    async fn calls_after_the_stop_get_a_short_window() {
        let cancel = CancellationToken::new();
        cancel.cancel();
        let far = Instant::now() + Duration::from_secs(600);
        let quick = within(&cancel, far, bounded("t:Op", async { 5 })).await;
        assert_eq!(quick.unwrap(), 5, "a clean-up call runs after the stop");
        let started = Instant::now();
        let stuck = within(&cancel, far, bounded("t:Op", std::future::pending::<()>())).await;
        assert!(matches!(stuck, Err(e) if e.is(ErrorKind::Cancelled)));
        assert_eq!(started.elapsed(), AFTER_STOP_CALL_WINDOW);
    }

    #[tokio::test(start_paused = true)]
    async fn calls_past_the_deadline_get_a_short_window() {
        let past = Instant::now();
        tokio::time::sleep(Duration::from_secs(1)).await;
        let none = CancellationToken::new();
        let quick = within(&none, past, bounded("t:Op", async { 5 })).await;
        assert_eq!(quick.unwrap(), 5, "a clean-up call runs past the deadline");
        let started = Instant::now();
        let stuck = within(&none, past, bounded("t:Op", std::future::pending::<()>())).await;
        assert!(matches!(stuck, Err(e) if e.is(ErrorKind::DeadlineExceeded)));
        assert_eq!(started.elapsed(), AFTER_STOP_CALL_WINDOW);
    }

    #[tokio::test]
    async fn outside_an_operation_calls_are_unbounded() {
        assert_eq!(bounded("t:Op", async { 7 }).await.unwrap(), 7);
        assert!(deadline().is_none());
    }
}
