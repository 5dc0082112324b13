//! `bookinfo-bench`: starts the release binaries as separate processes on loopback, loads each
//! with wrk for a bounded time, and prints a markdown table beside a trivial actix-web server's
//! figures on the same machine (the ceiling) and beside the same call graph made of trivial
//! servers (the empty graph). A measurement, not a test: it asserts nothing.

mod full_store;
mod launcher;
mod load;
mod process;
mod report;
mod soak;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;

use load::Connections;
use process::{EmptyGraph, EmptyGraphs, Service, Stack};
use report::{Goal, Report, Row, median_by};

/// How the run is shaped; `--quick` is CI's smoke run.
#[derive(Debug, Parser)]
#[command(name = "bookinfo-bench")]
struct Settings {
    /// Load each row for 1 second: CI's smoke run, proving the command works
    #[arg(long, conflicts_with = "seconds")]
    quick: bool,
    /// Instead of the table: run `bookinfo --bin-dir` (each service its own process), hold
    /// `/productpage` at 70 % of its measured saturation for --soak-seconds and report errors
    /// (expected 0) and each process's RSS at start, after the warm-up and at the end
    #[arg(long)]
    soak: bool,
    /// How long the soak runs
    #[arg(long, value_name = "N", default_value_t = 600, requires = "soak",
          value_parser = clap::value_parser!(u64).range(1..=86_400))]
    soak_seconds: u64,
    /// Seconds each row is loaded for
    #[arg(long, value_name = "N", default_value_t = 10,
          value_parser = clap::value_parser!(u64).range(1..=120))]
    seconds: u64,
    /// Times every row and its empty graph are measured (one after the other); the report
    /// shows, for each row, the round whose share of its graph is the median. `--quick`
    /// measures once
    #[arg(long, value_name = "N", default_value_t = 3,
          value_parser = clap::value_parser!(u32).range(1..=9))]
    rounds: u32,
    /// Connections wrk keeps open
    #[arg(long, value_name = "N", default_value_t = 32,
          value_parser = clap::value_parser!(u32).range(1..=1024))]
    connections: u32,
    /// Where the release binaries are
    #[arg(long, value_name = "DIR", default_value = "target/release")]
    binaries: PathBuf,
    /// Where the markdown table is written (it is printed too)
    #[arg(
        long = "out",
        value_name = "FILE",
        default_value = "target/bench/results.md"
    )]
    output: PathBuf,
}

impl Settings {
    /// How long each row is loaded.
    fn duration(&self) -> Duration {
        Duration::from_secs(if self.quick { 1 } else { self.seconds })
    }

    /// How many rounds are measured.
    fn rounds(&self) -> u32 {
        if self.quick { 1 } else { self.rounds }
    }
}

#[actix_web::main]
async fn main() -> ExitCode {
    // Help and usage errors end here: exit 0 and 2, clap's convention.
    let settings = Settings::parse();
    if settings.soak {
        return soak_run(&settings).await;
    }
    match run(&settings).await {
        Ok(report) => {
            let text = report.to_markdown();
            println!("{text}");
            if let Some(parent) = settings.output.parent() {
                let _ = std::fs::create_dir_all(parent);
            }
            if let Err(error) = std::fs::write(&settings.output, &text) {
                eprintln!(
                    "bookinfo-bench: cannot write {}: {error}",
                    settings.output.display()
                );
                return ExitCode::FAILURE;
            }
            eprintln!("written to {}", settings.output.display());
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("bookinfo-bench: {error}");
            ExitCode::FAILURE
        }
    }
}

/// `--soak`: prints its report; fails when any request failed.
async fn soak_run(settings: &Settings) -> ExitCode {
    match soak::run(settings, Duration::from_secs(settings.soak_seconds)).await {
        Ok(report) => {
            println!("{}", report.to_markdown());
            if report.passed() {
                ExitCode::SUCCESS
            } else {
                eprintln!("bookinfo-bench: requests failed during the soak");
                ExitCode::FAILURE
            }
        }
        Err(error) => {
            eprintln!("bookinfo-bench: {error}");
            ExitCode::FAILURE
        }
    }
}

