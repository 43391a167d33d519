//! Terraform as a child process that the acceptance tests can signal (Ctrl-C), kill, and time.

use std::os::unix::process::CommandExt as _;
use std::process::{Child, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use crate::TfDir;

/// A terraform command running in a process group of its own (with the provider it starts),
/// its output collected by threads.
pub struct Running {
    child: Child,
    stdout: Option<std::thread::JoinHandle<String>>,
    stderr: Option<std::thread::JoinHandle<String>>,
}

fn collect(mut pipe: impl std::io::Read + Send + 'static) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = pipe.read_to_end(&mut bytes);
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

impl Running {
    /// Starts `terraform <args>` in `tf` with the provider pointed at `endpoint`.
    pub fn start(tf: &TfDir, args: &[&str], endpoint: &str) -> Running {
        let mut cmd = tf.command(args, &[("AWS_ENDPOINT_URL", endpoint)]);
        cmd.stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0);
        let mut child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("starting terraform {args:?}: {e}"));
        let stdout = child.stdout.take().map(collect);
        let stderr = child.stderr.take().map(collect);
        Running {
            child,
            stdout,
            stderr,
        }
    }

    /// Terraform's pid, which is also its process group's id.
    pub fn pid(&self) -> libc::pid_t {
        self.child.id() as libc::pid_t
    }

    /// Signals terraform alone (not its provider), as a user's Ctrl-C reaches it.
    pub fn signal(&self, sig: libc::c_int) {
        // SAFETY: plain kill(2) of our own child.
        let rc = unsafe { libc::kill(self.pid(), sig) };
        assert_eq!(rc, 0, "kill({}, {sig}) failed", self.pid());
    }

    /// SIGKILLs terraform and every process of its group (the provider), as when the machine
    /// or the CI job running terraform dies.
    pub fn kill_group(&self) {
        // SAFETY: kill(2) of the process group our child leads.
        unsafe {
            libc::kill(-self.pid(), libc::SIGKILL);
        }
    }

    /// Waits up to `limit` for terraform to exit; `None` if it is still running.
    pub fn wait_for(&mut self, limit: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return Some(status);
            }
            if Instant::now() > deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Terraform's exit status and its stdout and stderr (waits for the pipes to close).
    pub fn finish(mut self) -> (ExitStatus, String, String) {
        let status = self.child.wait().expect("waiting for terraform");
        let stdout = self
            .stdout
            .take()
            .map(|t| t.join().unwrap_or_default())
            .unwrap_or_default();
        let stderr = self
            .stderr
            .take()
            .map(|t| t.join().unwrap_or_default())
            .unwrap_or_default();
        (status, stdout, stderr)
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        // Never leave terraform or a provider running behind a failed test.
        if matches!(self.child.try_wait(), Ok(None)) {
            self.kill_group();
            let _ = self.child.wait();
        }
    }
}

/// Live (not zombie) processes of process group `pgid`, as `pid name`.
pub fn group_members(pgid: libc::pid_t) -> Vec<String> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return out;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(|n| n.parse::<u32>().ok()) else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        // pid (comm) state ppid pgrp ...; comm may hold spaces and parentheses.
        let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else {
            continue;
        };
        let comm = &stat[open + 1..close];
        let fields: Vec<&str> = stat[close + 1..].split_whitespace().collect();
        let (Some(state), Some(pgrp)) = (fields.first(), fields.get(2)) else {
            continue;
        };
        if *state != "Z" && *state != "X" && pgrp.parse::<libc::pid_t>() == Ok(pgid) {
            out.push(format!("{pid} {comm}"));
        }
    }
    out
}

/// Waits until no process of group `pgid` is alive; panics naming the survivors otherwise.
#[track_caller]
pub fn assert_group_gone(pgid: libc::pid_t, limit: Duration) {
    let deadline = Instant::now() + limit;
    loop {
        let alive = group_members(pgid);
        if alive.is_empty() {
            return;
        }
        if Instant::now() > deadline {
            // SAFETY: kill(2) of the group of a terraform this test started.
            unsafe {
                libc::kill(-pgid, libc::SIGKILL);
            }
            panic!("processes of terraform's group still running after {limit:?}: {alive:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}
