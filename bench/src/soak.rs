//! `--soak`: the stack under a steady 70 % of `/productpage`'s measured saturation for a long
//! while (10 minutes by default), to show that nothing fails and no service's memory grows once
//! it is warm. It reports the errors (expected 0) and each process's RSS at start and end.

use std::fmt::Write as _;
use std::time::Duration;

use crate::Settings;
use crate::load::{self, Measured};
use crate::process::{Service, Stack};

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
    /// (service, RSS after the warm-up, RSS at the end), in KiB.
    rss: Vec<(Service, u64, u64)>,
}

/// Measures saturation with wrk for the run's row duration, warms up, then paces `/productpage`
/// at [`SHARE_OF_SATURATION`] of it for `soak`.
pub async fn run(settings: &Settings, soak: Duration) -> Result<SoakReport, String> {
    let stack = Stack::start(&settings.binaries, false).await?;
    let url = stack.url(Service::Productpage, "/productpage");
    let saturation_rps = load::wrk(&url, settings).await?.requests_per_second;
    let rate = saturation_rps * SHARE_OF_SATURATION;
    load::paced(&url, rate, warm_up(soak)).await?;
    let start = rss(&stack);
    let paced = load::paced(&url, rate, soak).await?;
    let rss = start
        .into_iter()
        .map(|(service, before)| (service, before, stack.rss_kib(service).unwrap_or(0)))
        .collect();
    stack.stop();
    Ok(SoakReport {
        saturation_rps,
        paced,
        soak,
        rss,
    })
}

/// Every process of the stack with its RSS now, in KiB.
fn rss(stack: &Stack) -> Vec<(Service, u64)> {
    [
        Service::Productpage,
        Service::Details,
        Service::Reviews,
        Service::ReviewsV1,
        Service::Ratings,
    ]
    .into_iter()
    .filter_map(|service| Some((service, stack.rss_kib(service)?)))
    .collect()
}

impl SoakReport {
    /// Did every request succeed?
    pub fn passed(&self) -> bool {
        self.paced.failures == 0
    }

    pub fn to_markdown(&self) -> String {
        let mut text = String::new();
        let _ = writeln!(
            text,
            "## Soak: `/productpage` at {:.0} % of saturation for {} s\n",
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
            "| process | RSS after warm-up | RSS at end | change |"
        );
        let _ = writeln!(text, "|---|---:|---:|---:|");
        for (service, before, after) in &self.rss {
            let _ = writeln!(
                text,
                "| {service:?} | {before} KiB | {after} KiB | {:+} KiB |",
                *after as i64 - *before as i64
            );
        }
        text
    }
}
