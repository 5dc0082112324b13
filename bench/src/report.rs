//! The markdown report: each figure beside the ceiling and beside its target.

use std::fmt::Write;
use std::time::Duration;

use crate::load::Measured;

/// Targets on a 2-core machine with the load generator on the same machine.
const PRODUCTPAGE_SHARE_TARGET: f64 = 0.10;
const BACKEND_SHARE_TARGET: f64 = 0.50;
const PACED_P99_TARGET: Duration = Duration::from_millis(10);
const RSS_TARGET_KIB: u64 = 15 * 1024;
const STARTUP_TARGET: Duration = Duration::from_millis(50);
const BINARY_TARGET_BYTES: u64 = 12 * 1024 * 1024;

pub struct Row {
    pub label: &'static str,
    pub requests_per_second: f64,
    pub p50: Duration,
    pub p99: Duration,
    pub cpu_per_thousand: f64,
    pub failures: u64,
    /// The most this row could reach, as a share of the ceiling, given what it is made of and
    /// what those parts measured in the same run (see [`Report::set_chain_bounds`]).
    pub bound_share: Option<f64>,
    is_page: bool,
}

impl Row {
    pub fn new(label: &'static str, measured: &Measured, cpu_seconds: f64, is_page: bool) -> Row {
        Row {
            label,
            requests_per_second: measured.requests_per_second,
            p50: measured.p50,
            p99: measured.p99,
            cpu_per_thousand: cpu_seconds * 1000.0 / measured.requests.max(1) as f64,
            failures: measured.failures,
            bound_share: None,
            is_page,
        }
    }
}

