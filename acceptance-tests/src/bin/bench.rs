//! `make bench`: footprint and protocol figures of a provider binary, each as the median of
//! repeated runs with min and max. Prints figures; asserts nothing.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use acceptance_tests::plugin_client::{ProviderClient, start_plugin, terraform_like_client_cert};
use acceptance_tests::proxy::{Event, Outcome, Proxy, ProxyConfig, RateLimits, Scope};
use acceptance_tests::{Block, TfDir, TfOutput, Value, aws, block_on, config, quote, s3};
use terraform_provider_apigw::plugin::proto::tfplugin6 as pb;

const STARTS: usize = 30;
const SCHEMA_CALLS: usize = 500;

fn summary(name: &str, mut samples: Vec<Duration>) {
    samples.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "{name:<40} median {:>8.3} ms   min {:>8.3} ms   max {:>8.3} ms   (n={})",
        ms(samples[samples.len() / 2]),
        ms(samples[0]),
        ms(samples[samples.len() - 1]),
        samples.len()
    );
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(binary) = args.first().map(PathBuf::from) else {
        eprintln!("usage: bench <path to terraform-provider-apigw> [--quick | --parts | --shared]");
        std::process::exit(2);
    };
    let binary = binary
        .canonicalize()
        .unwrap_or_else(|e| panic!("{}: {e}", binary.display()));
    // terraform installs this very binary (not a debug build) for the sections below.
    // SAFETY: no other thread exists yet.
    unsafe { std::env::set_var("APIGW_PROVIDER_BINARY", &binary) };
    let size = std::fs::metadata(&binary)
        .unwrap_or_else(|e| panic!("{}: {e}", binary.display()))
        .len();
    println!(
        "binary                                   {}",
        binary.display()
    );
    println!(
        "{:<40} {:.2} MiB ({size} bytes)",
        "release binary size",
        size as f64 / (1024.0 * 1024.0)
    );

    let cert = terraform_like_client_cert();
    let mut starts = Vec::with_capacity(STARTS);
    for _ in 0..STARTS {
        let t = Instant::now();
        let plugin = start_plugin(&binary, &cert, "6");
        starts.push(t.elapsed());
        drop(plugin);
    }
    summary("start to handshake line", starts);

    let plugin = start_plugin(&binary, &cert, "6");
    let calls = block_on(async {
        let channel = plugin.connect(&cert).await.expect("mTLS connection");
        let mut client = ProviderClient::new(channel);
        let mut calls = Vec::with_capacity(SCHEMA_CALLS);
        for _ in 0..SCHEMA_CALLS {
            let t = Instant::now();
            client
                .get_provider_schema(pb::get_provider_schema::Request {})
                .await
                .expect("GetProviderSchema");
            calls.push(t.elapsed());
        }
        calls
    });
    summary("GetProviderSchema round trip (mTLS)", calls);

    if args.iter().any(|a| a == "--quick") {
        return;
    }
    if args.iter().any(|a| a == "--parts") {
        calls_by_part(&TfDir::new());
        return;
    }
    if args.iter().any(|a| a == "--shared") {
        shared_at_scale(&TfDir::new());
        return;
    }
    let tf = TfDir::new();
    plan_ratio(&tf);
    drop(tf);
    calls_by_part(&TfDir::new());
    at_scale(&TfDir::new());
    shared_at_scale(&TfDir::new());
}

/// Pipelines per configuration in [`calls_by_part`].
const PART_PIPELINES: usize = 4;

