//! `--soak`: the stack under a steady 70 % of `/productpage`'s measured saturation for a long
//! while (10 minutes by default), to show that nothing fails and no service's memory grows once
//! it is warm, run through the launcher with each service in its own process. It reports the
//! errors (expected 0) and each process's RSS (the launcher's too) at start, after the warm-up
//! and at the end.

use std::fmt::Write as _;
use std::time::Duration;

use crate::Settings;
use crate::launcher::Launcher;
use crate::load::{self, Measured};

/// The share of the measured saturation rate the soak holds.
pub const SHARE_OF_SATURATION: f64 = 0.7;

/// How long the warm-up runs before the starting RSS is read: long enough for every worker to
/// have served requests and grown its pools, a small part of the soak.
fn warm_up(soak: Duration) -> Duration {
    (soak / 20).clamp(Duration::from_secs(1), Duration::from_secs(30))
}

pub struct SoakReport {
    saturation_rps: f64,
    paced: Measured,
    soak: Duration,
    /// Each process (the launcher, then each workload) with its RSS in KiB: at start, after
    /// saturation and the warm-up, and at the end.
    rss: Vec<ProcessRss>,
    /// Did the launcher stop cleanly on SIGTERM, draining every child?
    stopped_cleanly: bool,
}

struct ProcessRss {
    name: String,
    start: u64,
    warm: u64,
    end: u64,
}

/// Starts `bookinfo --bin-dir` (each service its own process, under the launcher), measures
/// saturation with wrk for the run's row duration, warms up, then paces `/productpage` at
/// [`SHARE_OF_SATURATION`] of it for `soak`.
pub async fn run(settings: &Settings, soak: Duration) -> Result<SoakReport, String> {
    let launcher = Launcher::start(&settings.binaries)?;
    let start = launcher.rss();
    let url = launcher.url("/productpage");
    let saturation_rps = load::wrk(&url, settings).await?.requests_per_second;
    let rate = saturation_rps * SHARE_OF_SATURATION;
    load::paced(&url, rate, warm_up(soak)).await?;
    let warm = launcher.rss();
    let paced = load::paced(&url, rate, soak).await?;
    let end = launcher.rss();
    let rss = start
        .into_iter()
        .zip(warm)
        .zip(end)
        .map(|(((name, start), (_, warm)), (_, end))| ProcessRss {
            name,
            start,
            warm,
            end,
        })
        .collect();
    let stopped_cleanly = launcher.stop();
    Ok(SoakReport {
        saturation_rps,
        paced,
        soak,
        rss,
        stopped_cleanly,
    })
}

impl SoakReport {
    /// Did every request succeed?
    pub fn passed(&self) -> bool {
        self.paced.failures == 0 && self.stopped_cleanly
    }

    pub fn to_markdown(&self) -> String {
        let mut text = String::new();
        let _ = writeln!(
            text,
            "## Soak: `/productpage` through `bookinfo --bin-dir` at {:.0} % of saturation for {} s\n",
            SHARE_OF_SATURATION * 100.0,
            self.soak.as_secs()
        );
        let _ = writeln!(
            text,
            "Saturation {:.0} req/s; paced at {:.0} req/s: {} requests, **{} errors**, p50 {:.1} ms, \
             p99 {:.1} ms.\n",
            self.saturation_rps,
            self.paced.requests_per_second,
            self.paced.requests,
            self.paced.failures,
            self.paced.p50.as_secs_f64() * 1000.0,
            self.paced.p99.as_secs_f64() * 1000.0,
        );
        let _ = writeln!(
            text,
            "| process | RSS at start | after warm-up | at end | change after warm-up |"
        );
        let _ = writeln!(text, "|---|---:|---:|---:|---:|");
        for process in &self.rss {
            let _ = writeln!(
                text,
                "| {} | {} KiB | {} KiB | {} KiB | {:+} KiB |",
                process.name,
                process.start,
                process.warm,
                process.end,
                process.end as i64 - process.warm as i64
            );
        }
        let _ = writeln!(
            text,
            "\nStopped with SIGTERM: {}.",
            if self.stopped_cleanly {
                "every process drained and exited"
            } else {
                "**the launcher did not exit cleanly**"
            }
        );
        text
    }
}
