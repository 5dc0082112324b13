//! The running Bookinfo under test and one method per thing a user does.

use std::net::SocketAddr;

use awc::Client;
use bookinfo::{LocalBookinfo, Options};

pub struct TestBookinfo {
    pub bookinfo: LocalBookinfo,
    client: Client,
}

/// One fetched page or API answer.
pub struct Answer {
    pub status: u16,
    pub headers: awc::http::header::HeaderMap,
    pub body: String,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }
}

pub async fn spawn_bookinfo() -> TestBookinfo {
    chassis::telemetry::init_for_tests();
    let options = Options {
        productpage_port: 0,
        ..Options::default()
    };
    let bookinfo = LocalBookinfo::start(&options)
        .await
        .expect("bookinfo starts");
    chassis::testing::wait_ready(bookinfo.productpage, "/health")
        .await
        .expect("productpage ready");
    TestBookinfo {
        bookinfo,
        client: Client::builder().disable_redirects().finish(),
    }
}

impl TestBookinfo {
    pub fn productpage(&self) -> SocketAddr {
        self.bookinfo.productpage
    }

    pub async fn get(&self, path: &str) -> Answer {
        self.get_with_cookie(path, None).await
    }

    pub async fn get_with_cookie(&self, path: &str, cookie: Option<&str>) -> Answer {
        let mut request = self
            .client
            .get(format!("http://{}{path}", self.productpage()));
        if let Some(cookie) = cookie {
            request = request.insert_header(("cookie", cookie));
        }
        let mut response = request.send().await.expect("productpage answers");
        let body = response.body().limit(1 << 20).await.expect("body");
        Answer {
            status: response.status().as_u16(),
            headers: response.headers().clone(),
            body: String::from_utf8(body.to_vec()).expect("utf-8"),
        }
    }

    pub async fn product_page(&self) -> Answer {
        self.get("/productpage").await
    }

    /// Signs in the way istio.io's scripts do: a form POST with no Referer. Returns the
    /// `name=value` of the session cookie.
    pub async fn login(&self, user: &str) -> (Answer, String) {
        let mut response = self
            .client
            .post(format!("http://{}/login", self.productpage()))
            .send_form(&[("username", user), ("passwd", "password")])
            .await
            .expect("login answers");
        let cookie = response
            .headers()
            .get_all("set-cookie")
            .filter_map(|value| value.to_str().ok())
            .find(|value| value.starts_with("session="))
            .and_then(|value| value.split(';').next())
            .unwrap_or_default()
            .to_owned();
        let body = response.body().await.expect("body");
        let answer = Answer {
            status: response.status().as_u16(),
            headers: response.headers().clone(),
            body: String::from_utf8_lossy(&body).into_owned(),
        };
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
