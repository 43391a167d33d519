//! The provider behind the realism and fault proxy: terraform and the provider talk to moto
//! through `acceptance_tests::proxy`, which delays, refuses, throttles and drops calls the way
//! AWS does. The tests check what users see (applies and destroys that succeed, nothing left
//! behind) and, through the proxy's counts, that the provider waited and retried.

use std::time::{Duration, Instant};

use acceptance_tests::proxy::{FaultMix, Outcome, Proxy, ProxyConfig, RateLimits};
use acceptance_tests::{
    Aws, Block, TfDir, TfOutput, assert_nothing_left, aws, block_on, config, leftovers, pipeline,
    real_aws,
};
use aws_sdk_firehose::config::http::HttpResponse;
use aws_sdk_firehose::error::{ProvideErrorMetadata, SdkError};
use terraform_provider_apigw::aws::error::{AwsError, ErrorKind};

/// The proxy fronts moto; against a real account these tests have nothing to add.
fn skipped_on_real_aws() -> bool {
    if real_aws() {
        eprintln!("skipped: the fault proxy only fronts the emulator");
    }
    real_aws()
}

/// REST APIs deployed to `prod`, a bucket, and the SDK clients (straight to moto) to check
/// what is left.
struct Fixtures {
    aws: Aws,
    bucket: String,
    apis: Vec<String>,
}

fn fixtures(pipelines: usize) -> Fixtures {
    block_on(async {
        let aws = aws().await;
        let bucket = aws.create_bucket("proxied-logs").await;
        let mut apis = Vec::with_capacity(pipelines);
        for i in 0..pipelines {
            apis.push(
                aws.rest_api_with_stage(&format!("proxied-api-{i}"), "prod")
                    .await,
            );
        }
        Fixtures { aws, bucket, apis }
    })
}

/// One pipeline per REST API, all writing to `bucket`.
fn pipelines_hcl(apis: &[String], bucket: &str) -> String {
    let bucket_arn = format!("arn:aws:s3:::{bucket}");
    let pipelines: Vec<Block> = apis
        .iter()
        .enumerate()
        .map(|(i, api)| pipeline(&format!("p{i}"), api, "prod", &bucket_arn))
        .collect();
    config(&pipelines)
}

fn stream_of(api: &str) -> String {
    format!("amazon-apigateway-{api}-prod")
}

/// A working directory with `pipelines` pipelines configured and initialised.
fn workspace(pipelines: usize) -> (TfDir, Fixtures) {
    let tf = TfDir::new();
    let fx = fixtures(pipelines);
    tf.write("main.tf", pipelines_hcl(&fx.apis, &fx.bucket));
    tf.init().success();
    (tf, fx)
}

/// Runs `terraform <command> -auto-approve` with the provider pointed at the proxy; on failure
/// panics with terraform's output and what the proxy injected, per API.
#[track_caller]
fn through(proxy: &Proxy, tf: &TfDir, command: &str) -> (TfOutput, Duration) {
    let started = Instant::now();
    let out = tf.tf_env(
        &[command, "-auto-approve", "-input=false", "-no-color"],
        &[("AWS_ENDPOINT_URL", &proxy.endpoint())],
    );
    let took = started.elapsed();
    if !out.status.success() {
        panic!(
            "`{}` failed through the proxy after {took:.1?}\n--- stderr ---\n{}\n--- stdout (tail) ---\n{}\n\
             --- injected faults by API ---\n{:#?}\n--- calls ---\n{:#?}",
            out.command,
            out.stderr,
            tail(&out.stdout, 30),
            proxy.faults_by_api(),
            proxy.counts()
        );
    }
    (out, took)
}

fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

