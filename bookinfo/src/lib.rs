//! All of Bookinfo in one process on loopback: details, ratings, reviews v1, v2 and v3 behind a
//! round-robin balancer, and productpage, each the real service library on its own listener.
//!
//! # Layout
//! - [`LocalBookinfo`]: starts the six servers, knows their addresses, stops one or all.
//! - [`balancer`]: the per-connection round robin in front of the three reviews versions.
//! - [`cli`]: the `bookinfo` command's arguments.
//! - [`exec`]: `bookinfo mesh exec`, a command run as one of the mesh's workloads.
//! - [`processes`]: `bookinfo --bin-dir DIR`, each service as its own process.
//! - [`mesh`]: the same services behind a real Envoy that takes Istio YAML.
//! - [`traffic`]: `bookinfo traffic`, visitors loading pages and a summary of what answered.

pub mod balancer;
pub mod cli;
pub mod exec;
pub mod mesh;
pub mod processes;
pub mod traffic;
pub mod waypoint;

use std::io;
use std::net::{SocketAddr, TcpListener};

use chassis::client::ConnectionReuse;
use chassis::server::RunningServer;
use chassis::shutdown::StopHandle;
use chassis::telemetry::TelemetryConfig;
use reviews::ReviewsVersion;

/// What to start: the default run's flags (`bookinfo [--port PORT] [--pooled]`).
#[derive(Debug, Clone, PartialEq, Eq, clap::Args)]
pub struct Options {
    /// productpage's port on 127.0.0.1 (0 picks a free one, as tests do)
    #[arg(long = "port", value_name = "PORT", allow_negative_numbers = true, default_value_t = chassis::config::DEFAULT_PORT)]
    pub productpage_port: u16,
    /// Reuse keep-alive connections from productpage to its backends (by default a fresh
    /// connection per call, so that the reviews versions rotate)
    #[arg(long = "pooled")]
    pub pooled_backend_connections: bool,
    /// Run each service as its own process from the shipped binaries in DIR (details, ratings,
    /// reviews, productpage), as the images run them, instead of all in this one
    #[arg(long = "bin-dir", value_name = "DIR")]
    pub bin_dir: Option<std::path::PathBuf>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            productpage_port: chassis::config::DEFAULT_PORT,
            pooled_backend_connections: false,
            bin_dir: None,
        }
    }
}

/// One running service.
#[derive(Debug, Clone)]
pub struct Workload {
    /// The service it serves, e.g. `reviews`.
    pub service: &'static str,
    /// Its `version` label, e.g. `v2`.
    pub version: &'static str,
    pub address: SocketAddr,
    stop: StopHandle,
}

impl Workload {
    /// Kubernetes-style name, e.g. `reviews-v2`.
    pub fn name(&self) -> String {
        format!("{}-{}", self.service, self.version)
    }
}

/// A running Bookinfo.
pub struct LocalBookinfo {
    /// productpage, where people and tests go.
    pub productpage: SocketAddr,
    /// The reviews balancer productpage calls.
    pub reviews: SocketAddr,
    services: Launch,
}

impl LocalBookinfo {
    /// Starts every service on 127.0.0.1; only productpage's port is chosen, the others are free
    /// ports picked by the system.
    pub async fn start(options: &Options) -> io::Result<Self> {
        let listeners = Listeners::bind(options.productpage_port)?;
        let reviews = balancer::spawn_round_robin(listeners.reviews_addresses()?)?;
        let ratings = listeners.ratings.local_addr()?;
        let calls = Calls {
            details: listeners.details.local_addr()?,
            reviews,
            ratings,
            ratings_from_reviews: [ratings; 3],
            book_source: details::config::BookSource::Builtin,
        };
        let launch = start_services(listeners, &calls, options.pooled_backend_connections)?;
        let productpage = launch.address_of("productpage-v1")?;
        Ok(Self {
            productpage,
            reviews,
            services: launch,
        })
    }

    /// Every running service, productpage last.
    pub fn workloads(&self) -> &[Workload] {
        &self.services.workloads
    }

