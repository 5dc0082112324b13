//! v1's storage: a bounded map of POSTed ratings per product, shared by every worker of the
//! process and gone when it stops, as upstream's.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use crate::error::Error;
use crate::product_id::ProductId;
use crate::ratings::Ratings;

/// Products without POSTed ratings answer [`Ratings::builtin`].
#[derive(Debug)]
pub struct InMemoryStore {
    posted: Mutex<HashMap<ProductId, Ratings>>,
    /// The most products with POSTed ratings; a POST for another product is refused once it is
    /// reached, while products already stored can still be updated.
    capacity: usize,
}

impl InMemoryStore {
    pub fn new(capacity: usize) -> InMemoryStore {
        InMemoryStore {
            posted: Mutex::new(HashMap::new()),
            capacity,
        }
    }

    pub fn get(&self, id: ProductId) -> Ratings {
        self.lock()
            .get(&id)
            .cloned()
            .unwrap_or_else(Ratings::builtin)
    }

    pub fn put(&self, id: ProductId, ratings: Ratings) -> Result<(), Error> {
        let mut posted = self.lock();
        if posted.len() >= self.capacity && !posted.contains_key(&id) {
            return Err(Error::StoreFull {
                capacity: self.capacity,
            });
        }
        posted.insert(id, ratings);
        Ok(())
    }

    /// A panic while the lock was held cannot leave the map half-changed (each change is one
    /// insert), so a poisoned lock is still good to use.
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<ProductId, Ratings>> {
        self.posted.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: i64) -> ProductId {
        ProductId::new(n).unwrap()
    }

    #[test]
    fn unknown_products_have_the_builtin_ratings() {
        assert_eq!(InMemoryStore::new(1).get(id(3)), Ratings::builtin());
    }

    #[test]
    fn full_store_refuses_new_products_but_updates_stored_ones() {
        let store = InMemoryStore::new(1);
        store.put(id(1), Ratings::reviewers(1, 1)).unwrap();
        assert!(matches!(
            store.put(id(2), Ratings::reviewers(2, 2)),
            Err(Error::StoreFull { capacity: 1 })
        ));
        store.put(id(1), Ratings::reviewers(3, 3)).unwrap();
        assert_eq!(store.get(id(1)), Ratings::reviewers(3, 3));
        assert_eq!(store.get(id(2)), Ratings::builtin());
    }
}
