//! Starting reviews against a recording stand-in for ratings, and one method per endpoint to
//! call it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use actix_web::http::Method;
pub use chassis::testing::TestResponse;
use chassis::testing::{
    RecordedRequest, RecordingBackend, Responder, StubReply, closed_port, request, spawn_server,
    wait_ready,
};

/// Ratings v1's answer for product 0.
pub const RATINGS_JSON: &str = r#"{"id":0,"ratings":{"Reviewer1":5,"Reviewer2":4}}"#;
/// What a review shows in place of stars when ratings could not say.
pub const RATING_ERROR: &str = r#"{"error": "Ratings service is currently unavailable"}"#;
pub const REVIEW_1: &str =
    "An extremely entertaining play by Shakespeare. The slapstick humour is refreshing!";
pub const REVIEW_2: &str = "Absolutely fun and entertaining. The play lacks thematic depth when compared to other plays by Shakespeare.";

/// reviews' hand-built answer, written out independently of the crate's writer: `ratings` is
/// each review's `rating` JSON, or `None` for v1.
pub fn reviews_json(
    id: &str,
    podname: &str,
    clustername: &str,
    ratings: Option<[&str; 2]>,
) -> String {
    let rating = |index: usize| {
        ratings.map_or(String::new(), |ratings| {
            format!(", \"rating\": {}", ratings[index])
        })
    };
    format!(
        r#"{{"id": "{id}","podname": "{podname}","clustername": "{clustername}","reviews": [{{  "reviewer": "Reviewer1",  "text": "{REVIEW_1}"{}}},{{  "reviewer": "Reviewer2",  "text": "{REVIEW_2}"{}}}]}}"#,
        rating(0),
        rating(1),
    )
}

/// `{"stars": N, "color": "C"}`.
pub fn stars(stars: u8, color: &str) -> String {
    format!(r#"{{"stars": {stars}, "color": "{color}"}}"#)
}

/// How to start reviews for one test.
pub struct AppBuilder {
    ratings: Responder,
    env: Vec<(String, String)>,
}

impl AppBuilder {
    /// `SERVICE_VERSION` (`v1`, `v2`, `v3`); unset, the compiled-in version applies.
    pub fn version(self, version: &str) -> Self {
        self.env("SERVICE_VERSION", version)
    }

    /// Sets an environment variable for reviews (after the ratings address, so it wins).
    pub fn env(mut self, name: &str, value: impl Into<String>) -> Self {
        self.env.push((name.to_owned(), value.into()));
        self
    }

    pub fn ratings(mut self, reply: StubReply) -> Self {
        self.ratings = Arc::new(move |_| reply.clone());
        self
    }

    /// Ratings answers each request with what `respond` returns for it.
    pub fn ratings_with(
        mut self,
        respond: impl Fn(&RecordedRequest) -> StubReply + Send + Sync + 'static,
    ) -> Self {
        self.ratings = Arc::new(respond);
        self
    }

    /// Points reviews at a closed port instead of the stand-in.
    pub fn ratings_down(self) -> Self {
        self.env("RATINGS_SERVICE_PORT", closed_port().to_string())
    }

    pub async fn spawn(self) -> TestApp {
        chassis::telemetry::init_for_tests();
        let respond = self.ratings;
        let ratings = RecordingBackend::start_with(move |request| respond(request));
        let mut env = HashMap::from([
            ("RATINGS_HOSTNAME".to_owned(), ratings.host()),
            ("RATINGS_SERVICE_PORT".to_owned(), ratings.port()),
        ]);
        env.extend(self.env);
        let config = reviews::Config::load(&env).expect("valid test configuration");
        let address = spawn_server(|listener| reviews::run(listener, config));
        wait_ready(address, "/health").await.expect("reviews ready");
        TestApp {
            address,
            ratings,
            client: awc::Client::builder()
                .timeout(Duration::from_secs(30))
                .finish(),
        }
    }
}

/// reviews as `version`, named `reviews-{version}-test`, with a healthy ratings.
pub async fn spawn_version(version: &str) -> TestApp {
    TestApp::builder()
        .version(version)
        .env("HOSTNAME", format!("reviews-{version}-test"))
        .spawn()
        .await
}

/// A running reviews and the ratings stand-in it calls.
pub struct TestApp {
    pub address: SocketAddr,
    pub ratings: RecordingBackend,
    client: awc::Client,
}

impl TestApp {
    pub fn builder() -> AppBuilder {
        AppBuilder {
            ratings: Arc::new(|_: &RecordedRequest| StubReply::json(200, RATINGS_JSON)),
            env: Vec::new(),
        }
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

    pub async fn get(&self, path: &str) -> TestResponse {
        self.request(Method::GET, path, &[], None).await
    }

    pub async fn health(&self) -> TestResponse {
        self.get("/health").await
    }

    /// `GET /reviews/{id}`, `id` as written.
    pub async fn reviews(&self, id: &str) -> TestResponse {
        self.get(&format!("/reviews/{id}")).await
    }

    pub async fn reviews_with(&self, id: &str, headers: &[(&str, &str)]) -> TestResponse {
        self.request(Method::GET, &format!("/reviews/{id}"), headers, None)
            .await
    }
}