#[test]
fn with_faults_off_a_pipeline_applies_and_destroys_through_the_proxy() {
    if skipped_on_real_aws() {
        return;
    }
    let (tf, fx) = workspace(1);
    let proxy = Proxy::start(ProxyConfig::new());

    let (apply, _) = through(&proxy, &tf, "apply");
    assert!(
        apply.stdout.contains("1 added"),
        "unexpected apply output:\n{}",
        apply.stdout
    );
    let (streams, roles) = leftovers(&fx.aws);
    assert_eq!(streams, vec![stream_of(&fx.apis[0])]);
    assert_eq!(roles.len(), 1, "{roles:?}");
    let stage = block_on(fx.aws.stage_access_log(&fx.apis[0], "prod"));
    assert!(
        stage.is_some_and(|(arn, _)| arn.ends_with(&stream_of(&fx.apis[0]))),
        "the stage does not log to the stream"
    );

    // Every call went through the proxy and was recognised.
    assert_eq!(proxy.count("firehose:CreateDeliveryStream"), 1);
    assert_eq!(proxy.count("iam:CreateRole"), 1);
    assert_eq!(proxy.count("iam:PutRolePolicy"), 1);
    assert!(proxy.count("apigateway:UpdateStage") >= 1);
    assert!(proxy.count("apigateway:GetStage") >= 1);
    assert!(proxy.count("firehose:DescribeDeliveryStream") >= 1);
    assert!(proxy.count("s3:HeadBucket") >= 1);
    assert!(proxy.count("sts:GetCallerIdentity") >= 1);
    let counts = proxy.counts();
    assert!(
        counts.keys().all(|k| !k.starts_with("unknown:")),
        "unrecognised calls: {counts:?}"
    );
    assert_eq!(proxy.injected().faults(), 0);

    through(&proxy, &tf, "destroy");
    assert_eq!(proxy.count("firehose:DeleteDeliveryStream"), 1);
    assert_eq!(proxy.count("iam:DeleteRole"), 1);
    assert_nothing_left(&fx.aws);
    eprintln!(
        "calls through the proxy ({}): {:?}",
        proxy.total(),
        proxy.counts()
    );
}

#[test]
fn streams_creating_and_deleting_for_3s_are_waited_out() {
    if skipped_on_real_aws() {
        return;
    }
    let (tf, fx) = workspace(1);
    let phase = Duration::from_secs(3);
    let proxy = Proxy::start(
        ProxyConfig::new()
            .creating_phase(phase)
            .deleting_phase(phase),
    );

    let (_, took) = through(&proxy, &tf, "apply");
    let describes = proxy.count("firehose:DescribeDeliveryStream");
    assert!(
        describes > 1,
        "the provider did not poll: {describes} describe(s)"
    );
    assert!(proxy.injected().shown_creating >= 1);
    assert!(
        took >= phase,
        "apply took {took:?}, less than the CREATING phase"
    );

    let before = proxy.count("firehose:DescribeDeliveryStream");
    let (_, took) = through(&proxy, &tf, "destroy");
    assert!(
        proxy.injected().shown_deleting >= 1,
        "the provider did not wait for DELETING to end"
    );
    assert!(proxy.count("firehose:DescribeDeliveryStream") > before + 1);
    assert!(
        took >= phase,
        "destroy took {took:?}, less than the DELETING phase"
    );
    assert_nothing_left(&fx.aws);
}

#[test]
fn iam_lagging_15s_after_role_creation_the_first_apply_succeeds() {
    if skipped_on_real_aws() {
        return;
    }
    let (tf, fx) = workspace(1);
    let lag = Duration::from_secs(15);
    let proxy = Proxy::start(ProxyConfig::new().iam_lag(lag));

    let (_, took) = through(&proxy, &tf, "apply");
    let creates = proxy.count("firehose:CreateDeliveryStream");
    assert!(
        creates > 1,
        "CreateDeliveryStream was not retried ({creates})"
    );
    assert_eq!(proxy.injected().role_not_assumable, creates - 1);
    assert!(took >= lag, "apply took {took:?}, less than the lag");
    let (streams, _) = leftovers(&fx.aws);
    assert_eq!(streams, vec![stream_of(&fx.apis[0])]);

    through(&proxy, &tf, "destroy");
    assert_nothing_left(&fx.aws);
    eprintln!("IAM lag {lag:?}: apply took {took:.1?} with {creates} CreateDeliveryStream calls");
}

