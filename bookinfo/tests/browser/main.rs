//! The product page in a real headless Chromium, driven over WebDriver: what an audience sees.
//! Needs Debian's `chromium` and `chromium-driver` (scripts/deps/chromium.sh installs them).
//! Screenshots land in `target/artifacts/screenshots/` (or `$BOOKINFO_ARTIFACTS/screenshots/`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../support/local_bookinfo.rs"]
mod local_bookinfo;
mod pages;
mod session;
mod webdriver;
