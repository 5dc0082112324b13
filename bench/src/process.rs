//! The measured processes: each release binary started on its own free loopback port, with the
//! CPU time and peak memory the kernel accounts to it, and the time from exec to healthy.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The services a load targets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    Productpage,
    Details,
    /// reviews v3, the one that calls ratings.
    Reviews,
    /// reviews v1: the reviews service's own work, with no call to ratings.
    ReviewsV1,
    Ratings,
}

impl Service {
    pub const ALL: [Service; 4] = [
        Service::Productpage,
        Service::Details,
        Service::Reviews,
        Service::Ratings,
    ];

    pub fn binary(self) -> &'static str {
        match self {
            Service::Productpage => "productpage",
            Service::Details => "details",
            Service::Reviews | Service::ReviewsV1 => "reviews",
            Service::Ratings => "ratings",
        }
    }
}

/// How long a service may take to become healthy before the run is abandoned.
const HEALTHY_WITHIN: Duration = Duration::from_secs(10);

pub struct Running {
    pub service: &'static str,
    pub port: u16,
    child: Child,
}

impl Running {
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn free_port() -> Result<u16, String> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    listener
        .local_addr()
        .map(|a| a.port())
        .map_err(|e| e.to_string())
}

fn binary_path(binaries: &Path, name: &str) -> Result<PathBuf, String> {
    let path = binaries.join(name);
    if path.is_file() {
        Ok(path)
    } else {
        Err(format!(
            "{} not found: build first with scripts/bench.sh (cargo build --release)",
            path.display()
        ))
    }
}

/// Starts `name PORT ARGS…` on a free port with only `env` (and a quiet log) in its environment.
fn spawn(
    binaries: &Path,
    name: &'static str,
    args: &[String],
    env: &[(&str, String)],
) -> Result<Running, String> {
    let port = free_port()?;
    let child = Command::new(binary_path(binaries, name)?)
        .arg(port.to_string())
        .args(args)
        .env_clear()
        .envs(env.iter().map(|(key, value)| (*key, value.as_str())))
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|error| format!("cannot start {name}: {error}"))?;
    Ok(Running {
        service: name,
        port,
        child,
    })
}

/// One `GET /health` over a fresh connection; true on a 200.
fn healthy(port: u16) -> bool {
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(1)));
    if stream
        .write_all(b"GET /health HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n")
        .is_err()
    {
        return false;
    }
    let mut status = [0u8; 12];
    stream.read_exact(&mut status).is_ok() && &status[9..12] == b"200"
}

/// Polls until healthy; the elapsed time since `started`.
fn wait_healthy(running: &Running, started: Instant) -> Result<Duration, String> {
    while started.elapsed() < HEALTHY_WITHIN {
        if healthy(running.port) {
            return Ok(started.elapsed());
        }
        // A fine poll: the figure measured is startup time in milliseconds.
        std::thread::sleep(Duration::from_micros(500));
    }
    Err(format!(
        "{} not healthy within {HEALTHY_WITHIN:?}",
        running.service
    ))
}

async fn start_healthy(
    binaries: &Path,
    name: &'static str,
    env: &[(&str, String)],
) -> Result<Running, String> {
    let started = Instant::now();
    let running = spawn(binaries, name, &[], env)?;
    wait_healthy(&running, started)?;
    Ok(running)
}

/// Median time from exec to the first healthy `/health`, per service, over `runs` starts.
pub async fn startup_times(
    binaries: &Path,
    runs: usize,
) -> Result<Vec<(&'static str, Duration)>, String> {
    let mut medians = Vec::new();
    for service in Service::ALL {
        let mut times = Vec::new();
        for _ in 0..runs {
            let started = Instant::now();
            let running = spawn(binaries, service.binary(), &[], &[])?;
            times.push(wait_healthy(&running, started)?);
        }
        times.sort_unstable();
        medians.push((service.binary(), times[times.len() / 2]));
    }
    Ok(medians)
}

/// One service binary as shipped: its size and what it runs on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BinaryFile {
    pub service: &'static str,
    /// Size on disk (the release profile strips them).
    pub bytes: u64,
    pub libc: Libc,
    pub allocator: Allocator,
}

/// The C library a binary was linked against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Libc {
    Glibc,
    Musl,
}

/// Where a binary's heap allocations go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Allocator {
    Mimalloc,
    /// The C library's own malloc.
    LibcMalloc,
}

