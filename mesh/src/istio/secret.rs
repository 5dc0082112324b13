//! Kubernetes Secrets, as `kubectl create secret tls|generic --dry-run=client -o yaml` prints
//! them: the certificates and keys a Gateway's `credentialName` names. The data is read once
//! here and never shown again: not in Debug output, not in an error, not by `get`.

use std::collections::BTreeMap;
use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Map, Value, json};

/// `type: kubernetes.io/tls`: `tls.crt` and `tls.key` (and optionally `ca.crt`).
pub const TLS_TYPE: &str = "kubernetes.io/tls";
/// The type of a Secret that names none.
pub const OPAQUE_TYPE: &str = "Opaque";

/// A Secret's type and decoded data. Debug lists the data's keys only.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretSpec {
    pub secret_type: String,
    data: BTreeMap<String, Vec<u8>>,
}

/// A certificate chain, its private key and, for MUTUAL, the CA that signs client certificates,
/// as PEM text. Debug never shows the key.
#[derive(Clone, PartialEq, Eq)]
pub struct Credential {
    pub certificate_chain: String,
    pub private_key: String,
    pub ca_certificate: Option<String>,
}

// === impl SecretSpec ===

impl SecretSpec {
    /// Reads the Secret's fields (`type`, `data` in base64, `stringData`, `immutable`); a
    /// problem is reported by field and key, never with the value.
    pub fn from_document(document: &Value) -> Result<Self, (String, String)> {
        let object = document.as_object().cloned().unwrap_or_default();
        let secret_type = match object.get("type") {
            None | Some(Value::Null) => OPAQUE_TYPE.to_owned(),
            Some(Value::String(text)) => text.clone(),
            Some(_) => return Err(("type".into(), "must be a string".into())),
        };
        let mut data = BTreeMap::new();
        for (key, value) in entries(&object, "data")? {
            let text = value
                .as_str()
                .ok_or_else(|| (format!("data[{key}]"), "must be a base64 string".to_owned()))?;
            let bytes = STANDARD
                .decode(text.trim())
                .map_err(|_| (format!("data[{key}]"), "is not valid base64".to_owned()))?;
            data.insert(key.clone(), bytes);
        }
        for (key, value) in entries(&object, "stringData")? {
            let text = value
                .as_str()
                .ok_or_else(|| (format!("stringData[{key}]"), "must be a string".to_owned()))?;
            data.insert(key.clone(), text.as_bytes().to_vec());
        }
        if secret_type == TLS_TYPE {
            for required in ["tls.crt", "tls.key"] {
                if !data.contains_key(required) {
                    return Err((
                        format!("data[{required}]"),
                        format!("is required for a {TLS_TYPE} Secret"),
                    ));
                }
            }
        }
        Ok(Self { secret_type, data })
    }

    /// The Secret's fields as `kubectl create secret tls` prints them (data in base64).
    pub fn tls_document(certificate: &[u8], key: &[u8]) -> Value {
        json!({
            "type": TLS_TYPE,
            "data": {"tls.crt": STANDARD.encode(certificate), "tls.key": STANDARD.encode(key)},
        })
    }

    /// A whole `kubernetes.io/tls` Secret manifest (JSON, which is YAML), as
    /// `kubectl create secret tls NAME --key K --cert C -n NAMESPACE --dry-run=client -o yaml`
    /// writes it.
    pub fn tls_manifest(namespace: &str, name: &str, certificate: &[u8], key: &[u8]) -> String {
        let mut manifest = json!({
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": name, "namespace": namespace},
        });
        if let (Some(manifest), Value::Object(fields)) = (
            manifest.as_object_mut(),
            Self::tls_document(certificate, key),
        ) {
            manifest.extend(fields);
        }
        manifest.to_string()
    }

    /// How many data entries (kubectl's DATA column).
    pub fn len(&self) -> usize {
        self.data.len()
    }

    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// What a Gateway serves with this Secret, as Istio reads it: `tls.crt`/`tls.key`/`ca.crt`,
    /// or a generic Secret's `cert`/`key`/`cacert`. A separate `<name>-cacert` Secret's
    /// CA is merged in by the caller. `None` when neither pair is there or is not text.
    pub fn credential(&self) -> Option<Credential> {
        let text = |key: &str| {
            self.data
                .get(key)
                .and_then(|bytes| String::from_utf8(bytes.clone()).ok())
        };
        let (certificate_chain, private_key, ca_certificate) =
            match (text("tls.crt"), text("tls.key")) {
                (Some(certificate), Some(key)) => (certificate, key, text("ca.crt")),
                _ => (text("cert")?, text("key")?, text("cacert")),
            };
        Some(Credential {
            certificate_chain,
            private_key,
            ca_certificate,
        })
    }

    /// Only the CA of the Secret (`ca.crt` or `cacert`): Istio's `<credentialName>-cacert`.
    pub fn ca_certificate(&self) -> Option<String> {
        ["ca.crt", "cacert"]
            .iter()
            .find_map(|key| self.data.get(*key))
            .and_then(|bytes| String::from_utf8(bytes.clone()).ok())
    }
}

fn entries<'a>(
    object: &'a Map<String, Value>,
    field: &str,
) -> Result<Vec<(&'a String, &'a Value)>, (String, String)> {
    match object.get(field) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Object(map)) => Ok(map.iter().collect()),
        Some(_) => Err((field.to_owned(), "must be a mapping".into())),
    }
}

impl fmt::Debug for SecretSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SecretSpec")
            .field("secret_type", &self.secret_type)
            .field("data", &self.data.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credential")
            .field("private_key", &"[redacted]")
            .field("ca_certificate", &self.ca_certificate.is_some())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tls_secret_reads_as_kubectl_prints_it_and_never_shows_its_key() {
        let document = SecretSpec::tls_document(b"CERT PEM", b"SECRET KEY PEM");
        let secret = SecretSpec::from_document(&document).unwrap();
        let credential = secret.credential().unwrap();
        assert_eq!(credential.certificate_chain, "CERT PEM");
        assert_eq!(credential.private_key, "SECRET KEY PEM");
        assert_eq!(secret.len(), 2);
        let shown = format!("{secret:?} {credential:?}");
        assert!(!shown.contains("SECRET KEY"), "{shown}");
    }

    #[test]
    fn problems_name_the_key_and_never_the_value() {
        let bad =
            json!({"type": TLS_TYPE, "data": {"tls.crt": "c2VjcmV0IQ==", "tls.key": "hunter2!!"}});
        let (path, message) = SecretSpec::from_document(&bad).unwrap_err();
        assert_eq!(
            (path.as_str(), message.as_str()),
            ("data[tls.key]", "is not valid base64")
        );
        let missing = json!({"type": TLS_TYPE, "data": {"tls.crt": "c2VjcmV0IQ=="}});
        assert_eq!(
            SecretSpec::from_document(&missing).unwrap_err().0,
            "data[tls.key]"
        );
    }

    #[test]
    fn a_generic_secret_with_key_cert_cacert_is_a_credential_with_a_ca() {
        let generic = json!({"stringData": {"key": "K", "cert": "C", "cacert": "CA"}});
        let secret = SecretSpec::from_document(&generic).unwrap();
        assert_eq!(secret.secret_type, OPAQUE_TYPE);
        let credential = secret.credential().unwrap();
        assert_eq!(credential.ca_certificate.as_deref(), Some("CA"));
    }
}
