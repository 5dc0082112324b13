//! Signing in as istio.io's scripts do, and the `end-user` header that routing rules match.

use crate::helpers::spawn_bookinfo;

#[actix_web::test]
async fn login_without_referer_redirects_to_productpage_and_shows_the_user() {
    let app = spawn_bookinfo().await;

    let (answer, cookie) = app.login("jason").await;
    assert_eq!(answer.status, 302);
    assert_eq!(answer.header("location"), "/productpage");
    assert!(!cookie.is_empty(), "a session cookie is set");

    let page = app.get_with_cookie("/productpage", Some(&cookie)).await;
    assert!(page.body.contains("jason"), "the page names the user");
    assert!(page.body.contains("Sign out"));
}

#[actix_web::test]
async fn logout_returns_to_the_anonymous_page() {
    let app = spawn_bookinfo().await;
    let (_, cookie) = app.login("jason").await;

    let logout = app.get_with_cookie("/logout", Some(&cookie)).await;
    assert_eq!(logout.status, 302);
    let cleared = logout.header("set-cookie");
    assert!(cleared.starts_with("session="), "{cleared}");

    let page = app.get("/productpage").await;
    assert!(!page.body.contains("Sign out"));
    assert!(page.body.contains("Sign in"));
}
