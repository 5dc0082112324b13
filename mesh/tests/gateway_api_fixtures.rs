//! The Gateway API files the walkthroughs apply, read from the repository (they are the
//! contract), and the inline resources of istio.io's Gateway API tabs.
#![allow(dead_code)]

pub const BOOKINFO_GATEWAY: &str = include_str!("../../gateway-api/bookinfo-gateway.yaml");
pub const BOOKINFO_VERSIONS: &str = include_str!("../../platform/kube/bookinfo-versions.yaml");
pub const ROUTE_ALL_V1: &str = include_str!("../../gateway-api/route-all-v1.yaml");
pub const ROUTE_REVIEWS_50_V3: &str = include_str!("../../gateway-api/route-reviews-50-v3.yaml");
pub const ROUTE_REVIEWS_90_10: &str = include_str!("../../gateway-api/route-reviews-90-10.yaml");
pub const ROUTE_REVIEWS_V3: &str = include_str!("../../gateway-api/route-reviews-v3.yaml");

/// An HTTPRoute named after `service`, attached to that Service (GAMMA, as the task pages
/// write it), with `rules` (YAML, indented as under `rules:`).
pub fn service_route(service: &str, rules: &str) -> String {
    format!(
        "apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: {service}
spec:
  parentRefs:
  - group: \"\"
    kind: Service
    name: {service}
    port: 9080
  rules:
{rules}"
    )
}

/// Request routing, Gateway API tab: jason to v2, everyone else to v1.
pub fn route_reviews_jason_v2() -> String {
    service_route(
        "reviews",
        "  - matches:
    - headers:
      - name: end-user
        value: jason
    backendRefs:
    - name: reviews-v2
      port: 9080
  - backendRefs:
    - name: reviews-v1
      port: 9080
",
    )
}

/// Request timeouts, Gateway API tab: reviews to v2 with a half-second request timeout.
pub fn route_reviews_v2_timeout() -> String {
    service_route(
        "reviews",
        "  - backendRefs:
    - name: reviews-v2
      port: 9080
    timeouts:
      request: 500ms
",
    )
}

/// One rule per filter kind, on reviews: a redirect for `/old`, a whole-path rewrite for
/// `/full`, a prefix rewrite for `/api`, and header edits with a mirror for everything else.
pub fn reviews_filters_route() -> String {
    service_route(
        "reviews",
        r#"  - matches:
    - path: {type: PathPrefix, value: /old}
    filters:
    - type: RequestRedirect
      requestRedirect:
        path: {type: ReplacePrefixMatch, replacePrefixMatch: /new}
        statusCode: 301
  - matches:
    - path: {type: Exact, value: /full}
    filters:
    - type: URLRewrite
      urlRewrite:
        hostname: elsewhere
        path: {type: ReplaceFullPath, replaceFullPath: /reviews/0}
    backendRefs:
    - {name: reviews-v1, port: 9080}
  - matches:
    - path: {type: PathPrefix, value: /api}
    filters:
    - type: URLRewrite
      urlRewrite:
        path: {type: ReplacePrefixMatch, replacePrefixMatch: /reviews}
    backendRefs:
    - {name: reviews-v1, port: 9080}
  - filters:
    - type: RequestHeaderModifier
      requestHeaderModifier:
        set: [{name: x-set, value: one}]
        add: [{name: x-add, value: two}]
        remove: [x-gone]
    - type: ResponseHeaderModifier
      responseHeaderModifier:
        set: [{name: x-answer, value: three}]
    - type: RequestMirror
      requestMirror:
        backendRef: {name: reviews-v3, port: 9080}
    backendRefs:
    - {name: reviews-v2, port: 9080}
"#,
    )
}
