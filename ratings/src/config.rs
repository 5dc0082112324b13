//! ratings' configuration: upstream's `SERVICE_VERSION` picks the persona and the storage, read
//! once at start, plus our knobs that make the personas' timings testable.
//!
//! | variable | default | meaning |
//! |---|---|---|
//! | `SERVICE_VERSION` | `v1` | `v1` (in memory), `v2` (database), `v-faulty`, `v-delayed`, `v-unavailable`, `v-unhealthy` |
//! | `DB_TYPE` | (MongoDB) | v2: `mysql` for MySQL, anything else for MongoDB |
//! | `MYSQL_DB_HOST` / `MYSQL_DB_PORT` | `localhost` / `3306` | v2 MySQL: the server |
//! | `MYSQL_DB_USER` / `MYSQL_DB_PASSWORD` | required / empty | v2 MySQL: the account |
//! | `MONGO_DB_URL` | required | v2 MongoDB: `mongodb://host:port/…` |
//! | `RATINGS_FAULT_SHARE` | `0.5` | share of reads that `v-faulty` fails or `v-delayed` delays, 0 to 1 |
//! | `RATINGS_DELAY_MS` | `7000` | how long `v-delayed` delays a read |
//! | `RATINGS_FLIP_PERIOD_MS` | `60000` (`v-unavailable`), `900000` (`v-unhealthy`) | how long each state lasts |
//!
//! The database variables are read only for `v2`, as upstream reads them. The `RATINGS_*`
//! variables are ours; each is read only by the personas that use it.

use std::time::Duration;

use chassis::config::{ConfigErrors, EnvReader, EnvSource};
use chassis::limits::ServerLimits;
use chassis::telemetry::TelemetryConfig;
use chassis::telemetry::config::UNKNOWN_VERSION;

use crate::persona::{Persona, Share};
use crate::secret::{Secret, redact_url, url_password};

/// The name ratings reports as, unless `OTEL_SERVICE_NAME` says otherwise.
pub const SERVICE: &str = "ratings";
pub const ENV_SERVICE_VERSION: &str = "SERVICE_VERSION";
/// Every version upstream's ratings knows, in the order we list them.
pub const SERVICE_VERSIONS: [&str; 6] = [
    "v1",
    "v2",
    "v-faulty",
    "v-delayed",
    "v-unavailable",
    "v-unhealthy",
];
pub const ENV_DB_TYPE: &str = "DB_TYPE";
/// The one `DB_TYPE` that picks MySQL; upstream uses MongoDB for every other value.
pub const DB_TYPE_MYSQL: &str = "mysql";
pub const ENV_MYSQL_DB_HOST: &str = "MYSQL_DB_HOST";
/// Where upstream's MySQL driver connects when no host is given.
pub const DEFAULT_MYSQL_DB_HOST: &str = "localhost";
pub const ENV_MYSQL_DB_PORT: &str = "MYSQL_DB_PORT";
pub const DEFAULT_MYSQL_DB_PORT: u16 = 3306;
pub const ENV_MYSQL_DB_USER: &str = "MYSQL_DB_USER";
pub const ENV_MYSQL_DB_PASSWORD: &str = "MYSQL_DB_PASSWORD";
pub const ENV_MONGO_DB_URL: &str = "MONGO_DB_URL";
pub const ENV_FAULT_SHARE: &str = "RATINGS_FAULT_SHARE";
/// Upstream flips a coin (`Math.random() <= 0.5`).
pub const DEFAULT_FAULT_SHARE: f64 = 0.5;
pub const ENV_DELAY_MS: &str = "RATINGS_DELAY_MS";
/// Upstream's `setTimeout(…, 7000)`: longer than productpage's 3 s reviews timeout and reviews
/// v3's 2.5 s ratings timeout, shorter than reviews v2's 10 s, which the fault-injection task shows.
pub const DEFAULT_DELAY: Duration = Duration::from_secs(7);
pub const ENV_FLIP_PERIOD_MS: &str = "RATINGS_FLIP_PERIOD_MS";
/// Upstream's `v-unavailable` flips every minute.
pub const DEFAULT_UNAVAILABLE_PERIOD: Duration = Duration::from_secs(60);
/// Upstream's `v-unhealthy` flips every 15 minutes.
pub const DEFAULT_UNHEALTHY_PERIOD: Duration = Duration::from_secs(15 * 60);
/// The most memory POSTed ratings may take in one process (see [`Storage::InMemory`]): 1,024
/// products with the largest body each.
pub const DEFAULT_MAX_STORED_BYTES: usize = 4 * 1024 * 1024;
/// The largest POST body read, in bytes: ample for a few reviewers' stars.
pub const DEFAULT_MAX_BODY_BYTES: usize = 4096;

