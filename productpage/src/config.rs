//! productpage's configuration: upstream's environment variables (same names, same defaults) plus
//! our session key and connection-pooling switch, read once at start.

use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

use actix_web::cookie::Key;
use chassis::client::ConnectionReuse;
use chassis::config::{ConfigErrors, EnvReader, EnvSource, service_base_url};
use chassis::limits::ServerLimits;
use chassis::telemetry::TelemetryConfig;

/// The name productpage reports as, unless `OTEL_SERVICE_NAME` says otherwise.
pub const SERVICE: &str = "productpage";

pub const ENV_SERVICES_DOMAIN: &str = "SERVICES_DOMAIN";
pub const DEFAULT_SERVICES_DOMAIN: &str = "";
pub const ENV_DETAILS_HOSTNAME: &str = "DETAILS_HOSTNAME";
pub const DEFAULT_DETAILS_HOSTNAME: &str = "details";
pub const ENV_DETAILS_SERVICE_PORT: &str = "DETAILS_SERVICE_PORT";
pub const ENV_REVIEWS_HOSTNAME: &str = "REVIEWS_HOSTNAME";
pub const DEFAULT_REVIEWS_HOSTNAME: &str = "reviews";
pub const ENV_REVIEWS_SERVICE_PORT: &str = "REVIEWS_SERVICE_PORT";
pub const ENV_RATINGS_HOSTNAME: &str = "RATINGS_HOSTNAME";
pub const DEFAULT_RATINGS_HOSTNAME: &str = "ratings";
pub const ENV_RATINGS_SERVICE_PORT: &str = "RATINGS_SERVICE_PORT";
/// Every backend listens on 9080, like every Bookinfo service.
pub const DEFAULT_SERVICE_PORT: &str = "9080";
pub const ENV_FLOOD_FACTOR: &str = "FLOOD_FACTOR";
/// Upstream's image sets 0; its `v-flooding` image sets 100 for the rate-limit demos.
pub const DEFAULT_FLOOD_FACTOR: u32 = 0;
/// Ours: the key that signs the session cookie.
pub const ENV_SESSION_SECRET: &str = "SESSION_SECRET";
/// The shortest secret accepted, in bytes; the key is derived from it with HKDF.
pub const MIN_SESSION_SECRET_BYTES: usize = 32;
/// Ours: `true` reuses keep-alive connections to the backends.
pub const ENV_BACKEND_CONNECTION_POOLING: &str = "BACKEND_CONNECTION_POOLING";
/// Off by default: without a mesh, kube-proxy balances per TCP connection, so a pooled connection
/// would stick to one reviews pod and the page would stop rotating through v1, v2 and v3. Off,
/// connections are reused only under concurrent load ([`ConnectionReuse::WhileBusy`]).
pub const DEFAULT_BACKEND_CONNECTION_POOLING: bool = false;
/// Upstream's hard-coded `timeout=3.0` on every backend call. The fault-injection task depends on
/// it: a 7 s ratings delay outlasts two 3 s reviews attempts, so the page shows the reviews error
/// after about 6 s.
pub const BACKEND_TIMEOUT: Duration = Duration::from_secs(3);

/// Everything productpage needs to know, read once at start.
#[derive(Debug, Clone)]
pub struct Config {
    /// `http://details[.domain]:9080`, without a trailing slash.
    pub details_url: String,
    /// `http://reviews[.domain]:9080`.
    pub reviews_url: String,
    /// `http://ratings[.domain]:9080`.
    pub ratings_url: String,
    /// Extra reviews calls before the real one on every `/productpage`.
    pub flood_factor: u32,
    /// Signs the session cookie.
    pub session_key: SessionKey,
    /// Fresh connection per backend call unless calls overlap (default), or pooled.
    pub connection_reuse: ConnectionReuse,
    /// Deadline of one backend call, connect to last body byte.
    pub backend_timeout: Duration,
    /// Who it reports as and where its spans go.
    pub telemetry: TelemetryConfig,
    /// What clients get: time to send a request, connections (`SERVER_*`).
    pub server: ServerLimits,
}

