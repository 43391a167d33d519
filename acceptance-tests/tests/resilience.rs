//! Resilience of `apigw_access_log_pipeline`: applies killed part-way converge on the next
//! apply without duplicates or orphans, Ctrl-C ends a long wait promptly and leaves state that
//! destroy can clean up, and failures (a stage already taken, a missing bucket or stage, bad
//! input) leave nothing behind. Terraform and the provider talk to moto through the realism
//! proxy, so creates take seconds, as in AWS, and every AWS call is counted.

use std::time::{Duration, Instant};

use acceptance_tests::proxy::{Latency, Proxy, ProxyConfig};
use acceptance_tests::running::{Running, assert_group_gone, group_members};
use acceptance_tests::{
    Block, TfDir, TfOutput, assert_contains, assert_nothing_left, aws, block_on, config, leftovers,
    pipeline, pipeline_to, provider_block, real_aws, s3,
};

const STAGE: &str = "prod";

/// The proxy fronts moto, and these tests reset and inspect the whole emulated account.
fn skipped_on_real_aws() -> bool {
    if real_aws() {
        eprintln!("skipped: the realism proxy only fronts the emulator");
    }
    real_aws()
}

fn one_pipeline_hcl(api: &str, stage: &str, bucket: &str) -> String {
    config(&[pipeline("x", api, stage, &format!("arn:aws:s3:::{bucket}"))])
}

fn stream_of(api: &str) -> String {
    format!("amazon-apigateway-{api}-{STAGE}")
}

fn role_of(api: &str) -> String {
    format!("apigw-logs-us-east-1-{api}-{STAGE}")
}

/// The resources in the local state file, as `address [status]` (empty without a state).
fn state_resources(tf: &TfDir) -> Vec<String> {
    state_resources_in(tf.path())
}

/// The resources in the local state file of directory `dir`, as `address [status]`.
fn state_resources_in(dir: &std::path::Path) -> Vec<String> {
    let Ok(text) = std::fs::read_to_string(dir.join("terraform.tfstate")) else {
        return Vec::new();
    };
    let Ok(state) = serde_json::from_str::<serde_json::Value>(&text) else {
        return vec![format!("(unreadable state: {} bytes)", text.len())];
    };
    let mut out = Vec::new();
    for r in state["resources"].as_array().into_iter().flatten() {
        let addr = format!(
            "{}.{}",
            r["type"].as_str().unwrap_or("?"),
            r["name"].as_str().unwrap_or("?")
        );
        for i in r["instances"].as_array().into_iter().flatten() {
            match i["status"].as_str() {
                Some(status) => out.push(format!("{addr} [{status}]")),
                None => out.push(addr.clone()),
            }
        }
    }
    out
}

fn combined(out: &TfOutput) -> String {
    format!("{}\n{}", out.stdout, out.stderr)
}

// ---------------------------------------------------------------------------------------------
// 1. Killed applies.
// ---------------------------------------------------------------------------------------------

