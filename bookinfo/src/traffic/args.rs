//! `bookinfo traffic`'s arguments, and the checked [`Plan`] they become.

use std::time::Duration;

/// Where pages are loaded from unless `--url` says otherwise: the launcher's productpage.
pub const DEFAULT_URL: &str = "http://localhost:9080";
/// The pace when neither `--rate` nor `--concurrency` is given.
pub const DEFAULT_RATE: u32 = 10;
/// The bound when neither `--duration` nor `--requests` is given: the walkthroughs' 100 loads.
pub const DEFAULT_REQUESTS: u64 = 100;
/// The share of signed-in pages when `--users` is given without `--signed-in-share`.
pub const DEFAULT_SIGNED_IN_PER_MILLE: u32 = 500;
/// The longest run `--duration` accepts; a Deployment restarts the command after it.
pub const MAX_DURATION: Duration = Duration::from_secs(24 * 60 * 60);
/// The name the summary gives visitors who are not signed in.
pub const ANONYMOUS: &str = "anonymous";

/// `bookinfo traffic`: loads `/productpage` like visitors would, then prints what answered.
#[derive(Debug, Clone, PartialEq, Eq, clap::Args)]
pub struct TrafficArgs {
    /// Bookinfo's base URL: the launcher, the local mesh's ingress, a port-forward or a gateway
    #[arg(long, default_value = DEFAULT_URL, value_parser = base_url)]
    pub url: String,

    /// Pages started per second, on schedule even while earlier ones are unanswered, so a slow
    /// server shows as latency rather than as a lower rate [default: 10]
    #[arg(long, conflicts_with = "concurrency", value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub rate: Option<u32>,

    /// Pages loading at once; each starts when the one before it has answered
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=1_000))]
    pub concurrency: Option<u32>,

    /// Stop after this long (500ms, 30s, 5m, 2h; at most 24h)
    #[arg(long, value_parser = run_duration)]
    pub duration: Option<Duration>,

    /// Stop after this many pages [default: 100 unless --duration is given]
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=100_000_000))]
    pub requests: Option<u64>,

    /// Users who sign in through /login, comma-separated (e.g. jason,alice); each keeps its own
    /// cookies and signs out through /logout at the end
    #[arg(long, value_delimiter = ',', value_parser = user_name)]
    pub users: Vec<String>,

    /// The share of pages loaded by signed-in users, from 0 to 1, spread evenly over --users
    /// [default: 0.5 with --users]
    #[arg(long, requires = "users", value_parser = share)]
    pub signed_in_share: Option<u32>,

    /// Count a page as a timeout when it has not answered within this long
    #[arg(long, default_value = "10s", value_parser = run_duration)]
    pub timeout: Duration,

    /// Print the summary as one JSON object instead of text
    #[arg(long)]
    pub json: bool,
}

/// How fast pages are started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pace {
    /// Open loop: this many pages started per second.
    Rate(u32),
    /// Closed loop: this many pages in flight at any time.
    Concurrency(u32),
}

/// What a run does, once its arguments have been checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// Base URL without a trailing `/`; pages are `{url}/productpage`.
    pub url: String,
    pub pace: Pace,
    /// Stop starting pages after this long.
    pub duration: Option<Duration>,
    /// Stop starting pages after this many.
    pub requests: Option<u64>,
    /// Users who sign in; empty for anonymous visitors only.
    pub users: Vec<String>,
    /// Signed-in pages per thousand.
    pub signed_in_per_mille: u32,
    pub timeout: Duration,
}

impl TrafficArgs {
    /// The run these arguments ask for, with the defaults that depend on other arguments.
    pub fn plan(&self) -> Plan {
        let signed_in_per_mille = if self.users.is_empty() {
            0
        } else {
            self.signed_in_share.unwrap_or(DEFAULT_SIGNED_IN_PER_MILLE)
        };
        let pace = match self.concurrency {
            Some(concurrency) => Pace::Concurrency(concurrency),
            None => Pace::Rate(self.rate.unwrap_or(DEFAULT_RATE)),
        };
        let requests = match (self.requests, self.duration) {
            (None, None) => Some(DEFAULT_REQUESTS),
            (requests, _) => requests,
        };
        Plan {
            url: self.url.clone(),
            pace,
            duration: self.duration,
            requests,
            users: self.users.clone(),
            signed_in_per_mille,
            timeout: self.timeout,
        }
    }
}

