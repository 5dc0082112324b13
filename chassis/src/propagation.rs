//! The headers every service copies from an incoming request onto each outbound call, so that
//! Istio can join traces and route by user. The list lives here and nowhere else.

use std::convert::Infallible;
use std::future::{Ready, ready};

use actix_web::http::header::{HeaderMap, HeaderName, HeaderValue};
use actix_web::{FromRequest, HttpRequest, dev::Payload};

/// The `end-user` header: Istio's request-routing rules match on it (the "jason" walkthrough).
pub const END_USER: &str = "end-user";

/// Every header forwarded verbatim on outbound calls, lower-case.
///
/// Trace context for each tracer Istio can be configured with (B3 multi and single header, W3C,
/// OpenTracing, Datadog, Google Cloud, gRPC, SkyWalking), Envoy's request id, the caller's
/// identity headers, and `end-user`.
pub const FORWARDED_HEADERS: [&str; 21] = [
    "x-request-id",
    "x-b3-traceid",
    "x-b3-spanid",
    "x-b3-parentspanid",
    "x-b3-sampled",
    "x-b3-flags",
    "b3",
    "x-ot-span-context",
    "x-datadog-trace-id",
    "x-datadog-parent-id",
    "x-datadog-sampling-priority",
    "traceparent",
    "tracestate",
    "x-cloud-trace-context",
    "grpc-trace-bin",
    "sw8",
    "user-agent",
    "cookie",
    "authorization",
    "jwt",
    END_USER,
];

/// The part of [`FORWARDED_HEADERS`] that carries only trace context and request ids: no user
/// name, credentials, cookies or user agent. This is all a call leaving the mesh (to a third
/// party) may carry; see [`ForwardedHeaders::trace_context_only`].
pub const TRACE_CONTEXT_HEADERS: [&str; 16] = [
    "x-request-id",
    "x-b3-traceid",
    "x-b3-spanid",
    "x-b3-parentspanid",
    "x-b3-sampled",
    "x-b3-flags",
    "b3",
    "x-ot-span-context",
    "x-datadog-trace-id",
    "x-datadog-parent-id",
    "x-datadog-sampling-priority",
    "traceparent",
    "tracestate",
    "x-cloud-trace-context",
    "grpc-trace-bin",
    "sw8",
];

/// The forwardable headers of one incoming request, ready to be put on outbound calls.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ForwardedHeaders {
    headers: Vec<(HeaderName, HeaderValue)>,
}

impl ForwardedHeaders {
    /// Collects the headers named in [`FORWARDED_HEADERS`], every value of each, in list order.
    pub fn from_headers(incoming: &HeaderMap) -> Self {
        // One pass over what arrived (a handful of headers) rather than a lookup per listed
        // name: looking up by `&str` parses the name into a `HeaderName` each time, 21 parses a
        // request. The stable sort keeps each header's values in the order they came.
        let mut ranked: Vec<(usize, HeaderName, HeaderValue)> = incoming
            .iter()
            .filter_map(|(name, value)| {
                let rank = FORWARDED_HEADERS
                    .iter()
                    .position(|listed| *listed == name.as_str())?;
                Some((rank, name.clone(), value.clone()))
            })
            .collect();
        ranked.sort_by_key(|(rank, _, _)| *rank);
        let headers = ranked
            .into_iter()
            .map(|(_, name, value)| (name, value))
            .collect();
        Self { headers }
    }

    /// Drops every value of `name` (lower-case).
    pub fn without(mut self, name: &str) -> Self {
        self.headers.retain(|(header, _)| header.as_str() != name);
        self
    }

    /// Replaces every value of `name` with `value`, sent as its UTF-8 bytes (a user name may be
    /// `jösé`). A value that cannot be sent as a header (control characters) drops the header
    /// instead: it could only ever be a forged one.
    pub fn with(self, name: &'static str, value: &str) -> Self {
        let mut replaced = self.without(name);
        if let Ok(value) = HeaderValue::from_bytes(value.as_bytes()) {
            replaced
                .headers
                .push((HeaderName::from_static(name), value));
        }
        replaced
    }

    /// Keeps only the [`TRACE_CONTEXT_HEADERS`], for a call to a third party outside the mesh:
    /// a user's cookie, `authorization`, `jwt` or `end-user` must never reach it.
    pub fn trace_context_only(mut self) -> Self {
        self.headers
            .retain(|(header, _)| TRACE_CONTEXT_HEADERS.contains(&header.as_str()));
        self
    }

    /// The value of `name`, if present.
    pub fn get(&self, name: &str) -> Option<&HeaderValue> {
        self.headers
            .iter()
            .find(|(header, _)| header.as_str() == name)
            .map(|(_, value)| value)
    }

    /// Every header, in the order it will be sent.
    pub fn iter(&self) -> impl Iterator<Item = (&HeaderName, &HeaderValue)> {
        self.headers.iter().map(|(name, value)| (name, value))
    }

