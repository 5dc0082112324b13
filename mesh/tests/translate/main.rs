//! Translation tests: Istio YAML in the shapes of upstream's networking files, checked against
//! what istiod generates for it. Pure: no Envoy is started.

#[path = "../fixtures.rs"]
mod fixtures;
#[path = "../gateway_api_fixtures.rs"]
mod gateway_api_fixtures;

mod authz;
mod clusters;
mod egress;
mod gateway;
mod gateway_api;
mod get;
mod helpers;
mod networking;
mod refusals;
mod routes;
mod sidecars;
