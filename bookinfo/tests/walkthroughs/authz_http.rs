//! istio.io's "Authorization on HTTP traffic" (tasks/security/authorization/authz-http), step by
//! step as its test.sh checks it: every request from the `curl` workload, through its proxy and
//! with its identity, to `http://istio-ingressgateway.istio-system/productpage`.

use crate::helpers::{TestMesh, running_as_root, spawn_mesh_with_gateway};

const INGRESS_URL: &str = "http://istio-ingressgateway.istio-system/productpage";

/// test.sh's REPEAT: a step may take a few requests to show, as connections that proxies opened
/// before a policy changed are closed after their next answer (on a cluster too).
const REPEAT: usize = 20;

fn policy(name: &str, app: &str, principal: Option<&str>) -> String {
    let from = principal.map_or_else(String::new, |principal| {
        format!("  - from:\n    - source:\n        principals: [\"{principal}\"]\n    to:\n")
    });
    let to = if principal.is_some() { "" } else { "  - to:\n" };
    format!(
        "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata:\n  name: \"{name}\"\n  \
         namespace: default\nspec:\n  selector:\n    matchLabels:\n      app: {app}\n  action: ALLOW\n  \
         rules:\n{from}{to}    - operation:\n        methods: [\"GET\"]\n"
    )
}

const ALLOW_NOTHING: &str = "apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: allow-nothing
  namespace: default
spec:
  {}
";

/// test.sh's `verify`: `kubectl exec curl -- curl URL -sS -w "\n%{http_code}\n"` until the code
/// and every text are in one answer, at most REPEAT times.
async fn verify(mesh: &TestMesh, code: &str, texts: &[&str]) {
    let mut last = String::new();
    for _ in 0..REPEAT {
        let output = mesh.exec(
            "curl",
            &["curl", INGRESS_URL, "-sS", "-w", "\n%{http_code}\n"],
        );
        let answer = String::from_utf8_lossy(&output.stdout).into_owned();
        let got = answer.lines().last().unwrap_or_default();
        if got == code && texts.iter().all(|text| answer.contains(text)) {
            return;
        }
        last = format!("{got}\n{answer}{}", String::from_utf8_lossy(&output.stderr));
    }
    panic!("want code {code} and text: {texts:?}\ngot: {last}");
}

#[actix_web::test]
async fn authz_http_step_by_step_as_istio_io_checks_it() {
    let mesh = spawn_mesh_with_gateway("authz_http").await;
    if !running_as_root() {
        return; // `mesh exec` needs root: the exec tests check that it says so.
    }
    mesh.apply_file("destination-rule-all.yaml");
    mesh.apply_file("virtual-service-reviews-v3.yaml");

    mesh.apply(ALLOW_NOTHING);
    verify(&mesh, "403", &["RBAC: access denied"]).await;

    mesh.apply(&policy("productpage-viewer", "productpage", None));
    verify(
        &mesh,
        "200",
        &[
            "William Shakespeare",
            "Error fetching product details",
            "Error fetching product reviews",
        ],
    )
    .await;

    let productpage = "cluster.local/ns/default/sa/bookinfo-productpage";
    mesh.apply(&policy("details-viewer", "details", Some(productpage)));
    mesh.apply(&policy("reviews-viewer", "reviews", Some(productpage)));
    verify(
        &mesh,
        "200",
        &[
            "William Shakespeare",
            "Ratings service is currently unavailable",
        ],
    )
    .await;

    let reviews = "cluster.local/ns/default/sa/bookinfo-reviews";
    mesh.apply(&policy("ratings-viewer", "ratings", Some(reviews)));
    verify(
        &mesh,
        "200",
        &["William Shakespeare", "Book Details", "Book Reviews"],
    )
    .await;
    let page = mesh.exec("curl", &["curl", "-sS", INGRESS_URL]);
    assert!(
        String::from_utf8_lossy(&page.stdout).contains("glyphicon glyphicon-star"),
        "the stars are back"
    );

    // Cleanup as the task's: `kubectl delete authorizationpolicy.security.istio.io/NAME`.
    let work_dir = mesh.local.mesh().control().work_dir().to_owned();
    for name in [
        "allow-nothing",
        "productpage-viewer",
        "details-viewer",
        "reviews-viewer",
        "ratings-viewer",
    ] {
        let resource = format!("authorizationpolicy.security.istio.io/{name}");
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_bookinfo"))
            .args(["mesh", "delete", "--dir"])
            .arg(&work_dir)
            .arg(&resource)
            .output()
            .expect("bookinfo runs");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "{resource}: {stderr}");
        assert_eq!(
            String::from_utf8_lossy(&output.stdout),
            format!("{resource} deleted\n")
        );
    }
    assert!(
        mesh.local
            .mesh()
            .control()
            .get("ap", None, mesh::OutputFormat::Table)
            .unwrap()
            .starts_with("No resources found")
    );
    verify(
        &mesh,
        "200",
        &["William Shakespeare", "Book Details", "Book Reviews"],
    )
    .await;
}

#[actix_web::test]
async fn a_header_cannot_claim_the_principal_a_policy_allows() {
    let mesh = spawn_mesh_with_gateway("authz_http_claims").await;
    if !running_as_root() {
        return;
    }
    let productpage = "cluster.local/ns/default/sa/bookinfo-productpage";
    mesh.apply(&policy("details-viewer", "details", Some(productpage)));
    let identity = format!("spiffe://{productpage}");
    let claims = [
        format!("x-forwarded-client-cert: By={identity};URI={identity}"),
        format!("x-spiffe: {identity}"),
        format!("x-forwarded-for-principal: {productpage}"),
    ];
    let mut command = vec!["curl", "-sS", "-w", "\n%{http_code}\n"];
    for claim in &claims {
        command.extend(["-H", claim.as_str()]);
    }
    command.push("http://details:9080/details/0");
    for _ in 0..REPEAT {
        let output = mesh.exec("curl", &command);
        let answer = String::from_utf8_lossy(&output.stdout).into_owned();
        assert_ne!(
            answer.lines().last(),
            Some("200"),
            "curl claimed productpage's identity: {answer}"
        );
        if answer.starts_with("RBAC: access denied") && answer.ends_with("403\n") {
            // productpage itself, with its certificate, still gets the details.
            let page = mesh.exec("curl", &["curl", "-sS", INGRESS_URL]);
            let page = String::from_utf8_lossy(&page.stdout);
            assert!(page.contains("Book Details"), "{page}");
            return;
        }
    }
    panic!("curl was never denied");
}
