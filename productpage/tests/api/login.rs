//! `POST /login` and `GET /logout`, and what the session changes on the page.

use crate::helpers::{SessionCookie, TestApp, spawn_app};

#[actix_web::test]
async fn login_returns_302_to_productpage_with_a_session_when_there_is_no_referer() {
    let app = spawn_app().await;

    // istio.io's helper: curl -c jar --data 'username=jason&passwd=password' http://HOST/login
    let response = app.login("username=jason&passwd=password", &[]).await;

    assert_eq!(response.status.as_u16(), 302);
    assert_eq!(response.header("location"), "/productpage");
    let cookie = response.header("set-cookie");
    assert!(cookie.starts_with("session="), "{cookie}");
    for flag in ["HttpOnly", "Path=/", "SameSite=Lax"] {
        assert!(cookie.contains(flag), "{flag} missing: {cookie}");
    }
    assert!(
        !cookie.contains("Max-Age") && !cookie.contains("Expires"),
        "a browser-session cookie"
    );
    assert_eq!(response.header("vary"), "Cookie");
}

#[actix_web::test]
async fn login_then_productpage_returns_200_with_the_user_and_sign_out() {
    let app = spawn_app().await;
    let cookie = app.sign_in("jason").await;

    let response = app.product_page_as(&cookie).await;

    assert_eq!(response.status.as_u16(), 200);
    assert!(response.body.contains(">jason</p>"));
    assert!(response.body.contains(r#"href="logout">Sign out</a>"#));
    assert!(!response.body.contains("sign-in-button"));
    assert_eq!(response.header("vary"), "Cookie");
}

#[actix_web::test]
async fn login_returns_302_to_the_referers_path_and_query_when_the_referer_is_this_host() {
    let app = spawn_app().await;
    let referer = format!("http://{}/productpage?u=test", app.address);

    let response = app
        .login("username=jason&passwd=x", &[("referer", &referer)])
        .await;

    assert_eq!(response.status.as_u16(), 302);
    assert_eq!(response.header("location"), "/productpage?u=test");
}

#[actix_web::test]
async fn login_returns_302_to_productpage_when_the_referer_is_not_this_host() {
    let app = spawn_app().await;
    let this_host = app.address.to_string();
    let cases = [
        "https://evil.example/phish".to_owned(),
        format!("http://evil.example/{this_host}"),
        format!("http://{this_host}//evil.example/phish"),
        format!("http://someone@{this_host}/productpage"),
        "/productpage?relative".to_owned(),
        "None".to_owned(),
    ];

    for referer in cases {
        let response = app
            .login("username=jason&passwd=x", &[("referer", &referer)])
            .await;

        assert_eq!(response.status.as_u16(), 302, "{referer}");
        assert_eq!(
            response.header("location"),
            "/productpage",
            "Referer {referer}"
        );
    }
}

#[actix_web::test]
async fn login_returns_302_signed_in_when_the_username_is_in_the_query_string() {
    let app = spawn_app().await;

    let response = app.login("passwd=x", &[]).await;
    assert!(
        response.header("set-cookie").contains("Max-Age=0"),
        "no user in the form"
    );

    let response = app
        .request(
            actix_web::http::Method::POST,
            "/login?username=alice",
            &[],
            None,
        )
        .await;
    assert_eq!(response.status.as_u16(), 302);
    let page = app.product_page_as(&response.session_cookie()).await;
    assert!(page.body.contains(">alice</p>"));
}

#[actix_web::test]
async fn login_returns_302_signed_out_when_the_username_is_empty_or_missing() {
    let app = spawn_app().await;

    for form in ["username=&passwd=x", "passwd=x", ""] {
        let response = app.login(form, &[]).await;

        assert_eq!(response.status.as_u16(), 302, "{form:?}");
        let cookie = response.header("set-cookie");
        assert!(cookie.contains("Max-Age=0"), "{form:?}: {cookie}");
        let page = app.product_page_as(&response.session_cookie()).await;
        assert!(page.body.contains(r#"id="sign-in-button""#), "{form:?}");
        assert!(!page.body.contains("Sign out"), "{form:?}");
    }
}

#[actix_web::test]
async fn login_returns_400_when_the_username_is_too_long() {
    let app = spawn_app().await;

    let response = app
        .login(&format!("username={}&passwd=x", "a".repeat(300)), &[])
        .await;

    assert_eq!(response.status.as_u16(), 400);
    assert!(response.header("set-cookie").is_empty());
}

#[actix_web::test]
async fn login_returns_413_and_keeps_the_session_when_the_form_is_16_kib_or_more() {
    let app = spawn_app().await;
    let cookie = app.sign_in("jason").await;
    // Exactly 16 KiB: the smallest form refused.
    let form = format!("username=mallory&passwd={}", "x".repeat(16 * 1024 - 24));
    assert_eq!(form.len(), 16 * 1024);

    let response = app.login(&form, &[("cookie", &cookie)]).await;

    assert_eq!(response.status.as_u16(), 413);
    assert!(
        response.body.contains("16384 bytes or more"),
        "{}",
        response.body
    );
    assert!(
        response.header("set-cookie").is_empty(),
        "the session is left alone"
    );
    let page = app.product_page_as(&cookie).await;
    assert!(page.body.contains(">jason</p>"));
}

#[actix_web::test]
async fn login_signs_in_when_the_form_is_just_under_16_kib() {
    let app = spawn_app().await;
    let form = format!("username=alice&passwd={}", "x".repeat(16 * 1024 - 23));
    assert_eq!(form.len(), 16 * 1024 - 1);

    let response = app.login(&form, &[]).await;

    assert_eq!(response.status.as_u16(), 302);
    let cookie = response.header("set-cookie");
    assert!(
        cookie.starts_with("session=") && !cookie.contains("Max-Age"),
        "signed in: {cookie}"
    );
}

#[actix_web::test]
async fn login_returns_400_when_the_username_has_a_control_character() {
    let app = spawn_app().await;

    for name in ["ja%0Dson", "ja%0Ason", "ja%00son", "ja%7Fson"] {
        let response = app.login(&format!("username={name}&passwd=x"), &[]).await;

        assert_eq!(response.status.as_u16(), 400, "{name}");
        assert!(
            response.body.contains("control character"),
            "{name}: {}",
            response.body
        );
        assert!(response.header("set-cookie").is_empty(), "{name}");
    }
}

#[actix_web::test]
async fn productpage_returns_200_signed_out_when_the_session_cookie_is_tampered_with() {
    let app = spawn_app().await;
    let cookie = app.sign_in("jason").await;
    let forged = cookie.replace("jason", "admin");
    let unsigned = "session=jason".to_owned();

    for cookie in [forged, unsigned] {
        let page = app.product_page_as(&cookie).await;

        assert_eq!(page.status.as_u16(), 200);
        assert!(page.body.contains(r#"id="sign-in-button""#), "{cookie}");
        assert!(
            !page.body.contains("admin") && !page.body.contains(">jason</p>"),
            "{cookie}"
        );
    }
}

#[actix_web::test]
async fn productpage_returns_200_with_the_user_name_escaped() {
    let app = spawn_app().await;
    // `<b>x"&</b>`, form-encoded.
    let response = app
        .login("username=%3Cb%3Ex%22%26%3C%2Fb%3E&passwd=x", &[])
        .await;

    let page = app.product_page_as(&response.session_cookie()).await;

    assert!(
        page.body.contains("&lt;b&gt;x&#34;&amp;&lt;/b&gt;"),
        "escaped user name"
    );
    assert!(!page.body.contains("<b>x"));
}

#[actix_web::test]
async fn productpage_returns_200_with_the_sign_in_form_when_signed_out() {
    let app = spawn_app().await;

    let page = app.product_page().await.body;

    assert!(page.contains(r#"<button type="button" class="button" id="sign-in-button" popovertarget="sign-in-dialog">Sign in</button>"#));
    assert!(page.contains(r#"method="post" action="login""#));
    assert!(page.contains(r#"id="username" name="username""#));
    assert!(page.contains(r#"type="password" id="password" name="passwd""#));
    assert!(page.contains(r#"type="submit""#));
    assert!(!page.contains("Sign out"));
}

#[actix_web::test]
async fn logout_returns_302_and_expires_the_session_cookie() {
    let app = spawn_app().await;
    let cookie = app.sign_in("jason").await;
    let referer = format!("http://{}/productpage", app.address);

    let response = app
        .logout(&[("cookie", &cookie), ("referer", &referer)])
        .await;

    assert_eq!(response.status.as_u16(), 302);
    assert_eq!(response.header("location"), "/productpage");
    let set_cookie = response.header("set-cookie");
    assert!(set_cookie.starts_with("session=;"), "{set_cookie}");
    assert!(set_cookie.contains("Max-Age=0"), "{set_cookie}");
    assert!(
        set_cookie.contains("Expires=Thu, 01 Jan 1970 00:00:00 GMT"),
        "{set_cookie}"
    );
    assert!(
        set_cookie.contains("Path=/") && set_cookie.contains("HttpOnly"),
        "{set_cookie}"
    );
    assert_eq!(response.header("vary"), "Cookie");
}

#[actix_web::test]
async fn logout_returns_302_to_productpage_when_there_is_no_referer_or_a_foreign_one() {
    let app = spawn_app().await;

    for headers in [vec![], vec![("referer", "http://evil.example/")]] {
        let response = app.logout(&headers).await;

        assert_eq!(response.status.as_u16(), 302);
        assert_eq!(response.header("location"), "/productpage", "{headers:?}");
    }
}

#[actix_web::test]
async fn sessions_signed_by_one_instance_are_accepted_by_another_with_the_same_secret() {
    let first = spawn_app().await;
    let second = spawn_app().await;
    let cookie = first.sign_in("jason").await;

    let page = second.product_page_as(&cookie).await;

    assert!(page.body.contains(">jason</p>"));
}

#[actix_web::test]
async fn login_returns_408_when_the_form_stalls() {
    let app = TestApp::builder()
        .env("SERVER_REQUEST_TIMEOUT_MS", "200")
        .spawn()
        .await;

    let answer = chassis::testing::raw_exchange(
        app.address,
        b"POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n\
          Content-Length: 100\r\n\r\nus",
    )
    .await;

    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(!answer.contains("set-cookie"), "{answer}");
}
