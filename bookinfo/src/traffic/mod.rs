//! `bookinfo traffic`: visitors loading `/productpage` at a fixed rate or concurrency, for a
//! bounded time or number of pages, and a summary of what answered (which reviews version, how
//! fast, which errors), overall and per user.
//!
//! # Layout
//! - [`args`]: the arguments ([`TrafficArgs`]) and the checked [`Plan`].
//! - [`load`]: the load loop (open-loop rate or fixed concurrency; `stop` ends it early).
//! - [`visitor`]: anonymous and signed-in visitors, their cookies, `/login` and `/logout`.
//! - [`page`]: what a page says (reviews version, reviews or ratings unavailable).
//! - [`summary`]: the counts and latency histogram, as text or JSON.
//! - [`progress`]: the live bar on a terminal, or a plain line every few seconds.

pub mod args;
pub mod load;
pub mod page;
pub mod progress;
pub mod summary;
pub mod visitor;

use std::cell::RefCell;
use std::process::ExitCode;
use std::rc::Rc;

pub use args::{Pace, Plan, TrafficArgs};
pub use summary::Summary;

/// Runs `plan` to its end, or until `stop`, and returns what it saw.
pub async fn run(plan: &Plan, stop: impl Future<Output = ()>) -> Summary {
    let summary = Rc::new(RefCell::new(Summary::default()));
    load::run(plan, &summary, stop).await;
    summary.take()
}

/// The `bookinfo traffic` command: progress on standard error while it runs, then the summary
/// on standard output. Ctrl-C (or SIGTERM, as in a pod) stops it early with the summary printed.
pub async fn command(args: &TrafficArgs) -> ExitCode {
    let plan = args.plan();
    let summary = Rc::new(RefCell::new(Summary::default()));
    let progress = progress::Progress::start(&plan, &summary);
    load::run(&plan, &summary, interrupted()).await;
    progress.finish();
    let summary = summary.take();
    if args.json {
        println!("{}", summary.to_json());
    } else {
        print!("{}", summary.to_text(&plan.url));
    }
    ExitCode::SUCCESS
}

/// Ends when the user presses Ctrl-C or the pod is being stopped (SIGTERM). If a signal cannot
/// be watched, that way of stopping is simply not offered: the run is bounded anyway.
async fn interrupted() {
    let sigterm = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut sigterm) => {
                sigterm.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    tokio::select! {
        () = sigterm => {}
        () = ctrl_c => {}
    }
}
