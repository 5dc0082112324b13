//! Translation tests: Istio YAML in the shapes of upstream's networking files, checked against
//! what istiod generates for it. Pure: no Envoy is started.

#[path = "../fixtures.rs"]
mod fixtures;

mod clusters;
mod gateway;
mod helpers;
mod refusals;
mod routes;
