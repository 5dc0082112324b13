//! The launcher as a real process: a Ctrl-C just after its first line stops it cleanly, and
//! Envoy never outlives `bookinfo mesh`, even when the launcher is SIGKILLed.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/child_process.rs"]
mod child_process;

use std::io::{BufRead, BufReader};
use std::os::unix::process::ExitStatusExt;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Envoy may take this long to start; the services a fraction of it.
const STARTS_WITHIN: Duration = Duration::from_secs(60);
/// How long a process may take to go once it has been told to.
const GONE_WITHIN: Duration = Duration::from_secs(20);

/// Kills the launcher if the test ends with it still running.
struct Launcher {
    child: Child,
    lines: mpsc::Receiver<String>,
}

impl Launcher {
    fn start(args: &[&str]) -> Launcher {
        let mut child = Command::new(env!("CARGO_BIN_EXE_bookinfo"))
            .args(args)
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("bookinfo starts");
        let stdout = child.stdout.take().expect("stdout piped");
        let (sender, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if sender.send(line).is_err() {
                    break;
                }
            }
        });
        Launcher { child, lines }
    }

    /// The next line the launcher prints.
    fn next_line(&self) -> String {
        self.lines
            .recv_timeout(STARTS_WITHIN)
            .expect("the launcher prints within its start time")
    }

    fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .args([&format!("-{name}"), &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success());
    }

    /// The exit status, waiting at most [`GONE_WITHIN`].
    fn exit_status(&mut self) -> std::process::ExitStatus {
        child_process::exit_status_within(&mut self.child, GONE_WITHIN)
    }
}

impl Drop for Launcher {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Whether process `pid` has a handler of its own for signal `number` (`SigCgt` in its status).
fn catches(pid: u32, number: u32) -> bool {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("/proc status");
    let mask = status
        .lines()
        .find_map(|line| line.strip_prefix("SigCgt:"))
        .map(|mask| u64::from_str_radix(mask.trim(), 16).expect("hex mask"))
        .expect("SigCgt line");
    mask & (1 << (number - 1)) != 0
}

#[test]
fn ctrl_c_right_after_the_first_line_stops_the_launcher_cleanly() {
    let mut launcher = Launcher::start(&["--port", "0"]);

    let first = launcher.next_line();
    // Handled already, not by the default action: whatever the timing of the signal below.
    let pid = launcher.child.id();
    assert!(catches(pid, 2), "SIGINT not handled at {first:?}");
    assert!(catches(pid, 15), "SIGTERM not handled at {first:?}");
    launcher.signal("INT");
    let status = launcher.exit_status();

    assert_eq!(
        status.signal(),
        None,
        "killed by the signal after {first:?}"
    );
    assert!(status.success(), "{status}");
}

/// The processes whose parent is `pid` and whose command is `name`.
fn children_named(pid: u32, name: &str) -> Vec<u32> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").expect("/proc").flatten() {
        let Ok(child) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{child}/stat")) else {
            continue;
        };
        let Some((command, rest)) = stat.split_once(") ") else {
            continue;
        };
        let parent = rest
            .split_whitespace()
            .nth(1)
            .and_then(|ppid| ppid.parse().ok());
        if parent == Some(pid) && command.ends_with(&format!("({name}")) {
            found.push(child);
        }
    }
    found
}

/// Whether `pid` still runs (a zombie waiting for its reaper does not).
fn running(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|stat| {
            stat.split_once(") ")
                .map(|(_, rest)| !rest.starts_with('Z'))
        })
        .unwrap_or(false)
}

#[test]
fn envoy_does_not_outlive_a_sigkilled_mesh_launcher() {
    let dir = std::env::temp_dir().join(format!("bookinfo-sigkill-{}", std::process::id()));
    let dir_arg = dir.to_string_lossy().into_owned();
    let mut launcher = Launcher::start(&[
        "mesh",
        "--ingress-port",
        "0",
        "--ingress-https-port",
        "0",
        "--admin-port",
        "0",
        "--dir",
        &dir_arg,
    ]);
    while !launcher.next_line().contains("Press Ctrl-C to stop.") {}
    let envoys = children_named(launcher.child.id(), "envoy");
    assert_eq!(envoys.len(), 1, "one Envoy under the launcher: {envoys:?}");

    launcher.child.kill().expect("SIGKILL");
    launcher.child.wait().expect("reaped");

    let deadline = Instant::now() + GONE_WITHIN;
    while running(envoys[0]) {
        assert!(
            Instant::now() < deadline,
            "Envoy {} outlived the launcher",
            envoys[0]
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = std::fs::remove_dir_all(dir);
}
