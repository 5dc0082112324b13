//! All of Bookinfo in one process on loopback: details, ratings, reviews v1, v2 and v3 behind a
//! round-robin balancer, and productpage, each the real service library on its own listener.
//!
//! # Layout
//! - [`LocalBookinfo`]: starts the six servers, knows their addresses, stops one or all.
//! - [`balancer`]: the per-connection round robin in front of the three reviews versions.
//! - [`cli`]: the `bookinfo` command's arguments.

pub mod balancer;
pub mod cli;

use std::collections::HashMap;
use std::io;
use std::net::SocketAddr;

use actix_web::dev::{Server, ServerHandle};
use chassis::config::ConfigErrors;

/// What to start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// productpage's port on 127.0.0.1 (9080 for people, 0 for tests).
    pub productpage_port: u16,
    /// Reuse keep-alive connections from productpage to its backends.
    pub pooled_backend_connections: bool,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            productpage_port: chassis::config::DEFAULT_PORT,
            pooled_backend_connections: false,
        }
    }
}

/// One running service.
#[derive(Debug, Clone)]
pub struct Workload {
    /// Kubernetes-style name, e.g. `reviews-v2`.
    pub name: &'static str,
    pub address: SocketAddr,
    handle: ServerHandle,
}

/// The reviews versions, in the order the balancer rotates through them.
pub const REVIEWS_VERSIONS: [&str; 3] = ["v1", "v2", "v3"];

/// A running Bookinfo.
pub struct LocalBookinfo {
    /// productpage, where people and tests go.
    pub productpage: SocketAddr,
    /// The reviews balancer productpage calls.
    pub reviews: SocketAddr,
    workloads: Vec<Workload>,
    running: Vec<actix_web::rt::task::JoinHandle<io::Result<()>>>,
}

impl LocalBookinfo {
    /// Starts every service on 127.0.0.1; only productpage's port is chosen, the others are free
    /// ports picked by the system.
    pub async fn start(options: &Options) -> io::Result<Self> {
        let mut launch = Launch::default();

        let details = launch.start("details-v1", |listener| {
            details::run(listener, load(details::Config::load(&env(&[])))?)
        })?;
        let ratings = launch.start("ratings-v1", |listener| {
            ratings::run(listener, load(ratings::Config::load(&env(&[])))?)
        })?;

        let mut reviews_versions = Vec::new();
        for (version, name) in
            REVIEWS_VERSIONS
                .into_iter()
                .zip(["reviews-v1", "reviews-v2", "reviews-v3"])
        {
            let pod_name = format!("{name}-local");
            let reviews_env = env(&[
                ("SERVICE_VERSION", version.to_owned()),
                ("HOSTNAME", pod_name),
                ("RATINGS_HOSTNAME", ratings.ip().to_string()),
                ("RATINGS_SERVICE_PORT", ratings.port().to_string()),
            ]);
            let address = launch.start(name, |listener| {
                reviews::run(listener, load(reviews::Config::load(&reviews_env))?)
            })?;
            reviews_versions.push(address);
        }
        let reviews = balancer::spawn_round_robin(reviews_versions)?;

        let productpage_env = env(&[
            ("DETAILS_HOSTNAME", details.ip().to_string()),
            ("DETAILS_SERVICE_PORT", details.port().to_string()),
            ("REVIEWS_HOSTNAME", reviews.ip().to_string()),
            ("REVIEWS_SERVICE_PORT", reviews.port().to_string()),
            ("RATINGS_HOSTNAME", ratings.ip().to_string()),
            ("RATINGS_SERVICE_PORT", ratings.port().to_string()),
            (
                "BACKEND_CONNECTION_POOLING",
                options.pooled_backend_connections.to_string(),
            ),
        ]);
        let productpage = launch.start_on(
            "productpage-v1",
            chassis::server::bind_loopback(options.productpage_port)?,
            |listener| {
                productpage::run(listener, load(productpage::Config::load(&productpage_env))?)
            },
        )?;

        Ok(Self {
            productpage,
            reviews,
            workloads: launch.workloads,
            running: launch.running,
        })
    }

    /// Every running service, productpage last.
    pub fn workloads(&self) -> &[Workload] {
        &self.workloads
    }

    /// The address of the workload called `name` (`details-v1`, `reviews-v3`, …).
    pub fn address_of(&self, name: &str) -> Option<SocketAddr> {
        self.workload(name).map(|workload| workload.address)
    }

    /// Stops one workload gracefully; its port then refuses connections, like a deleted pod.
    pub async fn stop(&self, name: &str) -> io::Result<()> {
        let workload = self.workload(name).ok_or_else(|| {
            io::Error::new(io::ErrorKind::NotFound, format!("no workload named {name}"))
        })?;
        workload.handle.stop(true).await;
        Ok(())
    }

    /// Stops every workload gracefully.
    pub async fn stop_all(&self) {
        for workload in &self.workloads {
            workload.handle.stop(true).await;
        }
    }

    /// Waits until every server has stopped (Ctrl-C or SIGTERM stops them all).
    pub async fn wait(self) -> io::Result<()> {
        for running in self.running {
            running.await.map_err(io::Error::other)??;
        }
        Ok(())
    }

    fn workload(&self, name: &str) -> Option<&Workload> {
        self.workloads.iter().find(|workload| workload.name == name)
    }
}

#[derive(Default)]
struct Launch {
    workloads: Vec<Workload>,
    running: Vec<actix_web::rt::task::JoinHandle<io::Result<()>>>,
}

impl Launch {
    fn start<F>(&mut self, name: &'static str, run: F) -> io::Result<SocketAddr>
    where
        F: FnOnce(std::net::TcpListener) -> io::Result<Server>,
    {
        self.start_on(name, chassis::server::bind_loopback(0)?, run)
    }

    fn start_on<F>(
        &mut self,
        name: &'static str,
        listener: std::net::TcpListener,
        run: F,
    ) -> io::Result<SocketAddr>
    where
        F: FnOnce(std::net::TcpListener) -> io::Result<Server>,
    {
        let address = listener.local_addr()?;
        // One process runs every service: each server still reports its own service and version
        // (`reviews-v2` is reviews at v2) in its spans and in `bookinfo_build_info`.
        let (service, version) = name.rsplit_once('-').unwrap_or((name, "unknown"));
        let server = chassis::telemetry::with_service(service, version, || run(listener))?;
        self.workloads.push(Workload {
            name,
            address,
            handle: server.handle(),
        });
        self.running.push(actix_web::rt::spawn(server));
        Ok(address)
    }
}

/// The launcher's services read only what it sets: the caller's environment (a `HOSTNAME`, a
/// `SERVICE_VERSION`) must not leak into six services at once.
fn env(pairs: &[(&str, String)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(name, value)| ((*name).to_owned(), value.clone()))
        .collect()
}

fn load<T>(config: Result<T, ConfigErrors>) -> io::Result<T> {
    config.map_err(|errors| io::Error::new(io::ErrorKind::InvalidInput, errors.to_string()))
}

/// What the command prints once everything is up: where to look.
pub fn summary(bookinfo: &LocalBookinfo) -> String {
    let mut text = format!(
        "Bookinfo is running.\n  open      http://localhost:{}/productpage\n",
        bookinfo.productpage.port()
    );
    for workload in bookinfo.workloads() {
        text.push_str(&format!(
            "  {:<15} http://{}\n",
            workload.name, workload.address
        ));
    }
    text.push_str(&format!(
        "  reviews (round robin over v1, v2, v3) http://{}\nPress Ctrl-C to stop.",
        bookinfo.reviews
    ));
    text
}
