//! `bookinfo --bin-dir DIR`: the same six services, each as its own process from the shipped
//! binaries in DIR (as the images run them, configured through upstream's environment
//! variables), so that each has its own memory to measure; the launcher keeps the reviews round
//! robin, the signal handling and the drain order (productpage first, then the rest).

use std::io;
use std::net::SocketAddr;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use mesh::tied::{self, TiedChild};
use productpage::config as page;
use reviews::ReviewsVersion;

use crate::{Listeners, Options, balancer};

/// How long a child may take from exec to accepting connections.
const LISTENING_WITHIN: Duration = Duration::from_secs(10);
/// How long a child may take to drain and exit after SIGTERM (the chassis drain is bounded by
/// its own shutdown timeout, below this) before it is killed.
const EXITED_WITHIN: Duration = Duration::from_secs(40);
/// How often the launcher looks at whether a child has ended.
const POLL: Duration = Duration::from_millis(20);

/// One service's process.
pub struct ServiceProcess {
    /// Kubernetes-style name, e.g. `reviews-v2`.
    pub name: String,
    pub address: SocketAddr,
    child: TiedChild,
}

impl ServiceProcess {
    pub fn pid(&self) -> u32 {
        self.child.child.id()
    }
}

/// Bookinfo as separate processes under this one.
pub struct ProcessBookinfo {
    pub productpage: SocketAddr,
    /// The reviews balancer productpage calls.
    pub reviews: SocketAddr,
    /// Every service's process, productpage last.
    pub processes: Vec<ServiceProcess>,
}

/// One child to start: its binary and the environment that wires it.
struct Spawn {
    name: String,
    binary: &'static str,
    address: SocketAddr,
    env: Vec<(&'static str, String)>,
}

impl ProcessBookinfo {
    /// Starts every service from `bin_dir`, each tied to this process (a SIGKILLed launcher
    /// leaves none behind), and waits until each accepts connections.
    pub async fn start(options: &Options, bin_dir: &Path) -> io::Result<Self> {
        let listeners = Listeners::bind(options.productpage_port)?;
        let reviews = balancer::spawn_round_robin(listeners.reviews_addresses()?)?;
        let spawns = plan(&listeners, reviews, options.pooled_backend_connections)?;
        let productpage = listeners.productpage.local_addr()?;
        // The ports were held until now so that the plan could hand them out; each child binds
        // its own the moment it starts.
        drop(listeners);
        let mut processes = Vec::new();
        for spawn in spawns {
            let process = start_one(bin_dir, spawn)?;
            processes.push(process);
        }
        let mut bookinfo = Self {
            productpage,
            reviews,
            processes,
        };
        for index in 0..bookinfo.processes.len() {
            if let Err(error) = wait_listening(&mut bookinfo.processes[index]).await {
                bookinfo.stop_all().await;
                return Err(error);
            }
        }
        Ok(bookinfo)
    }

    /// Runs until `stop` completes, then stops every child with SIGTERM (productpage first, so
    /// that no call it still makes meets a stopped backend); or until a child ends by itself.
    pub async fn run_until(mut self, stop: impl Future<Output = ()>) -> io::Result<()> {
        let ended = async {
            let mut interval = tokio::time::interval(POLL);
            loop {
                interval.tick().await;
                for process in &mut self.processes {
                    if let Some(status) = process.child.child.try_wait()? {
                        return Err(io::Error::other(format!(
                            "{} ended by itself: {status}",
                            process.name
                        )));
                    }
                }
            }
        };
        let result = tokio::select! {
            result = ended => result,
            () = stop => Ok(()),
        };
        self.stop_all().await;
        result
    }

