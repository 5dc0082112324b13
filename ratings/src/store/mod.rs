//! Where ratings come from: the seam between the routes and the storage behind them.
//!
//! [`RatingsStore::InMemory`] is v1 (and every persona): upstream's built-in ratings plus what was
//! POSTed, per process. [`RatingsStore::MySql`] and [`RatingsStore::MongoDb`] are v2: the same
//! two reviewers' stars for every product, read from the database on every request, read-only.

mod memory;
mod mongo;
mod mysql;

use std::time::Duration;

pub use memory::InMemoryStore;
pub use mongo::MongoRatings;
pub use mysql::MySqlRatings;

use crate::error::Error;
use crate::product_id::ProductId;
use crate::ratings::{Ratings, RatingsJson};

/// The longest a database read waits for a connection (MySQL) or a server (MongoDB).
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(1);
/// The longest a database read waits for its query once connected. With [`CONNECT_TIMEOUT`]
/// this stays under reviews' 2.5 s ratings timeout, so reviews gets our 500 rather than giving
/// up, and nothing ever hangs.
pub const QUERY_TIMEOUT: Duration = Duration::from_secs(1);

/// The ratings storage a server uses, chosen once from the configuration.
#[derive(Debug)]
pub enum RatingsStore {
    InMemory(InMemoryStore),
    MySql(MySqlRatings),
    MongoDb(MongoRatings),
}

impl RatingsStore {
    /// The ratings of product `id`, as answered.
    pub async fn get(&self, id: ProductId) -> Result<RatingsJson, Error> {
        let read = match self {
            RatingsStore::InMemory(store) => return Ok(store.get(id)),
            // Upstream's database rows are not per product: the id is only echoed.
            RatingsStore::MySql(store) => store.read().await?,
            RatingsStore::MongoDb(store) => store.read().await?,
        };
        Ok(RatingsJson::of(&read))
    }

    /// Replaces the ratings of product `id`.
    pub async fn put(&self, id: ProductId, ratings: Ratings) -> Result<(), Error> {
        match self {
            RatingsStore::InMemory(store) => store.put(id, &ratings),
            RatingsStore::MySql(_) | RatingsStore::MongoDb(_) => Err(Error::PostNotImplemented),
        }
    }
}
