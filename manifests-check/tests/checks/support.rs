//! What every check shares: where the repository, the tools and the CRDs are, the manifests
//! read into JSON values, and the two schema validators (kubernetes-validate for Kubernetes'
//! own kinds, the CRDs' `openAPIV3Schema` made strict for Istio and the Gateway API).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::{Value, json};

/// The directories holding manifests, relative to the repository root.
pub const MANIFEST_DIRS: [&str; 3] = ["platform/kube", "networking", "gateway-api"];

/// The Kubernetes release whose OpenAPI schema core objects are checked against (one that
/// kubernetes-validate bundles); `BOOKINFO_KUBERNETES_VERSION` picks another.
pub const KUBERNETES_VERSION: &str = "1.35.0";

/// The installer that provides the Python-packaged tools; named in every "tool missing" failure.
pub const TOOLS_SCRIPT: &str = "scripts/deps/python-tools.sh";

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the crate sits in the repository root")
        .to_path_buf()
}

pub fn read_repo_file(relative: &str) -> String {
    let path = repo_root().join(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("reading {relative}: {error}"))
}

/// One object from a manifest file.
#[derive(Clone, Debug)]
pub struct Manifest {
    /// The file, relative to the repository root.
    pub file: String,
    /// Its position among the file's documents, from 0.
    pub index: usize,
    pub value: Value,
}

impl Manifest {
    pub fn str_at(&self, pointer: &str) -> &str {
        self.value
            .pointer(pointer)
            .and_then(Value::as_str)
            .unwrap_or("")
    }

    pub fn kind(&self) -> &str {
        self.str_at("/kind")
    }

    pub fn api_version(&self) -> &str {
        self.str_at("/apiVersion")
    }

    /// The API group: empty for the core group (`apiVersion: v1`).
    pub fn group(&self) -> &str {
        self.api_version()
            .rsplit_once('/')
            .map_or("", |(group, _)| group)
    }

    pub fn version(&self) -> &str {
        self.api_version()
            .rsplit_once('/')
            .map_or(self.api_version(), |(_, version)| version)
    }

    pub fn name(&self) -> &str {
        self.str_at("/metadata/name")
    }

    pub fn namespace(&self) -> Option<&str> {
        self.value
            .pointer("/metadata/namespace")
            .and_then(Value::as_str)
    }

    pub fn spec(&self) -> &Value {
        self.value.pointer("/spec").unwrap_or(&Value::Null)
    }

    /// Where the object is, for failure messages: `networking/x.yaml#2 VirtualService/reviews`.
    pub fn id(&self) -> String {
        format!(
            "{}#{} {}/{}",
            self.file,
            self.index,
            self.kind(),
            self.name()
        )
    }

    pub fn is(&self, api_version: &str, kind: &str) -> bool {
        self.api_version() == api_version && self.kind() == kind
    }
}

/// Every `.yaml` file in the manifest directories, relative to the root, sorted.
pub fn yaml_files() -> Vec<String> {
    let mut files = Vec::new();
    for dir in MANIFEST_DIRS {
        let entries = std::fs::read_dir(repo_root().join(dir))
            .unwrap_or_else(|error| panic!("listing {dir}: {error}"));
        for entry in entries {
            let name = entry.unwrap().file_name().to_string_lossy().into_owned();
            if name.ends_with(".yaml") {
                files.push(format!("{dir}/{name}"));
            }
        }
    }
    files.sort();
    files
}

/// The documents of a YAML text, empty ones left out.
pub fn parse_documents(text: &str) -> Result<Vec<Value>, String> {
    let mut documents = Vec::new();
    for document in serde_norway::Deserializer::from_str(text) {
        let value: Value = serde::Deserialize::deserialize(document).map_err(|e| e.to_string())?;
        if !value.is_null() {
            documents.push(value);
        }
    }
    Ok(documents)
}

