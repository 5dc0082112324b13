//! Everything a productpage request can end in other than success, and the one place that turns
//! it into a response: upstream's JSON error bodies and statuses for the API, short text otherwise.

use actix_web::http::StatusCode;
use actix_web::http::header::{ALLOW, ContentType, VARY};
use actix_web::{HttpResponse, ResponseError};

use crate::backends::{Service, Unavailable};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A backend gave no usable answer; the API passes its status on.
    #[error("{} gave no usable answer (status {})", .0.service, .0.status)]
    Unavailable(Unavailable),
    /// An id that is not sent on to a backend. Upstream forwards anything and details answers
    /// 400, so the answer is the same as upstream's for the ids details refuses.
    #[error("product id {0:?} is not acceptable")]
    BadProductId(String),
    #[error("the user name is longer than {0} bytes")]
    UserNameTooLong(usize),
    #[error("the user name contains a control character (such as CR, LF, NUL or DEL)")]
    UserNameControlCharacter,
    #[error("the sign-in form is {limit} bytes or more")]
    FormTooLarge { limit: usize },
    #[error("no such page")]
    NotFound,
    #[error("method not allowed (allowed: {allow})")]
    MethodNotAllowed { allow: &'static str },
    #[error("rendering a template failed")]
    Render(#[from] askama::Error),
    #[error("writing JSON failed")]
    Json(#[from] serde_json::Error),
    /// A route ran in an app without the state `run` registers (a wiring mistake).
    #[error("the app has no {0} registered")]
    Unconfigured(&'static str),
}

impl From<Unavailable> for Error {
    fn from(unavailable: Unavailable) -> Self {
        Error::Unavailable(unavailable)
    }
}

impl ResponseError for Error {
    fn status_code(&self) -> StatusCode {
        match self {
            Error::Unavailable(unavailable) => unavailable.status,
            Error::BadProductId(_)
            | Error::UserNameTooLong(_)
            | Error::UserNameControlCharacter => StatusCode::BAD_REQUEST,
            Error::FormTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Error::NotFound => StatusCode::NOT_FOUND,
            Error::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            Error::Render(_) | Error::Json(_) | Error::Unconfigured(_) => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
        }
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status_code());
        let (content_type, body) = match self {
            Error::Unavailable(Unavailable { service, .. }) => {
                // As the answer's own JSON would: it depends on the session's end-user.
                response.insert_header((VARY, "Cookie"));
                (ContentType::json(), unavailable_body(*service))
            }
            Error::BadProductId(_) => (ContentType::json(), unavailable_body(Service::Details)),
            Error::UserNameTooLong(_) | Error::UserNameControlCharacter => {
                (ContentType::plaintext(), format!("Bad request: {self}.\n"))
            }
            Error::FormTooLarge { .. } => (
                ContentType::plaintext(),
                format!("Payload too large: {self}.\n"),
            ),
            Error::NotFound => (
                ContentType::plaintext(),
                "Not found: there is no page at this address.\n".to_owned(),
            ),
            Error::MethodNotAllowed { allow } => {
                response.insert_header((ALLOW, *allow));
                (
                    ContentType::plaintext(),
                    format!("Method not allowed: use {allow}.\n"),
                )
            }
            Error::Render(_) | Error::Json(_) | Error::Unconfigured(_) => {
                tracing::error!(error = %self, cause = ?self, "internal error");
                (
                    ContentType::plaintext(),
                    "Internal error: the page could not be produced.\n".to_owned(),
                )
            }
        };
        response.content_type(content_type).body(body)
    }
}

/// `{"error": "Sorry, product … are currently unavailable for this book."}`, byte for byte as
/// upstream writes it.
pub fn unavailable_body(service: Service) -> String {
    format!(r#"{{"error": "{}"}}"#, service.unavailable_message())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unavailable_bodies_are_upstreams() {
        assert_eq!(
            unavailable_body(Service::Details),
            r#"{"error": "Sorry, product details are currently unavailable for this book."}"#
        );
        assert_eq!(
            unavailable_body(Service::Reviews),
            r#"{"error": "Sorry, product reviews are currently unavailable for this book."}"#
        );
        assert_eq!(
            unavailable_body(Service::Ratings),
            r#"{"error": "Sorry, product ratings are currently unavailable for this book."}"#
        );
    }

    #[test]
    fn backend_status_is_passed_on() {
        let error = Error::from(Unavailable {
            service: Service::Reviews,
            status: StatusCode::from_u16(555).unwrap(),
        });
        assert_eq!(error.status_code().as_u16(), 555);
    }
}