    /// The address of the workload called `name` (`details-v1`, `reviews-v3`, …).
    pub fn address_of(&self, name: &str) -> Option<SocketAddr> {
        self.services
            .workload(name)
            .map(|workload| workload.address)
    }

    /// Stops one workload as SIGTERM stops a service (every request it has read is answered);
    /// its port then refuses connections, like a deleted pod.
    pub async fn stop(&self, name: &str) -> io::Result<()> {
        self.services.stop(name).await
    }

    /// Stops every workload as SIGTERM stops a service, productpage first.
    pub async fn stop_all(&self) {
        self.services.stop_all().await;
    }

    /// Runs until `stop` completes (the command's Ctrl-C or SIGTERM), then stops every server as
    /// [`Self::stop_all`] does; or until a server ends by itself.
    pub async fn run_until(self, stop: impl Future<Output = ()>) -> io::Result<()> {
        self.services.run_until(stop).await
    }
}

/// The six listeners, bound before anything runs so that their addresses can be handed out
/// first (to a balancer, or to a mesh's topology).
pub(crate) struct Listeners {
    pub(crate) details: TcpListener,
    pub(crate) ratings: TcpListener,
    /// v1, v2, v3, in [`ReviewsVersion::ALL`] order, the order the balancer rotates through.
    pub(crate) reviews: [TcpListener; 3],
    pub(crate) productpage: TcpListener,
}

impl Listeners {
    /// Binds every service on 127.0.0.1: productpage on `productpage_port`, the rest on free ports.
    pub(crate) fn bind(productpage_port: u16) -> io::Result<Self> {
        Ok(Self {
            details: chassis::server::bind_loopback(0)?,
            ratings: chassis::server::bind_loopback(0)?,
            reviews: [
                chassis::server::bind_loopback(0)?,
                chassis::server::bind_loopback(0)?,
                chassis::server::bind_loopback(0)?,
            ],
            productpage: chassis::server::bind_loopback(productpage_port)?,
        })
    }

    pub(crate) fn reviews_addresses(&self) -> io::Result<Vec<SocketAddr>> {
        self.reviews.iter().map(TcpListener::local_addr).collect()
    }
}

/// Where each caller sends its calls: straight to a service, to the balancer, or to a mesh's
/// outbound listener.
pub(crate) struct Calls {
    /// productpage's calls to details.
    pub(crate) details: SocketAddr,
    /// productpage's calls to reviews.
    pub(crate) reviews: SocketAddr,
    /// productpage's calls to ratings.
    pub(crate) ratings: SocketAddr,
    /// Each reviews version's calls to ratings, in [`ReviewsVersion::ALL`] order (in the mesh,
    /// each through its own sidecar).
    pub(crate) ratings_from_reviews: [SocketAddr; 3],
    /// Where details finds its book: the built-in record (v1) or Google Books (v2).
    pub(crate) book_source: details::config::BookSource,
}

/// Runs the six services on `listeners`, each caller pointed at `calls`: the one place both the
/// plain launcher and the mesh start Bookinfo.
pub(crate) fn start_services(
    listeners: Listeners,
    calls: &Calls,
    pooled_backend_connections: bool,
) -> io::Result<Launch> {
    let mut launch = Launch::default();
    let details_version = details_version(&calls.book_source);
    let details_config = details::Config {
        book_source: calls.book_source.clone(),
        telemetry: TelemetryConfig::for_service(details::config::SERVICE, details_version),
        ..details::Config::local()
    };
    launch.start_on("details", details_version, listeners.details, |listener| {
        details::run(listener, details_config)
    })?;
    launch.start_on("ratings", "v1", listeners.ratings, |listener| {
        ratings::run(listener, ratings::Config::local())
    })?;
    let reviews = ReviewsVersion::ALL
        .into_iter()
        .zip(listeners.reviews)
        .zip(calls.ratings_from_reviews);
    for ((version, listener), ratings) in reviews {
        let config = reviews::Config::local(version, ratings, &format!("reviews-{version}-local"));
        launch.start_on("reviews", version.as_str(), listener, |listener| {
            reviews::run(listener, config)
        })?;
    }
    let backends = productpage::BackendAddresses {
        details: calls.details,
        reviews: calls.reviews,
        ratings: calls.ratings,
    };
    let config = productpage::Config::local(
        backends,
        ConnectionReuse::from_flag(pooled_backend_connections),
    )
    .map_err(|errors| io::Error::other(errors.to_string()))?;
    launch.start_on("productpage", "v1", listeners.productpage, |listener| {
        productpage::run(listener, config)
    })?;
    Ok(launch)
}

