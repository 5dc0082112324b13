//! TLS passthrough at the ingress on a real Envoy, as istio.io's "Ingress Gateway without TLS
//! Termination" task runs it: an HTTPS server of its own (here `openssl s_server` with a
//! certificate of the task's CA) behind a Gateway server with `tls.mode: PASSTHROUGH` and a
//! VirtualService `tls` route on its SNI, beside a server that terminates TLS on the same port.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use chassis::testing::StubReply;
use mesh::Workload;
use mesh::istio::SecretSpec;

use crate::helpers::*;
use crate::https::{curl, make_certificates, status};

const PASSTHROUGH: &str = r#"
apiVersion: networking.istio.io/v1
kind: Gateway
metadata:
  name: mygateway
spec:
  selector:
    istio: ingressgateway
  servers:
  - port: {number: 443, name: https, protocol: HTTPS}
    tls: {mode: PASSTHROUGH}
    hosts: [nginx.example.com]
  - port: {number: 443, name: https-bookinfo, protocol: HTTPS}
    tls: {mode: SIMPLE, credentialName: bookinfo-credential}
    hosts: [bookinfo.example.com]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: nginx
spec:
  hosts: [nginx.example.com]
  gateways: [mygateway]
  tls:
  - match:
    - port: 443
      sniHosts: [nginx.example.com]
    route:
    - destination:
        host: my-nginx
        port: {number: 443}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: bookinfo
spec:
  hosts: [bookinfo.example.com]
  gateways: [mygateway]
  http:
  - route:
    - destination: {host: productpage, port: {number: 9080}}
"#;

/// `openssl s_server -www` with a certificate from `dir`: an HTTPS server that answers every
/// request with a page about the TLS session. Killed on drop.
pub struct TlsServer {
    child: Child,
    pub address: SocketAddr,
}

impl TlsServer {
    /// Starts it on a free loopback port and returns once it accepts (it prints `ACCEPT
    /// <address>`), within 10 s.
    pub fn start(dir: &Path, certificate: &str, key: &str) -> Self {
        let mut child = Command::new("openssl")
            .current_dir(dir)
            .args(["s_server", "-accept", "127.0.0.1:0", "-www"])
            .args(["-cert", certificate, "-key", key])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("openssl is installed");
        let stdout = child.stdout.take().unwrap();
        let (found, address) = std::sync::mpsc::channel();
        // Reads every line, so that openssl never blocks on a full pipe.
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(address) = line.strip_prefix("ACCEPT ") {
                    let _ = found.send(address.parse::<SocketAddr>());
                }
            }
        });
        let address = address
            .recv_timeout(Duration::from_secs(10))
            .expect("openssl s_server prints the address it accepts on")
            .expect("an address");
        Self { child, address }
    }
}

impl Drop for TlsServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[actix_web::test]
async fn sni_routes_a_passthrough_host_to_its_own_https_server_beside_a_terminated_one() {
    let certs = ScratchDir::new();
    std::fs::create_dir_all(&certs.0).unwrap();
    make_certificates(&certs.0, &["nginx", "bookinfo"]);
    let nginx = TlsServer::start(&certs.0, "nginx.example.com.crt", "nginx.example.com.key");
    let mesh = spawn_mesh_beside(
        |service, version| {
            StubReply::json(
                200,
                format!(r#"{{"service":"{service}","version":"{version}"}}"#),
            )
        },
        |topology| {
            topology.with_service_on_port(
                "my-nginx",
                443,
                vec![Workload::new("my-nginx", "v1", nginx.address)],
            )
        },
    );
    let read = |name: &str| std::fs::read(certs.0.join(name)).unwrap();
    let secret = SecretSpec::tls_manifest(
        "istio-system",
        "bookinfo-credential",
        &read("bookinfo.example.com.crt"),
        &read("bookinfo.example.com.key"),
    );
    mesh.apply(&format!("{secret}\n---\n{PASSTHROUGH}"));
    let port = mesh.mesh.ports().ingress_https.port();
    let through = |host: &str| {
        (
            format!("https://{host}.example.com:{port}/"),
            format!("{host}.example.com:{port}:127.0.0.1"),
        )
    };

    // The handshake is the server's own: its certificate, which Envoy does not have.
    let (url, resolve) = through("nginx");
    let passed = curl(&certs.0, &url, &["--resolve", &resolve]).await;
    assert_eq!(status(&passed), "200", "{passed:?}");
    let (url, resolve) = through("bookinfo");
    let terminated = curl(&certs.0, &(url + "productpage"), &["--resolve", &resolve]).await;
    assert_eq!(status(&terminated), "200", "{terminated:?}");
    assert_eq!(mesh.received("productpage", "v1"), 1);
    let (url, resolve) = through("httpbin");
    let unknown = curl(&certs.0, &url, &["--resolve", &resolve]).await;
    assert_eq!(unknown.status.code(), Some(35), "{unknown:?}");
    let log = std::fs::read_to_string(mesh.mesh.control().work_dir().join("access.log"))
        .unwrap_or_default();
    assert!(
        eventually(Duration::from_secs(5), || {
            std::fs::read_to_string(mesh.mesh.control().work_dir().join("access.log"))
                .is_ok_and(|log| log.contains("outbound|443||my-nginx.default.svc.cluster.local"))
        })
        .await,
        "{log}"
    );
}
