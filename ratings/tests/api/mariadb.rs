//! A real MariaDB server for one test: its own `mariadbd` on a free 127.0.0.1 port with a
//! throwaway data directory, a root password, the project's seed, and stop/start on demand. The
//! server is killed and its directory removed when the fixture is dropped.
//!
//! The binaries come from Debian's `mariadb-server` (`scripts/deps/mariadb.sh`, run by
//! `scripts/setup.sh`). The freshly initialised system tables are made once per MariaDB version
//! into `target/tmp/` and copied for each server, which saves a few seconds per test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// The password the fixture gives root; ratings connects with it.
pub const ROOT_PASSWORD: &str = "ratings-test-root-pw";
/// The project's schema and seed, the same file the platform manifests embed.
pub const SEED_SQL: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/db/mysql/ratings.sql");
/// How long a starting server may take to answer before the test fails.
const READY_WITHIN: Duration = Duration::from_secs(30);
/// Small and quick: commits reach the OS at once (so they survive a killed server) but are not
/// synced to disk, and the buffer pool is small. Used both to initialise the data directory and
/// to run the server, so the two agree.
const INNODB_OPTIONS: &[&str] = &[
    "--innodb-buffer-pool-size=16M",
    "--innodb-log-file-size=4M",
    "--innodb-flush-log-at-trx-commit=2",
    "--innodb-doublewrite=0",
];

/// One MariaDB server, stopped or running.
pub struct MariaDb {
    /// Holds `data/`, the socket and the error log; removed on drop.
    dir: PathBuf,
    pub port: u16,
    server: Option<Child>,
    /// Whether root's password is set (on the first start).
    secured: bool,
}

impl MariaDb {
    /// A data directory and a free port, the server not started yet (a database that is down
    /// when ratings starts).
    pub fn prepare() -> MariaDb {
        let template = template();
        static INSTANCES: AtomicUsize = AtomicUsize::new(0);
        // Under the system temp dir: a Unix socket path must stay short (108 bytes).
        let dir = std::env::temp_dir().join(format!(
            "ratings-mariadb-{}-{}",
            std::process::id(),
            INSTANCES.fetch_add(1, Ordering::SeqCst)
        ));
        let _ = fs::remove_dir_all(&dir);
        copy_dir(template, &dir.join("data"));
        MariaDb {
            dir,
            port: free_port(),
            server: None,
            secured: false,
        }
    }

    /// A running server with root's password set and the project's seed loaded.
    pub fn start_seeded() -> MariaDb {
        let mut db = MariaDb::prepare();
        db.start();
        db.load_seed();
        db
    }

    /// Starts the server (again) on the same port and data, and waits until it answers.
    pub fn start(&mut self) {
        assert!(self.server.is_none(), "already running");
        // A socket left by a killed server would confuse the new one.
        let _ = fs::remove_file(self.socket());
        let log = fs::File::create(self.dir.join("mariadbd.out")).unwrap();
        let server = Command::new(binary(&["mariadbd", "mysqld"]))
            .arg("--no-defaults")
            .arg(format!("--datadir={}", self.dir.join("data").display()))
            .arg(format!("--socket={}", self.socket().display()))
            .arg(format!(
                "--pid-file={}",
                self.dir.join("mariadbd.pid").display()
            ))
            .arg(format!("--log-error={}", self.error_log().display()))
            .arg(format!("--port={}", self.port))
            .args(["--bind-address=127.0.0.1", "--skip-networking=0"])
            // MariaDB refuses to run as root unless told to; as any other user this is ignored.
            .arg("--user=root")
            .args([
                "--skip-name-resolve",
                "--skip-log-bin",
                "--performance-schema=OFF",
            ])
            .args(INNODB_OPTIONS)
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|error| panic!("starting mariadbd: {error}"));
        self.server = Some(server);
        self.wait_ready();
        if !self.secured {
            // A fresh data directory has password-less root accounts; ratings connects over TCP
            // from 127.0.0.1, the fixture over the socket as root@localhost.
            self.sql_as_root(
                None,
                &format!(
                    "ALTER USER 'root'@'localhost' IDENTIFIED BY '{ROOT_PASSWORD}';
                     ALTER USER 'root'@'127.0.0.1' IDENTIFIED BY '{ROOT_PASSWORD}';"
                ),
            );
            self.secured = true;
        }
    }

    /// Kills the server (as a crash or a pod eviction would) and waits until it is gone.
    pub fn stop(&mut self) {
        if let Some(mut server) = self.server.take() {
            let _ = server.kill();
            let _ = server.wait();
        }
    }

    /// Loads `ratings/db/mysql/ratings.sql` with the `mariadb` client, as an init script would.
    pub fn load_seed(&self) {
        let seed = fs::read_to_string(SEED_SQL).unwrap();
        self.sql(&seed);
    }

    /// Runs SQL statements as root; panics with the client's message when they fail.
    pub fn sql(&self, statements: &str) {
        self.sql_as_root(Some(ROOT_PASSWORD), statements);
    }

    /// What ratings v2 needs to read this server, with the given password.
    pub fn ratings_env(&self, password: &str) -> Vec<(String, String)> {
        [
            ("SERVICE_VERSION", "v2".to_owned()),
            ("DB_TYPE", "mysql".to_owned()),
            ("MYSQL_DB_HOST", "127.0.0.1".to_owned()),
            ("MYSQL_DB_PORT", self.port.to_string()),
            ("MYSQL_DB_USER", "root".to_owned()),
            ("MYSQL_DB_PASSWORD", password.to_owned()),
        ]
        .into_iter()
        .map(|(name, value)| (name.to_owned(), value))
        .collect()
    }

    fn sql_as_root(&self, password: Option<&str>, statements: &str) {
        let mut client = Command::new(binary(&["mariadb", "mysql"]));
        client
            .arg("--no-defaults")
            .arg(format!("--socket={}", self.socket().display()))
            .args(["--user=root", "--batch", "--connect-timeout=5"]);
        if let Some(password) = password {
            client.arg(format!("--password={password}"));
        }
        let output = run_with_stdin(client, statements);
        assert!(
            output.status.success(),
            "SQL failed: {}\n{statements}",
            String::from_utf8_lossy(&output.stderr)
        );
    }

    fn wait_ready(&mut self) {
        let deadline = Instant::now() + READY_WITHIN;
        let mut pause = Duration::from_millis(20);
        loop {
            if let Some(status) = self.server.as_mut().and_then(|s| s.try_wait().unwrap()) {
                panic!(
                    "mariadbd exited with {status} while starting:\n{}",
                    self.log_tail()
                );
            }
            // `ping` succeeds as soon as the server answers, whatever the credentials.
            let ping = Command::new(binary(&["mariadb-admin", "mysqladmin"]))
                .arg("--no-defaults")
                .arg(format!("--socket={}", self.socket().display()))
                .args(["--user=root", "--connect-timeout=2", "ping"])
                .stdin(Stdio::null())
                .output()
                .unwrap();
            if ping.status.success() {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "mariadbd did not answer within {READY_WITHIN:?}:\n{}",
                self.log_tail()
            );
            std::thread::sleep(pause);
            pause = (pause * 2).min(Duration::from_millis(250));
        }
    }

    fn socket(&self) -> PathBuf {
        self.dir.join("mysqld.sock")
    }

    fn error_log(&self) -> PathBuf {
        self.dir.join("error.log")
    }

    fn log_tail(&self) -> String {
        let mut log = fs::read_to_string(self.error_log()).unwrap_or_default();
        log += &fs::read_to_string(self.dir.join("mariadbd.out")).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(30)..].join("\n")
    }
}

