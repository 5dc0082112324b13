//! Everything a ratings request can end in other than success, and the one place that turns it
//! into upstream's status and compact JSON body.

use actix_web::http::StatusCode;
use actix_web::http::header::{ALLOW, ContentType};
use actix_web::{HttpResponse, ResponseError};

use crate::ratings::InvalidRatings;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The last path segment holds no usable number (what follows is that segment, without the
    /// query).
    #[error("product id {0:?} is not a number in range")]
    BadProductId(String),
    #[error("the body is not ratings: {0}")]
    InvalidRatings(#[from] InvalidRatings),
    #[error("the body is larger than {limit} bytes")]
    BodyTooLarge { limit: usize },
    #[error("the body could not be read: {0}")]
    BodyUnreadable(String),
    /// The in-memory store holds all it may; see `InMemoryStore`.
    #[error("the ratings store already holds its {max_bytes} bytes")]
    StoreFull { max_bytes: usize },
    /// Ratings that could not be written as, or read back from, their stored text: our own
    /// failure, never the client's.
    #[error("stored ratings are unreadable: {0}")]
    StoredRatings(InvalidRatings),
    /// v2 stores nothing, as upstream's.
    #[error("POST on database-backed ratings")]
    PostNotImplemented,
    /// v2: no connection to the database (down, refused, timed out, or credentials refused).
    /// `cause` is the driver's message with any password scrubbed.
    #[error("could not connect to {database}: {cause}")]
    DatabaseUnreachable { database: String, cause: String },
    /// v2 on MySQL: connected, but the select failed or did not finish.
    #[error("select on {database} failed: {cause}")]
    SelectFailed { database: String, cause: String },
    /// v2 on MongoDB: connected, but the find failed, did not finish, or found unreadable data.
    #[error("loading ratings from {database} failed: {cause}")]
    LoadFailed { database: String, cause: String },
    /// The persona (`v-faulty`, `v-unavailable`, `v-unhealthy`) fails this read on purpose.
    #[error("unavailable on purpose (fault persona)")]
    Unavailable,
    #[error("no such route")]
    NotFound,
    #[error("method not allowed (allowed: {allow})")]
    MethodNotAllowed { allow: &'static str },
}

impl ResponseError for Error {
    fn status_code(&self) -> StatusCode {
        match self {
            Error::BadProductId(_)
            | Error::InvalidRatings(_)
            | Error::BodyTooLarge { .. }
            | Error::BodyUnreadable(_) => StatusCode::BAD_REQUEST,
            Error::StoreFull { .. } => StatusCode::INSUFFICIENT_STORAGE,
            Error::PostNotImplemented => StatusCode::NOT_IMPLEMENTED,
            // Upstream's MySQL path answers a connect failure with 200; the issue asks for 500.
            Error::DatabaseUnreachable { .. }
            | Error::SelectFailed { .. }
            | Error::LoadFailed { .. }
            | Error::StoredRatings(_) => StatusCode::INTERNAL_SERVER_ERROR,
            Error::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            Error::NotFound => StatusCode::NOT_FOUND,
            Error::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let message = match self {
            Error::BadProductId(_) => "please provide numeric product ID",
            Error::InvalidRatings(_) | Error::BodyTooLarge { .. } | Error::BodyUnreadable(_) => {
                "please provide valid ratings JSON"
            }
            Error::StoreFull { .. } => "ratings store is full: no ratings for new products",
            Error::PostNotImplemented => "Post not implemented for database backed ratings",
            Error::DatabaseUnreachable { .. } => "could not connect to ratings database",
            Error::SelectFailed { .. } => "could not perform select",
            Error::LoadFailed { .. } => "could not load ratings from database",
            Error::StoredRatings(_) => {
                tracing::error!(error = %self, "internal error");
                "could not read stored ratings"
            }
            Error::Unavailable => "Service unavailable",
            Error::NotFound => "not found",
            Error::MethodNotAllowed { .. } => "method not allowed",
        };
        let mut response = HttpResponse::build(self.status_code());
        if let Error::MethodNotAllowed { allow } = self {
            response.insert_header((ALLOW, *allow));
        }
        response
            .content_type(ContentType::json())
            .body(error_body(message))
    }
}

/// `{"error":"<message>"}`, compact, as upstream writes it.
pub fn error_body(message: &str) -> String {
    serde_json::json!({ "error": message }).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_bodies_are_compact_json() {
        assert_eq!(
            error_body("Service unavailable"),
            r#"{"error":"Service unavailable"}"#
        );
    }
}
