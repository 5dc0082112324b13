//! One mesh per test, and one method per thing istio.io's task scripts do against it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::time::Duration;

use awc::Client;
use bookinfo::mesh::{LocalMesh, MeshOptions};

/// Comfortably above the slowest page a walkthrough produces (the 6 s delay-injection page), so
/// a hang fails the test instead of stalling it.
const CLIENT_TIMEOUT: Duration = Duration::from_secs(30);

pub struct TestMesh {
    pub local: LocalMesh,
    client: Client,
}

/// One fetched page.
pub struct Page {
    pub status: u16,
    pub body: String,
}

/// What the reviews on a product page look like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stars {
    None,
    Black,
    Red,
}

impl Page {
    /// Filled or empty stars, the way the task scripts look for them, and their colour.
    pub fn stars(&self) -> Stars {
        if !self.body.contains("glyphicon glyphicon-star") {
            Stars::None
        } else if self.body.contains("stars-red") {
            Stars::Red
        } else {
            assert!(
                self.body.contains("stars-black"),
                "stars of neither colour:\n{}",
                self.body
            );
            Stars::Black
        }
    }
}

/// Starts Bookinfo and Envoy with the ingress and admin on free ports, in a work dir of the
/// test's own (`name`), in the state of a fresh Istio install: no Gateway, no routing rule.
pub async fn spawn_mesh(name: &str) -> TestMesh {
    spawn_mesh_with(name, |options| options).await
}

/// [`spawn_mesh`] with `configure` changing the launcher's options first (egress, details v2).
pub async fn spawn_mesh_with(
    name: &str,
    configure: impl FnOnce(MeshOptions) -> MeshOptions,
) -> TestMesh {
    chassis::telemetry::init_for_tests();
    let options = configure(MeshOptions {
        ingress_port: 0,
        ingress_https_port: 0,
        admin_port: 0,
        dir: PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
            .join("walkthroughs")
            .join(name),
        ..MeshOptions::default()
    });
    // A missing Envoy fails here with the error naming scripts/deps/envoy.sh.
    let local = LocalMesh::start(&options)
        .await
        .unwrap_or_else(|error| panic!("the mesh starts: {error}"));
    for workload in local.workloads() {
        chassis::testing::wait_ready(workload.address, "/health")
            .await
            .unwrap_or_else(|error| panic!("{} ready: {error}", workload.name()));
    }
    TestMesh {
        local,
        client: Client::builder()
            .disable_redirects()
            .timeout(CLIENT_TIMEOUT)
            .finish(),
    }
}

/// A mesh with `bookinfo-gateway.yaml` applied: the start of every task after the first.
pub async fn spawn_mesh_with_gateway(name: &str) -> TestMesh {
    let mesh = spawn_mesh(name).await;
    mesh.apply_file("bookinfo-gateway.yaml");
    mesh
}

/// The Gateway API tab's start of every task (`startup_bookinfo_sample` with `GATEWAY_API=true`):
/// the Gateway and its route, then the per-version Services.
pub async fn spawn_mesh_with_gateway_api(name: &str) -> TestMesh {
    let mesh = spawn_mesh(name).await;
    mesh.apply_repository_file("gateway-api/bookinfo-gateway.yaml");
    mesh.apply_repository_file("platform/kube/bookinfo-versions.yaml");
    mesh
}

/// `path` (relative to the repository) as a path from here.
pub fn repository_path(path: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(path)
        .to_string_lossy()
        .into_owned()
}

impl TestMesh {
    /// `kubectl apply -f networking/<file>`; returns once Envoy has the configuration.
    pub fn apply_file(&self, file: &str) -> String {
        self.apply_repository_file(&format!("networking/{file}"))
    }

    /// `kubectl apply -f <path>`, the path relative to the repository (upstream's `samples/bookinfo`).
    pub fn apply_repository_file(&self, path: &str) -> String {
        let full = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("..")
            .join(path);
        let yaml = mesh::read_manifests(&full.to_string_lossy())
            .unwrap_or_else(|error| panic!("{path}: {error}"));
        self.apply(&yaml)
    }

    /// `kubectl apply -f -` with `yaml`, as the task pages do with inline resources.
    pub fn apply(&self, yaml: &str) -> String {
        self.local
            .mesh()
            .apply(yaml)
            .unwrap_or_else(|error| panic!("apply: {error}"))
            .to_string()
    }

    /// `kubectl get KIND NAME -o yaml`, through the same call `bookinfo mesh get` makes.
    pub fn get_yaml(&self, kind: &str, name: &str) -> String {
        self.local
            .mesh()
            .control()
            .get(kind, Some(name), mesh::OutputFormat::Yaml)
            .unwrap_or_else(|error| panic!("get {kind} {name}: {error}"))
    }

    pub async fn get(&self, path: &str, cookie: Option<&str>) -> Page {
        let mut request = self
            .client
            .get(format!("http://{}{path}", self.local.ingress));
        if let Some(cookie) = cookie {
            request = request.insert_header(("cookie", cookie));
        }
        let mut response = request.send().await.expect("the ingress answers");
        let body = response.body().limit(1 << 20).await.expect("body");
        Page {
            status: response.status().as_u16(),
            body: String::from_utf8_lossy(&body).into_owned(),
        }
    }

