//! Every timeout, retry window and polling interval in one place.

use std::time::Duration;

/// Default operation deadlines, when the resource's `timeouts` leave them unset.
pub const DEFAULT_CREATE_TIMEOUT: Duration = Duration::from_secs(10 * 60);
pub const DEFAULT_UPDATE_TIMEOUT: Duration = Duration::from_secs(10 * 60);
/// As long as the AWS provider gives a Firehose stream's delete (terraform-provider-aws
/// `internal/service/firehose/delivery_stream.go`: `Timeouts` `Delete: 30 * time.Minute`):
/// Firehose says a stream "may remain in the DELETING state for several minutes"
/// (DeleteDeliveryStream, Firehose API Reference), and a stream still CREATING is waited for
/// before it can be deleted at all.
pub const DEFAULT_DELETE_TIMEOUT: Duration = Duration::from_secs(30 * 60);

/// How long a new IAM role may take to become usable by Firehose before we give up.
pub const IAM_PROPAGATION_WINDOW: Duration = Duration::from_secs(2 * 60);
/// How long concurrent changes to a stage or stream are waited out.
pub const CONFLICT_WINDOW: Duration = Duration::from_secs(60);

/// The SDK's bound on opening a connection. AWS's endpoints accept within milliseconds; an
/// endpoint that has not in this time is black-holed or down, and is not retried.
pub const SDK_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// The SDK's bound on one attempt of a call (connect, send, answer). The control-plane calls
/// made here answer in well under a second.
pub const SDK_ATTEMPT_TIMEOUT: Duration = Duration::from_secs(30);
/// The SDK's bound on one call with all its own retries, whatever `max_retries` allows.
pub const SDK_OPERATION_TIMEOUT: Duration = Duration::from_secs(2 * 60);
/// After Terraform's stop or past the operation's deadline, each further AWS call of the
/// operation (its clean-up: removing what it made, or reading what to record) gets at most
/// this long.
pub const AFTER_STOP_CALL_WINDOW: Duration = Duration::from_secs(10);
/// The deadline of a refresh (the resource's `timeouts` has no `read`).
pub const DEFAULT_READ_TIMEOUT: Duration = Duration::from_secs(5 * 60);

/// Backoff between retries of one call: first delay, growth factor and cap.
pub const RETRY_FIRST_DELAY: Duration = Duration::from_millis(200);
pub const RETRY_MAX_DELAY: Duration = Duration::from_secs(5);

/// Polling a stream's status: first delay and cap. Short enough to notice ACTIVE within a
/// second or so, long enough to stay far below Firehose's DescribeDeliveryStream rate limit.
pub const POLL_FIRST_DELAY: Duration = Duration::from_millis(250);
pub const POLL_MAX_DELAY: Duration = Duration::from_secs(1);

/// Grows a delay by half, up to a cap.
pub fn next_delay(current: Duration, cap: Duration) -> Duration {
    (current + current / 2).min(cap)
}
