//! The namespaces of the local cluster (`default`, `istio-system`) and their labels, and the
//! labels of Services, changed as `kubectl label namespace|service NAME KEY=VALUE` / `KEY-`
//! changes them; `istio.io/dataplane-mode=ambient` (its pods leave their sidecars for the node
//! proxy) and `istio.io/use-waypoint` (see [`crate::waypoint`]) are the ones the mesh acts on.

use std::collections::BTreeMap;
use std::fmt;

use crate::identity::INGRESS_GATEWAY_NAMESPACE;
use crate::topology::NAMESPACE;

/// The namespaces that exist here, as on a cluster with Istio installed.
pub const NAMESPACES: [&str; 2] = [NAMESPACE, INGRESS_GATEWAY_NAMESPACE];

/// The label that puts a namespace's pods in the ambient mesh, and its value for that.
pub const DATAPLANE_MODE_LABEL: &str = "istio.io/dataplane-mode";
pub const AMBIENT: &str = "ambient";

/// Every namespace's labels beyond the ones Kubernetes sets itself.
pub type NamespaceLabels = BTreeMap<String, BTreeMap<String, String>>;

/// The labels given to Services (the mesh's own and applied ones), by [`service_key`].
pub type ServiceLabels = BTreeMap<String, BTreeMap<String, String>>;

/// A Service's key in [`ServiceLabels`]: `NAMESPACE/NAME`.
pub fn service_key(namespace: &str, name: &str) -> String {
    format!("{namespace}/{name}")
}

/// One argument of `kubectl label`: `KEY=VALUE` sets, `KEY-` removes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LabelEdit {
    Set { key: String, value: String },
    Remove { key: String },
}

/// What `kubectl label` prints: `namespace/default labeled` and its kin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Labeled {
    /// `namespace/default`, `service/reviews`.
    pub object: String,
    pub outcome: LabelOutcome,
    /// `label "KEY" not found.` for each removal of a label that is not there.
    pub notes: Vec<String>,
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LabelOutcome {
    Labeled,
    Unlabeled,
    NotLabeled,
}

/// A `kubectl label` that changes nothing, with kubectl's words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LabelError {
    #[error("namespaces \"{0}\" not found (namespaces here: default, istio-system)")]
    NoNamespace(String),
    #[error("services \"{0}\" not found")]
    NoService(String),
    #[error("invalid label spec: {0} (KEY=VALUE sets a label, KEY- removes it)")]
    Spec(String),
    #[error("'{key}' already has a value ({value}), and --overwrite is false")]
    Exists { key: String, value: String },
}

impl LabelEdit {
    /// `KEY=VALUE` or `KEY-`; keys and values as Kubernetes allows them (a DNS prefix and a
    /// name of letters, digits, `-`, `_`, `.`).
    pub fn parse(spec: &str) -> Result<Self, LabelError> {
        let invalid = || LabelError::Spec(spec.to_owned());
        let name_ok = |name: &str| {
            !name.is_empty()
                && name.len() <= 63
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
                && name.starts_with(|c: char| c.is_ascii_alphanumeric())
                && name.ends_with(|c: char| c.is_ascii_alphanumeric())
        };
        let key_ok = |key: &str| match key.split_once('/') {
            Some((prefix, name)) => {
                !prefix.is_empty()
                    && prefix.len() <= 253
                    && prefix.split('.').all(name_ok)
                    && name_ok(name)
            }
            None => name_ok(key),
        };
        if let Some((key, value)) = spec.split_once('=') {
            let value_ok = value.is_empty() || name_ok(value);
            if key_ok(key) && value_ok {
                return Ok(Self::Set {
                    key: key.to_owned(),
                    value: value.to_owned(),
                });
            }
        } else if let Some(key) = spec.strip_suffix('-')
            && key_ok(key)
        {
            return Ok(Self::Remove {
                key: key.to_owned(),
            });
        }
        Err(invalid())
    }
}

/// Applies `edits` to `namespace`'s labels as `kubectl label` does; nothing changes when an
/// edit is refused.
pub fn label(
    labels: &mut NamespaceLabels,
    namespace: &str,
    edits: &[LabelEdit],
    overwrite: bool,
) -> Result<Labeled, LabelError> {
    if !NAMESPACES.contains(&namespace) {
        return Err(LabelError::NoNamespace(namespace.to_owned()));
    }
    let object = format!("namespace/{namespace}");
    label_entry(labels, namespace, object, edits, overwrite)
}

/// Applies `edits` to the labels of Service `name` of `namespace` (which the caller knows
/// exists), as `kubectl label service` does.
pub fn label_service(
    labels: &mut ServiceLabels,
    namespace: &str,
    name: &str,
    edits: &[LabelEdit],
    overwrite: bool,
) -> Result<Labeled, LabelError> {
    let object = format!("service/{name}");
    label_entry(
        labels,
        &service_key(namespace, name),
        object,
        edits,
        overwrite,
    )
}

/// The labels under `key` of `labels`, edited; an entry left with none is removed.
fn label_entry(
    labels: &mut BTreeMap<String, BTreeMap<String, String>>,
    key: &str,
    object: String,
    edits: &[LabelEdit],
    overwrite: bool,
) -> Result<Labeled, LabelError> {
    let before = labels.get(key).cloned().unwrap_or_default();
    let mut next = before.clone();
    let notes = edit_map(&mut next, edits, overwrite, "label")?;
    let outcome = if next == before {
        LabelOutcome::NotLabeled
    } else if edits
        .iter()
        .any(|edit| matches!(edit, LabelEdit::Set { .. }))
    {
        LabelOutcome::Labeled
    } else {
        LabelOutcome::Unlabeled
    };
    if next.is_empty() {
        labels.remove(key);
    } else {
        labels.insert(key.to_owned(), next);
    }
    Ok(Labeled {
        object,
        outcome,
        notes,
        warnings: Vec::new(),
    })
}

