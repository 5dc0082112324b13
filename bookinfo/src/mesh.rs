//! Bookinfo behind a real Envoy: the six services on loopback, every call between them and
//! every call from outside going through the `mesh` crate's Envoy, which takes Istio YAML.

use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;

use ::mesh::identity::GATEWAY_SERVICE_PORT;
use ::mesh::{
    Egress, EgressListener, LoopbackBlock, Mesh, MeshError, OutboundTrafficPolicy, OutsideAddress,
    Pod, Sidecars, Topology,
};
use details::config::{BookSource, MeshEgress};

use reviews::ReviewsVersion;

use crate::{Calls, Launch, Listeners, Workload};

/// Where the mesh runs: `bookinfo mesh`'s flags.
#[derive(Debug, Clone, PartialEq, Eq, clap::Args)]
pub struct MeshOptions {
    /// Envoy's ingress gateway port on 127.0.0.1 (0 picks a free one, as tests do)
    #[arg(long, value_name = "PORT", allow_negative_numbers = true, default_value_t = DEFAULT_INGRESS_PORT)]
    pub ingress_port: u16,
    /// Envoy's HTTPS ingress port on 127.0.0.1, standing for the gateway's 443 (0 picks a free
    /// one)
    #[arg(long, value_name = "PORT", allow_negative_numbers = true, default_value_t = DEFAULT_INGRESS_HTTPS_PORT)]
    pub ingress_https_port: u16,
    /// Envoy's admin port on 127.0.0.1 (0 picks a free one, as tests do)
    #[arg(long, value_name = "PORT", allow_negative_numbers = true, default_value_t = DEFAULT_ADMIN_PORT)]
    pub admin_port: u16,
    /// Envoy's work dir: its configuration, logs, and the state `bookinfo mesh apply` reads
    /// from another shell
    #[arg(long, value_name = "DIR", default_value = DEFAULT_MESH_DIR)]
    pub dir: PathBuf,
    /// Calls to hosts no ServiceEntry names: ALLOW_ANY lets them out, REGISTRY_ONLY answers
    /// 502 (Istio's meshConfig.outboundTrafficPolicy.mode)
    #[arg(long, value_name = "MODE", value_parser = parse_policy, default_value = "ALLOW_ANY")]
    pub outbound_traffic_policy: OutboundTrafficPolicy,
    /// The CA (PEM) that signs the certificates of external hosts the mesh originates TLS to
    /// (DestinationRule tls.mode SIMPLE); the system's CAs if not given
    #[arg(long, value_name = "FILE")]
    pub egress_ca: Option<PathBuf>,
    /// Where a connection to HOST1:PORT1 outside the mesh goes instead, as curl's --connect-to
    /// (HOST2 an IP address); repeatable
    #[arg(long, value_name = "HOST1:PORT1:HOST2:PORT2", value_parser = parse_connect_to)]
    pub connect_to: Vec<OutsideAddress>,
    /// Where details finds its book: read from upstream's ENABLE_EXTERNAL_BOOK_SERVICE and
    /// DO_NOT_ENCRYPT in the environment; details v2 connects to Google Books at its pod's
    /// egress listener for www.googleapis.com:443 (TLS of its own) or :80 (DO_NOT_ENCRYPT=true).
    #[arg(skip = BookSource::Builtin)]
    pub book_source: BookSource,
}

fn parse_policy(text: &str) -> Result<OutboundTrafficPolicy, String> {
    OutboundTrafficPolicy::parse(text).ok_or_else(|| "ALLOW_ANY or REGISTRY_ONLY".to_owned())
}

fn parse_connect_to(text: &str) -> Result<OutsideAddress, String> {
    let mut parts = text.splitn(3, ':');
    let (Some(host), Some(port), Some(address)) = (parts.next(), parts.next(), parts.next()) else {
        return Err("HOST1:PORT1:HOST2:PORT2".to_owned());
    };
    let port = port
        .parse()
        .map_err(|_| format!("{port:?} is not a port"))?;
    let address = address
        .parse()
        .map_err(|_| format!("{address:?} is not an IP address and port"))?;
    if host.is_empty() {
        return Err("HOST1 is empty".to_owned());
    }
    Ok(OutsideAddress {
        host: host.to_owned(),
        port,
        address,
    })
}

