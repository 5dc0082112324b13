//! `GET /reviews/{id}`: upstream's hand-built JSON for each version, the per-review ratings
//! error, and Java-int ids.

use chassis::testing::StubReply;
use reviews::ReviewsVersion;

use crate::helpers::{RATING_ERROR, TestApp, reviews_json, spawn_version, stars};

/// Upstream's v2 answer for product 0 (podname substituted), written out in full.
const UPSTREAM_V2_BODY: &str = r#"{"id": "0","podname": "reviews-v2-test","clustername": "null","reviews": [{  "reviewer": "Reviewer1",  "text": "An extremely entertaining play by Shakespeare. The slapstick humour is refreshing!", "rating": {"stars": 5, "color": "black"}},{  "reviewer": "Reviewer2",  "text": "Absolutely fun and entertaining. The play lacks thematic depth when compared to other plays by Shakespeare.", "rating": {"stars": 4, "color": "black"}}]}"#;

#[actix_web::test]
async fn reviews_returns_200_with_upstreams_v1_body_and_never_calls_ratings() {
    let app = spawn_version("v1").await;

    let response = app.reviews("0").await;

    assert_eq!(response.status.as_u16(), 200);
    assert_eq!(response.header("content-type"), "application/json");
    assert_eq!(
        response.body,
        reviews_json("0", "reviews-v1-test", "null", None)
    );
    assert!(!response.body.contains("rating"), "v1 has no rating key");
    assert!(app.ratings.requests().is_empty(), "v1 never calls ratings");
}

#[actix_web::test]
async fn reviews_returns_200_with_upstreams_v2_body_byte_for_byte() {
    let app = spawn_version("v2").await;

    let response = app.reviews("0").await;

    assert_eq!(response.status.as_u16(), 200);
    assert_eq!(response.header("content-type"), "application/json");
    assert_eq!(response.body, UPSTREAM_V2_BODY);
    let calls = app.ratings.requests();
    assert_eq!(calls.len(), 1);
    assert_eq!(
        (calls[0].method.as_str(), calls[0].path.as_str()),
        ("GET", "/ratings/0")
    );
}

#[actix_web::test]
async fn reviews_returns_200_with_red_stars_for_v3() {
    let app = spawn_version("v3").await;

    let response = app.reviews("0").await;

    assert_eq!(response.status.as_u16(), 200);
    assert_eq!(
        response.body,
        reviews_json(
            "0",
            "reviews-v3-test",
            "null",
            Some([&stars(5, "red"), &stars(4, "red")])
        )
    );
}

#[actix_web::test]
async fn reviews_returns_200_with_the_compiled_in_version_when_service_version_is_unset() {
    let app = TestApp::builder().env("HOSTNAME", "pod").spawn().await;

    let response = app.reviews("0").await;

    let version = ReviewsVersion::compiled_default();
    let expected = version.ratings_enabled().then(|| {
        [
            stars(5, version.star_color()),
            stars(4, version.star_color()),
        ]
    });
    assert_eq!(
        response.body,
        reviews_json(
            "0",
            "pod",
            "null",
            expected.as_ref().map(|[a, b]| [a.as_str(), b.as_str()])
        ),
        "compiled default {version}"
    );
    assert_eq!(
        app.ratings.requests().len(),
        usize::from(version.ratings_enabled())
    );
}

#[actix_web::test]
async fn reviews_returns_200_with_the_cluster_name_when_set() {
    let app = TestApp::builder()
        .version("v1")
        .env("HOSTNAME", "reviews-v1-abc")
        .env("CLUSTER_NAME", "cluster-east")
        .spawn()
        .await;

    let response = app.reviews("0").await;

    assert_eq!(
        response.body,
        reviews_json("0", "reviews-v1-abc", "cluster-east", None)
    );
}

#[actix_web::test]
async fn reviews_returns_200_with_podname_null_when_hostname_is_unset() {
    let app = TestApp::builder().version("v1").spawn().await;

    let response = app.reviews("0").await;

    assert_eq!(response.body, reviews_json("0", "null", "null", None));
}

