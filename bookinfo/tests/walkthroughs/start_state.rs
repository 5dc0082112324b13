//! Before any Istio resource the ingress has nothing to route; the Gateway opens the product page.

use crate::helpers::spawn_mesh;

#[actix_web::test]
async fn ingress_returns_404_before_the_gateway_and_the_product_page_after_it() {
    let mesh = spawn_mesh("start_state").await;

    let before = mesh.anonymous_page().await;
    assert_eq!(before.status, 404, "{}", before.body);

    let applied = mesh.apply_file("bookinfo-gateway.yaml");
    assert!(
        applied.contains("gateway.networking.istio.io/bookinfo-gateway created"),
        "{applied}"
    );
    let after = mesh.anonymous_page().await;
    assert_eq!(after.status, 200, "{}", after.body);
    assert!(
        after.body.contains("<title>Simple Bookstore App</title>"),
        "{}",
        after.body
    );
}
