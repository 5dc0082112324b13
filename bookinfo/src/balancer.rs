//! A per-connection round-robin TCP balancer: the local stand-in for a Kubernetes Service
//! without a mesh, where kube-proxy picks a pod for each new connection.
//!
//! productpage opens a fresh connection per backend call by default, so consecutive pages are
//! served by reviews v1, v2 and v3 in turn, as on a cluster before any routing rule.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::net::{TcpListener, TcpStream};

/// Listens on `127.0.0.1:0` and relays each accepted connection to the next backend in turn.
/// Returns the address to give callers. The relay runs until the runtime stops.
pub fn spawn_round_robin(backends: Vec<SocketAddr>) -> io::Result<SocketAddr> {
    if backends.is_empty() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "a balancer needs at least one backend",
        ));
    }
    let listener = chassis::server::bind_loopback(0)?;
    listener.set_nonblocking(true)?;
    let address = listener.local_addr()?;
    let listener = TcpListener::from_std(listener)?;
    let backends: Arc<[SocketAddr]> = backends.into();
    let next = Arc::new(AtomicUsize::new(0));
    actix_web::rt::spawn(async move {
        loop {
            let (client, _) = match listener.accept().await {
                Ok(accepted) => accepted,
                Err(error) => {
                    tracing::warn!(%error, "balancer accept failed");
                    continue;
                }
            };
            let backend = backends[next.fetch_add(1, Ordering::Relaxed) % backends.len()];
            actix_web::rt::spawn(relay(client, backend));
        }
    });
    Ok(address)
}

async fn relay(mut client: TcpStream, backend: SocketAddr) {
    let outcome = async {
        let mut upstream = TcpStream::connect(backend).await?;
        tokio::io::copy_bidirectional(&mut client, &mut upstream).await
    }
    .await;
    if let Err(error) = outcome {
        // A backend that is down closes the caller's connection, which it reports as an error.
        tracing::debug!(%backend, %error, "balancer relay ended with an error");
    }
}
