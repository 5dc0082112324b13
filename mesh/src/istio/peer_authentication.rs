//! `PeerAuthentication` (security.istio.io/v1): which connections a pod's inbound listener
//! accepts (mutual TLS only, plaintext too, plaintext only), resolved as istiod resolves it: the
//! workload's policy (oldest whose selector matches), else the namespace's (no selector), else
//! the mesh's (no selector, in the root namespace `istio-system`); UNSET inherits from the
//! next, PERMISSIVE when nothing says otherwise; `portLevelMtls` overrides per port.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::{Kind, ResourceSet, Spec};

/// The root namespace: a PeerAuthentication without selector here applies to the whole mesh.
pub const ROOT_NAMESPACE: &str = "istio-system";

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PeerAuthenticationSpec {
    pub selector: Option<WorkloadSelector>,
    pub mtls: Option<Mtls>,
    /// By the workload's port (the container port: 9080 for Bookinfo).
    #[serde(default)]
    pub port_level_mtls: BTreeMap<u32, Mtls>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct WorkloadSelector {
    #[serde(default)]
    pub match_labels: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Copy, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Mtls {
    #[serde(default)]
    pub mode: MtlsMode,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
pub enum MtlsMode {
    /// Inherit from the policy above (PERMISSIVE at the top).
    #[default]
    #[serde(rename = "UNSET")]
    Unset,
    /// Plaintext only.
    #[serde(rename = "DISABLE")]
    Disable,
    /// Mutual TLS and plaintext.
    #[serde(rename = "PERMISSIVE")]
    Permissive,
    /// Mutual TLS only: a plaintext connection is closed.
    #[serde(rename = "STRICT")]
    Strict,
}

impl MtlsMode {
    pub fn name(self) -> &'static str {
        match self {
            Self::Unset => "UNSET",
            Self::Disable => "DISABLE",
            Self::Permissive => "PERMISSIVE",
            Self::Strict => "STRICT",
        }
    }

    /// `self`, or `parent` when `self` is UNSET.
    fn or(self, parent: Self) -> Self {
        if self == Self::Unset { parent } else { self }
    }
}

/// The checks Istio's webhook makes: per-port modes only with a selector, real ports.
pub(super) fn check(spec: &PeerAuthenticationSpec) -> Result<(), (String, String)> {
    let selects = spec
        .selector
        .as_ref()
        .is_some_and(|selector| !selector.match_labels.is_empty());
    if !spec.port_level_mtls.is_empty() && !selects {
        return Err((
            "portLevelMtls".into(),
            "needs a selector: only a workload's policy can set ports".into(),
        ));
    }
    if let Some(port) = spec
        .port_level_mtls
        .keys()
        .find(|port| **port == 0 || **port > u32::from(u16::MAX))
    {
        return Err((
            format!("portLevelMtls[{port}]"),
            "is not a port (1-65535)".into(),
        ));
    }
    Ok(())
}

/// The mode a workload (`namespace`, `labels`) accepts connections with on `port`:
/// DISABLE, PERMISSIVE or STRICT, never UNSET.
pub fn effective_mode(
    resources: &ResourceSet,
    namespace: &str,
    labels: &BTreeMap<String, String>,
    port: u16,
) -> MtlsMode {
    let policies: Vec<(&str, &PeerAuthenticationSpec)> = resources
        .in_creation_order()
        .into_iter()
        .filter(|resource| resource.key.kind == Kind::PeerAuthentication)
        .filter_map(|resource| match &resource.spec {
            Spec::PeerAuthentication(spec) => Some((resource.key.namespace.as_str(), spec)),
            _ => None,
        })
        .collect();
    fn selector_of(spec: &PeerAuthenticationSpec) -> Option<&BTreeMap<String, String>> {
        spec.selector
            .as_ref()
            .map(|selector| &selector.match_labels)
            .filter(|labels| !labels.is_empty())
    }
    let mode_of = |spec: &PeerAuthenticationSpec| spec.mtls.unwrap_or_default().mode;
    let without_selector = |in_namespace: &str| {
        policies
            .iter()
            .find(|(at, spec)| *at == in_namespace && selector_of(spec).is_none())
            .map(|(_, spec)| mode_of(spec))
            .unwrap_or_default()
    };
    let mesh = without_selector(ROOT_NAMESPACE).or(MtlsMode::Permissive);
    let namespace_mode = without_selector(namespace).or(mesh);
    let workload = policies.iter().find(|(at, spec)| {
        *at == namespace
            && selector_of(spec).is_some_and(|selector| {
                selector
                    .iter()
                    .all(|(key, value)| labels.get(key) == Some(value))
            })
    });
    let Some((_, workload)) = workload else {
        return namespace_mode;
    };
    let workload_mode = mode_of(workload).or(namespace_mode);
    workload
        .port_level_mtls
        .get(&u32::from(port))
        .map_or(workload_mode, |mtls| mtls.mode.or(workload_mode))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::istio::parse;

    fn policy(namespace: &str, name: &str, spec: &str) -> String {
        format!(
            "apiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata:\n  name: {name}\n  namespace: {namespace}\nspec:\n{spec}---\n"
        )
    }

    fn mode_of(yaml: &str, app: &str, port: u16) -> MtlsMode {
        let mut set = ResourceSet::new();
        set.apply(parse(yaml).unwrap());
        let labels = BTreeMap::from([("app".to_owned(), app.to_owned())]);
        effective_mode(&set, "default", &labels, port)
    }

    #[test]
    fn the_most_specific_policy_that_sets_a_mode_wins() {
        assert_eq!(mode_of("", "details", 9080), MtlsMode::Permissive);
        let mesh_strict = policy("istio-system", "default", "  mtls: {mode: STRICT}\n");
        assert_eq!(mode_of(&mesh_strict, "details", 9080), MtlsMode::Strict);
        let namespace_unset = policy("default", "default", "  mtls: {mode: UNSET}\n");
        assert_eq!(
            mode_of(&format!("{mesh_strict}{namespace_unset}"), "details", 9080),
            MtlsMode::Strict
        );
        let workload = policy(
            "default",
            "details",
            "  selector: {matchLabels: {app: details}}\n  mtls: {mode: DISABLE}\n  portLevelMtls:\n    9080: {mode: PERMISSIVE}\n",
        );
        let all = format!("{mesh_strict}{workload}");
        assert_eq!(mode_of(&all, "details", 9080), MtlsMode::Permissive);
        assert_eq!(mode_of(&all, "details", 9443), MtlsMode::Disable);
        assert_eq!(mode_of(&all, "ratings", 9080), MtlsMode::Strict);
    }

    #[test]
    fn port_level_modes_need_a_selector() {
        let yaml = policy(
            "default",
            "default",
            "  portLevelMtls:\n    9080: {mode: STRICT}\n",
        );
        let error = parse(&yaml).unwrap_err().to_string();
        assert!(error.contains("portLevelMtls needs a selector"), "{error}");
    }
}