#[actix_web::test]
async fn reviews_returns_valid_json_when_the_pod_name_and_colour_hold_quotes() {
    let app = TestApp::builder()
        .version("v3")
        .env("HOSTNAME", r#"pod"x\"#)
        .env("STAR_COLOR", r#"hot "pink""#)
        .spawn()
        .await;

    let response = app.reviews("0").await;

    assert_eq!(response.status.as_u16(), 200);
    assert!(
        response
            .body
            .starts_with(r#"{"id": "0","podname": "pod\"x\\","clustername": "null","#),
        "{}",
        response.body
    );
    let json = response.json();
    assert_eq!(json["podname"], r#"pod"x\"#);
    assert_eq!(json["reviews"][1]["rating"]["color"], r#"hot "pink""#);
}

#[actix_web::test]
async fn reviews_returns_200_with_each_answer_of_ratings_as_it_changes() {
    // Each request's answer is read afresh: the same bytes twice, then other stars, an error,
    // the first stars again, and a product of its own.
    let answers = [
        (200, r#"{"id":0,"ratings":{"Reviewer1":5,"Reviewer2":4}}"#),
        (200, r#"{"id":0,"ratings":{"Reviewer1":5,"Reviewer2":4}}"#),
        (200, r#"{"id":0,"ratings":{"Reviewer1":1,"Reviewer2":2}}"#),
        (503, r#"{"error":"Service unavailable"}"#),
        (200, r#"{"id":0,"ratings":{"Reviewer1":5,"Reviewer2":4}}"#),
        (200, r#"{"id":7,"ratings":{"Reviewer1":5,"Reviewer2":4}}"#),
    ];
    let served = std::sync::atomic::AtomicUsize::new(0);
    let app = TestApp::builder()
        .version("v3")
        .env("HOSTNAME", "p")
        .ratings_with(move |_| {
            let next = served.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let (status, body) = answers[next.min(answers.len() - 1)];
            StubReply::json(status, body)
        })
        .spawn()
        .await;
    let red = |n| stars(n, "red");
    let expected = [
        ("0", Some([red(5), red(4)])),
        ("0", Some([red(5), red(4)])),
        ("0", Some([red(1), red(2)])),
        ("0", None),
        ("0", Some([red(5), red(4)])),
        ("7", Some([red(5), red(4)])),
    ];

    for (request, (id, ratings)) in expected.iter().enumerate() {
        let response = app.reviews(id).await;

        let shown = match ratings {
            Some([first, second]) => [first.as_str(), second.as_str()],
            None => [RATING_ERROR, RATING_ERROR],
        };
        assert_eq!(response.status.as_u16(), 200, "request {request}");
        assert_eq!(
            response.body,
            reviews_json(id, "p", "null", Some(shown)),
            "request {request}"
        );
    }
}

#[actix_web::test]
async fn reviews_returns_200_with_the_error_for_only_the_reviewer_ratings_lacks() {
    let app = TestApp::builder()
        .version("v2")
        .env("HOSTNAME", "p")
        .ratings(StubReply::json(
            200,
            r#"{"id":0,"ratings":{"Reviewer1":3}}"#,
        ))
        .spawn()
        .await;

    let response = app.reviews("0").await;

    assert_eq!(response.status.as_u16(), 200);
    assert_eq!(
        response.body,
        reviews_json("0", "p", "null", Some([&stars(3, "black"), RATING_ERROR]))
    );
}

#[actix_web::test]
async fn reviews_returns_200_with_zero_stars_and_the_error_for_stars_out_of_range() {
    let app = TestApp::builder()
        .version("v3")
        .env("HOSTNAME", "p")
        .ratings(StubReply::json(
            200,
            r#"{"ratings":{"Reviewer1":0,"Reviewer2":6}}"#,
        ))
        .spawn()
        .await;

    let response = app.reviews("0").await;

    assert_eq!(
        response.body,
        reviews_json("0", "p", "null", Some([&stars(0, "red"), RATING_ERROR]))
    );
}

#[actix_web::test]
async fn reviews_returns_200_with_the_error_for_both_reviewers_when_ratings_fails() {
    let cases = [
        (
            "ratings answers 503",
            Some(StubReply::json(503, r#"{"error":"Service unavailable"}"#)),
        ),
        ("ratings is down", None),
        (
            "ratings answers a 200 that is not JSON",
            Some(StubReply::not_json()),
        ),
        (
            "ratings answers a 200 with an error object",
            Some(StubReply::json(
                200,
                r#"{"error":"could not connect to ratings database"}"#,
            )),
        ),
        (
            "ratings answers stars that are not integers",
            Some(StubReply::json(
                200,
                r#"{"ratings":{"Reviewer1":"5","Reviewer2":4.5}}"#,
            )),
        ),
    ];
    for (case, reply) in cases {
        let builder = TestApp::builder().version("v2").env("HOSTNAME", "p");
        let app = match reply {
            Some(reply) => builder.ratings(reply).spawn().await,
            None => builder.ratings_down().spawn().await,
        };

        let response = app.reviews("0").await;

        assert_eq!(response.status.as_u16(), 200, "{case}");
        assert_eq!(
            response.body,
            reviews_json("0", "p", "null", Some([RATING_ERROR, RATING_ERROR])),
            "{case}"
        );
    }
}

#[actix_web::test]
async fn reviews_returns_200_for_java_ints_and_asks_ratings_for_the_normalised_id() {
    let app = spawn_version("v2").await;
    let cases = [
        ("+5", "5"),
        ("-1", "-1"),
        ("007", "7"),
        ("2147483647", "2147483647"),
        ("-2147483648", "-2147483648"),
    ];

    for (raw, id) in cases {
        let response = app.reviews(raw).await;

        assert_eq!(response.status.as_u16(), 200, "{raw}");
        assert_eq!(response.json()["id"], id, "{raw}: the id is a string");
        let last = app.ratings.requests().pop().unwrap();
        assert_eq!(last.path, format!("/ratings/{id}"), "{raw}");
    }
}

#[actix_web::test]
async fn reviews_returns_404_with_a_message_when_the_id_is_not_a_java_int() {
    let app = spawn_version("v2").await;

    for raw in [
        "2147483648",
        "-2147483649",
        "abc",
        "1.5",
        "0x1A",
        "%20",
        "+",
        "1e3",
    ] {
        let response = app.reviews(raw).await;

        assert_eq!(response.status.as_u16(), 404, "{raw}");
        assert_eq!(response.header("content-type"), "application/json", "{raw}");
        assert!(
            response.json()["error"]
                .as_str()
                .unwrap()
                .contains("integer"),
            "{raw}: {}",
            response.body
        );
    }
    assert!(
        app.ratings.requests().is_empty(),
        "no ratings call for a bad id"
    );
}
