//! Where ratings come from: the seam between the routes and the storage behind them.
//!
//! [`RatingsStore::InMemory`] is v1 (and every persona): upstream's built-in ratings plus what was
//! POSTed, per process.

mod memory;

pub use memory::InMemoryStore;

use crate::error::Error;
use crate::product_id::ProductId;
use crate::ratings::Ratings;

/// The ratings storage a server uses, chosen once from the configuration.
#[derive(Debug)]
pub enum RatingsStore {
    InMemory(InMemoryStore),
}

impl RatingsStore {
    /// The ratings of product `id`.
    pub async fn get(&self, id: ProductId) -> Result<Ratings, Error> {
        match self {
            RatingsStore::InMemory(store) => Ok(store.get(id)),
        }
    }

    /// Replaces the ratings of product `id`.
    pub async fn put(&self, id: ProductId, ratings: Ratings) -> Result<(), Error> {
        match self {
            RatingsStore::InMemory(store) => store.put(id, ratings),
        }
    }
}
