//! reviews' HTTP routes: `/health` and `/reviews/{id}`, plus the answers for other methods (405
//! with `Allow`) and unknown paths (404). Paths are matched exactly: a trailing slash is unknown.
//! `/reviews/{id}` is a mount (see `chassis::routes::mount`) that checks its one segment itself.

use std::cell::RefCell;

use actix_web::http::header::ContentType;
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse, Resource, web};
use chassis::propagation::ForwardedHeaders;
use chassis::routes::{ALLOW_READ, get_or_head};

use crate::config::{Config, StarColor};
use crate::error::Error;
use crate::json::{self, AnswerTemplate, ShownRatings};
use crate::ratings::RatingsClient;
use crate::review::{REVIEWS, Rating};

/// What one worker's handlers use; built per worker because the ratings client is not `Send`.
pub struct AppState {
    /// The pod's and cluster's names and the reviews, written once (see [`AnswerTemplate`]).
    answer: AnswerTemplate,
    /// The last answer written, with the product and ratings it was written for: the same ones
    /// are answered with the same bytes, not written again.
    last_answer: RefCell<Option<WrittenAnswer>>,
    /// `None` when ratings are off (v1).
    ratings: Option<(RatingsClient, StarColor)>,
}

impl AppState {
    pub fn new(config: &Config) -> AppState {
        AppState {
            answer: AnswerTemplate::new(&config.podname, &config.clustername),
            last_answer: RefCell::default(),
            ratings: config
                .ratings
                .as_ref()
                .map(|settings| (RatingsClient::new(settings), settings.star_color.clone())),
        }
    }
}

/// Registers every route; `run` calls it once per worker.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(read_only("/health").route(get_or_head().to(health)))
        .service(chassis::routes::mount("/reviews", "/reviews/{id}", reviews))
        .default_service(web::to(not_found));
}

async fn health() -> HttpResponse {
    HttpResponse::Ok()
        .content_type(ContentType::json())
        .body(json::HEALTH)
}

/// `/reviews/{id}`: one segment after `/reviews/`, nothing more (`/reviews/0/` is unknown); GET
/// or HEAD.
async fn reviews(request: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, Error> {
    // What follows the mount, as actix's `{id}` saw it (percent-decoded where that is safe).
    let raw_id = request
        .match_info()
        .unprocessed()
        .strip_prefix('/')
        .filter(|id| !id.is_empty() && !id.contains('/'))
        .ok_or(Error::NotFound)?;
    if !chassis::routes::GET_OR_HEAD.contains(request.method()) {
        return chassis::routes::other_method(&request, ALLOW_READ, refuse);
    }
    let product_id = parse_product_id(raw_id)?;
    let ratings = match &state.ratings {
        Some((client, color)) => {
            // Read only when ratings is called: v1 forwards nothing.
            let headers = ForwardedHeaders::from_headers(request.headers());
            Some(ShownRatings {
                color,
                per_review: client.ratings_of(product_id, &headers).await,
            })
        }
        None => None,
    };
    Ok(HttpResponse::Ok()
        .content_type(ContentType::json())
        .body(state.answer_for(product_id, ratings.as_ref())))
}

/// An answer as written, and what it was written for.
struct WrittenAnswer {
    product_id: i32,
    /// `None`: no ratings (v1).
    ratings: Option<[Rating; REVIEWS.len()]>,
    body: Bytes,
}

impl AppState {
    /// The answer for `product_id` with these ratings: the last one if it was for the same.
    fn answer_for(&self, product_id: i32, ratings: Option<&ShownRatings<'_>>) -> Bytes {
        let per_review = ratings.map(|shown| shown.per_review);
        if let Some(last) = &*self.last_answer.borrow()
            && (last.product_id, last.ratings) == (product_id, per_review)
        {
            return last.body.clone();
        }
        let body = Bytes::from(self.answer.render(product_id, ratings));
        *self.last_answer.borrow_mut() = Some(WrittenAnswer {
            product_id,
            ratings: per_review,
            body: body.clone(),
        });
        body
    }
}

/// A product id as Java's `Integer.valueOf` reads it: an optional sign and decimal digits, within
/// `i32` (`+5` is 5, `-1` is -1, `007` is 7). Unlike Java, only ASCII digits count.
fn parse_product_id(raw: &str) -> Result<i32, Error> {
    raw.parse().map_err(|_| Error::BadProductId(raw.to_owned()))
}

/// A resource whose other methods get our 405 (and OPTIONS 204) with `Allow`.
fn read_only(path: &'static str) -> Resource {
    chassis::routes::resource(path, ALLOW_READ, refuse)
}

/// Our 405 for a method outside `allow`.
fn refuse(allow: &'static str) -> Error {
    Error::MethodNotAllowed { allow }
}

async fn not_found() -> Result<HttpResponse, Error> {
    Err(Error::NotFound)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn product_ids_are_read_as_java_ints() {
        let cases = [
            ("0", Some(0)),
            ("+5", Some(5)),
            ("-1", Some(-1)),
            ("007", Some(7)),
            ("-0", Some(0)),
            ("2147483647", Some(i32::MAX)),
            ("-2147483648", Some(i32::MIN)),
            ("2147483648", None),
            ("-2147483649", None),
            ("abc", None),
            ("", None),
            ("+", None),
            ("-", None),
            ("1.0", None),
            ("0x1A", None),
            (" 1", None),
            ("1_000", None),
            ("١", None),
        ];
        for (raw, expected) in cases {
            assert_eq!(parse_product_id(raw).ok(), expected, "{raw:?}");
        }
    }
}
