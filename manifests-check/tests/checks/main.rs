//! Checks of the deployment files without a cluster: every manifest parses and validates
//! strictly against its schema, the objects refer to each other correctly, the pods meet the
//! Pod Security "restricted" level, kustomize renders, and the Dockerfiles lint clean and
//! build what CI compiles.

mod consistency;
mod core_schema;
mod crd_schema;
mod cross_refs;
mod dockerfiles;
mod files;
mod kustomize;
mod pod_security;
mod seeds;
mod strictness;
mod support;
mod traffic;
