//! Where a worker gets the book from: the built-in record (v1) or Google Books (v2).

use chassis::propagation::ForwardedHeaders;

use crate::book::BookDetails;
use crate::config::BookSource;
use crate::error::Error;
use crate::google_books::GoogleBooksClient;
use crate::product_id::ProductId;

/// The configured book source, ready to answer; one per worker.
pub enum Books {
    Builtin,
    GoogleBooks(GoogleBooksClient),
}

impl Books {
    pub fn new(source: &BookSource) -> Self {
        match source {
            BookSource::Builtin => Books::Builtin,
            BookSource::GoogleBooks {
                base_url,
                timeout,
                egress,
            } => Books::GoogleBooks(GoogleBooksClient::new(base_url, *timeout, egress.as_ref())),
        }
    }

    /// The details answered for `id`; the same book for every id, as upstream.
    #[tracing::instrument(name = "book lookup", skip_all, fields(product_id = %id))]
    pub async fn find(
        &self,
        id: ProductId,
        headers: &ForwardedHeaders,
    ) -> Result<BookDetails, Error> {
        match self {
            Books::Builtin => Ok(BookDetails::builtin(id)),
            Books::GoogleBooks(client) => client.book(id, headers).await,
        }
    }
}
