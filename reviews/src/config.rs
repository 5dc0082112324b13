//! reviews' configuration: upstream's environment variables (same names, same defaults), with
//! the version's defaults underneath, read once at start.
//!
//! Precedence, highest first: `ENABLE_RATINGS` and `STAR_COLOR` when set; then the defaults of
//! `SERVICE_VERSION` (v1, v2 or v3); then those of the version compiled in by Cargo features.

use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

use chassis::client::ConnectionReuse;
use chassis::config::{ConfigErrors, EnvReader, EnvSource, service_base_url};
use chassis::limits::ServerLimits;
use chassis::telemetry::TelemetryConfig;

use crate::version::ReviewsVersion;

/// The name reviews reports as, unless `OTEL_SERVICE_NAME` says otherwise.
pub const SERVICE: &str = "reviews";
/// Picks the version whose defaults apply. Upstream's images set it but its reviews ignores it;
/// here it lets one binary be any of the three.
pub const ENV_SERVICE_VERSION: &str = "SERVICE_VERSION";
/// `true` (any case) calls ratings; anything else set turns ratings off, as Java's
/// `Boolean.valueOf` reads it.
pub const ENV_ENABLE_RATINGS: &str = "ENABLE_RATINGS";
/// Passed through into the JSON as the stars' colour; also picks the ratings timeout.
pub const ENV_STAR_COLOR: &str = "STAR_COLOR";
pub const ENV_SERVICES_DOMAIN: &str = "SERVICES_DOMAIN";
pub const DEFAULT_SERVICES_DOMAIN: &str = "";
pub const ENV_RATINGS_HOSTNAME: &str = "RATINGS_HOSTNAME";
pub const DEFAULT_RATINGS_HOSTNAME: &str = "ratings";
pub const ENV_RATINGS_SERVICE_PORT: &str = "RATINGS_SERVICE_PORT";
/// Every Bookinfo service listens on 9080.
pub const DEFAULT_RATINGS_SERVICE_PORT: u16 = 9080;
/// Set by Kubernetes to the pod name; shown as `podname`.
/// Whether connections to ratings are kept open and reused. On by default: upstream's Java
/// client keeps HTTP connections alive too, and a fresh TCP connection per ratings call costs
/// reviews most of its throughput. productpage reads the same name, with the opposite default.
pub const ENV_BACKEND_CONNECTION_POOLING: &str = "BACKEND_CONNECTION_POOLING";
pub const DEFAULT_BACKEND_CONNECTION_POOLING: bool = true;
pub const ENV_HOSTNAME: &str = "HOSTNAME";
/// Shown as `clustername`; no Bookinfo manifest sets it.
pub const ENV_CLUSTER_NAME: &str = "CLUSTER_NAME";
/// What upstream shows for an unset `HOSTNAME` or `CLUSTER_NAME`: Java's string concatenation
/// turns the missing value into `null`, and clients see the string `"null"`.
pub const UNSET_NAME: &str = "null";
/// Upstream waits this long for ratings when the stars are black (v2)...
pub const BLACK_STARS_RATINGS_TIMEOUT: Duration = Duration::from_secs(10);
/// ...and this long for any other colour (v3). Istio's fault-injection task depends on the
/// difference: a 7 s ratings delay outlasts v3's wait but not v2's.
pub const OTHER_STARS_RATINGS_TIMEOUT: Duration = Duration::from_millis(2500);

/// Everything reviews needs to know, read once at start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// The version whose defaults were used: `SERVICE_VERSION`, or the compiled-in one.
    /// What the service does is decided by `ratings`, which the variables above may override.
    pub version: ReviewsVersion,
    /// `HOSTNAME`, or `"null"` when unset.
    pub podname: String,
    /// `CLUSTER_NAME`, or `"null"` when unset.
    pub clustername: String,
    /// How to get and show stars; `None` when ratings are off (v1).
    pub ratings: Option<RatingsSettings>,
    /// Who it reports as and where its spans go.
    pub telemetry: TelemetryConfig,
    /// What clients get: time to send a request, connections (`SERVER_*`).
    pub server: ServerLimits,
}

