//! The product page and the landing page as rendered, at desktop and phone widths.

use fantoccini::{Client, Locator};
use serde_json::Value;

use crate::local_bookinfo::start_bookinfo;
use crate::webdriver::{Browser, Viewport, screenshot};

pub async fn visible_text(client: &Client) -> String {
    client
        .find(Locator::Css("body"))
        .await
        .expect("a body")
        .text()
        .await
        .expect("its text")
}

async fn script(client: &Client, source: &str) -> Value {
    client.execute(source, vec![]).await.expect("script runs")
}

/// The layout fits the viewport: nothing forces sideways scrolling.
async fn assert_no_horizontal_overflow(client: &Client, what: &str) {
    let widths = script(
        client,
        "return [document.documentElement.scrollWidth, window.innerWidth];",
    )
    .await;
    let (content, viewport) = (widths[0].as_f64().unwrap(), widths[1].as_f64().unwrap());
    assert!(
        content <= viewport,
        "{what}: content {content}px wider than viewport {viewport}px"
    );
}

/// Every filled star: its count, whether each is drawn inside the viewport, and its colour.
async fn filled_stars(client: &Client) -> Vec<(bool, String)> {
    let stars = script(
        client,
        r#"return Array.from(document.querySelectorAll('[class*="glyphicon-star"], [id*="glyphicon-star"]'))
              .filter(e => (e.getAttribute('class') || '').includes('glyphicon glyphicon-star')
                        || (e.id || '').includes('glyphicon glyphicon-star'))
              .map(e => { const r = e.getBoundingClientRect();
                          return [r.width > 0 && r.height > 0 && r.left >= 0 && r.right <= window.innerWidth,
                                  getComputedStyle(e).color]; });"#,
    )
    .await;
    stars
        .as_array()
        .unwrap()
        .iter()
        .map(|star| {
            (
                star[0].as_bool().unwrap(),
                star[1].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// `rgb(r, g, b)` → (r, g, b).
fn rgb(colour: &str) -> (u32, u32, u32) {
    let inner = colour
        .trim_start_matches("rgba(")
        .trim_start_matches("rgb(")
        .trim_end_matches(')');
    let parts: Vec<u32> = inner
        .split(',')
        .take(3)
        .map(|part| part.trim().parse().unwrap())
        .collect();
    (parts[0], parts[1], parts[2])
}

async fn check_product_page(viewport: Viewport) {
    let bookinfo = start_bookinfo().await;
    let browser = Browser::launch(viewport).await;
    let client = &browser.client;
    let url = format!("http://{}/productpage", bookinfo.productpage);

    let mut versions_seen = Vec::new();
    for _ in 0..3 {
        client.goto(&url).await.expect("page loads");
        assert_eq!(client.title().await.unwrap(), "Simple Bookstore App");
        let text = visible_text(client).await;
        for expected in [
            "The Comedy of Errors",
            "Book Details",
            "PublisherA",
            "1234567890",
            "Book Reviews",
            "Reviewer1",
            "Reviewer2",
            "An extremely entertaining play by Shakespeare",
            "Reviews served by",
        ] {
            assert!(
                text.contains(expected),
                "{}: {expected:?} not shown",
                viewport.label()
            );
        }
        let version = ["v1", "v2", "v3"]
            .into_iter()
            .find(|version| text.contains(&format!("reviews-{version}-local")))
            .expect("the reviews pod is named");
        let stars = filled_stars(client).await;
        match version {
            "v1" => assert!(stars.is_empty(), "v1 shows no stars"),
            _ => {
                assert_eq!(stars.len(), 9, "{version}: 5 + 4 filled stars");
                for (visible, colour) in &stars {
                    assert!(visible, "{version}: a star is hidden or off screen");
                    let (red, green, blue) = rgb(colour);
                    if version == "v2" {
                        assert!(
                            red < 90 && green < 90 && blue < 90,
                            "v2 stars black: {colour}"
                        );
                    } else {
                        assert!(
                            red > 150 && green < 100 && blue < 100,
                            "v3 stars red: {colour}"
                        );
                    }
                }
            }
        }
        assert_no_horizontal_overflow(client, &format!("{version} {}", viewport.label())).await;
        screenshot(
            client,
            &format!("productpage-{version}-{}", viewport.label()),
        )
        .await;
        // The stars sit below the fold on a phone: a second picture shows them.
        script(
            client,
            "document.getElementById('reviews').scrollIntoView();",
        )
        .await;
        screenshot(
            client,
            &format!("productpage-{version}-{}-reviews", viewport.label()),
        )
        .await;
        versions_seen.push(version);
    }
    versions_seen.sort_unstable();
    assert_eq!(versions_seen, ["v1", "v2", "v3"]);
    browser.close().await;
}

#[actix_web::test]
async fn product_page_shows_every_reviews_version_at_desktop_width() {
    check_product_page(Viewport::Desktop).await;
}

#[actix_web::test]
async fn product_page_shows_every_reviews_version_at_phone_width() {
    check_product_page(Viewport::Phone).await;
}

#[actix_web::test]
async fn product_page_shows_the_details_error_and_the_reviews_when_details_is_stopped() {
    let bookinfo = start_bookinfo().await;
    bookinfo.stop("details-v1").await.expect("details stops");
    let browser = Browser::launch(Viewport::Desktop).await;
    let client = &browser.client;

    client
        .goto(&format!("http://{}/productpage", bookinfo.productpage))
        .await
        .expect("page loads");

    let text = visible_text(client).await;
    assert!(text.contains("Error fetching product details"));
    assert!(text.contains("Sorry, product details are currently unavailable for this book."));
    assert!(text.contains("Book Reviews") && text.contains("Reviewer1"));
    screenshot(client, "productpage-details-down-desktop-1280").await;
    browser.close().await;
}

#[actix_web::test]
async fn landing_page_links_open_the_product_page_as_normal_and_test_user() {
    let bookinfo = start_bookinfo().await;
    let browser = Browser::launch(Viewport::Desktop).await;
    let client = &browser.client;
    let landing = format!("http://{}/", bookinfo.productpage);

    for (link, query) in [("Normal user", "u=normal"), ("Test user", "u=test")] {
        client.goto(&landing).await.expect("landing page loads");
        let text = visible_text(client).await;
        assert!(text.contains("Hello! This is a simple bookstore application"));
        client
            .find(Locator::LinkText(link))
            .await
            .unwrap_or_else(|_| panic!("a {link:?} link"))
            .click()
            .await
            .expect("click");
        client
            .wait()
            .for_url(&url::Url::parse(&format!("{landing}productpage?{query}")).unwrap())
            .await
            .expect("navigates to the product page");
        assert_eq!(client.title().await.unwrap(), "Simple Bookstore App");
    }
    screenshot(client, "landing-desktop-1280").await;
    browser.close().await;
}
