//! The ratings binary with its in-memory store full stays inside the memory limit its Kubernetes
//! manifest gives it.

#![allow(clippy::expect_used)]

use std::process::{Child, Command, Stdio};

use crate::helpers::closed_port;

/// `resources.limits.memory` of ratings-v1 in platform/kube/bookinfo.yaml.
const MANIFEST_MEMORY_LIMIT_BYTES: u64 = 64 * 1024 * 1024;

/// Stops the process when the test ends, passed or not.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The process's resident set, from /proc.
fn rss_bytes(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("/proc readable");
    let kib: u64 = status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS in /proc/PID/status");
    kib * 1024
}

/// A 4 KiB body of 545 reviewers: the costliest shape a POST may have.
fn costly_body() -> String {
    const DIGITS: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let name = |i: usize| format!("{}{}", DIGITS[i / 36] as char, DIGITS[i % 36] as char);
    let stars: Vec<String> = (0..545).map(|i| format!(r#""{}":5"#, name(i))).collect();
    let body = format!("{{{}}}", stars.join(","));
    assert!(body.len() <= 4096, "{}", body.len());
    body
}

#[actix_web::test]
async fn ratings_stays_under_its_manifest_memory_limit_with_the_store_full() {
    let port = closed_port();
    let child = Command::new(env!("CARGO_BIN_EXE_ratings"))
        .arg(port.to_string())
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .spawn()
        .expect("ratings starts");
    let ratings = Running(child);
    let address = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    chassis::testing::wait_ready(address, "/health")
        .await
        .expect("ratings ready");
    let client = awc::Client::default();
    let body = costly_body();

    let mut stored = 0;
    let full = loop {
        assert!(stored < 10_000, "the store never filled");
        let response = client
            .post(format!("http://{address}/ratings/{stored}"))
            .content_type("application/json")
            .send_body(body.clone())
            .await
            .expect("an answer");
        match response.status().as_u16() {
            200 => stored += 1,
            status => break status,
        }
    };

    assert_eq!(full, 507);
    assert!(stored >= 500, "only {stored} products fit");
    let rss = rss_bytes(ratings.0.id());
    assert!(
        rss < MANIFEST_MEMORY_LIMIT_BYTES,
        "{} MiB with {stored} products stored",
        rss / 1024 / 1024
    );
}
