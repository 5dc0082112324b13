//! The markdown report: each figure beside the ceiling, its empty graph and its target.

use std::fmt::Write;
use std::time::Duration;

use crate::full_store::{FullStore, MANIFEST_LIMIT_KIB};
use crate::load::Measured;
use crate::process::{Allocator, BinaryFile, Libc};

/// Issue 18's targets are ratios within one run at this many wrk connections.
pub const REFERENCE_CONNECTIONS: u32 = 32;
/// Default `/productpage` at half its saturation rate.
const PACED_P99_TARGET: Duration = Duration::from_millis(5);
const RSS_TARGET_KIB: u64 = 15 * 1024;
const STARTUP_TARGET: Duration = Duration::from_millis(50);
const BINARY_TARGET_BYTES: u64 = 12 * 1024 * 1024;

/// What a row is read against: a share of its empty graph, or of the ceiling.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Goal {
    /// At least this share of the row's empty graph's rate.
    EmptyGraph(f64),
    /// At least this share of the ceiling's rate.
    Ceiling(f64),
}

impl Goal {
    fn minimum(self) -> f64 {
        match self {
            Goal::EmptyGraph(share) | Goal::Ceiling(share) => share,
        }
    }

    fn describe(self) -> String {
        match self {
            Goal::EmptyGraph(share) => format!("≥ {:.0}% of empty graph", share * 100.0),
            Goal::Ceiling(share) => format!("≥ {:.0}% of ceiling", share * 100.0),
        }
    }
}

pub struct Row {
    pub label: &'static str,
    pub requests_per_second: f64,
    pub p50: Duration,
    pub p99: Duration,
    pub cpu_per_thousand: f64,
    pub failures: u64,
    /// What the same call graph with no work in it reached in this row's round: the most this
    /// row could.
    pub empty_graph_rps: f64,
    /// The ceiling measured in this row's round.
    pub ceiling_rps: f64,
    pub goal: Goal,
}

impl Row {
    /// The row's rate as a share of its empty graph's, measured in the same round.
    pub fn share_of_empty_graph(&self) -> f64 {
        self.requests_per_second / self.empty_graph_rps.max(1.0)
    }

    pub fn new(
        label: &'static str,
        measured: &Measured,
        cpu_seconds: f64,
        (ceiling_rps, empty_graph_rps): (f64, f64),
        goal: Goal,
    ) -> Row {
        Row {
            label,
            requests_per_second: measured.requests_per_second,
            p50: measured.p50,
            p99: measured.p99,
            cpu_per_thousand: cpu_seconds * 1000.0 / measured.requests.max(1) as f64,
            failures: measured.failures,
            empty_graph_rps,
            ceiling_rps,
            goal,
        }
    }

    /// The row's rate as a share of the ceiling measured in its round.
    fn share_of_ceiling(&self) -> f64 {
        self.requests_per_second / self.ceiling_rps.max(1.0)
    }
}