/// Where `bookinfo mesh` keeps Envoy's files unless told otherwise.
pub const DEFAULT_MESH_DIR: &str = "target/mesh";
/// The ingress gateway's port unless told otherwise: the port istio.io's walkthroughs use for
/// a port-forwarded gateway.
pub const DEFAULT_INGRESS_PORT: u16 = 8080;
/// The HTTPS ingress port unless told otherwise: the ingress gateway pod's own HTTPS port.
pub const DEFAULT_INGRESS_HTTPS_PORT: u16 = 8443;
/// Envoy's admin port unless told otherwise, as in an Istio sidecar.
pub const DEFAULT_ADMIN_PORT: u16 = 15000;

impl Default for MeshOptions {
    fn default() -> Self {
        Self {
            ingress_port: DEFAULT_INGRESS_PORT,
            ingress_https_port: DEFAULT_INGRESS_HTTPS_PORT,
            admin_port: DEFAULT_ADMIN_PORT,
            dir: PathBuf::from(DEFAULT_MESH_DIR),
            outbound_traffic_policy: OutboundTrafficPolicy::AllowAny,
            egress_ca: None,
            connect_to: Vec::new(),
            book_source: BookSource::Builtin,
        }
    }
}

/// The services Envoy knows, with the workloads that serve them.
pub const MESH_SERVICES: [&str; 4] = ["details", "ratings", "reviews", "productpage"];

/// A running Bookinfo inside a running mesh. Dropping it stops Envoy.
pub struct LocalMesh {
    /// Envoy's ingress gateway: where people and tests go.
    pub ingress: SocketAddr,
    services: Launch,
    mesh: Mesh,
    /// The mesh's 127.B.0.0/16, held as long as its pods' addresses are in use.
    _block: LoopbackBlock,
}

