//! Each pod's `/etc/hosts`, as `mesh exec` mounts it: every Service's names as a pod of the
//! `default` namespace resolves them (`details`, `details.default`, ...,
//! `details.default.svc.cluster.local`), and the ingress gateway Services', each to the pod's
//! own outbound listener for it. Rewritten when applied Services change the list.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::error::MeshError;
use crate::identity::{GATEWAY_SERVICES, Sidecars};
use crate::istio::ResourceSet;
use crate::topology::{DNS_SUFFIX, NAMESPACE, Service, Topology};
use crate::translate::model::RoutingModel;
use crate::xds::write_atomically;

/// The hosts file of `pod` in the mesh whose work directory is `dir`.
pub fn path(dir: &Path, pod: &str) -> PathBuf {
    dir.join("hosts").join(pod)
}

/// Writes every pod's hosts file for the Services known with `resources` in force (none
/// without pods).
pub(crate) fn write_for(
    dir: &Path,
    topology: &Topology,
    resources: &ResourceSet,
) -> Result<(), MeshError> {
    let Some(sidecars) = &topology.sidecars else {
        return Ok(());
    };
    write(
        dir,
        sidecars,
        &RoutingModel::build(topology, resources).services,
    )
}

/// Writes every pod's hosts file for `services` (the routing model's, in its order).
fn write(dir: &Path, sidecars: &Sidecars, services: &[Service]) -> Result<(), MeshError> {
    let hosts_dir = dir.join("hosts");
    std::fs::create_dir_all(&hosts_dir).map_err(|error| MeshError::io(&hosts_dir, error))?;
    for pod in sidecars.with_sidecar() {
        let mut text = format!(
            "# {}: Services resolve to this pod's sidecar (bookinfo mesh exec)\n127.0.0.1\tlocalhost\n::1\tlocalhost\n",
            pod.name
        );
        for (index, service) in services.iter().enumerate() {
            if let Some(ip) = sidecars.outbound_ip(&pod.name, index) {
                let _ = writeln!(text, "{ip}\t{}", names(&service.name, NAMESPACE));
            }
        }
        if sidecars.gateway_listeners {
            for (index, (name, namespace)) in GATEWAY_SERVICES.iter().enumerate() {
                if let Some(ip) = sidecars.gateway_ip(&pod.name, index) {
                    let _ = writeln!(text, "{ip}\t{}", names(name, namespace));
                }
            }
        }
        // Readable by anyone: a command run as another user in the pod still resolves names.
        write_atomically(&path(dir, &pod.name), text.as_bytes())?;
        set_readable(&path(dir, &pod.name))?;
    }
    Ok(())
}

/// `name name.ns name.ns.svc name.ns.svc.cluster.local`, the short name only in `default`.
fn names(name: &str, namespace: &str) -> String {
    let qualified =
        format!("{name}.{namespace} {name}.{namespace}.svc {name}.{namespace}.{DNS_SUFFIX}");
    if namespace == NAMESPACE {
        format!("{name} {qualified}")
    } else {
        qualified
    }
}

fn set_readable(path: &Path) -> Result<(), MeshError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o644))
            .map_err(|error| MeshError::io(path, error))?;
    }
    Ok(())
}
