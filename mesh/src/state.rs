//! The work directory's shared state: `state.json` (the resources in force and the
//! configuration version) and the lock that lets one apply at a time change it, whichever
//! process it runs in.

use std::fs;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::control::APPLY_WITHIN;
use crate::error::MeshError;
use crate::istio::ResourceSet;
use crate::wait::poll;
use crate::xds;

/// `state.json`: the resources in force and the version of the files written for them.
pub(crate) struct State {
    pub(crate) version: u64,
    pub(crate) resources: ResourceSet,
}

// === impl State ===

impl State {
    pub(crate) fn load(dir: &Path) -> Result<Self, MeshError> {
        let value = read_json(&dir.join("state.json")).map_err(|message| MeshError::NoMesh {
            dir: dir.to_path_buf(),
            message,
        })?;
        Ok(Self {
            version: value["version"].as_u64().unwrap_or(1),
            resources: ResourceSet::from_json(&value["resources"])?,
        })
    }

    pub(crate) fn save(&self, dir: &Path) -> Result<(), MeshError> {
        write_json(
            &dir.join("state.json"),
            &json!({"version": self.version, "resources": self.resources.to_json()}),
        )
    }
}

/// A lock held by existing: another apply waits for the directory to go away.
pub(crate) struct DirLock {
    path: PathBuf,
}

impl DirLock {
    pub(crate) fn take(path: &Path) -> Result<Self, MeshError> {
        poll(APPLY_WITHIN, || match fs::create_dir(path) {
            Ok(()) => Some(Ok(Self {
                path: path.to_path_buf(),
            })),
            Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => None,
            Err(error) => Some(Err(MeshError::io(path, error))),
        })
        .unwrap_or_else(|| {
            Err(MeshError::Locked {
                lock: path.to_path_buf(),
            })
        })
    }
}

impl Drop for DirLock {
    fn drop(&mut self) {
        let _ = fs::remove_dir(&self.path);
    }
}

pub(crate) fn read_json(path: &Path) -> Result<Value, String> {
    let bytes = fs::read(path).map_err(|error| format!("{}: {error}", path.display()))?;
    serde_json::from_slice(&bytes).map_err(|error| format!("{}: {error}", path.display()))
}

pub(crate) fn write_json(path: &Path, value: &Value) -> Result<(), MeshError> {
    xds::write_atomically(path, &serde_json::to_vec_pretty(value).unwrap_or_default())
}