impl LocalMesh {
    /// Binds the six services, starts Envoy in front of them (in a fresh Istio install's state:
    /// the ingress answers 404 until a Gateway is applied), then runs each service with its
    /// calls going to Envoy's outbound listeners. Starting Envoy blocks this thread until Envoy
    /// is ready (bounded by [`mesh::START_WITHIN`](::mesh::START_WITHIN)).
    pub async fn start(options: &MeshOptions) -> io::Result<Self> {
        let listeners = Listeners::bind(0)?;
        let block = LoopbackBlock::reserve()?;
        // In MESH_SERVICES order, so the Services are made in that order.
        let mut apps = vec![
            (
                "details",
                crate::details_version(&options.book_source),
                listeners.details.local_addr()?,
            ),
            ("ratings", "v1", listeners.ratings.local_addr()?),
        ];
        for (address, version) in listeners
            .reviews_addresses()?
            .into_iter()
            .zip(ReviewsVersion::ALL)
        {
            apps.push(("reviews", version.as_str(), address));
        }
        apps.push(("productpage", "v1", listeners.productpage.local_addr()?));
        let mut sidecars = Sidecars::new(block.number()).with_pod(Pod::ingress_gateway());
        for (app, version, listens) in &apps {
            sidecars = sidecars.with_pod(Pod::bookinfo(app, version, *listens));
        }
        // The gateways' port 80 needs root, as `mesh exec` does.
        sidecars = sidecars
            .with_pod(Pod::curl())
            .with_pod(Pod::gateway_api_gateway())
            // Idle (no listeners) until `bookinfo mesh waypoint apply` puts its Gateway in force.
            .with_pod(Pod::waypoint())
            .with_gateway_listeners(block.can_bind_port(GATEWAY_SERVICE_PORT));
        let called = external_call(&options.book_source);
        let egress_ca = options
            .egress_ca
            .as_ref()
            .map(|path| {
                std::fs::read_to_string(path).map_err(|error| {
                    io::Error::new(error.kind(), format!("{}: {error}", path.display()))
                })
            })
            .transpose()?;
        let egress = Egress {
            policy: options.outbound_traffic_policy,
            ca_certificate: egress_ca.clone(),
            listeners: called
                .iter()
                .map(|(host, port, tls)| EgressListener {
                    host: host.clone(),
                    port: *port,
                    // details' own pod: the call goes through its sidecar.
                    pod: Some(format!(
                        "details-{}",
                        crate::details_version(&options.book_source)
                    )),
                    tls: *tls,
                    outbound_port: 0,
                })
                .collect(),
            outside: options.connect_to.clone(),
        };
        // The Services, in MESH_SERVICES order: details, ratings, reviews, productpage.
        let topology = Topology::new()
            .with_pods(sidecars)
            .with_ingress_port(options.ingress_port)
            .with_ingress_https_port(options.ingress_https_port)
            .with_admin_port(options.admin_port)
            .with_egress(egress);
        let envoy = ::mesh::find_envoy().map_err(to_io)?;
        let mesh = Mesh::start(&topology, &options.dir, &envoy).map_err(to_io)?;

        // Each app calls through its own pod's sidecar, with its own identity.
        let outbound = |pod: &str, service: &str| {
            mesh.control().outbound_of(pod, service).ok_or_else(|| {
                io::Error::other(format!("{pod} has no outbound listener for {service}"))
            })
        };
        // details v2 connects to the external host at its egress listener, where a sidecar
        // would capture the connection; the URL (Host, SNI, certificate name) stays the host's.
        let book_source = match (&options.book_source, &called) {
            (
                BookSource::GoogleBooks {
                    base_url, timeout, ..
                },
                Some((host, port, _)),
            ) => {
                let listener = mesh.egress(host, *port).ok_or_else(|| {
                    io::Error::other(format!("the mesh has no egress listener for {host}:{port}"))
                })?;
                let egress =
                    MeshEgress::new(listener, egress_ca.as_deref()).map_err(|problem| {
                        io::Error::new(
                            io::ErrorKind::InvalidInput,
                            format!("--egress-ca: {problem}"),
                        )
                    })?;
                BookSource::GoogleBooks {
                    base_url: base_url.clone(),
                    timeout: *timeout,
                    egress: Some(egress),
                }
            }
            (source, _) => source.clone(),
        };
        let ratings_from =
            |version: ReviewsVersion| outbound(&format!("reviews-{version}"), "ratings");
        let calls = Calls {
            details: outbound("productpage-v1", "details")?,
            reviews: outbound("productpage-v1", "reviews")?,
            ratings: outbound("productpage-v1", "ratings")?,
            ratings_from_reviews: [
                ratings_from(ReviewsVersion::V1)?,
                ratings_from(ReviewsVersion::V2)?,
                ratings_from(ReviewsVersion::V3)?,
            ],
            book_source,
        };
        // Envoy keeps connections to the services itself; productpage's fresh connection per call
        // only costs a loopback handshake to Envoy.
        let services = crate::start_services(listeners, &calls, false)?;
        Ok(Self {
            ingress: mesh.ports().ingress,
            services,
            mesh,
            _block: block,
        })
    }

    /// The mesh: apply and delete Istio YAML, read Envoy's stats.
    pub fn mesh(&self) -> &Mesh {
        &self.mesh
    }

    /// `http://127.0.0.1:<ingress port>`.
    pub fn ingress_url(&self) -> String {
        self.mesh.ingress_url()
    }

    /// Every running service, productpage last.
    pub fn workloads(&self) -> &[Workload] {
        &self.services.workloads
    }

    /// The address of the workload called `name` (`details-v1`, `reviews-v3`, …).
    pub fn address_of(&self, name: &str) -> Option<SocketAddr> {
        self.services.address_of(name).ok()
    }

    /// Stops one workload gracefully; Envoy then fails to connect to it, like a deleted pod.
    pub async fn stop(&self, name: &str) -> io::Result<()> {
        self.services.stop(name).await
    }

    /// Stops every workload gracefully.
    pub async fn stop_all(&self) {
        self.services.stop_all().await;
    }