    /// SIGTERM to productpage, waits for it, then to the rest together, and waits for them.
    pub async fn stop_all(&mut self) {
        let (entry, called): (Vec<&mut ServiceProcess>, Vec<&mut ServiceProcess>) = self
            .processes
            .iter_mut()
            .partition(|process| process.name.starts_with("productpage"));
        for mut tier in [entry, called] {
            for process in &tier {
                terminate(process);
            }
            for process in &mut tier {
                wait_exited(process).await;
            }
        }
    }
}

/// What each service is started with: the ports of `listeners`, the calls wired as
/// [`crate::start_services`] wires them in one process. Every variable that wires a service is
/// set, so that none comes from the launcher's own environment (which still passes RUST_LOG and
/// the telemetry variables on).
fn plan(
    listeners: &Listeners,
    reviews: SocketAddr,
    pooled_backend_connections: bool,
) -> io::Result<Vec<Spawn>> {
    let details = listeners.details.local_addr()?;
    let ratings = listeners.ratings.local_addr()?;
    let mut spawns = vec![
        Spawn {
            name: "details-v1".into(),
            binary: "details",
            address: details,
            // The built-in book, as in one process, whatever the launcher's environment says.
            env: vec![(
                details::config::ENV_ENABLE_EXTERNAL_BOOK_SERVICE,
                "false".to_owned(),
            )],
        },
        Spawn {
            name: "ratings-v1".into(),
            binary: "ratings",
            address: ratings,
            env: Vec::new(),
        },
    ];
    for (version, listener) in ReviewsVersion::ALL.into_iter().zip(&listeners.reviews) {
        spawns.push(Spawn {
            name: format!("reviews-{version}"),
            binary: "reviews",
            address: listener.local_addr()?,
            env: vec![
                (
                    reviews::config::ENV_SERVICE_VERSION,
                    version.as_str().to_owned(),
                ),
                (
                    reviews::config::ENV_HOSTNAME,
                    format!("reviews-{version}-local"),
                ),
                (reviews::config::ENV_SERVICES_DOMAIN, String::new()),
                (
                    reviews::config::ENV_RATINGS_HOSTNAME,
                    ratings.ip().to_string(),
                ),
                (
                    reviews::config::ENV_RATINGS_SERVICE_PORT,
                    ratings.port().to_string(),
                ),
            ],
        });
    }
    spawns.push(Spawn {
        name: "productpage-v1".into(),
        binary: "productpage",
        address: listeners.productpage.local_addr()?,
        env: vec![
            (page::ENV_SERVICES_DOMAIN, String::new()),
            (page::ENV_DETAILS_HOSTNAME, details.ip().to_string()),
            (page::ENV_DETAILS_SERVICE_PORT, details.port().to_string()),
            (page::ENV_REVIEWS_HOSTNAME, reviews.ip().to_string()),
            (page::ENV_REVIEWS_SERVICE_PORT, reviews.port().to_string()),
            (page::ENV_RATINGS_HOSTNAME, ratings.ip().to_string()),
            (page::ENV_RATINGS_SERVICE_PORT, ratings.port().to_string()),
            (
                page::ENV_BACKEND_CONNECTION_POOLING,
                pooled_backend_connections.to_string(),
            ),
        ],
    });
    Ok(spawns)
}

fn start_one(bin_dir: &Path, spawn: Spawn) -> io::Result<ServiceProcess> {
    let binary = bin_dir.join(spawn.binary);
    if !binary.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::NotFound,
            format!("{} not found (--bin-dir)", binary.display()),
        ));
    }
    let port = spawn.address.port().to_string();
    let env = spawn.env;
    let child = tied::spawn(&binary, move |command| {
        command
            .arg(port)
            .envs(env)
            .stdin(Stdio::null())
            .stdout(Stdio::null());
    })?;
    Ok(ServiceProcess {
        name: spawn.name,
        address: spawn.address,
        child,
    })
}

/// Waits until `process` accepts connections on its port, or fails if it ends first.
async fn wait_listening(process: &mut ServiceProcess) -> io::Result<()> {
    let deadline = tokio::time::Instant::now() + LISTENING_WITHIN;
    loop {
        if let Some(status) = process.child.child.try_wait()? {
            return Err(io::Error::other(format!(
                "{} exited at start: {status}",
                process.name
            )));
        }
        if tokio::net::TcpStream::connect(process.address)
            .await
            .is_ok()
        {
            return Ok(());
        }
        if tokio::time::Instant::now() > deadline {
            return Err(io::Error::other(format!(
                "{} not listening on {} within {LISTENING_WITHIN:?}",
                process.name, process.address
            )));
        }
        tokio::time::sleep(POLL).await;
    }
}

/// SIGTERM, which the service answers with its drain.
fn terminate(process: &ServiceProcess) {
    let sent = std::process::Command::new("kill")
        .args(["-TERM", &process.pid().to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    if let Err(error) = sent {
        // `wait_exited` kills it when its time is up.
        tracing::warn!(process = %process.name, %error, "could not send SIGTERM");
    }
}

/// Waits for `process` to exit after SIGTERM; kills it past [`EXITED_WITHIN`].
async fn wait_exited(process: &mut ServiceProcess) {
    let deadline = tokio::time::Instant::now() + EXITED_WITHIN;
    loop {
        match process.child.child.try_wait() {
            Ok(Some(_)) | Err(_) => return,
            Ok(None) if tokio::time::Instant::now() > deadline => {
                tracing::warn!(process = %process.name, "did not exit after SIGTERM; killing");
                let _ = process.child.child.kill();
                let _ = process.child.child.wait();
                return;
            }
            Ok(None) => tokio::time::sleep(POLL).await,
        }
    }
}

/// What the command prints once everything is up: where to look, and each process's pid.
pub fn summary(bookinfo: &ProcessBookinfo) -> String {
    let mut text = format!(
        "Bookinfo is running, each service in its own process.\n  open      http://localhost:{}/productpage\n",
        bookinfo.productpage.port()
    );
    for process in &bookinfo.processes {
        text.push_str(&format!(
            "  {:<15} http://{}  pid {}\n",
            process.name,
            process.address,
            process.pid()
        ));
    }
    text.push_str(&format!(
        "  reviews (round robin over v1, v2, v3) http://{}\nPress Ctrl-C to stop.",
        bookinfo.reviews
    ));
    text
}