/// One loaded URL of the Bookinfo stack and the empty graph it is read against.
struct Target {
    label: &'static str,
    service: Service,
    path: &'static str,
    empty_graph: EmptyGraph,
    goal: Goal,
}

/// Issue 18's targets: the default page at 85 % of the pooled empty graph (it reuses connections
/// under load), reviews v3 at 80 % of its graph, the leaves at 60 % of the ceiling. reviews v1 has
/// no target of its own; it is read as a leaf.
const TARGETS: [Target; 5] = [
    Target {
        label: "productpage `/productpage`",
        service: Service::Productpage,
        path: "/productpage",
        // Under concurrent load the default reuses backend connections (only a sequential client
        // gets a fresh one per call), so its bound is the pooled graph.
        empty_graph: EmptyGraph::PagePooled,
        goal: Goal::EmptyGraph(0.85),
    },
    Target {
        label: "details `/details/0`",
        service: Service::Details,
        path: "/details/0",
        empty_graph: EmptyGraph::Leaf,
        goal: Goal::Ceiling(0.60),
    },
    Target {
        label: "reviews v3 `/reviews/0`",
        service: Service::Reviews,
        path: "/reviews/0",
        empty_graph: EmptyGraph::ReviewsWithRatings,
        goal: Goal::EmptyGraph(0.80),
    },
    Target {
        label: "reviews v1 `/reviews/0` (no ratings call)",
        service: Service::ReviewsV1,
        path: "/reviews/0",
        empty_graph: EmptyGraph::Leaf,
        goal: Goal::Ceiling(0.60),
    },
    Target {
        label: "ratings `/ratings/0`",
        service: Service::Ratings,
        path: "/ratings/0",
        empty_graph: EmptyGraph::Leaf,
        goal: Goal::Ceiling(0.60),
    },
];

/// What one round measured: the ceilings and every row, each beside its empty graph's rate
/// measured in the same round.
struct Round {
    ceiling_rps: f64,
    fresh_connection_ceiling_rps: f64,
    /// [`TARGETS`] in order, then the pooled page.
    rows: Vec<Row>,
}

/// The ceiling, with and without kept-alive connections, and every empty graph's rate.
async fn measure_empty_graphs(
    settings: &Settings,
) -> Result<(f64, f64, Vec<(EmptyGraph, f64)>), String> {
    let graphs = EmptyGraphs::start(&settings.binaries).await?;
    let leaf = graphs.url(EmptyGraph::Leaf);
    let ceiling = load::wrk(&leaf, settings).await?.requests_per_second;
    let fresh_connection_ceiling = load::wrk_with(&leaf, settings, Connections::FreshPerRequest)
        .await?
        .requests_per_second;
    let mut rates = vec![(EmptyGraph::Leaf, ceiling)];
    for graph in [
        EmptyGraph::ReviewsWithRatings,
        EmptyGraph::PageFreshConnections,
        EmptyGraph::PagePooled,
    ] {
        let measured = load::wrk(&graphs.url(graph), settings).await?;
        if measured.failures > 0 {
            return Err(format!(
                "the empty graph {graph:?} failed {} requests",
                measured.failures
            ));
        }
        rates.push((graph, measured.requests_per_second));
    }
    Ok((ceiling, fresh_connection_ceiling, rates))
}

