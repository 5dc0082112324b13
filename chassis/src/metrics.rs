//! Prometheus metrics for every service: one registry per server, served at `/metrics` by
//! [`crate::server::serve`], with request counts and latency histograms by route and status, the
//! build info, and whatever a service registers itself.
//!
//! The registry is shared by every worker of the server (upstream's productpage keeps one per
//! gunicorn worker, so its scrapes disagree).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, PoisonError, RwLock};
use std::time::Duration;

use actix_web::http::Method;
use actix_web::http::header::{self, ContentType};
use actix_web::{HttpRequest, HttpResponse, Resource, web};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::metrics::info::Info;
use prometheus_client::registry::{Metric, Registry};

use crate::routes::RoutePattern;
use crate::telemetry::ServiceIdentity;

/// The content type of what `/metrics` answers (OpenMetrics text, which Prometheus reads).
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// The `route` label of requests that matched no route: the raw path would let any client create
/// series without limit.
pub const UNMATCHED_ROUTE: &str = "unmatched";

/// The `method` label of a request whose method is not one of HTTP's own (RFC 9110 and PATCH),
/// OpenTelemetry's name for it: any token is a valid method, so taking it as received would let a
/// client create series, and memory, without limit.
pub const OTHER_METHOD: &str = "_OTHER";

/// Latency buckets in seconds: from a cached in-memory answer to the 10 s ratings timeout.
const LATENCY_BUCKETS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct RequestLabels {
    /// One of HTTP's registered methods, or [`OTHER_METHOD`].
    method: &'static str,
    /// The route pattern (`/details/{id}`), not the path.
    route: String,
    status: u16,
}

type LatencyFamily = Family<RequestLabels, Histogram, fn() -> Histogram>;

/// One series' counter and histogram, the same metrics the families expose.
#[derive(Debug)]
struct SeriesHandles {
    method: &'static str,
    status: u16,
    requests: Counter,
    latency: Histogram,
}

impl SeriesHandles {
    fn is(&self, method: &str, status: u16) -> bool {
        self.status == status && self.method == method
    }

    fn record(&self, seconds: f64) {
        self.requests.inc();
        self.latency.observe(seconds);
    }
}

/// The handles of every series seen so far, by route pattern, then method and status (a few per
/// route, found by a scan). A request looks its series up by `&str` with a fast hasher instead of
/// building a `RequestLabels` (an owned route) and hashing it with SipHash once per family.
/// Bounded as the families are: routes are patterns, methods and statuses few.
type SeriesByRoute = HashMap<Box<str>, Vec<SeriesHandles>, foldhash::fast::RandomState>;

fn latency_histogram() -> Histogram {
    Histogram::new(LATENCY_BUCKETS)
}

/// One server's metrics; cheap to clone, every clone is the same registry.
#[derive(Debug, Clone)]
pub struct MetricsRegistry {
    registry: Arc<Mutex<Registry>>,
    requests: Family<RequestLabels, Counter>,
    latency: LatencyFamily,
    series: Arc<RwLock<SeriesByRoute>>,
    build_info: Arc<OnceLock<()>>,
}

impl Default for MetricsRegistry {
    fn default() -> Self {
        Self::new()
    }
}

impl MetricsRegistry {
    /// A registry with the request metrics in it.
    pub fn new() -> Self {
        let mut registry = Registry::default();
        let requests = Family::<RequestLabels, Counter>::default();
        // Exposed as `http_server_requests_total`.
        registry.register(
            "http_server_requests",
            "HTTP requests served, by method, route and status",
            requests.clone(),
        );
        let latency = LatencyFamily::new_with_constructor(latency_histogram);
        registry.register(
            "http_server_request_duration_seconds",
            "Time to answer an HTTP request, by method, route and status",
            latency.clone(),
        );
        Self {
            registry: Arc::new(Mutex::new(registry)),
            requests,
            latency,
            series: Arc::default(),
            build_info: Arc::new(OnceLock::new()),
        }
    }

    /// Adds a service's own metric; `name` without the `_total` a counter gets on exposition.
    pub fn register(&self, name: &str, help: &str, metric: impl Metric) {
        self.lock().register(name, help, metric);
    }

    /// The exposition in OpenMetrics text ([`CONTENT_TYPE`]).
    pub fn render(&self) -> Result<String, std::fmt::Error> {
        let mut text = String::new();
        encode(&mut text, &self.lock())?;
        Ok(text)
    }

    /// Counts one answered request.
    pub fn observe_request(&self, method: &Method, route: &str, status: u16, elapsed: Duration) {
        self.observe_labelled(method_label(method), route, status, elapsed);
    }

    /// Counts one answered request whose method is already its label ([`method_label`]).
    pub(crate) fn observe_labelled(
        &self,
        method: &'static str,
        route: &str,
        status: u16,
        elapsed: Duration,
    ) {
        let seconds = elapsed.as_secs_f64();
        {
            let series = self.series.read().unwrap_or_else(PoisonError::into_inner);
            let found = series
                .get(route)
                .and_then(|for_route| for_route.iter().find(|handles| handles.is(method, status)));
            if let Some(handles) = found {
                handles.record(seconds);
                return;
            }
        }
        // A series' first request: created in the families (which /metrics encodes) and its
        // handles kept. Another worker may have added it meanwhile; look again under the lock.
        let mut series = self.series.write().unwrap_or_else(PoisonError::into_inner);
        let for_route = series.entry(route.into()).or_default();
        let index = match for_route
            .iter()
            .position(|handles| handles.is(method, status))
        {
            Some(index) => index,
            None => {
                let labels = RequestLabels {
                    method,
                    route: route.to_owned(),
                    status,
                };
                for_route.push(SeriesHandles {
                    method,
                    status,
                    requests: self.requests.get_or_create_owned(&labels),
                    latency: self.latency.get_or_create_owned(&labels),
                });
                for_route.len() - 1
            }
        };
        for_route[index].record(seconds);
    }

