//! `kubectl get` for the local mesh: the resources in force listed with kubectl's columns
//! (`get gateway` shows NAME CLASS ADDRESS PROGRAMMED AGE), or as YAML with the status Istio
//! writes (`-o yaml`), so each `kubectl get` step of the guides has a one-line equivalent.

use std::collections::BTreeMap;
use std::net::IpAddr;

use serde_json::{Value, json};

use crate::clock;
use crate::istio::{Kind, Resource, ResourceSet, Spec};
use crate::namespaces;
use crate::status;
use crate::topology::{NAMESPACE, Topology};
use crate::translate::model::RoutingModel;

/// How to print.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputFormat {
    /// kubectl's default columns.
    Table,
    /// `-o yaml`: the objects with their status.
    Yaml,
    /// `--show-labels`: kubectl's columns, then LABELS.
    TableWithLabels,
}

/// What `get` could not do, in kubectl's words.
#[derive(Debug, thiserror::Error)]
pub enum GetError {
    #[error("the server doesn't have a resource type \"{0}\"")]
    UnknownType(String),
    #[error("{resource} \"{name}\" not found")]
    NotFound { resource: String, name: String },
    #[error("a resource cannot be retrieved by name across all namespaces")]
    NameAcrossNamespaces,
}

/// Which namespaces to list: kubectl's `-n NAMESPACE` (`default` when not given) or `-A`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Namespaces {
    One(String),
    All,
}

impl Default for Namespaces {
    fn default() -> Self {
        Self::One(NAMESPACE.to_owned())
    }
}

impl From<&str> for Namespaces {
    fn from(namespace: &str) -> Self {
        Self::One(namespace.to_owned())
    }
}

impl Namespaces {
    fn holds(&self, namespace: &str) -> bool {
        match self {
            Self::One(one) => one == namespace,
            Self::All => true,
        }
    }
}

/// What to list, and where the mesh stands.
pub struct GetRequest<'a> {
    /// As typed: `gateway`, `gtw`, `httproutes`, `vs`, `service.v1`...
    pub kind: &'a str,
    pub name: Option<&'a str>,
    pub namespaces: Namespaces,
    pub format: OutputFormat,
    /// The ingress's address: a Gateway's ADDRESS.
    pub ingress: IpAddr,
    /// Seconds since the Unix epoch, for AGE.
    pub now: u64,
}

/// One listed object: its namespace and name, its age and what kubectl would show of it.
struct Object {
    namespace: String,
    name: String,
    created_at: Option<u64>,
    columns: Vec<String>,
    /// `KEY=VALUE,...` for `--show-labels` (`<none>`).
    labels: String,
    yaml: Value,
}

/// The text `kubectl get KIND [NAME] [-o yaml]` would print for the resources in force.
pub fn get(
    topology: &Topology,
    resources: &ResourceSet,
    request: &GetRequest<'_>,
) -> Result<String, GetError> {
    if matches!(
        request.kind.to_ascii_lowercase().as_str(),
        "namespace" | "namespaces" | "ns"
    ) {
        return get_namespaces(resources, request);
    }
    let kind = resolve_kind(request.kind, resources)
        .ok_or_else(|| GetError::UnknownType(request.kind.to_owned()))?;
    if request.name.is_some() && request.namespaces == Namespaces::All {
        return Err(GetError::NameAcrossNamespaces);
    }
    let model = RoutingModel::build(topology, resources);
    let mut objects: Vec<Object> = resources
        .in_creation_order()
        .into_iter()
        .filter(|resource| {
            resource.key.kind == kind && request.namespaces.holds(&resource.key.namespace)
        })
        .map(|resource| object(resource, resources, &model, request.ingress))
        .collect();
    if kind == Kind::Service && request.namespaces.holds(NAMESPACE) {
        objects.extend(mesh_services(topology, &objects));
    }
    if kind == Kind::Service {
        show_service_labels(&mut objects, resources);
    }
    objects.sort_by(|a, b| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)));
    if let Some(name) = request.name {
        objects.retain(|object| object.name == name);
        if objects.is_empty() {
            return Err(GetError::NotFound {
                resource: plural_resource(kind),
                name: name.to_owned(),
            });
        }
    }
    Ok(print(columns(kind), &objects, request))
}