/// A wave of pipelines started together meets IAM lag and CREATING/DELETING phases it knows
/// nothing about. Each waiter spends its own polls while nothing is known; once one object is
/// refused at some age, the younger ones hold their calls until they are older than that, so
/// the wave as a whole spends a few calls per pipeline on AWS's delays, not one per backoff
/// step (about 6 refused creates and 5 CREATING descriptions each for these delays).
#[test]
fn a_wave_of_pipelines_learns_aws_delays_instead_of_polling_through_them() {
    if skipped_on_real_aws() {
        return;
    }
    const N: u64 = 8;
    let (tf, fx) = workspace(N as usize);
    let proxy = Proxy::start(
        ProxyConfig::new()
            .iam_lag(Duration::from_secs(4))
            .creating_phase(Duration::from_secs(2))
            .deleting_phase(Duration::from_secs(2)),
    );
    through(&proxy, &tf, "apply");
    let applied = proxy.injected();
    through(&proxy, &tf, "destroy");
    assert_nothing_left(&fx.aws);
    let all = proxy.injected();
    eprintln!(
        "{N} pipelines: {} refused creates, {} CREATING and {} DELETING descriptions; calls {:?}",
        applied.role_not_assumable,
        applied.shown_creating,
        all.shown_deleting,
        proxy.counts()
    );
    assert!(
        applied.role_not_assumable >= 1,
        "the proxy's IAM lag refused no create: the test shows nothing"
    );
    for (what, count) in [
        ("refused creates", applied.role_not_assumable),
        ("CREATING descriptions", applied.shown_creating),
        ("DELETING descriptions", all.shown_deleting),
    ] {
        assert!(
            count <= 2 * N,
            "{count} {what} for {N} pipelines: waiters are not learning from each other"
        );
    }
}

#[test]
fn stage_changes_in_conflict_are_retried() {
    if skipped_on_real_aws() {
        return;
    }
    let (tf, fx) = workspace(1);
    let proxy = Proxy::start(
        ProxyConfig::new()
            .conflict_first(2)
            .conflict_window(Duration::from_millis(500)),
    );

    through(&proxy, &tf, "apply");
    assert_eq!(proxy.injected().conflicts, 2);
    assert_eq!(proxy.count("apigateway:UpdateStage"), 3);
    let stage = block_on(fx.aws.stage_access_log(&fx.apis[0], "prod"));
    assert!(stage.is_some(), "the stage was not pointed at the stream");

    // Destroy follows within the window, so its change may conflict too; either way it is
    // retried until one change goes through.
    through(&proxy, &tf, "destroy");
    let applied_changes = proxy
        .events()
        .iter()
        .filter(|e| e.api == "apigateway:UpdateStage" && e.outcome == Outcome::Forwarded(200))
        .count();
    assert_eq!(applied_changes, 2);
    assert_eq!(
        proxy.count("apigateway:UpdateStage"),
        2 + proxy.injected().conflicts
    );
    assert_eq!(block_on(fx.aws.stage_access_log(&fx.apis[0], "prod")), None);
    assert_nothing_left(&fx.aws);
}

/// Applies and destroys 20 pipelines through a proxy made with `config`; fails (with the
/// evidence) on a failed command or anything left behind, and reports what was injected.
fn twenty_pipelines_through(config: ProxyConfig, label: &str) {
    let (tf, fx) = workspace(20);
    let proxy = Proxy::start(config);

    let (apply, apply_took) = through(&proxy, &tf, "apply");
    assert!(
        apply.stdout.contains("20 added"),
        "unexpected apply output:\n{}",
        tail(&apply.stdout, 20)
    );
    let (streams, roles) = leftovers(&fx.aws);
    assert_eq!((streams.len(), roles.len()), (20, 20));
    let after_apply = proxy.injected();

    let (_, destroy_took) = through(&proxy, &tf, "destroy");
    assert_nothing_left(&fx.aws);

    let i = proxy.injected();
    assert!(i.faults() > 0, "no faults were injected");
    eprintln!(
        "{label}: {} calls, {} failed by the proxy ({} during apply): {} throttled, {} 5xx, \
         {} resets, {} lost answers, {} over rate limits, {} role not assumable, {} conflicts; \
         {} CREATING and {} DELETING descriptions; apply {apply_took:.1?}, destroy {destroy_took:.1?}",
        proxy.total(),
        i.faults(),
        after_apply.faults(),
        i.throttled,
        i.server_errors,
        i.resets,
        i.lost_answers,
        i.rate_limited,
        i.role_not_assumable,
        i.conflicts,
        i.shown_creating,
        i.shown_deleting,
    );
    eprintln!("faults by API: {:#?}", proxy.faults_by_api());
}

