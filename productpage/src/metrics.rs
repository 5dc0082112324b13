//! productpage's Prometheus metrics: upstream's `request_result` counter, one registry shared by
//! every worker (upstream keeps one per gunicorn worker, so its scrapes disagree).

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::registry::Registry;

/// The content type of the OpenMetrics text that [`Metrics::render`] writes.
pub const OPENMETRICS_CONTENT_TYPE: &str =
    "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// The labels of `request_result`, as upstream names them.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct RequestResult {
    /// `details`, `reviews` or `ratings`.
    destination_app: &'static str,
    /// The backend's status, or 500 when it gave no answer.
    response_code: u16,
}

/// Every metric productpage exposes.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    request_result: Family<RequestResult, Counter>,
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::default();
        let request_result = Family::<RequestResult, Counter>::default();
        // Exposed as `request_result_total`, as upstream's prometheus_client names it.
        registry.register(
            "request_result",
            "Results of requests",
            request_result.clone(),
        );
        Metrics {
            registry,
            request_result,
        }
    }

    /// Counts one logical backend call (a retried reviews call counts once, with its last status).
    pub fn record_result(&self, destination_app: &'static str, response_code: u16) {
        self.request_result
            .get_or_create(&RequestResult {
                destination_app,
                response_code,
            })
            .inc();
    }

    /// The exposition in OpenMetrics text.
    pub fn render(&self) -> Result<String, std::fmt::Error> {
        let mut text = String::new();
        encode(&mut text, &self.registry)?;
        Ok(text)
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_are_counted_per_app_and_code() {
        let metrics = Metrics::new();
        metrics.record_result("details", 200);
        metrics.record_result("details", 200);
        metrics.record_result("reviews", 500);
        let text = metrics.render().unwrap();
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
