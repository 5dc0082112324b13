//! istio.io's "Request Routing": everyone to v1, then jason to v2, then jason to v2 and the rest
//! to v3.

use crate::helpers::{Stars, count, spawn_mesh_with_gateway};

#[actix_web::test]
async fn routing_sends_everyone_to_v1_then_jason_to_v2_then_the_rest_to_v3() {
    let mesh = spawn_mesh_with_gateway("request_routing").await;
    mesh.apply_file("destination-rule-all.yaml");
    mesh.apply_file("virtual-service-all-v1.yaml");
    let jason = mesh.login("jason").await;

    let anonymous = mesh.stars_over(10, None).await;
    assert_eq!(count(&anonymous, Stars::None), 10, "all-v1: {anonymous:?}");
    let as_jason = mesh.stars_over(10, Some(&jason)).await;
    assert_eq!(count(&as_jason, Stars::None), 10, "all-v1: {as_jason:?}");

    mesh.apply_file("virtual-service-reviews-test-v2.yaml");
    let as_jason = mesh.stars_over(10, Some(&jason)).await;
    assert_eq!(count(&as_jason, Stars::Black), 10, "test-v2: {as_jason:?}");
    let anonymous = mesh.stars_over(10, None).await;
    assert_eq!(count(&anonymous, Stars::None), 10, "test-v2: {anonymous:?}");

    mesh.apply_file("virtual-service-reviews-jason-v2-v3.yaml");
    let as_jason = mesh.stars_over(10, Some(&jason)).await;
    assert_eq!(
        count(&as_jason, Stars::Black),
        10,
        "jason-v2-v3: {as_jason:?}"
    );
    let anonymous = mesh.stars_over(10, None).await;
    assert_eq!(
        count(&anonymous, Stars::Red),
        10,
        "jason-v2-v3: {anonymous:?}"
    );
}
