//! `bookinfo`: the whole of Bookinfo on loopback in one process, until Ctrl-C; or the same behind
//! a real Envoy (`bookinfo mesh`), and the commands that change that mesh from another shell.

use std::path::Path;
use std::process::ExitCode;

use bookinfo::cli::{self, Command};
use bookinfo::mesh::{LocalMesh, MeshOptions};

#[actix_web::main]
async fn main() -> ExitCode {
    let command = match cli::parse(std::env::args().skip(1)) {
        Ok(Command::Help) => {
            print!("{}", cli::USAGE);
            return ExitCode::SUCCESS;
        }
        Ok(command) => command,
        Err(problem) => {
            eprintln!("bookinfo: {problem}\n\n{}", cli::USAGE);
            return ExitCode::from(64);
        }
    };
    match command {
        Command::Run(options) => run(&options).await,
        Command::Mesh(options) => run_mesh(&options).await,
        Command::MeshApply { dir, files } => change_mesh(&dir, &files, mesh::MeshControl::apply),
        Command::MeshDelete { dir, files } => change_mesh(&dir, &files, mesh::MeshControl::delete),
        Command::MeshStats { dir, service } => mesh_stats(&dir, service.as_deref()),
        Command::Help => ExitCode::SUCCESS,
    }
}

async fn run(options: &bookinfo::Options) -> ExitCode {
    let Some(stop) = stop_on_signal() else {
        return ExitCode::FAILURE;
    };
    let _telemetry = chassis::telemetry::init("bookinfo");
    let bookinfo = match bookinfo::LocalBookinfo::start(options).await {
        Ok(bookinfo) => bookinfo,
        Err(error) => {
            eprintln!("bookinfo: could not start: {error}");
            return ExitCode::FAILURE;
        }
    };
    println!("{}", bookinfo::summary(&bookinfo));
    finish(bookinfo.run_until(stop).await)
}

async fn run_mesh(options: &MeshOptions) -> ExitCode {
    let Some(stop) = stop_on_signal() else {
        return ExitCode::FAILURE;
    };
    let _telemetry = chassis::telemetry::init("bookinfo");
    let local = match LocalMesh::start(options).await {
        Ok(local) => local,
        Err(error) => {
            eprintln!("bookinfo: could not start the mesh: {error}");
            return ExitCode::FAILURE;
        }
    };
    println!("{}", bookinfo::mesh::summary(&local, options));
    // Ctrl-C stops the services; dropping the mesh then stops Envoy.
    finish(local.run_until(stop).await)
}

/// SIGINT and SIGTERM handled from here on, before the first line is printed: one that comes
/// while Envoy or the servers start stops them once they are up, instead of killing the
/// launcher (and leaving Envoy behind) or being lost.
fn stop_on_signal() -> Option<impl Future<Output = ()>> {
    match chassis::shutdown::on_signal() {
        Ok(signal) => Some(async {
            signal.await;
        }),
        Err(error) => {
            eprintln!("bookinfo: cannot handle signals: {error}");
            None
        }
    }
}

fn finish(result: std::io::Result<()>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("bookinfo: {error}");
            ExitCode::FAILURE
        }
    }
}

/// `bookinfo mesh apply|delete`: every `-f` read first, so a missing file changes nothing.
fn change_mesh(
    dir: &Path,
    files: &[String],
    change: fn(&mesh::MeshControl, &str) -> Result<mesh::Applied, mesh::MeshError>,
) -> ExitCode {
    let mut manifests = Vec::new();
    for file in files {
        match mesh::read_manifests(file) {
            Ok(text) => manifests.push(text),
            Err(error) => {
                eprintln!("bookinfo: {error}");
                return ExitCode::FAILURE;
            }
        }
    }
    let control = match mesh::MeshControl::open(dir) {
        Ok(control) => control,
        Err(error) => {
            eprintln!("bookinfo: {error} (is `bookinfo mesh` running?)");
            return ExitCode::FAILURE;
        }
    };
    match change(&control, &manifests.join("\n---\n")) {
        Ok(applied) => {
            print!("{applied}");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("bookinfo: {error}");
            ExitCode::FAILURE
        }
    }
}

fn mesh_stats(dir: &Path, service: Option<&str>) -> ExitCode {
    let report = mesh::MeshControl::open(dir)
        .map_err(|error| format!("{error} (is `bookinfo mesh` running?)"))
        .and_then(|control| bookinfo::mesh::stats_report(&control, service));
    match report {
        Ok(text) => {
            print!("{text}");
            ExitCode::SUCCESS
        }
        Err(problem) => {
            eprintln!("bookinfo: {problem}");
            ExitCode::FAILURE
        }
    }
}
