//! The translator against a real Envoy: recording backends stand in for the services, requests
//! go through the mesh's listeners, and each check is one an istio.io task makes on a cluster.

#[path = "../fixtures.rs"]
mod fixtures;
#[path = "../gateway_api_fixtures.rs"]
mod gateway_api_fixtures;

mod authz;
mod egress;
mod faults;
mod features;
mod gateway_api;
mod helpers;
mod https;
mod identities;
mod lifecycle;
mod observability;
mod passthrough;
mod resilience;
mod routing;
