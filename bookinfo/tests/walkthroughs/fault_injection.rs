//! istio.io's "Fault Injection": a 7 s delay and an HTTP abort on jason's ratings calls.

use crate::helpers::spawn_mesh_with_gateway;

const REVIEWS_UNAVAILABLE: &str = "Sorry, product reviews are currently unavailable for this book.";
const RATINGS_UNAVAILABLE: &str = "Ratings service is currently unavailable";
/// Envoy's fault filter counters, on whichever listener carries the fault.
const DELAYS_INJECTED: &str = r"\.fault\.delays_injected$";
const ABORTS_INJECTED: &str = r"\.fault\.aborts_injected$";

async fn mesh_with_jason_on_v2(name: &str) -> (crate::helpers::TestMesh, String) {
    let mesh = spawn_mesh_with_gateway(name).await;
    mesh.apply_file("destination-rule-all.yaml");
    mesh.apply_file("virtual-service-all-v1.yaml");
    mesh.apply_file("virtual-service-reviews-test-v2.yaml");
    let jason = mesh.login("jason").await;
    (mesh, jason)
}

#[actix_web::test]
async fn delayed_ratings_make_jasons_page_give_up_on_reviews_after_two_tries() {
    let (mesh, jason) = mesh_with_jason_on_v2("fault_injection_delay").await;
    mesh.apply_file("virtual-service-ratings-test-delay.yaml");
    assert_eq!(mesh.counter(DELAYS_INJECTED), 0);
    let reviews_before = mesh.requests_to("reviews", "v2");

    let page = mesh.page_as(&jason).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains(REVIEWS_UNAVAILABLE), "{}", page.body);
    // What Envoy did: it held reviews v2's calls to ratings (the 7 s delay), and productpage,
    // whose 3 s per try ran out, asked reviews v2 twice before giving up.
    assert!(mesh.counter(DELAYS_INJECTED) >= 1, "no delay injected");
    assert_eq!(mesh.requests_to("reviews", "v2") - reviews_before, 2);
}

#[actix_web::test]
async fn aborted_ratings_show_jason_that_ratings_are_unavailable_and_no_one_else() {
    let (mesh, jason) = mesh_with_jason_on_v2("fault_injection_abort").await;
    mesh.apply_file("virtual-service-ratings-test-abort.yaml");

    let page = mesh.page_as(&jason).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains(RATINGS_UNAVAILABLE), "{}", page.body);
    assert!(mesh.counter(ABORTS_INJECTED) >= 1, "no abort injected");

    let anonymous = mesh.anonymous_page().await;
    assert_eq!(anonymous.status, 200, "{}", anonymous.body);
    assert!(
        !anonymous.body.contains(RATINGS_UNAVAILABLE),
        "{}",
        anonymous.body
    );
}
