//! Stopping a server on SIGTERM or SIGINT without dropping a request it has read: it stops
//! accepting, marks every answer from then on `Connection: close`, and stops once every client
//! connection has closed, or when [`crate::server::SHUTDOWN_GRACE`] is over.
//!
//! The drain is ours, not actix's: actix-http's own (`ServerHandle::stop(true)`) closes an idle
//! kept-alive connection at once, so a request already on its way there gets no answer, and it
//! drops pipelined requests it has read but not started. Here connections are left to actix's
//! keep-alive timer, each answer says it is the last, and actix is stopped only when none is left.
//! A middleware cannot see whether more pipelined requests wait behind the one it answers, so
//! each of those is marked `close` too, and actix answers them all before it closes.
//!
//! actix would listen for the signals itself, but only once the server is first polled: a server
//! spawned onto a runtime (the launcher starts six, then prints that Ctrl-C stops them) leaves a
//! window in which a signal is lost, or kills the process by its default action. Here the
//! handlers are in place before the server is handed back.

use std::any::Any;
use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use actix_web::body::MessageBody;
use actix_web::dev::{Extensions, ServerHandle, ServiceRequest, ServiceResponse};
use actix_web::http::ConnectionType;
use actix_web::middleware::Next;
use actix_web::web;
use tokio::signal::unix::{SignalKind, signal};

/// How often a draining server looks whether its last connection has closed.
const DRAIN_POLL: Duration = Duration::from_millis(20);

/// One server's drain: whether it is stopping, and how many client connections it has open.
#[derive(Clone, Default)]
pub(crate) struct Drain(Arc<DrainState>);

#[derive(Default)]
struct DrainState {
    draining: AtomicBool,
    open_connections: AtomicUsize,
}

/// Kept in a connection's data for as long as actix keeps the connection: counts it open.
struct OpenConnection(Arc<DrainState>);

impl Drop for OpenConnection {
    fn drop(&mut self) {
        self.0.open_connections.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Drain {
    /// The server's `on_connect` hook: counts the connection until actix drops it.
    pub(crate) fn on_connect(&self, _io: &dyn Any, data: &mut Extensions) {
        self.0.open_connections.fetch_add(1, Ordering::SeqCst);
        data.insert(OpenConnection(self.0.clone()));
    }

    fn draining(&self) -> bool {
        self.0.draining.load(Ordering::SeqCst)
    }

    fn open_connections(&self) -> usize {
        self.0.open_connections.load(Ordering::SeqCst)
    }

    /// Stops accepting, then waits until every connection has closed or `grace` is over; then
    /// stops the server (cutting what is left, if anything).
    async fn stop(&self, handle: &ServerHandle, grace: Duration) {
        self.0.draining.store(true, Ordering::SeqCst);
        handle.pause().await;
        let deadline = tokio::time::Instant::now() + grace;
        while self.open_connections() > 0 && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(DRAIN_POLL).await;
        }
        let left = self.open_connections();
        if left > 0 {
            tracing::warn!("{left} connections still open after {grace:?}; closing them");
        }
        handle.stop(left == 0).await;
    }
}

/// The middleware that marks every answer given while the server drains `Connection: close`, so
/// that its client sends nothing more on that connection and actix closes it after the answer.
pub(crate) async fn close_when_draining(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let drain = request.app_data::<web::Data<Drain>>().cloned();
    let mut response = next.call(request).await?;
    if drain.is_some_and(|drain| drain.draining()) {
        response
            .response_mut()
            .head_mut()
            .set_connection_type(ConnectionType::Close);
    }
    Ok(response)
}

/// Drains and stops the server behind `handle` on the first SIGTERM or SIGINT. The handlers are
/// in place when this returns. Call within the runtime that runs the server.
pub(crate) fn stop_on_signal(handle: ServerHandle, drain: Drain) -> io::Result<()> {
    let signal = on_signal()?;
    actix_web::rt::spawn(async move {
        let name = signal.await;
        tracing::info!("{name} received; finishing the requests in hand");
        drain.stop(&handle, crate::server::SHUTDOWN_GRACE).await;
    });
    Ok(())
}

/// Completes with the signal's name at the first SIGTERM or SIGINT from the moment this returns,
/// whenever it is first awaited: from then on neither signal ends the process by its default
/// action. Call within a Tokio runtime.
pub fn on_signal() -> io::Result<impl Future<Output = &'static str>> {
    let mut terminate = signal(SignalKind::terminate())?;
    let mut interrupt = signal(SignalKind::interrupt())?;
    Ok(async move {
        tokio::select! {
            _ = terminate.recv() => "SIGTERM",
            _ = interrupt.recv() => "SIGINT",
        }
    })
}
