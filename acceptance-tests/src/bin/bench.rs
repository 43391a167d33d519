//! `make bench`: footprint and protocol figures of a provider binary, each as the median of
//! repeated runs with min and max. Prints figures; asserts nothing.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use acceptance_tests::plugin_client::{ProviderClient, start_plugin, terraform_like_client_cert};
use acceptance_tests::proxy::{Outcome, Proxy, ProxyConfig};
use acceptance_tests::{TfDir, TfOutput, aws, block_on, provider_block};
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
        eprintln!("usage: bench <path to terraform-provider-apigw> [--quick]");
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
    let tf = TfDir::new();
    plan_ratio(&tf);
    drop(tf);
    at_scale(&TfDir::new());
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
/// `terraform_data` resources holding the same values: terraform's own floor.
fn plan_ratio(tf: &TfDir) {
    const N: usize = 200;
    const RUNS: usize = 5;
    let values = r#"rest_api_id = format("api%07d", count.index)
  stage_name  = "prod"
  s3 = {
    bucket_arn = "arn:aws:s3:::access-logs"
    prefix     = "apigw/"
  }"#;
    let pipelines = format!(
        "{}\nresource \"apigw_access_log_pipeline\" \"p\" {{\n  count = {N}\n  {values}\n}}\n",
        provider_block()
    );
    let data = format!(
        "{}\nresource \"terraform_data\" \"p\" {{\n  count = {N}\n  input = {{\n  {values}\n  }}\n}}\n",
        provider_block()
    );
    let plan = [
        "plan",
        "-refresh=false",
        "-input=false",
        "-no-color",
        "-lock=false",
    ];
    let measure = |config: &str| {
        tf.write("main.tf", config);
        tf.init().success();
        timed(tf, &plan, &[]);
        stats((0..RUNS).map(|_| timed(tf, &plan, &[]).0).collect())
    };
    let (p_med, p_min, p_max) = measure(&pipelines);
    let (d_med, d_min, d_max) = measure(&data);
    println!(
        "{:<40} median {p_med:>7.3} s   min {p_min:>7.3} s   max {p_max:>7.3} s   (n={RUNS})",
        "plan, 200 pipelines"
    );
    println!(
        "{:<40} median {d_med:>7.3} s   min {d_min:>7.3} s   max {d_max:>7.3} s   (n={RUNS})",
        "plan, 200 terraform_data (floor)"
    );
    println!("{:<40} {:.3}", "plan ratio (medians)", p_med / d_med);
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
                let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
                if !String::from_utf8_lossy(&cmdline).contains("terraform-provider-apigw") {
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

/// Pipelines applied and destroyed at -parallelism=20 through the realism proxy: 50, as many
/// as moto (like AWS's long-standing default quota) allows in one region.
fn at_scale(tf: &TfDir) {
    const N: usize = 50;
    const PARALLELISM: usize = 20;
    let creating = Duration::from_secs(2);
    let deleting = Duration::from_secs(2);
    let iam_lag = Duration::from_secs(5);
    let proxy = Proxy::start(
        ProxyConfig::realistic()
            .creating_phase(creating)
            .deleting_phase(deleting)
            .iam_lag(iam_lag)
            .seed(7),
    );
    let aws = block_on(aws());
    let (api, bucket) = block_on(async {
        let bucket = aws.create_bucket("bench-access-logs").await;
        let api = aws.rest_api_with_stage("bench-api", "s000").await;
        for i in 1..N {
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
    tf.write(
        "main.tf",
        format!(
            "{}\nresource \"apigw_access_log_pipeline\" \"p\" {{\n  count       = {N}\n  rest_api_id = \"{api}\"\n  stage_name  = format(\"s%03d\", count.index)\n  s3 = {{\n    bucket_arn = \"arn:aws:s3:::{bucket}\"\n  }}\n}}\n",
            provider_block()
        ),
    );
    tf.init().success();
    let endpoint = proxy.endpoint();
    let env = [("AWS_ENDPOINT_URL", endpoint.as_str())];
    let parallelism = format!("-parallelism={PARALLELISM}");
    let (apply_s, apply, apply_use) = measured(
        tf,
        &[
            "apply",
            "-auto-approve",
            "-input=false",
            "-no-color",
            &parallelism,
        ],
        &env,
    );
    let events_after_apply = proxy.events();
    let (destroy_s, destroy, destroy_use) = measured(
        tf,
        &[
            "destroy",
            "-auto-approve",
            "-input=false",
            "-no-color",
            &parallelism,
        ],
        &env,
    );

    // The floor: the busiest rate-limited API's least calls at AWS's rate, or the waves of
    // pipelines that each wait out IAM lag and CREATING (DELETING), whichever is longer.
    let waves = N.div_ceil(PARALLELISM) as f64;
    let n = N as f64;
    let apply_rate_floor = [
        n / 5.0,        /* firehose Create, Describe */
        n / 5.0,        /* iam CreateRole, PutRolePolicy */
        2.0 * n / 10.0, /* apigateway GetStage + UpdateStage, 10/s together */
    ]
    .into_iter()
    .fold(0.0, f64::max);
    let apply_floor = apply_rate_floor.max(waves * (iam_lag + creating).as_secs_f64());
    let destroy_floor = (2.0 * n / 10.0)
        .max(n / 5.0)
        .max(waves * deleting.as_secs_f64());
    println!(
        "{:<40} {apply_s:>7.1} s   floor {apply_floor:.1} s   ratio {:.2}",
        "apply, 50 pipelines, parallelism 20",
        apply_s / apply_floor
    );
    println!(
        "{:<40} {destroy_s:>7.1} s   floor {destroy_floor:.1} s   ratio {:.2}",
        "destroy, 50 pipelines, parallelism 20",
        destroy_s / destroy_floor
    );
    println!(
        "{:<40} {} in apply, {} in destroy",
        "throttling errors reaching terraform",
        throttling_reported(&apply),
        throttling_reported(&destroy)
    );
    let injected = proxy.injected();
    println!(
        "{:<40} {} rate-limited, {} calls in all",
        "what the proxy refused / saw",
        injected.rate_limited,
        proxy.total()
    );
    let peak = apply_use.peak_rss_kib.max(destroy_use.peak_rss_kib) as f64 / 1024.0;
    println!("{:<40} {peak:.1} MiB", "provider peak RSS");
    let cpu = |u: &ProviderUsage| u.cpu_seconds.values().sum::<f64>();
    println!(
        "{:<40} {:.2} s in apply, {:.2} s in destroy",
        "provider CPU time",
        cpu(&apply_use),
        cpu(&destroy_use)
    );

    // Waiter lag: from each stream turning ACTIVE (its creation plus the CREATING phase) to
    // its stage being pointed at it.
    let mut lags = Vec::new();
    for i in 0..N {
        let stream = format!("amazon-apigateway-{api}-s{i:03}");
        let stage = format!("{api}/s{i:03}");
        let created = events_after_apply.iter().find(|e| {
            e.api == "firehose:CreateDeliveryStream"
                && e.subject.as_deref() == Some(&stream)
                && e.outcome == Outcome::Forwarded(200)
        });
        let Some(created) = created else { continue };
        let active = created.at + creating;
        let pointed = events_after_apply.iter().find(|e| {
            e.api == "apigateway:UpdateStage"
                && e.subject.as_deref() == Some(&stage)
                && e.at >= active
                && e.outcome == Outcome::Forwarded(200)
        });
        if let Some(pointed) = pointed {
            lags.push((pointed.at - active).as_secs_f64());
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
