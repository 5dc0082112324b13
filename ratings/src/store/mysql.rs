//! v2 on MySQL: Reviewer1's and Reviewer2's stars are the `Rating` of the first and second row of
//! `test.ratings` by `ReviewID` (0 for a missing row or a NULL), read through a lazily connected
//! pool, so ratings starts before the database and recovers after it restarts.

use std::fmt;

use sqlx::mysql::{MySqlConnectOptions, MySqlPool, MySqlPoolOptions, MySqlSslMode};

use super::{CONNECT_TIMEOUT, QUERY_TIMEOUT};
use crate::config::MySqlSettings;
use crate::error::Error;
use crate::ratings::Ratings;
use crate::secret::Secret;

/// Upstream's query, ordered so "first" and "second" row mean the same on every server.
const SELECT_RATINGS: &str = "SELECT Rating FROM ratings ORDER BY ReviewID LIMIT 2";
/// Upstream's database name.
const DATABASE: &str = "test";
/// Enough for one process's reads; each request holds a connection for one short query.
const MAX_CONNECTIONS: u32 = 4;

pub struct MySqlRatings {
    pool: MySqlPool,
    /// Where and as whom, for logs (never the password).
    target: String,
    /// Kept only to scrub it from driver errors.
    password: Secret,
}

impl MySqlRatings {
    /// Connects nothing yet: the first read opens the first connection. Call within a Tokio
    /// runtime (the pool's clock and sockets live there).
    pub fn new(settings: &MySqlSettings) -> MySqlRatings {
        let options = MySqlConnectOptions::new()
            .host(&settings.host)
            .port(settings.port)
            .username(&settings.user)
            .password(settings.password.expose())
            .database(DATABASE)
            // Upstream's driver speaks plain TCP too; this build has no TLS.
            .ssl_mode(MySqlSslMode::Disabled);
        let pool = MySqlPoolOptions::new()
            .max_connections(MAX_CONNECTIONS)
            .min_connections(0)
            .acquire_timeout(CONNECT_TIMEOUT)
            // A connection that died with a restarted server is noticed here and replaced.
            .test_before_acquire(true)
            // No background reaper task: idle connections are checked when they are taken.
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_lazy_with(options);
        let target = format!(
            "mysql://{}@{}:{}/{DATABASE}",
            settings.user, settings.host, settings.port
        );
        tracing::info!(database = %target, "ratings v2 reads MySQL (connecting on first use)");
        MySqlRatings {
            pool,
            target,
            password: settings.password.clone(),
        }
    }

    pub async fn read(&self) -> Result<Ratings, Error> {
        let mut connection = tokio::time::timeout(CONNECT_TIMEOUT, self.pool.acquire())
            .await
            .map_err(|_| self.unreachable(format!("no connection within {CONNECT_TIMEOUT:?}")))?
            .map_err(|error| self.unreachable(error.to_string()))?;
        let rows: Vec<Option<i64>> = tokio::time::timeout(
            QUERY_TIMEOUT,
            sqlx::query_scalar(SELECT_RATINGS).fetch_all(&mut *connection),
        )
        .await
        .map_err(|_| self.select_failed(format!("no answer within {QUERY_TIMEOUT:?}")))?
        .map_err(|error| self.select_failed(error.to_string()))?;
        let stars = |row: usize| rows.get(row).copied().flatten().unwrap_or(0);
        Ok(Ratings::reviewers(stars(0), stars(1)))
    }

    fn unreachable(&self, cause: String) -> Error {
        Error::DatabaseUnreachable {
            database: self.target.clone(),
            cause: self.password.scrub(&cause),
        }
    }

    fn select_failed(&self, cause: String) -> Error {
        Error::SelectFailed {
            database: self.target.clone(),
            cause: self.password.scrub(&cause),
        }
    }
}

impl fmt::Debug for MySqlRatings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MySqlRatings")
            .field("database", &self.target)
            .finish_non_exhaustive()
    }
}
