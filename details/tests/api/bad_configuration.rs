//! The `details` binary with bad configuration: every problem, its own and telemetry's, in one
//! report, and one exit code.

use std::process::Command;

#[test]
fn details_lists_every_bad_setting_at_once_and_exits_64() {
    let output = Command::new(env!("CARGO_BIN_EXE_details"))
        .arg("http")
        .env("EXTERNAL_BOOK_SERVICE_URL", "ftp://books")
        .env(
            "OTEL_EXPORTER_ZIPKIN_ENDPOINT",
            "https://zipkin:9411/api/v2/spans",
        )
        .env("OTEL_BSP_MAX_QUEUE_SIZE", "lots")
        .output()
        .expect("details runs");

    assert_eq!(output.status.code(), Some(64));
    let report = String::from_utf8_lossy(&output.stderr);
    let missing: Vec<&str> = [
        "port argument \"http\"",
        "EXTERNAL_BOOK_SERVICE_URL",
        "OTEL_EXPORTER_ZIPKIN_ENDPOINT",
        "OTEL_BSP_MAX_QUEUE_SIZE",
    ]
    .into_iter()
    .filter(|setting| !report.contains(setting))
    .collect();
    assert!(missing.is_empty(), "{missing:?} missing from: {report}");
    assert_eq!(
        report.matches("invalid configuration").count(),
        1,
        "{report}"
    );
}
