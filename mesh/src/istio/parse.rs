//! Reading what `kubectl apply -f` is given: multi-document YAML split into documents, each
//! checked for a served `apiVersion` and `kind`, its `metadata` read, and its `spec` parsed
//! strictly (an unknown field is refused by its path) and validated.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

use super::{Kind, Resource, ResourceKey, SecretSpec, Spec, validate};
use crate::error::ParseError;
use crate::topology::NAMESPACE;

/// Parses every document in `text` (YAML, `---`-separated; empty documents skipped) into
/// validated resources. The first problem found refuses the whole text.
pub fn parse(text: &str) -> Result<Vec<Resource>, ParseError> {
    documents(text)?
        .into_iter()
        .map(|(index, document)| parse_resource(index, document))
        .collect()
}

/// Reads only kind, namespace and name of every document: what `delete -f` needs.
pub fn parse_keys(text: &str) -> Result<Vec<ResourceKey>, ParseError> {
    documents(text)?
        .into_iter()
        .map(|(index, document)| header(index, &document).map(|(key, _)| key))
        .collect()
}

/// The non-empty documents in `text`, numbered from 1 as a reader counts them.
fn documents(text: &str) -> Result<Vec<(usize, Value)>, ParseError> {
    let mut out = Vec::new();
    for (index, document) in serde_yaml_ng::Deserializer::from_str(text).enumerate() {
        let index = index + 1;
        let value = Value::deserialize(document).map_err(|error| ParseError::Yaml {
            document: index,
            message: error.to_string(),
        })?;
        if !value.is_null() {
            out.push((index, value));
        }
    }
    Ok(out)
}

/// Checks `apiVersion` and `kind`, reads `metadata`, and returns the key and the `spec`.
fn header(index: usize, document: &Value) -> Result<(ResourceKey, Value), ParseError> {
    let problem = |message: String| ParseError::Document {
        document: index,
        message,
    };
    let object = document
        .as_object()
        .ok_or_else(|| problem("is not a mapping".into()))?;
    let text_field = |name: &str| object.get(name).and_then(Value::as_str);
    let api_version =
        text_field("apiVersion").ok_or_else(|| problem("has no apiVersion".into()))?;
    let kind_name = text_field("kind").ok_or_else(|| problem("has no kind".into()))?;
    let (group, version) = api_version.split_once('/').unwrap_or(("", api_version));
    let kind =
        Kind::from_group_and_name(group, kind_name).ok_or_else(|| ParseError::UnsupportedKind {
            document: index,
            api_version: api_version.to_owned(),
            kind: kind_name.to_owned(),
        })?;
    if !kind.versions().contains(&version) {
        return Err(problem(format!(
            "{kind}: apiVersion {api_version} is not served (use {} with one of {})",
            kind.group(),
            kind.versions().join(", ")
        )));
    }
    let secret_fields = ["type", "data", "stringData", "immutable"];
    for field in object.keys() {
        let allowed = match kind {
            Kind::Secret => {
                matches!(field.as_str(), "apiVersion" | "kind" | "metadata")
                    || secret_fields.contains(&field.as_str())
            }
            _ => matches!(
                field.as_str(),
                "apiVersion" | "kind" | "metadata" | "spec" | "status"
            ),
        };
        if !allowed {
            return Err(problem(format!("{kind}: {field} is not supported")));
        }
    }
    let metadata = object.get("metadata").and_then(Value::as_object);
    let name = metadata
        .and_then(|metadata| metadata.get("name"))
        .and_then(Value::as_str)
        .filter(|name| !name.is_empty())
        .ok_or_else(|| problem(format!("{kind}: metadata.name is required")))?;
    let namespace = metadata
        .and_then(|metadata| metadata.get("namespace"))
        .and_then(Value::as_str)
        .unwrap_or(NAMESPACE);
    let key = ResourceKey {
        kind,
        namespace: namespace.to_owned(),
        name: name.to_owned(),
    };
    let spec = match kind {
        Kind::Secret => Value::Object(
            object
                .iter()
                .filter(|(field, _)| secret_fields.contains(&field.as_str()))
                .map(|(field, value)| (field.clone(), value.clone()))
                .collect(),
        ),
        _ => object
            .get("spec")
            .cloned()
            .unwrap_or_else(|| Value::Object(Default::default())),
    };
    Ok((key, spec))
}