pub struct Report {
    duration: Duration,
    connections: u32,
    pub ceiling_rps: f64,
    /// The ceiling server with a new connection per request.
    pub fresh_connection_ceiling_rps: f64,
    pub rows: Vec<Row>,
    pub paced_productpage: Option<Measured>,
    pub peak_rss: Vec<(&'static str, u64)>,
    pub startup: Vec<(&'static str, Duration)>,
    pub binary_sizes: Vec<(&'static str, u64)>,
}

fn verdict(met: bool) -> &'static str {
    if met { "yes" } else { "**no**" }
}

fn ms(duration: Duration) -> String {
    format!("{:.2}", duration.as_secs_f64() * 1000.0)
}

impl Report {
    pub fn new(duration: Duration, connections: u32) -> Report {
        Report {
            duration,
            connections,
            ceiling_rps: 0.0,
            fresh_connection_ceiling_rps: 0.0,
            rows: Vec::new(),
            paced_productpage: None,
            peak_rss: Vec::new(),
            startup: Vec::new(),
            binary_sizes: Vec::new(),
        }
    }

    fn share(&self, requests_per_second: f64) -> f64 {
        requests_per_second / self.ceiling_rps.max(1.0)
    }

    fn row_rps(&self, label_start: &str) -> Option<f64> {
        self.rows
            .iter()
            .find(|row| row.label.starts_with(label_start))
            .map(|row| row.requests_per_second)
    }

    /// Upper bounds for the two rows that are chains, from their parts' figures in this run,
    /// counting only the parts (no client, no page): on one machine the parts' CPU adds up, so
    /// rates combine as `1 / (1/a + 1/b + …)`.
    /// - `/productpage`, default: two calls over a fresh connection each, each at best one
    ///   fresh-connection ceiling request.
    /// - reviews v3: one reviews v1 request plus one ratings request.
    pub fn set_chain_bounds(&mut self) {
        let chain = |parts: &[f64]| {
            let cost: f64 = parts.iter().map(|rps| 1.0 / rps.max(1.0)).sum();
            1.0 / cost
        };
        let fresh = self.fresh_connection_ceiling_rps;
        let page_bound = (fresh > 0.0).then(|| self.share(chain(&[fresh, fresh])));
        let reviews_bound = self
            .row_rps("reviews v1")
            .zip(self.row_rps("ratings"))
            .map(|(reviews, ratings)| self.share(chain(&[reviews, ratings])));
        for row in &mut self.rows {
            if row.label == "productpage `/productpage`" {
                row.bound_share = page_bound;
            } else if row.label.starts_with("reviews v3") {
                row.bound_share = reviews_bound;
            }
        }
    }

    pub fn to_markdown(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "# Bookinfo benchmark\n\nwrk, 2 threads, {} connections, {} s per row, everything on this machine \
             ({} cores). Ceiling: a trivial actix-web server answering a fixed string: **{:.0} req/s**.\n",
            self.connections,
            self.duration.as_secs(),
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(0),
            self.ceiling_rps,
        );
        let _ = writeln!(
            out,
            "With a new TCP connection per request (`Connection: close`, how productpage calls \
             details and reviews by default) the same server answers **{:.0} req/s**, {:.1}% of \
             the ceiling: the kernel's connect, accept and close, not the server, set that figure.\n\n\
             *Bound*: the most a chained row could reach from its parts' figures in this run \
             (default `/productpage`: two fresh-connection requests; reviews v3: a reviews v1 \
             request plus a ratings request).\n",
            self.fresh_connection_ceiling_rps,
            self.share(self.fresh_connection_ceiling_rps) * 100.0,
        );
        let _ = writeln!(
            out,
            "| target | req/s | share of ceiling | bound | target share | met | p50 ms | p99 ms | CPU s / 1000 req | failed |\n|---|---:|---:|---:|---:|---|---:|---:|---:|---:|"
        );
        for row in &self.rows {
            let share = self.share(row.requests_per_second);
            let target = if row.is_page {
                PRODUCTPAGE_SHARE_TARGET
            } else {
                BACKEND_SHARE_TARGET
            };
            let _ = writeln!(
                out,
                "| {} | {:.0} | {:.1}% | {} | {:.0}% | {} | {} | {} | {:.3} | {} |",
                row.label,
                row.requests_per_second,
                share * 100.0,
                row.bound_share
                    .map(|bound| format!("{:.1}%", bound * 100.0))
                    .unwrap_or_else(|| "-".into()),
                target * 100.0,
                verdict(share >= target),
                ms(row.p50),
                ms(row.p99),
                row.cpu_per_thousand,
                row.failures,
            );
        }
        if let Some(paced) = &self.paced_productpage {
            let _ = writeln!(
                out,
                "\n`/productpage` paced at half its saturation rate ({:.0} req/s): p50 {} ms, p99 {} ms \
                 (target < {} ms: {}), {} failed.",
                paced.requests_per_second,
                ms(paced.p50),
                ms(paced.p99),
                PACED_P99_TARGET.as_millis(),
                verdict(paced.p99 < PACED_P99_TARGET),
                paced.failures,
            );
        }
        let _ = writeln!(
            out,
            "\n| service | peak RSS MiB (target < 15) | exec to healthy ms (target < 50) | binary MiB (target < 12) |\n|---|---:|---:|---:|"
        );
        for (service, size) in &self.binary_sizes {
            let rss = self
                .peak_rss
                .iter()
                .find(|(name, _)| name == service)
                .map(|(_, kib)| *kib);
            let startup = self
                .startup
                .iter()
                .find(|(name, _)| name == service)
                .map(|(_, d)| *d);
            let _ = writeln!(
                out,
                "| {service} | {} | {} | {:.1} {} |",
                rss.map(|kib| format!(
                    "{:.1} {}",
                    kib as f64 / 1024.0,
                    verdict(kib < RSS_TARGET_KIB)
                ))
                .unwrap_or_else(|| "-".into()),
                startup
                    .map(|d| format!("{} {}", ms(d), verdict(d < STARTUP_TARGET)))
                    .unwrap_or_else(|| "-".into()),
                *size as f64 / (1024.0 * 1024.0),
                verdict(*size < BINARY_TARGET_BYTES),
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(label: &'static str, requests_per_second: f64) -> Row {
        let measured = Measured {
            requests: 1000,
            requests_per_second,
            ..Measured::default()
        };
        Row::new(label, &measured, 1.0, label.starts_with("productpage"))
    }

    #[test]
    fn chains_are_bounded_by_their_parts_rates_combined() {
        let mut report = Report::new(Duration::from_secs(1), 8);
        report.ceiling_rps = 100_000.0;
        report.fresh_connection_ceiling_rps = 16_000.0;
        report.rows = vec![
            row("productpage `/productpage`", 3_000.0),
            row("reviews v3 `/reviews/0`", 15_000.0),
            row("reviews v1 `/reviews/0` (no ratings call)", 40_000.0),
            row("ratings `/ratings/0`", 40_000.0),
        ];

        report.set_chain_bounds();

        let bounds: Vec<Option<f64>> = report.rows.iter().map(|row| row.bound_share).collect();
        assert_eq!(bounds, [Some(0.08), Some(0.20), None, None]);
        let table = report.to_markdown();
        assert!(table.contains("| 8.0% |"), "{table}");
        assert!(table.contains("| 20.0% |"), "{table}");
    }
}
