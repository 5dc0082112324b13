//! Starting productpage against recording stand-ins for details, reviews and ratings, and one
//! method per endpoint to call it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use actix_web::http::{Method, StatusCode};
pub use chassis::testing::TestResponse;
pub use chassis::testing::closed_port;
use chassis::testing::{
    RecordedRequest, RecordingBackend, Responder, StubReply, request, spawn_server, wait_ready,
};

/// Details v1's answer, byte for byte (compact Ruby JSON).
pub const DETAILS_JSON: &str = r#"{"id":0,"author":"William Shakespeare","year":1595,"type":"paperback","pages":200,"publisher":"PublisherA","language":"English","ISBN-10":"1234567890","ISBN-13":"123-1234567890"}"#;
/// Ratings v1's answer.
pub const RATINGS_JSON: &str = r#"{"id":0,"ratings":{"Reviewer1":5,"Reviewer2":4}}"#;
/// Reviewer1's text, as reviews sends it.
pub const REVIEW_1: &str =
    "An extremely entertaining play by Shakespeare. The slapstick humour is refreshing!";
pub const REVIEW_2: &str = "Absolutely fun and entertaining. The play lacks thematic depth when compared to other plays by Shakespeare.";
pub const SESSION_SECRET: &str = "a test secret that is long enough to sign sessions";
pub const FILLED_STAR: &str = "glyphicon glyphicon-star";

/// reviews' hand-built answer (its odd spacing included): `rating` is a JSON fragment per
/// reviewer, or `None` for v1.
pub fn reviews_json(podname: &str, ratings: Option<(&str, &str)>) -> String {
    let rating = |fragment: Option<&str>| {
        fragment.map_or(String::new(), |fragment| {
            format!(", \"rating\": {fragment}")
        })
    };
    format!(
        r#"{{"id": "0","podname": "{podname}","clustername": "null","reviews": [{{  "reviewer": "Reviewer1",  "text": "{REVIEW_1}"{}}},{{  "reviewer": "Reviewer2",  "text": "{REVIEW_2}"{}}}]}}"#,
        rating(ratings.map(|r| r.0)),
        rating(ratings.map(|r| r.1)),
    )
}

/// reviews v1: no ratings.
pub fn reviews_v1() -> String {
    reviews_json("reviews-v1-stub", None)
}

