//! Starting details (v1, or v2 against a stand-in for Google Books) and one method per endpoint
//! to call it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Duration;

use actix_web::http::Method;
pub use chassis::testing::TestResponse;
pub use chassis::testing::closed_port;
use chassis::testing::{request, spawn_server, wait_ready};
use details::config::{BookSource, Config};

/// details v1's answer for book 0, byte for byte (compact Ruby JSON).
pub const BOOK_0: &str = r#"{"id":0,"author":"William Shakespeare","year":1595,"type":"paperback","pages":200,"publisher":"PublisherA","language":"English","ISBN-10":"1234567890","ISBN-13":"123-1234567890"}"#;

/// upstream's answer for an id that is not a number.
pub const NOT_NUMERIC: &str = r#"{"error":"please provide numeric product id"}"#;

/// details v1, configured from no environment at all.
pub async fn spawn_app() -> TestApp {
    spawn_with_env(&[]).await
}

/// details configured from `env` as if it were the process environment.
pub async fn spawn_with_env(env: &[(&str, &str)]) -> TestApp {
    let env: HashMap<&str, &str> = env.iter().copied().collect();
    spawn_with_config(Config::load(&env).expect("valid test configuration")).await
}

/// details v2 calling the book service at `base_url`, giving up after `timeout`.
pub async fn spawn_v2(base_url: &str, timeout: Duration) -> TestApp {
    spawn_with_config(Config {
        book_source: BookSource::GoogleBooks {
            base_url: base_url.to_owned(),
            timeout,
            egress: None,
        },
        ..Config::default()
    })
    .await
}

pub async fn spawn_with_config(config: Config) -> TestApp {
    chassis::telemetry::init_for_tests();
    let address = spawn_server(|listener| details::run(listener, config));
    wait_ready(address, "/health").await.expect("details ready");
    TestApp {
        address,
        client: awc::Client::builder()
            .disable_redirects()
            .timeout(Duration::from_secs(30))
            .finish(),
    }
}

/// A running details.
pub struct TestApp {
    pub address: SocketAddr,
    client: awc::Client,
}

impl TestApp {
    /// `GET /health`.
    pub async fn health(&self) -> TestResponse {
        self.get("/health").await
    }

    /// `GET /details/{id}`; `id` goes on the path as given (already percent-encoded).
    pub async fn details(&self, id: &str) -> TestResponse {
        self.get(&format!("/details/{id}")).await
    }

    /// `GET /details/0` with extra request headers.
    pub async fn details_with_headers(&self, headers: &[(&str, &str)]) -> TestResponse {
        self.request(Method::GET, "/details/0", headers, None).await
    }

    /// `GET path`, for any path.
    pub async fn get(&self, path: &str) -> TestResponse {
        self.request(Method::GET, path, &[], None).await
    }

    /// `method path` with a small form body, for any method and path.
    pub async fn send(&self, method: Method, path: &str) -> TestResponse {
        self.request(method, path, &[], Some("x=1")).await
    }

    /// Any request; `headers` are added as given.
    pub async fn request(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&str>,
    ) -> TestResponse {
        let url = format!("http://{}{path}", self.address);
        request(&self.client, method, &url, headers, body).await
    }
}
