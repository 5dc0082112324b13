//! productpage's own metric, upstream's `request_result` counter, kept in the shared registry
//! that chassis serves at `/metrics` beside the request metrics every service has.

use chassis::metrics::MetricsRegistry;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;

/// The labels of `request_result`, as upstream names them.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct RequestResult {
    /// `details`, `reviews` or `ratings`.
    destination_app: &'static str,
    /// The backend's status, or 500 when it gave no answer.
    response_code: u16,
}

/// The metrics productpage records itself.
#[derive(Debug)]
pub struct Metrics {
    request_result: Family<RequestResult, Counter>,
}

impl Metrics {
    /// Registers productpage's metrics in `registry`; call once per registry.
    pub fn new(registry: &MetricsRegistry) -> Metrics {
        let request_result = Family::<RequestResult, Counter>::default();
        // Exposed as `request_result_total`, as upstream's prometheus_client names it.
        registry.register(
            "request_result",
            "Results of requests",
            request_result.clone(),
        );
        Metrics { request_result }
    }

    /// Counts one logical backend call (a retried reviews call counts once, with its last status).
    pub fn record_result(&self, destination_app: &'static str, response_code: u16) {
        self.result_counter(destination_app, response_code).inc();
    }

    /// The counter of one app and code, created (and shown at `/metrics`) if it was not yet: a
    /// caller that counts the same series often keeps it rather than finding it by its labels
    /// (hashed with SipHash) every time.
    pub fn result_counter(&self, destination_app: &'static str, response_code: u16) -> Counter {
        self.request_result
            .get_or_create(&RequestResult {
                destination_app,
                response_code,
            })
            .clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_are_counted_per_app_and_code() {
        let registry = MetricsRegistry::new();
        let metrics = Metrics::new(&registry);
        metrics.record_result("details", 200);
        metrics.record_result("details", 200);
        metrics.record_result("reviews", 500);
        let text = registry.render().unwrap();
        assert!(
            text.contains(
                r#"request_result_total{destination_app="details",response_code="200"} 2"#
            ),
            "{text}"
        );
        assert!(
            text.contains(
                r#"request_result_total{destination_app="reviews",response_code="500"} 1"#
            ),
            "{text}"
        );
        assert!(text.ends_with("# EOF\n"), "{text}");
    }
}
