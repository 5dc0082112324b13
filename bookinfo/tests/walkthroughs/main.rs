//! istio.io's Bookinfo tasks, step by step, on the real services behind a real Envoy: each test
//! starts its own mesh and checks through the ingress what the task's scripts check.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod ambient;
mod authz_http;
mod circuit_breaking;
mod egress;
mod exec;
mod fault_injection;
mod gateway_api;
mod getting_started_ambient;
mod helpers;
mod mutual_tls;
mod request_routing;
mod request_timeouts;
mod secure_ingress;
mod start_state;
mod traffic;
mod traffic_shifting;
mod waypoint;
