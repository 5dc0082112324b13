//! How productpage connects to its backends by default: a fresh connection per page for a
//! sequential client (so a per-connection balancer rotates reviews versions), reused connections
//! under concurrent load. Counted at the stand-in backends, by the connections they accept.

use futures_util::future::join_all;

use crate::helpers::spawn_app;

#[actix_web::test]
async fn a_sequential_client_gets_a_new_backend_connection_for_every_page() {
    let app = spawn_app().await;

    for _ in 0..5 {
        assert_eq!(app.product_page().await.status.as_u16(), 200);
    }

    for (service, backend) in [("details", &app.details), ("reviews", &app.reviews)] {
        assert_eq!(backend.requests().len(), 5, "{service} calls");
        assert_eq!(backend.connections(), 5, "{service} connections");
        for request in backend.requests() {
            assert_eq!(request.header("connection"), Some("close"), "{service}");
        }
    }
}

#[actix_web::test]
async fn concurrent_clients_share_backend_connections() {
    let app = spawn_app().await;
    let clients = 16;
    let pages_each = 4;

    // Each client asks for its next page as soon as it has one, so calls keep overlapping.
    let client = |_| async {
        for _ in 0..pages_each {
            assert_eq!(app.product_page().await.status.as_u16(), 200);
        }
    };
    join_all((0..clients).map(client)).await;

    let pages = clients * pages_each;
    for (service, backend) in [("details", &app.details), ("reviews", &app.reviews)] {
        assert_eq!(backend.requests().len(), pages, "{service} calls");
        assert!(
            backend.connections() < pages,
            "{service}: {} connections for {pages} calls",
            backend.connections()
        );
    }
}
