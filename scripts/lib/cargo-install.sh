#!/usr/bin/env bash
# Helper for the installers of cargo subcommands: `cargo_install_pinned CRATE VERSION` runs
# `cargo install --locked CRATE --version VERSION` unless that version is installed already.
# Sourced by the installers in scripts/deps/: `. "$(dirname "$0")/../lib/cargo-install.sh"`.
cargo_install_pinned() {
  local crate="$1" version="$2"
  if cargo install --list | grep -qx "${crate} v${version}:"; then
    return 0
  fi
  cargo install --locked "${crate}" --version "${version}" >&2
}
