//! The `bookinfo` command line: what each subcommand takes, its help, and its completions.
//!
//! A new subcommand is one more variant of [`Command`] (or of [`MeshCommand`] under `mesh`)
//! holding its own `#[derive(clap::Args)]` struct; `main.rs` matches on it.

use std::path::PathBuf;

use clap::{Args, CommandFactory, Parser, Subcommand};

use crate::Options;
use crate::mesh::{DEFAULT_MESH_DIR, MeshOptions};
use crate::traffic::TrafficArgs;
use crate::waypoint::WaypointCommand;

/// Runs details, ratings, reviews v1/v2/v3 and productpage on 127.0.0.1 until Ctrl-C.
#[derive(Debug, Parser)]
#[command(name = "bookinfo", version)]
// `bookinfo --port 1 mesh` would silently drop `--port`: the flags belong to the default run only.
#[command(args_conflicts_with_subcommands = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// What the default run (no subcommand) starts.
    #[command(flatten)]
    pub run: Options,
}

/// The subcommands; none runs Bookinfo locally with [`Cli::run`].
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Runs the same services behind a real Envoy that takes Istio (Gateway, VirtualService,
    /// DestinationRule) and Gateway API (Gateway, HTTPRoute, Service) YAML, until Ctrl-C
    /// (scripts/deps/envoy.sh installs Envoy)
    Mesh(MeshArgs),
    /// Loads /productpage like visitors would (anonymous or signed in), at a rate or a
    /// concurrency, for a bounded time or number of pages; then prints which reviews version
    /// answered, the errors and the latency
    Traffic(TrafficArgs),
    /// Prints the shell completion script for SHELL
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

/// `bookinfo mesh`: run the mesh, or with a subcommand act on the one running.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct MeshArgs {
    #[command(subcommand)]
    pub command: Option<MeshCommand>,
    /// Where the mesh runs, when no subcommand is given.
    #[command(flatten)]
    pub run: MeshOptions,
}

/// What `bookinfo mesh ...` does to a running mesh, from another shell.
#[derive(Debug, Clone, PartialEq, Eq, Subcommand)]
pub enum MeshCommand {
    /// Applies Istio or Gateway API YAML to the mesh running in DIR, as kubectl apply would
    Apply(ChangeArgs),
    /// Deletes resources from the mesh running in DIR, as kubectl delete would: those the YAML
    /// names (-f), or KIND NAME... / KIND/NAME...
    Delete(DeleteArgs),
    /// Prints the requests each version of each service (or of SERVICE) received
    Stats(StatsArgs),
    /// Lists resources of KIND (or the one named NAME) as kubectl get would, with status
    Get(GetArgs),
    /// Runs COMMAND as WORKLOAD (or deploy/WORKLOAD), as kubectl exec would: Service names
    /// resolve to the workload's own sidecar, which calls with the workload's identity (needs
    /// root, for a private mount namespace with the workload's /etc/hosts)
    Exec(ExecArgs),
    /// Sets (KEY=VALUE) or removes (KEY-) a namespace's or a Service's labels, as kubectl label
    /// would; istio.io/dataplane-mode=ambient moves the namespace's pods to the ambient node
    /// proxy, istio.io/use-waypoint=NAME sends a namespace's or a Service's traffic through a
    /// waypoint
    Label(LabelArgs),
    /// Applies or deletes waypoints, as istioctl waypoint would
    Waypoint {
        #[command(subcommand)]
        what: WaypointCommand,
    },
    /// Sets (KEY=VALUE) or removes (KEY-) a resource's annotations, as kubectl annotate would;
    /// networking.istio.io/service-type=ClusterIP makes a Gateway API gateway a ClusterIP one
    Annotate(AnnotateArgs),
    /// Creates a resource from files, as kubectl create would (secret tls)
    Create {
        #[command(subcommand)]
        what: CreateCommand,
    },
}

/// `bookinfo mesh create ...`.
#[derive(Debug, Clone, PartialEq, Eq, Subcommand)]
pub enum CreateCommand {
    /// Creates a Secret
    Secret {
        #[command(subcommand)]
        secret: SecretCommand,
    },
}

