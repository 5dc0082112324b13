//! `bookinfo mesh exec WORKLOAD -- COMMAND`: runs a command "in" a pod of the running mesh. The
//! command gets a private mount namespace (`unshare --mount --propagation private`) with the
//! pod's hosts file bound over `/etc/hosts`, so `curl http://productpage:9080/` reaches the
//! pod's own sidecar and is sent with the pod's identity. util-linux does the namespace work;
//! the command's output and exit code pass through unchanged, and a failing command's code is
//! also said on stderr, as kubectl says it.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, ExitStatus};

use crate::cli::ExecArgs;

/// The exit code when the command could not be started in the pod (as `env` and
/// `docker run` use it); the command's own codes pass through.
const COULD_NOT_RUN: u8 = 125;

/// Binds the hosts file over `/etc/hosts` in the new namespace, then becomes the command.
const IN_NAMESPACE: &str = r#"mount --bind "$1" /etc/hosts || exit 125; shift; exec "$@""#;

/// Runs the command and exits as it did, or says why it could not run.
pub fn command(args: &ExecArgs) -> ExitCode {
    match prepare(&args.mesh.dir, &args.workload) {
        Ok(hosts) => run(&hosts, &args.command),
        Err(message) => {
            eprintln!("bookinfo mesh exec: {message}");
            ExitCode::from(COULD_NOT_RUN)
        }
    }
}

/// The hosts file of the workload, once the mesh, the workload and the privileges are there.
fn prepare(dir: &Path, workload: &str) -> Result<PathBuf, String> {
    let name = workload
        .strip_prefix("deploy/")
        .or_else(|| workload.strip_prefix("deployment/"))
        .unwrap_or(workload);
    // First: without root nothing else matters (and the mesh's files may be root's).
    if effective_uid().is_none_or(|uid| uid != 0) {
        return Err(format!(
            "needs root: COMMAND runs in a private mount namespace (unshare --mount) with \
             {name}'s hosts file bound over /etc/hosts; run it with sudo"
        ));
    }
    let control = mesh::MeshControl::open(dir)
        .map_err(|error| format!("{error} (is `bookinfo mesh` running?)"))?;
    let Some(sidecars) = &control.topology().sidecars else {
        return Err(format!(
            "the mesh in {} has no workloads with sidecars",
            dir.display()
        ));
    };
    if !sidecars.with_sidecar().any(|pod| pod.name == name) {
        let known: Vec<&str> = sidecars
            .with_sidecar()
            .map(|pod| pod.name.as_str())
            .collect();
        return Err(format!(
            "no workload {name:?} in the mesh (it has {})",
            known.join(", ")
        ));
    }
    let hosts = mesh::hosts_files::path(control.work_dir(), name);
    if !hosts.is_file() {
        return Err(format!("{} is missing; restart the mesh", hosts.display()));
    }
    Ok(hosts)
}

fn run(hosts: &Path, command: &[String]) -> ExitCode {
    let status = Command::new("unshare")
        .args(["--mount", "--propagation", "private", "--", "sh", "-c"])
        .arg(IN_NAMESPACE)
        .arg("sh")
        .arg(hosts)
        .args(command)
        .status();
    match status {
        Ok(status) => {
            let code = exit_code(status);
            if code != 0 {
                // kubectl's own line, which the guides show (and check) after a failed curl.
                eprintln!("command terminated with exit code {code}");
            }
            ExitCode::from(code)
        }
        Err(error) => {
            eprintln!(
                "bookinfo mesh exec: could not run unshare (util-linux): {error}; it and mount are needed"
            );
            ExitCode::from(COULD_NOT_RUN)
        }
    }
}

/// The command's exit code, or 128 + the signal that ended it, as a shell reports it.
fn exit_code(status: ExitStatus) -> u8 {
    #[cfg(unix)]
    if let Some(signal) = std::os::unix::process::ExitStatusExt::signal(&status) {
        return u8::try_from(128 + signal).unwrap_or(u8::MAX);
    }
    status
        .code()
        .and_then(|code| u8::try_from(code).ok())
        .unwrap_or(COULD_NOT_RUN)
}

/// This process's effective user id, from `/proc/self/status` (`Uid: real effective ...`).
fn effective_uid() -> Option<u32> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("Uid:"))?;
    line.split_whitespace().nth(2)?.parse().ok()
}
