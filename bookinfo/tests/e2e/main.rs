//! All six services together over real HTTP on loopback: what a user sees on a cluster before
//! any routing rule.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod api;
#[path = "../support/child_process.rs"]
mod child_process;
mod faults;
mod helpers;
#[path = "../support/local_bookinfo.rs"]
mod local_bookinfo;
mod processes;
mod session;
mod shutdown;
mod versions;
