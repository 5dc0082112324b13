//! Host names as Istio reads them: short names resolved in the resource's namespace, `*`
//! wildcards, and `namespace/host` in Gateway servers and VirtualService gateway lists.

use crate::topology::DNS_SUFFIX;

/// The reserved gateway name for the sidecars.
pub const MESH_GATEWAY: &str = "mesh";

/// `reviews` in `default` is `reviews.default.svc.cluster.local`; a name with a dot or a
/// wildcard is taken as written (so `reviews.default` matches no Service, as on a cluster).
pub fn resolve(host: &str, namespace: &str) -> String {
    if host.contains('*') || host.contains('.') {
        host.to_owned()
    } else {
        format!("{host}.{namespace}.{DNS_SUFFIX}")
    }
}

/// Whether `pattern` (possibly `*` or `*.suffix`) covers `name` (possibly a wildcard too).
pub fn covers(pattern: &str, name: &str) -> bool {
    match pattern.strip_prefix('*') {
        Some(suffix) => name.ends_with(suffix) && (name.len() > suffix.len() || suffix.is_empty()),
        None => pattern == name,
    }
}

/// Where two host patterns overlap, the more specific of the two; `None` when they don't.
pub fn intersect(a: &str, b: &str) -> Option<String> {
    if covers(a, b) {
        Some(b.to_owned())
    } else if covers(b, a) {
        Some(a.to_owned())
    } else {
        None
    }
}

/// How specific a host pattern is: exact names beat any wildcard, longer suffixes beat shorter.
pub fn specificity(pattern: &str) -> (bool, usize) {
    (!pattern.starts_with('*'), pattern.len())
}

/// A gateway reference from a VirtualService (`name` or `namespace/name`) as `namespace/name`;
/// `mesh` stays `mesh`.
pub fn gateway_name(reference: &str, namespace: &str) -> String {
    if reference == MESH_GATEWAY || reference.contains('/') {
        reference.to_owned()
    } else {
        format!("{namespace}/{reference}")
    }
}

/// Splits a Gateway server host `ns/host` into the namespaces it admits and the host:
/// `*/h` and bare `h` admit every namespace, `./h` the Gateway's own.
pub fn server_host<'a>(entry: &'a str, gateway_namespace: &'a str) -> (Option<&'a str>, &'a str) {
    match entry.split_once('/') {
        Some(("*", host)) => (None, host),
        Some((".", host)) => (Some(gateway_namespace), host),
        Some((namespace, host)) => (Some(namespace), host),
        None => (None, entry),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolve_completes_short_names_only() {
        assert_eq!(
            resolve("reviews", "default"),
            "reviews.default.svc.cluster.local"
        );
        assert_eq!(resolve("reviews.default", "default"), "reviews.default");
        assert_eq!(resolve("*", "default"), "*");
    }

    #[test]
    fn wildcards_cover_names_with_their_suffix() {
        assert!(covers("*", "reviews.default.svc.cluster.local"));
        assert!(covers(
            "*.svc.cluster.local",
            "reviews.default.svc.cluster.local"
        ));
        assert!(!covers(
            "*.example.com",
            "reviews.default.svc.cluster.local"
        ));
        assert!(covers("reviews", "reviews"));
        assert_eq!(
            intersect("*", "bookinfo.example.com").as_deref(),
            Some("bookinfo.example.com")
        );
        assert_eq!(intersect("*", "*").as_deref(), Some("*"));
        assert_eq!(intersect("a.com", "b.com"), None);
    }

    #[test]
    fn gateway_references_resolve_in_the_virtual_service_namespace() {
        assert_eq!(
            gateway_name("bookinfo-gateway", "default"),
            "default/bookinfo-gateway"
        );
        assert_eq!(
            gateway_name("istio-system/gw", "default"),
            "istio-system/gw"
        );
        assert_eq!(gateway_name("mesh", "default"), "mesh");
        assert_eq!(
            server_host("./*", "istio-system"),
            (Some("istio-system"), "*")
        );
        assert_eq!(server_host("*", "istio-system"), (None, "*"));
    }
}