/// Everything ratings needs to know, read once at start.
#[derive(Debug, Clone)]
pub struct Config {
    /// How reads misbehave, if at all.
    pub persona: Persona,
    /// Where ratings are kept.
    pub storage: Storage,
    /// POST bodies longer than this are refused with 400 (not a fixed env var: tests may shrink it).
    pub max_body_bytes: usize,
    /// Who it reports as and where its spans go.
    pub telemetry: TelemetryConfig,
    /// What clients get: time to send a request, connections (`SERVER_*`).
    pub server: ServerLimits,
}

/// Where ratings are kept.
#[derive(Debug, Clone, PartialEq)]
pub enum Storage {
    /// In this process, gone at restart. POSTed ratings take at most `max_bytes` of memory, counted
    /// as stored (compact JSON and the map's entry); a POST that would pass it answers 507, while
    /// stored products can still be updated with ratings no larger.
    InMemory { max_bytes: usize },
    /// v2 with `DB_TYPE=mysql`: database `test`, table `ratings`.
    MySql(MySqlSettings),
    /// v2 otherwise: database `test`, collection `ratings`.
    MongoDb(MongoSettings),
}

/// How v2 reaches MySQL. `Debug` hides the password.
#[derive(Debug, Clone, PartialEq)]
pub struct MySqlSettings {
    pub host: String,
    pub port: u16,
    pub user: String,
    pub password: Secret,
}

/// How v2 reaches MongoDB. `Debug` shows the URL without its password.
#[derive(Clone, PartialEq)]
pub struct MongoSettings {
    /// `MONGO_DB_URL`, checked to be a connection string at start.
    pub url: Secret,
}

impl std::fmt::Debug for MongoSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MongoSettings")
            .field("url", &redact_url(self.url.expose()))
            .finish()
    }
}

impl Default for Config {
    /// ratings v1, in memory: what a pod with no variable set reads.
    fn default() -> Self {
        Self {
            persona: Persona::Normal,
            storage: Storage::InMemory {
                max_bytes: DEFAULT_MAX_STORED_BYTES,
            },
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            telemetry: TelemetryConfig::for_service(SERVICE, UNKNOWN_VERSION),
            server: ServerLimits::default(),
        }
    }
}

impl Config {
    /// ratings v1 in memory, reporting as v1: for the local launcher, whose process has its
    /// telemetry set up already.
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
        let version = reader.string(ENV_SERVICE_VERSION, "");
        let defaults = Config::default();
        let mut storage = defaults.storage;
        let persona = match version.trim() {
            "" | "v1" => Persona::Normal,
            "v2" => {
                storage = read_database(&mut reader);
                Persona::Normal
            }
            // A bad share is reported by `finish`, so the persona stands in for the one not built.
            "v-faulty" => {
                read_share(&mut reader).map_or(Persona::Normal, |share| Persona::Faulty { share })
            }
            "v-delayed" => {
                let delay =
                    Duration::from_millis(reader.parse(ENV_DELAY_MS, millis(DEFAULT_DELAY)));
                read_share(&mut reader)
                    .map_or(Persona::Normal, |share| Persona::Delayed { share, delay })
            }
            "v-unavailable" => Persona::Unavailable {
                period: read_period(&mut reader, DEFAULT_UNAVAILABLE_PERIOD),
            },
            "v-unhealthy" => Persona::Unhealthy {
                period: read_period(&mut reader, DEFAULT_UNHEALTHY_PERIOD),
            },
            other => {
                reader.problem(format!(
                    "{ENV_SERVICE_VERSION}={other:?} is not a ratings version; use one of: {}",
                    SERVICE_VERSIONS.join(", ")
                ));
                Persona::Normal
            }
        };
        let telemetry = TelemetryConfig::read(&mut reader, SERVICE);
        let server = ServerLimits::read(&mut reader);
        reader.finish(Config {
            server,
            persona,
            storage,
            telemetry,
            ..defaults
        })
    }
}

