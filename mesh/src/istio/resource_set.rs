//! [`ResourceSet`]: the resources in force, keyed by kind, namespace and name, in creation order,
//! with kubectl's apply, delete, label and annotate semantics on them.

use std::collections::BTreeMap;

use serde_json::Value;

use super::parse::parse_resource;
use super::{
    Action, AuthorizationPolicySpec, Change, DestinationRuleSpec, GatewaySpec, Kind, Resource,
    ResourceKey, SecretSpec, ServiceEntrySpec, Spec, VirtualServiceSpec,
};
use crate::clock;
use crate::error::ParseError;
use crate::namespaces::{NamespaceLabels, ServiceLabels};

/// The resources in force. Iteration is in creation order, which Istio uses to order
/// VirtualServices merged on a gateway and to pick between conflicting ones.
#[derive(Debug, Clone, Default)]
pub struct ResourceSet {
    entries: BTreeMap<ResourceKey, Entry>,
    next_created: u64,
    /// The namespaces' labels (`kubectl label namespace`), which decide their pods' data plane.
    pub namespace_labels: NamespaceLabels,
    /// The Services' labels (`kubectl label service`): a waypoint of their own.
    pub service_labels: ServiceLabels,
}

#[derive(Debug, Clone)]
struct Entry {
    /// Creation order (a tie-free stand-in for `creationTimestamp`): kept when a resource is
    /// re-applied.
    created: u64,
    /// `metadata.creationTimestamp`, in seconds since the Unix epoch.
    created_at: u64,
    resource: Resource,
}

impl ResourceSet {
    pub fn new() -> Self {
        Self::default()
    }

    /// Creates or replaces each resource, as `kubectl apply` does; a replaced resource keeps its
    /// place in creation order.
    pub fn apply(&mut self, resources: Vec<Resource>) -> Vec<Change> {
        resources
            .into_iter()
            .map(|resource| {
                let key = resource.key.clone();
                let action = match self.entries.get_mut(&key) {
                    Some(entry)
                        if entry.resource.document == resource.document
                            && entry.resource.annotations == resource.annotations =>
                    {
                        Action::Unchanged
                    }
                    Some(entry) => {
                        entry.resource = resource;
                        Action::Configured
                    }
                    None => {
                        let created = self.next_created;
                        self.next_created += 1;
                        let created_at = resource.created_at.unwrap_or_else(clock::now);
                        self.entries.insert(
                            key.clone(),
                            Entry {
                                created,
                                created_at,
                                resource,
                            },
                        );
                        Action::Created
                    }
                };
                Change { key, action }
            })
            .collect()
    }

    /// Removes each resource; one that is not there is reported as [`Action::NotFound`].
    pub fn delete(&mut self, keys: Vec<ResourceKey>) -> Vec<Change> {
        keys.into_iter()
            .map(|key| {
                let action = if self.entries.remove(&key).is_some() {
                    // A deleted Service takes its labels with it (the mesh's own stay).
                    if key.kind == Kind::Service {
                        let labels = crate::namespaces::service_key(&key.namespace, &key.name);
                        self.service_labels.remove(&labels);
                    }
                    Action::Deleted
                } else {
                    Action::NotFound
                };
                Change { key, action }
            })
            .collect()
    }

