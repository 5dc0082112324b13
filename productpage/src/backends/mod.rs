//! The services productpage calls — details, reviews (with upstream's deliberate retry) and
//! ratings — one client each, all built on the shared outbound client, counted in the
//! `request_result` metric.

use std::cell::OnceCell;
use std::fmt::{self, Write};
use std::sync::Arc;

use actix_web::http::StatusCode;
use actix_web::web::Bytes;
use chassis::client::{BackendClient, BackendReply};
use chassis::propagation::ForwardedHeaders;
use prometheus_client::metrics::counter::Counter;
use serde::de::DeserializeOwned;

use crate::config::Config;
use crate::metrics::Metrics;
use crate::product::ProductId;

/// Attempts per reviews call. Upstream's bug, kept on purpose ("introduced explicitly for
/// illustration in fault injection task"): Istio's fault-injection task delays ratings by 7 s for
/// jason; reviews v2 waits for it, and two 3 s attempts here give up after about 6 s, which is
/// what the task tells readers to expect (7 s > 2 × 3 s). The request-timeouts task likewise
/// expects two 0.5 s attempts. A non-200 answer is retried like an error, as upstream does.
/// details and ratings are called once.
pub const REVIEWS_ATTEMPTS: u32 = 2;

/// The clients of one worker; built once per worker (the outbound client is not `Send`).
pub struct Backends {
    pub details: ServiceClient,
    pub reviews: ServiceClient,
    /// Called directly only by `/api/v1/products/{id}/ratings` (reviews calls it for the page).
    pub ratings: ServiceClient,
}

impl Backends {
    pub fn new(config: &Config, metrics: Arc<Metrics>) -> Backends {
        // One outbound client per backend: reuse while busy counts the calls to one backend.
        let client = |service, base_url: &str, attempts| ServiceClient {
            service,
            attempts,
            url_prefix: format!("{base_url}/{service}/"),
            http: BackendClient::new(config.backend_timeout, config.connection_reuse),
            metrics: metrics.clone(),
            answered_ok: OnceCell::new(),
        };
        Backends {
            details: client(Service::Details, &config.details_url, 1),
            reviews: client(Service::Reviews, &config.reviews_url, REVIEWS_ATTEMPTS),
            ratings: client(Service::Ratings, &config.ratings_url, 1),
        }
    }
}

/// A service productpage calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    Details,
    Reviews,
    Ratings,
}

impl Service {
    /// The name in URLs (`/details/0`) and in the metric's `destination_app` label.
    pub fn name(self) -> &'static str {
        match self {
            Service::Details => "details",
            Service::Reviews => "reviews",
            Service::Ratings => "ratings",
        }
    }

    /// What clients are told when the service could not help, as upstream words it.
    pub fn unavailable_message(self) -> &'static str {
        match self {
            Service::Details => "Sorry, product details are currently unavailable for this book.",
            Service::Reviews => "Sorry, product reviews are currently unavailable for this book.",
            Service::Ratings => "Sorry, product ratings are currently unavailable for this book.",
        }
    }
}

impl fmt::Display for Service {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A call that brought back no usable answer, and the status the API passes on for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unavailable {
    pub service: Service,
    /// The backend's own error status (upstream passes 503, 504 or Envoy's 555 through); 500 when
    /// nothing answered; 502 for an answer that was not an error but not usable either (a 200
    /// that is not JSON, a 204 or a redirect), since passing those codes on would tell the
    /// client the request worked.
    pub status: StatusCode,
}

/// One backend: where it is and how it is called (`GET {base}/{service}/{id}`).
pub struct ServiceClient {
    service: Service,
    /// Attempts per call: [`REVIEWS_ATTEMPTS`] for reviews, 1 for the others.
    attempts: u32,
    /// `{base}/{service}/`: what every call's URL starts with.
    url_prefix: String,
    http: BackendClient,
    metrics: Arc<Metrics>,
    /// This backend's `request_result` series for 200, kept from its first success on.
    answered_ok: OnceCell<Counter>,
}

impl ServiceClient {
    /// The answer for product `id`, from the first attempt that got a 200 with JSON that decodes
    /// as `T` (a `serde_json::Value` to pass it on, a page's view to show it).
    pub async fn get<T: DeserializeOwned>(
        &self,
        id: &ProductId,
        headers: &ForwardedHeaders,
    ) -> Result<T, Unavailable> {
        self.read(id, headers, decode_json).await
    }