pub fn manifests_in(file: &str) -> Vec<Manifest> {
    let documents = parse_documents(&read_repo_file(file))
        .unwrap_or_else(|error| panic!("{file} is not valid YAML: {error}"));
    documents
        .into_iter()
        .enumerate()
        .map(|(index, value)| Manifest {
            file: file.to_string(),
            index,
            value,
        })
        .collect()
}

/// Every object in every manifest file, kustomization.yaml left out (it configures kustomize
/// and is never sent to a cluster; `kubectl kustomize` checks it).
pub fn all_manifests() -> &'static [Manifest] {
    static ALL: OnceLock<Vec<Manifest>> = OnceLock::new();
    ALL.get_or_init(|| {
        yaml_files()
            .iter()
            .filter(|file| !file.ends_with("/kustomization.yaml"))
            .flat_map(|file| manifests_in(file))
            .collect()
    })
}

pub fn manifests_of_kind<'a>(
    api_version: &'a str,
    kind: &'a str,
) -> impl Iterator<Item = &'static Manifest> + 'a {
    all_manifests()
        .iter()
        .filter(move |m| m.is(api_version, kind))
}

/// A command-line tool the checks run: `env_override` if set, else the project's tools venv,
/// else PATH. Missing, it fails the test and names the installer.
pub fn tool(name: &str, env_override: &str) -> PathBuf {
    if let Some(path) = std::env::var_os(env_override) {
        return PathBuf::from(path);
    }
    let venv = repo_root().join("target/tools/venv/bin").join(name);
    if venv.is_file() {
        return venv;
    }
    if let Some(paths) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&paths) {
            let candidate = dir.join(name);
            if candidate.is_file() {
                return candidate;
            }
        }
    }
    panic!(
        "`{name}` not found: run `bash {TOOLS_SCRIPT}` (installs it into target/tools/venv), \
         or set {env_override} to its path"
    );
}

pub fn run(program: &Path, args: &[&str], dir: &Path) -> Output {
    Command::new(program)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|error| panic!("running {}: {error}", program.display()))
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A fresh directory under Cargo's scratch space for integration tests.
pub fn scratch_dir(label: &str) -> PathBuf {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "manifests-check-{}-{label}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    if dir.exists() {
        std::fs::remove_dir_all(&dir).unwrap();
    }
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

// ---------------------------------------------------------------------------------------------
// Kubernetes' own kinds: kubernetes-validate --strict.

/// kubernetes-validate's verdict on one object.
#[derive(Debug, PartialEq, Eq)]
pub enum CoreVerdict {
    Passed,
    Failed(String),
    /// The tool has no schema for this kind (not a Kubernetes kind, or a misspelled one).
    NoSchema,
}

/// Validates each value with `kubernetes-validate --strict` against [`KUBERNETES_VERSION`],
/// in one run. Each value goes into a file of its own so that every line of the tool's output
/// maps back to exactly one value.
pub fn kubernetes_validate(values: &[Value]) -> Vec<CoreVerdict> {
    let validator = tool("kubernetes-validate", "KUBERNETES_VALIDATE");
    let version = std::env::var("BOOKINFO_KUBERNETES_VERSION")
        .unwrap_or_else(|_| KUBERNETES_VERSION.to_string());
    let dir = scratch_dir("kubernetes-validate");
    let files: Vec<String> = values
        .iter()
        .enumerate()
        .map(|(index, value)| {
            let name = format!("object-{index:04}.json");
            std::fs::write(
                dir.join(&name),
                serde_json::to_string_pretty(value).unwrap(),
            )
            .unwrap();
            name
        })
        .collect();
    let mut args = vec!["--strict", "--kubernetes-version", version.as_str()];
    args.extend(files.iter().map(String::as_str));
    let output = run(&validator, &args, &dir);
    let report = text(&output.stdout) + &text(&output.stderr);
    let verdicts: Vec<CoreVerdict> = files
        .iter()
        .map(|file| {
            let lines: Vec<&str> = report
                .lines()
                .filter(|line| line.split_whitespace().nth(1) == Some(file.as_str()))
                .collect();
            if lines.iter().any(|line| line.starts_with("ERROR")) {
                CoreVerdict::Failed(lines.join("\n"))
            } else if lines
                .iter()
                .any(|line| line.contains("Couldn't find schema"))
            {
                CoreVerdict::NoSchema
            } else if lines.iter().any(|line| line.contains(" passed ")) {
                CoreVerdict::Passed
            } else {
                CoreVerdict::Failed(format!("no verdict for this object in:\n{report}"))
            }
        })
        .collect();
    assert!(
        output.status.success() || verdicts.iter().any(|v| matches!(v, CoreVerdict::Failed(_))),
        "kubernetes-validate failed without naming an object:\n{report}"
    );
    verdicts
}

