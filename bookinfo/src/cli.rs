//! The `bookinfo` command's arguments.

use std::path::PathBuf;

use crate::Options;
use crate::mesh::MeshOptions;
use crate::traffic::TrafficArgs;

pub const USAGE: &str = "\
usage: bookinfo [--port PORT] [--pooled]
       bookinfo mesh [--ingress-port PORT] [--admin-port PORT] [--dir DIR]
       bookinfo mesh apply [--dir DIR] -f FILE|DIR|- [-f ...]
       bookinfo mesh delete [--dir DIR] -f FILE|DIR|- [-f ...]
       bookinfo mesh stats [--dir DIR] [SERVICE]
       bookinfo traffic [--url URL] [--rate N | --concurrency N] [--duration D] [--requests N] ...

Runs details, ratings, reviews v1/v2/v3 and productpage on 127.0.0.1.
  --port PORT   productpage's port (default 9080)
  --pooled      reuse connections from productpage to its backends
                (default: a fresh connection per call, so reviews versions rotate)

bookinfo mesh runs the same services behind a real Envoy (scripts/deps/envoy.sh installs it)
that takes Istio Gateway, VirtualService and DestinationRule YAML, until Ctrl-C.
  --ingress-port PORT  the ingress gateway's port (default 8080)
  --admin-port PORT    Envoy's admin port (default 15000)
  --dir DIR            Envoy's work dir (default target/mesh)
bookinfo mesh apply|delete changes the mesh running in DIR, as kubectl apply|delete would;
-f names a file, every .yaml/.yml/.json file of a directory, or - for standard input.
bookinfo mesh stats prints the requests each version of each service (or of SERVICE) received.

bookinfo traffic loads /productpage like visitors would and prints which reviews version
answered, errors and latency (bookinfo traffic --help lists its options).
";

/// What the command line asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Run(Options),
    Mesh(MeshOptions),
    MeshApply {
        dir: PathBuf,
        files: Vec<String>,
    },
    MeshDelete {
        dir: PathBuf,
        files: Vec<String>,
    },
    MeshStats {
        dir: PathBuf,
        service: Option<String>,
    },
    Traffic(TrafficArgs),
    Help,
    /// `bookinfo traffic --help`: clap's help text, to print as it is.
    TrafficHelp(String),
}

/// `bookinfo traffic`'s own parser, until the whole command line is clap's.
#[derive(Debug, clap::Parser)]
#[command(name = "bookinfo traffic")]
struct TrafficCommand {
    #[command(flatten)]
    args: TrafficArgs,
}

/// Parses the arguments after the program name.
pub fn parse<I, S>(args: I) -> Result<Command, String>
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    let args: Vec<String> = args
        .into_iter()
        .map(|arg| arg.as_ref().to_owned())
        .collect();
    match args.first().map(String::as_str) {
        Some("mesh") => return parse_mesh(&args[1..]),
        Some("traffic") => return parse_traffic(&args),
        _ => {}
    }
    let mut options = Options::default();
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "-h" | "--help" => return Ok(Command::Help),
            "--pooled" => options.pooled_backend_connections = true,
            "--port" => options.productpage_port = port("--port", args.next())?,
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(Command::Run(options))
}

