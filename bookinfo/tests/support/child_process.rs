//! Waiting on a child process the tests started, bounded.

use std::process::{Child, ExitStatus};
use std::time::{Duration, Instant};

/// `child`'s exit status, failing the test if it still runs after `within`.
pub fn exit_status_within(child: &mut Child, within: Duration) -> ExitStatus {
    let deadline = Instant::now() + within;
    loop {
        if let Some(status) = child.try_wait().expect("waitable") {
            return status;
        }
        assert!(Instant::now() < deadline, "the launcher is still running");
        std::thread::sleep(Duration::from_millis(20));
    }
}
