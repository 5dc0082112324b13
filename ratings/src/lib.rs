//! ratings, Bookinfo's star service: `GET /ratings/{id}` gives each reviewer's stars for a
//! product, `POST` replaces them (in memory), and `/health` answers probes. `SERVICE_VERSION`
//! picks v2, which reads MySQL or MongoDB, or upstream's fault personas (`v-faulty`,
//! `v-delayed`, `v-unavailable`, `v-unhealthy`).
//!
//! # Layout
//! - [`config`]: `SERVICE_VERSION`, the database settings and the persona knobs, read once.
//! - [`persona`]: what each misbehaving version does to reads and to `/health`.
//! - [`product_id`]: the id as upstream reads it (JavaScript's `parseInt`).
//! - [`ratings`]: the answer's shape and the rules for POSTed ratings.
//! - [`store`]: where ratings are kept: in memory, MySQL or MongoDB.
//! - [`secret`]: keeping database passwords out of logs and answers.
//! - [`error`]: the error type and its responses. `routes`: the HTTP routes.

pub mod config;
pub mod error;
pub mod persona;
pub mod product_id;
pub mod ratings;
mod routes;
pub mod secret;
pub mod store;

use std::net::TcpListener;
use std::time::Instant;

use actix_web::web;
use chassis::metrics::MetricsRegistry;
use chassis::server::RunningServer;

pub use config::Config;
pub use error::Error;

use config::Storage;
use routes::AppState;
use store::{InMemoryStore, MongoRatings, MySqlRatings, RatingsStore};

/// Serves ratings on `listener` until the server is stopped. Call within the Actix (Tokio)
/// runtime that will run the server, as `main` and the tests do: v2's database pool lives there.
/// A database is never contacted here, only by reads.
pub fn run(listener: TcpListener, config: Config) -> std::io::Result<RunningServer> {
    let store = match &config.storage {
        Storage::InMemory { max_bytes } => RatingsStore::InMemory(InMemoryStore::new(*max_bytes)),
        Storage::MySql(settings) => RatingsStore::MySql(MySqlRatings::new(settings)),
        Storage::MongoDb(settings) => RatingsStore::MongoDb(MongoRatings::new(settings)),
    };
    // One state for every worker: POSTed ratings and the personas' clock are per process.
    let state = web::Data::new(AppState {
        persona: config.persona,
        store,
        started: Instant::now(),
        max_body_bytes: config.max_body_bytes,
    });
    let service = config.telemetry.service.clone();
    chassis::server::serve_with(
        listener,
        &service,
        &config.server,
        MetricsRegistry::new(),
        move |cfg| {
            cfg.app_data(state.clone());
            routes::configure(cfg);
        },
    )
}
