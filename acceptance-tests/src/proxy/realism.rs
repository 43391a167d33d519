//! What moto does instantly but AWS does not: streams spend time CREATING and DELETING, new
//! IAM roles take time to reach Firehose, and API Gateway refuses a stage change while another
//! change to the same stage is settling.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::rewrite::{role_name_of, set_status};

/// The timing of each behaviour; zero (or `None`) turns it off.
#[derive(Debug, Clone, Default)]
pub(crate) struct RealismConfig {
    pub creating_phase: Duration,
    pub deleting_phase: Duration,
    /// Read by `encryption.rs`, which keeps the encryption state.
    pub encryption_phase: Duration,
    pub iam_lag: Duration,
    pub conflict_window: Option<Duration>,
    pub conflict_first: u32,
}

/// Recent changes to one stage.
#[derive(Debug, Default)]
struct StageActivity {
    in_flight: u32,
    last_done: Option<Instant>,
}

/// The state behind the behaviours, shared by all connections.
#[derive(Debug, Default)]
pub(crate) struct Realism {
    config: RealismConfig,
    /// Stream name -> end of its CREATING phase.
    creating: Mutex<HashMap<String, Instant>>,
    /// Stream name -> end of its DELETING phase and its last description.
    deleting: Mutex<HashMap<String, (Instant, Value)>>,
    /// Role name -> the moment Firehose can assume it.
    roles: Mutex<HashMap<String, Instant>>,
    /// Stage key -> its recent UpdateStage activity.
    stages: Mutex<HashMap<String, StageActivity>>,
    update_stage_calls: AtomicU32,
}

/// Locks a mutex of the proxy's state; a panic elsewhere leaves the state usable.
pub(super) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Realism {
    pub(crate) fn new(config: RealismConfig) -> Realism {
        Realism {
            config,
            ..Realism::default()
        }
    }

    /// A stream was created: it is CREATING for the configured phase.
    pub(crate) fn stream_created(&self, name: &str, now: Instant) {
        lock(&self.deleting).remove(name);
        if !self.config.creating_phase.is_zero() {
            lock(&self.creating).insert(name.to_owned(), now + self.config.creating_phase);
        }
    }

    /// Whether a stream is still in its CREATING phase.
    pub(crate) fn is_creating(&self, name: &str, now: Instant) -> bool {
        let mut creating = lock(&self.creating);
        match creating.get(name) {
            Some(until) if *until > now => true,
            Some(_) => {
                creating.remove(name);
                false
            }
            None => false,
        }
    }

    /// How long a deleted stream shows DELETING.
    pub(crate) fn deleting_phase(&self) -> Duration {
        self.config.deleting_phase
    }

    /// Whether deletes should first read the stream, to describe it while DELETING.
    pub(crate) fn wants_description_before_delete(&self) -> bool {
        !self.config.deleting_phase.is_zero()
    }

    /// A stream was deleted; with its last description it stays visible as DELETING.
    pub(crate) fn stream_deleted(&self, name: &str, description: Option<Value>, now: Instant) {
        lock(&self.creating).remove(name);
        if let Some(mut description) = description {
            if set_status(&mut description, "DELETING") {
                let until = now + self.config.deleting_phase;
                lock(&self.deleting).insert(name.to_owned(), (until, description));
            }
        }
    }

    /// The DELETING description of a stream in its DELETING phase.
    pub(crate) fn deleting_description(&self, name: &str, now: Instant) -> Option<Value> {
        let mut deleting = lock(&self.deleting);
        match deleting.get(name) {
            Some((until, description)) if *until > now => Some(description.clone()),
            Some(_) => {
                deleting.remove(name);
                None
            }
            None => None,
        }
    }

    /// A role (or its policy) changed: Firehose cannot assume it for the configured lag.
    pub(crate) fn role_changed(&self, role_name: &str, now: Instant) {
        if !self.config.iam_lag.is_zero() {
            lock(&self.roles).insert(role_name.to_owned(), now + self.config.iam_lag);
        }
    }

    /// The first of `role_arns` that Firehose cannot assume yet.
    pub(crate) fn lagging_role<'a>(
        &self,
        role_arns: &'a [String],
        now: Instant,
    ) -> Option<&'a str> {
        let roles = lock(&self.roles);
        role_arns
            .iter()
            .find(|arn| {
                roles
                    .get(role_name_of(arn))
                    .is_some_and(|ready| *ready > now)
            })
            .map(String::as_str)
    }

    /// Starts an UpdateStage of `stage`; `None` means API Gateway would answer ConflictException.
    pub(crate) fn begin_update_stage(&self, stage: &str, now: Instant) -> Option<StageChange<'_>> {
        let nth = self.update_stage_calls.fetch_add(1, Ordering::SeqCst);
        if nth < self.config.conflict_first {
            return None;
        }
        let mut stages = lock(&self.stages);
        let activity = stages.entry(stage.to_owned()).or_default();
        if let Some(window) = self.config.conflict_window {
            let recent = activity
                .last_done
                .is_some_and(|done| now.saturating_duration_since(done) < window);
            if activity.in_flight > 0 || recent {
                return None;
            }
        }
        activity.in_flight += 1;
        Some(StageChange {
            realism: self,
            stage: stage.to_owned(),
        })
    }
}

