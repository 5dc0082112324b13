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

use crate::admin::Admin;
use crate::clock;
use crate::envoy::log_tail;
use crate::error::MeshError;
use crate::get::{self, GetError, GetRequest, Namespaces, OutputFormat};
use crate::hosts_files;
use crate::istio::{self, Action, Change, ResourceKey, ResourceSet};
use crate::namespaces::{self, LabelEdit, LabelOutcome, Labeled};
use crate::state::{DirLock, State, read_json};
use crate::topology::Topology;
use crate::translate::{Layout, translate};
use crate::wait::{Check, wait_until};
use crate::xds::{self, Written};

mod envoy_state;
use envoy_state::pending_versions;

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

    /// `kubectl label namespace NAMESPACE KEY=VALUE|KEY- [--overwrite]`: with
    /// `istio.io/dataplane-mode=ambient` the namespace's pods leave their sidecars for the node
    /// proxy (see [`crate::translate`]'s ambient layer). Waits until Envoy runs the result.
    pub fn label_namespace(
        &self,
        namespace: &str,
        edits: &[LabelEdit],
        overwrite: bool,
    ) -> Result<Labeled, MeshError> {
        self.commit_label(|set| {
            namespaces::label(&mut set.namespace_labels, namespace, edits, overwrite)
        })
    }

    /// `kubectl label service NAME KEY=VALUE|KEY- [--overwrite] -n NAMESPACE`, for the mesh's
    /// own Services and applied ones: `istio.io/use-waypoint` gives a Service a waypoint of its
    /// own (or, with `none`, none). Waits until Envoy runs the result.
    pub fn label_service(
        &self,
        namespace: &str,
        name: &str,
        edits: &[LabelEdit],
        overwrite: bool,
    ) -> Result<Labeled, MeshError> {
        let own = namespace == crate::topology::NAMESPACE
            && self
                .topology
                .services
                .iter()
                .any(|service| service.name == name);
        let applied = self
            .resources()?
            .get(&ResourceKey {
                kind: crate::istio::Kind::Service,
                namespace: namespace.to_owned(),
                name: name.to_owned(),
            })
            .is_some();
        if !own && !applied {
            return Err(namespaces::LabelError::NoService(name.to_owned()).into());
        }
        self.commit_label(|set| {
            namespaces::label_service(&mut set.service_labels, namespace, name, edits, overwrite)
        })
    }

    /// Commits one `kubectl label` and reports it with the warnings of the result.
    fn commit_label(
        &self,
        edit: impl FnOnce(&mut ResourceSet) -> Result<Labeled, namespaces::LabelError>,
    ) -> Result<Labeled, MeshError> {
        let mut labeled = None;
        let (_, warnings) = self.commit(|set| {
            let done = edit(set)?;
            let changed = done.outcome != LabelOutcome::NotLabeled;
            labeled = Some(done);
            Ok(changed)
        })?;
        let mut labeled = labeled.ok_or_else(|| MeshError::NoMesh {
            dir: self.dir.clone(),
            message: "the label was not applied".into(),
        })?;
        labeled.warnings = warnings;
        Ok(labeled)
    }

    /// `kubectl annotate KIND NAME KEY=VALUE|KEY- [--overwrite] -n NAMESPACE`: the annotations
    /// are recorded (and shown by `get -o yaml`); those the mesh reads, such as
    /// `networking.istio.io/service-type`, take effect. Waits until Envoy runs the result.
    pub fn annotate(
        &self,
        kind: &str,
        name: &str,
        namespace: &str,
        edits: &[LabelEdit],
        overwrite: bool,
    ) -> Result<Annotated, MeshError> {
        let kind = get::resolve_kind(kind, &self.resources()?)
            .ok_or_else(|| GetError::UnknownType(kind.to_owned()))?;
        let key = ResourceKey {
            kind,
            namespace: namespace.to_owned(),
            name: name.to_owned(),
        };
        let mut notes = Vec::new();
        let (_, warnings) = self.commit(|set| {
            let before = set.get(&key).map(|resource| resource.annotations.clone());
            notes = set
                .annotate(&key, edits, overwrite)
                .ok_or_else(|| GetError::NotFound {
                    resource: get::plural_resource(key.kind),
                    name: key.name.clone(),
                })??;
            Ok(set.get(&key).map(|resource| &resource.annotations) != before.as_ref())
        })?;
        Ok(Annotated {
            key,
            notes,
            warnings,
        })
    }

    fn change(
        &self,
        edit: impl FnOnce(&mut ResourceSet) -> Vec<Change>,
    ) -> Result<Applied, MeshError> {
        let mut changes = Vec::new();
        let (version, warnings) = self.commit(|set| {
            changes = edit(set);
            Ok(changes.iter().any(|change| {
                matches!(
                    change.action,
                    Action::Created | Action::Configured | Action::Deleted
                )
            }))
        })?;
        Ok(Applied {
            changes,
            warnings,
            version,
        })
    }

    /// Edits the resources in force under the lock (`edit` says whether anything changed),
    /// hands the translation to Envoy and waits until it runs it, putting the last accepted
    /// configuration back if Envoy refuses. Returns the version in force and the warnings.
    fn commit(
        &self,
        edit: impl FnOnce(&mut ResourceSet) -> Result<bool, MeshError>,
    ) -> Result<(u64, Vec<String>), MeshError> {
        let _lock = DirLock::take(&self.dir.join(".lock"))?;
        let state = State::load(&self.dir)?;
        let mut resources = state.resources.clone();
        let changed = edit(&mut resources)?;
        let config = translate(&self.topology, &resources)?;
        if !changed {
            return Ok((state.version, config.warnings));
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
        Ok((version, config.warnings))
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
}

// === impl Applied ===

/// What `kubectl annotate` reports.
#[derive(Debug, Clone)]
pub struct Annotated {
    pub key: ResourceKey,
    /// `annotation "KEY" not found.` for each removal of an annotation that is not there.
    pub notes: Vec<String>,
    pub warnings: Vec<String>,
}

impl fmt::Display for Annotated {
    /// `gateway.gateway.networking.k8s.io/bookinfo-gateway annotated`, as kubectl prints it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for note in &self.notes {
            writeln!(f, "{note}")?;
        }
        writeln!(
            f,
            "{}/{} annotated",
            self.key.kind.resource_name(),
            self.key.name
        )?;
        for warning in &self.warnings {
            writeln!(f, "Warning: {warning}")?;
        }
        Ok(())
    }
}

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
