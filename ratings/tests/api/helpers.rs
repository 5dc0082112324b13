//! Starting ratings for a test (with the environment it is given) and one method per endpoint to
//! call it, plus bounded polling for the personas that change with time.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::future::Future;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use actix_web::http::Method;
pub use chassis::testing::TestResponse;
pub use chassis::testing::closed_port;
use chassis::testing::{request, spawn_server, wait_ready};

/// v1's answer for product 0.
pub const DEFAULT_RATINGS_0: &str = r#"{"id":0,"ratings":{"Reviewer1":5,"Reviewer2":4}}"#;
pub const BAD_ID: &str = r#"{"error":"please provide numeric product ID"}"#;
pub const BAD_RATINGS: &str = r#"{"error":"please provide valid ratings JSON"}"#;
pub const UNAVAILABLE: &str = r#"{"error":"Service unavailable"}"#;
pub const HEALTHY: &str = r#"{"status":"Ratings is healthy"}"#;
pub const NOT_HEALTHY: &str = r#"{"status":"Ratings is not healthy"}"#;

/// A running ratings.
pub struct TestApp {
    pub address: SocketAddr,
    client: awc::Client,
}

/// ratings v1 (`SERVICE_VERSION` unset).
pub async fn spawn_app() -> TestApp {
    spawn_app_with_env(&[]).await
}

/// ratings configured from exactly these environment variables.
pub async fn spawn_app_with_env(env: &[(&str, &str)]) -> TestApp {
    let env: HashMap<&str, &str> = env.iter().copied().collect();
    spawn_app_with_config(ratings::Config::load(&env).expect("valid test configuration")).await
}

/// ratings with a configuration a test has adjusted.
pub async fn spawn_app_with_config(config: ratings::Config) -> TestApp {
    chassis::telemetry::init_for_tests();
    let address = spawn_server(|listener| ratings::run(listener, config));
    wait_ready(address, "/health").await.expect("ratings ready");
    TestApp {
        address,
        client: awc::Client::builder()
            .timeout(Duration::from_secs(30))
            .finish(),
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.address)
    }

    pub async fn health(&self) -> TestResponse {
        self.request(Method::GET, "/health", None).await
    }

    /// `GET /ratings/{id}`; `id` is sent as written (it may hold more segments or a query).
    pub async fn get_ratings(&self, id: &str) -> TestResponse {
        self.request(Method::GET, &format!("/ratings/{id}"), None)
            .await
    }

    pub async fn post_ratings(&self, id: &str, body: &str) -> TestResponse {
        self.request(Method::POST, &format!("/ratings/{id}"), Some(body))
            .await
    }

    /// Any method on any path, with an optional body.
    pub async fn request(&self, method: Method, path: &str, body: Option<&str>) -> TestResponse {
        let json = [("content-type", "application/json")];
        let headers: &[(&str, &str)] = if body.is_some() { &json } else { &[] };
        request(&self.client, method, &self.url(path), headers, body).await
    }
}

/// Calls `probe` every few milliseconds until `done` holds for what it has seen so far, for at
/// most `within`; returns everything seen. For personas whose answers change with time: a test
/// waits for a change by polling with a bound, never by sleeping a fixed time.
pub async fn poll_until<T, F, Fut>(
    within: Duration,
    mut probe: F,
    done: impl Fn(&[T]) -> bool,
) -> Vec<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = T>,
{
    let deadline = Instant::now() + within;
    let mut seen = Vec::new();
    loop {
        seen.push(probe().await);
        if done(&seen) || Instant::now() >= deadline {
            return seen;
        }
        actix_web::rt::time::sleep(Duration::from_millis(10)).await;
    }
}
