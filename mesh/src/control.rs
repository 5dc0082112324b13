//! [`MeshControl`]: applies and deletes YAML on a running mesh, from this process or another one
//! pointed at the same work directory, waits until Envoy runs the result (putting the last
//! accepted configuration back if Envoy rejects it), and reads Envoy's state through its admin
//! interface (config dump, stats, per-version request counts, the ports it bound).

use std::collections::BTreeMap;
use std::fmt;
use std::fs;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::Value;

use crate::admin::{Admin, encode_query};
use crate::clock;
use crate::egress::Egress;
use crate::envoy::log_tail;
use crate::error::MeshError;
use crate::get::{self, GetError, GetRequest, Namespaces, OutputFormat};
use crate::hosts_files;
use crate::istio::{self, Action, Change, ResourceKey, ResourceSet};
use crate::state::{DirLock, State, read_json};
use crate::topology::Topology;
use crate::translate::{INGRESS_HTTPS_TARGET_PORT, INGRESS_TARGET_PORT, Layout, translate};
use crate::wait::{Check, wait_until};
use crate::xds::{self, Written};

/// How long a configuration change may take to show in Envoy's config dump.
pub const APPLY_WITHIN: Duration = Duration::from_secs(10);

/// The addresses Envoy actually listens on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ports {
    /// The ingress gateway (`http://{ingress}/productpage`).
    pub ingress: SocketAddr,
    /// The ingress gateway's HTTPS listener (port 443 on a cluster).
    pub ingress_https: SocketAddr,
    /// The admin interface.
    pub admin: SocketAddr,
    /// Each service's outbound listener, by service name: what callers use instead of the
    /// service's own address.
    pub outbound: BTreeMap<String, SocketAddr>,
    /// Each egress listener, by the `host:port` it stands for.
    pub egress: BTreeMap<String, SocketAddr>,
}

/// Applies configuration to a running mesh and reads its state; needs only the work directory.
#[derive(Debug, Clone)]
pub struct MeshControl {
    pub(crate) dir: PathBuf,
    pub(crate) layout: Layout,
    pub(crate) topology: Topology,
    pub(crate) admin: Admin,
}

/// What an `apply` or `delete` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    pub changes: Vec<Change>,
    pub warnings: Vec<String>,
    /// The configuration version Envoy now runs (unchanged when nothing changed).
    pub version: u64,
}

/// One line of Envoy's `/stats`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stat {
    pub name: String,
    pub value: u64,
}

// === impl MeshControl ===

impl MeshControl {
    /// The controls of the mesh running with `work_dir` as its home.
    pub fn open(work_dir: &Path) -> Result<Self, MeshError> {
        let no_mesh = |message: String| MeshError::NoMesh {
            dir: work_dir.to_path_buf(),
            message,
        };
        let dir = fs::canonicalize(work_dir).map_err(|error| no_mesh(error.to_string()))?;
        let topology: Topology = read_json(&dir.join("topology.json"))
            .and_then(|value| serde_json::from_value(value).map_err(|error| error.to_string()))
            .map_err(&no_mesh)?;
        let admin = fs::read_to_string(dir.join("admin.address"))
            .map_err(|error| no_mesh(format!("admin.address: {error}")))?
            .trim()
            .parse()
            .map_err(|_| no_mesh("admin.address is not an address".into()))?;
        Ok(Self {
            layout: Layout::in_dir(&dir),
            dir,
            topology,
            admin: Admin::new(admin),
        })
    }

    pub fn topology(&self) -> &Topology {
        &self.topology
    }

    /// Where `pod`'s calls to `service` go: its sidecar's outbound listener for it (a
    /// Service of the topology; applied Services come after them).
    pub fn outbound_of(&self, pod: &str, service: &str) -> Option<SocketAddr> {
        let sidecars = self.topology.sidecars.as_ref()?;
        sidecars
            .with_sidecar()
            .find(|candidate| candidate.name == pod)?;
        let index = self
            .topology
            .services
            .iter()
            .position(|known| known.name == service)?;
        let port = self.topology.services[index].port;
        let ip = sidecars.outbound_ip(pod, index)?;
        Some(SocketAddr::from((ip, port)))
    }

    pub fn work_dir(&self) -> &Path {
        &self.dir
    }

    pub fn admin(&self) -> Admin {
        self.admin
    }

    /// Applies Istio YAML as `kubectl apply -f` would: creates or replaces each resource,
    /// translates the whole set and hands it to Envoy, then waits (bounded) until Envoy runs
    /// the new configuration. A refused document changes nothing.
    pub fn apply(&self, yaml: &str) -> Result<Applied, MeshError> {
        let resources = istio::parse(yaml)?;
        self.change(|set| set.apply(resources))
    }

    /// Deletes the resources the YAML names (only kind, namespace and name are read), as
    /// `kubectl delete -f` would; one that does not exist is reported, not an error.
    pub fn delete(&self, yaml: &str) -> Result<Applied, MeshError> {
        let keys = istio::parse_keys(yaml)?;
        self.change(|set| set.delete(keys))
    }

