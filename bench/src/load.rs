//! Load generation: wrk at fixed concurrency for saturation figures, and a paced open-loop
//! generator for latency at a fixed rate (wrk cannot hold a rate).

use std::cell::RefCell;
use std::process::Command;
use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::Semaphore;

use crate::Settings;

/// Requests the paced generator keeps in flight at most.
const MAX_IN_FLIGHT: usize = 4096;

/// The shortest sleep of the paced generator's timer thread: no request is sent more than this
/// late (and that lateness counts in its latency).
const PACER_QUANTUM: Duration = Duration::from_micros(200);

/// What one load run measured.
#[derive(Debug, Clone, Default)]
pub struct Measured {
    pub requests: u64,
    pub requests_per_second: f64,
    pub p50: Duration,
    pub p99: Duration,
    /// Answers that were not 2xx/3xx, plus socket errors.
    pub failures: u64,
}

/// How wrk's connections are used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Connections {
    /// Keep-alive: each connection carries request after request.
    Reused,
    /// `Connection: close` on every request, so each one opens a new TCP connection: what
    /// productpage does to details and reviews by default.
    FreshPerRequest,
}

/// `wrk --latency` against `url` for the run's duration at its concurrency, two threads.
pub async fn wrk(url: &str, settings: &Settings) -> Result<Measured, String> {
    wrk_with(url, settings, Connections::Reused).await
}