impl Config {
    /// Reads upstream's env vars (names and defaults as upstream) and ours from `env`; every bad
    /// value is reported at once.
    pub fn load(env: &dyn EnvSource) -> Result<Config, ConfigErrors> {
        let mut reader = EnvReader::new(env);
        let domain = reader.string(ENV_SERVICES_DOMAIN, DEFAULT_SERVICES_DOMAIN);
        let url = |reader: &EnvReader<'_>, host_var, default_host, port_var| {
            service_base_url(
                &reader.string(host_var, default_host),
                &domain,
                &reader.string(port_var, DEFAULT_SERVICE_PORT),
            )
        };
        let details_url = url(
            &reader,
            ENV_DETAILS_HOSTNAME,
            DEFAULT_DETAILS_HOSTNAME,
            ENV_DETAILS_SERVICE_PORT,
        );
        let reviews_url = url(
            &reader,
            ENV_REVIEWS_HOSTNAME,
            DEFAULT_REVIEWS_HOSTNAME,
            ENV_REVIEWS_SERVICE_PORT,
        );
        let ratings_url = url(
            &reader,
            ENV_RATINGS_HOSTNAME,
            DEFAULT_RATINGS_HOSTNAME,
            ENV_RATINGS_SERVICE_PORT,
        );
        let flood_factor = reader.parse(ENV_FLOOD_FACTOR, DEFAULT_FLOOD_FACTOR);
        let connection_reuse = ConnectionReuse::from_flag(reader.flag(
            ENV_BACKEND_CONNECTION_POOLING,
            DEFAULT_BACKEND_CONNECTION_POOLING,
        ));
        let session_key = match SessionKey::from_env(reader.optional(ENV_SESSION_SECRET)) {
            Ok(key) => key,
            Err(problem) => {
                reader.problem(problem);
                SessionKey::placeholder()
            }
        };
        let telemetry = TelemetryConfig::read(&mut reader, SERVICE);
        let server = ServerLimits::read(&mut reader);
        reader.finish(Config {
            server,
            details_url,
            reviews_url,
            ratings_url,
            flood_factor,
            session_key,
            connection_reuse,
            backend_timeout: BACKEND_TIMEOUT,
            telemetry,
        })
    }
}

/// Where productpage's backends listen, for a configuration made without the environment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BackendAddresses {
    pub details: SocketAddr,
    pub reviews: SocketAddr,
    pub ratings: SocketAddr,
}

impl Config {
    /// productpage calling `backends` directly, with upstream's defaults otherwise and a random
    /// session key, reporting as v1: what a pod with only the backends' hosts and ports,
    /// `BACKEND_CONNECTION_POOLING` and `SERVICE_VERSION=v1` set reads, without the environment.
    /// For the local launcher, whose process has its telemetry set up already.
    pub fn local(
        backends: BackendAddresses,
        connection_reuse: ConnectionReuse,
    ) -> Result<Config, ConfigErrors> {
        let session_key = SessionKey::random().map_err(|problem| ConfigErrors(vec![problem]))?;
        Ok(Config {
            details_url: format!("http://{}", backends.details),
            reviews_url: format!("http://{}", backends.reviews),
            ratings_url: format!("http://{}", backends.ratings),
            flood_factor: DEFAULT_FLOOD_FACTOR,
            session_key,
            connection_reuse,
            backend_timeout: BACKEND_TIMEOUT,
            telemetry: TelemetryConfig::for_service(SERVICE, "v1"),
            server: ServerLimits::default(),
        })
    }
}

/// The key that signs session cookies.
///
/// From `SESSION_SECRET` when set, so every replica and every restart accepts the same cookies.
/// When unset, a random key is made at start: sessions then end when the process restarts and a
/// cookie from one replica is not accepted by another (fine for one pod or a local run).
#[derive(Clone)]
pub struct SessionKey(pub(crate) Key);

impl SessionKey {
    /// A key derived from `secret` (at least [`MIN_SESSION_SECRET_BYTES`] bytes).
    pub fn from_secret(secret: &[u8]) -> Result<SessionKey, String> {
        if secret.len() < MIN_SESSION_SECRET_BYTES {
            return Err(format!(
                "{ENV_SESSION_SECRET} is {} bytes long; it must be at least \
                 {MIN_SESSION_SECRET_BYTES} bytes (or unset for a random key per start)",
                secret.len()
            ));
        }
        // derive_from only panics on a secret shorter than 32 bytes, excluded above.
        Ok(SessionKey(Key::derive_from(secret)))
    }

