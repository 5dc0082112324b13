//! [`Mesh`]: the Envoy process. It starts Envoy on a fresh configuration (no resources, the
//! ingress answering 404), waits until Envoy is ready, and stops it on drop.

use std::collections::BTreeMap;
use std::fmt;
use std::fs;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use crate::admin::Admin;
use crate::control::{Applied, MeshControl, Ports, Stat};
use crate::error::MeshError;
use crate::istio::ResourceSet;
use crate::state::{State, write_json};
use crate::tied::{self, TiedChild};
use crate::topology::Topology;
use crate::translate::{Layout, translate};
use crate::wait::{Check, wait_until};
use crate::xds;
use crate::{ca, hosts_files};

/// How long Envoy may take to start and report ready.
pub const START_WITHIN: Duration = Duration::from_secs(30);

/// Envoy's worker threads: the machine's two cores.
const ENVOY_CONCURRENCY: &str = "2";

/// A running Envoy configured as the mesh's ingress and sidecar layer. Dropping it stops Envoy.
pub struct Mesh {
    control: MeshControl,
    envoy: TiedChild,
    ports: Ports,
}

// === impl Mesh ===

impl Mesh {
    /// Starts Envoy from `envoy_binary` with `work_dir` as its home, in the state of a fresh
    /// Istio install: every service reachable through its outbound listener and balanced over
    /// all its workloads, the ingress listening and answering 404. Returns once Envoy reports
    /// ready, or fails with the end of Envoy's log.
    pub fn start(
        topology: &Topology,
        work_dir: &Path,
        envoy_binary: &Path,
    ) -> Result<Self, MeshError> {
        fs::create_dir_all(work_dir).map_err(|error| MeshError::io(work_dir, error))?;
        let dir = fs::canonicalize(work_dir).map_err(|error| MeshError::io(work_dir, error))?;
        if let Ok(running) = MeshControl::open(&dir)
            && running.admin.get("/ready").is_ok()
        {
            return Err(MeshError::AlreadyRunning {
                dir,
                admin: running.admin.address.to_string(),
            });
        }
        let layout = Layout::in_dir(&dir);
        for stale in [
            dir.join("admin.address"),
            dir.join("access.log"),
            dir.join("state.json"),
        ] {
            let _ = fs::remove_file(stale);
        }
        let _ = fs::remove_dir_all(&layout.xds_dir);
        let mut topology = topology.clone();
        if let Some(sidecars) = &mut topology.sidecars {
            // A fresh CA per start, as a fresh install has; the old keys go with the old mesh.
            sidecars.pki_dir = dir.join("pki");
            let _ = fs::remove_dir_all(&sidecars.pki_dir);
            ca::issue(sidecars)?;
        }
        let topology = &topology;
        write_json(
            &dir.join("topology.json"),
            &serde_json::to_value(topology).unwrap_or_default(),
        )?;

        let state = State {
            version: 1,
            resources: ResourceSet::new(),
        };
        let config = translate(topology, &state.resources)?;
        xds::write(&layout, &config, state.version, true)?;
        hosts_files::write_for(&dir, topology, &state.resources)?;
        state.save(&dir)?;
        write_json(
            &dir.join("bootstrap.json"),
            &xds::bootstrap(&layout, topology.admin_port),
        )?;

        let log_path = dir.join("envoy.log");
        let log = fs::File::create(&log_path).map_err(|error| MeshError::io(&log_path, error))?;
        let log_for_stderr = log
            .try_clone()
            .map_err(|error| MeshError::io(&log_path, error))?;
        let envoy_dir = dir.clone();
        // Envoy never outlives this process, even a SIGKILLed one: a lone Envoy would hold the
        // ports and the work directory of the next run.
        let child = tied::spawn(envoy_binary, move |command| {
            command
                .current_dir(&envoy_dir)
                .args(["-c", "bootstrap.json"])
                .args(["--admin-address-path", "admin.address"])
                // Several meshes (tests, a second launcher) may run at once: no shared memory.
                .arg("--disable-hot-restart")
                .args(["--concurrency", ENVOY_CONCURRENCY])
                .args(["--log-level", "warn"])
                .args(["--drain-time-s", "2"])
                // As istio-proxy runs it: a replaced listener (a new authorization policy)
                // closes its connections after their next response, not gradually.
                .args(["--drain-strategy", "immediate"])
                .stdin(Stdio::null())
                .stdout(log)
                .stderr(log_for_stderr);
        })
        .map_err(|error| MeshError::io(envoy_binary, error))?;
        let mut mesh = StartingMesh { child: Some(child) };

        let admin = mesh.wait_for_admin(&dir)?;
        let control = MeshControl {
            dir: dir.clone(),
            layout,
            topology: topology.clone(),
            admin: Admin::new(admin),
        };
        mesh.wait_until_ready(&control)?;
        // A listener Envoy could not bind (a port in use) is missing here, not fatal to Envoy.
        let ports = control.ports().map_err(|error| MeshError::EnvoyFailed {
            status: format!("running, but {error}"),
            log_tail: log_tail(&control.dir.join("envoy.log")),
        })?;
        let child = mesh.child.take().ok_or_else(|| MeshError::NoMesh {
            dir,
            message: "Envoy process lost".into(),
        })?;
        Ok(Self {
            control,
            envoy: child,
            ports,
        })
    }