/// `bookinfo mesh create secret ...`.
#[derive(Debug, Clone, PartialEq, Eq, Subcommand)]
pub enum SecretCommand {
    /// Creates a kubernetes.io/tls Secret from a PEM certificate and its PEM key
    Tls(TlsSecretArgs),
}

/// `bookinfo mesh create secret tls NAME --key K --cert C [-n NAMESPACE]`.
#[derive(Debug, Clone, PartialEq, Eq, Args)]
pub struct TlsSecretArgs {
    #[command(flatten)]
    pub mesh: MeshDir,
    /// The Secret's name (a Gateway's credentialName)
    pub name: String,
    /// The PEM private key file
    #[arg(long, value_name = "FILE")]
    pub key: PathBuf,
    /// The PEM certificate (chain) file
    #[arg(long, value_name = "FILE")]
    pub cert: PathBuf,
    /// The Secret's namespace (istio-system for the ingress gateway, as on a cluster)
    #[arg(short = 'n', long, value_name = "NAMESPACE", default_value = "default")]
    pub namespace: String,
}

/// The running mesh a subcommand talks to.
#[derive(Debug, Clone, PartialEq, Eq, Args)]
pub struct MeshDir {
    /// The work dir of the running `bookinfo mesh`
    #[arg(long, value_name = "DIR", default_value = DEFAULT_MESH_DIR)]
    pub dir: PathBuf,
}

/// `bookinfo mesh apply|delete`.
#[derive(Debug, Clone, PartialEq, Eq, Args)]
pub struct ChangeArgs {
    #[command(flatten)]
    pub mesh: MeshDir,
    /// A file, every .yaml/.yml/.json file of a directory, or - for standard input; repeatable
    #[arg(
        short = 'f',
        long = "filename",
        value_name = "FILE|DIR|-",
        required = true
    )]
    pub files: Vec<String>,
}

/// `bookinfo mesh exec WORKLOAD -- COMMAND [ARG...]`.
#[derive(Debug, Clone, PartialEq, Eq, Args)]
pub struct ExecArgs {
    #[command(flatten)]
    pub mesh: MeshDir,
    /// productpage-v1, details-v1, reviews-v1, reviews-v2, reviews-v3, ratings-v1 or curl
    /// (also as deploy/NAME)
    pub workload: String,
    /// The command and its arguments, after `--`
    #[arg(last = true, required = true, value_name = "COMMAND")]
    pub command: Vec<String>,
}

/// `bookinfo mesh label namespace|service NAME KEY=VALUE|KEY-... [--overwrite] [-n NAMESPACE]`.
#[derive(Debug, Clone, PartialEq, Eq, Args)]
pub struct LabelArgs {
    #[command(flatten)]
    pub mesh: MeshDir,
    /// namespace (ns) or service (svc): the kinds labelled here
    pub kind: String,
    /// The namespace (default, istio-system) or the Service (reviews, reviews-v1, ...)
    pub name: String,
    /// KEY=VALUE to set a label, KEY- to remove it
    #[arg(required = true, value_name = "KEY=VALUE|KEY-")]
    pub labels: Vec<String>,
    /// Replace a label that already has a value
    #[arg(long)]
    pub overwrite: bool,
    /// A Service's namespace (namespaces themselves have none)
    #[arg(short = 'n', long, value_name = "NAMESPACE", default_value = "default")]
    pub namespace: String,
}

/// `bookinfo mesh annotate KIND NAME KEY=VALUE|KEY-... [--overwrite] [-n NAMESPACE]`.
#[derive(Debug, Clone, PartialEq, Eq, Args)]
pub struct AnnotateArgs {
    #[command(flatten)]
    pub mesh: MeshDir,
    /// The resource's kind, as kubectl takes it (gateway, gtw, virtualservice, vs, ...)
    pub kind: String,
    /// The resource's name
    pub name: String,
    /// KEY=VALUE to set an annotation, KEY- to remove it
    #[arg(required = true, value_name = "KEY=VALUE|KEY-")]
    pub annotations: Vec<String>,
    /// Replace an annotation that already has a value
    #[arg(long)]
    pub overwrite: bool,
    /// The resource's namespace
    #[arg(short = 'n', long, value_name = "NAMESPACE", default_value = "default")]
    pub namespace: String,
}

