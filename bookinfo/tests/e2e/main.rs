//! All six services together over real HTTP on loopback: what a user sees on a cluster before
//! any routing rule.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod api;
mod faults;
mod helpers;
#[path = "../support/local_bookinfo.rs"]
mod local_bookinfo;
mod session;
mod shutdown;
mod versions;
