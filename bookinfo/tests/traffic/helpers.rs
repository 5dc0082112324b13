//! Plans for short runs, and a stub page server that notes when each request arrived.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bookinfo::traffic::{Pace, Plan};
use chassis::testing::{RecordingBackend, StubReply};

/// A run of `pages` pages at `pace` against `url`, anonymous unless `users` are given.
pub fn plan(url: String, pace: Pace, pages: u64) -> Plan {
    Plan {
        url,
        pace,
        duration: None,
        requests: Some(pages),
        users: Vec::new(),
        signed_in_per_mille: 0,
        timeout: Duration::from_secs(10),
    }
}

/// A server answering every request with `reply`, and when each request arrived.
pub struct PageStub {
    pub backend: RecordingBackend,
    arrivals: Arc<Mutex<Vec<Instant>>>,
}

impl PageStub {
    pub fn start(reply: StubReply) -> Self {
        chassis::telemetry::init_for_tests();
        let arrivals = Arc::new(Mutex::new(Vec::new()));
        let noted = Arc::clone(&arrivals);
        let backend = RecordingBackend::start_with(move |_| {
            noted.lock().unwrap().push(Instant::now());
            reply.clone()
        });
        Self { backend, arrivals }
    }

    pub fn arrivals(&self) -> Vec<Instant> {
        self.arrivals.lock().unwrap().clone()
    }
}

/// What a v1 page looks like to the traffic generator: no stars, no pod name.
pub const V1_PAGE: &str = "<html><body><h2>Book Reviews</h2><p>An extremely entertaining play by Shakespeare.</p></body></html>";