impl BinaryFile {
    /// Reads the facts from the file's bytes, which survive stripping: a glibc binary asks for
    /// versioned `GLIBC_` symbols (or carries glibc's own strings when static), anything else
    /// here is musl (the images' static binaries); mimalloc's C code carries its own messages.
    pub fn read(service: &'static str, contents: &[u8]) -> BinaryFile {
        let contains = |needle: &[u8]| {
            contents
                .windows(needle.len())
                .any(|window| window == needle)
        };
        BinaryFile {
            service,
            bytes: contents.len() as u64,
            libc: if contains(b"GLIBC_") {
                Libc::Glibc
            } else {
                Libc::Musl
            },
            allocator: if contains(b"mimalloc") {
                Allocator::Mimalloc
            } else {
                Allocator::LibcMalloc
            },
        }
    }
}

/// Each service binary's size, C library and allocator.
pub fn binary_files(binaries: &Path) -> Result<Vec<BinaryFile>, String> {
    Service::ALL
        .into_iter()
        .map(|service| {
            let path = binary_path(binaries, service.binary())?;
            let contents = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            Ok(BinaryFile::read(service.binary(), &contents))
        })
        .collect()
}

/// A Bookinfo call graph with no work in it: `ceiling` servers that call one another the way the
/// services do and answer a fixed string. What such a graph reaches is the most its Bookinfo
/// counterpart could, on this machine with this stack.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmptyGraph {
    /// One server and no calls: the ceiling itself (details, ratings, reviews v1).
    Leaf,
    /// reviews v3: one call to a leaf over a kept-alive connection, as reviews calls ratings.
    ReviewsWithRatings,
    /// productpage by default: a call to a leaf (details) and one to `ReviewsWithRatings`, each
    /// over a new connection.
    PageFreshConnections,
    /// productpage with pooled backends: the same calls over kept-alive connections.
    PagePooled,
}

/// The ceiling servers wired as every [`EmptyGraph`].
pub struct EmptyGraphs {
    servers: Vec<(EmptyGraph, Running)>,
}

impl EmptyGraphs {
    pub async fn start(binaries: &Path) -> Result<EmptyGraphs, String> {
        let leaf = start_ceiling(binaries, &[]).await?;
        let reviews = start_ceiling(binaries, &["--pooled".into(), leaf.url("/")]).await?;
        let backends = [leaf.url("/"), reviews.url("/")];
        let page = start_ceiling(binaries, &backends).await?;
        let pooled_page = start_ceiling(
            binaries,
            &["--pooled".into(), backends[0].clone(), backends[1].clone()],
        )
        .await?;
        Ok(EmptyGraphs {
            servers: vec![
                (EmptyGraph::Leaf, leaf),
                (EmptyGraph::ReviewsWithRatings, reviews),
                (EmptyGraph::PageFreshConnections, page),
                (EmptyGraph::PagePooled, pooled_page),
            ],
        })
    }

    /// The URL whose load measures `graph`.
    pub fn url(&self, graph: EmptyGraph) -> String {
        self.servers
            .iter()
            .find(|(candidate, _)| *candidate == graph)
            .map(|(_, running)| running.url("/"))
            .unwrap_or_default()
    }
}

