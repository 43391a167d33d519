//! The provider under test: the workspace, the async runtime the SDK clients live on, and the
//! provider binary, built once per test process.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Mutex, OnceLock};

/// The workspace root (the directory holding the provider's Cargo.toml).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("acceptance-tests lives inside the workspace")
        .to_path_buf()
}

/// A multi-thread tokio runtime shared by every test in the process.
pub(crate) fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("building the shared tokio runtime")
    })
}

/// Runs a future to completion on the process-wide runtime (for use from plain `#[test]`s).
pub fn block_on<F: Future>(f: F) -> F::Output {
    runtime().block_on(f)
}

/// Directories removed when the process exits (statics are never dropped).
pub(crate) static EXIT_CLEANUP: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// Removes the registered directories; runs from libc `atexit`.
extern "C" fn cleanup_at_exit() {
    // try_lock: never block process exit on a lock a dying thread may hold.
    if let Ok(dirs) = EXIT_CLEANUP.try_lock() {
        for dir in dirs.iter() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// A temporary directory that lives as long as the process and is removed at exit.
pub(crate) fn process_temp_dir(prefix: &str) -> PathBuf {
    static REGISTER: std::sync::Once = std::sync::Once::new();
    REGISTER.call_once(|| {
        // SAFETY: registers a plain function with no captured state.
        unsafe {
            libc::atexit(cleanup_at_exit);
        }
    });
    let dir = tempfile::Builder::new()
        .prefix(prefix)
        .tempdir()
        .unwrap_or_else(|e| panic!("creating a {prefix}* directory: {e}"))
        .keep();
    EXIT_CLEANUP
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(dir.clone());
    dir
}

/// Builds the provider binary (once per process) and returns its path. With
/// `APIGW_PROVIDER_BINARY` set, that binary is used as it is (benchmarks use a release build).
pub fn provider_binary() -> PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| match std::env::var_os("APIGW_PROVIDER_BINARY") {
        Some(path) if !path.is_empty() => PathBuf::from(path),
        _ => build_provider(),
    })
    .clone()
}

pub(crate) fn build_provider() -> PathBuf {
    let root = workspace_root();
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let out = Command::new(cargo)
        .current_dir(&root)
        .args([
            "build",
            "-p",
            "terraform-provider-apigw",
            "--bin",
            "terraform-provider-apigw",
            "--message-format=json-render-diagnostics",
        ])
        .stdin(Stdio::null())
        .output()
        .expect("running cargo build");
    if !out.status.success() {
        panic!(
            "cargo build of the provider failed ({}):\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // Cargo names the executable it produced; that covers every way of moving target/.
    let reported = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|m| {
            m["reason"] == "compiler-artifact" && m["target"]["name"] == "terraform-provider-apigw"
        })
        .find_map(|m| m["executable"].as_str().map(PathBuf::from));
    // Otherwise: a relative CARGO_TARGET_DIR is relative to where cargo ran (the root).
    let bin = reported.unwrap_or_else(|| {
        let target = match std::env::var_os("CARGO_TARGET_DIR") {
            Some(dir) if !dir.is_empty() => root.join(dir),
            _ => root.join("target"),
        };
        target.join("debug").join("terraform-provider-apigw")
    });
    assert!(
        bin.is_file(),
        "cargo build succeeded but {} is missing",
        bin.display()
    );
    bin
}
