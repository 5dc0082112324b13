//! Waypoints as `istioctl waypoint` manages them: the Gateway of class `istio-waypoint` it
//! generates, the waypoints in force in a namespace, and the namespace label that enrolls a
//! namespace's Services with one.

use crate::istio::gateway_api::{GATEWAY_API_GROUP, WAYPOINT_GATEWAY_CLASS, WAYPOINT_LISTENER};
use crate::istio::{ResourceSet, Spec};
use crate::namespaces::service_key;

/// The name `istioctl waypoint apply` gives a waypoint without `--name`.
pub const DEFAULT_WAYPOINT_NAME: &str = "waypoint";

/// The label (on a namespace or a Service) naming the waypoint its Services' traffic goes to.
pub const USE_WAYPOINT_LABEL: &str = "istio.io/use-waypoint";

/// The Gateway `istioctl waypoint apply -n NAMESPACE --name NAME` applies.
pub fn manifest(namespace: &str, name: &str) -> String {
    let (listener, port, protocol) = WAYPOINT_LISTENER;
    format!(
        "apiVersion: {GATEWAY_API_GROUP}/v1\n\
         kind: Gateway\n\
         metadata:\n  name: {name}\n  namespace: {namespace}\n\
         spec:\n  gatewayClassName: {WAYPOINT_GATEWAY_CLASS}\n  listeners:\n\
         \x20 - name: {listener}\n    port: {port}\n    protocol: {protocol}\n"
    )
}

/// The waypoints in force, as (namespace, name), sorted.
pub fn all(resources: &ResourceSet) -> Vec<(String, String)> {
    let mut waypoints: Vec<(String, String)> = resources
        .in_creation_order()
        .into_iter()
        .filter(|resource| {
            matches!(&resource.spec, Spec::KubernetesGateway(gateway) if gateway.is_waypoint())
        })
        .map(|resource| (resource.key.namespace.clone(), resource.key.name.clone()))
        .collect();
    waypoints.sort();
    waypoints
}

/// The names of the waypoints in force in `namespace`, sorted.
pub fn names_in(resources: &ResourceSet, namespace: &str) -> Vec<String> {
    all(resources)
        .into_iter()
        .filter(|(of, _)| of == namespace)
        .map(|(_, name)| name)
        .collect()
}

/// The waypoint `namespace` is enrolled with (its `istio.io/use-waypoint` label), if any.
pub fn enrolled<'a>(resources: &'a ResourceSet, namespace: &str) -> Option<&'a str> {
    resources
        .namespace_labels
        .get(namespace)
        .and_then(|labels| labels.get(USE_WAYPOINT_LABEL))
        .map(String::as_str)
}

/// The value of `istio.io/use-waypoint` on a Service that keeps it off its namespace's waypoint.
pub const NO_WAYPOINT: &str = "none";

/// The waypoint in force that `namespace` is enrolled with: the one its Services' traffic goes
/// through unless a Service names its own. A label naming no waypoint in force binds nothing.
pub fn serving<'a>(resources: &'a ResourceSet, namespace: &str) -> Option<&'a str> {
    in_force(resources, namespace, enrolled(resources, namespace))
}

/// The waypoint in force that calls to Service `name` of `namespace` go through: the one the
/// Service's own `istio.io/use-waypoint` label names (`none`: no waypoint, whatever its
/// namespace says), else its namespace's.
pub fn for_service<'a>(resources: &'a ResourceSet, namespace: &str, name: &str) -> Option<&'a str> {
    let own = resources
        .service_labels
        .get(&service_key(namespace, name))
        .and_then(|labels| labels.get(USE_WAYPOINT_LABEL))
        .map(String::as_str);
    in_force(
        resources,
        namespace,
        own.or_else(|| enrolled(resources, namespace)),
    )
}

/// Whether waypoint `name` of `namespace` serves any Service: its namespace is enrolled with
/// it, or a Service of the namespace names it.
pub fn serves_any(resources: &ResourceSet, namespace: &str, name: &str) -> bool {
    let prefix = service_key(namespace, "");
    serving(resources, namespace) == Some(name)
        || resources.service_labels.iter().any(|(service, labels)| {
            service.starts_with(&prefix)
                && labels.get(USE_WAYPOINT_LABEL).map(String::as_str) == Some(name)
                && names_in(resources, namespace)
                    .iter()
                    .any(|waypoint| waypoint == name)
        })
}

/// `named`, when it is a waypoint in force in `namespace` (not `none`).
fn in_force<'a>(
    resources: &ResourceSet,
    namespace: &str,
    named: Option<&'a str>,
) -> Option<&'a str> {
    named.filter(|name| {
        *name != NO_WAYPOINT
            && names_in(resources, namespace)
                .iter()
                .any(|waypoint| waypoint == name)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::istio::{self, Action};

    #[test]
    fn the_generated_waypoint_is_accepted_and_listed_in_its_namespace() {
        let mut set = ResourceSet::default();
        let changes = set.apply(istio::parse(&manifest("default", "waypoint")).unwrap());
        assert_eq!(changes[0].action, Action::Created);
        assert_eq!(names_in(&set, "default"), vec!["waypoint".to_owned()]);
        assert!(names_in(&set, "istio-system").is_empty());
    }

    #[test]
    fn an_ingress_gateway_is_no_waypoint() {
        let ingress = "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata:\n  name: bookinfo-gateway\nspec:\n  gatewayClassName: istio\n  listeners:\n  - name: http\n    port: 80\n    protocol: HTTP\n";
        let mut set = ResourceSet::default();
        set.apply(istio::parse(ingress).unwrap());
        assert!(names_in(&set, "default").is_empty());
    }

    #[test]
    fn a_waypoint_listens_for_hbone_on_15008_only() {
        let http = manifest("default", "waypoint").replace("HBONE", "HTTP");
        let error = istio::parse(&http).unwrap_err().to_string();
        assert!(
            error.contains("HTTP on 15008 is not supported for a waypoint"),
            "{error}"
        );
    }
}
