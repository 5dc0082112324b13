//! Progress while a run goes on, on standard error: a live bar on a terminal (elapsed and
//! remaining, rate, errors, p50 and p99), otherwise a plain line every few seconds for logs.

use std::cell::RefCell;
use std::io::IsTerminal as _;
use std::rc::Rc;
use std::time::{Duration, Instant};

use actix_web::rt::task::JoinHandle;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::args::Plan;
use super::summary::Summary;

/// How often the bar is redrawn.
const BAR_EVERY: Duration = Duration::from_millis(250);
/// How often a plain line is printed when standard error is not a terminal.
const LINE_EVERY: Duration = Duration::from_secs(5);

/// The running display; [`Progress::finish`] removes it before the summary is printed.
pub struct Progress {
    task: JoinHandle<()>,
    bar: Option<ProgressBar>,
}

impl Progress {
    /// Starts showing the progress of `plan`, read from `summary` as pages end.
    pub fn start(plan: &Plan, summary: &Rc<RefCell<Summary>>) -> Self {
        let began = Instant::now();
        let summary = Rc::clone(summary);
        if !std::io::stderr().is_terminal() {
            let task = actix_web::rt::spawn(async move {
                let mut every = actix_web::rt::time::interval(LINE_EVERY);
                every.tick().await;
                loop {
                    every.tick().await;
                    eprintln!(
                        "traffic: {:.0} s, {}",
                        began.elapsed().as_secs_f64(),
                        status(&summary.borrow(), began)
                    );
                }
            });
            return Self { task, bar: None };
        }
        let bar = new_bar(plan);
        let task = actix_web::rt::spawn({
            let bar = bar.clone();
            let by_time = plan.expected_pages().is_none();
            async move {
                let mut every = actix_web::rt::time::interval(BAR_EVERY);
                loop {
                    every.tick().await;
                    let summary = summary.borrow();
                    if by_time {
                        bar.set_position(began.elapsed().as_millis() as u64);
                    } else {
                        bar.set_position(summary.overall.requests);
                    }
                    bar.set_message(status(&summary, began));
                }
            }
        });
        Self {
            task,
            bar: Some(bar),
        }
    }

    /// Stops the display and clears the bar.
    pub fn finish(self) {
        self.task.abort();
        if let Some(bar) = self.bar {
            bar.finish_and_clear();
        }
    }
}

/// A bar over the pages when their number is known, else over the duration.
fn new_bar(plan: &Plan) -> ProgressBar {
    let (length, template) = match plan.expected_pages() {
        Some(pages) => (
            pages,
            "{elapsed_precise} [{bar:30}] {pos}/{len} pages, {eta} left  {msg}",
        ),
        None => (
            plan.duration.unwrap_or_default().as_millis() as u64,
            "{elapsed_precise} [{bar:30}] {eta} left  {msg}",
        ),
    };
    let style = ProgressStyle::with_template(template)
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ");
    ProgressBar::with_draw_target(Some(length), ProgressDrawTarget::stderr()).with_style(style)
}

/// Where the run stands, beside the elapsed time the bar or the line shows.
fn status(summary: &Summary, began: Instant) -> String {
    let elapsed = began.elapsed().as_secs_f64();
    let overall = &summary.overall;
    let rate = if elapsed > 0.0 {
        overall.requests as f64 / elapsed
    } else {
        0.0
    };
    format!(
        "{} pages ({rate:.1}/s), {} errors, p50 {:.1} ms, p99 {:.1} ms",
        overall.requests,
        overall.errors,
        overall.latency_ms(0.50),
        overall.latency_ms(0.99),
    )
}
