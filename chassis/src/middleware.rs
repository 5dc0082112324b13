//! The middleware around every request of every service, outside its server span: it counts the
//! request in hand for the drain and as served on its worker, counts and times it in the request
//! metrics, writes its log line, and marks an answer given while the server drains
//! `Connection: close`.
//!
//! One hand-written service instead of three `from_fn` middlewares: each of those boxed the
//! request's future twice (its own and the next service's), six allocations a request. Here the
//! future is a plain struct around the next service's, and the registry and drain are the
//! middleware's own rather than looked up in the app data per request.

use std::borrow::Cow;
use std::future::{Future, Ready, ready};
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::Instant;

use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform, forward_ready};
use actix_web::http::ConnectionType;
use actix_web::{Error, HttpMessage, HttpRequest};
use tracing::Level;
use tracing_actix_web::RootSpan;

use crate::busy::Serving;
use crate::metrics::{MetricsRegistry, UNMATCHED_ROUTE, method_label};
use crate::routes::RoutePattern;
use crate::shutdown::{Drain, InHand};

/// What every request of one server passes through first (see the module doc).
pub(crate) struct Observe {
    shared: Rc<Shared>,
}

/// The metrics and drain of the server, shared by the requests of one worker.
struct Shared {
    metrics: MetricsRegistry,
    drain: Drain,
}

impl Observe {
    pub(crate) fn new(metrics: MetricsRegistry, drain: Drain) -> Self {
        Self {
            shared: Rc::new(Shared { metrics, drain }),
        }
    }
}

impl<S, B> Transform<S, ServiceRequest> for Observe
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error>,
{
    type Response = ServiceResponse<B>;
    type Error = Error;
    type Transform = ObserveService<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(ObserveService {
            service,
            shared: self.shared.clone(),
        }))
    }
}

pub(crate) struct ObserveService<S> {
    service: S,
    shared: Rc<Shared>,
}

impl<S, B> Service<ServiceRequest> for ObserveService<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error>,
{
    type Response = ServiceResponse<B>;
    type Error = Error;
    type Future = Observed<S::Future>;

    forward_ready!(service);

    fn call(&self, request: ServiceRequest) -> Self::Future {
        // Counted in hand for the drain, and as served on this worker until the answer is ready.
        let in_hand = self.shared.drain.in_hand();
        let serving = Serving::enter();
        let started = Instant::now();
        // The label, not the method as received: an unknown one can be 100 KB long.
        let method = method_label(request.method());
        // The line's path and trace id cost allocations and a header parse; only when it is written.
        let path = tracing::enabled!(Level::INFO).then(|| request.path().to_owned());
        Observed {
            answer: self.service.call(request),
            shared: self.shared.clone(),
            started,
            method,
            path,
            _serving: serving,
            _in_hand: in_hand,
        }
    }
}

pin_project_lite::pin_project! {
    /// A request's answer on its way, with what its metrics and log line need.
    pub(crate) struct Observed<F> {
        #[pin]
        answer: F,
        shared: Rc<Shared>,
        started: Instant,
        method: &'static str,
        path: Option<String>,
        _serving: Serving,
        _in_hand: InHand,
    }
}

impl<F, B> Future for Observed<F>
where
    F: Future<Output = Result<ServiceResponse<B>, Error>>,
{
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, context: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let mut outcome = match this.answer.poll(context) {
            Poll::Ready(outcome) => outcome,
            Poll::Pending => return Poll::Pending,
        };
        let elapsed = this.started.elapsed();
        let status = match &outcome {
            Ok(response) => response.status(),
            Err(error) => error.as_response_error().status_code(),
        };
        // Read once routed: an error here (none of the services below returns one: a handler's
        // is its answer by now) has no request left to say which route it took.
        let route = match &outcome {
            Ok(response) => route_label(response.request()),
            Err(_) => Cow::Borrowed(UNMATCHED_ROUTE),
        };
        this.shared
            .metrics
            .observe_labelled(this.method, &route, status.as_u16(), elapsed);
        drop(route);
        if let Some(path) = this.path.take() {
            let trace_id = outcome
                .as_ref()
                .ok()
                .and_then(|response| request_trace_id(response.request()));
            tracing::info!(
                method = *this.method,
                path,
                status = status.as_u16(),
                duration_ms = %format_args!("{:.3}", elapsed.as_secs_f64() * 1000.0),
                trace_id = trace_id.as_deref().unwrap_or("-"),
                "request"
            );
        }
        // Its client sends nothing more on this connection, and actix closes it after the answer.
        if let Ok(response) = &mut outcome
            && this.shared.drain.draining()
        {
            response
                .response_mut()
                .head_mut()
                .set_connection_type(ConnectionType::Close);
        }
        Poll::Ready(outcome)
    }
}

/// The `route` label of a routed request: its resource's [`RoutePattern`], or else actix's own
/// answer (by the resource the router took, or for a request no resource took by matching its path
/// against every route), [`UNMATCHED_ROUTE`] when none matches.
fn route_label(request: &HttpRequest) -> Cow<'_, str> {
    match request.app_data::<RoutePattern>() {
        Some(pattern) => {
            // actix knows no pattern for a mount's requests (its scope has no resources).
            debug_assert!(
                request
                    .match_pattern()
                    .is_none_or(|actix| actix == pattern.as_str()),
                "a resource's RoutePattern is not its pattern"
            );
            Cow::Borrowed(pattern.as_str())
        }
        None => request
            .match_pattern()
            .map_or(Cow::Borrowed(UNMATCHED_ROUTE), Cow::Owned),
    }
}

/// The trace id of the request's server span, or else the one its headers carry.
fn request_trace_id(request: &HttpRequest) -> Option<String> {
    let root_span = request.extensions().get::<RootSpan>().cloned();
    crate::telemetry::context::trace_id(root_span.as_deref(), request.headers())
}
