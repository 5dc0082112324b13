//! Everything a reviews request can end in other than success, and the one place that turns it
//! into a status and a short JSON message. None of it is a 500: ratings failures are shown per
//! review inside a 200, as upstream does.

use actix_web::http::StatusCode;
use actix_web::http::header::{ALLOW, ContentType};
use actix_web::{HttpResponse, ResponseError};

use crate::json;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The id is not a Java `int`; upstream's JAX-RS answers 404 for that.
    #[error("product id {0:?} is not an integer from -2147483648 to 2147483647")]
    BadProductId(String),
    #[error("no such path")]
    NotFound,
    #[error("method not allowed (allowed: {allow})")]
    MethodNotAllowed { allow: &'static str },
}

impl ResponseError for Error {
    fn status_code(&self) -> StatusCode {
        match self {
            Error::BadProductId(_) | Error::NotFound => StatusCode::NOT_FOUND,
            Error::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status_code());
        let message = match self {
            Error::BadProductId(_) => {
                "Not found: the product id must be an integer from -2147483648 to 2147483647"
            }
            Error::NotFound => "Not found: reviews serves /reviews/{id} and /health",
            Error::MethodNotAllowed { allow } => {
                response.insert_header((ALLOW, *allow));
                "Method not allowed: reviews only reads"
            }
        };
        response
            .content_type(ContentType::json())
            .body(json::error(message))
    }
}
