//! Calling ratings for a product's stars, and reading its answer reviewer by reviewer. Nothing
//! ratings does can fail a reviews request: whatever it could not tell becomes
//! [`Rating::Unavailable`] for the reviews concerned.

use std::cell::RefCell;
use std::fmt::{self, Write};

use actix_web::web::Bytes;
use chassis::client::{BackendClient, BackendReply, CallError};
use chassis::propagation::ForwardedHeaders;
use serde::de::{Deserializer, MapAccess, Visitor};
use serde_json::Value;

use crate::config::RatingsSettings;
use crate::review::{REVIEWS, Rating, Stars};

/// Calls `GET {ratings}/ratings/{id}`, once, within the colour's timeout.
pub struct RatingsClient {
    http: BackendClient,
    /// `{base}/ratings/`: what every call's URL starts with.
    url_prefix: String,
    /// The last answer that gave every review its stars, and those stars: ratings answers the
    /// same bytes until someone rates the product, and those are not read again.
    last_read: RefCell<Option<(Bytes, [Rating; REVIEWS.len()])>>,
}

impl RatingsClient {
    /// One per worker (the outbound client is not `Send`); connections pooled or fresh per
    /// call as configured.
    pub fn new(settings: &RatingsSettings) -> RatingsClient {
        RatingsClient {
            http: BackendClient::new(settings.timeout, settings.connection_reuse),
            url_prefix: format!("{}/ratings/", settings.base_url),
            last_read: RefCell::default(),
        }
    }

    /// Each review's rating for `product_id`, in [`REVIEWS`] order.
    #[tracing::instrument(name = "ratings", skip(self, headers))]
    pub async fn ratings_of(
        &self,
        product_id: i32,
        headers: &ForwardedHeaders,
    ) -> [Rating; REVIEWS.len()] {
        // Room for the id, so the String is allocated once.
        let mut url = String::with_capacity(self.url_prefix.len() + 16);
        url.push_str(&self.url_prefix);
        // Writing into a String cannot fail.
        let _ = write!(url, "{product_id}");
        // Upstream asks for JSON; ratings answers JSON either way.
        let headers = headers.clone().with("accept", "application/json");
        let answer = self.http.get(&url, &headers).await;
        if let Ok(reply) = &answer
            && let Some(ratings) = self.read_before(reply)
        {
            return ratings;
        }
        let ratings = ratings_in(answer.as_ref(), &url);
        if let Ok(reply) = answer
            && reply.is_ok()
            && ratings
                .iter()
                .all(|rating| matches!(rating, Rating::Stars(_)))
        {
            // Only answers read without a warning: a bad one is still reported every time.
            *self.last_read.borrow_mut() = Some((reply.body, ratings));
        }
        ratings
    }

    /// The ratings of a 200 whose body is byte for byte the last fully read one.
    fn read_before(&self, reply: &BackendReply) -> Option<[Rating; REVIEWS.len()]> {
        match &*self.last_read.borrow() {
            Some((body, ratings)) if reply.is_ok() && *body == reply.body => Some(*ratings),
            _ => None,
        }
    }
}

/// Each review's rating in ratings' `answer` from `url`; all unavailable when there is none.
fn ratings_in(answer: Result<&BackendReply, &CallError>, url: &str) -> [Rating; REVIEWS.len()] {
    let stars = answer
        .map_err(|error| error.to_string())
        .and_then(stars_by_reviewer);
    match stars {
        Ok(stars) => REVIEWS.map(|review| rating_of(&stars, review.reviewer)),
        Err(reason) => {
            tracing::warn!(%url, %reason, "ratings unavailable");
            REVIEWS.map(|_| Rating::Unavailable)
        }
    }
}

/// What reviews reads of ratings' answer (`{"id":0,"ratings":{"Reviewer1":5,...}}`); `id` and
/// any other field skipped. Read straight from the bytes: a `serde_json::Value` of the whole
/// answer (an ordered map, hashed with SipHash) was a tenth of a reviews v3 request.
#[derive(serde::Deserialize)]
struct RatingsAnswer {
    ratings: Option<StarsByReviewer>,
    /// MySQL-backed ratings answers `{"error": ...}` with 200 when its database is down.
    error: Option<String>,
}

/// The `ratings` object: each reviewer's stars as sent, in the order sent.
struct StarsByReviewer(Vec<(String, Value)>);

