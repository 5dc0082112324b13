//! Everything a details request can end in other than success, and the one place that turns it
//! into a response: a JSON `{"error": ...}` body with upstream's status codes.

use actix_web::http::header::ALLOW;
use actix_web::http::{Method, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use chassis::client::CallError;
use serde::Serialize;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Upstream's exact message (lower-case "id", unlike ratings' "ID").
    #[error("please provide numeric product id")]
    BadProductId,
    /// Ruby would read a number of any length; converting one is quadratic, so ours stops here.
    #[error("product id is longer than {0} characters")]
    ProductIdTooLong(usize),
    #[error("calling the book service failed: {0}")]
    BookServiceCall(#[from] CallError),
    #[error("the book service answered with status {0}")]
    BookServiceStatus(StatusCode),
    #[error("the book service's answer is not the JSON expected: {0}")]
    BookServiceJson(#[from] serde_json::Error),
    #[error("the book service has no book with ISBN {0}")]
    BookNotFound(&'static str),
    #[error("the book service's answer has no {0}")]
    BookFieldMissing(&'static str),
    #[error("not found")]
    NotFound,
    /// With the `Allow` header's value: the methods the route serves.
    #[error("method {method} is not allowed")]
    MethodNotAllowed { method: Method, allow: &'static str },
}

impl Error {
    /// Whether the book service, not the caller, is at fault.
    fn is_book_service_failure(&self) -> bool {
        matches!(
            self,
            Error::BookServiceCall(_)
                | Error::BookServiceStatus(_)
                | Error::BookServiceJson(_)
                | Error::BookNotFound(_)
                | Error::BookFieldMissing(_)
        )
    }
}

#[derive(Serialize)]
struct ErrorBody {
    error: String,
}

impl ResponseError for Error {
    fn status_code(&self) -> StatusCode {
        match self {
            // Upstream answers 400 for a book service failure too, and productpage relies only
            // on "not 200"; a 502 would be truer, but clients may match on 400.
            Error::BadProductId
            | Error::ProductIdTooLong(_)
            | Error::BookServiceCall(_)
            | Error::BookServiceStatus(_)
            | Error::BookServiceJson(_)
            | Error::BookNotFound(_)
            | Error::BookFieldMissing(_) => StatusCode::BAD_REQUEST,
            Error::NotFound => StatusCode::NOT_FOUND,
            Error::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if self.is_book_service_failure() {
            tracing::warn!(error = %self, "book service gave no usable answer");
        }
        let mut response = HttpResponse::build(self.status_code());
        if let Error::MethodNotAllowed { allow, .. } = self {
            response.insert_header((ALLOW, *allow));
        }
        response.json(ErrorBody {
            error: self.to_string(),
        })
    }
}