/// reviews v2 (black) or v3 (red): 5 and 4 stars.
pub fn reviews_with_stars(color: &str) -> String {
    reviews_json(
        &format!("reviews-{color}-stub"),
        Some((
            &format!(r#"{{"stars": 5, "color": "{color}"}}"#),
            &format!(r#"{{"stars": 4, "color": "{color}"}}"#),
        )),
    )
}

/// reviews v2 when it could not reach ratings.
pub fn reviews_without_ratings() -> String {
    let error = r#"{"error": "Ratings service is currently unavailable"}"#;
    reviews_json("reviews-v2-stub", Some((error, error)))
}

/// Answers `replies` in turn, then the last one for ever.
pub fn in_turn(replies: Vec<StubReply>) -> impl Fn(&RecordedRequest) -> StubReply + Send + Sync {
    let calls = AtomicUsize::new(0);
    move |_| {
        let call = calls.fetch_add(1, Ordering::SeqCst);
        replies[call.min(replies.len() - 1)].clone()
    }
}

/// How to start productpage for one test.
pub struct AppBuilder {
    details: Responder,
    reviews: Responder,
    ratings: Responder,
    env: Vec<(String, String)>,
}

impl AppBuilder {
    pub fn details(self, reply: StubReply) -> Self {
        self.details_with(move |_| reply.clone())
    }

    pub fn details_with(
        mut self,
        respond: impl Fn(&RecordedRequest) -> StubReply + Send + Sync + 'static,
    ) -> Self {
        self.details = Arc::new(respond);
        self
    }

    pub fn reviews(self, reply: StubReply) -> Self {
        self.reviews_with(move |_| reply.clone())
    }

    pub fn reviews_with(
        mut self,
        respond: impl Fn(&RecordedRequest) -> StubReply + Send + Sync + 'static,
    ) -> Self {
        self.reviews = Arc::new(respond);
        self
    }

    pub fn ratings(mut self, reply: StubReply) -> Self {
        self.ratings = Arc::new(move |_| reply.clone());
        self
    }

    /// Sets an environment variable for productpage (after the backend addresses, so it wins).
    pub fn env(mut self, name: &str, value: impl Into<String>) -> Self {
        self.env.push((name.to_owned(), value.into()));
        self
    }

    /// Points productpage's `service` (`DETAILS`, `REVIEWS`, `RATINGS`) at a closed port.
    pub fn down(self, service: &str) -> Self {
        self.env(
            &format!("{service}_SERVICE_PORT"),
            closed_port().to_string(),
        )
    }

    pub async fn spawn(self) -> TestApp {
        chassis::telemetry::init_for_tests();
        let start =
            |respond: Responder| RecordingBackend::start_with(move |request| respond(request));
        let details = start(self.details);
        let reviews = start(self.reviews);
        let ratings = start(self.ratings);
        let mut env = HashMap::from([
            ("DETAILS_HOSTNAME".to_owned(), details.host()),
            ("DETAILS_SERVICE_PORT".to_owned(), details.port()),
            ("REVIEWS_HOSTNAME".to_owned(), reviews.host()),
            ("REVIEWS_SERVICE_PORT".to_owned(), reviews.port()),
            ("RATINGS_HOSTNAME".to_owned(), ratings.host()),
            ("RATINGS_SERVICE_PORT".to_owned(), ratings.port()),
            ("SESSION_SECRET".to_owned(), SESSION_SECRET.to_owned()),
        ]);
        env.extend(self.env);
        let config = productpage::Config::load(&env).expect("valid test configuration");
        let address = spawn_server(|listener| productpage::run(listener, config));
        wait_ready(address, "/health")
            .await
            .expect("productpage ready");
        TestApp {
            address,
            details,
            reviews,
            ratings,
            client: awc::Client::builder()
                .disable_redirects()
                .timeout(Duration::from_secs(30))
                .finish(),
        }
    }
}

/// productpage with every backend healthy: details v1, reviews v1, ratings v1.
pub async fn spawn_app() -> TestApp {
    TestApp::builder().spawn().await
}

/// A running productpage and the stand-ins it calls.
pub struct TestApp {
    pub address: SocketAddr,
    pub details: RecordingBackend,
    pub reviews: RecordingBackend,
    pub ratings: RecordingBackend,
    client: awc::Client,
}

/// productpage's own reading of an answer: the session cookie it sets.
pub trait SessionCookie {
    /// `session=…` from Set-Cookie, ready for a Cookie header.
    fn session_cookie(&self) -> String;
}

impl SessionCookie for TestResponse {
    fn session_cookie(&self) -> String {
        let set_cookie = self.header("set-cookie");
        assert!(
            set_cookie.starts_with("session="),
            "no session cookie: {set_cookie:?}"
        );
        set_cookie.split(';').next().unwrap().to_owned()
    }
}

impl TestApp {
    pub fn builder() -> AppBuilder {
        let healthy = |body: String| -> Responder {
            Arc::new(move |_: &RecordedRequest| StubReply::json(200, body.clone()))
        };
        AppBuilder {
            details: healthy(DETAILS_JSON.to_owned()),
            reviews: healthy(reviews_v1()),
            ratings: healthy(RATINGS_JSON.to_owned()),
            env: Vec::new(),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.address)
    }

    /// Any request; `headers` are added as given.
    pub async fn request(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&str>,
    ) -> TestResponse {
        request(&self.client, method, &self.url(path), headers, body).await
    }

    pub async fn get(&self, path: &str) -> TestResponse {
        self.request(Method::GET, path, &[], None).await
    }

    pub async fn get_with(&self, path: &str, headers: &[(&str, &str)]) -> TestResponse {
        self.request(Method::GET, path, headers, None).await
    }

    pub async fn health(&self) -> TestResponse {
        self.get("/health").await
    }

    pub async fn product_page(&self) -> TestResponse {
        self.get("/productpage").await
    }

    /// The product page with a session cookie (`session=…`).
    pub async fn product_page_as(&self, cookie: &str) -> TestResponse {
        self.get_with("/productpage", &[("cookie", cookie)]).await
    }

    pub async fn products(&self) -> TestResponse {
        self.get("/api/v1/products").await
    }

    pub async fn product_details(&self, id: &str) -> TestResponse {
        self.get(&format!("/api/v1/products/{id}")).await
    }

    pub async fn product_reviews(&self, id: &str) -> TestResponse {
        self.get(&format!("/api/v1/products/{id}/reviews")).await
    }

    pub async fn product_ratings(&self, id: &str) -> TestResponse {
        self.get(&format!("/api/v1/products/{id}/ratings")).await
    }

    pub async fn metrics(&self) -> TestResponse {
        self.get("/metrics").await
    }

    /// `POST /login` with a form body, as the page's form (and istio.io's curl) sends it.
    pub async fn login(&self, form: &str, headers: &[(&str, &str)]) -> TestResponse {
        let mut all = vec![("content-type", "application/x-www-form-urlencoded")];
        all.extend_from_slice(headers);
        self.request(Method::POST, "/login", &all, Some(form)).await
    }

    /// Signs in as `user` and returns the session cookie.
    pub async fn sign_in(&self, user: &str) -> String {
        let response = self
            .login(&format!("username={user}&passwd=password"), &[])
            .await;
        assert_eq!(response.status, StatusCode::FOUND);
        response.session_cookie()
    }

    pub async fn logout(&self, headers: &[(&str, &str)]) -> TestResponse {
        self.get_with("/logout", headers).await
    }
}
