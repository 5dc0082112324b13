//! Pods with a Kubernetes identity (namespace, service account, SPIFFE id) and their loopback
//! addresses: each mesh takes a /16 of 127/8 of its own (`127.B.0.0/16`), each pod `w` gets
//! `127.B.(w+1).1` for its inbound listener and `127.B.(w+1).(10+s)` as its own address of
//! Service `s`, so every pod's sidecar is a set of listeners of its own in the one Envoy.

use std::collections::BTreeMap;
use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener};
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::topology::NAMESPACE;

/// The trust domain of every SPIFFE id (`spiffe://cluster.local/ns/NS/sa/NAME`).
pub const TRUST_DOMAIN: &str = "cluster.local";

/// The ingress gateway pod's namespace, name and service account, as Istio installs it.
pub const INGRESS_GATEWAY_NAMESPACE: &str = "istio-system";
pub const INGRESS_GATEWAY_POD: &str = "istio-ingressgateway";
pub const INGRESS_GATEWAY_SERVICE_ACCOUNT: &str = "istio-ingressgateway-service-account";

/// The pod istiod deploys for the Gateway API's `bookinfo-gateway`, with a service account of
/// the same name (`<gateway>-istio`), in the Gateway's namespace.
pub const GATEWAY_API_POD: &str = "bookinfo-gateway-istio";

/// The label by which a gateway Deployment names the Gateway API Gateway it serves.
pub const GATEWAY_NAME_LABEL: &str = "gateway.networking.k8s.io/gateway-name";

/// The first address in a pod's /24 that is one of its outbound listeners (`.10` + index).
const FIRST_OUTBOUND_HOST: u8 = 10;

/// The first address in a pod's /24 for the gateway Services (after 240 Services).
const FIRST_GATEWAY_HOST: u8 = 250;

/// The Services of the ingress gateway, as `(name, namespace)`, both on
/// [`GATEWAY_SERVICE_PORT`]: Istio's `istio-ingressgateway` and the one istiod deploys for
/// the Gateway API's `bookinfo-gateway`.
pub const GATEWAY_SERVICES: [(&str, &str); 2] = [
    ("istio-ingressgateway", INGRESS_GATEWAY_NAMESPACE),
    ("bookinfo-gateway-istio", NAMESPACE),
];

/// The cluster port of the gateway Services.
pub const GATEWAY_SERVICE_PORT: u16 = 80;

/// Where the mesh's pods live and who they are.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sidecars {
    /// `B` of the mesh's `127.B.0.0/16`.
    pub block: u8,
    pub pods: Vec<Pod>,
    /// The CA certificate and each pod's certificate and key (written at mesh start).
    #[serde(default)]
    pub pki_dir: PathBuf,
    /// Each pod reaches the two ingress gateway Services on port 80 (binding it needs root or
    /// a low `ip_unprivileged_port_start`; see [`LoopbackBlock::can_bind_port`]).
    #[serde(default)]
    pub gateway_listeners: bool,
}

/// One pod (a Deployment's single replica), named as the Deployment is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pod {
    /// `productpage-v1`, `curl`, `istio-ingressgateway`.
    pub name: String,
    pub namespace: String,
    pub service_account: String,
    pub labels: BTreeMap<String, String>,
    pub role: PodRole,
}

/// What runs in a pod besides its sidecar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PodRole {
    /// A server: the inbound listener forwards to the app's own listener here.
    App { listens: SocketAddr },
    /// A client only (samples/curl): outbound listeners, no inbound one.
    Client,
    /// The ingress gateway: its identity is the one the ingress listeners call with.
    Gateway,
    /// An ambient waypoint (`istioctl waypoint apply`): L7 routing and policy for the Services
    /// enrolled with it, calling their endpoints with its own identity. Its listeners exist
    /// while its Gateway of class `istio-waypoint` is in force.
    Waypoint,
}

// === impl Sidecars ===

impl Sidecars {
    /// No pods yet, in the block `block` reserved with [`LoopbackBlock::reserve`].
    pub fn new(block: u8) -> Self {
        Self {
            block,
            pods: Vec::new(),
            pki_dir: PathBuf::new(),
            gateway_listeners: false,
        }
    }

    /// Gives every pod listeners for the ingress gateway Services on their port 80.
    pub fn with_gateway_listeners(mut self, enabled: bool) -> Self {
        self.gateway_listeners = enabled;
        self
    }

    pub fn with_pod(mut self, pod: Pod) -> Self {
        self.pods.push(pod);
        self
    }

    pub fn pod(&self, name: &str) -> Option<&Pod> {
        self.pods.iter().find(|pod| pod.name == name)
    }

    fn index(&self, name: &str) -> Option<u8> {
        let index = self.pods.iter().position(|pod| pod.name == name)?;
        u8::try_from(index + 1).ok()
    }

