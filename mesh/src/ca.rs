//! The mesh's certificate authority, made fresh at every mesh start (as istiod's self-signed
//! root is per install): a CA certificate, and for each pod a certificate whose only name is
//! its SPIFFE id (the URI SAN that peers and AuthorizationPolicy read), with its key. Keys go
//! to files readable by their owner only, which Envoy reads by path: they are never in an xDS
//! file, an error or a log.

use std::fs;

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, SanType,
};

use crate::error::MeshError;
use crate::identity::{Pod, Sidecars};
use crate::xds::write_atomically;

/// Writes `ca.crt` and each pod's `NAME.crt` and `NAME.key` into `sidecars.pki_dir`.
pub fn issue(sidecars: &Sidecars) -> Result<(), MeshError> {
    let dir = &sidecars.pki_dir;
    fs::create_dir_all(dir).map_err(|error| MeshError::io(dir, error))?;
    let failed = |what: &str| {
        let what = what.to_owned();
        move |error: rcgen::Error| MeshError::Certificate {
            what,
            message: error.to_string(),
        }
    };
    let ca_key = KeyPair::generate().map_err(failed("the CA key"))?;
    let mut ca = CertificateParams::default();
    ca.distinguished_name = DistinguishedName::new();
    ca.distinguished_name
        .push(DnType::OrganizationName, "cluster.local");
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca_certificate = ca
        .self_signed(&ca_key)
        .map_err(failed("the CA certificate"))?;
    write_atomically(&sidecars.ca_certificate(), ca_certificate.pem().as_bytes())?;
    let issuer = Issuer::new(ca, ca_key);
    for pod in &sidecars.pods {
        let (certificate, key) = workload_certificate(pod, &issuer)
            .map_err(failed(&format!("a certificate for {}", pod.name)))?;
        write_atomically(&sidecars.certificate(pod), certificate.as_bytes())?;
        write_atomically(&sidecars.private_key(pod), key.as_bytes())?;
    }
    Ok(())
}

/// An Istio workload certificate: no subject, the SPIFFE id as its URI SAN, for both ends of
/// mutual TLS.
fn workload_certificate(
    pod: &Pod,
    issuer: &Issuer<'_, KeyPair>,
) -> Result<(String, String), rcgen::Error> {
    let key = KeyPair::generate()?;
    let mut params = CertificateParams::default();
    params.distinguished_name = DistinguishedName::new();
    params.subject_alt_names = vec![SanType::URI(pod.spiffe_id().try_into()?)];
    params.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
    ];
    params.extended_key_usages = vec![
        ExtendedKeyUsagePurpose::ServerAuth,
        ExtendedKeyUsagePurpose::ClientAuth,
    ];
    let certificate = params.signed_by(&key, issuer)?;
    Ok((certificate.pem(), key.serialize_pem()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_pod_gets_a_certificate_and_an_owner_only_key() {
        let dir = std::env::temp_dir().join(format!("mesh-ca-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        let mut sidecars = Sidecars::new(20).with_pod(Pod::curl());
        sidecars.pki_dir = dir.clone();
        issue(&sidecars).unwrap();
        let pod = &sidecars.pods[0];
        let certificate = fs::read_to_string(sidecars.certificate(pod)).unwrap();
        assert!(certificate.starts_with("-----BEGIN CERTIFICATE-----"));
        let key = fs::read_to_string(sidecars.private_key(pod)).unwrap();
        assert!(key.contains("PRIVATE KEY"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(sidecars.private_key(pod))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        fs::remove_dir_all(&dir).unwrap();
    }
}