    /// The controls: apply, delete, stats.
    pub fn control(&self) -> &MeshControl {
        &self.control
    }

    pub fn ports(&self) -> &Ports {
        &self.ports
    }

    /// `http://127.0.0.1:<ingress port>`.
    pub fn ingress_url(&self) -> String {
        format!("http://{}", self.ports.ingress)
    }

    /// Where callers reach `service` through the mesh.
    pub fn outbound(&self, service: &str) -> Option<SocketAddr> {
        self.ports.outbound.get(service).copied()
    }

    /// Where workloads send calls to the external `host:port` (its egress listener).
    pub fn egress(&self, host: &str, port: u16) -> Option<SocketAddr> {
        self.ports.egress.get(&format!("{host}:{port}")).copied()
    }

    /// Envoy's process id: the same for the mesh's whole life, whatever is applied.
    pub fn pid(&self) -> u32 {
        self.envoy.child.id()
    }

    /// `Some(status)` once Envoy has exited.
    pub fn exited(&mut self) -> Option<std::process::ExitStatus> {
        self.envoy.child.try_wait().ok().flatten()
    }

    /// See [`MeshControl::apply`].
    pub fn apply(&self, yaml: &str) -> Result<Applied, MeshError> {
        self.control.apply(yaml)
    }

    /// See [`MeshControl::delete`].
    pub fn delete(&self, yaml: &str) -> Result<Applied, MeshError> {
        self.control.delete(yaml)
    }

    /// See [`MeshControl::stats`].
    pub fn stats(&self, filter: &str) -> Result<Vec<Stat>, MeshError> {
        self.control.stats(filter)
    }

    /// See [`MeshControl::requests_by_version`].
    pub fn requests_by_version(&self, service: &str) -> Result<BTreeMap<String, u64>, MeshError> {
        self.control.requests_by_version(service)
    }

    /// Envoy's access log (Istio's default format).
    pub fn access_log(&self) -> PathBuf {
        self.control.layout.access_log.clone()
    }
}

impl Drop for Mesh {
    fn drop(&mut self) {
        stop(&mut self.envoy);
        // A later `MeshControl::open` then says "no mesh" instead of timing out on a dead port.
        let _ = fs::remove_file(self.control.dir.join("admin.address"));
    }
}

impl fmt::Debug for Mesh {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Mesh")
            .field("dir", &self.control.dir)
            .field("pid", &self.envoy.child.id())
            .field("ports", &self.ports)
            .finish()
    }
}

fn stop(envoy: &mut TiedChild) {
    let _ = envoy.child.kill();
    let _ = envoy.child.wait();
}

/// Envoy while it starts: killed if starting fails.
struct StartingMesh {
    child: Option<TiedChild>,
}

impl StartingMesh {
    fn exited(&mut self, dir: &Path) -> Option<MeshError> {
        let status = self.child.as_mut()?.child.try_wait().ok().flatten()?;
        Some(MeshError::EnvoyFailed {
            status: status.to_string(),
            log_tail: log_tail(&dir.join("envoy.log")),
        })
    }

    /// Envoy writes the admin address it bound once it is up.
    fn wait_for_admin(&mut self, dir: &Path) -> Result<SocketAddr, MeshError> {
        let path = dir.join("admin.address");
        wait_until(START_WITHIN, || {
            if let Some(error) = self.exited(dir) {
                return Check::Failed(error);
            }
            match fs::read_to_string(&path) {
                Ok(text) => match text.trim().parse() {
                    Ok(address) => Check::Ready(address),
                    Err(_) => Check::Waiting(format!("admin.address holds {text:?}")),
                },
                Err(_) => Check::Waiting("admin.address not written".into()),
            }
        })
    }

    /// `/ready` answers 200 once the initial listeners, routes and clusters are in place.
    fn wait_until_ready(&mut self, control: &MeshControl) -> Result<(), MeshError> {
        wait_until(START_WITHIN, || {
            if let Some(error) = self.exited(&control.dir) {
                return Check::Failed(error);
            }
            match control.admin.get("/ready") {
                Ok(reply) if reply.status == 200 => Check::Ready(()),
                Ok(reply) => Check::Waiting(format!(
                    "/ready answered {}: {}",
                    reply.status,
                    reply.body.trim()
                )),
                Err(error) => Check::Waiting(error.to_string()),
            }
        })
    }
}

impl Drop for StartingMesh {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            stop(child);
        }
    }
}

/// The last lines of a log, for error messages.
pub(crate) fn log_tail(path: &Path) -> String {
    let text = fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(15)..].join("\n")
}
