//! Running the mesh: [`Mesh`] starts Envoy on a fresh configuration (no VirtualService, the
//! ingress answering 404) and stops it on drop; [`MeshControl`] applies and deletes Istio
//! YAML, from this process or another one pointed at the same work directory, and reads
//! Envoy's stats.
//!
//! Files in the work directory: `topology.json`, `state.json` (the resources in force and the
//! configuration version), `bootstrap.json`, `xds/` (the files Envoy watches), `admin.address`
//! (written by Envoy), `envoy.log` and `access.log`.

use std::collections::BTreeMap;
use std::fmt;
use std::fs;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::thread;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::admin::{Admin, encode_query};
use crate::error::MeshError;
use crate::istio::{self, Action, Change, ResourceSet};
use crate::tied::{self, TiedChild};
use crate::topology::Topology;
use crate::translate::{EnvoyConfig, Layout, translate};
use crate::xds::{self, Written};

/// How long Envoy may take to start and report ready.
pub const START_WITHIN: Duration = Duration::from_secs(30);

/// How long a configuration change may take to show in Envoy's config dump.
pub const APPLY_WITHIN: Duration = Duration::from_secs(10);

/// Envoy's worker threads: the machine's two cores.
const ENVOY_CONCURRENCY: &str = "2";

/// A running Envoy configured as the mesh's ingress and sidecar layer. Dropping it stops Envoy.
pub struct Mesh {
    control: MeshControl,
    envoy: TiedChild,
    ports: Ports,
}

/// The addresses Envoy actually listens on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ports {
    /// The ingress gateway (`http://{ingress}/productpage`).
    pub ingress: SocketAddr,
    /// The admin interface.
    pub admin: SocketAddr,
    /// Each service's outbound listener, by service name: what callers use instead of the
    /// service's own address.
    pub outbound: BTreeMap<String, SocketAddr>,
}

/// Applies configuration to a running mesh and reads its state; needs only the work directory.
#[derive(Debug, Clone)]
pub struct MeshControl {
    dir: PathBuf,
    layout: Layout,
    topology: Topology,
    admin: Admin,
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

/// `state.json`: the resources in force and the version of the files written for them.
struct State {
    version: u64,
    resources: ResourceSet,
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
        let mut last = String::from("admin.address not written");
        poll(START_WITHIN, || {
            if let Some(error) = self.exited(dir) {
                return Some(Err(error));
            }
            match fs::read_to_string(&path) {
                Ok(text) => match text.trim().parse() {
                    Ok(address) => Some(Ok(address)),
                    Err(_) => {
                        last = format!("admin.address holds {text:?}");
                        None
                    }
                },
                Err(_) => None,
            }
        })
        .unwrap_or_else(|| {
            Err(MeshError::NotReady {
                waited_secs: START_WITHIN.as_secs(),
                last,
            })
        })
    }