/// splitmix64: a tiny deterministic generator for the kill delays.
fn splitmix(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

const KILL_SEEDS: [u64; 10] = [1, 7, 42, 99, 123, 256, 1009, 4242, 31337, 65537];

/// Kills land between these fractions of an uninterrupted command's duration, measured on this
/// machine: from terraform's start-up to about when the command would end. Run `i` of `runs`
/// kills at a seeded point of the `i`-th of `runs` equal slices, so the runs cover the window.
const KILL_FROM: f64 = 0.05;
const KILL_UNTIL: f64 = 0.98;

fn kill_delay(run: usize, runs: usize, seed: u64, apply_takes: Duration) -> Duration {
    let mut state = seed;
    let unit = (splitmix(&mut state) >> 11) as f64 / (1u64 << 53) as f64;
    let slice = (KILL_UNTIL - KILL_FROM) / runs as f64;
    let fraction = KILL_FROM + slice * (run as f64 + unit);
    Duration::from_millis((apply_takes.as_millis() as f64 * fraction) as u64)
}

/// Streams CREATING for 2 s, IAM lagging 1 s, stage changes settling for 1 s, and latency:
/// an apply takes a few seconds, spread over every step of the create.
fn crash_proxy(seed: u64) -> Proxy {
    Proxy::start(
        ProxyConfig::realistic()
            .seed(seed)
            .creating_phase(Duration::from_secs(2))
            .deleting_phase(Duration::from_secs(1))
            .iam_lag(Duration::from_secs(1))
            .latency(Latency::new(
                Duration::from_millis(20),
                Duration::from_millis(40),
            )),
    )
}

#[test]
fn killed_applies_converge_without_duplicates_or_orphans() {
    if skipped_on_real_aws() {
        return;
    }
    let tf = TfDir::new();
    let aws = block_on(aws());
    let bucket = block_on(aws.create_bucket("crash-logs"));
    let started = Instant::now();
    let mut report = Vec::new();

    // How long an uninterrupted apply takes here, so that the kills land inside one.
    let api = block_on(aws.rest_api_with_stage("crash-api-calibration", STAGE));
    tf.write("main.tf", one_pipeline_hcl(&api, STAGE, &bucket));
    tf.init().success();
    let proxy = crash_proxy(0);
    let timed = Instant::now();
    tf.through(&proxy.endpoint(), "apply").success();
    let apply_takes = timed.elapsed();
    tf.through(&proxy.endpoint(), "destroy").success();
    assert_nothing_left(&aws);
    drop(proxy);
    eprintln!("an uninterrupted apply takes {apply_takes:.2?}");

    for (run, seed) in KILL_SEEDS.into_iter().enumerate() {
        let api = block_on(aws.rest_api_with_stage(&format!("crash-api-{run}"), STAGE));
        tf.write("main.tf", one_pipeline_hcl(&api, STAGE, &bucket));
        let proxy = crash_proxy(seed);
        let endpoint = proxy.endpoint();
        let delay = kill_delay(run, KILL_SEEDS.len(), seed, apply_takes);

        // The apply, killed with its provider after `delay`.
        let mut apply = Running::start(
            &tf,
            &["apply", "-auto-approve", "-input=false", "-no-color"],
            &endpoint,
        );
        let pgid = apply.pid();
        let finished_early = apply.wait_for(delay);
        let providers_at_kill = group_members(pgid)
            .into_iter()
            .filter(|p| p.contains("terraform-prov"))
            .count();
        apply.kill_group();
        let (status, stdout, _) = apply.finish();
        assert_group_gone(pgid, Duration::from_secs(5));
        let (streams_at_kill, roles_at_kill) = leftovers(&aws);
        let state_at_kill = state_resources(&tf);
        let calls_at_kill = proxy.counts();
        // The killed terraform leaves its lock's info file; the lock itself (fcntl) died with
        // it, and the next terraform must not be stopped by the file.
        let stale_lock = tf.path().join(".terraform.tfstate.lock.info").exists();
        let line = format!(
            "run {run} seed {seed}: kill at {delay:.2?}{}; provider processes {providers_at_kill}; \
             at kill: streams {}, roles {}, state {state_at_kill:?}, CreateRole {}, \
             CreateDeliveryStream {}, UpdateStage {}; stale lock {stale_lock}",
            match finished_early {
                Some(s) => format!(" (apply had already ended: {s})"),
                None => String::new(),
            },
            streams_at_kill.len(),
            roles_at_kill.len(),
            calls_at_kill.get("iam:CreateRole").unwrap_or(&0),
            calls_at_kill
                .get("firehose:CreateDeliveryStream")
                .unwrap_or(&0),
            calls_at_kill.get("apigateway:UpdateStage").unwrap_or(&0),
        );
        eprintln!("{line}");
        if finished_early.is_some() {
            eprintln!("  (apply finished before the kill: {status})\n{stdout}");
        }
        report.push(line);

        // The next apply converges: one stream, one owned role, the stage pointing at it.
        let again = tf.through(&endpoint, "apply");
        assert!(
            again.status.success(),
            "run {run} (seed {seed}, killed at {delay:?}): the apply after the kill failed\n\
             state at kill: {state_at_kill:?}\n--- stdout ---\n{}\n--- stderr ---\n{}\n--- calls ---\n{:#?}",
            again.stdout,
            again.stderr,
            proxy.counts()
        );
        let (streams, roles) = leftovers(&aws);
        assert_eq!(
            streams,
            vec![stream_of(&api)],
            "run {run}: streams after the second apply"
        );
        assert_eq!(
            roles,
            vec![role_of(&api)],
            "run {run}: roles after the second apply"
        );
        let stage = block_on(aws.stage_access_log(&api, STAGE));
        assert!(
            stage.as_ref().is_some_and(
                |(arn, _)| arn.ends_with(&format!(":deliverystream/{}", stream_of(&api)))
            ),
            "run {run}: the stage does not log to the stream: {stage:?}"
        );
        assert_eq!(
            state_resources(&tf),
            vec!["apigw_access_log_pipeline.x".to_owned()],
            "run {run}: state after the second apply"
        );
        tf.assert_plan_empty();

        // Destroy leaves nothing.
        let destroyed = tf.through(&endpoint, "destroy");
        assert!(
            destroyed.status.success(),
            "run {run}: destroy failed\n--- stdout ---\n{}\n--- stderr ---\n{}",
            destroyed.stdout,
            destroyed.stderr
        );
        assert_nothing_left(&aws);
        assert_eq!(
            block_on(aws.stage_access_log(&api, STAGE)),
            None,
            "run {run}: destroy left the stage logging"
        );
    }
    eprintln!(
        "{} killed applies converged in {:.1?}:\n{}",
        KILL_SEEDS.len(),
        started.elapsed(),
        report.join("\n")
    );
}

// ---------------------------------------------------------------------------------------------
// 1b. Killed creates, updates and destroys on stages that logged to CloudWatch before.
// ---------------------------------------------------------------------------------------------

/// Working directories run side by side (each its own REST API, proxy and state), and the
/// cycles each runs one after another: every cycle kills one create, one update and one
/// destroy, so each operation is killed at LANES * CYCLES seeded points.
const LANES: usize = 2;
const CYCLES: usize = 10;
/// Runs of a killed operation's command until it succeeds.
const RERUNS: usize = 3;

/// The operation a kill lands in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Create,
    Update,
    Destroy,
}