    /// Runs until `stop` completes (then every server is stopped as SIGTERM stops a service), or
    /// until a server ends by itself; then stops Envoy.
    pub async fn run_until(self, stop: impl Future<Output = ()>) -> io::Result<()> {
        let Self {
            services,
            mesh,
            _block,
            ..
        } = self;
        let result = services.run_until(stop).await;
        drop(mesh);
        drop(_block);
        result
    }
}

/// The external `host`, `port` and whether details speaks TLS there: plain HTTP with
/// `DO_NOT_ENCRYPT=true` (the mesh may originate TLS), HTTPS otherwise (the mesh passes it
/// through by SNI).
fn external_call(book_source: &BookSource) -> Option<(String, u16, bool)> {
    let BookSource::GoogleBooks { base_url, .. } = book_source else {
        return None;
    };
    let uri: actix_web::http::Uri = base_url.parse().ok()?;
    let tls = uri.scheme_str() == Some("https");
    let port = uri.port_u16().unwrap_or(if tls { 443 } else { 80 });
    Some((uri.host()?.to_owned(), port, tls))
}

fn to_io(error: MeshError) -> io::Error {
    io::Error::other(error.to_string())
}

/// What `bookinfo mesh` prints once everything is up: where to go and what to do next.
pub fn summary(local: &LocalMesh, options: &MeshOptions) -> String {
    let mut text = format!(
        "Bookinfo is running behind Envoy.\n  ingress   {}/productpage  (404 until a Gateway is applied)\n  https     https://127.0.0.1:{}  (the gateway's 443: HTTPS servers)\n  admin     http://{}\n  work dir  {}\n",
        local.ingress_url(),
        local.mesh.ports().ingress_https.port(),
        local.mesh.ports().admin,
        local.mesh.control().work_dir().display(),
    );
    let policy = match options.outbound_traffic_policy {
        OutboundTrafficPolicy::AllowAny => "ALLOW_ANY",
        OutboundTrafficPolicy::RegistryOnly => "REGISTRY_ONLY",
    };
    text.push_str(&format!("  outbound  {policy}\n"));
    for (host, address) in &local.mesh.ports().egress {
        text.push_str(&format!("  egress    {host} via {address}\n"));
    }
    for workload in local.workloads() {
        text.push_str(&format!(
            "  {:<15} http://{}\n",
            workload.name(),
            workload.address
        ));
    }
    let dir = if options.dir.as_path() == std::path::Path::new(DEFAULT_MESH_DIR) {
        String::new()
    } else {
        format!(" --dir {}", options.dir.display())
    };
    text.push_str(&format!(
        "Apply Istio or Gateway API YAML from another shell:\n  bookinfo mesh apply{dir} -f gateway-api/bookinfo-gateway.yaml   (or networking/bookinfo-gateway.yaml)\n  bookinfo mesh delete{dir} -f FILE\n  bookinfo mesh get{dir} KIND [NAME] [-o yaml]\n  bookinfo mesh stats{dir} [SERVICE]\n  sudo bookinfo mesh exec{dir} curl -- curl -s http://productpage:9080/productpage   (as a pod: curl, productpage-v1, ...)\n  bookinfo mesh label{dir} namespace default istio.io/dataplane-mode=ambient   (ambient; then: bookinfo mesh waypoint apply{dir} --enroll-namespace)\nPress Ctrl-C to stop."
    ));
    text
}

/// `bookinfo mesh stats`: requests each version of each service (or of `service`) received.
pub fn stats_report(
    control: &::mesh::MeshControl,
    service: Option<&str>,
) -> Result<String, String> {
    let services: Vec<&str> = match service {
        Some(service) => vec![service],
        None => MESH_SERVICES.to_vec(),
    };
    let mut text = String::new();
    for service in services {
        let counts = control
            .requests_by_version(service)
            .map_err(|error| error.to_string())?;
        if counts.is_empty() {
            return Err(format!(
                "the mesh has no service named {service:?} (it has {})",
                MESH_SERVICES.join(", ")
            ));
        }
        for (version, count) in counts {
            text.push_str(&format!("{service:<12} {version:<4} {count}\n"));
        }
    }
    Ok(text)
}
