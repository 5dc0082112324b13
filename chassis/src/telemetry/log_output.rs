//! The log lines a service writes: tracing's plain format, with credentials in URLs hidden
//! ([`super::redact`]) and clients' broken connections written as rate-limited warnings.
//!
//! ERROR means the service itself failed. actix-http reports every request it could not parse,
//! every stalled or reset connection, as an ERROR `stream error` line: a client's mistake, and one
//! any client can repeat a hundred thousand times. Those lines become WARN, at most one per
//! [`CLIENT_ERRORS_EVERY`], saying how many were left out.

use std::fmt;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::field::MakeExt;
use tracing_subscriber::fmt::format::{self, FormatEvent, FormatFields, Writer};
use tracing_subscriber::fmt::time::{FormatTime, SystemTime};
use tracing_subscriber::fmt::{FmtContext, MakeWriter};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::{EnvFilter, Layer};

/// At most one line about clients' broken connections per this interval.
pub const CLIENT_ERRORS_EVERY: Duration = Duration::from_secs(10);

/// Where actix-http reports connections it gave up on.
const DISPATCHER_TARGET: &str = "actix_http::h1::dispatcher";

/// The log output layer: lines through `filter` (a `RUST_LOG` directive), to `writer`, with colour
/// codes when `ansi`.
pub fn layer<S, W>(filter: EnvFilter, ansi: bool, writer: W) -> impl Layer<S>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    tracing_subscriber::fmt::layer()
        .with_target(false)
        .with_ansi(ansi)
        .fmt_fields(redacting_fields())
        .event_format(ClientErrorsAsWarnings {
            inner: format::Format::default().with_target(false).with_ansi(ansi),
            limit: RateLimit::new(CLIENT_ERRORS_EVERY),
        })
        .with_writer(writer)
        .with_filter(filter)
}

/// Fields as tracing's default writes them (`name=value`, the message bare), with every value's
/// credentials hidden: span fields such as `http.target` and a URL in an event alike.
fn redacting_fields() -> impl for<'w> FormatFields<'w> + 'static {
    format::debug_fn(
        |writer: &mut Writer<'_>, field: &Field, value: &dyn fmt::Debug| {
            // tracing-log's bookkeeping fields; the default format leaves them out too.
            if field.name().starts_with("log.") {
                return Ok(());
            }
            let text = format!("{value:?}");
            let text = super::redact::credentials(&text);
            if field.name() == "message" {
                write!(writer, "{text}")
            } else {
                write!(writer, "{}={text}", field.name())
            }
        },
    )
    .delimited(" ")
}

struct ClientErrorsAsWarnings<F> {
    inner: F,
    limit: RateLimit,
}

impl<S, N, F> FormatEvent<S, N> for ClientErrorsAsWarnings<F>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
    F: FormatEvent<S, N>,
{
    fn format_event(
        &self,
        context: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let Some(message) = client_stream_error(event) else {
            return self.inner.format_event(context, writer, event);
        };
        let Some(left_out) = self.limit.admit() else {
            return Ok(());
        };
        SystemTime.format_time(&mut writer)?;
        let message = super::redact::credentials(&message);
        write!(writer, "  WARN client connection: {message}")?;
        if left_out > 0 {
            write!(writer, " ({left_out} more like it left out)")?;
        }
        writeln!(writer)
    }
}

/// The message of actix-http's ERROR `stream error: …` line, if `event` is one.
fn client_stream_error(event: &Event<'_>) -> Option<String> {
    let metadata = event.metadata();
    if *metadata.level() != Level::ERROR || metadata.target() != DISPATCHER_TARGET {
        return None;
    }
    let mut message = Message(None);
    event.record(&mut message);
    message.0.filter(|text| text.starts_with("stream error"))
}

struct Message(Option<String>);

impl Visit for Message {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if field.name() == "message" {
            self.0 = Some(format!("{value:?}"));
        }
    }
}

/// Lets one line through per interval and counts the ones it holds back.
struct RateLimit {
    every: Duration,
    /// When a line last went through, and how many have been held back since.
    state: Mutex<(Option<Instant>, u64)>,
}

impl RateLimit {
    fn new(every: Duration) -> Self {
        Self {
            every,
            state: Mutex::new((None, 0)),
        }
    }

    /// `Some(lines held back since the last one)` when this one may go through.
    fn admit(&self) -> Option<u64> {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let (last, held_back) = &mut *state;
        let now = Instant::now();
        if last.is_some_and(|last| now.duration_since(last) < self.every) {
            *held_back += 1;
            return None;
        }
        *last = Some(now);
        Some(std::mem::take(held_back))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_per_interval_then_the_count_of_those_held_back() {
        let limit = RateLimit::new(Duration::from_secs(3600));
        assert_eq!(limit.admit(), Some(0));
        assert_eq!(limit.admit(), None);
        assert_eq!(limit.admit(), None);
        let limit = RateLimit::new(Duration::ZERO);
        assert_eq!(limit.admit(), Some(0));
        assert_eq!(limit.admit(), Some(0));
    }
}
