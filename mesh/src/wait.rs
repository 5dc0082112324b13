//! Bounded waiting: every wait on Envoy (its admin address, `/ready`, a new configuration
//! version) and on the apply lock polls with the same backoff and gives up after a deadline.

use std::thread;
use std::time::{Duration, Instant};

use crate::error::MeshError;

/// One look at what is being waited for.
pub(crate) enum Check<T> {
    /// Here it is.
    Ready(T),
    /// It will never come (Envoy exited, an update was rejected).
    Failed(MeshError),
    /// Not yet; the text says what was seen, for the error if time runs out.
    Waiting(String),
}

/// Calls `check` until it is ready or failed, for at most `within`. When time runs out, the
/// error says how long was waited and what the last look saw.
pub(crate) fn wait_until<T>(
    within: Duration,
    mut check: impl FnMut() -> Check<T>,
) -> Result<T, MeshError> {
    let mut last = String::from("nothing seen yet");
    poll(within, || match check() {
        Check::Ready(found) => Some(Ok(found)),
        Check::Failed(error) => Some(Err(error)),
        Check::Waiting(seen) => {
            last = seen;
            None
        }
    })
    .unwrap_or_else(|| {
        Err(MeshError::NotReady {
            waited_secs: within.as_secs(),
            last,
        })
    })
}

/// Calls `check` until it returns `Some`, backing off from 5 ms to 100 ms, for at most
/// `within`; `None` when time ran out.
pub(crate) fn poll<T>(within: Duration, mut check: impl FnMut() -> Option<T>) -> Option<T> {
    let deadline = Instant::now() + within;
    let mut pause = Duration::from_millis(5);
    loop {
        if let Some(found) = check() {
            return Some(found);
        }
        if Instant::now() >= deadline {
            return None;
        }
        thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(100));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wait_until_reports_the_last_thing_seen_when_time_runs_out() {
        let mut looks = 0;
        let result: Result<(), MeshError> = wait_until(Duration::from_millis(30), || {
            looks += 1;
            Check::Waiting(format!("look {looks}"))
        });
        let error = result.unwrap_err().to_string();
        assert!(error.contains(&format!("look {looks}")), "{error}");
        assert!(looks > 1, "looked only {looks} time(s)");
    }

    #[test]
    fn wait_until_stops_at_the_first_answer() {
        let mut looks = 0;
        let found = wait_until(Duration::from_secs(5), || {
            looks += 1;
            if looks == 3 {
                Check::Ready(looks)
            } else {
                Check::Waiting(String::new())
            }
        });
        assert_eq!(found.unwrap(), 3);
    }
}