async fn start_ceiling(binaries: &Path, calls: &[String]) -> Result<Running, String> {
    let running = spawn(binaries, "ceiling", calls, &[])?;
    let started = Instant::now();
    while started.elapsed() < HEALTHY_WITHIN {
        if TcpStream::connect(("127.0.0.1", running.port)).is_ok() {
            return Ok(running);
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    Err("the ceiling server did not start".into())
}

/// details, ratings, reviews v3 (the deepest call chain: it calls ratings), reviews v1 (reviews'
/// own cost) and productpage.
pub struct Stack {
    processes: Vec<(Service, Running)>,
    clock_ticks: f64,
}

impl Stack {
    pub async fn start(binaries: &Path, pooled: bool) -> Result<Stack, String> {
        let details = start_healthy(binaries, "details", &[]).await?;
        let ratings = start_healthy(binaries, "ratings", &[]).await?;
        let reviews = start_healthy(
            binaries,
            "reviews",
            &[
                ("SERVICE_VERSION", "v3".into()),
                ("HOSTNAME", "reviews-v3-bench".into()),
                ("RATINGS_HOSTNAME", "127.0.0.1".into()),
                ("RATINGS_SERVICE_PORT", ratings.port.to_string()),
            ],
        )
        .await?;
        let reviews_v1 = start_healthy(
            binaries,
            "reviews",
            &[
                ("SERVICE_VERSION", "v1".into()),
                ("HOSTNAME", "reviews-v1-bench".into()),
            ],
        )
        .await?;
        let productpage = start_healthy(
            binaries,
            "productpage",
            &[
                ("DETAILS_HOSTNAME", "127.0.0.1".into()),
                ("DETAILS_SERVICE_PORT", details.port.to_string()),
                ("REVIEWS_HOSTNAME", "127.0.0.1".into()),
                ("REVIEWS_SERVICE_PORT", reviews.port.to_string()),
                ("RATINGS_HOSTNAME", "127.0.0.1".into()),
                ("RATINGS_SERVICE_PORT", ratings.port.to_string()),
                ("BACKEND_CONNECTION_POOLING", pooled.to_string()),
            ],
        )
        .await?;
        Ok(Stack {
            processes: vec![
                (Service::Productpage, productpage),
                (Service::Details, details),
                (Service::Reviews, reviews),
                (Service::ReviewsV1, reviews_v1),
                (Service::Ratings, ratings),
            ],
            clock_ticks: clock_ticks(),
        })
    }

    pub fn url(&self, service: Service, path: &str) -> String {
        self.processes
            .iter()
            .find(|(candidate, _)| *candidate == service)
            .map(|(_, running)| running.url(path))
            .unwrap_or_default()
    }

    /// CPU seconds (user + system) used so far by all four processes together.
    pub fn cpu_seconds(&self) -> f64 {
        self.processes
            .iter()
            .filter_map(|(_, running)| cpu_ticks(running.pid()))
            .sum::<u64>() as f64
            / self.clock_ticks
    }

    /// Peak resident memory of each binary, in KiB (the kernel's VmHWM; the larger of two
    /// processes of one binary).
    pub fn peak_rss(&self) -> Vec<(&'static str, u64)> {
        let mut peaks: Vec<(&'static str, u64)> = Vec::new();
        for (_, running) in &self.processes {
            let Some(rss) = peak_rss_kib(running.pid()) else {
                continue;
            };
            match peaks.iter_mut().find(|(name, _)| *name == running.service) {
                Some((_, peak)) => *peak = (*peak).max(rss),
                None => peaks.push((running.service, rss)),
            }
        }
        peaks
    }

    /// Resident memory of `service`'s process now, in KiB (the kernel's VmRSS).
    pub fn rss_kib(&self, service: Service) -> Option<u64> {
        let (_, running) = self
            .processes
            .iter()
            .find(|(candidate, _)| *candidate == service)?;
        rss_kib(running.pid())
    }

    pub fn stop(self) {
        drop(self);
    }
}

fn cpu_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name, which is in parentheses and may contain spaces.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let user: u64 = fields.get(11)?.parse().ok()?;
    let system: u64 = fields.get(12)?.parse().ok()?;
    Some(user + system)
}

fn peak_rss_kib(pid: u32) -> Option<u64> {
    status_kib(pid, "VmHWM:")
}

/// Resident memory of process `pid` now, in KiB (the kernel's VmRSS).
pub fn rss_kib(pid: u32) -> Option<u64> {
    status_kib(pid, "VmRSS:")
}

/// A memory figure of /proc/PID/status (`VmHWM:`, `VmRSS:`, …), in KiB.
fn status_kib(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|line| line.starts_with(field))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn clock_ticks() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|output| String::from_utf8(output.stdout).ok())
        .and_then(|text| text.trim().parse().ok())
        .unwrap_or(100.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_binary_reads_as_its_libc_and_allocator() {
        let contents = b"\x7fELF..GLIBC_2.34..mimalloc: warning";
        let glibc = BinaryFile::read("details", contents);
        assert_eq!(
            (glibc.libc, glibc.allocator),
            (Libc::Glibc, Allocator::Mimalloc)
        );
        assert_eq!(glibc.bytes, contents.len() as u64);
        let musl = BinaryFile::read("ratings", b"\x7fELF..static..");
        assert_eq!(
            (musl.libc, musl.allocator),
            (Libc::Musl, Allocator::LibcMalloc)
        );
    }

    #[test]
    fn this_test_binary_reads_as_glibc() {
        let contents = std::fs::read(std::env::current_exe().unwrap()).unwrap();
        assert_eq!(BinaryFile::read("bench", &contents).libc, Libc::Glibc);
    }
}
