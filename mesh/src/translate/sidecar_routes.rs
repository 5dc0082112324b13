//! The sidecars' routes: for a service, the VirtualService that routes it on the mesh (the
//! exact host first, then the most specific wildcard, then the oldest) and the virtual host
//! it makes, for the shared outbound listeners or for one pod's sidecar.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use super::hosts::{self, MESH_GATEWAY};
use super::model::RoutingModel;
use super::routes::{self, RouteContext};
use super::{ROUTE_CONFIG_TYPE, Translation};
use crate::identity::Pod;
use crate::istio::{ResourceKey, VirtualServiceSpec};
use crate::topology::Service;

impl Translation<'_> {
    /// The route configuration of a service's outbound listener.
    pub(super) fn sidecar_routes(
        &mut self,
        service: &Service,
        route_name: &str,
        resources: &RoutingModel,
    ) -> Value {
        json!({
            "@type": ROUTE_CONFIG_TYPE,
            "name": route_name,
            "validate_clusters": false,
            // The listener is the service's own, so any Host header is this service.
            "virtual_hosts": [self.sidecar_virtual_host(service, resources, None, json!(["*"]))],
        })
    }

    /// The virtual host of `service` as the sidecar of `source` routes it, for `domains`.
    pub(super) fn sidecar_virtual_host(
        &mut self,
        service: &Service,
        resources: &RoutingModel,
        source: Option<&Pod>,
        domains: Value,
    ) -> Value {
        let fqdn = service.fqdn();
        let mesh: BTreeSet<String> = BTreeSet::from([MESH_GATEWAY.to_owned()]);
        let context = RouteContext {
            listen_port: service.port,
            gateways: &mesh,
            source,
        };
        let mut routes = Vec::new();
        if let Some((key, spec)) = self.virtual_service_for(&fqdn, resources) {
            routes = routes::virtual_service_routes(key, spec, &context, self);
        }
        if routes.is_empty() {
            // No VirtualService (or none of its rules applies here): Kubernetes-style
            // balancing over every workload of the service.
            let cluster = context.cluster(format!("outbound|{}||{fqdn}", service.port));
            routes.push(routes::default_route(
                &cluster,
                &format!("{fqdn}:{}/*", service.port),
            ));
        }
        json!({
            "name": format!("{fqdn}:{}", service.port),
            "domains": domains,
            "routes": routes,
            "include_request_attempt_count": true,
        })
    }

    /// The sidecar VirtualService for a host: exact host first, then the most specific
    /// wildcard, then the oldest; later ones for the same host are reported as ignored.
    pub(super) fn virtual_service_for<'r>(
        &mut self,
        fqdn: &str,
        resources: &'r RoutingModel,
    ) -> Option<(&'r ResourceKey, &'r VirtualServiceSpec)> {
        let mut matching: Vec<(usize, &'r ResourceKey, &'r VirtualServiceSpec, String)> =
            Vec::new();
        for (age, (key, spec)) in resources.virtual_services().into_iter().enumerate() {
            if !routes::applies_to_mesh(spec) {
                continue;
            }
            let best = spec
                .hosts
                .iter()
                .map(|host| hosts::resolve(host, &key.namespace))
                .filter(|host| hosts::covers(host, fqdn))
                .max_by_key(|host| hosts::specificity(host));
            if let Some(host) = best {
                matching.push((age, key, spec, host));
            }
        }
        matching.sort_by(|a, b| {
            hosts::specificity(&b.3)
                .cmp(&hosts::specificity(&a.3))
                .then(a.0.cmp(&b.0))
        });
        let (_, chosen_key, chosen_spec, chosen_host) = matching.first()?.clone();
        for (_, key, _, host) in matching.iter().skip(1) {
            if *host == chosen_host {
                self.warnings.push(format!(
                    "{key}: ignored for {fqdn}: {chosen_key} already routes it (Istio uses the oldest)"
                ));
            }
        }
        Some((chosen_key, chosen_spec))
    }
}