impl Op {
    const ALL: [Op; 3] = [Op::Create, Op::Update, Op::Destroy];

    fn command(self) -> &'static str {
        match self {
            Op::Create | Op::Update => "apply",
            Op::Destroy => "destroy",
        }
    }
}

/// What the update of a cycle changes: the S3 settings, the format and the tags, or `enabled`
/// from false to true (the stage keeps its CloudWatch destination until then).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Change {
    Settings,
    Enable,
}

/// One cycle's stage and configurations.
struct Cycle {
    number: usize,
    api: String,
    /// What the stage had before the pipeline: (destination, format).
    earlier: (String, String),
    change: Change,
}

const UPDATED_FORMAT: &str = "$context.requestId $context.status updated";
const UPDATED_PREFIX: &str = "updated/";

impl Cycle {
    fn hcl(&self, bucket: &str, updated: bool) -> String {
        let team = |t: &str| Block::object().map("tags", [("team", t)]);
        let extra = match (self.change, updated) {
            (Change::Settings, false) => team("a"),
            (Change::Settings, true) => Block::object()
                .string("format", UPDATED_FORMAT)
                .with(team("b")),
            (Change::Enable, false) => Block::object().expr("enabled", "false").with(team("a")),
            (Change::Enable, true) => Block::object().expr("enabled", "true").with(team("a")),
        };
        let s3 = match (self.change, updated) {
            (Change::Settings, true) => s3(&format!("arn:aws:s3:::{bucket}"))
                .string("prefix", UPDATED_PREFIX)
                .expr("buffering_interval_seconds", "60")
                .string("compression", "UNCOMPRESSED"),
            _ => s3(&format!("arn:aws:s3:::{bucket}")),
        };
        config(&[pipeline_to("x", &self.api, STAGE, s3).with(extra)])
    }
}

/// One working directory of the crash test, with its own proxy.
struct Lane<'a> {
    tf: &'a TfDir,
    aws: &'a acceptance_tests::Aws,
    index: usize,
    bucket: String,
    proxy: Proxy,
    report: Vec<String>,
    /// Re-runs refused as another pipeline's and recovered by `terraform import`.
    imports: usize,
}

