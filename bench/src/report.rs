//! The markdown report: each figure beside the ceiling, its empty graph and its target.

use std::fmt::Write;
use std::time::Duration;

use crate::full_store::{FullStore, MANIFEST_LIMIT_KIB};
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
    /// What the same call graph with no work in it reached in this run: the most this row could.
    pub empty_graph_rps: f64,
    is_page: bool,
}

impl Row {
    pub fn new(
        label: &'static str,
        measured: &Measured,
        cpu_seconds: f64,
        is_page: bool,
        empty_graph_rps: f64,
    ) -> Row {
        Row {
            label,
            requests_per_second: measured.requests_per_second,
            p50: measured.p50,
            p99: measured.p99,
            cpu_per_thousand: cpu_seconds * 1000.0 / measured.requests.max(1) as f64,
            failures: measured.failures,
            empty_graph_rps,
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
    /// ratings once its in-memory store refused new products.
    pub ratings_full_store: Option<FullStore>,
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
            ratings_full_store: None,
            startup: Vec::new(),
            binary_sizes: Vec::new(),
        }
    }

    fn share(&self, requests_per_second: f64) -> f64 {
        requests_per_second / self.ceiling_rps.max(1.0)
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
             the ceiling.\n\n\
             *Empty graph*: the row's call graph built from the same trivial server, calling the \
             way the services do (productpage: details, then reviews, which calls ratings) and \
             doing nothing else, measured in this run: the most this stack can reach on this \
             machine for that row. A target above its empty graph is out of reach here.\n",
            self.fresh_connection_ceiling_rps,
            self.share(self.fresh_connection_ceiling_rps) * 100.0,
        );
        let _ = writeln!(
            out,
            "| target | req/s | share of ceiling | target share | met | empty graph, share of ceiling | share of empty graph | p50 ms | p99 ms | CPU s / 1000 req | failed |\n|---|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|"
        );
        for row in &self.rows {
            let share = self.share(row.requests_per_second);
            let target = if row.is_page {
                PRODUCTPAGE_SHARE_TARGET
            } else {
                BACKEND_SHARE_TARGET
            };
            let empty_graph_share = self.share(row.empty_graph_rps);
            let met = match (share >= target, empty_graph_share >= target) {
                (true, _) => "yes",
                (false, true) => "**no**",
                (false, false) => "**no** (out of reach)",
            };
            let _ = writeln!(
                out,
                "| {} | {:.0} | {:.1}% | {:.0}% | {met} | {:.1}% | {:.0}% | {} | {} | {:.3} | {} |",
                row.label,
                row.requests_per_second,
                share * 100.0,
                target * 100.0,
                empty_graph_share * 100.0,
                row.requests_per_second / row.empty_graph_rps.max(1.0) * 100.0,
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
        if let Some(full) = &self.ratings_full_store {
            let _ = writeln!(
                out,
                "\nratings with its in-memory store full ({} products of 545 reviewers, 4 KiB each): \
                 RSS {:.1} MiB (manifest limit {} MiB: {})",
                full.products,
                full.rss_kib as f64 / 1024.0,
                MANIFEST_LIMIT_KIB / 1024,
                verdict(full.rss_kib < MANIFEST_LIMIT_KIB),
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(label: &'static str, requests_per_second: f64, empty_graph_rps: f64) -> Row {
        let measured = Measured {
            requests: 1000,
            requests_per_second,
            ..Measured::default()
        };
        let is_page = label.starts_with("productpage");
        Row::new(label, &measured, 1.0, is_page, empty_graph_rps)
    }

    fn table_line<'a>(table: &'a str, label: &str) -> &'a str {
        table
            .lines()
            .find(|line| line.starts_with(&format!("| {label} |")))
            .unwrap_or_else(|| panic!("no line for {label} in\n{table}"))
    }

    #[test]
    fn each_row_is_read_against_the_ceiling_and_its_empty_graph() {
        let mut report = Report::new(Duration::from_secs(1), 8);
        report.ceiling_rps = 100_000.0;
        report.rows = vec![
            row("productpage", 3_000.0, 5_000.0),
            row("reviews v3", 20_000.0, 40_000.0),
            row("details", 60_000.0, 100_000.0),
            row("ratings", 40_000.0, 100_000.0),
        ];

        let table = report.to_markdown();

        assert_eq!(
            table_line(&table, "productpage"),
            "| productpage | 3000 | 3.0% | 10% | **no** (out of reach) | 5.0% | 60% | 0.00 | 0.00 | 1.000 | 0 |"
        );
        assert!(
            table_line(&table, "reviews v3")
                .contains("| 50% | **no** (out of reach) | 40.0% | 50% |"),
            "{table}"
        );
        assert!(
            table_line(&table, "details").contains("| 60.0% | 50% | yes | 100.0% | 60% |"),
            "{table}"
        );
        assert!(
            table_line(&table, "ratings").contains("| 40.0% | 50% | **no** | 100.0% | 40% |"),
            "{table}"
        );
    }
}
