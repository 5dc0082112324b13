//! The ratings service, called directly only by `/api/v1/products/{id}/ratings` (reviews calls it
//! for the page).

use chassis::propagation::ForwardedHeaders;
use serde::de::DeserializeOwned;

use super::{Endpoint, Unavailable};
use crate::product::ProductId;

/// Calls `GET {ratings}/ratings/{id}`, once.
pub struct RatingsClient {
    endpoint: Endpoint,
}

impl RatingsClient {
    pub(super) fn new(endpoint: Endpoint) -> Self {
        Self { endpoint }
    }

    /// The ratings JSON, decoded as `T` (a `serde_json::Value` keeps it as ratings sent it).
    pub async fn get<T: DeserializeOwned>(
        &self,
        id: &ProductId,
        headers: &ForwardedHeaders,
    ) -> Result<T, Unavailable> {
        self.endpoint.fetch(id, headers, 1).await
    }
}