    /// Puts the headers on an outbound request.
    pub fn apply(&self, mut request: awc::ClientRequest) -> awc::ClientRequest {
        for (name, value) in &self.headers {
            request = request.append_header((name.clone(), value.clone()));
        }
        request
    }
}

impl FromRequest for ForwardedHeaders {
    type Error = Infallible;
    type Future = Ready<Result<Self, Infallible>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(Self::from_headers(request.headers())))
    }
}

#[cfg(test)]
mod tests {
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
    fn only_listed_headers_are_collected() {
        let incoming = headers(&[
            ("x-request-id", "abc"),
            ("host", "example"),
            ("x-b3-traceid", "80f198ee56343ba8"),
            ("content-length", "3"),
        ]);
        let forwarded = ForwardedHeaders::from_headers(&incoming);
        let names: Vec<_> = forwarded.iter().map(|(name, _)| name.as_str()).collect();
        assert_eq!(names, ["x-request-id", "x-b3-traceid"]);
    }

    #[test]
    fn headers_are_collected_in_list_order_and_values_in_arrival_order() {
        let incoming = headers(&[
            ("traceparent", "00-1-2-01"),
            ("cookie", "b=2"),
            ("x-request-id", "abc"),
            ("cookie", "a=1"),
        ]);
        let forwarded = ForwardedHeaders::from_headers(&incoming);
        let pairs: Vec<_> = forwarded
            .iter()
            .map(|(name, value)| (name.as_str(), value.to_str().unwrap()))
            .collect();
        // FORWARDED_HEADERS lists x-request-id, then traceparent, then cookie.
        assert_eq!(
            pairs,
            [
                ("x-request-id", "abc"),
                ("traceparent", "00-1-2-01"),
                ("cookie", "b=2"),
                ("cookie", "a=1"),
            ]
        );
    }

    #[test]
    fn every_value_of_a_repeated_header_is_kept() {
        let incoming = headers(&[("cookie", "a=1"), ("cookie", "b=2")]);
        let forwarded = ForwardedHeaders::from_headers(&incoming);
        assert_eq!(forwarded.iter().count(), 2);
    }

    #[test]
    fn with_replaces_and_without_removes() {
        let incoming = headers(&[("end-user", "mallory"), ("jwt", "t")]);
        let forwarded = ForwardedHeaders::from_headers(&incoming);
        let replaced = forwarded.clone().with(END_USER, "jason");
        assert_eq!(replaced.get(END_USER).unwrap(), "jason");
        assert_eq!(replaced.iter().count(), 2);
        let removed = forwarded.without(END_USER);
        assert!(removed.get(END_USER).is_none());
        assert_eq!(removed.get("jwt").unwrap(), "t");
    }

    #[test]
    fn non_ascii_value_is_sent_as_utf8_bytes() {
        let forwarded = ForwardedHeaders::default().with(END_USER, "jösé");
        assert_eq!(
            forwarded.get(END_USER).unwrap().as_bytes(),
            "jösé".as_bytes()
        );
    }

    #[test]
    fn unsendable_value_drops_the_header() {
        let forwarded = ForwardedHeaders::default().with(END_USER, "bad\nvalue");
        assert!(forwarded.get(END_USER).is_none());
    }

    #[test]
    fn trace_context_only_drops_identity_and_credentials() {
        let incoming = headers(&[
            ("x-request-id", "abc"),
            (
                "traceparent",
                "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
            ),
            ("cookie", "session=secret"),
            ("authorization", "Bearer secret"),
            ("jwt", "secret"),
            ("end-user", "jason"),
            ("user-agent", "curl/8"),
        ]);
        let forwarded = ForwardedHeaders::from_headers(&incoming).trace_context_only();
        let names: Vec<_> = forwarded.iter().map(|(name, _)| name.as_str()).collect();
        assert_eq!(names, ["x-request-id", "traceparent"]);
    }

    /// A header added to the forwarded list must be put on one side or the other on purpose.
    #[test]
    fn every_forwarded_header_is_either_trace_context_or_identity() {
        let identity = ["user-agent", "cookie", "authorization", "jwt", END_USER];
        for name in FORWARDED_HEADERS {
            let is_trace = TRACE_CONTEXT_HEADERS.contains(&name);
            assert_ne!(is_trace, identity.contains(&name), "{name} is unclassified");
        }
        for name in TRACE_CONTEXT_HEADERS {
            assert!(
                FORWARDED_HEADERS.contains(&name),
                "{name} is not forwarded at all"
            );
        }
    }

    #[test]
    fn list_is_lower_case_and_has_no_duplicates() {
        let mut seen = std::collections::HashSet::new();
        for name in FORWARDED_HEADERS {
            assert_eq!(name, name.to_ascii_lowercase());
            assert!(seen.insert(name), "{name} listed twice");
        }
    }
}