/// One round: the empty graphs, then every target on a fresh stack, then the pooled page on a
/// pooled one. Each stack's peak RSS is merged into `peak_rss`.
async fn measure_round(
    settings: &Settings,
    peak_rss: &mut Vec<(&'static str, u64)>,
) -> Result<Round, String> {
    let (ceiling_rps, fresh_connection_ceiling_rps, empty_graphs) =
        measure_empty_graphs(settings).await?;
    let empty_graph_rps = |graph: EmptyGraph| {
        empty_graphs
            .iter()
            .find(|(measured, _)| *measured == graph)
            .map_or(0.0, |(_, rps)| *rps)
    };
    let mut rows = Vec::new();
    let stack = Stack::start(&settings.binaries, false).await?;
    for target in &TARGETS {
        let cpu_before = stack.cpu_seconds();
        let measured = load::wrk(&stack.url(target.service, target.path), settings).await?;
        let cpu = stack.cpu_seconds() - cpu_before;
        rows.push(Row::new(
            target.label,
            &measured,
            cpu,
            (ceiling_rps, empty_graph_rps(target.empty_graph)),
            target.goal,
        ));
    }
    merge_peak_rss(peak_rss, stack.peak_rss());
    stack.stop();

    let pooled = Stack::start(&settings.binaries, true).await?;
    let cpu_before = pooled.cpu_seconds();
    let measured = load::wrk(&pooled.url(Service::Productpage, "/productpage"), settings).await?;
    let cpu = pooled.cpu_seconds() - cpu_before;
    rows.push(Row::new(
        "productpage `/productpage`, pooled backends",
        &measured,
        cpu,
        (ceiling_rps, empty_graph_rps(EmptyGraph::PagePooled)),
        Goal::EmptyGraph(0.85),
    ));
    merge_peak_rss(peak_rss, pooled.peak_rss());
    pooled.stop();
    Ok(Round {
        ceiling_rps,
        fresh_connection_ceiling_rps,
        rows,
    })
}

fn merge_peak_rss(peak_rss: &mut Vec<(&'static str, u64)>, seen: Vec<(&'static str, u64)>) {
    for (name, rss) in seen {
        match peak_rss.iter_mut().find(|(known, _)| *known == name) {
            Some((_, peak)) => *peak = (*peak).max(rss),
            None => peak_rss.push((name, rss)),
        }
    }
}

async fn run(settings: &Settings) -> Result<Report, String> {
    let mut report = Report::new(settings.duration(), settings.connections, settings.rounds());
    report.binaries = process::binary_files(&settings.binaries)?;
    report.startup = process::startup_times(&settings.binaries, 5).await?;
    let mut rounds = Vec::new();
    for _ in 0..settings.rounds() {
        rounds.push(measure_round(settings, &mut report.peak_rss).await?);
    }
    report.ceiling_rps =
        median_by(rounds.iter().map(|r| r.ceiling_rps).collect(), |rps| *rps).unwrap_or_default();
    report.fresh_connection_ceiling_rps = median_by(
        rounds
            .iter()
            .map(|r| r.fresh_connection_ceiling_rps)
            .collect(),
        |rps| *rps,
    )
    .unwrap_or_default();
    let row_count = rounds.first().map_or(0, |round| round.rows.len());
    let mut by_row: Vec<Vec<Row>> = (0..row_count).map(|_| Vec::new()).collect();
    for round in rounds {
        for (index, row) in round.rows.into_iter().enumerate() {
            by_row[index].push(row);
        }
    }
    report.rows = by_row
        .into_iter()
        .filter_map(|measured| median_by(measured, Row::share_of_empty_graph))
        .collect();

    // The paced runs (one per round, on one stack) and the full store, on a stack of their own.
    let stack = Stack::start(&settings.binaries, false).await?;
    let saturation = report
        .rows
        .first()
        .map_or(0.0, |row| row.requests_per_second);
    for _ in 0..settings.rounds() {
        report.paced_productpage.push(
            load::paced(
                &stack.url(Service::Productpage, "/productpage"),
                saturation / 2.0,
                settings.duration(),
            )
            .await?,
        );
    }
    merge_peak_rss(&mut report.peak_rss, stack.peak_rss());
    // Last on this stack: a full store changes what ratings holds, not how fast it answers.
    report.ratings_full_store = Some(
        full_store::fill(&stack.url(Service::Ratings, ""), || {
            stack.rss_kib(Service::Ratings)
        })
        .await?,
    );
    stack.stop();
    Ok(report)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use clap::CommandFactory;

    use super::*;

    fn parse(args: &[&str]) -> Result<Settings, clap::Error> {
        Settings::try_parse_from(std::iter::once("bookinfo-bench").chain(args.iter().copied()))
    }

    #[test]
    fn defaults_to_10_seconds_32_connections_and_the_release_binaries() {
        let settings = parse(&[]).unwrap();
        assert_eq!(settings.duration(), Duration::from_secs(10));
        assert_eq!(settings.connections, 32);
        assert_eq!(settings.binaries, PathBuf::from("target/release"));
        assert_eq!(settings.output, PathBuf::from("target/bench/results.md"));
        assert!(!settings.soak);
        assert_eq!(settings.soak_seconds, 600);
    }

    #[test]
    fn reads_the_soak_and_its_length() {
        let settings = parse(&["--soak", "--soak-seconds", "5", "--quick"]).unwrap();
        assert!(settings.soak);
        assert_eq!(settings.soak_seconds, 5);
        assert!(
            parse(&["--soak-seconds", "5"]).is_err(),
            "--soak-seconds needs --soak"
        );
        assert!(parse(&["--soak", "--soak-seconds", "0"]).is_err());
    }

    #[test]
    fn reads_ci_s_quick_run_and_every_setting() {
        let quick = parse(&["--quick", "--connections", "8"]).unwrap();
        assert_eq!(quick.duration(), Duration::from_secs(1));
        assert_eq!(quick.connections, 8);
        let settings = parse(&["--seconds", "20", "--binaries", "/b", "--out", "/o.md"]).unwrap();
        assert_eq!(settings.duration(), Duration::from_secs(20));
        assert_eq!(settings.binaries, PathBuf::from("/b"));
        assert_eq!(settings.output, PathBuf::from("/o.md"));
    }

    #[test]
    fn rejects_bad_arguments_naming_them_with_exit_code_2() {
        for (args, named) in [
            (&["--seconds", "x"][..], "'--seconds <N>'"),
            (&["--seconds", "0"], "'--seconds <N>'"),
            (&["--seconds", "121"], "'--seconds <N>'"),
            (&["--connections", "1025"], "'--connections <N>'"),
            (&["--quick", "--seconds", "5"], "'--quick'"),
            (&["--out"], "'--out <FILE>'"),
            (&["--nope"], "'--nope'"),
        ] {
            let error = parse(args).unwrap_err();
            assert_eq!(error.exit_code(), 2, "{args:?} should be a usage error");
            let message = error.to_string();
            assert!(message.contains(named), "{args:?}: {message}");
        }
    }

    #[test]
    fn reads_the_rounds_and_measures_once_when_quick() {
        assert_eq!(parse(&[]).unwrap().rounds(), 3);
        assert_eq!(parse(&["--rounds", "5"]).unwrap().rounds(), 5);
        assert_eq!(parse(&["--rounds", "5", "--quick"]).unwrap().rounds(), 1);
        for bad in ["0", "10", "x"] {
            let error = parse(&["--rounds", bad]).unwrap_err();
            assert_eq!(error.exit_code(), 2, "--rounds {bad}");
        }
    }

    #[test]
    fn each_row_is_its_median_round() {
        assert_eq!(median_by(vec![0.9, 0.7, 0.8], |share| *share), Some(0.8));
        assert_eq!(median_by(vec![0.9, 0.7], |share| *share), Some(0.9));
        assert_eq!(median_by(Vec::<f64>::new(), |share| *share), None);
    }

    #[test]
    fn the_command_line_is_consistent() {
        Settings::command().debug_assert();
    }
}
