//! What [`MeshControl`] reads from Envoy's admin interface: the config dump and which written
//! files it does not show yet, stats, per-version request counts and the ports Envoy bound.

use std::collections::BTreeMap;
use std::net::SocketAddr;

use serde_json::Value;

use super::{MeshControl, Ports, Stat};
use crate::admin::encode_query;
use crate::egress::Egress;
use crate::error::MeshError;
use crate::istio::ResourceSet;
use crate::translate::{INGRESS_HTTPS_TARGET_PORT, INGRESS_TARGET_PORT, translate};
use crate::xds::Written;

impl MeshControl {
    /// Envoy's `/config_dump`.
    pub fn config_dump(&self) -> Result<Value, MeshError> {
        let body = self.admin.get_ok("/config_dump")?;
        serde_json::from_str(&body).map_err(|error| MeshError::Admin {
            address: self.admin.address.to_string(),
            message: format!("config dump: {error}"),
        })
    }

    /// Counters and gauges whose name matches the regular expression `filter`, e.g.
    /// `outbound\|9080\|.*reviews.*upstream_rq_total` for per-version request counts.
    pub fn stats(&self, filter: &str) -> Result<Vec<Stat>, MeshError> {
        let body = self
            .admin
            .get_ok(&format!("/stats?filter={}", encode_query(filter)))?;
        Ok(body
            .lines()
            .filter_map(|line| {
                let (name, value) = line.split_once(": ")?;
                Some(Stat {
                    name: name.to_owned(),
                    value: value.trim().parse().ok()?,
                })
            })
            .collect())
    }

    /// Requests Envoy sent to each version of `service` (by its workloads' `version` label),
    /// over every cluster of the service: watch traffic shift as VirtualServices change.
    pub fn requests_by_version(&self, service: &str) -> Result<BTreeMap<String, u64>, MeshError> {
        let Some(service) = self.topology.service(service) else {
            return Ok(BTreeMap::new());
        };
        let suffix = format!("|{}", service.fqdn());
        let versions: BTreeMap<String, &str> = service
            .workloads
            .iter()
            .map(|workload| (workload.address.to_string(), workload.version()))
            .collect();
        let mut counts: BTreeMap<String, u64> = service
            .workloads
            .iter()
            .map(|workload| (workload.version().to_owned(), 0))
            .collect();
        for line in self.admin.get_ok("/clusters")?.lines() {
            let fields: Vec<&str> = line.split("::").collect();
            let [cluster, host, "rq_total", value] = fields.as_slice() else {
                continue;
            };
            if !cluster.ends_with(&suffix) {
                continue;
            }
            if let (Some(version), Ok(value)) = (versions.get(*host), value.parse::<u64>()) {
                *counts.entry((*version).to_owned()).or_default() += value;
            }
        }
        Ok(counts)
    }

    /// Where Envoy actually listens, read from its `/listeners`.
    pub fn ports(&self) -> Result<Ports, MeshError> {
        let body = self.admin.get_ok("/listeners?format=json")?;
        let listeners: Value = serde_json::from_str(&body).map_err(|error| MeshError::Admin {
            address: self.admin.address.to_string(),
            message: format!("/listeners: {error}"),
        })?;
        let mut by_name = BTreeMap::new();
        for status in listeners["listener_statuses"]
            .as_array()
            .into_iter()
            .flatten()
        {
            let address = &status["local_address"]["socket_address"];
            let parsed = format!(
                "{}:{}",
                address["address"].as_str().unwrap_or_default(),
                address["port_value"].as_u64().unwrap_or_default()
            )
            .parse::<SocketAddr>();
            if let (Some(name), Ok(parsed)) = (status["name"].as_str(), parsed) {
                by_name.insert(name.to_owned(), parsed);
            }
        }
        let config = translate(&self.topology, &ResourceSet::new())?;
        let mut ingress = None;
        let mut ingress_https = None;
        let mut outbound = BTreeMap::new();
        let mut egress = BTreeMap::new();
        for plan in &config.listeners {
            let Some(address) = by_name.get(&plan.name) else {
                return Err(MeshError::Admin {
                    address: self.admin.address.to_string(),
                    message: format!("listener {} is not running", plan.name),
                });
            };
            // The gateway's own listeners, not the pods' addresses for the gateway Services.
            if plan.name == format!("0.0.0.0_{INGRESS_HTTPS_TARGET_PORT}") {
                ingress_https = Some(*address);
            } else if plan.name == format!("0.0.0.0_{INGRESS_TARGET_PORT}") {
                ingress = Some(*address);
            } else if let Some(service) = self
                .topology
                .services
                .iter()
                .find(|service| plan.name == format!("{}_{}", service.fqdn(), service.port))
            {
                outbound.insert(service.name.clone(), *address);
            } else if let Some(listener) =
                self.topology.egress.listeners.iter().find(|listener| {
                    plan.name == Egress::listener_name(&listener.host, listener.port)
                })
            {
                egress.insert(format!("{}:{}", listener.host, listener.port), *address);
            }
        }
        Ok(Ports {
            ingress: ingress.ok_or_else(|| MeshError::Admin {
                address: self.admin.address.to_string(),
                message: "no ingress listener".into(),
            })?,
            ingress_https: ingress_https.ok_or_else(|| MeshError::Admin {
                address: self.admin.address.to_string(),
                message: "no HTTPS ingress listener".into(),
            })?,
            admin: self.admin.address,
            outbound,
            egress,
        })
    }

    /// The sum of Envoy's `update_rejected` counters (LDS, CDS and every RDS subscription).
    pub(super) fn rejected_updates(&self) -> Result<u64, MeshError> {
        Ok(self
            .stats("update_rejected$")?
            .iter()
            .map(|stat| stat.value)
            .sum())
    }
}

/// The files written that Envoy does not yet show at `version`.
pub(super) fn pending_versions(dump: &Value, version: &str, written: &Written) -> Vec<String> {
    let mut pending = Vec::new();
    let configs = dump["configs"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    // Exact names: `ScopedRoutesConfigDump` would also end in `RoutesConfigDump`.
    let of_type = |name: &str| {
        let wanted = format!("type.googleapis.com/envoy.admin.v3.{name}");
        configs
            .iter()
            .find(|config| config["@type"].as_str() == Some(wanted.as_str()))
    };
    if written.clusters
        && of_type("ClustersConfigDump").and_then(|dump| dump["version_info"].as_str())
            != Some(version)
    {
        pending.push("clusters".to_owned());
    }
    if written.listeners
        && of_type("ListenersConfigDump").and_then(|dump| dump["version_info"].as_str())
            != Some(version)
    {
        pending.push("listeners".to_owned());
    }
    let routes = of_type("RoutesConfigDump")
        .and_then(|dump| dump["dynamic_route_configs"].as_array())
        .map(Vec::as_slice)
        .unwrap_or_default();
    for name in &written.routes {
        let current = routes
            .iter()
            .find(|route| route["route_config"]["name"].as_str() == Some(name.as_str()))
            .and_then(|route| route["version_info"].as_str());
        if current != Some(version) {
            pending.push(format!("routes {name}"));
        }
    }
    pending
}
