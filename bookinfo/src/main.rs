//! `bookinfo`: the whole of Bookinfo on loopback in one process, until Ctrl-C; or the same behind
//! a real Envoy (`bookinfo mesh`), and the commands that change that mesh from another shell;
//! or visitors' traffic to a running Bookinfo (`bookinfo traffic`).

use std::path::Path;
use std::process::ExitCode;

use bookinfo::cli::{
    AnnotateArgs, ChangeArgs, Cli, Command, CreateCommand, DeleteArgs, GetArgs, GetOutput,
    LabelArgs, MeshArgs, MeshCommand, SecretCommand, StatsArgs, TlsSecretArgs,
};
use bookinfo::mesh::{LocalMesh, MeshOptions};
use chassis::config::{ProcessEnv, exit_usage};
use chassis::telemetry::TelemetryConfig;
use clap::Parser;

#[actix_web::main]
async fn main() -> ExitCode {
    // Help and usage errors end here: exit 0 and 2, clap's convention.
    let cli = Cli::parse();
    match cli.command {
        None => run(&cli.run).await,
        Some(Command::Mesh(MeshArgs { command: None, run })) => {
            // details reads upstream's variables as in its pod: v2 with ENABLE_EXTERNAL_BOOK_SERVICE.
            let details =
                details::Config::load(&ProcessEnv).unwrap_or_else(|errors| exit_usage(errors));
            let run = MeshOptions {
                book_source: details.book_source,
                ..run
            };
            run_mesh(&run).await
        }
        Some(Command::Mesh(MeshArgs {
            command: Some(command),
            ..
        })) => match command {
            MeshCommand::Apply(change) => change_mesh(&change, mesh::MeshControl::apply),
            MeshCommand::Delete(delete) => delete_from_mesh(delete),
            MeshCommand::Stats(StatsArgs { mesh, service }) => {
                mesh_stats(&mesh.dir, service.as_deref())
            }
            MeshCommand::Get(get) => mesh_get(&get),
            MeshCommand::Exec(exec) => bookinfo::exec::command(&exec),
            MeshCommand::Label(label) => label_resource(&label),
            MeshCommand::Waypoint { what } => print_report(bookinfo::waypoint::command(&what)),
            MeshCommand::Annotate(annotate) => annotate_resource(&annotate),
            MeshCommand::Create {
                what:
                    CreateCommand::Secret {
                        secret: SecretCommand::Tls(tls),
                    },
            } => create_tls_secret(&tls),
        },
        Some(Command::Traffic(args)) => bookinfo::traffic::command(&args).await,
        Some(Command::Completions { shell }) => {
            Cli::write_completions(shell, &mut std::io::stdout());
            ExitCode::SUCCESS
        }
    }
}