/// Where ratings is and how its stars are shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RatingsSettings {
    /// `http://ratings[.domain]:9080`, without a trailing slash.
    pub base_url: String,
    pub star_color: StarColor,
    /// Deadline of one ratings call, connect to last byte; chosen by colour.
    pub timeout: Duration,
    /// Pooled keep-alive connections (the default) or a fresh one per call.
    pub connection_reuse: ConnectionReuse,
}

impl Config {
    /// Reads upstream's env vars (names and defaults as upstream) and `SERVICE_VERSION` from
    /// `env`; every bad value is reported at once.
    pub fn load(env: &dyn EnvSource) -> Result<Config, ConfigErrors> {
        let mut reader = EnvReader::new(env);
        let version = reader.parse(ENV_SERVICE_VERSION, ReviewsVersion::compiled_default());
        let ratings_enabled = reader.flag(ENV_ENABLE_RATINGS, version.ratings_enabled());
        let ratings = ratings_enabled.then(|| {
            let star_color =
                StarColor::from_name(&reader.string(ENV_STAR_COLOR, version.star_color()));
            let port = reader.parse(ENV_RATINGS_SERVICE_PORT, DEFAULT_RATINGS_SERVICE_PORT);
            RatingsSettings::new(
                service_base_url(
                    &reader.string(ENV_RATINGS_HOSTNAME, DEFAULT_RATINGS_HOSTNAME),
                    &reader.string(ENV_SERVICES_DOMAIN, DEFAULT_SERVICES_DOMAIN),
                    &port.to_string(),
                ),
                star_color,
                ConnectionReuse::from_flag(reader.flag(
                    ENV_BACKEND_CONNECTION_POOLING,
                    DEFAULT_BACKEND_CONNECTION_POOLING,
                )),
            )
        });
        let podname = reader.string(ENV_HOSTNAME, UNSET_NAME);
        let clustername = reader.string(ENV_CLUSTER_NAME, UNSET_NAME);
        let telemetry = TelemetryConfig::read(&mut reader, SERVICE);
        let server = ServerLimits::read(&mut reader);
        reader.finish(Config {
            version,
            podname,
            clustername,
            ratings,
            telemetry,
            server,
        })
    }

    /// reviews at `version` with that version's defaults, calling ratings at `ratings` over
    /// pooled connections, shown as pod `podname`: what a pod with only `SERVICE_VERSION` and
    /// `HOSTNAME` set reads, without the environment. For one process running several versions
    /// (the local launcher, whose process has its telemetry set up already).
    pub fn local(version: ReviewsVersion, ratings: SocketAddr, podname: &str) -> Config {
        Config {
            version,
            podname: podname.to_owned(),
            clustername: UNSET_NAME.to_owned(),
            ratings: version.ratings_enabled().then(|| {
                RatingsSettings::new(
                    format!("http://{ratings}"),
                    StarColor::from_name(version.star_color()),
                    ConnectionReuse::from_flag(DEFAULT_BACKEND_CONNECTION_POOLING),
                )
            }),
            telemetry: TelemetryConfig::for_service(SERVICE, version.as_str()),
            server: ServerLimits::default(),
        }
    }
}

impl RatingsSettings {
    /// Ratings at `base_url`, with upstream's timeout for `star_color`.
    fn new(base_url: String, star_color: StarColor, connection_reuse: ConnectionReuse) -> Self {
        Self {
            base_url,
            timeout: star_color.ratings_timeout(),
            star_color,
            connection_reuse,
        }
    }
}

/// The stars' colour, passed through as given; black and red are the ones upstream ships.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StarColor {
    /// Exactly `black` (v2): the long ratings timeout.
    Black,
    /// Exactly `red` (v3).
    Red,
    /// Anything else, verbatim (case included: `Black` is not black, as upstream compares).
    Other(String),
}

impl StarColor {
    pub fn from_name(name: &str) -> StarColor {
        match name {
            "black" => StarColor::Black,
            "red" => StarColor::Red,
            other => StarColor::Other(other.to_owned()),
        }
    }

