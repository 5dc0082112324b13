//! What a run saw: pages, errors by status and by kind, latency (HdrHistogram), and which reviews
//! version answered, overall and per visitor; printed as text or as one JSON object.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Duration;

use hdrhistogram::Histogram;
use serde::Serialize;

use super::page::ReviewsSeen;
use super::visitor::{Failure, Outcome};

/// The slowest latency told apart (longer ones are recorded as this): above any `--timeout`.
const HIGHEST_MICROS: u64 = 25 * 60 * 60 * 1_000_000;
/// The width of the text histogram's longest bar.
const BAR_WIDTH: u64 = 40;

/// The counts for one set of pages (all of them, or one visitor's).
#[derive(Debug, Clone)]
pub struct Tally {
    pub requests: u64,
    pub errors: u64,
    /// Answers by HTTP status.
    pub status: BTreeMap<u16, u64>,
    /// Pages that got no answer, by why.
    pub failures: BTreeMap<Failure, u64>,
    /// Page latency in microseconds, for answered pages.
    pub latency: Histogram<u64>,
    /// Pages that showed each reviews version, or reviews unavailable.
    pub reviews: ReviewsCounts,
    pub ratings_unavailable: u64,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ReviewsCounts {
    pub v1: u64,
    pub v2: u64,
    pub v3: u64,
    pub unavailable: u64,
}

impl Default for Tally {
    fn default() -> Self {
        Self {
            requests: 0,
            errors: 0,
            status: BTreeMap::new(),
            failures: BTreeMap::new(),
            // 1 µs to 25 h at 3 significant figures: fixed bounds, so recording never fails
            // or grows.
            latency: Histogram::new_with_bounds(1, HIGHEST_MICROS, 3)
                .unwrap_or_else(|_| unreachable!("the bounds are valid constants")),
            reviews: ReviewsCounts::default(),
            ratings_unavailable: 0,
        }
    }
}

impl Tally {
    fn record(&mut self, outcome: Outcome, took: Duration) {
        self.requests += 1;
        match outcome {
            Outcome::Answered { status, reading } => {
                *self.status.entry(status).or_default() += 1;
                if status >= 400 {
                    self.errors += 1;
                }
                let micros = u64::try_from(took.as_micros()).unwrap_or(u64::MAX);
                self.latency.saturating_record(micros.max(1));
                if let Some(reading) = reading {
                    let seen = match reading.reviews {
                        ReviewsSeen::V1 => &mut self.reviews.v1,
                        ReviewsSeen::V2 => &mut self.reviews.v2,
                        ReviewsSeen::V3 => &mut self.reviews.v3,
                        ReviewsSeen::Unavailable => &mut self.reviews.unavailable,
                    };
                    *seen += 1;
                    self.ratings_unavailable += u64::from(reading.ratings_unavailable);
                }
            }
            Outcome::Failed(failure) => {
                self.errors += 1;
                *self.failures.entry(failure).or_default() += 1;
            }
        }
    }

    /// The latency at `quantile` in milliseconds (0 before any answer).
    pub fn latency_ms(&self, quantile: f64) -> f64 {
        micros_to_ms(self.latency.value_at_quantile(quantile))
    }

    fn latency_summary(&self) -> LatencyJson {
        LatencyJson {
            p50: self.latency_ms(0.50),
            p90: self.latency_ms(0.90),
            p99: self.latency_ms(0.99),
            max: micros_to_ms(self.latency.max()),
        }
    }
}

fn micros_to_ms(micros: u64) -> f64 {
    micros as f64 / 1000.0
}

/// A whole run: every page, and the pages of each visitor (`anonymous` and each user).
#[derive(Debug, Clone, Default)]
pub struct Summary {
    pub overall: Tally,
    pub by_user: BTreeMap<String, Tally>,
    /// From the first page started to the last one ended.
    pub elapsed: Duration,
    /// Stopped by Ctrl-C (or SIGTERM) before its bound.
    pub interrupted: bool,
    /// Pages started but still unanswered when the run was interrupted; not counted above.
    pub abandoned: u64,
}

impl Summary {
    /// Counts one page loaded by `visitor`.
    pub fn record(&mut self, visitor: &str, outcome: Outcome, took: Duration) {
        self.overall.record(outcome, took);
        if let Some(tally) = self.by_user.get_mut(visitor) {
            tally.record(outcome, took);
        } else {
            let mut tally = Tally::default();
            tally.record(outcome, took);
            self.by_user.insert(visitor.to_owned(), tally);
        }
    }

    /// Pages per second over the run so far.
    pub fn rate(&self) -> f64 {
        let seconds = self.elapsed.as_secs_f64();
        if seconds > 0.0 {
            self.overall.requests as f64 / seconds
        } else {
            0.0
        }
    }

