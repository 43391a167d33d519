//! Retrying calls and polling for states, bounded by deadlines and ended by cancellation.

use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tracing::debug;

use super::error::{AwsError, ErrorKind};
use super::policy::{RETRY_FIRST_DELAY, RETRY_MAX_DELAY, next_delay};

/// Why waiting ended without success.
#[derive(Debug, Clone, thiserror::Error)]
pub enum WaitError {
    #[error(transparent)]
    Aws(#[from] AwsError),
    #[error("timed out after {0:?} {1}")]
    Timeout(Duration, String),
    #[error("cancelled: Terraform asked the provider to stop while {0}")]
    Cancelled(String),
}

impl WaitError {
    pub fn aws(&self) -> Option<&AwsError> {
        match self {
            WaitError::Aws(e) => Some(e),
            _ => None,
        }
    }
}

/// Sleeps for `delay`, or less if the deadline comes first; fails on cancellation.
pub async fn pause(
    delay: Duration,
    deadline: Instant,
    cancel: &CancellationToken,
    doing: &str,
) -> Result<(), WaitError> {
    let until = (Instant::now() + delay).min(deadline);
    tokio::select! {
        _ = cancel.cancelled() => Err(WaitError::Cancelled(doing.to_owned())),
        _ = tokio::time::sleep_until(until) => Ok(()),
    }
}

/// Sleeps until `not_before` names a moment already past, asking it again after each sleep
/// (what it depends on may have moved meanwhile), or until the deadline.
pub async fn pause_until(
    not_before: impl Fn() -> Instant,
    deadline: Instant,
    cancel: &CancellationToken,
    doing: &str,
) -> Result<(), WaitError> {
    loop {
        let wait = not_before().saturating_duration_since(Instant::now());
        if wait.is_zero() || Instant::now() >= deadline {
            return Ok(());
        }
        pause(wait, deadline, cancel, doing).await?;
    }
}

/// Calls `op` until it succeeds, fails with a kind not in `retry_on`, or `window` passes.
pub async fn retry<T, F, Fut>(
    retry_on: &[ErrorKind],
    window: Duration,
    cancel: &CancellationToken,
    doing: &str,
    op: F,
) -> Result<T, WaitError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, AwsError>>,
{
    retry_paced(retry_on, window, cancel, doing, Instant::now, op).await
}

/// [`retry`], making no attempt before the moment `not_before` names, asked afresh before each
/// attempt (what is learned of AWS's delays meanwhile may move it).
pub async fn retry_paced<T, F, Fut>(
    retry_on: &[ErrorKind],
    window: Duration,
    cancel: &CancellationToken,
    doing: &str,
    not_before: impl Fn() -> Instant,
    mut op: F,
) -> Result<T, WaitError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, AwsError>>,
{
    let started = Instant::now();
    // A retry window never outlasts the operation it serves.
    let deadline = match super::call::deadline() {
        Some(operation) => (started + window).min(operation),
        None => started + window,
    };
    let mut delay = RETRY_FIRST_DELAY;
    loop {
        pause_until(&not_before, deadline, cancel, doing).await?;
        match op().await {
            Ok(v) => return Ok(v),
            Err(e) if retry_on.contains(&e.kind) && Instant::now() + delay < deadline => {
                debug!(error = %e, delay_ms = delay.as_millis() as u64, "{doing}: retrying");
                pause(delay, deadline, cancel, doing).await?;
                delay = next_delay(delay, RETRY_MAX_DELAY);
            }
            Err(e) if retry_on.contains(&e.kind) => {
                return Err(WaitError::Timeout(
                    started.elapsed(),
                    format!("{doing}; last error: {e}"),
                ));
            }
            Err(e) => return Err(e.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    fn err(kind: ErrorKind) -> AwsError {
        AwsError {
            kind,
            operation: "test:Op",
            code: None,
            message: "m".into(),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn retries_listed_kinds_until_success() {
        let calls = AtomicU32::new(0);
        let out = retry(
            &[ErrorKind::Conflict],
            Duration::from_secs(60),
            &CancellationToken::new(),
            "t",
            || async {
                if calls.fetch_add(1, Ordering::SeqCst) < 3 {
                    Err(err(ErrorKind::Conflict))
                } else {
                    Ok(7)
                }
            },
        )
        .await;
        assert_eq!(out.unwrap(), 7);
        assert_eq!(calls.load(Ordering::SeqCst), 4);
    }

    #[tokio::test(start_paused = true)]
    async fn other_kinds_fail_at_once_and_windows_end() {
        let out: Result<(), _> = retry(
            &[ErrorKind::Conflict],
            Duration::from_secs(60),
            &CancellationToken::new(),
            "t",
            || async { Err(err(ErrorKind::Fatal)) },
        )
        .await;
        assert!(matches!(out, Err(WaitError::Aws(e)) if e.kind == ErrorKind::Fatal));
        let out: Result<(), _> = retry(
            &[ErrorKind::Conflict],
            Duration::from_secs(5),
            &CancellationToken::new(),
            "t",
            || async { Err(err(ErrorKind::Conflict)) },
        )
        .await;
        assert!(matches!(out, Err(WaitError::Timeout(..))));
    }

    #[tokio::test(start_paused = true)]
    async fn cancellation_ends_the_wait() {
        let cancel = CancellationToken::new();
        cancel.cancel();
        let out: Result<(), _> = retry(
            &[ErrorKind::Conflict],
            Duration::from_secs(60),
            &cancel,
            "waiting",
            || async { Err(err(ErrorKind::Conflict)) },
        )
        .await;
        assert!(matches!(out, Err(WaitError::Cancelled(_))));
    }

    #[tokio::test(start_paused = true)]
    async fn paced_attempts_wait_for_their_moment() {
        let start = Instant::now();
        let calls = std::sync::Mutex::new(Vec::new());
        let out = retry_paced(
            &[ErrorKind::Propagation],
            Duration::from_secs(60),
            &CancellationToken::new(),
            "t",
            || start + Duration::from_secs(3),
            || async {
                let mut calls = calls.lock().unwrap();
                calls.push(start.elapsed());
                if calls.len() < 2 {
                    Err(err(ErrorKind::Propagation))
                } else {
                    Ok(())
                }
            },
        )
        .await;
        assert!(out.is_ok());
        let calls = calls.into_inner().unwrap();
        assert_eq!(calls[0], Duration::from_secs(3));
        assert_eq!(calls[1], Duration::from_secs(3) + RETRY_FIRST_DELAY);
    }
}
