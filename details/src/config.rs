//! details' configuration: upstream's two switches plus our override of the book service's
//! address, read once at start.
//!
//! Upstream's `SERVICE_VERSION` is set in its Dockerfile but never read by details, so it is not
//! read here either: v1 or v2 follows from `ENABLE_EXTERNAL_BOOK_SERVICE` alone.

use std::net::SocketAddr;
use std::str::FromStr;
use std::time::Duration;

use actix_web::http::Uri;
use chassis::config::{ConfigErrors, EnvReader, EnvSource};
use chassis::limits::ServerLimits;
use chassis::telemetry::TelemetryConfig;
use chassis::telemetry::config::UNKNOWN_VERSION;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;

/// The name details reports as, unless `OTEL_SERVICE_NAME` says otherwise.
pub const SERVICE: &str = "details";

/// `true` makes this details v2: books come from Google Books instead of the built-in record.
pub const ENV_ENABLE_EXTERNAL_BOOK_SERVICE: &str = "ENABLE_EXTERNAL_BOOK_SERVICE";
/// `true` calls Google Books over plain HTTP on port 80, so that an Istio sidecar or egress
/// gateway can originate the TLS (the egress TLS-origination task depends on it).
pub const ENV_DO_NOT_ENCRYPT: &str = "DO_NOT_ENCRYPT";
/// Ours: the book service's base URL (scheme, host, optional port), overriding the two Google
/// defaults below; tests point it at a stand-in on loopback.
pub const ENV_EXTERNAL_BOOK_SERVICE_URL: &str = "EXTERNAL_BOOK_SERVICE_URL";
/// Google Books over TLS, upstream's default.
pub const GOOGLE_BOOKS_HTTPS_URL: &str = "https://www.googleapis.com";
/// Google Books in plain HTTP, with `DO_NOT_ENCRYPT=true`.
pub const GOOGLE_BOOKS_PLAIN_HTTP_URL: &str = "http://www.googleapis.com:80";
/// Upstream's `read_timeout = 5`. Ours covers the whole call, connecting included, so a
/// black-holed egress gives up after 5 s instead of hanging.
pub const BOOK_SERVICE_TIMEOUT: Duration = Duration::from_secs(5);

/// Where the book's details come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BookSource {
    /// details v1: the built-in record.
    Builtin,
    /// details v2: Google Books' volumes API.
    GoogleBooks {
        /// Scheme, host and optional port, without a trailing slash.
        base_url: String,
        /// Deadline of one call, connect to last body byte.
        timeout: Duration,
        /// Set by `bookinfo mesh` only (never from the environment): the mesh's way out.
        egress: Option<MeshEgress>,
    },
}

/// How details v2 leaves the local mesh: where a sidecar would capture its connection, and the
/// CA the mesh trusts for the outside world.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeshEgress {
    /// The egress listener in details' own pod for the book service's host and port: every
    /// connection goes there, the host name still used for `Host`, SNI and the certificate check.
    pub connect_to: SocketAddr,
    /// Trusted besides the bundled roots: the mesh's `--egress-ca`, so a stand-in's certificate
    /// verifies as the real host's would.
    pub extra_roots: Vec<CertificateDer<'static>>,
}

impl MeshEgress {
    /// Connections to `connect_to`, trusting the certificates in `ca_pem` too; a PEM without a
    /// usable certificate is refused now rather than at the first call.
    pub fn new(connect_to: SocketAddr, ca_pem: Option<&str>) -> Result<Self, String> {
        let extra_roots = match ca_pem {
            None => Vec::new(),
            Some(pem) => {
                let roots = CertificateDer::pem_slice_iter(pem.as_bytes())
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|error| format!("not a PEM certificate: {error}"))?;
                if roots.is_empty() {
                    return Err("no certificate in the PEM".to_owned());
                }
                let mut store = rustls::RootCertStore::empty();
                for root in &roots {
                    store
                        .add(root.clone())
                        .map_err(|error| format!("not a CA certificate: {error}"))?;
                }
                roots
            }
        };
        Ok(Self {
            connect_to,
            extra_roots,
        })
    }
}

