//! productpage, Bookinfo's web front end: the product page (the book, its details from details and
//! its reviews from reviews), the landing page, signing in and out, the `/api/v1/products` API that
//! passes the backends' JSON through, and Prometheus metrics.
//!
//! # Layout
//! - [`config`]: upstream's environment variables plus the session key, read once.
//! - [`backends`]: a `ServiceClient` each for details, reviews (with upstream's deliberate
//!   retry) and ratings.
//! - [`session`]: the signed session cookie and the headers forwarded for the signed-in user.
//! - [`views`]: the askama pages and what they show (templates in `templates/` at the top);
//!   [`rendered`]: the product pages a worker rendered lately, sent again for the same inputs.
//! - [`json`]: JSON in upstream's Python style. [`product`]: the catalogue and product ids.
//! - [`metrics`]: the `request_result` counter (chassis serves `/metrics`). [`error`]: the error type and its responses.
//! - `routes`: the HTTP routes, one module per group.

pub mod backends;
pub mod config;
pub mod error;
pub mod json;
pub mod metrics;
pub mod product;
pub mod rendered;
#[doc(hidden)] // public for the fuzz targets (fuzz/), which drive the real routes
pub mod routes;
pub mod session;
pub mod views;

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::web;
use chassis::metrics::MetricsRegistry;
use chassis::server::RunningServer;

pub use config::{BackendAddresses, Config};
pub use error::Error;

use backends::Backends;
use metrics::Metrics;

/// Serves productpage on `listener` until the server is stopped.
pub fn run(listener: TcpListener, config: Config) -> std::io::Result<RunningServer> {
    let limits = config.server;
    let config = web::Data::new(config);
    // The shared registry chassis serves at /metrics, one for every worker, so a scrape sees
    // every request.
    let registry = MetricsRegistry::new();
    let metrics = web::Data::from(Arc::new(Metrics::new(&registry)));
    let service = config.telemetry.service.clone();
    chassis::server::serve_with(listener, &service, &limits, registry, move |cfg| {
        // Per worker, never per request: the outbound client is not Send.
        let backends = Backends::new(&config, metrics.clone().into_inner());
        cfg.app_data(config.clone())
            .app_data(metrics.clone())
            .app_data(web::Data::new(backends))
            .app_data(web::Data::new(rendered::RenderedPages::default()));
        routes::configure(cfg);
    })
}
