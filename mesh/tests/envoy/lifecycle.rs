//! Applying, deleting and refusing, with Envoy running throughout.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use mesh::{Mesh, MeshControl, Topology, Workload};

use crate::fixtures::*;
use crate::helpers::*;

#[actix_web::test]
async fn apply_then_delete_returns_to_spreading_over_every_version() {
    let mesh = spawn_mesh();
    mesh.apply(DESTINATION_RULE_ALL);
    mesh.apply(ALL_V1);
    let pinned = mesh.versions("reviews", 10, &[]).await;

    let deleted = mesh.mesh.delete(ALL_V1).unwrap();
    let spread = mesh.versions("reviews", 30, &[]).await;

    assert_eq!(pinned.get("v1"), Some(&10), "{pinned:?}");
    assert!(
        deleted
            .to_string()
            .contains("virtualservice.networking.istio.io/reviews deleted")
    );
    assert_eq!(spread.len(), 3, "{spread:?}");
}

#[actix_web::test]
async fn a_change_takes_effect_when_apply_returns_without_restarting_envoy() {
    let mut mesh = spawn_mesh();
    let pid = mesh.mesh.pid();
    mesh.apply(DESTINATION_RULE_ALL);
    mesh.apply(ALL_V1);

    for (yaml, version) in [(REVIEWS_V3, "v3"), (REVIEWS_TEST_V2, "v1"), (ALL_V1, "v1")] {
        let applied = mesh.apply(yaml);
        let answer = mesh.call("reviews", "/reviews/0", &[]).await;
        assert_eq!(
            answer.version(),
            version,
            "right after version {}",
            applied.version
        );
    }

    assert_eq!(mesh.mesh.pid(), pid);
    assert!(mesh.mesh.exited().is_none(), "Envoy kept running");
}

#[actix_web::test]
async fn a_refused_document_changes_nothing() {
    let mesh = spawn_mesh();
    mesh.apply(DESTINATION_RULE_ALL);
    let before = mesh.apply(ALL_V1).version;
    let refused = format!(
        "{REVIEWS_V3}---\n{}",
        RATINGS_TEST_ABORT.replace("fault:", "corsPolicy: {}\n    fault:")
    );

    let error = mesh.mesh.apply(&refused).unwrap_err().to_string();

    assert!(
        error.contains("VirtualService ratings: http[0].corsPolicy is not supported"),
        "{error}"
    );
    assert_eq!(
        mesh.call("reviews", "/reviews/0", &[]).await.version(),
        "v1"
    );
    let unchanged = mesh.apply(ALL_V1);
    assert_eq!(unchanged.version, before);
    assert!(
        unchanged
            .changes
            .iter()
            .all(|change| change.action == mesh::Action::Unchanged)
    );
}

#[actix_web::test]
async fn another_process_applies_through_the_work_directory() {
    let mesh = spawn_mesh();
    let control = MeshControl::open(mesh.mesh.control().work_dir()).unwrap();

    control.apply(DESTINATION_RULE_ALL).unwrap();
    control.apply(REVIEWS_V3).unwrap();

    assert_eq!(
        mesh.call("reviews", "/reviews/0", &[]).await.version(),
        "v3"
    );
    assert_eq!(control.resources().unwrap().len(), 5);
}

#[actix_web::test]
async fn start_fails_naming_the_cause_when_the_ingress_port_is_taken() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let topology = Topology::new().with_ingress_port(port).with_service(
        "details",
        vec![Workload::new(
            "details",
            "v1",
            "127.0.0.1:9".parse().unwrap(),
        )],
    );
    let dir = ScratchDir::new();

    let error = Mesh::start(&topology, &dir.0, &mesh::find_envoy().unwrap()).unwrap_err();

    let message = error.to_string();
    assert!(
        message.contains("listener 0.0.0.0_8080 is not running"),
        "{message}"
    );
    assert!(
        message.contains(&port.to_string()),
        "the log names the port: {message}"
    );
}

#[actix_web::test]
async fn after_the_mesh_stops_its_directory_tells_another_process_so() {
    let mesh = spawn_mesh();
    let dir = mesh.mesh.control().work_dir().to_path_buf();
    let control = MeshControl::open(&dir).unwrap();

    drop(mesh.mesh);
    let error = MeshControl::open(&dir).unwrap_err().to_string();

    assert!(error.starts_with("no mesh in"), "{error}");
    assert!(
        control.apply(REVIEWS_V3).is_err(),
        "a control opened earlier fails too"
    );
}

#[actix_web::test]
async fn configuration_envoy_rejects_is_rolled_back_and_reported() {
    let mesh = spawn_mesh();
    mesh.apply(DESTINATION_RULE_ALL);
    mesh.apply(REVIEWS_V3);
    let bad_regex = REVIEWS_TEST_V2.replace("exact: jason", "regex: \"(unclosed\"");

    let error = mesh.mesh.apply(&bad_regex).unwrap_err().to_string();

    assert!(
        error.contains("Envoy rejected the configuration"),
        "{error}"
    );
    assert_eq!(
        mesh.call("reviews", "/reviews/0", &[]).await.version(),
        "v3"
    );
    let resources = mesh.mesh.control().resources().unwrap();
    let reviews = resources
        .in_creation_order()
        .into_iter()
        .find(|resource| {
            resource.key.name == "reviews" && resource.key.kind == mesh::istio::Kind::VirtualService
        })
        .unwrap();
    assert!(
        !reviews.document.to_string().contains("unclosed"),
        "the rejected spec is not kept"
    );
    let next = mesh.apply(REVIEWS_TEST_V2);
    assert_eq!(
        mesh.call("reviews", "/reviews/0", &[("end-user", "jason")])
            .await
            .version(),
        "v2",
        "applying works again after version {}",
        next.version
    );
}

#[actix_web::test]
async fn a_second_mesh_in_the_same_directory_is_refused_and_the_first_keeps_running() {
    let first = spawn_mesh();
    route_reviews_to_v3(&first);
    let dir = first.mesh.control().work_dir().to_path_buf();

    let error = Mesh::start(
        first.mesh.control().topology(),
        &dir,
        &mesh::find_envoy().unwrap(),
    )
    .unwrap_err()
    .to_string();

    assert!(error.starts_with("a mesh already runs in"), "{error}");
    assert_eq!(
        first.call("reviews", "/reviews/0", &[]).await.version(),
        "v3"
    );
}

fn route_reviews_to_v3(mesh: &TestMesh) {
    mesh.apply(DESTINATION_RULE_ALL);
    mesh.apply(REVIEWS_V3);
}