    /// The JSON form: `requests`, `errors`, `status`, `latency_ms`, `reviews_versions`, `by_user`.
    pub fn to_json(&self) -> String {
        let json = SummaryJson {
            tally: TallyJson::from(&self.overall),
            by_user: self
                .by_user
                .iter()
                .map(|(user, tally)| (user.as_str(), TallyJson::from(tally)))
                .collect(),
            elapsed_s: (self.elapsed.as_secs_f64() * 1000.0).round() / 1000.0,
            interrupted: self.interrupted,
            abandoned: self.abandoned,
        };
        serde_json::to_string(&json)
            .unwrap_or_else(|error| unreachable!("plain maps and numbers serialize: {error}"))
    }

    /// The text form, for people: `url` is where the pages came from.
    pub fn to_text(&self, url: &str) -> String {
        let mut text = format!(
            "{} pages from {url}/productpage in {:.1} s ({:.1}/s)",
            self.overall.requests,
            self.elapsed.as_secs_f64(),
            self.rate()
        );
        if self.interrupted {
            let _ = write!(
                text,
                ", stopped early ({} unanswered pages not counted)",
                self.abandoned
            );
        }
        text.push('\n');
        let overall = &self.overall;
        let _ = writeln!(text, "  errors    {}", errors_line(overall));
        let _ = writeln!(text, "  status    {}", status_line(overall));
        let _ = writeln!(text, "  latency   {}", latency_line(overall));
        let _ = writeln!(text, "  reviews   {}", reviews_line(overall));
        for (user, tally) in &self.by_user {
            let _ = writeln!(
                text,
                "  {user}: {} pages, {} errors; reviews {}",
                tally.requests,
                tally.errors,
                reviews_line(tally)
            );
        }
        if !overall.latency.is_empty() {
            text.push_str("  latency histogram\n");
            text.push_str(&histogram(&overall.latency));
        }
        text
    }
}

fn errors_line(tally: &Tally) -> String {
    let mut line = tally.errors.to_string();
    let kinds: Vec<String> = tally
        .status
        .iter()
        .filter(|(status, _)| **status >= 400)
        .map(|(status, count)| format!("{count} × {status}"))
        .chain(
            tally
                .failures
                .iter()
                .map(|(failure, count)| format!("{count} {}", failure.name())),
        )
        .collect();
    if !kinds.is_empty() {
        let _ = write!(line, " ({})", kinds.join(", "));
    }
    line
}

fn status_line(tally: &Tally) -> String {
    if tally.status.is_empty() {
        return "no answers".to_owned();
    }
    tally
        .status
        .iter()
        .map(|(status, count)| format!("{status}: {count}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn latency_line(tally: &Tally) -> String {
    let latency = tally.latency_summary();
    format!(
        "p50 {:.1} ms, p90 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        latency.p50, latency.p90, latency.p99, latency.max
    )
}

fn reviews_line(tally: &Tally) -> String {
    let reviews = tally.reviews;
    let mut line = format!(
        "v1 {}, v2 {}, v3 {}, unavailable {}",
        reviews.v1, reviews.v2, reviews.v3, reviews.unavailable
    );
    if tally.ratings_unavailable > 0 {
        let _ = write!(line, "; ratings unavailable {}", tally.ratings_unavailable);
    }
    line
}

/// One bar per doubling of latency from 1 ms, from the first that holds a page to the last.
fn histogram(latency: &Histogram<u64>) -> String {
    let mut buckets = Vec::new();
    let mut low = 0;
    let mut high: u64 = 1000;
    while low <= latency.max() {
        buckets.push((high, latency.count_between(low, high.saturating_sub(1))));
        low = high;
        high = high.saturating_mul(2);
    }
    let first = buckets
        .iter()
        .position(|(_, count)| *count > 0)
        .unwrap_or(0);
    let widest = buckets
        .iter()
        .map(|(_, count)| *count)
        .max()
        .unwrap_or(0)
        .max(1);
    let mut text = String::new();
    for (high, count) in &buckets[first..] {
        let bar = "#".repeat((count * BAR_WIDTH).div_ceil(widest) as usize);
        let _ = writeln!(
            text,
            "    < {:>8} ms {count:>8} {bar}",
            format_ms(micros_to_ms(*high))
        );
    }
    text
}

fn format_ms(ms: f64) -> String {
    if ms >= 1000.0 {
        format!("{:.0}", ms)
    } else {
        format!("{ms}")
    }
}

#[derive(Serialize)]
struct SummaryJson<'a> {
    #[serde(flatten)]
    tally: TallyJson,
    by_user: BTreeMap<&'a str, TallyJson>,
    elapsed_s: f64,
    interrupted: bool,
    abandoned: u64,
}

#[derive(Serialize)]
struct TallyJson {
    requests: u64,
    errors: u64,
    /// Failures without an HTTP answer, by kind (`timeout`, `refused`, `sign_in`, `other`).
    error_kinds: BTreeMap<&'static str, u64>,
    status: BTreeMap<String, u64>,
    latency_ms: LatencyJson,
    reviews_versions: ReviewsCounts,
    ratings_unavailable: u64,
}

#[derive(Serialize)]
struct LatencyJson {
    p50: f64,
    p90: f64,
    p99: f64,
    max: f64,
}

impl From<&Tally> for TallyJson {
    fn from(tally: &Tally) -> Self {
        Self {
            requests: tally.requests,
            errors: tally.errors,
            error_kinds: tally
                .failures
                .iter()
                .map(|(failure, count)| (failure.name(), *count))
                .collect(),
            status: tally
                .status
                .iter()
                .map(|(status, count)| (status.to_string(), *count))
                .collect(),
            latency_ms: tally.latency_summary(),
            reviews_versions: tally.reviews,
            ratings_unavailable: tally.ratings_unavailable,
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::traffic::page::PageReading;

    fn page(status: u16, reviews: ReviewsSeen, ratings_unavailable: bool) -> Outcome {
        Outcome::Answered {
            status,
            reading: Some(PageReading {
                reviews,
                ratings_unavailable,
            }),
        }
    }

    fn sample() -> Summary {
        let mut summary = Summary::default();
        let ms = Duration::from_millis;
        summary.record("anonymous", page(200, ReviewsSeen::V1, false), ms(2));
        summary.record("anonymous", page(200, ReviewsSeen::V3, true), ms(4));
        summary.record("jason", page(200, ReviewsSeen::V2, false), ms(8));
        summary.record(
            "jason",
            Outcome::Answered {
                status: 503,
                reading: None,
            },
            ms(1),
        );
        summary.record("anonymous", Outcome::Failed(Failure::Refused), ms(0));
        summary.elapsed = Duration::from_secs(2);
        summary
    }

    #[test]
    fn json_has_the_issues_field_names_overall_and_per_user() {
        let json: serde_json::Value = serde_json::from_str(&sample().to_json()).unwrap();
        assert_eq!(json["requests"], 5);
        assert_eq!(json["errors"], 2, "the 503 and the refused connection");
        assert_eq!(json["error_kinds"], json!({"refused": 1}));
        assert_eq!(json["status"], json!({"200": 3, "503": 1}));
        assert_eq!(
            json["reviews_versions"],
            json!({"v1": 1, "v2": 1, "v3": 1, "unavailable": 0})
        );
        assert_eq!(json["ratings_unavailable"], 1);
        let latency = &json["latency_ms"];
        for field in ["p50", "p90", "p99", "max"] {
            assert!(latency[field].is_number(), "latency_ms.{field}: {latency}");
        }
        assert!(
            (latency["max"].as_f64().unwrap() - 8.0).abs() < 0.01,
            "{latency}"
        );
        assert!(
            (latency["p50"].as_f64().unwrap() - 2.0).abs() < 0.01,
            "{latency}"
        );
        assert_eq!(json["by_user"]["jason"]["requests"], 2);
        assert_eq!(
            json["by_user"]["jason"]["status"],
            json!({"200": 1, "503": 1})
        );
        assert_eq!(
            json["by_user"]["anonymous"]["reviews_versions"],
            json!({"v1": 1, "v2": 0, "v3": 1, "unavailable": 0})
        );
        assert_eq!(json["interrupted"], false);
    }

    #[test]
    fn text_names_errors_statuses_versions_and_users() {
        let text = sample().to_text("http://localhost:9080");
        assert!(
            text.starts_with("5 pages from http://localhost:9080/productpage in 2.0 s (2.5/s)"),
            "{text}"
        );
        for expected in [
            "errors    2 (1 × 503, 1 refused)",
            "status    200: 3, 503: 1",
            "reviews   v1 1, v2 1, v3 1, unavailable 0; ratings unavailable 1",
            "anonymous: 3 pages, 1 errors; reviews v1 1, v2 0, v3 1, unavailable 0",
            "jason: 2 pages, 1 errors; reviews v1 0, v2 1, v3 0, unavailable 0",
            "latency histogram",
        ] {
            assert!(text.contains(expected), "{expected:?} missing from\n{text}");
        }
    }

    #[test]
    fn the_histogram_has_a_bar_per_doubling_from_the_first_used() {
        let mut tally = Tally::default();
        for micros in [1_500, 1_600, 3_000, 9_000] {
            tally.latency.record(micros).unwrap();
        }
        let text = histogram(&tally.latency);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 4, "<2, <4, <8, <16 ms:\n{text}");
        assert!(lines[0].contains("<        2 ms        2 "), "{text}");
        assert!(lines[3].contains("<       16 ms        1 "), "{text}");
        assert_eq!(lines[0].matches('#').count(), 40, "{text}");
        assert_eq!(lines[2].matches('#').count(), 0, "{text}");
    }

    #[test]
    fn an_empty_run_prints_without_dividing_by_zero() {
        let summary = Summary::default();
        let text = summary.to_text("http://h");
        assert!(text.contains("0 pages"), "{text}");
        assert!(text.contains("no answers"), "{text}");
        let json: serde_json::Value = serde_json::from_str(&summary.to_json()).unwrap();
        assert_eq!(json["latency_ms"]["p99"], 0.0);
    }
}