/// `bookinfo mesh delete (-f FILE... | KIND NAME... | KIND/NAME...) [-n NAMESPACE]`.
#[derive(Debug, Clone, PartialEq, Eq, Args)]
pub struct DeleteArgs {
    #[command(flatten)]
    pub mesh: MeshDir,
    /// A file, every .yaml/.yml/.json file of a directory, or - for standard input; repeatable
    #[arg(
        short = 'f',
        long = "filename",
        value_name = "FILE|DIR|-",
        required_unless_present = "resources",
        conflicts_with = "resources"
    )]
    pub files: Vec<String>,
    /// What to delete by name, as kubectl names it: `authorizationpolicy allow-nothing`, or
    /// `authorizationpolicy.security.istio.io/allow-nothing`
    #[arg(value_name = "KIND/NAME")]
    pub resources: Vec<String>,
    /// The namespace of the resources named on the command line
    #[arg(short = 'n', long, value_name = "NAMESPACE", default_value = "default")]
    pub namespace: String,
}

// === impl DeleteArgs ===

impl DeleteArgs {
    /// The (kind, name) pairs named on the command line, as kubectl reads them: all
    /// `KIND/NAME`, or one `KIND` followed by names.
    pub fn named(&self) -> Result<Vec<(String, String)>, String> {
        let Some(first) = self.resources.first() else {
            return Ok(Vec::new());
        };
        if first.contains('/') {
            return self
                .resources
                .iter()
                .map(|resource| match resource.split_once('/') {
                    Some((kind, name)) if !kind.is_empty() && !name.is_empty() => {
                        Ok((kind.to_owned(), name.to_owned()))
                    }
                    _ => Err(format!(
                        "there is no need to specify a resource type as a separate argument when \
                         passing arguments in resource/name form: {resource}"
                    )),
                })
                .collect();
        }
        let names = &self.resources[1..];
        if names.is_empty() {
            return Err(format!(
                "resource(s) were provided, but no name was specified: {first}"
            ));
        }
        if let Some(both) = names.iter().find(|name| name.contains('/')) {
            return Err(format!(
                "there is no need to specify a resource type as a separate argument when passing \
                 arguments in resource/name form: {both}"
            ));
        }
        Ok(names
            .iter()
            .map(|name| (first.clone(), name.clone()))
            .collect())
    }
}

/// `bookinfo mesh stats`.
#[derive(Debug, Clone, PartialEq, Eq, Args)]
pub struct StatsArgs {
    #[command(flatten)]
    pub mesh: MeshDir,
    /// One service (details, ratings, reviews, productpage); all of them if left out
    pub service: Option<String>,
}

/// `bookinfo mesh get`.
#[derive(Debug, Clone, PartialEq, Eq, Args)]
pub struct GetArgs {
    #[command(flatten)]
    pub mesh: MeshDir,
    /// gateway (gtw), httproute, virtualservice (vs), destinationrule (dr), service (svc), gw,
    /// secret (names and types only), namespace (ns)
    pub kind: String,
    /// One resource; all of KIND if left out
    pub name: Option<String>,
    /// The namespace to list (istio-system for the ingress gateway's Secrets and the mesh-wide
    /// PeerAuthentication)
    #[arg(short = 'n', long, value_name = "NAMESPACE", default_value = "default")]
    pub namespace: String,
    /// Every namespace, with a NAMESPACE column
    #[arg(short = 'A', long, conflicts_with = "namespace")]
    pub all_namespaces: bool,
    /// The objects as YAML, with their status, instead of kubectl's columns
    #[arg(short = 'o', long = "output", value_enum)]
    pub output: Option<GetOutput>,
    /// A LABELS column after kubectl's (the namespaces' labels: `get ns --show-labels`)
    #[arg(long, conflicts_with = "output")]
    pub show_labels: bool,
}

