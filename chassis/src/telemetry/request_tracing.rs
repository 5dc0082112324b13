//! The middleware that gives each request its server span: tracing-actix-web's `TracingLogger`
//! with [`ServerSpan`] when the span is recorded, and a straight pass to the app when it is not.
//!
//! `TracingLogger` stores a request id (a random UUID) and the span in every request's
//! extensions (a box each, and the extensions' table) and wraps the answer and its body to
//! close the span, before [`ServerSpan`] can say that nobody records it. With no span export
//! and logs above `info` (the benchmark's setting, or a quiet pod's) all of it was for a
//! disabled span that nothing reads: the request line's trace id then comes from the headers,
//! as it did from a disabled span, and no handler extracts the request id or the span.

use std::future::{Ready, ready};
use std::rc::Rc;

use actix_web::Error;
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform, forward_ready};
use futures_util::TryFutureExt;
use futures_util::future::{Either, MapOk};
use tracing_actix_web::{StreamSpan, TracingLogger};

use super::ServerSpan;

/// The middleware [`super::request_tracing`] makes.
pub struct RequestTracing(TracingLogger<ServerSpan>);

impl RequestTracing {
    pub(super) fn new() -> Self {
        Self(TracingLogger::new())
    }
}

/// The app wrapped in `TracingLogger`.
type Traced<S> = <TracingLogger<ServerSpan> as Transform<Rc<S>, ServiceRequest>>::Transform;

impl<S, B> Transform<S, ServiceRequest> for RequestTracing
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    S::Future: 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<EitherBody<StreamSpan<B>, B>>;
    type Error = Error;
    type Transform = RequestTracingService<Traced<S>, S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        let service = Rc::new(service);
        ready(
            self.0
                .new_transform(Rc::clone(&service))
                .into_inner()
                .map(|traced| RequestTracingService { traced, service }),
        )
    }
}

/// The app, through `TracingLogger` (`traced`) or straight (`service`).
pub struct RequestTracingService<T, S> {
    traced: T,
    service: Rc<S>,
}

type Widen<B, Into> = fn(ServiceResponse<B>) -> ServiceResponse<Into>;

impl<T, S, B> Service<ServiceRequest> for RequestTracingService<T, S>
where
    T: Service<ServiceRequest, Response = ServiceResponse<StreamSpan<B>>, Error = Error>,
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error>,
    B: MessageBody,
{
    type Response = ServiceResponse<EitherBody<StreamSpan<B>, B>>;
    type Error = Error;
    #[allow(clippy::type_complexity)]
    type Future = Either<
        MapOk<T::Future, Widen<StreamSpan<B>, EitherBody<StreamSpan<B>, B>>>,
        MapOk<S::Future, Widen<B, EitherBody<StreamSpan<B>, B>>>,
    >;

    forward_ready!(service);

    fn call(&self, request: ServiceRequest) -> Self::Future {
        if super::server_span_wanted() {
            let widen: Widen<StreamSpan<B>, _> = ServiceResponse::map_into_left_body;
            Either::Left(self.traced.call(request).map_ok(widen))
        } else {
            let widen: Widen<B, _> = ServiceResponse::map_into_right_body;
            Either::Right(self.service.call(request).map_ok(widen))
        }
    }
}
