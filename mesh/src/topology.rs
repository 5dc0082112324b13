//! The workloads the mesh routes to and the local ports Envoy listens on: what a Kubernetes
//! cluster's Services, Pods and the ingress gateway's Service would tell Istio.

use std::collections::BTreeMap;
use std::net::SocketAddr;

use serde::{Deserialize, Serialize};

use crate::egress::Egress;
use crate::identity::{PodRole, Sidecars};

/// The namespace every Bookinfo service lives in, as in `platform/kube/bookinfo.yaml`.
pub const NAMESPACE: &str = "default";

/// The cluster's DNS suffix: `reviews` is `reviews.default.svc.cluster.local`.
pub const DNS_SUFFIX: &str = "svc.cluster.local";

/// The port of every Bookinfo Service (named `http`).
pub const SERVICE_PORT: u16 = 9080;

/// The Gateway server ports that reach the ingress listener. On a cluster the
/// `istio-ingressgateway` Service maps 80 to the pod's 8080; Istio accepts a Gateway server on
/// either (upstream's file used 80, today's uses 8080).
pub const INGRESS_GATEWAY_PORTS: [u16; 2] = [8080, 80];

/// The Gateway server ports the HTTPS ingress listener serves: the pod's 8443, or 443 as the
/// ingress Service maps it.
pub const INGRESS_GATEWAY_HTTPS_PORTS: [u16; 2] = [8443, 443];

/// The label selector of the one gateway workload here (`selector: istio: ingressgateway`).
pub const INGRESS_GATEWAY_SELECTOR: (&str, &str) = ("istio", "ingressgateway");

/// Everything the translator needs to know about the world outside the YAML.
///
/// A port of `0` lets the operating system choose; [`crate::Mesh`] reports the ports Envoy
/// actually bound.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Topology {
    /// Services by name (`details`, `reviews`, ...), each with its workloads.
    pub services: Vec<Service>,
    /// The ingress gateway's listener (the cluster's `istio-ingressgateway`).
    pub ingress_port: u16,
    /// The ingress gateway's HTTPS listener (port 443 on a cluster).
    #[serde(default)]
    pub ingress_https_port: u16,
    /// Envoy's admin interface (stats, config dump, readiness).
    pub admin_port: u16,
    /// The outbound traffic policy, the egress CA, the external hosts called.
    #[serde(default)]
    pub egress: Egress,
    /// Pods with identities and sidecars of their own (mutual TLS between them); without,
    /// one shared outbound listener per service and plain HTTP to the workloads.
    #[serde(default)]
    pub sidecars: Option<Sidecars>,
}

/// One Kubernetes Service: its name, its port, the workloads behind it, and the local port of
/// the outbound ("sidecar") listener that callers use in place of the Service's address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Service {
    pub name: String,
    /// The Service port (`9080` for every Bookinfo service).
    pub port: u16,
    /// Where callers send requests for this service: Envoy's outbound listener for it.
    pub outbound_port: u16,
    pub workloads: Vec<Workload>,
}

/// One pod: its labels (`app`, `version`) and where it listens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Workload {
    pub labels: BTreeMap<String, String>,
    pub address: SocketAddr,
}

// === impl Topology ===

impl Topology {
    /// An empty topology whose listeners all take free ports.
    pub fn new() -> Self {
        Self {
            services: Vec::new(),
            ingress_port: 0,
            ingress_https_port: 0,
            admin_port: 0,
            egress: Egress::default(),
            sidecars: None,
        }
    }

    /// Adds a service on [`SERVICE_PORT`] whose outbound listener takes a free port.
    pub fn with_service(self, name: &str, workloads: Vec<Workload>) -> Self {
        self.with_service_on_port(name, SERVICE_PORT, workloads)
    }