/// `bookinfo mesh ...`: run the mesh, or act on the one running.
fn parse_mesh(args: &[String]) -> Result<Command, String> {
    match args.first().map(String::as_str) {
        Some(action @ ("apply" | "delete")) => {
            let mut dir = PathBuf::from(crate::mesh::DEFAULT_MESH_DIR);
            let mut files = Vec::new();
            let mut rest = args[1..].iter();
            while let Some(arg) = rest.next() {
                match arg.as_str() {
                    "-h" | "--help" => return Ok(Command::Help),
                    "-f" | "--filename" => files.push(
                        rest.next()
                            .ok_or_else(|| format!("{arg} needs a file, a directory or -"))?
                            .clone(),
                    ),
                    "--dir" => dir = directory(rest.next())?,
                    other => {
                        return Err(format!("unknown argument {other:?} to mesh {action}"));
                    }
                }
            }
            if files.is_empty() {
                return Err(format!("mesh {action} needs at least one -f FILE"));
            }
            Ok(if action == "apply" {
                Command::MeshApply { dir, files }
            } else {
                Command::MeshDelete { dir, files }
            })
        }
        Some("stats") => {
            let mut dir = PathBuf::from(crate::mesh::DEFAULT_MESH_DIR);
            let mut service = None;
            let mut rest = args[1..].iter();
            while let Some(arg) = rest.next() {
                match arg.as_str() {
                    "-h" | "--help" => return Ok(Command::Help),
                    "--dir" => dir = directory(rest.next())?,
                    flag if flag.starts_with('-') => {
                        return Err(format!("unknown argument {flag:?} to mesh stats"));
                    }
                    name if service.is_none() => service = Some(name.to_owned()),
                    extra => return Err(format!("mesh stats takes one SERVICE, not {extra:?}")),
                }
            }
            Ok(Command::MeshStats { dir, service })
        }
        _ => {
            let mut options = MeshOptions::default();
            let mut rest = args.iter();
            while let Some(arg) = rest.next() {
                match arg.as_str() {
                    "-h" | "--help" => return Ok(Command::Help),
                    "--ingress-port" => options.ingress_port = port(arg, rest.next())?,
                    "--admin-port" => options.admin_port = port(arg, rest.next())?,
                    "--dir" => options.dir = directory(rest.next())?,
                    other => return Err(format!("unknown argument {other:?} to mesh")),
                }
            }
            Ok(Command::Mesh(options))
        }
    }
}

/// `bookinfo traffic ...`, parsed by clap.
fn parse_traffic(args: &[String]) -> Result<Command, String> {
    use clap::Parser as _;
    use clap::error::ErrorKind;
    match TrafficCommand::try_parse_from(args) {
        Ok(command) => Ok(Command::Traffic(command.args)),
        Err(error) if error.kind() == ErrorKind::DisplayHelp => {
            Ok(Command::TrafficHelp(error.to_string()))
        }
        Err(error) => Err(error
            .to_string()
            .trim_start_matches("error: ")
            .trim_end()
            .to_owned()),
    }
}

fn port(flag: &str, value: Option<&String>) -> Result<u16, String> {
    let value = value.ok_or_else(|| format!("{flag} needs a value"))?;
    value
        .parse()
        .map_err(|_| format!("{flag} {value:?} is not a port number"))
}

