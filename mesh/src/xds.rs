//! Envoy's file-based dynamic resources: the bootstrap that points LDS and CDS at files, and
//! the atomic replacement of those files (write a temporary file in the same directory, then
//! rename it over the old one). Envoy watches each directory for moves and reloads the file on
//! one; an edit in place would never be seen, a half-written file never read.

use std::fs;
use std::io::Write;
use std::path::Path;

use serde_json::{Value, json};

use crate::error::MeshError;
use crate::translate::{EnvoyConfig, Layout, listeners};

/// Enough for any local experiment; Envoy warns at start when no limit is configured.
const MAX_DOWNSTREAM_CONNECTIONS: u64 = 50_000;

/// The bootstrap: node identity, admin on loopback, LDS and CDS from files.
pub fn bootstrap(layout: &Layout, admin_port: u16) -> Value {
    json!({
        "node": {"id": "sidecar~127.0.0.1~bookinfo-mesh.default~default.svc.cluster.local", "cluster": "bookinfo-mesh"},
        "admin": {"address": {"socket_address": {"address": "127.0.0.1", "port_value": admin_port}}},
        "dynamic_resources": {
            "lds_config": listeners::path_config_source(&layout.lds_dir()),
            "cds_config": listeners::path_config_source(&layout.cds_dir()),
        },
        "overload_manager": {"resource_monitors": [{
            "name": "envoy.resource_monitors.global_downstream_max_connections",
            "typed_config": {
                "@type": "type.googleapis.com/envoy.extensions.resource_monitors.downstream_connections.v3.DownstreamConnectionsConfig",
                "max_active_downstream_connections": MAX_DOWNSTREAM_CONNECTIONS,
            },
        }]},
    })
}

/// Which xDS files an update rewrote (the others had the same resources already).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Written {
    pub clusters: bool,
    pub listeners: bool,
    /// Names of the route configurations rewritten.
    pub routes: Vec<String>,
}

impl Written {
    pub fn is_empty(&self) -> bool {
        !self.clusters && !self.listeners && self.routes.is_empty()
    }
}

/// Writes every file whose resources differ from what is on disk, clusters first and
/// listeners last, so that a route never waits for a cluster it names (a route to a removed
/// cluster answers 503 for the moment in between, as with istiod). `force` rewrites all.
pub fn write(
    layout: &Layout,
    config: &EnvoyConfig,
    version: u64,
    force: bool,
) -> Result<Written, MeshError> {
    let clusters = replace(&layout.cds_dir(), version, &config.clusters, force)?;
    let mut routes = Vec::new();
    for route_config in &config.route_configs {
        let name = route_config["name"].as_str().unwrap_or_default();
        let dir = layout.rds_dir(name);
        if replace(&dir, version, std::slice::from_ref(route_config), force)? {
            routes.push(name.to_owned());
        }
    }
    let listener_resources = config.listener_resources(layout);
    let listeners = replace(&layout.lds_dir(), version, &listener_resources, force)?;
    Ok(Written {
        clusters,
        listeners,
        routes,
    })
}

/// Replaces `dir`'s resource file with a discovery response of `resources` at `version`,
/// unless it already holds exactly those resources. Returns whether it wrote.
fn replace(dir: &Path, version: u64, resources: &[Value], force: bool) -> Result<bool, MeshError> {
    let target = Layout::file_in(dir);
    if !force {
        let unchanged = fs::read(&target)
            .ok()
            .and_then(|bytes| serde_json::from_slice::<Value>(&bytes).ok())
            .is_some_and(|old| old.get("resources") == Some(&Value::Array(resources.to_vec())));
        if unchanged {
            return Ok(false);
        }
    }
    fs::create_dir_all(dir).map_err(|error| MeshError::io(dir, error))?;
    let response = json!({"version_info": version.to_string(), "resources": resources});
    write_atomically(
        &target,
        &serde_json::to_vec_pretty(&response).unwrap_or_default(),
    )?;
    Ok(true)
}

/// Writes `bytes` to `path` through a temporary file in the same directory and a rename. The
/// file is readable by its owner only (mode 0600): listeners carry the keys of the Gateways'
/// certificates and `state.json` the Secrets they come from.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), MeshError> {
    let file_name = path
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temporary = path.with_file_name(format!(".{file_name}.{}.tmp", std::process::id()));
    let _ = fs::remove_file(&temporary);
    let mut file = owner_only()
        .open(&temporary)
        .map_err(|error| MeshError::io(&temporary, error))?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .map_err(|error| MeshError::io(&temporary, error))?;
    fs::rename(&temporary, path).map_err(|error| MeshError::io(path, error))
}

fn owner_only() -> fs::OpenOptions {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::istio::ResourceSet;
    use crate::topology::Topology;
    use crate::translate::translate;

    fn scratch_dir(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("mesh-xds-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn write_skips_files_whose_resources_did_not_change() {
        let dir = scratch_dir("skip");
        let layout = Layout::in_dir(&dir);
        let config = translate(&Topology::new(), &ResourceSet::new()).unwrap();
        let first = write(&layout, &config, 1, false).unwrap();
        assert!(first.clusters && first.listeners && first.routes == ["http.8080", "https.443"]);
        let second = write(&layout, &config, 2, false).unwrap();
        assert!(second.is_empty(), "{second:?}");
        let on_disk: Value =
            serde_json::from_slice(&fs::read(Layout::file_in(&layout.lds_dir())).unwrap()).unwrap();
        assert_eq!(on_disk["version_info"], "1");
        let leftovers: Vec<_> = fs::read_dir(layout.lds_dir()).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "no temporary files remain");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(Layout::file_in(&layout.lds_dir()))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(
                mode & 0o777,
                0o600,
                "only the owner reads what may hold keys"
            );
        }
        fs::remove_dir_all(&dir).unwrap();
    }
}
