//! Binding and serving: dual-stack bind, a clear error for a taken port, the shared middleware.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use actix_web::{HttpResponse, web};
use chassis::telemetry::ServiceIdentity;

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

/// The service the test servers report as.
fn test_service() -> ServiceIdentity {
    ServiceIdentity::new("items", "v7")
}

#[actix_web::test]
async fn serve_answers_with_the_configured_routes() {
    let address = chassis::testing::spawn_server(|listener| {
        chassis::server::serve(listener, &test_service(), |cfg| {
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

async fn get_text(address: std::net::SocketAddr, path: &str) -> (u16, String, String) {
    let mut response = awc::Client::default()
        .get(format!("http://{address}{path}"))
        .send()
        .await
        .expect("answer");
    let content_type = response
        .headers()
        .get("content-type")
        .map(|value| value.to_str().expect("ascii").to_owned())
        .unwrap_or_default();
    let body = response.body().await.expect("body");
    (
        response.status().as_u16(),
        content_type,
        String::from_utf8(body.to_vec()).expect("utf-8"),
    )
}

#[actix_web::test]
async fn metrics_count_a_request_after_it_happens() {
    let address = chassis::testing::spawn_server(|listener| {
        chassis::server::serve(listener, &test_service(), |cfg| {
            cfg.route(
                "/items/{id}",
                web::get().to(|| async { HttpResponse::Ok().body("item") }),
            );
        })
    });
    let counted = r#"http_server_requests_total{method="GET",route="/items/{id}",status="200"} 1"#;

    let (status, content_type, before) = get_text(address, "/metrics").await;
    assert_eq!(status, 200);
    assert_eq!(content_type, chassis::metrics::CONTENT_TYPE);
    assert!(!before.contains(r#"route="/items/{id}""#), "{before}");
    assert!(
        before.contains(r#"bookinfo_build_info{service="items",version="v7"} 1"#),
        "{before}"
    );

    assert_eq!(get_text(address, "/items/7").await.0, 200);
    assert_eq!(get_text(address, "/no/such/route").await.0, 404);
    let (_, _, after) = get_text(address, "/metrics").await;

    assert!(after.contains(counted), "{after}");
    assert!(
        after.contains(r#"http_server_request_duration_seconds_count{method="GET",route="/items/{id}",status="200"} 1"#),
        "{after}"
    );
    assert!(
        after.contains(r#"route="unmatched",status="404"} 1"#),
        "{after}"
    );
    assert!(
        !after.contains("/no/such/route"),
        "raw paths never become labels"
    );
}

/// A 405 of the test routes, as a service words its own.
#[derive(Debug)]
struct NotAllowed;

impl std::fmt::Display for NotAllowed {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("not allowed")
    }
}

impl actix_web::ResponseError for NotAllowed {
    fn status_code(&self) -> actix_web::http::StatusCode {
        actix_web::http::StatusCode::METHOD_NOT_ALLOWED
    }
}

#[actix_web::test]
async fn metrics_label_a_shared_resource_by_its_pattern_whatever_the_method() {
    let address = chassis::testing::spawn_server(|listener| {
        chassis::server::serve(listener, &test_service(), |cfg| {
            cfg.service(
                chassis::routes::resource("/items/{id}", "GET, HEAD, OPTIONS", |_| NotAllowed)
                    .route(
                        chassis::routes::get_or_head()
                            .to(|| async { HttpResponse::Ok().body("item") }),
                    ),
            );
        })
    });
    chassis::testing::wait_ready(address, "/metrics")
        .await
        .expect("ready");

    assert_eq!(get_text(address, "/items/7").await.0, 200);
    let refused = awc::Client::default()
        .delete(format!("http://{address}/items/7"))
        .send()
        .await
        .expect("answer");
    assert_eq!(refused.status().as_u16(), 405);
    let (_, _, after) = get_text(address, "/metrics").await;

    for series in [
        r#"http_server_requests_total{method="GET",route="/items/{id}",status="200"} 1"#,
        r#"http_server_requests_total{method="DELETE",route="/items/{id}",status="405"} 1"#,
        r#"http_server_requests_total{method="GET",route="/metrics",status="200"} "#,
    ] {
        assert!(after.contains(series), "{series}: {after}");
    }
}

#[actix_web::test]
async fn metrics_show_what_a_service_registers() {
    use prometheus_client::metrics::counter::Counter;

    let metrics = chassis::metrics::MetricsRegistry::new();
    let pages = Counter::<u64>::default();
    metrics.register("pages_rendered", "Pages rendered", pages.clone());
    pages.inc();
    let address = chassis::testing::spawn_server(move |listener| {
        chassis::server::serve_with(
            listener,
            &test_service(),
            &chassis::limits::ServerLimits::default(),
            metrics,
            |_cfg| {},
        )
    });

    get_text(address, "/metrics").await;
    let (_, _, text) = get_text(address, "/metrics").await;

    assert!(text.contains("pages_rendered_total 1"), "{text}");
    assert!(
        text.contains(
            r#"http_server_requests_total{method="GET",route="/metrics",status="200"} 1"#
        ),
        "{text}"
    );
}

#[actix_web::test]
async fn metrics_answers_head_and_refuses_other_methods_with_allow() {
    use actix_web::http::Method;

    let address = chassis::testing::spawn_server(|listener| {
        chassis::server::serve(listener, &test_service(), |cfg| {
            cfg.default_service(web::to(HttpResponse::NotFound));
        })
    });
    let client = awc::Client::default();
    let url = format!("http://{address}/metrics");

    let head = client.head(&url).send().await.unwrap();
    let post = client.post(&url).send().await.unwrap();
    let options = client.request(Method::OPTIONS, &url).send().await.unwrap();

    assert_eq!(head.status().as_u16(), 200);
    assert_eq!(post.status().as_u16(), 405);
    assert_eq!(post.headers().get("allow").unwrap(), "GET, HEAD, OPTIONS");
    assert_eq!(options.status().as_u16(), 204);
    assert_eq!(
        options.headers().get("allow").unwrap(),
        "GET, HEAD, OPTIONS"
    );
}

#[actix_web::test]
async fn unknown_methods_share_one_metrics_label() {
    use actix_web::http::Method;

    let address = chassis::testing::spawn_server(|listener| {
        chassis::server::serve(listener, &test_service(), |cfg| {
            cfg.default_service(web::to(HttpResponse::NotFound));
        })
    });
    let client = awc::Client::default();
    let made_up = |i: usize| format!("M{i}{}", "A".repeat(1000));

    for i in 0..3 {
        let method = Method::from_bytes(made_up(i).as_bytes()).unwrap();
        let response = client
            .request(method, format!("http://{address}/x"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 404);
    }
    client
        .request(Method::PATCH, format!("http://{address}/x"))
        .send()
        .await
        .unwrap();
    let (_, _, text) = get_text(address, "/metrics").await;

    assert!(
        text.contains(
            r#"http_server_requests_total{method="_OTHER",route="unmatched",status="404"} 3"#
        ),
        "{text}"
    );
    assert!(
        text.contains(
            r#"http_server_requests_total{method="PATCH",route="unmatched",status="404"} 1"#
        ),
        "{text}"
    );
    assert!(!text.contains("AAAA"), "a made-up method became a label");
}

#[actix_web::test]
async fn a_stalled_body_is_cut_with_408_and_the_connection_closed() {
    let limits = chassis::limits::ServerLimits {
        // Long enough for a whole request to arrive on a busy machine, short for a test.
        request_timeout: std::time::Duration::from_secs(1),
        ..Default::default()
    };
    let address = chassis::testing::spawn_server(move |listener| {
        chassis::server::serve_with(
            listener,
            &test_service(),
            &limits,
            chassis::metrics::MetricsRegistry::new(),
            |cfg| {
                cfg.route(
                    "/echo",
                    web::post().to(|body: web::Bytes| async move { HttpResponse::Ok().body(body) }),
                );
            },
        )
    });

    let stalled = chassis::testing::raw_exchange(
        address,
        b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nab",
    )
    .await;
    let whole = chassis::testing::raw_exchange(
        address,
        b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nConnection: close\r\n\r\nab",
    )
    .await;

    assert!(stalled.starts_with("HTTP/1.1 408"), "{stalled}");
    assert!(
        stalled.contains("did not arrive within 1000 ms"),
        "{stalled}"
    );
    assert!(whole.starts_with("HTTP/1.1 200"), "{whole}");
    assert!(whole.ends_with("ab"), "{whole}");
}