/// Everything details needs to know, read once at start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub book_source: BookSource,
    /// Who it reports as and where its spans go.
    pub telemetry: TelemetryConfig,
    /// What clients get: time to send a request, connections (`SERVER_*`).
    pub server: ServerLimits,
}

impl Default for Config {
    /// details v1, the built-in record: what a pod with no variable set reads.
    fn default() -> Self {
        Self {
            book_source: BookSource::Builtin,
            telemetry: TelemetryConfig::for_service(SERVICE, UNKNOWN_VERSION),
            server: ServerLimits::default(),
        }
    }
}

impl Config {
    /// details v1 with the built-in record, reporting as v1: for the local launcher, whose
    /// process has its telemetry set up already.
    pub fn local() -> Self {
        Self {
            telemetry: TelemetryConfig::for_service(SERVICE, "v1"),
            ..Self::default()
        }
    }

    /// Reads upstream's env vars (names and defaults as upstream) and ours from `env`; every bad
    /// value is reported at once.
    pub fn load(env: &dyn EnvSource) -> Result<Config, ConfigErrors> {
        let mut reader = EnvReader::new(env);
        let external = is_true(&reader, ENV_ENABLE_EXTERNAL_BOOK_SERVICE);
        let do_not_encrypt = is_true(&reader, ENV_DO_NOT_ENCRYPT);
        // Checked even for v1, so a typo shows now rather than when someone switches to v2.
        let override_url = match reader.optional(ENV_EXTERNAL_BOOK_SERVICE_URL) {
            Some(raw) if !raw.trim().is_empty() => match base_url(raw.trim()) {
                Ok(url) => Some(url),
                Err(problem) => {
                    reader.problem(format!(
                        "{ENV_EXTERNAL_BOOK_SERVICE_URL}={raw:?}: {problem}"
                    ));
                    None
                }
            },
            _ => None,
        };
        let book_source = if external {
            BookSource::GoogleBooks {
                base_url: override_url
                    .unwrap_or_else(|| default_base_url(do_not_encrypt).to_owned()),
                timeout: BOOK_SERVICE_TIMEOUT,
                egress: None,
            }
        } else {
            BookSource::Builtin
        };
        let telemetry = TelemetryConfig::read(&mut reader, SERVICE);
        let server = ServerLimits::read(&mut reader);
        reader.finish(Config {
            book_source,
            telemetry,
            server,
        })
    }
}

/// Google Books' address: plain HTTP on port 80 when the mesh encrypts, TLS otherwise.
pub fn default_base_url(do_not_encrypt: bool) -> &'static str {
    if do_not_encrypt {
        GOOGLE_BOOKS_PLAIN_HTTP_URL
    } else {
        GOOGLE_BOOKS_HTTPS_URL
    }
}

/// Upstream compares with Ruby's `=== 'true'`: exactly `true`, so `TRUE` or ` true` leave the
/// switch off there and here alike.
fn is_true(reader: &EnvReader<'_>, name: &str) -> bool {
    reader.optional(name).as_deref() == Some("true")
}