/// [`wrk`], choosing how connections are used.
pub async fn wrk_with(
    url: &str,
    settings: &Settings,
    connections: Connections,
) -> Result<Measured, String> {
    let wrk = std::env::var("WRK").unwrap_or_else(|_| "wrk".into());
    let mut command = Command::new(&wrk);
    if connections == Connections::FreshPerRequest {
        command.args(["-H", "Connection: close"]);
    }
    let output = command
        .args(["-t2", &format!("-c{}", settings.connections)])
        .arg(format!("-d{}s", settings.duration().as_secs()))
        .args(["--timeout", "5s", "--latency", url])
        .output()
        .map_err(|error| format!("cannot run {wrk} ({error}); run scripts/deps/bench.sh"))?;
    if !output.status.success() {
        return Err(format!(
            "wrk failed: {}",
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    parse_wrk(&String::from_utf8_lossy(&output.stdout))
}

fn parse_wrk(text: &str) -> Result<Measured, String> {
    let mut measured = Measured::default();
    for line in text.lines().map(str::trim) {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["50%", value] => measured.p50 = parse_duration(value)?,
            ["99%", value] => measured.p99 = parse_duration(value)?,
            ["Requests/sec:", value] => {
                measured.requests_per_second = value.parse().map_err(|_| line.to_owned())?;
            }
            [count, "requests", "in", ..] => {
                measured.requests = count.parse().map_err(|_| line.to_owned())?;
            }
            ["Non-2xx", "or", "3xx", "responses:", count] => {
                measured.failures += count.parse::<u64>().unwrap_or(0);
            }
            ["Socket", "errors:", rest @ ..] => {
                measured.failures += rest
                    .iter()
                    .filter_map(|word| word.trim_end_matches(',').parse::<u64>().ok())
                    .sum::<u64>();
            }
            _ => {}
        }
    }
    if measured.requests == 0 {
        return Err(format!("wrk made no requests:\n{text}"));
    }
    Ok(measured)
}

fn parse_duration(value: &str) -> Result<Duration, String> {
    let split = value
        .find(|c: char| c.is_ascii_alphabetic())
        .ok_or_else(|| format!("no unit in {value:?}"))?;
    let (number, unit) = value.split_at(split);
    let number: f64 = number
        .parse()
        .map_err(|_| format!("bad number in {value:?}"))?;
    let seconds = match unit {
        "us" => number / 1e6,
        "ms" => number / 1e3,
        "s" => number,
        "m" => number * 60.0,
        _ => return Err(format!("unknown unit in {value:?}")),
    };
    Ok(Duration::from_secs_f64(seconds))
}

/// Requests at a fixed `rate` for `duration`, each timed from when it was due (so a stalled
/// server shows as latency rather than as fewer requests), over pooled keep-alive connections.
pub async fn paced(url: &str, rate: f64, duration: Duration) -> Result<Measured, String> {
    let rate = rate.max(1.0);
    let interval = Duration::from_secs_f64(1.0 / rate);
    let total = (rate * duration.as_secs_f64()).ceil() as u64;
    let client = awc::Client::builder()
        .timeout(Duration::from_secs(5))
        .finish();
    let latencies = Rc::new(RefCell::new(Vec::with_capacity(total as usize)));
    let failures = Rc::new(RefCell::new(0u64));
    // Finished tasks are freed as they end (a kept JoinHandle holds its task: a 10-minute soak
    // grew the generator past 2 GB), and requests in flight are bounded: when the server falls
    // that far behind, the generator waits, and the wait shows in the latencies, timed from
    // when each request was due.
    let in_flight = Arc::new(Semaphore::new(MAX_IN_FLIGHT));
    let (pacer, mut due_times) = Pacer::start(interval, total);
    let started = pacer.started;
    while let Some(due) = due_times.recv().await {
        let permit = in_flight
            .clone()
            .acquire_owned()
            .await
            .map_err(|error| error.to_string())?;
        let request = client.get(url);
        let latencies = latencies.clone();
        let failures = failures.clone();
        actix_web::rt::spawn(async move {
            let outcome = async {
                let mut response = request.send().await.ok()?;
                response.body().await.ok()?;
                response.status().is_success().then_some(())
            }
            .await;
            match outcome {
                Some(()) => latencies.borrow_mut().push(due.elapsed()),
                None => *failures.borrow_mut() += 1,
            }
            drop(permit);
        });
    }
    pacer.finish()?;
    // Every permit back: every request answered or failed.
    let _all_done = in_flight
        .acquire_many(MAX_IN_FLIGHT as u32)
        .await
        .map_err(|error| error.to_string())?;
    let mut latencies = latencies.take();
    latencies.sort_unstable();
    let percentile = |share: f64| {
        latencies
            .get(((latencies.len() as f64 * share) as usize).min(latencies.len().saturating_sub(1)))
            .copied()
            .unwrap_or_default()
    };
    Ok(Measured {
        requests: total,
        requests_per_second: total as f64 / started.elapsed().as_secs_f64(),
        p50: percentile(0.50),
        p99: percentile(0.99),
        failures: failures.take(),
    })
}

/// The thread that says when each paced request is due. tokio's timer counts whole
/// milliseconds: at thousands of requests a second, sleeping on it sent them in bursts, each up
/// to a millisecond late, and that lateness (the generator's, not the server's) was counted in
/// every latency. A thread of its own sleeps on the system's high-resolution timer and hands
/// each due time to the runtime, which sends the request at once. It sleeps at least
/// [`PACER_QUANTUM`] at a time: a wake-up per request (12,600 a second at half the page's
/// saturation here) cost the generator more CPU than the lateness it saved.
struct Pacer {
    started: Instant,
    thread: std::thread::JoinHandle<()>,
}

impl Pacer {
    /// Starts counting `total` due times, `interval` apart from now; they arrive on the receiver.
    /// When the generator is that far behind (the server stalls), the thread waits for room:
    /// the due times stay those of the schedule, so the wait is counted as latency.
    fn start(interval: Duration, total: u64) -> (Pacer, tokio::sync::mpsc::Receiver<Instant>) {
        let (due_times, receiver) = tokio::sync::mpsc::channel(MAX_IN_FLIGHT);
        let started = Instant::now();
        let thread = std::thread::spawn(move || {
            for index in 0..total {
                let due = started + interval.mul_f64(index as f64);
                let wait = due.saturating_duration_since(Instant::now());
                if !wait.is_zero() {
                    std::thread::sleep(wait.max(PACER_QUANTUM));
                }
                if due_times.blocking_send(due).is_err() {
                    return;
                }
            }
        });
        (Pacer { started, thread }, receiver)
    }

    fn finish(self) -> Result<(), String> {
        self.thread
            .join()
            .map_err(|_| "the paced generator's timer thread panicked".to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_wrk_latency_output() {
        let text = "Running 1s test @ http://127.0.0.1:1/\n  2 threads and 8 connections\n  Latency Distribution\n     50%  189.00us\n     75%  250.00us\n     90%  1.10ms\n     99%    2.50ms\n  12345 requests in 1.00s, 1.00MB read\n  Non-2xx or 3xx responses: 3\nRequests/sec:  12345.67\nTransfer/sec:      1.00MB\n";
        let measured = parse_wrk(text).unwrap();
        assert_eq!(measured.requests, 12345);
        assert_eq!(measured.failures, 3);
        assert!((measured.requests_per_second - 12345.67).abs() < 0.01);
        assert_eq!(measured.p50, Duration::from_micros(189));
        assert_eq!(measured.p99, Duration::from_micros(2500));
    }

    #[test]
    fn output_without_requests_is_an_error() {
        assert!(parse_wrk("unable to connect").is_err());
    }
}
