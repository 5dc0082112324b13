//! `bookinfo mesh waypoint apply|delete`: istioctl's waypoint commands on the running mesh,
//! printing what istioctl prints.

use clap::{Args, Subcommand};
use mesh::namespaces::{DATAPLANE_MODE_LABEL, LabelEdit};
use mesh::waypoint::{DEFAULT_WAYPOINT_NAME, USE_WAYPOINT_LABEL};
use mesh::{Action, MeshControl};

use crate::cli::MeshDir;

/// `bookinfo mesh waypoint ...`.
#[derive(Debug, Clone, PartialEq, Eq, Subcommand)]
pub enum WaypointCommand {
    /// Applies a waypoint (a Gateway of class istio-waypoint), as istioctl waypoint apply would
    Apply(ApplyArgs),
    /// Deletes waypoints by name, or all of the namespace's, as istioctl waypoint delete would
    Delete(DeleteArgs),
}

/// `bookinfo mesh waypoint apply [--enroll-namespace] [--overwrite] [--wait] [--name NAME] [-n NS]`.
#[derive(Debug, Clone, PartialEq, Eq, Args)]
pub struct ApplyArgs {
    #[command(flatten)]
    pub mesh: MeshDir,
    /// The waypoint's name
    #[arg(long, value_name = "NAME", default_value = DEFAULT_WAYPOINT_NAME)]
    pub name: String,
    /// The waypoint's namespace
    #[arg(short = 'n', long, value_name = "NAMESPACE", default_value = "default")]
    pub namespace: String,
    /// Label the namespace istio.io/use-waypoint=NAME: its Services' traffic goes through it
    #[arg(long)]
    pub enroll_namespace: bool,
    /// Replace the waypoint the namespace is already enrolled with
    #[arg(long)]
    pub overwrite: bool,
    /// Wait until the waypoint is ready (Envoy runs it; apply always waits for that here)
    #[arg(short = 'w', long)]
    pub wait: bool,
}

/// `bookinfo mesh waypoint delete [NAME...] [--all] [-n NS]`.
#[derive(Debug, Clone, PartialEq, Eq, Args)]
pub struct DeleteArgs {
    #[command(flatten)]
    pub mesh: MeshDir,
    /// The waypoints to delete
    #[arg(
        value_name = "NAME",
        required_unless_present = "all",
        conflicts_with = "all"
    )]
    pub names: Vec<String>,
    /// Delete every waypoint of the namespace
    #[arg(long)]
    pub all: bool,
    /// The waypoints' namespace
    #[arg(short = 'n', long, value_name = "NAMESPACE", default_value = "default")]
    pub namespace: String,
}

/// Runs a waypoint command: what it prints, or why it failed.
pub fn command(command: &WaypointCommand) -> Result<String, String> {
    match command {
        WaypointCommand::Apply(args) => apply(args),
        WaypointCommand::Delete(args) => delete(args),
    }
}

fn open(at: &MeshDir) -> Result<MeshControl, String> {
    MeshControl::open(&at.dir).map_err(|error| format!("{error} (is `bookinfo mesh` running?)"))
}

fn apply(args: &ApplyArgs) -> Result<String, String> {
    let control = open(&args.mesh)?;
    let namespace = &args.namespace;
    let mut out = String::new();
    if args.enroll_namespace {
        let resources = control.resources().map_err(|error| error.to_string())?;
        if !args.overwrite && mesh::waypoint::enrolled(&resources, namespace).is_some() {
            return Ok(format!(
                "⚠️ Warning: namespace ({namespace}) already has an enrolled Waypoint. Consider \
                 adding the `--overwrite` flag to your apply command.\n"
            ));
        }
        if !mesh::namespaces::is_ambient(&resources.namespace_labels, namespace) {
            out.push_str(&format!(
                "⚠️ Warning: namespace is not enrolled in ambient. Consider running\t\
                 `kubectl label namespace {namespace} {DATAPLANE_MODE_LABEL}=ambient`\n"
            ));
        }
    }
    let name = &args.name;
    control
        .apply(&mesh::waypoint::manifest(namespace, name))
        .map_err(|error| error.to_string())?;
    out.push_str(&format!("✅ waypoint {namespace}/{name} applied\n"));
    if args.wait {
        // `apply` returned once Envoy runs the waypoint: it is programmed.
        out.push_str(&format!("✅ waypoint {namespace}/{name} is ready!\n"));
    }
    if args.enroll_namespace {
        let edit = LabelEdit::Set {
            key: USE_WAYPOINT_LABEL.to_owned(),
            value: name.clone(),
        };
        control
            .label_namespace(namespace, &[edit], true)
            .map_err(|error| error.to_string())?;
        out.push_str(&format!(
            "✅ namespace {namespace} labeled with \"{USE_WAYPOINT_LABEL}: {name}\"\n"
        ));
    }
    Ok(out)
}

fn delete(args: &DeleteArgs) -> Result<String, String> {
    let control = open(&args.mesh)?;
    let namespace = &args.namespace;
    let resources = control.resources().map_err(|error| error.to_string())?;
    let waypoints = mesh::waypoint::names_in(&resources, namespace);
    let mut out = String::new();
    let chosen: Vec<String> = if args.all {
        waypoints
    } else {
        let mut chosen = Vec::new();
        for name in &args.names {
            if waypoints.contains(name) {
                chosen.push(name.clone());
            } else {
                out.push_str(&format!("waypoint {namespace}/{name} not found\n"));
            }
        }
        chosen
    };
    if chosen.is_empty() {
        return Ok(out);
    }
    let named: Vec<(String, String)> = chosen
        .iter()
        .map(|name| ("gtw".to_owned(), name.clone()))
        .collect();
    let applied = control
        .delete_named(&named, namespace)
        .map_err(|error| error.to_string())?;
    for change in &applied.changes {
        let name = &change.key.name;
        let verb = if change.action == Action::Deleted {
            "deleted"
        } else {
            "not found"
        };
        out.push_str(&format!("waypoint {namespace}/{name} {verb}\n"));
    }
    Ok(out)
}
