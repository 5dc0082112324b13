//! Signing in through the page's own form, and signing out again.

use fantoccini::Locator;

use crate::local_bookinfo::start_bookinfo;
use crate::pages::visible_text;
use crate::webdriver::{Browser, Viewport, screenshot};

async fn sign_in_and_out(viewport: Viewport) {
    let bookinfo = start_bookinfo().await;
    let browser = Browser::launch(viewport).await;
    let client = &browser.client;
    client
        .goto(&format!("http://{}/productpage", bookinfo.productpage))
        .await
        .expect("page loads");

    client
        .find(Locator::Id("sign-in-button"))
        .await
        .expect("a Sign in button")
        .click()
        .await
        .expect("click Sign in");
    let username = client
        .wait()
        .for_element(Locator::Id("username"))
        .await
        .unwrap();
    username.send_keys("jason").await.expect("type the user");
    client
        .find(Locator::Id("password"))
        .await
        .expect("a password field")
        .send_keys("password")
        .await
        .expect("type the password");
    screenshot(client, &format!("sign-in-form-{}", viewport.label())).await;
    client
        .find(Locator::Css("form[action='login'] [type='submit']"))
        .await
        .expect("a submit button in the login form")
        .click()
        .await
        .expect("submit");

    let sign_out = client
        .wait()
        .for_element(Locator::LinkText("Sign out"))
        .await
        .unwrap();
    let text = visible_text(client).await;
    assert!(text.contains("jason"), "the signed-in page names the user");
    assert!(client.current_url().await.unwrap().path() == "/productpage");
    screenshot(client, &format!("signed-in-{}", viewport.label())).await;

    sign_out.click().await.expect("click Sign out");
    client
        .wait()
        .for_element(Locator::Id("sign-in-button"))
        .await
        .unwrap();
    let text = visible_text(client).await;
    assert!(!text.contains("Sign out"), "signed out again");
    browser.close().await;
}

#[actix_web::test]
async fn signing_in_as_jason_shows_the_name_and_signing_out_returns_to_anonymous() {
    sign_in_and_out(Viewport::Desktop).await;
}

#[actix_web::test]
async fn signing_in_works_at_phone_width() {
    sign_in_and_out(Viewport::Phone).await;
}