/// What each optional part of a pipeline costs in AWS calls: the same few pipelines applied,
/// planned and destroyed through the proxy in configurations that each add one part, with the
/// calls per pipeline by API, and the difference to the configuration before it.
fn calls_by_part(tf: &TfDir) {
    let proxy = Proxy::start(ProxyConfig::new().seed(11));
    let aws = block_on(aws());
    let (api, bucket) = block_on(async {
        let bucket = aws.create_bucket("bench-parts").await;
        let api = aws.rest_api_with_stage("bench-parts-api", "s0").await;
        for i in 1..PART_PIPELINES {
            aws.apigateway
                .create_deployment()
                .rest_api_id(&api)
                .stage_name(format!("s{i}"))
                .send()
                .await
                .expect("stage");
        }
        aws.glue
            .create_database()
            .database_input(
                aws_sdk_glue::types::DatabaseInput::builder()
                    .name("bench_logs")
                    .build()
                    .expect("database input"),
            )
            .send()
            .await
            .expect("glue database");
        (api, bucket)
    });
    // `table` is a template of count.index, so it is an expression, not a quoted string.
    let catalog = Block::object()
        .string("database", "bench_logs")
        .expr("table", "\"logs_${count.index}\"");
    let parts: [(&str, Block, Block); 4] = [
        (
            "no error logging",
            Block::object(),
            Block::object().object_attr("error_logging", Block::object().expr("enabled", "false")),
        ),
        (
            "+ error logging (the default)",
            Block::object(),
            Block::object(),
        ),
        (
            "+ catalog table",
            Block::object(),
            Block::object().object_attr("catalog", catalog.clone()),
        ),
        (
            "+ Parquet conversion",
            Block::object()
                .string("compression", "UNCOMPRESSED")
                .expr("buffering_size_mib", "64"),
            Block::object().object_attr("catalog", catalog.expr("parquet", "true")),
        ),
    ];
    println!(
        "calls per pipeline by part ({PART_PIPELINES} pipelines each; apply / refreshing plan / destroy):"
    );
    let mut before: Option<BTreeMap<String, [f64; 3]>> = None;
    for (name, s3_extra, extra) in parts {
        let pipelines = Block::resource("apigw_access_log_pipeline", "p")
            .count(PART_PIPELINES)
            .string("rest_api_id", &api)
            .expr("stage_name", "\"s${count.index}\"")
            .object_attr("s3", s3(&format!("arn:aws:s3:::{bucket}")).with(s3_extra))
            .with(extra);
        tf.write("main.tf", config(&[pipelines]));
        if before.is_none() {
            tf.init().success();
        }
        let mut per_api: BTreeMap<String, [f64; 3]> = BTreeMap::new();
        for (i, command) in ["apply", "plan", "destroy"].into_iter().enumerate() {
            let run = scale_run(tf, &proxy, command);
            for e in &run.events {
                per_api.entry(e.api.clone()).or_default()[i] += 1.0 / PART_PIPELINES as f64;
            }
        }
        let total = |m: &BTreeMap<String, [f64; 3]>| {
            m.values()
                .fold([0.0; 3], |a, c| [a[0] + c[0], a[1] + c[1], a[2] + c[2]])
        };
        let t = total(&per_api);
        print!("  {name:<32} {:>5.2} / {:>5.2} / {:>5.2}", t[0], t[1], t[2]);
        match &before {
            Some(b) => {
                let bt = total(b);
                println!(
                    "   (adds {:+.2} / {:+.2} / {:+.2})",
                    t[0] - bt[0],
                    t[1] - bt[1],
                    t[2] - bt[2]
                );
                for (api, now) in &per_api {
                    let was = b.get(api).copied().unwrap_or_default();
                    if now != &was {
                        println!(
                            "    {api:<38} {:+.2} / {:+.2} / {:+.2}",
                            now[0] - was[0],
                            now[1] - was[1],
                            now[2] - was[2]
                        );
                    }
                }
            }
            None => println!(),
        }
        before = Some(per_api);
    }
    let breaches = proxy.breaches();
    println!(
        "  AWS contract breaches in these runs: {}{}",
        breaches.len(),
        breaches
            .first()
            .map(|b| format!(" (first: {} {})", b.api, b.rule))
            .unwrap_or_default()
    );
}

/// Median, min and max of a set of seconds.
fn stats(mut samples: Vec<f64>) -> (f64, f64, f64) {
    samples.sort_by(f64::total_cmp);
    (
        samples[samples.len() / 2],
        samples[0],
        samples[samples.len() - 1],
    )
}

/// Wall time of one terraform command, which must succeed.
fn timed(tf: &TfDir, args: &[&str], env: &[(&str, &str)]) -> (f64, TfOutput) {
    let t = Instant::now();
    let out = tf.tf_env(args, env).success();
    (t.elapsed().as_secs_f64(), out)
}

