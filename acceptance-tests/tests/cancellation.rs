//! Bounded and cancellable calls, through the real CLI: Ctrl-C (SIGINT to terraform) during
//! each kind of wait ends the apply or destroy long before the operation's own deadline; an
//! endpoint on a closed port is a clear error at once; a panic in one operation is an error
//! diagnostic while the other operations of the same run go on. Each test prints the time
//! it measured; only the bounds that make the behaviour correct are asserted.

use std::time::{Duration, Instant};

use acceptance_tests::proxy::{FaultMix, Latency, Proxy, ProxyConfig, Service};
use acceptance_tests::running::{Running, assert_group_gone};
use terraform_provider_apigw::test_hooks::PANIC_HOOK_VAR;

use acceptance_tests::{
    Aws, Block, TfDir, assert_contains, assert_nothing_left, aws, block_on, emulator_only,
    provider_block,
};

const STAGE: &str = "prod";

/// Every operation's own deadline in these tests; an interrupted one must end well before it.
const DEADLINE: &str = "10m";
/// What "well before the deadline" means here: a bound on correctness, not on speed.
const PROMPT: Duration = Duration::from_secs(120);

const CANCELLED: &str = "cancelled: Terraform asked the provider to stop";

/// Every deadline of a pipeline at [`DEADLINE`]: its `timeouts` object.
fn deadlines() -> Block {
    ["create", "update", "delete"]
        .into_iter()
        .fold(Block::object(), |b, op| b.string(op, DEADLINE))
}

/// A pipeline resource with [`deadlines`]; `extra` goes inside it too.
fn pipeline(name: &str, api: &str, stage: &str, bucket: &str, extra: Block) -> String {
    let bucket_arn = format!("arn:aws:s3:::{bucket}");
    acceptance_tests::pipeline(name, api, stage, &bucket_arn)
        .object_attr("timeouts", deadlines())
        .with(extra)
        .render()
}

/// A working directory with one pipeline on a fresh API and bucket, initialised.
fn one_pipeline(label: &str) -> (TfDir, Aws) {
    let tf = TfDir::new();
    let aws = block_on(aws());
    let bucket = block_on(aws.create_bucket(&format!("{label}-logs")));
    let api = block_on(aws.rest_api_with_stage(&format!("{label}-api"), STAGE));
    tf.write(
        "main.tf",
        provider_block() + &pipeline("x", &api, STAGE, &bucket, Block::object()),
    );
    tf.init().success();
    (tf, aws)
}

/// Runs `terraform <command>` through `proxy`, sends SIGINT once `waiting(proxy)` holds, and
/// returns the time from the signal to terraform's exit with terraform's output. Asserts that
/// the command failed, said why, and ended within [`PROMPT`] with its provider.
fn ctrl_c_when(
    wait: &str,
    tf: &TfDir,
    command: &str,
    proxy: &Proxy,
    waiting: impl Fn(&Proxy) -> bool,
) -> String {
    let mut run = Running::start(
        tf,
        &[command, "-auto-approve", "-input=false", "-no-color"],
        &proxy.endpoint(),
    );
    let pgid = run.pid();
    let reach_by = Instant::now() + Duration::from_secs(90);
    while !waiting(proxy) {
        if let Some(status) = run.wait_for(Duration::from_millis(100)) {
            let (_, out, err) = run.finish();
            panic!("{command} ended ({status}) before {wait}:\n{out}\n{err}");
        }
        assert!(
            Instant::now() < reach_by,
            "the provider never reached {wait}; calls: {:?}",
            proxy.counts()
        );
    }
    // Let the wait settle into its sleep or its request.
    std::thread::sleep(Duration::from_millis(500));
    let signalled = Instant::now();
    run.signal(libc::SIGINT);
    let status = run.wait_for(PROMPT);
    let took = signalled.elapsed();
    let (status_after, stdout, stderr) = run.finish();
    let status = status.unwrap_or(status_after);
    eprintln!("ctrl-c during {wait}: terraform exited ({status}) {took:.2?} after SIGINT");
    let output = format!("{stdout}\n{stderr}");
    assert!(
        took < PROMPT,
        "terraform took {took:?} to stop during {wait}; the deadline is {DEADLINE}\n{output}"
    );
    assert!(!status.success(), "an interrupted {command} cannot succeed");
    assert_group_gone(pgid, Duration::from_secs(10));
    assert_contains(&output, CANCELLED);
    output
}

/// Destroys what an interrupted run left, through a plain proxy, and checks nothing is left.
fn clean_up(tf: &TfDir, aws: &Aws) {
    clean_up_with(tf, aws, &[]);
}