fn directory(value: Option<&String>) -> Result<PathBuf, String> {
    match value {
        Some(dir) if !dir.is_empty() => Ok(PathBuf::from(dir)),
        _ => Err("--dir needs a directory".to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_to_port_9080_and_fresh_connections() {
        assert_eq!(parse::<_, &str>([]), Ok(Command::Run(Options::default())));
        assert_eq!(Options::default().productpage_port, 9080);
    }

    #[test]
    fn reads_port_and_pooling() {
        let parsed = parse(["--port", "8000", "--pooled"]);
        assert_eq!(
            parsed,
            Ok(Command::Run(Options {
                productpage_port: 8000,
                pooled_backend_connections: true
            }))
        );
    }

    #[test]
    fn rejects_bad_arguments_with_a_message() {
        assert!(parse(["--port"]).unwrap_err().contains("needs a value"));
        assert!(parse(["--port", "x"]).unwrap_err().contains("not a port"));
        assert!(parse(["--nope"]).unwrap_err().contains("unknown argument"));
    }

    #[test]
    fn mesh_defaults_to_ingress_8080_admin_15000_in_target_mesh() {
        let expected = MeshOptions {
            ingress_port: 8080,
            admin_port: 15000,
            dir: PathBuf::from("target/mesh"),
        };
        assert_eq!(parse(["mesh"]), Ok(Command::Mesh(expected.clone())));
        assert_eq!(MeshOptions::default(), expected);
    }

    #[test]
    fn mesh_reads_ports_and_dir() {
        assert_eq!(
            parse([
                "mesh",
                "--ingress-port",
                "9000",
                "--admin-port",
                "0",
                "--dir",
                "/tmp/m"
            ]),
            Ok(Command::Mesh(MeshOptions {
                ingress_port: 9000,
                admin_port: 0,
                dir: PathBuf::from("/tmp/m"),
            }))
        );
        assert_eq!(parse(["mesh", "--help"]), Ok(Command::Help));
    }

    #[test]
    fn mesh_rejects_bad_ports_dirs_and_unknown_arguments() {
        let problem = |args: &[&str]| parse(args).unwrap_err();
        assert!(problem(&["mesh", "--ingress-port"]).contains("needs a value"));
        assert!(problem(&["mesh", "--ingress-port", "99999"]).contains("not a port"));
        assert!(problem(&["mesh", "--admin-port", "-1"]).contains("not a port"));
        assert!(problem(&["mesh", "--dir"]).contains("needs a directory"));
        assert!(problem(&["mesh", "--dir", ""]).contains("needs a directory"));
        assert!(problem(&["mesh", "--port", "1"]).contains("unknown argument"));
        assert!(problem(&["mesh", "-f", "x.yaml"]).contains("unknown argument"));
    }

    #[test]
    fn mesh_apply_and_delete_take_several_files_kubectl_style() {
        assert_eq!(
            parse([
                "mesh",
                "apply",
                "-f",
                "a.yaml",
                "--filename",
                "-",
                "-f",
                "dir"
            ]),
            Ok(Command::MeshApply {
                dir: PathBuf::from("target/mesh"),
                files: vec!["a.yaml".into(), "-".into(), "dir".into()],
            })
        );
        assert_eq!(
            parse(["mesh", "delete", "--dir", "/tmp/m", "-f", "a.yaml"]),
            Ok(Command::MeshDelete {
                dir: PathBuf::from("/tmp/m"),
                files: vec!["a.yaml".into()],
            })
        );
    }

    #[test]
    fn mesh_apply_and_delete_reject_missing_files_and_unknown_arguments() {
        let problem = |args: &[&str]| parse(args).unwrap_err();
        assert!(problem(&["mesh", "apply"]).contains("at least one -f"));
        assert!(problem(&["mesh", "delete"]).contains("at least one -f"));
        assert!(problem(&["mesh", "apply", "-f"]).contains("needs a file"));
        assert!(problem(&["mesh", "apply", "a.yaml"]).contains("unknown argument"));
        assert!(problem(&["mesh", "delete", "-f", "a", "--force"]).contains("unknown argument"));
        assert!(problem(&["mesh", "apply", "--dir"]).contains("needs a directory"));
    }

    #[test]
    fn traffic_takes_its_own_arguments() {
        let Ok(Command::Traffic(args)) = parse(["traffic", "--rate", "5", "--users", "jason"])
        else {
            panic!("traffic parses");
        };
        assert_eq!(args.rate, Some(5));
        assert_eq!(args.users, ["jason"]);
        let Ok(Command::TrafficHelp(help)) = parse(["traffic", "--help"]) else {
            panic!("traffic --help is its own help");
        };
        assert!(help.contains("--signed-in-share"), "{help}");
        let problem = parse(["traffic", "--rate", "x"]).unwrap_err();
        assert!(problem.contains("invalid value 'x'"), "{problem}");
    }

    #[test]
    fn mesh_stats_takes_an_optional_service() {
        let dir = PathBuf::from("target/mesh");
        assert_eq!(
            parse(["mesh", "stats"]),
            Ok(Command::MeshStats {
                dir: dir.clone(),
                service: None
            })
        );
        assert_eq!(
            parse(["mesh", "stats", "reviews"]),
            Ok(Command::MeshStats {
                dir,
                service: Some("reviews".into())
            })
        );
        let problem = |args: &[&str]| parse(args).unwrap_err();
        assert!(problem(&["mesh", "stats", "reviews", "ratings"]).contains("one SERVICE"));
        assert!(problem(&["mesh", "stats", "--all"]).contains("unknown argument"));
    }
}
