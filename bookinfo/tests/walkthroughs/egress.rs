//! istio.io's egress tasks in Bookinfo's own form: details v2 (upstream's
//! `ENABLE_EXTERNAL_BOOK_SERVICE=true`) in a mesh whose outbound policy is REGISTRY_ONLY shows the
//! details error. With `DO_NOT_ENCRYPT=true`, `networking/egress-rule-google-apis.yaml` lets it
//! out, the call leaving details as plain HTTP and reaching www.googleapis.com over TLS that the
//! mesh originates; without it, a ServiceEntry for port 443 protocol TLS lets details' own TLS
//! pass through by SNI. Google cannot be reached from here: an HTTPS server with a certificate of
//! a test CA stands in for it, and the mesh is told to trust that CA and where the host is.

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

use crate::helpers::{TestMesh, openssl, spawn_mesh_with};

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
/// keeps each request's SNI and head. Test scaffolding for the outside world.
struct GoogleStandIn {
    address: SocketAddr,
    requests: Arc<Mutex<Vec<Seen>>>,
}

/// One request the stand-in answered: the server name its client sent, and the request's head.
#[derive(Debug, Clone)]
struct Seen {
    sni: Option<String>,
    head: String,
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

    fn requests(&self) -> Vec<Seen> {
        self.requests.lock().unwrap().clone()
    }
}

/// One request over TLS: its head read (bounded), recorded, answered, the connection closed.
fn serve(stream: TcpStream, config: Arc<rustls::ServerConfig>, seen: &Mutex<Vec<Seen>>) {
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
    seen.lock().unwrap().push(Seen {
        sni: tls.conn.server_name().map(str::to_owned),
        head: String::from_utf8_lossy(&head).into_owned(),
    });
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

/// The stand-in with a fresh test CA, and a mesh under REGISTRY_ONLY running details v2 as
/// `env` configures it, trusting that CA and sending www.googleapis.com:443 to the stand-in; the
/// Bookinfo gateway applied, the page showing the details error.
async fn blocked_details_v2(name: &str, env: &[(&str, &str)]) -> (GoogleStandIn, TestMesh) {
    let certs = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("{name}-certs"));
    let _ = std::fs::remove_dir_all(&certs);
    certificates(&certs);
    let google = GoogleStandIn::start(&certs.join("google.crt"), &certs.join("google.key"));
    let details_v2 =
        details::Config::load(&env.iter().copied().collect::<HashMap<_, _>>()).unwrap();
    let mesh = spawn_mesh_with(name, |options| MeshOptions {
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
    (google, mesh)
}

/// The page shows the stand-in's book, which got exactly one volumes request for the host, with
/// SNI www.googleapis.com.
async fn assert_book_from_stand_in(mesh: &TestMesh, google: &GoogleStandIn) {
    let out = mesh.anonymous_page().await;
    assert!(!out.body.contains(DETAILS_UNAVAILABLE), "{}", out.body);
    assert!(out.body.contains("Stand-in Publishing"), "{}", out.body);
    let seen = google.requests();
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert_eq!(seen[0].sni.as_deref(), Some(GOOGLEAPIS), "{seen:?}");
    let head = &seen[0].head;
    assert!(
        head.starts_with("GET /books/v1/volumes?q=isbn:0486424618 HTTP/1.1\r\n"),
        "{head}"
    );
    assert!(
        head.to_ascii_lowercase()
            .contains("host: www.googleapis.com\r\n"),
        "{head}"
    );
}

/// The value of the one stat named by `pattern` (a regex), if Envoy has it.
fn stat(mesh: &TestMesh, pattern: &str) -> Option<u64> {
    let found = mesh.local.mesh().control().stats(pattern).unwrap();
    assert!(found.len() <= 1, "{pattern}: {found:?}");
    found.first().map(|stat| stat.value)
}

#[actix_web::test]
async fn details_v2_is_blocked_by_registry_only_until_the_google_apis_egress_rule_lets_it_out() {
    // details as platform/kube/bookinfo-details-v2.yaml runs it.
    let (google, mesh) = blocked_details_v2(
        "egress",
        &[
            ("ENABLE_EXTERNAL_BOOK_SERVICE", "true"),
            ("DO_NOT_ENCRYPT", "true"),
        ],
    )
    .await;

    let applied = mesh.apply_file("egress-rule-google-apis.yaml");
    assert!(
        applied.contains("serviceentry.networking.istio.io/googleapis created"),
        "{applied}"
    );
    // The stand-in speaks only TLS: the mesh originated it, for the host details called.
    assert_book_from_stand_in(&mesh, &google).await;
    // Envoy opened TLS to the host: the entry's cluster counts the handshake and the answer.
    for counter in [r"ssl\.handshake", "upstream_rq_200"] {
        let pattern = format!(r"^cluster\.outbound\|443\|\|www\.googleapis\.com\.{counter}$");
        assert_eq!(stat(&mesh, &pattern), Some(1), "{pattern}");
    }
}

#[actix_web::test]
async fn details_v2_with_tls_of_its_own_passes_through_once_a_service_entry_names_the_host() {
    // Upstream's default: details speaks TLS to https://www.googleapis.com itself.
    let (google, mesh) =
        blocked_details_v2("egress-tls", &[("ENABLE_EXTERNAL_BOOK_SERVICE", "true")]).await;

    // As istio.io's egress-control task lets an HTTPS host out.
    let applied = mesh.apply(
        "apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata:
  name: google
spec:
  hosts:
  - www.googleapis.com
  ports:
  - number: 443
    name: https
    protocol: TLS
  resolution: DNS
  location: MESH_EXTERNAL
",
    );
    assert!(
        applied.contains("serviceentry.networking.istio.io/google created"),
        "{applied}"
    );
    // The stand-in saw details' own TLS (its SNI, its certificate check against the test CA).
    assert_book_from_stand_in(&mesh, &google).await;
    // Envoy proxied the stream as it was: a TCP proxy, no TLS of its own towards the host.
    let cluster = r"outbound\|443\|\|www\.googleapis\.com";
    assert_eq!(
        stat(&mesh, &format!(r"^tcp\.{cluster}\.downstream_cx_total$")),
        Some(1)
    );
    assert_eq!(
        stat(&mesh, &format!(r"^cluster\.{cluster}\.upstream_cx_total$")),
        Some(1)
    );
    assert_eq!(
        stat(&mesh, &format!(r"^cluster\.{cluster}\.ssl\.handshake$")).unwrap_or(0),
        0
    );
}