impl Lane<'_> {
    fn dir(&self) -> std::path::PathBuf {
        self.tf.path().join(format!("lane{}", self.index))
    }

    fn chdir(&self) -> String {
        format!("-chdir=lane{}", self.index)
    }

    fn tf(&self, args: &[&str]) -> TfOutput {
        let chdir = self.chdir();
        let mut all = vec![chdir.as_str()];
        all.extend_from_slice(args);
        self.tf
            .tf_env(&all, &[("AWS_ENDPOINT_URL", &self.proxy.endpoint())])
    }

    fn run(&self, op: Op) -> TfOutput {
        self.tf(&[op.command(), "-auto-approve", "-input=false", "-no-color"])
    }

    fn write(&self, hcl: &str) {
        self.tf.write(&format!("lane{}/main.tf", self.index), hcl);
    }

    /// A new REST API whose stage logs to a CloudWatch Logs group with a format of its own.
    fn new_cycle(&self, cycle: usize) -> Cycle {
        let name = format!("crash-cw-{}-{cycle}", self.index);
        let api = block_on(self.aws.rest_api_with_stage(&name, STAGE));
        let earlier = (
            format!("arn:aws:logs:us-east-1:123456789012:log-group:{name}"),
            format!("$context.requestId $context.httpMethod {name}"),
        );
        block_on(
            self.aws
                .set_stage_access_log(&api, STAGE, &earlier.0, &earlier.1),
        );
        let change = if cycle % 2 == 0 {
            Change::Settings
        } else {
            Change::Enable
        };
        Cycle {
            number: cycle,
            api,
            earlier,
            change,
        }
    }

    /// What exists of the cycle's pipeline, in a few words.
    fn what_exists(&self, c: &Cycle) -> String {
        let stream = stream_of(&c.api);
        let streams = block_on(self.aws.delivery_stream_names());
        let stream_word = if streams.contains(&stream) {
            let owner = block_on(self.aws.stream_tags(&stream))
                .get("terraform-provider-apigw:pipeline")
                .map(|v| {
                    if v.ends_with(" creating") {
                        "creating"
                    } else {
                        "committed"
                    }
                })
                .unwrap_or("untagged");
            format!("stream {owner}")
        } else {
            "no stream".to_owned()
        };
        let role = if block_on(self.aws.role_names()).contains(&role_of(&c.api)) {
            "role"
        } else {
            "no role"
        };
        let stage = match block_on(self.aws.stage_access_log(&c.api, STAGE)) {
            None => "stage off".to_owned(),
            Some((arn, _)) if arn == c.earlier.0 => "stage earlier".to_owned(),
            Some((arn, _)) if arn.ends_with(&format!(":deliverystream/{stream}")) => {
                "stage on stream".to_owned()
            }
            Some((arn, _)) => format!("stage on {arn}"),
        };
        format!(
            "{stream_word}, {role}, {stage}, state {:?}",
            state_resources_in(&self.dir())
        )
    }

    /// Runs `op`'s command and SIGKILLs it (with its provider) after `delay`; then re-runs it
    /// until it succeeds, at most RERUNS times. Returns the printed line.
    fn kill_and_converge(&mut self, c: &Cycle, op: Op, delay: Duration, takes: Duration) {
        let endpoint = self.proxy.endpoint();
        let chdir = self.chdir();
        let args = [
            chdir.as_str(),
            op.command(),
            "-auto-approve",
            "-input=false",
            "-no-color",
        ];
        let mut killed = Running::start(self.tf, &args, &endpoint);
        let pgid = killed.pid();
        let ended_early = killed.wait_for(delay);
        killed.kill_group();
        let _ = killed.finish();
        assert_group_gone(pgid, Duration::from_secs(5));
        let at_kill = self.what_exists(c);

        let mut reruns = 0;
        let mut notes = Vec::new();
        loop {
            reruns += 1;
            let out = self.run(op);
            if out.status.success() {
                break;
            }
            let text = combined(&out);
            let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
            let refused = flat.contains("belongs to another apigw_access_log_pipeline");
            assert!(
                reruns < RERUNS,
                "lane {} {op:?} of {} (killed at {delay:.2?}, at kill: {at_kill}): {RERUNS} re-runs \
                 did not converge; the last said:\n{text}",
                self.index,
                c.api
            );
            if refused && op == Op::Create && state_resources_in(&self.dir()).is_empty() {
                // The kill fell between the create's last tag write and terraform's state write:
                // the documented recovery is an import of the stage.
                self.imports += 1;
                notes.push("refused as another's: imported".to_owned());
                let import_id = format!("{}/{STAGE}", c.api);
                let imported = self.tf(&[
                    "import",
                    "-input=false",
                    "-no-color",
                    "apigw_access_log_pipeline.x",
                    &import_id,
                ]);
                assert!(
                    imported.status.success(),
                    "lane {}: the import after a refused re-run failed:\n{}",
                    self.index,
                    combined(&imported)
                );
            } else {
                let first = flat
                    .split("Error: ")
                    .nth(1)
                    .map(|e| e.chars().take(160).collect::<String>())
                    .unwrap_or_else(|| flat.chars().take(160).collect());
                notes.push(format!("failed: {first}"));
            }
        }
        let line = format!(
            "lane {} cycle {} ({:?}) {op:?}: kill at {delay:.2?} of {takes:.2?}{}; at kill: {at_kill}; re-runs {reruns}{}",
            self.index,
            c.number,
            c.change,
            if ended_early.is_some() {
                " (had already ended)"
            } else {
                ""
            },
            if notes.is_empty() {
                String::new()
            } else {
                format!(" ({})", notes.join("; "))
            }
        );
        eprintln!("{line}");
        self.report.push(line);
    }

    /// After a create or an update has converged: one stream and one owned role, committed,
    /// carrying the state's pipeline id, and the stage as the configuration says.
    #[track_caller]
    fn assert_applied(&self, c: &Cycle, updated: bool) {
        let stream = stream_of(&c.api);
        let (streams, roles) = leftovers(self.aws);
        let mine = |names: Vec<String>| -> Vec<String> {
            names.into_iter().filter(|n| n.contains(&c.api)).collect()
        };
        assert_eq!(mine(streams), vec![stream.clone()], "{}", c.api);
        assert_eq!(mine(roles), vec![role_of(&c.api)], "{}", c.api);
        assert_eq!(
            state_resources_in(&self.dir()),
            vec!["apigw_access_log_pipeline.x".to_owned()]
        );
        let state: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(self.dir().join("terraform.tfstate")).expect("state"),
        )
        .expect("state JSON");
        let attrs = &state["resources"][0]["instances"][0]["attributes"];
        let tags = block_on(self.aws.stream_tags(&stream));
        assert_eq!(
            tags.get("terraform-provider-apigw:pipeline")
                .map(String::as_str),
            attrs["pipeline_id"].as_str(),
            "the stream's owner tag is the state's pipeline id, committed"
        );
        let team = if updated && c.change == Change::Settings {
            "b"
        } else {
            "a"
        };
        assert_eq!(tags.get("team").map(String::as_str), Some(team));
        let stage = block_on(self.aws.stage_access_log(&c.api, STAGE));
        let enabled = c.change == Change::Settings || updated;
        if enabled {
            let (arn, format) = stage.expect("the stage logs");
            assert!(arn.ends_with(&format!(":deliverystream/{stream}")), "{arn}");
            let settings_updated = updated && c.change == Change::Settings;
            // The stage holds the format with the newline append_newline adds.
            assert_eq!(
                format == format!("{UPDATED_FORMAT}\n"),
                settings_updated,
                "{format}"
            );
        } else {
            assert_eq!(
                stage,
                Some(c.earlier.clone()),
                "a disabled pipeline keeps the stage"
            );
        }
        let described = block_on(
            self.aws
                .firehose
                .describe_delivery_stream()
                .delivery_stream_name(&stream)
                .send(),
        )
        .expect("describe");
        let s3 = described
            .delivery_stream_description()
            .and_then(|d| d.destinations().first())
            .and_then(|d| d.extended_s3_destination_description())
            .expect("an S3 destination");
        let settings_updated = updated && c.change == Change::Settings;
        assert_eq!(
            s3.prefix() == Some(UPDATED_PREFIX),
            settings_updated,
            "prefix {:?}",
            s3.prefix()
        );
    }

    /// After destroy converged: nothing of the cycle's pipeline, and the stage has exactly
    /// what it had before.
    #[track_caller]
    fn assert_destroyed(&self, c: &Cycle) {
        let (streams, roles) = leftovers(self.aws);
        let left: Vec<String> = streams
            .into_iter()
            .chain(roles)
            .filter(|n| n.contains(&c.api))
            .collect();
        assert!(left.is_empty(), "left behind: {left:?}");
        assert!(state_resources_in(&self.dir()).is_empty());
        assert_eq!(
            block_on(self.aws.stage_access_log(&c.api, STAGE)),
            Some(c.earlier.clone()),
            "destroy gives the stage back its earlier destination and format"
        );
    }

    /// An uninterrupted create, update and destroy: how long each takes here.
    fn calibrate(&mut self, bucket: &str) -> [Duration; 3] {
        let c = self.new_cycle(0);
        let mut takes = [Duration::ZERO; 3];
        for (i, op) in Op::ALL.into_iter().enumerate() {
            self.write(&c.hcl(bucket, op != Op::Create));
            let t = Instant::now();
            let out = self.run(op);
            takes[i] = t.elapsed();
            assert!(out.status.success(), "{op:?}: {}", combined(&out));
        }
        self.assert_destroyed(&c);
        takes
    }

    /// The lane's cycles: each kills a create, an update and a destroy and checks each
    /// convergence, the last through a plan that must be empty.
    fn cycles(&mut self) {
        let bucket = self.bucket.clone();
        self.write(&provider_block());
        self.tf(&["init", "-input=false", "-no-color"]).success();
        let takes = self.calibrate(&bucket);
        let line = format!(
            "lane {}: uninterrupted create {:.2?}, update {:.2?}, destroy {:.2?}",
            self.index, takes[0], takes[1], takes[2]
        );
        eprintln!("{line}");
        self.report.push(line);
        for cycle in 0..CYCLES {
            let c = self.new_cycle(cycle + 1);
            let slot = cycle * LANES + self.index;
            for (i, op) in Op::ALL.into_iter().enumerate() {
                let seed = 0xc4a5_0000 + (i as u64) * 1_000 + slot as u64;
                let delay = kill_delay(slot, LANES * CYCLES, seed, takes[i]);
                self.write(&c.hcl(&bucket, op != Op::Create));
                self.kill_and_converge(&c, op, delay, takes[i]);
                match op {
                    Op::Create => self.assert_applied(&c, false),
                    Op::Update => {
                        self.assert_applied(&c, true);
                        let plan =
                            self.tf(&["plan", "-detailed-exitcode", "-input=false", "-no-color"]);
                        assert_eq!(
                            plan.status.code(),
                            Some(0),
                            "lane {} {}: the plan after the update is not empty:\n{}",
                            self.index,
                            c.api,
                            combined(&plan)
                        );
                    }
                    Op::Destroy => self.assert_destroyed(&c),
                }
            }
        }
    }
}

