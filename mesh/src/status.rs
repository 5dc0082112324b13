//! The `status` Istio's gateway controller writes on Gateway API resources, computed from the
//! routing model: a Gateway is Accepted and Programmed (the ingress serves it) with the routes
//! attached to each listener; an HTTPRoute is Accepted or not by each parent, and ResolvedRefs
//! is False with reason BackendNotFound while a backend names no Service.

use std::net::IpAddr;

use serde_json::{Value, json};

use crate::clock;
use crate::istio::gateway_api::{GATEWAY_API_GROUP, ParentRef, SERVICE_TYPE_ANNOTATION};
use crate::istio::{KubernetesGatewaySpec, Resource, ResourceKey, Spec};
use crate::translate::model::{RouteStatus, RoutingModel, generated_gateway_name};

/// The controller name Istio writes in route status.
pub const CONTROLLER_NAME: &str = "istio.io/gateway-controller";

/// A condition as Kubernetes writes it; `since` is when it last changed (here: creation).
fn condition(kind: &str, status: bool, reason: &str, message: &str, since: u64) -> Value {
    json!({
        "lastTransitionTime": clock::rfc3339(since),
        "message": message,
        "observedGeneration": 1,
        "reason": reason,
        "status": if status { "True" } else { "False" },
        "type": kind,
    })
}

/// Where a Gateway is reached, as its status reports it: the ingress's IP for the
/// LoadBalancer Service Istio deploys by default, the Service's host name when the
/// `networking.istio.io/service-type` annotation makes it a ClusterIP one.
pub fn gateway_address(resource: &Resource, ingress: IpAddr) -> (&'static str, String) {
    let waypoint =
        matches!(&resource.spec, Spec::KubernetesGateway(gateway) if gateway.is_waypoint());
    if waypoint {
        // Istio deploys a waypoint's Service under the Gateway's own name.
        return (
            "Hostname",
            format!(
                "{}.{}.svc.cluster.local",
                resource.key.name, resource.key.namespace
            ),
        );
    }
    let service_type = resource
        .annotations
        .get(SERVICE_TYPE_ANNOTATION)
        .map(String::as_str);
    if service_type == Some("ClusterIP") {
        (
            "Hostname",
            format!(
                "{}-istio.{}.svc.cluster.local",
                resource.key.name, resource.key.namespace
            ),
        )
    } else {
        ("IPAddress", ingress.to_string())
    }
}

/// A Gateway's status: its address, Accepted and Programmed, and per listener the routes
/// attached.
pub fn gateway(
    key: &ResourceKey,
    spec: &KubernetesGatewaySpec,
    model: &RoutingModel,
    address: (&str, String),
    since: u64,
) -> Value {
    let service = spec.listeners.first().map_or_else(String::new, |listener| {
        format!(
            "{}-istio.{}.svc.cluster.local:{}",
            key.name, key.namespace, listener.port
        )
    });
    let listeners: Vec<Value> = spec
        .listeners
        .iter()
        .map(|listener| {
            let generated = format!(
                "{}/{}",
                key.namespace,
                generated_gateway_name(&key.name, &listener.name)
            );
            json!({
                "attachedRoutes": model.attached_routes.get(&generated).copied().unwrap_or(0),
                "conditions": [
                    condition("Accepted", true, "Accepted", "No errors found", since),
                    condition("NoConflicts", false, "NoConflicts", "No errors found", since),
                    condition("Programmed", true, "Programmed", "No errors found", since),
                    condition("ResolvedRefs", true, "ResolvedRefs", "No errors found", since),
                ],
                "name": listener.name,
                "supportedKinds": [{"group": GATEWAY_API_GROUP, "kind": "HTTPRoute"}],
            })
        })
        .collect();
    json!({
        "addresses": [{"type": address.0, "value": address.1}],
        "conditions": [
            condition("Accepted", true, "Accepted", "Resource accepted", since),
            condition(
                "Programmed",
                true,
                "Programmed",
                &format!("Resource programmed, assigned to service(s) {service}"),
                since,
            ),
        ],
        "listeners": listeners,
    })
}

/// An HTTPRoute's status: one entry per parent, Accepted and ResolvedRefs.
pub fn http_route(status: Option<&RouteStatus>, since: u64) -> Value {
    let Some(status) = status else {
        return json!({ "parents": [] });
    };
    let resolved = match status.missing_backends.as_slice() {
        _ if !status.not_permitted_backends.is_empty() => condition(
            "ResolvedRefs",
            false,
            "RefNotPermitted",
            &status
                .not_permitted_backends
                .iter()
                .map(|reference| format!("backendRef {reference} not accessible to a HTTPRoute in another namespace (missing a ReferenceGrant?)"))
                .collect::<Vec<_>>()
                .join("; "),
            since,
        ),
        [] => condition(
            "ResolvedRefs",
            true,
            "ResolvedRefs",
            "All references resolved",
            since,
        ),
        missing => condition(
            "ResolvedRefs",
            false,
            "BackendNotFound",
            &missing
                .iter()
                .map(|host| format!("backend({host}) not found"))
                .collect::<Vec<_>>()
                .join("; "),
            since,
        ),
    };
    let parents: Vec<Value> = status
        .parents
        .iter()
        .map(|parent| {
            let accepted = match &parent.refused {
                None => {
                    let message = match &parent.idle {
                        Some(idle) => format!("Route was valid; {idle}"),
                        None => "Route was valid".to_owned(),
                    };
                    condition("Accepted", true, "Accepted", &message, since)
                }
                Some(refused) => {
                    condition("Accepted", false, refused.reason, &refused.message, since)
                }
            };
            json!({
                "conditions": [accepted, resolved.clone()],
                "controllerName": CONTROLLER_NAME,
                "parentRef": parent_ref(&parent.parent),
            })
        })
        .collect();
    json!({ "parents": parents })
}

/// The reference as written, its group and kind filled in as the API server defaults them.
fn parent_ref(parent: &ParentRef) -> Value {
    let mut out = serde_json::Map::new();
    out.insert(
        "group".into(),
        json!(parent.group.as_deref().unwrap_or(GATEWAY_API_GROUP)),
    );
    out.insert(
        "kind".into(),
        json!(parent.kind.as_deref().unwrap_or("Gateway")),
    );
    out.insert("name".into(), json!(parent.name));
    if let Some(namespace) = &parent.namespace {
        out.insert("namespace".into(), json!(namespace));
    }
    if let Some(port) = parent.port {
        out.insert("port".into(), json!(port));
    }
    if let Some(section) = &parent.section_name {
        out.insert("sectionName".into(), json!(section));
    }
    Value::Object(out)
}
