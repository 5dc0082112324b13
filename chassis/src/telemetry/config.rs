//! Who a service reports as and what telemetry does, read once at start (with the service's own
//! configuration) from the standard OpenTelemetry variables plus `SERVICE_VERSION` and `RUST_LOG`.

use std::time::Duration;

use tracing_subscriber::EnvFilter;

use crate::config::{ConfigErrors, EnvReader, EnvSource};

/// Zipkin collector URL, e.g. `http://zipkin.istio-system:9411/api/v2/spans`. Unset: no Zipkin.
pub const ZIPKIN_ENDPOINT: &str = "OTEL_EXPORTER_ZIPKIN_ENDPOINT";
/// OTLP/HTTP base URL, e.g. `http://jaeger-collector.istio-system:4318`; `/v1/traces` is added.
pub const OTLP_ENDPOINT: &str = "OTEL_EXPORTER_OTLP_ENDPOINT";
/// OTLP/HTTP traces URL, used as it is; wins over [`OTLP_ENDPOINT`].
pub const OTLP_TRACES_ENDPOINT: &str = "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT";
/// Replaces the service name the binary passes to `init`.
pub const SERVICE_NAME: &str = "OTEL_SERVICE_NAME";
/// The version reported as `service.version` and in `bookinfo_build_info`.
pub const SERVICE_VERSION: &str = "SERVICE_VERSION";

/// How long one export may take before it is abandoned, unless configured.
pub const DEFAULT_EXPORT_TIMEOUT: Duration = Duration::from_secs(3);
/// Spans waiting for export; more are dropped rather than held (bounded memory).
pub const DEFAULT_MAX_QUEUE_SIZE: usize = 2048;
/// How often the queue is sent (the OpenTelemetry default).
pub const DEFAULT_SCHEDULE_DELAY: Duration = Duration::from_secs(5);
/// The most spans in one export request.
pub const DEFAULT_MAX_EXPORT_BATCH_SIZE: usize = 512;
/// Log filter when `RUST_LOG` is unset.
pub const DEFAULT_LOG_FILTER: &str = "info";

/// The version reported when `SERVICE_VERSION` is unset.
pub const UNKNOWN_VERSION: &str = "unknown";

/// The service a server reports as: in its spans and in `bookinfo_build_info`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceIdentity {
    pub name: String,
    pub version: String,
}

impl ServiceIdentity {
    pub fn new(name: &str, version: &str) -> Self {
        Self {
            name: name.to_owned(),
            version: version.to_owned(),
        }
    }
}

/// Telemetry settings, read from the environment by [`TelemetryConfig::load`] or
/// [`TelemetryConfig::read`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TelemetryConfig {
    /// `OTEL_SERVICE_NAME` or the service's own name; `SERVICE_VERSION` (set by every upstream
    /// Dockerfile) or `unknown`.
    pub service: ServiceIdentity,
    /// `OTEL_EXPORTER_ZIPKIN_ENDPOINT`: where Zipkin v2 JSON is posted.
    pub zipkin_endpoint: Option<String>,
    /// `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`, or `OTEL_EXPORTER_OTLP_ENDPOINT` + `/v1/traces`.
    pub otlp_traces_endpoint: Option<String>,
    /// `OTEL_EXPORTER_ZIPKIN_TIMEOUT` / `OTEL_EXPORTER_OTLP_TIMEOUT` (milliseconds).
    pub zipkin_timeout: Duration,
    pub otlp_timeout: Duration,
    /// `OTEL_BSP_MAX_QUEUE_SIZE`, `OTEL_BSP_SCHEDULE_DELAY` (ms), `OTEL_BSP_MAX_EXPORT_BATCH_SIZE`.
    pub max_queue_size: usize,
    pub schedule_delay: Duration,
    pub max_export_batch_size: usize,
    /// `RUST_LOG`: which log lines are printed. It never decides which spans are exported.
    pub log_filter: String,
}

impl Default for TelemetryConfig {
    /// Logs at `info`, no export, as `unknown_service` (OpenTelemetry's name for a service that
    /// has none).
    fn default() -> Self {
        Self {
            service: ServiceIdentity::new("unknown_service", UNKNOWN_VERSION),
            zipkin_endpoint: None,
            otlp_traces_endpoint: None,
            zipkin_timeout: DEFAULT_EXPORT_TIMEOUT,
            otlp_timeout: DEFAULT_EXPORT_TIMEOUT,
            max_queue_size: DEFAULT_MAX_QUEUE_SIZE,
            schedule_delay: DEFAULT_SCHEDULE_DELAY,
            max_export_batch_size: DEFAULT_MAX_EXPORT_BATCH_SIZE,
            log_filter: DEFAULT_LOG_FILTER.to_owned(),
        }
    }
}

