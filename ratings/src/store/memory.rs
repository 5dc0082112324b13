//! v1's storage: POSTed ratings per product, shared by every worker of the process and gone when
//! it stops, as upstream's, bounded by the memory the entries really take.
//!
//! Each product's ratings are kept as their compact JSON text, not as a parsed map: a 4 KiB body
//! of 545 reviewers costs about 4 KiB this way, and 85 KiB as a `serde_json::Map` (a `String` and
//! a `Value` per key, the index on top).

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use crate::error::Error;
use crate::product_id::ProductId;
use crate::ratings::{Ratings, RatingsJson};

/// What one stored product costs beyond its text: its slot in the map (id and pointer, with the
/// table's spare capacity) and the allocator's header for the text.
const ENTRY_OVERHEAD_BYTES: usize = 64;
/// The allocator hands out memory in steps of this many bytes.
const ALLOCATION_STEP: usize = 16;

/// Products without POSTed ratings answer [`Ratings::builtin`] ([`RatingsJson::BUILTIN`]).
#[derive(Debug)]
pub struct InMemoryStore {
    posted: Mutex<Posted>,
    /// The most bytes the stored ratings may take; a POST that would pass it is refused, unless it
    /// replaces a product's ratings by ones no larger.
    max_bytes: usize,
}

#[derive(Debug, Default)]
struct Posted {
    ratings: HashMap<ProductId, Box<str>>,
    /// What `ratings` costs, by [`cost`].
    bytes: usize,
}

impl InMemoryStore {
    pub fn new(max_bytes: usize) -> InMemoryStore {
        InMemoryStore {
            posted: Mutex::new(Posted::default()),
            max_bytes,
        }
    }

    /// The stored text as it is: only [`Ratings`] ever wrote it.
    pub fn get(&self, id: ProductId) -> RatingsJson {
        let stored = self
            .lock()
            .ratings
            .get(&id)
            .map(|text| String::from(&**text));
        stored.map_or(RatingsJson::BUILTIN, RatingsJson::stored)
    }

    pub fn put(&self, id: ProductId, ratings: &Ratings) -> Result<(), Error> {
        let text: Box<str> = ratings.to_json().into();
        let mut posted = self.lock();
        let replaced = posted.ratings.get(&id).map_or(0, |old| cost(old));
        let bytes = posted.bytes - replaced + cost(&text);
        if bytes > self.max_bytes && cost(&text) > replaced {
            return Err(Error::StoreFull {
                max_bytes: self.max_bytes,
            });
        }
        posted.ratings.insert(id, text);
        posted.bytes = bytes;
        Ok(())
    }

    /// What the stored ratings cost now, in bytes.
    pub fn bytes(&self) -> usize {
        self.lock().bytes
    }

    /// A panic while the lock was held cannot leave the map half-changed (each change is one
    /// insert, then the count), so a poisoned lock is still good to use.
    fn lock(&self) -> std::sync::MutexGuard<'_, Posted> {
        self.posted.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The memory one stored product takes: its text as allocated, and its entry.
fn cost(text: &str) -> usize {
    text.len().next_multiple_of(ALLOCATION_STEP) + ENTRY_OVERHEAD_BYTES
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: i64) -> ProductId {
        ProductId::new(n).unwrap()
    }

    #[test]
    fn unknown_products_have_the_builtin_ratings() {
        assert_eq!(InMemoryStore::new(1).get(id(3)), RatingsJson::BUILTIN);
    }

    #[test]
    fn full_store_refuses_new_products_but_updates_stored_ones() {
        let one = cost(&Ratings::reviewers(1, 1).to_json());
        let store = InMemoryStore::new(one);
        store.put(id(1), &Ratings::reviewers(1, 1)).unwrap();
        assert!(matches!(
            store.put(id(2), &Ratings::reviewers(2, 2)),
            Err(Error::StoreFull { .. })
        ));
        store.put(id(1), &Ratings::reviewers(3, 3)).unwrap();
        assert_eq!(store.get(id(1)), RatingsJson::of(&Ratings::reviewers(3, 3)));
        assert_eq!(store.get(id(2)), RatingsJson::BUILTIN);
        assert_eq!(store.bytes(), one);
    }

    #[test]
    fn entries_cost_their_text_and_overhead() {
        let store = InMemoryStore::new(usize::MAX);
        let text = r#"{"Reviewer1":1,"Reviewer2":1}"#;
        store.put(id(1), &Ratings::reviewers(1, 1)).unwrap();
        store.put(id(2), &Ratings::reviewers(1, 1)).unwrap();
        assert_eq!(
            store.bytes(),
            2 * (32 + ENTRY_OVERHEAD_BYTES),
            "{}",
            text.len()
        );
    }
}