    /// The same call, until an attempt answers 200 with a body that `read` makes something of
    /// (`None`: unusable, reported as 502 and retried like an error). One logical call: counted
    /// once in the metric, with the last attempt's status.
    pub async fn read<R>(
        &self,
        id: &ProductId,
        headers: &ForwardedHeaders,
        read: impl Fn(&Bytes) -> Option<R>,
    ) -> Result<R, Unavailable> {
        // Room for the id, so the String is allocated once.
        let mut url = String::with_capacity(self.url_prefix.len() + 16);
        url.push_str(&self.url_prefix);
        // Writing into a String cannot fail.
        let _ = write!(url, "{}", id.path_segment());
        let mut status = StatusCode::INTERNAL_SERVER_ERROR;
        for attempt in 1..=self.attempts {
            match self.attempt(&url, headers, &read).await {
                Ok(answer) => {
                    self.answered_ok
                        .get_or_init(|| {
                            self.metrics
                                .result_counter(self.service.name(), StatusCode::OK.as_u16())
                        })
                        .inc();
                    return Ok(answer);
                }
                Err((failed, reason)) => {
                    tracing::warn!(
                        service = %self.service, %url, attempt, status = failed.as_u16(), %reason,
                        "backend call failed"
                    );
                    status = failed;
                }
            }
        }
        self.metrics
            .record_result(self.service.name(), status.as_u16());
        Err(Unavailable {
            service: self.service,
            status,
        })
    }

    /// One GET: what `read` made of the body, or the status to report and why.
    async fn attempt<R>(
        &self,
        url: &str,
        headers: &ForwardedHeaders,
        read: impl Fn(&Bytes) -> Option<R>,
    ) -> Result<R, (StatusCode, String)> {
        match self.http.get(url, headers).await {
            Ok(reply) => usable(&reply, read).map_err(|status| {
                let reason = format!("answered {} with {} bytes", reply.status, reply.body.len());
                (status, reason)
            }),
            Err(error) => Err((StatusCode::INTERNAL_SERVER_ERROR, error.to_string())),
        }
    }
}

/// A body read as JSON decoding as `T`, or nothing.
pub fn decode_json<T: DeserializeOwned>(body: &Bytes) -> Option<T> {
    serde_json::from_slice(body).ok()
}

/// What `read` makes of a 200's body, or the status to report for the reply.
fn usable<R>(reply: &BackendReply, read: impl Fn(&Bytes) -> Option<R>) -> Result<R, StatusCode> {
    if reply.is_ok() {
        read(&reply.body).ok_or(StatusCode::BAD_GATEWAY)
    } else if reply.status.is_client_error() || reply.status.is_server_error() {
        Err(reply.status)
    } else {
        Err(StatusCode::BAD_GATEWAY)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(status: u16, body: &'static str) -> BackendReply {
        BackendReply {
            status: StatusCode::from_u16(status).unwrap(),
            body: Bytes::from_static(body.as_bytes()),
        }
    }

    #[test]
    fn a_200_with_json_is_usable() {
        assert_eq!(
            usable(&reply(200, r#"{"id":0}"#), decode_json::<serde_json::Value>).unwrap()["id"],
            0
        );
    }

    #[test]
    fn error_statuses_are_passed_on() {
        for status in [400, 404, 503, 504, 555] {
            assert_eq!(
                usable(&reply(status, "{}"), decode_json::<serde_json::Value>)
                    .unwrap_err()
                    .as_u16(),
                status,
                "status {status}"
            );
        }
    }

    #[test]
    fn unusable_non_error_answers_are_bad_gateway() {
        for (status, body) in [(200, "<html>oops</html>"), (200, ""), (204, ""), (302, "")] {
            assert_eq!(
                usable(&reply(status, body), decode_json::<serde_json::Value>).unwrap_err(),
                StatusCode::BAD_GATEWAY,
                "{status} {body:?}"
            );
        }
    }
}