    /// Deletes the resources named as `kubectl delete KIND NAME` names them ((kind, name) pairs,
    /// the kind as kubectl takes it: `ap`, `authorizationpolicy.security.istio.io`), in
    /// `namespace`. An unknown kind changes nothing; a missing name is reported, not an error.
    pub fn delete_named(
        &self,
        named: &[(String, String)],
        namespace: &str,
    ) -> Result<Applied, MeshError> {
        let resources = self.resources()?;
        let keys = named
            .iter()
            .map(|(kind, name)| {
                let kind = get::resolve_kind(kind, &resources)
                    .ok_or_else(|| GetError::UnknownType(kind.clone()))?;
                Ok(ResourceKey {
                    kind,
                    namespace: namespace.to_owned(),
                    name: name.clone(),
                })
            })
            .collect::<Result<Vec<_>, GetError>>()?;
        self.change(|set| set.delete(keys))
    }

    /// The resources in force.
    pub fn resources(&self) -> Result<ResourceSet, MeshError> {
        State::load(&self.dir).map(|state| state.resources)
    }

    /// `kubectl get KIND [NAME] [-o yaml]` on the resources in force in `default`.
    pub fn get(
        &self,
        kind: &str,
        name: Option<&str>,
        format: OutputFormat,
    ) -> Result<String, MeshError> {
        self.get_in(Namespaces::default(), kind, name, format)
    }

    /// `kubectl get -n NAMESPACE KIND [NAME] [-o yaml]`, or with `-A` ([`Namespaces::All`]).
    pub fn get_in(
        &self,
        namespaces: impl Into<Namespaces>,
        kind: &str,
        name: Option<&str>,
        format: OutputFormat,
    ) -> Result<String, MeshError> {
        let namespaces = namespaces.into();
        let ingress = self
            .ports()
            .map_or(IpAddr::from([127, 0, 0, 1]), |ports| ports.ingress.ip());
        let request = GetRequest {
            kind,
            name,
            namespaces,
            format,
            ingress,
            now: clock::now(),
        };
        Ok(get::get(&self.topology, &self.resources()?, &request)?)
    }

    fn change(
        &self,
        edit: impl FnOnce(&mut ResourceSet) -> Vec<Change>,
    ) -> Result<Applied, MeshError> {
        let _lock = DirLock::take(&self.dir.join(".lock"))?;
        let state = State::load(&self.dir)?;
        let mut resources = state.resources.clone();
        let changes = edit(&mut resources);
        let config = translate(&self.topology, &resources)?;
        let changed = changes.iter().any(|change| {
            matches!(
                change.action,
                Action::Created | Action::Configured | Action::Deleted
            )
        });
        if !changed {
            return Ok(Applied {
                changes,
                warnings: config.warnings,
                version: state.version,
            });
        }
        let version = state.version + 1;
        let rejected_before = self.rejected_updates()?;
        let written = xds::write(&self.layout, &config, version, false)?;
        let waited = if written.is_empty() {
            Ok(())
        } else {
            self.wait_for(version, &written, rejected_before)
        };
        if let Err(error) = waited {
            // Put back what Envoy last accepted, under a newer version so it is read again.
            let restore = translate(&self.topology, &state.resources)?;
            xds::write(&self.layout, &restore, version + 1, true)?;
            State {
                version: version + 1,
                resources: state.resources,
            }
            .save(&self.dir)?;
            return Err(error);
        }
        hosts_files::write_for(&self.dir, &self.topology, &resources)?;
        State { version, resources }.save(&self.dir)?;
        Ok(Applied {
            changes,
            warnings: config.warnings,
            version,
        })
    }

    /// Waits until Envoy's config dump shows `version` for every file just written, or an
    /// update was rejected.
    fn wait_for(
        &self,
        version: u64,
        written: &Written,
        rejected_before: u64,
    ) -> Result<(), MeshError> {
        let version_text = version.to_string();
        wait_until(APPLY_WITHIN, || {
            match self.rejected_updates() {
                Ok(rejected) if rejected > rejected_before => {
                    return Check::Failed(MeshError::Rejected {
                        version,
                        log: self.dir.join("envoy.log"),
                        log_tail: log_tail(&self.dir.join("envoy.log")),
                    });
                }
                Ok(_) => {}
                Err(error) => return Check::Failed(error),
            }
            match self.config_dump() {
                Ok(dump) => {
                    let pending = pending_versions(&dump, &version_text, written);
                    if pending.is_empty() {
                        Check::Ready(())
                    } else {
                        Check::Waiting(format!("still waiting for {}", pending.join(", ")))
                    }
                }
                Err(error) => Check::Waiting(error.to_string()),
            }
        })
    }

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
    fn rejected_updates(&self) -> Result<u64, MeshError> {
        Ok(self
            .stats("update_rejected$")?
            .iter()
            .map(|stat| stat.value)
            .sum())
    }
}

/// The files written that Envoy does not yet show at `version`.
fn pending_versions(dump: &Value, version: &str, written: &Written) -> Vec<String> {
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

// === impl Applied ===

impl fmt::Display for Applied {
    /// `kubectl`'s lines, then one `Warning:` line per warning.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for change in &self.changes {
            writeln!(f, "{change}")?;
        }
        for warning in &self.warnings {
            writeln!(f, "Warning: {warning}")?;
        }
        Ok(())
    }
}
