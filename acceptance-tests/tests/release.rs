//! `acceptance-tests/scripts/release.sh`: the registry's release files, installed by the real
//! terraform CLI from a packed filesystem mirror and from a local registry (HTTPS on 127.0.0.1,
//! signed sums), with the zip's hashes in the lock file.
//!
//! Terraform records `zh:` hashes (the SHA256SUMS entries) only for packages whose SHA256SUMS
//! carries a valid signature, that is from a registry; from a filesystem mirror it records only
//! the `h1:` hash of the package's contents. The mirror test checks that `h1:`, computed here
//! from the zip; the registry test checks the `zh:` hashes.

use std::path::Path;
use std::process::{Command, Stdio};

use acceptance_tests::{
    Block, TfDir, filesystem_mirror_config, provider_binary, provider_block, terraform_platform,
    workspace_root,
};
use terraform_provider_apigw::{PROVIDER_SOURCE, VERSION};

const NAME: &str = "terraform-provider-apigw";

/// `(sha256, file name)` pairs of a SHA256SUMS file.
fn sums(text: &str) -> Vec<(String, String)> {
    text.lines()
        .map(|l| {
            let (sum, file) = l
                .split_once("  ")
                .unwrap_or_else(|| panic!("not a sha256sum line: {l:?}"));
            assert_eq!(sum.len(), 64, "{l}");
            assert!(sum.chars().all(|c| c.is_ascii_hexdigit()), "{l}");
            (sum.to_owned(), file.to_owned())
        })
        .collect()
}

fn run_release(dist: &Path, version: Option<&str>) -> std::process::Output {
    let mut cmd = Command::new("bash");
    cmd.arg(workspace_root().join("acceptance-tests/scripts/release.sh"));
    cmd.args(version);
    cmd.env("RELEASE_BINARY", provider_binary())
        .env("DIST_DIR", dist)
        .env_remove("RELEASE_OS")
        .env_remove("RELEASE_ARCH")
        .env_remove("GPG_FINGERPRINT")
        .stdin(Stdio::null())
        .output()
        .expect("running release.sh")
}

