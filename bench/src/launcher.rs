//! The soak's stack: `bookinfo --bin-dir DIR`, the launcher running each service as its own
//! process from the release binaries, with each process's pid read from its summary so that
//! every service's memory (and the launcher's) can be read on its own.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::process::{free_port, rss_kib};

/// How long the launcher may take to print its summary (every child listening).
const STARTS_WITHIN: Duration = Duration::from_secs(30);
/// How long it may take to drain its children and exit after SIGTERM.
const STOPS_WITHIN: Duration = Duration::from_secs(45);

pub struct Launcher {
    child: Child,
    port: u16,
    /// `bookinfo` itself, then each workload (`details-v1`, …, `productpage-v1`), with its pid.
    processes: Vec<(String, u32)>,
}

impl Launcher {
    /// Starts `DIR/bookinfo --port P --bin-dir DIR` and waits for its summary.
    pub fn start(binaries: &Path) -> Result<Launcher, String> {
        let port = free_port()?;
        let launcher = binaries.join("bookinfo");
        let mut child = Command::new(&launcher)
            .args(["--port", &port.to_string(), "--bin-dir"])
            .arg(binaries)
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|error| {
                format!(
                    "cannot start {}: {error} (build it with scripts/bench.sh)",
                    launcher.display()
                )
            })?;
        let stdout = child.stdout.take().ok_or("the launcher's stdout")?;
        let (lines_tx, lines) = mpsc::channel();
        // Reads every line for the launcher's whole life, so that it never blocks on a write.
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = lines_tx.send(line);
            }
        });
        let mut processes = vec![("bookinfo".to_owned(), child.id())];
        let deadline = Instant::now() + STARTS_WITHIN;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = lines
                .recv_timeout(left)
                .map_err(|_| "the launcher did not print its summary".to_owned())?;
            if line.contains("Press Ctrl-C to stop.") {
                break;
            }
            if let Some(workload) = workload_line(&line) {
                processes.push(workload);
            }
        }
        Ok(Launcher {
            child,
            port,
            processes,
        })
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// Every process's RSS now, in KiB, the launcher first.
    pub fn rss(&self) -> Vec<(String, u64)> {
        self.processes
            .iter()
            .map(|(name, pid)| (name.clone(), rss_kib(*pid).unwrap_or(0)))
            .collect()
    }

    /// SIGTERM, as Ctrl-C: the launcher drains its children and exits; true when it exited
    /// cleanly within [`STOPS_WITHIN`].
    pub fn stop(mut self) -> bool {
        let sent = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .is_ok_and(|status| status.success());
        let deadline = Instant::now() + STOPS_WITHIN;
        while sent && Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status.success();
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    }
}

impl Drop for Launcher {
    /// A soak that fails half-way still leaves nothing running: the children die with it.
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `  details-v1      http://127.0.0.1:PORT  pid N` → (`details-v1`, N).
fn workload_line(line: &str) -> Option<(String, u32)> {
    let (rest, pid) = line.rsplit_once("  pid ")?;
    let name = rest.split_whitespace().next()?;
    Some((name.to_owned(), pid.trim().parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_workload_and_its_pid_from_the_summary() {
        assert_eq!(
            workload_line("  reviews-v2      http://127.0.0.1:41234  pid 5678"),
            Some(("reviews-v2".to_owned(), 5678))
        );
        assert_eq!(
            workload_line("  open      http://localhost:9080/productpage"),
            None
        );
    }
}
