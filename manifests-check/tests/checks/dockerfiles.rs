//! The Dockerfiles: hadolint finds nothing, the images are small, non-root and multi-stage
//! with a cached dependency layer, and scripts/docker-cargo-commands.sh lists every cargo
//! command they run so that CI compiles exactly those.

use std::path::Path;

use serde_json::Value;

use crate::support::{read_repo_file, repo_root, run, text, tool};

const DOCKERFILES: [&str; 2] = ["Dockerfile.productpage", "Dockerfile.service"];

#[test]
fn the_dockerfiles_lint_clean_with_hadolint() {
    let hadolint = tool("hadolint", "HADOLINT");
    let output = run(&hadolint, &DOCKERFILES, &repo_root());
    assert!(
        output.status.success(),
        "hadolint:\n{}{}",
        text(&output.stdout),
        text(&output.stderr)
    );
}

fn docker_cargo_commands() -> Vec<String> {
    let output = run(
        Path::new("bash"),
        &["scripts/docker-cargo-commands.sh"],
        &repo_root(),
    );
    assert!(output.status.success(), "{}", text(&output.stderr));
    text(&output.stdout).lines().map(String::from).collect()
}

#[test]
fn docker_cargo_commands_lists_the_build_of_every_image() {
    assert_eq!(
        docker_cargo_commands(),
        [
            "cargo build --release --locked -p productpage",
            "cargo build --release --locked -p details",
            "cargo build --release --locked -p ratings",
            "cargo build --release --locked -p bookinfo",
            "cargo build --release --locked -p reviews --features v1",
            "cargo build --release --locked -p reviews --features v2",
            "cargo build --release --locked -p reviews --features v3",
        ]
    );
}

/// Each command's package and features exist in the workspace (CI then builds them).
#[test]
fn every_docker_cargo_command_names_a_workspace_package_and_its_features() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let output = run(
        Path::new(&cargo),
        &[
            "metadata",
            "--no-deps",
            "--format-version",
            "1",
            "--offline",
        ],
        &repo_root(),
    );
    assert!(output.status.success(), "{}", text(&output.stderr));
    let metadata: Value = serde_json::from_slice(&output.stdout).unwrap_or_default();
    let packages = metadata["packages"].as_array().cloned().unwrap_or_default();
    for command in docker_cargo_commands() {
        let words: Vec<&str> = command.split_whitespace().collect();
        let after = |flag: &str| {
            words
                .iter()
                .position(|w| *w == flag)
                .and_then(|i| words.get(i + 1))
                .copied()
        };
        let package = after("-p").unwrap_or_else(|| panic!("{command}: no -p"));
        let found = packages
            .iter()
            .find(|p| p["name"] == package)
            .unwrap_or_else(|| panic!("{command}: no package {package}"));
        if let Some(feature) = after("--features") {
            assert!(
                found["features"].get(feature).is_some(),
                "{command}: {package} has no feature {feature}"
            );
        }
        assert!(
            found["targets"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|t| t["name"] == package && t["kind"][0] == "bin"),
            "{command}: {package} builds no binary named {package}, which the Dockerfile copies"
        );
    }
}

/// The instructions of the last stage of a Dockerfile, continuation lines joined.
fn stages(dockerfile: &str) -> Vec<Vec<String>> {
    let mut joined = Vec::new();
    let mut current = String::new();
    for line in read_repo_file(dockerfile).lines() {
        let line = line.trim();
        if line.starts_with('#') || line.is_empty() {
            continue;
        }
        match line.strip_suffix('\\') {
            Some(head) => current.push_str(head),
            None => {
                current.push_str(line);
                joined.push(std::mem::take(&mut current));
            }
        }
    }
    let mut stages: Vec<Vec<String>> = Vec::new();
    for instruction in joined {
        if instruction.starts_with("FROM ") {
            stages.push(Vec::new());
        }
        if let Some(stage) = stages.last_mut() {
            stage.push(instruction);
        }
    }
    stages
}

#[test]
fn the_images_are_multi_stage_and_run_from_scratch_as_a_non_root_user_on_9080() {
    for dockerfile in DOCKERFILES {
        let stages = stages(dockerfile);
        assert!(stages.len() >= 3, "{dockerfile}: not multi-stage");
        let last = stages.last().cloned().unwrap_or_default();
        assert_eq!(last[0], "FROM scratch", "{dockerfile}");
        assert!(
            last.contains(&"EXPOSE 9080".to_string()),
            "{dockerfile}: no EXPOSE 9080"
        );
        let user = last
            .iter()
            .find_map(|i| i.strip_prefix("USER "))
            .unwrap_or_else(|| panic!("{dockerfile}: no USER"));
        let uid: u32 = user
            .split(':')
            .next()
            .and_then(|u| u.parse().ok())
            .unwrap_or(0);
        assert!(
            uid >= 1000,
            "{dockerfile}: USER {user} is not a numeric non-root user"
        );
    }
}

/// The dependencies build before the sources are copied in, so their layer survives a change
/// to the code (cargo-chef's recipe changes only with Cargo.lock and the Cargo.toml files).
#[test]
fn the_dependency_layer_is_built_before_the_sources_are_copied() {
    for dockerfile in DOCKERFILES {
        let build = stages(dockerfile)
            .into_iter()
            .find(|stage| stage[0].ends_with(" AS build"))
            .unwrap_or_else(|| panic!("{dockerfile}: no build stage"));
        let cook = build
            .iter()
            .position(|i| i.contains("cargo chef cook --release"));
        let copy = build.iter().position(|i| i == "COPY . .");
        let compile = build
            .iter()
            .position(|i| i.contains("cargo build --release"));
        assert!(
            matches!((cook, copy, compile), (Some(a), Some(b), Some(c)) if a < b && b < c),
            "{dockerfile}: expected cook, then COPY . ., then cargo build"
        );
    }
}

#[test]
fn the_service_images_carry_curl_and_the_productpage_image_does_not_need_it() {
    let stages = stages("Dockerfile.service");
    let curl = stages
        .iter()
        .find(|stage| stage[0].ends_with(" AS curl"))
        .expect("a curl stage");
    assert!(
        curl.iter()
            .any(|i| i.starts_with("ADD --checksum=sha256:") && i.contains("/curl-")),
        "curl's source must be pinned by checksum"
    );
    assert!(
        curl.iter()
            .any(|i| i.contains("chroot /rootfs /usr/bin/curl --version")),
        "the curl stage must prove curl runs with nothing but /rootfs"
    );
    let last = stages.last().cloned().unwrap_or_default();
    assert!(last.contains(&"COPY --from=curl /rootfs/ /".to_string()));
}

#[test]
fn the_dockerignore_keeps_target_and_git_out_of_the_context() {
    let ignored: Vec<String> = read_repo_file(".dockerignore")
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(String::from)
        .collect();
    for entry in ["target", ".git"] {
        assert!(
            ignored.iter().any(|l| l == entry),
            ".dockerignore lacks {entry}"
        );
    }
    // the workspace members must stay in the context, or cargo cannot load the workspace
    for member in [
        "chassis",
        "details",
        "ratings",
        "reviews",
        "productpage",
        "manifests-check",
    ] {
        assert!(
            !ignored.iter().any(|l| l == member),
            ".dockerignore drops workspace member {member}"
        );
    }
}