/// `kubectl get namespace [NAME]`: the namespaces here (cluster-scoped: `-n` and `-A` change
/// nothing), with the labels `bookinfo mesh label` gave them.
fn get_namespaces(resources: &ResourceSet, request: &GetRequest<'_>) -> Result<String, GetError> {
    let objects: Vec<Object> = namespaces::NAMESPACES
        .iter()
        .filter(|name| request.name.is_none_or(|wanted| wanted == **name))
        .map(|name| {
            let labels = namespaces::labels_of(&resources.namespace_labels, name);
            Object {
                namespace: String::new(),
                name: (*name).to_owned(),
                created_at: None,
                columns: vec!["Active".to_owned()],
                labels: label_list(&labels),
                yaml: json!({
                    "apiVersion": "v1",
                    "kind": "Namespace",
                    "metadata": {"name": name, "labels": labels},
                    "spec": {"finalizers": ["kubernetes"]},
                    "status": {"phase": "Active"},
                }),
            }
        })
        .collect();
    if let (Some(name), true) = (request.name, objects.is_empty()) {
        return Err(GetError::NotFound {
            resource: "namespaces".to_owned(),
            name: name.to_owned(),
        });
    }
    let cluster_scoped = GetRequest {
        namespaces: Namespaces::One(String::new()),
        ..*request
    };
    Ok(print(&["STATUS"], &objects, &cluster_scoped))
}

/// `KEY=VALUE,...` as `--show-labels` prints them.
fn label_list(labels: &BTreeMap<String, String>) -> String {
    if labels.is_empty() {
        return "<none>".to_owned();
    }
    let pairs: Vec<String> = labels
        .iter()
        .map(|(key, value)| format!("{key}={value}"))
        .collect();
    pairs.join(",")
}

fn print(middle: &[&str], objects: &[Object], request: &GetRequest<'_>) -> String {
    match request.format {
        OutputFormat::Table | OutputFormat::TableWithLabels => table(
            middle,
            objects,
            &request.namespaces,
            request.now,
            request.format == OutputFormat::TableWithLabels,
        ),
        OutputFormat::Yaml => yaml(objects, request.name.is_some()),
    }
}

/// kubectl's names for a kind: singular, plural, short, and with the group. A bare
/// `gateway` means the Gateway API's, unless only Istio Gateways are in force (as on a
/// cluster with one of the two CRDs).
pub(crate) fn resolve_kind(typed: &str, resources: &ResourceSet) -> Option<Kind> {
    let typed = typed.to_ascii_lowercase();
    let (name, group) = typed.split_once('.').unwrap_or((&typed, ""));
    let singular = name.strip_suffix('s').unwrap_or(name);
    let kind = match (singular, group) {
        ("gateway", "") => {
            let only_istio = resources
                .in_creation_order()
                .iter()
                .all(|resource| resource.key.kind != Kind::KubernetesGateway)
                && resources
                    .in_creation_order()
                    .iter()
                    .any(|resource| resource.key.kind == Kind::Gateway);
            if only_istio {
                Kind::Gateway
            } else {
                Kind::KubernetesGateway
            }
        }
        ("gtw", "") | ("gateway", "gateway.networking.k8s.io") => Kind::KubernetesGateway,
        ("gw", "") | ("gateway", "networking.istio.io") => Kind::Gateway,
        ("httproute", "" | "gateway.networking.k8s.io") => Kind::HttpRoute,
        ("virtualservice", "" | "networking.istio.io") | ("v", "") => Kind::VirtualService,
        ("destinationrule", "" | "networking.istio.io") | ("dr", "") => Kind::DestinationRule,
        ("serviceentry" | "serviceentrie", "" | "networking.istio.io") | ("se", "") => {
            Kind::ServiceEntry
        }
        ("service", "" | "v1") | ("svc", "") => Kind::Service,
        ("secret", "" | "v1") => Kind::Secret,
        ("authorizationpolicy" | "authorizationpolicie", "" | "security.istio.io") | ("ap", "") => {
            Kind::AuthorizationPolicy
        }
        ("peerauthentication", "" | "security.istio.io") | ("pa", "") => Kind::PeerAuthentication,
        _ => return None,
    };
    Some(kind)
}

/// `httproutes.gateway.networking.k8s.io`, `services`: how kubectl names a kind in errors.
pub(crate) fn plural_resource(kind: Kind) -> String {
    let name = format!("{}s", kind.name().to_ascii_lowercase());
    match kind.group() {
        "" => name,
        group => format!("{name}.{group}"),
    }
}