impl Plan {
    /// How many pages the run will start if nothing stops it early, when that is known.
    pub fn expected_pages(&self) -> Option<u64> {
        let by_rate = match (self.pace, self.duration) {
            (Pace::Rate(rate), Some(duration)) => {
                Some((duration.as_secs_f64() * f64::from(rate)).ceil() as u64)
            }
            _ => None,
        };
        match (self.requests, by_rate) {
            (Some(requests), Some(by_rate)) => Some(requests.min(by_rate)),
            (requests, by_rate) => requests.or(by_rate),
        }
    }
}

/// `http://host[:port][/prefix]`, kept without a trailing `/`. Only plain HTTP: the client is
/// built without TLS, and a gateway's or port-forward's plain port is what the walkthroughs use.
fn base_url(value: &str) -> Result<String, String> {
    let uri: awc::http::Uri = value
        .parse()
        .map_err(|error| format!("{value:?} is not a URL: {error}"))?;
    if uri.scheme_str() != Some("http") {
        return Err(format!(
            "{value:?} is not an http:// URL (https is not supported: use the gateway's plain HTTP port or a port-forward)"
        ));
    }
    if uri.host().is_none_or(str::is_empty) {
        return Err(format!("{value:?} names no host"));
    }
    if uri.query().is_some() {
        return Err(format!("{value:?} has a query; give the base URL only"));
    }
    Ok(value.trim_end_matches('/').to_owned())
}

/// A positive duration no longer than [`MAX_DURATION`]: a number with `ms`, `s`, `m` or `h`,
/// or plain seconds.
fn run_duration(value: &str) -> Result<Duration, String> {
    let duration = parse_duration(value)?;
    if duration.is_zero() {
        return Err("must be longer than zero".to_owned());
    }
    if duration > MAX_DURATION {
        return Err("must be at most 24h".to_owned());
    }
    Ok(duration)
}

fn parse_duration(value: &str) -> Result<Duration, String> {
    let split = value
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(value.len());
    let (number, unit) = value.split_at(split);
    let number: f64 = number
        .parse()
        .map_err(|_| format!("{value:?} is not a duration such as 500ms, 30s, 5m or 2h"))?;
    let seconds = match unit {
        "ms" => number / 1000.0,
        "" | "s" => number,
        "m" => number * 60.0,
        "h" => number * 3600.0,
        _ => return Err(format!("{value:?} has unit {unit:?}; use ms, s, m or h")),
    };
    Duration::try_from_secs_f64(seconds).map_err(|_| format!("{value:?} is out of range"))
}

/// A share from 0 to 1 (or a percentage such as `25%`), kept in thousandths so that the
/// schedule of signed-in pages is exact integer arithmetic.
fn share(value: &str) -> Result<u32, String> {
    let (number, scale) = match value.strip_suffix('%') {
        Some(percent) => (percent, 10.0),
        None => (value, 1000.0),
    };
    let parsed: f64 = number
        .trim()
        .parse()
        .map_err(|_| format!("{value:?} is not a share such as 0.25 or 25%"))?;
    let per_mille = (parsed * scale).round();
    if !(0.0..=1000.0).contains(&per_mille) {
        return Err(format!("{value:?} is not between 0 and 1 (0% and 100%)"));
    }
    Ok(per_mille as u32)
}

