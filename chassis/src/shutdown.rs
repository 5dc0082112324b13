//! Stopping a server on SIGTERM or SIGINT without dropping a request it has read: it stops
//! accepting, marks every answer from then on `Connection: close`, and once no request is in
//! hand (and at least [`IDLE_GRACE`] after the signal) lets actix close what is left, all within
//! [`crate::server::SHUTDOWN_GRACE`].
//!
//! Until then the drain is ours, not actix's: actix-http's own (`ServerHandle::stop(true)`)
//! closes an idle kept-alive connection at once, so a request already on its way there gets no
//! answer, and it drops pipelined requests it has read but not started. Here an idle connection
//! stays open for [`IDLE_GRACE`], so such a request arrives and is answered, and actix is only
//! stopped when no request is in hand, so none waits behind another. A middleware cannot see
//! whether more pipelined requests wait behind the one it answers, so each of those is marked
//! `close` too, and actix answers them all before it closes. A request sent on an idle
//! connection after that is the race every keep-alive close has; clients retry it.
//!
//! actix would listen for the signals itself, but only once the server is first polled: a server
//! spawned onto a runtime (the launcher starts six, then prints that Ctrl-C stops them) leaves a
//! window in which a signal is lost, or kills the process by its default action. Here the
//! handlers are in place before the server is handed back. A process that runs several servers
//! and stops them in an order of its own (the launcher) drains each through its [`StopHandle`],
//! the one way in besides the signals.

use std::any::Any;
use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use actix_web::dev::{Extensions, ServerHandle};
use actix_web::rt::task::JoinHandle;
use tokio::signal::unix::{SignalKind, signal};
use tokio::time::Instant;

/// How long a draining server keeps idle kept-alive connections open: a request already on its
/// way to one (sent before the client could know) arrives within it, on loopback or in a pod.
/// Short, since pooling clients (Envoy, awc, browsers) keep idle connections open and a stop
/// waits for it.
pub const IDLE_GRACE: Duration = Duration::from_millis(250);

/// How often a draining server looks whether it may stop.
const DRAIN_POLL: Duration = Duration::from_millis(20);

/// One server's drain: whether it is stopping, its open client connections and the requests it
/// has in hand.
#[derive(Clone, Debug, Default)]
pub(crate) struct Drain(Arc<DrainState>);

#[derive(Debug, Default)]
struct DrainState {
    draining: AtomicBool,
    open_connections: AtomicUsize,
    requests_in_hand: AtomicUsize,
}

/// Counts one request in hand for as long as the middleware handles it.
pub(crate) struct InHand(Arc<DrainState>);

impl Drop for InHand {
    fn drop(&mut self) {
        self.0.requests_in_hand.fetch_sub(1, Ordering::SeqCst);
    }
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

    pub(crate) fn draining(&self) -> bool {
        self.0.draining.load(Ordering::SeqCst)
    }

    fn open_connections(&self) -> usize {
        self.0.open_connections.load(Ordering::SeqCst)
    }

    pub(crate) fn in_hand(&self) -> InHand {
        self.0.requests_in_hand.fetch_add(1, Ordering::SeqCst);
        InHand(self.0.clone())
    }

    /// Whether actix may close what is left: no connection, or no request in hand once idle
    /// connections have had [`IDLE_GRACE`].
    fn may_stop(&self, since: Instant) -> bool {
        self.open_connections() == 0
            || (since.elapsed() >= IDLE_GRACE
                && self.0.requests_in_hand.load(Ordering::SeqCst) == 0)
    }

    /// Stops accepting, waits until [`Self::may_stop`] (idle connections' grace counted from
    /// `since`) or `grace` is over, then stops the server: gracefully (actix closes the idle
    /// connections and lets any request that has just come finish), or at the end of `grace` by
    /// cutting what is left.
    async fn stop(&self, handle: &ServerHandle, since: Instant, grace: Duration) {
        self.0.draining.store(true, Ordering::SeqCst);
        handle.pause().await;
        let deadline = Instant::now() + grace;
        while !self.may_stop(since) && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(DRAIN_POLL).await;
        }
        let graceful = self.may_stop(since);
        if !graceful {
            tracing::warn!("requests still in hand after {grace:?}; closing their connections");
        }
        handle.stop(graceful).await;
    }
}

/// Stops one served server with the drain: what SIGTERM does to a service, for a caller that
/// stops servers itself. Cloned freely; stopping twice, or a stopped server, is harmless.
#[derive(Clone, Debug)]
pub struct StopHandle {
    handle: ServerHandle,
    drain: Drain,
}

impl StopHandle {
    pub(crate) fn new(handle: ServerHandle, drain: Drain) -> Self {
        Self { handle, drain }
    }

    /// Drains the server and completes once it has stopped: it stops accepting, answers every
    /// request it has read (each `Connection: close`), gives idle connections [`IDLE_GRACE`],
    /// and cuts what is left at [`crate::server::SHUTDOWN_GRACE`].
    pub async fn stop(&self) {
        self.stop_since(Instant::now()).await;
    }

    /// Drains as [`Self::stop`] does, counting idle connections' [`IDLE_GRACE`] from `began`:
    /// for a server whose callers were stopped first, from when their stop began. Once they have
    /// answered everything, no request of theirs can still be on its way, so it need not wait
    /// a second grace.
    pub async fn stop_since(&self, began: Instant) {
        self.drain
            .stop(&self.handle, began, crate::server::SHUTDOWN_GRACE)
            .await;
    }
}

/// Drains and stops the server behind `stop` on the first SIGTERM or SIGINT. The handlers are
/// in place when this returns; aborting the task it returns leaves the stopping to the caller.
/// Call within the runtime that runs the server.
pub(crate) fn stop_on_signal(stop: StopHandle) -> io::Result<JoinHandle<()>> {
    let signal = on_signal()?;
    Ok(actix_web::rt::spawn(async move {
        let name = signal.await;
        tracing::info!("{name} received; finishing the requests in hand");
        stop.stop().await;
    }))
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
