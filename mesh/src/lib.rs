//! A local Istio mesh on real Envoy. Istio's Gateway, VirtualService, DestinationRule and
//! ServiceEntry YAML, and the Gateway API's Gateway and HTTPRoute with core Services, are
//! translated, the way istiod translates them (through one routing model), into Envoy
//! configuration delivered through Envoy's file-based dynamic resources; one Envoy process is
//! the ingress gateway and the sidecar layer for every service, so the istio.io
//! traffic-management walkthroughs run on one machine. Envoy does all routing, faults, timeouts
//! and retries; this crate only translates.
//!
//! ```no_run
//! # fn main() -> Result<(), mesh::MeshError> {
//! use mesh::{Mesh, Topology, Workload};
//! let topology = Topology::new().with_service(
//!     "reviews",
//!     vec![Workload::new("reviews", "v1", "127.0.0.1:9081".parse().unwrap())],
//! );
//! let mesh = Mesh::start(&topology, "target/mesh".as_ref(), &mesh::find_envoy()?)?;
//! println!("reviews via the mesh: {:?}", mesh.outbound("reviews"));
//! let applied = mesh.apply(&std::fs::read_to_string("networking/virtual-service-all-v1.yaml").unwrap())?;
//! print!("{applied}");
//! # Ok(()) }
//! ```
//!
//! # Layout
//! - [`topology`]: services, workloads and the ports Envoy listens on.
//! - [`identity`]: pods with service accounts and SPIFFE ids, their loopback addresses.
//! - `ca`: the mesh CA and each pod's certificate.
//! - [`hosts_files`]: each pod's `/etc/hosts` for `mesh exec`.
//! - [`istio`]: parsing and validating the YAML; the resource set in force.
//! - [`translate`](mod@translate): the pure translation to Envoy listeners, routes and clusters, and of
//!   AuthorizationPolicies to RBAC filters (`translate::rbac`).
//! - `xds`: the bootstrap and the atomic writes of the xDS files.
//! - `envoy`: [`Mesh`], the Envoy process (start, ready, stop).
//! - `control`: [`MeshControl`] (apply, delete, stats, ports).
//! - [`namespaces`]: the namespaces' labels (`kubectl label namespace`).
//! - `state`: `state.json` and the apply lock.
//! - `wait`: bounded polling, shared by every wait.
//! - `admin`: a small client for Envoy's admin interface.
//! - `locate`: [`find_envoy`].
//! - `manifest`: [`read_manifests`] for `-f FILE|DIR|-`.
//! - `get`, `status`: [`get`], kubectl's view of the resources in force, with the status
//!   Istio writes on Gateway API resources.
//! - [`egress`]: the outbound traffic policy and the external hosts workloads call.
//! - `clock`, `duration`, `error`.

mod admin;
mod ca;
mod clock;
mod control;
mod duration;
pub mod egress;
mod envoy;
mod error;
mod get;
pub mod hosts_files;
pub mod identity;
pub mod istio;
mod locate;
mod manifest;
pub mod namespaces;
mod state;
mod status;
pub mod tied;
pub mod topology;
pub mod translate;
mod wait;
pub mod waypoint;
mod xds;

pub use admin::{Admin, Reply};
pub use control::{APPLY_WITHIN, Annotated, Applied, MeshControl, Ports, Stat};
pub use duration::IstioDuration;
pub use egress::{Egress, EgressListener, OutboundTrafficPolicy, OutsideAddress};
pub use envoy::{Mesh, START_WITHIN};
pub use error::{MeshError, ParseError, TranslateError};
pub use get::{GetError, GetRequest, Namespaces, OutputFormat, get};
pub use identity::{LoopbackBlock, Pod, PodRole, Sidecars};
pub use istio::{Action, Change, ResourceKey, ResourceSet};
pub use locate::{ENV_ENVOY_BIN, TOOLS_VENV, find_envoy};
pub use manifest::read_manifests;
pub use topology::{Service, Topology, Workload};
pub use translate::{EnvoyConfig, Layout, ListenerPlan, translate};
