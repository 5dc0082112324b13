//! The `/api/v1/products` API through productpage, in upstream's Python-style JSON.

use crate::helpers::spawn_bookinfo;

#[actix_web::test]
async fn product_details_come_back_in_python_style_json() {
    let app = spawn_bookinfo().await;

    let answer = app.get("/api/v1/products/0").await;

    assert_eq!(answer.status, 200);
    assert_eq!(
        answer.body,
        r#"{"id": 0, "author": "William Shakespeare", "year": 1595, "type": "paperback", "pages": 200, "publisher": "PublisherA", "language": "English", "ISBN-10": "1234567890", "ISBN-13": "123-1234567890"}"#
    );
}

#[actix_web::test]
async fn product_ratings_come_back_in_python_style_json() {
    let app = spawn_bookinfo().await;

    let answer = app.get("/api/v1/products/0/ratings").await;

    assert_eq!(answer.status, 200);
    assert_eq!(
        answer.body,
        r#"{"id": 0, "ratings": {"Reviewer1": 5, "Reviewer2": 4}}"#
    );
}

#[actix_web::test]
async fn a_non_numeric_product_id_is_a_400_with_the_details_message() {
    let app = spawn_bookinfo().await;

    let answer = app.get("/api/v1/products/abc").await;

    assert_eq!(answer.status, 400);
    assert_eq!(
        answer.body,
        r#"{"error": "Sorry, product details are currently unavailable for this book."}"#
    );
}
