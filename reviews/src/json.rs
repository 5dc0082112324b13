//! reviews' answers, written by hand in upstream's exact spacing (`{"id": "0","podname": ...`),
//! since clients may compare the bytes. Every answer body is produced here and nowhere else.

use std::fmt::Write as _;

use serde_json::Value;

use crate::config::StarColor;
use crate::review::{REVIEWS, Rating};

/// `GET /health`, space after the colon included.
pub const HEALTH: &str = r#"{"status": "Reviews is healthy"}"#;

/// Everything one `GET /reviews/{id}` answer shows.
#[derive(Debug, Clone, Copy)]
pub struct ReviewsAnswer<'a> {
    pub product_id: i32,
    pub podname: &'a str,
    pub clustername: &'a str,
    /// `None` when ratings are off (v1): the reviews then have no `rating` key at all.
    pub ratings: Option<ShownRatings<'a>>,
}

/// The ratings part of an answer: the colour, and each review's rating in [`REVIEWS`] order.
#[derive(Debug, Clone, Copy)]
pub struct ShownRatings<'a> {
    pub color: &'a StarColor,
    pub per_review: [Rating; REVIEWS.len()],
}

impl ReviewsAnswer<'_> {
    /// The body, byte for byte as upstream builds it; values from the environment are escaped
    /// as JSON strings, which leaves ordinary names unchanged.
    pub fn to_json(&self) -> String {
        AnswerTemplate::new(self.podname, self.clustername)
            .render(self.product_id, self.ratings.as_ref())
    }
}

/// What every answer of one process shares (the pod and cluster names, each review's reviewer
/// and text), written and escaped once rather than per request.
#[derive(Debug, Clone)]
pub struct AnswerTemplate {
    /// `","podname": "...","clustername": "...","reviews": [`: what follows the id.
    after_id: String,
    /// Each review's `{  "reviewer": "...",  "text": "..."`, in [`REVIEWS`] order.
    review_heads: [String; REVIEWS.len()],
}