impl Drop for MariaDb {
    fn drop(&mut self) {
        self.stop();
        let _ = fs::remove_dir_all(&self.dir);
    }
}

/// The initialised data directory every server starts from, made once per MariaDB version.
fn template() -> &'static Path {
    static TEMPLATE: OnceLock<PathBuf> = OnceLock::new();
    TEMPLATE.get_or_init(|| {
        let version = Command::new(binary(&["mariadbd", "mysqld"]))
            .arg("--version")
            .output()
            .unwrap();
        let version: String = String::from_utf8_lossy(&version.stdout)
            .split_whitespace()
            .nth(2)
            .unwrap_or("unknown")
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '.' {
                    c
                } else {
                    '-'
                }
            })
            .collect();
        let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join("ratings-mariadb");
        let template = root.join(format!("template-{version}"));
        if template.is_dir() {
            return template;
        }
        fs::create_dir_all(&root).unwrap();
        // Made aside and renamed into place, so a half-made template is never used.
        let making = root.join(format!("making-{}", std::process::id()));
        let _ = fs::remove_dir_all(&making);
        let mut install = Command::new(binary(&["mariadb-install-db", "mysql_install_db"]));
        install
            .arg("--no-defaults")
            .arg(format!("--datadir={}", making.display()))
            .args([
                "--auth-root-authentication-method=normal",
                "--user=root",
                "--skip-test-db",
                "--skip-name-resolve",
            ])
            .args(INNODB_OPTIONS);
        let output = run_with_stdin(install, "");
        assert!(
            output.status.success(),
            "mariadb-install-db failed:\n{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        if fs::rename(&making, &template).is_err() {
            // Another test process made it first; theirs is as good as ours.
            let _ = fs::remove_dir_all(&making);
        }
        template
    })
}

/// The first of `names` found on PATH or in the sbin directories Debian installs MariaDB into.
fn binary(names: &[&str]) -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let dirs = std::env::split_paths(&path)
        .chain(["/usr/sbin", "/usr/local/sbin", "/usr/bin", "/sbin"].map(PathBuf::from))
        .collect::<Vec<_>>();
    names
        .iter()
        .flat_map(|name| dirs.iter().map(move |dir| dir.join(name)))
        .find(|candidate| candidate.is_file())
        .unwrap_or_else(|| {
            panic!(
                "{} not found: MariaDB is not installed. Run `bash scripts/deps/mariadb.sh` \
                 (Debian's mariadb-server; scripts/setup.sh and CI run it)",
                names.join(" / ")
            )
        })
}

fn run_with_stdin(mut command: Command, input: &str) -> Output {
    use std::io::Write;
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|error| panic!("running {command:?}: {error}"));
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), target).unwrap();
        }
    }
}

#[test]
#[should_panic(expected = "Run `bash scripts/deps/mariadb.sh`")]
fn a_missing_mariadb_fails_naming_the_installer() {
    binary(&["no-such-mariadbd"]);
}