#[test]
fn killed_creates_updates_and_destroys_converge_and_give_the_stage_back() {
    if skipped_on_real_aws() {
        return;
    }
    let tf = TfDir::new();
    let aws = block_on(aws());
    let bucket = block_on(aws.create_bucket("crash-cw-logs"));
    let started = Instant::now();
    let lanes: Vec<Lane> = std::thread::scope(|scope| {
        let running: Vec<_> = (0..LANES)
            .map(|index| {
                let mut lane = Lane {
                    tf: &tf,
                    aws: &aws,
                    index,
                    bucket: bucket.clone(),
                    proxy: crash_proxy(0x1a7e + index as u64),
                    report: Vec::new(),
                    imports: 0,
                };
                scope.spawn(move || {
                    lane.cycles();
                    lane
                })
            })
            .collect();
        running
            .into_iter()
            .map(|t| t.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    });
    for lane in &lanes {
        let breaches = lane.proxy.breaches();
        assert!(breaches.is_empty(), "lane {}: {breaches:?}", lane.index);
    }
    assert_nothing_left(&aws);
    let imports: usize = lanes.iter().map(|l| l.imports).sum();
    eprintln!(
        "{} kills ({} per operation) in {LANES} lanes converged in {:.1?}; {imports} re-runs \
         refused as another pipeline's and recovered by import:\n{}",
        3 * LANES * CYCLES,
        LANES * CYCLES,
        started.elapsed(),
        lanes
            .iter()
            .flat_map(|l| l.report.iter().cloned())
            .collect::<Vec<_>>()
            .join("\n")
    );
}

// ---------------------------------------------------------------------------------------------
// 2. Ctrl-C during a long wait.
// ---------------------------------------------------------------------------------------------

#[test]
fn stop_provider_ends_a_long_wait_promptly() {
    if skipped_on_real_aws() {
        return;
    }
    let tf = TfDir::new();
    let aws = block_on(aws());
    let bucket = block_on(aws.create_bucket("stop-logs"));
    let api = block_on(aws.rest_api_with_stage("stop-api", STAGE));
    tf.write("main.tf", one_pipeline_hcl(&api, STAGE, &bucket));
    tf.init().success();

    let phase = Duration::from_secs(120);
    let proxy = Proxy::start(ProxyConfig::new().creating_phase(phase));
    let mut apply = Running::start(
        &tf,
        &["apply", "-auto-approve", "-input=false", "-no-color"],
        &proxy.endpoint(),
    );
    let pgid = apply.pid();

    // Wait until the provider is polling the CREATING stream.
    let deadline = Instant::now() + Duration::from_secs(60);
    while proxy.count("firehose:DescribeDeliveryStream") == 0 {
        if let Some(status) = apply.wait_for(Duration::from_millis(100)) {
            let (_, out, err) = apply.finish();
            panic!("apply ended ({status}) before waiting for the stream:\n{out}\n{err}");
        }
        assert!(
            Instant::now() < deadline,
            "the provider never described the stream; calls: {:?}",
            proxy.counts()
        );
    }

    // Ctrl-C: terraform asks the provider to stop.
    let interrupted = Instant::now();
    apply.signal(libc::SIGINT);
    let status = apply.wait_for(Duration::from_secs(90));
    let took = interrupted.elapsed();
    let (status_after, stdout, stderr) = apply.finish();
    let status = status.unwrap_or(status_after);
    eprintln!(
        "Ctrl-C during a {phase:?} CREATING wait: terraform exited ({status}) {took:.2?} later; \
         {} DescribeDeliveryStream calls",
        proxy.count("firehose:DescribeDeliveryStream")
    );
    assert!(
        took < Duration::from_secs(60),
        "terraform took {took:?} to stop; the wait was not cancelled\n{stdout}\n{stderr}"
    );
    assert!(!status.success(), "an interrupted apply cannot succeed");
    assert_group_gone(pgid, Duration::from_secs(10));
    let output = format!("{stdout}\n{stderr}");
    assert_contains(&output, "Interrupt received");
    assert_contains(&output, "cancelled: Terraform asked the provider to stop");
    assert_contains(&output, &stream_of(&api));

    // Nothing is orphaned: the state records the partial resource.
    assert_eq!(
        state_resources(&tf),
        vec!["apigw_access_log_pipeline.x [tainted]".to_owned()],
        "state after the interrupted apply"
    );
    let (streams, roles) = leftovers(&aws);
    assert_eq!(streams, vec![stream_of(&api)]);
    assert_eq!(roles, vec![role_of(&api)]);

    // Destroy (once the stream has left CREATING) removes the stream and the role.
    drop(proxy);
    let proxy = Proxy::start(ProxyConfig::new());
    let destroyed = tf.through(&proxy.endpoint(), "destroy");
    assert!(
        destroyed.status.success(),
        "destroy failed\n--- stdout ---\n{}\n--- stderr ---\n{}",
        destroyed.stdout,
        destroyed.stderr
    );
    assert_eq!(proxy.count("firehose:DeleteDeliveryStream"), 1);
    assert_nothing_left(&aws);
    assert!(state_resources(&tf).is_empty());
}

// ---------------------------------------------------------------------------------------------
// 3-5. Failures that must leave nothing (or only the first pipeline) behind.
// ---------------------------------------------------------------------------------------------

#[test]
fn a_second_pipeline_on_the_same_stage_is_refused() {
    if skipped_on_real_aws() {
        return;
    }
    let tf = TfDir::new();
    let aws = block_on(aws());
    let bucket = block_on(aws.create_bucket("shared-logs"));
    let api = block_on(aws.rest_api_with_stage("shared-api", STAGE));
    let bucket_arn = format!("arn:aws:s3:::{bucket}");
    let first = config(&[pipeline("first", &api, STAGE, &bucket_arn)]);
    let second_stream = "amazon-apigateway-second-pipeline";
    let both = first.clone()
        + &pipeline("second", &api, STAGE, &bucket_arn)
            .string("delivery_stream_name", second_stream)
            .depends_on(&["apigw_access_log_pipeline.first"])
            .render();
    tf.write("main.tf", &both);
    tf.init().success();

    let out = tf.apply().failure();
    let text = combined(&out);
    assert_contains(&text, "Error: Stage already has a pipeline");
    assert_contains(&text, &format!("stream {:?}", stream_of(&api)));
    assert_contains(&text, "with apigw_access_log_pipeline.second");

    // The first pipeline is intact; the second made nothing.
    let (streams, roles) = leftovers(&aws);
    assert_eq!(streams, vec![stream_of(&api)]);
    assert_eq!(roles, vec![role_of(&api)]);
    let stage = block_on(aws.stage_access_log(&api, STAGE));
    assert!(
        stage
            .as_ref()
            .is_some_and(|(arn, _)| arn.ends_with(&format!(":deliverystream/{}", stream_of(&api)))),
        "the stage no longer logs to the first pipeline: {stage:?}"
    );
    assert_eq!(
        state_resources(&tf),
        vec!["apigw_access_log_pipeline.first".to_owned()]
    );

    // Without the second, the first needs nothing.
    tf.write("main.tf", &first);
    tf.assert_plan_empty();

    tf.destroy().success();
    assert_nothing_left(&aws);
}

#[test]
fn a_missing_bucket_fails_and_leaves_nothing() {
    if skipped_on_real_aws() {
        return;
    }
    let tf = TfDir::new();
    let aws = block_on(aws());
    let api = block_on(aws.rest_api_with_stage("no-bucket-api", STAGE));
    let missing = "no-such-access-log-bucket";
    tf.write("main.tf", one_pipeline_hcl(&api, STAGE, missing));
    tf.init().success();

    let out = tf.apply().failure();
    let text = combined(&out);
    assert_contains(&text, "Error: Bucket not found");
    assert_contains(&text, &format!("There is no S3 bucket {missing:?}"));
    // The provider attributes the error to s3.bucket_arn, but terraform (1.11) cannot place a
    // path inside a nested attribute's object and quotes the resource's first line instead.
    assert_contains(&text, "with apigw_access_log_pipeline.x");

    assert_nothing_left(&aws);
    assert!(
        state_resources(&tf).is_empty(),
        "state: {:?}",
        state_resources(&tf)
    );
    assert_eq!(block_on(aws.stage_access_log(&api, STAGE)), None);
}

#[test]
fn apply_time_failures_make_no_aws_objects_for_bad_stage() {
    if skipped_on_real_aws() {
        return;
    }
    let tf = TfDir::new();
    let aws = block_on(aws());
    let bucket = block_on(aws.create_bucket("bad-stage-logs"));
    let api = block_on(aws.rest_api_with_stage("bad-stage-api", STAGE));
    tf.write("main.tf", one_pipeline_hcl(&api, "staging", &bucket));
    tf.init().success();

    let out = tf.apply().failure();
    let text = combined(&out);
    assert_contains(&text, "Error: Stage not found");
    assert_contains(&text, &format!("REST API {api:?} has no stage \"staging\""));
    assert_contains(&text, "stage_name  = \"staging\"");

    assert_nothing_left(&aws);
    assert!(
        state_resources(&tf).is_empty(),
        "state: {:?}",
        state_resources(&tf)
    );
}

// ---------------------------------------------------------------------------------------------
// 6. Bad input is refused before any AWS call.
// ---------------------------------------------------------------------------------------------

#[test]
fn bad_input_makes_no_aws_call() {
    if skipped_on_real_aws() {
        return;
    }
    let tf = TfDir::new();
    let proxy = Proxy::start(ProxyConfig::new());
    let endpoint = proxy.endpoint();
    let api = "a1b2c3d4e5";
    let bucket = "arn:aws:s3:::some-logs";
    // (what is wrong, the bucket ARN, arguments inside `s3`, arguments inside the resource,
    // expected)
    let none = Block::object;
    let cases: Vec<(&str, &str, Block, Block, &str)> = vec![
        (
            "a stream name without the prefix",
            bucket,
            none(),
            none().string("delivery_stream_name", "my-stream"),
            r#"delivery_stream_name: must start with "amazon-apigateway-""#,
        ),
        (
            "a buffering size of 0",
            bucket,
            none().expr("buffering_size_mib", "0"),
            none(),
            "s3.buffering_size_mib: must be a whole number from 1 to 128; got 0",
        ),
        (
            "a bucket ARN with a key",
            "arn:aws:s3:::some-logs/and/a/key",
            none(),
            none(),
            "s3.bucket_arn must name a bucket (arn:aws:s3:::bucket-name)",
        ),
        (
            "a format without a request id",
            bucket,
            none(),
            none().string("format", "$context.identity.sourceIp $context.status"),
            "format must contain $context.requestId",
        ),
        (
            "a KMS ARN that is no key",
            bucket,
            none().string(
                "kms_key_arn",
                "arn:aws:kms:us-east-1:123456789012:keyring/logs",
            ),
            none(),
            "s3.kms_key_arn must name a KMS key",
        ),
        (
            "a format with a line break",
            bucket,
            none(),
            none().string("format", "$context.requestId\n$context.status"),
            "format must be a single line",
        ),
        (
            "a bucket name of two characters",
            "arn:aws:s3:::b1",
            none(),
            none(),
            "a bucket name has 3 to 63 characters",
        ),
        (
            "a KMS alias",
            bucket,
            none().string(
                "kms_key_arn",
                "arn:aws:kms:us-east-1:123456789012:alias/logs",
            ),
            none(),
            "s3.kms_key_arn names a KMS alias",
        ),
        (
            "the error output type in the prefix",
            bucket,
            none()
                .string("prefix", "logs/!{firehose:error-output-type}/")
                .string("error_output_prefix", "errors/"),
            none(),
            "may appear only in error_output_prefix",
        ),
        (
            "a tag key with the aws: prefix",
            bucket,
            none(),
            none().map("tags", [("AWS:team", "a")]),
            "keys may not start with \"aws:\"",
        ),
        (
            "a percent sign in a tag of the owned role",
            bucket,
            none(),
            none().map("tags", [("share", "50%")]),
            "IAM does not take '%'",
        ),
    ];
    tf.write("main.tf", one_pipeline_hcl(api, STAGE, "some-logs"));
    tf.init().success();

    for (what, bucket_arn, s3_extra, extra, expected) in cases {
        let hcl =
            config(&[pipeline_to("x", api, STAGE, s3(bucket_arn).with(s3_extra)).with(extra)]);
        tf.write("main.tf", &hcl);
        let out = tf.tf_env(
            &["plan", "-input=false", "-no-color"],
            &[("AWS_ENDPOINT_URL", &endpoint)],
        );
        assert!(
            !out.status.success(),
            "plan with {what} succeeded:\n{}",
            out.stdout
        );
        let text = combined(&out);
        assert_contains(&text, "Error:");
        assert_contains(&text, expected);
        assert_eq!(
            proxy.total(),
            0,
            "plan with {what} called AWS: {:?}",
            proxy.counts()
        );
    }

    // Control: the provider does reach AWS through this proxy when the input is valid.
    tf.write("main.tf", one_pipeline_hcl(api, STAGE, "some-logs"));
    let out = tf.through(&endpoint, "apply");
    assert!(
        !out.status.success(),
        "apply for a missing REST API succeeded"
    );
    assert_contains(&combined(&out), "REST API not found");
    assert!(
        proxy.total() > 0,
        "the valid apply made no call through the proxy: the test could not see calls"
    );
}

#[test]
fn a_stream_name_taken_by_someone_else_is_never_adopted_nor_deleted() {
    if skipped_on_real_aws() {
        return;
    }
    let tf = TfDir::new();
    let aws = block_on(aws());
    let bucket = block_on(aws.create_bucket("taken-name-logs"));
    let api = block_on(aws.rest_api_with_stage("taken-name-api", STAGE));
    let taken = format!("amazon-apigateway-{api}-{STAGE}");
    // Someone else's stream, with the name the pipeline would derive, and no ownership tag.
    block_on(async {
        let destination = aws_sdk_firehose::types::ExtendedS3DestinationConfiguration::builder()
            .role_arn("arn:aws:iam::123456789012:role/someone-elses")
            .bucket_arn(format!("arn:aws:s3:::{bucket}"))
            .build()
            .expect("destination");
        aws.firehose
            .create_delivery_stream()
            .delivery_stream_name(&taken)
            .extended_s3_destination_configuration(destination)
            .send()
            .await
            .expect("someone else's stream");
    });
    tf.write("main.tf", one_pipeline_hcl(&api, STAGE, &bucket));
    tf.init().success();

    let out = tf.apply().failure();
    let text = combined(&out);
    assert_contains(&text, "Error: Delivery stream name taken");
    assert_contains(
        &text,
        &format!("A Firehose stream named {taken:?} already exists"),
    );

    // What the failed apply made (the role) is rolled back at once and nothing is recorded;
    // the other stream is not touched, and a destroy has nothing to do.
    assert!(
        state_resources(&tf).is_empty(),
        "state: {:?}",
        state_resources(&tf)
    );
    tf.destroy().success();
    assert_eq!(block_on(aws.delivery_stream_names()), vec![taken]);
    let roles: Vec<String> = block_on(aws.role_names())
        .into_iter()
        .filter(|r| r.starts_with("apigw-logs-"))
        .collect();
    assert!(roles.is_empty(), "roles left behind: {roles:?}");
    assert_eq!(block_on(aws.stage_access_log(&api, STAGE)), None);
}

#[test]
fn access_denied_names_the_call_and_leaves_nothing_orphaned() {
    if skipped_on_real_aws() {
        return;
    }
    let tf = TfDir::new();
    let aws = block_on(aws());
    let bucket = block_on(aws.create_bucket("denied-logs"));
    let api = block_on(aws.rest_api_with_stage("denied-api", STAGE));
    // The credentials may do everything but create streams.
    let denied = acceptance_tests::proxy::FaultMix {
        throttle: 0,
        server_error: 0,
        reset: 0,
        lost_answer: 0,
        access_denied: 1,
    };
    let proxy = Proxy::start(
        ProxyConfig::new()
            .api_fault_rate("firehose:CreateDeliveryStream", 1.0)
            .fault_mix(denied),
    );
    let endpoint = proxy.endpoint();
    let env = [("AWS_ENDPOINT_URL", endpoint.as_str())];
    tf.write("main.tf", one_pipeline_hcl(&api, STAGE, &bucket));
    tf.init().success();

    let out = tf
        .tf_env(
            &["apply", "-auto-approve", "-input=false", "-no-color"],
            &env,
        )
        .failure();
    let text = combined(&out);
    assert_contains(&text, "Error: Cannot create the delivery stream");
    assert_contains(&text, "AccessDeniedException");
    assert_contains(
        &text,
        "not authorized to perform: firehose:CreateDeliveryStream",
    );
    // Denied is not retried as if IAM were lagging: one attempt.
    assert_eq!(
        proxy.count("firehose:CreateDeliveryStream"),
        1,
        "{:?}",
        proxy.counts()
    );

    // The role made before the denial is rolled back: nothing in AWS, nothing in state.
    assert_nothing_left(&aws);
    assert!(
        state_resources(&tf).is_empty(),
        "state: {:?}",
        state_resources(&tf)
    );
    assert_eq!(block_on(aws.stage_access_log(&api, STAGE)), None);
}
