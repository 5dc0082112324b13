//! istio.io's "Secure Gateways" task in the Bookinfo form of issue 16: certificates made with
//! `openssl` as the task makes them, `bookinfo mesh create secret tls` in place of `kubectl
//! create -n istio-system secret tls`, a Gateway server on 443 with `tls.mode: SIMPLE`, a
//! VirtualService with an exact match, a rewrite, a 15 s timeout and retries, and `curl
//! --cacert --resolve`; then the credential rotated to a second CA, then MUTUAL.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::helpers::{openssl, spawn_mesh};

const GATEWAY: &str = "
apiVersion: networking.istio.io/v1
kind: Gateway
metadata:
  name: mygateway
spec:
  selector:
    istio: ingressgateway # use istio default ingress gateway
  servers:
  - port:
      number: 443
      name: https
      protocol: HTTPS
    tls:
      mode: SIMPLE
      credentialName: bookinfo-credential # must be the same as secret
    hosts:
    - bookinfo.example.com
";

const VIRTUAL_SERVICE: &str = "
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: bookinfo
spec:
  hosts:
  - bookinfo.example.com
  gateways:
  - mygateway
  http:
  - match:
    - uri:
        exact: /productpage
    - uri:
        prefix: /static
    route:
    - destination:
        host: productpage
        port:
          number: 9080
  - match:
    - uri:
        exact: /bookinfo
    rewrite:
      uri: /productpage
    timeout: 15s
    retries:
      attempts: 3
      perTryTimeout: 5s
    route:
    - destination:
        host: productpage
        port:
          number: 9080
";

/// Runs a command off the test's runtime (the services answer on it) and returns its output.
async fn run(mut command: Command) -> Output {
    actix_web::rt::task::spawn_blocking(move || command.output().expect("the command runs"))
        .await
        .unwrap()
}

/// `openssl` with one of the task's command lines.
fn openssl_line(dir: &Path, line: &str) {
    let words = shell_words(line);
    openssl(dir, &words.iter().map(String::as_str).collect::<Vec<_>>());
}

/// The task's command lines split as the shell would (they quote only with `'` and `"`).
fn shell_words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut quote = None;
    for c in line.chars() {
        match (quote, c) {
            (None, '\'' | '"') => quote = Some(c),
            (Some(open), c) if c == open => quote = None,
            (None, ' ') => {
                if !word.is_empty() {
                    words.push(std::mem::take(&mut word));
                }
            }
            (_, c) => word.push(c),
        }
    }
    if !word.is_empty() {
        words.push(word);
    }
    words
}

/// The task's "Generate client and server certificates and keys", for bookinfo.example.com.
fn generate_certificates(dir: &Path) {
    for certs in ["example_certs1", "example_certs2"] {
        std::fs::create_dir_all(dir.join(certs)).unwrap();
        openssl_line(
            dir,
            &format!(
                "req -x509 -sha256 -nodes -days 365 -newkey rsa:2048 -subj '/O=example Inc./CN=example.com' -keyout {certs}/example.com.key -out {certs}/example.com.crt"
            ),
        );
    }
    let signed = [
        ("example_certs1", "bookinfo", 0),
        ("example_certs2", "bookinfo", 0),
        ("example_certs1", "client", 1),
    ];
    for (certs, name, serial) in signed {
        // Today's curl checks the name against subjectAltName only: the extension file adds it.
        std::fs::write(
            dir.join(format!("{certs}/{name}.ext")),
            format!("subjectAltName=DNS:{name}.example.com\n"),
        )
        .unwrap();
        openssl_line(
            dir,
            &format!(
                "req -out {certs}/{name}.example.com.csr -newkey rsa:2048 -nodes -keyout {certs}/{name}.example.com.key -subj \"/CN={name}.example.com/O={name} organization\""
            ),
        );
        openssl_line(
            dir,
            &format!(
                "x509 -req -sha256 -days 365 -CA {certs}/example.com.crt -CAkey {certs}/example.com.key -set_serial {serial} -in {certs}/{name}.example.com.csr -out {certs}/{name}.example.com.crt -extfile {certs}/{name}.ext"
            ),
        );
    }
}

