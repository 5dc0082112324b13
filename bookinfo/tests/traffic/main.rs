//! `bookinfo traffic` against real servers: the launcher, stub backends that count what
//! arrives, a closed port, and the command itself stopped by Ctrl-C.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod cluster;
mod helpers;
mod interrupt;
mod launcher;
#[path = "../support/local_bookinfo.rs"]
mod local_bookinfo;
mod rate;
