//! The launcher on free ports, ready: shared by the test binaries through `#[path]`.

use bookinfo::{LocalBookinfo, Options};

/// Starts every service on 127.0.0.1 (productpage on a free port too) and returns once
/// productpage answers its health check.
pub async fn start_bookinfo() -> LocalBookinfo {
    chassis::telemetry::init_for_tests();
    let options = Options {
        productpage_port: 0,
        ..Options::default()
    };
    let bookinfo = LocalBookinfo::start(&options)
        .await
        .expect("bookinfo starts");
    chassis::testing::wait_ready(bookinfo.productpage, "/health")
        .await
        .expect("productpage ready");
    bookinfo
}