/// `terraform plan -refresh=false` of 200 pipelines against the same plan of 200
/// `terraform_data` resources holding the same values: terraform's own floor. Two floors are
/// printed: one holding the values the pipelines' plan holds (the configuration's and the
/// provider's defaults, such as the JSON log format, which terraform also has to render), and
/// one holding only the configuration's values. The three plans take turns, run after run, so
/// that the machine's drift weighs on each alike.
fn plan_ratio(tf: &TfDir) {
    const N: usize = 200;
    const RUNS: usize = 11;
    let values = Block::object()
        .expr("rest_api_id", "format(\"api%07d\", count.index)")
        .string("stage_name", "prod")
        .object_attr(
            "s3",
            s3("arn:aws:s3:::access-logs").string("prefix", "apigw/"),
        );
    let init = |dir: &str, config: &str| {
        tf.write(&format!("{dir}/main.tf"), config);
        let chdir = format!("-chdir={dir}");
        tf.tf(&[&chdir, "init", "-input=false", "-no-color"])
            .success();
    };
    init(
        "pipelines",
        &config(&[Block::resource("apigw_access_log_pipeline", "p")
            .count(N)
            .with(values.clone())]),
    );
    // The same values: what the pipelines' plan holds (known values), written out for
    // terraform_data with the index-dependent parts as expressions of count.index.
    let planned = planned_objects(tf, "pipelines");
    assert_eq!(planned.len(), N, "one planned object per pipeline");
    init(
        "planned-values",
        &config(&[Block::resource("terraform_data", "p")
            .count(N)
            .value("input", hcl_of(&planned[0], &format!("api{:07}", 0)))]),
    );
    let inputs: Vec<serde_json::Value> = planned_objects(tf, "planned-values")
        .into_iter()
        .map(|after| after["input"].clone())
        .collect();
    assert!(
        inputs == planned,
        "the floor's terraform_data must hold the very values the pipelines' plan holds"
    );
    init(
        "config-values",
        &config(&[Block::resource("terraform_data", "p")
            .count(N)
            .object_attr("input", values)]),
    );

    let dirs = ["pipelines", "planned-values", "config-values"];
    let plan = |dir: &str| {
        let chdir = format!("-chdir={dir}");
        let args = [
            chdir.as_str(),
            "plan",
            "-refresh=false",
            "-input=false",
            "-no-color",
            "-lock=false",
        ];
        timed(tf, &args, &[]).0
    };
    let mut seconds: Vec<Vec<f64>> = vec![Vec::with_capacity(RUNS); dirs.len()];
    for run in 0..=RUNS {
        for (i, dir) in dirs.iter().enumerate() {
            let took = plan(dir);
            // The first round warms the page cache and is not counted.
            if run > 0 {
                seconds[i].push(took);
            }
        }
    }
    let [p, d, c] = [0, 1, 2].map(|i| stats(seconds[i].clone()));
    let row = |name: &str, (med, min, max): (f64, f64, f64)| {
        println!(
            "{name:<40} median {med:>7.3} s   min {min:>7.3} s   max {max:>7.3} s   (n={RUNS})"
        )
    };
    row("plan, 200 pipelines", p);
    row("plan, 200 terraform_data, planned values", d);
    row("plan, 200 terraform_data, config values", c);
    println!(
        "{:<40} {:.3} against the planned values, {:.3} against the config's",
        "plan ratio (medians)",
        p.0 / d.0,
        p.0 / c.0
    );
}

/// The `after` object of every resource change in a saved plan of the configuration in `dir`.
fn planned_objects(tf: &TfDir, dir: &str) -> Vec<serde_json::Value> {
    let chdir = format!("-chdir={dir}");
    let plan = [
        chdir.as_str(),
        "plan",
        "-refresh=false",
        "-input=false",
        "-lock=false",
        "-out=saved.tfplan",
    ];
    tf.tf(&plan).success();
    let shown = tf.tf(&[&chdir, "show", "-json", "saved.tfplan"]).success();
    let shown: serde_json::Value = serde_json::from_str(&shown.stdout).expect("plan JSON");
    shown["resource_changes"]
        .as_array()
        .expect("resource_changes")
        .iter()
        .map(|c| c["change"]["after"].clone())
        .collect()
}

