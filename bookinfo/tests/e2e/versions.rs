//! Before any routing rule, consecutive pages come from reviews v1, v2 and v3 in turn.

use crate::helpers::{filled_stars, served_by, spawn_bookinfo};

#[actix_web::test]
async fn productpage_rotates_through_the_three_reviews_versions() {
    let app = spawn_bookinfo().await;

    let mut seen = Vec::new();
    for _ in 0..6 {
        let page = app.product_page().await;
        assert_eq!(page.status, 200);
        let pod = served_by(&page.body).expect("the page names the reviews pod");
        seen.push((pod, filled_stars(&page.body), page.body));
    }

    let pods: std::collections::BTreeSet<_> = seen.iter().map(|(pod, _, _)| *pod).collect();
    assert_eq!(pods.len(), 3, "all three versions serve pages: {pods:?}");
    for (pod, stars, page) in &seen {
        match *pod {
            "reviews-v1-local" => assert_eq!(*stars, 0, "v1 shows no stars"),
            "reviews-v2-local" => {
                assert_eq!(*stars, 9, "v2 shows 5 + 4 stars");
                assert!(page.contains("stars-black"), "v2 stars are black");
                assert!(!page.contains("stars-red"));
            }
            _ => {
                assert_eq!(*stars, 9, "v3 shows 5 + 4 stars");
                assert!(page.contains("stars-red"), "v3 stars are red");
                assert!(!page.contains("stars-black"));
            }
        }
        assert!(page.contains("<title>Simple Bookstore App</title>"));
        assert!(page.contains("Book Details") && page.contains("Book Reviews"));
        assert!(page.contains("Reviewer1") && page.contains("Reviewer2"));
        assert!(page.contains("PublisherA"));
    }
}

#[actix_web::test]
async fn reviews_api_reports_each_version_in_turn() {
    let app = spawn_bookinfo().await;

    let mut shapes = std::collections::BTreeSet::new();
    for _ in 0..3 {
        let answer = app.get("/api/v1/products/0/reviews").await;
        assert_eq!(answer.status, 200);
        let json: serde_json::Value = serde_json::from_str(&answer.body).expect("JSON");
        assert_eq!(json["id"], "0", "id is a string, as upstream");
        let rating = &json["reviews"][0]["rating"];
        shapes.insert(match rating["color"].as_str() {
            None => "none".to_owned(),
            Some(color) => format!("{color} {}", rating["stars"]),
        });
    }

    let expected: std::collections::BTreeSet<_> = ["none", "black 5", "red 5"]
        .into_iter()
        .map(String::from)
        .collect();
    assert_eq!(shapes, expected);
}