#[test]
fn twenty_pipelines_apply_and_destroy_with_a_fifth_of_calls_failing() {
    if skipped_on_real_aws() {
        return;
    }
    // A fifth of the calls throttled, failed with a 5xx or reset (before reaching moto), on
    // top of AWS-like rate limits, CREATING/DELETING phases and IAM lag.
    twenty_pipelines_through(
        ProxyConfig::realistic()
            .seed(0x5EED_F417)
            .fault_rate(0.2)
            .fault_mix(FaultMix::default()),
        "20 pipelines, realistic, 20% faults",
    );
}

/// Resets after the request took effect: the answer is lost and the SDK's retry meets the
/// changed state (a retried iam:CreateRole gets EntityAlreadyExists, a retried
/// firehose:CreateDeliveryStream gets ResourceInUseException). The provider must adopt what
/// it made, and destroy must still remove it.
#[test]
fn twenty_pipelines_survive_lost_answers() {
    if skipped_on_real_aws() {
        return;
    }
    twenty_pipelines_through(
        ProxyConfig::new()
            .seed(1)
            .fault_rate(0.2)
            .fault_mix(FaultMix {
                throttle: 1,
                server_error: 1,
                reset: 1,
                lost_answer: 1,
                access_denied: 0,
            }),
        "20 pipelines, 20% faults with lost answers",
    );
}

/// SDK clients aimed at the proxy, without the SDK's own retries.
struct Direct {
    firehose: aws_sdk_firehose::Client,
    apigateway: aws_sdk_apigateway::Client,
    iam: aws_sdk_iam::Client,
    sts: aws_sdk_sts::Client,
    s3: aws_sdk_s3::Client,
}

async fn direct(proxy: &Proxy) -> Direct {
    let config = acceptance_tests::emulator_sdk_config(&proxy.endpoint(), false).await;
    let s3 = aws_sdk_s3::config::Builder::from(&config)
        .force_path_style(true)
        .build();
    Direct {
        firehose: aws_sdk_firehose::Client::new(&config),
        apigateway: aws_sdk_apigateway::Client::new(&config),
        iam: aws_sdk_iam::Client::new(&config),
        sts: aws_sdk_sts::Client::new(&config),
        s3: aws_sdk_s3::Client::from_conf(s3),
    }
}

/// How the SDK and the provider see a failed call: the provider's error kind, the error code
/// and whether it was an I/O failure.
#[derive(Debug)]
struct Seen {
    kind: ErrorKind,
    code: Option<String>,
    io: bool,
}

fn seen<E, R>(result: Result<R, SdkError<E, HttpResponse>>) -> Seen
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let err = match result {
        Ok(_) => panic!("the call succeeded despite a fault rate of 1"),
        Err(e) => e,
    };
    let io = matches!(&err, SdkError::DispatchFailure(d) if d.is_io());
    let e = AwsError::from_sdk("test:Call", err);
    Seen {
        kind: e.kind,
        code: e.code,
        io,
    }
}

/// One call to each service through a proxy failing every call with `mix`.
fn one_call_each(mix: FaultMix) -> Vec<(&'static str, Seen)> {
    let proxy = Proxy::start(ProxyConfig::new().fault_rate(1.0).fault_mix(mix));
    block_on(async {
        let c = direct(&proxy).await;
        vec![
            (
                "firehose",
                seen(
                    c.firehose
                        .describe_delivery_stream()
                        .delivery_stream_name("s")
                        .send()
                        .await,
                ),
            ),
            (
                "apigateway",
                seen(
                    c.apigateway
                        .get_stage()
                        .rest_api_id("a")
                        .stage_name("prod")
                        .send()
                        .await,
                ),
            ),
            ("iam", seen(c.iam.get_role().role_name("r").send().await)),
            ("sts", seen(c.sts.get_caller_identity().send().await)),
            ("s3", seen(c.s3.head_bucket().bucket("b").send().await)),
        ]
    })
}

