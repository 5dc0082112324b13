//! The reviews service, with upstream's deliberate retry.

use actix_web::web::Bytes;
use chassis::propagation::ForwardedHeaders;
use serde::de::DeserializeOwned;

use super::{Endpoint, Unavailable};
use crate::product::ProductId;

/// Attempts per reviews call. Upstream's bug, kept on purpose ("introduced explicitly for
/// illustration in fault injection task"): Istio's fault-injection task delays ratings by 7 s for
/// jason; reviews v2 waits for it, and two 3 s attempts here give up after about 6 s, which is
/// what the task tells readers to expect (7 s > 2 × 3 s). The request-timeouts task likewise
/// expects two 0.5 s attempts. A non-200 answer is retried like an error, as upstream does.
pub const REVIEWS_ATTEMPTS: u32 = 2;

/// Calls `GET {reviews}/reviews/{id}`, up to [`REVIEWS_ATTEMPTS`] times.
pub struct ReviewsClient {
    endpoint: Endpoint,
}

impl ReviewsClient {
    pub(super) fn new(endpoint: Endpoint) -> Self {
        Self { endpoint }
    }

    /// The reviews JSON from the first attempt that got one, decoded as `T` (a
    /// `serde_json::Value` keeps it as reviews sent it).
    pub async fn get<T: DeserializeOwned>(
        &self,
        id: &ProductId,
        headers: &ForwardedHeaders,
    ) -> Result<T, Unavailable> {
        self.endpoint.fetch(id, headers, REVIEWS_ATTEMPTS).await
    }

    /// The body of the same call as `read` makes it out (`None`: unusable, as undecodable JSON
    /// is for [`Self::get`]).
    pub async fn read<R>(
        &self,
        id: &ProductId,
        headers: &ForwardedHeaders,
        read: impl Fn(&Bytes) -> Option<R>,
    ) -> Result<R, Unavailable> {
        self.endpoint
            .fetch_read(id, headers, REVIEWS_ATTEMPTS, read)
            .await
    }
}
