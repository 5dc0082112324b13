//! How busy this worker thread is: the requests it is serving and the outbound calls it has in
//! flight, the signal [`crate::client::ConnectionReuse::WhileBusy`] reads to tell a sequential
//! client (one request, one call at a time) from concurrent load.
//!
//! Per thread because an actix worker is one thread and every outbound client belongs to one; a
//! sequential client's requests may land on any worker, and each finds it otherwise idle.

use std::cell::Cell;

thread_local! {
    static REQUESTS_SERVED: Cell<usize> = const { Cell::new(0) };
    static CALLS_IN_FLIGHT: Cell<usize> = const { Cell::new(0) };
}

/// One request counted as being served on this thread until dropped.
pub(crate) struct Serving(());

impl Serving {
    pub(crate) fn enter() -> Self {
        REQUESTS_SERVED.set(REQUESTS_SERVED.get() + 1);
        Self(())
    }
}

impl Drop for Serving {
    fn drop(&mut self) {
        REQUESTS_SERVED.set(REQUESTS_SERVED.get() - 1);
    }
}

/// One outbound call counted in flight on this thread until dropped (a cancelled call included).
pub(crate) struct Calling {
    /// Whether, when this call started, the thread was serving another request or had another
    /// call in flight.
    pub(crate) busy: bool,
}

impl Calling {
    pub(crate) fn enter() -> Self {
        let others = CALLS_IN_FLIGHT.get();
        CALLS_IN_FLIGHT.set(others + 1);
        Self {
            busy: others > 0 || REQUESTS_SERVED.get() > 1,
        }
    }
}

impl Drop for Calling {
    fn drop(&mut self) {
        CALLS_IN_FLIGHT.set(CALLS_IN_FLIGHT.get() - 1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lone_call_of_a_lone_request_is_not_busy() {
        let _request = Serving::enter();
        let call = Calling::enter();
        assert!(!call.busy);
        drop(call);
        assert!(!Calling::enter().busy, "the first call is over");
    }

    #[test]
    fn a_call_beside_another_call_or_another_request_is_busy() {
        let _first = Calling::enter();
        assert!(Calling::enter().busy);

        let other_thread = std::thread::spawn(|| {
            let _one = Serving::enter();
            let lone = Calling::enter().busy;
            let _two = Serving::enter();
            (lone, Calling::enter().busy)
        });
        assert_eq!(other_thread.join().ok(), Some((false, true)));
    }
}