impl TelemetryConfig {
    /// Logs at `info`, no export, as `service` at `version`: for a server whose process has
    /// its telemetry set up already (the local launcher runs every service in one process).
    pub fn for_service(service: &str, version: &str) -> Self {
        Self {
            service: ServiceIdentity::new(service, version),
            ..Self::default()
        }
    }

    /// Reads every telemetry variable from `env` for `service` (the name `OTEL_SERVICE_NAME`
    /// replaces); every bad value is reported at once.
    pub fn load(env: &dyn EnvSource, service: &str) -> Result<Self, ConfigErrors> {
        let mut reader = EnvReader::new(env);
        let config = Self::read(&mut reader, service);
        reader.finish(config)
    }

    /// [`TelemetryConfig::load`] as part of a service's own configuration: the problems go to
    /// `reader`, to be reported with the service's.
    pub fn read(reader: &mut EnvReader<'_>, service: &str) -> Self {
        let defaults = Self::default();
        let service = ServiceIdentity {
            name: non_empty(reader.optional(SERVICE_NAME)).unwrap_or_else(|| service.to_owned()),
            version: non_empty(reader.optional(SERVICE_VERSION))
                .unwrap_or(defaults.service.version),
        };
        let zipkin_endpoint = non_empty(reader.optional(ZIPKIN_ENDPOINT));
        let otlp_traces_endpoint = non_empty(reader.optional(OTLP_TRACES_ENDPOINT)).or_else(|| {
            non_empty(reader.optional(OTLP_ENDPOINT))
                .map(|base| format!("{}/v1/traces", base.trim_end_matches('/')))
        });
        for (name, endpoint) in [
            (ZIPKIN_ENDPOINT, &zipkin_endpoint),
            (OTLP_TRACES_ENDPOINT, &otlp_traces_endpoint),
        ] {
            if let Some(problem) = endpoint.as_deref().and_then(endpoint_problem) {
                reader.problem(format!("{name}: {problem}"));
            }
        }
        let zipkin_timeout = millis(reader, "OTEL_EXPORTER_ZIPKIN_TIMEOUT", None);
        let otlp_timeout = millis(
            reader,
            "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT",
            Some("OTEL_EXPORTER_OTLP_TIMEOUT"),
        );
        let max_queue_size = reader.parse("OTEL_BSP_MAX_QUEUE_SIZE", defaults.max_queue_size);
        let schedule_delay = Duration::from_millis(reader.parse(
            "OTEL_BSP_SCHEDULE_DELAY",
            defaults.schedule_delay.as_millis() as u64,
        ));
        let max_export_batch_size = reader.parse(
            "OTEL_BSP_MAX_EXPORT_BATCH_SIZE",
            defaults.max_export_batch_size,
        );
        if max_queue_size == 0 || max_export_batch_size == 0 {
            reader
                .problem("OTEL_BSP_MAX_QUEUE_SIZE and OTEL_BSP_MAX_EXPORT_BATCH_SIZE must be > 0");
        }
        let log_filter = non_empty(reader.optional("RUST_LOG")).unwrap_or(defaults.log_filter);
        if let Err(error) = EnvFilter::try_new(&log_filter) {
            reader.problem(format!("RUST_LOG={log_filter:?}: {error}"));
        }
        Self {
            service,
            zipkin_endpoint,
            otlp_traces_endpoint,
            zipkin_timeout,
            otlp_timeout,
            max_queue_size,
            schedule_delay,
            max_export_batch_size,
            log_filter,
        }
    }

    /// Whether any span exporter is configured; without one, no spans are made and the trace
    /// headers are forwarded as they came.
    pub fn exports_traces(&self) -> bool {
        self.zipkin_endpoint.is_some() || self.otlp_traces_endpoint.is_some()
    }
}

fn non_empty(value: Option<String>) -> Option<String> {
    value
        .map(|value| value.trim().to_owned())
        .filter(|value| !value.is_empty())
}