    /// A fresh random key.
    pub fn random() -> Result<SessionKey, String> {
        Key::try_generate()
            .map(SessionKey)
            .ok_or_else(|| "no randomness available for a session key".to_owned())
    }

    fn from_env(secret: Option<String>) -> Result<SessionKey, String> {
        match secret {
            Some(secret) => Self::from_secret(secret.as_bytes()),
            None => Self::random(),
        }
    }

    /// Stands in for a key that could not be made, only so reading can go on and report every
    /// problem; the configuration is then rejected.
    fn placeholder() -> SessionKey {
        SessionKey(Key::from(&[0; 64]))
    }
}

impl fmt::Debug for SessionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SessionKey(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    #[test]
    fn defaults_are_upstreams() {
        let config = Config::load(&HashMap::<&str, &str>::new()).unwrap();
        assert_eq!(config.details_url, "http://details:9080");
        assert_eq!(config.reviews_url, "http://reviews:9080");
        assert_eq!(config.ratings_url, "http://ratings:9080");
        assert_eq!(config.flood_factor, 0);
        assert_eq!(config.connection_reuse, ConnectionReuse::WhileBusy);
        assert_eq!(config.backend_timeout, Duration::from_secs(3));
    }

    #[test]
    fn hosts_ports_and_domain_make_the_base_urls() {
        let env = HashMap::from([
            ("SERVICES_DOMAIN", "bookinfo.svc"),
            ("DETAILS_HOSTNAME", "d"),
            ("DETAILS_SERVICE_PORT", "1"),
            ("REVIEWS_HOSTNAME", "rv"),
            ("REVIEWS_SERVICE_PORT", "2"),
            ("RATINGS_HOSTNAME", "rt"),
            ("RATINGS_SERVICE_PORT", "3"),
            ("FLOOD_FACTOR", "100"),
            ("BACKEND_CONNECTION_POOLING", "true"),
        ]);
        let config = Config::load(&env).unwrap();
        assert_eq!(config.details_url, "http://d.bookinfo.svc:1");
        assert_eq!(config.reviews_url, "http://rv.bookinfo.svc:2");
        assert_eq!(config.ratings_url, "http://rt.bookinfo.svc:3");
        assert_eq!(config.flood_factor, 100);
        assert_eq!(config.connection_reuse, ConnectionReuse::Pooled);
    }

    #[test]
    fn a_local_config_is_what_a_pod_with_the_backends_addresses_reads() {
        let backends = BackendAddresses {
            details: "127.0.0.1:1".parse().unwrap(),
            reviews: "127.0.0.1:2".parse().unwrap(),
            ratings: "[::1]:3".parse().unwrap(),
        };
        let pod = Config::load(&HashMap::from([
            ("DETAILS_HOSTNAME", "127.0.0.1"),
            ("DETAILS_SERVICE_PORT", "1"),
            ("REVIEWS_HOSTNAME", "127.0.0.1"),
            ("REVIEWS_SERVICE_PORT", "2"),
            ("RATINGS_HOSTNAME", "[::1]"),
            ("RATINGS_SERVICE_PORT", "3"),
            ("BACKEND_CONNECTION_POOLING", "true"),
            ("SERVICE_VERSION", "v1"),
        ]))
        .unwrap();
        let local = Config::local(backends, ConnectionReuse::Pooled).unwrap();
        // The session keys are random in both: every other field is the same.
        assert_eq!(format!("{local:?}"), format!("{pod:?}"));
        assert_eq!(local.ratings_url, "http://[::1]:3");
    }

    #[test]
    fn short_secret_and_bad_flood_factor_are_reported_together() {
        let env = HashMap::from([("SESSION_SECRET", "too short"), ("FLOOD_FACTOR", "-1")]);
        let errors = Config::load(&env).unwrap_err();
        assert_eq!(errors.0.len(), 2, "{errors}");
        assert!(errors.to_string().contains("SESSION_SECRET"), "{errors}");
        assert!(errors.to_string().contains("FLOOD_FACTOR"), "{errors}");
    }

    #[test]
    fn long_enough_secret_is_accepted_and_never_printed() {
        let secret = "0123456789abcdef0123456789abcdef";
        let config = Config::load(&HashMap::from([("SESSION_SECRET", secret)])).unwrap();
        assert!(!format!("{config:?}").contains(secret));
    }
}