    /// Edits `key`'s annotations as `kubectl annotate` does; returns the notes on removed keys
    /// that were not there, or `None` when there is no such resource. Nothing changes when an
    /// edit is refused.
    pub fn annotate(
        &mut self,
        key: &ResourceKey,
        edits: &[crate::namespaces::LabelEdit],
        overwrite: bool,
    ) -> Option<Result<Vec<String>, crate::namespaces::LabelError>> {
        let entry = self.entries.get_mut(key)?;
        let mut annotations = entry.resource.annotations.clone();
        let notes = crate::namespaces::edit_map(&mut annotations, edits, overwrite, "annotation");
        if notes.is_ok() {
            entry.resource.annotations = annotations;
        }
        Some(notes)
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn get(&self, key: &ResourceKey) -> Option<&Resource> {
        self.entries.get(key).map(|entry| &entry.resource)
    }

    /// When `key` was created, in seconds since the Unix epoch.
    pub fn created_at(&self, key: &ResourceKey) -> Option<u64> {
        self.entries.get(key).map(|entry| entry.created_at)
    }

    /// Every resource, oldest first (ties by kind, namespace, name).
    pub fn in_creation_order(&self) -> Vec<&Resource> {
        let mut entries: Vec<&Entry> = self.entries.values().collect();
        entries.sort_by_key(|entry| entry.created);
        entries.into_iter().map(|entry| &entry.resource).collect()
    }

    /// Gateways, oldest first.
    pub fn gateways(&self) -> Vec<(&ResourceKey, &GatewaySpec)> {
        self.in_creation_order()
            .into_iter()
            .filter_map(|resource| match &resource.spec {
                Spec::Gateway(spec) => Some((&resource.key, spec)),
                _ => None,
            })
            .collect()
    }

    /// The Secret `namespace/name`.
    pub fn secret(&self, namespace: &str, name: &str) -> Option<&SecretSpec> {
        let key = ResourceKey {
            kind: Kind::Secret,
            namespace: namespace.to_owned(),
            name: name.to_owned(),
        };
        match &self.get(&key)?.spec {
            Spec::Secret(secret) => Some(secret),
            _ => None,
        }
    }

    /// AuthorizationPolicies, oldest first.
    pub fn authorization_policies(&self) -> Vec<(&ResourceKey, &AuthorizationPolicySpec)> {
        self.in_creation_order()
            .into_iter()
            .filter_map(|resource| match &resource.spec {
                Spec::AuthorizationPolicy(spec) => Some((&resource.key, spec)),
                _ => None,
            })
            .collect()
    }

    /// VirtualServices, oldest first.
    pub fn virtual_services(&self) -> Vec<(&ResourceKey, &VirtualServiceSpec)> {
        self.in_creation_order()
            .into_iter()
            .filter_map(|resource| match &resource.spec {
                Spec::VirtualService(spec) => Some((&resource.key, spec)),
                _ => None,
            })
            .collect()
    }

    /// ServiceEntries, oldest first.
    pub fn service_entries(&self) -> Vec<(&ResourceKey, &ServiceEntrySpec)> {
        self.in_creation_order()
            .into_iter()
            .filter_map(|resource| match &resource.spec {
                Spec::ServiceEntry(spec) => Some((&resource.key, spec)),
                _ => None,
            })
            .collect()
    }

    /// DestinationRules, oldest first.
    pub fn destination_rules(&self) -> Vec<(&ResourceKey, &DestinationRuleSpec)> {
        self.in_creation_order()
            .into_iter()
            .filter_map(|resource| match &resource.spec {
                Spec::DestinationRule(spec) => Some((&resource.key, spec)),
                _ => None,
            })
            .collect()
    }

    /// The set as JSON, oldest first, for another process to pick up with [`Self::from_json`].
    pub fn to_json(&self) -> Value {
        let items: Vec<Value> = self
            .in_creation_order()
            .into_iter()
            .map(|resource| {
                let mut item = serde_json::json!({
                    "apiVersion": resource.key.kind.api_version(),
                    "kind": resource.key.kind.name(),
                    "metadata": {
                        "name": resource.key.name,
                        "namespace": resource.key.namespace,
                        "annotations": resource.annotations,
                        "creationTimestamp": self.created_at(&resource.key).map(clock::rfc3339),
                    },
                });
                match (&resource.key.kind, &resource.document, item.as_object_mut()) {
                    // A Secret has no spec: its type and data sit beside metadata.
                    (Kind::Secret, Value::Object(fields), Some(item)) => {
                        item.extend(fields.clone());
                    }
                    (_, document, Some(item)) => {
                        item.insert("spec".into(), document.clone());
                    }
                    _ => {}
                }
                item
            })
            .collect();
        serde_json::json!({
            "items": items,
            "namespaceLabels": self.namespace_labels,
            "serviceLabels": self.service_labels,
        })
    }

    /// Reads what [`Self::to_json`] wrote; resources are re-validated on the way in.
    pub fn from_json(value: &Value) -> Result<Self, ParseError> {
        let items = value
            .get("items")
            .and_then(Value::as_array)
            .ok_or_else(|| ParseError::Document {
                document: 1,
                message: "saved state has no items".into(),
            })?;
        let mut set = Self::new();
        for (index, item) in items.iter().enumerate() {
            let mut resource = parse_resource(index + 1, item.clone())?;
            resource.created_at = item
                .pointer("/metadata/creationTimestamp")
                .and_then(Value::as_str)
                .and_then(clock::parse_rfc3339);
            set.apply(vec![resource]);
        }
        // A state written before namespaces had labels has none.
        set.namespace_labels = value
            .get("namespaceLabels")
            .and_then(|labels| serde_json::from_value(labels.clone()).ok())
            .unwrap_or_default();
        set.service_labels = value
            .get("serviceLabels")
            .and_then(|labels| serde_json::from_value(labels.clone()).ok())
            .unwrap_or_default();
        Ok(set)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::istio::tests::REVIEWS_V1;
    use crate::istio::{parse, parse_keys};

    #[test]
    fn annotate_sets_removes_and_refuses_as_kubectl_does() {
        let mut set = ResourceSet::new();
        let resources = parse(REVIEWS_V1).unwrap();
        let key = resources[0].key.clone();
        set.apply(resources);
        let edit = |spec: &str| vec![crate::namespaces::LabelEdit::parse(spec).unwrap()];

        let notes = set
            .annotate(&key, &edit("a/b=one"), false)
            .unwrap()
            .unwrap();
        assert!(notes.is_empty());
        let refused = set.annotate(&key, &edit("a/b=two"), false).unwrap();
        assert!(
            refused
                .unwrap_err()
                .to_string()
                .contains("already has a value (one)")
        );
        assert_eq!(set.get(&key).unwrap().annotations["a/b"], "one");
        set.annotate(&key, &edit("a/b=two"), true).unwrap().unwrap();
        assert_eq!(set.get(&key).unwrap().annotations["a/b"], "two");
        set.annotate(&key, &edit("a/b-"), false).unwrap().unwrap();
        assert!(set.get(&key).unwrap().annotations.is_empty());
        let notes = set.annotate(&key, &edit("a/b-"), false).unwrap().unwrap();
        assert_eq!(notes, ["annotation \"a/b\" not found."]);

        let missing = ResourceKey {
            name: "nothing".into(),
            ..key
        };
        assert!(set.annotate(&missing, &edit("a=b"), false).is_none());
    }

    #[test]
    fn apply_reports_created_configured_and_unchanged_like_kubectl() {
        let mut set = ResourceSet::new();
        let first = set.apply(parse(REVIEWS_V1).unwrap());
        assert_eq!(
            first[0].to_string(),
            "virtualservice.networking.istio.io/reviews created"
        );
        let again = set.apply(parse(REVIEWS_V1).unwrap());
        assert_eq!(again[0].action, Action::Unchanged);
        let changed = set.apply(parse(&REVIEWS_V1.replace("v1}", "v2}")).unwrap());
        assert_eq!(changed[0].action, Action::Configured);
        let gone = set.delete(parse_keys(REVIEWS_V1).unwrap());
        assert_eq!(gone[0].action, Action::Deleted);
        assert!(set.is_empty());
    }

    #[test]
    fn creation_order_survives_reapplying_and_a_json_round_trip() {
        let mut set = ResourceSet::new();
        set.apply(parse(REVIEWS_V1).unwrap());
        set.apply(parse(&REVIEWS_V1.replace("name: reviews", "name: another")).unwrap());
        set.apply(parse(&REVIEWS_V1.replace("v1}", "v3}")).unwrap());
        let restored = ResourceSet::from_json(&set.to_json()).unwrap();
        let names: Vec<_> = restored
            .in_creation_order()
            .iter()
            .map(|resource| resource.key.name.clone())
            .collect();
        assert_eq!(names, ["reviews", "another"]);
    }
}