/// An `http` or `https` URL with a host and nothing after the path; the trailing slash dropped.
fn base_url(raw: &str) -> Result<String, String> {
    let uri = Uri::from_str(raw).map_err(|error| format!("not a URL ({error})"))?;
    match uri.scheme_str() {
        Some("http" | "https") => {}
        _ => return Err("must start with http:// or https://".to_owned()),
    }
    if uri.host().is_none_or(str::is_empty) {
        return Err("has no host".to_owned());
    }
    if uri.query().is_some() {
        return Err("must not have a query; the volumes path and query are added to it".to_owned());
    }
    Ok(raw.trim_end_matches('/').to_owned())
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn load(pairs: &[(&str, &str)]) -> Result<Config, ConfigErrors> {
        Config::load(&pairs.iter().copied().collect::<HashMap<&str, &str>>())
    }

    fn base_url_of(config: Config) -> String {
        match config.book_source {
            BookSource::GoogleBooks { base_url, .. } => base_url,
            BookSource::Builtin => panic!("expected v2, got {config:?}"),
        }
    }

    #[test]
    fn without_variables_details_is_v1() {
        assert_eq!(load(&[]).unwrap().book_source, BookSource::Builtin);
        assert_eq!(load(&[]).unwrap(), Config::default());
    }

    #[test]
    fn service_version_is_ignored_as_upstream_does() {
        let config = load(&[("SERVICE_VERSION", "v2")]).unwrap();
        assert_eq!(config.book_source, BookSource::Builtin);
    }

    #[test]
    fn external_book_service_uses_google_over_tls_by_default() {
        let config = load(&[(ENV_ENABLE_EXTERNAL_BOOK_SERVICE, "true")]).unwrap();
        assert_eq!(
            config.book_source,
            BookSource::GoogleBooks {
                base_url: "https://www.googleapis.com".to_owned(),
                timeout: Duration::from_secs(5),
                egress: None,
            }
        );
    }

    #[test]
    fn do_not_encrypt_uses_plain_http_on_port_80() {
        let config = load(&[
            (ENV_ENABLE_EXTERNAL_BOOK_SERVICE, "true"),
            (ENV_DO_NOT_ENCRYPT, "true"),
        ])
        .unwrap();
        assert_eq!(base_url_of(config), "http://www.googleapis.com:80");
    }

    #[test]
    fn do_not_encrypt_other_than_true_keeps_tls() {
        for value in ["false", "TRUE", "1", ""] {
            let config = load(&[
                (ENV_ENABLE_EXTERNAL_BOOK_SERVICE, "true"),
                (ENV_DO_NOT_ENCRYPT, value),
            ])
            .unwrap();
            assert_eq!(
                base_url_of(config),
                "https://www.googleapis.com",
                "DO_NOT_ENCRYPT={value:?}"
            );
        }
    }

    #[test]
    fn only_exactly_true_enables_the_external_service() {
        for value in ["TRUE", "True", " true", "1", "yes", ""] {
            let config = load(&[(ENV_ENABLE_EXTERNAL_BOOK_SERVICE, value)]).unwrap();
            assert_eq!(
                config.book_source,
                BookSource::Builtin,
                "ENABLE_EXTERNAL_BOOK_SERVICE={value:?}"
            );
        }
    }

    #[test]
    fn url_override_wins_over_both_defaults() {
        for do_not_encrypt in ["true", "false"] {
            let config = load(&[
                (ENV_ENABLE_EXTERNAL_BOOK_SERVICE, "true"),
                (ENV_DO_NOT_ENCRYPT, do_not_encrypt),
                (ENV_EXTERNAL_BOOK_SERVICE_URL, "http://127.0.0.1:8080/"),
            ])
            .unwrap();
            assert_eq!(base_url_of(config), "http://127.0.0.1:8080");
        }
    }

    #[test]
    fn empty_url_override_means_the_default() {
        let config = load(&[
            (ENV_ENABLE_EXTERNAL_BOOK_SERVICE, "true"),
            (ENV_EXTERNAL_BOOK_SERVICE_URL, ""),
        ])
        .unwrap();
        assert_eq!(base_url_of(config), "https://www.googleapis.com");
    }

    #[test]
    fn mesh_egress_refuses_a_ca_that_is_not_a_pem_certificate() {
        let address = SocketAddr::from(([127, 0, 0, 1], 443));
        for bad in [
            "",
            "not a certificate",
            "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
        ] {
            assert!(MeshEgress::new(address, Some(bad)).is_err(), "{bad:?}");
        }
        let without_ca = MeshEgress::new(address, None).unwrap();
        assert!(without_ca.extra_roots.is_empty());
    }

    #[test]
    fn bad_url_override_is_a_configuration_error() {
        for bad in [
            "www.googleapis.com",
            "ftp://books.example",
            "http://",
            "http://h/?q=1",
        ] {
            let errors = load(&[(ENV_EXTERNAL_BOOK_SERVICE_URL, bad)]).unwrap_err();
            assert_eq!(errors.0.len(), 1, "{bad:?}: {errors}");
            assert!(
                errors.0[0].starts_with(ENV_EXTERNAL_BOOK_SERVICE_URL),
                "{bad:?}: {errors}"
            );
        }
    }
}