#[test]
fn each_fault_reaches_the_sdk_in_the_shape_the_service_uses() {
    if skipped_on_real_aws() {
        return;
    }
    let only = |throttle, server_error, reset, lost_answer| FaultMix {
        throttle,
        server_error,
        reset,
        lost_answer,
        access_denied: 0,
    };

    let codes = |seen: &[(&str, Seen)]| -> Vec<(String, Option<String>)> {
        seen.iter()
            .map(|(s, x)| ((*s).to_owned(), x.code.clone()))
            .collect()
    };
    let throttled = one_call_each(only(1, 0, 0, 0));
    // S3 throttles with a 503 SlowDown, whose code a HEAD answer cannot carry: a 503 is all
    // the provider sees, which it retries as transient.
    let throttling_kind = |service: &str| match service {
        "s3" => ErrorKind::Transient,
        _ => ErrorKind::Throttling,
    };
    assert!(
        throttled.iter().all(|(s, x)| x.kind == throttling_kind(s)),
        "{throttled:#?}"
    );
    let expected = |pairs: &[(&str, Option<&str>)]| -> Vec<(String, Option<String>)> {
        pairs
            .iter()
            .map(|(s, c)| ((*s).to_owned(), c.map(str::to_owned)))
            .collect()
    };
    assert_eq!(
        codes(&throttled),
        expected(&[
            ("firehose", Some("LimitExceededException")),
            ("apigateway", Some("TooManyRequestsException")),
            ("iam", Some("Throttling")),
            ("sts", Some("Throttling")),
            // HEAD answers have no body, so S3 throttling is known by its 503 only.
            ("s3", None),
        ])
    );

    let failed = one_call_each(only(0, 1, 0, 0));
    assert!(
        failed.iter().all(|(_, s)| s.kind == ErrorKind::Transient),
        "{failed:#?}"
    );
    assert_eq!(
        codes(&failed),
        expected(&[
            ("firehose", Some("ServiceUnavailableException")),
            ("apigateway", Some("ServiceUnavailableException")),
            ("iam", Some("ServiceFailure")),
            ("sts", Some("InternalFailure")),
            ("s3", None),
        ])
    );

    // A reset before or after the request took effect looks the same to the client.
    for mix in [only(0, 0, 1, 0), only(0, 0, 0, 1)] {
        let reset = one_call_each(mix);
        assert!(
            reset
                .iter()
                .all(|(_, s)| s.io && s.kind == ErrorKind::Transient),
            "{reset:#?}"
        );
    }
}

#[test]
fn documented_rate_limits_throttle_a_burst_of_describes() {
    if skipped_on_real_aws() {
        return;
    }
    let proxy = Proxy::start(ProxyConfig::new().rate_limits(RateLimits::documented()));
    let kinds: Vec<ErrorKind> = block_on(async {
        let c = direct(&proxy).await;
        let mut calls = tokio::task::JoinSet::new();
        for _ in 0..12 {
            let firehose = c.firehose.clone();
            calls.spawn(async move {
                let result = firehose
                    .describe_delivery_stream()
                    .delivery_stream_name("no-such-stream")
                    .send()
                    .await;
                AwsError::from_sdk("firehose:DescribeDeliveryStream", result.unwrap_err()).kind
            });
        }
        calls.join_all().await
    });
    let throttled = kinds
        .iter()
        .filter(|k| **k == ErrorKind::Throttling)
        .count();
    let answered = kinds.iter().filter(|k| **k == ErrorKind::NotFound).count();
    // 5 per second with a burst of 5: the first five reach moto, the rest are refused.
    assert!(
        (5..=6).contains(&answered) && throttled + answered == 12,
        "{kinds:?}"
    );
    assert_eq!(proxy.injected().rate_limited, throttled as u64);
    assert_eq!(proxy.count("firehose:DescribeDeliveryStream"), 12);
}
