//! `bookinfo --bin-dir DIR`: each service its own process from the built service binaries.
//! Pages are served with v1, v2 and v3 in turn; SIGTERM drains and stops every child; a
//! SIGKILLed launcher leaves no child behind.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::child_process;
use crate::helpers::{filled_stars, served_by};

/// How long the launcher and its children may take to start, and to go once told to.
const WITHIN: Duration = Duration::from_secs(30);

/// Where cargo put the service binaries: beside this test's own directory (`target/debug`).
fn bin_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("the test binary's path");
    let dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target/debug")
        .to_path_buf();
    for binary in ["details", "ratings", "reviews", "productpage"] {
        assert!(
            dir.join(binary).is_file(),
            "{} missing: cargo build -p details -p ratings -p reviews -p productpage first",
            dir.join(binary).display()
        );
    }
    dir
}

/// The running launcher, its productpage port and its children's pids from its summary.
struct Launcher {
    child: Child,
    port: u16,
    children: Vec<u32>,
}

impl Launcher {
    fn start() -> Launcher {
        let mut child = Command::new(env!("CARGO_BIN_EXE_bookinfo"))
            .args(["--port", "0", "--bin-dir"])
            .arg(bin_dir())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("bookinfo starts");
        let mut lines = BufReader::new(child.stdout.take().expect("stdout piped")).lines();
        let (mut port, mut children) = (0, Vec::new());
        for line in lines.by_ref() {
            let line = line.expect("a line");
            if let Some(url) = line.trim().strip_prefix("open      http://localhost:") {
                port = url
                    .trim_end_matches("/productpage")
                    .parse()
                    .expect("a port");
            }
            if let Some((_, pid)) = line.rsplit_once("  pid ") {
                children.push(pid.parse().expect("a pid"));
            }
            if line.contains("Press Ctrl-C to stop.") {
                break;
            }
        }
        assert_ne!(port, 0, "the summary names productpage's port");
        // Keep the pipe open and drained, so the launcher never blocks on a write.
        std::thread::spawn(move || lines.for_each(drop));
        Launcher {
            child,
            port,
            children,
        }
    }

    fn page(&self) -> String {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).expect("productpage");
        stream
            .write_all(
                b"GET /productpage HTTP/1.1\r\nHost: productpage\r\nConnection: close\r\n\r\n",
            )
            .expect("request sent");
        let mut answer = String::new();
        stream.read_to_string(&mut answer).expect("answer read");
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        answer
    }

    fn wait_for_exit(&mut self) -> std::process::ExitStatus {
        child_process::exit_status_within(&mut self.child, WITHIN)
    }
}

impl Drop for Launcher {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The command `pid` runs, while it runs (a zombie waiting for its reaper does not).
fn running_command(pid: u32) -> Option<String> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let (command, rest) = stat.split_once(") ")?;
    (!rest.starts_with('Z')).then(|| command.split_once('(').map(|(_, name)| name.to_owned()))?
}

fn assert_all_gone(pids: &[u32]) {
    let deadline = Instant::now() + WITHIN;
    for pid in pids {
        while running_command(*pid).is_some() {
            assert!(
                Instant::now() < deadline,
                "child {pid} outlived the launcher"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

#[test]
fn each_service_runs_in_its_own_process_and_sigterm_stops_them_all() {
    let mut launcher = Launcher::start();
    let mut commands: Vec<String> = launcher
        .children
        .iter()
        .map(|pid| running_command(*pid).expect("the child runs"))
        .collect();
    commands.sort();
    assert_eq!(
        commands,
        [
            "details",
            "productpage",
            "ratings",
            "reviews",
            "reviews",
            "reviews"
        ],
        "six children, one per workload"
    );

    let mut pods = std::collections::BTreeSet::new();
    for _ in 0..6 {
        let page = launcher.page();
        let pod = served_by(&page).expect("the page names the reviews pod");
        let stars = filled_stars(&page);
        assert_eq!(
            stars,
            if pod == "reviews-v1-local" { 0 } else { 9 },
            "{pod}"
        );
        assert!(page.contains("PublisherA"), "details answered");
        pods.insert(pod);
    }
    assert_eq!(pods.len(), 3, "v1, v2 and v3 all serve pages: {pods:?}");

    let status = Command::new("kill")
        .args(["-TERM", &launcher.child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
    let status = launcher.wait_for_exit();
    assert!(status.success(), "the launcher stops cleanly: {status}");
    assert_all_gone(&launcher.children);
}

#[test]
fn a_sigkilled_launcher_leaves_no_child() {
    let mut launcher = Launcher::start();
    assert_eq!(launcher.children.len(), 6);
    launcher.child.kill().expect("SIGKILL");
    launcher.child.wait().expect("reaped");
    assert_all_gone(&launcher.children);
}