async fn run(options: &bookinfo::Options) -> ExitCode {
    let Some(stop) = stop_on_signal() else {
        return ExitCode::FAILURE;
    };
    let _telemetry = chassis::telemetry::init(&launcher_telemetry());
    if let Some(bin_dir) = &options.bin_dir {
        return run_processes(options, bin_dir, stop).await;
    }
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

/// `bookinfo --bin-dir DIR`: the services as child processes, stopped with SIGTERM on Ctrl-C.
async fn run_processes(
    options: &bookinfo::Options,
    bin_dir: &Path,
    stop: impl Future<Output = ()>,
) -> ExitCode {
    let bookinfo = match bookinfo::processes::ProcessBookinfo::start(options, bin_dir).await {
        Ok(bookinfo) => bookinfo,
        Err(error) => {
            eprintln!("bookinfo: could not start: {error}");
            return ExitCode::FAILURE;
        }
    };
    println!("{}", bookinfo::processes::summary(&bookinfo));
    finish(bookinfo.run_until(stop).await)
}

async fn run_mesh(options: &MeshOptions) -> ExitCode {
    let Some(stop) = stop_on_signal() else {
        return ExitCode::FAILURE;
    };
    let _telemetry = chassis::telemetry::init(&launcher_telemetry());
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

/// The launcher's telemetry, from the environment as a service reads its own: each of its
/// servers still reports its own service and version in its spans and `bookinfo_build_info`.
fn launcher_telemetry() -> TelemetryConfig {
    TelemetryConfig::load(&ProcessEnv, "bookinfo").unwrap_or_else(|errors| exit_usage(errors))
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
    ChangeArgs { mesh: at, files }: &ChangeArgs,
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
    let control = match mesh::MeshControl::open(&at.dir) {
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

/// `bookinfo mesh delete`: what `-f` names, or the resources named on the command line.
fn delete_from_mesh(delete: DeleteArgs) -> ExitCode {
    if delete.resources.is_empty() {
        let change = ChangeArgs {
            mesh: delete.mesh,
            files: delete.files,
        };
        return change_mesh(&change, mesh::MeshControl::delete);
    }
    let deleted = delete.named().and_then(|named| {
        let control = mesh::MeshControl::open(&delete.mesh.dir)
            .map_err(|error| format!("{error} (is `bookinfo mesh` running?)"))?;
        control
            .delete_named(&named, &delete.namespace)
            .map(|applied| applied.to_string())
            .map_err(|error| error.to_string())
    });
    print_report(deleted)
}

fn mesh_stats(dir: &Path, service: Option<&str>) -> ExitCode {
    let report = mesh::MeshControl::open(dir)
        .map_err(|error| format!("{error} (is `bookinfo mesh` running?)"))
        .and_then(|control| bookinfo::mesh::stats_report(&control, service));
    print_report(report)
}

/// `bookinfo mesh create secret tls`: the Secret `kubectl create secret tls` would create,
/// applied. The files' contents appear nowhere but in the mesh's owner-only files.
fn create_tls_secret(args: &TlsSecretArgs) -> ExitCode {
    let read =
        |path: &Path| std::fs::read(path).map_err(|error| format!("{}: {error}", path.display()));
    let applied = read(&args.cert)
        .and_then(|cert| read(&args.key).map(|key| (cert, key)))
        .and_then(|(cert, key)| {
            let manifest =
                mesh::istio::SecretSpec::tls_manifest(&args.namespace, &args.name, &cert, &key);
            mesh::MeshControl::open(&args.mesh.dir)
                .map_err(|error| format!("{error} (is `bookinfo mesh` running?)"))?
                .apply(&manifest)
                .map(|applied| applied.to_string())
                .map_err(|error| error.to_string())
        });
    print_report(applied)
}

/// `bookinfo mesh label namespace|service NAME KEY=VALUE|KEY-... [--overwrite] [-n NS]`:
/// kubectl's lines.
fn label_resource(args: &LabelArgs) -> ExitCode {
    let service = match args.kind.as_str() {
        "namespace" | "namespaces" | "ns" => false,
        "service" | "services" | "svc" => true,
        other => {
            return print_report(Err(format!(
                "label: namespaces and services are labelled here, not {other:?}"
            )));
        }
    };
    let labeled = parse_edits(&args.labels).and_then(|edits| {
        let mesh = open_mesh(&args.mesh.dir)?;
        let labeled = if service {
            mesh.label_service(&args.namespace, &args.name, &edits, args.overwrite)
        } else {
            mesh.label_namespace(&args.name, &edits, args.overwrite)
        };
        labeled
            .map(|labeled| labeled.to_string())
            .map_err(|error| error.to_string())
    });
    print_report(labeled)
}

/// `bookinfo mesh annotate KIND NAME KEY=VALUE|KEY-... [--overwrite] [-n NAMESPACE]`.
fn annotate_resource(args: &AnnotateArgs) -> ExitCode {
    let annotated = parse_edits(&args.annotations).and_then(|edits| {
        open_mesh(&args.mesh.dir)?
            .annotate(
                &args.kind,
                &args.name,
                &args.namespace,
                &edits,
                args.overwrite,
            )
            .map(|annotated| annotated.to_string())
            .map_err(|error| error.to_string())
    });
    print_report(annotated)
}

/// `KEY=VALUE|KEY-` arguments of `label` and `annotate`.
fn parse_edits(specs: &[String]) -> Result<Vec<mesh::namespaces::LabelEdit>, String> {
    specs
        .iter()
        .map(|spec| mesh::namespaces::LabelEdit::parse(spec).map_err(|error| error.to_string()))
        .collect()
}

/// The control of the mesh running in `dir`, or why not.
fn open_mesh(dir: &std::path::Path) -> Result<mesh::MeshControl, String> {
    mesh::MeshControl::open(dir).map_err(|error| format!("{error} (is `bookinfo mesh` running?)"))
}

/// `bookinfo mesh get KIND [NAME] [-n NAMESPACE | -A] [-o yaml]`.
fn mesh_get(
    GetArgs {
        mesh: at,
        kind,
        name,
        namespace,
        all_namespaces,
        output,
        show_labels,
    }: &GetArgs,
) -> ExitCode {
    let namespaces = if *all_namespaces {
        mesh::Namespaces::All
    } else {
        mesh::Namespaces::One(namespace.clone())
    };
    let format = match output {
        Some(GetOutput::Yaml) => mesh::OutputFormat::Yaml,
        None if *show_labels => mesh::OutputFormat::TableWithLabels,
        None => mesh::OutputFormat::Table,
    };
    let listed = mesh::MeshControl::open(&at.dir)
        .map_err(|error| format!("{error} (is `bookinfo mesh` running?)"))
        .and_then(|control| {
            control
                .get_in(namespaces, kind, name.as_deref(), format)
                .map_err(|error| error.to_string())
        });
    print_report(listed)
}

/// Prints a subcommand's text, or its problem on stderr with exit code 1.
fn print_report(report: Result<String, String>) -> ExitCode {
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