/// Applies `edits` to `map` (a namespace's labels, a resource's annotations) as `kubectl label`
/// and `kubectl annotate` do: setting a key that has a value needs `overwrite`; removing a
/// missing key is a note (`WHAT "KEY" not found.`), not an error.
pub fn edit_map(
    map: &mut BTreeMap<String, String>,
    edits: &[LabelEdit],
    overwrite: bool,
    what: &str,
) -> Result<Vec<String>, LabelError> {
    let mut notes = Vec::new();
    for edit in edits {
        match edit {
            LabelEdit::Set { key, value } => {
                if let (Some(old), false) = (map.get(key), overwrite) {
                    return Err(LabelError::Exists {
                        key: key.clone(),
                        value: old.clone(),
                    });
                }
                map.insert(key.clone(), value.clone());
            }
            LabelEdit::Remove { key } => {
                if map.remove(key).is_none() {
                    notes.push(format!("{what} {key:?} not found."));
                }
            }
        }
    }
    Ok(notes)
}

/// `namespace`'s labels as the API server shows them: `kubernetes.io/metadata.name` (which
/// Kubernetes sets on every namespace) and the ones given.
pub fn labels_of(labels: &NamespaceLabels, namespace: &str) -> BTreeMap<String, String> {
    let mut all = labels.get(namespace).cloned().unwrap_or_default();
    all.insert(
        "kubernetes.io/metadata.name".to_owned(),
        namespace.to_owned(),
    );
    all
}

/// Whether `namespace`'s pods are in the ambient mesh.
pub fn is_ambient(labels: &NamespaceLabels, namespace: &str) -> bool {
    labels
        .get(namespace)
        .and_then(|labels| labels.get(DATAPLANE_MODE_LABEL))
        .is_some_and(|mode| mode == AMBIENT)
}

impl fmt::Display for Labeled {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for note in &self.notes {
            writeln!(f, "{note}")?;
        }
        let outcome = match self.outcome {
            LabelOutcome::Labeled => "labeled",
            LabelOutcome::Unlabeled => "unlabeled",
            LabelOutcome::NotLabeled => "not labeled",
        };
        writeln!(f, "{} {outcome}", self.object)?;
        for warning in &self.warnings {
            writeln!(f, "Warning: {warning}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn edits(specs: &[&str]) -> Vec<LabelEdit> {
        specs
            .iter()
            .map(|spec| LabelEdit::parse(spec).unwrap())
            .collect()
    }

    #[test]
    fn label_and_unlabel_the_dataplane_mode_as_kubectl_does() {
        let mut labels = NamespaceLabels::new();
        let done = label(
            &mut labels,
            "default",
            &edits(&["istio.io/dataplane-mode=ambient"]),
            false,
        )
        .unwrap();
        assert_eq!(done.to_string(), "namespace/default labeled\n");
        assert!(is_ambient(&labels, "default"));
        assert!(!is_ambient(&labels, "istio-system"));

        let again = label(
            &mut labels,
            "default",
            &edits(&["istio.io/dataplane-mode=none"]),
            false,
        );
        assert_eq!(
            again.unwrap_err().to_string(),
            "'istio.io/dataplane-mode' already has a value (ambient), and --overwrite is false"
        );
        assert!(
            is_ambient(&labels, "default"),
            "a refused edit changes nothing"
        );

        let done = label(
            &mut labels,
            "default",
            &edits(&["istio.io/dataplane-mode-"]),
            false,
        )
        .unwrap();
        assert_eq!(done.to_string(), "namespace/default unlabeled\n");
        assert!(labels.is_empty());

        let done = label(&mut labels, "default", &edits(&["other-"]), false).unwrap();
        assert_eq!(
            done.to_string(),
            "label \"other\" not found.\nnamespace/default not labeled\n"
        );
    }

    #[test]
    fn a_service_is_labelled_under_its_namespace_and_named_as_kubectl_names_it() {
        let mut labels = ServiceLabels::new();
        let done = label_service(
            &mut labels,
            "default",
            "reviews",
            &edits(&["istio.io/use-waypoint=waypoint"]),
            false,
        )
        .unwrap();
        assert_eq!(done.to_string(), "service/reviews labeled\n");
        assert_eq!(
            labels["default/reviews"]["istio.io/use-waypoint"],
            "waypoint"
        );
        let done = label_service(
            &mut labels,
            "default",
            "reviews",
            &edits(&["istio.io/use-waypoint-"]),
            false,
        )
        .unwrap();
        assert_eq!(done.to_string(), "service/reviews unlabeled\n");
        assert!(labels.is_empty());
    }

    #[test]
    fn unknown_namespaces_and_malformed_specs_are_refused() {
        let mut labels = NamespaceLabels::new();
        let error = label(&mut labels, "bookinfo", &edits(&["a=b"]), false).unwrap_err();
        assert!(
            error
                .to_string()
                .contains("namespaces \"bookinfo\" not found")
        );
        for spec in ["", "=x", "a=b=c", "a b=c", "-", "/a=b", "a/=b", "a=-x"] {
            assert!(LabelEdit::parse(spec).is_err(), "{spec:?}");
        }
        assert_eq!(
            LabelEdit::parse("istio.io/use-waypoint=").unwrap(),
            LabelEdit::Set {
                key: "istio.io/use-waypoint".into(),
                value: String::new()
            }
        );
    }
}