#[test]
fn release_zip_installs_from_a_packed_mirror_with_its_hash_locked() {
    let platform = terraform_platform();
    let tf = TfDir::new();
    let dist = tf.path().join("dist");

    let out = run_release(&dist, None);
    assert!(
        out.status.success(),
        "release.sh failed ({}):\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let zip_name = format!("{NAME}_{VERSION}_{platform}.zip");
    let manifest_name = format!("{NAME}_{VERSION}_manifest.json");
    let sums_name = format!("{NAME}_{VERSION}_SHA256SUMS");
    let mut produced: Vec<String> = std::fs::read_dir(&dist)
        .expect("listing dist")
        .map(|e| {
            e.expect("dist entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    produced.sort();
    let mut expected = vec![zip_name.clone(), manifest_name.clone(), sums_name.clone()];
    expected.sort();
    assert_eq!(produced, expected);

    // The registry manifest: protocol 6 only, identical to the repository's.
    let manifest: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dist.join(&manifest_name)).expect("reading the manifest"),
    )
    .expect("the manifest is JSON");
    assert_eq!(
        manifest,
        serde_json::json!({"version": 1, "metadata": {"protocol_versions": ["6.0"]}})
    );
    let in_repo: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(workspace_root().join("terraform-registry-manifest.json"))
            .expect("reading terraform-registry-manifest.json"),
    )
    .expect("terraform-registry-manifest.json is JSON");
    assert_eq!(manifest, in_repo);

    // The sums cover the zip and the manifest, and hold (checked by sha256sum itself).
    let listed = sums(&std::fs::read_to_string(dist.join(&sums_name)).expect("reading sums"));
    let files: Vec<&str> = listed.iter().map(|(_, f)| f.as_str()).collect();
    assert_eq!(
        files,
        [zip_name.as_str(), manifest_name.as_str()],
        "{listed:?}"
    );
    let check = Command::new("sha256sum")
        .args(["--check", "--strict", &sums_name])
        .current_dir(&dist)
        .output()
        .expect("running sha256sum");
    assert!(
        check.status.success(),
        "sha256sum --check: {}{}",
        String::from_utf8_lossy(&check.stdout),
        String::from_utf8_lossy(&check.stderr)
    );
    let zip_sum = &listed[0].0;

    // One entry: the executable, named as Terraform looks for it, with its mode.
    let listing = Command::new("python3")
        .args([
            "-c",
            "import sys, zipfile\nfor i in zipfile.ZipFile(sys.argv[1]).infolist(): print(i.filename, oct(i.external_attr >> 16))",
        ])
        .arg(dist.join(&zip_name))
        .output()
        .expect("listing the zip");
    assert_eq!(
        String::from_utf8_lossy(&listing.stdout).trim(),
        format!("{NAME}_v{VERSION} 0o100755"),
        "{}",
        String::from_utf8_lossy(&listing.stderr)
    );

    // A packed mirror: <mirror>/<hostname>/<namespace>/<type>/<zip>, and a CLI config using it.
    let mirror = tf.path().join("packed-mirror");
    let dir = mirror.join(PROVIDER_SOURCE);
    std::fs::create_dir_all(&dir).expect("creating the packed mirror");
    std::fs::copy(dist.join(&zip_name), dir.join(&zip_name)).expect("copying the zip");
    let cli_config = tf.path().join("packed.tfrc");
    std::fs::write(
        &cli_config,
        filesystem_mirror_config(&mirror.display().to_string(), &[PROVIDER_SOURCE]),
    )
    .expect("writing packed.tfrc");
    let env = [(
        "TF_CLI_CONFIG_FILE",
        cli_config.to_str().expect("UTF-8 path"),
    )];

    tf.write("main.tf", provider_block());
    let init = tf
        .tf_env(&["init", "-input=false", "-no-color"], &env)
        .success();
    assert!(
        init.stdout
            .contains(&format!("Installing seed-f9314e3d/apigw v{VERSION}")),
        "{}",
        init.stdout
    );
    let lock = std::fs::read_to_string(tf.path().join(".terraform.lock.hcl"))
        .expect("init wrote no .terraform.lock.hcl");
    let h1 = zip_h1(&dist.join(&zip_name));
    assert!(
        lock.contains(&format!("\"{h1}\"")),
        "the lock file lacks {h1}, the hash of the zip's contents:\n{lock}"
    );
    // A filesystem mirror is unsigned, so Terraform records no zh: (see the module comment);
    // any it did record would have to be this zip's.
    for zh in lock_hashes(&lock, "zh:") {
        assert_eq!(zh, format!("zh:{zip_sum}"), "{lock}");
    }
    assert!(lock.contains(&format!("version = \"{VERSION}\"")), "{lock}");

    // The unpacked binary runs: Terraform starts it for the schema.
    let schema = tf.tf_env(&["providers", "schema", "-json"], &env).success();
    assert!(
        schema.stdout.contains("apigw_access_log_pipeline"),
        "{}",
        schema.stdout
    );
}

#[test]
fn release_refuses_a_version_the_binary_does_not_report() {
    let tf = TfDir::new();
    let dist = tf.path().join("dist");
    for bad in ["9.9.9", "1.x"] {
        let out = run_release(&dist, Some(bad));
        assert!(!out.status.success(), "release.sh accepted version {bad}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains(bad),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // A leading v is the same version.
    let out = run_release(&dist, Some(&format!("v{VERSION}")));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        dist.join(format!("{NAME}_{VERSION}_SHA256SUMS")).is_file(),
        "no sums for v{VERSION}"
    );
}

/// The `h1:` hash Terraform computes for a provider package: Go's dirhash "Hash1" of the zip,
/// the base64 SHA-256 of `"<sha256 hex>  <name>\n"` for each file in name order.
fn zip_h1(zip: &Path) -> String {
    let out = Command::new("python3")
        .args([
            "-c",
            r#"
import base64, hashlib, sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
names = sorted(n for n in z.namelist() if not n.endswith("/"))
summary = "".join("%s  %s\n" % (hashlib.sha256(z.read(n)).hexdigest(), n) for n in names)
print("h1:" + base64.b64encode(hashlib.sha256(summary.encode()).digest()).decode())
"#,
        ])
        .arg(zip)
        .output()
        .expect("running python3");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// The quoted hashes with `prefix` in a lock file.
fn lock_hashes(lock: &str, prefix: &str) -> Vec<String> {
    lock.split('"')
        .filter(|part| part.starts_with(prefix))
        .map(str::to_owned)
        .collect()
}

/// A child process killed when the test ends, however it ends.
struct Reaped(std::process::Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A throwaway GnuPG home whose agent is stopped when the test ends.
struct GpgHome(std::path::PathBuf);

impl Drop for GpgHome {
    fn drop(&mut self) {
        let _ = Command::new("gpgconf")
            .arg("--homedir")
            .arg(&self.0)
            .args(["--kill", "all"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

fn gpg(home: &Path, args: &[&str]) -> String {
    let out = Command::new("gpg")
        .arg("--homedir")
        .arg(home)
        .args(["--batch", "--no-tty"])
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| {
            panic!("running gpg ({e}); this test signs a release like the registry requires: install GnuPG")
        });
    assert!(
        out.status.success(),
        "gpg {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Serves `root` over HTTPS on a free 127.0.0.1 port with `cert`/`key`; returns the port.
fn https_server(root: &Path, cert: &Path, key: &Path) -> (Reaped, u16) {
    const SERVER: &str = r#"
import functools, http.server, ssl, sys
root, cert, key = sys.argv[1:4]
class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass
server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=root))
context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.load_cert_chain(cert, key)
server.socket = context.wrap_socket(server.socket, server_side=True)
print(server.server_address[1], flush=True)
server.serve_forever()
"#;
    let mut child = Command::new("python3")
        .args(["-c", SERVER])
        .arg(root)
        .arg(cert)
        .arg(key)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("starting the HTTPS server");
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(child.stdout.take().expect("piped stdout")),
        &mut line,
    )
    .expect("reading the server's port");
    let port = line
        .trim()
        .parse()
        .unwrap_or_else(|_| panic!("the HTTPS server printed {line:?}, not a port"));
    (Reaped(child), port)
}

#[test]
fn signed_release_installs_from_a_local_registry_with_zh_hashes_locked() {
    let platform = terraform_platform();
    let (os, arch) = platform.split_once('_').expect("os_arch");
    let tf = TfDir::new();
    let dist = tf.path().join("dist");

    // A throwaway signing key, as the registry requires a signed SHA256SUMS.
    let home = tf.path().join("gnupg");
    std::fs::create_dir(&home).expect("creating the gnupg home");
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(&home, std::fs::Permissions::from_mode(0o700))
        .expect("chmod 700 the gnupg home");
    let _agent = GpgHome(home.clone());
    gpg(
        &home,
        &[
            "--passphrase",
            "",
            "--quick-gen-key",
            "apigw release test <release-test@example.invalid>",
            "ed25519",
            "sign",
            "never",
        ],
    );
    let fingerprint = gpg(&home, &["--list-keys", "--with-colons"])
        .lines()
        .find_map(|l| {
            l.strip_prefix("fpr:")
                .map(|f| f.trim_matches(':').to_owned())
        })
        .expect("the new key's fingerprint");
    let armor = gpg(&home, &["--armor", "--export", &fingerprint]);

    let out = Command::new("bash")
        .arg(workspace_root().join("acceptance-tests/scripts/release.sh"))
        .env("RELEASE_BINARY", provider_binary())
        .env("DIST_DIR", &dist)
        .env("GPG_FINGERPRINT", &fingerprint)
        .env("GNUPGHOME", &home)
        .env_remove("RELEASE_OS")
        .env_remove("RELEASE_ARCH")
        .stdin(Stdio::null())
        .output()
        .expect("running release.sh");
    assert!(
        out.status.success(),
        "release.sh failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let zip_name = format!("{NAME}_{VERSION}_{platform}.zip");
    let sums_name = format!("{NAME}_{VERSION}_SHA256SUMS");
    let sig_name = format!("{sums_name}.sig");
    assert!(dist.join(&sig_name).is_file(), "no {sig_name}");
    let listed = sums(&std::fs::read_to_string(dist.join(&sums_name)).expect("reading sums"));

    // The registry protocol (providers.v1) as static files, over HTTPS with a fresh certificate.
    let www = tf.path().join("www");
    let api = www.join("v1/providers/seed-f9314e3d/apigw");
    let download = api.join(VERSION).join("download").join(os);
    std::fs::create_dir_all(&download).expect("creating the registry layout");
    let files = www.join("files");
    std::fs::create_dir_all(&files).expect("creating the files directory");
    for name in [&zip_name, &sums_name, &sig_name] {
        std::fs::copy(dist.join(name), files.join(name)).expect("copying a release file");
    }
    std::fs::write(
        api.join("versions"),
        serde_json::json!({"versions": [{
            "version": VERSION,
            "protocols": ["6.0"],
            "platforms": [{"os": os, "arch": arch}],
        }]})
        .to_string(),
    )
    .expect("writing versions");
    let tls = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned()])
        .expect("generating the registry's certificate");
    let cert = tf.path().join("registry-cert.pem");
    let key = tf.path().join("registry-key.pem");
    std::fs::write(&cert, tls.cert.pem()).expect("writing the certificate");
    std::fs::write(&key, tls.signing_key.serialize_pem()).expect("writing the key");
    let (_server, port) = https_server(&www, &cert, &key);
    let base = format!("https://127.0.0.1:{port}");
    let zip_sum = &listed
        .iter()
        .find(|(_, f)| *f == zip_name)
        .expect("the zip in the sums")
        .0;
    std::fs::write(
        download.join(arch),
        serde_json::json!({
            "protocols": ["6.0"],
            "os": os,
            "arch": arch,
            "filename": zip_name,
            "download_url": format!("{base}/files/{zip_name}"),
            "shasums_url": format!("{base}/files/{sums_name}"),
            "shasums_signature_url": format!("{base}/files/{sig_name}"),
            "shasum": zip_sum,
            "signing_keys": {"gpg_public_keys": [{
                "key_id": &fingerprint[fingerprint.len() - 16..],
                "ascii_armor": armor,
            }]},
        })
        .to_string(),
    )
    .expect("writing the download document");

    // registry.terraform.io's provider service, pointed at the local registry.
    let cli_config = tf.path().join("registry.tfrc");
    std::fs::write(
        &cli_config,
        Block::labeled("host", &["registry.terraform.io"])
            .object_attr(
                "services",
                Block::object().string("providers.v1", &format!("{base}/v1/providers/")),
            )
            .render(),
    )
    .expect("writing registry.tfrc");
    let env = [
        (
            "TF_CLI_CONFIG_FILE",
            cli_config.to_str().expect("UTF-8 path"),
        ),
        ("SSL_CERT_FILE", cert.to_str().expect("UTF-8 path")),
    ];
    tf.write("main.tf", provider_block());
    let init = tf
        .tf_env(&["init", "-input=false", "-no-color"], &env)
        .success();
    let key_id = fingerprint[fingerprint.len() - 16..].to_owned();
    assert!(
        init.stdout.contains(&format!(
            "Installed seed-f9314e3d/apigw v{VERSION} (self-signed, key ID {key_id})"
        )),
        "{}",
        init.stdout
    );

    // Every SHA256SUMS entry, the zip's first, is locked as zh:, next to the contents' h1:.
    let lock = std::fs::read_to_string(tf.path().join(".terraform.lock.hcl"))
        .expect("init wrote no .terraform.lock.hcl");
    let mut zh = lock_hashes(&lock, "zh:");
    zh.sort();
    let mut expected: Vec<String> = listed.iter().map(|(sum, _)| format!("zh:{sum}")).collect();
    expected.sort();
    assert_eq!(zh, expected, "{lock}");
    assert!(lock.contains(&format!("\"zh:{zip_sum}\"")), "{lock}");
    let h1 = zip_h1(&dist.join(&zip_name));
    assert_eq!(lock_hashes(&lock, "h1:"), [h1], "{lock}");
}