fn object(
    resource: &Resource,
    resources: &ResourceSet,
    model: &RoutingModel,
    ingress: IpAddr,
) -> Object {
    let key = &resource.key;
    let created_at = resources.created_at(key);
    let since = created_at.unwrap_or_default();
    let (columns, status) = match &resource.spec {
        Spec::KubernetesGateway(spec) => {
            let address = status::gateway_address(resource, ingress);
            (
                vec![
                    spec.gateway_class_name.clone(),
                    address.1.clone(),
                    "True".to_owned(),
                ],
                Some(status::gateway(key, spec, model, address, since)),
            )
        }
        Spec::HttpRoute(spec) => (
            vec![if spec.hostnames.is_empty() {
                String::new()
            } else {
                json!(spec.hostnames).to_string()
            }],
            Some(status::http_route(model.route_status.get(key), since)),
        ),
        Spec::VirtualService(spec) => (
            vec![
                json!(spec.gateways).to_string(),
                json!(spec.hosts).to_string(),
            ],
            None,
        ),
        Spec::DestinationRule(spec) => (vec![spec.host.clone()], None),
        Spec::ServiceEntry(spec) => (
            vec![
                json!(spec.hosts).to_string(),
                spec.location
                    .map_or("", |location| location.as_str())
                    .to_owned(),
                spec.resolution
                    .map_or("", |resolution| resolution.as_str())
                    .to_owned(),
            ],
            None,
        ),
        Spec::Service(spec) => (
            service_columns(
                spec.service_type.as_deref().unwrap_or("ClusterIP"),
                "<none>",
                spec.ports.iter().map(|port| port.port),
            ),
            Some(json!({"loadBalancer": {}})),
        ),
        Spec::Secret(secret) => (
            vec![secret.secret_type.clone(), secret.len().to_string()],
            None,
        ),
        // The CRD's ACTION column prints `.spec.action` as written: empty when not set.
        Spec::AuthorizationPolicy(_) => (
            vec![
                resource.document["action"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
            ],
            None,
        ),
        Spec::PeerAuthentication(spec) => (
            vec![
                spec.mtls
                    .map(|mtls| mtls.mode.name().to_owned())
                    .unwrap_or_default(),
            ],
            None,
        ),
        Spec::Gateway(_) => (Vec::new(), None),
    };
    let mut metadata = serde_json::Map::new();
    if !resource.annotations.is_empty() {
        metadata.insert("annotations".into(), json!(resource.annotations));
    }
    if let Some(created_at) = created_at {
        metadata.insert(
            "creationTimestamp".into(),
            json!(clock::rfc3339(created_at)),
        );
    }
    metadata.insert("generation".into(), json!(1));
    metadata.insert("name".into(), json!(key.name));
    metadata.insert("namespace".into(), json!(key.namespace));
    let mut yaml = serde_json::Map::new();
    yaml.insert("apiVersion".into(), json!(key.kind.api_version()));
    yaml.insert("kind".into(), json!(key.kind.name()));
    yaml.insert("metadata".into(), Value::Object(metadata));
    // A Secret's data is never printed back, in YAML as in the table.
    if key.kind != Kind::Secret {
        yaml.insert("spec".into(), resource.document.clone());
    } else if let Spec::Secret(secret) = &resource.spec {
        yaml.insert("type".into(), json!(secret.secret_type));
    }
    if let Some(status) = status {
        yaml.insert("status".into(), status);
    }
    Object {
        namespace: key.namespace.clone(),
        name: key.name.clone(),
        created_at,
        columns,
        labels: "<none>".to_owned(),
        yaml: Value::Object(yaml),
    }
}

/// The labels `bookinfo mesh label service` gave each Service, in the table and the YAML.
fn show_service_labels(objects: &mut [Object], resources: &ResourceSet) {
    for object in objects {
        let key = namespaces::service_key(&object.namespace, &object.name);
        if let Some(labels) = resources.service_labels.get(&key) {
            object.labels = label_list(labels);
            object.yaml["metadata"]["labels"] = json!(labels);
        }
    }
}

/// The mesh's own Services (`productpage`, `reviews`, ...), there from the start: their
/// address is their outbound listener's.
fn mesh_services(topology: &Topology, applied: &[Object]) -> Vec<Object> {
    topology
        .services
        .iter()
        .filter(|service| {
            !applied
                .iter()
                .any(|object| object.namespace == NAMESPACE && object.name == service.name)
        })
        .map(|service| Object {
            namespace: NAMESPACE.to_owned(),
            name: service.name.clone(),
            created_at: None,
            columns: service_columns("ClusterIP", "127.0.0.1", [service.port]),
            labels: "<none>".to_owned(),
            yaml: json!({
                "apiVersion": "v1",
                "kind": "Service",
                "metadata": {"name": service.name, "namespace": NAMESPACE},
                "spec": {
                    "ports": [{"name": "http", "port": service.port, "targetPort": service.port}],
                    "selector": {"app": service.name},
                    "type": "ClusterIP",
                },
                "status": {"loadBalancer": {}},
            }),
        })
        .collect()
}

fn service_columns(
    service_type: &str,
    cluster_ip: &str,
    ports: impl IntoIterator<Item = u16>,
) -> Vec<String> {
    let ports: Vec<String> = ports
        .into_iter()
        .map(|port| format!("{port}/TCP"))
        .collect();
    vec![
        service_type.to_owned(),
        cluster_ip.to_owned(),
        "<none>".to_owned(),
        ports.join(","),
    ]
}

/// kubectl's columns between NAME and AGE for `kind`.
fn columns(kind: Kind) -> &'static [&'static str] {
    match kind {
        Kind::KubernetesGateway => &["CLASS", "ADDRESS", "PROGRAMMED"],
        Kind::HttpRoute => &["HOSTNAMES"],
        Kind::VirtualService => &["GATEWAYS", "HOSTS"],
        Kind::DestinationRule => &["HOST"],
        Kind::ServiceEntry => &["HOSTS", "LOCATION", "RESOLUTION"],
        Kind::Service => &["TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)"],
        Kind::Secret => &["TYPE", "DATA"],
        Kind::AuthorizationPolicy => &["ACTION"],
        Kind::PeerAuthentication => &["MODE"],
        Kind::Gateway => &[],
    }
}

