//! `GET /` and `GET /index.html`: the landing page.

use crate::helpers::spawn_app;

#[actix_web::test]
async fn index_returns_200_with_the_welcome_text_and_links_on_both_paths() {
    let app = spawn_app().await;

    for path in ["/", "/index.html"] {
        let response = app.get(path).await;

        assert_eq!(response.status.as_u16(), 200, "{path}");
        assert_eq!(
            response.header("content-type"),
            "text/html; charset=utf-8",
            "{path}"
        );
        let page = &response.body;
        assert!(
            page.contains("<title>Simple Bookstore App</title>"),
            "{path}"
        );
        assert!(
            page.contains("Hello! This is a simple bookstore application consisting of three services as shown below"),
            "{path}"
        );
        assert!(
            page.contains("Click on one of the links below to auto generate a request to the backend as a real user or a tester"),
            "{path}"
        );
        assert!(
            page.contains(r#"href="/productpage?u=normal">Normal user</a>"#),
            "{path}"
        );
        assert!(
            page.contains(r#"href="/productpage?u=test">Test user</a>"#),
            "{path}"
        );
    }
}

#[actix_web::test]
async fn index_returns_200_with_a_table_of_the_configured_service_addresses() {
    let app = spawn_app().await;

    let page = app.get("/").await.body;

    assert!(page.contains(r#"id="service-table""#));
    for (name, backend) in [
        ("details", &app.details),
        ("reviews", &app.reviews),
        ("ratings", &app.ratings),
    ] {
        assert!(
            page.contains(&format!("<th scope=\"row\">{name}</th>")),
            "{name} row"
        );
        assert!(
            page.contains(&backend.base_url()),
            "{name} address {}",
            backend.base_url()
        );
    }
}

#[actix_web::test]
async fn index_returns_200_without_calling_any_backend() {
    let app = spawn_app().await;

    app.get("/").await;

    assert!(app.details.requests().is_empty() && app.reviews.requests().is_empty());
}