    /// Adds a service on another port (`my-nginx` on 443, say), with a free outbound port.
    pub fn with_service_on_port(mut self, name: &str, port: u16, workloads: Vec<Workload>) -> Self {
        self.services.push(Service {
            name: name.to_owned(),
            port,
            outbound_port: 0,
            workloads,
        });
        self
    }

    pub fn with_ingress_port(mut self, port: u16) -> Self {
        self.ingress_port = port;
        self
    }

    pub fn with_ingress_https_port(mut self, port: u16) -> Self {
        self.ingress_https_port = port;
        self
    }

    pub fn with_egress(mut self, egress: Egress) -> Self {
        self.egress = egress;
        self
    }

    /// Pods with sidecars, and for each `app` label among the app pods (in their order) a
    /// Service on [`SERVICE_PORT`] whose workloads are those pods' inbound listeners, as a
    /// Deployment's pods are its Service's endpoints.
    pub fn with_pods(mut self, sidecars: Sidecars) -> Self {
        for pod in &sidecars.pods {
            let (PodRole::App { .. }, Some(app), Some(ip)) =
                (pod.role, pod.labels.get("app"), sidecars.pod_ip(&pod.name))
            else {
                continue;
            };
            let workload = Workload {
                labels: pod.labels.clone(),
                address: SocketAddr::from((ip, SERVICE_PORT)),
            };
            match self
                .services
                .iter_mut()
                .find(|service| service.name == *app)
            {
                Some(service) => service.workloads.push(workload),
                None => self = self.with_service(app, vec![workload]),
            }
        }
        self.sidecars = Some(sidecars);
        self
    }

    pub fn with_admin_port(mut self, port: u16) -> Self {
        self.admin_port = port;
        self
    }

    /// The service named `name` (short name, as in the topology).
    pub fn service(&self, name: &str) -> Option<&Service> {
        self.services.iter().find(|service| service.name == name)
    }

    /// The service whose fully qualified host name is `fqdn`.
    pub fn service_by_fqdn(&self, fqdn: &str) -> Option<&Service> {
        self.services.iter().find(|service| service.fqdn() == fqdn)
    }
}

impl Default for Topology {
    fn default() -> Self {
        Self::new()
    }
}

// === impl Service ===

impl Service {
    /// `reviews.default.svc.cluster.local`.
    pub fn fqdn(&self) -> String {
        format!("{}.{NAMESPACE}.{DNS_SUFFIX}", self.name)
    }

    /// The workloads whose labels include every label in `selector`.
    pub fn select<'a>(
        &'a self,
        selector: &'a BTreeMap<String, String>,
    ) -> impl Iterator<Item = &'a Workload> + 'a {
        self.workloads.iter().filter(move |workload| {
            selector
                .iter()
                .all(|(key, value)| workload.labels.get(key) == Some(value))
        })
    }
}

// === impl Workload ===

impl Workload {
    /// A pod of `app` at `version`, labelled as upstream's Deployments are.
    pub fn new(app: &str, version: &str, address: SocketAddr) -> Self {
        let labels = BTreeMap::from([
            ("app".to_owned(), app.to_owned()),
            ("version".to_owned(), version.to_owned()),
        ]);
        Self { labels, address }
    }

    /// The `version` label, or `""` without one.
    pub fn version(&self) -> &str {
        self.labels.get("version").map_or("", String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn select_keeps_workloads_carrying_every_selector_label() {
        let service = Service {
            name: "reviews".into(),
            port: SERVICE_PORT,
            outbound_port: 0,
            workloads: vec![
                Workload::new("reviews", "v1", "127.0.0.1:1".parse().unwrap()),
                Workload::new("reviews", "v2", "127.0.0.1:2".parse().unwrap()),
            ],
        };
        let selector = BTreeMap::from([("version".to_owned(), "v2".to_owned())]);
        let chosen: Vec<_> = service.select(&selector).map(Workload::version).collect();
        assert_eq!(chosen, ["v2"]);
        assert_eq!(service.fqdn(), "reviews.default.svc.cluster.local");
    }
}