/// [`clean_up`] for a state whose stream is gone while its role is not: a refresh would drop
/// the resource and leave the role (issue 11, "things that vanish take the resource out of
/// state"), so the destroy runs on the state as recorded.
fn clean_up_without_refresh(tf: &TfDir, aws: &Aws) {
    clean_up_with(tf, aws, &["-refresh=false"]);
}

fn clean_up_with(tf: &TfDir, aws: &Aws, extra: &[&str]) {
    let proxy = Proxy::start(ProxyConfig::new());
    let args = [
        &["destroy", "-auto-approve", "-input=false", "-no-color"],
        extra,
    ]
    .concat();
    let destroyed = tf.tf_env(&args, &[("AWS_ENDPOINT_URL", &proxy.endpoint())]);
    assert!(
        destroyed.status.success(),
        "destroy failed\n{}\n{}",
        destroyed.stdout,
        destroyed.stderr
    );
    assert_nothing_left(aws);
}

/// A pipeline applied through a proxy set up by `config`, interrupted once `waiting` holds,
/// then destroyed; returns the interrupted run's output.
fn interrupted_apply(
    label: &str,
    wait: &str,
    config: ProxyConfig,
    waiting: impl Fn(&Proxy) -> bool,
) -> String {
    let (tf, aws) = one_pipeline(label);
    let proxy = Proxy::start(config);
    let output = ctrl_c_when(wait, &tf, "apply", &proxy, waiting);
    drop(proxy);
    clean_up(&tf, &aws);
    output
}

#[test]
fn ctrl_c_while_a_stream_is_creating() {
    if emulator_only() {
        return;
    }
    interrupted_apply(
        "cc-creating",
        "the CREATING waiter",
        ProxyConfig::new().creating_phase(Duration::from_secs(600)),
        |p| p.count("firehose:DescribeDeliveryStream") > 0,
    );
}

#[test]
fn ctrl_c_while_iam_propagates() {
    if emulator_only() {
        return;
    }
    interrupted_apply(
        "cc-iam",
        "the IAM propagation retry",
        ProxyConfig::new().iam_lag(Duration::from_secs(600)),
        |p| p.count("firehose:CreateDeliveryStream") >= 2,
    );
}

#[test]
fn ctrl_c_while_throttled() {
    if emulator_only() {
        return;
    }
    let throttle_only = FaultMix {
        throttle: 1,
        server_error: 0,
        reset: 0,
        lost_answer: 0,
        access_denied: 0,
    };
    let config = ProxyConfig::new()
        .fault_mix(throttle_only)
        .api_fault_rate("firehose:CreateDeliveryStream", 1.0);
    interrupted_apply("cc-throttle", "the throttling retry", config, |p| {
        p.count("firehose:CreateDeliveryStream") >= 3
    });
}

#[test]
fn ctrl_c_while_a_stream_is_deleting() {
    if emulator_only() {
        return;
    }
    let (tf, aws) = one_pipeline("cc-deleting");
    let plain = Proxy::start(ProxyConfig::new());
    let applied = tf.through(&plain.endpoint(), "apply");
    assert!(applied.status.success(), "apply failed\n{}", applied.stderr);
    drop(plain);
    let proxy = Proxy::start(ProxyConfig::new().deleting_phase(Duration::from_secs(600)));
    ctrl_c_when("the DELETING waiter", &tf, "destroy", &proxy, |p| {
        p.count("firehose:DeleteDeliveryStream") > 0
            && p.count("firehose:DescribeDeliveryStream") >= 2
    });
    drop(proxy);
    clean_up(&tf, &aws);
}

#[test]
fn ctrl_c_during_a_black_holed_request() {
    if emulator_only() {
        return;
    }
    let (tf, aws) = one_pipeline("cc-blackhole");
    // Every Firehose call gets its answer only after ten minutes.
    let hole = Latency::new(Duration::from_secs(600), Duration::ZERO);
    let proxy = Proxy::start(ProxyConfig::new().service_latency(Service::Firehose, hole));
    let firehose_calls = |p: &Proxy| {
        p.counts()
            .iter()
            .filter(|(api, _)| api.starts_with("firehose:"))
            .map(|(_, n)| n)
            .sum::<u64>()
    };
    let output = ctrl_c_when("a black-holed request", &tf, "apply", &proxy, |p| {
        firehose_calls(p) > 0
    });
    assert_contains(&output, "during this call");
    drop(proxy);
    // The clean-up after the stop met the same black hole, so the state records the role.
    clean_up_without_refresh(&tf, &aws);
}