/// `bookinfo mesh ARGS --dir <the test's mesh>`.
async fn bookinfo_mesh(work_dir: &Path, certs: &Path, args: &[&str]) -> String {
    let mut command = Command::new(env!("CARGO_BIN_EXE_bookinfo"));
    command
        .current_dir(certs)
        .arg("mesh")
        .args(args)
        .arg("--dir")
        .arg(work_dir);
    let output = run(command).await;
    assert!(
        output.status.success(),
        "bookinfo mesh {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// `kubectl create -n istio-system secret tls bookinfo-credential --key=CERTS/... --cert=CERTS/...`.
async fn create_credential(work_dir: &Path, certs: &Path, from: &str) -> String {
    let key = format!("--key={from}/bookinfo.example.com.key");
    let cert = format!("--cert={from}/bookinfo.example.com.crt");
    bookinfo_mesh(
        work_dir,
        certs,
        &[
            "create",
            "secret",
            "tls",
            "bookinfo-credential",
            "-n",
            "istio-system",
            &key,
            &cert,
        ],
    )
    .await
}

/// `curl -v -HHost:bookinfo.example.com --resolve ... --cacert CA https://...:PORT/PATH`: the
/// exit code, the status and the page.
async fn curl(certs: &Path, port: u16, path: &str, extra: &[&str]) -> (Option<i32>, String) {
    let mut command = Command::new("curl");
    command
        .current_dir(certs)
        .args(["-s", "--max-time", "20", "-HHost:bookinfo.example.com"])
        .arg("--resolve")
        .arg(format!("bookinfo.example.com:{port}:127.0.0.1"))
        .args(extra)
        .args(["-w", "\n%{http_code}"])
        .arg(format!("https://bookinfo.example.com:{port}{path}"));
    let output = run(command).await;
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
    )
}

#[actix_web::test]
async fn secure_gateways_serve_the_page_over_https_then_rotate_then_require_client_certificates() {
    let mesh = spawn_mesh("secure-ingress").await;
    let work_dir = mesh.local.mesh().control().work_dir().to_path_buf();
    let certs = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("secure-ingress-certs");
    let _ = std::fs::remove_dir_all(&certs);
    std::fs::create_dir_all(&certs).unwrap();
    generate_certificates(&certs);
    let port = mesh.local.mesh().ports().ingress_https.port();

    // A TLS ingress gateway for a single host.
    let created = create_credential(&work_dir, &certs, "example_certs1").await;
    assert_eq!(created, "secret/bookinfo-credential created\n");
    let listed = bookinfo_mesh(&work_dir, &certs, &["get", "secret", "-n", "istio-system"]).await;
    assert!(
        listed.contains("bookinfo-credential   kubernetes.io/tls   2"),
        "{listed}"
    );
    let in_default = bookinfo_mesh(&work_dir, &certs, &["get", "secret"]).await;
    assert_eq!(in_default, "No resources found in default namespace.\n");
    mesh.apply(GATEWAY);
    mesh.apply(VIRTUAL_SERVICE);

    let ca1 = ["--cacert", "example_certs1/example.com.crt"];
    let (code, page) = curl(&certs, port, "/productpage", &ca1).await;
    assert_eq!(code, Some(0));
    assert!(page.ends_with("\n200"), "{page}");
    assert!(
        page.contains("<title>Simple Bookstore App</title>"),
        "{page}"
    );
    let (_, rewritten) = curl(&certs, port, "/bookinfo", &ca1).await;
    assert!(rewritten.ends_with("\n200"), "{rewritten}");
    assert!(rewritten.contains("The Comedy of Errors"), "{rewritten}");
    let (_, elsewhere) = curl(&certs, port, "/api/v1/products", &ca1).await;
    assert!(elsewhere.ends_with("\n404"), "{elsewhere}");

    // The credential replaced by one of another CA: the new CA is trusted, the old one not.
    create_credential(&work_dir, &certs, "example_certs2").await;
    let ca2 = ["--cacert", "example_certs2/example.com.crt"];
    let (_, rotated) = curl(&certs, port, "/productpage", &ca2).await;
    assert!(rotated.ends_with("\n200"), "{rotated}");
    let (old_ca, _) = curl(&certs, port, "/productpage", &ca1).await;
    assert_ne!(old_ca, Some(0), "the old CA no longer verifies the gateway");

    // A mutual TLS ingress gateway: `kubectl create secret generic --from-file=tls.key=...`.
    let read = |name: &str| std::fs::read_to_string(certs.join(name)).unwrap();
    mesh.apply(&format!(
        "apiVersion: v1\nkind: Secret\nmetadata: {{name: bookinfo-credential, namespace: istio-system}}\n\
         stringData:\n  tls.key: {:?}\n  tls.crt: {:?}\n  ca.crt: {:?}\n",
        read("example_certs1/bookinfo.example.com.key"),
        read("example_certs1/bookinfo.example.com.crt"),
        read("example_certs1/example.com.crt"),
    ));
    mesh.apply(&GATEWAY.replace("mode: SIMPLE", "mode: MUTUAL"));
    let (without, _) = curl(&certs, port, "/productpage", &ca1).await;
    assert_ne!(without, Some(0), "no client certificate, no page");
    let client = [
        "--cacert",
        "example_certs1/example.com.crt",
        "--cert",
        "example_certs1/client.example.com.crt",
        "--key",
        "example_certs1/client.example.com.key",
        "-D",
        "-",
    ];
    let (with, page) = curl(&certs, port, "/productpage", &client).await;
    assert_eq!(with, Some(0));
    assert!(page.ends_with("\n200"), "{page}");
    assert!(page.contains("server: istio-envoy"), "{page}");
}
