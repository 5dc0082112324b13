//! Upstream's misbehaving ratings versions (`v-faulty`, `v-delayed`, `v-unavailable`,
//! `v-unhealthy`) for fault and resilience demos: what each does to reads and to `/health`.
//!
//! Time-based personas derive their state from the time since the server started, so there is no
//! background task: in the first period they are fine, in the second not, and so on.

use std::fmt;
use std::time::Duration;

use rand::distr::{Bernoulli, Distribution};

use crate::error::Error;

/// How this ratings misbehaves, decided once from `SERVICE_VERSION`. POSTs and the database
/// version are never affected.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Persona {
    /// `v1` and `v2`: always answers.
    Normal,
    /// `v-faulty`: this share of reads answers 503.
    Faulty { share: Share },
    /// `v-delayed`: this share of reads waits `delay` and then answers normally.
    Delayed { share: Share, delay: Duration },
    /// `v-unavailable`: reads answer 503 in every second `period`, starting available.
    Unavailable { period: Duration },
    /// `v-unhealthy`: in every second `period`, starting healthy, reads answer 503 and `/health`
    /// answers 500.
    Unhealthy { period: Duration },
}

impl Persona {
    /// Applies the persona to a read `since_start` after the server started: may wait, or fail
    /// the read with [`Error::Unavailable`].
    pub async fn before_read(&self, since_start: Duration) -> Result<(), Error> {
        match *self {
            Persona::Normal => Ok(()),
            Persona::Faulty { share } => {
                if share.pick() {
                    Err(Error::Unavailable)
                } else {
                    Ok(())
                }
            }
            Persona::Delayed { share, delay } => {
                if share.pick() {
                    actix_web::rt::time::sleep(delay).await;
                }
                Ok(())
            }
            Persona::Unavailable { period } | Persona::Unhealthy { period } => {
                if in_second_half(since_start, period) {
                    Err(Error::Unavailable)
                } else {
                    Ok(())
                }
            }
        }
    }

    /// Whether `/health` reports healthy `since_start` after the server started.
    pub fn is_healthy(&self, since_start: Duration) -> bool {
        match *self {
            Persona::Unhealthy { period } => !in_second_half(since_start, period),
            _ => true,
        }
    }
}

/// True in the second, fourth, … `period` since the start. `period` is never zero (config
/// refuses it), but a zero would simply mean "always the first state".
fn in_second_half(since_start: Duration, period: Duration) -> bool {
    since_start
        .as_nanos()
        .checked_div(period.as_nanos())
        .is_some_and(|periods| periods % 2 == 1)
}

/// The share of reads a persona affects, in `[0, 1]`: 0 affects none and 1 affects every one,
/// exactly, so tests can rely on both.
#[derive(Clone, Copy, PartialEq)]
pub struct Share {
    value: f64,
    draw: Bernoulli,
}

impl Share {
    pub fn new(value: f64) -> Result<Share, String> {
        Bernoulli::new(value)
            .map(|draw| Share { value, draw })
            .map_err(|_| format!("{value} is not a share between 0 and 1"))
    }

    pub fn value(&self) -> f64 {
        self.value
    }

    /// Whether this read is one of the affected ones.
    fn pick(&self) -> bool {
        self.draw.sample(&mut rand::rng())
    }
}

impl fmt::Debug for Share {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Share({})", self.value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINUTE: Duration = Duration::from_secs(60);

    #[test]
    fn flips_every_period_starting_in_the_first_state() {
        let cases = [
            (Duration::ZERO, false),
            (Duration::from_secs(59), false),
            (MINUTE, true),
            (Duration::from_secs(119), true),
            (2 * MINUTE, false),
            (3 * MINUTE + Duration::from_millis(1), true),
        ];
        for (since_start, second_half) in cases {
            assert_eq!(
                in_second_half(since_start, MINUTE),
                second_half,
                "{since_start:?}"
            );
        }
        assert!(
            !in_second_half(MINUTE, Duration::ZERO),
            "zero period never flips"
        );
    }

    #[test]
    fn unhealthy_reports_its_health_and_others_are_always_healthy() {
        let unhealthy = Persona::Unhealthy { period: MINUTE };
        assert!(unhealthy.is_healthy(Duration::ZERO));
        assert!(!unhealthy.is_healthy(MINUTE));
        let unavailable = Persona::Unavailable { period: MINUTE };
        assert!(
            unavailable.is_healthy(MINUTE),
            "v-unavailable keeps /health at 200"
        );
    }

    #[test]
    fn shares_of_zero_and_one_are_exact() {
        let never = Share::new(0.0).unwrap();
        let always = Share::new(1.0).unwrap();
        assert!((0..10_000).all(|_| !never.pick()));
        assert!((0..10_000).all(|_| always.pick()));
    }

    #[test]
    fn shares_outside_zero_to_one_are_refused() {
        for value in [-0.1, 1.5, f64::NAN, f64::INFINITY] {
            assert!(Share::new(value).is_err(), "{value}");
        }
    }

    #[actix_web::test]
    async fn faulty_with_share_one_fails_every_read() {
        let persona = Persona::Faulty {
            share: Share::new(1.0).unwrap(),
        };
        assert!(matches!(
            persona.before_read(Duration::ZERO).await,
            Err(Error::Unavailable)
        ));
    }
}
