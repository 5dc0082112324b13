//! The load loop: pages started at an open-loop rate or at a fixed concurrency, until the
//! plan's bound or until `stop`; always bounded in pages, time and pages in flight.

use std::cell::RefCell;
use std::future::Future;
use std::rc::Rc;
use std::time::Duration;

use awc::{Client, Connector};
use futures_util::StreamExt as _;
use futures_util::stream::FuturesUnordered;
use tokio::time::Instant;

use super::args::{Pace, Plan};
use super::summary::Summary;
use super::visitor::{Visitor, Visitors};

/// The most pages an open loop keeps unanswered: past it, pages wait for answers (and the rate
/// falls) rather than memory growing with a server that stopped answering.
pub const MAX_IN_FLIGHT: usize = 10_000;
/// The connections an open loop opens at most; pages beyond them wait for one, and the wait
/// counts in their latency. Under the usual limit of 1024 open files.
const RATE_CONNECTIONS: usize = 512;

/// Runs `plan`, recording every page into `summary` as it ends (so a progress display can read
/// it meanwhile). `stop` ends the run early: pages in flight then are abandoned and counted as
/// such, and the summary is still complete for every page that ended. Signed-in users sign out
/// at the end either way.
pub async fn run(plan: &Plan, summary: &Rc<RefCell<Summary>>, stop: impl Future<Output = ()>) {
    let connections = match plan.pace {
        Pace::Concurrency(concurrency) => concurrency as usize,
        Pace::Rate(_) => RATE_CONNECTIONS,
    };
    let client = Client::builder()
        .connector(Connector::new().limit(connections))
        .disable_redirects()
        .timeout(plan.timeout)
        .finish();
    let visitors = Visitors::new(plan);
    let schedule = Schedule::new(plan);
    let mut in_flight = FuturesUnordered::new();
    let mut started: u64 = 0;
    tokio::pin!(stop);

    let interrupted = loop {
        let now = Instant::now();
        while schedule.may_start(started, in_flight.len(), now) {
            let visitor = visitors.for_page(started);
            in_flight.push(load_page(&client, &plan.url, visitor, summary));
            started += 1;
        }
        // Open loop only: at a fixed concurrency, an answer is what starts the next page; and
        // at the open loop's cap too.
        let next_due = schedule
            .due(started)
            .filter(|_| in_flight.len() < MAX_IN_FLIGHT);
        // Nothing in flight after starting all that may start: at a fixed concurrency the
        // bound is reached; in the open loop, when no page is due any more.
        if in_flight.is_empty() && schedule.due(started).is_none() {
            break false;
        }
        tokio::select! {
            () = &mut stop => break true,
            Some(()) = in_flight.next(), if !in_flight.is_empty() => {}
            () = tokio::time::sleep_until(next_due.unwrap_or(now)), if next_due.is_some() => {}
        }
    };

    {
        let mut summary = summary.borrow_mut();
        summary.elapsed = schedule.began.elapsed();
        summary.interrupted = interrupted;
        summary.abandoned = in_flight.len() as u64;
    }
    drop(in_flight);
    for user in visitors.users() {
        user.sign_out(&client, &plan.url).await;
    }
}

/// One page by `visitor`, recorded when it ends.
fn load_page(
    client: &Client,
    base: &str,
    visitor: Rc<Visitor>,
    summary: &Rc<RefCell<Summary>>,
) -> impl Future<Output = ()> + use<> {
    let client = client.clone();
    let base = base.to_owned();
    let summary = Rc::clone(summary);
    async move {
        let (outcome, took) = visitor.load_page(&client, &base).await;
        summary.borrow_mut().record(visitor.name(), outcome, took);
    }
}

/// When pages may start.
struct Schedule {
    pace: Pace,
    began: Instant,
    requests: Option<u64>,
    duration: Option<Duration>,
}

impl Schedule {
    fn new(plan: &Plan) -> Self {
        Self {
            pace: plan.pace,
            began: Instant::now(),
            requests: plan.requests,
            duration: plan.duration,
        }
    }

    /// Whether page number `page` (from 0) may start at `now` with `in_flight` pages unanswered.
    fn may_start(&self, page: u64, in_flight: usize, now: Instant) -> bool {
        if self.requests.is_some_and(|requests| page >= requests) {
            return false;
        }
        match self.pace {
            // Open loop: on schedule whatever is in flight (up to the cap). A late loop catches
            // up at once, so the count over the run stays rate × duration.
            Pace::Rate(_) => {
                in_flight < MAX_IN_FLIGHT && self.due(page).is_some_and(|due| due <= now)
            }
            Pace::Concurrency(concurrency) => {
                in_flight < concurrency as usize
                    && self
                        .duration
                        .is_none_or(|duration| now < self.began + duration)
            }
        }
    }

    /// When page number `page` is due at the planned rate, if it is part of the run.
    fn due(&self, page: u64) -> Option<Instant> {
        let Pace::Rate(rate) = self.pace else {
            return None;
        };
        let offset = Duration::from_secs_f64(page as f64 / f64::from(rate));
        let within_duration = self.duration.is_none_or(|duration| offset < duration);
        let within_requests = self.requests.is_none_or(|requests| page < requests);
        (within_duration && within_requests).then(|| self.began + offset)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schedule(pace: Pace, requests: Option<u64>, duration: Option<Duration>) -> Schedule {
        Schedule {
            pace,
            began: Instant::now(),
            requests,
            duration,
        }
    }

    #[test]
    fn an_open_loop_starts_rate_times_duration_pages_on_schedule_whatever_is_in_flight() {
        let schedule = schedule(Pace::Rate(20), None, Some(Duration::from_secs(3)));
        let in_the_run = (0..1000)
            .filter(|page| schedule.due(*page).is_some())
            .count();
        assert_eq!(in_the_run, 60);
        let page_40 = schedule.due(40).unwrap();
        assert_eq!(page_40 - schedule.began, Duration::from_secs(2));
        assert!(
            schedule.may_start(40, MAX_IN_FLIGHT - 1, page_40),
            "in flight does not hold it back"
        );
        assert!(
            !schedule.may_start(40, MAX_IN_FLIGHT, page_40),
            "up to the cap"
        );
        assert!(!schedule.may_start(41, 0, page_40), "not before its time");
    }

    #[test]
    fn requests_bound_either_pace() {
        let open = schedule(Pace::Rate(1000), Some(5), None);
        let later = open.began + Duration::from_secs(60);
        assert!(open.may_start(4, 0, later));
        assert!(!open.may_start(5, 0, later));
        assert_eq!(open.due(5), None);
        let closed = schedule(Pace::Concurrency(2), Some(5), None);
        assert!(closed.may_start(4, 1, later));
        assert!(!closed.may_start(5, 0, later));
    }

    #[test]
    fn a_fixed_concurrency_waits_for_a_free_slot_and_stops_at_the_duration() {
        let closed = schedule(Pace::Concurrency(2), None, Some(Duration::from_secs(1)));
        let now = closed.began;
        assert!(closed.may_start(100, 1, now));
        assert!(!closed.may_start(100, 2, now), "two in flight already");
        assert!(!closed.may_start(0, 0, now + Duration::from_secs(1)));
        assert_eq!(closed.due(0), None, "an answer starts the next page");
    }
}