    /// `/ready` answers 200 once the initial listeners, routes and clusters are in place.
    fn wait_until_ready(&mut self, control: &MeshControl) -> Result<(), MeshError> {
        let mut last = String::from("never answered");
        poll(START_WITHIN, || {
            if let Some(error) = self.exited(&control.dir) {
                return Some(Err(error));
            }
            match control.admin.get("/ready") {
                Ok(reply) if reply.status == 200 => Some(Ok(())),
                Ok(reply) => {
                    last = format!("/ready answered {}: {}", reply.status, reply.body.trim());
                    None
                }
                Err(error) => {
                    last = error.to_string();
                    None
                }
            }
        })
        .unwrap_or_else(|| {
            Err(MeshError::NotReady {
                waited_secs: START_WITHIN.as_secs(),
                last,
            })
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

    /// The resources in force.
    pub fn resources(&self) -> Result<ResourceSet, MeshError> {
        State::load(&self.dir).map(|state| state.resources)
    }

    /// The Envoy configuration for the resources in force (what the xDS files hold).
    pub fn envoy_config(&self) -> Result<EnvoyConfig, MeshError> {
        Ok(translate(&self.topology, &self.resources()?)?)
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
        let mut last = String::from("no config dump read");
        poll(APPLY_WITHIN, || {
            match self.rejected_updates() {
                Ok(rejected) if rejected > rejected_before => {
                    return Some(Err(MeshError::Rejected {
                        version,
                        log: self.dir.join("envoy.log"),
                        log_tail: log_tail(&self.dir.join("envoy.log")),
                    }));
                }
                Ok(_) => {}
                Err(error) => return Some(Err(error)),
            }
            match self.config_dump() {
                Ok(dump) => {
                    let pending = pending_versions(&dump, &version_text, written);
                    if pending.is_empty() {
                        return Some(Ok(()));
                    }
                    last = format!("still waiting for {}", pending.join(", "));
                    None
                }
                Err(error) => {
                    last = error.to_string();
                    None
                }
            }
        })
        .unwrap_or_else(|| {
            Err(MeshError::NotReady {
                waited_secs: APPLY_WITHIN.as_secs(),
                last,
            })
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
        let mut outbound = BTreeMap::new();
        for plan in &config.listeners {
            let Some(address) = by_name.get(&plan.name) else {
                return Err(MeshError::Admin {
                    address: self.admin.address.to_string(),
                    message: format!("listener {} is not running", plan.name),
                });
            };
            if plan.ingress {
                ingress = Some(*address);
            } else if let Some(service) = self
                .topology
                .services
                .iter()
                .find(|service| plan.name == format!("{}_{}", service.fqdn(), service.port))
            {
                outbound.insert(service.name.clone(), *address);
            }
        }
        Ok(Ports {
            ingress: ingress.ok_or_else(|| MeshError::Admin {
                address: self.admin.address.to_string(),
                message: "no ingress listener".into(),
            })?,
            admin: self.admin.address,
            outbound,
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

// === impl State ===

impl State {
    fn load(dir: &Path) -> Result<Self, MeshError> {
        let value = read_json(&dir.join("state.json")).map_err(|message| MeshError::NoMesh {
            dir: dir.to_path_buf(),
            message,
        })?;
        Ok(Self {
            version: value["version"].as_u64().unwrap_or(1),
            resources: ResourceSet::from_json(&value["resources"])?,
        })
    }

    fn save(&self, dir: &Path) -> Result<(), MeshError> {
        write_json(
            &dir.join("state.json"),
            &json!({"version": self.version, "resources": self.resources.to_json()}),
        )
    }
}

/// A lock held by existing: another apply waits for the directory to go away.
struct DirLock {
    path: PathBuf,
}

impl DirLock {
    fn take(path: &Path) -> Result<Self, MeshError> {
        poll(APPLY_WITHIN, || match fs::create_dir(path) {
            Ok(()) => Some(Ok(Self {
                path: path.to_path_buf(),
            })),
            Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => None,
            Err(error) => Some(Err(MeshError::io(path, error))),
        })
        .unwrap_or_else(|| {
            Err(MeshError::Locked {
                lock: path.to_path_buf(),
            })
        })
    }
}

impl Drop for DirLock {
    fn drop(&mut self) {
        let _ = fs::remove_dir(&self.path);
    }
}

/// Calls `check` until it returns `Some`, backing off from 5 ms to 100 ms, for at most
/// `within`; `None` when time ran out.
fn poll<T>(within: Duration, mut check: impl FnMut() -> Option<T>) -> Option<T> {
    let deadline = Instant::now() + within;
    let mut pause = Duration::from_millis(5);
    loop {
        if let Some(found) = check() {
            return Some(found);
        }
        if Instant::now() >= deadline {
            return None;
        }
        thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(100));
    }
}

fn read_json(path: &Path) -> Result<Value, String> {
    let bytes = fs::read(path).map_err(|error| format!("{}: {error}", path.display()))?;
    serde_json::from_slice(&bytes).map_err(|error| format!("{}: {error}", path.display()))
}

fn write_json(path: &Path, value: &Value) -> Result<(), MeshError> {
    xds::write_atomically(path, &serde_json::to_vec_pretty(value).unwrap_or_default())
}

/// The last lines of a log, for error messages.
fn log_tail(path: &Path) -> String {
    let text = fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(15)..].join("\n")
}
