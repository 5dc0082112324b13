//! HTTPS at the ingress on a real Envoy, as istio.io's "Secure Gateways" task runs it: a
//! certificate made with `openssl`, a Secret holding it, a Gateway server with `protocol:
//! HTTPS`, and `curl --cacert ca.crt --resolve bookinfo.example.com:PORT:127.0.0.1`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::{Command, Output};

use mesh::istio::SecretSpec;

use crate::helpers::*;

const VIRTUAL_SERVICE: &str = r#"
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: bookinfo
spec:
  hosts: ["bookinfo.example.com"]
  gateways: [mygateway]
  http:
  - match:
    - uri: {exact: /productpage}
    route:
    - destination: {host: productpage, port: {number: 9080}}
  - match:
    - uri: {exact: /bookinfo}
    rewrite: {uri: /productpage}
    timeout: 15s
    retries: {attempts: 3, perTryTimeout: 5s}
    route:
    - destination: {host: productpage, port: {number: 9080}}
"#;

fn gateway(mode: &str, credential: &str) -> String {
    format!(
        r#"
apiVersion: networking.istio.io/v1
kind: Gateway
metadata:
  name: mygateway
spec:
  selector: {{istio: ingressgateway}}
  servers:
  - port: {{number: 443, name: https, protocol: HTTPS}}
    tls: {{mode: {mode}, credentialName: {credential}}}
    hosts: ["bookinfo.example.com"]
  - port: {{number: 80, name: http, protocol: HTTP}}
    tls: {{httpsRedirect: true}}
    hosts: ["bookinfo.example.com"]
"#
    )
}

pub fn openssl(dir: &Path, args: &[&str]) {
    let output = Command::new("openssl")
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

/// The task's certificates: a root `example.com` CA, and `NAME.example.com` signed by it.
pub fn make_certificates(dir: &Path, names: &[&str]) {
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-sha256",
            "-nodes",
            "-days",
            "1",
            "-newkey",
            "rsa:2048",
            "-subj",
            "/O=example Inc./CN=example.com",
            "-keyout",
            "example.com.key",
            "-out",
            "example.com.crt",
        ],
    );
    for name in names {
        let host = format!("{name}.example.com");
        std::fs::write(dir.join("san.ext"), format!("subjectAltName=DNS:{host}\n")).unwrap();
        openssl(
            dir,
            &[
                "req",
                "-out",
                &format!("{host}.csr"),
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-keyout",
                &format!("{host}.key"),
                "-subj",
                &format!("/CN={host}/O={name} organization"),
            ],
        );
        openssl(
            dir,
            &[
                "x509",
                "-req",
                "-sha256",
                "-days",
                "1",
                "-CA",
                "example.com.crt",
                "-CAkey",
                "example.com.key",
                "-set_serial",
                "0",
                "-in",
                &format!("{host}.csr"),
                "-out",
                &format!("{host}.crt"),
                "-extfile",
                "san.ext",
            ],
        );
    }
}

/// `kubectl -n NAMESPACE create secret tls bookinfo-credential --key bookinfo.example.com.key
/// --cert bookinfo.example.com.crt`, as a manifest.
fn bookinfo_credential(dir: &Path, namespace: &str) -> String {
    let read = |name: &str| std::fs::read(dir.join(name)).unwrap();
    SecretSpec::tls_manifest(
        namespace,
        "bookinfo-credential",
        &read("bookinfo.example.com.crt"),
        &read("bookinfo.example.com.key"),
    )
}

/// `curl -s --cacert example.com.crt --resolve HOST:PORT:127.0.0.1 https://HOST:PORT/PATH`,
/// off the test's runtime (the backends answer on it).
pub async fn curl(dir: &Path, url: &str, extra: &[&str]) -> Output {
    let mut command = Command::new("curl");
    command
        .current_dir(dir)
        .args(["-s", "--max-time", "10", "--cacert", "example.com.crt"])
        .args(["-o", "/dev/null", "-w", "%{http_code}"])
        .args(extra)
        .arg(url);
    actix_web::rt::task::spawn_blocking(move || command.output().expect("curl is installed"))
        .await
        .unwrap()
}