/// An object carrying `metadata` as a ConfigMap would, so that kubernetes-validate checks the
/// metadata of a custom resource against Kubernetes' ObjectMeta (a CRD's own schema leaves
/// metadata open).
pub fn metadata_probe(manifest: &Manifest) -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": manifest.value.get("metadata").cloned().unwrap_or(Value::Null),
    })
}

// ---------------------------------------------------------------------------------------------
// Istio and Gateway API kinds: the CRDs' schemas, made strict.

/// Where the CRD files are: `BOOKINFO_CRD_DIR`, else `../shared/schemas` beside the clone.
pub fn crd_dir() -> PathBuf {
    match std::env::var_os("BOOKINFO_CRD_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => repo_root().join("../shared/schemas"),
    }
}

/// The schemas of every CustomResourceDefinition found in [`crd_dir`], by
/// (group, version, kind), each compiled as a JSON Schema after [`make_strict`].
pub struct CrdSchemas {
    validators: HashMap<(String, String, String), jsonschema::Validator>,
}

impl CrdSchemas {
    pub fn get() -> &'static CrdSchemas {
        static SCHEMAS: OnceLock<CrdSchemas> = OnceLock::new();
        SCHEMAS.get_or_init(|| CrdSchemas::load(&crd_dir()))
    }

    pub fn load(dir: &Path) -> CrdSchemas {
        let entries = std::fs::read_dir(dir).unwrap_or_else(|error| {
            panic!(
                "no CRD directory at {} ({error}). Point BOOKINFO_CRD_DIR at a directory holding \
                 your Istio release's manifests/charts/base/files/crd-all.gen.yaml and the \
                 Gateway API standard-install.yaml or experimental-install.yaml",
                dir.display()
            )
        });
        let mut validators = HashMap::new();
        for entry in entries {
            let path = entry.unwrap().path();
            if !matches!(
                path.extension().and_then(|e| e.to_str()),
                Some("yaml" | "yml")
            ) {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            let documents = parse_documents(&text)
                .unwrap_or_else(|error| panic!("{}: {error}", path.display()));
            for crd in documents
                .iter()
                .filter(|d| d["kind"] == "CustomResourceDefinition")
            {
                let group = crd["spec"]["group"].as_str().unwrap_or_default();
                let kind = crd["spec"]["names"]["kind"].as_str().unwrap_or_default();
                for version in crd["spec"]["versions"].as_array().into_iter().flatten() {
                    let Some(schema) = version.pointer("/schema/openAPIV3Schema") else {
                        continue;
                    };
                    let mut schema = schema.clone();
                    // The API server takes these at the root of every object, whether or not
                    // the CRD's schema lists them (Istio's do not).
                    if let Some(Value::Object(root)) = schema.get_mut("properties") {
                        root.entry("apiVersion")
                            .or_insert(json!({"type": "string"}));
                        root.entry("kind").or_insert(json!({"type": "string"}));
                        root.entry("metadata").or_insert(json!({"type": "object"}));
                    }
                    make_strict(&mut schema);
                    let validator = jsonschema::draft4::new(&schema).unwrap_or_else(|error| {
                        panic!("{kind} {group}: the schema does not compile: {error}")
                    });
                    let name = version["name"].as_str().unwrap_or_default();
                    validators.insert((group.into(), name.into(), kind.into()), validator);
                }
            }
        }
        assert!(
            !validators.is_empty(),
            "no CustomResourceDefinition in {}: it should hold Istio's crd-all.gen.yaml and the \
             Gateway API install file (see BOOKINFO_CRD_DIR)",
            dir.display()
        );
        CrdSchemas { validators }
    }

    pub fn knows(&self, manifest: &Manifest) -> bool {
        self.validators.contains_key(&key(manifest))
    }

    /// The schema's complaints about the object; `None` when no CRD defines its kind.
    pub fn problems(&self, manifest: &Manifest) -> Option<Vec<String>> {
        let validator = self.validators.get(&key(manifest))?;
        Some(
            validator
                .iter_errors(&manifest.value)
                .map(|error| format!("at {}: {error}", error.instance_path()))
                .collect(),
        )
    }
}