/// An HCL expression for a JSON value, with `indexed` in strings replaced by the same text
/// for each `count.index`.
fn hcl_of(v: &serde_json::Value, indexed: &str) -> Value {
    use serde_json::Value as J;
    match v {
        J::Null => Value::expr("null"),
        J::Bool(b) => Value::expr(b.to_string()),
        J::Number(n) => Value::expr(n.to_string()),
        J::String(s) if s.contains(indexed) => Value::expr(format!(
            "format({}, count.index)",
            quote(&s.replace('%', "%%").replace(indexed, "api%07d"))
        )),
        J::String(s) => Value::str(s),
        J::Array(items) => Value::List(items.iter().map(|i| hcl_of(i, indexed)).collect()),
        J::Object(fields) => Value::Object(
            fields
                .iter()
                .fold(Block::object(), |b, (k, v)| b.value(k, hcl_of(v, indexed))),
        ),
    }
}

/// Peak resident memory and CPU time of every provider process seen while sampling.
#[derive(Default)]
struct ProviderUsage {
    peak_rss_kib: u64,
    cpu_seconds: BTreeMap<u32, f64>,
}

/// Samples /proc every 50 ms for provider processes until `stop` is set.
fn sample_providers(stop: Arc<AtomicBool>) -> std::thread::JoinHandle<ProviderUsage> {
    std::thread::spawn(move || {
        let ticks = 100.0; // USER_HZ on Linux
        let mut usage = ProviderUsage::default();
        while !stop.load(Ordering::Relaxed) {
            for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
                let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
                    continue;
                };
                // The program itself, by argv[0]: the benchmark's own command line names the
                // provider binary too, as its argument.
                let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
                let program = cmdline.split(|b| *b == 0).next().unwrap_or_default();
                let program = String::from_utf8_lossy(program);
                let name = program.rsplit('/').next().unwrap_or_default();
                if pid == std::process::id() || !name.starts_with("terraform-provider-apigw") {
                    continue;
                }
                let status =
                    std::fs::read_to_string(entry.path().join("status")).unwrap_or_default();
                let hwm = status
                    .lines()
                    .find_map(|l| l.strip_prefix("VmHWM:"))
                    .and_then(|v| v.split_whitespace().next()?.parse().ok());
                usage.peak_rss_kib = usage.peak_rss_kib.max(hwm.unwrap_or(0));
                let stat = std::fs::read_to_string(entry.path().join("stat")).unwrap_or_default();
                // Fields after the parenthesised name: utime and stime are the 12th and 13th.
                let fields: Vec<&str> = stat
                    .rsplit(')')
                    .next()
                    .unwrap_or("")
                    .split_whitespace()
                    .collect();
                let cpu = fields
                    .get(11)
                    .zip(fields.get(12))
                    .and_then(|(u, s)| Some(u.parse::<f64>().ok()? + s.parse::<f64>().ok()?));
                if let Some(cpu) = cpu {
                    usage.cpu_seconds.insert(pid, cpu / ticks);
                }
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        usage
    })
}

/// Runs one command while sampling the provider; returns wall seconds, output and usage.
fn measured(tf: &TfDir, args: &[&str], env: &[(&str, &str)]) -> (f64, TfOutput, ProviderUsage) {
    let stop = Arc::new(AtomicBool::new(false));
    let sampler = sample_providers(stop.clone());
    let (secs, out) = timed(tf, args, env);
    stop.store(true, Ordering::Relaxed);
    (secs, out, sampler.join().expect("sampler"))
}

/// Throttling that got past the provider into terraform's output.
fn throttling_reported(out: &TfOutput) -> usize {
    let text = format!("{}{}", out.stdout, out.stderr);
    [
        "Throttl",
        "Rate exceeded",
        "TooManyRequests",
        "LimitExceeded",
    ]
    .iter()
    .map(|w| text.matches(w).count())
    .sum()
}

/// How many pipelines are applied, planned with a refresh and destroyed through the realism
/// proxy, how many at once, and how many times the whole run is repeated.
const SCALE: usize = 100;
const PARALLELISM: usize = 20;
const SCALE_RUNS: usize = 3;

/// What one apply, plan or destroy at scale measured.
struct ScaleRun {
    seconds: f64,
    throttling: usize,
    usage: ProviderUsage,
    /// The proxy's events during the command.
    events: Vec<Event>,
}