pub fn status(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[actix_web::test]
async fn simple_and_mutual_tls_at_the_ingress_as_the_secure_gateways_task_checks() {
    let mesh = spawn_mesh();
    let certs = ScratchDir::new();
    std::fs::create_dir_all(&certs.0).unwrap();
    make_certificates(&certs.0, &["bookinfo", "client"]);
    let read = |name: &str| std::fs::read(certs.0.join(name)).unwrap();
    let port = mesh.mesh.ports().ingress_https.port();
    let resolve = format!("bookinfo.example.com:{port}:127.0.0.1");
    let url = format!("https://bookinfo.example.com:{port}/productpage");

    let secret = bookinfo_credential(&certs.0, "istio-system");
    let applied = mesh.apply(&format!(
        "{secret}\n---\n{}\n---\n{VIRTUAL_SERVICE}",
        gateway("SIMPLE", "bookinfo-credential")
    ));
    assert!(
        applied
            .to_string()
            .contains("secret/bookinfo-credential created"),
        "{applied}"
    );

    let served = curl(&certs.0, &url, &["--resolve", &resolve]).await;
    assert_eq!(status(&served), "200", "{served:?}");
    assert_eq!(mesh.received("productpage", "v1"), 1);
    let rewritten = curl(
        &certs.0,
        &url.replace("/productpage", "/bookinfo"),
        &["--resolve", &resolve],
    )
    .await;
    assert_eq!(status(&rewritten), "200", "{rewritten:?}");
    let seen = mesh.backend("productpage", "v1").requests();
    assert_eq!(seen.last().unwrap().path, "/productpage");
    // The timeout and retries are Envoy's route settings on the HTTPS route configuration.
    let dump = mesh.mesh.control().config_dump().unwrap();
    let https_routes = dump["configs"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|config| {
            config["dynamic_route_configs"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .find(|route| route["route_config"]["name"] == "https.443")
        .unwrap();
    let route = &https_routes["route_config"]["virtual_hosts"][0]["routes"][1]["route"];
    assert_eq!(route["timeout"], "15s", "{route}");
    assert_eq!(route["retry_policy"]["num_retries"], 3, "{route}");
    assert_eq!(route["retry_policy"]["per_try_timeout"], "5s", "{route}");
    let other_path = curl(
        &certs.0,
        &url.replace("/productpage", "/login"),
        &["--resolve", &resolve],
    )
    .await;
    assert_eq!(status(&other_path), "404");
    // Another name gets no certificate: the handshake fails (curl: 35).
    let wrong_host = curl(
        &certs.0,
        &format!("https://httpbin.example.com:{port}/productpage"),
        &[
            "--resolve",
            &format!("httpbin.example.com:{port}:127.0.0.1"),
        ],
    )
    .await;
    assert_eq!(wrong_host.status.code(), Some(35), "{wrong_host:?}");
    // No SNI at all (an address in the URL): no server matches either.
    let no_sni = curl(
        &certs.0,
        &format!("https://127.0.0.1:{port}/productpage"),
        &["-k"],
    )
    .await;
    assert_eq!(no_sni.status.code(), Some(35), "{no_sni:?}");
    // Plain HTTP for the host is redirected to HTTPS.
    let redirect = mesh
        .get(
            &format!("{}/productpage", mesh.mesh.ingress_url()),
            &[("host", "bookinfo.example.com")],
        )
        .await;
    assert_eq!(redirect.status, 301);

    // MUTUAL: the same credential with the CA that signs clients, applied to the running mesh.
    let mutual_secret = format!(
        "apiVersion: v1\nkind: Secret\nmetadata: {{name: bookinfo-credential, namespace: istio-system}}\n\
         type: kubernetes.io/tls\nstringData:\n  tls.crt: {:?}\n  tls.key: {:?}\n  ca.crt: {:?}\n",
        String::from_utf8(read("bookinfo.example.com.crt")).unwrap(),
        String::from_utf8(read("bookinfo.example.com.key")).unwrap(),
        String::from_utf8(read("example.com.crt")).unwrap(),
    );
    mesh.apply(&format!(
        "{mutual_secret}\n---\n{}",
        gateway("MUTUAL", "bookinfo-credential")
    ));
    let without_client_certificate = curl(&certs.0, &url, &["--resolve", &resolve]).await;
    assert_ne!(
        status(&without_client_certificate),
        "200",
        "{without_client_certificate:?}"
    );
    assert_ne!(without_client_certificate.status.code(), Some(0));
    let with_client_certificate = curl(
        &certs.0,
        &url,
        &[
            "--resolve",
            &resolve,
            "--cert",
            "client.example.com.crt",
            "--key",
            "client.example.com.key",
        ],
    )
    .await;
    assert_eq!(
        status(&with_client_certificate),
        "200",
        "{with_client_certificate:?}"
    );
}

#[actix_web::test]
async fn a_gateway_api_https_listener_terminates_tls_with_its_certificate_ref() {
    let mesh = spawn_mesh();
    let certs = ScratchDir::new();
    std::fs::create_dir_all(&certs.0).unwrap();
    make_certificates(&certs.0, &["bookinfo"]);
    let port = mesh.mesh.ports().ingress_https.port();
    let secret = bookinfo_credential(&certs.0, "default");
    mesh.apply(&format!(
        "{secret}\n---\n{}",
        r#"
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: bookinfo-gateway}
spec:
  gatewayClassName: istio
  listeners:
  - name: https
    hostname: bookinfo.example.com
    port: 443
    protocol: HTTPS
    tls:
      mode: Terminate
      certificateRefs: [{name: bookinfo-credential}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: bookinfo}
spec:
  parentRefs: [{name: bookinfo-gateway}]
  rules:
  - matches: [{path: {type: Exact, value: /productpage}}]
    backendRefs: [{name: productpage, port: 9080}]
"#
    ));

    let resolve = format!("bookinfo.example.com:{port}:127.0.0.1");
    let url = format!("https://bookinfo.example.com:{port}/productpage");
    let served = curl(&certs.0, &url, &["--resolve", &resolve]).await;
    assert_eq!(status(&served), "200", "{served:?}");
    let elsewhere = curl(
        &certs.0,
        &url.replace("/productpage", "/reviews/0"),
        &["--resolve", &resolve],
    )
    .await;
    assert_eq!(status(&elsewhere), "404");
}

#[actix_web::test]
async fn a_key_envoy_cannot_load_is_refused_without_showing_it() {
    let mesh = spawn_mesh();
    let junk = SecretSpec::tls_manifest(
        "istio-system",
        "bookinfo-credential",
        b"-----BEGIN CERTIFICATE-----\nnot a certificate\n-----END CERTIFICATE-----\n",
        b"-----BEGIN PRIVATE KEY-----\nTOP-SECRET-KEY-MATERIAL\n-----END PRIVATE KEY-----\n",
    );

    let refused = mesh
        .mesh
        .apply(&format!(
            "{junk}\n---\n{}",
            gateway("SIMPLE", "bookinfo-credential")
        ))
        .unwrap_err()
        .to_string();

    assert!(!refused.contains("TOP-SECRET"), "{refused}");
    let log = std::fs::read_to_string(mesh.mesh.control().work_dir().join("envoy.log")).unwrap();
    assert!(!log.contains("TOP-SECRET"), "{log}");
    // Nothing of it stays in force: the HTTPS listener still closes every connection.
    assert!(mesh.mesh.control().resources().unwrap().is_empty());
}
