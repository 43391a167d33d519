//! How long AWS's slow phases last, learned from what this provider process has seen: a new
//! role becoming usable by Firehose (IAM propagation), a stream CREATING, a stream DELETING.
//!
//! Waiters share each API's rate budget (`rate.rs`), so a check spent on an object far younger
//! than any seen to be ready only delays the checks that would have succeeded. Each phase keeps
//! the ages at which objects were recently seen still in it, and at which they were seen out of
//! it. An object is not worth a call before it is older than the longest seen still in it:
//! - while nothing has been seen out of the phase (a run's first wave), half as old again, so
//!   that the oldest object probes on a widening schedule and the younger ones hold back;
//! - once objects of about that age were seen out of it, just a little older;
//! - and never longer than 20 s, whatever an outlier taught (`MOST_HELD_BACK`).

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

/// How long an observation counts: phases change with AWS's load, and an estimate that only
/// grew would keep waiters idle long after AWS sped up again.
const MEMORY: Duration = Duration::from_secs(120);
/// Observations kept; older ones are dropped first.
const KEPT: usize = 256;
/// The most an object is held back: one object stuck in a phase (a stream CREATING for
/// minutes) must not keep every other waiter idle for as long; past this age each waiter
/// polls on its own schedule again.
const MOST_HELD_BACK: Duration = Duration::from_secs(20);

/// What was seen of one object.
#[derive(Debug, Clone, Copy)]
struct Sighting {
    at: Instant,
    age: Duration,
    /// Out of the phase (ready, ACTIVE, gone), or still in it.
    out: bool,
}

/// One phase's recent observations.
#[derive(Debug, Default)]
pub struct Phase {
    seen: Mutex<VecDeque<Sighting>>,
}

/// The longest ages recently seen in and out of a phase.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Learned {
    pub longest_in: Duration,
    pub longest_out: Duration,
}

impl Phase {
    /// Records that an object which entered the phase at `entered` was still in it just now.
    pub fn still_in_phase(&self, entered: Instant) {
        self.record(entered, false);
    }

    /// Records that an object which entered the phase at `entered` was out of it just now.
    pub fn out_of_phase(&self, entered: Instant) {
        self.record(entered, true);
    }

    fn record(&self, entered: Instant, out: bool) {
        let at = Instant::now();
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        if seen.len() == KEPT {
            seen.pop_front();
        }
        let age = at.saturating_duration_since(entered);
        seen.push_back(Sighting { at, age, out });
    }

    /// The longest ages seen in and out of the phase, within `MEMORY`.
    pub fn learned(&self) -> Learned {
        let now = Instant::now();
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        while seen
            .front()
            .is_some_and(|s| now.saturating_duration_since(s.at) > MEMORY)
        {
            seen.pop_front();
        }
        let longest = |out: bool| {
            seen.iter()
                .filter(|s| s.out == out)
                .map(|s| s.age)
                .max()
                .unwrap_or_default()
        };
        Learned {
            longest_in: longest(false),
            longest_out: longest(true),
        }
    }

    /// The earliest moment an object that entered the phase at `entered` is worth checking.
    pub fn worth_checking(&self, entered: Instant) -> Instant {
        let Learned {
            longest_in,
            longest_out,
        } = self.learned();
        let held_back = if longest_in.is_zero() {
            Duration::ZERO
        } else if longest_out > longest_in {
            longest_in + margin(longest_in)
        } else {
            longest_in * 3 / 2 + Duration::from_millis(100)
        };
        entered + held_back.min(MOST_HELD_BACK)
    }
}

/// Past the longest age seen, a little more: what the phase lasts varies from one object to
/// the next, and checking an instant after the longest seen would mostly meet the same answer.
fn margin(longest: Duration) -> Duration {
    Duration::from_millis(100) + longest / 20
}

/// The phases the provider waits out.
#[derive(Debug, Default)]
pub struct Phases {
    /// A new role's trust policy reaching Firehose: "unable to assume role".
    pub role_propagation: Phase,
    /// A new stream in status CREATING.
    pub stream_creating: Phase,
    /// A deleted stream in status DELETING.
    pub stream_deleting: Phase,
    /// A stream's encryption in status ENABLING or DISABLING.
    pub encryption_changing: Phase,
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn aged(secs: u64) -> Instant {
        let entered = Instant::now();
        tokio::time::advance(Duration::from_secs(secs)).await;
        entered
    }

    #[tokio::test(start_paused = true)]
    async fn nothing_learned_means_checking_at_once() {
        let phase = Phase::default();
        let entered = Instant::now();
        assert_eq!(phase.worth_checking(entered), entered);
    }

    #[tokio::test(start_paused = true)]
    async fn before_anything_is_out_younger_objects_wait_half_as_long_again() {
        let phase = Phase::default();
        phase.still_in_phase(aged(4).await);
        let young = Instant::now();
        assert_eq!(
            phase.worth_checking(young),
            young + Duration::from_millis(6_100)
        );
        // A shorter sighting does not lower what was learned.
        phase.still_in_phase(aged(1).await);
        assert_eq!(phase.learned().longest_in, Duration::from_secs(4));
    }

    #[tokio::test(start_paused = true)]
    async fn once_objects_come_out_the_others_follow_just_past_the_longest_in() {
        let phase = Phase::default();
        let first = Instant::now();
        tokio::time::advance(Duration::from_secs(4)).await;
        phase.still_in_phase(first);
        tokio::time::advance(Duration::from_secs(2)).await;
        phase.out_of_phase(first);
        let young = Instant::now();
        assert_eq!(
            phase.worth_checking(young),
            young + Duration::from_millis(4_300)
        );
        // Seen in the phase older than anything seen out of it: the phase got longer, and
        // checks spread out again.
        phase.still_in_phase(aged(7).await);
        let young = Instant::now();
        assert_eq!(
            phase.worth_checking(young),
            young + Duration::from_millis(10_600)
        );
    }

    #[tokio::test(start_paused = true)]
    async fn one_object_stuck_in_the_phase_holds_the_others_back_only_so_long() {
        let phase = Phase::default();
        phase.still_in_phase(aged(100).await);
        let young = Instant::now();
        assert_eq!(phase.worth_checking(young), young + MOST_HELD_BACK);
    }

    #[tokio::test(start_paused = true)]
    async fn old_sightings_are_forgotten() {
        let phase = Phase::default();
        phase.still_in_phase(aged(10).await);
        tokio::time::advance(MEMORY + Duration::from_secs(1)).await;
        assert_eq!(phase.learned(), Learned::default());
        let now = Instant::now();
        assert_eq!(phase.worth_checking(now), now);
    }
}
