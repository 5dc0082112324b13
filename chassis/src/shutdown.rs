//! Stopping a server on SIGTERM or SIGINT: it stops accepting, answers the requests it is
//! serving, and closes each kept-alive connection after its current answer (actix-http's
//! draining), all within [`crate::server::SHUTDOWN_GRACE`].
//!
//! actix would listen for the signals itself, but only once the server is first polled: a server
//! spawned onto a runtime (the launcher starts six, then prints that Ctrl-C stops them) leaves a
//! window in which a signal is lost, or kills the process by its default action. Here the
//! handlers are in place before the server is handed back.

use std::io;

use actix_web::dev::ServerHandle;
use tokio::signal::unix::{SignalKind, signal};

/// Stops the server behind `handle` gracefully on the first SIGTERM or SIGINT. The handlers are
/// in place when this returns. Call within the runtime that runs the server.
pub(crate) fn stop_on_signal(handle: ServerHandle) -> io::Result<()> {
    let signal = on_signal()?;
    actix_web::rt::spawn(async move {
        let name = signal.await;
        tracing::info!("{name} received; finishing the requests in hand");
        handle.stop(true).await;
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
