//! The running Bookinfo under test and one method per thing a user does.

use std::net::SocketAddr;

use awc::Client;
use bookinfo::LocalBookinfo;
pub use chassis::testing::TestResponse;
use chassis::testing::send;

pub struct TestBookinfo {
    pub bookinfo: LocalBookinfo,
    client: Client,
}

pub async fn spawn_bookinfo() -> TestBookinfo {
    TestBookinfo {
        bookinfo: crate::local_bookinfo::start_bookinfo().await,
        client: Client::builder().disable_redirects().finish(),
    }
}

impl TestBookinfo {
    pub fn productpage(&self) -> SocketAddr {
        self.bookinfo.productpage
    }

    pub async fn get(&self, path: &str) -> TestResponse {
        self.get_with_cookie(path, None).await
    }

    pub async fn get_with_cookie(&self, path: &str, cookie: Option<&str>) -> TestResponse {
        let mut request = self
            .client
            .get(format!("http://{}{path}", self.productpage()));
        if let Some(cookie) = cookie {
            request = request.insert_header(("cookie", cookie));
        }
        send(request, None).await
    }

    pub async fn product_page(&self) -> TestResponse {
        self.get("/productpage").await
    }

    /// Signs in the way istio.io's scripts do: a form POST with no Referer. Returns the
    /// `name=value` of the session cookie.
    pub async fn login(&self, user: &str) -> (TestResponse, String) {
        let request = self
            .client
            .post(format!("http://{}/login", self.productpage()))
            .content_type("application/x-www-form-urlencoded");
        let answer = send(request, Some(format!("username={user}&passwd=password"))).await;
        let cookie = answer
            .headers
            .get_all("set-cookie")
            .filter_map(|value| value.to_str().ok())
            .find(|value| value.starts_with("session="))
            .and_then(|value| value.split(';').next())
            .unwrap_or_default()
            .to_owned();
        (answer, cookie)
    }
}

/// Which reviews pod served a page, from "Reviews served by".
pub fn served_by(page: &str) -> Option<&'static str> {
    ["reviews-v1-local", "reviews-v2-local", "reviews-v3-local"]
        .into_iter()
        .find(|pod| page.contains(pod))
}

/// Filled stars, counted the way istio.io's scripts count them.
pub fn filled_stars(page: &str) -> usize {
    page.matches("glyphicon glyphicon-star").count()
}