/// Runs one terraform command through the proxy, sampling the provider. A plan refreshes (as
/// `terraform plan` does by default) and must find nothing to change.
fn scale_run(tf: &TfDir, proxy: &Proxy, command: &str) -> ScaleRun {
    let endpoint = proxy.endpoint();
    let parallelism = format!("-parallelism={PARALLELISM}");
    let seen = proxy.events().len();
    let mut args = vec![command, "-input=false", "-no-color", &parallelism];
    if command != "plan" {
        args.push("-auto-approve");
    }
    let (seconds, out, usage) = measured(tf, &args, &[("AWS_ENDPOINT_URL", endpoint.as_str())]);
    if command == "plan" && !out.stdout.contains("No changes.") {
        println!("(the refreshing plan was not empty:)\n{}", out.stdout);
    }
    ScaleRun {
        seconds,
        throttling: throttling_reported(&out),
        usage,
        events: proxy.events().split_off(seen),
    }
}

/// Median, min and max of one figure over the runs, in seconds, against the command's floor
/// and against the floor of the calls it made (see [`floor_of_calls_made`]).
fn print_seconds(name: &str, runs: &[&ScaleRun], floor: f64) {
    let n = runs.len();
    let (med, min, max) = stats(runs.iter().map(|r| r.seconds).collect());
    println!(
        "{name:<40} median {med:>7.1} s   min {min:>7.1} s   max {max:>7.1} s   (n={n})   floor {floor:.1} s   ratio {:.2}",
        med / floor
    );
    let (made, binds) = floor_of_calls_made(&runs[0].events);
    println!(
        "{:<40} {made:.1} s ({binds}), ratio {:.2}",
        "  floor of the calls made (first run)",
        runs[0].seconds / made.max(f64::EPSILON)
    );
}

/// The least time the calls one command made need under the proxy's rate limits: for each
/// budget, the calls it admitted beyond its burst at its rate. The busiest budget binds; that
/// and its count are returned. Refused calls took no token and are not counted.
fn floor_of_calls_made(events: &[Event]) -> (f64, String) {
    let limits = RateLimits::documented();
    let mut busiest = (0.0, "no rate-limited calls".to_owned());
    for rule in limits.rules() {
        let (name, prefix) = match &rule.scope {
            Scope::Api(key) => (key.clone(), None),
            Scope::Service(service) => (
                format!("{}:*", service.name()),
                Some(format!("{}:", service.name())),
            ),
        };
        // A service's budget meters every call of that service; an API's only that API.
        let metered = |api: &str| match &prefix {
            Some(prefix) => api.starts_with(prefix.as_str()),
            None => api == name,
        };
        let calls = events
            .iter()
            .filter(|e| e.outcome != Outcome::RateLimited && metered(&e.api))
            .count();
        let seconds = (calls as f64 - rule.burst.max(1.0)).max(0.0) / rule.per_second;
        if seconds > busiest.0 {
            busiest = (seconds, format!("{calls} {name} at {}/s", rule.per_second));
        }
    }
    busiest
}

/// Calls per pipeline by API during one command, with the answers that were not a success.
fn print_calls(phase: &str, events: &[Event]) {
    let mut by_api: BTreeMap<&str, (usize, BTreeMap<String, usize>)> = BTreeMap::new();
    for e in events {
        let entry = by_api.entry(e.api.as_str()).or_default();
        entry.0 += 1;
        if !matches!(e.outcome, Outcome::Forwarded(200..=299)) {
            *entry.1.entry(format!("{:?}", e.outcome)).or_default() += 1;
        }
    }
    println!("calls per pipeline in {phase} (first run), by API:");
    for (api, (count, others)) in by_api {
        let others: Vec<String> = others
            .iter()
            .map(|(outcome, n)| format!("{outcome} {:.2}", *n as f64 / SCALE as f64))
            .collect();
        let others = if others.is_empty() {
            String::new()
        } else {
            format!("   (of which {})", others.join(", "))
        };
        println!("  {api:<38} {:>5.2}{others}", count as f64 / SCALE as f64);
    }
}

