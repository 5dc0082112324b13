//! Egress on a real Envoy, as istio.io's egress tasks check it: a call to a host outside the
//! mesh answered 502 under REGISTRY_ONLY, then let out by a ServiceEntry with TLS originated by
//! the mesh (`networking/egress-rule-google-apis.yaml` as written) to a stand-in for
//! www.googleapis.com (`openssl s_server` with a certificate of a test CA the mesh trusts);
//! under ALLOW_ANY an unknown host is reached as it is.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use chassis::testing::{RecordingBackend, StubReply};
use mesh::{Egress, EgressListener, OutboundTrafficPolicy, OutsideAddress};

use crate::helpers::*;
use crate::https::{curl, make_certificates, openssl, status};
use crate::passthrough::TlsServer;

const GOOGLEAPIS: &str = "www.googleapis.com";

fn egress_rule() -> String {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../networking/egress-rule-google-apis.yaml");
    std::fs::read_to_string(path).unwrap()
}

/// The test CA (`example.com.crt`) and a certificate for www.googleapis.com signed by it.
fn googleapis_certificate(dir: &Path) {
    make_certificates(dir, &[]);
    std::fs::write(
        dir.join("google.ext"),
        format!("subjectAltName=DNS:{GOOGLEAPIS}\n"),
    )
    .unwrap();
    openssl(
        dir,
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
            &format!("/CN={GOOGLEAPIS}"),
        ],
    );
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-days",
            "1",
            "-CA",
            "example.com.crt",
            "-CAkey",
            "example.com.key",
            "-set_serial",
            "1",
            "-in",
            "google.csr",
            "-out",
            "google.crt",
            "-extfile",
            "google.ext",
        ],
    );
}

/// The stand-in for www.googleapis.com, in a directory with the test CA.
fn google_stand_in() -> (ScratchDir, TlsServer) {
    let certs = ScratchDir::new();
    std::fs::create_dir_all(&certs.0).unwrap();
    googleapis_certificate(&certs.0);
    let google = TlsServer::start(&certs.0, "google.crt", "google.key");
    (certs, google)
}

fn json_reply(service: &str, version: &str) -> StubReply {
    StubReply::json(
        200,
        format!(r#"{{"service":"{service}","version":"{version}"}}"#),
    )
}

#[actix_web::test]
async fn registry_only_blocks_an_unknown_host_until_a_service_entry_lets_it_out_over_tls() {
    let (certs, google) = google_stand_in();
    let egress = Egress {
        policy: OutboundTrafficPolicy::RegistryOnly,
        ca_certificate: Some(std::fs::read_to_string(certs.0.join("example.com.crt")).unwrap()),
        listeners: vec![EgressListener {
            host: GOOGLEAPIS.into(),
            port: 80,
            pod: None,
            tls: false,
            outbound_port: 0,
        }],
        outside: vec![OutsideAddress {
            host: GOOGLEAPIS.into(),
            port: 443,
            address: google.address,
        }],
    };
    let mesh = spawn_mesh_beside(json_reply, |topology| topology.with_egress(egress));
    let books = format!(
        "http://{}/books/v1/volumes?q=isbn:0486424618",
        mesh.mesh
            .egress(GOOGLEAPIS, 80)
            .expect("an egress listener")
    );

    let blocked = mesh.get(&books, &[]).await;
    assert_eq!(blocked.status, 502, "{blocked:?}");

    let applied = mesh.apply(&egress_rule());
    assert!(
        applied
            .to_string()
            .contains("serviceentry.networking.istio.io/googleapis created"),
        "{applied}"
    );
    let out = mesh.get(&books, &[]).await;
    assert_eq!(out.status, 200, "{out:?}");
    // s_server's page describes the TLS session the mesh opened with it.
    assert!(out.body.contains("Ciphers"), "{}", out.body);
    let handshakes = mesh
        .mesh
        .control()
        .stats(r"outbound\|443\|\|www\.googleapis\.com\.ssl\.handshake$")
        .unwrap();
    assert!(
        handshakes.iter().any(|stat| stat.value >= 1),
        "{handshakes:?}"
    );
    let listed = mesh
        .mesh
        .control()
        .get("se", None, mesh::OutputFormat::Table)
        .unwrap();
    assert!(
        listed.contains("googleapis   [\"www.googleapis.com\"]   MESH_EXTERNAL   DNS"),
        "{listed}"
    );
}

#[actix_web::test]
async fn allow_any_lets_a_call_to_an_unknown_host_out_as_it_is() {
    let outside = RecordingBackend::start(StubReply::json(200, "{}".to_owned()));
    let egress = Egress {
        listeners: vec![EgressListener {
            host: "example.org".into(),
            port: 80,
            pod: None,
            tls: false,
            outbound_port: 0,
        }],
        outside: vec![OutsideAddress {
            host: "example.org".into(),
            port: 80,
            address: outside.address,
        }],
        ..Egress::default()
    };
    let mesh = spawn_mesh_beside(json_reply, |topology| topology.with_egress(egress));
    let url = format!(
        "http://{}/anything",
        mesh.mesh.egress("example.org", 80).unwrap()
    );

    let answer = mesh.get(&url, &[]).await;

    assert_eq!(answer.status, 200, "{answer:?}");
    let seen = outside.requests();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].header("host"), Some("example.org"));
}

#[actix_web::test]
async fn a_workloads_own_tls_is_routed_by_sni_once_an_entry_names_the_host() {
    let (certs, google) = google_stand_in();
    let egress = Egress {
        policy: OutboundTrafficPolicy::RegistryOnly,
        listeners: vec![EgressListener {
            host: GOOGLEAPIS.into(),
            port: 443,
            pod: None,
            tls: true,
            outbound_port: 0,
        }],
        outside: vec![OutsideAddress {
            host: GOOGLEAPIS.into(),
            port: 443,
            address: google.address,
        }],
        ..Egress::default()
    };
    let mesh = spawn_mesh_beside(json_reply, |topology| topology.with_egress(egress));
    let listener = mesh.mesh.egress(GOOGLEAPIS, 443).unwrap();
    // `curl https://www.googleapis.com/` from a pod whose sidecar takes the connection.
    let connect_to = format!("{GOOGLEAPIS}:443:{}:{}", listener.ip(), listener.port());
    let url = format!("https://{GOOGLEAPIS}/");
    let args = ["--connect-to", connect_to.as_str()];

    let blocked = curl(&certs.0, &url, &args).await;
    assert_eq!(blocked.status.code(), Some(35), "{blocked:?}");

    mesh.apply(&format!(
        "apiVersion: networking.istio.io/v1\nkind: ServiceEntry\nmetadata: {{name: google}}\n\
         spec:\n  hosts: [{GOOGLEAPIS}]\n  ports: [{{number: 443, name: tls, protocol: TLS}}]\n  \
         resolution: DNS\n"
    ));
    let out = curl(&certs.0, &url, &args).await;
    assert_eq!(status(&out), "200", "{out:?}");
}