/// A name to sign in with: what productpage's form takes, minus what the summary reserves.
fn user_name(value: &str) -> Result<String, String> {
    let name = value.trim();
    if name.is_empty() {
        return Err("a user name is empty".to_owned());
    }
    if name == ANONYMOUS {
        return Err(format!(
            "{ANONYMOUS:?} is what the summary calls visitors who are not signed in"
        ));
    }
    if name.chars().any(char::is_control) {
        return Err(format!("{value:?} contains control characters"));
    }
    Ok(name.to_owned())
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Debug, Parser)]
    struct Cli {
        #[command(flatten)]
        args: TrafficArgs,
    }

    fn parse(args: &[&str]) -> Result<TrafficArgs, String> {
        Cli::try_parse_from(std::iter::once("traffic").chain(args.iter().copied()))
            .map(|cli| cli.args)
            .map_err(|error| error.to_string())
    }

    fn plan(args: &[&str]) -> Result<Plan, String> {
        parse(args).map(|args| args.plan())
    }

    #[test]
    fn defaults_to_100_pages_at_10_per_second_anonymously_on_the_launcher() {
        assert_eq!(
            plan(&[]),
            Ok(Plan {
                url: "http://localhost:9080".to_owned(),
                pace: Pace::Rate(10),
                duration: None,
                requests: Some(100),
                users: vec![],
                signed_in_per_mille: 0,
                timeout: Duration::from_secs(10),
            })
        );
    }

    #[test]
    fn reads_every_argument() {
        let plan = plan(&[
            "--url",
            "http://127.0.0.1:8080/",
            "--concurrency",
            "4",
            "--duration",
            "1m",
            "--users",
            "jason,alice",
            "--signed-in-share",
            "25%",
            "--timeout",
            "500ms",
        ])
        .unwrap();
        assert_eq!(plan.url, "http://127.0.0.1:8080");
        assert_eq!(plan.pace, Pace::Concurrency(4));
        assert_eq!(plan.duration, Some(Duration::from_secs(60)));
        assert_eq!(plan.requests, None, "a duration alone is the bound");
        assert_eq!(plan.users, ["jason", "alice"]);
        assert_eq!(plan.signed_in_per_mille, 250);
        assert_eq!(plan.timeout, Duration::from_millis(500));
    }

    #[test]
    fn users_sign_in_on_half_the_pages_unless_told() {
        assert_eq!(
            plan(&["--users", "jason"]).unwrap().signed_in_per_mille,
            500
        );
        let share = |value: &str| {
            plan(&["--users", "jason", "--signed-in-share", value])
                .unwrap()
                .signed_in_per_mille
        };
        assert_eq!(share("1"), 1000);
        assert_eq!(share("0"), 0);
        assert_eq!(share("0.1"), 100);
    }

    #[test]
    fn expects_rate_times_duration_pages_or_the_request_count() {
        let expected = |args: &[&str]| plan(args).unwrap().expected_pages();
        assert_eq!(expected(&["--rate", "20", "--duration", "3s"]), Some(60));
        assert_eq!(
            expected(&["--rate", "20", "--duration", "3s", "--requests", "7"]),
            Some(7)
        );
        assert_eq!(expected(&["--concurrency", "2", "--duration", "3s"]), None);
        assert_eq!(expected(&["--concurrency", "2"]), Some(100));
    }

    #[test]
    fn rejects_bad_arguments_with_a_message() {
        let cases: &[(&[&str], &str)] = &[
            (&["--rate", "0"], "not in 1..=10000"),
            (
                &["--rate", "5", "--concurrency", "2"],
                "cannot be used with",
            ),
            (&["--concurrency", "1001"], "not in 1..=1000"),
            (&["--requests", "0"], "not in 1..=100000000"),
            (&["--duration", "0s"], "longer than zero"),
            (&["--duration", "25h"], "at most 24h"),
            (&["--duration", "soon"], "not a duration"),
            (&["--duration", "5d"], "use ms, s, m or h"),
            (&["--url", "https://example.com"], "not an http:// URL"),
            (&["--url", "localhost:9080"], "not an http:// URL"),
            (&["--url", "http://h/?a=b"], "has a query"),
            (&["--users", "jason,,alice"], "empty"),
            (&["--users", "anonymous"], "visitors who are not signed in"),
            (&["--signed-in-share", "1.5"], "not between 0 and 1"),
            (&["--signed-in-share", "half"], "not a share"),
            (
                &["--signed-in-share", "0.5"],
                "required arguments were not provided",
            ),
            (&["--nope"], "unexpected argument"),
        ];
        for (args, expected) in cases {
            let problem = plan(args).expect_err(&format!("{args:?} is refused"));
            assert!(
                problem.contains(expected),
                "{args:?}: {problem:?} should say {expected:?}"
            );
        }
    }
}
