//! The command itself: Ctrl-C stops it early and it still prints the whole summary.

use std::io::Read as _;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use chassis::testing::StubReply;

use crate::helpers::{PageStub, V1_PAGE};

/// Bounds on waiting for the process: well above what either step takes.
const WITHIN: Duration = Duration::from_secs(20);

#[actix_web::test]
async fn ctrl_c_stops_the_run_and_the_summary_is_still_printed() {
    let stub = PageStub::start(StubReply::html(200, V1_PAGE));
    let mut child = Command::new(env!("CARGO_BIN_EXE_bookinfo"))
        .args(["traffic", "--url", &stub.backend.base_url()])
        .args([
            "--rate",
            "20",
            "--duration",
            "10m",
            "--users",
            "jason",
            "--json",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("bookinfo traffic starts");

    // Ready once pages arrive; the stub answers the sign-in too (without a cookie).
    let deadline = Instant::now() + WITHIN;
    while stub.arrivals().len() < 10 {
        assert!(Instant::now() < deadline, "no traffic arrived");
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
    let deadline = Instant::now() + WITHIN;
    let exit = loop {
        if let Some(exit) = child.try_wait().expect("wait") {
            break exit;
        }
        assert!(Instant::now() < deadline, "still running after Ctrl-C");
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    };

    let mut stdout = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut stdout)
        .unwrap();
    assert!(exit.success(), "{exit:?}: {stdout}");
    let summary: serde_json::Value = serde_json::from_str(&stdout).expect("one JSON object");
    assert_eq!(summary["interrupted"], true, "{summary}");
    let requests = summary["requests"].as_u64().unwrap();
    assert!(
        (5..1000).contains(&requests),
        "stopped early after some pages: {summary}"
    );
    for field in [
        "errors",
        "status",
        "latency_ms",
        "reviews_versions",
        "by_user",
    ] {
        assert!(summary.get(field).is_some(), "{field} missing: {summary}");
    }
    // The stub sets no session cookie, so jason's pages fail to sign in and say so.
    let jason = &summary["by_user"]["jason"];
    assert_eq!(jason["errors"], jason["requests"], "{summary}");
    assert_eq!(
        jason["error_kinds"]["sign_in"], jason["requests"],
        "{summary}"
    );
    let anonymous = &summary["by_user"]["anonymous"];
    assert_eq!(anonymous["errors"], 0, "{summary}");
    assert_eq!(
        anonymous["reviews_versions"]["v1"], anonymous["requests"],
        "{summary}"
    );
}
