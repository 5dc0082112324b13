//! istio.io's egress tasks in Bookinfo's own form: details v2 (upstream's
//! `ENABLE_EXTERNAL_BOOK_SERVICE=true`, `DO_NOT_ENCRYPT=true`) in a mesh whose outbound policy
//! is REGISTRY_ONLY shows the details error; `networking/egress-rule-google-apis.yaml` lets it
//! out, the call leaving details as plain HTTP and reaching www.googleapis.com over TLS that the
//! mesh originates. Google cannot be reached from here: an HTTPS server with a certificate of a
//! test CA stands in for it, and the mesh is told to trust that CA and where the host is.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bookinfo::mesh::MeshOptions;
use mesh::{OutboundTrafficPolicy, OutsideAddress};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use crate::helpers::{openssl, spawn_mesh_with};

const GOOGLEAPIS: &str = "www.googleapis.com";

/// Google Books' answer for the ISBN details asks for (shortened).
const VOLUMES: &str = r#"{"kind":"books#volumes","totalItems":1,"items":[{"volumeInfo":{
  "title":"The Comedy of Errors","authors":["William Shakespeare"],
  "publisher":"Stand-in Publishing","publishedDate":"2002-09-19",
  "industryIdentifiers":[{"type":"ISBN_13","identifier":"9780486424613"},
                         {"type":"ISBN_10","identifier":"0486424618"}],
  "pageCount":53,"printType":"BOOK","language":"en"}}]}"#;

const DETAILS_UNAVAILABLE: &str = "Sorry, product details are currently unavailable for this book.";

/// An HTTPS server for www.googleapis.com that answers every request with [`VOLUMES`] and
/// keeps each request's head. Test scaffolding for the outside world.
struct GoogleStandIn {
    address: SocketAddr,
    requests: Arc<Mutex<Vec<String>>>,
}

impl GoogleStandIn {
    fn start(certificate: &Path, key: &Path) -> Self {
        let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(certificate)
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let key = PrivateKeyDer::from_pem_file(key).unwrap();
        let config = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .unwrap();
        let config = Arc::new(config);
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&requests);
        std::thread::spawn(move || {
            for stream in listener.incoming().map_while(Result::ok) {
                let (config, seen) = (Arc::clone(&config), Arc::clone(&seen));
                std::thread::spawn(move || serve(stream, config, &seen));
            }
        });
        Self { address, requests }
    }

    fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }
}

/// One request over TLS: its head read (bounded), recorded, answered, the connection closed.
fn serve(stream: TcpStream, config: Arc<rustls::ServerConfig>, seen: &Mutex<Vec<String>>) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let Ok(connection) = rustls::ServerConnection::new(config) else {
        return;
    };
    let mut tls = rustls::StreamOwned::new(connection, stream);
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") && head.len() < 16 * 1024 {
        match tls.read(&mut byte) {
            Ok(1) => head.push(byte[0]),
            _ => return,
        }
    }
    seen.lock()
        .unwrap()
        .push(String::from_utf8_lossy(&head).into_owned());
    let answer = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{VOLUMES}",
        VOLUMES.len()
    );
    let _ = tls.write_all(answer.as_bytes());
    tls.conn.send_close_notify();
    let _ = tls.flush();
}

/// A test CA and a certificate for www.googleapis.com signed by it.
fn certificates(dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(
        dir.join("san.ext"),
        format!("subjectAltName=DNS:{GOOGLEAPIS}\n"),
    )
    .unwrap();
    let steps: [&[&str]; 3] = [
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
            "/O=Test CA/CN=test-ca",
            "-keyout",
            "ca.key",
            "-out",
            "ca.crt",
        ],
        &[
            "req",
            "-out",
            "google.csr",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "google.key",
            "-subj",
            "/CN=www.googleapis.com",
        ],
        &[
            "x509",
            "-req",
            "-sha256",
            "-days",
            "1",
            "-CA",
            "ca.crt",
            "-CAkey",
            "ca.key",
            "-set_serial",
            "1",
            "-in",
            "google.csr",
            "-out",
            "google.crt",
            "-extfile",
            "san.ext",
        ],
    ];
    for args in steps {
        openssl(dir, args);
    }
}

#[actix_web::test]
async fn details_v2_is_blocked_by_registry_only_until_the_google_apis_egress_rule_lets_it_out() {
    let certs = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("egress-certs");
    let _ = std::fs::remove_dir_all(&certs);
    certificates(&certs);
    let google = GoogleStandIn::start(&certs.join("google.crt"), &certs.join("google.key"));
    // details as platform/kube/bookinfo-details-v2.yaml runs it.
    let details_v2 = details::Config::load(&HashMap::from([
        ("ENABLE_EXTERNAL_BOOK_SERVICE", "true"),
        ("DO_NOT_ENCRYPT", "true"),
    ]))
    .unwrap();
    let mesh = spawn_mesh_with("egress", |options| MeshOptions {
        outbound_traffic_policy: OutboundTrafficPolicy::RegistryOnly,
        egress_ca: Some(certs.join("ca.crt")),
        connect_to: vec![OutsideAddress {
            host: GOOGLEAPIS.into(),
            port: 443,
            address: google.address,
        }],
        book_source: details_v2.book_source,
        ..options
    })
    .await;
    mesh.apply_file("bookinfo-gateway.yaml");

    let blocked = mesh.anonymous_page().await;
    assert_eq!(blocked.status, 200);
    assert!(
        blocked.body.contains(DETAILS_UNAVAILABLE),
        "{}",
        blocked.body
    );
    assert!(google.requests().is_empty());

    let applied = mesh.apply_file("egress-rule-google-apis.yaml");
    assert!(
        applied.contains("serviceentry.networking.istio.io/googleapis created"),
        "{applied}"
    );
    let out = mesh.anonymous_page().await;
    assert!(!out.body.contains(DETAILS_UNAVAILABLE), "{}", out.body);
    assert!(out.body.contains("Stand-in Publishing"), "{}", out.body);
    // The stand-in speaks only TLS: the mesh originated it, for the host details called.
    let seen = google.requests();
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert!(
        seen[0].starts_with("GET /books/v1/volumes?q=isbn:0486424618 HTTP/1.1\r\n"),
        "{}",
        seen[0]
    );
    assert!(
        seen[0]
            .to_ascii_lowercase()
            .contains("host: www.googleapis.com\r\n"),
        "{}",
        seen[0]
    );
    // Envoy opened TLS to the host: the entry's cluster counts the handshake and the answer.
    let control = mesh.local.mesh().control();
    for stat in [r"ssl\.handshake", "upstream_rq_200"] {
        let pattern = format!(r"outbound\|443\|\|www\.googleapis\.com\.{stat}$");
        let counted = control.stats(&pattern).unwrap();
        assert!(
            counted.iter().any(|found| found.value == 1),
            "{stat}: {counted:?}"
        );
    }
}
