//! What `bookinfo mesh apply|delete -f` reads: Istio and Gateway API YAML, parsed, applied on
//! top of Bookinfo's own gateway and translated into Envoy configuration for Bookinfo's topology.
//! A refusal is an error value, never a panic.
#![no_main]

use std::net::SocketAddr;
use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use mesh::istio::{self, ResourceSet};
use mesh::{Topology, Workload, translate};

/// Bookinfo's services and versions, each workload on a made-up loopback port.
static BOOKINFO: LazyLock<Topology> = LazyLock::new(|| {
    let versions: [(&str, &[&str]); 4] = [
        ("details", &["v1"]),
        ("ratings", &["v1"]),
        ("reviews", &["v1", "v2", "v3"]),
        ("productpage", &["v1"]),
    ];
    let mut port = 10_000;
    versions
        .iter()
        .fold(Topology::new(), |topology, (app, versions)| {
            let workloads = versions
                .iter()
                .map(|version| {
                    port += 1;
                    let address = SocketAddr::from(([127, 0, 0, 1], port));
                    Workload::new(app, version, address)
                })
                .collect();
            topology.with_service(app, workloads)
        })
});

static GATEWAY: LazyLock<ResourceSet> = LazyLock::new(|| {
    let mut set = ResourceSet::new();
    set.apply(
        istio::parse(include_str!("../../networking/bookinfo-gateway.yaml"))
            .expect("Bookinfo's gateway parses"),
    );
    set
});

fuzz_target!(|text: &str| {
    let _ = istio::parse_keys(text);
    let Ok(resources) = istio::parse(text) else {
        return;
    };
    let mut set = GATEWAY.clone();
    set.apply(resources);
    let _ = translate(&BOOKINFO, &set);
    let _ = ResourceSet::from_json(&set.to_json());
});
