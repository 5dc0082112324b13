//! reviews, Bookinfo's reviews service: the same two reviews for every book, answered as
//! upstream's hand-built JSON; from v2 on with each reviewer's stars from ratings (black in v2,
//! red in v3), or a per-review error when ratings cannot say.
//!
//! # Layout
//! - [`version`]: `ReviewsVersion` and the version compiled in by the `v1`/`v2`/`v3` features.
//! - [`config`]: upstream's environment variables over the version's defaults, read once.
//! - [`review`]: the two reviews, stars and ratings as a review shows them.
//! - [`ratings`]: `RatingsClient`, the call to ratings and reading its answer.
//! - [`json`]: the answer bodies in upstream's exact spacing.
//! - [`error`]: the error type and its responses. `routes`: the HTTP routes.

pub mod config;
pub mod error;
pub mod json;
pub mod ratings;
pub mod review;
mod routes;
pub mod version;

use std::net::TcpListener;

use actix_web::web;
use chassis::metrics::MetricsRegistry;
use chassis::server::RunningServer;

pub use config::{Config, RatingsSettings, StarColor};
pub use error::Error;
pub use version::ReviewsVersion;

use routes::AppState;

/// Serves reviews on `listener` until the server is stopped.
pub fn run(listener: TcpListener, config: Config) -> std::io::Result<RunningServer> {
    match &config.ratings {
        Some(ratings) => tracing::info!(
            version = %config.version,
            podname = %config.podname,
            ratings = %ratings.base_url,
            star_color = %ratings.star_color,
            timeout = ?ratings.timeout,
            "reviews configured, with ratings"
        ),
        None => tracing::info!(
            version = %config.version,
            podname = %config.podname,
            "reviews configured, without ratings"
        ),
    }
    let service = config.telemetry.service.clone();
    let limits = config.server;
    chassis::server::serve_with(
        listener,
        &service,
        &limits,
        MetricsRegistry::new(),
        move |cfg| {
            // Per worker, never per request: the outbound client is not Send.
            cfg.app_data(web::Data::new(AppState::new(&config)));
            routes::configure(cfg);
        },
    )
}