pub struct Report {
    duration: Duration,
    connections: u32,
    /// How many times each row was measured; each row shows its median round.
    rounds: u32,
    pub ceiling_rps: f64,
    /// The ceiling server with a new connection per request.
    pub fresh_connection_ceiling_rps: f64,
    pub rows: Vec<Row>,
    /// One paced run per round; the report shows the median by p99 and every run's p99.
    pub paced_productpage: Vec<Measured>,
    pub peak_rss: Vec<(&'static str, u64)>,
    /// ratings once its in-memory store refused new products.
    pub ratings_full_store: Option<FullStore>,
    pub startup: Vec<(&'static str, Duration)>,
    pub binaries: Vec<BinaryFile>,
}

fn verdict(met: bool) -> &'static str {
    if met { "yes" } else { "**no**" }
}

fn ms(duration: Duration) -> String {
    format!("{:.2}", duration.as_secs_f64() * 1000.0)
}

/// The middle value of `values` by `key` (the upper one of an even count); `None` when there are
/// none.
pub fn median_by<T>(mut values: Vec<T>, key: impl Fn(&T) -> f64) -> Option<T> {
    values.sort_by(|a, b| key(a).total_cmp(&key(b)));
    let middle = values.len() / 2;
    values.into_iter().nth(middle)
}

impl Report {
    pub fn new(duration: Duration, connections: u32, rounds: u32) -> Report {
        Report {
            duration,
            connections,
            rounds,
            ceiling_rps: 0.0,
            fresh_connection_ceiling_rps: 0.0,
            rows: Vec::new(),
            paced_productpage: Vec::new(),
            peak_rss: Vec::new(),
            ratings_full_store: None,
            startup: Vec::new(),
            binaries: Vec::new(),
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
             ({} cores). Ceiling: a trivial actix-web server answering a fixed string: **{:.0} req/s**.\n\n\
             {} round(s): every row and every empty graph measured once per round, one after the \
             other; each row below is its round whose share of its empty graph is the median, \
             beside that round's empty graph (the ceilings are their median).\n",
            self.connections,
            self.duration.as_secs(),
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(0),
            self.ceiling_rps,
            self.rounds,
        );
        let _ = writeln!(
            out,
            "With a new TCP connection per request (`Connection: close`, how productpage calls \
             details and reviews for a sequential client) the same server answers **{:.0} req/s**, {:.1}% of \
             the ceiling.\n\n\
             *Empty graph*: the row's call graph built from the same trivial server, calling the \
             way the services do (productpage: details, then reviews, which calls ratings) and \
             doing nothing else, measured in this run: the most this stack can reach on this \
             machine for that row. Issue 18's targets are ratios to it (the default page's to \
             the pooled page graph, since it reuses connections under load), or to the ceiling \
             for the leaves; a share of the ceiling above the empty graph's is out of reach.\n",
            self.fresh_connection_ceiling_rps,
            self.share(self.fresh_connection_ceiling_rps) * 100.0,
        );
        if self.connections != REFERENCE_CONNECTIONS {
            let _ = writeln!(
                out,
                "Issue 18's targets are read at {REFERENCE_CONNECTIONS} connections; this run used \
                 {}, so its verdicts are only indicative.\n",
                self.connections,
            );
        }
        let _ = writeln!(
            out,
            "| target | req/s | share of ceiling | empty graph req/s | share of empty graph | target | met | p50 ms | p99 ms | CPU s / 1000 req | failed |\n|---|---:|---:|---:|---:|---|---|---:|---:|---:|---:|"
        );
        for row in &self.rows {
            let of_empty_graph = row.share_of_empty_graph();
            let (reached, reachable) = match row.goal {
                Goal::EmptyGraph(_) => (of_empty_graph, 1.0),
                Goal::Ceiling(_) => (
                    row.share_of_ceiling(),
                    row.empty_graph_rps / row.ceiling_rps.max(1.0),
                ),
            };
            let met = match (
                reached >= row.goal.minimum(),
                reachable >= row.goal.minimum(),
            ) {
                (true, _) => "yes",
                (false, true) => "**no**",
                (false, false) => "**no** (out of reach)",
            };
            let _ = writeln!(
                out,
                "| {} | {:.0} | {:.1}% | {:.0} | {:.0}% | {} | {met} | {} | {} | {:.3} | {} |",
                row.label,
                row.requests_per_second,
                row.share_of_ceiling() * 100.0,
                row.empty_graph_rps,
                of_empty_graph * 100.0,
                row.goal.describe(),
                ms(row.p50),
                ms(row.p99),
                row.cpu_per_thousand,
                row.failures,
            );
        }
        if let Some(paced) = median_by(self.paced_productpage.clone(), |run| run.p99.as_secs_f64())
        {
            let every_p99: Vec<String> = self
                .paced_productpage
                .iter()
                .map(|run| ms(run.p99))
                .collect();
            let failed: u64 = self.paced_productpage.iter().map(|run| run.failures).sum();
            let _ = writeln!(
                out,
                "\n`/productpage` paced at half its saturation rate ({:.0} req/s), the median of {} \
                 run(s) by p99: p50 {} ms, p99 {} ms (target < {} ms: {}; each run's p99: {} ms), \
                 {failed} failed.",
                paced.requests_per_second,
                self.paced_productpage.len(),
                ms(paced.p50),
                ms(paced.p99),
                PACED_P99_TARGET.as_millis(),
                verdict(paced.p99 < PACED_P99_TARGET),
                every_p99.join(", "),
            );
        }
        let _ = writeln!(
            out,
            "\n| service | peak RSS MiB (target < 15) | exec to healthy ms (target < 50) | binary MiB (target < 12) | libc | allocator |\n|---|---:|---:|---:|---|---|"
        );
        for binary in &self.binaries {
            let service = binary.service;
            let rss = self
                .peak_rss
                .iter()
                .find(|(name, _)| *name == service)
                .map(|(_, kib)| *kib);
            let startup = self
                .startup
                .iter()
                .find(|(name, _)| *name == service)
                .map(|(_, d)| *d);
            let _ = writeln!(
                out,
                "| {service} | {} | {} | {:.1} {} | {} | {} |",
                rss.map(|kib| format!(
                    "{:.1} {}",
                    kib as f64 / 1024.0,
                    verdict(kib < RSS_TARGET_KIB)
                ))
                .unwrap_or_else(|| "-".into()),
                startup
                    .map(|d| format!("{} {}", ms(d), verdict(d < STARTUP_TARGET)))
                    .unwrap_or_else(|| "-".into()),
                binary.bytes as f64 / (1024.0 * 1024.0),
                verdict(binary.bytes < BINARY_TARGET_BYTES),
                match binary.libc {
                    Libc::Glibc => "glibc",
                    Libc::Musl => "musl",
                },
                match binary.allocator {
                    Allocator::Mimalloc => "mimalloc",
                    Allocator::LibcMalloc => "libc malloc",
                },
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

    fn row(label: &'static str, requests_per_second: f64, empty_graph_rps: f64, goal: Goal) -> Row {
        let measured = Measured {
            requests: 1000,
            requests_per_second,
            ..Measured::default()
        };
        Row::new(label, &measured, 1.0, (100_000.0, empty_graph_rps), goal)
    }

    fn table_line<'a>(table: &'a str, label: &str) -> &'a str {
        table
            .lines()
            .find(|line| line.starts_with(&format!("| {label} |")))
            .unwrap_or_else(|| panic!("no line for {label} in\n{table}"))
    }

    #[test]
    fn each_row_is_read_against_its_goal_in_the_same_run() {
        let mut report = Report::new(Duration::from_secs(1), REFERENCE_CONNECTIONS, 1);
        report.ceiling_rps = 100_000.0;
        report.rows = vec![
            row("productpage", 4_000.0, 5_000.0, Goal::EmptyGraph(0.85)),
            row("reviews v3", 36_000.0, 40_000.0, Goal::EmptyGraph(0.80)),
            row("details", 60_000.0, 100_000.0, Goal::Ceiling(0.60)),
            row("ratings", 40_000.0, 100_000.0, Goal::Ceiling(0.60)),
            row("starved", 40_000.0, 50_000.0, Goal::Ceiling(0.60)),
        ];

        let table = report.to_markdown();

        assert_eq!(
            table_line(&table, "productpage"),
            "| productpage | 4000 | 4.0% | 5000 | 80% | ≥ 85% of empty graph | **no** | 0.00 | 0.00 | 1.000 | 0 |"
        );
        assert!(
            table_line(&table, "reviews v3").contains("| 90% | ≥ 80% of empty graph | yes |"),
            "{table}"
        );
        assert!(
            table_line(&table, "details")
                .contains("| 60.0% | 100000 | 60% | ≥ 60% of ceiling | yes |"),
            "{table}"
        );
        assert!(
            table_line(&table, "ratings").contains("| ≥ 60% of ceiling | **no** |"),
            "{table}"
        );
        assert!(
            table_line(&table, "starved").contains("| ≥ 60% of ceiling | **no** (out of reach) |"),
            "{table}"
        );
        assert!(!table.contains("only indicative"), "{table}");
    }

    #[test]
    fn a_run_at_other_than_32_connections_says_its_verdicts_are_indicative() {
        let report = Report::new(Duration::from_secs(1), 8, 1);
        assert!(
            report.to_markdown().contains(
                "read at 32 connections; this run used 8, so its verdicts are only indicative"
            ),
            "{}",
            report.to_markdown()
        );
    }

    #[test]
    fn the_paced_page_is_read_against_5_ms() {
        let mut report = Report::new(Duration::from_secs(1), REFERENCE_CONNECTIONS, 1);
        let run = |p99_micros, failures| Measured {
            requests_per_second: 1000.0,
            p99: Duration::from_micros(p99_micros),
            failures,
            ..Measured::default()
        };
        report.paced_productpage = vec![run(5_200, 0)];
        assert!(
            report
                .to_markdown()
                .contains("p99 5.20 ms (target < 5 ms: **no**; each run's p99: 5.20 ms), 0 failed"),
            "{}",
            report.to_markdown()
        );
        report.paced_productpage = vec![run(9_000, 0), run(3_100, 1), run(4_900, 0)];
        assert!(
            report.to_markdown().contains(
                "the median of 3 run(s) by p99: p50 0.00 ms, p99 4.90 ms (target < 5 ms: yes; \
                 each run's p99: 9.00, 3.10, 4.90 ms), 1 failed"
            ),
            "{}",
            report.to_markdown()
        );
    }
}