    /// The pod's own IP: where its inbound listener listens.
    pub fn pod_ip(&self, name: &str) -> Option<Ipv4Addr> {
        Some(Ipv4Addr::new(127, self.block, self.index(name)?, 1))
    }

    /// The address the pod's calls to the `service_index`-th Service go to.
    pub fn outbound_ip(&self, name: &str, service_index: usize) -> Option<Ipv4Addr> {
        let host = u8::try_from(service_index)
            .ok()
            .and_then(|index| index.checked_add(FIRST_OUTBOUND_HOST))?;
        Some(Ipv4Addr::new(127, self.block, self.index(name)?, host))
    }

    /// The address the pod's calls to the `gateway_index`-th of [`GATEWAY_SERVICES`] go to.
    pub fn gateway_ip(&self, name: &str, gateway_index: usize) -> Option<Ipv4Addr> {
        let host = u8::try_from(gateway_index)
            .ok()
            .and_then(|index| index.checked_add(FIRST_GATEWAY_HOST))?;
        Some(Ipv4Addr::new(127, self.block, self.index(name)?, host))
    }

    /// The pod (if any) whose inbound listener is `address`'s IP.
    pub fn pod_at(&self, address: IpAddr) -> Option<&Pod> {
        self.pods
            .iter()
            .find(|pod| self.pod_ip(&pod.name).map(IpAddr::V4) == Some(address))
    }

    /// The ingress gateway's pod (Istio's), whose identity the ingress listeners use unless a
    /// Gateway API Gateway's own pod routes the request.
    pub fn gateway(&self) -> Option<&Pod> {
        self.pods.iter().find(|pod| {
            pod.role == PodRole::Gateway && !pod.labels.contains_key(GATEWAY_NAME_LABEL)
        })
    }

    /// The pod of the Gateway API Gateway `name` (`<name>-istio`), if the mesh has one.
    pub fn gateway_api_pod(&self, name: &str) -> Option<&Pod> {
        self.gateway_api_pods()
            .find(|pod| pod.labels.get(GATEWAY_NAME_LABEL).map(String::as_str) == Some(name))
    }

    /// The pods of Gateway API Gateways: they call with their own identities.
    pub fn gateway_api_pods(&self) -> impl Iterator<Item = &Pod> {
        self.pods.iter().filter(|pod| {
            pod.role == PodRole::Gateway && pod.labels.contains_key(GATEWAY_NAME_LABEL)
        })
    }

    /// The pods that have a sidecar of their own (every one but the gateways and waypoints).
    pub fn with_sidecar(&self) -> impl Iterator<Item = &Pod> {
        self.pods
            .iter()
            .filter(|pod| !matches!(pod.role, PodRole::Gateway | PodRole::Waypoint))
    }

    /// The waypoint pods (see [`PodRole::Waypoint`]).
    pub fn waypoints(&self) -> impl Iterator<Item = &Pod> {
        self.pods.iter().filter(|pod| pod.role == PodRole::Waypoint)
    }

    pub fn ca_certificate(&self) -> PathBuf {
        self.pki_dir.join("ca.crt")
    }

    pub fn certificate(&self, pod: &Pod) -> PathBuf {
        self.pki_dir.join(format!("{}.crt", pod.name))
    }

    pub fn private_key(&self, pod: &Pod) -> PathBuf {
        self.pki_dir.join(format!("{}.key", pod.name))
    }
}

// === impl Pod ===

impl Pod {
    /// A Bookinfo Deployment's pod (`details-v1`, service account `bookinfo-details`).
    pub fn bookinfo(app: &str, version: &str, listens: SocketAddr) -> Self {
        Self {
            name: format!("{app}-{version}"),
            namespace: NAMESPACE.to_owned(),
            service_account: format!("bookinfo-{app}"),
            labels: BTreeMap::from([
                ("app".to_owned(), app.to_owned()),
                ("version".to_owned(), version.to_owned()),
            ]),
            role: PodRole::App { listens },
        }
    }

    /// samples/curl's pod: `app: curl`, service account `curl`, no server.
    pub fn curl() -> Self {
        Self {
            name: "curl".to_owned(),
            namespace: NAMESPACE.to_owned(),
            service_account: "curl".to_owned(),
            labels: BTreeMap::from([("app".to_owned(), "curl".to_owned())]),
            role: PodRole::Client,
        }
    }

    /// The ingress gateway, labelled as Istio's default install labels it.
    pub fn ingress_gateway() -> Self {
        Self {
            name: INGRESS_GATEWAY_POD.to_owned(),
            namespace: INGRESS_GATEWAY_NAMESPACE.to_owned(),
            service_account: INGRESS_GATEWAY_SERVICE_ACCOUNT.to_owned(),
            labels: BTreeMap::from([
                ("app".to_owned(), "istio-ingressgateway".to_owned()),
                ("istio".to_owned(), "ingressgateway".to_owned()),
            ]),
            role: PodRole::Gateway,
        }
    }