#[test]
fn an_endpoint_on_a_closed_port_fails_at_once() {
    if emulator_only() {
        return;
    }
    let (tf, aws) = one_pipeline("closed-port");
    // A port that was free a moment ago and has no listener now.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let endpoint = format!("http://127.0.0.1:{port}");
    let started = Instant::now();
    let applied = tf.through(&endpoint, "apply");
    let took = started.elapsed();
    eprintln!(
        "closed port {port}: terraform apply exited ({}) {took:.2?} after it started",
        applied.status
    );
    assert!(
        !applied.status.success(),
        "no AWS behind the endpoint, yet apply succeeded"
    );
    let output = format!("{}\n{}", applied.stdout, applied.stderr);
    assert_contains(&output, &format!("connection refused to {endpoint}"));
    assert!(
        took < PROMPT,
        "a refused connection took {took:?} to fail: it was retried"
    );
    assert_nothing_left(&aws);
}

#[test]
fn a_panic_is_one_operations_error_and_the_run_goes_on() {
    if emulator_only() {
        return;
    }
    let tf = TfDir::new();
    let aws = block_on(aws());
    let bucket = block_on(aws.create_bucket("panic-logs"));
    let api = block_on(aws.rest_api_with_stage("panic-api", STAGE));
    let calm = "calm";
    let calm_api = block_on(aws.rest_api_with_stage("panic-calm", calm));
    let config = |format: &str| {
        let extra = Block::object().string("format", &format!("{format} $context.requestId"));
        provider_block()
            + &pipeline("panicky", &api, STAGE, &bucket, extra)
            + &pipeline("calm", &calm_api, calm, &bucket, Block::object())
    };
    tf.write("main.tf", config("first"));
    tf.init().success();
    let proxy = Proxy::start(ProxyConfig::new());
    let with_panic = |op: &str, command: &str| {
        let hook = format!("{op}:{STAGE}");
        tf.tf_env(
            &[command, "-auto-approve", "-input=false", "-no-color"],
            &[
                ("AWS_ENDPOINT_URL", &proxy.endpoint()),
                (PANIC_HOOK_VAR, &hook),
            ],
        )
    };

    // Create: the panicking pipeline fails, the other one of the same run is made.
    let created = with_panic("create", "apply");
    let output = format!("{}\n{}", created.stdout, created.stderr);
    assert!(
        !created.status.success(),
        "a panicked create cannot succeed"
    );
    assert_contains(&output, "The provider panicked");
    assert_contains(&output, "creating apigw_access_log_pipeline");
    let state = tf.show_json();
    let addresses: Vec<&str> = state["values"]["root_module"]["resources"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r["address"].as_str())
        .collect();
    assert_eq!(addresses, vec!["apigw_access_log_pipeline.calm"]);

    // Without the hook, the next apply makes it.
    let applied = tf.through(&proxy.endpoint(), "apply");
    assert!(applied.status.success(), "apply failed\n{}", applied.stderr);

    // Update: the panic keeps the prior state, and the stage as it was.
    tf.write("main.tf", config("second"));
    let updated = with_panic("update", "apply");
    assert!(
        !updated.status.success(),
        "a panicked update cannot succeed"
    );
    assert_contains(
        &format!("{}\n{}", updated.stdout, updated.stderr),
        "updating apigw_access_log_pipeline",
    );
    let prior = tf.state_resource("apigw_access_log_pipeline.panicky");
    assert_eq!(
        prior["format"].as_str(),
        Some("first $context.requestId"),
        "the state after a panicked update is the prior one"
    );
    let applied = tf.through(&proxy.endpoint(), "apply");
    assert!(applied.status.success(), "apply failed\n{}", applied.stderr);
    let destroyed = tf.through(&proxy.endpoint(), "destroy");
    assert!(
        destroyed.status.success(),
        "destroy failed\n{}",
        destroyed.stderr
    );
    assert_nothing_left(&aws);
}

#[test]
fn a_create_that_panics_part_way_records_what_it_made() {
    if emulator_only() {
        return;
    }
    let (tf, aws) = one_pipeline("panic-late");
    let proxy = Proxy::start(ProxyConfig::new());
    // The stream and the role exist by the time the stage is to be pointed at the stream.
    let created = tf.tf_env(
        &["apply", "-auto-approve", "-input=false", "-no-color"],
        &[
            ("AWS_ENDPOINT_URL", &proxy.endpoint()),
            (PANIC_HOOK_VAR, "call:apigateway:UpdateStage"),
        ],
    );
    assert!(
        !created.status.success(),
        "a panicked create cannot succeed"
    );
    assert_contains(
        &format!("{}\n{}", created.stdout, created.stderr),
        "The provider panicked",
    );
    let partial = tf.state_resource("apigw_access_log_pipeline.x");
    assert!(
        partial["delivery_stream_arn"].is_string() && partial["role_arn"].is_string(),
        "the state records the stream and role made before the panic: {partial}"
    );
    clean_up(&tf, &aws);
}
