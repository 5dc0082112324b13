//! `POST /login` and `GET /logout` through productpage's real routes: any query, form body,
//! content type, Referer and Host. The answer is a redirect to a path on this site (never
//! another host) or a 4xx, never a 5xx or a panic.
#![no_main]

use actix_web::http::header::{CONTENT_TYPE, HOST, LOCATION, REFERER};
use actix_web::http::{Method, StatusCode};
use actix_web::test::{TestRequest, call_service, init_service};
use actix_web::{App, web};
use chassis::client::ConnectionReuse;
use libfuzzer_sys::{arbitrary, fuzz_target};
use productpage::{BackendAddresses, Config};

#[derive(Debug, arbitrary::Arbitrary)]
struct Input {
    logout: bool,
    query: String,
    form_content_type: bool,
    body: Vec<u8>,
    referer: Option<String>,
    host: Option<String>,
}

fuzz_target!(|input: Input| {
    let Ok(uri) = format!(
        "/{}?{}",
        if input.logout { "logout" } else { "login" },
        input.query
    )
    .parse::<actix_web::http::Uri>() else {
        return;
    };
    actix_web::rt::System::new().block_on(async move {
        let unused = "127.0.0.1:9".parse().expect("an address");
        let backends = BackendAddresses {
            details: unused,
            reviews: unused,
            ratings: unused,
        };
        let config = Config::local(backends, ConnectionReuse::FreshPerCall).expect("config");
        let app = init_service(
            App::new()
                .app_data(web::Data::new(config))
                .configure(productpage::routes::configure),
        )
        .await;
        let method = if input.logout {
            Method::GET
        } else {
            Method::POST
        };
        let mut request = TestRequest::default().method(method).uri(&uri.to_string());
        if input.form_content_type {
            request = request.insert_header((CONTENT_TYPE, "application/x-www-form-urlencoded"));
        }
        if let Some(referer) = input.referer.as_deref().filter(|value| header_safe(value)) {
            request = request.insert_header((REFERER, referer));
        }
        if let Some(host) = input.host.as_deref().filter(|value| header_safe(value)) {
            request = request.insert_header((HOST, host));
        }
        let response =
            call_service(&app, request.set_payload(input.body.clone()).to_request()).await;
        let status = response.status();
        assert!(!status.is_server_error(), "{status} for {input:?}");
        if status == StatusCode::FOUND {
            let location = response.headers().get(LOCATION).expect("a Location");
            let location = location.to_str().expect("an ASCII Location");
            assert!(
                location.starts_with('/') && !location.starts_with("//"),
                "redirected off the site to {location:?}"
            );
        }
    });
});

fn header_safe(value: &str) -> bool {
    actix_web::http::header::HeaderValue::from_str(value).is_ok()
}
