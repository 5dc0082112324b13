//! details, Bookinfo's book details service: one book's author, year, binding, pages, publisher,
//! language and ISBNs as compact JSON, from a built-in record (v1) or from Google Books (v2,
//! `ENABLE_EXTERNAL_BOOK_SERVICE=true`).
//!
//! # Layout
//! - [`config`]: upstream's environment variables plus the book service URL override, read once.
//! - [`product_id`]: ids read as upstream's Ruby `Integer()` reads them, of any size.
//! - [`book`]: the answer's shape and the built-in book. [`books`]: the source a worker asks.
//! - [`google_books`]: the Google Books client and upstream's mapping of its answer.
//! - [`error`]: the error type and its responses. `routes`: the HTTP routes.

pub mod book;
pub mod books;
pub mod config;
pub mod error;
pub mod google_books;
pub mod product_id;
mod routes;

use std::net::TcpListener;

use actix_web::web;
use chassis::metrics::MetricsRegistry;
use chassis::server::RunningServer;

pub use config::Config;
pub use error::Error;

use books::Books;

/// Serves details on `listener` until the server is stopped.
pub fn run(listener: TcpListener, config: Config) -> std::io::Result<RunningServer> {
    install_crypto_provider();
    let service = config.telemetry.service.clone();
    let limits = config.server;
    chassis::server::serve_with(
        listener,
        &service,
        &limits,
        MetricsRegistry::new(),
        move |cfg| {
            // Per worker, never per request: the outbound client is not Send.
            cfg.app_data(web::Data::new(Books::new(&config.book_source)));
            routes::configure(cfg);
        },
    )
}

/// awc's rustls comes without a crypto provider and every awc client builds its TLS settings on
/// creation, so one must be the process default first: ring. One installed before (by an earlier
/// `run` or another crate) is kept.
fn install_crypto_provider() {
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        // Losing a race with another thread installing one is fine too.
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
}