/// An UpdateStage under way; ending it (by drop) records when the stage last changed.
#[derive(Debug)]
pub(crate) struct StageChange<'a> {
    realism: &'a Realism,
    stage: String,
}

impl Drop for StageChange<'_> {
    fn drop(&mut self) {
        let mut stages = lock(&self.realism.stages);
        if let Some(activity) = stages.get_mut(&self.stage) {
            activity.in_flight = activity.in_flight.saturating_sub(1);
            activity.last_done = Some(Instant::now());
        }
    }
}

/// The key of a stage in an API Gateway path (`/restapis/{id}/stages/{name}`).
pub(crate) fn stage_key(path: &str) -> Option<String> {
    match super::classify::path_segments(path).as_slice() {
        ["restapis", api, "stages", stage] => Some(format!("{api}/{stage}")),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phases_end_and_lag_passes() {
        let r = Realism::new(RealismConfig {
            creating_phase: Duration::from_secs(3),
            deleting_phase: Duration::from_secs(3),
            iam_lag: Duration::from_secs(15),
            ..RealismConfig::default()
        });
        let t0 = Instant::now();
        r.stream_created("s", t0);
        assert!(r.is_creating("s", t0 + Duration::from_secs(2)));
        assert!(!r.is_creating("s", t0 + Duration::from_secs(4)));

        let described =
            serde_json::json!({"DeliveryStreamDescription": {"DeliveryStreamStatus": "ACTIVE"}});
        r.stream_deleted("s", Some(described), t0);
        let d = r
            .deleting_description("s", t0 + Duration::from_secs(1))
            .unwrap();
        assert_eq!(
            d["DeliveryStreamDescription"]["DeliveryStreamStatus"],
            "DELETING"
        );
        assert!(
            r.deleting_description("s", t0 + Duration::from_secs(4))
                .is_none()
        );

        r.role_changed("role", t0);
        let arns = vec!["arn:aws:iam::1:role/role".to_owned()];
        assert!(
            r.lagging_role(&arns, t0 + Duration::from_secs(14))
                .is_some()
        );
        assert!(
            r.lagging_role(&arns, t0 + Duration::from_secs(16))
                .is_none()
        );
    }

    #[test]
    fn stage_changes_conflict_while_settling_and_first_k() {
        let r = Realism::new(RealismConfig {
            conflict_window: Some(Duration::from_secs(60)),
            conflict_first: 1,
            ..RealismConfig::default()
        });
        let now = Instant::now();
        assert!(
            r.begin_update_stage("a/prod", now).is_none(),
            "first call conflicts"
        );
        let change = r.begin_update_stage("a/prod", now).expect("second passes");
        assert!(r.begin_update_stage("a/prod", now).is_none(), "in flight");
        assert!(r.begin_update_stage("b/prod", now).is_some(), "other stage");
        drop(change);
        assert!(
            r.begin_update_stage("a/prod", Instant::now()).is_none(),
            "within window"
        );
        assert_eq!(
            stage_key("/restapis/a/stages/prod").as_deref(),
            Some("a/prod")
        );
    }
}