fn key(manifest: &Manifest) -> (String, String, String) {
    (
        manifest.group().to_string(),
        manifest.version().to_string(),
        manifest.kind().to_string(),
    )
}

/// Makes a CRD schema reject fields it does not list, as the API server's strict field
/// validation (`kubectl apply --validate=strict`) does: every object schema with `properties`
/// gets `additionalProperties: false`, unless it keeps unknown fields on purpose
/// (`x-kubernetes-preserve-unknown-fields`). The walk follows `properties`, `items` and
/// `additionalProperties`; it leaves `allOf`/`anyOf`/`oneOf`/`not` alone, because Kubernetes'
/// structural-schema rule makes every field named there appear in the node's own `properties`
/// too, and a branch that lists only some of them must not reject the others.
pub fn make_strict(schema: &mut Value) {
    let Value::Object(node) = schema else {
        return;
    };
    let keeps_unknown =
        node.get("x-kubernetes-preserve-unknown-fields") == Some(&Value::Bool(true));
    if node.contains_key("properties")
        && !keeps_unknown
        && !node.contains_key("additionalProperties")
    {
        node.insert("additionalProperties".into(), Value::Bool(false));
    }
    if let Some(Value::Object(properties)) = node.get_mut("properties") {
        properties.values_mut().for_each(make_strict);
    }
    for child in ["items", "additionalProperties"] {
        if let Some(value) = node.get_mut(child) {
            make_strict(value);
        }
    }
}

/// Objects grouped by (kind, name), for checks across files.
pub fn by_kind_and_name(kind: &str) -> BTreeMap<String, Vec<&'static Manifest>> {
    let mut groups: BTreeMap<String, Vec<&'static Manifest>> = BTreeMap::new();
    for manifest in all_manifests().iter().filter(|m| m.kind() == kind) {
        groups
            .entry(manifest.name().to_string())
            .or_default()
            .push(manifest);
    }
    groups
}

/// The pod template of a Deployment.
pub fn pod_spec(deployment: &Manifest) -> &Value {
    deployment
        .value
        .pointer("/spec/template/spec")
        .unwrap_or(&Value::Null)
}

pub fn containers(deployment: &Manifest) -> Vec<&Value> {
    let spec = pod_spec(deployment);
    ["initContainers", "containers"]
        .iter()
        .filter_map(|field| spec.get(field).and_then(Value::as_array))
        .flatten()
        .collect()
}

/// The Bookinfo services, as opposed to the databases and the traffic generator some files add.
pub const SERVICES: [&str; 4] = ["details", "ratings", "reviews", "productpage"];

/// The databases ratings v2 can use (bookinfo-db.yaml, bookinfo-mysql.yaml).
pub const DATABASES: [&str; 2] = ["mongodb", "mysqldb"];

pub fn app_label(deployment: &Manifest) -> &str {
    deployment.str_at("/spec/template/metadata/labels/app")
}
