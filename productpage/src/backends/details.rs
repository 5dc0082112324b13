//! The details service: a book's ISBN, publisher, pages, type and language.

use actix_web::web::Bytes;
use chassis::propagation::ForwardedHeaders;
use serde::de::DeserializeOwned;

use super::{Endpoint, Unavailable};
use crate::product::ProductId;

/// Calls `GET {details}/details/{id}`, once.
pub struct DetailsClient {
    endpoint: Endpoint,
}

impl DetailsClient {
    pub(super) fn new(endpoint: Endpoint) -> Self {
        Self { endpoint }
    }

    /// The details JSON, decoded as `T` (a `serde_json::Value` keeps it as details sent it).
    pub async fn get<T: DeserializeOwned>(
        &self,
        id: &ProductId,
        headers: &ForwardedHeaders,
    ) -> Result<T, Unavailable> {
        self.endpoint.fetch(id, headers, 1).await
    }

    /// The body of the same call as `read` makes it out (`None`: unusable, as undecodable JSON
    /// is for [`Self::get`]).
    pub async fn read<R>(
        &self,
        id: &ProductId,
        headers: &ForwardedHeaders,
        read: impl Fn(&Bytes) -> Option<R>,
    ) -> Result<R, Unavailable> {
        self.endpoint.fetch_read(id, headers, 1, read).await
    }
}