/// A timeout in milliseconds from `name` (or `fallback`), [`DEFAULT_EXPORT_TIMEOUT`] when unset.
fn millis(reader: &mut EnvReader<'_>, name: &str, fallback: Option<&str>) -> Duration {
    let default = DEFAULT_EXPORT_TIMEOUT.as_millis() as u64;
    let fallback_value = fallback.map_or(default, |fallback| reader.parse(fallback, default));
    let value: u64 = reader.parse(name, fallback_value);
    if value == 0 {
        reader.problem(format!("{name}: an export timeout must be more than 0 ms"));
        return DEFAULT_EXPORT_TIMEOUT;
    }
    Duration::from_millis(value)
}

/// Why an exporter URL cannot be used, if it cannot: it must be plain `http://` with a host (the
/// exporters carry no TLS; in a mesh the sidecar encrypts).
fn endpoint_problem(endpoint: &str) -> Option<String> {
    match endpoint.parse::<http::Uri>() {
        Err(error) => Some(format!("{endpoint:?} is not a URL: {error}")),
        Ok(uri) if uri.scheme_str() != Some("http") => Some(format!(
            "{endpoint:?}: only http:// is supported (let the sidecar or a local collector do TLS)"
        )),
        Ok(uri) if uri.host().is_none() => Some(format!("{endpoint:?} has no host")),
        Ok(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn load(pairs: &[(&str, &str)]) -> Result<TelemetryConfig, ConfigErrors> {
        TelemetryConfig::load(
            &pairs.iter().copied().collect::<HashMap<&str, &str>>(),
            "productpage",
        )
    }

    #[test]
    fn nothing_set_means_logs_only() {
        let config = load(&[]).unwrap();
        assert_eq!(
            config,
            TelemetryConfig::for_service("productpage", "unknown")
        );
        assert!(!config.exports_traces());
    }

    #[test]
    fn otlp_base_gets_the_traces_path_and_the_traces_variable_wins() {
        let base = load(&[(OTLP_ENDPOINT, "http://jaeger:4318/")]).unwrap();
        assert_eq!(
            base.otlp_traces_endpoint.as_deref(),
            Some("http://jaeger:4318/v1/traces")
        );
        let both = load(&[
            (OTLP_ENDPOINT, "http://jaeger:4318"),
            (OTLP_TRACES_ENDPOINT, "http://tempo:4318/custom"),
        ])
        .unwrap();
        assert_eq!(
            both.otlp_traces_endpoint.as_deref(),
            Some("http://tempo:4318/custom")
        );
        assert!(both.exports_traces());
    }

    #[test]
    fn names_versions_and_batching_are_read() {
        let config = load(&[
            (SERVICE_NAME, "pp"),
            (SERVICE_VERSION, "v2"),
            (ZIPKIN_ENDPOINT, "http://zipkin:9411/api/v2/spans"),
            ("OTEL_EXPORTER_ZIPKIN_TIMEOUT", "500"),
            ("OTEL_EXPORTER_OTLP_TIMEOUT", "700"),
            ("OTEL_BSP_SCHEDULE_DELAY", "50"),
            ("OTEL_BSP_MAX_QUEUE_SIZE", "10"),
            ("RUST_LOG", "warn,actix_web=debug"),
        ])
        .unwrap();
        assert_eq!(config.service, ServiceIdentity::new("pp", "v2"));
        assert_eq!(config.zipkin_timeout, Duration::from_millis(500));
        assert_eq!(config.otlp_timeout, Duration::from_millis(700));
        assert_eq!(config.schedule_delay, Duration::from_millis(50));
        assert_eq!(config.max_queue_size, 10);
        assert_eq!(config.log_filter, "warn,actix_web=debug");
    }

    #[test]
    fn every_bad_value_is_reported() {
        let errors = load(&[
            (ZIPKIN_ENDPOINT, "https://zipkin:9411/api/v2/spans"),
            (OTLP_ENDPOINT, "not a url"),
            ("OTEL_BSP_MAX_QUEUE_SIZE", "lots"),
            ("OTEL_EXPORTER_ZIPKIN_TIMEOUT", "0"),
            ("RUST_LOG", "=[{"),
        ])
        .unwrap_err();
        assert_eq!(errors.0.len(), 5, "{errors}");
        assert!(errors.0[0].contains("only http://"), "{errors}");
    }
}