/// `-o` formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum GetOutput {
    Yaml,
}

impl Cli {
    /// Writes the completion script for `shell` to `out`.
    pub fn write_completions(shell: clap_complete::Shell, out: &mut dyn std::io::Write) {
        clap_complete::generate(shell, &mut Self::command(), "bookinfo", out);
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use clap::error::ErrorKind;

    use super::*;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("bookinfo").chain(args.iter().copied()))
    }

    /// The rendered error for `args`, which must be a usage error (exit code 2).
    fn problem(args: &[&str]) -> String {
        let error = parse(args).unwrap_err();
        assert_eq!(error.exit_code(), 2, "{args:?} should be a usage error");
        error.to_string()
    }

    fn mesh_command(args: &[&str]) -> MeshCommand {
        match parse(args).unwrap().command {
            Some(Command::Mesh(MeshArgs {
                command: Some(command),
                ..
            })) => command,
            other => panic!("{args:?} parsed as {other:?}"),
        }
    }

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn defaults_to_port_9080_and_fresh_connections() {
        let cli = parse(&[]).unwrap();
        assert!(cli.command.is_none());
        assert_eq!(
            cli.run,
            Options {
                productpage_port: 9080,
                pooled_backend_connections: false,
                bin_dir: None,
            }
        );
        assert_eq!(Options::default(), cli.run);
    }

    #[test]
    fn reads_port_and_pooling() {
        let cli = parse(&["--port", "8000", "--pooled"]).unwrap();
        assert_eq!(
            cli.run,
            Options {
                productpage_port: 8000,
                pooled_backend_connections: true,
                bin_dir: None,
            }
        );
    }

    #[test]
    fn reads_the_binaries_directory() {
        let cli = parse(&["--bin-dir", "target/release"]).unwrap();
        assert_eq!(
            cli.run.bin_dir,
            Some(PathBuf::from("target/release")),
            "{cli:?}"
        );
    }

    #[test]
    fn rejects_bad_arguments_naming_them() {
        assert!(problem(&["--port"]).contains("--port <PORT>"));
        assert!(problem(&["--port", "x"]).contains("invalid value 'x' for '--port <PORT>'"));
        assert!(problem(&["--nope"]).contains("unexpected argument '--nope'"));
        assert!(problem(&["--port", "1", "mesh"]).contains("mesh"));
    }

    #[test]
    fn help_is_not_an_error() {
        for args in [
            &["--help"][..],
            &["mesh", "--help"],
            &["mesh", "apply", "-h"],
            &["help", "mesh", "stats"],
        ] {
            let error = parse(args).unwrap_err();
            assert_eq!(error.kind(), ErrorKind::DisplayHelp, "{args:?}");
            assert_eq!(error.exit_code(), 0, "{args:?}");
        }
    }

    #[test]
    fn mesh_defaults_to_ingress_8080_admin_15000_in_target_mesh() {
        let expected = MeshOptions {
            ingress_port: 8080,
            ingress_https_port: 8443,
            admin_port: 15000,
            dir: PathBuf::from("target/mesh"),
            ..MeshOptions::default()
        };
        match parse(&["mesh"]).unwrap().command {
            Some(Command::Mesh(MeshArgs { command: None, run })) => assert_eq!(run, expected),
            other => panic!("parsed as {other:?}"),
        }
        assert_eq!(MeshOptions::default(), expected);
    }

    #[test]
    fn mesh_reads_ports_and_dir() {
        let cli = parse(&[
            "mesh",
            "--ingress-port",
            "9000",
            "--ingress-https-port",
            "9443",
            "--admin-port",
            "0",
            "--dir",
            "/tmp/m",
        ])
        .unwrap();
        match cli.command {
            Some(Command::Mesh(MeshArgs { command: None, run })) => assert_eq!(
                run,
                MeshOptions {
                    ingress_port: 9000,
                    ingress_https_port: 9443,
                    admin_port: 0,
                    dir: PathBuf::from("/tmp/m"),
                    ..MeshOptions::default()
                }
            ),
            other => panic!("parsed as {other:?}"),
        }
    }

    #[test]
    fn mesh_reads_the_outbound_policy_the_egress_ca_and_connect_to() {
        let cli = parse(&[
            "mesh",
            "--outbound-traffic-policy",
            "REGISTRY_ONLY",
            "--egress-ca",
            "ca.crt",
            "--connect-to",
            "www.googleapis.com:443:127.0.0.1:9443",
        ])
        .unwrap();
        let Some(Command::Mesh(MeshArgs { command: None, run })) = cli.command else {
            panic!("parsed as {:?}", cli.command);
        };
        assert_eq!(
            run.outbound_traffic_policy,
            mesh::OutboundTrafficPolicy::RegistryOnly
        );
        assert_eq!(run.egress_ca, Some(PathBuf::from("ca.crt")));
        assert_eq!(
            run.connect_to,
            [mesh::OutsideAddress {
                host: "www.googleapis.com".into(),
                port: 443,
                address: "127.0.0.1:9443".parse().unwrap(),
            }]
        );
        assert_eq!(
            MeshOptions::default().outbound_traffic_policy,
            mesh::OutboundTrafficPolicy::AllowAny
        );
        assert!(
            problem(&["mesh", "--outbound-traffic-policy", "DENY"])
                .contains("ALLOW_ANY or REGISTRY_ONLY")
        );
        assert!(problem(&["mesh", "--connect-to", "x:443"]).contains("HOST1:PORT1:HOST2:PORT2"));
        assert!(problem(&["mesh", "--connect-to", "x:443:name:1"]).contains("not an IP address"));
    }

    #[test]
    fn mesh_rejects_bad_ports_dirs_and_unknown_arguments() {
        assert!(problem(&["mesh", "--ingress-port"]).contains("--ingress-port <PORT>"));
        assert!(problem(&["mesh", "--ingress-port", "99999"]).contains("'--ingress-port <PORT>'"));
        assert!(
            problem(&["mesh", "--admin-port", "-1"]).contains("'-1' for '--admin-port <PORT>'")
        );
        assert!(problem(&["mesh", "--dir"]).contains("--dir <DIR>"));
        assert!(problem(&["mesh", "--dir", ""]).contains("--dir <DIR>"));
        assert!(problem(&["mesh", "--port", "1"]).contains("unexpected argument '--port'"));
        assert!(problem(&["mesh", "-f", "x.yaml"]).contains("unexpected argument '-f'"));
        assert!(problem(&["mesh", "--dir", "/tmp/m", "stats"]).contains("stats"));
    }

    #[test]
    fn mesh_label_takes_a_kind_a_name_and_label_edits() {
        assert_eq!(
            mesh_command(&[
                "mesh",
                "label",
                "namespace",
                "default",
                "istio.io/dataplane-mode-",
                "--overwrite"
            ]),
            MeshCommand::Label(LabelArgs {
                mesh: MeshDir {
                    dir: PathBuf::from("target/mesh")
                },
                kind: "namespace".into(),
                name: "default".into(),
                labels: vec!["istio.io/dataplane-mode-".into()],
                overwrite: true,
                namespace: "default".into(),
            })
        );
        assert!(problem(&["mesh", "label", "ns", "default"]).contains("<KEY=VALUE|KEY->"));
    }

    #[test]
    fn mesh_annotate_takes_a_kind_a_name_edits_and_a_namespace() {
        assert_eq!(
            mesh_command(&[
                "mesh",
                "annotate",
                "gateway",
                "bookinfo-gateway",
                "networking.istio.io/service-type=ClusterIP",
                "--namespace=default"
            ]),
            MeshCommand::Annotate(AnnotateArgs {
                mesh: MeshDir {
                    dir: PathBuf::from("target/mesh")
                },
                kind: "gateway".into(),
                name: "bookinfo-gateway".into(),
                annotations: vec!["networking.istio.io/service-type=ClusterIP".into()],
                overwrite: false,
                namespace: "default".into(),
            })
        );
        assert!(problem(&["mesh", "annotate", "gtw", "x"]).contains("<KEY=VALUE|KEY->"));
    }

    #[test]
    fn mesh_get_takes_a_kind_a_name_and_an_output_format() {
        assert_eq!(
            mesh_command(&["mesh", "get", "httproute", "reviews", "-o", "yaml"]),
            MeshCommand::Get(GetArgs {
                mesh: MeshDir {
                    dir: PathBuf::from("target/mesh")
                },
                kind: "httproute".into(),
                name: Some("reviews".into()),
                namespace: "default".into(),
                all_namespaces: false,
                output: Some(GetOutput::Yaml),
                show_labels: false,
            })
        );
        let MeshCommand::Get(in_istio_system) =
            mesh_command(&["mesh", "get", "secret", "-n", "istio-system"])
        else {
            panic!("not a get");
        };
        assert_eq!(in_istio_system.namespace, "istio-system");
        let MeshCommand::Get(everywhere) = mesh_command(&["mesh", "get", "secret", "-A"]) else {
            panic!("not a get");
        };
        assert!(everywhere.all_namespaces);
        assert!(problem(&["mesh", "get", "secret", "-A", "-n", "x"]).contains("--namespace"));
        assert!(problem(&["mesh", "get"]).contains("<KIND>"));
        assert!(problem(&["mesh", "get", "gtw", "-o", "json"]).contains("'json'"));
    }

    #[test]
    fn mesh_create_secret_tls_reads_as_kubectl_create_secret_tls() {
        assert_eq!(
            mesh_command(&[
                "mesh",
                "create",
                "secret",
                "tls",
                "bookinfo-credential",
                "--key",
                "k.key",
                "--cert",
                "c.crt",
                "-n",
                "istio-system",
            ]),
            MeshCommand::Create {
                what: CreateCommand::Secret {
                    secret: SecretCommand::Tls(TlsSecretArgs {
                        mesh: MeshDir {
                            dir: PathBuf::from("target/mesh")
                        },
                        name: "bookinfo-credential".into(),
                        key: "k.key".into(),
                        cert: "c.crt".into(),
                        namespace: "istio-system".into(),
                    })
                }
            }
        );
        assert!(
            problem(&["mesh", "create", "secret", "tls", "x", "--key", "k"]).contains("--cert")
        );
    }

    #[test]
    fn mesh_apply_and_delete_take_several_files_kubectl_style() {
        assert_eq!(
            mesh_command(&[
                "mesh",
                "apply",
                "-f",
                "a.yaml",
                "--filename",
                "-",
                "-f",
                "dir"
            ]),
            MeshCommand::Apply(ChangeArgs {
                mesh: MeshDir {
                    dir: PathBuf::from("target/mesh")
                },
                files: vec!["a.yaml".into(), "-".into(), "dir".into()],
            })
        );
        assert_eq!(
            mesh_command(&["mesh", "delete", "--dir", "/tmp/m", "-f", "a.yaml"]),
            MeshCommand::Delete(DeleteArgs {
                mesh: MeshDir {
                    dir: PathBuf::from("/tmp/m")
                },
                files: vec!["a.yaml".into()],
                resources: Vec::new(),
                namespace: "default".into(),
            })
        );
    }

    #[test]
    fn mesh_delete_takes_kind_and_names_or_kind_slash_name_as_kubectl_does() {
        let named = |args: &[&str]| match mesh_command(args) {
            MeshCommand::Delete(delete) => delete.named(),
            other => panic!("{other:?}"),
        };
        let pair = |kind: &str, name: &str| (kind.to_owned(), name.to_owned());
        assert_eq!(
            named(&[
                "mesh",
                "delete",
                "authorizationpolicy.security.istio.io/allow-nothing",
                "ap/x"
            ]),
            Ok(vec![
                pair("authorizationpolicy.security.istio.io", "allow-nothing"),
                pair("ap", "x")
            ])
        );
        assert_eq!(
            named(&["mesh", "delete", "ap", "a", "b", "-n", "istio-system"]),
            Ok(vec![pair("ap", "a"), pair("ap", "b")])
        );
        assert!(
            named(&["mesh", "delete", "ap"])
                .unwrap_err()
                .contains("no name was specified")
        );
        assert!(
            named(&["mesh", "delete", "ap", "vs/x"])
                .unwrap_err()
                .contains("vs/x")
        );
        assert!(
            problem(&["mesh", "delete", "ap/x", "-f", "a.yaml"]).contains("cannot be used with")
        );
    }

    #[test]
    fn mesh_apply_and_delete_reject_missing_files_and_unknown_arguments() {
        assert!(problem(&["mesh", "apply"]).contains("--filename <FILE|DIR|->"));
        assert!(problem(&["mesh", "delete"]).contains("--filename <FILE|DIR|->"));
        assert!(problem(&["mesh", "delete"]).contains("KIND/NAME"));
        assert!(problem(&["mesh", "apply", "-f"]).contains("-f"));
        assert!(problem(&["mesh", "apply", "a.yaml"]).contains("unexpected argument 'a.yaml'"));
        assert!(
            problem(&["mesh", "delete", "-f", "a", "--force"])
                .contains("unexpected argument '--force'")
        );
        assert!(problem(&["mesh", "apply", "--dir"]).contains("--dir <DIR>"));
    }

    #[test]
    fn mesh_stats_takes_an_optional_service() {
        let mesh = MeshDir {
            dir: PathBuf::from("target/mesh"),
        };
        assert_eq!(
            mesh_command(&["mesh", "stats"]),
            MeshCommand::Stats(StatsArgs {
                mesh: mesh.clone(),
                service: None
            })
        );
        assert_eq!(
            mesh_command(&["mesh", "stats", "reviews"]),
            MeshCommand::Stats(StatsArgs {
                mesh,
                service: Some("reviews".into())
            })
        );
        assert!(
            problem(&["mesh", "stats", "reviews", "ratings"])
                .contains("unexpected argument 'ratings'")
        );
        assert!(problem(&["mesh", "stats", "--all"]).contains("unexpected argument '--all'"));
    }

    #[test]
    fn traffic_is_a_subcommand_with_its_own_arguments() {
        let cli = parse(&["traffic", "--rate", "5", "--users", "jason,alice", "--json"]).unwrap();
        let Some(Command::Traffic(args)) = cli.command else {
            panic!("parsed as {:?}", cli.command);
        };
        assert_eq!(args.rate, Some(5));
        assert_eq!(args.users, ["jason", "alice"]);
        assert!(args.json);
        assert!(problem(&["traffic", "--rate", "0"]).contains("'--rate <RATE>'"));
        assert!(problem(&["traffic", "--port", "1"]).contains("unexpected argument '--port'"));
    }

    #[test]
    fn completions_name_every_subcommand_for_each_shell() {
        for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
            let cli = parse(&["completions", shell]).unwrap();
            let Some(Command::Completions { shell }) = cli.command else {
                panic!("{shell} parsed as {:?}", cli.command);
            };
            let mut script = Vec::new();
            Cli::write_completions(shell, &mut script);
            let script = String::from_utf8(script).unwrap();
            for word in [
                "mesh",
                "apply",
                "delete",
                "stats",
                "ingress-port",
                "pooled",
                "traffic",
                "signed-in-share",
            ] {
                assert!(script.contains(word), "{shell} completions lack {word}");
            }
        }
        assert!(problem(&["completions", "tcsh"]).contains("invalid value 'tcsh'"));
    }

    #[test]
    fn exec_takes_the_command_after_a_double_dash() {
        let MeshCommand::Exec(exec) = mesh_command(&[
            "mesh",
            "exec",
            "deploy/curl",
            "--",
            "curl",
            "-s",
            "http://productpage:9080/",
        ]) else {
            panic!("not exec");
        };
        assert_eq!(exec.workload, "deploy/curl");
        assert_eq!(exec.command, ["curl", "-s", "http://productpage:9080/"]);
        assert!(problem(&["mesh", "exec", "curl"]).contains("COMMAND"));
    }
}
