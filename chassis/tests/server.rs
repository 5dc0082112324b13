//! Binding and serving: dual-stack bind, a clear error for a taken port, the shared middleware.

use actix_web::{HttpResponse, web};

#[test]
fn bind_reports_a_taken_port_clearly() {
    let taken = chassis::server::bind_loopback(0).expect("bind");
    let port = taken.local_addr().expect("address").port();

    let error = chassis::server::bind_loopback(port).expect_err("port is taken");

    assert_eq!(error.kind(), std::io::ErrorKind::AddrInUse);
    assert!(error.to_string().contains(&port.to_string()), "{error}");
}

#[test]
fn bind_listens_on_every_interface() {
    let listener = chassis::server::bind(0).expect("bind");
    let address = listener.local_addr().expect("address");
    assert!(address.ip().is_unspecified(), "{address}");
    // Reachable over IPv4 loopback whether the socket is dual-stack or IPv4 only.
    std::net::TcpStream::connect(("127.0.0.1", address.port())).expect("IPv4 connect");
}

#[actix_web::test]
async fn serve_answers_with_the_configured_routes() {
    let address = chassis::testing::spawn_server(|listener| {
        chassis::server::serve(listener, |cfg| {
            cfg.route(
                "/health",
                web::get().to(|| async { HttpResponse::Ok().body("fine") }),
            );
        })
    });

    chassis::testing::wait_ready(address, "/health")
        .await
        .expect("ready");
    let mut response = awc::Client::default()
        .get(format!("http://{address}/health"))
        .send()
        .await
        .expect("answer");

    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(response.body().await.expect("body"), "fine");
}
