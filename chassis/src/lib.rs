//! The shared base of the Bookinfo services: everything two services would otherwise each carry.
//!
//! # Layout
//! - [`config`]: reading environment variables once into typed configuration, with every problem
//!   reported at once, and the port argument.
//! - [`propagation`]: the one list of headers forwarded on every outbound call, and the extractor
//!   that collects them from an incoming request.
//! - [`allocator`]: mimalloc as every service's global allocator in musl builds (the images).
//! - [`client`]: the outbound HTTP client (timeouts, fresh connection per call unless busy).
//! - `busy`: the requests and outbound calls in flight on each worker thread, for [`client`].
//! - [`routes`]: GET-and-HEAD routes and the shared answer for a resource's other methods.
//! - [`limits`]: what a server grants its clients (time to send a request, connections).
//! - `middleware`: what every request passes through first: the drain's count, request metrics,
//!   the request's log line, `Connection: close` while draining.
//! - [`server`]: binding the listening socket (dual-stack with IPv4 fallback) and serving an app
//!   with the shared middleware, `/metrics` and graceful shutdown.
//! - [`shutdown`]: stopping on SIGTERM or SIGINT, the handlers in place as the server is made,
//!   answering every request read before closing each connection.
//! - [`telemetry`]: logs, spans exported to Zipkin or OTLP, trace context in and out.
//! - [`metrics`]: the Prometheus registry behind every service's `/metrics`.
//! - [`testing`] (feature `testing`): servers on loopback for tests and a recording backend.

pub mod allocator;
mod busy;
pub mod client;
pub mod config;
pub mod limits;
pub mod metrics;
mod middleware;
pub mod propagation;
pub mod routes;
pub mod server;
pub mod shutdown;
pub mod telemetry;
#[cfg(feature = "testing")]
pub mod testing;
