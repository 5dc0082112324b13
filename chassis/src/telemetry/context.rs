//! Trace context across process boundaries: B3 (multi-header and single `b3`) and W3C
//! `traceparent`/`tracestate` read from incoming requests, both written onto outgoing ones.
//!
//! The rule for outbound calls: when the call runs inside a valid span (export is on), the
//! trace headers the request came with (`x-b3-*`, `b3`, `traceparent`, `tracestate`) are replaced
//! by our client span's context, in B3 multi-header and W3C form, so the callee's spans hang
//! under ours. When export is off there is no span and every header is forwarded verbatim, as
//! upstream's services do.

use std::collections::HashMap;

use actix_web::http::header::HeaderMap;
use opentelemetry::propagation::{Extractor, TextMapCompositePropagator, TextMapPropagator};
use opentelemetry::trace::TraceContextExt;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use tracing_opentelemetry::OpenTelemetrySpanExt;

use crate::propagation::ForwardedHeaders;

/// The B3 and W3C headers that a client span's context replaces on an outbound call (the
/// other trace headers of [`crate::propagation::TRACE_CONTEXT_HEADERS`] go on verbatim).
pub const SPAN_CONTEXT_HEADERS: [&str; 8] = [
    "x-b3-traceid",
    "x-b3-spanid",
    "x-b3-parentspanid",
    "x-b3-sampled",
    "x-b3-flags",
    "b3",
    "traceparent",
    "tracestate",
];

/// W3C first, B3 last: when a request carries both, B3 (Istio's default tracer) wins.
/// Injection writes W3C and B3 multi-header; extraction also reads the single `b3` header.
#[allow(deprecated)] // opentelemetry-zipkin, for its B3 propagator; see export.rs
pub(crate) fn propagator() -> TextMapCompositePropagator {
    use opentelemetry_zipkin::{B3Encoding, Propagator as B3};
    TextMapCompositePropagator::new(vec![
        Box::new(TraceContextPropagator::new()),
        Box::new(B3::with_encoding(B3Encoding::MultipleHeader)),
    ])
}

/// `headers` with the trace context of `span` in place of the incoming one, when `span` has a
/// valid context; otherwise `headers` unchanged.
pub(crate) fn with_span_context(
    span: &tracing::Span,
    headers: &ForwardedHeaders,
) -> ForwardedHeaders {
    let context = span.context();
    if !context.span().span_context().is_valid() {
        return headers.clone();
    }
    let mut injected = HashMap::new();
    opentelemetry::global::get_text_map_propagator(|propagator| {
        propagator.inject_context(&context, &mut injected);
    });
    let mut outgoing = SPAN_CONTEXT_HEADERS
        .iter()
        .fold(headers.clone(), |outgoing, name| outgoing.without(name));
    for name in SPAN_CONTEXT_HEADERS {
        if let Some(value) = injected.get(name).filter(|value| !value.is_empty()) {
            outgoing = outgoing.with(name, value);
        }
    }
    outgoing
}

/// The trace id of `span`, or else the one the request came with, for log lines.
pub(crate) fn trace_id(span: Option<&tracing::Span>, headers: &HeaderMap) -> Option<String> {
    if let Some(span) = span {
        let context = span.context();
        let span_context = context.span().span_context().clone();
        if span_context.is_valid() {
            return Some(span_context.trace_id().to_string());
        }
    }
    let incoming = propagator().extract(&HeaderCarrier(headers));
    let span_context = incoming.span().span_context().clone();
    span_context
        .is_valid()
        .then(|| span_context.trace_id().to_string())
}

struct HeaderCarrier<'a>(&'a HeaderMap);

impl Extractor for HeaderCarrier<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|value| value.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(|name| name.as_str()).collect()
    }
}

#[cfg(test)]
mod tests {
    use actix_web::http::header::{HeaderName, HeaderValue};

    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(
                HeaderName::from_static(name),
                HeaderValue::from_static(value),
            );
        }
        map
    }

    #[test]
    fn trace_id_comes_from_b3_multi_single_or_w3c() {
        let multi = headers(&[
            ("x-b3-traceid", "80f198ee56343ba864fe8b2a57d3eff7"),
            ("x-b3-spanid", "e457b5a2e4d86bd1"),
            ("x-b3-sampled", "1"),
        ]);
        assert_eq!(
            trace_id(None, &multi).unwrap(),
            "80f198ee56343ba864fe8b2a57d3eff7"
        );
        let single = headers(&[("b3", "80f198ee56343ba8-e457b5a2e4d86bd1-1")]);
        assert_eq!(
            trace_id(None, &single).unwrap(),
            "000000000000000080f198ee56343ba8"
        );
        let w3c = headers(&[(
            "traceparent",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        )]);
        assert_eq!(
            trace_id(None, &w3c).unwrap(),
            "4bf92f3577b34da6a3ce929d0e0e4736"
        );
        assert!(trace_id(None, &headers(&[("x-b3-traceid", "nope")])).is_none());
    }

    #[test]
    fn without_a_span_the_headers_go_out_as_they_came() {
        let incoming = ForwardedHeaders::from_headers(&headers(&[
            ("x-b3-traceid", "80f198ee56343ba864fe8b2a57d3eff7"),
            (
                "traceparent",
                "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            ),
        ]));
        assert_eq!(
            with_span_context(&tracing::Span::none(), &incoming),
            incoming
        );
    }
}