pub(super) fn parse_resource(index: usize, document: Value) -> Result<Resource, ParseError> {
    let annotations: BTreeMap<String, String> = document
        .pointer("/metadata/annotations")
        .and_then(Value::as_object)
        .map(|annotations| {
            annotations
                .iter()
                .map(|(name, value)| (name.clone(), value.as_str().unwrap_or_default().to_owned()))
                .collect()
        })
        .unwrap_or_default();
    let (key, document) = header(index, &document)?;
    let spec = match key.kind {
        Kind::Gateway => Spec::Gateway(typed(&key, &document)?),
        Kind::VirtualService => Spec::VirtualService(typed(&key, &document)?),
        Kind::DestinationRule => Spec::DestinationRule(typed(&key, &document)?),
        Kind::ServiceEntry => Spec::ServiceEntry(typed(&key, &document)?),
        Kind::Service => Spec::Service(typed(&key, &document)?),
        Kind::KubernetesGateway => Spec::KubernetesGateway(typed(&key, &document)?),
        Kind::HttpRoute => Spec::HttpRoute(typed(&key, &document)?),
        Kind::AuthorizationPolicy => {
            let mut spec: super::AuthorizationPolicySpec = typed(&key, &document)?;
            spec.dry_run = annotations
                .get(super::authz::DRY_RUN_ANNOTATION)
                .is_some_and(|value: &String| value.eq_ignore_ascii_case("true"));
            Spec::AuthorizationPolicy(spec)
        }
        Kind::PeerAuthentication => Spec::PeerAuthentication(typed(&key, &document)?),
        Kind::Secret => Spec::Secret(SecretSpec::from_document(&document).map_err(
            |(path, message)| ParseError::Field {
                resource: key.to_string(),
                path,
                message,
            },
        )?),
    };
    validate::check(&spec).map_err(|(path, message)| ParseError::Field {
        resource: key.to_string(),
        path,
        message,
    })?;
    Ok(Resource {
        key,
        spec,
        annotations,
        created_at: None,
        document,
    })
}

/// Deserializes a spec, turning serde's complaints into refusals that name the field.
fn typed<T: serde::de::DeserializeOwned>(key: &ResourceKey, spec: &Value) -> Result<T, ParseError> {
    serde_path_to_error::deserialize(spec).map_err(|error| {
        let path = error.path().to_string();
        let inner = error.inner().to_string();
        let (path, message) = explain(&path, &inner);
        ParseError::Field {
            resource: key.to_string(),
            path,
            message,
        }
    })
}

/// Rewords serde's messages: an unknown field becomes "is not supported" with the fields that
/// are, an unknown enum value names the value.
fn explain(path: &str, inner: &str) -> (String, String) {
    let supported = |rest: &str| {
        let list: Vec<&str> = rest.split('`').skip(1).step_by(2).collect::<Vec<_>>();
        if list.is_empty() {
            String::new()
        } else {
            format!(" (supported here: {})", list.join(", "))
        }
    };
    if let Some(rest) = inner.strip_prefix("unknown field `") {
        let (_, expected) = rest.split_once('`').unwrap_or((rest, ""));
        return (
            path.to_owned(),
            format!("is not supported{}", supported(expected)),
        );
    }
    if let Some(rest) = inner.strip_prefix("unknown variant `") {
        let (value, expected) = rest.split_once('`').unwrap_or((rest, ""));
        return (
            path.to_owned(),
            format!("value {value} is not supported{}", supported(expected)),
        );
    }
    let path = if path == "." { "spec" } else { path };
    (path.to_owned(), inner.to_owned())
}