/// The least calls per pipeline that any provider must make to each rate-limited budget, and
/// the budget's rate per second (AWS's documented limits, as the proxy enforces them).
/// Apply: the stream created and seen ACTIVE, the role made with its policy, and the stage
/// read (its earlier settings are kept for destroy) and updated.
const APPLY_LEAST_CALLS: &[(&str, f64, f64)] = &[
    ("firehose:CreateDeliveryStream", 1.0, 5.0),
    ("firehose:DescribeDeliveryStream", 1.0, 5.0),
    ("iam:CreateRole", 1.0, 5.0),
    ("iam:PutRolePolicy", 1.0, 5.0),
    ("apigateway:* (GetStage, UpdateStage)", 2.0, 10.0),
];
/// Plan: a refresh reads back everything the pipeline owns, so that drift shows: the stream
/// and its tags (owner and record), the stage, and the owned role with its policy.
const PLAN_LEAST_CALLS: &[(&str, f64, f64)] = &[
    ("firehose:DescribeDeliveryStream", 1.0, 5.0),
    ("firehose:ListTagsForDeliveryStream", 1.0, 5.0),
    ("iam:GetRole", 1.0, 20.0),
    ("iam:GetRolePolicy", 1.0, 20.0),
    ("apigateway:* (GetStage)", 1.0, 10.0),
];
/// Destroy: terraform refreshes first (the stream described with its tags, the stage read),
/// then the stage is given back, the stream deleted and seen gone, and the role deleted.
const DESTROY_LEAST_CALLS: &[(&str, f64, f64)] = &[
    ("firehose:DescribeDeliveryStream", 2.0, 5.0),
    ("firehose:ListTagsForDeliveryStream", 1.0, 5.0),
    ("firehose:DeleteDeliveryStream", 1.0, 5.0),
    ("iam:DeleteRole", 1.0, 5.0),
    ("apigateway:* (GetStage, UpdateStage)", 2.0, 10.0),
];

/// The floor of one command: the longer of the busiest budget's least calls at its rate and
/// `lanes_seconds`, the time the pipelines take one after another in PARALLELISM lanes when
/// each only waits out AWS's phases. Prints which one binds.
fn floor(command: &str, least_calls: &[(&str, f64, f64)], lanes_seconds: f64) -> f64 {
    let (api, busiest) = least_calls
        .iter()
        .map(|(api, per_pipeline, rate)| (*api, per_pipeline * SCALE as f64 / rate))
        .fold(("", 0.0), |a, b| if b.1 > a.1 { b } else { a });
    println!(
        "{:<40} {busiest:.1} s for {api} at AWS's rate, {lanes_seconds:.1} s for the phases in {PARALLELISM} lanes",
        format!("floor of {command}")
    );
    busiest.max(lanes_seconds)
}

/// AWS's phases as the scale runs have them: a stream is CREATING and DELETING for 2 s, and a
/// new role is unknown to Firehose for 5 s.
const CREATING: Duration = Duration::from_secs(2);
const DELETING: Duration = Duration::from_secs(2);
const IAM_LAG: Duration = Duration::from_secs(5);

/// The realism proxy with [`CREATING`], [`DELETING`] and [`IAM_LAG`], a bucket, and a REST API
/// with SCALE stages `s000`, `s001`, ...
fn scale_fixture(seed: u64, api_name: &str, bucket: &str) -> (Proxy, String, String) {
    let proxy = Proxy::start(
        ProxyConfig::realistic()
            .creating_phase(CREATING)
            .deleting_phase(DELETING)
            .iam_lag(IAM_LAG)
            .seed(seed),
    );
    let aws = block_on(aws());
    let (api, bucket) = block_on(async {
        let bucket = aws.create_bucket(bucket).await;
        let api = aws.rest_api_with_stage(api_name, "s000").await;
        for i in 1..SCALE {
            aws.apigateway
                .create_deployment()
                .rest_api_id(&api)
                .stage_name(format!("s{i:03}"))
                .send()
                .await
                .expect("stage");
        }
        (api, bucket)
    });
    (proxy, api, bucket)
}

