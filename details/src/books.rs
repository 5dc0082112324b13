//! Where a worker gets the book from: the built-in record (v1) or Google Books (v2).

use actix_web::HttpResponse;
use actix_web::http::header::{ContentType, HeaderMap};
use chassis::propagation::ForwardedHeaders;

use crate::book::{self, BookDetails};
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

    /// The answer for `id`: the same book for every id, as upstream. `incoming` (the request's
    /// headers) is read only when a call is made, for the headers it forwards.
    pub async fn answer(&self, id: ProductId, incoming: &HeaderMap) -> Result<HttpResponse, Error> {
        match self {
            // Written, not serialized: the record never changes (see `book::builtin_json`).
            Books::Builtin => Ok(HttpResponse::Ok()
                .content_type(ContentType::json())
                .body(book::builtin_json(&id))),
            Books::GoogleBooks(client) => {
                let headers = ForwardedHeaders::from_headers(incoming);
                Ok(HttpResponse::Ok().json(lookup(client, id, &headers).await?))
            }
        }
    }
}

/// One Google Books lookup, in a span of its own.
#[tracing::instrument(name = "book lookup", skip_all, fields(product_id = %id))]
async fn lookup(
    client: &GoogleBooksClient,
    id: ProductId,
    headers: &ForwardedHeaders,
) -> Result<BookDetails, Error> {
    client.book(id, headers).await
}