/// v2's database settings. Missing or malformed ones are reported now rather than as 500s on
/// every request later; an unreachable database is not a configuration problem (it may come up).
fn read_database(reader: &mut EnvReader<'_>) -> Storage {
    if reader.string(ENV_DB_TYPE, "") == DB_TYPE_MYSQL {
        let host = reader.string(ENV_MYSQL_DB_HOST, DEFAULT_MYSQL_DB_HOST);
        let port = reader.parse(ENV_MYSQL_DB_PORT, DEFAULT_MYSQL_DB_PORT);
        let user = reader.string(ENV_MYSQL_DB_USER, "");
        if user.is_empty() {
            reader.problem(format!(
                "{ENV_MYSQL_DB_USER} is required for {ENV_DB_TYPE}={DB_TYPE_MYSQL}"
            ));
        }
        Storage::MySql(MySqlSettings {
            host,
            port,
            user,
            password: Secret::new(reader.string(ENV_MYSQL_DB_PASSWORD, "")),
        })
    } else {
        let url = reader.string(ENV_MONGO_DB_URL, "");
        if url.trim().is_empty() {
            reader.problem(format!(
                "{ENV_MONGO_DB_URL} is required for MongoDB (or set {ENV_DB_TYPE}={DB_TYPE_MYSQL})"
            ));
        } else if let Err(error) = mongodb::options::ConnectionString::parse(&url) {
            // The driver's message may quote part of the URL, and with it the password.
            let password = Secret::new(url_password(&url).unwrap_or_default());
            reader.problem(format!(
                "{ENV_MONGO_DB_URL}={:?} is not a MongoDB connection string: {}",
                redact_url(&url),
                password.scrub(&error.kind.to_string())
            ));
        }
        Storage::MongoDb(MongoSettings {
            url: Secret::new(url),
        })
    }
}

fn read_share(reader: &mut EnvReader<'_>) -> Option<Share> {
    let value = reader.parse(ENV_FAULT_SHARE, DEFAULT_FAULT_SHARE);
    Share::new(value)
        .map_err(|problem| reader.problem(format!("{ENV_FAULT_SHARE}: {problem}")))
        .ok()
}

