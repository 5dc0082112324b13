//! `ServiceEntry` (`networking.istio.io`): hosts outside the mesh (or inside it, but not
//! Kubernetes Services) added to the mesh's service registry, with their ports, how their
//! addresses are found (`resolution`) and their `endpoints`; checked as Istio's webhook checks
//! them.

use std::collections::BTreeMap;
use std::net::IpAddr;

use serde::Deserialize;

use super::validate::{Problem, problem};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ServiceEntrySpec {
    #[serde(default)]
    pub hosts: Vec<String>,
    #[serde(default)]
    pub ports: Vec<ServiceEntryPort>,
    /// MESH_EXTERNAL unless told otherwise, as Istio reads it.
    pub location: Option<Location>,
    /// NONE unless told otherwise, as Istio reads it.
    pub resolution: Option<Resolution>,
    #[serde(default)]
    pub endpoints: Vec<WorkloadEntry>,
    /// Accepted; every namespace sees every entry here.
    #[serde(default)]
    pub export_to: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ServiceEntryPort {
    pub number: u32,
    pub protocol: Option<String>,
    pub name: Option<String>,
    pub target_port: Option<u32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Location {
    MeshExternal,
    MeshInternal,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Resolution {
    /// Connections go to the address the caller dialled.
    None,
    /// Connections go to the `endpoints`' IP addresses.
    Static,
    /// The host (or each endpoint's host name) is resolved by DNS.
    Dns,
}

/// One endpoint: an address (IP for STATIC, host name or IP for DNS) and per-port overrides.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct WorkloadEntry {
    pub address: String,
    /// Port name to the endpoint's own port number.
    #[serde(default)]
    pub ports: BTreeMap<String, u32>,
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    pub weight: Option<u32>,
}

// === impl ServiceEntrySpec ===

impl ServiceEntrySpec {
    pub fn location(&self) -> Location {
        self.location.unwrap_or(Location::MeshExternal)
    }

    pub fn resolution(&self) -> Resolution {
        self.resolution.unwrap_or(Resolution::None)
    }
}

impl Location {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::MeshExternal => "MESH_EXTERNAL",
            Self::MeshInternal => "MESH_INTERNAL",
        }
    }
}

impl Resolution {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "NONE",
            Self::Static => "STATIC",
            Self::Dns => "DNS",
        }
    }
}

/// What Istio's webhook refuses in a ServiceEntry by itself.
pub(super) fn check(entry: &ServiceEntrySpec) -> Result<(), Problem> {
    if entry.hosts.is_empty() {
        return problem("hosts", "is required");
    }
    for (index, host) in entry.hosts.iter().enumerate() {
        let wildcard_inside = host.chars().skip(1).any(|c| c == '*');
        if host.is_empty() || wildcard_inside || host.contains('/') {
            return problem(
                format!("hosts[{index}]"),
                format!("{host:?} is not a host name"),
            );
        }
        if host.starts_with('*')
            && entry.resolution() == Resolution::Dns
            && entry.endpoints.is_empty()
        {
            return problem(
                format!("hosts[{index}]"),
                "a wildcard host cannot be resolved by DNS without endpoints",
            );
        }
    }
    if entry.ports.is_empty() {
        return problem("ports", "is required");
    }
    let mut names = Vec::new();
    for (index, port) in entry.ports.iter().enumerate() {
        let path = format!("ports[{index}]");
        for (field, number) in [
            ("number", Some(port.number)),
            ("targetPort", port.target_port),
        ] {
            if let Some(number) = number
                && !(1..=65535).contains(&number)
            {
                return problem(format!("{path}.{field}"), format!("{number} is not a port"));
            }
        }
        if let Some(name) = &port.name {
            if names.contains(&name) {
                return problem(format!("{path}.name"), format!("{name} is used twice"));
            }
            names.push(name);
        }
    }
    for (index, endpoint) in entry.endpoints.iter().enumerate() {
        let path = format!("endpoints[{index}]");
        match entry.resolution() {
            Resolution::None => {
                return problem("endpoints", "must be empty with resolution NONE");
            }
            Resolution::Static if endpoint.address.parse::<IpAddr>().is_err() => {
                return problem(
                    format!("{path}.address"),
                    format!(
                        "{} is not an IP address (resolution STATIC)",
                        endpoint.address
                    ),
                );
            }
            _ => {}
        }
        for (name, number) in &endpoint.ports {
            if !entry
                .ports
                .iter()
                .any(|port| port.name.as_ref() == Some(name))
            {
                return problem(format!("{path}.ports.{name}"), "names no port of the entry");
            }
            if !(1..=65535).contains(number) {
                return problem(
                    format!("{path}.ports.{name}"),
                    format!("{number} is not a port"),
                );
            }
        }
    }
    if entry.resolution() == Resolution::Static && entry.endpoints.is_empty() {
        return problem("endpoints", "are required with resolution STATIC");
    }
    Ok(())
}