/// Pipelines applied, planned with a refresh and destroyed at -parallelism=20 through the
/// realism proxy, repeated.
/// moto is started with a raised Firehose stream quota (`scripts/moto_server.py`), as an
/// account running this many pipelines would have.
fn at_scale(tf: &TfDir) {
    let (proxy, api, bucket) = scale_fixture(7, "bench-api", "bench-access-logs");
    let pipelines = Block::resource("apigw_access_log_pipeline", "p")
        .count(SCALE)
        .string("rest_api_id", &api)
        .expr("stage_name", "format(\"s%03d\", count.index)")
        .object_attr("s3", s3(&format!("arn:aws:s3:::{bucket}")));
    tf.write("main.tf", config(&[pipelines]));
    tf.init().success();
    let runs: Vec<[ScaleRun; 3]> = (0..SCALE_RUNS)
        .map(|_| {
            let apply = scale_run(tf, &proxy, "apply");
            let plan = scale_run(tf, &proxy, "plan");
            let destroy = scale_run(tf, &proxy, "destroy");
            [apply, plan, destroy]
        })
        .collect();
    let of = |i: usize| runs.iter().map(|r| &r[i]).collect::<Vec<_>>();

    let lanes = SCALE.div_ceil(PARALLELISM) as f64;
    let apply_floor = floor(
        "apply",
        APPLY_LEAST_CALLS,
        lanes * (IAM_LAG + CREATING).as_secs_f64(),
    );
    let plan_floor = floor("plan (refresh)", PLAN_LEAST_CALLS, 0.0);
    let destroy_floor = floor(
        "destroy",
        DESTROY_LEAST_CALLS,
        lanes * DELETING.as_secs_f64(),
    );
    let label = |what: &str| format!("{what}, {SCALE} pipelines, parallelism {PARALLELISM}");
    print_seconds(&label("apply"), &of(0), apply_floor);
    print_seconds(&label("plan"), &of(1), plan_floor);
    print_seconds(&label("destroy"), &of(2), destroy_floor);
    let sum = |f: &dyn Fn(&ScaleRun) -> usize| runs.iter().flatten().map(f).sum::<usize>();
    println!(
        "{:<40} {} in all {SCALE_RUNS} runs",
        "throttling errors reaching terraform",
        sum(&|r| r.throttling)
    );
    let refused = sum(&|r| {
        r.events
            .iter()
            .filter(|e| e.outcome == Outcome::RateLimited)
            .count()
    });
    println!(
        "{:<40} {refused} rate-limited, {} calls in all",
        "what the proxy refused / saw",
        proxy.total()
    );
    // Every call also passed the proxy's contract layer: AWS would have refused none of them.
    let breaches = proxy.breaches();
    println!(
        "{:<40} {}{}",
        "AWS contract breaches",
        breaches.len(),
        breaches
            .first()
            .map(|b| format!(" (first: {} {})", b.api, b.rule))
            .unwrap_or_default()
    );
    let peak = runs
        .iter()
        .flatten()
        .map(|r| r.usage.peak_rss_kib)
        .max()
        .unwrap_or(0) as f64
        / 1024.0;
    println!("{:<40} {peak:.1} MiB", "provider peak RSS");
    let cpu = |u: &ProviderUsage| u.cpu_seconds.values().sum::<f64>();
    let [apply_cpu, plan_cpu, destroy_cpu] =
        [0, 1, 2].map(|i| stats(of(i).iter().map(|r| cpu(&r.usage)).collect()).0);
    println!(
        "{:<40} median {apply_cpu:.2} s in apply, {plan_cpu:.2} s in plan, {destroy_cpu:.2} s in destroy",
        "provider CPU time"
    );
    print_calls("apply", &runs[0][0].events);
    print_calls("plan (refresh)", &runs[0][1].events);
    print_calls("destroy", &runs[0][2].events);

    // Waiter lag: from each stream turning ACTIVE (its creation plus the CREATING phase) to
    // its stage being pointed at it, over every apply.
    let mut lags = Vec::new();
    for events in runs.iter().map(|r| &r[0].events) {
        for i in 0..SCALE {
            let stream = format!("amazon-apigateway-{api}-s{i:03}");
            let stage = format!("{api}/s{i:03}");
            let created = events.iter().find(|e| {
                e.api == "firehose:CreateDeliveryStream"
                    && e.subject.as_deref() == Some(&stream)
                    && e.outcome == Outcome::Forwarded(200)
            });
            let Some(created) = created else { continue };
            let active = created.at + CREATING;
            let pointed = events.iter().find(|e| {
                e.api == "apigateway:UpdateStage"
                    && e.subject.as_deref() == Some(&stage)
                    && e.at >= active
                    && e.outcome == Outcome::Forwarded(200)
            });
            if let Some(pointed) = pointed {
                lags.push((pointed.at - active).as_secs_f64());
            }
        }
    }
    if lags.is_empty() {
        println!(
            "{:<40} no stream was followed from ACTIVE to its stage update",
            "waiter lag"
        );
    } else {
        let count = lags.len();
        let (med, min, max) = stats(lags);
        println!(
            "{:<40} median {med:>7.3} s   min {min:>7.3} s   max {max:>7.3} s   (n={count})",
            "waiter lag, ACTIVE to stage update"
        );
    }
}

