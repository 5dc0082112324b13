//! Binding the listening socket and serving an app with the shared middleware.
//!
//! Services bind in `main` (or a test, or the launcher) and serve in their library, so tests can
//! hand in a `127.0.0.1:0` listener.

use std::io;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::rt::task::JoinHandle;
use actix_web::{App, HttpServer, web};
use socket2::{Domain, Protocol, Socket, Type};

use crate::limits::{BoundBody, ServerLimits};
use crate::metrics::MetricsRegistry;
use crate::middleware::Observe;
use crate::shutdown::StopHandle;
use crate::telemetry::ServiceIdentity;

/// How long in-flight requests get to finish after SIGTERM or SIGINT. Kubernetes waits 30 s
/// (`terminationGracePeriodSeconds`) before it kills the pod; this stays well inside it.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

const BACKLOG: i32 = 1024;

/// Binds `port` on every interface, IPv6 and IPv4 on one dual-stack socket; on a host without
/// IPv6 it falls back to IPv4 alone (upstream's productpage crashes there, istio/istio#43309).
///
/// A port already in use is an error, never a silent fallback.
pub fn bind(port: u16) -> io::Result<TcpListener> {
    match bind_dual_stack(port) {
        Ok(listener) => Ok(listener),
        Err(error) if error.kind() == io::ErrorKind::AddrInUse => Err(port_in_use(port, error)),
        Err(_) => bind_socket(SocketAddr::from((Ipv4Addr::UNSPECIFIED, port)))
            .map_err(|error| port_in_use(port, error)),
    }
}

/// Binds `127.0.0.1:port`; port 0 picks a free one. For tests and the local launcher.
pub fn bind_loopback(port: u16) -> io::Result<TcpListener> {
    bind_socket(SocketAddr::from((Ipv4Addr::LOCALHOST, port)))
        .map_err(|error| port_in_use(port, error))
}

fn bind_dual_stack(port: u16) -> io::Result<TcpListener> {
    let socket = Socket::new(Domain::IPV6, Type::STREAM, Some(Protocol::TCP))?;
    socket.set_only_v6(false)?;
    socket.set_reuse_address(true)?;
    socket.bind(&SocketAddr::from((Ipv6Addr::UNSPECIFIED, port)).into())?;
    socket.listen(BACKLOG)?;
    Ok(socket.into())
}

fn bind_socket(address: SocketAddr) -> io::Result<TcpListener> {
    let socket = Socket::new(
        Domain::for_address(address),
        Type::STREAM,
        Some(Protocol::TCP),
    )?;
    socket.set_reuse_address(true)?;
    socket.bind(&address.into())?;
    socket.listen(BACKLOG)?;
    Ok(socket.into())
}

fn port_in_use(port: u16, error: io::Error) -> io::Error {
    if error.kind() == io::ErrorKind::AddrInUse {
        io::Error::new(
            io::ErrorKind::AddrInUse,
            format!("port {port} is already in use; stop whatever holds it or pick another port"),
        )
    } else {
        error
    }
}

/// Serves an app on `listener` with the default [`ServerLimits`] and no metrics of its own; see
/// [`serve_with`]. Its spans and `bookinfo_build_info` report `service`.
pub fn serve<F>(
    listener: TcpListener,
    service: &ServiceIdentity,
    configure: F,
) -> io::Result<RunningServer>
where
    F: Fn(&mut web::ServiceConfig) + Send + Clone + 'static,
{
    serve_with(
        listener,
        service,
        &ServerLimits::default(),
        MetricsRegistry::new(),
        configure,
    )
}

/// Serves an app on `listener`: the routes come from `configure` (called once per worker, so a
/// per-worker client belongs in there), wrapped in the shared middleware (a server span per
/// request, request metrics and one log line per request), plus `GET /metrics`, which shows
/// `metrics`: the shared request metrics and whatever the service registered in it. Its spans
/// and `bookinfo_build_info` report `service`.
///
/// Clients get what `limits` allow: requests that take longer to arrive are cut (408 for a
/// stalled body), connections beyond the maximum wait to be accepted.
/// The server stops gracefully on SIGTERM and SIGINT, or through its [`StopHandle`]: every
/// request it has read is answered, each connection closed after its answer (see
/// [`crate::shutdown`]).
pub fn serve_with<F>(
    listener: TcpListener,
    service: &ServiceIdentity,
    limits: &ServerLimits,
    metrics: MetricsRegistry,
    configure: F,
) -> io::Result<RunningServer>
where
    F: Fn(&mut web::ServiceConfig) + Send + Clone + 'static,
{
    metrics.set_build_info(service);
    let registry = metrics.clone();
    let metrics = web::Data::new(metrics);
    // Read by the server span (`telemetry::ServerSpan`), so each span names this server's service.
    let service = web::Data::new(service.clone());
    let limits = *limits;
    let drain = crate::shutdown::Drain::default();
    let (observed, counted) = (drain.clone(), drain.clone());
    // actix's connection limit is per worker; workers as many as actix would start by default,
    // but never more than connections allowed. Each gets its whole share, so the total is never
    // over the limit (it is rounded down to a multiple of the workers).
    let workers = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .min(limits.max_connections)
        .max(1);
    let connections_per_worker = (limits.max_connections / workers).max(1);
    let server = HttpServer::new(move || {
        App::new()
            .app_data(metrics.clone())
            .app_data(service.clone())
            .service(crate::metrics::resource())
            .configure(configure.clone())
            // The last wrap runs first: the drain's count, metrics and the request's log line
            // around the server span, around the body's deadline (so a cut body is counted and
            // logged as the 408 it gets).
            .wrap(BoundBody::new(&limits))
            .wrap(crate::telemetry::request_tracing())
            .wrap(Observe::new(registry.clone(), observed.clone()))
    })
    .on_connect(move |io, data| counted.on_connect(io, data))
    .workers(workers)
    .max_connections(connections_per_worker)
    .client_request_timeout(limits.request_timeout)
    .shutdown_timeout(SHUTDOWN_GRACE.as_secs())
    // Signals are ours (crate::shutdown): actix listens for its own only once it is polled.
    .disable_signals()
    .listen(listener)?
    .run();
    let stop = StopHandle::new(server.handle(), drain);
    let on_signal = crate::shutdown::stop_on_signal(stop.clone())?;
    Ok(RunningServer {
        server,
        stop,
        on_signal,
    })
}

/// A server [`serve_with`] started: a future that completes once the server has stopped (await
/// it, or spawn it), and the [`StopHandle`] that drains it.
pub struct RunningServer {
    server: Server,
    stop: StopHandle,
    on_signal: JoinHandle<()>,
}

impl RunningServer {
    /// Stops this server with the drain, from anywhere, at any time.
    pub fn stop_handle(&self) -> StopHandle {
        self.stop.clone()
    }

    /// Leaves stopping to the caller: SIGTERM and SIGINT no longer stop this server by
    /// themselves. For a process that runs several servers and stops them in its own order (the
    /// launcher: callers before what they call), through each one's [`StopHandle`].
    #[must_use]
    pub fn stopped_by_caller(self) -> Self {
        self.on_signal.abort();
        self
    }
}

impl Future for RunningServer {
    type Output = io::Result<()>;

    fn poll(self: Pin<&mut Self>, context: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.get_mut().server).poll(context)
    }
}
