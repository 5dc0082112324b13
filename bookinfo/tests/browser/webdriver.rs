//! A chromedriver of our own on a free loopback port, a fresh Chromium profile per session, and
//! the fantoccini client that drives it.

use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder};
use serde_json::{Map, Value, json};

/// Desktop and phone viewports the page must look finished at.
#[derive(Debug, Clone, Copy)]
pub enum Viewport {
    Desktop,
    Phone,
}

impl Viewport {
    pub fn width(self) -> u32 {
        match self {
            Viewport::Desktop => 1280,
            Viewport::Phone => 390,
        }
    }

    fn height(self) -> u32 {
        match self {
            Viewport::Desktop => 900,
            Viewport::Phone => 844,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Viewport::Desktop => "desktop-1280",
            Viewport::Phone => "phone-390",
        }
    }
}

/// One browser session; chromedriver and the profile directory go away with it.
pub struct Browser {
    pub client: Client,
    driver: Child,
    profile: PathBuf,
}

fn tool(env: &str, name: &str) -> String {
    std::env::var(env).unwrap_or_else(|_| name.to_owned())
}

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("free port");
    listener.local_addr().expect("address").port()
}

impl Browser {
    pub async fn launch(viewport: Viewport) -> Browser {
        static SESSION: AtomicU32 = AtomicU32::new(0);
        let profile = std::env::temp_dir().join(format!(
            "bookinfo-chromium-{}-{}",
            std::process::id(),
            SESSION.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&profile).expect("profile directory");

        let port = free_port();
        let driver_binary = tool("CHROMEDRIVER", "chromedriver");
        let driver = Command::new(&driver_binary)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|error| {
                panic!("cannot start {driver_binary} ({error}); run scripts/deps/chromium.sh")
            });
        wait_for_port(port, Duration::from_secs(15));

        let mut options = Map::new();
        options.insert(
            "binary".into(),
            json!(tool("CHROMIUM", "/usr/bin/chromium")),
        );
        options.insert(
            "args".into(),
            json!([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-quic",
                "--no-first-run",
                "--hide-scrollbars",
                format!("--user-data-dir={}", profile.display()),
                format!("--window-size={},{}", viewport.width(), viewport.height()),
            ]),
        );
        if let Viewport::Phone = viewport {
            // Device emulation gives a true 390 px layout viewport, as a phone has.
            options.insert(
                "mobileEmulation".into(),
                json!({ "deviceMetrics": {
                    "width": viewport.width(), "height": viewport.height(), "pixelRatio": 2.0,
                    "mobile": true, "touch": true
                }}),
            );
        }
        let mut capabilities = Map::new();
        capabilities.insert("goog:chromeOptions".into(), Value::Object(options));

        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let client = ClientBuilder::new(connector)
            .capabilities(capabilities)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .expect("a WebDriver session");
        Browser {
            client,
            driver,
            profile,
        }
    }

    /// Ends the session; call at the end of each test so Chromium exits cleanly.
    pub async fn close(self) {
        let _ = self.client.clone().close().await;
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

fn wait_for_port(port: u16, within: Duration) {
    let deadline = Instant::now() + within;
    while Instant::now() < deadline {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return;
        }
        // chromedriver is starting; poll again shortly, bounded by the deadline.
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("chromedriver did not listen on port {port} within {within:?}");
}

/// Where screenshots go.
pub fn artifacts_dir() -> PathBuf {
    let base = std::env::var_os("BOOKINFO_ARTIFACTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/artifacts"));
    let dir = base.join("screenshots");
    std::fs::create_dir_all(&dir).expect("artifacts directory");
    dir
}

/// Saves a PNG of the whole page as it is now.
pub async fn screenshot(client: &Client, name: &str) -> PathBuf {
    let png = client.screenshot().await.expect("screenshot");
    assert!(png.starts_with(b"\x89PNG"), "a PNG came back");
    let path = artifacts_dir().join(format!("{name}.png"));
    std::fs::write(&path, png).expect("write screenshot");
    path
}