fn read_period(reader: &mut EnvReader<'_>, default: Duration) -> Duration {
    let period = reader.parse(ENV_FLIP_PERIOD_MS, millis(default));
    if period == 0 {
        reader.problem(format!(
            "{ENV_FLIP_PERIOD_MS}=0: the period must be at least 1 ms"
        ));
        return default;
    }
    Duration::from_millis(period)
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn load(vars: &[(&str, &str)]) -> Result<Config, ConfigErrors> {
        Config::load(&vars.iter().copied().collect::<HashMap<&str, &str>>())
    }

    #[test]
    fn unset_version_is_v1_in_memory_as_the_default() {
        let config = load(&[]).unwrap();
        assert_eq!(config.persona, Persona::Normal);
        assert_eq!(
            config.storage,
            Storage::InMemory {
                max_bytes: DEFAULT_MAX_STORED_BYTES
            }
        );
        let default = Config::default();
        assert_eq!(
            (default.persona, default.storage, default.max_body_bytes),
            (config.persona, config.storage, config.max_body_bytes)
        );
        assert_eq!(
            load(&[("SERVICE_VERSION", "v1")]).unwrap().persona,
            Persona::Normal
        );
    }

    #[test]
    fn personas_have_upstreams_defaults() {
        let half = Share::new(0.5).unwrap();
        let cases = [
            ("v-faulty", Persona::Faulty { share: half }),
            (
                "v-delayed",
                Persona::Delayed {
                    share: half,
                    delay: Duration::from_secs(7),
                },
            ),
            (
                "v-unavailable",
                Persona::Unavailable {
                    period: Duration::from_secs(60),
                },
            ),
            (
                "v-unhealthy",
                Persona::Unhealthy {
                    period: Duration::from_secs(900),
                },
            ),
        ];
        for (version, persona) in cases {
            assert_eq!(
                load(&[("SERVICE_VERSION", version)]).unwrap().persona,
                persona
            );
        }
    }

    #[test]
    fn persona_timings_can_be_overridden() {
        let delayed = load(&[
            ("SERVICE_VERSION", "v-delayed"),
            ("RATINGS_FAULT_SHARE", "1"),
            ("RATINGS_DELAY_MS", "20"),
        ])
        .unwrap();
        assert_eq!(
            delayed.persona,
            Persona::Delayed {
                share: Share::new(1.0).unwrap(),
                delay: Duration::from_millis(20)
            }
        );
        let unhealthy = load(&[
            ("SERVICE_VERSION", "v-unhealthy"),
            ("RATINGS_FLIP_PERIOD_MS", "250"),
        ])
        .unwrap();
        assert_eq!(
            unhealthy.persona,
            Persona::Unhealthy {
                period: Duration::from_millis(250)
            }
        );
    }

    #[test]
    fn unknown_version_lists_the_valid_ones() {
        let errors = load(&[("SERVICE_VERSION", "v9")]).unwrap_err();
        assert_eq!(errors.0.len(), 1, "{errors}");
        for version in SERVICE_VERSIONS {
            assert!(errors.0[0].contains(version), "{errors}");
        }
    }

    #[test]
    fn every_bad_knob_is_reported() {
        let cases: &[(&[(&str, &str)], &str)] = &[
            (
                &[
                    ("SERVICE_VERSION", "v-faulty"),
                    ("RATINGS_FAULT_SHARE", "1.5"),
                ],
                "share above 1",
            ),
            (
                &[
                    ("SERVICE_VERSION", "v-faulty"),
                    ("RATINGS_FAULT_SHARE", "half"),
                ],
                "share not a number",
            ),
            (
                &[("SERVICE_VERSION", "v-delayed"), ("RATINGS_DELAY_MS", "-1")],
                "negative delay",
            ),
            (
                &[
                    ("SERVICE_VERSION", "v-unavailable"),
                    ("RATINGS_FLIP_PERIOD_MS", "0"),
                ],
                "zero period",
            ),
        ];
        for (vars, why) in cases {
            assert!(load(vars).is_err(), "{why}");
        }
    }

    #[test]
    fn v2_with_db_type_mysql_reads_the_mysql_variables() {
        let config = load(&[
            ("SERVICE_VERSION", "v2"),
            ("DB_TYPE", "mysql"),
            ("MYSQL_DB_HOST", "mysqldb"),
            ("MYSQL_DB_PORT", "3307"),
            ("MYSQL_DB_USER", "root"),
            ("MYSQL_DB_PASSWORD", "pa55word"),
        ])
        .unwrap();
        assert_eq!(config.persona, Persona::Normal);
        assert_eq!(
            config.storage,
            Storage::MySql(MySqlSettings {
                host: "mysqldb".to_owned(),
                port: 3307,
                user: "root".to_owned(),
                password: Secret::new("pa55word"),
            })
        );
        assert!(!format!("{config:?}").contains("pa55word"), "{config:?}");
    }

    #[test]
    fn v2_mysql_defaults_to_localhost_3306_and_requires_a_user() {
        let config = load(&[
            ("SERVICE_VERSION", "v2"),
            ("DB_TYPE", "mysql"),
            ("MYSQL_DB_USER", "ratings"),
        ])
        .unwrap();
        let Storage::MySql(settings) = config.storage else {
            panic!("not MySQL: {:?}", config.storage)
        };
        assert_eq!((settings.host.as_str(), settings.port), ("localhost", 3306));
        assert_eq!(settings.password, Secret::default());

        let errors = load(&[("SERVICE_VERSION", "v2"), ("DB_TYPE", "mysql")]).unwrap_err();
        assert!(errors.0[0].contains("MYSQL_DB_USER"), "{errors}");
    }

    #[test]
    fn v2_with_any_other_db_type_reads_mongo_db_url() {
        for db_type in [None, Some("mongodb"), Some("MySQL"), Some("")] {
            let mut vars = vec![
                ("SERVICE_VERSION", "v2"),
                ("MONGO_DB_URL", "mongodb://mongodb:27017/test"),
            ];
            vars.extend(db_type.map(|db_type| ("DB_TYPE", db_type)));
            let config = load(&vars).unwrap();
            assert_eq!(
                config.storage,
                Storage::MongoDb(MongoSettings {
                    url: Secret::new("mongodb://mongodb:27017/test")
                }),
                "DB_TYPE={db_type:?}"
            );
        }
    }

    #[test]
    fn v2_mongo_url_must_be_set_and_well_formed_and_is_never_echoed_whole() {
        let cases = [
            (None, "unset"),
            (Some(""), "empty"),
            (Some("http://ratings:s3cret@mongodb/test"), "wrong scheme"),
            (
                Some("mongodb://ratings:s3cret@mongodb:notaport/test"),
                "bad port",
            ),
        ];
        for (url, why) in cases {
            let mut vars = vec![("SERVICE_VERSION", "v2")];
            vars.extend(url.map(|url| ("MONGO_DB_URL", url)));
            let errors = load(&vars).unwrap_err();
            assert!(errors.0[0].contains("MONGO_DB_URL"), "{why}: {errors}");
            assert!(!errors.to_string().contains("s3cret"), "{why}: {errors}");
        }
    }

    #[test]
    fn mongo_settings_debug_hides_the_password() {
        let settings = MongoSettings {
            url: Secret::new("mongodb://ratings:s3cret@mongodb:27017/test"),
        };
        assert_eq!(
            format!("{settings:?}"),
            r#"MongoSettings { url: "mongodb://ratings:***@mongodb:27017/test" }"#
        );
    }

    #[test]
    fn database_variables_are_ignored_outside_v2() {
        let config = load(&[("DB_TYPE", "mysql"), ("MONGO_DB_URL", "junk")]).unwrap();
        assert!(matches!(config.storage, Storage::InMemory { .. }));
    }

    #[test]
    fn knobs_of_other_personas_are_ignored() {
        let config = load(&[("SERVICE_VERSION", "v1"), ("RATINGS_FAULT_SHARE", "bogus")]);
        assert!(config.is_ok());
    }
}