    /// The name as it appears in the JSON (before escaping).
    pub fn as_str(&self) -> &str {
        match self {
            StarColor::Black => "black",
            StarColor::Red => "red",
            StarColor::Other(name) => name,
        }
    }

    /// Upstream's rule: 10 s for black, 2.5 s for every other colour.
    pub fn ratings_timeout(&self) -> Duration {
        match self {
            StarColor::Black => BLACK_STARS_RATINGS_TIMEOUT,
            StarColor::Red | StarColor::Other(_) => OTHER_STARS_RATINGS_TIMEOUT,
        }
    }
}

impl fmt::Display for StarColor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn load(pairs: &[(&str, &str)]) -> Config {
        let env: HashMap<&str, &str> = pairs.iter().copied().collect();
        Config::load(&env).unwrap()
    }

    fn ratings(pairs: &[(&str, &str)]) -> RatingsSettings {
        load(pairs).ratings.expect("ratings enabled")
    }

    #[test]
    fn ratings_connections_are_pooled_unless_switched_off() {
        let pooled = ratings(&[("SERVICE_VERSION", "v2")]);
        assert_eq!(pooled.connection_reuse, ConnectionReuse::Pooled);
        let fresh = ratings(&[
            ("SERVICE_VERSION", "v2"),
            ("BACKEND_CONNECTION_POOLING", "false"),
        ]);
        assert_eq!(fresh.connection_reuse, ConnectionReuse::FreshPerCall);
    }

    #[test]
    fn no_variables_give_the_compiled_default_version() {
        let version = ReviewsVersion::compiled_default();
        let config = load(&[]);
        assert_eq!(config.version, version);
        assert_eq!(config.ratings.is_some(), version.ratings_enabled());
        if let Some(ratings) = config.ratings {
            assert_eq!(ratings.star_color.as_str(), version.star_color());
            assert_eq!(ratings.base_url, "http://ratings:9080");
        }
    }

    #[test]
    fn service_version_picks_that_versions_defaults() {
        let v1 = load(&[("SERVICE_VERSION", "v1")]);
        assert_eq!(v1.version, ReviewsVersion::V1);
        assert_eq!(v1.ratings, None);

        let v2 = load(&[("SERVICE_VERSION", "v2")]);
        assert_eq!(v2.version, ReviewsVersion::V2);
        assert_eq!(
            v2.ratings,
            Some(RatingsSettings {
                base_url: "http://ratings:9080".to_owned(),
                star_color: StarColor::Black,
                timeout: Duration::from_secs(10),
                connection_reuse: ConnectionReuse::Pooled,
            })
        );

        let v3 = load(&[("SERVICE_VERSION", "v3")]);
        assert_eq!(v3.version, ReviewsVersion::V3);
        assert_eq!(v3.ratings.unwrap().star_color, StarColor::Red);
    }

    #[test]
    fn enable_ratings_overrides_the_version() {
        let v1_with_ratings = load(&[("SERVICE_VERSION", "v1"), ("ENABLE_RATINGS", "TRUE")]);
        assert_eq!(v1_with_ratings.version, ReviewsVersion::V1);
        assert_eq!(
            v1_with_ratings.ratings.unwrap().star_color,
            StarColor::Black
        );

        for off in ["false", "", "yes", "1"] {
            let config = load(&[("SERVICE_VERSION", "v3"), ("ENABLE_RATINGS", off)]);
            assert_eq!(config.ratings, None, "ENABLE_RATINGS={off:?}");
        }
    }

    #[test]
    fn star_color_overrides_the_version() {
        assert_eq!(
            ratings(&[("SERVICE_VERSION", "v2"), ("STAR_COLOR", "red")]).star_color,
            StarColor::Red
        );
        assert_eq!(
            ratings(&[("SERVICE_VERSION", "v3"), ("STAR_COLOR", "black")]).star_color,
            StarColor::Black
        );
        assert_eq!(
            ratings(&[("SERVICE_VERSION", "v2"), ("STAR_COLOR", "hot \"pink\"")]).star_color,
            StarColor::Other("hot \"pink\"".to_owned())
        );
    }

    #[test]
    fn explicit_variables_override_the_compiled_default_too() {
        let config = load(&[("ENABLE_RATINGS", "true"), ("STAR_COLOR", "green")]);
        assert_eq!(config.version, ReviewsVersion::compiled_default());
        assert_eq!(
            config.ratings.unwrap().star_color,
            StarColor::Other("green".to_owned())
        );
        assert_eq!(load(&[("ENABLE_RATINGS", "false")]).ratings, None);
    }

    #[test]
    fn black_stars_wait_10_seconds_and_every_other_colour_2_5() {
        assert_eq!(
            ratings(&[("ENABLE_RATINGS", "true"), ("STAR_COLOR", "black")]).timeout,
            Duration::from_secs(10)
        );
        for color in ["red", "Black", "", "blue"] {
            assert_eq!(
                ratings(&[("ENABLE_RATINGS", "true"), ("STAR_COLOR", color)]).timeout,
                Duration::from_millis(2500),
                "STAR_COLOR={color:?}"
            );
        }
    }

    #[test]
    fn ratings_url_is_built_from_host_domain_and_port() {
        let settings = ratings(&[
            ("SERVICE_VERSION", "v2"),
            ("RATINGS_HOSTNAME", "stars"),
            ("SERVICES_DOMAIN", "bookinfo.svc.cluster.local"),
            ("RATINGS_SERVICE_PORT", "9081"),
        ]);
        assert_eq!(
            settings.base_url,
            "http://stars.bookinfo.svc.cluster.local:9081"
        );
    }

    #[test]
    fn unset_names_are_the_string_null() {
        let config = load(&[]);
        assert_eq!(
            (config.podname.as_str(), config.clustername.as_str()),
            ("null", "null")
        );
        let named = load(&[("HOSTNAME", "reviews-v1-abc"), ("CLUSTER_NAME", "east")]);
        assert_eq!(
            (named.podname.as_str(), named.clustername.as_str()),
            ("reviews-v1-abc", "east")
        );
    }

    #[test]
    fn every_bad_value_is_reported() {
        let env = HashMap::from([
            ("SERVICE_VERSION", "v4"),
            ("ENABLE_RATINGS", "true"),
            ("RATINGS_SERVICE_PORT", "http"),
        ]);
        let errors = Config::load(&env).unwrap_err();
        assert_eq!(errors.0.len(), 2, "{errors}");
        assert!(
            errors.0[0].starts_with("SERVICE_VERSION=\"v4\""),
            "{errors}"
        );
        assert!(
            errors.0[1].starts_with("RATINGS_SERVICE_PORT=\"http\""),
            "{errors}"
        );
    }

    #[test]
    fn a_local_config_is_what_a_pod_with_service_version_and_hostname_reads() {
        let ratings: SocketAddr = "127.0.0.1:9081".parse().unwrap();
        for version in ReviewsVersion::ALL {
            let pod = load(&[
                ("SERVICE_VERSION", version.as_str()),
                ("HOSTNAME", "reviews-local"),
                ("RATINGS_HOSTNAME", "127.0.0.1"),
                ("RATINGS_SERVICE_PORT", "9081"),
            ]);
            assert_eq!(
                Config::local(version, ratings, "reviews-local"),
                pod,
                "{version}"
            );
        }
        let v3 = Config::local(ReviewsVersion::V3, ratings, "pod")
            .ratings
            .unwrap();
        assert_eq!(v3.base_url, "http://127.0.0.1:9081");
        assert_eq!(v3.star_color, StarColor::Red);
        assert_eq!(
            Config::local(ReviewsVersion::V1, ratings, "pod").ratings,
            None
        );
    }

    #[test]
    fn ratings_port_is_not_checked_when_ratings_are_off() {
        let env = HashMap::from([("SERVICE_VERSION", "v1"), ("RATINGS_SERVICE_PORT", "http")]);
        assert!(Config::load(&env).is_ok());
    }
}
