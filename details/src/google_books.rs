//! details v2's book source: one book fetched from Google Books' volumes API and mapped into
//! details' answer the way upstream maps it.

use std::sync::Arc;
use std::time::Duration;

use chassis::client::{BackendClient, ConnectionReuse};
use chassis::propagation::ForwardedHeaders;
use serde::Deserialize;

use crate::book::{Binding, BookDetails, Language, Published};
use crate::config::MeshEgress;
use crate::error::Error;
use crate::product_id::ProductId;

/// The one book upstream ever asks for, whatever the id: an edition of The Comedy of Errors with
/// Shakespeare as its single author.
pub const ISBN: &str = "0486424618";

/// Sent instead of the caller's user agent, which is not Google's business.
const USER_AGENT: &str = concat!("bookinfo-details/", env!("CARGO_PKG_VERSION"));

/// Calls `GET {base}/books/v1/volumes?q=isbn:0486424618`.
///
/// Built per worker (the outbound client is not `Send`).
pub struct GoogleBooksClient {
    client: BackendClient,
    volumes_url: String,
}

impl GoogleBooksClient {
    /// A client for the volumes API at `base_url` (scheme, host, optional port), through the
    /// mesh's egress listener when `egress` is given.
    pub fn new(base_url: &str, timeout: Duration, egress: Option<&MeshEgress>) -> Self {
        // A fresh connection per call, as upstream: one book lookup per page view.
        let reuse = ConnectionReuse::FreshPerCall;
        let client = match egress {
            None => BackendClient::new(timeout, reuse),
            Some(egress) => {
                BackendClient::with_tls(timeout, reuse, tls_trusting(&egress.extra_roots))
                    .connecting_to(egress.connect_to)
            }
        };
        Self {
            client,
            volumes_url: format!("{base_url}/books/v1/volumes?q=isbn:{ISBN}"),
        }
    }

    /// The book's details with `id` echoed, or why there are none.
    pub async fn book(
        &self,
        id: ProductId,
        incoming: &ForwardedHeaders,
    ) -> Result<BookDetails, Error> {
        // Only trace context leaves the mesh. Upstream sends Google everything it forwards to
        // siblings, the user's cookie, authorization, jwt and end-user included: a third party
        // would receive the user's credentials. That leak is not copied.
        let headers = incoming
            .clone()
            .trace_context_only()
            .with("user-agent", USER_AGENT);
        let reply = self.client.get(&self.volumes_url, &headers).await?;
        if !reply.is_ok() {
            return Err(Error::BookServiceStatus(reply.status));
        }
        let volumes: Volumes = serde_json::from_slice(&reply.body)?;
        details_of(volumes, id)
    }
}

/// TLS as awc's default (the bundled roots, HTTP/1.1 or 2), trusting `extra_roots` as well.
fn tls_trusting(
    extra_roots: &[rustls::pki_types::CertificateDer<'static>],
) -> Arc<rustls::ClientConfig> {
    let mut roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    // Each was checked to parse when the configuration was built.
    roots.add_parsable_certificates(extra_roots.iter().cloned());
    let mut config = rustls::ClientConfig::builder()
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Arc::new(config)
}

/// The part of Google's `books#volumes` answer that is used.
#[derive(Debug, Deserialize)]
struct Volumes {
    /// Absent when nothing matched.
    #[serde(default)]
    items: Vec<Volume>,
}

#[derive(Debug, Deserialize)]
struct Volume {
    #[serde(rename = "volumeInfo")]
    volume_info: VolumeInfo,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct VolumeInfo {
    #[serde(default)]
    authors: Vec<String>,
    published_date: Option<String>,
    print_type: Option<String>,
    page_count: Option<u64>,
    publisher: Option<String>,
    language: Option<String>,
    #[serde(default)]
    industry_identifiers: Vec<IndustryIdentifier>,
}

#[derive(Debug, Deserialize)]
struct IndustryIdentifier {
    #[serde(rename = "type")]
    kind: String,
    identifier: String,
}

impl VolumeInfo {
    fn isbn(&self, kind: &str, field: &'static str) -> Result<String, Error> {
        self.industry_identifiers
            .iter()
            .find(|identifier| identifier.kind == kind)
            .map(|identifier| identifier.identifier.clone())
            .ok_or(Error::BookFieldMissing(field))
    }
}

/// Upstream's mapping of the first volume. What upstream fails on (no volume, no author, no ISBN)
/// is an error here; what it passes on as `null` (no date, page count or publisher) is `null`.
fn details_of(volumes: Volumes, id: ProductId) -> Result<BookDetails, Error> {
    let book = volumes
        .items
        .into_iter()
        .next()
        .ok_or(Error::BookNotFound(ISBN))?
        .volume_info;
    Ok(BookDetails {
        id,
        author: book
            .authors
            .first()
            .cloned()
            .ok_or(Error::BookFieldMissing("author"))?,
        year: book.published_date.clone().map(Published::Date),
        binding: match book.print_type.as_deref() {
            Some("BOOK") => Binding::Paperback,
            _ => Binding::Unknown,
        },
        pages: book.page_count,
        publisher: book.publisher.clone(),
        language: match book.language.as_deref() {
            Some("en") => Language::English,
            _ => Language::Unknown,
        },
        isbn_10: book.isbn("ISBN_10", "ISBN-10")?,
        isbn_13: book.isbn("ISBN_13", "ISBN-13")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(json: &str) -> Result<BookDetails, Error> {
        details_of(serde_json::from_str(json).unwrap(), ProductId::from(3))
    }

    #[test]
    fn other_print_types_and_languages_are_unknown() {
        let book = map(
            r#"{"items":[{"volumeInfo":{"authors":["A","B"],"printType":"MAGAZINE",
            "language":"fr","industryIdentifiers":[{"type":"ISBN_13","identifier":"13"},
            {"type":"ISBN_10","identifier":"10"}]}}]}"#,
        )
        .unwrap();
        assert_eq!(book.author, "A", "the first author");
        assert_eq!(book.binding, Binding::Unknown);
        assert_eq!(book.language, Language::Unknown);
        assert_eq!((book.isbn_10.as_str(), book.isbn_13.as_str()), ("10", "13"));
        assert_eq!((book.year, book.pages, book.publisher), (None, None, None));
    }

    #[test]
    fn missing_isbn_is_an_error() {
        let error = map(r#"{"items":[{"volumeInfo":{"authors":["A"],
            "industryIdentifiers":[{"type":"OTHER","identifier":"x"}]}}]}"#)
        .unwrap_err();
        assert!(
            matches!(error, Error::BookFieldMissing("ISBN-10")),
            "{error}"
        );
    }

    #[test]
    fn missing_volume_info_is_an_error() {
        let volumes = serde_json::from_str::<Volumes>(r#"{"items":[{}]}"#);
        assert!(volumes.is_err());
    }
}