    /// Registers `bookinfo_build_info{service,version} 1`, once whatever the number of calls.
    pub(crate) fn set_build_info(&self, identity: &ServiceIdentity) {
        self.build_info.get_or_init(|| {
            let labels = vec![
                ("service".to_owned(), identity.name.clone()),
                ("version".to_owned(), identity.version.clone()),
            ];
            self.register(
                "bookinfo_build",
                "The service and its version",
                Info::new(labels),
            );
        });
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Registry> {
        // A panic while registering leaves a usable registry; keep serving it.
        self.registry.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A known method's name, or [`OTHER_METHOD`] for any other.
pub(crate) fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::CONNECT => "CONNECT",
        Method::OPTIONS => "OPTIONS",
        Method::TRACE => "TRACE",
        Method::PATCH => "PATCH",
        _ => OTHER_METHOD,
    }
}

/// What `/metrics` allows, as the services answer for their own read-only routes.
const ALLOW: &str = "GET, HEAD, OPTIONS";

/// `/metrics`: GET and HEAD answer the exposition, OPTIONS 204 and anything else 405, both with
/// `Allow`.
pub(crate) fn resource() -> Resource {
    web::resource("/metrics")
        .app_data(RoutePattern::new("/metrics"))
        .route(crate::routes::get_or_head().to(exposition))
        .default_service(web::to(|request: HttpRequest| async move {
            if request.method() == Method::OPTIONS {
                HttpResponse::NoContent()
                    .insert_header((header::ALLOW, ALLOW))
                    .finish()
            } else {
                HttpResponse::MethodNotAllowed()
                    .insert_header((header::ALLOW, ALLOW))
                    .content_type(ContentType::plaintext())
                    .body(format!("Method not allowed: use {ALLOW}.\n"))
            }
        }))
}

async fn exposition(metrics: web::Data<MetricsRegistry>) -> HttpResponse {
    match metrics.render() {
        Ok(text) => HttpResponse::Ok().content_type(CONTENT_TYPE).body(text),
        Err(_) => HttpResponse::InternalServerError()
            .content_type(ContentType::plaintext())
            .body("Internal error: the metrics could not be written.\n"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_counted_and_timed_by_route_and_status() {
        let metrics = MetricsRegistry::new();
        metrics.observe_request(&Method::GET, "/details/{id}", 200, Duration::from_millis(3));
        metrics.observe_request(
            &Method::GET,
            "/details/{id}",
            200,
            Duration::from_millis(30),
        );
        metrics.set_build_info(&ServiceIdentity {
            name: "details".into(),
            version: "v1".into(),
        });
        let text = metrics.render().unwrap();
        assert!(
            text.contains(
                r#"http_server_requests_total{method="GET",route="/details/{id}",status="200"} 2"#
            ),
            "{text}"
        );
        assert!(
            text.contains(
                r#"http_server_request_duration_seconds_count{method="GET",route="/details/{id}",status="200"} 2"#
            ),
            "{text}"
        );
        assert!(
            text.contains(r#"bookinfo_build_info{service="details",version="v1"} 1"#),
            "{text}"
        );
        assert!(text.ends_with("# EOF\n"), "{text}");
    }

    #[test]
    fn each_method_and_status_of_a_route_is_its_own_series() {
        let metrics = MetricsRegistry::new();
        let route = "/ratings/{id}";
        for (method, status) in [
            (Method::GET, 200),
            (Method::GET, 404),
            (Method::POST, 200),
            (Method::GET, 200),
            (Method::from_bytes(b"BREW").unwrap(), 405),
        ] {
            metrics.observe_request(&method, route, status, Duration::from_millis(1));
        }
        let text = metrics.render().unwrap();
        for (series, count) in [
            (r#"method="GET",route="/ratings/{id}",status="200""#, 2),
            (r#"method="GET",route="/ratings/{id}",status="404""#, 1),
            (r#"method="POST",route="/ratings/{id}",status="200""#, 1),
            (r#"method="_OTHER",route="/ratings/{id}",status="405""#, 1),
        ] {
            assert!(
                text.contains(&format!("http_server_requests_total{{{series}}} {count}\n")),
                "{series} {count}: {text}"
            );
            assert!(
                text.contains(&format!(
                    "http_server_request_duration_seconds_count{{{series}}} {count}\n"
                )),
                "{series} {count}: {text}"
            );
        }
    }

    #[test]
    fn build_info_is_registered_once() {
        let metrics = MetricsRegistry::new();
        let identity = ServiceIdentity {
            name: "ratings".into(),
            version: "v1".into(),
        };
        metrics.set_build_info(&identity);
        metrics.set_build_info(&identity);
        assert_eq!(
            metrics
                .render()
                .unwrap()
                .matches("bookinfo_build_info{")
                .count(),
            1
        );
    }
}