    /// `bookinfo mesh exec --dir DIR WORKLOAD -- COMMAND...`, as a user in another shell.
    pub fn exec(&self, workload: &str, command: &[&str]) -> std::process::Output {
        std::process::Command::new(env!("CARGO_BIN_EXE_bookinfo"))
            .args(["mesh", "exec", "--dir"])
            .arg(self.local.mesh().control().work_dir())
            .arg(workload)
            .arg("--")
            .args(command)
            .output()
            .expect("bookinfo runs")
    }

    /// `bookinfo mesh ARGS... --dir DIR`, as a reader types it in another shell.
    pub fn cli(&self, args: &[&str]) -> std::process::Output {
        std::process::Command::new(env!("CARGO_BIN_EXE_bookinfo"))
            .arg("mesh")
            .args(args)
            .arg("--dir")
            .arg(self.local.mesh().control().work_dir())
            .output()
            .expect("bookinfo runs")
    }

    /// `/productpage` as nobody in particular.
    pub async fn anonymous_page(&self) -> Page {
        self.get("/productpage", None).await
    }

    /// `/productpage` with the session cookie `cookie`.
    pub async fn page_as(&self, cookie: &str) -> Page {
        self.get("/productpage", Some(cookie)).await
    }

    /// Logs in as the task scripts do (form POST to /login through the ingress) and returns the
    /// `name=value` of the session cookie.
    pub async fn login(&self, user: &str) -> String {
        let response = self
            .client
            .post(format!("http://{}/login", self.local.ingress))
            .send_form(&[("username", user), ("passwd", "password")])
            .await
            .expect("login answers");
        let cookie = response
            .headers()
            .get_all("set-cookie")
            .filter_map(|value| value.to_str().ok())
            .find(|value| value.starts_with("session="))
            .and_then(|value| value.split(';').next())
            .unwrap_or_default()
            .to_owned();
        assert!(!cookie.is_empty(), "login set no session cookie");
        cookie
    }

    /// The sum of Envoy's counters whose names match the regular expression `filter`, as
    /// `bookinfo mesh stats` shows them: what the proxy did, where the page only shows the outcome.
    pub fn counter(&self, filter: &str) -> u64 {
        self.local
            .mesh()
            .stats(filter)
            .unwrap_or_else(|error| panic!("stats {filter}: {error}"))
            .iter()
            .map(|stat| stat.value)
            .sum()
    }

    /// Requests Envoy has sent to version `version` of `service`.
    pub fn requests_to(&self, service: &str, version: &str) -> u64 {
        self.local
            .mesh()
            .requests_by_version(service)
            .unwrap_or_else(|error| panic!("requests to {service}: {error}"))
            .get(version)
            .copied()
            .unwrap_or(0)
    }

    /// The stars seen on `count` pages (anonymous when `cookie` is `None`).
    pub async fn stars_over(&self, count: usize, cookie: Option<&str>) -> Vec<Stars> {
        let mut seen = Vec::with_capacity(count);
        for _ in 0..count {
            let page = self.get("/productpage", cookie).await;
            assert_eq!(page.status, 200, "{}", page.body);
            seen.push(page.stars());
        }
        seen
    }
}

impl TestMesh {
    /// `rounds` bursts of `concurrency` simultaneous GETs of `path`, each burst waited for before
    /// the next. Returns every status; a request that does not finish within the client timeout
    /// fails the test, so a hang cannot pass.
    pub async fn burst(&self, path: &str, concurrency: usize, rounds: usize) -> Vec<u16> {
        let url = format!("http://{}{path}", self.local.ingress);
        let mut statuses = Vec::with_capacity(concurrency * rounds);
        for _ in 0..rounds {
            let calls: Vec<_> = (0..concurrency)
                .map(|_| {
                    let client = self.client.clone();
                    let url = url.clone();
                    actix_web::rt::spawn(async move {
                        let mut response = client.get(url).send().await.expect("answered");
                        // Read the body so that a stalled response counts as a hang.
                        response.body().limit(1 << 20).await.expect("body");
                        response.status().as_u16()
                    })
                })
                .collect();
            for call in calls {
                statuses.push(call.await.expect("the call completes"));
            }
        }
        statuses
    }
}

/// A command's standard output; it must have succeeded.
pub fn stdout(output: &std::process::Output) -> String {
    assert!(
        output.status.success(),
        "{:?}: {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// How many of `seen` are `stars`.
pub fn count(seen: &[Stars], stars: Stars) -> usize {
    seen.iter().filter(|seen| **seen == stars).count()
}

/// `openssl ARGS` in `dir`, as the tasks make certificates; it must succeed.
pub fn openssl(dir: &std::path::Path, args: &[&str]) {
    let output = std::process::Command::new("openssl")
        .current_dir(dir)
        .args(args)
        .output()
        .expect("openssl is installed");
    assert!(
        output.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// `mesh exec` needs root; without it, tests check that it says so and stop there.
pub fn running_as_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            let line = status
                .lines()
                .find(|line| line.starts_with("Uid:"))?
                .to_owned();
            line.split_whitespace().nth(2).map(|uid| uid == "0")
        })
        .unwrap_or(false)
}

/// istio.io's ambient `productpage-ztunnel` L4 policy (snip_deploy_l4_policy and
/// snip_update_l4_policy): only these principals reach productpage's pods.
pub fn productpage_l4_policy(principals: &[&str]) -> String {
    let principals: String = principals
        .iter()
        .map(|principal| format!("        - {principal}\n"))
        .collect();
    format!(
        r#"
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: productpage-ztunnel
  namespace: default
spec:
  selector:
    matchLabels:
      app: productpage
  action: ALLOW
  rules:
  - from:
    - source:
        principals:
{principals}"#
    )
}