/// How many times the shared-stream run (apply, plan, destroy) is repeated.
const SHARED_RUNS: usize = 2;

/// The least calls per stage any provider must make when a stage is pointed at a stream that
/// already exists: apply reads the stage (its earlier settings are kept for destroy) and
/// updates it; a refresh reads it; destroy reads it and updates it back. API Gateway's calls
/// share one budget (as the proxy enforces it).
const SHARED_APPLY_LEAST_CALLS: &[(&str, f64, f64)] =
    &[("apigateway:* (GetStage, UpdateStage)", 2.0, 10.0)];
const SHARED_PLAN_LEAST_CALLS: &[(&str, f64, f64)] = &[("apigateway:* (GetStage)", 1.0, 10.0)];
const SHARED_DESTROY_LEAST_CALLS: &[(&str, f64, f64)] =
    &[("apigateway:* (GetStage, UpdateStage)", 3.0, 10.0)];

/// SCALE stages pointed at one `apigw_access_log_stream` by `apigw_stage_access_log`s, applied,
/// planned with a refresh and destroyed at -parallelism=20 through the realism proxy.
fn shared_at_scale(tf: &TfDir) {
    let (proxy, api, bucket) = scale_fixture(11, "bench-shared-api", "bench-shared-logs");
    let stream = Block::resource("apigw_access_log_stream", "shared")
        .string("name", "amazon-apigateway-bench-shared")
        .object_attr("s3", s3(&format!("arn:aws:s3:::{bucket}")));
    let attachments = Block::resource("apigw_stage_access_log", "s")
        .count(SCALE)
        .string("rest_api_id", &api)
        .expr("stage_name", "format(\"s%03d\", count.index)")
        .expr("destination_arn", "apigw_access_log_stream.shared.arn")
        .expr("format", "apigw_access_log_stream.shared.format");
    tf.write("main.tf", config(&[stream, attachments]));
    tf.init().success();
    let runs: Vec<[ScaleRun; 3]> = (0..SHARED_RUNS)
        .map(|_| {
            let apply = scale_run(tf, &proxy, "apply");
            let plan = scale_run(tf, &proxy, "plan");
            let destroy = scale_run(tf, &proxy, "destroy");
            [apply, plan, destroy]
        })
        .collect();
    let of = |i: usize| runs.iter().map(|r| &r[i]).collect::<Vec<_>>();
    // The one stream is made, and seen gone, once: the stages wait for it, not for each other.
    let apply_floor = floor(
        "shared apply",
        SHARED_APPLY_LEAST_CALLS,
        (IAM_LAG + CREATING).as_secs_f64(),
    );
    let plan_floor = floor("shared plan (refresh)", SHARED_PLAN_LEAST_CALLS, 0.0);
    let destroy_floor = floor(
        "shared destroy",
        SHARED_DESTROY_LEAST_CALLS,
        DELETING.as_secs_f64(),
    );
    let label = |what: &str| format!("{what}, 1 stream + {SCALE} stages");
    print_seconds(&label("apply"), &of(0), apply_floor);
    print_seconds(&label("plan"), &of(1), plan_floor);
    print_seconds(&label("destroy"), &of(2), destroy_floor);
    let throttled: usize = runs.iter().flatten().map(|r| r.throttling).sum();
    println!(
        "{:<40} {throttled} in all {SHARED_RUNS} runs",
        "throttling errors reaching terraform"
    );
    let breaches = proxy.breaches();
    println!(
        "{:<40} {}{}",
        "AWS contract breaches",
        breaches.len(),
        breaches
            .first()
            .map(|b| format!(" (first: {} {})", b.api, b.rule))
            .unwrap_or_default()
    );
    print_calls("shared apply", &runs[0][0].events);
    print_calls("shared plan (refresh)", &runs[0][1].events);
    print_calls("shared destroy", &runs[0][2].events);
}
