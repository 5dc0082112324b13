//! `spawn_mesh()`: recording backends for every Bookinfo workload and an Envoy in front of
//! them, in a scratch directory removed afterwards; `TestMesh` sends requests through it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use chassis::testing::{RecordingBackend, StubReply};
use mesh::{Applied, Mesh, Topology, Workload};

pub use crate::fixtures::WORKLOADS;

/// A test client never waits longer than this for one answer.
const CLIENT_TIMEOUT: Duration = Duration::from_secs(20);

pub struct TestMesh {
    pub mesh: Mesh,
    pub backends: BTreeMap<(String, String), RecordingBackend>,
    client: awc::Client,
    // Declared last: removed after Envoy has stopped.
    _dir: ScratchDir,
}

/// One answer, and how long it took.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub body: String,
    pub elapsed: Duration,
}

/// Starts a mesh whose workloads answer at once.
pub fn spawn_mesh() -> TestMesh {
    spawn_mesh_with(|_, _| Duration::ZERO)
}

/// Starts a mesh whose workload `(service, version)` answers after `delay(service, version)`.
/// Each workload answers JSON naming its service and version.
pub fn spawn_mesh_with(delay: impl Fn(&str, &str) -> Duration) -> TestMesh {
    spawn_mesh_replying(|service, version| {
        let body = format!(r#"{{"service":"{service}","version":"{version}"}}"#);
        StubReply::json(200, body).delayed(delay(service, version))
    })
}

/// Starts a mesh whose workload `(service, version)` answers `reply(service, version)`.
pub fn spawn_mesh_replying(reply: impl Fn(&str, &str) -> StubReply) -> TestMesh {
    spawn_mesh_beside(reply, |topology| topology)
}

/// Starts a mesh of Bookinfo's recording workloads plus what `extend` adds to the topology
/// (a stand-in HTTPS backend, say).
pub fn spawn_mesh_beside(
    reply: impl Fn(&str, &str) -> StubReply,
    extend: impl FnOnce(Topology) -> Topology,
) -> TestMesh {
    chassis::telemetry::init_for_tests();
    let mut backends = BTreeMap::new();
    let mut topology = Topology::new();
    let mut by_service: BTreeMap<&str, Vec<Workload>> = BTreeMap::new();
    for (service, version) in WORKLOADS {
        let backend = RecordingBackend::start(reply(service, version));
        by_service.entry(service).or_default().push(Workload::new(
            service,
            version,
            backend.address,
        ));
        backends.insert((service.to_owned(), version.to_owned()), backend);
    }
    for (service, workloads) in by_service {
        topology = topology.with_service(service, workloads);
    }
    let topology = extend(topology);
    let dir = ScratchDir::new();
    let envoy = mesh::find_envoy().expect("Envoy is installed (scripts/deps/envoy.sh)");
    let mesh = Mesh::start(&topology, &dir.0, &envoy).expect("mesh starts");
    TestMesh {
        mesh,
        backends,
        client: client(),
        _dir: dir,
    }
}

impl TestMesh {
    /// Applies YAML, which must be accepted.
    pub fn apply(&self, yaml: &str) -> Applied {
        self.mesh.apply(yaml).expect("applied")
    }

    /// `GET path` on `service` through its outbound (sidecar) listener.
    pub async fn call(&self, service: &str, path: &str, headers: &[(&str, &str)]) -> Answer {
        let address = self.mesh.outbound(service).expect("outbound listener");
        self.get(&format!("http://{address}{path}"), headers).await
    }

    /// `GET path` through the ingress gateway.
    pub async fn ingress(&self, path: &str) -> Answer {
        self.get(&format!("{}{path}", self.mesh.ingress_url()), &[])
            .await
    }

    /// `curl --data 'username=jason&passwd=password' $INGRESS/login`, as the task scripts do.
    pub async fn login_through_ingress(&self, user: &str) -> Answer {
        let started = Instant::now();
        let mut response = self
            .client
            .post(format!("{}/login", self.mesh.ingress_url()))
            .content_type("application/x-www-form-urlencoded")
            .send_body(format!("username={user}&passwd=password"))
            .await
            .expect("answer");
        let body = response.body().await.expect("body");
        Answer {
            status: response.status().as_u16(),
            body: String::from_utf8_lossy(&body).into_owned(),
            elapsed: started.elapsed(),
        }
    }

    pub async fn get(&self, url: &str, headers: &[(&str, &str)]) -> Answer {
        fetch(&self.client, url, headers).await
    }

    /// `GET url` on a connection of its own, as each `curl` of a task script has: a connection
    /// opened before a listener changed (a new authorization policy) keeps the listener that
    /// accepted it, on a cluster too, until Envoy closes it after its next answer.
    pub async fn get_on_new_connection(&self, url: &str, headers: &[(&str, &str)]) -> Answer {
        fetch(&client(), url, headers).await
    }

    /// How many of `count` calls to `service` each version answered (`"503"` etc. for failures).
    pub async fn versions(
        &self,
        service: &str,
        count: usize,
        headers: &[(&str, &str)],
    ) -> BTreeMap<String, usize> {
        let mut seen = BTreeMap::new();
        for _ in 0..count {
            let answer = self.call(service, &format!("/{service}/0"), headers).await;
            *seen.entry(answer.version()).or_default() += 1;
        }
        seen
    }

    /// The requests workload `(service, version)` received.
    pub fn received(&self, service: &str, version: &str) -> usize {
        self.backends[&(service.to_owned(), version.to_owned())]
            .requests()
            .len()
    }

    pub fn backend(&self, service: &str, version: &str) -> &RecordingBackend {
        &self.backends[&(service.to_owned(), version.to_owned())]
    }
}

/// Redirects are answers to check, never followed (they could lead off loopback).
fn client() -> awc::Client {
    awc::Client::builder()
        .disable_redirects()
        .timeout(CLIENT_TIMEOUT)
        .finish()
}

async fn fetch(client: &awc::Client, url: &str, headers: &[(&str, &str)]) -> Answer {
    let started = Instant::now();
    let mut request = client.get(url);
    for (name, value) in headers {
        request = request.insert_header((*name, *value));
    }
    let mut response = request.send().await.expect("answer");
    let body = response.body().limit(1 << 20).await.expect("body");
    Answer {
        status: response.status().as_u16(),
        body: String::from_utf8_lossy(&body).into_owned(),
        elapsed: started.elapsed(),
    }
}

impl Answer {
    /// The `version` the workload named, or the status when it did not answer 200.
    pub fn version(&self) -> String {
        if self.status != 200 {
            return self.status.to_string();
        }
        let body: serde_json::Value =
            serde_json::from_str(&self.body).expect("JSON from a workload");
        body["version"].as_str().expect("version").to_owned()
    }
}

/// A directory under the system's temporary directory, removed on drop.
pub struct ScratchDir(pub PathBuf);

impl ScratchDir {
    pub fn new() -> Self {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "bookinfo-mesh-test-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        Self(dir)
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Polls `check` every 50 ms until it holds, for at most `within`; for things Envoy does on
/// its own schedule (flushing the access log).
pub async fn eventually(within: Duration, mut check: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + within;
    loop {
        if check() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
}