/// details v2 is the one that fetches its book from Google Books.
pub(crate) fn details_version(book_source: &details::config::BookSource) -> &'static str {
    match book_source {
        details::config::BookSource::Builtin => "v1",
        details::config::BookSource::GoogleBooks { .. } => "v2",
    }
}

#[derive(Default)]
/// The running services.
pub(crate) struct Launch {
    workloads: Vec<Workload>,
    running: Vec<actix_web::rt::task::JoinHandle<io::Result<()>>>,
}

impl Launch {
    fn workload(&self, name: &str) -> Option<&Workload> {
        self.workloads
            .iter()
            .find(|workload| workload.name() == name)
    }

    pub(crate) async fn stop(&self, name: &str) -> io::Result<()> {
        let workload = self.workload(name).ok_or_else(|| {
            io::Error::new(io::ErrorKind::NotFound, format!("no workload named {name}"))
        })?;
        workload.stop.stop().await;
        Ok(())
    }

    pub(crate) async fn stop_all(&self) {
        stop_in_order(&self.workloads).await;
    }

    /// Waits for every server to stop; if `stop` completes first, stops them all and waits.
    pub(crate) async fn run_until(self, stop: impl Future<Output = ()>) -> io::Result<()> {
        let workloads = self.workloads;
        let all_stopped = async move {
            for running in self.running {
                running.await.map_err(io::Error::other)??;
            }
            Ok(())
        };
        tokio::pin!(all_stopped);
        tokio::select! {
            result = &mut all_stopped => return result,
            () = stop => {}
        }
        stop_in_order(&workloads).await;
        all_stopped.await
    }

    pub(crate) fn address_of(&self, name: &str) -> io::Result<SocketAddr> {
        self.workload(name)
            .map(|workload| workload.address)
            .ok_or_else(|| io::Error::other(format!("{name} did not start")))
    }

    fn start_on<F>(
        &mut self,
        service: &'static str,
        version: &'static str,
        listener: TcpListener,
        run: F,
    ) -> io::Result<SocketAddr>
    where
        F: FnOnce(TcpListener) -> io::Result<RunningServer>,
    {
        let address = listener.local_addr()?;
        // The launcher's own Ctrl-C stops its servers, in order (`stop_in_order`).
        let server = run(listener)?.stopped_by_caller();
        self.workloads.push(Workload {
            service,
            version,
            address,
            stop: server.stop_handle(),
        });
        self.running.push(actix_web::rt::spawn(server));
        Ok(address)
    }
}

/// Stops `workloads` with the chassis drain, callers before what they call: productpage (which
/// no other service calls) first, then the rest together. Once productpage has answered every
/// request it read, no request is on its way to the others, so none of them stops accepting
/// under a call productpage still has to make, and their idle connections' grace counts from
/// the start: a stop takes one idle grace, however many workloads there are.
async fn stop_in_order(workloads: &[Workload]) {
    let began = tokio::time::Instant::now();
    let (entry, called): (Vec<&Workload>, Vec<&Workload>) = workloads
        .iter()
        .partition(|workload| workload.service == "productpage");
    for tier in [entry, called] {
        futures_util::future::join_all(tier.iter().map(|workload| workload.stop.stop_since(began)))
            .await;
    }
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
            workload.name(),
            workload.address
        ));
    }
    text.push_str(&format!(
        "  reviews (round robin over v1, v2, v3) http://{}\nPress Ctrl-C to stop.",
        bookinfo.reviews
    ));
    text
}
