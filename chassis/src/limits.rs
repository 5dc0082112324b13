//! What one server grants its clients: time to send a request, headers and body, and open
//! connections. Without them a client that sends two bytes of a 100-byte body holds its
//! connection for ever, and a few hundred such clients use up the service's open files.

use std::cell::Cell;
use std::future::{Ready, ready};
use std::rc::Rc;
use std::time::Duration;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Payload, Service, ServiceRequest, ServiceResponse, Transform, forward_ready};
use actix_web::error::PayloadError;
use actix_web::http::header::ContentType;
use actix_web::http::{ConnectionType, StatusCode};
use actix_web::{HttpMessage, HttpResponse, web};
use futures_util::future::{Either, LocalBoxFuture, MapOk};
use futures_util::{StreamExt, TryFutureExt};

use crate::config::EnvReader;

/// `SERVER_REQUEST_TIMEOUT_MS`: how long a client has to send a request's headers, and then as
/// long again for its body.
pub const ENV_REQUEST_TIMEOUT_MS: &str = "SERVER_REQUEST_TIMEOUT_MS";
/// `SERVER_MAX_CONNECTIONS`: open client connections at once, idle kept-alive ones included; more
/// wait unread in the kernel's accept queue until one closes.
pub const ENV_MAX_CONNECTIONS: &str = "SERVER_MAX_CONNECTIONS";

pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(5);
/// Well inside the 1,024 open files a container usually gets, with room for the outbound calls
/// each request makes.
pub const DEFAULT_MAX_CONNECTIONS: usize = 256;

/// One server's limits on its clients.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerLimits {
    /// Time for a request's headers to arrive, and then for its body.
    pub request_timeout: Duration,
    /// Client connections open at once, over all workers.
    pub max_connections: usize,
}

impl Default for ServerLimits {
    fn default() -> Self {
        Self {
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            max_connections: DEFAULT_MAX_CONNECTIONS,
        }
    }
}

impl ServerLimits {
    /// `SERVER_REQUEST_TIMEOUT_MS` and `SERVER_MAX_CONNECTIONS`; problems are noted in `reader`.
    pub fn read(reader: &mut EnvReader<'_>) -> Self {
        let defaults = Self::default();
        let millis = reader.parse(
            ENV_REQUEST_TIMEOUT_MS,
            u64::try_from(defaults.request_timeout.as_millis()).unwrap_or(u64::MAX),
        );
        if millis == 0 {
            reader.problem(format!("{ENV_REQUEST_TIMEOUT_MS}: must be at least 1"));
        }
        let max_connections = reader.parse(ENV_MAX_CONNECTIONS, defaults.max_connections);
        if max_connections == 0 {
            reader.problem(format!("{ENV_MAX_CONNECTIONS}: must be at least 1"));
        }
        Self {
            request_timeout: Duration::from_millis(millis),
            max_connections,
        }
    }
}

/// The middleware that bounds a request body in time: the body must have arrived
/// [`ServerLimits::request_timeout`] after the request reached the app. Past that the handler
/// reads an error, and whatever it made of it, the client gets 408 and the connection is closed.
///
/// Hand-written rather than `from_fn`, which boxes every request's future twice: a request
/// without a body (every GET) passes straight through, only one with a body gets a boxed future.
pub(crate) struct BoundBody {
    timeout: Duration,
}

impl BoundBody {
    pub(crate) fn new(limits: &ServerLimits) -> Self {
        Self {
            timeout: limits.request_timeout,
        }
    }
}

impl<S, B> Transform<S, ServiceRequest> for BoundBody
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error>,
    S::Future: 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = actix_web::Error;
    type Transform = BoundBodyService<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(BoundBodyService {
            service,
            timeout: self.timeout,
        }))
    }
}

pub(crate) struct BoundBodyService<S> {
    service: S,
    timeout: Duration,
}

/// The answer to a request without a body, its body type widened.
type Unbounded<F, B> = MapOk<F, fn(ServiceResponse<B>) -> ServiceResponse<EitherBody<B>>>;

impl<S, B> Service<ServiceRequest> for BoundBodyService<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error>,
    S::Future: 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = actix_web::Error;
    type Future = Either<
        Unbounded<S::Future, B>,
        LocalBoxFuture<'static, Result<Self::Response, Self::Error>>,
    >;

    forward_ready!(service);

    fn call(&self, mut request: ServiceRequest) -> Self::Future {
        let payload = request.take_payload();
        if matches!(payload, Payload::None) {
            let widen: fn(ServiceResponse<B>) -> ServiceResponse<EitherBody<B>> =
                ServiceResponse::map_into_left_body;
            return Either::Left(self.service.call(request).map_ok(widen));
        }
        let timeout = self.timeout;
        let timed_out = Rc::new(Cell::new(false));
        request.set_payload(Payload::Stream {
            payload: deadline_stream(payload, timeout, timed_out.clone()).boxed_local(),
        });
        let answer = self.service.call(request);
        Either::Right(Box::pin(async move {
            let response = answer.await?;
            if !timed_out.get() {
                return Ok(response.map_into_left_body());
            }
            let mut timeout_answer = HttpResponse::build(StatusCode::REQUEST_TIMEOUT)
                .content_type(ContentType::plaintext())
                .body(format!(
                    "Request timeout: the body did not arrive within {} ms.\n",
                    timeout.as_millis()
                ));
            timeout_answer
                .head_mut()
                .set_connection_type(ConnectionType::Close);
            Ok(response.into_response(timeout_answer).map_into_right_body())
        }))
    }
}

/// `payload`'s chunks until `timeout` has passed, then one `TimedOut` error (and `timed_out`
/// set), then nothing.
fn deadline_stream(
    payload: Payload,
    timeout: Duration,
    timed_out: Rc<Cell<bool>>,
) -> impl futures_util::Stream<Item = Result<web::Bytes, PayloadError>> {
    let deadline = tokio::time::Instant::now() + timeout;
    futures_util::stream::unfold(Some(payload), move |payload| {
        let timed_out = timed_out.clone();
        async move {
            let mut payload = payload?;
            match tokio::time::timeout_at(deadline, payload.next()).await {
                Ok(chunk) => chunk.map(|chunk| (chunk, Some(payload))),
                Err(_) => {
                    timed_out.set(true);
                    let error = std::io::Error::new(
                        std::io::ErrorKind::TimedOut,
                        "the request body did not arrive in time",
                    );
                    Some((Err(PayloadError::Io(error)), None))
                }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn read(vars: &[(&str, &str)]) -> Result<ServerLimits, crate::config::ConfigErrors> {
        let env: HashMap<&str, &str> = vars.iter().copied().collect();
        let mut reader = EnvReader::new(&env);
        let limits = ServerLimits::read(&mut reader);
        reader.finish(limits)
    }

    #[test]
    fn limits_have_documented_defaults_and_are_read_from_the_environment() {
        assert_eq!(
            read(&[]),
            Ok(ServerLimits {
                request_timeout: Duration::from_secs(5),
                max_connections: 256,
            })
        );
        assert_eq!(
            read(&[
                ("SERVER_REQUEST_TIMEOUT_MS", "250"),
                ("SERVER_MAX_CONNECTIONS", "3")
            ]),
            Ok(ServerLimits {
                request_timeout: Duration::from_millis(250),
                max_connections: 3,
            })
        );
        let errors = read(&[
            ("SERVER_REQUEST_TIMEOUT_MS", "0"),
            ("SERVER_MAX_CONNECTIONS", "many"),
        ])
        .unwrap_err();
        assert_eq!(errors.0.len(), 2, "{errors}");
    }
}