impl AnswerTemplate {
    pub fn new(podname: &str, clustername: &str) -> Self {
        let mut after_id = String::from(r#"","podname": "#);
        push_string(&mut after_id, podname);
        after_id.push_str(r#","clustername": "#);
        push_string(&mut after_id, clustername);
        after_id.push_str(r#","reviews": ["#);
        let review_heads = REVIEWS.map(|review| {
            let mut head = String::from(r#"{  "reviewer": "#);
            push_string(&mut head, review.reviewer);
            head.push_str(r#",  "text": "#);
            push_string(&mut head, review.text);
            head
        });
        Self {
            after_id,
            review_heads,
        }
    }

    /// The answer for `product_id` with `ratings` (none: v1, no `rating` key).
    pub fn render(&self, product_id: i32, ratings: Option<&ShownRatings<'_>>) -> String {
        let mut out = String::with_capacity(640);
        out.push_str(r#"{"id": ""#);
        // Writing into a String cannot fail.
        let _ = write!(out, "{product_id}");
        out.push_str(&self.after_id);
        for (index, head) in self.review_heads.iter().enumerate() {
            if index > 0 {
                out.push(',');
            }
            out.push_str(head);
            if let Some(ratings) = ratings {
                out.push_str(r#", "rating": {"#);
                match ratings.per_review[index] {
                    Rating::Stars(stars) => {
                        out.push_str(r#""stars": "#);
                        let _ = write!(out, "{}", stars.get());
                        out.push_str(r#", "color": "#);
                        push_string(&mut out, ratings.color.as_str());
                    }
                    Rating::Unavailable => {
                        out.push_str(r#""error": "#);
                        push_string(&mut out, Rating::UNAVAILABLE_MESSAGE);
                    }
                }
                out.push('}');
            }
            out.push('}');
        }
        out.push_str("]}");
        out
    }
}

/// A JSON error answer, `{"error": "..."}` in the same spacing.
pub fn error(message: &str) -> String {
    let mut out = String::from(r#"{"error": "#);
    push_string(&mut out, message);
    out.push('}');
    out
}

/// Appends `value` as a quoted, escaped JSON string.
fn push_string(out: &mut String, value: &str) {
    let needs_escaping = value
        .bytes()
        .any(|byte| byte == b'"' || byte == b'\\' || byte < 0x20);
    if needs_escaping {
        // Rare (only odd values from the environment): serde_json's escaping, exactly.
        out.push_str(&Value::from(value).to_string());
    } else {
        out.push('"');
        out.push_str(value);
        out.push('"');
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::review::Stars;

    /// Upstream's v2 answer for product 0, verbatim.
    const UPSTREAM_V2: &str = r#"{"id": "0","podname": "reviews-v2-xxxx","clustername": "null","reviews": [{  "reviewer": "Reviewer1",  "text": "An extremely entertaining play by Shakespeare. The slapstick humour is refreshing!", "rating": {"stars": 5, "color": "black"}},{  "reviewer": "Reviewer2",  "text": "Absolutely fun and entertaining. The play lacks thematic depth when compared to other plays by Shakespeare.", "rating": {"stars": 4, "color": "black"}}]}"#;

    fn stars(n: i64) -> Rating {
        Rating::Stars(Stars::new(n).unwrap())
    }

    fn answer<'a>(podname: &'a str, ratings: Option<ShownRatings<'a>>) -> ReviewsAnswer<'a> {
        ReviewsAnswer {
            product_id: 0,
            podname,
            clustername: "null",
            ratings,
        }
    }

    #[test]
    fn v2_answer_is_upstreams_byte_for_byte() {
        let color = StarColor::Black;
        let ratings = ShownRatings {
            color: &color,
            per_review: [stars(5), stars(4)],
        };
        assert_eq!(
            answer("reviews-v2-xxxx", Some(ratings)).to_json(),
            UPSTREAM_V2
        );
    }

    #[test]
    fn v1_answer_has_no_rating_key() {
        let body = answer("reviews-v1-xxxx", None).to_json();
        assert_eq!(
            body,
            r#"{"id": "0","podname": "reviews-v1-xxxx","clustername": "null","reviews": [{  "reviewer": "Reviewer1",  "text": "An extremely entertaining play by Shakespeare. The slapstick humour is refreshing!"},{  "reviewer": "Reviewer2",  "text": "Absolutely fun and entertaining. The play lacks thematic depth when compared to other plays by Shakespeare."}]}"#
        );
    }

    #[test]
    fn unavailable_rating_replaces_only_that_reviews_stars() {
        let color = StarColor::Red;
        let ratings = ShownRatings {
            color: &color,
            per_review: [stars(0), Rating::Unavailable],
        };
        let body = answer("p", Some(ratings)).to_json();
        assert!(
            body.contains(r#"refreshing!", "rating": {"stars": 0, "color": "red"}},{"#),
            "{body}"
        );
        assert!(
            body.ends_with(r#"Shakespeare.", "rating": {"error": "Ratings service is currently unavailable"}}]}"#),
            "{body}"
        );
    }

    #[test]
    fn environment_values_are_escaped_and_the_answer_stays_json() {
        let color = StarColor::Other("pink\", \"stars\": 99".to_owned());
        let ratings = ShownRatings {
            color: &color,
            per_review: [stars(1), stars(2)],
        };
        let body = ReviewsAnswer {
            product_id: -7,
            podname: "pod\"name\\",
            clustername: "line\nbreak",
            ratings: Some(ratings),
        }
        .to_json();
        assert!(
            body.starts_with(
                r#"{"id": "-7","podname": "pod\"name\\","clustername": "line\nbreak","#
            ),
            "{body}"
        );
        let parsed: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(parsed["podname"], "pod\"name\\");
        assert_eq!(parsed["clustername"], "line\nbreak");
        assert_eq!(
            parsed["reviews"][0]["rating"]["color"],
            "pink\", \"stars\": 99"
        );
        assert_eq!(parsed["reviews"][0]["rating"]["stars"], 1);
    }

    #[test]
    fn health_and_error_bodies_use_upstreams_spacing() {
        assert_eq!(HEALTH, "{\"status\": \"Reviews is healthy\"}");
        assert_eq!(
            error("No \"such\" page"),
            r#"{"error": "No \"such\" page"}"#
        );
    }
}