/// kubectl's columns, each as wide as its widest cell, three spaces apart; with `-A`, the
/// NAMESPACE first.
fn table(
    middle: &[&str],
    objects: &[Object],
    namespaces: &Namespaces,
    now: u64,
    show_labels: bool,
) -> String {
    let all = *namespaces == Namespaces::All;
    match namespaces {
        Namespaces::One(namespace) if objects.is_empty() => {
            return format!("No resources found in {namespace} namespace.\n");
        }
        Namespaces::All if objects.is_empty() => return "No resources found\n".to_owned(),
        _ => {}
    }
    let header: Vec<String> = all
        .then_some("NAMESPACE")
        .into_iter()
        .chain(std::iter::once("NAME"))
        .chain(middle.iter().copied())
        .chain(std::iter::once("AGE"))
        .chain(show_labels.then_some("LABELS"))
        .map(str::to_owned)
        .collect();
    let rows: Vec<Vec<String>> = objects
        .iter()
        .map(|object| {
            let age = object.created_at.map_or_else(
                || "<unknown>".to_owned(),
                |created| clock::age(now.saturating_sub(created)),
            );
            all.then(|| object.namespace.clone())
                .into_iter()
                .chain(std::iter::once(object.name.clone()))
                .chain(object.columns.iter().cloned())
                .chain(std::iter::once(age))
                .chain(show_labels.then(|| object.labels.clone()))
                .collect()
        })
        .collect();
    let widths: Vec<usize> = (0..header.len())
        .map(|column| {
            std::iter::once(&header)
                .chain(&rows)
                .map(|row| row[column].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for row in std::iter::once(&header).chain(&rows) {
        let mut line = String::new();
        for (column, cell) in row.iter().enumerate() {
            if column + 1 == row.len() {
                line.push_str(cell);
            } else {
                line.push_str(&format!("{cell:<width$}   ", width = widths[column]));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// One object as YAML, or several as kubectl's `List`.
fn yaml(objects: &[Object], single: bool) -> String {
    let value = match objects {
        [only] if single => only.yaml.clone(),
        _ => json!({
            "apiVersion": "v1",
            "items": objects.iter().map(|object| object.yaml.clone()).collect::<Vec<_>>(),
            "kind": "List",
            "metadata": {"resourceVersion": ""},
        }),
    };
    serde_yaml_ng::to_string(&value).unwrap_or_default()
}