    /// The pod istiod deploys for the Gateway API's `bookinfo-gateway` (gateway-api/
    /// bookinfo-gateway.yaml): `bookinfo-gateway-istio` in `default`, its own service account.
    pub fn gateway_api_gateway() -> Self {
        Self {
            name: GATEWAY_API_POD.to_owned(),
            namespace: NAMESPACE.to_owned(),
            service_account: GATEWAY_API_POD.to_owned(),
            labels: BTreeMap::from([(
                GATEWAY_NAME_LABEL.to_owned(),
                "bookinfo-gateway".to_owned(),
            )]),
            role: PodRole::Gateway,
        }
    }

    /// The pod of the waypoint `istioctl waypoint apply --enroll-namespace` deploys in
    /// `default`: named as its Gateway, with a service account of the same name, which is the
    /// identity it calls with (`cluster.local/ns/default/sa/waypoint`).
    pub fn waypoint() -> Self {
        let name = crate::waypoint::DEFAULT_WAYPOINT_NAME;
        Self {
            name: name.to_owned(),
            namespace: NAMESPACE.to_owned(),
            service_account: name.to_owned(),
            labels: BTreeMap::from([(GATEWAY_NAME_LABEL.to_owned(), name.to_owned())]),
            role: PodRole::Waypoint,
        }
    }

    /// `cluster.local/ns/default/sa/bookinfo-productpage`: the principal of
    /// AuthorizationPolicy.
    pub fn principal(&self) -> String {
        format!(
            "{TRUST_DOMAIN}/ns/{}/sa/{}",
            self.namespace, self.service_account
        )
    }

    /// `spiffe://cluster.local/ns/default/sa/bookinfo-productpage`: the certificate's URI SAN.
    pub fn spiffe_id(&self) -> String {
        format!("spiffe://{}", self.principal())
    }
}

/// A `127.B.0.0/16` held by this process: while it lives, no other mesh (in this process or
/// another) takes `B`, because each holds a listener on `127.B.0.1` of [`RESERVATION_PORT`].
#[derive(Debug)]
pub struct LoopbackBlock {
    block: u8,
    _held: TcpListener,
}

/// The port whose listener on `127.B.0.1` marks block `B` as taken (no pod uses `.0.1`).
pub const RESERVATION_PORT: u16 = 15999;

impl LoopbackBlock {
    /// The first free block, starting at one that depends on the process id so that parallel
    /// processes rarely probe the same blocks. 127.0/16 (the usual 127.0.0.1) is never taken.
    pub fn reserve() -> io::Result<Self> {
        const FIRST: u16 = 16;
        const COUNT: u16 = 255 - FIRST;
        let start = u16::try_from(std::process::id() % u32::from(COUNT)).unwrap_or(0);
        for offset in 0..COUNT {
            let block = u8::try_from(FIRST + (start + offset) % COUNT).unwrap_or(u8::MAX);
            let address = SocketAddr::from((Ipv4Addr::new(127, block, 0, 1), RESERVATION_PORT));
            if let Ok(held) = TcpListener::bind(address) {
                return Ok(Self { block, _held: held });
            }
        }
        Err(io::Error::new(
            io::ErrorKind::AddrInUse,
            "every 127.B.0.0/16 block of loopback is taken by another mesh",
        ))
    }

    pub fn number(&self) -> u8 {
        self.block
    }

    /// Whether this process may listen on `port` in the block (a port below 1024 needs root,
    /// or a lowered `net.ipv4.ip_unprivileged_port_start`); Envoy runs as this process does.
    pub fn can_bind_port(&self, port: u16) -> bool {
        TcpListener::bind((Ipv4Addr::new(127, self.block, 0, 2), port)).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pods_get_addresses_in_their_own_slash_24_of_the_block() {
        let sidecars = Sidecars::new(42)
            .with_pod(Pod::ingress_gateway())
            .with_pod(Pod::curl());
        assert_eq!(sidecars.pod_ip("curl"), Some(Ipv4Addr::new(127, 42, 2, 1)));
        assert_eq!(
            sidecars.outbound_ip("curl", 3),
            Some(Ipv4Addr::new(127, 42, 2, 13))
        );
        assert_eq!(sidecars.pod_ip("nobody"), None);
        assert_eq!(
            Pod::curl().spiffe_id(),
            "spiffe://cluster.local/ns/default/sa/curl"
        );
    }

    #[test]
    fn two_reservations_never_share_a_block() {
        let first = LoopbackBlock::reserve().unwrap();
        let second = LoopbackBlock::reserve().unwrap();
        assert_ne!(first.number(), second.number());
    }
}