impl<'de> serde::Deserialize<'de> for StarsByReviewer {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ObjectVisitor;

        impl<'de> Visitor<'de> for ObjectVisitor {
            type Value = StarsByReviewer;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object of stars by reviewer")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<StarsByReviewer, A::Error> {
                let mut stars = Vec::with_capacity(map.size_hint().unwrap_or(REVIEWS.len()));
                while let Some(entry) = map.next_entry::<String, Value>()? {
                    stars.push(entry);
                }
                Ok(StarsByReviewer(stars))
            }
        }

        deserializer.deserialize_map(ObjectVisitor)
    }
}

/// The `ratings` object of a 200 answer, or why there is none.
fn stars_by_reviewer(reply: &BackendReply) -> Result<StarsByReviewer, String> {
    if !reply.is_ok() {
        return Err(format!("answered {}", reply.status));
    }
    let answer: RatingsAnswer = serde_json::from_slice(&reply.body)
        .map_err(|error| format!("answered 200 with a body that is not ratings' JSON: {error}"))?;
    match (answer.ratings, answer.error) {
        (Some(stars), _) => Ok(stars),
        (None, Some(error)) => Err(format!(
            "answered 200 with an error instead of ratings: {error}"
        )),
        (None, None) => Err("answered 200 without ratings".to_owned()),
    }
}

/// One reviewer's rating: their stars if ratings has acceptable ones for them.
fn rating_of(stars: &StarsByReviewer, reviewer: &str) -> Rating {
    // The last of a repeated name, as a JSON object read into a map keeps it.
    match stars.0.iter().rev().find(|(name, _)| name == reviewer) {
        Some((_, value)) => match Stars::from_json(value) {
            Some(stars) => Rating::Stars(stars),
            None => {
                tracing::warn!(reviewer, %value, "ratings sent stars that are not 0 to 5");
                Rating::Unavailable
            }
        },
        None => Rating::Unavailable,
    }
}

#[cfg(test)]
mod tests {
    use actix_web::http::StatusCode;
    use actix_web::web::Bytes;

    use super::*;

    fn reply(status: u16, body: &'static str) -> BackendReply {
        BackendReply {
            status: StatusCode::from_u16(status).unwrap(),
            body: Bytes::from_static(body.as_bytes()),
        }
    }

    fn ratings_of(status: u16, body: &'static str) -> [Rating; REVIEWS.len()] {
        ratings_in(Ok(&reply(status, body)), "http://ratings/ratings/0")
    }

    fn stars(n: i64) -> Rating {
        Rating::Stars(Stars::new(n).unwrap())
    }

    #[test]
    fn each_reviewer_gets_their_own_stars() {
        assert_eq!(
            ratings_of(200, r#"{"id":0,"ratings":{"Reviewer1":5,"Reviewer2":4}}"#),
            [stars(5), stars(4)]
        );
        assert_eq!(
            ratings_of(200, r#"{"ratings":{"Reviewer2":0,"Reviewer3":1}}"#),
            [Rating::Unavailable, stars(0)]
        );
        assert_eq!(
            ratings_of(200, r#"{"ratings":{"Reviewer1":"5","Reviewer2":9}}"#),
            [Rating::Unavailable, Rating::Unavailable]
        );
        assert_eq!(
            ratings_of(
                200,
                r#"{"ratings":{"Reviewer1":1,"Reviewer1":5},"id":0,"x":[{}]}"#
            ),
            [stars(5), Rating::Unavailable],
            "the last of a repeated reviewer, other fields skipped"
        );
    }

    #[test]
    fn unusable_answers_leave_every_rating_unavailable() {
        for (status, body) in [
            (503, r#"{"error":"Service unavailable"}"#),
            (404, r#"{"ratings":{"Reviewer1":5,"Reviewer2":4}}"#),
            (200, r#"{"error":"could not connect to ratings database"}"#),
            (200, "<html>not json</html>"),
            (200, ""),
            (200, r#"{"ratings":[5,4]}"#),
            (200, "[1,2]"),
        ] {
            assert_eq!(
                ratings_of(status, body),
                [Rating::Unavailable, Rating::Unavailable],
                "{status} {body}"
            );
        }
        let timeout = CallError::Timeout(std::time::Duration::from_millis(2500));
        assert_eq!(
            ratings_in(Err(&timeout), "http://ratings/ratings/0"),
            [Rating::Unavailable, Rating::Unavailable]
        );
    }
}
